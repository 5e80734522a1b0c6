//! A backend at run time: its servers (address, health, connections in use), the
//! balancer from proxy-core, and the TCP health checks that keep each server's state.

use super::acls::AclSet;
use super::clock::Clock;
use super::inspect::{Stickiness, TcpRules};
use super::log::log;
use super::rules::{HttpRules, ProxyHttp};
use haproxy_conf::model::{Balance, Mode, Proxy, Server as ConfServer};
use proxy_core::balance::{Algorithm, Balancer, Pick, Server as BalServer};
use proxy_core::counters::{CheckRecord, CheckStatus, Counters, LastCheck};
use proxy_core::health::{first_check_at, CheckTiming, Health, Transition};
use proxy_core::probe::{self, Expect};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

pub struct ServerRt {
    pub name: String,
    /// None: connect to the port the client connected to (HAProxy's portless servers).
    pub addr: SocketAddr,
    pub port_from_client: bool,
    pub weight: u32,
    pub backup: bool,
    pub maxconn: Option<u32>,
    pub slowstart_ms: Option<u64>,
    pub check: bool,
    pub check_addr: SocketAddr,
    pub check_tls: Option<CheckTls>,
    pub health: Mutex<Health>,
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
    pub down: tokio::sync::watch::Sender<u64>,
    /// Idle HTTP/1.1 connections to this server, for reuse.
    pub pool: Mutex<Vec<hyper::client::conn::http1::SendRequest<hyper::body::Incoming>>>,
}

/// What the hash-based algorithms hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashOn {
    Nothing,
    Source,
    /// `balance uri`: the path and query (or the path only with `path-only`).
    Uri {
        path_only: bool,
    },
    UrlParam(String),
    Hdr(String),
}

/// What a backend's health checks do after connecting.
#[derive(Debug, Clone)]
pub enum Probe {
    /// Connecting is enough (layer 4).
    Connect,
    /// `option ssl-hello-chk`.
    SslHello,
    /// `option httpchk` (+ `http-check send` / `expect`).
    Http { request: Vec<u8>, expect: Expect },
}

fn probe_of(p: &Proxy) -> Result<Probe, String> {
    if p.option("ssl-hello-chk") {
        return Ok(Probe::SslHello);
    }
    let Some(chk) = &p.httpchk else {
        return Ok(Probe::Connect);
    };
    let (mut method, mut uri, mut version) =
        (chk.method.clone(), chk.uri.clone(), chk.version.clone());
    let mut headers = chk.headers.clone();
    let mut expect = Expect::Status2xx3xx;
    for c in &p.http_checks {
        match c.directive.as_str() {
            "expect" => expect = Expect::parse(&c.args)?,
            "send" => {
                let mut it = c.args.iter();
                while let Some(k) = it.next() {
                    let mut v = || {
                        it.next()
                            .cloned()
                            .ok_or(format!("`http-check send {k}` needs a value"))
                    };
                    match k.as_str() {
                        "meth" => method = v()?,
                        "uri" => uri = v()?,
                        "ver" => version = v()?,
                        "hdr" => {
                            let name = v()?;
                            headers.push((name, v()?));
                        }
                        other => {
                            return Err(format!("`http-check send {other}` is not supported yet"))
                        }
                    }
                }
            }
            "comment" => {}
            other => return Err(format!("`http-check {other}` is not supported yet")),
        }
    }
    Ok(Probe::Http {
        request: probe::http_request(&method, &uri, &version, &headers),
        expect,
    })
}

/// The probe on an established connection (plain or TLS): what it found.
async fn probe_on<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, probe: &Probe) -> CheckStatus {
    match probe {
        Probe::Connect => CheckStatus::L4Ok,
        Probe::SslHello => {
            let mut buf = [0u8; 5];
            let n = match s.write_all(&probe::ssl_client_hello([0x5a; 32])).await {
                Ok(()) => s.read(&mut buf).await.unwrap_or(0),
                Err(_) => 0,
            };
            if probe::ssl_hello_ok(&buf[..n]) {
                CheckStatus::L6Ok
            } else {
                CheckStatus::L6Rsp
            }
        }
        Probe::Http { request, expect } => {
            if s.write_all(request).await.is_err() {
                return CheckStatus::L7Rsp;
            }
            let mut resp = Vec::new();
            let mut buf = [0u8; 4096];
            // Up to 16 KiB: the status line, or the body when the expectation needs it.
            while resp.len() < 16 * 1024 {
                let n = match s.read(&mut buf).await {
                    Ok(n) => n,
                    Err(_) => break,
                };
                if n == 0 {
                    break;
                }
                resp.extend_from_slice(&buf[..n]);
                if !expect.needs_body() && resp.windows(2).any(|w| w == b"\r\n") {
                    break;
                }
            }
            if expect.judge(&resp) {
                CheckStatus::L7Ok
            } else if resp.starts_with(b"HTTP/") {
                CheckStatus::L7Sts
            } else {
                CheckStatus::L7Rsp
            }
        }
    }
}

