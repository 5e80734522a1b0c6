//! One TCP session: pick a server (retrying, and redispatching on the last try), connect
//! within `timeout connect`, then forward both ways with half-close: the side that
//! finishes first has its FIN passed on while the other keeps flowing; each side idles
//! at most its `timeout client` / `timeout server`.

use super::acls::AclSet;
use super::backend::HashOn;
use super::clock::Clock;
use super::connect::{attempt, open_stream, Stream as ServerStream, Tried};
use super::frontend::FrontendRt;
use super::idle::{Activity, IdleWatch};
use super::inspect::{needs_more, ContentSample, Ctx, TcpRules, Verdict};
use super::logline::Record;
use super::{Conn, Stream};
use proxy_core::acl::Fetch;
use proxy_core::counters::Counters;
use proxy_core::log::{Cause, Phase};
use proxy_core::sample::vars::Store;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Bytes a session buffers per direction (HAProxy's default tune.bufsize).
const BUF: usize = 16 * 1024;

/// Whether sessions between plain sockets are spliced (`nosplice` turns it off).
pub static SPLICE: AtomicBool = AtomicBool::new(true);

/// When a session has been idle too long, as HAProxy's TCP timeouts say: `timeout
/// tunnel` replaces `client` and `server` once the session is established, and while one
/// direction is already shut, `client-fin` / `server-fin` replace them. A side counts as
/// active while bytes move either way through it, so with both sides open the session
/// ends after the smaller of the two timeouts without a byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleLimits {
    pub open: Option<Duration>,
    pub half_closed: Option<Duration>,
}

fn min_set(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

impl IdleLimits {
    pub fn new(
        fe: &haproxy_conf::model::Timeouts,
        be: &haproxy_conf::model::Timeouts,
    ) -> IdleLimits {
        let (client, server) = (fe.client, be.server);
        let tunnel = be.tunnel;
        let open = tunnel.or(min_set(client, server));
        let half_closed = min_set(
            fe.client_fin.or(tunnel).or(client),
            be.server_fin.or(tunnel).or(server),
        );
        IdleLimits {
            open: open.map(Duration::from_millis),
            half_closed: half_closed.map(Duration::from_millis),
        }
    }
}

/// Copy one direction until EOF (then pass the FIN on), counting the bytes where they
/// are counted and marking the session active.
async fn pipe<R, W>(
    mut r: R,
    mut w: W,
    counted: [&Counters; 4],
    inbound: bool,
    activity: &Activity,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; BUF];
    loop {
        let n = r.read(&mut buf).await?;
        if n == 0 {
            return w.shutdown().await;
        }
        activity.touch();
        w.write_all(&buf[..n]).await?;
        activity.touch();
        count_bytes(counted, inbound, n);
    }
}

/// `n` bytes forwarded: from the client (`inbound`) or to it.
pub fn count_bytes(counted: [&Counters; 4], inbound: bool, n: usize) {
    for c in counted {
        if inbound {
            c.bytes_in(n as u64);
        } else {
            c.bytes_out(n as u64);
        }
    }
}

/// Read from `from` into `buf` while some of `fetches` still waits for bytes, until
/// `deadline` (inspect-delay) or the end of the stream. True when the whole delay ran
/// out (what `wait_end` tells).
async fn gather<S: AsyncRead + Unpin>(
    from: &mut S,
    buf: &mut Vec<u8>,
    fetches: &[&Fetch],
    response: bool,
    deadline: tokio::time::Instant,
) -> bool {
    let mut chunk = vec![0u8; BUF];
    let waiting = |b: &[u8]| {
        if response {
            needs_more(fetches.iter().copied(), b, b)
        } else {
            needs_more(fetches.iter().copied(), b, &[])
        }
    };
    let wait_end = fetches.iter().any(|f| **f == Fetch::WaitEnd);
    while (wait_end || waiting(buf)) && buf.len() < BUF {
        match tokio::time::timeout_at(deadline, from.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            Ok(_) => return false,
            Err(_) => return true,
        }
    }
    false
}

