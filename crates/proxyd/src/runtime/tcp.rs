//! One TCP session: pick a server (retrying, and redispatching on the last try), connect
//! within `timeout connect`, then forward both ways with half-close: the side that
//! finishes first has its FIN passed on while the other keeps flowing; each side idles
//! at most its `timeout client` / `timeout server`.

use super::backend::{BackendRt, HashOn, ServerRt};
use super::clock::Clock;
use super::frontend::{ConnSample, FrontendRt};
use proxy_core::balance::Pick;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// Bytes a session buffers per direction (HAProxy's default tune.bufsize).
const BUF: usize = 16 * 1024;

/// Counts a connection to a server for as long as it lives.
pub struct InUse(pub Arc<ServerRt>);

impl Drop for InUse {
    fn drop(&mut self) {
        self.0.counters.active.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Get a connection to a server of `be`: pick one, `open` it (within `timeout connect`),
/// retrying `retries` times and redispatching to another server on the last try; queue
/// while every usable server is full. The server's count of connections in use is held
/// for as long as the returned guard lives.
pub async fn attempt<T, F, Fut>(
    be: &BackendRt,
    key: Option<&[u8]>,
    clock: Clock,
    open: F,
) -> Option<(T, InUse)>
where
    F: Fn(Arc<ServerRt>) -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let mut failed: Option<usize> = None;
    // The queue wait is bounded by the connect timeout when `timeout queue` is unset.
    let queue_deadline = tokio::time::Instant::now() + be.connect_timeout;
    let mut tries = 0;
    while tries <= be.retries {
        let avoid = if be.redispatch && tries == be.retries {
            failed
        } else {
            None
        };
        let i = match be.pick(clock.now_ms(), key, avoid) {
            Pick::Server(i) => i,
            Pick::Queue if tokio::time::Instant::now() < queue_deadline => {
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
            Pick::Queue | Pick::NoServer => return None,
        };
        let s = be.servers[i].clone();
        s.counters.active.fetch_add(1, Ordering::Relaxed);
        let guard = InUse(s.clone());
        match tokio::time::timeout(be.connect_timeout, open(s.clone())).await {
            Ok(Some(conn)) => {
                s.counters.total.fetch_add(1, Ordering::Relaxed);
                return Some((conn, guard));
            }
            _ => {
                s.counters.connect_errors.fetch_add(1, Ordering::Relaxed);
                failed = Some(i);
                tries += 1;
            }
        }
    }
    None
}

/// The address to reach `s` for a client that came in on `local`.
pub fn server_addr(s: &ServerRt, local: SocketAddr) -> SocketAddr {
    let mut addr = s.addr;
    if s.port_from_client {
        addr.set_port(local.port());
    }
    addr
}

/// A plain TCP connection to `s`.
pub async fn open_tcp(s: Arc<ServerRt>, local: SocketAddr) -> Option<TcpStream> {
    let stream = TcpStream::connect(server_addr(&s, local)).await.ok()?;
    let _ = stream.set_nodelay(true);
    Some(stream)
}

/// Copy one direction until EOF (then pass the FIN on) or until the reader idles too long.
async fn pipe<R, W>(
    mut r: R,
    mut w: W,
    idle: Option<Duration>,
    count: &AtomicU64,
) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; BUF];
    loop {
        let n = match idle {
            Some(t) => match tokio::time::timeout(t, r.read(&mut buf)).await {
                Ok(r) => r?,
                Err(_) => return Err(std::io::ErrorKind::TimedOut.into()),
            },
            None => r.read(&mut buf).await?,
        };
        if n == 0 {
            return w.shutdown().await;
        }
        w.write_all(&buf[..n]).await?;
        count.fetch_add(n as u64, Ordering::Relaxed);
    }
}

/// The client address as `balance source` hashes it.
pub fn source_key(peer: &SocketAddr) -> Vec<u8> {
    match peer.ip() {
        std::net::IpAddr::V4(a) => a.octets().to_vec(),
        std::net::IpAddr::V6(a) => a.octets().to_vec(),
    }
}

pub async fn session(client: TcpStream, peer: SocketAddr, fe: Arc<FrontendRt>, clock: Clock) {
    let Ok(local) = client.local_addr() else {
        return;
    };
    let _ = client.set_nodelay(true);
    let Some(be) = fe.route(&ConnSample {
        src: peer,
        dst: local,
    }) else {
        return; // no backend: HAProxy closes the connection
    };
    let source = source_key(&peer);
    let key = (be.hash_on == HashOn::Source).then_some(source.as_slice());
    let Some((server, guard)) = attempt(&be, key, clock, |s| open_tcp(s, local)).await else {
        return;
    };
    let counters = &guard.0.counters;
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let up = pipe(cr, sw, fe.client_timeout, &counters.bytes_in);
    let down = pipe(sr, cw, be.server_timeout, &counters.bytes_out);
    tokio::pin!(up, down);
    let (mut up_done, mut down_done) = (false, false);
    while !(up_done && down_done) {
        tokio::select! {
            r = &mut up, if !up_done => {
                if r.is_err() { break; }
                up_done = true;
            }
            r = &mut down, if !down_done => {
                if r.is_err() { break; }
                down_done = true;
            }
        }
    }
}
