//! Listening sockets for `bind` lines: every address and every port of a range (bound
//! even when the address is not on the host yet, a VIP on the backup node, as
//! `net.ipv4.ip_nonlocal_bind=1` would allow), unix sockets (`unix@`, plain paths, with
//! `mode`/`user`/`group`), abstract ones (`abns@`), and sockets handed over by a parent
//! (`fd@N`, as systemd socket activation and test harnesses do; `sockpair@N`, a unix
//! socket over which accepted connections arrive).
//!
//! Inherited descriptors are taken with pidfd_getfd(2), which duplicates descriptor N
//! into a new owned one: no `unsafe` here (the original N stays open, unused).

use super::PlanError;
use haproxy_conf::model::{Bind, Proxy};
use haproxy_conf::values::AddrKind;
use socket2::{Domain, Socket, Type};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::OwnedFd;
use std::path::PathBuf;

/// What one listener binds to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListenOn {
    Tcp(SocketAddr),
    Unix(PathBuf),
    /// An abstract unix socket (`abns@name`).
    Abstract(String),
    /// A listening socket inherited as descriptor N.
    Fd(i32),
    /// A unix socket inherited as descriptor N, carrying accepted connections.
    Sockpair(i32),
}

impl std::fmt::Display for ListenOn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListenOn::Tcp(a) => write!(f, "{a}"),
            ListenOn::Unix(p) => write!(f, "unix@{}", p.display()),
            ListenOn::Abstract(n) => write!(f, "abns@{n}"),
            ListenOn::Fd(n) => write!(f, "fd@{n}"),
            ListenOn::Sockpair(n) => write!(f, "sockpair@{n}"),
        }
    }
}

/// Socket options of a bind line.
#[derive(Debug, Clone, Default)]
pub struct BindOpts {
    pub v6only: Option<bool>,
    pub transparent: bool,
    pub interface: Option<String>,
    pub mss: Option<u32>,
    /// `tcp-ut`: TCP_USER_TIMEOUT, inherited by the accepted connections.
    pub user_timeout_ms: Option<u64>,
    pub unix_mode: Option<u32>,
    pub unix_owner: Option<(Option<nix::unistd::Uid>, Option<nix::unistd::Gid>)>,
}

/// The addresses a proxy listens on, each with the index of its `bind` line.
pub fn addresses(p: &Proxy) -> Result<Vec<(ListenOn, usize)>, PlanError> {
    let mut out = Vec::new();
    for (bi, b) in p.binds.iter().enumerate() {
        for a in &b.addrs {
            let path = a.path.clone().unwrap_or_default();
            match a.kind {
                AddrKind::Inet | AddrKind::Ipv4 | AddrKind::Ipv6 => {
                    let ip = match (a.ip, &a.kind) {
                        (Some(ip), _) => ip,
                        (None, AddrKind::Ipv6) => IpAddr::from([0u16; 8]),
                        (None, _) => match &a.host {
                            // A host name: what it resolves to now.
                            Some(h) => resolve(h).ok_or_else(|| PlanError {
                                span: Some(b.span),
                                message: format!("bind `{h}` does not resolve"),
                            })?,
                            None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                        },
                    };
                    for port in a.port_low..=a.port_high {
                        out.push((ListenOn::Tcp(SocketAddr::new(ip, port)), bi));
                    }
                }
                AddrKind::Unix => out.push((ListenOn::Unix(PathBuf::from(path)), bi)),
                AddrKind::Abns => out.push((ListenOn::Abstract(path), bi)),
                AddrKind::Fd | AddrKind::Sockpair => {
                    let n: i32 = path.parse().map_err(|_| PlanError {
                        span: Some(b.span),
                        message: format!("`{path}` is not a file descriptor number"),
                    })?;
                    out.push((
                        if a.kind == AddrKind::Fd {
                            ListenOn::Fd(n)
                        } else {
                            ListenOn::Sockpair(n)
                        },
                        bi,
                    ));
                }
                AddrKind::Udp => {
                    return Err(PlanError {
                        span: Some(b.span),
                        message: "UDP listeners (QUIC) are not run by proxyd".into(),
                    })
                }
            }
        }
    }
    Ok(out)
}

fn resolve(host: &str) -> Option<IpAddr> {
    use std::net::ToSocketAddrs;
    (host, 0).to_socket_addrs().ok()?.next().map(|a| a.ip())
}

