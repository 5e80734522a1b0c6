//! keepalived 2.2.7's own packets (tests/fixtures, captured on a bridge between two
//! namespaces; see fixtures/README.md): every VRRP advert decodes and validates, and the
//! encoder produces the same bytes, IP header fields included, from the same parameters.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vrrp_core::codec::{self, Advert, Auth, ChecksumMode, Expect, Version};

struct Frame {
    summary: String,
    bytes: Vec<u8>,
}

fn frames() -> Vec<Frame> {
    let text = include_str!("fixtures/keepalived-2.2.7.txt");
    let mut out: Vec<Frame> = Vec::new();
    for line in text.lines() {
        if let Some(hex) = line.trim_start().strip_prefix("0x") {
            let Some((_, data)) = hex.split_once(':') else {
                continue;
            };
            let f = out.last_mut().unwrap();
            for word in data.split_whitespace() {
                for i in (0..word.len()).step_by(2) {
                    f.bytes
                        .push(u8::from_str_radix(&word[i..i + 2], 16).unwrap());
                }
            }
        } else if !line.starts_with(char::is_whitespace) && !line.is_empty() {
            out.push(Frame {
                summary: line.to_string(),
                bytes: Vec::new(),
            });
        } else if let Some(f) = out.last_mut() {
            f.summary.push_str(line);
        }
    }
    out
}

/// The settings of each captured instance (from the fixture configs).
fn expect_for(vrid: u8) -> (Version, Auth, u16, u8) {
    match vrid {
        51 => (Version::V2, Auth::pass("superpas"), 100, 150),
        7 => (Version::V3, Auth::None, 50, 120),
        9 => (Version::V3, Auth::None, 100, 110),
        77 => (Version::V2, Auth::None, 100, 90),
        other => panic!("unexpected vrid {other}"),
    }
}

#[test]
fn every_advert_decodes_validates_and_reencodes_identically() {
    let mut seen = std::collections::BTreeMap::<(u8, u8), usize>::new();
    for f in frames() {
        let ethertype = u16::from_be_bytes([f.bytes[12], f.bytes[13]]);
        let ip = &f.bytes[14..];
        let (src, dst, ttl, payload, v6) = match ethertype {
            0x0800 => {
                let Some((s, d, ttl, proto, payload)) = codec::parse_ipv4(ip) else {
                    continue;
                };
                if proto != codec::IPPROTO_VRRP {
                    continue;
                }
                assert_eq!(ip[1], codec::VRRP_TOS, "{}", f.summary);
                (IpAddr::V4(s), IpAddr::V4(d), ttl, payload.to_vec(), false)
            }
            0x86dd => {
                if ip[6] != codec::IPPROTO_VRRP {
                    continue;
                }
                let tclass = ((ip[0] & 0x0f) << 4) | (ip[1] >> 4);
                assert_eq!(tclass, codec::VRRP_TOS, "{}", f.summary);
                let mut s = [0u8; 16];
                let mut d = [0u8; 16];
                s.copy_from_slice(&ip[8..24]);
                d.copy_from_slice(&ip[24..40]);
                (
                    IpAddr::V6(Ipv6Addr::from(s)),
                    IpAddr::V6(Ipv6Addr::from(d)),
                    ip[7],
                    ip[40..].to_vec(),
                    true,
                )
            }
            _ => continue,
        };
        assert_eq!(ttl, codec::VRRP_TTL, "{}", f.summary);
        let adv = Advert::decode(&payload, src, dst, v6)
            .unwrap_or_else(|r| panic!("{r:?}: {}", f.summary));
        let (version, auth, interval, prio) = expect_for(adv.vrid);
        let exp = Expect {
            version,
            vrid: adv.vrid,
            auth: &auth,
            interval_cs: interval,
        };
        assert_eq!(codec::validate(&adv, ttl, &exp), Ok(None), "{}", f.summary);
        assert!(adv.priority == prio || adv.priority == 0, "{}", f.summary);
        // Destination: multicast, or the unicast peer of VI_U.
        let want_dst: IpAddr = match (adv.vrid, v6) {
            (77, _) => "192.168.10.2".parse().unwrap(),
            (_, false) => IpAddr::V4(codec::MCAST_V4),
            (_, true) => IpAddr::V6(codec::MCAST_V6),
        };
        assert_eq!(dst, want_dst, "{}", f.summary);
        // Same parameters, same bytes.
        let again = Advert {
            version,
            vrid: adv.vrid,
            priority: adv.priority,
            interval_cs: interval,
            auth: auth.clone(),
            addrs: adv.addrs.clone(),
        };
        assert_eq!(
            again.encode(src, dst, ChecksumMode::PseudoHeader),
            payload,
            "{}",
            f.summary
        );
        if let (IpAddr::V4(s), IpAddr::V4(d)) = (src, dst) {
            let id = u16::from_be_bytes([ip[4], ip[5]]);
            let hdr = codec::ipv4_header(s, d, id, payload.len());
            assert_eq!(&hdr[..], &ip[..20], "IP header of {}", f.summary);
        }
        *seen.entry((adv.vrid, adv.priority)).or_default() += 1;
    }
    // v2 PASS, v3 IPv4 50 cs, v3 IPv6, unicast, and each one's priority-0 advert.
    for key in [
        (51, 150),
        (51, 0),
        (7, 120),
        (7, 0),
        (9, 110),
        (9, 0),
        (77, 90),
        (77, 0),
    ] {
        assert!(seen.contains_key(&key), "no advert for {key:?} in {seen:?}");
    }
    assert_eq!(seen.values().sum::<usize>(), 22);
}

#[test]
fn v2_password_is_the_truncated_one() {
    let f = frames()
        .into_iter()
        .find(|f| f.summary.contains("superpas"))
        .unwrap();
    assert!(f.bytes.ends_with(b"superpas"));
    let _ = Ipv4Addr::LOCALHOST;
}

#[test]
fn gratuitous_arp_and_unsolicited_na_match_keepalived() {
    let mac = [0x02, 0, 0, 0, 0x0a, 0x01];
    let (mut arps, mut nas) = (0, 0);
    for f in frames() {
        let ethertype = u16::from_be_bytes([f.bytes[12], f.bytes[13]]);
        // Only the announcements (sender = target); the kernel's own ARP traffic is skipped.
        if ethertype == 0x0806 && f.bytes[28..32] == f.bytes[38..42] {
            let vip = Ipv4Addr::new(f.bytes[28], f.bytes[29], f.bytes[30], f.bytes[31]);
            assert_eq!(
                &vrrp_core::announce::gratuitous_arp(mac, vip)[..],
                &f.bytes[..],
                "{}",
                f.summary
            );
            arps += 1;
        } else if ethertype == 0x86dd && f.bytes[20] == 58 && f.summary.contains("Flags [override]")
        {
            let mut t = [0u8; 16];
            t.copy_from_slice(&f.bytes[62..78]);
            let vip = Ipv6Addr::from(t);
            assert_eq!(
                vrrp_core::announce::unsolicited_na(mac, vip),
                f.bytes,
                "{}",
                f.summary
            );
            nas += 1;
        }
    }
    assert!(arps >= 10 && nas >= 4, "{arps} ARPs, {nas} NAs");
}
