//! Rule actions, typed: what `http-request`, `http-response`, `redirect`, `tcp-request` and
//! `tcp-response` lines do, with their arguments parsed once here. An action HAProxy
//! knows but proxyd cannot run is refused with the reason; it never reaches the model.

use crate::sample::Regex;
use serde::Serialize;

use crate::sample::conv::VarCond;
pub use crate::sample::fmt::Fmt;
use crate::sample::{Expr, VarRef};

/// `set-var(name[,cond...]) EXPR`, `set-var-fmt(name[,cond...]) FMT`, `unset-var(name)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum VarAction {
    Set {
        var: VarRef,
        conds: Vec<VarCond>,
        expr: Expr,
    },
    SetFmt {
        var: VarRef,
        conds: Vec<VarCond>,
        fmt: Fmt,
    },
    Unset(VarRef),
}

/// Stick counter actions: `track-scN KEY [table T]`, `sc-inc-gpc0|1(N)`,
/// `sc-set-gpt0(N) VALUE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum ScAction {
    Track {
        slot: u8,
        key: Expr,
        table: Option<String>,
    },
    IncGpc {
        slot: u8,
        idx: u8,
    },
    SetGpt0 {
        slot: u8,
        value: Expr,
    },
}

/// Where the body of a `return` (or of a `deny` with a body) comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Payload {
    None,
    /// `string TEXT` (a literal) / `lf-string TEXT`.
    Text(Fmt),
    /// `file PATH`: the body (read when the plan is built).
    File(String),
    /// `lf-file PATH`: a body written as log-format in a file (read and parsed when the
    /// plan is built).
    LfFile(String),
    /// `errorfile PATH`: a whole raw HTTP response.
    Errorfile(String),
    /// `errorfiles NAME`: the http-errors section's page for the status.
    Errorfiles(String),
    /// `default-errorfiles`: the proxy's own error pages.
    DefaultErrorfiles,
}

/// `status N [content-type T] [payload] [hdr NAME VALUE]*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reply {
    pub status: u16,
    pub content_type: Option<String>,
    pub payload: Payload,
    pub headers: Vec<(String, Fmt)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RedirectKind {
    Location,
    Prefix,
    Scheme,
}

/// `redirect location|prefix|scheme VALUE [code N] [options]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redirect {
    pub kind: RedirectKind,
    pub value: Fmt,
    pub code: u16,
    pub drop_query: bool,
    pub append_slash: bool,
    /// `set-cookie NAME[=VALUE]`.
    pub set_cookie: Option<String>,
    /// `clear-cookie NAME[=]`.
    pub clear_cookie: Option<String>,
}

/// How `del-header NAME -m METH` compares header names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum NameMatch {
    /// Exact (case-insensitive), the default.
    Str(String),
    Beg(String),
    End(String),
    Sub(String),
    Reg(Regex),
}

impl NameMatch {
    pub fn matches(&self, name: &str) -> bool {
        match self {
            NameMatch::Str(n) => name.eq_ignore_ascii_case(n),
            NameMatch::Beg(p) => name
                .get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p)),
            NameMatch::End(p) => {
                name.len() >= p.len()
                    && name
                        .get(name.len() - p.len()..)
                        .is_some_and(|t| t.eq_ignore_ascii_case(p))
            }
            NameMatch::Sub(p) => name.to_ascii_lowercase().contains(&p.to_ascii_lowercase()),
            NameMatch::Reg(r) => r.is_match(name),
        }
    }
}