/// One health check: connect (and with `check-ssl`, a TLS handshake), then the
/// backend's probe; all within `limit`. Returns what it found, in HAProxy's terms.
async fn run_probe(
    addr: SocketAddr,
    tls: Option<&CheckTls>,
    probe: &Probe,
    limit: Duration,
) -> CheckStatus {
    let connected = std::sync::atomic::AtomicBool::new(false);
    let attempt = async {
        let Ok(s) = tokio::net::TcpStream::connect(addr).await else {
            return CheckStatus::L4Con;
        };
        connected.store(true, Ordering::Relaxed);
        match tls {
            None => {
                let mut s = s;
                probe_on(&mut s, probe).await
            }
            Some(t) => match t.connector.connect(t.name.clone(), s).await {
                Ok(mut s) => probe_on(&mut s, probe).await,
                Err(_) => CheckStatus::L6Rsp,
            },
        }
    };
    match tokio::time::timeout(limit, attempt).await {
        Ok(status) => status,
        Err(_) if !connected.load(Ordering::Relaxed) => CheckStatus::L4Tout,
        Err(_) => match probe {
            Probe::Connect => CheckStatus::L4Tout,
            Probe::SslHello => CheckStatus::L6Tout,
            Probe::Http { .. } => CheckStatus::L7Tout,
        },
    }
}

/// `check-ssl verify none`: how checks speak TLS to a server.
pub struct CheckTls {
    connector: tokio_rustls::TlsConnector,
    name: rustls::pki_types::ServerName<'static>,
}

pub struct BackendRt {
    pub name: String,
    pub mode: Mode,
    pub hash_on: HashOn,
    pub acls: AclSet,
    pub rules: HttpRules,
    pub http: ProxyHttp,
    pub tcp: TcpRules,
    pub stick: Option<Stickiness>,
    pub stats: Option<super::stats::StatsPage>,
    probe: Probe,
    pub servers: Vec<Arc<ServerRt>>,
    /// The balancer, with the servers' view it chooses from (reused between picks).
    balancer: Mutex<(Balancer, Vec<BalServer>)>,
    pub retries: u32,
    pub redispatch: bool,
    pub connect_timeout: Duration,
    pub queue_timeout: Option<Duration>,
    /// How many requests may wait for a server slot: the sum of the servers' `maxqueue`
    /// when every server has one, else unbounded (HAProxy's maxqueue 0).
    pub maxqueue: Option<u32>,
    pub counters: Arc<Counters>,
    pub released: Arc<tokio::sync::Notify>,
    pub timeouts: haproxy_conf::model::Timeouts,
    /// `errorfile CODE FILE`: raw HTTP responses sent instead of proxyd's own pages.
    pub errorfiles: std::collections::HashMap<u16, bytes::Bytes>,
    pub server_timeout: Option<Duration>,
    pub check_timeout: Duration,
}

fn algorithm(b: &Balance, mode: Mode) -> Result<(Algorithm, HashOn), String> {
    let http = |h: HashOn| {
        if mode == Mode::Http {
            Ok((Algorithm::Hash, h))
        } else {
            Err(format!("`balance {b:?}` needs mode http"))
        }
    };
    Ok(match b {
        Balance::Roundrobin => (Algorithm::RoundRobin, HashOn::Nothing),
        Balance::StaticRr => (Algorithm::StaticRr, HashOn::Nothing),
        Balance::Leastconn => (Algorithm::LeastConn, HashOn::Nothing),
        Balance::First => (Algorithm::First, HashOn::Nothing),
        Balance::Source => (Algorithm::Hash, HashOn::Source),
        Balance::Random { draws } => (Algorithm::Random { draws: *draws }, HashOn::Nothing),
        Balance::Uri { args } => {
            if args.iter().any(|a| a != "whole" && a != "path-only") {
                return Err(format!(
                    "`balance uri {}` is not supported yet",
                    args.join(" ")
                ));
            }
            http(HashOn::Uri {
                path_only: args.iter().any(|a| a == "path-only"),
            })?
        }
        Balance::UrlParam { param, args } if args.is_empty() => {
            http(HashOn::UrlParam(param.clone()))?
        }
        Balance::Hdr {
            name,
            use_domain_only: false,
        } => http(HashOn::Hdr(name.to_ascii_lowercase()))?,
        other => return Err(format!("`balance {other:?}` is not supported yet")),
    })
}

