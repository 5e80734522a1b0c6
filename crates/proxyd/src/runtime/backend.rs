//! A backend at run time: its servers, the balancer from proxy-core with HAProxy's
//! hashes, persistence (stick tables, the cookie), its rules and timeouts, and what live
//! traffic tells about servers (`observe`).

use super::acls::AclSet;
use super::checks::{probe_of, CheckSpec, CheckTls, Probe};
use super::errorfiles::ErrorPages;
use super::inspect::{Stickiness, TcpRules};
use super::rules::{HttpRules, ProxyHttp};
use super::server::{ServerRt, ServerTls, Shared};
use super::srv_tls::{load_cas, server_name, CaSource, ClientSpec, Verification};
use super::PlanError;
use haproxy_conf::checks::{alpn_checked, alpn_spoken, http_checks};
use haproxy_conf::model::{
    Balance, CheckStep, Config, Cookie, HashType, Mode, Observe, Proxy, Server as ConfServer,
};
use proxy_core::balance::{Algorithm, Balancer, Pick, Server as BalServer};
use proxy_core::counters::Counters;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the hash-based algorithms hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HashOn {
    Nothing,
    Source,
    Uri {
        len: Option<u32>,
        depth: Option<u32>,
        whole: bool,
        path_only: bool,
    },
    UrlParam(String),
    Hdr {
        name: String,
        domain_only: bool,
    },
}

/// What a `use-server` rule names.
#[derive(Debug)]
pub enum ServerChoice {
    Index(usize),
    /// A log-format name, resolved for each request.
    Named(haproxy_conf::sample::fmt::Fmt),
}

#[derive(Debug)]
pub struct BackendRt {
    pub name: String,
    /// A listen section: the frontend of the same name is the same proxy.
    pub listen: bool,
    /// Its stick table, if it has one.
    pub table: Option<Arc<super::stick::TableRt>>,
    /// The numeric id (`fe_id`, `be_id`).
    pub id: u32,
    /// The id was given (`id N`), not numbered.
    pub id_forced: bool,
    pub mode: Mode,
    pub hash_on: HashOn,
    pub hash_type: HashType,
    pub acls: AclSet,
    /// `use-server` rules, in order.
    use_servers: Vec<(Option<proxy_core::acl::Cond>, ServerChoice)>,
    pub rules: HttpRules,
    pub http: ProxyHttp,
    pub tcp: TcpRules,
    pub stick: Option<Stickiness>,
    pub stats: Option<super::stats::StatsPage>,
    /// Where its servers' states saved before a reload are read from
    /// (`load-server-state-from-file`).
    pub state_file: Option<std::path::PathBuf>,
    pub probe: Probe,
    pub servers: Vec<Arc<ServerRt>>,
    /// The balance algorithm's name.
    pub algo: &'static str,
    /// `email-alert`: where server state changes are mailed.
    pub mail: Option<Arc<super::mail::MailPlan>>,
    /// The balancer, with the servers' view it chooses from (reused between picks).
    balancer: Mutex<(Balancer, Vec<BalServer>)>,
    pub retries: u32,
    pub http_reuse: haproxy_conf::model::HttpReuse,
    pub redispatch: bool,
    /// `timeout connect` (None: HAProxy's "no timeout"; proxyd bounds it at 5 s).
    pub connect_timeout: Option<Duration>,
    pub queue_timeout: Option<Duration>,
    /// How many requests may wait for a server slot: the sum of the servers' `maxqueue`
    /// when every server has one, else unbounded (HAProxy's maxqueue 0).
    pub maxqueue: Option<u32>,
    pub counters: Arc<Counters>,
    pub released: Arc<tokio::sync::Notify>,
    pub timeouts: haproxy_conf::model::Timeouts,
    /// Pages answering instead of proxyd's own errors.
    pub errorfiles: ErrorPages,
    pub server_timeout: Option<Duration>,
    /// `timeout check`: how long a check may take once connected (None: `inter`).
    pub check_timeout: Option<Duration>,
    /// `cookie NAME ...`: cookie persistence (HTTP).
    pub cookie: Option<Cookie>,
    /// `option persist`: a cookie's server is used even when it is down.
    pub persist: bool,
    /// `option prefer-last-server`.
    pub prefer_last: bool,
}