/// The socket options of a bind line, with unix owners looked up now.
pub fn opts(b: &Bind) -> Result<BindOpts, PlanError> {
    let owner = if b.unix_user.is_some() || b.unix_group.is_some() {
        let uid = match &b.unix_user {
            None => None,
            Some(u) => Some(match u.parse::<u32>() {
                Ok(n) => nix::unistd::Uid::from_raw(n),
                Err(_) => nix::unistd::User::from_name(u)
                    .ok()
                    .flatten()
                    .map(|x| x.uid)
                    .ok_or_else(|| PlanError {
                        span: Some(b.span),
                        message: format!("bind user `{u}` does not exist"),
                    })?,
            }),
        };
        let gid = match &b.unix_group {
            None => None,
            Some(g) => Some(match g.parse::<u32>() {
                Ok(n) => nix::unistd::Gid::from_raw(n),
                Err(_) => nix::unistd::Group::from_name(g)
                    .ok()
                    .flatten()
                    .map(|x| x.gid)
                    .ok_or_else(|| PlanError {
                        span: Some(b.span),
                        message: format!("bind group `{g}` does not exist"),
                    })?,
            }),
        };
        Some((uid, gid))
    } else {
        None
    };
    Ok(BindOpts {
        v6only: if b.v6only {
            Some(true)
        } else if b.v4v6 {
            Some(false)
        } else {
            None
        },
        transparent: b.transparent,
        interface: b.interface.clone(),
        mss: b.mss,
        user_timeout_ms: b.tcp_user_timeout_ms,
        unix_mode: b.unix_mode,
        unix_owner: owner,
    })
}

/// A bound listener.
#[derive(Debug)]
pub enum Bound {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
    /// Connections arrive as descriptors over this socket.
    Sockpair(tokio::net::UnixStream),
}

impl Bound {
    /// A copy of the socket's descriptor (for `_getsocks`).
    pub fn try_clone_fd(&self) -> std::io::Result<OwnedFd> {
        use std::os::fd::AsFd;
        match self {
            Bound::Tcp(l) => l.as_fd().try_clone_to_owned(),
            Bound::Unix(l) => l.as_fd().try_clone_to_owned(),
            Bound::Sockpair(s) => s.as_fd().try_clone_to_owned(),
        }
    }

    /// The socket as a descriptor the master passes to its workers.
    pub fn into_fd(self) -> std::io::Result<OwnedFd> {
        Ok(match self {
            Bound::Tcp(l) => OwnedFd::from(l.into_std()?),
            Bound::Unix(l) => OwnedFd::from(l.into_std()?),
            Bound::Sockpair(s) => OwnedFd::from(s.into_std()?),
        })
    }
}

/// A listener the master bound and handed over: the same kind of socket `on` would
/// have made.
pub fn from_master(on: &ListenOn, fd: OwnedFd) -> std::io::Result<Bound> {
    if let ListenOn::Sockpair(_) = on {
        let s = std::os::unix::net::UnixStream::from(fd);
        s.set_nonblocking(true)?;
        return Ok(Bound::Sockpair(tokio::net::UnixStream::from_std(s)?));
    }
    let s = Socket::from(fd);
    s.set_nonblocking(true)?;
    match s.local_addr()?.as_socket() {
        Some(_) => Ok(Bound::Tcp(tokio::net::TcpListener::from_std(s.into())?)),
        None => Ok(Bound::Unix(tokio::net::UnixListener::from_std(s.into())?)),
    }
}

/// Whether descriptor `n` is a socket this process could listen on or receive from
/// (what `-c` checks of `fd@N` / `sockpair@N`, as HAProxy's does).
pub fn check_inherited(n: i32) -> Result<(), String> {
    let fd = inherit(n).map_err(|e| format!("cannot use file descriptor {n}: {e}"))?;
    let s = Socket::from(fd);
    s.local_addr()
        .map(|_| ())
        .map_err(|e| format!("cannot use file descriptor {n}: {e}"))
}

/// Take descriptor `n` of this process as a new owned descriptor.
pub fn inherit(n: i32) -> std::io::Result<OwnedFd> {
    let me = rustix::process::getpid();
    let pidfd = rustix::process::pidfd_open(me, rustix::process::PidfdFlags::empty())?;
    Ok(rustix::process::pidfd_getfd(
        &pidfd,
        n,
        rustix::process::PidfdGetfdFlags::empty(),
    )?)
}

