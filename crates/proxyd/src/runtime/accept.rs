//! From an accepted connection to a session: the `tcp-request connection` rules on the
//! real addresses, the PROXY header when the bind (`accept-proxy`) or a rule
//! (`expect-proxy layer4`) asks for one, the TLS handshake of `bind ... ssl`, the
//! `tcp-request session` rules on the addresses the header gave, then the TCP or HTTP
//! session.

use super::clock::Clock;
use super::connect::tune;
use super::frontend::FrontendRt;
use super::inspect::{ContentSample, Ctx, TcpRules, Verdict};
use super::listen::{Bound, ListenOn};
use super::{Conn, Stream};
use proxy_core::proxy_proto::{self, Addresses, Parsed};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// A client connection: TCP or a unix socket, like a server connection.
pub type ClientIo = super::connect::Stream;

/// One listener's plan: where, its backlog, TLS, its bind options.
#[derive(Debug)]
pub struct ListenerRt {
    pub on: ListenOn,
    pub backlog: usize,
    pub tls: Option<super::tls::Acceptor>,
    pub accept_proxy: bool,
    pub mux: super::Mux,
    pub opts: super::listen::BindOpts,
    /// `bind ... maxconn N`.
    pub slots: Option<Arc<Semaphore>>,
}

/// Addresses for a connection on a unix socket: nothing an address ACL can match.
fn unix_addr() -> SocketAddr {
    SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), 0)
}

/// Read a PROXY header without reading past it, so the client's bytes stay in the
/// socket: TCP peeks; a unix socket is read a byte at a time (the header is short).
async fn read_proxy_header(io: &mut ClientIo) -> Option<Addresses> {
    let mut buf = Vec::with_capacity(128);
    match io {
        ClientIo::Tcp(s) => {
            // 16 + 216 bytes hold any v2 header without TLVs; longer ones are read whole.
            let mut peek = [0u8; 256];
            loop {
                let n = s.peek(&mut peek).await.ok()?;
                if n == 0 {
                    return None;
                }
                let got = match proxy_proto::parse(&peek[..n]) {
                    Parsed::Incomplete if n >= 16 && peek[..12] == proxy_proto::V2_SIG => {
                        // Its length is known: read exactly the header.
                        let body = usize::from(u16::from_be_bytes([peek[14], peek[15]]));
                        buf.resize(16 + body, 0);
                        s.read_exact(&mut buf).await.ok()?;
                        proxy_proto::parse(&buf)
                    }
                    Parsed::Header { len, addrs } => {
                        buf.resize(len, 0);
                        s.read_exact(&mut buf).await.ok()?;
                        Parsed::Header { len, addrs }
                    }
                    other => other,
                };
                match got {
                    Parsed::Header { addrs, .. } => return Some(addrs),
                    Parsed::Invalid => return None,
                    // The rest of the line is on its way: peeking again at once would
                    // spin, so wait a moment (the caller bounds the whole wait).
                    Parsed::Incomplete => tokio::time::sleep(Duration::from_millis(1)).await,
                }
            }
        }
        ClientIo::Unix(s) => loop {
            let mut b = [0u8; 1];
            if s.read(&mut b).await.ok()? == 0 {
                return None;
            }
            buf.push(b[0]);
            match proxy_proto::parse(&buf) {
                Parsed::Header { addrs, .. } => return Some(addrs),
                Parsed::Invalid => return None,
                Parsed::Incomplete if buf.len() == 16 && buf[..12] == proxy_proto::V2_SIG => {
                    let body = usize::from(u16::from_be_bytes([buf[14], buf[15]]));
                    let mut rest = vec![0u8; body];
                    s.read_exact(&mut rest).await.ok()?;
                    buf.extend_from_slice(&rest);
                    return match proxy_proto::parse(&buf) {
                        Parsed::Header { addrs, .. } => Some(addrs),
                        _ => None,
                    };
                }
                Parsed::Incomplete => {}
            }
        },
        // A client socket is never a TLS client stream (termination wraps it later).
        ClientIo::Tls(_) => None,
    }
}

/// Serve one accepted connection to its end.
async fn connection(
    mut io: ClientIo,
    peer: SocketAddr,
    local: SocketAddr,
    fe: Arc<FrontendRt>,
    l: Arc<ListenerRt>,
    clock: Clock,
) {
    let unix = matches!(io, ClientIo::Unix(_));
    if let ClientIo::Tcp(s) = &io {
        tune(
            s,
            &super::connect::SockOpts {
                keepalive: fe.keepalive,
                user_timeout_ms: None,
                nolinger: fe.nolinger,
            },
        );
    }
    let mut conn = Conn {
        peer,
        local,
        tls: None,
        unix,
        sc: Arc::default(),
        vars: Arc::default(),
        mux: l.mux,
    };
    let expects_proxy = {
        let at_accept = ContentSample::new(Ctx::new(&fe, None), &conn, &[], &[], false);
        if TcpRules::decide(&fe.tcp.connection, &fe.acls, &at_accept, &conn.sc) == Verdict::Reject {
            fe.counters.denied_request();
            return;
        }
        l.accept_proxy || fe.tcp.expects_proxy(&fe.acls, &at_accept)
    };
    let limit = fe
        .timeouts
        .client
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(30));
    if expects_proxy {
        // Boxed, as the handshake below: a task is as large as its largest state, and a
        // connection's task is moved whole when it is spawned.
        match Box::pin(tokio::time::timeout(limit, read_proxy_header(&mut io))).await {
            Ok(Some(Addresses::Proxied { src, dst })) => {
                conn.peer = src;
                conn.local = dst;
                conn.unix = false;
            }
            Ok(Some(Addresses::Local)) => {}
            // No valid header: HAProxy closes the connection.
            _ => return,
        }
    }
    // The session is made (boxed) before it is awaited: no stream is held in this task's
    // own state, which every connection pays for.
    let session = match &l.tls {
        None => {
            if !session_allowed(&fe, &conn) {
                return;
            }
            super::run_session(io, conn, fe, clock)
        }
        Some(acceptor) => {
            // The handshake must finish within the client timeout. Boxed: its state is
            // large and lives only while it runs.
            let handshake = Box::pin(tokio::time::timeout(limit, acceptor.acceptor.accept(io)));
            let Ok(Ok(s)) = handshake.await else {
                return;
            };
            let conn = Conn {
                tls: Some(Box::new(super::tls::TlsInfo::of(s.get_ref().1))),
                ..conn
            };
            if !session_allowed(&fe, &conn) {
                return;
            }
            super::run_session(s, conn, fe, clock)
        }
    };
    session.await;
}