fn algorithm(b: &Balance, t: &HashType) -> (Algorithm, HashOn) {
    let hash = |h: HashOn| {
        (
            Algorithm::Hash {
                consistent: t.consistent,
            },
            h,
        )
    };
    match b {
        Balance::Roundrobin => (Algorithm::RoundRobin, HashOn::Nothing),
        Balance::StaticRr => (Algorithm::StaticRr, HashOn::Nothing),
        Balance::Leastconn => (Algorithm::LeastConn, HashOn::Nothing),
        Balance::First => (Algorithm::First, HashOn::Nothing),
        Balance::Source => hash(HashOn::Source),
        Balance::Random { draws } => (Algorithm::Random { draws: *draws }, HashOn::Nothing),
        Balance::Uri {
            len,
            depth,
            whole,
            path_only,
        } => hash(HashOn::Uri {
            len: *len,
            depth: *depth,
            whole: *whole,
            path_only: *path_only,
        }),
        Balance::UrlParam { param } => hash(HashOn::UrlParam(param.clone())),
        Balance::Hdr {
            name,
            use_domain_only,
        } => hash(HashOn::Hdr {
            name: name.clone(),
            domain_only: *use_domain_only,
        }),
    }
}

/// The TLS client of a server for traffic or for its checks: verification, client
/// certificate, versions, the ALPN protocols `alpn` lists that proxyd can speak there
/// (`spoken`), session reuse.
fn client_spec(
    s: &ConfServer,
    cfg: &Config,
    alpn: Option<&Vec<String>>,
    spoken: &dyn Fn(&str) -> bool,
) -> Result<ClientSpec, PlanError> {
    let o = &s.opts;
    let g = &cfg.global;
    let at = |e: String| PlanError {
        span: Some(s.span),
        message: format!("server {}: {e}", s.name),
    };
    // The CA file is read even with `verify none` (HAProxy refuses a missing one too).
    let cas = match &o.ca_file {
        Some(f) => {
            let src = CaSource::of(f, g.ca_base.as_deref());
            let (cas, _) = load_cas(&src).map_err(|e| at(format!("ca-file: {e}")))?;
            Some((cas, src.describe()))
        }
        None => None,
    };
    let verification = if o.verify_required(g) {
        let Some((cas, from)) = cas else {
            return Err(at(
                "the certificate is to be verified (`verify required`) but no `ca-file` says against what".into(),
            ));
        };
        Verification::Required {
            cas,
            from,
            verifyhost: o.verifyhost.clone(),
        }
    } else {
        Verification::None
    };
    let versions = o
        .tls_versions
        .over(&g.ssl_default_server_versions)
        .spoken_range()
        .map_err(at)?;
    let crt = o.crt.as_ref().map(|c| match &g.crt_base {
        Some(b) if !c.starts_with('/') => std::path::Path::new(b).join(c),
        _ => std::path::PathBuf::from(c),
    });
    Ok(ClientSpec {
        verification,
        crt,
        versions,
        alpn: alpn
            .into_iter()
            .flatten()
            .filter(|a| spoken(a))
            .cloned()
            .collect(),
        reuse: o.ssl_reuse,
        tickets: o.tls_tickets && !g.ssl_default_server_no_tickets,
    })
}

/// A server's TLS for traffic (`ssl`): its client and its `sni` expression.
fn traffic_tls(s: &ConfServer, p: &Proxy, cfg: &Config) -> Result<Option<ServerTls>, PlanError> {
    let o = &s.opts;
    if !o.ssl {
        return Ok(None);
    }
    let http = p.mode == Mode::Http;
    let client = client_spec(s, cfg, o.alpn.as_ref(), &|a| alpn_spoken(http, a))?
        .build()
        .map_err(|e| PlanError {
            span: Some(s.span),
            message: format!("server {}: {e}", s.name),
        })?;
    // WebSocket streams over HTTP/1.1 on a connection of their own (`ws`): ALPN offers
    // only http/1.1 there.
    let client_h1 = if http && ws_h1(o) && o.alpn.iter().flatten().any(|a| a == "h2") {
        let only = vec!["http/1.1".to_string()];
        let c = client_spec(s, cfg, Some(&only), &|_| true)?
            .build()
            .map_err(|e| PlanError {
                span: Some(s.span),
                message: format!("server {}: {e}", s.name),
            })?;
        Some(c)
    } else {
        None
    };
    Ok(Some(ServerTls {
        client,
        client_h1,
        sni: o.sni.clone(),
    }))
}

