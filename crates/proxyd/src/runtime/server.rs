//! A server at run time: where it is (resolved again while its name does not resolve),
//! its state (checks, agent, administrative state, tracking another server), its
//! connection counts and the options that shape connections to it.

use super::clock::Clock;
use haproxy_conf::model::{Observe, OnError, Server as ConfServer, TcpKa};
use haproxy_conf::values::AddrKind;
use proxy_core::counters::{Counters, LastCheck};
use proxy_core::health::{Admin, AgentReply, CheckTiming, Health, Transition};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

/// Where connections to a server go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Inet(SocketAddr),
    Unix(PathBuf),
}

/// How a server's port is chosen: fixed, the client's destination port, or that port
/// shifted (`+N` / `-N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortRule {
    Fixed,
    FromClient,
    Offset(i32),
}

/// `send-proxy` / `send-proxy-v2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyHeader {
    V1,
    V2,
}

/// TLS towards a server for its traffic (`ssl`): the client, and the `sni` expression
/// evaluated on each request (or TCP connection).
#[derive(Debug)]
pub struct ServerTls {
    pub client: super::srv_tls::Client,
    /// The same with ALPN http/1.1 alone, for WebSocket streams (`ServerRt::ws_h1`).
    pub client_h1: Option<super::srv_tls::Client>,
    pub sni: Option<haproxy_conf::sample::Expr>,
}

