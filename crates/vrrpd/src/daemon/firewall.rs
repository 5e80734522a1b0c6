//! Accept mode, as keepalived does it with nftables: an instance without accept mode
//! (`no_accept`, or vrrp_strict on a non-owner) holds its VIPs on the master, but traffic to
//! them (and from them) is dropped. keepalived 2.2.7 keeps the VIPs in a set of its own
//! table, with an input chain dropping `daddr @vips` and an output chain dropping
//! `saddr @vips`, both at priority filter - 1; vrrpd does the same in table `vrrpd`, through
//! the `nft` program (IPv6 neighbour discovery for the VIPs is let through).

use std::net::IpAddr;
use tokio::io::AsyncWriteExt;

const TABLE: &str = "vrrpd";

pub struct Firewall;

async fn nft(script: &str) -> Result<(), String> {
    let mut child = tokio::process::Command::new("nft")
        .args(["-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("nft: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .await
            .map_err(|e| format!("nft: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| format!("nft: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "nft: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The tables, for `v4` and/or `v6` instances (any existing ones are replaced).
pub fn ruleset(v4: bool, v6: bool) -> String {
    let mut s = String::new();
    if v4 {
        s.push_str(&format!(
            "table ip {TABLE}\ndelete table ip {TABLE}\n\
             table ip {TABLE} {{\n\
             \tset vips {{ type ipv4_addr; }}\n\
             \tchain in {{ type filter hook input priority filter - 1; policy accept; ip daddr @vips drop; }}\n\
             \tchain out {{ type filter hook output priority filter - 1; policy accept; ip saddr @vips drop; }}\n\
             }}\n"
        ));
    }
    if v6 {
        s.push_str(&format!(
            "table ip6 {TABLE}\ndelete table ip6 {TABLE}\n\
             table ip6 {TABLE} {{\n\
             \tset vips6 {{ type ipv6_addr; }}\n\
             \tchain in {{ type filter hook input priority filter - 1; policy accept; icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert }} accept; ip6 daddr @vips6 drop; }}\n\
             \tchain out {{ type filter hook output priority filter - 1; policy accept; icmpv6 type {{ nd-neighbor-solicit, nd-neighbor-advert }} accept; ip6 saddr @vips6 drop; }}\n\
             }}\n"
        ));
    }
    s
}

/// `add` or `delete` the addresses in the sets.
pub fn elements(verb: &str, addrs: &[IpAddr]) -> String {
    let mut s = String::new();
    for a in addrs {
        match a {
            IpAddr::V4(a) => s.push_str(&format!("{verb} element ip {TABLE} vips {{ {a} }}\n")),
            IpAddr::V6(a) => s.push_str(&format!("{verb} element ip6 {TABLE} vips6 {{ {a} }}\n")),
        }
    }
    s
}

impl Firewall {
    /// Create the tables the plan needs; None when no instance is without accept mode.
    pub async fn start(v4: bool, v6: bool) -> Result<Option<Firewall>, String> {
        if !v4 && !v6 {
            return Ok(None);
        }
        nft(&ruleset(v4, v6)).await?;
        Ok(Some(Firewall))
    }

    pub async fn block(&self, addrs: &[IpAddr]) -> Result<(), String> {
        // Adding an element that is there is no error for nft.
        nft(&elements("add", addrs)).await
    }

    pub async fn unblock(&self, addrs: &[IpAddr]) -> Result<(), String> {
        for a in addrs {
            // One at a time: deleting an absent element fails the whole batch.
            let _ = nft(&elements("delete", std::slice::from_ref(a))).await;
        }
        Ok(())
    }

    pub async fn stop(self) {
        let _ = nft(&format!(
            "table ip {TABLE}\ndelete table ip {TABLE}\ntable ip6 {TABLE}\ndelete table ip6 {TABLE}\n"
        ))
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_as_keepalived() {
        let r = ruleset(true, false);
        assert!(r.contains("ip daddr @vips drop"));
        assert!(r.contains("ip saddr @vips drop"));
        assert!(r.contains("hook input priority filter - 1"));
        assert!(!r.contains("ip6"));
        assert_eq!(
            elements(
                "add",
                &["10.0.0.1".parse().unwrap(), "fd00::1".parse().unwrap()]
            ),
            "add element ip vrrpd vips { 10.0.0.1 }\nadd element ip6 vrrpd vips6 { fd00::1 }\n"
        );
    }
}
