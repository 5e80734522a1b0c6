//! Sockets: the VRRP raw socket (protocol 112, TTL 255, TOS 0xc0, multicast membership on
//! the instance's interface) and the packet socket for gratuitous ARPs / NAs.

use super::host::Iface;
use nix::sys::socket::{sendto, socket, AddressFamily, LinkAddr, MsgFlags, SockFlag, SockType};
use socket2::{Domain, InterfaceIndexOrAddress, Protocol, Socket, Type};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::os::fd::{AsRawFd, OwnedFd};
use vrrp_core::codec;

/// The raw socket is driven through tokio's datagram socket type: recv/sendto are the
/// same system calls for a raw socket, and this needs no unsafe registration.
pub struct VrrpSocket {
    sock: tokio::net::UdpSocket,
}

impl VrrpSocket {
    pub fn open_v4(iface: &Iface, primary: Ipv4Addr) -> io::Result<Self> {
        let s = Socket::new(
            Domain::IPV4,
            Type::RAW,
            Some(Protocol::from(i32::from(codec::IPPROTO_VRRP))),
        )?;
        s.bind_device(Some(iface.name.as_bytes()))?;
        s.set_ttl_v4(u32::from(codec::VRRP_TTL))?;
        s.set_multicast_ttl_v4(u32::from(codec::VRRP_TTL))?;
        s.set_tos_v4(u32::from(codec::VRRP_TOS))?;
        s.set_multicast_loop_v4(false)?;
        s.set_multicast_if_v4(&primary)?;
        s.join_multicast_v4_n(
            &codec::MCAST_V4,
            &InterfaceIndexOrAddress::Index(iface.index),
        )?;
        // Not bound to the address: a bound raw socket would only see packets sent to it,
        // not the multicast adverts. The source comes from IP_MULTICAST_IF / the route.
        s.set_nonblocking(true)?;
        let std_sock: std::net::UdpSocket = s.into();
        Ok(VrrpSocket {
            sock: tokio::net::UdpSocket::from_std(std_sock)?,
        })
    }

    /// One whole IPv4 datagram (raw IPv4 sockets deliver the header too).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.recv(buf).await
    }

    pub fn send(&self, bytes: &[u8], dst: IpAddr) -> io::Result<()> {
        self.sock
            .try_send_to(bytes, SocketAddr::new(dst, 0))
            .map(|_| ())
    }
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
        let fd = socket(
            AddressFamily::Packet,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
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
