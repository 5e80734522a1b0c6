//! Old spellings from HAProxy 1.x tutorials: accepted with a warning showing the modern
//! form, translated into the model where the translation is exact.

use super::condition;
use super::Builder;
use crate::actions::{
    HeaderAction, HttpReqAction, HttpRespAction, NameMatch, Payload, Reply, Rule,
};
use crate::codes;
use crate::model::*;
use crate::source::{Line, Word};
use conf_diag::Diagnostic;

impl Builder<'_> {
    /// `frontend NAME ADDR:PORT` / `listen NAME ADDR:PORT`.
    pub(super) fn legacy_header_bind(&mut self, p: &mut Proxy, rest: &[&Word]) {
        let span = rest[0].span.to(rest[rest.len() - 1].span);
        if p.kind == ProxyKind::Backend || p.kind == ProxyKind::Defaults {
            self.diags.push(
                Diagnostic::error(
                    codes::EXTRA_ARGS,
                    format!("`{}` takes only a name", p.kind.keyword()),
                )
                .at(span)
                .help("remove the extra words"),
            );
            return;
        }
        let words: Vec<Word> = rest.iter().map(|w| (*w).clone()).collect();
        let line = Line {
            words,
            comment: None,
        };
        let text: Vec<&str> = line.words.iter().map(|w| w.text.as_str()).collect();
        self.diags.push(
            Diagnostic::warning(
                codes::LEGACY,
                format!(
                    "address on the `{}` line is the HAProxy 1.x form",
                    p.kind.keyword()
                ),
            )
            .at(span)
            .label("read as a bind line")
            .help(format!(
                "write it as `{} {}` followed by `bind {}` (HAProxy 2.x rejects this form)",
                p.kind.keyword(),
                p.name,
                text.join(" ")
            )),
        );
        self.bind(p, &line, 0);
    }

    pub(super) fn legacy(&mut self, p: &mut Proxy, line: &Line, kw: &str, modern: &str, a: usize) {
        let rest = &line.words[a.min(line.words.len())..];
        let warn = |me: &mut Self, help: String| {
            me.diags.push(
                Diagnostic::warning(
                    codes::LEGACY,
                    format!("`{kw}` is an HAProxy 1.x keyword (removed in 2.1)"),
                )
                .at(line.span())
                .label("translated")
                .help(help),
            );
        };
        match kw {
            "contimeout" | "clitimeout" | "srvtimeout" => {
                let v = self.time(line, a, kw);
                let slot = match kw {
                    "contimeout" => &mut p.timeouts.connect,
                    "clitimeout" => &mut p.timeouts.client,
                    _ => &mut p.timeouts.server,
                };
                if v.is_some() {
                    *slot = v;
                }
                let arg = line.word(a).unwrap_or("");
                warn(self, format!("write `{modern} {arg}`"));
            }
            "redispatch" => {
                p.options.insert("redispatch".into(), true);
                warn(self, "write `option redispatch`".into());
            }
            "forceclose" => {
                for other in ["http-server-close", "http-keep-alive"] {
                    p.options.remove(other);
                }
                p.options.insert("httpclose".into(), true);
                warn(self, "write `option httpclose`".into());
            }
            "block" => {
                let (_, cond) = condition::split(rest, self.diags);
                if cond.is_none() {
                    self.diags.push(
                        Diagnostic::error(codes::MISSING_ARG, "`block` needs a condition")
                            .at(line.span())
                            .help("write `http-request deny if <acl>`"),
                    );
                    return;
                }
                let c = cond_text(rest);
                p.rules.http_request.push(Rule {
                    action: HttpReqAction::Deny(Reply {
                        status: 403,
                        content_type: None,
                        payload: Payload::None,
                        headers: Vec::new(),
                    }),
                    cond,
                    span: line.span(),
                });
                warn(self, format!("write `http-request deny {c}`"));
            }
            "reqadd" | "rspadd" => {
                let (before, cond) = condition::split(rest, self.diags);
                let Some(hdr) = before.first() else {
                    self.arg(line, a, "a header line", kw);
                    return;
                };
                let Some((name, value)) = hdr.text.split_once(':') else {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("`{kw} {}`: expected `Name:\\ value`", hdr.text),
                        )
                        .at(hdr.span),
                    );
                    return;
                };
                let value = value.trim_start().to_string();
                let modern_line = format!(
                    "{} add-header {} {}{}",
                    if kw == "reqadd" {
                        "http-request"
                    } else {
                        "http-response"
                    },
                    name,
                    quote(&value),
                    cond_text(rest)
                        .chars()
                        .next()
                        .map(|_| format!(" {}", cond_text(rest)))
                        .unwrap_or_default()
                );
                let fmt = match crate::sample::fmt::parse(&value) {
                    Ok(f) => f,
                    Err(e) => {
                        self.diags.push(
                            Diagnostic::error(codes::BAD_VALUE, format!("`{kw}`: {}", e.message))
                                .at(hdr.span)
                                .help(e.help.unwrap_or_else(|| "write `%%` for a `%`".into())),
                        );
                        return;
                    }
                };
                let add = HeaderAction::Add(name.to_string(), fmt);
                let span = line.span();
                if kw == "reqadd" {
                    p.rules.http_request.push(Rule {
                        action: HttpReqAction::Header(add),
                        cond,
                        span,
                    });
                } else {
                    p.rules.http_response.push(Rule {
                        action: HttpRespAction::Header(add),
                        cond,
                        span,
                    });
                }
                warn(self, format!("write `{modern_line}`"));
            }
            "reqdel" | "reqidel" | "rspdel" | "rspidel" => {
                // Only `^Header:` (optionally `.*`) translates exactly into del-header.
                let (before, cond) = condition::split(rest, self.diags);
                let pat = before.first().map(|w| w.text.as_str()).unwrap_or("");
                let name = pat
                    .strip_prefix('^')
                    .map(|r| r.trim_end_matches(".*"))
                    .and_then(|r| r.strip_suffix(':'))
                    .filter(|n| {
                        n.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    });
                let which = if kw.starts_with("req") {
                    "http-request"
                } else {
                    "http-response"
                };
                match name {
                    Some(n) => {
                        let del = HeaderAction::Del(NameMatch::Str(n.to_string()));
                        let span = line.span();
                        if kw.starts_with("req") {
                            p.rules.http_request.push(Rule {
                                action: HttpReqAction::Header(del),
                                cond,
                                span,
                            });
                        } else {
                            p.rules.http_response.push(Rule {
                                action: HttpRespAction::Header(del),
                                cond,
                                span,
                            });
                        }
                        warn(self, format!("write `{which} del-header {n}`"));
                    }
                    None => self.refuse_legacy(
                        line,
                        kw,
                        &format!("{which} del-header NAME (or replace-header for a pattern)"),
                    ),
                }
            }
            "reqdeny" | "reqideny" | "reqallow" | "reqiallow" | "reqtarpit" | "reqitarpit"
            | "rspdeny" | "rspideny" | "reqrep" | "reqirep" | "rsprep" | "rspirep" => {
                self.refuse_legacy(line, kw, modern);
            }
            "reqpass" | "reqipass" => {
                self.diags.push(
                    Diagnostic::warning(
                        codes::LEGACY,
                        format!("`{kw}` is an HAProxy 1.x keyword with no effect today, ignored"),
                    )
                    .at(line.span())
                    .help("remove it"),
                );
            }
            _ => {
                self.diags.push(
                    Diagnostic::warning(codes::LEGACY, format!("`{kw}` is obsolete, ignored"))
                        .at(line.span())
                        .help(format!("modern form: {modern}")),
                );
            }
        }
    }

    /// A regex-based 1.x rule: no exact translation, so not applied (and not ignored).
    fn refuse_legacy(&mut self, line: &Line, kw: &str, modern: &str) {
        self.diags.push(
            Diagnostic::error(codes::LEGACY, format!("`{kw}` (HAProxy 1.x, removed in 2.1) has no exact translation"))
                .at(line.span())
                .label("rewrite needed")
                .help(format!("rewrite it with `{modern}`; e.g. `reqrep ^Host:\\ old.com Host:\\ new.com` becomes `http-request replace-header Host old.com new.com`")),
        );
    }
}

fn cond_text(words: &[Word]) -> String {
    match words
        .iter()
        .position(|w| w.text == "if" || w.text == "unless")
    {
        Some(i) => words[i..]
            .iter()
            .map(|w| w.text.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        None => String::new(),
    }
}

fn quote(s: &str) -> String {
    if s.contains(' ') {
        format!("\"{s}\"")
    } else {
        s.to_string()
    }
}