fn resolve(s: &ConfServer) -> Result<SocketAddr, String> {
    let port = s.addr.port.unwrap_or(0);
    if let Some(ip) = s.addr.ip {
        return Ok(SocketAddr::new(ip, port));
    }
    use std::net::ToSocketAddrs;
    (s.addr.host.as_str(), port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| format!("server {}: `{}` does not resolve", s.name, s.addr.host))
}

impl BackendRt {
    pub fn new(p: &Proxy) -> Result<BackendRt, String> {
        let (algo, hash_on) = algorithm(&p.balance, p.mode)?;
        let mut acls = AclSet::new(p)?;
        let rules = HttpRules::new(p, &mut acls)?;
        let tcp = TcpRules::new(p, &mut acls)?;
        let stick = Stickiness::new(p, &mut acls)?;
        let mut servers = Vec::new();
        let counters = Arc::new(Counters::default());
        let released = Arc::new(tokio::sync::Notify::new());
        for s in &p.servers {
            if s.addr.port_offset.is_some() {
                return Err(format!(
                    "server {}: port offsets (+N/-N) are not supported yet",
                    s.name
                ));
            }
            let addr = resolve(s)?;
            let o = &s.opts;
            let check_addr = SocketAddr::new(
                o.check_addr
                    .as_deref()
                    .and_then(|a| a.parse().ok())
                    .unwrap_or(addr.ip()),
                o.check_port.unwrap_or(addr.port()),
            );
            let mut health = Health::new(CheckTiming {
                inter_ms: o.inter_ms,
                fastinter_ms: o.fastinter_ms,
                downinter_ms: o.downinter_ms,
                rise: o.rise,
                fall: o.fall,
            });
            if o.disabled {
                health.set(0, false);
            }
            servers.push(Arc::new(ServerRt {
                name: s.name.clone(),
                addr,
                port_from_client: s.addr.port.is_none(),
                weight: o.weight,
                backup: o.backup,
                maxconn: o.maxconn.map(|m| m.min(u64::from(u32::MAX)) as u32),
                slowstart_ms: o.slowstart_ms,
                check: o.check && !o.disabled,
                check_addr,
                check_tls: if o.check_ssl {
                    // SNI from `sni str(NAME)` / a host name; an IP address otherwise.
                    let host = o
                        .sni
                        .as_deref()
                        .map(|v| {
                            v.trim_start_matches("str(")
                                .trim_end_matches(')')
                                .to_string()
                        })
                        .unwrap_or_else(|| s.addr.host.clone());
                    let name = rustls::pki_types::ServerName::try_from(host)
                        .unwrap_or_else(|_| rustls::pki_types::ServerName::from(check_addr.ip()));
                    Some(CheckTls {
                        connector: super::tls::insecure_connector()?,
                        name,
                    })
                } else {
                    None
                },
                health: Mutex::new(health),
                shutdown_on_down: o.on_marked_down.as_deref() == Some("shutdown-sessions"),
                down: tokio::sync::watch::Sender::new(0),
                counters: Arc::new(Counters::default()),
                backend_counters: counters.clone(),
                last_check: LastCheck::default(),
                released: released.clone(),
                pool: Mutex::new(Vec::new()),
            }));
        }
        let ms = |v: Option<u64>| v.map(Duration::from_millis);
        let maxqueue = p
            .servers
            .iter()
            .map(|s| s.opts.maxqueue.filter(|&q| q > 0))
            .sum::<Option<u64>>()
            .map(|q| q.min(u64::from(u32::MAX)) as u32);
        Ok(BackendRt {
            name: p.name.clone(),
            mode: p.mode,
            hash_on,
            acls,
            rules,
            http: ProxyHttp::new(p)?,
            tcp,
            stick,
            stats: super::stats::StatsPage::new(p),
            probe: probe_of(p)?,
            servers,
            balancer: Mutex::new((
                Balancer::new(algo, p.option("allbackups"), 0x5eed),
                Vec::with_capacity(p.servers.len()),
            )),
            retries: p.retries,
            redispatch: p.option("redispatch"),
            // HAProxy warns without a connect timeout and would wait forever; 5 s is safer.
            connect_timeout: ms(p.timeouts.connect).unwrap_or(Duration::from_secs(5)),
            queue_timeout: ms(p.timeouts.queue),
            maxqueue,
            counters,
            released,
            timeouts: p.timeouts.clone(),
            errorfiles: super::errorfiles::load(p)?,
            server_timeout: ms(p.timeouts.server),
            check_timeout: ms(p.timeouts.check.or(p.timeouts.connect))
                .unwrap_or(Duration::from_secs(2)),
        })
    }