/// Content inspection of the client's first bytes for one proxy's rules (and its stick
/// keys); false when a rule rejects the connection.
async fn inspect_request<S: AsyncRead + Unpin>(
    client: &mut S,
    req: &mut Vec<u8>,
    (rules, acls, ctx): (&TcpRules, &AclSet, Ctx<'_>),
    stick_keys: &[&Fetch],
    conn: &Conn,
    decide: bool,
) -> bool {
    if let Some(delay) = rules.inspect_delay {
        let mut fetches: Vec<&Fetch> = rules
            .content
            .iter()
            .flat_map(|(_, c)| acls.fetches(c))
            .collect();
        fetches.extend_from_slice(stick_keys);
        let waited = gather(
            client,
            req,
            &fetches,
            false,
            tokio::time::Instant::now() + delay,
        )
        .await;
        let s = ContentSample::new(ctx, conn, req, &[], waited);
        return !decide || TcpRules::decide(&rules.content, acls, &s, &conn.sc) == Verdict::Accept;
    }
    let s = ContentSample::new(ctx, conn, req, &[], false);
    !decide || TcpRules::decide(&rules.content, acls, &s, &conn.sc) == Verdict::Accept
}

/// A TCP session's log line, written whenever the session ends (whatever returns).
struct TcpLog<'a> {
    fe: &'a Arc<FrontendRt>,
    conn: &'a Conn,
    vars: (&'a Store, &'a Store),
    be: Option<Arc<super::backend::BackendRt>>,
    rec: Record,
    t0: tokio::time::Instant,
    /// Bytes of this session alone.
    bytes: Counters,
}

impl Drop for TcpLog<'_> {
    fn drop(&mut self) {
        // Stick counters count the session's bytes when it ends.
        let snap = self.bytes.snapshot();
        if snap.bytes_in > 0 {
            self.conn
                .sc
                .count_all(proxy_core::stick::Count::BytesIn(snap.bytes_in));
        }
        if snap.bytes_out > 0 {
            self.conn
                .sc
                .count_all(proxy_core::stick::Count::BytesOut(snap.bytes_out));
        }
        let Some(plan) = &self.fe.log else { return };
        let super::logline::Line::Fmt(fmt) = &plan.line else {
            return;
        };
        let snap = self.bytes.snapshot();
        let r = &mut self.rec;
        r.t_total = self.t0.elapsed().as_millis() as i64;
        r.t_active = r.t_total;
        r.bytes_out = snap.bytes_out;
        r.bytes_in = snap.bytes_in;
        // `dontlognull`: a connection that carried nothing is not logged.
        if plan.dontlognull && snap.bytes_in == 0 && snap.bytes_out == 0 {
            return;
        }
        let be = self.be.as_deref();
        let srv = r
            .server
            .as_ref()
            .and_then(|(n, _)| be.and_then(|b| b.servers.iter().find(|s| &s.name == n)));
        let actconn: u32 = super::stats::FRONTENDS
            .get()
            .map(|f| f.iter().map(|f| f.counters.current()).sum())
            .unwrap_or(0);
        r.counts = [
            actconn,
            self.fe.counters.current(),
            be.map(|b| b.counters.current()).unwrap_or(0),
            srv.map(|s| s.counters.current()).unwrap_or(0),
            0,
            be.map(|b| b.counters.queued()).unwrap_or(0),
        ];
        if plan.dontlog_normal && !r.is_error() {
            return;
        }
        let level = if plan.separate_errors && r.is_error() {
            proxy_core::log::ERR
        } else {
            proxy_core::log::INFO
        };
        let mut ctx = Ctx::new(self.fe, be);
        ctx.vars = Some(self.vars);
        let sample = ContentSample::new(ctx, self.conn, &[], &[], true);
        let logged = super::logline::Logged {
            r,
            conn: self.conn,
            ctx,
        };
        let sample = super::logline::LogSample { inner: &sample, r };
        let line = proxy_core::sample::fmt::render_log(fmt, &sample, &logged);
        plan.send(level, &line);
    }
}