/// Whether WebSocket streams go to the server over HTTP/1.1 on a connection of their own
/// although it may speak HTTP/2 (HAProxy's `ws`): `ws h1`; or `ws auto` (the default)
/// with an ALPN list that has both h2 and http/1.1 (asked for http/1.1 alone). `ws h2`,
/// and `ws auto` with `proto h2`: an RFC 8441 extended CONNECT on the HTTP/2
/// connection.
pub fn ws_h1(o: &haproxy_conf::model::ServerOpts) -> bool {
    let alpn = |name: &str| o.alpn.iter().flatten().any(|a| a == name);
    let proto_h2 = o.proto.as_deref() == Some("h2");
    match o.ws.as_deref() {
        Some("h1") => proto_h2 || (o.ssl && alpn("h2")),
        Some("h2") => false,
        _ => !proto_h2 && o.ssl && alpn("h2") && alpn("http/1.1"),
    }
}

/// Where and how a server is checked (`addr`, `port`, `check-send-proxy`, TLS with
/// `check-ssl` or `ssl`, and for `connect ssl` steps).
fn check_spec(s: &ConfServer, p: &Proxy, cfg: &Config) -> Result<Option<CheckSpec>, PlanError> {
    let o = &s.opts;
    if !o.check || o.track.is_some() {
        return Ok(None);
    }
    let connect_ssl = p
        .tcp_checks
        .iter()
        .chain(p.http_checks.iter())
        .any(|c| matches!(c, CheckStep::Connect(c) if c.ssl));
    let tls = if o.check_tls() || connect_ssl {
        let at = |e: String| PlanError {
            span: Some(s.span),
            message: format!("server {}: {e}", s.name),
        };
        let http = http_checks(p);
        let client = client_spec(s, cfg, o.check_alpn.as_ref().or(o.alpn.as_ref()), &|a| {
            alpn_checked(http, a)
        })?
        .build()
        .map_err(at)?;
        // `check-sni`; checks send no SNI otherwise (HAProxy's `sni` is for traffic).
        let name =
            server_name(o.check_sni.as_deref()).map_err(|e| at(format!("check-sni: {e}")))?;
        Some(CheckTls {
            client,
            name,
            always: o.check_tls(),
        })
    } else {
        None
    };
    Ok(Some(CheckSpec {
        addr: o.check_addr.as_deref().and_then(|a| a.parse().ok()),
        port: o.check_port,
        send_proxy: o.check_send_proxy,
        tls,
    }))
}

impl BackendRt {
    pub fn new(
        p: &Proxy,
        cfg: &Config,
        tables: &super::stick::Tables,
    ) -> Result<BackendRt, PlanError> {
        let at = |message: String| PlanError {
            span: Some(p.span),
            message,
        };
        let (algo, hash_on) = algorithm(&p.balance, &p.hash_type);
        if hash_on != HashOn::Nothing && hash_on != HashOn::Source && p.mode != Mode::Http {
            return Err(at(
                "an HTTP balance algorithm (uri, url_param, hdr) needs mode http".into(),
            ));
        }
        let mut acls = AclSet::new(p);
        let rules = HttpRules::new(p, &mut acls).map_err(|(span, message)| PlanError {
            span: Some(span),
            message,
        })?;
        let tcp = TcpRules::new(p, &mut acls).map_err(at)?;
        let stick = Stickiness::new(p, &mut acls, tables).map_err(at)?;
        let stats = super::stats::StatsPage::new(p, &mut acls).map_err(at)?;
        let mut use_servers = Vec::new();
        for u in &p.use_servers {
            let cond = acls.compile_opt(&u.cond).map_err(at)?;
            let to = match &u.dynamic {
                Some(f) => ServerChoice::Named(f.clone()),
                None => ServerChoice::Index(
                    p.servers
                        .iter()
                        .position(|s| s.name == u.server)
                        .ok_or_else(|| at(format!("use-server: no server `{}`", u.server)))?,
                ),
            };
            use_servers.push((cond, to));
        }
        let counters = Arc::new(Counters::default());
        let released = Arc::new(tokio::sync::Notify::new());
        let keepalive = (p.option("tcpka") || p.option("srvtcpka")).then_some(p.srvtcpka);
        let shared = Shared {
            counters: counters.clone(),
            released: released.clone(),
            keepalive,
            nolinger: p.option("nolinger"),
            h2_tune: super::http::upstream::H2Tune::of(&cfg.global),
            http: p.mode == Mode::Http,
        };
        let mut servers = Vec::new();
        for (i, s) in p.servers.iter().enumerate() {
            let puid = s.opts.id.unwrap_or(i as u32 + 1);
            let mut rt = ServerRt::new(
                s,
                puid,
                &shared,
                check_spec(s, p, cfg)?,
                traffic_tls(s, p, cfg)?,
            );
            // `cookie ... dynamic`: servers without a cookie of their own get one made
            // from the key and their address.
            let dynamic = p.cookie.as_ref().is_some_and(|c| c.dynamic);
            if let (true, None, Some(key), Some(ip)) =
                (dynamic, &rt.cookie, &p.dynamic_cookie_key, s.addr.ip)
            {
                let addr = std::net::SocketAddr::new(ip, s.addr.port.unwrap_or(0));
                rt.cookie = Some(proxy_core::cookie::dynamic(key, addr));
            }
            servers.push(Arc::new(rt));
        }
        let ms = |v: Option<u64>| v.map(Duration::from_millis);
        let maxqueue = p
            .servers
            .iter()
            .map(|s| s.opts.maxqueue.filter(|&q| q > 0))
            .sum::<Option<u64>>()
            .map(|q| q.min(u64::from(u32::MAX)) as u32);
        Ok(BackendRt {
            listen: p.kind == haproxy_conf::model::ProxyKind::Listen,
            table: tables.get(&p.name).cloned(),
            name: p.name.clone(),
            id: cfg.proxy_id(&p.name),
            id_forced: p.id.is_some(),
            mode: p.mode,
            hash_on,
            hash_type: p.hash_type,
            acls,
            use_servers,
            rules,
            http: ProxyHttp::new(p),
            tcp,
            stick,
            stats,
            state_file: super::server_state::file_of(p, &cfg.global),
            probe: probe_of(p),
            algo: p.balance.name(),
            mail: super::mail::plan(p, cfg)?,
            balancer: Mutex::new((
                Balancer::new(algo, p.option("allbackups"), 0x5eed),
                Vec::with_capacity(p.servers.len()),
            )),
            servers,
            // `retry-on none`: a failed connection is not tried again.
            retries: if p.retry_on_conn_failure {
                p.retries
            } else {
                0
            },
            http_reuse: p.http_reuse,
            redispatch: p.option("redispatch"),
            connect_timeout: ms(p.timeouts.connect),
            queue_timeout: ms(p.timeouts.queue),
            maxqueue,
            counters,
            released,
            timeouts: p.timeouts.clone(),
            errorfiles: ErrorPages::new(p, cfg)?,
            server_timeout: ms(p.timeouts.server),
            check_timeout: ms(p.timeouts.check),
            cookie: p.cookie.clone(),
            persist: p.option("persist"),
            prefer_last: p.option("prefer-last-server"),
        })
    }

