//! One TCP session: pick a server (retrying, and redispatching on the last try), connect
//! within `timeout connect`, then forward both ways with half-close: the side that
//! finishes first has its FIN passed on while the other keeps flowing; each side idles
//! at most its `timeout client` / `timeout server`.

use super::acls::AclSet;
use super::backend::{BackendRt, HashOn, ServerRt};
use super::clock::Clock;
use super::frontend::FrontendRt;
use super::inspect::{key_of, needs_more, ContentSample, TcpRules, Verdict};
use super::{Conn, Stream};
use proxy_core::acl::{Fetch, Sample};
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
    attempt_prefer(be, key, clock, None, open).await
}

/// `attempt`, trying `prefer` first when it is up and has room (a stick table's choice).
pub async fn attempt_prefer<T, F, Fut>(
    be: &BackendRt,
    key: Option<&[u8]>,
    clock: Clock,
    mut prefer: Option<usize>,
    open: F,
) -> Option<(T, InUse)>
where
    F: Fn(Arc<ServerRt>) -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let mut failed: Option<usize> = None;
    // `timeout queue`, else the connect timeout (as HAProxy).
    let queue_deadline =
        tokio::time::Instant::now() + be.queue_timeout.unwrap_or(be.connect_timeout);
    let mut tries = 0;
    while tries <= be.retries {
        let avoid = if be.redispatch && tries == be.retries {
            failed
        } else {
            None
        };
        let sticky = prefer.take().filter(|&i| be.usable(i));
        let i = match sticky
            .map(Pick::Server)
            .unwrap_or_else(|| be.pick(clock.now_ms(), key, avoid))
        {
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
        // A pooled connection is there at once: no timer for it.
        let mut opening = std::pin::pin!(open(s.clone()));
        let first =
            std::future::poll_fn(|cx| std::task::Poll::Ready(opening.as_mut().poll(cx))).await;
        let opened = match first {
            std::task::Poll::Ready(r) => Ok(r),
            std::task::Poll::Pending => tokio::time::timeout(be.connect_timeout, opening).await,
        };
        match opened {
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

/// Read from `from` into `buf` while some of `fetches` still waits for bytes, until
/// `deadline` (inspect-delay) or the end of the stream.
async fn gather<S: AsyncRead + Unpin>(
    from: &mut S,
    buf: &mut Vec<u8>,
    fetches: &[&Fetch],
    response: bool,
    deadline: tokio::time::Instant,
) {
    let mut chunk = vec![0u8; BUF];
    let waiting = |b: &[u8]| {
        if response {
            needs_more(fetches.iter().copied(), b, b)
        } else {
            needs_more(fetches.iter().copied(), b, &[])
        }
    };
    while waiting(buf) && buf.len() < BUF {
        match tokio::time::timeout_at(deadline, from.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return,
        }
    }
}

/// Content inspection of the client's first bytes for one proxy's rules (and its stick
/// keys); false when a rule rejects the connection.
async fn inspect_request<S: AsyncRead + Unpin>(
    client: &mut S,
    req: &mut Vec<u8>,
    rules: &TcpRules,
    acls: &AclSet,
    stick_keys: &[&Fetch],
    conn: &Conn,
) -> bool {
    if let Some(delay) = rules.inspect_delay {
        let mut fetches: Vec<&Fetch> = rules
            .content
            .iter()
            .flat_map(|(_, c)| acls.fetches(c))
            .collect();
        fetches.extend_from_slice(stick_keys);
        gather(
            client,
            req,
            &fetches,
            false,
            tokio::time::Instant::now() + delay,
        )
        .await;
    }
    let s = ContentSample {
        conn,
        req,
        rep: &[],
    };
    TcpRules::decide(&rules.content, acls, &s) == Verdict::Accept
}

pub async fn session<S: Stream>(mut client: S, conn: Conn, fe: Arc<FrontendRt>, clock: Clock) {
    let (peer, local) = (conn.peer, conn.local);
    let at_accept = ContentSample {
        conn: &conn,
        req: &[],
        rep: &[],
    };
    if TcpRules::decide(&fe.tcp.connection, &fe.acls, &at_accept) == Verdict::Reject {
        return;
    }
    let mut req = Vec::new();
    if !inspect_request(&mut client, &mut req, &fe.tcp, &fe.acls, &[], &conn).await {
        return;
    }
    let Some(be) = fe.route(&ContentSample {
        conn: &conn,
        req: &req,
        rep: &[],
    }) else {
        return; // no backend: HAProxy closes the connection
    };
    let stick_keys: Vec<&Fetch> = be
        .stick
        .iter()
        .flat_map(|st| {
            st.rules
                .iter()
                .filter(|r| r.matches || r.store_request)
                .map(|r| &r.key)
        })
        .collect();
    if !inspect_request(&mut client, &mut req, &be.tcp, &be.acls, &stick_keys, &conn).await {
        return;
    }
    // Stickiness on the request: the first rule whose condition holds gives the key.
    let now = clock.now_ms();
    let sample = ContentSample {
        conn: &conn,
        req: &req,
        rep: &[],
    };
    let mut prefer = None;
    let mut store_key = None;
    if let Some(st) = &be.stick {
        for r in st.rules.iter().filter(|r| r.matches || r.store_request) {
            if !be.acls.holds(&r.cond, &sample) {
                continue;
            }
            let Some(key) = key_of(&sample.fetch(&r.key)) else {
                continue;
            };
            if r.matches && prefer.is_none() {
                prefer = st.table.lock().ok().and_then(|mut t| t.get(&key, now));
            }
            if r.store_request && store_key.is_none() {
                store_key = Some(key);
            }
        }
    }
    let source = source_key(&peer);
    let key = (be.hash_on == HashOn::Source).then_some(source.as_slice());
    let Some((mut server, guard)) =
        attempt_prefer(&be, key, clock, prefer, |s| open_tcp(s, local)).await
    else {
        return;
    };
    let index = be.servers.iter().position(|s| Arc::ptr_eq(s, &guard.0));
    if let (Some(st), Some(k), Some(i)) = (&be.stick, &store_key, index) {
        if let Ok(mut t) = st.table.lock() {
            t.put(k, i, now);
        }
    }
    if !req.is_empty() && server.write_all(&req).await.is_err() {
        return;
    }
    // Response inspection: its rules and the keys learnt from the server's first bytes.
    let mut rep = Vec::new();
    if let Some(st) = be
        .stick
        .as_ref()
        .filter(|st| st.rules.iter().any(|r| r.store_response))
    {
        let mut fetches: Vec<&Fetch> = be
            .tcp
            .response
            .iter()
            .flat_map(|(_, c)| be.acls.fetches(c))
            .collect();
        for r in st.rules.iter().filter(|r| r.store_response) {
            fetches.push(&r.key);
            fetches.extend(be.acls.fetches(&r.cond));
        }
        let limit = be.server_timeout.unwrap_or(Duration::from_secs(30));
        gather(
            &mut server,
            &mut rep,
            &fetches,
            true,
            tokio::time::Instant::now() + limit,
        )
        .await;
        // In a response rule, the direction-less fetches (`payload_lv`) read the response.
        let s = ContentSample {
            conn: &conn,
            req: &rep,
            rep: &rep,
        };
        if TcpRules::decide(&be.tcp.response, &be.acls, &s) == Verdict::Reject {
            return;
        }
        for r in st.rules.iter().filter(|r| r.store_response) {
            if !be.acls.holds(&r.cond, &s) {
                continue;
            }
            if let (Some(k), Some(i)) = (key_of(&s.fetch(&r.key)), index) {
                if let Ok(mut t) = st.table.lock() {
                    t.put(&k, i, clock.now_ms());
                }
            }
        }
    }
    if !rep.is_empty() && client.write_all(&rep).await.is_err() {
        return;
    }
    let counters = &guard.0.counters;
    counters
        .bytes_in
        .fetch_add(req.len() as u64, Ordering::Relaxed);
    counters
        .bytes_out
        .fetch_add(rep.len() as u64, Ordering::Relaxed);
    let (cr, cw) = tokio::io::split(client);
    let (sr, sw) = server.into_split();
    let up = pipe(cr, sw, fe.client_timeout, &counters.bytes_in);
    let down = pipe(sr, cw, be.server_timeout, &counters.bytes_out);
    tokio::pin!(up, down);
    let mut marked_down = guard.0.down.subscribe();
    let (mut up_done, mut down_done) = (false, false);
    while !(up_done && down_done) {
        tokio::select! {
            _ = marked_down.changed() => break,
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
