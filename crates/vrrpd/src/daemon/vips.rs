//! Virtual addresses and virtual routes through rtnetlink (what `ip addr add/del` and
//! `ip route add/del` do).

use futures::TryStreamExt;
use keepalived_conf::model::VirtualIp;
use keepalived_conf::routes::{RouteKind, RouteSpec};
use keepalived_conf::rules::{RuleAction as SpecAction, RuleSpec, TableRef};
use netlink_packet_route::address::{AddressAttribute, AddressHeaderFlags, AddressScope};
use netlink_packet_route::route::{
    RouteHeader, RouteMessage, RouteProtocol, RouteRealm, RouteScope, RouteType,
};
use netlink_packet_route::rule::{
    RuleAction, RuleAttribute, RuleFlags, RuleMessage, RulePortRange, RuleUidRange,
};
use netlink_packet_route::{AddressFamily, IpProtocol};
use nix::errno::Errno;
use rtnetlink::{AddressMessageBuilder, Handle, RouteMessageBuilder};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The errno a netlink request was refused with (the kernel sends it negated).
fn errno(e: &rtnetlink::Error) -> Option<Errno> {
    match e {
        rtnetlink::Error::NetlinkError(m) => m.code.map(|c| Errno::from_raw(-c.get())),
        _ => None,
    }
}

/// "No such ..." from a delete: what was to be removed is not there (a route: ESRCH, a
/// rule: ENOENT, an interface: ENODEV).
fn gone(e: Errno) -> bool {
    matches!(e, Errno::ESRCH | Errno::ENOENT | Errno::ENODEV)
}

/// The kernel's words for a refusal ("Network is unreachable"), as `ip` prints them.
fn said(e: &rtnetlink::Error) -> String {
    match errno(e) {
        Some(n) => n.desc().to_string(),
        None => e.to_string(),
    }
}

