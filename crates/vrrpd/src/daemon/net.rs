//! Sockets: the VRRP raw sockets (protocol 112, TTL / hop limit 255, TOS / traffic class
//! 0xc0, multicast membership on the instance's interface) and the packet socket for
//! gratuitous ARPs / NAs.
//!
//! The raw sockets are held as std datagram sockets (recv/sendto/recvmsg are the same
//! system calls for a raw socket), non-blocking; sending never waits, and the receive task
//! reads its own descriptor of the socket through the reactor (`VrrpReceiver`).

use super::host::Iface;
use super::reactor::Reader;
use nix::sys::socket::{
    recvmsg, sendto, setsockopt, socket, sockopt, AddressFamily, ControlMessageOwned, LinkAddr,
    MsgFlags, SockFlag, SockType, SockaddrIn6,
};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, Socket, Type};
use std::io::{self, IoSliceMut};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::os::fd::{AsRawFd, OwnedFd};
use vrrp_core::codec;

/// A received advert with what the checks need from the IP layer.
pub struct Received {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ttl: u8,
    pub payload: Vec<u8>,
}

pub struct VrrpSocket {
    sock: std::net::UdpSocket,
    /// IPv6: the interface index, for link-scoped destinations.
    v6_scope: Option<u32>,
    /// Sending with our own IPv4 header (IP_HDRINCL) from this source address.
    hdrincl_src: Option<Ipv4Addr>,
    ip_id: std::sync::atomic::AtomicU16,
}

fn raw(domain: Domain, iface: &Iface) -> io::Result<Socket> {
    let s = Socket::new(
        domain,
        Type::RAW,
        Some(Protocol::from(i32::from(codec::IPPROTO_VRRP))),
    )?;
    s.bind_device(Some(iface.name.as_bytes()))?;
    // Room for a burst: a flood of forged packets fills the default buffer (~200 KiB, a
    // few hundred packets) within milliseconds whenever vrrpd is not scheduled, and the
    // master's real adverts are dropped with the flood; three in a row and the backup
    // takes over beside it. SO_RCVBUFFORCE (vrrpd has CAP_NET_ADMIN) passes rmem_max;
    // without it, as much as rmem_max allows.
    if nix::sys::socket::setsockopt(&s, nix::sys::socket::sockopt::RcvBufForce, &RCVBUF).is_err() {
        let _ = s.set_recv_buffer_size(RCVBUF);
    }
    Ok(s)
}

/// The receive buffer asked for (the kernel doubles it for its bookkeeping).
const RCVBUF: usize = 4 << 20;

fn finish(s: Socket, v6_scope: Option<u32>) -> io::Result<VrrpSocket> {
    s.set_nonblocking(true)?;
    let std_sock: std::net::UdpSocket = s.into();
    Ok(VrrpSocket {
        sock: std_sock,
        v6_scope,
        hdrincl_src: None,
        ip_id: std::sync::atomic::AtomicU16::new(0),
    })
}

impl VrrpSocket {
    /// `group`: the multicast group (vrrp_mcast_group4), 224.0.0.18 by default.
    pub fn open_v4(iface: &Iface, primary: Ipv4Addr, group: Option<Ipv4Addr>) -> io::Result<Self> {
        let s = raw(Domain::IPV4, iface)?;
        s.set_ttl_v4(u32::from(codec::VRRP_TTL))?;
        s.set_multicast_ttl_v4(u32::from(codec::VRRP_TTL))?;
        s.set_tos_v4(u32::from(codec::VRRP_TOS))?;
        s.set_multicast_loop_v4(false)?;
        s.set_multicast_if_v4(&primary)?;
        s.join_multicast_v4_n(
            &group.unwrap_or(codec::MCAST_V4),
            &InterfaceIndexOrAddress::Index(iface.index),
        )?;
        // Not bound to the address: a bound raw socket would only see packets sent to it,
        // not the multicast adverts. The source comes from IP_MULTICAST_IF / the route.
        finish(s, None)
    }

    /// On a use_vmac macvlan, which has no address of its own: the IPv4 header is written
    /// here, with the base interface's address as source (the kernel refuses a multicast
    /// interface address that is not on the bound device).
    pub fn open_v4_vmac(
        iface: &Iface,
        primary: Ipv4Addr,
        group: Option<Ipv4Addr>,
    ) -> io::Result<Self> {
        let s = raw(Domain::IPV4, iface)?;
        s.set_header_included_v4(true)?;
        s.set_multicast_loop_v4(false)?;
        s.join_multicast_v4_n(
            &group.unwrap_or(codec::MCAST_V4),
            &InterfaceIndexOrAddress::Index(iface.index),
        )?;
        let mut sock = finish(s, None)?;
        sock.hdrincl_src = Some(primary);
        Ok(sock)
    }

    /// `group`: the multicast group (vrrp_mcast_group6), ff02::12 by default.
    pub fn open_v6(iface: &Iface, group: Option<Ipv6Addr>) -> io::Result<Self> {
        let s = raw(Domain::IPV6, iface)?;
        s.set_unicast_hops_v6(u32::from(codec::VRRP_TTL))?;
        s.set_multicast_hops_v6(u32::from(codec::VRRP_TTL))?;
        s.set_tclass_v6(u32::from(codec::VRRP_TOS))?;
        s.set_multicast_loop_v6(false)?;
        s.set_multicast_if_v6(iface.index)?;
        s.join_multicast_v6(&group.unwrap_or(codec::MCAST_V6), iface.index)?;
        s.set_recv_hoplimit_v6(true)?;
        setsockopt(&s, sockopt::Ipv6RecvPacketInfo, &true)?;
        finish(s, Some(iface.index))
    }