/// Header edits shared by requests and responses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum HeaderAction {
    Set(String, Fmt),
    Add(String, Fmt),
    Del(NameMatch),
    /// `replace-header NAME REGEX REPLACEMENT`: on each whole value.
    Replace {
        name: String,
        regex: Regex,
        with: String,
    },
    /// `replace-value NAME REGEX REPLACEMENT`: on each comma-separated value.
    ReplaceValue {
        name: String,
        regex: Regex,
        with: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum HttpReqAction {
    Allow,
    Deny(Reply),
    /// `tarpit`: hold the request `timeout tarpit`, then answer like deny (500 default).
    Tarpit(Reply),
    Return(Reply),
    Redirect(Redirect),
    Header(HeaderAction),
    SetPath(Fmt),
    SetPathQ(Fmt),
    SetUri(Fmt),
    SetQuery(Fmt),
    SetMethod(Fmt),
    ReplacePath {
        regex: Regex,
        with: String,
    },
    ReplacePathQ {
        regex: Regex,
        with: String,
    },
    ReplaceUri {
        regex: Regex,
        with: String,
    },
    /// `reject`: close the connection without a response.
    Reject,
    Var(VarAction),
    Sc(ScAction),
    /// `auth [realm R]`: ask for Basic credentials (401); the proxy's name is the
    /// realm without one.
    Auth {
        realm: Option<String>,
    },
    /// `use-service prometheus-exporter`: the metrics answer the request.
    PrometheusExporter,
    /// `cache-use NAME`: answer from that cache when it holds a fresh copy.
    CacheUse(String),
    /// `wait-for-body time T [at-least BYTES]`: wait up to T for the body (for BYTES
    /// of it, 0: all) before going on.
    WaitForBody {
        time_ms: u64,
        at_least: u64,
    },
    /// `set-timeout server|tunnel VALUE`: this stream's server or tunnel timeout.
    SetTimeout {
        tunnel: bool,
        value: TimeoutValue,
    },
}

/// A `set-timeout` value: fixed, or a sample expression giving milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum TimeoutValue {
    Ms(u64),
    Expr(Expr),
}

impl HttpReqAction {
    /// Whether the rule list stops here when it applies.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            HttpReqAction::Allow
                | HttpReqAction::Deny(_)
                | HttpReqAction::Tarpit(_)
                | HttpReqAction::Return(_)
                | HttpReqAction::Redirect(_)
                | HttpReqAction::Reject
                | HttpReqAction::Auth { .. }
                | HttpReqAction::PrometheusExporter
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum HttpRespAction {
    Allow,
    Deny(Reply),
    Header(HeaderAction),
    SetStatus {
        status: u16,
        reason: Option<String>,
    },
    Var(VarAction),
    Sc(ScAction),
    /// `cache-store NAME`: keep the response in that cache when it may be kept.
    CacheStore(String),
}

impl HttpRespAction {
    pub fn is_final(&self) -> bool {
        matches!(self, HttpRespAction::Allow | HttpRespAction::Deny(_))
    }
}

/// `tcp-request connection|session|content` and `tcp-response content` actions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TcpAction {
    Accept,
    Reject,
    /// `tcp-request connection expect-proxy layer4`: read a PROXY protocol header.
    ExpectProxy,
    Sc(ScAction),
    Var(VarAction),
}

/// One rule: an action, its condition, where it was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule<A> {
    pub action: A,
    pub cond: Option<crate::model::Condition>,
    #[serde(skip)]
    pub span: conf_diag::Span,
}

/// HAProxy's replacement strings write back-references as `\1`; the regex crate as
/// `${1}`. `$` itself is literal in HAProxy.
pub fn replacement(with: &str) -> String {
    let mut out = String::with_capacity(with.len() + 8);
    let mut chars = with.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                let d = chars.next().unwrap_or('0');
                out.push_str(&format!("${{{d}}}"));
            }
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replacement_references() {
        assert_eq!(replacement(r"\1-\2 $x"), "${1}-${2} $$x");
    }

    #[test]
    fn header_name_matches() {
        assert!(NameMatch::Beg("x-".into()).matches("X-Forwarded-For"));
        assert!(!NameMatch::Beg("x-".into()).matches("Host"));
        assert!(NameMatch::End("-id".into()).matches("X-Request-ID"));
        assert!(NameMatch::Sub("forward".into()).matches("X-Forwarded-For"));
        assert!(NameMatch::Str("host".into()).matches("Host"));
    }
}
