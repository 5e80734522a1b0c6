//! The server side of an HTTP request: a connection taken from the server's pool or
//! opened (HTTP/1.1, or HTTP/2 with `proto h2` or when TLS's ALPN chose `h2`), the
//! request shaped for that protocol, sent, and sent again on a fresh connection when a
//! pooled one died before the request left. The pipeline sees `Link` and `send`, not
//! hyper's client types: this is the seam a change of transport goes through.

use super::super::connect::open_stream;
use super::super::idle::{Activity, IdleWatch};
use super::super::metered::{Metered, Side};
use super::super::server::{Pooled, ServerRt};
use super::super::Conn;
use super::h1conn::{Failure, H1Conn, Home, RespBody};
use super::reqbody::ReqBody;
use http::header::HeaderValue;
use http::{Request, Response, Uri, Version};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Sleep;

/// The most a server connection's read buffer grows to (HTTP/1.1).
const RESPONSE_READ_MAX: usize = 32 * 1024;

/// A way to send requests on one server connection.
pub enum Sender {
    /// One request at a time; back to the pool once its response head is in.
    H1(http1::SendRequest<ReqBody>),
    /// Many at once: it stays in the pool, shared, while it is open.
    H2(http2::SendRequest<ReqBody>),
    /// proxyd's own HTTP/1.1 (`None` once a request took it: its response body brings
    /// it back).
    Own(Option<Box<H1Conn>>),
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Sender::H1(_) => "Sender::H1",
            Sender::H2(_) => "Sender::H2",
            Sender::Own(_) => "Sender::Own",
        })
    }
}

impl Sender {
    pub fn is_closed(&self) -> bool {
        match self {
            Sender::H1(s) => s.is_closed(),
            Sender::H2(s) => s.is_closed(),
            Sender::Own(c) => c.is_none(),
        }
    }

    fn is_ready(&self) -> bool {
        match self {
            Sender::H1(s) => s.is_ready(),
            Sender::H2(s) => s.is_ready(),
            Sender::Own(c) => c.is_some(),
        }
    }

    pub fn is_h2(&self) -> bool {
        matches!(self, Sender::H2(_))
    }
}

/// A server connection for one request.
pub struct Link {
    pub sender: Sender,
    /// The server's address generation it was opened in.
    pub gen: u64,
    /// The SNI it was opened with (TLS servers).
    pub sni: Option<String>,
    /// Bytes moved on it (either way): `timeout server` counts from the last one.
    pub activity: Arc<Activity>,
    /// Taken from the pool (it may have died since it was put there).
    pub reused: bool,
    /// `timeout server`'s timer while a response head is awaited, kept for the
    /// connection's next request (see `IdleWatch::expired_on`).
    pub timer: Option<Pin<Box<Sleep>>>,
}

/// A pooled connection that can take a request now, if any: one opened with this
/// request's SNI (TLS servers), the most recently used first (its socket is warm),
/// dropping closed ones on the way. An HTTP/2 one stays in the pool for others.
fn pooled(s: &ServerRt, sni: Option<&str>) -> Option<Link> {
    let gen = s.addr_gen.load(Ordering::Relaxed);
    let mut pool = s.pool.lock().ok()?;
    let mut i = pool.len();
    while i > 0 {
        i -= 1;
        if pool[i].sender.is_closed() || pool[i].gen != gen {
            pool.swap_remove(i);
            continue;
        }
        if pool[i].sni.as_deref() != sni || !pool[i].sender.is_ready() {
            continue;
        }
        let p = &pool[i];
        if let Sender::H2(h2) = &p.sender {
            return Some(Link {
                sender: Sender::H2(h2.clone()),
                gen: p.gen,
                sni: p.sni.clone(),
                activity: p.activity.clone(),
                reused: true,
                timer: None,
            });
        }
        let p = pool.swap_remove(i);
        return Some(Link {
            sender: p.sender,
            gen: p.gen,
            sni: p.sni,
            activity: p.activity,
            reused: true,
            timer: p.timer,
        });
    }
    None
}

