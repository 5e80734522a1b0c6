//! The HTTP rules a proxy runs, as the model typed them, with their conditions compiled:
//! `http-request` then `redirect` (HAProxy evaluates redirect rules after the
//! http-request ones), `http-response`; and the per-proxy HTTP settings (forwardfor,
//! originalto, keep-alive and close options, header-name restrictions, timeouts).

use super::acls::AclSet;
use conf_diag::Span;
use haproxy_conf::actions::{
    Fmt, HeaderAction, HttpReqAction, HttpRespAction, Payload, Reply, VarAction,
};
use haproxy_conf::model::{AddrHeader, Proxy};
use haproxy_conf::sample::fmt::Alias;
use proxy_core::acl::Cond;
use std::time::Duration;

/// `set-var`, `set-var-fmt`, `unset-var` on what the sample's variables are.
pub fn apply_var<S: proxy_core::sample::Sample + proxy_core::sample::fmt::Aliases>(
    a: &VarAction,
    s: &S,
) {
    let Some(vars) = s.vars() else {
        return;
    };
    match a {
        VarAction::Set { var, conds, expr } => {
            if let Some(v) = proxy_core::sample::value(expr, s) {
                vars.set(var, v, conds);
            }
        }
        VarAction::SetFmt { var, conds, fmt } => {
            let text = proxy_core::sample::fmt::render(fmt, s, s);
            vars.set(
                var,
                proxy_core::sample::Value::Str(String::from_utf8_lossy(&text).into_owned()),
                conds,
            );
        }
        VarAction::Unset(var) => vars.unset(var),
    }
}

/// Response rules with their compiled conditions.
pub type RespRules = [Rule<HttpRespAction>];

/// An HTTP rule with its compiled condition.
#[derive(Debug)]
pub struct Rule<A> {
    pub action: A,
    pub cond: Option<Cond>,
    /// The header a header action names, parsed once here rather than at every request
    /// (None: no header action; names HTTP does not allow are refused by the front end,
    /// H106, so every header action has one).
    pub header: Option<http::HeaderName>,
}

impl<A> Rule<A> {
    fn new(action: A, cond: Option<Cond>, h: Option<&HeaderAction>) -> Self {
        let name = h.and_then(|h| match h {
            HeaderAction::Set(n, _)
            | HeaderAction::Add(n, _)
            | HeaderAction::Del(haproxy_conf::actions::NameMatch::Str(n))
            | HeaderAction::Replace { name: n, .. }
            | HeaderAction::ReplaceValue { name: n, .. } => {
                http::HeaderName::from_bytes(n.as_bytes()).ok()
            }
            HeaderAction::Del(_) => None,
        });
        Rule {
            action,
            cond,
            header: name,
        }
    }
}

fn req_header(a: &HttpReqAction) -> Option<&HeaderAction> {
    match a {
        HttpReqAction::Header(h) => Some(h),
        _ => None,
    }
}

fn resp_header(a: &HttpRespAction) -> Option<&HeaderAction> {
    match a {
        HttpRespAction::Header(h) => Some(h),
        _ => None,
    }
}

/// A request action; `redirect` lines become `Redirect` actions after the others.
#[derive(Debug, Default)]
pub struct HttpRules {
    pub request: Vec<Rule<HttpReqAction>>,
    pub response: Vec<Rule<HttpRespAction>>,
    /// `http-after-response`: on every response, proxyd's own too.
    pub after: Vec<Rule<HttpRespAction>>,
}

impl HttpRules {
    /// The rules, or the first one proxyd cannot run (its line and why).
    pub fn new(p: &Proxy, acls: &mut AclSet) -> Result<HttpRules, (Span, String)> {
        let mut r = HttpRules::default();
        for rule in &p.rules.http_request {
            let at = |e: String| (rule.span, e);
            check_fmts(fmts_of_req(&rule.action).into_iter()).map_err(at)?;
            r.request.push(Rule::new(
                rule.action.clone(),
                acls.compile_opt(&rule.cond).map_err(at)?,
                req_header(&rule.action),
            ));
        }
        for rule in &p.rules.redirect {
            let cond = acls.compile_opt(&rule.cond).map_err(|e| (rule.span, e))?;
            r.request.push(Rule::new(
                HttpReqAction::Redirect(rule.action.clone()),
                cond,
                None,
            ));
        }
        for rule in &p.rules.http_response {
            let at = |e: String| (rule.span, e);
            check_fmts(fmts_of_resp(&rule.action).into_iter()).map_err(at)?;
            r.response.push(Rule::new(
                rule.action.clone(),
                acls.compile_opt(&rule.cond).map_err(at)?,
                resp_header(&rule.action),
            ));
        }
        for rule in &p.rules.http_after_response {
            let at = |e: String| (rule.span, e);
            check_fmts(fmts_of_resp(&rule.action).into_iter()).map_err(at)?;
            r.after.push(Rule::new(
                rule.action.clone(),
                acls.compile_opt(&rule.cond).map_err(at)?,
                resp_header(&rule.action),
            ));
        }
        Ok(r)
    }
}