    /// Usable servers, as `nbsrv` counts them: the active ones up, else one backup (or
    /// all of them with `allbackups`).
    /// `queue`, `avg_queue`, `connslots`, `be_conn_free`, as HAProxy counts them (-1
    /// where a server without `maxconn` or `maxqueue` makes the count meaningless).
    pub fn load(&self, what: haproxy_conf::sample::BeLoad) -> i64 {
        use haproxy_conf::sample::BeLoad;
        let queued = i64::from(self.counters.queued())
            + self
                .servers
                .iter()
                .map(|s| i64::from(s.counters.queued()))
                .sum::<i64>();
        let free = |s: &ServerRt| {
            s.maxconn_now()
                .map(|m| (i64::from(m) - i64::from(s.counters.current())).max(0))
        };
        match what {
            BeLoad::Queue => queued,
            BeLoad::AvgQueue => match i64::try_from(self.nbsrv()).unwrap_or(0) {
                0 => queued * 2,
                n => (queued + n - 1) / n,
            },
            BeLoad::ConnSlots => {
                let up: Vec<&Arc<ServerRt>> = self.servers.iter().filter(|s| s.is_up()).collect();
                let (Some(maxqueue), true) =
                    (self.maxqueue, up.iter().all(|s| s.maxconn.is_some()))
                else {
                    return if up.is_empty() { 0 } else { -1 };
                };
                up.iter().filter_map(|s| free(s)).sum::<i64>()
                    + (i64::from(maxqueue) - queued).max(0)
            }
            BeLoad::ConnFree => {
                let active = self.servers.iter().any(|s| !s.backup && s.is_up());
                let mut total = 0;
                for s in self
                    .servers
                    .iter()
                    .filter(|s| s.is_up() && s.backup != active)
                {
                    match free(s) {
                        Some(f) => total += f,
                        None => return -1,
                    }
                }
                total
            }
        }
    }

    pub fn nbsrv(&self) -> usize {
        let up = |backup: bool| {
            self.servers
                .iter()
                .filter(|s| s.backup == backup && s.is_up())
                .count()
        };
        match up(false) {
            0 => up(true),
            n => n,
        }
    }

    /// Whether server `i` is up and has a free connection slot.
    pub fn usable(&self, i: usize) -> bool {
        self.servers.get(i).is_some_and(|s| {
            s.is_up()
                && s.weight_now() > 0
                && s.maxconn_now().is_none_or(|m| s.counters.current() < m)
        })
    }