pub struct Vips {
    pub(super) handle: Handle,
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
            Err(e) if errno(&e) == Some(Errno::EEXIST) => Ok(()),
            Err(e) => Err(format!(
                "add {}/{} on {dev}: {}",
                v.addr,
                v.prefix,
                said(&e)
            )),
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
            // Already gone (the address, or its interface).
            Err(e) if errno(&e).is_some_and(|n| n == Errno::EADDRNOTAVAIL || gone(n)) => Ok(()),
            Err(e) => Err(format!(
                "del {}/{} on {dev}: {}",
                v.addr,
                v.prefix,
                said(&e)
            )),
        }
    }

    fn route_message(r: &RouteSpec) -> Result<RouteMessage, String> {
        let bad = |e: &dyn std::error::Error| e.to_string();
        let mut b = RouteMessageBuilder::<IpAddr>::new()
            .destination_prefix(r.dest, r.prefix)
            .map_err(|e| bad(&e))?;
        if let Some(g) = r.via {
            b = b.gateway(g).map_err(|e| bad(&e))?;
        }
        if let Some(s) = r.src {
            b = b.pref_source(s).map_err(|e| bad(&e))?;
        }
        if let Some(dev) = &r.dev {
            let index = Self::index(dev).ok_or_else(|| format!("no interface {dev}"))?;
            b = b.output_interface(index);
        }
        if let Some(m) = r.metric {
            b = b.priority(m);
        }
        if let Some(t) = r.table {
            b = b.table_id(t);
        }
        if r.onlink {
            b = b.onlink();
        }
        b = b.kind(match r.kind {
            RouteKind::Unicast => RouteType::Unicast,
            RouteKind::Blackhole => RouteType::BlackHole,
            RouteKind::Unreachable => RouteType::Unreachable,
            RouteKind::Prohibit => RouteType::Prohibit,
            RouteKind::Throw => RouteType::Throw,
        });
        // As `ip route`: a unicast route without a gateway is on the link.
        let scope = match (r.scope.as_deref(), r.kind, r.via) {
            (Some("link"), ..) => RouteScope::Link,
            (Some("host"), ..) => RouteScope::Host,
            (Some("site"), ..) => RouteScope::Site,
            (Some(_), ..) => RouteScope::Universe,
            (None, RouteKind::Unicast, None) if r.dev.is_some() => RouteScope::Link,
            _ => RouteScope::Universe,
        };
        Ok(b.scope(scope).build())
    }

    pub async fn add_route(&self, r: &RouteSpec) -> Result<(), String> {
        let msg =
            Self::route_message(r).map_err(|e| format!("route {}/{}: {e}", r.dest, r.prefix))?;
        match self.handle.route().add(msg).replace().execute().await {
            Ok(()) => Ok(()),
            Err(e) => Err(format!("add route {}/{}: {}", r.dest, r.prefix, said(&e))),
        }
    }

    pub async fn del_route(&self, r: &RouteSpec) -> Result<(), String> {
        let msg =
            Self::route_message(r).map_err(|e| format!("route {}/{}: {e}", r.dest, r.prefix))?;
        match self.handle.route().del(msg).execute().await {
            Ok(()) => Ok(()),
            Err(e) if errno(&e).is_some_and(gone) => Ok(()),
            Err(e) => Err(format!("del route {}/{}: {}", r.dest, r.prefix, said(&e))),
        }
    }

    /// `local ADDR dev DEV table local`: the address is the node's own for routing
    /// (received traffic is delivered, replies may leave from it) without being on an
    /// interface. An announcing instance keeps it while its address comes and goes, so
    /// connections a node holds when its route is withdrawn still finish.
    pub async fn local_route(&self, addr: IpAddr, dev: &str, add: bool) -> Result<(), String> {
        let index = Self::index(dev).ok_or_else(|| format!("no interface {dev}"))?;
        let len = if addr.is_ipv6() { 128 } else { 32 };
        let mut msg = RouteMessageBuilder::<IpAddr>::new()
            .destination_prefix(addr, len)
            .map_err(|e| e.to_string())?
            .output_interface(index)
            .table_id(255) // RT_TABLE_LOCAL
            .kind(RouteType::Local)
            .scope(RouteScope::Host)
            .build();
        // keepalived's routing protocol number: `ip route show proto 18` lists ours.
        msg.header.protocol = RouteProtocol::from(18u8);
        let what = if add { "add" } else { "del" };
        let r = if add {
            self.handle.route().add(msg).replace().execute().await
        } else {
            self.handle.route().del(msg).execute().await
        };
        match r {
            Ok(()) => Ok(()),
            Err(e) if !add && errno(&e).is_some_and(gone) => Ok(()),
            Err(e) => Err(format!("{what} local route {addr} on {dev}: {}", said(&e))),
        }
    }

    /// A rule as the kernel takes it (keepalived's protocol 18, as `ip rule` would build it).
    fn rule_message(r: &RuleSpec) -> Result<RuleMessage, String> {
        let mut m = RuleMessage::default();
        m.header.family = if r.v6 {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        m.header.table = RouteHeader::RT_TABLE_UNSPEC;
        if r.not {
            m.header.flags |= RuleFlags::Invert;
        }
        if let Some((a, len)) = r.from {
            m.header.src_len = len;
            m.attributes.push(RuleAttribute::Source(a));
        }
        if let Some((a, len)) = r.to {
            m.header.dst_len = len;
            m.attributes.push(RuleAttribute::Destination(a));
        }
        if let Some(tos) = r.tos {
            m.header.tos = tos;
        }
        m.header.action = match &r.action {
            Some(SpecAction::Table(TableRef::Id(t))) => {
                if *t > 255 {
                    m.attributes.push(RuleAttribute::Table(*t));
                } else {
                    m.header.table = *t as u8;
                }
                RuleAction::ToTable
            }
            Some(SpecAction::Table(TableRef::Name(n))) => {
                return Err(format!("routing table `{n}` was not resolved"))
            }
            Some(SpecAction::Goto(t)) => {
                m.attributes.push(RuleAttribute::Goto(*t));
                RuleAction::Goto
            }
            Some(SpecAction::Blackhole) => RuleAction::Blackhole,
            Some(SpecAction::Unreachable) => RuleAction::Unreachable,
            Some(SpecAction::Prohibit) => RuleAction::Prohibit,
            Some(SpecAction::Nop) => RuleAction::Nop,
            Some(SpecAction::L3mdev) => {
                m.attributes.push(RuleAttribute::L3MDev(true));
                RuleAction::ToTable
            }
            None => return Err("no action".into()),
        };
        m.attributes.push(RuleAttribute::Priority(
            r.priority
                .unwrap_or(keepalived_conf::rules::DEFAULT_PRIORITY),
        ));
        if let Some((mark, mask)) = r.fwmark {
            m.attributes.push(RuleAttribute::FwMark(mark));
            if let Some(mask) = mask {
                m.attributes.push(RuleAttribute::FwMask(mask));
            }
        }
        if let Some(i) = &r.iif {
            m.attributes.push(RuleAttribute::Iifname(i.clone()));
        }
        if let Some(o) = &r.oif {
            m.attributes.push(RuleAttribute::Oifname(o.clone()));
        }
        if let Some((start, end)) = r.uidrange {
            m.attributes
                .push(RuleAttribute::UidRange(RuleUidRange { start, end }));
        }
        if let Some((start, end)) = r.sport {
            m.attributes
                .push(RuleAttribute::SourcePortRange(RulePortRange { start, end }));
        }
        if let Some((start, end)) = r.dport {
            m.attributes
                .push(RuleAttribute::DestinationPortRange(RulePortRange {
                    start,
                    end,
                }));
        }
        if let Some(p) = r.ipproto {
            m.attributes
                .push(RuleAttribute::IpProtocol(IpProtocol::from(p)));
        }
        if let Some(realm) = r.realms {
            m.attributes.push(RuleAttribute::Realm(RouteRealm {
                source: 0,
                destination: realm as u16,
            }));
        }
        if let Some(v) = r.suppress_prefixlength {
            m.attributes.push(RuleAttribute::SuppressPrefixLen(v));
        }
        if let Some(v) = r.suppress_ifgroup {
            m.attributes.push(RuleAttribute::SuppressIfGroup(v));
        }
        if let Some(v) = r.tunnel_id {
            m.attributes.push(RuleAttribute::TunId(v));
        }
        m.attributes
            .push(RuleAttribute::Protocol(RouteProtocol::from(r.protocol)));
        Ok(m)
    }

    pub async fn add_rule(&self, r: &RuleSpec) -> Result<(), String> {
        let msg = Self::rule_message(r).map_err(|e| format!("rule: {e}"))?;
        let mut req = self.handle.rule().add();
        *req.message_mut() = msg;
        match req.execute().await {
            Ok(()) => Ok(()),
            Err(e) if errno(&e) == Some(Errno::EEXIST) => Ok(()),
            Err(e) => Err(format!("add rule: {}", said(&e))),
        }
    }

    pub async fn del_rule(&self, r: &RuleSpec) -> Result<(), String> {
        let msg = Self::rule_message(r).map_err(|e| format!("rule: {e}"))?;
        match self.handle.rule().del(msg).execute().await {
            Ok(()) => Ok(()),
            Err(e) if errno(&e).is_some_and(gone) => Ok(()),
            Err(e) => Err(format!("del rule: {}", said(&e))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use rtnetlink::packet_core::ErrorMessage;

    fn refused(errno: i32) -> rtnetlink::Error {
        let mut m = ErrorMessage::default();
        m.code = std::num::NonZeroI32::new(-errno);
        rtnetlink::Error::NetlinkError(m)
    }

    #[test]
    // The message type is non-exhaustive: built by fields.
    #[allow(clippy::field_reassign_with_default)]
    fn refusals_are_read_by_errno() {
        assert_eq!(errno(&refused(17)), Some(Errno::EEXIST));
        assert_eq!(said(&refused(101)), "Network is unreachable");
        assert!(errno(&refused(3)).is_some_and(gone));
        assert!(!errno(&refused(101)).is_some_and(gone));
        assert_eq!(errno(&rtnetlink::Error::RequestFailed), None);
    }
}