/// An idle HTTP/1.1 connection to a server, or an open HTTP/2 one (shared): the address
/// generation it was opened in, and the SNI it was opened with (a request reuses one
/// opened with its own SNI only).
#[derive(Debug)]
pub struct Pooled {
    pub gen: u64,
    pub sni: Option<String>,
    pub sender: super::http::upstream::Sender,
    /// Bytes moving on it (`timeout server`).
    pub activity: Arc<super::idle::Activity>,
    /// `timeout server`'s timer, kept for the next request (`upstream::Link::timer`).
    pub timer: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

/// The agent check's settings.
#[derive(Debug, Clone)]
pub struct AgentSpec {
    pub addr: Option<IpAddr>,
    pub port: u16,
    pub inter_ms: u64,
    pub send: Option<Vec<u8>>,
}

/// What changes over time.
#[derive(Debug)]
pub struct ServerState {
    /// Regular health checks.
    pub health: Health,
    /// The agent's view (`up`, `down`...), with the server's rise and fall.
    pub agent_health: Health,
    pub admin: Admin,
    /// The weight in force before a drain (`uweight`): the configured one until an
    /// agent's `NN%` or the runtime API's `set weight` changes it.
    pub uweight: u32,
    /// The agent's `maxconn:N`, or the runtime API's `set maxconn server`.
    pub maxconn: Option<u32>,
    /// `disable health` / `disable agent` (runtime API): those checks pause, the state
    /// they reached stays.
    pub checks_paused: bool,
    pub agent_paused: bool,
    /// Consecutive errors of live traffic (`observe`).
    pub errors: u32,
    /// `set server B/S check-port` (runtime API): checks go to this port from now on.
    pub check_port: Option<u16>,
}

impl ServerState {
    /// The runtime API's `check-port`, else the configured one.
    pub fn check_port_of(&self, spec: &super::checks::CheckSpec) -> Option<u16> {
        self.check_port.or(spec.port)
    }
}

#[derive(Debug)]
pub struct ServerRt {
    pub name: String,
    /// Numeric id (1, 2... in declaration order unless `id`): the consistent-hash ring.
    pub puid: u32,
    /// The id was given (`id N`).
    pub id_forced: bool,
    /// Host name to resolve again while `target` is None (init-addr none, or no answer).
    pub host: Option<String>,
    /// `resolvers`: the name keeps being resolved and a new address is followed.
    pub follow_dns: bool,
    pub resolve_v6_first: bool,
    pub port: Option<u16>,
    pub port_rule: PortRule,
    pub target: RwLock<Option<Target>>,
    pub weight: u32,
    pub backup: bool,
    pub maxconn: Option<u32>,
    pub slowstart_ms: Option<u64>,
    /// Regular checks run (`check`, and not tracking another server).
    pub check: bool,
    /// Where and how they connect.
    pub check_spec: Option<super::checks::CheckSpec>,
    pub agent: Option<AgentSpec>,
    /// `track [BACKEND/]SERVER`, resolved once every backend exists.
    pub track: OnceLock<Arc<ServerRt>>,
    pub state: Mutex<ServerState>,
    /// This server's traffic (`cur` is its connections in use, which `maxconn` bounds).
    pub counters: Arc<Counters>,
    /// Its backend's traffic, bumped together with the server's.
    pub backend_counters: Arc<Counters>,
    pub last_check: LastCheck,
    /// Wakes a request queued on the backend when a connection slot frees up.
    pub released: Arc<tokio::sync::Notify>,
    /// `on-marked-down shutdown-sessions`: bumped when the server goes DOWN; sessions
    /// to it watch it and end.
    pub shutdown_on_down: bool,
    /// `on-marked-up shutdown-backup-sessions`.
    pub shutdown_backups_on_up: bool,
    pub down: tokio::sync::watch::Sender<u64>,
    /// Idle HTTP/1.1 connections to this server and open HTTP/2 ones, for reuse.
    pub pool: Mutex<Vec<Pooled>>,
    /// The most connections in use at once in this `pool-purge-delay` period, and in the
    /// last one: idle connections are kept only up to what the server needed (HAProxy's
    /// estimated need), so that clients opening a connection per request (whose first
    /// request never takes an idle one) do not leave one idle connection each behind.
    pub used_peak: std::sync::atomic::AtomicU32,
    pub used_need: std::sync::atomic::AtomicU32,
    /// Requests counted in use (`counters.current()`) that have not looked at the pool
    /// yet: `upstream::put` on another thread must not count them on top of the idle
    /// connection they are about to take (see `connect::attempt`).
    pub acquiring: std::sync::atomic::AtomicU32,
    /// `proto h2`: HTTP/2 without TLS's ALPN (HTTP mode).
    pub h2: bool,
    /// WebSocket streams go over HTTP/1.1 on a connection of their own (`ws`, see
    /// `backend::ws_h1`).
    pub ws_h1: bool,
    /// `tune.h2.*`, for HTTP/2 connections to it.
    pub h2_tune: super::http::upstream::H2Tune,
    /// `ssl`: connections speak TLS.
    pub tls: Option<ServerTls>,
    /// Bumped when the server's address changes: connections of older generations lead
    /// to the old address and are not reused.
    pub addr_gen: std::sync::atomic::AtomicU64,
    /// `pool-max-conn`: idle connections kept (None: no limit).
    pub pool_max: Option<usize>,
    /// `pool-purge-delay`: every this many ms, idle connections beyond the need are
    /// closed, half of them at a time (`purge_count`).
    pub pool_purge_ms: u64,
    pub send_proxy: Option<ProxyHeader>,
    /// `cookie VALUE`: this server's persistence cookie.
    pub cookie: Option<String>,
    /// `redir PREFIX`.
    pub redir: Option<String>,
    pub observe: Option<Observe>,
    pub on_error: OnError,
    pub error_limit: u32,
    pub non_stick: bool,
    /// `source ADDR[:PORT]`.
    pub source: Option<SocketAddr>,
    pub tcp_user_timeout_ms: Option<u64>,
    /// TCP keep-alive towards the server (`option srvtcpka`/`tcpka` and `srvtcpka-*`).
    pub keepalive: Option<TcpKa>,
    pub nolinger: bool,
}

/// Server-side connection options a backend passes to its servers.
pub struct Shared {
    pub counters: Arc<Counters>,
    pub released: Arc<tokio::sync::Notify>,
    pub keepalive: Option<TcpKa>,
    pub nolinger: bool,
    pub h2_tune: super::http::upstream::H2Tune,
    /// The backend is in HTTP mode (`proto h2` means something there only).
    pub http: bool,
}

/// `uweight`, 0 when drained.
fn weight_in(s: &ServerState) -> u32 {
    if s.admin == Admin::Drain {
        0
    } else {
        s.uweight
    }
}

impl ServerRt {
    pub fn new(
        s: &ConfServer,
        puid: u32,
        shared: &Shared,
        check_spec: Option<super::checks::CheckSpec>,
        tls: Option<ServerTls>,
    ) -> ServerRt {
        let o = &s.opts;
        let timing = CheckTiming {
            inter_ms: o.inter_ms,
            fastinter_ms: o.fastinter_ms,
            downinter_ms: o.downinter_ms,
            rise: o.rise,
            fall: o.fall,
        };
        let unix = s.addr.kind == AddrKind::Unix;
        let resolve_v6_first = o.resolvers_prefer.as_deref() == Some("ipv6");
        let initial = if unix {
            Some(Target::Unix(PathBuf::from(&s.addr.host)))
        } else {
            let port = s.addr.port.unwrap_or(0);
            s.addr
                .ip
                .or_else(|| initial_addr(&s.addr.host, o.init_addr.as_deref(), resolve_v6_first))
                .map(|ip| Target::Inet(SocketAddr::new(ip, port)))
        };
        let mut admin = Admin::Ready;
        if o.disabled {
            admin = Admin::Maint;
        }
        ServerRt {
            name: s.name.clone(),
            puid,
            id_forced: o.id.is_some(),
            host: (!unix && s.addr.ip.is_none()).then(|| s.addr.host.clone()),
            follow_dns: o.resolvers.is_some(),
            resolve_v6_first,
            port: s.addr.port,
            port_rule: match (s.addr.port, s.addr.port_offset) {
                (_, Some(off)) => PortRule::Offset(off),
                (Some(_), None) => PortRule::Fixed,
                (None, None) if unix => PortRule::Fixed,
                (None, None) => PortRule::FromClient,
            },
            target: RwLock::new(initial),
            weight: o.weight,
            backup: o.backup,
            maxconn: o.maxconn.map(|m| m.min(u64::from(u32::MAX)) as u32),
            slowstart_ms: o.slowstart_ms,
            check: o.check && o.track.is_none(),
            check_spec,
            agent: o.agent_check.then(|| AgentSpec {
                addr: o.agent.addr.as_deref().and_then(|a| a.parse().ok()),
                port: o.agent.port.unwrap_or(0),
                inter_ms: o.agent.inter_ms.unwrap_or(2000),
                send: o.agent.send.as_ref().map(|s| s.as_bytes().to_vec()),
            }),
            track: OnceLock::new(),
            state: Mutex::new(ServerState {
                health: Health::new(timing),
                agent_health: Health::new(timing),
                admin,
                uweight: o.weight,
                maxconn: None,
                checks_paused: false,
                agent_paused: false,
                errors: 0,
                check_port: None,
            }),
            counters: Arc::new(Counters::default()),
            backend_counters: shared.counters.clone(),
            last_check: LastCheck::default(),
            released: shared.released.clone(),
            shutdown_on_down: o.on_marked_down.as_deref() == Some("shutdown-sessions"),
            shutdown_backups_on_up: o.on_marked_up.as_deref() == Some("shutdown-backup-sessions"),
            down: tokio::sync::watch::Sender::new(0),
            pool: Mutex::new(Vec::new()),
            used_peak: std::sync::atomic::AtomicU32::new(0),
            used_need: std::sync::atomic::AtomicU32::new(0),
            acquiring: std::sync::atomic::AtomicU32::new(0),
            h2: shared.http && o.proto.as_deref() == Some("h2"),
            ws_h1: shared.http && super::backend::ws_h1(o),
            h2_tune: shared.h2_tune,
            tls,
            addr_gen: std::sync::atomic::AtomicU64::new(0),
            pool_purge_ms: o.pool_purge_delay_ms.unwrap_or(5_000),
            pool_max: match o.pool_max_conn {
                Some(n) if n >= 0 => Some(n as usize),
                _ => None,
            },
            send_proxy: if o.send_proxy_v2 {
                Some(ProxyHeader::V2)
            } else if o.send_proxy {
                Some(ProxyHeader::V1)
            } else {
                None
            },
            cookie: o.cookie.clone(),
            redir: o.redir.clone(),
            observe: o.observe,
            on_error: o.on_error,
            error_limit: o.error_limit.max(1),
            non_stick: o.non_stick,
            source: o.source.as_deref().and_then(parse_source),
            tcp_user_timeout_ms: o.tcp_user_timeout_ms,
            keepalive: shared.keepalive,
            nolinger: shared.nolinger,
        }
    }

