//! Lines of `defaults`, `frontend`, `backend` and `listen` sections.

use super::condition;
use super::Builder;
use crate::codes;
use crate::model::*;
use crate::registry::{self, Status};
use crate::source::{Line, Word};
use conf_diag::Diagnostic;

fn section_bit(kind: ProxyKind) -> u8 {
    match kind {
        ProxyKind::Defaults => registry::D,
        ProxyKind::Frontend => registry::F,
        ProxyKind::Backend => registry::B,
        ProxyKind::Listen => registry::L,
    }
}

fn texts(words: &[Word]) -> Vec<String> {
    words.iter().map(|w| w.text.clone()).collect()
}

impl Builder<'_> {
    pub(super) fn proxy_line(&mut self, p: &mut Proxy, line: &Line) {
        let place = p.kind.keyword();
        let Some((kw, a, negated)) =
            self.resolve(registry::PROXY, line, section_bit(p.kind), place)
        else {
            return;
        };
        if let Status::Legacy(modern) = kw.status {
            self.legacy(p, line, kw.name, modern, a);
            return;
        }
        let rest = &line.words[a.min(line.words.len())..];
        let is_option = line.words.iter().take(2).any(|w| w.text == "option");
        if is_option {
            self.option(p, line, kw.name, a, negated);
            return;
        }
        match kw.name {
            "mode" => match line.word(a) {
                Some("http") => {
                    p.mode = Mode::Http;
                    p.mode_span = Some(line.span());
                }
                Some("tcp") => {
                    p.mode = Mode::Tcp;
                    p.mode_span = Some(line.span());
                }
                Some("health") => self.diags.push(
                    Diagnostic::error(codes::BAD_VALUE, "`mode health` was removed in HAProxy 2.4")
                        .at(line.span())
                        .help("use `monitor-uri` in an http frontend instead"),
                ),
                Some(other) => {
                    let mut d =
                        Diagnostic::error(codes::BAD_VALUE, format!("unknown mode `{other}`"))
                            .at(line.words[a].span)
                            .label("expected http or tcp");
                    if let Some(s) = conf_diag::did_you_mean(other, ["http", "tcp"]) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    self.diags.push(d);
                }
                None => {
                    self.arg(line, a, "http or tcp", "mode");
                }
            },
            "bind" => self.bind(p, line, a),
            "maxconn" => p.maxconn = self.uint(line, a, "maxconn"),
            "fullconn" => p.fullconn = self.uint(line, a, "fullconn"),
            "backlog" => p.backlog = self.uint(line, a, "backlog"),
            k if k.starts_with("timeout ") => {
                let v = self.time(line, a, k);
                let t = &mut p.timeouts;
                let slot = match k {
                    "timeout client" => &mut t.client,
                    "timeout server" => &mut t.server,
                    "timeout connect" => &mut t.connect,
                    "timeout http-request" => &mut t.http_request,
                    "timeout http-keep-alive" => &mut t.http_keep_alive,
                    "timeout queue" => &mut t.queue,
                    "timeout tunnel" => &mut t.tunnel,
                    "timeout client-fin" => &mut t.client_fin,
                    "timeout server-fin" => &mut t.server_fin,
                    "timeout check" => &mut t.check,
                    _ => &mut t.tarpit,
                };
                if v.is_some() {
                    *slot = v;
                }
            }
            "retries" => {
                if let Some(v) = self.uint(line, a, "retries") {
                    p.retries = v as u32;
                }
            }
            "balance" => self.balance(p, line, a),
            "hash-type" => p.hash_type = Some(texts(rest).join(" ")),
            "server" => self.server(p, line, a),
            "default-server" => {
                let mut opts = p.default_server.clone();
                self.server_options(&mut opts, line, a);
                p.default_server = opts;
            }
            "acl" => self.acl(p, line, a),
            "use_backend" => {
                let (before, cond) = condition::split(rest, self.diags);
                if let Some(extra) = before.get(1) {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("unexpected `{}` after the backend name", extra.text),
                        )
                        .at(extra.span)
                        .help(
                            "only `if` or `unless` may follow: `use_backend NAME if <condition>`",
                        ),
                    );
                    return;
                }
                match before.first() {
                    Some(b) => p.use_backends.push(UseBackend {
                        backend: b.text.clone(),
                        cond,
                        span: b.span,
                    }),
                    None => {
                        self.arg(line, a, "a backend name", "use_backend");
                    }
                }
            }
            "default_backend" => {
                if let Some(b) = self.arg(line, a, "a backend name", "default_backend") {
                    p.default_backend = Some(b.text.clone());
                    p.default_backend_span = Some(b.span);
                }
            }
            "http-request" | "http-response" | "http-after-response" => {
                let kind = match kw.name {
                    "http-request" => RuleKind::HttpRequest,
                    "http-response" => RuleKind::HttpResponse,
                    _ => RuleKind::HttpAfterResponse,
                };
                self.rule(p, line, a, kind, registry::HTTP_ACTIONS);
            }
            "tcp-request" => self.tcp_request(p, line, a),
            "tcp-response" => {
                if line.word(a) == Some("inspect-delay") {
                    let _ = self.time(line, a + 1, "tcp-response inspect-delay");
                } else if line.word(a) == Some("content") {
                    self.rule(
                        p,
                        line,
                        a + 1,
                        RuleKind::TcpResponseContent,
                        registry::TCP_ACTIONS,
                    );
                } else {
                    self.arg(line, a, "`content` or `inspect-delay`", "tcp-response");
                }
            }
            "redirect" => self.redirect(p, line, a),
            k if k.starts_with("stats ") => self.stats(p, line, k, a),
            "stick-table" => self.stick_table(p, line, a),
            k if k.starts_with("stick ") => {
                let (before, cond) = condition::split(rest, self.diags);
                let Some(pattern) = before.first() else {
                    self.arg(line, a, "a sample expression", k);
                    return;
                };
                let table = before
                    .iter()
                    .position(|w| w.text == "table")
                    .and_then(|i| before.get(i + 1))
                    .map(|w| w.text.clone());
                p.stick_rules.push(StickRule {
                    kind: k.trim_start_matches("stick ").to_string(),
                    pattern: pattern.text.clone(),
                    table,
                    cond,
                });
            }
            "cookie" => {
                const COOKIE_OPTS: &[(&str, bool)] = &[
                    ("rewrite", false),
                    ("insert", false),
                    ("prefix", false),
                    ("indirect", false),
                    ("nocache", false),
                    ("postonly", false),
                    ("preserve", false),
                    ("httponly", false),
                    ("secure", false),
                    ("domain", true),
                    ("maxidle", true),
                    ("maxlife", true),
                    ("dynamic", false),
                    ("attr", true),
                ];
                let mut i = a + 1;
                while let Some(w) = line.words.get(i) {
                    match COOKIE_OPTS.iter().find(|(n, _)| *n == w.text) {
                        Some((_, takes)) => i += if *takes { 2 } else { 1 },
                        None => {
                            let mut d = Diagnostic::error(
                                codes::BAD_VALUE,
                                format!("unknown cookie option `{}`", w.text),
                            )
                            .at(w.span)
                            .label("unknown option");
                            d = match conf_diag::did_you_mean(&w.text, COOKIE_OPTS.iter().map(|(n, _)| *n)) {
                                Some(s) => d.help(format!("did you mean `{s}`?")),
                                None => d.help("options: rewrite, insert, prefix, indirect, nocache, postonly, preserve, httponly, secure, domain, maxidle, maxlife, dynamic, attr"),
                            };
                            self.diags.push(d);
                            return;
                        }
                    }
                }
                if let Some(n) = self.arg(line, a, "a cookie name", "cookie") {
                    p.cookie = Some(Cookie {
                        name: n.text.clone(),
                        options: texts(&rest[1..]),
                    });
                }
            }
            "errorfile" => {
                let code = self.uint(line, a, "errorfile");
                let file = self
                    .arg(line, a + 1, "a file", "errorfile")
                    .map(|w| w.text.clone());
                if let (Some(c), Some(f)) = (code, file) {
                    if !matches!(
                        c,
                        200 | 400
                            | 401
                            | 403
                            | 404
                            | 405
                            | 407
                            | 408
                            | 410
                            | 413
                            | 425
                            | 429
                            | 500
                            | 501
                            | 502
                            | 503
                            | 504
                    ) {
                        self.diags.push(
                            Diagnostic::error(codes::BAD_VALUE, format!("HAProxy has no error page for status {c}"))
                                .at(line.words[a].span)
                                .help("errorfile works for 200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503 and 504"),
                        );
                    }
                    p.errorfiles.push(ErrorFile {
                        status: c as u16,
                        file: f,
                        span: line.span(),
                    });
                }
            }
            "errorfiles" => {
                if let Some(n) = self.arg(line, a, "an http-errors section name", "errorfiles") {
                    p.errorfiles_groups.push(n.text.clone());
                }
            }
            "log" => {
                if negated {
                    p.log.clear();
                } else if let Some(t) = self.log_target(line, a) {
                    p.log.push(t);
                }
            }
            "log-format" => {
                let fmt = texts(rest).join(" ");
                for bad in crate::samples::unknown_log_aliases(&fmt) {
                    self.diags.push(
                        Diagnostic::error(codes::BAD_VALUE, format!("log-format: no variable `%{bad}`"))
                            .at(line.span_from(a))
                            .help("see the log-format variables (%ci, %ft, %b, %s, %Tr, %ST...); write `%%` for a literal `%`"),
                    );
                }
                p.log_format = Some(fmt);
            }
            "monitor-uri" => {
                p.monitor_uri = self
                    .arg(line, a, "a URI", "monitor-uri")
                    .map(|w| w.text.clone())
            }
            "http-check" => {
                if let Some(d) = self.arg(line, a, "a directive", "http-check") {
                    let directive = d.text.clone();
                    if !matches!(
                        directive.as_str(),
                        "expect"
                            | "send"
                            | "connect"
                            | "disable-on-404"
                            | "send-state"
                            | "comment"
                            | "set-var"
                            | "unset-var"
                    ) {
                        self.unknown(
                            Some(d),
                            &directive,
                            [
                                "expect",
                                "send",
                                "connect",
                                "disable-on-404",
                                "send-state",
                                "comment",
                                "set-var",
                                "unset-var",
                            ]
                            .into_iter(),
                            "http-check",
                        );
                        return;
                    }
                    if directive == "expect" {
                        let kinds = [
                            "min-recv",
                            "string",
                            "rstring",
                            "string-lf",
                            "status",
                            "rstatus",
                            "hdr",
                            "fhdr",
                            "comment",
                        ];
                        let mut j = a + 1;
                        while line.word(j).is_some_and(|w| {
                            matches!(
                                w,
                                "min-recv"
                                    | "comment"
                                    | "ok-status"
                                    | "error-status"
                                    | "tout-status"
                                    | "on-success"
                                    | "on-error"
                                    | "status-code"
                            )
                        }) {
                            j += 2;
                        }
                        if line.word(j) == Some("!") {
                            j += 1;
                        }
                        if let Some(kw) = line.words.get(j) {
                            let k = kw.text.trim_start_matches('!');
                            if !kinds.contains(&k) {
                                let mut d = Diagnostic::error(
                                    codes::BAD_VALUE,
                                    format!("`http-check expect`: unknown match `{}`", kw.text),
                                )
                                .at(kw.span);
                                d = match conf_diag::did_you_mean(k, kinds) {
                                    Some(s) => d.help(format!("did you mean `{s}`?")),
                                    None => d.help("use status, rstatus, string, rstring, hdr or fhdr (with `!` to negate)"),
                                };
                                self.diags.push(d);
                                return;
                            }
                        }
                    }
                    p.http_checks.push(HttpCheck {
                        directive,
                        args: texts(&rest[1..]),
                    });
                }
            }
            "tcp-check" => {
                if let Some(d) = self.arg(line, a, "a directive", "tcp-check") {
                    p.tcp_checks.push(HttpCheck {
                        directive: d.text.clone(),
                        args: texts(&rest[1..]),
                    });
                }
            }
            k if k.starts_with("email-alert ") => {
                let v = self.arg(line, a, "a value", k).map(|w| w.text.clone());
                let e = &mut p.email_alert;
                match k {
                    "email-alert mailers" => e.mailers = v,
                    "email-alert from" => e.from = v,
                    "email-alert to" => e.to = v,
                    "email-alert level" => e.level = v,
                    _ => e.myhostname = v,
                }
            }
            k if k.starts_with("capture ") => {
                let mut v = vec![k.to_string()];
                v.extend(texts(rest));
                p.capture.push(v);
            }
            "unique-id-format" => p.unique_id_format = Some(texts(rest).join(" ")),
            "disabled" => p.disabled = true,
            "enabled" => p.disabled = false,
            other => p.other.push((other.to_string(), texts(rest))),
        }
    }

    fn option(&mut self, p: &mut Proxy, line: &Line, name: &str, a: usize, negated: bool) {
        let args: Vec<String> = texts(&line.words[a.min(line.words.len())..]);
        if name == "httpchk" && !negated {
            p.httpchk = Some(httpchk(&args));
        }
        if name == "httpchk" && negated {
            p.httpchk = None;
        }
        // The connection-mode options exclude each other: the last one wins.
        if !negated && matches!(name, "httpclose" | "http-server-close" | "http-keep-alive") {
            for other in ["httpclose", "http-server-close", "http-keep-alive"] {
                p.options.remove(other);
            }
        }
        p.options.insert(
            name.to_string(),
            OptionSetting {
                enabled: !negated,
                args,
            },
        );
    }

    fn balance(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        let Some(alg) = line.words.get(a) else {
            self.diags.push(
                Diagnostic::warning(
                    codes::MISSING_ARG,
                    "`balance` without an algorithm: roundrobin is used",
                )
                .at(line.span())
                .help("write `balance roundrobin` (or another algorithm)"),
            );
            return;
        };
        let args: Vec<String> = texts(&line.words[a + 1..]);
        let text = alg.text.as_str();
        p.balance = match text {
            "roundrobin" => Balance::Roundrobin,
            "static-rr" => Balance::StaticRr,
            "leastconn" => Balance::Leastconn,
            "first" => Balance::First,
            "source" => Balance::Source,
            "uri" => Balance::Uri { args },
            "url_param" => match args.split_first() {
                Some((param, rest)) => Balance::UrlParam {
                    param: param.clone(),
                    args: rest.to_vec(),
                },
                None => {
                    self.arg(line, a + 1, "a parameter name", "balance url_param");
                    return;
                }
            },
            "random" => Balance::Random { draws: 2 },
            t if t.starts_with("random(") => Balance::Random {
                draws: t
                    .trim_start_matches("random(")
                    .trim_end_matches(')')
                    .parse()
                    .unwrap_or(2),
            },
            t if t.starts_with("hdr(") && t.ends_with(')') => Balance::Hdr {
                name: t[4..t.len() - 1].to_string(),
                use_domain_only: args.iter().any(|x| x == "use_domain_only"),
            },
            t if t.starts_with("rdp-cookie") => Balance::RdpCookie {
                cookie: t
                    .strip_prefix("rdp-cookie(")
                    .map(|c| c.trim_end_matches(')').to_string()),
            },
            "hash" => Balance::Hash {
                expr: args.join(" "),
            },
            other => {
                let algs = [
                    "roundrobin",
                    "static-rr",
                    "leastconn",
                    "first",
                    "source",
                    "uri",
                    "url_param",
                    "hdr(",
                    "random",
                    "rdp-cookie",
                    "hash",
                ];
                let mut d = Diagnostic::error(
                    codes::BAD_VALUE,
                    format!("unknown balance algorithm `{other}`"),
                )
                .at(alg.span)
                .label("unknown algorithm");
                d = match conf_diag::did_you_mean(other, algs) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help("use roundrobin, static-rr, leastconn, first, source, uri, url_param, hdr(NAME), random or hash"),
                };
                self.diags.push(d);
                return;
            }
        };
    }

    fn acl(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        let Some(name) = self.arg(line, a, "a name", "acl") else {
            return;
        };
        let Some(fetch) = self.arg(line, a + 1, "a fetch (criterion)", "acl") else {
            return;
        };
        if !name
            .text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
        {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_VALUE,
                    format!("invalid ACL name `{}`", name.text),
                )
                .at(name.span)
                .help("ACL names use letters, digits, `_`, `-`, `.` and `:`"),
            );
            return;
        }
        if !crate::samples::is_known_fetch(&fetch.text) {
            let mut d = Diagnostic::error(
                codes::BAD_VALUE,
                format!("ACL `{}`: unknown fetch `{}`", name.text, fetch.text),
            )
            .at(fetch.span)
            .label("unknown fetch");
            if let Some(s) = conf_diag::did_you_mean(&fetch.text, crate::samples::fetch_names()) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            self.diags.push(d);
            return;
        }
        let (flags, patterns) = condition::split_flags(&line.words[a + 2..]);
        p.acls.push(Acl {
            name: name.text.clone(),
            fetch: fetch.text.clone(),
            flags,
            patterns,
            span: line.span(),
        });
    }

    fn rule(&mut self, p: &mut Proxy, line: &Line, a: usize, kind: RuleKind, actions: &[&str]) {
        let rest = &line.words[a.min(line.words.len())..];
        let (before, cond) = condition::split(rest, self.diags);
        let Some(action) = before.first() else {
            self.arg(line, a, "an action", "rule");
            return;
        };
        // `set-var(txn.x)` and friends carry their argument in parentheses.
        let base = action.text.split('(').next().unwrap_or("");
        if !actions.contains(&base) {
            let mut d = Diagnostic::error(
                codes::REFUSED,
                format!("unknown or unsupported action `{}`", action.text),
            )
            .at(action.span)
            .label("not supported");
            d = match conf_diag::did_you_mean(base, actions.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help("proxyd does not ignore rules it cannot apply; remove it or keep this proxy on HAProxy for now"),
            };
            self.diags.push(d);
            return;
        }
        let nargs = before.len() - 1;
        let arity: Option<(usize, usize)> = match base {
            "set-header" | "add-header" => Some((2, 2)),
            "del-header" => Some((1, 3)),
            "replace-header" | "replace-value" => Some((3, 3)),
            "set-path" | "set-pathq" | "set-uri" | "set-query" | "set-method" | "set-src"
            | "set-dst" | "set-dst-port" => Some((1, 1)),
            "replace-path" | "replace-pathq" | "replace-uri" => Some((2, 2)),
            "set-status" => Some((1, 3)),
            "redirect" => Some((2, usize::MAX)),
            _ => None,
        };
        if let Some((lo, hi)) = arity {
            if nargs < lo || nargs > hi {
                let want = if lo == hi {
                    format!("exactly {lo}")
                } else if hi == usize::MAX {
                    format!("at least {lo}")
                } else {
                    format!("{lo} to {hi}")
                };
                self.diags.push(
                    Diagnostic::error(
                        codes::MISSING_ARG,
                        format!(
                            "`{}` expects {want} argument{}, found {nargs}",
                            action.text,
                            if lo == 1 && hi == 1 { "" } else { "s" }
                        ),
                    )
                    .at(line.span())
                    .help(match base {
                        "set-header" | "add-header" => format!(
                            "write `{} NAME VALUE` (quote a value with spaces)",
                            action.text
                        ),
                        _ => "check the action's arguments".to_string(),
                    }),
                );
                return;
            }
        }
        p.rules.push(Rule {
            kind,
            action: action.text.clone(),
            args: texts(&before[1..]),
            cond,
            span: line.span(),
        });
    }

    fn tcp_request(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        match line.word(a) {
            Some("inspect-delay") => {
                p.inspect_delay_ms = self.time(line, a + 1, "tcp-request inspect-delay")
            }
            Some("connection") => self.rule(
                p,
                line,
                a + 1,
                RuleKind::TcpRequestConnection,
                registry::TCP_ACTIONS,
            ),
            Some("session") => self.rule(
                p,
                line,
                a + 1,
                RuleKind::TcpRequestSession,
                registry::TCP_ACTIONS,
            ),
            Some("content") => self.rule(
                p,
                line,
                a + 1,
                RuleKind::TcpRequestContent,
                registry::TCP_ACTIONS,
            ),
            Some(other) => {
                let other = other.to_string();
                self.unknown(
                    line.words.get(a),
                    &other,
                    ["connection", "session", "content", "inspect-delay"].into_iter(),
                    "tcp-request",
                );
            }
            None => {
                self.arg(
                    line,
                    a,
                    "connection, session, content or inspect-delay",
                    "tcp-request",
                );
            }
        }
    }

    fn redirect(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        let rest = &line.words[a.min(line.words.len())..];
        let (before, cond) = condition::split(rest, self.diags);
        let Some(kind) = before.first() else {
            self.arg(line, a, "location, prefix or scheme", "redirect");
            return;
        };
        if !matches!(kind.text.as_str(), "location" | "prefix" | "scheme") {
            let mut d = Diagnostic::error(
                codes::BAD_VALUE,
                format!("unknown redirect type `{}`", kind.text),
            )
            .at(kind.span);
            if let Some(s) = conf_diag::did_you_mean(&kind.text, ["location", "prefix", "scheme"]) {
                d = d.help(format!("did you mean `{s}`?"));
            } else {
                d = d.help("use `redirect location|prefix|scheme <target> [code N]`");
            }
            self.diags.push(d);
            return;
        }
        if before.len() < 2 {
            self.arg(line, a + 1, "a target", "redirect");
            return;
        }
        if let Some(i) = before.iter().position(|w| w.text == "code") {
            match before.get(i + 1).map(|w| w.text.as_str()) {
                Some("301" | "302" | "303" | "307" | "308") => {}
                other => self.diags.push(
                    Diagnostic::error(
                        codes::BAD_VALUE,
                        format!("invalid redirect code `{}`", other.unwrap_or("")),
                    )
                    .at(before[i].span)
                    .help("use 301, 302, 303, 307 or 308"),
                ),
            }
        }
        p.rules.push(Rule {
            kind: RuleKind::Redirect,
            action: kind.text.clone(),
            args: texts(&before[1..]),
            cond,
            span: line.span(),
        });
    }

    fn stats(&mut self, p: &mut Proxy, line: &Line, k: &str, a: usize) {
        let st = &mut p.stats;
        st.span.get_or_insert(line.span());
        let val = line.word(a).map(str::to_string);
        match k {
            "stats enable" => st.enabled = true,
            "stats uri" => {
                st.enabled = true;
                match val {
                    Some(v) => st.uri = Some(v),
                    None => {
                        self.arg(line, a, "a URI", k);
                    }
                }
            }
            "stats realm" => {
                st.enabled = true;
                st.realm = val;
            }
            "stats auth" => {
                st.enabled = true;
                match val {
                    Some(v) if v.contains(':') => st.auth.push(v),
                    Some(v) => self.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("`stats auth {v}`: expected USER:PASSWORD"),
                        )
                        .at(line.words[a].span)
                        .help("write `stats auth admin:secret`"),
                    ),
                    None => {
                        self.arg(line, a, "USER:PASSWORD", k);
                    }
                }
            }
            "stats hide-version" => {
                st.enabled = true;
                st.hide_version = true;
            }
            "stats refresh" => {
                st.enabled = true;
                let t = self.time(line, a, k);
                p.stats.refresh_ms = t;
            }
            "stats admin" => {
                let rest = &line.words[a.min(line.words.len())..];
                let (_, cond) = condition::split(rest, self.diags);
                if cond.is_none() {
                    self.diags.push(
                        Diagnostic::error(codes::MISSING_ARG, "`stats admin` needs a condition")
                            .at(line.span())
                            .help("write e.g. `stats admin if LOCALHOST`"),
                    );
                }
                p.stats.admin = cond;
            }
            "stats show-legends" => st.show_legends = true,
            "stats show-node" => st.show_node = Some(val.unwrap_or_default()),
            "stats scope" => {
                if let Some(v) = val {
                    st.scope.push(v);
                }
            }
            _ => {}
        }
    }

    fn stick_table(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        let mut t = StickTable {
            table_type: String::new(),
            len: None,
            size: String::new(),
            expire_ms: None,
            peers: None,
            store: Vec::new(),
            nopurge: false,
        };
        let mut i = a;
        while let Some(w) = line.word(i) {
            let next = line.word(i + 1).map(str::to_string);
            match w {
                "type" => t.table_type = next.unwrap_or_default(),
                "len" => t.len = next.and_then(|v| v.parse().ok()),
                "size" => t.size = next.unwrap_or_default(),
                "expire" => {
                    t.expire_ms = self.time(line, i + 1, "stick-table expire");
                }
                "peers" => t.peers = next,
                "store" => {
                    t.store = next
                        .map(|s| s.split(',').map(str::to_string).collect())
                        .unwrap_or_default()
                }
                "nopurge" => {
                    t.nopurge = true;
                    i += 1;
                    continue;
                }
                other => {
                    let other = other.to_string();
                    self.unknown(
                        line.words.get(i),
                        &other,
                        ["type", "len", "size", "expire", "peers", "store", "nopurge"].into_iter(),
                        "stick-table",
                    );
                    return;
                }
            }
            i += 2;
        }
        if !matches!(
            t.table_type.as_str(),
            "ip" | "ipv6" | "integer" | "string" | "binary"
        ) {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_VALUE,
                    format!("stick-table type `{}` is not valid", t.table_type),
                )
                .at(line.span())
                .help("use `type ip|ipv6|integer|string [len N]|binary [len N]`"),
            );
        }
        if t.size.is_empty() {
            self.diags.push(
                Diagnostic::error(codes::MISSING_ARG, "stick-table needs a `size`")
                    .at(line.span())
                    .help("add e.g. `size 100k`"),
            );
        }
        p.stick_table = Some(t);
    }
}

/// `option httpchk [METHOD URI [VERSION]]`, including the old form that hides headers in
/// the version (`HTTP/1.1\r\nHost:\ www`).
fn httpchk(args: &[String]) -> HttpChk {
    let (method, uri, version) = match args {
        [] => (
            "OPTIONS".to_string(),
            "/".to_string(),
            "HTTP/1.0".to_string(),
        ),
        [uri] => ("OPTIONS".to_string(), uri.clone(), "HTTP/1.0".to_string()),
        [m, u] => (m.clone(), u.clone(), "HTTP/1.0".to_string()),
        [m, u, v, ..] => (m.clone(), u.clone(), v.clone()),
    };
    let mut parts = version.split("\r\n");
    let version_only = parts.next().unwrap_or("HTTP/1.0").to_string();
    let headers = parts
        .filter(|h| !h.is_empty())
        .filter_map(|h| h.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    HttpChk {
        method,
        uri,
        version: version_only,
        headers,
    }
}