/// Puts an HTTP/1.1 connection back for the next request (at most `pool-max-conn`): a
/// hyper one once its response head is in, an own one once `body` (its response's) has
/// been read to the end; HTTP/2 ones are there already.
pub fn release(s: &Arc<ServerRt>, link: Link, body: &mut RespBody) {
    match (link.sender, body) {
        (Sender::H2(_), _) => {}
        (Sender::Own(_), RespBody::Own(b)) => b.set_home(Home {
            server: s.clone(),
            gen: link.gen,
            sni: link.sni,
            activity: link.activity,
            timer: link.timer,
        }),
        (Sender::Own(_), _) => {}
        (sender @ Sender::H1(_), _) => put(
            s,
            Pooled {
                gen: link.gen,
                sni: link.sni,
                sender,
                activity: link.activity,
                timer: link.timer,
            },
            true,
        ),
    }
}

/// Into `s`'s pool, if it was opened to the server's current address, the pool has room
/// (`pool-max-conn`), and idle and busy connections together stay within what the
/// server needed at its busiest lately (see `keep_idle`). `counted`: the request that
/// used it is still counted in use (a hyper connection comes back as soon as its
/// response head is in, an own one once its request has ended).
pub fn put(s: &ServerRt, p: Pooled, counted: bool) {
    let Ok(mut pool) = s.pool.lock() else {
        return;
    };
    let current = s.addr_gen.load(Ordering::Relaxed) == p.gen;
    // Read under the pool's lock: a request still acquiring either took its connection
    // already (not idle any more) or waits for the lock (idle, and not yet in use).
    let used = s
        .counters
        .current()
        .saturating_sub(s.acquiring.load(Ordering::Relaxed))
        + u32::from(!counted);
    let peak = s.used_peak.fetch_max(used, Ordering::Relaxed).max(used);
    let need = s.used_need.load(Ordering::Relaxed).max(peak);
    if current && s.pool_max.is_none_or(|m| pool.len() < m) && keep_idle(pool.len(), used, need) {
        pool.push(p);
    } else {
        // Not kept: closed idle, its exchange complete.
        match &p.sender {
            Sender::Own(Some(c)) => c.reset_on_close(),
            // hyper's connection task holds the socket (`Resettable`).
            Sender::H1(_) => p.activity.ask_reset(),
            _ => {}
        }
    }
}

/// A server connection under hyper's client: reset when it closes if the pool did not
/// keep it (`Activity::ask_reset`), as an own connection is (`put`).
struct Resettable {
    io: super::h1conn::Io,
    activity: Arc<Activity>,
}

impl Drop for Resettable {
    fn drop(&mut self) {
        if self.activity.reset_asked() {
            self.io.get_ref().reset_on_close();
        }
    }
}

