//! TCP content inspection and stickiness: `tcp-request connection|content accept|reject`,
//! `tcp-response content accept|reject`, `tcp-request inspect-delay`, and
//! `stick on|match|store-request|store-response` with a `stick-table`, evaluated on the
//! first bytes of each direction with proxy-core's payload fetches.

use super::acls::AclSet;
use super::Conn;
use haproxy_conf::actions::{Rule, TcpAction};
use haproxy_conf::model::{Proxy, StickKind};
use proxy_core::acl::{Cond, Expr, Fetch, Sample, Value};
use proxy_core::payload::{self, Got};
use proxy_core::sample::vars::{Scopes, Store};
use std::sync::Arc;
use std::time::Duration;

/// Where a sample is taken: the frontend (which knows every backend, for `nbsrv` and
/// `srv_is_up`) and the backend once one is chosen.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub fe: &'a super::frontend::FrontendRt,
    pub be: Option<&'a super::backend::BackendRt>,
    /// The stick counters of the connection and of the request.
    pub sc: super::stick::ScRefs<'a>,
    /// The `txn.` and `req.` variables of the stream (the session's are the
    /// connection's).
    pub vars: Option<(&'a Store, &'a Store)>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        fe: &'a super::frontend::FrontendRt,
        be: Option<&'a super::backend::BackendRt>,
    ) -> Self {
        Ctx {
            fe,
            be,
            sc: super::stick::ScRefs::default(),
            vars: None,
        }
    }

    /// The table of the proxy whose rules run (the backend's, else the frontend's).
    pub fn own_table(&self) -> Option<&'a Arc<super::stick::TableRt>> {
        self.be
            .and_then(|b| b.table.as_ref())
            .or(self.fe.table.as_ref())
    }

    /// `in_table` and `table_*` converters.
    pub fn table(
        &self,
        data: haproxy_conf::sample::conv::TableData,
        table: &str,
        key: &Value,
    ) -> Option<Value> {
        super::stick::convert(&self.fe.tables, data, table, key)
    }

    /// The fetches that read the proxies' state (and the stick tables) rather than the
    /// traffic; `conn` is the client's connection.
    pub fn fetch(&self, f: &Fetch, conn: &Conn) -> Option<Vec<Value>> {
        let src = (!conn.unix).then(|| conn.peer.ip());
        let refs = super::stick::ScRefs {
            sess: Some(&conn.sc),
            txn: self.sc.txn,
        };
        if let Some(v) = super::stick::fetch(f, refs, &self.fe.tables, self.own_table(), src) {
            return Some(v);
        }
        let backend = |name: &Option<String>| match name {
            Some(n) => self.fe.backends.get(n).map(|b| &**b),
            None => self.be,
        };
        Some(match f {
            Fetch::Nbsrv(name) => vec![Value::Int(
                backend(name).map(|b| b.nbsrv() as i64).unwrap_or(0),
            )],
            Fetch::FeConn(name) => {
                let cur = match name {
                    None => Some(self.fe.counters.current()),
                    Some(n) => super::stats::FRONTENDS
                        .get()
                        .and_then(|f| f.iter().find(|f| &f.name == n))
                        .map(|f| f.counters.current()),
                };
                vec![Value::Int(i64::from(cur.unwrap_or(0)))]
            }
            Fetch::BeConn(name) => vec![Value::Int(i64::from(
                backend(name).map(|b| b.counters.current()).unwrap_or(0),
            ))],
            Fetch::SrvConn { backend: b, server } => vec![Value::Int(i64::from(
                backend(b)
                    .and_then(|b| b.servers.iter().find(|s| &s.name == server))
                    .map(|s| s.counters.current())
                    .unwrap_or(0),
            ))],
            Fetch::SrvIsUp { backend: b, server } => vec![Value::Bool(
                backend(b)
                    .and_then(|b| b.servers.iter().find(|s| &s.name == server))
                    .is_some_and(|s| s.is_up()),
            )],
            Fetch::FeRate { frontend, requests } => {
                let now = super::clock::mono_ms();
                let rate = |c: &proxy_core::counters::Counters| {
                    if *requests {
                        c.req_rate(now)
                    } else {
                        c.sess_rate(now)
                    }
                };
                let r = match frontend {
                    None => Some(rate(&self.fe.counters)),
                    Some(n) => super::stats::FRONTENDS
                        .get()
                        .and_then(|f| f.iter().find(|f| &f.name == n))
                        .map(|f| rate(&f.counters)),
                };
                vec![Value::Int(i64::from(r.unwrap_or(0)))]
            }
            Fetch::BeSessRate(name) => vec![Value::Int(i64::from(
                backend(name)
                    .map(|b| b.counters.sess_rate(super::clock::mono_ms()))
                    .unwrap_or(0),
            ))],
            Fetch::SrvSessRate { backend: b, server } => vec![Value::Int(i64::from(
                backend(b)
                    .and_then(|b| b.servers.iter().find(|s| &s.name == server))
                    .map(|s| s.counters.sess_rate(super::clock::mono_ms()))
                    .unwrap_or(0),
            ))],
            Fetch::SrvQueue { backend: b, server } => vec![Value::Int(i64::from(
                backend(b)
                    .and_then(|b| b.servers.iter().find(|s| &s.name == server))
                    .map(|s| s.counters.queued())
                    .unwrap_or(0),
            ))],
            Fetch::BeLoad { backend: b, what } => {
                vec![Value::Int(backend(b).map(|b| b.load(*what)).unwrap_or(0))]
            }
            Fetch::Hostname => vec![Value::Str(super::log::hostname())],
            Fetch::FeName => vec![Value::Str(self.fe.name.clone())],
            Fetch::FeId => vec![Value::Int(i64::from(self.fe.id))],
            // Before a backend is chosen, HAProxy answers with the frontend.
            Fetch::BeName => vec![Value::Str(
                self.be
                    .map(|b| b.name.clone())
                    .unwrap_or_else(|| self.fe.name.clone()),
            )],
            Fetch::BeId => vec![Value::Int(i64::from(
                self.be.map(|b| b.id).unwrap_or(self.fe.id),
            ))],
            Fetch::Stopping => vec![Value::Bool(super::stopping::announced())],
            Fetch::Rand(range) => {
                let r = u64::from(random_u32());
                vec![Value::Int(match range {
                    Some(n) => ((r * n) >> 32) as i64,
                    None => r as i64,
                })]
            }
            Fetch::Uuid => vec![Value::Str(uuid4())],
            _ => return None,
        })
    }
}

