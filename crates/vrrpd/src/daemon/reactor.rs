//! File descriptors driven by tokio's reactor that tokio has no type for:
//!
//! - `Alarm`, a wake-up at an absolute CLOCK_MONOTONIC time, precise to microseconds (a
//!   timerfd). tokio's own timer rounds a deadline up to its next 1 ms tick, and epoll's
//!   timeout to whole ms, so VRRP timers fired 1-2 ms late and an advert interval of 100 ms
//!   came out as ~101 ms.
//! - `Exit`, a process's pidfd, readable once the process has ended (track_process).
//! - `Reader`, a datagram socket read through the reactor that can leave it for a while:
//!   a registered socket wakes the reactor at every arriving packet, read or not, so a
//!   pause under a flood only saves wake-ups if the socket is out of the reactor meanwhile.
//!
//! This is the workspace's one module with `unsafe`: registering a file descriptor with tokio
//! (`AsyncFd::register`) is unsafe because tokio cannot check that the descriptor stays open
//! and the same for the registration's life. Here it does by construction: each wrapper owns
//! its descriptor (`TimerFd`, `OwnedFd`), it is moved into the `AsyncFd`, and it is never
//! taken out.
#![allow(unsafe_code)]

use nix::sys::time::TimeSpec;
use nix::sys::timerfd::{ClockId, Expiration, TimerFd, TimerFlags, TimerSetTimeFlags};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

struct Fd(TimerFd);

impl AsRawFd for Fd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_fd().as_raw_fd()
    }
}

pub struct Alarm {
    fd: AsyncFd<Fd>,
    /// The deadline the timer is set to and has not been read as expired (ns; `NONE`):
    /// the main loop asks for the same deadline again at every packet, and setting it
    /// again is a system call each time.
    armed: AtomicU64,
}

const NONE: u64 = u64::MAX;

impl Alarm {
    pub fn new() -> std::io::Result<Self> {
        let fd = TimerFd::new(
            ClockId::CLOCK_MONOTONIC,
            TimerFlags::TFD_NONBLOCK | TimerFlags::TFD_CLOEXEC,
        )?;
        // SAFETY: see the module comment; `Fd` owns the descriptor for the AsyncFd's life.
        let fd = unsafe { AsyncFd::register(Fd(fd)) }.map_err(|e| e.into_parts().1)?;
        Ok(Alarm {
            fd,
            armed: AtomicU64::new(NONE),
        })
    }

    /// Returns at `at` on CLOCK_MONOTONIC (at once if that has passed).
    pub async fn wait_until(&self, at: Duration) -> std::io::Result<()> {
        let inner = &self.fd.get_ref().0;
        let ns = u64::try_from(at.as_nanos()).unwrap_or(NONE - 1);
        // Set already (a wait abandoned before it ended): an expiry not read yet is this
        // deadline's. Setting the timer also clears an expiry that was never read.
        if self.armed.load(Ordering::Relaxed) != ns {
            self.armed.store(NONE, Ordering::Relaxed);
            inner.set(
                Expiration::OneShot(TimeSpec::from_duration(at)),
                TimerSetTimeFlags::TFD_TIMER_ABSTIME,
            )?;
            self.armed.store(ns, Ordering::Relaxed);
        }
        loop {
            let mut ready = self.fd.readable().await?;
            // Err: not expired yet; try_io has cleared the readiness, so wait again.
            if let Ok(read) = ready.try_io(|t| {
                nix::unistd::read(&t.get_ref().0, &mut [0u8; 8]).map_err(std::io::Error::from)
            }) {
                self.armed.store(NONE, Ordering::Relaxed);
                return read.map(drop);
            }
        }
    }
}

pub struct Reader {
    /// None while paused, or when registering it again failed (tried again at the next read).
    fd: Option<AsyncFd<std::net::UdpSocket>>,
    /// The socket while it is out of the reactor.
    out: Option<std::net::UdpSocket>,
}

fn register(
    sock: std::net::UdpSocket,
) -> Result<AsyncFd<std::net::UdpSocket>, (std::net::UdpSocket, std::io::Error)> {
    // SAFETY: see the module comment; the socket owns its descriptor and is moved into the
    // AsyncFd, which only gives it back through `into_inner` (deregistered first).
    unsafe { AsyncFd::register_with_interest(sock, Interest::READABLE) }.map_err(|e| e.into_parts())
}

impl Reader {
    /// `sock` must be non-blocking.
    pub fn new(sock: std::net::UdpSocket) -> std::io::Result<Self> {
        let fd = register(sock).map_err(|(_, e)| e)?;
        Ok(Reader {
            fd: Some(fd),
            out: None,
        })
    }

    /// Back into the reactor after a pause (or a failed attempt). None only if the
    /// socket is neither in nor out, which nothing here leaves it.
    async fn registered(&mut self) -> Option<&AsyncFd<std::net::UdpSocket>> {
        while let Some(sock) = self.out.take() {
            match register(sock) {
                Ok(fd) => self.fd = Some(fd),
                Err((sock, e)) => {
                    tracing::error!("cannot watch a VRRP socket again: {e}; trying again");
                    self.out = Some(sock);
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        self.fd.as_ref()
    }

    /// Waits until `f` (a non-blocking read) does not return `WouldBlock`.
    pub async fn read<R>(
        &mut self,
        mut f: impl FnMut(&std::net::UdpSocket) -> std::io::Result<R>,
    ) -> std::io::Result<R> {
        let Some(fd) = self.registered().await else {
            return Err(std::io::Error::other("the VRRP socket is gone"));
        };
        fd.async_io(Interest::READABLE, |s| f(s)).await
    }

    /// `f` once, without waiting (`WouldBlock` when nothing is queued).
    pub fn try_read<R>(
        &self,
        f: impl FnOnce(&std::net::UdpSocket) -> std::io::Result<R>,
    ) -> std::io::Result<R> {
        match &self.fd {
            Some(fd) => fd.try_io(Interest::READABLE, f),
            None => Err(std::io::ErrorKind::WouldBlock.into()),
        }
    }

    /// Out of the reactor for `d`: packets arriving meanwhile are queued, and wake nobody.
    pub async fn pause(&mut self, d: Duration) {
        if let Some(fd) = self.fd.take() {
            self.out = Some(fd.into_inner());
        }
        tokio::time::sleep(d).await;
    }
}

struct Pidfd(OwnedFd);

impl AsRawFd for Pidfd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// The end of a process, from its pidfd.
pub struct Exit(AsyncFd<Pidfd>);

impl Exit {
    pub fn new(pidfd: OwnedFd) -> std::io::Result<Self> {
        // SAFETY: see the module comment; `Pidfd` owns the descriptor for the AsyncFd's life.
        let fd = unsafe { AsyncFd::register_with_interest(Pidfd(pidfd), Interest::READABLE) }
            .map_err(|e| e.into_parts().1)?;
        Ok(Exit(fd))
    }

    /// Returns once the process has ended (the pidfd stays readable from then on).
    pub async fn ended(&self) {
        let _ = self.0.readable().await;
    }
}