impl tokio::io::AsyncRead for Resettable {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Resettable {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        // hyper shuts a connection it is done with before dropping it: no FIN ahead of
        // the reset.
        if self.activity.reset_asked() {
            return std::task::Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// Whether a released connection is kept idle: `idle` idle ones already, `used` in use
/// (the one released among them), `need` the most in use at once lately. HAProxy keeps
/// idle connections only while idle and used ones together do not pass the estimated
/// need, so that a load of one request per client connection, which opens a new server
/// connection for each, does not pile up idle ones.
fn keep_idle(idle: usize, used: u32, need: u32) -> bool {
    idle + used as usize <= need.max(1) as usize
}

/// HTTP/2 settings towards servers and from clients (`tune.h2.*`).
#[derive(Debug, Clone, Copy)]
pub struct H2Tune {
    pub max_concurrent_streams: u32,
    pub initial_window_size: u32,
    pub header_table_size: u32,
    pub max_frame_size: u32,
}

impl H2Tune {
    /// The global section's `tune.h2.*`, else HAProxy 2.6's defaults.
    pub fn of(g: &haproxy_conf::model::Global) -> H2Tune {
        let v = |i: usize, default: u32| {
            g.tune_h2[i]
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or(default)
        };
        H2Tune {
            max_concurrent_streams: v(0, 100),
            initial_window_size: v(1, 65_535),
            header_table_size: v(2, 4_096),
            max_frame_size: v(3, 16_384),
        }
    }
}

/// A connection to `s` for this request: a pooled one when `take` allows, else a new
/// one, an HTTP/2 one shared with later requests when `share` allows (`http-reuse`
/// other than `never`); `max_head`: the largest response head taken over HTTP/1.1.
/// `websocket`: the request is a WebSocket handshake, which gets an HTTP/1.1
/// connection of its own when the server's `ws` says so.
pub async fn connect(
    s: &Arc<ServerRt>,
    conn: &Conn,
    max_head: usize,
    sni: Option<String>,
    (take, share): (bool, bool),
    websocket: bool,
) -> Option<Link> {
    let h1_only = websocket && s.ws_h1;
    if let Some(l) = (take && !h1_only)
        .then(|| pooled(s, sni.as_deref()))
        .flatten()
    {
        return Some(l);
    }
    open(s, conn, max_head, sni, share && !h1_only, h1_only).await
}

/// A new connection to `s`, HTTP/2 when the server line says `proto h2` or TLS's ALPN
/// chose `h2`, unless `h1_only`.
async fn open(
    s: &Arc<ServerRt>,
    conn: &Conn,
    max_head: usize,
    sni: Option<String>,
    share: bool,
    h1_only: bool,
) -> Option<Link> {
    let gen = s.addr_gen.load(Ordering::Relaxed);
    let counters = [Some(s.counters.clone()), Some(s.backend_counters.clone())];
    let stream = open_stream(s.clone(), conn.peer, conn.local, sni.clone(), h1_only).await?;
    let h2 = !h1_only && (s.h2 || stream.alpn() == Some(b"h2".as_slice()));
    let activity = Arc::new(Activity::new());
    let io = Metered::new(stream, Side::Server, counters, Some(activity.clone()));
    let name = s.name.clone();
    let sender = if h2 {
        let io = TokioIo::new(io);
        let t = s.h2_tune;
        let (sender, connection) = http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .initial_stream_window_size(t.initial_window_size)
            .max_frame_size(t.max_frame_size)
            .header_table_size(t.header_table_size)
            .max_concurrent_reset_streams(t.max_concurrent_streams as usize)
            .handshake(io)
            .await
            .map_err(|e| tracing::warn!("server {name}: HTTP/2 handshake: {e}"))
            .ok()?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!("server {name}: HTTP/2 connection: {e}");
            }
        });
        let sender = Sender::H2(sender);
        // Shared at once: the requests that come meanwhile take it too.
        if let (true, Ok(mut pool)) = (share, s.pool.lock()) {
            if let Sender::H2(h) = &sender {
                pool.push(Pooled {
                    gen,
                    sni: sni.clone(),
                    sender: Sender::H2(h.clone()),
                    activity: activity.clone(),
                    timer: None,
                });
            }
        }
        sender
    } else {
        // Spoken by proxyd until a request needs hyper's client (`attempt`).
        Sender::Own(Some(Box::new(H1Conn::new(io, max_head, name))))
    };
    Some(Link {
        sender,
        gen,
        sni,
        activity,
        reused: false,
        timer: None,
    })
}

/// hyper's HTTP/1.1 client on `io`, its connection driven by a task of its own.
async fn hyper_h1(
    io: super::h1conn::Io,
    activity: Arc<Activity>,
    max_head: usize,
    name: String,
) -> Option<Sender> {
    // A response head larger than the buffer fails the request (502), as in HAProxy.
    // Bodies are read in chunks of at most 32 KiB (measured: 16 KiB costs a fifth of
    // the 64 KiB throughput, 64 KiB a third more memory; hyper alone would grow it to
    // 400 KiB).
    let (sender, connection) = http1::Builder::new()
        .max_header_size(max_head)
        .max_buf_size(RESPONSE_READ_MAX)
        .handshake(TokioIo::new(Resettable { io, activity }))
        .await
        .map_err(|e| tracing::warn!("server {name}: HTTP/1.1 handshake: {e}"))
        .ok()?;
    tokio::spawn(async move {
        if let Err(e) = connection.with_upgrades().await {
            // The request on it already failed with a 502; this says why.
            if !e.is_canceled() && !e.is_incomplete_message() {
                tracing::warn!("server {name}: connection: {e}");
            }
        }
    });
    Some(Sender::H1(sender))
}

/// Whether proxyd's own HTTP/1.1 carries `req`: no body, no upgrade, no CONNECT, no
/// `Expect`, no transfer coding (hyper's client takes the others).
fn own_fits(req: &Request<ReqBody>) -> bool {
    use http::header::{EXPECT, TRANSFER_ENCODING, UPGRADE};
    let h = req.headers();
    req.method() != http::Method::CONNECT
        && matches!(req.version(), Version::HTTP_11 | Version::HTTP_10)
        && hyper::body::Body::is_end_stream(req.body())
        && !h.contains_key(UPGRADE)
        && !h.contains_key(EXPECT)
        && !h.contains_key(TRANSFER_ENCODING)
}

