//! `http-check` and `tcp-check` lines into typed check steps: connect, send, expect.
//! Directives that only change logs are ignored with a warning; those that would judge
//! servers differently are refused.

use super::Builder;
use crate::codes;
use crate::model::{CheckConnect, CheckStep, Expect, ExpectMatch, Proxy};
use crate::sample::Regex;
use crate::source::{Line, Word};
use conf_diag::Diagnostic;

impl Builder<'_> {
    fn refuse_check(&mut self, w: &Word, what: &str, why: &str) {
        self.diags.push(
            Diagnostic::error(codes::REFUSED, format!("`{what}` is not run by proxyd yet"))
                .at(w.span)
                .label("not supported by proxyd yet")
                .help(format!(
                    "{why}; HAProxy accepts it: remove it or keep this backend on HAProxy for now"
                )),
        );
    }

    fn ignore_check(&mut self, w: &Word, what: &str, why: &str) {
        self.diags.push(
            Diagnostic::warning(
                codes::NOT_IMPLEMENTED,
                format!("`{what}` is not run by proxyd yet, ignored"),
            )
            .at(w.span)
            .label("ignored")
            .help(why.to_string()),
        );
    }

    /// `connect [default] [port N] [addr IP] [send-proxy] [ssl] [sni S] [linger] ...`.
    fn check_connect(&mut self, words: &[Word], kw: &str) -> Option<CheckConnect> {
        let mut c = CheckConnect::default();
        let mut i = 0;
        while let Some(w) = words.get(i) {
            let t = w.text.as_str();
            let val = words.get(i + 1);
            let takes = matches!(t, "port" | "addr" | "sni" | "alpn" | "proto" | "comment");
            if takes && val.is_none() {
                self.diags.push(
                    Diagnostic::error(
                        codes::MISSING_ARG,
                        format!("`{kw} connect {t}` expects a value"),
                    )
                    .at(w.span),
                );
                return None;
            }
            let v = val.map(|v| v.text.as_str()).unwrap_or("");
            match t {
                "default" => {
                    self.refuse_check(
                        w,
                        &format!("{kw} connect default"),
                        "the server's own check settings are used by a plain `connect`",
                    );
                    return None;
                }
                "port" => match v.parse::<u16>() {
                    Ok(p) if p > 0 => c.port = Some(p),
                    _ => {
                        self.refuse_check(
                            w,
                            &format!("{kw} connect port {v}"),
                            "only a fixed port number is run",
                        );
                        return None;
                    }
                },
                "addr" => match v.parse() {
                    Ok(ip) => c.addr = Some(ip),
                    Err(_) => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::BAD_ADDRESS,
                                format!("`{kw} connect addr {v}`: not an IP address"),
                            )
                            .at(w.span),
                        );
                        return None;
                    }
                },
                "send-proxy" => c.send_proxy = true,
                "ssl" => c.ssl = true,
                "sni" => c.sni = Some(v.to_string()),
                "linger" => c.linger = true,
                "comment" => {}
                "alpn" | "proto" => {
                    self.ignore_check(
                        w,
                        &format!("{kw} connect {t}"),
                        "checks speak HTTP/1.1 or raw TCP",
                    );
                }
                "via-socks4" => {
                    self.refuse_check(
                        w,
                        &format!("{kw} connect via-socks4"),
                        "SOCKS4 is not spoken by proxyd",
                    );
                    return None;
                }
                other => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("`{kw} connect`: unknown option `{other}`"),
                        )
                        .at(w.span)
                        .help("options: default, port, addr, send-proxy, via-socks4, ssl, sni, alpn, linger, proto, comment"),
                    );
                    return None;
                }
            }
            i += if takes { 2 } else { 1 };
        }
        Some(c)
    }

    /// `expect [min-recv N] [comment C] ... [!] MATCH PATTERN`.
    fn check_expect(&mut self, words: &[Word], kw: &str, http: bool) -> Option<Expect> {
        let mut min_recv = None;
        let mut i = 0;
        while let Some(w) = words.get(i) {
            match w.text.as_str() {
                "min-recv" => {
                    match words.get(i + 1).and_then(|v| v.text.parse::<i64>().ok()) {
                        Some(n) if n >= 0 => min_recv = Some(n as usize),
                        Some(_) => min_recv = None,
                        None => {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::MISSING_ARG,
                                    format!("`{kw} expect min-recv` expects a number"),
                                )
                                .at(w.span),
                            );
                            return None;
                        }
                    }
                    i += 2;
                }
                "comment" => i += 2,
                "on-success" | "on-error" => {
                    self.ignore_check(
                        w,
                        &format!("{kw} expect {}", w.text),
                        "it only changes the check's log message",
                    );
                    i += 2;
                }
                "ok-status" | "error-status" | "tout-status" | "status-code" => {
                    self.refuse_check(
                        w,
                        &format!("{kw} expect {}", w.text),
                        "it changes the state a check result gives",
                    );
                    return None;
                }
                _ => break,
            }
        }
        let mut negate = false;
        if words.get(i).is_some_and(|w| w.text == "!") {
            negate = true;
            i += 1;
        }
        let Some(m) = words.get(i) else {
            self.diags.push(
                Diagnostic::error(codes::MISSING_ARG, format!("`{kw} expect` expects a match"))
                    .at_opt(words.first().map(|w| w.span))
                    .help(if http {
                        "write e.g. `http-check expect status 200`"
                    } else {
                        "write e.g. `tcp-check expect string +OK`"
                    }),
            );
            return None;
        };
        let (m_text, negate) = match m.text.strip_prefix('!') {
            Some(t) => (t.to_string(), !negate),
            None => (m.text.clone(), negate),
        };
        let kinds: &[&str] = if http {
            &[
                "status",
                "rstatus",
                "string",
                "rstring",
                "hdr",
                "fhdr",
                "string-lf",
                "rstring-lf",
            ]
        } else {
            &[
                "string",
                "rstring",
                "binary",
                "rbinary",
                "string-lf",
                "binary-lf",
            ]
        };
        if !kinds.contains(&m_text.as_str()) {
            let mut d = Diagnostic::error(
                codes::BAD_VALUE,
                format!("`{kw} expect`: unknown match `{}`", m.text),
            )
            .at(m.span);
            d = match conf_diag::did_you_mean(&m_text, kinds.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{s}`?")),
                None => d.help(format!("use one of: {}", kinds.join(", "))),
            };
            self.diags.push(d);
            return None;
        }
        let Some(pat) = words.get(i + 1) else {
            self.diags.push(
                Diagnostic::error(
                    codes::MISSING_ARG,
                    format!("`{kw} expect {m_text}` expects a pattern"),
                )
                .at(m.span),
            );
            return None;
        };
        if let Some(extra) = words.get(i + 2) {
            self.diags.push(
                Diagnostic::error(
                    codes::EXTRA_ARGS,
                    format!("`{kw} expect`: unexpected `{}`", extra.text),
                )
                .at(extra.span),
            );
            return None;
        }
        let regex = |me: &mut Self| match Regex::new(&pat.text, false) {
            Ok(r) => Some(r),
            Err(e) => {
                me.diags
                    .push(Diagnostic::error(codes::BAD_VALUE, e).at(pat.span));
                None
            }
        };
        let what = match m_text.as_str() {
            "status" => {
                let mut ranges = Vec::new();
                for part in pat.text.split(',') {
                    let (a, b) = part.split_once('-').unwrap_or((part, part));
                    match (a.parse::<u16>(), b.parse::<u16>()) {
                        (Ok(a), Ok(b)) if a <= b => ranges.push((a, b)),
                        _ => {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::BAD_VALUE,
                                    format!("`{kw} expect status {}`: not a status list", pat.text),
                                )
                                .at(pat.span)
                                .help("write e.g. `200`, `200-399` or `200,204`"),
                            );
                            return None;
                        }
                    }
                }
                ExpectMatch::Status(ranges)
            }
            "rstatus" => ExpectMatch::RStatus(regex(self)?),
            "string" => ExpectMatch::String(pat.text.clone()),
            "rstring" => ExpectMatch::RString(regex(self)?),
            "binary" => {
                let bytes = (0..pat.text.len())
                    .step_by(2)
                    .map(|k| {
                        pat.text
                            .get(k..k + 2)
                            .and_then(|h| u8::from_str_radix(h, 16).ok())
                    })
                    .collect::<Option<Vec<u8>>>();
                match bytes {
                    Some(b) if pat.text.len() % 2 == 0 => ExpectMatch::Binary(b),
                    _ => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::BAD_VALUE,
                                format!("`{kw} expect binary {}`: not hexadecimal bytes", pat.text),
                            )
                            .at(pat.span),
                        );
                        return None;
                    }
                }
            }
            other => {
                self.refuse_check(
                    m,
                    &format!("{kw} expect {other}"),
                    "only status, rstatus, string, rstring and binary matches are run",
                );
                return None;
            }
        };
        Some(Expect {
            negate,
            what,
            min_recv,
        })
    }

    /// `http-check send [meth M] [uri U] [ver V] [hdr N V]* [body B] [comment C]`.
    fn http_send(&mut self, words: &[Word]) -> Option<CheckStep> {
        let (mut method, mut uri, mut version, mut body) = (None, None, None, None);
        let mut headers = Vec::new();
        let mut i = 0;
        while let Some(w) = words.get(i) {
            let t = w.text.as_str();
            let Some(v) = words.get(i + 1) else {
                self.diags.push(
                    Diagnostic::error(
                        codes::MISSING_ARG,
                        format!("`http-check send {t}` expects a value"),
                    )
                    .at(w.span),
                );
                return None;
            };
            match t {
                "meth" => method = Some(v.text.clone()),
                "uri" => uri = Some(v.text.clone()),
                "ver" => version = Some(v.text.clone()),
                "body" => body = Some(v.text.clone()),
                "comment" => {}
                "hdr" => {
                    let Some(val) = words.get(i + 2) else {
                        self.diags.push(
                            Diagnostic::error(
                                codes::MISSING_ARG,
                                "`http-check send hdr` expects a name and a value",
                            )
                            .at(w.span),
                        );
                        return None;
                    };
                    headers.push((v.text.clone(), val.text.clone()));
                    i += 1;
                }
                "uri-lf" | "body-lf" => {
                    self.refuse_check(
                        w,
                        &format!("http-check send {t}"),
                        "log-format values are not evaluated yet",
                    );
                    return None;
                }
                other => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("`http-check send`: unknown option `{other}`"),
                        )
                        .at(w.span)
                        .help("options: meth, uri, uri-lf, ver, hdr, body, body-lf, comment"),
                    );
                    return None;
                }
            }
            i += 2;
        }
        Some(CheckStep::HttpSend {
            method,
            uri,
            version,
            headers,
            body,
        })
    }

    pub(super) fn http_check(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        let Some(d) = self.arg(line, a, "a directive", "http-check") else {
            return;
        };
        let rest = &line.words[a + 1..];
        let step = match d.text.as_str() {
            "connect" => self
                .check_connect(rest, "http-check")
                .map(CheckStep::Connect),
            "send" => self.http_send(rest),
            "expect" => self
                .check_expect(rest, "http-check", true)
                .map(CheckStep::Expect),
            "comment" => None,
            "send-state" => {
                self.ignore_check(
                    d,
                    "http-check send-state",
                    "the X-Haproxy-Server-State header is not added to checks",
                );
                None
            }
            "set-var" | "unset-var" => {
                self.ignore_check(d, &format!("http-check {}", d.text), crate::registry::VARS);
                None
            }
            "disable-on-404" => {
                self.refuse_check(
                    d,
                    "http-check disable-on-404",
                    "a server answering 404 would keep taking new traffic",
                );
                None
            }
            other => {
                let other = other.to_string();
                self.unknown(
                    Some(d),
                    &other,
                    [
                        "connect",
                        "send",
                        "expect",
                        "comment",
                        "disable-on-404",
                        "send-state",
                        "set-var",
                        "unset-var",
                    ]
                    .into_iter(),
                    "http-check",
                );
                None
            }
        };
        if let Some(s) = step {
            p.http_checks.push(s);
        }
    }

    pub(super) fn tcp_check(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        let Some(d) = self.arg(line, a, "a directive", "tcp-check") else {
            return;
        };
        let rest = &line.words[a + 1..];
        let data = |me: &mut Self| -> Option<&Word> {
            let v = rest.first();
            if v.is_none() {
                me.diags.push(
                    Diagnostic::error(
                        codes::MISSING_ARG,
                        format!("`tcp-check {}` expects data", d.text),
                    )
                    .at(d.span),
                );
            }
            // `comment TEXT` may follow.
            if rest.get(1).is_some_and(|w| w.text != "comment") {
                me.diags.push(
                    Diagnostic::error(
                        codes::EXTRA_ARGS,
                        format!("`tcp-check {}`: unexpected `{}`", d.text, rest[1].text),
                    )
                    .at(rest[1].span)
                    .help("quote data with spaces"),
                );
                return None;
            }
            v
        };
        let step = match d.text.as_str() {
            "connect" => self
                .check_connect(rest, "tcp-check")
                .map(CheckStep::Connect),
            "send" => data(self).map(|v| CheckStep::Send(v.text.clone().into_bytes())),
            "send-lf" => {
                let v = data(self);
                match v {
                    Some(v) if !v.text.replace("%%", "").contains('%') => {
                        Some(CheckStep::Send(v.text.replace("%%", "%").into_bytes()))
                    }
                    Some(_) => {
                        self.refuse_check(
                            d,
                            "tcp-check send-lf",
                            "log-format values are not evaluated yet",
                        );
                        None
                    }
                    None => None,
                }
            }
            "send-binary" => match data(self) {
                Some(v) => {
                    let t = &v.text;
                    let bytes = (0..t.len())
                        .step_by(2)
                        .map(|k| t.get(k..k + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
                        .collect::<Option<Vec<u8>>>();
                    match bytes {
                        Some(b) if t.len() % 2 == 0 => Some(CheckStep::Send(b)),
                        _ => {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::BAD_VALUE,
                                    format!("`tcp-check send-binary {t}`: not hexadecimal bytes"),
                                )
                                .at(v.span),
                            );
                            None
                        }
                    }
                }
                None => None,
            },
            "send-binary-lf" => {
                self.refuse_check(
                    d,
                    "tcp-check send-binary-lf",
                    "log-format values are not evaluated yet",
                );
                None
            }
            "expect" => self
                .check_expect(rest, "tcp-check", false)
                .map(CheckStep::Expect),
            "comment" => None,
            "set-var" | "unset-var" => {
                self.ignore_check(d, &format!("tcp-check {}", d.text), crate::registry::VARS);
                None
            }
            other => {
                let other = other.to_string();
                self.unknown(
                    Some(d),
                    &other,
                    [
                        "connect",
                        "send",
                        "send-lf",
                        "send-binary",
                        "send-binary-lf",
                        "expect",
                        "comment",
                        "set-var",
                        "unset-var",
                    ]
                    .into_iter(),
                    "tcp-check",
                );
                None
            }
        };
        if let Some(s) = step {
            p.tcp_checks.push(s);
        }
    }
}
