//! Health checks and agent checks on the wire: connect (with `check-send-proxy`, and
//! TLS for `check-ssl`), then the backend's check sequence (`option httpchk` with
//! `http-check` steps, `option tcp-check` with `tcp-check` steps, `option ssl-hello-chk`,
//! or connecting alone), judged with proxy-core; the agent's reply line read every
//! `agent-inter`. Results feed each server's state.

use super::backend::BackendRt;
use super::clock::Clock;
use super::connect::{proxy_header_local, Stream as ServerStream};
use super::server::{ServerRt, Target};
use haproxy_conf::model::{CheckConnect, CheckStep, Expect, HttpChk, Proxy};
use proxy_core::counters::{CheckRecord, CheckStatus};
use proxy_core::events::ServerChange;
use proxy_core::health::{first_check_at, parse_agent, Transition};
use proxy_core::probe::{self, Judged};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What a backend's checks do after connecting.
#[derive(Debug, Clone)]
pub enum Probe {
    /// Connecting is enough (layer 4).
    Connect,
    /// `option ssl-hello-chk`.
    SslHello,
    /// `option httpchk` / `option tcp-check`: steps run in order on one connection
    /// (`connect` steps open a new one).
    Steps { http: bool, steps: Vec<Step> },
}

/// One step, ready to run.
#[derive(Debug, Clone)]
pub enum Step {
    Connect(CheckConnect),
    Send(Vec<u8>),
    /// An HTTP check's expectation (None: HAProxy's default, 2xx or 3xx).
    ExpectHttp(Option<Expect>),
    ExpectTcp(Expect),
}

/// The request `option httpchk` and the `http-check send` lines make.
fn http_request(chk: Option<&HttpChk>, send: Option<&CheckStep>) -> Vec<u8> {
    let (mut method, mut uri, mut version, mut headers) = match chk {
        Some(c) => (
            c.method.clone(),
            c.uri.clone(),
            c.version.clone(),
            c.headers.clone(),
        ),
        None => ("OPTIONS".into(), "/".into(), "HTTP/1.0".into(), Vec::new()),
    };
    let mut body = None;
    if let Some(CheckStep::HttpSend {
        method: m,
        uri: u,
        version: v,
        headers: h,
        body: b,
    }) = send
    {
        if let Some(m) = m {
            method = m.clone();
        }
        if let Some(u) = u {
            uri = u.clone();
        }
        if let Some(v) = v {
            version = v.clone();
        }
        headers.extend(h.iter().cloned());
        body = b.clone();
    }
    let mut req = probe::http_request(&method, &uri, &version, &headers);
    if let Some(b) = body {
        // The head ends with an empty line; the body goes after it with its length.
        req.truncate(req.len() - 2);
        req.extend_from_slice(format!("Content-Length: {}\r\n\r\n", b.len()).as_bytes());
        req.extend_from_slice(b.as_bytes());
    }
    req
}

/// A backend's check, from its options and check lines.
pub fn probe_of(p: &Proxy) -> Probe {
    if p.option("ssl-hello-chk") {
        return Probe::SslHello;
    }
    if p.option("httpchk") || p.httpchk.is_some() {
        let mut steps = Vec::new();
        let mut pending_send: Option<&CheckStep> = None;
        let mut sent = false;
        for s in &p.http_checks {
            match s {
                CheckStep::Connect(c) => steps.push(Step::Connect(c.clone())),
                CheckStep::HttpSend { .. } => pending_send = Some(s),
                CheckStep::Expect(e) => {
                    steps.push(Step::Send(http_request(p.httpchk.as_ref(), pending_send)));
                    pending_send = None;
                    sent = true;
                    steps.push(Step::ExpectHttp(Some(e.clone())));
                }
                CheckStep::Send(_) => {}
            }
        }
        if !sent || pending_send.is_some() {
            steps.push(Step::Send(http_request(p.httpchk.as_ref(), pending_send)));
            steps.push(Step::ExpectHttp(None));
        }
        return Probe::Steps { http: true, steps };
    }
    if p.option("tcp-check") && !p.tcp_checks.is_empty() {
        let steps = p
            .tcp_checks
            .iter()
            .filter_map(|s| match s {
                CheckStep::Connect(c) => Some(Step::Connect(c.clone())),
                CheckStep::Send(b) => Some(Step::Send(b.clone())),
                CheckStep::Expect(e) => Some(Step::ExpectTcp(e.clone())),
                CheckStep::HttpSend { .. } => None,
            })
            .collect();
        return Probe::Steps { http: false, steps };
    }
    Probe::Connect
}