/// Shapes a request for the protocol of the connection it goes on. To HTTP/2: an
/// absolute URI (`:scheme`, `:authority` from Host) and `te: trailers` back when the
/// client asked for trailers (gRPC). To HTTP/1.x: origin form for a request that came
/// over HTTP/2, with a Host header from its authority.
pub fn shape(req: &mut Request<ReqBody>, h2: bool, tls: bool, te_trailers: bool) {
    if h2 {
        *req.version_mut() = Version::HTTP_2;
        let authority = req
            .uri()
            .authority()
            .map(|a| a.as_str().to_string())
            .or_else(|| {
                req.headers()
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_string)
            });
        if let Some(a) = authority {
            let pq = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            let scheme = if tls { "https" } else { "http" };
            if let Ok(u) = format!("{scheme}://{a}{pq}").parse::<Uri>() {
                *req.uri_mut() = u;
            }
        }
        if te_trailers {
            req.headers_mut()
                .insert(http::header::TE, HeaderValue::from_static("trailers"));
        }
        return;
    }
    if req.version() == Version::HTTP_2 {
        *req.version_mut() = Version::HTTP_11;
        if req.uri().authority().is_some() {
            // Taken apart, not printed and parsed again: the path is shared, not copied.
            let parts = std::mem::take(req.uri_mut()).into_parts();
            if let Some(a) = &parts.authority {
                if !req.headers().contains_key(http::header::HOST) {
                    if let Ok(v) = HeaderValue::from_str(a.as_str()) {
                        req.headers_mut().insert(http::header::HOST, v);
                    }
                }
            }
            *req.uri_mut() = Uri::from(
                parts
                    .path_and_query
                    .unwrap_or_else(|| http::uri::PathAndQuery::from_static("/")),
            );
        }
    }
}

/// Why a request got no response.
#[derive(Debug)]
pub enum Failed {
    /// The server sent nothing for `timeout server` (504).
    Timeout,
    /// The connection failed (502).
    Broken,
}

/// Methods a request can be sent again with (RFC 9110 9.2.2).
fn idempotent(m: &http::Method) -> bool {
    use http::Method;
    matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::DELETE | Method::TRACE
    )
}

/// A bodiless request's head, to send it again.
fn head_copy(req: &Request<ReqBody>) -> Request<()> {
    let mut c = Request::new(());
    *c.method_mut() = req.method().clone();
    *c.uri_mut() = req.uri().clone();
    *c.version_mut() = req.version();
    *c.headers_mut() = req.headers().clone();
    c
}

/// Sends `req` on `link` and waits for the response head, `timeout server` counting
/// from the last byte that moved on the connection either way (an upload that keeps
/// moving is not cut). A pooled connection that failed before any response came is
/// replaced by a new one (`reopen`), once, and the request sent again when that is safe:
/// it never left (hyper gives it back), or it has no body and an idempotent method
/// (the server may have closed the idle connection as the request was written; HAProxy
/// retries these too).
pub async fn send<F, Fut>(
    link: &mut Link,
    req: Box<Request<ReqBody>>,
    timeout: Option<Duration>,
    reopen: F,
) -> Result<Response<RespBody>, Failed>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Option<Link>>,
{
    // An own connection gives the request back itself (it only borrows it).
    let fits = own_fits(&req);
    let own = matches!(link.sender, Sender::Own(_)) && fits;
    let copy = (link.reused
        && !own
        && idempotent(req.method())
        && hyper::body::Body::is_end_stream(req.body()))
    .then(|| head_copy(&req));
    let back = match attempt(link, req, timeout, fits).await {
        Ok(r) => return Ok(r),
        Err(Err(f)) => return Err(f),
        Err(Ok(back)) => back,
    };
    if !link.reused {
        return Err(Failed::Broken);
    }
    let again = match (back, copy) {
        (Some(r), _) => r,
        (None, Some(c)) => Box::new(c.map(|()| ReqBody::empty())),
        (None, None) => return Err(Failed::Broken),
    };
    let Some(fresh) = Box::pin(reopen()).await else {
        return Err(Failed::Broken);
    };
    *link = fresh;
    match attempt(link, again, timeout, fits).await {
        Ok(r) => Ok(r),
        Err(Err(f)) => Err(f),
        Err(Ok(_)) => Err(Failed::Broken),
    }
}