    /// The port checks go to when it is not the server's: `set server ... check-port`,
    /// else the server line's `port`.
    pub fn check_port(&self, spec: &super::checks::CheckSpec) -> Option<u16> {
        match self.state.lock() {
            Ok(g) => g.check_port_of(spec),
            Err(p) => p.into_inner().check_port_of(spec),
        }
    }

    /// Whether the server takes traffic: resolved, not in maintenance, and up by its
    /// own checks and agent, or by the server it tracks.
    pub fn is_up(&self) -> bool {
        self.up_at_depth(0)
    }

    fn up_at_depth(&self, depth: u32) -> bool {
        let own = self.state.lock().map(|s| self.own_up(&s)).unwrap_or(false);
        self.resolved() && own && self.tracked_up(depth)
    }

    fn resolved(&self) -> bool {
        self.target.read().map(|t| t.is_some()).unwrap_or(false)
    }

    /// Up by its own state: not in maintenance, up by its agent and (unless it tracks
    /// another server) its checks.
    fn own_up(&self, s: &ServerState) -> bool {
        s.admin != Admin::Maint
            && (self.agent.is_none() || s.agent_health.is_up())
            && (self.track.get().is_some() || s.health.is_up())
    }

    /// Up by the server it tracks, if any (taking that server's lock).
    fn tracked_up(&self, depth: u32) -> bool {
        match self.track.get() {
            // Tracking chains are checked for loops when the plan is built; the depth
            // bound is a second guard.
            Some(t) if depth < 16 => t.up_at_depth(depth + 1),
            Some(_) => false,
            None => true,
        }
    }