    /// The server of the first `use-server` rule that holds and whose server may take
    /// the request (a down one passes to the next rule); a log-format name that names no
    /// server ends the rules (balancing decides), as in HAProxy.
    pub fn use_server(
        &self,
        s: &dyn proxy_core::acl::Sample,
        render: &dyn Fn(&haproxy_conf::sample::fmt::Fmt) -> String,
    ) -> Option<usize> {
        for (cond, to) in &self.use_servers {
            if !self.acls.holds(cond, s) {
                continue;
            }
            let i = match to {
                ServerChoice::Index(i) => *i,
                ServerChoice::Named(f) => {
                    let name = render(f);
                    self.servers.iter().position(|x| x.name == name)?
                }
            };
            if self.persistable(i) {
                return Some(i);
            }
        }
        None
    }

    /// Whether server `i` may take a request that persistence sends to it: up (or, with
    /// `option persist`, even down but not in maintenance), drained or not.
    pub fn persistable(&self, i: usize) -> bool {
        self.servers.get(i).is_some_and(|s| {
            let room = s.maxconn_now().is_none_or(|m| s.counters.current() < m);
            let up = s.is_up()
                || (self.persist
                    && s.state
                        .lock()
                        .map(|st| st.admin != proxy_core::health::Admin::Maint)
                        .unwrap_or(false));
            up && room
        })
    }

    /// Choose a server; `key` is the hash of the request (None: round robin).
    pub fn pick(&self, now: u64, key: Option<u32>, avoid: Option<usize>) -> Pick {
        let mut guard = match self.balancer.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        // The view is rebuilt in place each time: no allocation per request.
        let (balancer, view) = &mut *guard;
        view.clear();
        view.extend(self.servers.iter().enumerate().map(|(i, s)| {
            let (up, weight, maxconn, up_since) = s.balance_view();
            BalServer {
                weight,
                static_weight: s.weight,
                puid: s.puid,
                backup: s.backup,
                // A retry with redispatch avoids the server that just failed.
                up: up && Some(i) != avoid,
                maxconn,
                active: s.counters.current(),
                slowstart_ms: s.slowstart_ms,
                up_since,
            }
        }));
        balancer.pick(view, now, key)
    }

    /// A result of live traffic with server `s` (`observe`): `connect` says whether it is
    /// a connection's outcome (layer 4) or a response's (layer 7).
    pub fn observe(&self, s: &ServerRt, now: u64, error: bool, connect: bool) {
        match s.observe {
            None => return,
            Some(Observe::Layer4) if !connect => return,
            // In layer 7 a connection that opens says nothing yet: only its response
            // resets the count of errors in a row.
            Some(Observe::Layer7) if connect && !error => return,
            _ => {}
        }
        if let Some(t) = s.observed(now, error) {
            self.transition(s, t, super::checks::Why::reason("Health analyze"), 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn which_websockets_go_over_http_1_1_on_their_own_connection() {
        let opts = |line: &[(&str, &str)]| {
            let mut o = haproxy_conf::model::ServerOpts::default();
            for (k, v) in line {
                match *k {
                    "ssl" => o.ssl = true,
                    "alpn" => o.alpn = Some(v.split(',').map(str::to_string).collect()),
                    "proto" => o.proto = Some(v.to_string()),
                    "ws" => o.ws = Some(v.to_string()),
                    _ => unreachable!(),
                }
            }
            o
        };
        let tls_both = [("ssl", ""), ("alpn", "h2,http/1.1")];
        // auto: ALPN offering both: http/1.1 alone for WebSockets, as HAProxy downgrades.
        assert!(ws_h1(&opts(&tls_both)));
        // auto with `proto h2`, or ALPN h2 alone: an extended CONNECT on HTTP/2.
        assert!(!ws_h1(&opts(&[("proto", "h2")])));
        assert!(!ws_h1(&opts(&[("ssl", ""), ("alpn", "h2")])));
        // Servers that speak HTTP/1.1 anyway.
        assert!(!ws_h1(&opts(&[])));
        assert!(!ws_h1(&opts(&[("ws", "h1")])));
        // Forced.
        assert!(ws_h1(&opts(&[("proto", "h2"), ("ws", "h1")])));
        assert!(ws_h1(&opts(&[("ssl", ""), ("alpn", "h2"), ("ws", "h1")])));
        assert!(!ws_h1(&opts(&[
            ("ssl", ""),
            ("alpn", "h2,http/1.1"),
            ("ws", "h2")
        ])));
    }
}
