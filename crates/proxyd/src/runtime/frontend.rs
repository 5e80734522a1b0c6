//! A frontend at run time: where its connections or requests go (use_backend rules
//! evaluated with proxy-core's ACLs, else default_backend), its HTTP rules, timeouts and
//! connection limit.

use super::acls::AclSet;
use super::backend::BackendRt;
use super::inspect::TcpRules;
use super::rules::{HttpRules, ProxyHttp};
use haproxy_conf::model::{Mode, Proxy};
use proxy_core::acl::{Cond, Sample};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Semaphore;

pub struct FrontendRt {
    pub name: String,
    pub mode: Mode,
    pub acls: AclSet,
    switching: Vec<(Option<Cond>, Arc<BackendRt>)>,
    default_backend: Option<Arc<BackendRt>>,
    pub http: ProxyHttp,
    pub rules: HttpRules,
    pub tcp: TcpRules,
    pub stats: Option<super::stats::StatsPage>,
    pub errorfiles: std::collections::HashMap<u16, bytes::Bytes>,
    pub slots: Arc<Semaphore>,
    /// The frontend's connection limit (`maxconn`, else the global one).
    pub maxconn: usize,
    pub counters: Arc<proxy_core::counters::Counters>,
    pub timeouts: haproxy_conf::model::Timeouts,
    /// Largest request head accepted (tune.bufsize less tune.maxrewrite, as HAProxy).
    pub max_head: usize,
}

impl FrontendRt {
    pub fn new(
        p: &Proxy,
        backends: &HashMap<String, Arc<BackendRt>>,
        global_maxconn: usize,
        max_head: usize,
    ) -> Result<FrontendRt, String> {
        let mut acls = AclSet::new(p)?;
        let find = |name: &str| {
            backends
                .get(name)
                .cloned()
                .ok_or_else(|| format!("backend `{name}` does not exist"))
        };
        let mut switching = Vec::new();
        for ub in &p.use_backends {
            let backend = find(&ub.backend)?;
            if backend.mode != p.mode {
                return Err(format!(
                    "use_backend {}: the backend is in another mode",
                    ub.backend
                ));
            }
            switching.push((acls.compile_opt(&ub.cond)?, backend));
        }
        let default_backend = match &p.default_backend {
            Some(b) => Some(find(b)?),
            // A listen section is its own backend.
            None => backends.get(&p.name).cloned(),
        };
        let rules = HttpRules::new(p, &mut acls)?;
        let tcp = TcpRules::new(p, &mut acls)?;
        let maxconn = p
            .maxconn
            .map(|m| m as usize)
            .unwrap_or(global_maxconn)
            .max(1);
        Ok(FrontendRt {
            name: p.name.clone(),
            mode: p.mode,
            acls,
            switching,
            default_backend,
            http: ProxyHttp::new(p)?,
            rules,
            tcp,
            stats: super::stats::StatsPage::new(p),
            errorfiles: super::errorfiles::load(p)?,
            // HAProxy's frontend default is the global maxconn.
            slots: Arc::new(Semaphore::new(maxconn)),
            maxconn,
            counters: Arc::default(),
            timeouts: p.timeouts.clone(),
            max_head,
        })
    }

    /// The backend: the first use_backend whose condition holds, else the default.
    pub fn route(&self, s: &dyn Sample) -> Option<Arc<BackendRt>> {
        self.switching
            .iter()
            .find(|(c, _)| self.acls.holds(c, s))
            .map(|(_, b)| b.clone())
            .or_else(|| self.default_backend.clone())
    }
}
