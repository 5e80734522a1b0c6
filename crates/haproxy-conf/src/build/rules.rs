//! Rule lines into typed actions: `http-request`, `http-response`, `redirect`,
//! `tcp-request connection|session|content` and `tcp-response content`. The action tables
//! in the registry say which actions run, which are ignored with a warning and which are
//! refused; arguments are checked here, with the line's spans.

use super::condition::{self, sample_diag};
use super::Builder;
use crate::actions::*;
use crate::codes;
use crate::model::Proxy;
use crate::registry::{self, Keyword, Status};
use crate::sample::{self, Regex, SampleError};
use crate::source::{Line, Word};
use conf_diag::{Diagnostic, Span};

/// Which rule list a `tcp-request` / `tcp-response` line belongs to.
/// Which list an HTTP rule goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HttpPhase {
    Request,
    Response,
    After,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TcpPhase {
    Connection,
    Session,
    Content,
    Response,
}

impl TcpPhase {
    fn keyword(self) -> &'static str {
        match self {
            TcpPhase::Connection => "tcp-request connection",
            TcpPhase::Session => "tcp-request session",
            TcpPhase::Content => "tcp-request content",
            TcpPhase::Response => "tcp-response content",
        }
    }
    fn table(self) -> &'static [Keyword] {
        match self {
            TcpPhase::Connection => registry::TCP_CONNECTION_ACTIONS,
            TcpPhase::Session => registry::TCP_SESSION_ACTIONS,
            TcpPhase::Content => registry::TCP_CONTENT_ACTIONS,
            TcpPhase::Response => registry::TCP_RESPONSE_ACTIONS,
        }
    }
}

/// The words of a rule's action, read one after the other.
struct Args<'w> {
    words: &'w [Word],
    i: usize,
    /// Where to point when a word is missing.
    line: Span,
}

impl<'w> Args<'w> {
    fn next(&mut self) -> Option<&'w Word> {
        let w = self.words.get(self.i);
        self.i += 1;
        w
    }
    fn peek(&self) -> Option<&'w str> {
        self.words.get(self.i).map(|w| w.text.as_str())
    }
    fn rest(&self) -> &'w [Word] {
        &self.words[self.i.min(self.words.len())..]
    }
}