/// One try: the response, or the timeout, or a broken connection with the request when
/// it never left. `fits`: `own_fits(&req)`, known by the caller.
async fn attempt(
    link: &mut Link,
    req: Box<Request<ReqBody>>,
    timeout: Option<Duration>,
    fits: bool,
) -> Result<Response<RespBody>, Result<Option<Box<Request<ReqBody>>>, Failed>> {
    let activity = link.activity.clone();
    if let Sender::Own(slot) = &mut link.sender {
        let Some(conn) = slot.take() else {
            return Err(Ok(Some(req)));
        };
        if fits {
            // Boxed: the exchange's state stays out of the request's future, which
            // HTTP/2 streams move around.
            let sent = super::pinned_box(|| conn.exchange(&req, link.reused));
            let Some(r) = within(sent, timeout, &activity, &mut link.timer).await else {
                return Err(Err(Failed::Timeout));
            };
            return match r {
                Ok(resp) => Ok(resp),
                Err(Failure::NotSent) => Err(Ok(Some(req))),
                // A reused connection may have been closed by the server as the request
                // was written: an idempotent request goes again (as with hyper's).
                Err(Failure::Broken(why)) => {
                    tracing::debug!("server connection: {why}");
                    Err(Ok((link.reused && idempotent(req.method())).then_some(req)))
                }
            };
        }
        // A body, an upgrade...: hyper's client takes the socket over for good.
        let (max_head, name) = (conn.max_head(), conn.name().to_string());
        let Some(io) = (*conn).into_io() else {
            return Err(Ok(Some(req)));
        };
        match Box::pin(hyper_h1(io, activity.clone(), max_head, name)).await {
            Some(sender) => link.sender = sender,
            None => return Err(Ok(Some(req))),
        }
    }
    let timer = &mut link.timer;
    match &mut link.sender {
        Sender::H1(s) => {
            if s.ready().await.is_err() {
                return Err(Ok(Some(req)));
            }
            // Boxed, as the rare reopening in `send`: the request's own path (an own
            // connection) then moves and allocates less at each request.
            Box::pin(wait(s.try_send_request(*req), timeout, &activity, timer)).await
        }
        Sender::H2(s) => {
            if s.ready().await.is_err() {
                return Err(Ok(Some(req)));
            }
            // The connection is shared: its bytes are other streams' too. `timeout
            // server` counts this stream's own silence: from the request sent, or from its
            // body's last frame taken for the server (an upload keeps it waiting).
            let stream = Arc::new(Activity::new());
            let mut req = (*req).map(|b| b.touching(stream.clone()));
            // A WebSocket handshake goes as an extended CONNECT (RFC 8441).
            let ws_key = if super::ws::is_handshake(&req) {
                super::ws::to_extended_connect(&mut req)
            } else {
                None
            };
            let mut own_timer = None;
            let sent = wait(s.try_send_request(req), timeout, &stream, &mut own_timer);
            match (Box::pin(sent).await, ws_key) {
                (Ok(mut resp), Some(key)) => {
                    super::ws::to_switching(&mut resp, &key);
                    Ok(resp)
                }
                // Given back unsent: it goes again on a new connection, as it came.
                (Err(Ok(Some(mut back))), Some(key)) => {
                    super::ws::from_extended_connect(&mut back, key);
                    Err(Ok(Some(back)))
                }
                (r, _) => r,
            }
        }
        Sender::Own(_) => Err(Ok(Some(req))),
    }
}

async fn wait<F>(
    sent: F,
    timeout: Option<Duration>,
    activity: &Activity,
    timer: &mut Option<Pin<Box<Sleep>>>,
) -> Result<Response<RespBody>, Result<Option<Box<Request<ReqBody>>>, Failed>>
where
    F: std::future::Future<
        Output = Result<
            Response<hyper::body::Incoming>,
            hyper::client::conn::TrySendError<Request<ReqBody>>,
        >,
    >,
{
    let Some(r) = within(sent, timeout, activity, timer).await else {
        return Err(Err(Failed::Timeout));
    };
    r.map(|resp| resp.map(RespBody::Hyper))
        .map_err(|mut e| Ok(e.take_message().map(Box::new)))
}