    /// Whether server `i` is up and has a free connection slot.
    pub fn usable(&self, i: usize) -> bool {
        self.servers.get(i).is_some_and(|s| {
            s.health.lock().map(|h| h.is_up()).unwrap_or(false)
                && s.maxconn.is_none_or(|m| s.counters.current() < m)
        })
    }

    /// Choose a server; `key` is what the hash algorithms hash (None: round robin).
    pub fn pick(&self, now: u64, key: Option<&[u8]>, avoid: Option<usize>) -> Pick {
        let Ok(mut guard) = self.balancer.lock() else {
            return Pick::NoServer;
        };
        // The view is rebuilt in place each time: no allocation per request.
        let (balancer, view) = &mut *guard;
        view.clear();
        view.extend(self.servers.iter().enumerate().map(|(i, s)| {
            let h = s
                .health
                .lock()
                .map(|h| (h.is_up(), h.last_change))
                .unwrap_or((false, None));
            BalServer {
                weight: s.weight,
                backup: s.backup,
                // A retry with redispatch avoids the server that just failed.
                up: h.0 && Some(i) != avoid,
                maxconn: s.maxconn,
                active: s.counters.current(),
                slowstart_ms: s.slowstart_ms,
                up_since: h.1,
            }
        }));
        balancer.pick(view, now, key)
    }

    /// Start the health checks of every server with `check`, spread over the interval.
    pub fn spawn_checks(self: &Arc<Self>, clock: Clock) {
        let checked: Vec<Arc<ServerRt>> =
            self.servers.iter().filter(|s| s.check).cloned().collect();
        let count = checked.len();
        for (i, s) in checked.into_iter().enumerate() {
            let be = self.clone();
            let inter = s.health.lock().map(|h| h.timing.inter_ms).unwrap_or(2000);
            let first = first_check_at(0, i, count, inter);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(first)).await;
                loop {
                    let started = tokio::time::Instant::now();
                    let status = run_probe(
                        s.check_addr,
                        s.check_tls.as_ref(),
                        &be.probe,
                        be.check_timeout,
                    )
                    .await;
                    let took = started.elapsed().as_millis() as u64;
                    let now = clock.now_ms();
                    s.last_check.record(CheckRecord {
                        status,
                        duration_ms: took,
                        at: now,
                    });
                    let (change, next) = match s.health.lock() {
                        Ok(mut h) => (h.result(now, status.passed()), h.next_interval()),
                        Err(_) => return,
                    };
                    if let Some(t) = change {
                        be.transition(&s, t, status, took);
                    }
                    tokio::time::sleep(Duration::from_millis(next)).await;
                }
            });
        }
    }

    /// A server went UP or DOWN: act on it and log it in HAProxy's words.
    fn transition(&self, s: &ServerRt, t: Transition, status: CheckStatus, took_ms: u64) {
        let word = match t {
            Transition::Up => {
                // Requests queued on the backend may use it now.
                self.released.notify_waiters();
                "UP"
            }
            Transition::Down => {
                // Idle pooled connections go in any case; sessions if asked.
                if let Ok(mut pool) = s.pool.lock() {
                    pool.clear();
                }
                if s.shutdown_on_down {
                    s.down.send_modify(|n| *n += 1);
                }
                "DOWN"
            }
        };
        let count = if t == Transition::Up {
            "online"
        } else {
            "left"
        };
        log(&format!(
            "Server {}/{} is {word}, reason: {}, check duration: {took_ms}ms. {} active and {} backup servers {count}. {} sessions active, {} in queue.",
            self.name,
            s.name,
            status.reason(),
            self.online(false),
            self.online(true),
            s.counters.current(),
            self.counters.queued(),
        ));
    }

    fn online(&self, backup: bool) -> usize {
        self.servers
            .iter()
            .filter(|s| s.backup == backup && s.health.lock().map(|h| h.is_up()).unwrap_or(false))
            .count()
    }
}
