//! Connections to servers, shared by TCP and HTTP sessions and by checks: choosing a
//! server (retrying, redispatching on the last try, queueing while all are full),
//! connecting over TCP (from `source`, with keep-alive, user timeout and linger as
//! configured) or a unix socket, the PROXY header written first (`send-proxy`), then the
//! TLS handshake for `ssl` servers (within `timeout connect`: a failed one is a failed
//! connection, retried).

use super::backend::BackendRt;
use super::clock::Clock;
use super::server::{ProxyHeader, ServerRt, Target};
use proxy_core::balance::Pick;
use proxy_core::counters::Counters;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpStream, UnixStream};

/// A connection to a server.
#[derive(Debug)]
pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    /// `ssl`: TLS over one of the others.
    Tls(Box<tokio_rustls::client::TlsStream<Stream>>),
}

impl Stream {
    /// The protocol TLS's ALPN chose (`ssl` servers).
    pub fn alpn(&self) -> Option<&[u8]> {
        match self {
            Stream::Tls(t) => t.get_ref().1.alpn_protocol(),
            _ => None,
        }
    }

    /// Make the coming close a reset (`SO_LINGER` 0): for a server connection closed
    /// idle after a complete exchange, as HAProxy does, so that the proxy keeps no
    /// TIME-WAIT for it (source ports to a server run out at a few hundred new
    /// connections a second otherwise) and neither side goes through the FIN exchange.
    pub fn reset_on_close(&self) {
        match self {
            Stream::Tcp(s) => {
                let _ = s.set_zero_linger();
            }
            Stream::Tls(t) => t.get_ref().0.reset_on_close(),
            Stream::Unix(_) => {}
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Unix(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_flush(cx),
            Stream::Unix(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Unix(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Tcp(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Unix(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
}

/// TCP options of a server connection.
#[derive(Debug, Clone, Copy, Default)]
pub struct SockOpts {
    pub keepalive: Option<haproxy_conf::model::TcpKa>,
    pub user_timeout_ms: Option<u64>,
    pub nolinger: bool,
}

/// Apply keep-alive, user timeout, linger and no-delay to a TCP socket.
pub fn tune(s: &TcpStream, o: &SockOpts) {
    let sock = socket2::SockRef::from(s);
    let _ = sock.set_tcp_nodelay(true);
    if let Some(ka) = o.keepalive {
        let mut k = socket2::TcpKeepalive::new();
        if let Some(ms) = ka.idle_ms {
            k = k.with_time(Duration::from_millis(ms));
        }
        if let Some(ms) = ka.intvl_ms {
            k = k.with_interval(Duration::from_millis(ms));
        }
        if let Some(n) = ka.cnt {
            k = k.with_retries(n);
        }
        let _ = sock.set_tcp_keepalive(&k);
    }
    if let Some(ms) = o.user_timeout_ms {
        let _ = sock.set_tcp_user_timeout(Some(Duration::from_millis(ms)));
    }
    if o.nolinger {
        let _ = sock.set_linger(Some(Duration::ZERO));
    }
}

/// Open a connection to `target`, from `source` when set.
pub async fn connect_target(
    target: &Target,
    source: Option<SocketAddr>,
    opts: Option<&SockOpts>,
) -> std::io::Result<Stream> {
    match target {
        Target::Unix(path) => Ok(Stream::Unix(UnixStream::connect(path).await?)),
        Target::Inet(addr) => {
            let s = match source {
                None => TcpStream::connect(addr).await?,
                Some(src) => {
                    let sock = if addr.is_ipv4() {
                        tokio::net::TcpSocket::new_v4()?
                    } else {
                        tokio::net::TcpSocket::new_v6()?
                    };
                    if src.port() != 0 {
                        sock.set_reuseaddr(true)?;
                    }
                    sock.bind(src)?;
                    sock.connect(*addr).await?
                }
            };
            tune(&s, &opts.copied().unwrap_or_default());
            Ok(Stream::Tcp(s))
        }
    }
}

/// The PROXY header a server connection starts with, for a client `src` that reached
/// `dst`.
pub fn proxy_header(kind: ProxyHeader, src: SocketAddr, dst: SocketAddr) -> Vec<u8> {
    match kind {
        ProxyHeader::V1 => proxy_core::proxy_proto::v1_header(src, dst),
        ProxyHeader::V2 => proxy_core::proxy_proto::v2_header(src, dst),
    }
}

/// The PROXY header of a connection made on the proxy's own behalf (a health check), as
/// HAProxy sends it: v2's LOCAL command, or a v1 line with the connection's own
/// addresses (`UNKNOWN` without them).
pub fn proxy_header_local(
    kind: Option<ProxyHeader>,
    addrs: Option<(SocketAddr, SocketAddr)>,
) -> Vec<u8> {
    match (kind, addrs) {
        (Some(ProxyHeader::V2), _) => proxy_core::proxy_proto::v2_local(),
        (_, Some((local, peer))) => proxy_core::proxy_proto::v1_header(local, peer),
        (_, None) => proxy_core::proxy_proto::v1_unknown(),
    }
}

/// A connection to `s` for a client connection (`peer` reached `local`), with the
/// server's PROXY header when it asks for one, then TLS for an `ssl` server, sending
/// `sni` (the value of the server's `sni` expression for this request).
pub async fn open_stream(
    s: Arc<ServerRt>,
    peer: SocketAddr,
    local: SocketAddr,
    sni: Option<String>,
    h1_only: bool,
) -> Option<Stream> {
    use tokio::io::AsyncWriteExt;
    let target = s.target_for(local)?;
    let opts = SockOpts {
        keepalive: s.keepalive,
        user_timeout_ms: s.tcp_user_timeout_ms,
        nolinger: s.nolinger,
    };
    let mut stream = connect_target(&target, s.source, Some(&opts)).await.ok()?;
    if let Some(kind) = s.send_proxy {
        stream
            .write_all(&proxy_header(kind, peer, local))
            .await
            .ok()?;
    }
    let Some(tls) = &s.tls else {
        return Some(stream);
    };
    let name = match super::srv_tls::server_name(sni.as_deref()) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!("server {}: sni: {e}: not connecting", s.name);
            return None;
        }
    };
    // A WebSocket stream that must be HTTP/1.1 asks for http/1.1 alone (`ws`).
    let client = match (&tls.client_h1, h1_only) {
        (Some(c), true) => c,
        _ => &tls.client,
    };
    match client.connector.connect(name, stream).await {
        Ok(t) => Some(Stream::Tls(Box::new(t))),
        Err(e) => {
            tracing::warn!("server {}: TLS handshake: {e}", s.name);
            None
        }
    }
}

/// Counts a connection to a server for as long as it lives.
pub struct InUse(pub Arc<ServerRt>);

impl Drop for InUse {
    fn drop(&mut self) {
        let s = &self.0;
        for c in [&s.counters, &s.backend_counters] {
            c.end();
        }
        // A slot is free: the first request waiting in the backend's queue may take it.
        if s.backend_counters.queued() > 0 {
            s.released.notify_one();
        }
    }
}

/// A request's place in its backend's queue, given up when dropped.
struct Queued<'a>(&'a Counters);

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.dequeue();
    }
}

/// Get a connection to a server of `be`: pick one, `open` it (within `timeout connect`),
/// retrying `retries` times and redispatching to another server on the last try; queue
/// while every usable server is full. `prefer` is tried first when it is up and has room
/// (a stick table's, a cookie's or the last server's choice). The server's count of
/// connections in use is held for as long as the returned guard lives.
/// What choosing and connecting took, for the log line (`%Tw`, `%Tc`, `%rc`).
#[derive(Debug, Clone, Default)]
pub struct Tried {
    /// Milliseconds in the queue (None: no server was ever picked).
    pub queued_ms: Option<u64>,
    /// Milliseconds of the connect that worked (None: none did).
    pub connect_ms: Option<u64>,
    pub retries: u32,
    /// The queue's deadline passed.
    pub queue_timeout: bool,
    /// The last server tried.
    pub server: Option<Arc<ServerRt>>,
}

pub async fn attempt<T, F, Fut>(
    be: &BackendRt,
    key: Option<u32>,
    clock: Clock,
    mut prefer: Option<usize>,
    tried: &mut Tried,
    open: F,
) -> Option<(T, InUse)>
where
    F: Fn(Arc<ServerRt>) -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let mut failed: Option<usize> = None;
    // The clock is read once here; again only after a wait (in the queue, for a connect).
    let started = tokio::time::Instant::now();
    let mut now = started;
    // `timeout queue`, else the connect timeout (as HAProxy).
    let queue_deadline = started
        + be.queue_timeout
            .unwrap_or(be.connect_timeout.unwrap_or(Duration::from_secs(5)));
    let connect_limit = be.connect_timeout.unwrap_or(Duration::from_secs(5));
    let mut queued: Option<Queued> = None;
    let mut tries = 0;
    while tries <= be.retries {
        let avoid = if be.redispatch && tries == be.retries {
            failed
        } else {
            None
        };
        // Persistence (use-server, cookie, stick table) may send to a drained server
        // (weight 0), as HAProxy does; balancing never does.
        let sticky = prefer.take().filter(|&i| be.persistable(i));
        let i = match sticky
            .map(Pick::Server)
            .unwrap_or_else(|| be.pick(clock.ms_at(now.into_std()), key, avoid))
        {
            Pick::Server(i) => i,
            Pick::Queue => {
                if queued.is_none() {
                    // Every usable server is at its maxconn: wait in line, unless the
                    // line is full (HAProxy answers 503 then).
                    if be.maxqueue.is_some_and(|m| be.counters.queued() >= m) {
                        return None;
                    }
                    be.counters.enqueue();
                    queued = Some(Queued(&be.counters));
                    // A slot freed before we were counted in the queue woke nobody:
                    // look again now that releases will wake us.
                    continue;
                }
                now = tokio::time::Instant::now();
                if now >= queue_deadline {
                    tried.queued_ms = Some(now.duration_since(started).as_millis() as u64);
                    tried.queue_timeout = true;
                    return None;
                }
                // Woken when a connection ends or a server comes UP; the short bound
                // only covers a wake-up lost to a race between two threads.
                let wait = (queue_deadline - now).min(Duration::from_millis(50));
                let _ = tokio::time::timeout(wait, be.released.notified()).await;
                now = tokio::time::Instant::now();
                continue;
            }
            Pick::NoServer => return None,
        };
        drop(queued.take());
        if tried.queued_ms.is_none() {
            tried.queued_ms = Some(now.duration_since(started).as_millis() as u64);
        }
        let s = be.servers.get(i).cloned()?;
        // Acquiring from before the hold until the pool has been looked at (the first
        // poll below, which cannot be cancelled half-way), so that a connection released
        // on another thread meanwhile is not counted twice, idle and in use, and closed
        // as one too many (`upstream::put`).
        s.acquiring
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // The slot counts against the server's maxconn (and the backend) while connecting.
        for c in [&s.counters, &s.backend_counters] {
            c.hold();
        }
        // The period's peak is taken as requests start, not only as connections come
        // back: sampled at releases alone it misses the busiest moments, and the pool
        // then closes connections the load needs (`upstream::keep_idle`).
        s.used_peak
            .fetch_max(s.counters.current(), std::sync::atomic::Ordering::Relaxed);
        let guard = InUse(s.clone());
        tried.server = Some(s.clone());
        let connecting = now;
        // A pooled connection is there at once: no timer for it.
        let mut opening = std::pin::pin!(open(s.clone()));
        let first =
            std::future::poll_fn(|cx| std::task::Poll::Ready(opening.as_mut().poll(cx))).await;
        s.acquiring
            .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
        let opened = match first {
            std::task::Poll::Ready(r) => Ok(r),
            std::task::Poll::Pending => {
                let r = tokio::time::timeout(connect_limit, opening).await;
                now = tokio::time::Instant::now();
                r
            }
        };
        match opened {
            Ok(Some(conn)) => {
                let at = now.into_std();
                for c in [&s.counters, &s.backend_counters] {
                    c.add_total();
                    c.session_at(super::clock::mono_ms_at(at));
                }
                be.observe(&s, clock.ms_at(at), false, true);
                tried.connect_ms = Some(now.duration_since(connecting).as_millis() as u64);
                tried.retries = tries;
                return Some((conn, guard));
            }
            _ => {
                s.counters.connect_error();
                be.counters.connect_error();
                be.observe(&s, clock.ms_at(now.into_std()), true, true);
                failed = Some(i);
                tries += 1;
                tried.retries = tries.min(be.retries);
                if tries <= be.retries {
                    be.counters.retry();
                    if be.redispatch && tries == be.retries {
                        be.counters.redispatch();
                    }
                    // HAProxy's turn-around: min(timeout connect, 1s) before a retry, so
                    // that a server restarting is not hammered.
                    drop(guard);
                    tokio::time::sleep(connect_limit.min(Duration::from_secs(1))).await;
                    now = tokio::time::Instant::now();
                }
            }
        }
    }
    None
}
