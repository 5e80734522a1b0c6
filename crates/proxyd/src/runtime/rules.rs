//! The HTTP rules a proxy runs, as the model typed them, with their conditions compiled:
//! `http-request` then `redirect` (HAProxy evaluates redirect rules after the
//! http-request ones), `http-response`; and the per-proxy HTTP settings (forwardfor,
//! originalto, keep-alive and close options, header-name restrictions, timeouts).

use super::acls::AclSet;
use haproxy_conf::actions::{HttpReqAction, HttpRespAction};
use haproxy_conf::model::{AddrHeader, Proxy};
use proxy_core::acl::{Cond, Sample};
use std::time::Duration;

/// A request action; `redirect` lines become `Redirect` actions after the others.
#[derive(Debug, Default)]
pub struct HttpRules {
    pub request: Vec<(HttpReqAction, Option<Cond>)>,
    pub response: Vec<(HttpRespAction, Option<Cond>)>,
}

impl HttpRules {
    pub fn new(p: &Proxy, acls: &mut AclSet) -> Result<HttpRules, String> {
        let mut r = HttpRules::default();
        for rule in &p.rules.http_request {
            r.request
                .push((rule.action.clone(), acls.compile_opt(&rule.cond)?));
        }
        for rule in &p.rules.redirect {
            r.request.push((
                HttpReqAction::Redirect(rule.action.clone()),
                acls.compile_opt(&rule.cond)?,
            ));
        }
        for rule in &p.rules.http_response {
            r.response
                .push((rule.action.clone(), acls.compile_opt(&rule.cond)?));
        }
        Ok(r)
    }

    /// The request actions that apply, in order, up to and including the first final one
    /// (allow, deny, tarpit, return, redirect, reject).
    pub fn request_actions<'a>(&'a self, acls: &AclSet, s: &dyn Sample) -> Vec<&'a HttpReqAction> {
        let mut out = Vec::new();
        for (a, c) in &self.request {
            if !acls.holds(c, s) {
                continue;
            }
            out.push(a);
            if a.is_final() {
                break;
            }
        }
        out
    }

    /// The response actions that apply, up to and including the first final one.
    pub fn response_actions<'a>(
        &'a self,
        acls: &AclSet,
        s: &dyn Sample,
    ) -> Vec<&'a HttpRespAction> {
        let mut out = Vec::new();
        for (a, c) in &self.response {
            if !acls.holds(c, s) {
                continue;
            }
            out.push(a);
            if a.is_final() {
                break;
            }
        }
        out
    }
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
            close: p.option("httpclose"),
            server_close: p.option("http-server-close"),
            restrict_names: p.restrict_req_hdr_names,
        }
    }
}

pub use proxy_core::acl::in_net;
