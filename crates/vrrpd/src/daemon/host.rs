//! What the daemon needs to know about this host's interfaces.

use nix::sys::socket::{LinkAddr, SockaddrLike};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

#[derive(Debug, Clone)]
pub struct Iface {
    pub name: String,
    pub index: u32,
    pub mac: [u8; 6],
    /// The link-layer address as the kernel gives it (for sending frames).
    pub link: Option<LinkAddr>,
    pub v4: Vec<Ipv4Addr>,
    pub v6: Vec<Ipv6Addr>,
}

impl Iface {
    /// The address adverts come from: the first IPv4, or the link-local IPv6.
    pub fn primary(&self, v6: bool) -> Option<IpAddr> {
        if v6 {
            self.v6
                .iter()
                .find(|a| a.segments()[0] & 0xffc0 == 0xfe80)
                .or(self.v6.first())
                .map(|a| IpAddr::V6(*a))
        } else {
            self.v4.first().map(|a| IpAddr::V4(*a))
        }
    }
}

/// The interface's index now (None: there is no such interface).
pub fn index(name: &str) -> Option<u32> {
    nix::net::if_::if_nametoindex(name).ok()
}

pub fn interface(name: &str) -> Option<Iface> {
    let index = nix::net::if_::if_nametoindex(name).ok()?;
    let mut out = Iface {
        name: name.to_string(),
        index,
        mac: [0; 6],
        link: None,
        v4: Vec::new(),
        v6: Vec::new(),
    };
    for ifa in nix::ifaddrs::getifaddrs()
        .ok()?
        .filter(|i| i.interface_name == name)
    {
        let Some(addr) = ifa.address else { continue };
        if let Some(l) = addr.as_link_addr() {
            if let Some(mac) = l.addr() {
                out.mac = mac;
            }
            out.link = Some(*l);
        } else if let Some(a) = addr.as_sockaddr_in() {
            out.v4.push(a.ip());
        } else if let Some(a) = addr.as_sockaddr_in6() {
            out.v6.push(a.ip());
        }
        let _ = addr.family();
    }
    Some(out)
}