    /// The socket's receive side, for the one task that reads it.
    pub fn receiver(&self) -> io::Result<VrrpReceiver> {
        Ok(VrrpReceiver {
            reader: Reader::new(self.sock.try_clone()?)?,
            v6: self.v6_scope.is_some(),
        })
    }

    /// Send an advert; `ttl` applies to a unicast destination (`unicast_ttl`), multicast
    /// adverts always go with 255.
    pub fn send(&self, bytes: &[u8], dst: IpAddr, ttl: u8) -> io::Result<()> {
        let unicast_ttl = (!dst.is_multicast() && ttl != codec::VRRP_TTL).then_some(ttl);
        if let (Some(src), IpAddr::V4(d)) = (self.hdrincl_src, dst) {
            let id = self
                .ip_id
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut h = codec::ipv4_header(src, d, id, bytes.len());
            if let Some(t) = unicast_ttl {
                h[8] = t;
                h[10..12].copy_from_slice(&[0, 0]);
                let sum = vrrp_core::checksum::plain(&h);
                h[10..12].copy_from_slice(&sum.to_be_bytes());
            }
            let mut dgram = h.to_vec();
            dgram.extend_from_slice(bytes);
            return self
                .sock
                .send_to(&dgram, SocketAddr::new(dst, 0))
                .map(|_| ());
        }
        let addr = match (dst, self.v6_scope) {
            (IpAddr::V6(v6), Some(scope)) => SocketAddr::V6(SocketAddrV6::new(v6, 0, 0, scope)),
            _ => SocketAddr::new(dst, 0),
        };
        let Some(t) = unicast_ttl else {
            return self.sock.send_to(bytes, addr).map(|_| ());
        };
        let sock = socket2::SockRef::from(&self.sock);
        let set = |t: u8| match dst {
            IpAddr::V4(_) => sock.set_ttl_v4(u32::from(t)),
            IpAddr::V6(_) => sock.set_unicast_hops_v6(u32::from(t)),
        };
        set(t)?;
        let r = self.sock.send_to(bytes, addr).map(|_| ());
        set(codec::VRRP_TTL)?;
        r
    }
}

/// Reads adverts; pauses out of the reactor under a flood (see `pacing`).
pub struct VrrpReceiver {
    reader: Reader,
    v6: bool,
}

impl VrrpReceiver {
    /// Waits for a packet. `Ok(None)`: something that is not a VRRP packet was read.
    pub async fn recv(&mut self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        let v6 = self.v6;
        self.reader.read(|s| read_one(s, v6, buf)).await
    }

    /// The next queued packet without waiting (`WouldBlock` when none is).
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<Option<Received>> {
        self.reader.try_read(|s| read_one(s, self.v6, buf))
    }

    pub async fn pause(&mut self, d: std::time::Duration) {
        self.reader.pause(d).await
    }
}

fn read_one(sock: &std::net::UdpSocket, v6: bool, buf: &mut [u8]) -> io::Result<Option<Received>> {
    let fd = sock.as_raw_fd();
    if !v6 {
        // Raw IPv4 sockets deliver the IP header too.
        let n = nix::sys::socket::recv(fd, buf, MsgFlags::empty()).map_err(io::Error::from)?;
        return Ok(
            codec::parse_ipv4(&buf[..n]).and_then(|(src, dst, ttl, proto, payload)| {
                (proto == codec::IPPROTO_VRRP).then(|| Received {
                    src: IpAddr::V4(src),
                    dst: IpAddr::V4(dst),
                    ttl,
                    payload: payload.to_vec(),
                })
            }),
        );
    }
    // IPv6: the payload only; source, destination and hop limit come separately.
    let mut iov = [IoSliceMut::new(buf)];
    let mut cmsg = nix::cmsg_space!(nix::libc::in6_pktinfo, i32);
    let msg = recvmsg::<SockaddrIn6>(fd, &mut iov, Some(&mut cmsg), MsgFlags::empty())
        .map_err(io::Error::from)?;
    let mut hop = 0u8;
    let mut dst = IpAddr::V6(codec::MCAST_V6);
    for c in msg.cmsgs().map_err(io::Error::from)? {
        match c {
            ControlMessageOwned::Ipv6HopLimit(h) => hop = h.clamp(0, 255) as u8,
            ControlMessageOwned::Ipv6PacketInfo(info) => {
                dst = IpAddr::V6(Ipv6Addr::from(info.ipi6_addr.s6_addr))
            }
            _ => {}
        }
    }
    let (n, src) = (msg.bytes, msg.address.map(|a| IpAddr::V6(a.ip())));
    Ok(src.map(|src| Received {
        src,
        dst,
        ttl: hop,
        payload: buf[..n].to_vec(),
    }))
}

/// Sends whole Ethernet frames on one interface.
pub struct FrameSocket {
    fd: OwnedFd,
    link: LinkAddr,
}

impl FrameSocket {
    pub fn open(iface: &Iface) -> io::Result<Option<Self>> {
        let Some(link) = iface.link else {
            return Ok(None);
        };
        // Non-blocking: a full transmit queue drops a gratuitous ARP (they are sent in
        // bursts) rather than stalling the event loop.
        let fd = socket(
            AddressFamily::Packet,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
            None,
        )?;
        Ok(Some(FrameSocket { fd, link }))
    }

    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        sendto(self.fd.as_raw_fd(), frame, &self.link, MsgFlags::empty())
            .map(|_| ())
            .map_err(io::Error::from)
    }
}