/// `fc_err` (0: a connection that got this far had none), the TLS error codes (0 over
/// TLS, nothing without it; no client certificates are asked for) and
/// `ssl_fc_is_resumed` (false without TLS, as HAProxy says).
pub fn conn_errors(f: &Fetch, conn: &Conn) -> Vec<Value> {
    match (f, &conn.tls) {
        (Fetch::FcErr, _) => vec![Value::Int(0)],
        (Fetch::SslFcIsResumed, t) => vec![Value::Bool(t.as_ref().is_some_and(|t| t.resumed))],
        (_, Some(_)) => vec![Value::Int(0)],
        (_, None) => Vec::new(),
    }
}

/// A random 32-bit number (`rand`, `uuid`): not for secrets.
fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    let (secs, us) = super::clock::unix_now();
    h.write_i64(secs);
    h.write_u32(us);
    h.finish() as u32
}

/// A version 4 UUID in its usual text form.
fn uuid4() -> String {
    let mut b = [0u8; 16];
    for c in b.chunks_mut(4) {
        c.copy_from_slice(&random_u32().to_be_bytes());
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// What a connection and the bytes seen so far offer to ACLs.
pub struct ContentSample<'a> {
    pub ctx: Ctx<'a>,
    pub conn: &'a Conn,
    pub req: &'a [u8],
    pub rep: &'a [u8],
    /// Content inspection has waited its whole delay (`wait_end`).
    pub waited: bool,
    vars: Scopes<'a>,
}

impl<'a> ContentSample<'a> {
    pub fn new(ctx: Ctx<'a>, conn: &'a Conn, req: &'a [u8], rep: &'a [u8], waited: bool) -> Self {
        ContentSample {
            ctx,
            conn,
            req,
            rep,
            waited,
            vars: Scopes {
                proc: &super::PROC_VARS,
                sess: Some(&conn.vars),
                txn: ctx.vars.map(|v| v.0),
                req: ctx.vars.map(|v| v.1),
                res: None,
                check: None,
            },
        }
    }
}

impl Sample for ContentSample<'_> {
    fn vars(&self) -> Option<&Scopes<'_>> {
        Some(&self.vars)
    }

    fn fetch(&self, f: &Fetch) -> Vec<Value> {
        if let Some(v) = self.ctx.fetch(f, self.conn) {
            return v;
        }
        // TLS terminated here: the SNI comes from the handshake, not from the bytes.
        if let (Fetch::Sni, Some(t)) = (f, &self.conn.tls) {
            return t.sni.iter().map(|n| Value::Str(n.clone())).collect();
        }
        if let Some(got) = payload::fetch(f, self.req, self.rep) {
            return match got {
                Got::Values(v) => v,
                Got::Need => Vec::new(),
            };
        }
        match f {
            Fetch::Src if !self.conn.unix => vec![Value::Ip(self.conn.peer.ip())],
            Fetch::Dst if !self.conn.unix => vec![Value::Ip(self.conn.local.ip())],
            Fetch::SrcPort if !self.conn.unix => vec![Value::Int(i64::from(self.conn.peer.port()))],
            Fetch::DstPort if !self.conn.unix => {
                vec![Value::Int(i64::from(self.conn.local.port()))]
            }
            Fetch::SslFc => vec![Value::Bool(self.conn.tls.is_some())],
            Fetch::SslC(d) => super::tls::client_cert_fetch(d, self.conn.tls.as_deref()),
            Fetch::Const(b) => vec![Value::Bool(*b)],
            f @ (Fetch::FcErr
            | Fetch::SslFcErr
            | Fetch::SslCErr
            | Fetch::SslCCaErr
            | Fetch::SslFcIsResumed) => conn_errors(f, self.conn),
            Fetch::WaitEnd => vec![Value::Bool(self.waited)],
            _ => Vec::new(),
        }
    }

    fn now(&self) -> (i64, u32) {
        super::clock::unix_now()
    }

    fn map(&self, m: &haproxy_conf::sample::conv::MapConv, key: &Value) -> Option<Value> {
        self.ctx.fe.maps.lookup(m, key)
    }

    fn table(
        &self,
        data: haproxy_conf::sample::conv::TableData,
        table: &str,
        key: &Value,
    ) -> Option<Value> {
        self.ctx.table(data, table, key)
    }
}