/// The log-format variables rules can use: what is known while a request or a response
/// is processed. Timers, byte counts, captures and termination states belong to log
/// lines.
fn alias_in_rules(a: Alias) -> bool {
    !matches!(
        a,
        Alias::BytesRead
            | Alias::BytesUploaded
            | Alias::CapturedReqCookie
            | Alias::CapturedResCookie
            | Alias::Status
            | Alias::Ta
            | Alias::Tc
            | Alias::Td
            | Alias::Th
            | Alias::Ti
            | Alias::Tq
            | Alias::TR
            | Alias::Tr
            | Alias::Tt
            | Alias::Tu
            | Alias::Tw
            | Alias::ActConn
            | Alias::BeConn
            | Alias::FeConn
            | Alias::SrvConn
            | Alias::BeQueue
            | Alias::SrvQueue
            | Alias::BackendSourceIp
            | Alias::BackendSourcePort
            | Alias::LogCounter
            | Alias::CapturedReqHeaders
            | Alias::CapturedReqHeadersList
            | Alias::CapturedResHeaders
            | Alias::CapturedResHeadersList
            | Alias::Retries
            | Alias::RequestCounter
            | Alias::TermState
            | Alias::TermStateCookie
    )
}

/// Every log-format value of an action.
fn fmts_of_req(a: &HttpReqAction) -> Vec<&Fmt> {
    match a {
        HttpReqAction::Deny(r) | HttpReqAction::Tarpit(r) | HttpReqAction::Return(r) => {
            reply_fmts(r)
        }
        HttpReqAction::Redirect(rd) => vec![&rd.value],
        HttpReqAction::Header(HeaderAction::Set(_, f) | HeaderAction::Add(_, f))
        | HttpReqAction::SetPath(f)
        | HttpReqAction::SetPathQ(f)
        | HttpReqAction::SetUri(f)
        | HttpReqAction::SetQuery(f)
        | HttpReqAction::SetMethod(f)
        | HttpReqAction::Var(VarAction::SetFmt { fmt: f, .. }) => vec![f],
        _ => Vec::new(),
    }
}

fn fmts_of_resp(a: &HttpRespAction) -> Vec<&Fmt> {
    match a {
        HttpRespAction::Deny(r) => reply_fmts(r),
        HttpRespAction::Header(HeaderAction::Set(_, f) | HeaderAction::Add(_, f))
        | HttpRespAction::Var(VarAction::SetFmt { fmt: f, .. }) => vec![f],
        _ => Vec::new(),
    }
}

fn reply_fmts(r: &Reply) -> Vec<&Fmt> {
    let mut v: Vec<&Fmt> = r.headers.iter().map(|(_, f)| f).collect();
    if let Payload::Text(t) = &r.payload {
        v.push(t);
    }
    v
}

/// Refuse the variables rules cannot write yet (at `-c` and at start). `%ID` is empty
/// without `unique-id-format`, as in HAProxy.
fn check_fmts<'a>(fmts: impl Iterator<Item = &'a Fmt>) -> Result<(), String> {
    for f in fmts {
        let bad = |a: &Alias| !alias_in_rules(*a);
        if let Some(a) = f.aliases().find(bad) {
            return Err(format!(
                "log-format variable `%{}` in a rule is not run by proxyd yet (it is known to log lines only); use a sample fetch such as `%[src]` or remove it",
                a.name()
            ));
        }
    }
    Ok(())
}

/// Per-proxy HTTP settings.
#[derive(Debug, Clone)]
pub struct ProxyHttp {
    pub forwardfor: Option<AddrHeader>,
    pub originalto: Option<AddrHeader>,
    /// Time to receive a whole request head (slowloris guard).
    pub request_timeout: Option<Duration>,
    /// `option httpclose`: close both sides after each response.
    pub close: bool,
    /// `option http-server-close`: no connection reuse towards servers.
    pub server_close: bool,
    /// `option http-restrict-req-hdr-names`: None preserve, Some(false) delete,
    /// Some(true) reject.
    pub restrict_names: Option<bool>,
    /// `compression ...` (algorithms, types and offload each count on their own).
    pub compression: Option<haproxy_conf::model::Compression>,
    /// `option http-buffer-request`: the whole body (as much as a buffer holds) before
    /// the rules, for at most this long.
    pub buffer_request: Option<Duration>,
    /// The proxy reads the request's body (`req.body*`).
    pub reads_body: bool,
}

impl ProxyHttp {
    pub fn new(p: &Proxy) -> ProxyHttp {
        ProxyHttp {
            forwardfor: p.forwardfor.clone(),
            originalto: p.originalto.clone(),
            request_timeout: p
                .timeouts
                .http_request
                .or(p.timeouts.client)
                .map(Duration::from_millis),
            compression: p.compression.clone(),
            close: p.option("httpclose"),
            server_close: p.option("http-server-close"),
            restrict_names: p.restrict_req_hdr_names,
            buffer_request: p.option("http-buffer-request").then(|| {
                Duration::from_millis(
                    p.timeouts
                        .http_request
                        .or(p.timeouts.client)
                        .unwrap_or(5000),
                )
            }),
            reads_body: haproxy_conf::checks::reads_body(p),
        }
    }
}

pub use proxy_core::acl::in_net;