/// Where and how a server is checked.
#[derive(Debug)]
pub struct CheckSpec {
    pub addr: Option<std::net::IpAddr>,
    pub port: Option<u16>,
    pub send_proxy: bool,
    pub tls: Option<CheckTls>,
}

/// How checks speak TLS to a server: the server's verification, `check-alpn`, and
/// `check-sni` as the name (none without it).
#[derive(Debug)]
pub struct CheckTls {
    pub client: super::srv_tls::Client,
    pub name: rustls::pki_types::ServerName<'static>,
    /// Every check connection speaks TLS (`check-ssl`, or `ssl` checked on its own
    /// address); otherwise only `connect ssl` steps do.
    pub always: bool,
}

/// The address a check connects to: the server's, with `addr`/`port` overrides (the
/// runtime API's `check-port` over the configured one) and a connect step's own.
fn check_target(s: &ServerRt, spec: &CheckSpec, step: Option<&CheckConnect>) -> Option<Target> {
    let base = s.target.read().ok()?.clone()?;
    match base {
        Target::Unix(p) => Some(Target::Unix(p)),
        Target::Inet(a) => {
            let ip = step.and_then(|c| c.addr).or(spec.addr).unwrap_or(a.ip());
            let port = step
                .and_then(|c| c.port)
                .or(s.check_port(spec))
                .unwrap_or(a.port());
            Some(Target::Inet(SocketAddr::new(ip, port)))
        }
    }
}

/// A check's connection, plain or TLS.
enum CheckConn {
    Plain(ServerStream),
    Tls(Box<tokio_rustls::client::TlsStream<ServerStream>>),
}

impl CheckConn {
    async fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        match self {
            CheckConn::Plain(s) => s.write_all(b).await,
            CheckConn::Tls(s) => s.write_all(b).await,
        }
    }
    async fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        match self {
            CheckConn::Plain(s) => s.read(b).await,
            CheckConn::Tls(s) => s.read(b).await,
        }
    }
}

/// Why a server changed state, as its log line says.
#[derive(Debug, Clone, Copy)]
pub struct Why<'a> {
    pub reason: &'a str,
    pub code: Option<u16>,
    pub info: Option<&'a str>,
}

