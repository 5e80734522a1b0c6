//! A frontend at run time: where its connections or requests go (use_backend rules
//! evaluated with proxy-core's ACLs, else default_backend), its rules, the monitor URI,
//! timeouts and connection limit.

use super::acls::AclSet;
use super::backend::BackendRt;
use super::errorfiles::ErrorPages;
use super::inspect::TcpRules;
use super::rules::{HttpRules, ProxyHttp};
use super::PlanError;
use haproxy_conf::model::{Config, Mode, Proxy, TcpKa};
use haproxy_conf::sample::fmt::Fmt;
use proxy_core::acl::{Cond, Sample};
use std::collections::HashMap;
use std::sync::Arc;

/// Whether a frontend's listeners accept: open, paused (connections wait in the kernel's
/// backlog), or stopped for good (the listeners close).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepting {
    Open,
    Paused,
    Stopped,
}

impl Accepting {
    /// The report's status for the frontend, as HAProxy's.
    pub fn status(self) -> &'static str {
        match self {
            Accepting::Open => "OPEN",
            Accepting::Paused => "PAUSED",
            Accepting::Stopped => "STOP",
        }
    }
}

#[derive(Debug)]
pub struct FrontendRt {
    pub name: String,
    /// The numeric id (`fe_id`, `be_id`).
    pub id: u32,
    pub mode: Mode,
    pub acls: AclSet,
    switching: Vec<(Option<Cond>, Switch)>,
    default_backend: Option<Arc<BackendRt>>,
    pub http: ProxyHttp,
    pub rules: HttpRules,
    pub tcp: TcpRules,
    pub stats: Option<super::stats::StatsPage>,
    pub errorfiles: ErrorPages,
    /// `monitor-uri`: answered 200 here (503 while a `monitor fail` condition holds).
    pub monitor_uri: Option<String>,
    pub monitor_fail: Vec<Cond>,
    /// The frontend's connection limit (`maxconn`, else the global one), which
    /// `set maxconn frontend` changes.
    pub slots: super::limit::Limit,
    pub counters: Arc<proxy_core::counters::Counters>,
    /// `disable|enable|shutdown frontend` (runtime API): whether its listeners accept.
    pub state: tokio::sync::watch::Sender<Accepting>,
    pub timeouts: haproxy_conf::model::Timeouts,
    /// Largest request head accepted (tune.bufsize less tune.maxrewrite, as HAProxy).
    pub max_head: usize,
    /// `h1-accept-payload-with-any-method` (global).
    pub h1_payload_any_method: bool,
    /// `tune.h2.*` for HTTP/2 clients.
    pub h2_tune: super::http::upstream::H2Tune,
    /// TCP keep-alive towards clients (`option clitcpka`/`tcpka` and `clitcpka-*`).
    pub keepalive: Option<TcpKa>,
    pub nolinger: bool,
    /// Every backend, for `nbsrv(NAME)` and `srv_is_up(NAME/SERVER)`.
    pub backends: HashMap<String, Arc<BackendRt>>,
    /// Where and how traffic is logged (None: nowhere).
    pub log: Option<super::logline::LogPlan>,
    /// Every stick table, and this frontend's own.
    pub tables: Arc<super::stick::Tables>,
    pub table: Option<Arc<super::stick::TableRt>>,
    /// Every map file the configuration reads.
    pub maps: Arc<super::maps::Maps>,
    /// Every userlist (`http_auth`).
    pub userlists: Arc<super::auth::Userlists>,
    /// Every `cache` section.
    pub caches: Arc<super::http::cache::Caches>,
    /// This frontend or one of the backends has `http-after-response` rules.
    pub after_response: bool,
    /// A listen section (its backend of the same name is the same proxy).
    pub listen: bool,
    /// `unique-id-format` and `unique-id-header`.
    pub unique_id_format: Option<haproxy_conf::sample::fmt::Fmt>,
    pub unique_id_header: Option<http::HeaderName>,
}

/// Where a `use_backend` rule sends requests.
#[derive(Debug)]
enum Switch {
    To(Arc<BackendRt>),
    /// A name written as log-format, looked up when the rule applies.
    Named(haproxy_conf::sample::fmt::Fmt),
}

impl FrontendRt {
    /// Whether `be` is this proxy itself (a listen section): its rules ran already as
    /// the frontend's, and HAProxy runs a proxy's rules once.
    pub fn is_itself(&self, be: &BackendRt) -> bool {
        self.listen && be.listen && self.name == be.name
    }