    /// What the balancer needs of the server, under one lock of its state: up (as
    /// `is_up`), the weight in force (`weight_now`), the connection limit in force
    /// (`maxconn_now`), the last state change.
    pub fn balance_view(&self) -> (bool, u32, Option<u32>, Option<u64>) {
        let Ok(s) = self.state.lock() else {
            return (false, 0, self.maxconn, None);
        };
        let (own, weight) = (self.own_up(&s), weight_in(&s));
        let (maxconn, changed) = (s.maxconn.or(self.maxconn), s.health.last_change);
        drop(s);
        // A tracked server's lock is taken after this one is released.
        let up = own && self.resolved() && self.tracked_up(0);
        (up, weight, maxconn, changed)
    }

    /// The weight in force: `uweight`, 0 when drained.
    pub fn weight_now(&self) -> u32 {
        self.state.lock().map(|s| weight_in(&s)).unwrap_or(0)
    }

    /// `uweight`: the weight set, drained or not.
    pub fn uweight(&self) -> u32 {
        self.state.lock().map(|s| s.uweight).unwrap_or(self.weight)
    }

    /// The connection limit in force (the agent's `maxconn:N`, else the configured one).
    pub fn maxconn_now(&self) -> Option<u32> {
        self.state
            .lock()
            .ok()
            .and_then(|s| s.maxconn)
            .or(self.maxconn)
    }

    pub fn last_change(&self) -> Option<u64> {
        self.state.lock().ok().and_then(|s| s.health.last_change)
    }

    /// HAProxy's words for the state, as the stats page shows it.
    pub fn describe(&self) -> String {
        let Ok(s) = self.state.lock() else {
            return "?".into();
        };
        if s.admin == Admin::Maint {
            return "MAINT".into();
        }
        if self.target.read().map(|t| t.is_none()).unwrap_or(true) {
            return "DOWN (unresolved)".into();
        }
        if s.admin == Admin::Drain {
            return "DRAIN".into();
        }
        match self.track.get() {
            Some(t) => {
                if t.is_up() {
                    "UP".into()
                } else {
                    "DOWN".into()
                }
            }
            None if self.check => s.health.describe(),
            None => "no check".into(),
        }
    }