/// `fut`'s output, or None once nothing moved on the connection for `timeout` (`timeout
/// server`: inactivity, so a response head that is slow to come but moving is awaited).
async fn within<T>(
    fut: impl std::future::Future<Output = T>,
    timeout: Option<Duration>,
    activity: &Activity,
    timer: &mut Option<Pin<Box<Sleep>>>,
) -> Option<T> {
    let Some(t) = timeout else {
        return Some(fut.await);
    };
    let mut watch = IdleWatch::new(activity);
    tokio::select! {
        r = fut => Some(r),
        _ = watch.expired_on(activity, || Some(t), timer) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_connections_kept_up_to_the_need() {
        // One client in turn: its connection is kept for its next request.
        assert!(keep_idle(0, 1, 0));
        assert!(keep_idle(0, 1, 1));
        // 50 keep-alive clients, all 50 connections in use or idle: all kept.
        assert!(keep_idle(20, 30, 50));
        // A connection per request at 50 at once: one idle is kept, not one per client.
        assert!(keep_idle(0, 50, 50));
        assert!(!keep_idle(1, 50, 50));
        assert!(!keep_idle(4000, 50, 50));
    }

    fn req(version: Version, uri: &str, host: Option<&str>) -> Request<ReqBody> {
        let mut r = Request::new(ReqBody::empty());
        *r.version_mut() = version;
        *r.uri_mut() = uri.parse().unwrap_or_default();
        if let Some(h) = host {
            r.headers_mut()
                .insert(http::header::HOST, HeaderValue::from_static("placeholder"));
            if let Ok(v) = HeaderValue::from_str(h) {
                r.headers_mut().insert(http::header::HOST, v);
            }
        }
        r
    }

    #[test]
    fn http1_to_http2_gets_an_absolute_uri_from_host() {
        let mut r = req(Version::HTTP_11, "/a?b=1", Some("example.com:8080"));
        shape(&mut r, true, false, true);
        assert_eq!(r.version(), Version::HTTP_2);
        assert_eq!(r.uri().to_string(), "http://example.com:8080/a?b=1");
        assert_eq!(r.headers()["te"], "trailers");
        let mut r = req(Version::HTTP_11, "/", Some("example.com"));
        shape(&mut r, true, true, false);
        assert_eq!(r.uri().to_string(), "https://example.com/");
        assert!(!r.headers().contains_key("te"));
    }

    #[test]
    fn http2_to_http1_gets_origin_form_and_host() {
        let mut r = req(Version::HTTP_2, "https://example.com/x?y", None);
        shape(&mut r, false, false, true);
        assert_eq!(r.version(), Version::HTTP_11);
        assert_eq!(r.uri().to_string(), "/x?y");
        assert_eq!(r.headers()["host"], "example.com");
        // A Host the request has stays.
        let mut r = req(Version::HTTP_2, "https://example.com/", Some("other"));
        shape(&mut r, false, false, false);
        assert_eq!(r.headers()["host"], "other");
    }

    #[test]
    fn http1_to_http1_is_left_alone() {
        let mut r = req(Version::HTTP_10, "http://a/b", Some("a"));
        shape(&mut r, false, false, true);
        assert_eq!(r.version(), Version::HTTP_10);
        assert_eq!(r.uri().to_string(), "http://a/b");
        assert!(!r.headers().contains_key("te"));
    }

    #[test]
    fn only_idempotent_methods_are_sent_twice() {
        for m in ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"] {
            assert!(idempotent(&m.parse().unwrap_or_default()), "{m}");
        }
        for m in ["POST", "PATCH", "CONNECT"] {
            assert!(!idempotent(&m.parse().unwrap_or_default()), "{m}");
        }
    }

    #[test]
    fn h2_tune_defaults_are_haproxys() {
        let t = H2Tune::of(&haproxy_conf::model::Global::default());
        assert_eq!(
            (
                t.max_concurrent_streams,
                t.initial_window_size,
                t.header_table_size,
                t.max_frame_size
            ),
            (100, 65_535, 4_096, 16_384)
        );
    }
}