    pub fn new(
        p: &Proxy,
        cfg: &Config,
        backends: &HashMap<String, Arc<BackendRt>>,
        global_maxconn: usize,
        max_head: usize,
        (tables, maps, userlists, caches): (
            &Arc<super::stick::Tables>,
            &Arc<super::maps::Maps>,
            &Arc<super::auth::Userlists>,
            &Arc<super::http::cache::Caches>,
        ),
    ) -> Result<FrontendRt, PlanError> {
        let at = |span: conf_diag::Span, message: String| PlanError {
            span: Some(span),
            message,
        };
        let mut acls = AclSet::new(p);
        let find = |name: &str, span: conf_diag::Span| {
            backends
                .get(name)
                .cloned()
                .ok_or_else(|| at(span, format!("backend `{name}` does not exist")))
        };
        let mut switching = Vec::new();
        for ub in &p.use_backends {
            let cond = acls.compile_opt(&ub.cond).map_err(|e| at(ub.span, e))?;
            if let Some(f) = &ub.dynamic {
                switching.push((cond, Switch::Named(f.clone())));
                continue;
            }
            let backend = find(&ub.backend, ub.span)?;
            if backend.mode != p.mode {
                return Err(at(
                    ub.span,
                    format!("use_backend {}: the backend is in another mode", ub.backend),
                ));
            }
            switching.push((cond, Switch::To(backend)));
        }
        let default_backend = match &p.default_backend {
            Some(b) => Some(find(b, p.default_backend_span.unwrap_or(p.span))?),
            // A listen section is its own backend.
            None => backends.get(&p.name).cloned(),
        };
        if let Some(b) = &default_backend {
            if b.mode != p.mode {
                return Err(at(
                    p.default_backend_span.unwrap_or(p.span),
                    format!(
                        "default_backend {}: a {} frontend cannot use a {} backend yet",
                        b.name,
                        if p.mode == Mode::Http { "http" } else { "tcp" },
                        if b.mode == Mode::Http { "http" } else { "tcp" },
                    ),
                ));
            }
        }
        let rules = HttpRules::new(p, &mut acls).map_err(|(span, e)| at(span, e))?;
        let after_response =
            !rules.after.is_empty() || backends.values().any(|b| !b.rules.after.is_empty());
        let tcp = TcpRules::new(p, &mut acls).map_err(|e| at(p.span, e))?;
        let mut monitor_fail = Vec::new();
        for c in &p.monitor_fail {
            monitor_fail.push(acls.condition(c).map_err(|e| at(p.span, e))?);
        }
        let stats = super::stats::StatsPage::new(p, &mut acls).map_err(|e| at(p.span, e))?;
        let maxconn = p
            .maxconn
            .map(|m| m as usize)
            .unwrap_or(global_maxconn)
            .max(1);
        Ok(FrontendRt {
            tables: tables.clone(),
            table: tables.get(&p.name).cloned(),
            maps: maps.clone(),
            userlists: userlists.clone(),
            caches: caches.clone(),
            after_response,
            listen: p.kind == haproxy_conf::model::ProxyKind::Listen,
            unique_id_format: p.unique_id_format.clone(),
            unique_id_header: p
                .unique_id_header
                .as_deref()
                .and_then(|h| http::HeaderName::from_bytes(h.as_bytes()).ok()),
            name: p.name.clone(),
            id: cfg.proxy_id(&p.name),
            mode: p.mode,
            acls,
            switching,
            default_backend,
            http: ProxyHttp::new(p),
            rules,
            tcp,
            stats,
            errorfiles: ErrorPages::new(p, cfg)?,
            monitor_uri: p.monitor_uri.clone(),
            monitor_fail,
            // HAProxy's frontend default is the global maxconn.
            slots: super::limit::Limit::new(maxconn),
            counters: Arc::default(),
            state: tokio::sync::watch::Sender::new(Accepting::Open),
            timeouts: p.timeouts.clone(),
            max_head,
            h1_payload_any_method: cfg.global.h1_payload_any_method,
            h2_tune: super::http::upstream::H2Tune::of(&cfg.global),
            keepalive: (p.option("tcpka") || p.option("clitcpka")).then_some(p.clitcpka),
            nolinger: p.option("nolinger"),
            backends: backends.clone(),
            log: super::logline::LogPlan::new(p, cfg)?,
        })
    }

    /// The backend: the first use_backend whose condition holds, else the default.
    /// The backend of the first `use_backend` rule that holds, else the default one. A
    /// name written as log-format that names no backend of this mode ends the rules
    /// there: the default backend takes the request, as in HAProxy.
    pub fn route(&self, s: &dyn Sample, render: &dyn Fn(&Fmt) -> String) -> Option<Arc<BackendRt>> {
        let Some((_, to)) = self.switching.iter().find(|(c, _)| self.acls.holds(c, s)) else {
            return self.default_backend.clone();
        };
        match to {
            Switch::To(b) => Some(b.clone()),
            Switch::Named(f) => self
                .backends
                .get(&render(f))
                .filter(|b| b.mode == self.mode)
                .cloned()
                .or_else(|| self.default_backend.clone()),
        }
    }

    /// Whether the monitor URI should report a failure now.
    pub fn monitor_failing(&self, s: &dyn Sample) -> bool {
        self.monitor_fail.iter().any(|c| self.acls.holds_cond(c, s))
    }
}
