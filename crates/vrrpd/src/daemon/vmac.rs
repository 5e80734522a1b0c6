//! use_vmac: a macvlan interface carrying the VRRP virtual MAC (00:00:5e:00:01:VRID), so
//! the VIP keeps one MAC whichever node holds it and neighbours never need re-learning.
//!
//! The instance's adverts go out and come in on the macvlan (the kernel hands multicast
//! frames whose source is a local private macvlan's MAC to that macvlan only, so a
//! peer's adverts, sent from the same virtual MAC, would never reach the base interface).
//! The VIPs (without their own `dev`) go on the macvlan. ARP for them is answered only
//! there: on the base interface `arp_ignore` is set to 1 and `arp_announce` to 2
//! (restored at exit), on the macvlan `arp_ignore` to 1. IPv4 only.

use super::vips::Vips;
use futures::TryStreamExt;
use netlink_packet_route::link::MacVlanMode;
use rtnetlink::LinkMacVlan;

/// The virtual router MAC of RFC 5798 §7.3 (IPv4).
pub fn mac(vrid: u8) -> [u8; 6] {
    [0x00, 0x00, 0x5e, 0x00, 0x01, vrid]
}

fn sysctl_path(ifname: &str, key: &str) -> String {
    format!("/proc/sys/net/ipv4/conf/{ifname}/{key}")
}

/// Set an interface sysctl; returns the value it had.
pub fn set_sysctl(ifname: &str, key: &str, value: &str) -> Result<String, String> {
    let p = sysctl_path(ifname, key);
    let old = std::fs::read_to_string(&p).map_err(|e| format!("{p}: {e}"))?;
    std::fs::write(&p, value).map_err(|e| format!("{p}: {e}"))?;
    Ok(old.trim().to_string())
}

impl Vips {
    async fn link_index(&self, name: &str) -> Option<u32> {
        let mut links = self
            .handle
            .link()
            .get()
            .match_name(name.to_string())
            .execute();
        match links.try_next().await {
            Ok(Some(l)) => Some(l.header.index),
            _ => None,
        }
    }

    /// Create (or re-create, if one is left from an earlier run) the macvlan, up.
    pub async fn create_vmac(&self, base: u32, name: &str, mac: [u8; 6]) -> Result<(), String> {
        if let Some(old) = self.link_index(name).await {
            self.handle
                .link()
                .del(old)
                .execute()
                .await
                .map_err(|e| format!("remove stale {name}: {e}"))?;
        }
        let msg = LinkMacVlan::new(name, base, MacVlanMode::Private)
            .address(mac.to_vec())
            .up()
            .build();
        self.handle
            .link()
            .add(msg)
            .execute()
            .await
            .map_err(|e| format!("create {name}: {e}"))?;
        set_sysctl(name, "arp_ignore", "1")?;
        Ok(())
    }

    pub async fn delete_vmac(&self, name: &str) -> Result<(), String> {
        match self.link_index(name).await {
            Some(i) => self
                .handle
                .link()
                .del(i)
                .execute()
                .await
                .map_err(|e| format!("remove {name}: {e}")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_and_macs() {
        assert_eq!(super::mac(51), [0, 0, 0x5e, 0, 1, 51]);
    }
}
