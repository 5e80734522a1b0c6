//! Listening sockets for `bind` lines: every address and every port of a range, bound
//! even when the address is not on the host yet (a VIP on the backup node), as
//! `net.ipv4.ip_nonlocal_bind=1` would allow.

use haproxy_conf::model::Proxy;
use haproxy_conf::values::AddrKind;
use socket2::{Domain, Socket, Type};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// The TCP addresses a proxy listens on, each with the index of its `bind` line.
pub fn addresses(p: &Proxy) -> Result<Vec<(SocketAddr, usize)>, String> {
    let mut out = Vec::new();
    for (bi, b) in p.binds.iter().enumerate() {
        for a in &b.addrs {
            match a.kind {
                AddrKind::Inet | AddrKind::Ipv4 | AddrKind::Ipv6 => {}
                _ => {
                    return Err(format!(
                        "bind `{:?}` addresses are not supported yet",
                        a.kind
                    ))
                }
            }
            let ip = match (a.ip, &a.kind) {
                (Some(ip), _) => ip,
                (None, AddrKind::Ipv6) => IpAddr::from([0u16; 8]),
                (None, _) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            };
            for port in a.port_low..=a.port_high {
                out.push((SocketAddr::new(ip, port), bi));
            }
        }
    }
    Ok(out)
}

pub fn bind(addr: SocketAddr, backlog: usize) -> std::io::Result<tokio::net::TcpListener> {
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    s.set_reuse_address(true)?;
    // A VIP that is on the other node for now can still be bound.
    let _ = if addr.is_ipv4() {
        s.set_freebind_v4(true)
    } else {
        s.set_freebind_v6(true)
    };
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    s.listen(backlog.min(i32::MAX as usize) as i32)?;
    tokio::net::TcpListener::from_std(s.into())
}