impl<'a> Why<'a> {
    pub fn reason(reason: &'a str) -> Why<'a> {
        Why {
            reason,
            code: None,
            info: None,
        }
    }

    fn check(v: &'a Verdict) -> Why<'a> {
        Why {
            reason: v.status.reason(),
            code: v.code,
            info: v.info.as_deref(),
        }
    }
}

/// A check's outcome, with what HAProxy's state-change line says beside the status: the
/// HTTP status a check got, and a few words on what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: CheckStatus,
    pub code: Option<u16>,
    pub info: Option<String>,
}

impl From<CheckStatus> for Verdict {
    fn from(status: CheckStatus) -> Verdict {
        Verdict {
            status,
            code: None,
            info: None,
        }
    }
}

impl Verdict {
    /// A connection that failed: HAProxy gives the system's words for it ("Connection
    /// refused"), without Rust's "(os error N)".
    fn refused(e: &std::io::Error) -> Verdict {
        let info = match e.raw_os_error() {
            Some(n) => nix::errno::Errno::from_raw(n).desc().to_string(),
            None => e.to_string(),
        };
        Verdict {
            status: CheckStatus::L4Con,
            code: None,
            info: Some(info),
        }
    }
}

/// Connect for a check: TCP or unix, the PROXY header if asked, TLS if asked.
async fn open(
    s: &ServerRt,
    spec: &CheckSpec,
    step: Option<&CheckConnect>,
) -> Result<CheckConn, Verdict> {
    let target = check_target(s, spec, step).ok_or(Verdict::from(CheckStatus::L4Con))?;
    let mut stream = super::connect::connect_target(&target, s.source, None)
        .await
        .map_err(|e| Verdict::refused(&e))?;
    if spec.send_proxy || step.is_some_and(|c| c.send_proxy) {
        // HAProxy's checks: v2 says LOCAL; v1 gives the check connection's own addresses.
        let addrs = match &stream {
            ServerStream::Tcp(t) => t.local_addr().ok().zip(t.peer_addr().ok()),
            ServerStream::Unix(_) | ServerStream::Tls(_) => None,
        };
        let hdr = proxy_header_local(s.send_proxy, addrs);
        if stream.write_all(&hdr).await.is_err() {
            return Err(Verdict::from(CheckStatus::L4Con));
        }
    }
    // An explicit `connect` step speaks TLS when it says `ssl`, whatever `check-ssl`
    // says (measured with HAProxy 2.6); the check's own connection follows the server.
    let tls = match step {
        Some(c) => c.ssl,
        None => spec.tls.as_ref().is_some_and(|t| t.always),
    };
    if !tls {
        return Ok(CheckConn::Plain(stream));
    }
    // The plan gives a TLS client to every server a `connect ssl` step checks.
    let Some(t) = &spec.tls else {
        return Err(Verdict::from(CheckStatus::L6Rsp));
    };
    let name = match step.and_then(|c| c.sni.as_deref()) {
        Some(n) => {
            super::srv_tls::server_name(Some(n)).map_err(|_| Verdict::from(CheckStatus::L6Rsp))?
        }
        None => t.name.clone(),
    };
    match t.client.connector.connect(name, stream).await {
        Ok(t) => Ok(CheckConn::Tls(Box::new(t))),
        Err(_) => Err(Verdict::from(CheckStatus::L6Rsp)),
    }
}

/// Read until `judge` decides or the peer closes (`complete`) or 16 KiB are in.
async fn expect(
    c: &mut CheckConn,
    buf: &mut Vec<u8>,
    judge: impl Fn(&[u8], bool) -> Judged,
) -> Judged {
    let mut chunk = [0u8; 4096];
    loop {
        match judge(buf, false) {
            Judged::NeedMore => {}
            done => return done,
        }
        let n = c.read(&mut chunk).await.unwrap_or(0);
        if n == 0 || buf.len() >= 16 * 1024 {
            return judge(buf, true);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Run a check to the end; its status in HAProxy's terms.
async fn run_steps(s: &ServerRt, spec: &CheckSpec, probe: &Probe) -> Verdict {
    match probe {
        Probe::Connect => match open(s, spec, None).await {
            Ok(_) => Verdict::from(CheckStatus::L4Ok),
            Err(e) => e,
        },
        Probe::SslHello => {
            let mut c = match open(s, spec, None).await {
                Ok(c) => c,
                Err(e) => return e,
            };
            let mut buf = [0u8; 5];
            let n = match c.write_all(&probe::ssl_client_hello([0x5a; 32])).await {
                Ok(()) => c.read(&mut buf).await.unwrap_or(0),
                Err(_) => 0,
            };
            if probe::ssl_hello_ok(&buf[..n]) {
                Verdict::from(CheckStatus::L6Ok)
            } else {
                Verdict::from(CheckStatus::L6Rsp)
            }
        }
        Probe::Steps { http, steps } => {
            let first_connect = matches!(steps.first(), Some(Step::Connect(_)));
            let mut conn = if first_connect {
                None
            } else {
                match open(s, spec, None).await {
                    Ok(c) => Some(c),
                    // tcp-check says which step failed (http-check does not).
                    Err(mut e) => {
                        if let (false, Some(info)) = (*http, e.info.as_mut()) {
                            info.push_str(" at initial connection step of tcp-check");
                        }
                        return e;
                    }
                }
            };
            let mut buf = Vec::new();
            // The status of the last HTTP answer, which the UP line names.
            let mut last_code = None;
            for step in steps {
                match step {
                    Step::Connect(c) => match open(s, spec, Some(c)).await {
                        Ok(c) => {
                            conn = Some(c);
                            buf.clear();
                        }
                        Err(e) => return e,
                    },
                    Step::Send(bytes) => {
                        let Some(c) = conn.as_mut() else {
                            return Verdict::from(CheckStatus::L4Con);
                        };
                        if c.write_all(bytes).await.is_err() {
                            return if *http {
                                Verdict::from(CheckStatus::L7Rsp)
                            } else {
                                Verdict::from(CheckStatus::L4Con)
                            };
                        }
                    }
                    Step::ExpectHttp(e) => {
                        let Some(c) = conn.as_mut() else {
                            return Verdict::from(CheckStatus::L4Con);
                        };
                        let got = expect(c, &mut buf, |b, complete| match e {
                            Some(e) => probe::judge_http(e, b, complete),
                            None if b.windows(2).any(|w| w == b"\r\n") || complete => {
                                if probe::http_default_ok(b) {
                                    Judged::Pass
                                } else {
                                    Judged::Fail
                                }
                            }
                            None => Judged::NeedMore,
                        })
                        .await;
                        if got != Judged::Pass {
                            return match probe::status_line(&buf) {
                                Some((code, phrase)) => Verdict {
                                    status: CheckStatus::L7Sts,
                                    code: Some(code),
                                    info: Some(phrase),
                                },
                                None => Verdict::from(CheckStatus::L7Rsp),
                            };
                        }
                        // The code only: no reason phrase to copy on every passing check.
                        last_code = probe::status_of(&buf);
                        buf.clear();
                    }
                    Step::ExpectTcp(e) => {
                        let Some(c) = conn.as_mut() else {
                            return Verdict::from(CheckStatus::L4Con);
                        };
                        let got =
                            expect(c, &mut buf, |b, complete| probe::judge_tcp(e, b, complete))
                                .await;
                        if got != Judged::Pass {
                            return Verdict::from(CheckStatus::L7Rsp);
                        }
                        // What matched is used up; the next expect looks at new data.
                        buf.clear();
                    }
                }
            }
            if *http || steps.iter().any(|s| matches!(s, Step::ExpectTcp(_))) {
                Verdict {
                    status: CheckStatus::L7Ok,
                    code: last_code,
                    info: None,
                }
            } else {
                Verdict::from(CheckStatus::L4Ok)
            }
        }
    }
}

/// One check within its limits: the connection within `connect` (else `inter`), the
/// whole check within `check` (else `inter`), as HAProxy's timeouts say.
async fn run_probe(
    s: &ServerRt,
    spec: &CheckSpec,
    probe: &Probe,
    connect_limit: Duration,
    check_limit: Duration,
) -> Verdict {
    let started = tokio::time::Instant::now();
    match tokio::time::timeout(connect_limit + check_limit, run_steps(s, spec, probe)).await {
        Ok(verdict) => verdict,
        Err(_) => {
            // Which limit ran out: still connecting, or waiting for an answer.
            if started.elapsed() < connect_limit + Duration::from_millis(1) {
                Verdict::from(CheckStatus::L4Tout)
            } else {
                match probe {
                    Probe::Connect => Verdict::from(CheckStatus::L4Tout),
                    Probe::SslHello => Verdict::from(CheckStatus::L6Tout),
                    Probe::Steps { .. } => Verdict::from(CheckStatus::L7Tout),
                }
            }
        }
    }
}

impl BackendRt {
    /// Start the health checks of every server with `check`, spread over the interval,
    /// and the agent checks.
    pub fn spawn_checks(self: &Arc<Self>, clock: Clock) {
        let checked: Vec<Arc<ServerRt>> =
            self.servers.iter().filter(|s| s.check).cloned().collect();
        let count = checked.len();
        for (i, s) in checked.into_iter().enumerate() {
            let be = self.clone();
            let inter = s
                .state
                .lock()
                .map(|st| st.health.timing.inter_ms)
                .unwrap_or(2000);
            let first = first_check_at(0, i, count, inter);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(first)).await;
                loop {
                    let Some(spec) = s.check_spec.as_ref() else {
                        tracing::error!(
                            "Server {}/{}: no check settings, checks stopped",
                            be.name,
                            s.name
                        );
                        return;
                    };
                    let inter = Duration::from_millis(inter.max(1));
                    // `disable health`: no probe; the state reached stays.
                    if s.state.lock().is_ok_and(|st| st.checks_paused) {
                        tokio::time::sleep(inter).await;
                        continue;
                    }
                    let started = tokio::time::Instant::now();
                    let verdict = run_probe(
                        &s,
                        spec,
                        &be.probe,
                        be.connect_timeout.unwrap_or(inter),
                        be.check_timeout.unwrap_or(inter),
                    )
                    .await;
                    let took = started.elapsed().as_millis() as u64;
                    let now = clock.now_ms();
                    let status = verdict.status;
                    s.last_check.record(CheckRecord {
                        status,
                        duration_ms: took,
                        at: now,
                    });
                    let (change, next) = match s.state.lock() {
                        Ok(mut st) => (
                            st.health.result(now, status.passed()),
                            st.health.next_interval(),
                        ),
                        Err(poisoned) => {
                            // A panic elsewhere while holding the lock: keep checking.
                            let mut st = poisoned.into_inner();
                            (
                                st.health.result(now, status.passed()),
                                st.health.next_interval(),
                            )
                        }
                    };
                    if let Some(t) = change {
                        be.transition(&s, t, Why::check(&verdict), took);
                    }
                    tokio::time::sleep(Duration::from_millis(next)).await;
                }
            });
        }
        for s in self.servers.iter().filter(|s| s.agent.is_some()) {
            let (be, s) = (self.clone(), s.clone());
            tokio::spawn(async move { be.agent_loop(s, clock).await });
        }
    }

    async fn agent_loop(self: Arc<Self>, s: Arc<ServerRt>, clock: Clock) {
        let Some(agent) = s.agent.clone() else {
            return;
        };
        let inter = Duration::from_millis(agent.inter_ms.max(1));
        loop {
            tokio::time::sleep(inter).await;
            if s.state.lock().is_ok_and(|st| st.agent_paused) {
                continue;
            }
            let target = s.target.read().ok().and_then(|t| t.clone());
            let addr = match target {
                Some(Target::Inet(a)) => SocketAddr::new(agent.addr.unwrap_or(a.ip()), agent.port),
                _ => match agent.addr {
                    Some(ip) => SocketAddr::new(ip, agent.port),
                    None => continue,
                },
            };
            let limit = self.check_timeout.unwrap_or(inter);
            let reply = tokio::time::timeout(limit, async {
                let mut c = tokio::net::TcpStream::connect(addr).await.ok()?;
                if let Some(send) = &agent.send {
                    c.write_all(send).await.ok()?;
                }
                let mut buf = Vec::new();
                let mut chunk = [0u8; 512];
                while !buf.iter().any(|&b| b == b'\n' || b == b'\r') && buf.len() < 1024 {
                    let n = c.read(&mut chunk).await.ok()?;
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                Some(buf)
            })
            .await;
            // Failing to reach the agent is not an error: the regular check judges
            // connectivity.
            let Ok(Some(reply)) = reply else {
                continue;
            };
            let r = parse_agent(&reply);
            let before = (s.weight_now(), s.is_up());
            let change = s.agent_reply(clock.now_ms(), r);
            if let Some(t) = change {
                self.transition(&s, t, Why::reason("Agent check"), 0);
            } else if before != (s.weight_now(), s.is_up()) {
                // A drain or a weight change: queued requests may go elsewhere now.
                self.released.notify_waiters();
            }
        }
    }

    /// A server went UP or DOWN: act on it and log it in HAProxy's words.
    pub fn transition(&self, s: &ServerRt, t: Transition, why: Why<'_>, took_ms: u64) {
        match t {
            Transition::Up => {
                // Requests queued on the backend may use it now.
                self.released.notify_waiters();
                if s.shutdown_backups_on_up && !s.backup {
                    for b in self.servers.iter().filter(|b| b.backup) {
                        b.down.send_modify(|n| *n += 1);
                    }
                }
            }
            Transition::Down => {
                // Idle pooled connections go in any case; sessions if asked.
                if let Ok(mut pool) = s.pool.lock() {
                    pool.clear();
                }
                if s.shutdown_on_down {
                    s.down.send_modify(|n| *n += 1);
                }
            }
        }
        let (active, backups) = (self.online(false), self.online(true));
        let line = proxy_core::events::server_change(&ServerChange {
            backend: &self.name,
            server: &s.name,
            backup: s.backup,
            up: t == Transition::Up,
            reason: why.reason,
            code: why.code,
            info: why.info,
            took_ms,
            active,
            backups,
            sessions: s.counters.current().into(),
            requeued: 0,
            queued: self.counters.queued().into(),
        });
        // HAProxy's priorities: a server lost is an alert, one back a notice; a backend
        // with no server left is an emergency. Its console shows them as warnings.
        let proxy = self.name.as_str();
        if let Some(m) = &self.mail {
            // alert (1) for DOWN, notice (5) for UP, as HAProxy's levels for them.
            super::mail::alert(m, if t == Transition::Up { 5 } else { 1 }, &line);
        }
        if t == Transition::Up {
            tracing::warn!(pri = "notice", proxy, "{line}");
        } else {
            tracing::warn!(pri = "alert", proxy, "{line}");
            if active + backups == 0 {
                tracing::error!(
                    pri = "emerg",
                    proxy,
                    "{}",
                    proxy_core::events::no_server(proxy)
                );
            }
        }
    }

    fn online(&self, backup: bool) -> usize {
        self.servers
            .iter()
            .filter(|s| s.backup == backup && s.is_up())
            .count()
    }
}
