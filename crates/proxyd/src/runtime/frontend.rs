//! A frontend at run time: where its connections go (use_backend rules evaluated with
//! proxy-core's ACLs on what a TCP connection offers, else default_backend), its timeout
//! and its connection limit.

use super::backend::BackendRt;
use haproxy_conf::model::{AclRef, Condition, Mode, Proxy};
use proxy_core::acl::{CompiledAcl, Cond, Fetch, Sample, Term, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

pub struct FrontendRt {
    pub name: String,
    acls: Vec<CompiledAcl>,
    switching: Vec<(Option<Cond>, Arc<BackendRt>)>,
    default_backend: Option<Arc<BackendRt>>,
    pub client_timeout: Option<Duration>,
    pub slots: Arc<Semaphore>,
}

/// What a TCP connection offers to ACLs before any data is read.
pub struct ConnSample {
    pub src: SocketAddr,
    pub dst: SocketAddr,
}

impl Sample for ConnSample {
    fn fetch(&self, f: &Fetch) -> Vec<Value> {
        match f {
            Fetch::Src => vec![Value::Ip(self.src.ip())],
            Fetch::Dst => vec![Value::Ip(self.dst.ip())],
            Fetch::SrcPort => vec![Value::Int(i64::from(self.src.port()))],
            Fetch::DstPort => vec![Value::Int(i64::from(self.dst.port()))],
            Fetch::SslFc => vec![Value::Bool(false)],
            Fetch::Const(b) => vec![Value::Bool(*b)],
            _ => Vec::new(),
        }
    }
}

/// Fetches a TCP connection can answer at accept time.
fn layer4(f: &Fetch) -> bool {
    matches!(
        f,
        Fetch::Src | Fetch::Dst | Fetch::SrcPort | Fetch::DstPort | Fetch::SslFc | Fetch::Const(_)
    )
}

impl FrontendRt {
    pub fn new(
        p: &Proxy,
        backends: &HashMap<String, Arc<BackendRt>>,
        global_maxconn: usize,
    ) -> Result<FrontendRt, String> {
        let mut fe = FrontendRt {
            name: p.name.clone(),
            acls: Vec::new(),
            switching: Vec::new(),
            default_backend: None,
            client_timeout: p.timeouts.client.map(Duration::from_millis),
            // HAProxy's frontend default is the global maxconn.
            slots: Arc::new(Semaphore::new(
                p.maxconn
                    .map(|m| m as usize)
                    .unwrap_or(global_maxconn)
                    .max(1),
            )),
        };
        let mut named: HashMap<String, Vec<usize>> = HashMap::new();
        for a in &p.acls {
            let c = CompiledAcl::compile(&a.name, &a.fetch, &a.flags, &a.patterns)
                .map_err(|e| format!("acl {}: {e}", a.name))?;
            named.entry(a.name.clone()).or_default().push(fe.acls.len());
            fe.acls.push(c);
        }
        let find = |name: &str| {
            backends
                .get(name)
                .cloned()
                .ok_or_else(|| format!("backend `{name}` does not exist"))
        };
        for ub in &p.use_backends {
            let cond = match &ub.cond {
                Some(c) => Some(fe.condition(c, &mut named)?),
                None => None,
            };
            fe.switching.push((cond, find(&ub.backend)?));
        }
        fe.default_backend = match &p.default_backend {
            Some(b) => Some(find(b)?),
            // A listen section is its own backend.
            None => backends.get(&p.name).cloned(),
        };
        if p.mode == Mode::Http {
            return Err("mode http is not run by this build yet (tcp only)".into());
        }
        Ok(fe)
    }

    /// Translate a condition, compiling anonymous ACLs; every fetch must be answerable
    /// from the connection alone (no content inspection yet).
    fn condition(
        &mut self,
        c: &Condition,
        named: &mut HashMap<String, Vec<usize>>,
    ) -> Result<Cond, String> {
        let mut any_of = Vec::new();
        for group in &c.any_of {
            let mut terms = Vec::new();
            for t in group {
                let indices = match &t.acl {
                    AclRef::Named(n) => named
                        .get(n)
                        .cloned()
                        .ok_or_else(|| format!("acl `{n}` is not defined"))?,
                    AclRef::Anonymous(a) => {
                        let c = CompiledAcl::compile("", &a.fetch, &a.flags, &a.patterns)?;
                        self.acls.push(c);
                        vec![self.acls.len() - 1]
                    }
                };
                // Several `acl X` lines with one name are ORed: represent as the first
                // (HAProxy merges them; one line per name is the common case).
                if indices.len() > 1 {
                    return Err("an ACL name declared on several lines is not supported yet".into());
                }
                let acl = indices[0];
                if !layer4(self.acls[acl].fetch()) {
                    return Err(format!(
                        "acl {}: in TCP mode this build routes on src, dst and ports only",
                        self.acls[acl].name
                    ));
                }
                terms.push(Term {
                    negate: t.negate,
                    acl,
                });
            }
            any_of.push(terms);
        }
        Ok(Cond {
            unless: c.unless,
            any_of,
        })
    }

    /// The backend for a connection: the first use_backend whose condition holds.
    pub fn route(&self, s: &ConnSample) -> Option<Arc<BackendRt>> {
        self.switching
            .iter()
            .find(|(c, _)| c.as_ref().is_none_or(|c| c.eval(&self.acls, s)))
            .map(|(_, b)| b.clone())
            .or_else(|| self.default_backend.clone())
    }
}