    /// The address to reach this server for a client that came in on `local`.
    pub fn target_for(&self, local: SocketAddr) -> Option<Target> {
        let t = self.target.read().ok()?.clone()?;
        Some(match t {
            Target::Inet(mut a) => {
                match self.port_rule {
                    PortRule::Fixed => {}
                    PortRule::FromClient => a.set_port(local.port()),
                    PortRule::Offset(off) => {
                        let p = i64::from(local.port()) + i64::from(off);
                        a.set_port(u16::try_from(p).unwrap_or(0));
                    }
                }
                Target::Inet(a)
            }
            unix => unix,
        })
    }

    /// Look the host name up again (a server that started DOWN because its name did
    /// not resolve). Blocking: called from a blocking task.
    pub fn resolve(&self) -> Option<SocketAddr> {
        let host = self.host.as_ref()?;
        resolve_host(host, self.resolve_v6_first)
            .map(|ip| SocketAddr::new(ip, self.port.unwrap_or(0)))
    }

    /// A result of live traffic (`observe`): `error_limit` errors in a row run
    /// `on-error`. Returns the state change it caused.
    pub fn observed(&self, now: u64, error: bool) -> Option<Transition> {
        self.observe?;
        let mut s = self.state.lock().ok()?;
        if !error {
            s.errors = 0;
            return None;
        }
        s.errors += 1;
        if s.errors < self.error_limit {
            return None;
        }
        s.errors = 0;
        s.health.on_error(now, self.on_error)
    }

    /// Apply an agent's reply; returns the health change it caused.
    pub fn agent_reply(&self, now: u64, r: AgentReply) -> Option<Transition> {
        let mut s = self.state.lock().ok()?;
        if let Some(a) = r.admin {
            s.admin = a;
        }
        if let Some(p) = r.weight_pct {
            s.uweight = proxy_core::runtime_api::Weight::Percent(p).resolve(self.weight);
        }
        if let Some(m) = r.maxconn {
            s.maxconn = Some(m);
        }
        r.up.and_then(|up| s.agent_health.result(now, up))
    }
}

/// The address a server named by a host name starts with, by `init-addr`'s methods in
/// order (`last,libc` by default): `libc` resolves now, an IP address is used as it is,
/// `none` starts without one (the server is DOWN until its name resolves), `last` (a
/// state file's address) has nothing to give here.
fn initial_addr(host: &str, init_addr: Option<&str>, v6_first: bool) -> Option<IpAddr> {
    for m in init_addr.unwrap_or("last,libc").split(',') {
        match m {
            "libc" => {
                if let Some(ip) = resolve_host(host, v6_first) {
                    return Some(ip);
                }
            }
            "none" => return None,
            other => {
                if let Ok(ip) = other.parse() {
                    return Some(ip);
                }
            }
        }
    }
    None
}

fn resolve_host(host: &str, v6_first: bool) -> Option<IpAddr> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<SocketAddr> = (host, 0).to_socket_addrs().ok()?.collect();
    let prefer = |a: &&SocketAddr| a.is_ipv6() == v6_first;
    addrs.iter().find(prefer).or(addrs.first()).map(|a| a.ip())
}

/// `ADDR[:PORT]` of `source`.
pub fn parse_source(text: &str) -> Option<SocketAddr> {
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(SocketAddr::new(ip, 0));
    }
    text.parse().ok()
}

