//! Lines of `defaults`, `frontend`, `backend` and `listen` sections.

use super::condition;
use super::rules::{HttpPhase, TcpPhase};
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

/// A routing rule's target as read: its name, the log-format it is when it has `%`, its
/// condition and where the name is.
type Target = (
    String,
    Option<crate::sample::fmt::Fmt>,
    Option<Condition>,
    conf_diag::Span,
);

impl Builder<'_> {
    /// `use_backend NAME [if|unless COND]` and `use-server NAME [if|unless COND]`.
    fn target_rule(
        &mut self,
        line: &Line,
        a: usize,
        rest: &[Word],
        what: &str,
        kw: &str,
    ) -> Option<Target> {
        let (before, cond) = condition::split(rest, self.diags);
        if let Some(extra) = before.get(1) {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_VALUE,
                    format!("unexpected `{}` after the {what} name", extra.text),
                )
                .at(extra.span)
                .help(format!(
                    "only `if` or `unless` may follow: `{kw} NAME if <condition>`"
                )),
            );
            return None;
        }
        let Some(b) = before.first() else {
            self.arg(line, a, &format!("a {what} name"), kw);
            return None;
        };
        let dynamic = if b.text.contains('%') {
            match crate::sample::fmt::parse(&b.text) {
                Ok(f) => Some(f),
                Err(e) => {
                    self.diags.push(super::condition::sample_diag(e, b.span));
                    return None;
                }
            }
        } else {
            None
        };
        Some((b.text.clone(), dynamic, cond, b.span))
    }

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
            "id" => p.id = self.uint(line, a, "id"),
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
                    "timeout tarpit" => &mut t.tarpit,
                    other => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::REFUSED,
                                format!("`{other}` is not run by proxyd yet"),
                            )
                            .at(line.span()),
                        );
                        return;
                    }
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
            "server" => self.server(p, line, a),
            "default-server" => {
                let mut opts = p.default_server.clone();
                self.server_options(&mut opts, line, a, true);
                p.default_server = opts;
            }
            "acl" => self.acl(p, line, a),
            "use_backend" => {
                if let Some((backend, dynamic, cond, span)) =
                    self.target_rule(line, a, rest, "backend", "use_backend")
                {
                    p.use_backends.push(UseBackend {
                        backend,
                        dynamic,
                        cond,
                        span,
                    });
                }
            }
            "use-server" => {
                if let Some((server, dynamic, cond, span)) =
                    self.target_rule(line, a, rest, "server", "use-server")
                {
                    p.use_servers.push(UseServer {
                        server,
                        dynamic,
                        cond,
                        span,
                    });
                }
            }
            "default_backend" => {
                if let Some(b) = self.arg(line, a, "a backend name", "default_backend") {
                    p.default_backend = Some(b.text.clone());
                    p.default_backend_span = Some(b.span);
                }
            }
            "http-request"
            | "http-response"
            | "http-after-response"
            | "tcp-request"
            | "tcp-response"
                if p.kind == ProxyKind::Defaults && p.name.is_empty() =>
            {
                self.diags.push(
                    Diagnostic::error(
                        codes::WRONG_SECTION,
                        format!("`{}` is not allowed in an anonymous defaults section", kw.name),
                    )
                    .at(line.span())
                    .help("name the section (`defaults NAME`) and use it with `from NAME`, or move the rule to the proxies"),
                );
            }
            "http-request" => self.http_rule(p, line, a, HttpPhase::Request),
            "http-response" => self.http_rule(p, line, a, HttpPhase::Response),
            "http-after-response" => self.http_rule(p, line, a, HttpPhase::After),
            "tcp-request" => self.tcp_request(p, line, a),
            "tcp-response" => {
                if line.word(a) == Some("inspect-delay") {
                    p.response_inspect_delay_ms =
                        self.time(line, a + 1, "tcp-response inspect-delay");
                } else if line.word(a) == Some("content") {
                    self.tcp_rule(p, line, a + 1, TcpPhase::Response);
                } else {
                    self.arg(line, a, "`content` or `inspect-delay`", "tcp-response");
                }
            }
            "redirect" => self.redirect_rule(p, line, a),
            "monitor fail" => self.monitor_fail(p, line, a),
            k if k.starts_with("stats ") => self.stats(p, line, k, a),
            "compression" => self.compression(p, line, a),
            "stick-table" => self.stick_table(p, line, a),
            k if k.starts_with("stick ") => self.stick_rule(p, line, k, a),
            "cookie" => self.cookie(p, line, a),
            "dynamic-cookie-key" => {
                p.dynamic_cookie_key = self
                    .arg(line, a, "a secret key", "dynamic-cookie-key")
                    .map(|w| w.text.clone())
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
                        page: ErrorPage::File(f),
                        span: line.span(),
                    });
                }
            }
            "errorfiles" => {
                if let Some(n) = self.arg(line, a, "an http-errors section name", "errorfiles") {
                    if let Some(codes) = line.words.get(a + 1..) {
                        if !codes.is_empty() {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::REFUSED,
                                    "`errorfiles NAME CODE...` (a subset of the pages) is not run by proxyd yet",
                                )
                                .at(codes[0].span.to(codes[codes.len() - 1].span))
                                .label("not supported by proxyd yet")
                                .help("write `errorfiles NAME` to use every page of the section"),
                            );
                            return;
                        }
                    }
                    p.errorfiles_groups.push((n.text.clone(), line.span()));
                }
            }
            "errorloc" | "errorloc302" | "errorloc303" => {
                let code = self.uint(line, a, kw.name);
                let url = self
                    .arg(line, a + 1, "a URL", kw.name)
                    .map(|w| w.text.clone());
                if let (Some(c), Some(url)) = (code, url) {
                    p.errorfiles.push(ErrorFile {
                        status: c.min(999) as u16,
                        page: ErrorPage::Location {
                            code: if kw.name == "errorloc303" { 303 } else { 302 },
                            url,
                        },
                        span: line.span(),
                    });
                }
            }
            "http-error" => self.http_error(p, line, a),
            "log" => {
                if negated {
                    p.log.clear();
                } else if let Some(t) = self.log_target(line, a) {
                    p.log.push(t);
                }
            }
            "log-format" | "error-log-format" => {
                let text = texts(rest).join(" ");
                match crate::sample::fmt::parse(&text) {
                    Ok(f) if kw.name == "log-format" => {
                        p.log_format = Some(text);
                        p.log_style = Some(crate::logging::LogStyle::Custom(f));
                        p.log_format_span = Some(line.span());
                    }
                    Ok(f) => p.error_log_format = Some(f),
                    Err(e) => self
                        .diags
                        .push(super::condition::sample_diag(e, line.span_from(a))),
                }
            }
            "log-tag" => {
                p.log_tag = self
                    .arg(line, a, "a tag", "log-tag")
                    .map(|w| w.text.clone())
            }
            "monitor-uri" => {
                p.monitor_uri = self
                    .arg(line, a, "a URI", "monitor-uri")
                    .map(|w| w.text.clone())
            }
            "http-check" => self.http_check(p, line, a),
            "tcp-check" => self.tcp_check(p, line, a),
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
                self.capture(p, line, a, k);
            }
            "unique-id-format" => {
                let text = texts(rest).join(" ");
                match crate::sample::fmt::parse(&text) {
                    Ok(f) => p.unique_id_format = Some(f),
                    Err(e) => self
                        .diags
                        .push(super::condition::sample_diag(e, line.span())),
                }
            }
            "unique-id-header" => {
                if let Some(w) = self.arg(line, a, "a header name", "unique-id-header") {
                    p.unique_id_header = Some(w.text.clone());
                }
            }
            "disabled" => p.disabled = true,
            "enabled" => p.disabled = false,
            "source" => {
                if let Some(w) = self.arg(line, a, "an address", "source") {
                    if let Some(extra) = line.words.get(a + 1) {
                        self.diags.push(
                            Diagnostic::error(
                                codes::REFUSED,
                                format!("`source ... {}` is not run by proxyd yet", extra.text),
                            )
                            .at(extra.span)
                            .label("not supported by proxyd yet")
                            .help("proxyd binds the source address only (`source ADDR[:PORT]`); transparent `usesrc` and `interface` are not run"),
                        );
                    } else if source_addr(&w.text).is_none() {
                        self.diags.push(
                            Diagnostic::error(
                                codes::BAD_ADDRESS,
                                format!("`source {}`: not an address", w.text),
                            )
                            .at(w.span)
                            .help("write `source ADDR[:PORT]`"),
                        );
                    } else {
                        // For every server without a source of its own, also those
                        // declared above this line (HAProxy applies it to the proxy).
                        for s in p.servers.iter_mut().filter(|s| s.opts.source.is_none()) {
                            s.opts.source = Some(w.text.clone());
                        }
                        p.default_server.source = Some(w.text.clone());
                    }
                }
            }
            "filter" => self.filter(line, a),
            "retry-on" => self.retry_on(p, line, a),
            "clitcpka-cnt" | "srvtcpka-cnt" => {
                let v = self.uint(line, a, kw.name).map(|v| v.min(255) as u32);
                let ka = if kw.name.starts_with("cli") {
                    &mut p.clitcpka
                } else {
                    &mut p.srvtcpka
                };
                ka.cnt = v;
            }
            "clitcpka-idle" | "clitcpka-intvl" | "srvtcpka-idle" | "srvtcpka-intvl" => {
                let v = self.time(line, a, kw.name);
                let ka = if kw.name.starts_with("cli") {
                    &mut p.clitcpka
                } else {
                    &mut p.srvtcpka
                };
                if kw.name.ends_with("idle") {
                    ka.idle_ms = v;
                } else {
                    ka.intvl_ms = v;
                }
            }
            "hash-type" => self.hash_type(p, line, a),
            "load-server-state-from-file" => {
                let modes = ["global", "local", "none"];
                match line.word(a) {
                    Some(w) if modes.contains(&w) => {
                        p.load_server_state = Some(match w {
                            "global" => LoadServerState::Global,
                            "local" => LoadServerState::Local,
                            _ => LoadServerState::None,
                        })
                    }
                    Some(other) => {
                        let other = other.to_string();
                        self.unknown(
                            line.words.get(a),
                            &other,
                            modes.into_iter(),
                            "load-server-state-from-file",
                        );
                    }
                    None => {
                        self.arg(
                            line,
                            a,
                            "global, local or none",
                            "load-server-state-from-file",
                        );
                    }
                }
            }
            // No file, or `use-backend-name`: the backend's name.
            "server-state-file-name" => {
                p.server_state_file_name = line
                    .word(a)
                    .filter(|w| *w != "use-backend-name")
                    .map(str::to_string);
            }
            "http-reuse" => {
                let modes = ["never", "safe", "aggressive", "always"];
                match line.word(a) {
                    Some(w) if modes.contains(&w) => {
                        p.http_reuse = match w {
                            "never" => HttpReuse::Never,
                            "aggressive" => HttpReuse::Aggressive,
                            "always" => HttpReuse::Always,
                            _ => HttpReuse::Safe,
                        }
                    }
                    Some(other) => {
                        let other = other.to_string();
                        self.unknown(line.words.get(a), &other, modes.into_iter(), "http-reuse");
                    }
                    None => {
                        self.arg(line, a, "never, safe, aggressive or always", "http-reuse");
                    }
                }
            }
            // Keywords ignored with a warning (said by `resolve`): nothing to keep.
            _ => {}
        }
    }

    fn option(&mut self, p: &mut Proxy, line: &Line, name: &str, a: usize, negated: bool) {
        let args = &line.words[a.min(line.words.len())..];
        let no_args = |me: &mut Self| -> bool {
            if let Some(w) = args.first() {
                me.diags.push(
                    Diagnostic::error(
                        codes::EXTRA_ARGS,
                        format!("`option {name}` takes no argument, found `{}`", w.text),
                    )
                    .at(w.span)
                    .label("unexpected")
                    .help("remove the extra words"),
                );
                false
            } else {
                true
            }
        };
        if negated && !no_args(self) {
            return;
        }
        match name {
            "httpchk" if !negated => {
                let words: Vec<String> = texts(args);
                p.httpchk = Some(httpchk(&words));
            }
            "httpchk" => p.httpchk = None,
            "forwardfor" | "originalto" if !negated => {
                let Some(h) = self.addr_header(name, args) else {
                    return;
                };
                if name == "forwardfor" {
                    p.forwardfor = Some(h);
                } else {
                    p.originalto = Some(h);
                }
            }
            "forwardfor" => p.forwardfor = None,
            "originalto" => p.originalto = None,
            "http-restrict-req-hdr-names" if !negated => {
                match args.first().map(|w| w.text.as_str()) {
                    Some("preserve") => p.restrict_req_hdr_names = None,
                    Some("delete") => p.restrict_req_hdr_names = Some(false),
                    Some("reject") => p.restrict_req_hdr_names = Some(true),
                    _ => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::BAD_VALUE,
                                "`option http-restrict-req-hdr-names` expects preserve, delete or reject",
                            )
                            .at(line.span()),
                        );
                        return;
                    }
                }
            }
            "redispatch" | "httplog" | "tcp-check" | "ssl-hello-chk" if !negated => {
                // `redispatch [interval]` and `httplog [clf]` take an optional word.
                let allowed = match name {
                    "redispatch" => args
                        .first()
                        .is_none_or(|w| w.text.trim_start_matches('-').parse::<u32>().is_ok()),
                    "httplog" => args.first().is_none_or(|w| w.text == "clf"),
                    _ => args.is_empty(),
                };
                if let (false, Some(w)) = (allowed, args.first()) {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("`option {name}`: unexpected `{}`", w.text),
                        )
                        .at(w.span),
                    );
                    return;
                }
                if name == "redispatch"
                    && args
                        .first()
                        .is_some_and(|w| w.text != "1" && w.text != "-1")
                {
                    self.diags.push(
                        Diagnostic::error(
                            codes::REFUSED,
                            "`option redispatch N` (every Nth retry) is not run by proxyd yet",
                        )
                        .at(line.span())
                        .label("not supported by proxyd yet")
                        .help("write `option redispatch` (on the last retry)"),
                    );
                    return;
                }
            }
            _ if !negated && !no_args(self) => return,
            _ => {}
        }
        // The connection-mode options exclude each other: the last one wins.
        if !negated && matches!(name, "httpclose" | "http-server-close" | "http-keep-alive") {
            for other in ["httpclose", "http-server-close", "http-keep-alive"] {
                p.options.remove(other);
            }
        }
        // The log formats replace each other (and `log-format`): the last one wins.
        use crate::logging::LogStyle;
        let style = match name {
            "httplog" => {
                let clf = args.first().is_some_and(|w| w.text == "clf");
                Some(if clf {
                    LogStyle::HttpClf
                } else {
                    LogStyle::Http
                })
            }
            "httpslog" => Some(LogStyle::Https),
            "tcplog" => Some(LogStyle::Tcp),
            _ => None,
        };
        if let Some(style) = style {
            if !negated {
                p.log_style = Some(style);
            } else if p.log_style.as_ref().is_some_and(|s| {
                std::mem::discriminant(s) == std::mem::discriminant(&style)
                    || (name == "httplog" && matches!(s, LogStyle::HttpClf))
            }) {
                p.log_style = None;
            }
        }
        p.options.insert(name.to_string(), !negated);
    }

    /// `[except NET] [header NAME] [if-none]` of `option forwardfor` / `originalto`.
    fn addr_header(&mut self, name: &str, args: &[Word]) -> Option<AddrHeader> {
        let mut h = AddrHeader {
            header: if name == "forwardfor" {
                "X-Forwarded-For".into()
            } else {
                "X-Original-To".into()
            },
            except: None,
            if_none: false,
        };
        let mut i = 0;
        while let Some(w) = args.get(i) {
            match w.text.as_str() {
                "header" | "except" => {
                    let Some(v) = args.get(i + 1) else {
                        self.diags.push(
                            Diagnostic::error(
                                codes::MISSING_ARG,
                                format!("`option {name} {}` expects a value", w.text),
                            )
                            .at(w.span),
                        );
                        return None;
                    };
                    if w.text == "header" {
                        h.header = v.text.clone();
                    } else {
                        match crate::sample::patterns(
                            crate::sample::MatchMethod::Ip,
                            false,
                            std::slice::from_ref(&v.text),
                        ) {
                            Ok(pats) => {
                                if let Some(crate::sample::Pattern::Net(ip, len)) = pats.first() {
                                    h.except = Some((*ip, *len));
                                }
                            }
                            Err(e) => {
                                self.diags.push(condition::sample_diag(e, v.span));
                                return None;
                            }
                        }
                    }
                    i += 2;
                }
                "if-none" if name == "forwardfor" => {
                    h.if_none = true;
                    i += 1;
                }
                other => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("`option {name}`: unknown argument `{other}`"),
                        )
                        .at(w.span)
                        .help(if name == "forwardfor" {
                            "write `option forwardfor [except NET] [header NAME] [if-none]`"
                        } else {
                            "write `option originalto [except NET] [header NAME]`"
                        }),
                    );
                    return None;
                }
            }
        }
        Some(h)
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
        let args = &line.words[a + 1..];
        let text = alg.text.as_str();
        let refuse = |me: &mut Self, what: String| {
            me.diags.push(
                Diagnostic::error(codes::REFUSED, format!("{what} is not run by proxyd yet"))
                    .at(line.span())
                    .label("not supported by proxyd yet")
                    .help("HAProxy accepts it; keep this backend on HAProxy or pick another algorithm for now"),
            );
        };
        let no_more = |me: &mut Self, from: usize| -> bool {
            match args.get(from) {
                Some(w) => {
                    me.diags.push(
                        Diagnostic::error(
                            codes::EXTRA_ARGS,
                            format!("`balance {text}`: unexpected `{}`", w.text),
                        )
                        .at(w.span),
                    );
                    false
                }
                None => true,
            }
        };
        p.balance = match text {
            "roundrobin" | "static-rr" | "leastconn" | "first" | "source" => {
                if !no_more(self, 0) {
                    return;
                }
                match text {
                    "roundrobin" => Balance::Roundrobin,
                    "static-rr" => Balance::StaticRr,
                    "leastconn" => Balance::Leastconn,
                    "first" => Balance::First,
                    _ => Balance::Source,
                }
            }
            "uri" => {
                let (mut len, mut depth, mut whole, mut path_only) = (None, None, false, false);
                let mut i = 0;
                while let Some(w) = args.get(i) {
                    match w.text.as_str() {
                        "whole" => whole = true,
                        "path-only" => path_only = true,
                        "len" | "depth" => {
                            let v = args.get(i + 1).and_then(|v| v.text.parse::<u32>().ok());
                            let Some(v) = v else {
                                self.diags.push(
                                    Diagnostic::error(
                                        codes::MISSING_ARG,
                                        format!("`balance uri {}` expects a number", w.text),
                                    )
                                    .at(w.span),
                                );
                                return;
                            };
                            if w.text == "len" {
                                len = Some(v);
                            } else {
                                depth = Some(v);
                            }
                            i += 1;
                        }
                        other => {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::BAD_VALUE,
                                    format!("`balance uri`: unknown option `{other}`"),
                                )
                                .at(w.span)
                                .help("options: len N, depth N, whole, path-only"),
                            );
                            return;
                        }
                    }
                    i += 1;
                }
                Balance::Uri {
                    len,
                    depth,
                    whole,
                    path_only,
                }
            }
            "url_param" => {
                let Some(param) = args.first() else {
                    self.arg(line, a + 1, "a parameter name", "balance url_param");
                    return;
                };
                if let Some(w) = args.get(1) {
                    if w.text == "check_post" {
                        refuse(self, "`balance url_param ... check_post`".into());
                    } else {
                        no_more(self, 1);
                    }
                    return;
                }
                Balance::UrlParam {
                    param: param.text.clone(),
                }
            }
            "random" => {
                if !no_more(self, 0) {
                    return;
                }
                Balance::Random { draws: 2 }
            }
            t if t.starts_with("random(") => {
                let draws = t
                    .trim_start_matches("random(")
                    .strip_suffix(')')
                    .and_then(|d| d.parse::<u32>().ok())
                    .filter(|d| *d >= 1);
                let Some(draws) = draws else {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("`balance {t}`: expected random(N) with N at least 1"),
                        )
                        .at(alg.span),
                    );
                    return;
                };
                if !no_more(self, 0) {
                    return;
                }
                Balance::Random { draws }
            }
            t if t.starts_with("hdr(") && t.ends_with(')') && t.len() > 5 => {
                let use_domain_only = match args.first().map(|w| w.text.as_str()) {
                    None => false,
                    Some("use_domain_only") => true,
                    Some(_) => {
                        no_more(self, 0);
                        return;
                    }
                };
                if !no_more(self, usize::from(use_domain_only)) {
                    return;
                }
                Balance::Hdr {
                    name: t[4..t.len() - 1].to_ascii_lowercase(),
                    use_domain_only,
                }
            }
            t if t.starts_with("rdp-cookie") => {
                refuse(self, format!("`balance {t}`"));
                return;
            }
            "hash" => {
                refuse(self, "`balance hash EXPR`".into());
                return;
            }
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

    /// `hash-type map-based|consistent [sdbm|djb2|crc32|wt6] [avalanche]`.
    fn hash_type(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        let mut h = HashType::default();
        match line.word(a) {
            Some("map-based") => {}
            Some("consistent") => h.consistent = true,
            Some(other) => {
                let other = other.to_string();
                self.unknown(
                    line.words.get(a),
                    &other,
                    ["map-based", "consistent"].into_iter(),
                    "hash-type",
                );
                return;
            }
            None => {
                self.arg(line, a, "map-based or consistent", "hash-type");
                return;
            }
        }
        // HAProxy: consistent hashing without a function is sdbm with avalanche.
        let mut function_named = false;
        for w in &line.words[a + 1..] {
            match w.text.as_str() {
                "sdbm" | "djb2" | "crc32" => {
                    function_named = true;
                    h.function = match w.text.as_str() {
                        "djb2" => HashFunction::Djb2,
                        "crc32" => HashFunction::Crc32,
                        _ => HashFunction::Sdbm,
                    };
                }
                "avalanche" => h.avalanche = true,
                "wt6" => {
                    self.diags.push(
                        Diagnostic::error(codes::REFUSED, "hash function `wt6` is not run by proxyd yet")
                            .at(w.span)
                            .label("not supported by proxyd yet")
                            .help("use sdbm (the default), djb2 or crc32; another function would send each key to another server"),
                    );
                    return;
                }
                other => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("`hash-type`: unknown function or modifier `{other}`"),
                        )
                        .at(w.span)
                        .help("functions: sdbm, djb2, wt6, crc32; modifier: avalanche"),
                    );
                    return;
                }
            }
        }
        if h.consistent && !function_named {
            h.avalanche = true;
        }
        p.hash_type = h;
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
        if let Some(acl) = condition::typed_acl(
            &name.text,
            fetch,
            &line.words[a + 2..],
            line.span(),
            self.diags,
        ) {
            p.acls.push(acl);
        }
    }

    fn tcp_request(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        match line.word(a) {
            Some("inspect-delay") => {
                p.inspect_delay_ms = self.time(line, a + 1, "tcp-request inspect-delay")
            }
            Some("connection") => self.tcp_rule(p, line, a + 1, TcpPhase::Connection),
            Some("session") => self.tcp_rule(p, line, a + 1, TcpPhase::Session),
            Some("content") => self.tcp_rule(p, line, a + 1, TcpPhase::Content),
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

    /// `capture request header NAME len N`, `capture response header NAME len N`,
    /// `capture cookie NAME len N`.
    fn capture(&mut self, p: &mut Proxy, line: &Line, a: usize, kw: &str) {
        use crate::logging::Capture;
        let Some(name) = self.arg(line, a, "a name", kw).map(|w| w.text.clone()) else {
            return;
        };
        if line.word(a + 1) != Some("len") {
            self.arg(line, a + 1, "`len N`", kw);
            return;
        }
        let Some(len) = self.uint(line, a + 2, kw) else {
            return;
        };
        let len = u32::try_from(len).unwrap_or(u32::MAX);
        p.captures.push(match kw {
            "capture request header" => Capture::ReqHeader { name, len },
            "capture response header" => Capture::ResHeader { name, len },
            _ => Capture::Cookie { name, len },
        });
    }

    fn stick_table(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        let mut t = StickTable {
            table_type: TableType::Ip,
            len: None,
            size: 0,
            expire_ms: None,
            nopurge: false,
            store: Vec::new(),
            peers: None,
            peers_span: line.span(),
            span: line.span(),
        };
        let (mut have_type, mut have_size) = (false, false);
        let mut i = a;
        while let Some(w) = line.words.get(i) {
            let next = line.words.get(i + 1);
            if w.text != "nopurge" && next.is_none() {
                self.arg(line, i + 1, "a value", &format!("stick-table {}", w.text));
                return;
            }
            let v = next.map(|n| n.text.as_str()).unwrap_or("");
            match w.text.as_str() {
                "type" => {
                    have_type = true;
                    t.table_type = match v {
                        "ip" => TableType::Ip,
                        "ipv6" => TableType::Ipv6,
                        "integer" => TableType::Integer,
                        "string" => TableType::String,
                        "binary" => TableType::Binary,
                        other => {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::BAD_VALUE,
                                    format!("stick-table type `{other}` is not valid"),
                                )
                                .at(line.span())
                                .help("use `type ip|ipv6|integer|string [len N]|binary [len N]`"),
                            );
                            return;
                        }
                    };
                }
                "len" => t.len = self.uint(line, i + 1, "stick-table len"),
                "size" => {
                    have_size = true;
                    match crate::values::parse_size(v) {
                        Ok(n) => t.size = n,
                        Err(e) => {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::BAD_VALUE,
                                    format!("stick-table size: {e}"),
                                )
                                .at(line.words[i + 1].span)
                                .help("write e.g. `size 100k`"),
                            );
                            return;
                        }
                    }
                }
                "expire" => t.expire_ms = self.time(line, i + 1, "stick-table expire"),
                "peers" => match next {
                    // Checked against the `peers` sections once all are read.
                    Some(n) => {
                        t.peers = Some(n.text.clone());
                        t.peers_span = w.span.to(n.span);
                    }
                    None => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::MISSING_ARG,
                                "stick-table `peers` needs a section name",
                            )
                            .at(w.span)
                            .help("write `peers NAME`, NAME a `peers` section"),
                        );
                        return;
                    }
                },
                "store" => {
                    if !self.store_list(&mut t, &line.words[i + 1]) {
                        return;
                    }
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
        if !have_type {
            self.diags.push(
                Diagnostic::error(codes::MISSING_ARG, "stick-table needs a `type`")
                    .at(line.span())
                    .help("use `type ip|ipv6|integer|string [len N]|binary [len N]`"),
            );
            return;
        }
        if !have_size {
            self.diags.push(
                Diagnostic::error(codes::MISSING_ARG, "stick-table needs a `size`")
                    .at(line.span())
                    .help("add e.g. `size 100k`"),
            );
            return;
        }
        p.stick_table = Some(t);
    }

    /// `store a,b(period),...`: false after an error.
    fn store_list(&mut self, t: &mut StickTable, w: &Word) -> bool {
        for item in w.text.split(',').filter(|i| !i.is_empty()) {
            let (name, arg) = match item.split_once('(') {
                Some((n, rest)) => (n, Some(rest.trim_end_matches(')'))),
                None => (item, None),
            };
            let Some(kind) = StoreKind::named(name) else {
                let refused = matches!(
                    name,
                    "gpc" | "gpc_rate" | "gpt" | "server_key" | "server_name"
                );
                let d = if refused {
                    Diagnostic::error(
                        codes::REFUSED,
                        format!("stick-table `store {name}` is not run by proxyd yet"),
                    )
                    .help("the arrays gpc/gpt and server_key/server_name are not kept yet: use gpc0, gpc1, gpt0, server_id, or keep this proxy on HAProxy for now")
                } else {
                    let names = StoreKind::ALL.iter().map(|k| k.name());
                    let mut d = Diagnostic::error(
                        codes::BAD_VALUE,
                        format!("stick-table: unknown data type `{name}` in `store`"),
                    );
                    if let Some(s) = conf_diag::did_you_mean(name, names) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    d
                };
                self.diags.push(d.at(w.span));
                return false;
            };
            let period_ms = match (kind.is_rate(), arg) {
                (true, Some(p)) => match crate::values::parse_time_ms(p) {
                    Ok(ms) if ms > 0 => ms,
                    _ => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::BAD_VALUE,
                                format!("stick-table `store {item}`: `{p}` is not a period"),
                            )
                            .at(w.span)
                            .help(format!("write e.g. `{name}(10s)`")),
                        );
                        return false;
                    }
                },
                (true, None) => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::MISSING_ARG,
                            format!("stick-table `store {name}` needs a period"),
                        )
                        .at(w.span)
                        .help(format!("write e.g. `{name}(10s)`")),
                    );
                    return false;
                }
                (false, Some(_)) => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("stick-table `store {item}`: `{name}` takes no argument"),
                        )
                        .at(w.span),
                    );
                    return false;
                }
                (false, None) => 0,
            };
            if !t.store.iter().any(|s| s.kind == kind) {
                t.store.push(Store { kind, period_ms });
            }
        }
        true
    }

    /// `stick on|match|store-request|store-response EXPR [table NAME] [if|unless COND]`.
    fn stick_rule(&mut self, p: &mut Proxy, line: &Line, k: &str, a: usize) {
        let rest = &line.words[a.min(line.words.len())..];
        let (before, cond) = condition::split(rest, self.diags);
        let Some(pattern) = before.first() else {
            self.arg(line, a, "a sample expression", k);
            return;
        };
        let table = match (before.get(1), before.get(2)) {
            (None, _) => None,
            (Some(t), Some(name)) if t.text == "table" => Some(name.text.clone()),
            (Some(w), _) => {
                self.diags.push(
                    Diagnostic::error(codes::BAD_VALUE, format!("`{k}`: unexpected `{}`", w.text))
                        .at(w.span)
                        .help(format!("write `{k} EXPR [table NAME] [if|unless COND]`")),
                );
                return;
            }
        };
        let Some(expr) = self.sample_expr(pattern) else {
            return;
        };
        let kind = match k {
            "stick on" => StickKind::On,
            "stick match" => StickKind::Match,
            "stick store-request" => StickKind::StoreRequest,
            _ => StickKind::StoreResponse,
        };
        p.stick_rules.push(StickRule {
            kind,
            expr,
            table,
            cond,
            span: line.span(),
        });
    }

    /// `cookie NAME [rewrite|insert|prefix] [indirect] [nocache] [postonly] [preserve]
    /// [httponly] [secure] [domain D]* [maxidle T] [maxlife T] [dynamic] [attr V]*`.
    fn cookie(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        let Some(name) = self.arg(line, a, "a cookie name", "cookie") else {
            return;
        };
        let mut c = Cookie {
            name: name.text.clone(),
            ..Cookie::default()
        };
        const OPTS: &[&str] = &[
            "rewrite", "insert", "prefix", "indirect", "nocache", "postonly", "preserve",
            "httponly", "secure", "domain", "maxidle", "maxlife", "dynamic", "attr",
        ];
        let mut i = a + 1;
        while let Some(w) = line.words.get(i) {
            let value = |me: &mut Self| {
                let v = line.words.get(i + 1);
                if v.is_none() {
                    me.diags.push(
                        Diagnostic::error(
                            codes::MISSING_ARG,
                            format!("cookie option `{}` expects a value", w.text),
                        )
                        .at(w.span),
                    );
                }
                v
            };
            let mode = |me: &mut Self, c: &mut Cookie, m: CookieMode| {
                if c.mode != CookieMode::Passive && c.mode != m {
                    me.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            "cookie: `rewrite`, `insert` and `prefix` exclude each other",
                        )
                        .at(w.span)
                        .help("keep one of them"),
                    );
                }
                c.mode = m;
            };
            match w.text.as_str() {
                "rewrite" => mode(self, &mut c, CookieMode::Rewrite),
                "insert" => mode(self, &mut c, CookieMode::Insert),
                "prefix" => mode(self, &mut c, CookieMode::Prefix),
                "indirect" => c.indirect = true,
                "nocache" => c.nocache = true,
                "postonly" => c.postonly = true,
                "preserve" => c.preserve = true,
                "httponly" => c.httponly = true,
                "secure" => c.secure = true,
                "dynamic" => c.dynamic = true,
                "domain" | "attr" | "maxidle" | "maxlife" => {
                    let Some(v) = value(self) else {
                        return;
                    };
                    match w.text.as_str() {
                        "domain" => c.domains.push(v.text.clone()),
                        "attr" => c.attrs.push(v.text.clone()),
                        k => {
                            let Some(ms) = self.time(line, i + 1, &format!("cookie {k}")) else {
                                return;
                            };
                            let secs = Some(ms.div_ceil(1000));
                            if k == "maxidle" {
                                c.maxidle = secs;
                            } else {
                                c.maxlife = secs;
                            }
                        }
                    }
                    i += 1;
                }
                other => {
                    let mut d = Diagnostic::error(
                        codes::BAD_VALUE,
                        format!("unknown cookie option `{other}`"),
                    )
                    .at(w.span)
                    .label("unknown option");
                    d = match conf_diag::did_you_mean(other, OPTS.iter().copied()) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help("options: rewrite, insert, prefix, indirect, nocache, postonly, preserve, httponly, secure, domain, maxidle, maxlife, dynamic, attr"),
                    };
                    self.diags.push(d);
                    return;
                }
            }
            i += 1;
        }
        if c.preserve && c.mode != CookieMode::Insert && !c.indirect {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_VALUE,
                    "cookie `preserve` works with `insert` and/or `indirect` only",
                )
                .at(line.span())
                .help("add `insert` or `indirect`, or remove `preserve`"),
            );
            return;
        }
        p.cookie = Some(c);
    }

    /// `http-error status CODE [content-type T] [payload] [hdr NAME VALUE]*`.
    fn http_error(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        if line.word(a) != Some("status") {
            self.arg(line, a, "`status CODE`", "http-error");
            if line.words.get(a).is_some() {
                self.diags.push(
                    Diagnostic::error(codes::BAD_VALUE, "`http-error` starts with `status CODE`")
                        .at(line.span()),
                );
            }
            return;
        }
        let Some(reply) = self.reply_words(&line.words[a..], line.span(), "http-error") else {
            return;
        };
        p.errorfiles.push(ErrorFile {
            status: reply.status,
            page: ErrorPage::Reply(reply),
            span: line.span(),
        });
    }

    /// `compression algo A... | type T... | offload`: lines add up.
    fn compression(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        let Some(what) = self.arg(line, a, "`algo`, `type` or `offload`", "compression") else {
            return;
        };
        let c = p.compression.get_or_insert_with(Compression::default);
        let values = &line.words[a + 1..];
        match what.text.as_str() {
            "algo" => {
                if values.is_empty() {
                    self.arg(line, a + 1, "an algorithm", "compression algo");
                    return;
                }
                for w in values {
                    match CompAlgo::named(&w.text) {
                        Some(alg) => c.algos.push(alg),
                        None => {
                            let mut d = Diagnostic::error(
                                codes::BAD_VALUE,
                                format!("unknown compression algorithm `{}`", w.text),
                            )
                            .at(w.span);
                            if let Some(s) = conf_diag::did_you_mean(
                                &w.text,
                                ["identity", "gzip", "deflate", "raw-deflate"],
                            ) {
                                d = d.help(format!("did you mean `{s}`?"));
                            }
                            self.diags.push(d);
                            return;
                        }
                    }
                }
            }
            "type" => {
                if values.is_empty() {
                    self.arg(line, a + 1, "a content type", "compression type");
                    return;
                }
                c.types.extend(values.iter().map(|w| w.text.clone()));
            }
            "offload" => {
                if p.kind == ProxyKind::Defaults {
                    self.diags.push(
                        Diagnostic::warning(
                            codes::NOT_IMPLEMENTED,
                            "`compression offload` in a defaults section is ignored (HAProxy ignores it too)",
                        )
                        .at(what.span)
                        .label("ignored"),
                    );
                } else {
                    c.offload = true;
                }
            }
            other => {
                let other = other.to_string();
                self.unknown(
                    Some(what),
                    &other,
                    ["algo", "type", "offload"].into_iter(),
                    "compression",
                );
            }
        }
    }

    /// `filter TYPE ...`: the compression, trace and cache filters change nothing about
    /// who gets in or where traffic goes and are ignored (with the keyword's warning);
    /// the others are refused.
    fn filter(&mut self, line: &Line, a: usize) {
        let Some(t) = self.arg(line, a, "a filter type", "filter") else {
            return;
        };
        let refuse = match t.text.as_str() {
            "compression" | "trace" => None,
            // `filter cache NAME` only places the cache among other filters.
            "cache" => None,
            "spoe" => Some("SPOE agents (often a WAF) are not called by proxyd"),
            "bwlim-in" | "bwlim-out" => Some("bandwidth limits are not run by proxyd yet"),
            "fcgi-app" => Some("FastCGI is not spoken by proxyd"),
            "opentracing" => None,
            other => {
                let other = other.to_string();
                self.unknown(
                    Some(t),
                    &other,
                    [
                        "compression",
                        "trace",
                        "cache",
                        "spoe",
                        "bwlim-in",
                        "bwlim-out",
                        "fcgi-app",
                    ]
                    .into_iter(),
                    "filter",
                );
                return;
            }
        };
        if refuse.is_some() {
            // The keyword's general warning says "ignored": this one is refused.
            self.diags.supersede(codes::NOT_IMPLEMENTED, line.span());
        }
        if t.text == "spoe" && !line.words[a + 1..].iter().any(|w| w.text == "config") {
            self.diags.push(
                Diagnostic::error(codes::MISSING_ARG, "`filter spoe`: missing config file")
                    .at(line.span())
                    .help("write `filter spoe [engine NAME] config FILE`, as HAProxy requires"),
            );
            return;
        }
        if let Some(why) = refuse {
            self.diags.push(
                Diagnostic::error(
                    codes::REFUSED,
                    format!("`filter {}` is not run by proxyd", t.text),
                )
                .at(line.span())
                .label("not supported by proxyd yet")
                .help(format!(
                    "{why}; HAProxy accepts it: keep this proxy on HAProxy for now"
                )),
            );
        }
    }

    /// `retry-on KEYWORD...`: proxyd retries on connection failures only, which is
    /// what `conn-failure` (the default) and `none` ask for; anything else is refused.
    fn retry_on(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        if line.words.get(a).is_none() {
            self.arg(line, a, "a retry condition", "retry-on");
        }
        const KNOWN: &[&str] = &[
            "none",
            "conn-failure",
            "empty-response",
            "junk-response",
            "response-timeout",
            "0rtt-rejected",
            "404",
            "408",
            "425",
            "500",
            "501",
            "502",
            "503",
            "504",
            "all-retryable-errors",
        ];
        let words = &line.words[a.min(line.words.len())..];
        // The last line wins, as in HAProxy; `conn-failure` anywhere on it keeps retries.
        p.retry_on_conn_failure = words.iter().any(|w| w.text == "conn-failure");
        for w in words {
            match w.text.as_str() {
                "none" | "conn-failure" => {}
                t if KNOWN.contains(&t) => self.diags.push(
                    Diagnostic::error(
                        codes::REFUSED,
                        format!("`retry-on {t}` is not run by proxyd yet"),
                    )
                    .at(w.span)
                    .label("not supported by proxyd yet")
                    .help("proxyd retries only when the connection to the server fails (`retry-on conn-failure`)"),
                ),
                t => {
                    let t = t.to_string();
                    self.unknown(Some(w), &t, KNOWN.iter().copied(), "retry-on");
                }
            }
        }
    }
}

/// `ADDR[:PORT]` of a `source` line.
pub(super) fn source_addr(text: &str) -> Option<std::net::SocketAddr> {
    if let Ok(ip) = text.parse::<std::net::IpAddr>() {
        return Some(std::net::SocketAddr::new(ip, 0));
    }
    text.parse().ok()
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