fn tcp(addr: SocketAddr, backlog: usize, o: &BindOpts) -> std::io::Result<Bound> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    s.set_reuse_address(true)?;
    // A VIP that is on the other node for now can still be bound.
    let _ = if addr.is_ipv4() {
        s.set_freebind_v4(true)
    } else {
        s.set_freebind_v6(true)
    };
    if let (Some(only), true) = (o.v6only, addr.is_ipv6()) {
        s.set_only_v6(only)?;
    }
    if o.transparent {
        if addr.is_ipv4() {
            s.set_ip_transparent_v4(true)?;
        } else {
            s.set_ip_transparent_v6(true)?;
        }
    }
    if let Some(dev) = &o.interface {
        s.bind_device(Some(dev.as_bytes()))?;
    }
    if let Some(mss) = o.mss {
        s.set_tcp_mss(mss)?;
    }
    if let Some(ms) = o.user_timeout_ms {
        s.set_tcp_user_timeout(Some(std::time::Duration::from_millis(ms)))?;
    }
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    s.listen(backlog.min(i32::MAX as usize) as i32)?;
    Ok(Bound::Tcp(tokio::net::TcpListener::from_std(s.into())?))
}

fn unix(path: &PathBuf, backlog: usize, o: &BindOpts) -> std::io::Result<Bound> {
    // Bind beside the old socket and rename over it, so the path never misses a
    // listener (HAProxy does the same).
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let l = std::os::unix::net::UnixListener::bind(&tmp)?;
    if let Some(mode) = o.unix_mode {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))?;
    }
    if let Some((uid, gid)) = o.unix_owner {
        nix::unistd::chown(&tmp, uid, gid).map_err(std::io::Error::from)?;
    }
    std::fs::rename(&tmp, path)?;
    let s = Socket::from(OwnedFd::from(l));
    s.listen(backlog.min(i32::MAX as usize) as i32)?;
    s.set_nonblocking(true)?;
    Ok(Bound::Unix(tokio::net::UnixListener::from_std(s.into())?))
}

fn abstract_unix(name: &str) -> std::io::Result<Bound> {
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
    let l = std::os::unix::net::UnixListener::bind_addr(&addr)?;
    l.set_nonblocking(true)?;
    Ok(Bound::Unix(tokio::net::UnixListener::from_std(l)?))
}

pub fn bind(on: &ListenOn, backlog: usize, o: &BindOpts) -> std::io::Result<Bound> {
    match on {
        ListenOn::Tcp(a) => tcp(*a, backlog, o),
        ListenOn::Unix(p) => unix(p, backlog, o),
        ListenOn::Abstract(n) => abstract_unix(n),
        ListenOn::Fd(n) => {
            let fd = inherit(*n)?;
            let s = Socket::from(fd);
            s.set_nonblocking(true)?;
            match s.local_addr()?.as_socket() {
                Some(_) => Ok(Bound::Tcp(tokio::net::TcpListener::from_std(s.into())?)),
                None => Ok(Bound::Unix(tokio::net::UnixListener::from_std(s.into())?)),
            }
        }
        ListenOn::Sockpair(n) => {
            let fd = inherit(*n)?;
            let s = std::os::unix::net::UnixStream::from(fd);
            s.set_nonblocking(true)?;
            Ok(Bound::Sockpair(tokio::net::UnixStream::from_std(s)?))
        }
    }
}

/// One connection received over a `sockpair@` socket (a descriptor in SCM_RIGHTS).
pub async fn recv_fd(s: &tokio::net::UnixStream) -> std::io::Result<OwnedFd> {
    use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    loop {
        s.readable().await?;
        let got = s.try_io(tokio::io::Interest::READABLE, || {
            let mut space = [std::mem::MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
            let mut anc = RecvAncillaryBuffer::new(&mut space);
            let mut byte = [0u8; 1];
            let r = rustix::net::recvmsg(
                s,
                &mut [std::io::IoSliceMut::new(&mut byte)],
                &mut anc,
                RecvFlags::CMSG_CLOEXEC,
            )?;
            if r.bytes == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "sockpair closed",
                ));
            }
            for m in anc.drain() {
                if let RecvAncillaryMessage::ScmRights(mut fds) = m {
                    if let Some(fd) = fds.next() {
                        return Ok(Some(fd));
                    }
                }
            }
            Ok(None)
        });
        match got {
            Ok(Some(fd)) => return Ok(fd),
            Ok(None) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
}