impl Builder<'_> {
    /// The next word of an action, or an error saying what is missing.
    fn need<'w>(
        &mut self,
        a: &mut Args<'w>,
        at: Span,
        action: &str,
        what: &str,
    ) -> Option<&'w Word> {
        let w = a.next();
        if w.is_none() {
            self.missing(at, action, what);
        }
        w
    }

    /// A missing argument of an action.
    fn missing(&mut self, at: Span, action: &str, what: &str) {
        self.diags.push(
            Diagnostic::error(codes::MISSING_ARG, format!("`{action}` expects {what}"))
                .at(at)
                .label(format!("{what} missing")),
        );
    }

    fn extra(&mut self, w: &Word, action: &str) {
        self.diags.push(
            Diagnostic::error(
                codes::EXTRA_ARGS,
                format!("unexpected `{}` after `{action}`", w.text),
            )
            .at(w.span)
            .label("unexpected")
            .help("only `if` or `unless` and a condition may follow"),
        );
    }

    /// A log-format value (`%[src]`, `%ci`, `%%`...).
    fn fmt(&mut self, w: &Word) -> Option<Fmt> {
        match crate::sample::fmt::parse(&w.text) {
            Ok(f) => Some(f),
            Err(e) => {
                self.diags.push(sample_diag(e, w.span));
                None
            }
        }
    }

    /// A log-format value proxyd only takes as literal text here (a regex replacement).
    fn literal(&mut self, w: &Word) -> Option<String> {
        let f = self.fmt(w)?;
        match f.as_literal() {
            Some(t) => Some(t),
            None => {
                self.diags.push(sample_diag(
                    SampleError {
                        message: format!(
                            "`{}`: log-format expressions in a replacement are not evaluated by proxyd yet",
                            w.text
                        ),
                        help: Some(
                            "use literal text and `\\1` back-references here for now, or keep this proxy on HAProxy".into(),
                        ),
                        refused: true,
                    },
                    w.span,
                ));
                None
            }
        }
    }

    fn regex(&mut self, w: &Word, nocase: bool) -> Option<Regex> {
        match Regex::new(&w.text, nocase) {
            Ok(r) => Some(r),
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(codes::BAD_VALUE, e)
                        .at(w.span)
                        .label("invalid regular expression"),
                );
                None
            }
        }
    }

    fn status_code(&mut self, w: Option<&Word>, at: Span, what: &str) -> Option<u16> {
        let Some(w) = w else {
            self.missing(at, what, "an HTTP status");
            return None;
        };
        match w.text.parse::<u16>() {
            Ok(s) if (100..=599).contains(&s) => Some(s),
            _ => {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_VALUE,
                        format!("`{what} {}`: not an HTTP status", w.text),
                    )
                    .at(w.span)
                    .help("write a status from 100 to 599"),
                );
                None
            }
        }
    }

    fn header_name(&mut self, w: &Word) -> Option<String> {
        let ok = !w.text.is_empty()
            && w.text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if ok {
            Some(w.text.clone())
        } else {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_VALUE,
                    format!("`{}` is not a valid header name", w.text),
                )
                .at(w.span)
                .help("header names are letters, digits and `-` (RFC 9110 tokens)"),
            );
            None
        }
    }

    /// Looks `name` up in an action table: Some when it runs; a warning (ignored), an
    /// error (refused) or an unknown-action error otherwise.
    fn action_status(&mut self, table: &[Keyword], w: &Word, place: &str) -> bool {
        let base = w.text.split('(').next().unwrap_or("");
        // `lua.NAME` actions come from Lua scripts proxyd does not load.
        let kw = if base.starts_with("lua.") {
            Some(Keyword {
                name: "lua.*",
                sections: 0,
                status: Status::Refused("proxyd does not run Lua"),
            })
        } else {
            registry::lookup(table, base)
        };
        match kw.map(|k| k.status) {
            Some(Status::Supported) => true,
            Some(Status::Ignored(why)) => {
                self.diags.push(
                    Diagnostic::warning(
                        codes::NOT_IMPLEMENTED,
                        format!("`{place} {base}` is not run by proxyd yet, ignored"),
                    )
                    .at(w.span)
                    .label("ignored")
                    .help(format!(
                        "{why}; it cannot change who gets in or where traffic goes"
                    )),
                );
                false
            }
            Some(Status::Refused(why)) | Some(Status::Legacy(why)) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::REFUSED,
                        format!("`{place} {base}` is not run by proxyd yet"),
                    )
                    .at(w.span)
                    .label("not supported by proxyd yet")
                    .help(format!("{why}. HAProxy accepts it; proxyd does not skip rules it cannot apply: remove it or keep this proxy on HAProxy for now")),
                );
                false
            }
            None => {
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_KEYWORD,
                    format!("unknown action `{}` in `{place}`", w.text),
                )
                .at(w.span)
                .label("unknown action");
                if let Some(s) = conf_diag::did_you_mean(base, table.iter().map(|k| k.name)) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                self.diags.push(d);
                false
            }
        }
    }

    /// The body part of `return`, `deny` and `tarpit`, from `status` on.
    fn reply<'w>(&mut self, a: &mut Args<'w>, action: &str, default_status: u16) -> Option<Reply> {
        let mut r = Reply {
            status: default_status,
            content_type: None,
            payload: Payload::None,
            headers: Vec::new(),
        };
        while let Some(w) = a.next() {
            let kw = w.text.as_str();
            let what = format!("{action} {kw}");
            let value = |me: &mut Self, a: &mut Args<'w>| me.need(a, w.span, &what, "a value");
            match kw {
                "status" | "deny_status" => r.status = self.status_code(a.next(), w.span, kw)?,
                "content-type" => r.content_type = Some(value(self, a)?.text.clone()),
                "string" => r.payload = Payload::Text(Fmt::literal(&value(self, a)?.text)),
                "lf-string" => {
                    let v = value(self, a)?;
                    r.payload = Payload::Text(self.fmt(v)?);
                }
                "file" => r.payload = Payload::File(value(self, a)?.text.clone()),
                "errorfile" => r.payload = Payload::Errorfile(value(self, a)?.text.clone()),
                "errorfiles" => r.payload = Payload::Errorfiles(value(self, a)?.text.clone()),
                "default-errorfiles" => r.payload = Payload::DefaultErrorfiles,
                "lf-file" => r.payload = Payload::LfFile(value(self, a)?.text.clone()),
                "hdr" => {
                    let n = value(self, a)?;
                    let name = self.header_name(n)?;
                    let v = value(self, a)?;
                    let v = self.fmt(v)?;
                    r.headers.push((name, v));
                }
                _ => {
                    let mut d = Diagnostic::error(
                        codes::BAD_VALUE,
                        format!("unknown `{action}` argument `{kw}`"),
                    )
                    .at(w.span);
                    let opts = [
                        "status",
                        "content-type",
                        "string",
                        "lf-string",
                        "file",
                        "lf-file",
                        "errorfile",
                        "errorfiles",
                        "default-errorfiles",
                        "hdr",
                    ];
                    if let Some(s) = conf_diag::did_you_mean(kw, opts) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    self.diags.push(d);
                    return None;
                }
            }
        }
        // Without a body of its own the answer is a built-in page, and HAProxy has
        // pages for these statuses only.
        const PAGES: [u16; 17] = [
            200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504,
        ];
        let builtin = matches!(r.payload, Payload::None | Payload::DefaultErrorfiles)
            && r.content_type.is_none()
            && r.headers.is_empty()
            && action != "http-request return";
        if builtin && !PAGES.contains(&r.status) {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_VALUE,
                    format!("`{action}`: status {} has no built-in page", r.status),
                )
                .at(a.line)
                .help("use one of 200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500-504, or give a body (`string`, `file`, `errorfile`)"),
            );
            return None;
        }
        // As HAProxy: a body given here needs its type (a file's is checked once it is
        // read, an empty one needs none).
        let needs_type = match &r.payload {
            Payload::Text(t) => t.as_literal().is_none_or(|l| !l.is_empty()),
            Payload::LfFile(_) => true,
            _ => false,
        };
        if needs_type && r.content_type.is_none() {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_VALUE,
                    format!("`{action}`: a body without `content-type`"),
                )
                .at(a.line)
                .help("add `content-type text/plain` (or the body's type)"),
            );
            return None;
        }
        if r.content_type.is_some() && matches!(r.payload, Payload::None) {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_VALUE,
                    format!("`{action}`: a content-type without a body"),
                )
                .at(a.line)
                .help("add `string TEXT` or `file PATH`, or remove `content-type`"),
            );
            return None;
        }
        Some(r)
    }

    /// A reply written as words from `status` on (`http-error`).
    pub(super) fn reply_words(
        &mut self,
        words: &[Word],
        line: Span,
        action: &str,
    ) -> Option<Reply> {
        let mut args = Args { words, i: 0, line };
        self.reply(&mut args, action, 200)
    }

    /// `location|prefix|scheme VALUE [code N] [options]` (the code may come first).
    /// `literal`: the `redirect` keyword takes its value as written; `http-request
    /// redirect` takes log-format.
    fn redirect_args(&mut self, a: &mut Args<'_>, literal: bool) -> Option<Redirect> {
        let mut code = 302;
        let mut kind = None;
        let mut value = None;
        let mut r = Redirect {
            kind: RedirectKind::Location,
            value: Fmt::default(),
            code: 302,
            drop_query: false,
            append_slash: false,
            set_cookie: None,
            clear_cookie: None,
        };
        while let Some(w) = a.next() {
            match w.text.as_str() {
                k @ ("location" | "prefix" | "scheme") if kind.is_none() => {
                    kind = Some(match k {
                        "location" => RedirectKind::Location,
                        "prefix" => RedirectKind::Prefix,
                        _ => RedirectKind::Scheme,
                    });
                    let Some(v) = a.next() else {
                        self.missing(w.span, &format!("redirect {k}"), "a target");
                        return None;
                    };
                    value = Some(if literal {
                        Fmt::literal(&v.text)
                    } else {
                        self.fmt(v)?
                    });
                }
                "code" => {
                    let c = a.next();
                    match c.map(|c| c.text.as_str()) {
                        Some("301" | "302" | "303" | "307" | "308") => {
                            code = c.and_then(|c| c.text.parse().ok()).unwrap_or(302)
                        }
                        other => {
                            self.diags.push(
                                Diagnostic::error(
                                    codes::BAD_VALUE,
                                    format!("invalid redirect code `{}`", other.unwrap_or("")),
                                )
                                .at(c.map(|c| c.span).unwrap_or(w.span))
                                .help("use 301, 302, 303, 307 or 308"),
                            );
                            return None;
                        }
                    }
                }
                "drop-query" => r.drop_query = true,
                "append-slash" => r.append_slash = true,
                // Only acts on an expression that gives nothing; proxyd runs literals.
                "ignore-empty" => {}
                "set-cookie" | "clear-cookie" => {
                    let Some(v) = a.next() else {
                        self.missing(w.span, &w.text, "a cookie name");
                        return None;
                    };
                    if w.text == "set-cookie" {
                        r.set_cookie = Some(v.text.clone());
                    } else {
                        r.clear_cookie = Some(v.text.clone());
                    }
                }
                other => {
                    let mut d = Diagnostic::error(
                        codes::BAD_VALUE,
                        format!("unknown redirect option `{other}`"),
                    )
                    .at(w.span);
                    let opts = [
                        "location",
                        "prefix",
                        "scheme",
                        "code",
                        "drop-query",
                        "append-slash",
                        "ignore-empty",
                        "set-cookie",
                        "clear-cookie",
                    ];
                    d = match conf_diag::did_you_mean(other, opts) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help("write `redirect location|prefix|scheme <target> [code N] [drop-query] [append-slash] [set-cookie N] [clear-cookie N]`"),
                    };
                    self.diags.push(d);
                    return None;
                }
            }
        }
        let Some(kind) = kind else {
            self.missing(a.line, "redirect", "location, prefix or scheme");
            return None;
        };
        r.kind = kind;
        r.value = value.unwrap_or_default();
        r.code = code;
        Some(r)
    }

    /// `del-header NAME [-m str|beg|end|sub|reg]`.
    fn del_header(&mut self, a: &mut Args<'_>, action: &str) -> Option<HeaderAction> {
        let Some(n) = a.next() else {
            self.missing(a.line, action, "a header name");
            return None;
        };
        let m = match (a.peek(), a.words.get(a.i + 1)) {
            (Some("-m"), Some(meth)) => {
                a.i += 2;
                Some(meth)
            }
            (Some("-m"), None) => {
                self.missing(a.line, "del-header -m", "a match method");
                return None;
            }
            _ => None,
        };
        Some(HeaderAction::Del(match m.map(|w| w.text.as_str()) {
            None | Some("str") => NameMatch::Str(self.header_name(n)?),
            Some("beg") => NameMatch::Beg(n.text.clone()),
            Some("end") => NameMatch::End(n.text.clone()),
            Some("sub") => NameMatch::Sub(n.text.clone()),
            Some("reg") => NameMatch::Reg(self.regex(n, true)?),
            Some(other) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_VALUE,
                        format!("`{action} -m {other}`: unknown match method"),
                    )
                    .at(m.map(|w| w.span).unwrap_or(n.span))
                    .help("use str, beg, end, sub or reg"),
                );
                return None;
            }
        }))
    }

    /// The header actions both directions share.
    fn header_action<'w>(
        &mut self,
        name: &str,
        a: &mut Args<'w>,
        action: &str,
    ) -> Option<Option<HeaderAction>> {
        let line = a.line;
        let need = |me: &mut Self, a: &mut Args<'w>, what: &str| me.need(a, line, action, what);
        Some(Some(match name {
            "set-header" | "add-header" => {
                let (Some(n), Some(v)) = (a.next(), a.next()) else {
                    self.diags.push(
                        Diagnostic::error(
                            codes::MISSING_ARG,
                            format!("`{action}` expects a header name and a value"),
                        )
                        .at(line)
                        .label("a value missing")
                        .help(format!(
                            "write `{action} NAME VALUE` (quote a value with spaces)"
                        )),
                    );
                    return None;
                };
                let n = self.header_name(n)?;
                let v = self.fmt(v)?;
                if name == "set-header" {
                    HeaderAction::Set(n, v)
                } else {
                    HeaderAction::Add(n, v)
                }
            }
            "del-header" => self.del_header(a, action)?,
            "replace-header" | "replace-value" => {
                let n = need(self, a, "a header name, a regex and a replacement")?;
                let n = self.header_name(n)?;
                let r = need(self, a, "a regex and a replacement")?;
                let regex = self.regex(r, false)?;
                let with = need(self, a, "a replacement")?;
                let with = replacement(&self.literal(with)?);
                if name == "replace-header" {
                    HeaderAction::Replace {
                        name: n,
                        regex,
                        with,
                    }
                } else {
                    HeaderAction::ReplaceValue {
                        name: n,
                        regex,
                        with,
                    }
                }
            }
            _ => return Some(None),
        }))
    }

    /// `set-var(name[,cond...]) EXPR`, `set-var-fmt(name[,cond...]) FMT`,
    /// `unset-var(name)`; Some(None) when `name` is no variable action.
    fn var_action(
        &mut self,
        name: &str,
        a: &mut Args<'_>,
        place: &str,
    ) -> Option<Option<VarAction>> {
        let Some((kind, inner)) = name.split_once('(') else {
            return Some(None);
        };
        if !matches!(kind, "set-var" | "set-var-fmt" | "unset-var") {
            return Some(None);
        }
        let action = format!("{place} {name}");
        let Some(inner) = inner.strip_suffix(')') else {
            self.missing(a.line, &action, "`)` after the variable name");
            return None;
        };
        let mut words = inner.split(',');
        let var = match crate::sample::VarRef::parse(words.next().unwrap_or("")) {
            Ok(v) => v,
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(codes::BAD_VALUE, format!("`{action}`: {e}"))
                        .at(a.line)
                        .help("write e.g. `set-var(txn.name) req.hdr(host)`"),
                );
                return None;
            }
        };
        let mut conds = Vec::new();
        for c in words {
            match crate::sample::conv::VarCond::named(c) {
                Some(c) if kind != "unset-var" => conds.push(c),
                _ => {
                    self.diags.push(
                        Diagnostic::error(codes::BAD_VALUE, format!("`{action}`: unknown condition `{c}`"))
                            .at(a.line)
                            .help("ifexists, ifnotexists, ifempty, ifnotempty, ifset, ifnotset, ifgt, iflt"),
                    );
                    return None;
                }
            }
        }
        Some(Some(match kind {
            "unset-var" => VarAction::Unset(var),
            "set-var" => {
                let w = self.need(a, a.line, &action, "a sample expression")?;
                VarAction::Set {
                    var,
                    conds,
                    expr: self.sample_expr(w)?,
                }
            }
            _ => {
                let w = self.need(a, a.line, &action, "a log-format string")?;
                VarAction::SetFmt {
                    var,
                    conds,
                    fmt: self.fmt(w)?,
                }
            }
        }))
    }

    /// `track-scN KEY [table T]`, `sc-inc-gpc0|1(N)`, `sc-set-gpt0(N) VALUE`;
    /// Some(None) when `name` is none of them.
    fn sc_action(&mut self, name: &str, a: &mut Args<'_>, place: &str) -> Option<Option<ScAction>> {
        let action = format!("{place} {name}");
        let slot_of = |me: &mut Self, digits: &str| -> Option<u8> {
            match digits.parse::<u8>() {
                Ok(n) if n < crate::sample::fetch::STICK_COUNTERS => Some(n),
                _ => {
                    me.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("`{action}`: stick counter `{digits}` does not exist"),
                        )
                        .at(a.line)
                        .help("stick counters are numbered 0, 1 and 2"),
                    );
                    None
                }
            }
        };
        if let Some(n) = name.strip_prefix("track-sc") {
            let slot = slot_of(self, n)?;
            let w = self.need(a, a.line, &action, "a sample expression (the key)")?;
            let key = self.sample_expr(w)?;
            let table = if a.peek() == Some("table") {
                a.next();
                Some(
                    self.need(a, a.line, &action, "a table name after `table`")?
                        .text
                        .clone(),
                )
            } else {
                None
            };
            return Some(Some(ScAction::Track { slot, key, table }));
        }
        let call = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('('))
                .and_then(|r| r.strip_suffix(')'))
        };
        if let Some(n) = call("sc-inc-gpc0").or(call("sc-inc-gpc1")) {
            let idx = u8::from(name.starts_with("sc-inc-gpc1"));
            let slot = slot_of(self, n)?;
            return Some(Some(ScAction::IncGpc { slot, idx }));
        }
        if let Some(n) = call("sc-set-gpt0") {
            let slot = slot_of(self, n)?;
            let w = self.need(a, a.line, &action, "an integer or a sample expression")?;
            let value = match w.text.parse::<i64>() {
                Ok(v) => sample::Expr::of(sample::Fetch::Int(v)),
                Err(_) => self.sample_expr(w)?,
            };
            return Some(Some(ScAction::SetGpt0 { slot, value }));
        }
        if name.starts_with("sc-inc-gpc0")
            || name.starts_with("sc-inc-gpc1")
            || name.starts_with("sc-set-gpt0")
        {
            self.missing(
                a.line,
                &action,
                "the stick counter in parentheses, e.g. `(0)`",
            );
            return None;
        }
        Some(None)
    }

    fn http_request_action(&mut self, name: &str, a: &mut Args<'_>) -> Option<HttpReqAction> {
        let action = format!("http-request {name}");
        if let Some(sc) = self.sc_action(name, a, "http-request")? {
            return Some(HttpReqAction::Sc(sc));
        }
        if let Some(h) = self.header_action(name, a, &action)? {
            return Some(HttpReqAction::Header(h));
        }
        if let Some(v) = self.var_action(name, a, "http-request")? {
            return Some(HttpReqAction::Var(v));
        }
        let one = |me: &mut Self, a: &mut Args<'_>| -> Option<Fmt> {
            let Some(w) = a.next() else {
                me.missing(a.line, &action, "a value");
                return None;
            };
            me.fmt(w)
        };
        let regex_and = |me: &mut Self, a: &mut Args<'_>| -> Option<(Regex, String)> {
            let (Some(r), Some(w)) = (a.next(), a.next()) else {
                me.missing(
                    a.line,
                    &format!("http-request {name}"),
                    "a regex and a replacement",
                );
                return None;
            };
            let regex = me.regex(r, false)?;
            Some((regex, replacement(&me.literal(w)?)))
        };
        Some(match name {
            "allow" => HttpReqAction::Allow,
            "deny" => HttpReqAction::Deny(self.reply(a, "http-request deny", 403)?),
            "tarpit" => HttpReqAction::Tarpit(self.reply(a, "http-request tarpit", 500)?),
            "return" => HttpReqAction::Return(self.reply(a, "http-request return", 200)?),
            "redirect" => HttpReqAction::Redirect(self.redirect_args(a, false)?),
            "set-path" => HttpReqAction::SetPath(one(self, a)?),
            "set-pathq" => HttpReqAction::SetPathQ(one(self, a)?),
            "set-uri" => HttpReqAction::SetUri(one(self, a)?),
            "set-query" => HttpReqAction::SetQuery(one(self, a)?),
            "set-method" => HttpReqAction::SetMethod(one(self, a)?),
            "replace-path" => {
                let (regex, with) = regex_and(self, a)?;
                HttpReqAction::ReplacePath { regex, with }
            }
            "replace-pathq" => {
                let (regex, with) = regex_and(self, a)?;
                HttpReqAction::ReplacePathQ { regex, with }
            }
            "replace-uri" => {
                let (regex, with) = regex_and(self, a)?;
                HttpReqAction::ReplaceUri { regex, with }
            }
            "reject" => HttpReqAction::Reject,
            "set-timeout" => self.set_timeout(a, &action)?,
            "wait-for-body" => self.wait_for_body(a, &action)?,
            "cache-use" => {
                HttpReqAction::CacheUse(self.need(a, a.line, &action, "a cache name")?.text.clone())
            }
            "use-service" => match a.next().map(|w| w.text.as_str()) {
                Some("prometheus-exporter") => HttpReqAction::PrometheusExporter,
                Some(other) => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::REFUSED,
                            format!("`http-request use-service {other}` is not run by proxyd"),
                        )
                        .at(a.line)
                        .help("proxyd runs the `prometheus-exporter` service; Lua services (`lua.NAME`) are not run"),
                    );
                    return None;
                }
                None => {
                    self.missing(a.line, &action, "a service name");
                    return None;
                }
            },
            "auth" => {
                let realm = if a.peek() == Some("realm") {
                    a.next();
                    Some(
                        self.need(a, a.line, &action, "a realm after `realm`")?
                            .text
                            .clone(),
                    )
                } else {
                    None
                };
                HttpReqAction::Auth { realm }
            }
            other => {
                // A `Supported` entry of the table without a parser here is a bug.
                self.unrun(a.line, &format!("http-request {other}"));
                return None;
            }
        })
    }

    fn http_response_action(
        &mut self,
        name: &str,
        a: &mut Args<'_>,
        place: &str,
    ) -> Option<HttpRespAction> {
        let action = format!("{place} {name}");
        if let Some(sc) = self.sc_action(name, a, place)? {
            return Some(HttpRespAction::Sc(sc));
        }
        if let Some(h) = self.header_action(name, a, &action)? {
            return Some(HttpRespAction::Header(h));
        }
        if let Some(v) = self.var_action(name, a, place)? {
            return Some(HttpRespAction::Var(v));
        }
        Some(match name {
            "allow" => HttpRespAction::Allow,
            "cache-store" => HttpRespAction::CacheStore(
                self.need(a, a.line, &action, "a cache name")?.text.clone(),
            ),
            "deny" => HttpRespAction::Deny(self.reply(a, "http-response deny", 502)?),
            "set-status" => {
                let status = self.status_code(a.next(), a.line, &format!("{place} set-status"))?;
                let reason = match (a.peek(), a.words.get(a.i + 1)) {
                    (Some("reason"), Some(r)) => {
                        a.i += 2;
                        Some(r.text.clone())
                    }
                    _ => None,
                };
                HttpRespAction::SetStatus { status, reason }
            }
            other => {
                self.unrun(a.line, &format!("{place} {other}"));
                return None;
            }
        })
    }

    /// A table says an action runs but this builder has no code for it.
    fn unrun(&mut self, at: Span, what: &str) {
        self.diags.push(
            Diagnostic::error(codes::REFUSED, format!("`{what}` is not run by proxyd yet")).at(at),
        );
    }

    /// `http-request|http-response|http-after-response ACTION [args] [if|unless COND]`.
    pub(super) fn http_rule(&mut self, p: &mut Proxy, line: &Line, a: usize, phase: HttpPhase) {
        let (place, table) = match phase {
            HttpPhase::Request => ("http-request", registry::HTTP_REQUEST_ACTIONS),
            HttpPhase::Response => ("http-response", registry::HTTP_RESPONSE_ACTIONS),
            HttpPhase::After => ("http-after-response", registry::HTTP_AFTER_RESPONSE_ACTIONS),
        };
        let rest = &line.words[a.min(line.words.len())..];
        let (before, cond) = condition::split(rest, self.diags);
        let Some(action) = before.first() else {
            self.arg(line, a, "an action", place);
            return;
        };
        if !self.action_status(table, action, place) {
            return;
        }
        let mut args = Args {
            words: &before[1..],
            i: 0,
            line: line.span(),
        };
        let name = action.text.as_str();
        let span = line.span();
        if phase == HttpPhase::Request {
            let Some(act) = self.http_request_action(name, &mut args) else {
                return;
            };
            if let Some(w) = args.rest().first() {
                self.extra(w, place);
                return;
            }
            p.rules.http_request.push(Rule {
                action: act,
                cond,
                span,
            });
            return;
        }
        let Some(act) = self.http_response_action(name, &mut args, place) else {
            return;
        };
        if let Some(w) = args.rest().first() {
            self.extra(w, place);
            return;
        }
        let rule = Rule {
            action: act,
            cond,
            span,
        };
        if phase == HttpPhase::After {
            p.rules.http_after_response.push(rule);
        } else {
            p.rules.http_response.push(rule);
        }
    }

    /// The `redirect` keyword.
    pub(super) fn redirect_rule(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        let rest = &line.words[a.min(line.words.len())..];
        let (before, cond) = condition::split(rest, self.diags);
        let mut args = Args {
            words: before,
            i: 0,
            line: line.span(),
        };
        if let Some(r) = self.redirect_args(&mut args, true) {
            p.rules.redirect.push(Rule {
                action: r,
                cond,
                span: line.span(),
            });
        }
    }

    /// `tcp-request connection|session|content ACTION` / `tcp-response content ACTION`.
    pub(super) fn tcp_rule(&mut self, p: &mut Proxy, line: &Line, a: usize, phase: TcpPhase) {
        let place = phase.keyword();
        let rest = &line.words[a.min(line.words.len())..];
        let (before, cond) = condition::split(rest, self.diags);
        let Some(action) = before.first() else {
            self.arg(line, a, "an action", place);
            return;
        };
        if !self.action_status(phase.table(), action, place) {
            return;
        }
        let mut args = Args {
            words: &before[1..],
            i: 0,
            line: line.span(),
        };
        let Some(sc) = self.sc_action(&action.text, &mut args, place) else {
            return;
        };
        let sc = match sc {
            Some(sc) => Some(TcpAction::Sc(sc)),
            None => match self.var_action(&action.text, &mut args, place) {
                None => return,
                Some(v) => v.map(TcpAction::Var),
            },
        };
        if let Some(act) = sc {
            if let Some(w) = args.rest().first() {
                self.extra(w, place);
                return;
            }
            let rule = Rule {
                action: act,
                cond,
                span: line.span(),
            };
            match phase {
                TcpPhase::Connection => p.rules.tcp_request_connection.push(rule),
                TcpPhase::Session => p.rules.tcp_request_session.push(rule),
                TcpPhase::Content => p.rules.tcp_request_content.push(rule),
                TcpPhase::Response => p.rules.tcp_response_content.push(rule),
            }
            return;
        }
        let act = match action.text.as_str() {
            "accept" => TcpAction::Accept,
            "reject" => TcpAction::Reject,
            "expect-proxy" => {
                if before.get(1).map(|w| w.text.as_str()) != Some("layer4") {
                    self.diags.push(
                        Diagnostic::error(
                            codes::MISSING_ARG,
                            "`tcp-request connection expect-proxy` expects `layer4`",
                        )
                        .at(action.span)
                        .help("write `tcp-request connection expect-proxy layer4 [if COND]`"),
                    );
                    return;
                }
                if let Some(w) = before.get(2) {
                    self.extra(w, place);
                    return;
                }
                TcpAction::ExpectProxy
            }
            other => {
                self.unrun(line.span(), &format!("{place} {other}"));
                return;
            }
        };
        if act != TcpAction::ExpectProxy {
            if let Some(w) = before.get(1) {
                self.extra(w, place);
                return;
            }
        }
        let rule = Rule {
            action: act,
            cond,
            span: line.span(),
        };
        match phase {
            TcpPhase::Connection => p.rules.tcp_request_connection.push(rule),
            TcpPhase::Session => p.rules.tcp_request_session.push(rule),
            TcpPhase::Content => p.rules.tcp_request_content.push(rule),
            TcpPhase::Response => p.rules.tcp_response_content.push(rule),
        }
    }

    /// `monitor fail if|unless COND`.
    pub(super) fn monitor_fail(&mut self, p: &mut Proxy, line: &Line, a: usize) {
        let rest = &line.words[a.min(line.words.len())..];
        let (before, cond) = condition::split(rest, self.diags);
        if let Some(w) = before.first() {
            self.extra(w, "monitor fail");
            return;
        }
        match cond {
            Some(c) => p.monitor_fail.push(c),
            None => self.missing(
                line.span(),
                "monitor fail",
                "`if` or `unless` and a condition",
            ),
        }
    }

    /// `set-timeout server|tunnel TIME|EXPR`: a time with a unit, or an expression giving
    /// milliseconds; a null time does nothing, so it is an error as in HAProxy.
    fn set_timeout(&mut self, a: &mut Args<'_>, action: &str) -> Option<HttpReqAction> {
        let which = self.need(a, a.line, action, "`server` or `tunnel`")?;
        let tunnel = match which.text.as_str() {
            "server" => false,
            "tunnel" => true,
            other => {
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_VALUE,
                        format!(
                            "`{action}` sets the `server` or the `tunnel` timeout, not `{other}`"
                        ),
                    )
                    .at(which.span)
                    .help("write `set-timeout server 5s` or `set-timeout tunnel 1h`"),
                );
                return None;
            }
        };
        let w = self.need(a, a.line, action, "a time or a sample expression")?;
        let value = if w.text.starts_with(|c: char| c.is_ascii_digit()) {
            match crate::values::parse_time_ms(&w.text) {
                Ok(0) => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("`{action}`: a null timeout does nothing"),
                        )
                        .at(w.span)
                        .help("give a time above zero, e.g. `5s`"),
                    );
                    return None;
                }
                Ok(ms) => TimeoutValue::Ms(ms),
                Err(e) => {
                    self.diags
                        .push(Diagnostic::error(codes::BAD_VALUE, e).at(w.span));
                    return None;
                }
            }
        } else {
            TimeoutValue::Expr(self.sample_expr(w)?)
        };
        Some(HttpReqAction::SetTimeout { tunnel, value })
    }

    /// `wait-for-body time TIME [at-least SIZE]`.
    fn wait_for_body(&mut self, a: &mut Args<'_>, action: &str) -> Option<HttpReqAction> {
        let (mut time_ms, mut at_least) = (None, 0);
        while let Some(w) = a.next() {
            let value = match w.text.as_str() {
                "time" | "at-least" => {
                    self.need(a, a.line, action, &format!("a value after `{}`", w.text))?
                }
                other => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_VALUE,
                            format!("`{action}` takes `time` and `at-least`, not `{other}`"),
                        )
                        .at(w.span)
                        .help("write `wait-for-body time 1s at-least 1k`"),
                    );
                    return None;
                }
            };
            let parsed = if w.text == "time" {
                crate::values::parse_time_ms(&value.text).map(|t| time_ms = Some(t))
            } else {
                crate::values::parse_size(&value.text).map(|n| at_least = n)
            };
            if let Err(e) = parsed {
                self.diags
                    .push(Diagnostic::error(codes::BAD_VALUE, e).at(value.span));
                return None;
            }
        }
        let Some(time_ms) = time_ms else {
            self.missing(a.line, action, "`time` and the longest wait");
            return None;
        };
        Some(HttpReqAction::WaitForBody { time_ms, at_least })
    }

    /// A stick rule's sample expression, typed.
    pub(super) fn sample_expr(&mut self, w: &Word) -> Option<sample::Expr> {
        match sample::parse_expr(&w.text) {
            Ok(e) => Some(e),
            Err(e) => {
                self.diags.push(sample_diag(e, w.span));
                None
            }
        }
    }
}