pub async fn session<S: Stream>(mut client: S, conn: Conn, fe: Arc<FrontendRt>, clock: Clock) {
    let _session = fe.counters.count();
    fe.counters.session_at(super::clock::mono_ms());
    let (peer, local) = (conn.peer, conn.local);
    // The session's one stream: its `txn.` and `req.` variables.
    let vars = (Store::new(), Store::new());
    let mut log = TcpLog {
        fe: &fe,
        conn: &conn,
        vars: (&vars.0, &vars.1),
        be: None,
        rec: Record::new(super::clock::wall()),
        t0: tokio::time::Instant::now(),
        bytes: Counters::default(),
    };
    let mut req = Vec::new();
    let mut fctx = Ctx::new(&fe, None);
    fctx.vars = Some((&vars.0, &vars.1));
    if !inspect_request(
        &mut client,
        &mut req,
        (&fe.tcp, &fe.acls, fctx),
        &[],
        &conn,
        true,
    )
    .await
    {
        fe.counters.denied_request();
        (log.rec.cause, log.rec.phase) = (Cause::Proxy, Phase::Request);
        return;
    }
    let sample = ContentSample::new(fctx, &conn, &req, &[], false);
    let Some(be) = fe.route(&sample, &|f| sample.render(f)) else {
        (log.rec.cause, log.rec.phase) = (Cause::Proxy, Phase::Request);
        return; // no backend: HAProxy closes the connection
    };
    log.be = Some(be.clone());
    log.rec.backend = Some(be.name.clone());
    let stick_keys: Vec<&Fetch> = be
        .stick
        .iter()
        .flat_map(|st| {
            st.rules
                .iter()
                .filter(|r| r.matches || r.store_request)
                .map(|r| &r.key.fetch)
        })
        .collect();
    let mut bctx = Ctx::new(&fe, Some(&be));
    bctx.vars = Some((&vars.0, &vars.1));
    if !inspect_request(
        &mut client,
        &mut req,
        (&be.tcp, &be.acls, bctx),
        &stick_keys,
        &conn,
        !fe.is_itself(&be),
    )
    .await
    {
        be.counters.denied_request();
        (log.rec.cause, log.rec.phase) = (Cause::Proxy, Phase::Request);
        return;
    }
    // Stickiness on the request: the first rule whose condition holds gives the key.
    let sample = ContentSample::new(bctx, &conn, &req, &[], false);
    let (stuck, store_key) = match &be.stick {
        Some(st) => st.on_request(&be.acls, &sample),
        None => (None, None),
    };
    let render = |f: &haproxy_conf::sample::fmt::Fmt| {
        proxy_core::sample::fmt::render_string(f, &sample, &sample)
    };
    // `use-server` ahead of the table, as HAProxy.
    let prefer = be.use_server(&sample, &render).or(stuck);
    let key = (be.hash_on == HashOn::Source && !conn.unix)
        .then(|| proxy_core::hash::source(&be.hash_type, peer.ip()));
    let mut tried = Tried::default();
    let got = attempt(&be, key, clock, prefer, &mut tried, |s| {
        let sni = super::srv_tls::sni_for(&s, &sample);
        open_stream(s, peer, local, sni, false)
    })
    .await;
    log.rec.retries = tried.retries;
    log.rec.t_queue = tried.queued_ms.map(|t| t as i64).unwrap_or(-1);
    log.rec.t_connect = tried.connect_ms.map(|t| t as i64).unwrap_or(-1);
    if let Some(s) = &tried.server {
        log.rec.server = Some((
            s.name.clone(),
            match s.target.read().map(|t| t.clone()) {
                Ok(Some(super::server::Target::Inet(a))) => Some(a),
                _ => None,
            },
        ));
    }
    let Some((mut server, guard)) = got else {
        (log.rec.cause, log.rec.phase) = if tried.queue_timeout {
            (Cause::ServerTimeout, Phase::Queue)
        } else {
            (Cause::Server, Phase::Connect)
        };
        return;
    };
    let index = be.servers.iter().position(|s| Arc::ptr_eq(s, &guard.0));
    if let (Some(st), Some(k), Some(i)) = (&be.stick, &store_key, index) {
        st.remember(k, i, &guard.0);
    }
    if !req.is_empty() && server.write_all(&req).await.is_err() {
        return;
    }
    // Response inspection: its rules and the keys learnt from the server's first bytes.
    let mut rep = Vec::new();
    let response_rules = !be.tcp.response.is_empty();
    let store_response = be.stick.as_ref().is_some_and(|st| st.stores_response());
    if response_rules || store_response {
        let mut fetches: Vec<&Fetch> = be
            .tcp
            .response
            .iter()
            .flat_map(|(_, c)| be.acls.fetches(c))
            .collect();
        if let Some(st) = &be.stick {
            for r in st.rules.iter().filter(|r| r.store_response) {
                fetches.push(&r.key.fetch);
                fetches.extend(be.acls.fetches(&r.cond));
            }
        }
        let limit = be
            .tcp
            .response_inspect_delay
            .or(be.server_timeout)
            .unwrap_or(Duration::from_secs(30));
        let waited = gather(
            &mut server,
            &mut rep,
            &fetches,
            true,
            tokio::time::Instant::now() + limit,
        )
        .await;
        // In a response rule, the direction-less fetches (`payload_lv`) read the response.
        let s = ContentSample::new(bctx, &conn, &rep, &rep, waited);
        if TcpRules::decide(&be.tcp.response, &be.acls, &s, &conn.sc) == Verdict::Reject {
            be.counters.denied_response();
            (log.rec.cause, log.rec.phase) = (Cause::Proxy, Phase::Data);
            return;
        }
        if let (Some(st), Some(i)) = (&be.stick, index) {
            st.on_response(&be.acls, &s, i, &guard.0);
        }
    }
    if !rep.is_empty() && client.write_all(&rep).await.is_err() {
        return;
    }
    let (srv, fe_c, be_c) = (&guard.0.counters, &fe.counters, &be.counters);
    for c in [srv, fe_c, be_c, &log.bytes] {
        c.bytes_in(req.len() as u64);
        c.bytes_out(rep.len() as u64);
    }
    let activity = Activity::new();
    let limits = IdleLimits::new(&fe.timeouts, &be.timeouts);
    let counted: [&Counters; 4] = [srv, fe_c, be_c, &log.bytes];
    let marked_down = guard.0.down.subscribe();
    // Plain TCP on both sides: the bytes go socket to socket through a pipe (splice),
    // never through this process's memory. TLS clients and unix sockets are copied.
    if SPLICE.load(Ordering::Relaxed) {
        if let (Some(c), ServerStream::Tcp(srv_sock)) =
            (super::accept::as_tcp(&mut client), &server)
        {
            let c = &*c;
            let up = super::splice::relay(c, srv_sock, counted, true, &activity);
            let down = super::splice::relay(srv_sock, c, counted, false, &activity);
            let ended = forward(up, down, marked_down, limits, &activity).await;
            (log.rec.cause, log.rec.phase) = ended;
            return;
        }
    }
    let (cr, cw) = tokio::io::split(client);
    let (sr, sw) = tokio::io::split(server);
    let up = pipe(cr, sw, counted, true, &activity);
    let down = pipe(sr, cw, counted, false, &activity);
    let ended = forward(up, down, marked_down, limits, &activity).await;
    (log.rec.cause, log.rec.phase) = ended;
}

