//! HTTP rules a proxy runs: `http-request deny|return|redirect|set-header|add-header|
//! del-header|set-path|allow`, `redirect location|prefix|scheme`, `http-response
//! set-header|add-header|del-header`, and the per-proxy HTTP settings (forwardfor,
//! keep-alive and close options, timeouts). Anything else is refused when the proxy is
//! built, so no access rule is ever skipped.

use super::acls::AclSet;
use haproxy_conf::model::{Proxy, RuleKind};
use proxy_core::acl::{Cond, Sample};
use std::net::IpAddr;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectKind {
    Location,
    Prefix,
    Scheme,
}

#[derive(Debug, Clone)]
pub enum ReqAction {
    Allow,
    Deny {
        status: u16,
    },
    Return {
        status: u16,
        content_type: Option<String>,
        body: String,
    },
    Redirect {
        kind: RedirectKind,
        value: String,
        code: u16,
    },
    SetHeader(String, String),
    AddHeader(String, String),
    DelHeader(String),
    SetPath(String),
}

#[derive(Debug, Clone)]
/// Header edits of `http-response` (set-header, add-header, del-header).
pub enum RespAction {
    Set(String, String),
    Add(String, String),
    Del(String),
}

#[derive(Default)]
pub struct HttpRules {
    pub request: Vec<(ReqAction, Option<Cond>)>,
    pub response: Vec<(RespAction, Option<Cond>)>,
}

/// A literal value: log-format expressions (`%[...]`, `%ci`) are not evaluated yet.
fn literal(v: &str) -> Result<String, String> {
    if v.contains('%') {
        return Err(format!(
            "`{v}`: log-format expressions are not supported yet"
        ));
    }
    Ok(v.to_string())
}

fn status(word: Option<&String>, what: &str) -> Result<u16, String> {
    word.and_then(|w| w.parse::<u16>().ok())
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| format!("`{what}` needs an HTTP status"))
}

/// `location|prefix|scheme VALUE [code N]`.
fn redirect(kind: &str, args: &[String]) -> Result<ReqAction, String> {
    let kind = match kind {
        "location" => RedirectKind::Location,
        "prefix" => RedirectKind::Prefix,
        "scheme" => RedirectKind::Scheme,
        k => return Err(format!("redirect `{k}` is not known")),
    };
    let value = literal(args.first().ok_or("redirect needs a value")?)?;
    let mut code = 302;
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "code" => {
                code = status(args.get(i + 1), "code")?;
                i += 1;
            }
            o => return Err(format!("redirect option `{o}` is not supported yet")),
        }
        i += 1;
    }
    Ok(ReqAction::Redirect { kind, value, code })
}

fn request_action(action: &str, args: &[String]) -> Result<ReqAction, String> {
    let arg = |i: usize| {
        args.get(i)
            .cloned()
            .ok_or_else(|| format!("`http-request {action}` needs more arguments"))
    };
    Ok(match action {
        "allow" => ReqAction::Allow,
        "deny" => match args.first().map(String::as_str) {
            None => ReqAction::Deny { status: 403 },
            Some("deny_status") => ReqAction::Deny {
                status: status(args.get(1), "deny_status")?,
            },
            Some(o) => return Err(format!("`http-request deny {o}` is not supported yet")),
        },
        "return" => {
            let (mut st, mut ctype, mut body) = (200, None, String::new());
            let mut i = 0;
            while i < args.len() {
                match args[i].as_str() {
                    "status" => st = status(args.get(i + 1), "status")?,
                    "content-type" => ctype = Some(arg(i + 1)?),
                    "string" => body = arg(i + 1)?,
                    "lf-string" => body = literal(&arg(i + 1)?)?,
                    o => return Err(format!("`http-request return {o}` is not supported yet")),
                }
                i += 2;
            }
            ReqAction::Return {
                status: st,
                content_type: ctype,
                body,
            }
        }
        "redirect" => redirect(&arg(0)?, &args[1..])?,
        "set-header" => ReqAction::SetHeader(arg(0)?, literal(&arg(1)?)?),
        "add-header" => ReqAction::AddHeader(arg(0)?, literal(&arg(1)?)?),
        "del-header" => ReqAction::DelHeader(arg(0)?),
        "set-path" => ReqAction::SetPath(literal(&arg(0)?)?),
        a => return Err(format!("`http-request {a}` is not supported yet")),
    })
}