impl proxy_core::sample::fmt::Aliases for ContentSample<'_> {
    fn alias(
        &self,
        a: haproxy_conf::sample::fmt::Alias,
    ) -> Option<proxy_core::sample::fmt::AliasValue<'_>> {
        super::aliases::common(a, self.conn, self.ctx, None, None)
    }
}

impl ContentSample<'_> {
    /// A log-format value for this connection (a `use_backend` name).
    pub fn render(&self, f: &haproxy_conf::sample::fmt::Fmt) -> String {
        proxy_core::sample::fmt::render_string(f, self, self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Reject,
}

/// Each phase's rules: the action and its compiled condition.
#[derive(Debug, Default)]
pub struct TcpRules {
    pub connection: Vec<(TcpAction, Option<Cond>)>,
    pub session: Vec<(TcpAction, Option<Cond>)>,
    pub content: Vec<(TcpAction, Option<Cond>)>,
    pub response: Vec<(TcpAction, Option<Cond>)>,
    pub inspect_delay: Option<Duration>,
    pub response_inspect_delay: Option<Duration>,
}

fn compiled(
    rules: &[Rule<TcpAction>],
    acls: &mut AclSet,
) -> Result<Vec<(TcpAction, Option<Cond>)>, String> {
    rules
        .iter()
        .map(|r| Ok((r.action.clone(), acls.compile_opt(&r.cond)?)))
        .collect()
}

impl TcpRules {
    pub fn new(p: &Proxy, acls: &mut AclSet) -> Result<TcpRules, String> {
        Ok(TcpRules {
            connection: compiled(&p.rules.tcp_request_connection, acls)?,
            session: compiled(&p.rules.tcp_request_session, acls)?,
            content: compiled(&p.rules.tcp_request_content, acls)?,
            response: compiled(&p.rules.tcp_response_content, acls)?,
            inspect_delay: p.inspect_delay_ms.map(Duration::from_millis),
            response_inspect_delay: p.response_inspect_delay_ms.map(Duration::from_millis),
        })
    }

    /// The first accept or reject rule that applies decides; none: accept (HAProxy's
    /// default). Stick counter rules that apply on the way run, tracking into `into`
    /// (the connection's counters, or the request's). `expect-proxy` rules are the
    /// connection layer's (see `expects_proxy`).
    pub fn decide(
        rules: &[(TcpAction, Option<Cond>)],
        acls: &AclSet,
        s: &ContentSample<'_>,
        into: &super::stick::Counters,
    ) -> Verdict {
        for (a, c) in rules {
            if *a == TcpAction::ExpectProxy || !acls.holds(c, s) {
                continue;
            }
            match a {
                TcpAction::Reject => return Verdict::Reject,
                TcpAction::Accept => return Verdict::Accept,
                TcpAction::Sc(sc) => {
                    let refs = super::stick::ScRefs {
                        sess: Some(&s.conn.sc),
                        txn: s.ctx.sc.txn,
                    };
                    super::stick::act(sc, into, refs, &s.ctx.fe.tables, s.ctx.own_table(), &|e| {
                        proxy_core::sample::value(e, s)
                    });
                }
                TcpAction::Var(v) => super::rules::apply_var(v, s),
                TcpAction::ExpectProxy => {}
            }
        }
        Verdict::Accept
    }

    /// Whether a `tcp-request connection expect-proxy layer4` rule applies before any
    /// accept/reject rule decides.
    pub fn expects_proxy(&self, acls: &AclSet, s: &dyn Sample) -> bool {
        for (a, c) in &self.connection {
            if !acls.holds(c, s) {
                continue;
            }
            match a {
                TcpAction::ExpectProxy => return true,
                TcpAction::Accept | TcpAction::Reject => return false,
                TcpAction::Sc(_) | TcpAction::Var(_) => {}
            }
        }
        false
    }
}

/// One `stick` line.
#[derive(Debug)]
pub struct StickRule {
    pub matches: bool,
    pub store_request: bool,
    pub store_response: bool,
    pub key: Expr,
    pub cond: Option<Cond>,
}

#[derive(Debug)]
pub struct Stickiness {
    pub rules: Vec<StickRule>,
    pub table: Arc<super::stick::TableRt>,
}

impl Stickiness {
    pub fn new(
        p: &Proxy,
        acls: &mut AclSet,
        tables: &super::stick::Tables,
    ) -> Result<Option<Stickiness>, String> {
        if p.stick_rules.is_empty() {
            return Ok(None);
        }
        let mut rules = Vec::new();
        let mut table: Option<Arc<super::stick::TableRt>> = None;
        for r in &p.stick_rules {
            let name = r.table.as_deref().unwrap_or(&p.name);
            let Some(t) = tables.get(name) else {
                return Err(match &r.table {
                    Some(n) => format!("{}: no stick table named `{n}`", r.kind.keyword()),
                    None => format!(
                        "{}: backend `{}` has no stick-table (declare one, or name another proxy's with `table NAME`)",
                        r.kind.keyword(),
                        p.name
                    ),
                });
            };
            if table.as_ref().is_some_and(|x| !Arc::ptr_eq(x, t)) {
                return Err(
                    "stick rules of one backend naming different tables are not run by proxyd yet"
                        .into(),
                );
            }
            table = Some(t.clone());
            let (matches, store_request, store_response) = match r.kind {
                StickKind::On => (true, true, false),
                StickKind::Match => (true, false, false),
                StickKind::StoreRequest => (false, true, false),
                StickKind::StoreResponse => (false, false, true),
            };
            rules.push(StickRule {
                matches,
                store_request,
                store_response,
                key: r.expr.clone(),
                cond: acls.compile_opt(&r.cond)?,
            });
        }
        match table {
            Some(table) => Ok(Some(Stickiness { rules, table })),
            None => Ok(None),
        }
    }
}

impl Stickiness {
    /// On the request: the server the first matching `stick on|match` rule's key names
    /// (if the table knows it), and the key the first `stick on|store-request` rule
    /// gives, to remember once a server is chosen.
    pub fn on_request(&self, acls: &AclSet, s: &dyn Sample) -> (Option<usize>, Option<Vec<u8>>) {
        let (mut prefer, mut store_key) = (None, None);
        for r in self.rules.iter().filter(|r| r.matches || r.store_request) {
            if !acls.holds(&r.cond, s) {
                continue;
            }
            let Some(key) = proxy_core::sample::value(&r.key, s).and_then(|v| self.table.key(v))
            else {
                continue;
            };
            if r.matches && prefer.is_none() {
                prefer = self.table.lock().get(&key, self.table.now());
            }
            if r.store_request && store_key.is_none() {
                store_key = Some(key);
            }
        }
        (prefer, store_key)
    }

    /// Remember `server` (index `i`) for `key`, unless it is `non-stick`.
    pub fn remember(&self, key: &[u8], i: usize, server: &super::server::ServerRt) {
        if !server.non_stick {
            self.table.lock().put(key, i, self.table.now());
        }
    }

    /// On the response: each `stick store-response` rule that holds remembers the server
    /// under its key.
    pub fn on_response(
        &self,
        acls: &AclSet,
        s: &dyn Sample,
        i: usize,
        server: &super::server::ServerRt,
    ) {
        for r in self.rules.iter().filter(|r| r.store_response) {
            if !acls.holds(&r.cond, s) {
                continue;
            }
            if let Some(k) = proxy_core::sample::value(&r.key, s).and_then(|v| self.table.key(v)) {
                self.remember(&k, i, server);
            }
        }
    }

    /// Whether a rule stores on the response.
    pub fn stores_response(&self) -> bool {
        self.rules.iter().any(|r| r.store_response)
    }
}

/// Whether any of `fetches` still waits for bytes of `req` / `rep`.
pub fn needs_more<'a>(
    fetches: impl IntoIterator<Item = &'a Fetch>,
    req: &[u8],
    rep: &[u8],
) -> bool {
    fetches
        .into_iter()
        .any(|f| payload::fetch(f, req, rep) == Some(Got::Need))
}