/// Run both directions of a session until both are done, one fails, the server is marked
/// DOWN (`on-marked-down shutdown-sessions`), or the session idles out; how it ended, as
/// the log's termination state says it.
async fn forward(
    up: impl std::future::Future<Output = std::io::Result<()>>,
    down: impl std::future::Future<Output = std::io::Result<()>>,
    mut marked_down: tokio::sync::watch::Receiver<u64>,
    limits: IdleLimits,
    activity: &Activity,
) -> (Cause, Phase) {
    tokio::pin!(up, down);
    let mut watch = IdleWatch::new(activity);
    let (mut up_done, mut down_done) = (false, false);
    while !(up_done && down_done) {
        let limit = if up_done || down_done {
            limits.half_closed
        } else {
            limits.open
        };
        let idle = async {
            match limit {
                Some(_) => watch.expired(activity, || limit).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = marked_down.changed() => return (Cause::Down, Phase::Data),
            r = &mut up, if !up_done => {
                if r.is_err() { return (Cause::Client, Phase::Data); }
                up_done = true;
            }
            r = &mut down, if !down_done => {
                if r.is_err() { return (Cause::Server, Phase::Data); }
                down_done = true;
            }
            // Timed out: both connections are closed.
            _ = idle => return (Cause::ClientTimeout, Phase::Data),
        }
    }
    (Cause::Normal, Phase::Normal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use haproxy_conf::model::Timeouts;

    fn t(client: Option<u64>, server: Option<u64>) -> Timeouts {
        Timeouts {
            client,
            server,
            ..Timeouts::default()
        }
    }

    fn ms(v: u64) -> Option<Duration> {
        Some(Duration::from_millis(v))
    }

    #[test]
    fn idle_limits_follow_haproxys_timeouts() {
        // Client and server only: the smaller, open or half-closed.
        let l = IdleLimits::new(&t(Some(30_000), None), &t(None, Some(10_000)));
        assert_eq!(
            l,
            IdleLimits {
                open: ms(10_000),
                half_closed: ms(10_000)
            }
        );
        // Tunnel replaces both once established.
        let mut be = t(None, Some(10_000));
        be.tunnel = Some(3_600_000);
        let l = IdleLimits::new(&t(Some(30_000), None), &be);
        assert_eq!(
            l,
            IdleLimits {
                open: ms(3_600_000),
                half_closed: ms(3_600_000)
            }
        );
        // client-fin / server-fin take over once one direction is shut.
        let mut fe = t(Some(30_000), None);
        fe.client_fin = Some(1_000);
        be.server_fin = Some(2_000);
        let l = IdleLimits::new(&fe, &be);
        assert_eq!(
            l,
            IdleLimits {
                open: ms(3_600_000),
                half_closed: ms(1_000)
            }
        );
        // Nothing set: no limit at all.
        let l = IdleLimits::new(&t(None, None), &t(None, None));
        assert_eq!(
            l,
            IdleLimits {
                open: None,
                half_closed: None
            }
        );
    }
}