/// `tcp-request session` rules, on the addresses the PROXY header gave.
fn session_allowed(fe: &FrontendRt, conn: &Conn) -> bool {
    let s = ContentSample::new(Ctx::new(fe, None), conn, &[], &[], false);
    let ok = TcpRules::decide(&fe.tcp.session, &fe.acls, &s, &conn.sc) == Verdict::Accept;
    if !ok {
        fe.counters.denied_request();
    } else {
        // The session begins: the counters tracked so far count it.
        conn.sc.count_all(proxy_core::stick::Count::Session);
    }
    ok
}

/// Accept connections on one listener for as long as the process runs.
pub async fn serve(
    fe: Arc<FrontendRt>,
    bound: Bound,
    l: Arc<ListenerRt>,
    global: Arc<super::limit::Limit>,
    clock: Clock,
) {
    use super::frontend::Accepting;
    let mut errors: u64 = 0;
    let mut state = fe.state.subscribe();
    // A socket bound to one address (not a wildcard, not `transparent`) gives every
    // connection that address as its local one: no system call per connection for it.
    let fixed_local = match &bound {
        Bound::Tcp(t) if !l.opts.transparent => {
            t.local_addr().ok().filter(|a| !a.ip().is_unspecified())
        }
        _ => None,
    };
    loop {
        // `disable frontend`: nothing accepted until `enable` (clients wait in the
        // backlog); `shutdown frontend`: the listener closes.
        let now = *state.borrow_and_update();
        match now {
            Accepting::Stopped => return,
            Accepting::Paused => {
                let _ = state.wait_for(|s| *s != Accepting::Paused).await;
                continue;
            }
            Accepting::Open => {}
        }
        let accept = async {
            match &bound {
                Bound::Tcp(t) => t.accept().await.map(|(s, peer)| {
                    let local = fixed_local.or_else(|| s.local_addr().ok()).unwrap_or(peer);
                    (ClientIo::Tcp(s), peer, local)
                }),
                Bound::Unix(u) => u
                    .accept()
                    .await
                    .map(|(s, _)| (ClientIo::Unix(s), unix_addr(), unix_addr())),
                Bound::Sockpair(sp) => super::listen::recv_fd(sp).await.and_then(|fd| {
                    let std = std::net::TcpStream::from(fd);
                    std.set_nonblocking(true)?;
                    let s = TcpStream::from_std(std)?;
                    let peer = s.peer_addr()?;
                    let local = s.local_addr()?;
                    Ok((ClientIo::Tcp(s), peer, local))
                }),
            }
        };
        let accepted = tokio::select! {
            a = accept => a,
            _ = state.changed() => continue,
        };
        let (io, peer, local) = match accepted {
            Ok(c) => c,
            Err(e) => {
                errors += 1;
                // The same message every time would flood: say the first and every
                // thousandth.
                if errors == 1 || errors.is_multiple_of(1000) {
                    tracing::error!(
                        "frontend {}: accept on {}: {e} ({errors} errors so far)",
                        fe.name,
                        l.on
                    );
                }
                if matches!(bound, Bound::Sockpair(_))
                    && e.kind() == std::io::ErrorKind::UnexpectedEof
                {
                    tracing::warn!(
                        "frontend {}: {} closed, no more connections from it",
                        fe.name,
                        l.on
                    );
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // Full: this connection waits for a slot and nothing more is accepted meanwhile;
        // the kernel's backlog holds the rest. (Taking the slots before `accept` would
        // keep one idle in every listener waiting for a client: with two listeners the
        // process served one connection less than `maxconn`.)
        let Some(g) = global.acquire().await else {
            return;
        };
        let Some(f) = fe.slots.acquire().await else {
            return;
        };
        let b = match &l.slots {
            Some(s) => match s.clone().acquire_owned().await {
                Ok(p) => Some(p),
                Err(_) => return,
            },
            None => None,
        };
        let (fe2, l2) = (fe.clone(), l.clone());
        tokio::spawn(async move {
            connection(io, peer, local, fe2, l2, clock).await;
            drop((g, f, b));
        });
    }
}

/// Whether `Stream` is a plain TCP client (for splicing).
pub fn as_tcp<S: Stream>(s: &mut S) -> Option<&mut TcpStream> {
    let any: &mut dyn std::any::Any = s;
    match any.downcast_mut::<ClientIo>() {
        Some(ClientIo::Tcp(t)) => Some(t),
        _ => None,
    }
}
