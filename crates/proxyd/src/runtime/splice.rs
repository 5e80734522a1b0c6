//! Zero-copy forwarding for plain TCP sessions: splice(2) moves what one socket received
//! into a pipe and from the pipe into the other socket, so the payload never crosses
//! into user space (HAProxy's `option splice-*`, here on by default for `mode tcp`
//! sessions between plain sockets).

use super::idle::Activity;
use nix::fcntl::{splice, OFlag, SpliceFFlags};
use proxy_core::counters::Counters;
use std::io::{Error, ErrorKind, Result};
use tokio::io::Interest;
use tokio::net::TcpStream;

/// Pipes open now (`show info`'s PipesUsed): one per direction of each spliced session.
pub static PIPES_USED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Counts a pipe while it lives.
struct PipeCount;

impl PipeCount {
    fn new() -> PipeCount {
        PIPES_USED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        PipeCount
    }
}

impl Drop for PipeCount {
    fn drop(&mut self) {
        PIPES_USED.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The most moved by one splice call (the pipe's default capacity).
const CHUNK: usize = 64 * 1024;

fn flags() -> SpliceFFlags {
    SpliceFFlags::SPLICE_F_MOVE | SpliceFFlags::SPLICE_F_NONBLOCK
}

/// Forward `from` to `to` until `from` ends (its FIN is passed on as a shutdown of
/// `to`'s sending side), counting the bytes and marking the session active.
pub async fn relay(
    from: &TcpStream,
    to: &TcpStream,
    counted: [&Counters; 4],
    inbound: bool,
    activity: &Activity,
) -> Result<()> {
    let (pipe_r, pipe_w) = nix::unistd::pipe2(OFlag::O_NONBLOCK | OFlag::O_CLOEXEC)?;
    let _counted = PipeCount::new();
    loop {
        // Socket -> pipe. The pipe is empty here (drained below), so EAGAIN means the
        // socket has nothing.
        let n = loop {
            from.readable().await?;
            match from.try_io(Interest::READABLE, || {
                splice(from, None, &pipe_w, None, CHUNK, flags()).map_err(Error::from)
            }) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            return socket2::SockRef::from(to).shutdown(std::net::Shutdown::Write);
        }
        activity.touch();
        // Pipe -> socket, all of it.
        let mut left = n;
        while left > 0 {
            to.writable().await?;
            match to.try_io(Interest::WRITABLE, || {
                splice(&pipe_r, None, to, None, left, flags()).map_err(Error::from)
            }) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(m) => left -= m,
                Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                Err(e) => return Err(e),
            }
        }
        activity.touch();
        super::tcp::count_bytes(counted, inbound, n);
    }
}