fn response_action(action: &str, args: &[String]) -> Result<RespAction, String> {
    let arg = |i: usize| {
        args.get(i)
            .cloned()
            .ok_or_else(|| format!("`http-response {action}` needs more arguments"))
    };
    Ok(match action {
        "set-header" => RespAction::Set(arg(0)?, literal(&arg(1)?)?),
        "add-header" => RespAction::Add(arg(0)?, literal(&arg(1)?)?),
        "del-header" => RespAction::Del(arg(0)?),
        a => return Err(format!("`http-response {a}` is not supported yet")),
    })
}

impl HttpRules {
    pub fn new(p: &Proxy, acls: &mut AclSet) -> Result<HttpRules, String> {
        let mut r = HttpRules::default();
        for rule in &p.rules {
            let cond = acls.compile_opt(&rule.cond)?;
            match rule.kind {
                RuleKind::HttpRequest => r
                    .request
                    .push((request_action(&rule.action, &rule.args)?, cond)),
                RuleKind::Redirect => r.request.push((redirect(&rule.action, &rule.args)?, cond)),
                RuleKind::HttpResponse => r
                    .response
                    .push((response_action(&rule.action, &rule.args)?, cond)),
                // TCP rules are the inspect module's.
                RuleKind::TcpRequestConnection
                | RuleKind::TcpRequestSession
                | RuleKind::TcpRequestContent
                | RuleKind::TcpResponseContent => {}
                other => return Err(format!("`{other:?}` rules are not run by this build yet")),
            }
        }
        Ok(r)
    }

    /// The request actions that apply, in order, up to and including the first final one
    /// (allow, deny, return, redirect).
    pub fn request_actions<'a>(&'a self, acls: &AclSet, s: &dyn Sample) -> Vec<&'a ReqAction> {
        let mut out = Vec::new();
        for (a, c) in &self.request {
            if !acls.holds(c, s) {
                continue;
            }
            out.push(a);
            if matches!(
                a,
                ReqAction::Allow
                    | ReqAction::Deny { .. }
                    | ReqAction::Return { .. }
                    | ReqAction::Redirect { .. }
            ) {
                break;
            }
        }
        out
    }

    pub fn response_actions<'a>(&'a self, acls: &AclSet, s: &dyn Sample) -> Vec<&'a RespAction> {
        self.response
            .iter()
            .filter(|(_, c)| acls.holds(c, s))
            .map(|(a, _)| a)
            .collect()
    }
}

/// `option forwardfor [except NET] [header NAME] [if-none]`.
#[derive(Debug, Clone)]
pub struct ForwardFor {
    pub header: String,
    pub except: Option<(IpAddr, u8)>,
    pub if_none: bool,
}

/// Per-proxy HTTP settings.
#[derive(Debug, Clone)]
pub struct ProxyHttp {
    pub forwardfor: Option<ForwardFor>,
    /// Time to receive a whole request head (slowloris guard).
    pub request_timeout: Option<Duration>,
    /// `option httpclose`: close both sides after each response.
    pub close: bool,
    /// `option http-server-close`: no connection reuse towards servers.
    pub server_close: bool,
}

impl ProxyHttp {
    pub fn new(p: &Proxy) -> Result<ProxyHttp, String> {
        let forwardfor = match p.options.get("forwardfor") {
            Some(o) if o.enabled => {
                let mut f = ForwardFor {
                    header: "X-Forwarded-For".into(),
                    except: None,
                    if_none: false,
                };
                let mut i = 0;
                while i < o.args.len() {
                    match o.args[i].as_str() {
                        "header" => {
                            f.header = o
                                .args
                                .get(i + 1)
                                .cloned()
                                .ok_or("forwardfor header needs a name")?;
                            i += 1;
                        }
                        "except" => {
                            let net = o
                                .args
                                .get(i + 1)
                                .ok_or("forwardfor except needs a network")?;
                            let (a, l) = net.split_once('/').unwrap_or((net, "32"));
                            let ip: IpAddr =
                                a.parse().map_err(|_| format!("`{net}` is not a network"))?;
                            let len = l.parse().map_err(|_| format!("`{net}` is not a network"))?;
                            f.except = Some((ip, len));
                            i += 1;
                        }
                        "if-none" => f.if_none = true,
                        o => return Err(format!("`option forwardfor {o}` is not known")),
                    }
                    i += 1;
                }
                Some(f)
            }
            _ => None,
        };
        Ok(ProxyHttp {
            forwardfor,
            request_timeout: p
                .timeouts
                .http_request
                .or(p.timeouts.client)
                .map(Duration::from_millis),
            close: p.option("httpclose") || p.option("forceclose"),
            server_close: p.option("http-server-close"),
        })
    }
}

pub use proxy_core::acl::in_net;
