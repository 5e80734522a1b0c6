//! Virtual addresses through rtnetlink (what `ip addr add/del` does).

use futures::TryStreamExt;
use keepalived_conf::model::VirtualIp;
use netlink_packet_route::address::{AddressAttribute, AddressHeaderFlags, AddressScope};
use rtnetlink::{AddressMessageBuilder, Handle};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub struct Vips {
    handle: Handle,
}

impl Vips {
    pub fn new() -> std::io::Result<Self> {
        let (conn, handle, _) = rtnetlink::new_connection()?;
        tokio::spawn(conn);
        Ok(Vips { handle })
    }

    fn index(dev: &str) -> Option<u32> {
        nix::net::if_::if_nametoindex(dev).ok()
    }

    pub async fn add(&self, v: &VirtualIp, default_dev: &str) -> Result<(), String> {
        let dev = v.dev.as_deref().unwrap_or(default_dev);
        let index = Self::index(dev).ok_or_else(|| format!("no interface {dev}"))?;
        let mut req = self.handle.address().add(index, v.addr, v.prefix);
        let msg = req.message_mut();
        if let Some(label) = &v.label {
            msg.attributes.push(AddressAttribute::Label(label.clone()));
        }
        if let Some(IpAddr::V4(brd)) = v.brd {
            msg.attributes.push(AddressAttribute::Broadcast(brd));
        }
        if let Some(scope) = &v.scope {
            msg.header.scope = match scope.as_str() {
                "site" => AddressScope::Site,
                "link" => AddressScope::Link,
                "host" => AddressScope::Host,
                "nowhere" => AddressScope::Nowhere,
                "global" => AddressScope::Universe,
                n => AddressScope::from(n.parse::<u8>().unwrap_or(0)),
            };
        }
        if v.addr.is_ipv6() {
            // A VIP must work at once: no duplicate address detection.
            msg.header.flags |= AddressHeaderFlags::Nodad;
        }
        match req.execute().await {
            Ok(()) => Ok(()),
            Err(e) if e.to_string().contains("File exists") => Ok(()),
            Err(e) => Err(format!("add {}/{} on {dev}: {e}", v.addr, v.prefix)),
        }
    }

    pub async fn del(&self, v: &VirtualIp, default_dev: &str) -> Result<(), String> {
        let dev = v.dev.as_deref().unwrap_or(default_dev);
        let index = Self::index(dev).ok_or_else(|| format!("no interface {dev}"))?;
        let msg = match v.addr {
            IpAddr::V4(a) => AddressMessageBuilder::<Ipv4Addr>::new()
                .index(index)
                .address(a, v.prefix)
                .build(),
            IpAddr::V6(a) => AddressMessageBuilder::<Ipv6Addr>::new()
                .index(index)
                .address(a, v.prefix)
                .build(),
        };
        match self.handle.address().del(msg).execute().await {
            Ok(()) => Ok(()),
            Err(e)
                if e.to_string().contains("Cannot assign") || e.to_string().contains("No such") =>
            {
                Ok(())
            }
            Err(e) => Err(format!("del {}/{} on {dev}: {e}", v.addr, v.prefix)),
        }
    }

    /// Whether the address is on the interface now (used by tests and the state dump).
    #[allow(dead_code)]
    pub async fn present(&self, addr: IpAddr) -> bool {
        let mut s = self
            .handle
            .address()
            .get()
            .set_address_filter(addr)
            .execute();
        matches!(s.try_next().await, Ok(Some(_)))
    }
}