/// Keep resolving, every `every_ms`, the servers whose names did not resolve yet (they
/// take traffic once one does and their checks agree) and those with `resolvers` (a new
/// address is followed, as HAProxy's DNS resolution does).
pub fn spawn_resolution(servers: Vec<(String, Arc<ServerRt>)>, every_ms: u64, _clock: Clock) {
    let unresolved = |s: &ServerRt| s.target.read().map(|t| t.is_none()).unwrap_or(false);
    let watched: Vec<(String, Arc<ServerRt>)> = servers
        .into_iter()
        .filter(|(_, s)| s.host.is_some() && (s.follow_dns || unresolved(s)))
        .collect();
    if watched.is_empty() {
        return;
    }
    tokio::spawn(async move {
        let mut watched = watched;
        while !watched.is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(every_ms)).await;
            let mut still = Vec::new();
            for (be, s) in watched {
                let s2 = s.clone();
                let found = tokio::task::spawn_blocking(move || s2.resolve())
                    .await
                    .ok()
                    .flatten();
                let before = match s.target.read().map(|t| t.clone()) {
                    Ok(Some(Target::Inet(a))) => Some(a.ip()),
                    _ => None,
                };
                match (found, before) {
                    (Some(a), None) => {
                        if let Ok(mut t) = s.target.write() {
                            *t = Some(Target::Inet(a));
                        }
                        s.released.notify_waiters();
                        tracing::warn!(
                            pri = "notice",
                            proxy = be.as_str(),
                            "Server {be}/{} resolved to {}: it takes traffic once its checks pass.",
                            s.name,
                            a.ip()
                        );
                    }
                    (Some(a), Some(old)) if old != a.ip() => {
                        if let Ok(mut t) = s.target.write() {
                            *t = Some(Target::Inet(a));
                        }
                        // Idle connections (and those in use, once back) lead to the old
                        // address.
                        s.addr_gen
                            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if let Ok(mut pool) = s.pool.lock() {
                            pool.clear();
                        }
                        tracing::warn!(
                            pri = "notice",
                            proxy = be.as_str(),
                            "Server {be}/{} changed its IP from {old} to {} by DNS.",
                            s.name,
                            a.ip()
                        );
                    }
                    _ => {}
                }
                // Without `resolvers` a name is looked up until it resolves, then kept.
                if s.follow_dns || unresolved(&s) {
                    still.push((be, s));
                }
            }
            watched = still;
        }
    });
}

/// Every `delay` (HAProxy's `pool-purge-delay`, 5 s by default), close the oldest of each
/// server's idle pooled connections that go beyond what it needed in the period: half
/// (rounded up) of the excess of idle and used connections over the period's peak, see
/// `purge_count`. Without a purge, a client that opens a connection per request leaves an
/// idle server connection behind each time (its first request never takes a pooled one
/// under `http-reuse safe`), until the server times it out; closing half of all idle ones
/// at every tick instead (as proxyd did) closed, under a steady load, connections the next
/// requests needed, which then opened new ones (hundreds per tick with 1 000 HTTP/2
/// streams in flight; HAProxy opens none).
pub fn spawn_pool_purge(servers: Vec<Arc<ServerRt>>, delay: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            for s in &servers {
                // The period's peak becomes the need; the next period starts from now.
                let used = s.counters.current();
                let peak = s.used_peak.swap(used, std::sync::atomic::Ordering::Relaxed);
                s.used_need
                    .store(peak, std::sync::atomic::Ordering::Relaxed);
                let old: Vec<Pooled> = {
                    // A poisoned lock still holds a valid list: purge it all the same.
                    let mut pool = s.pool.lock().unwrap_or_else(|e| e.into_inner());
                    let n = purge_count(pool.len(), used, peak);
                    pool.drain(..n).collect()
                };
                // Dropping a connection's last sender closes it, outside the lock.
                drop(old);
            }
        }
    });
}

/// How many idle connections a purge closes: `idle` idle, `used` in use now, `peak` the
/// most in use at once during the period. Half (rounded up) of the excess of idle and
/// used together over the peak: none while the load still needs them, half each period
/// once it has gone (the peak of a quiet period is what is in use at its start).
fn purge_count(idle: usize, used: u32, peak: u32) -> usize {
    let excess = (idle + used as usize).saturating_sub(peak as usize);
    excess.div_ceil(2).min(idle)
}

#[cfg(test)]
mod tests {
    use super::purge_count;

    #[test]
    fn a_purge_keeps_what_the_period_needed() {
        // Steady load: 30 in use, 20 idle, 50 at the busiest: nothing is closed.
        assert_eq!(purge_count(20, 30, 50), 0);
        // More open than ever needed at once: half the excess goes, rounded up.
        assert_eq!(purge_count(20, 30, 45), 3);
        assert_eq!(purge_count(20, 30, 44), 3);
        // A quiet period (its peak is what was in use at its start): half of the idle.
        assert_eq!(purge_count(40, 0, 0), 20);
        assert_eq!(purge_count(1, 0, 0), 1);
        assert_eq!(purge_count(0, 0, 0), 0);
        // Never more than the idle ones, whatever the counts say.
        assert_eq!(purge_count(3, 100, 0), 3);
    }
}
