//! VRRPv2 (RFC 3768) and VRRPv3 (RFC 5798 / RFC 9568) advertisements: encoding, decoding
//! and receive validation. Every reject reason is a [`Reject`] with its own counter.

use crate::checksum;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub const IPPROTO_VRRP: u8 = 112;
/// IP TTL / hop limit of every advertisement (and the only one accepted).
pub const VRRP_TTL: u8 = 255;
/// IP TOS / traffic class keepalived sends with (network control).
pub const VRRP_TOS: u8 = 0xc0;
pub const MCAST_V4: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
pub const MCAST_V6: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12);
const TYPE_ADVERTISEMENT: u8 = 1;
const HEADER_LEN: usize = 8;
const V2_AUTH_LEN: usize = 8;
/// CARP (ucarp, OpenBSD) shares protocol 112; its header is 36 bytes with authlen 7.
const CARP_LEN: usize = 36;
const CARP_AUTHLEN: u8 = 7;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Version {
    V2,
    V3,
}

impl Version {
    pub fn number(self) -> u8 {
        match self {
            Version::V2 => 2,
            Version::V3 => 3,
        }
    }
}

/// VRRPv2 authentication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Auth {
    None,
    /// Simple text password, zero-padded to 8 bytes.
    Pass([u8; 8]),
    /// IPsec AH: recognised, not computed here.
    Ah,
}

impl Auth {
    pub fn pass(text: &str) -> Auth {
        let mut b = [0u8; 8];
        for (dst, src) in b.iter_mut().zip(text.as_bytes()) {
            *dst = *src;
        }
        Auth::Pass(b)
    }

    fn type_code(&self) -> u8 {
        match self {
            Auth::None => 0,
            Auth::Pass(_) => 1,
            Auth::Ah => 2,
        }
    }
}

/// How the VRRPv3 checksum is computed. keepalived 2.2 (and the RFC) include the IP
/// pseudo-header; some vendors (and keepalived's `old_unicast_checksum`) do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ChecksumMode {
    #[default]
    PseudoHeader,
    Plain,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advert {
    pub version: Version,
    pub vrid: u8,
    pub priority: u8,
    /// Advertisement interval in centiseconds (VRRPv2 carries whole seconds).
    pub interval_cs: u16,
    /// VRRPv2 only.
    pub auth: Auth,
    pub addrs: Vec<IpAddr>,
}

/// Why a received packet was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reject {
    TooShort,
    BadTtl,
    BadVersion,
    BadType,
    Carp,
    LengthMismatch,
    BadChecksum,
    WrongVrid,
    AuthTypeMismatch,
    AuthFailure,
    /// VRRPv2: the interval differs from ours (RFC 3768 says drop).
    IntervalMismatch,
    AddressFamily,
    /// Our own packet looped back.
    OwnPacket,
}

impl Advert {
    pub fn family_v6(&self) -> bool {
        self.addrs.first().is_some_and(|a| a.is_ipv6())
    }

    /// The VRRP message (what follows the IP header).
    pub fn encode(&self, src: IpAddr, dst: IpAddr, mode: ChecksumMode) -> Vec<u8> {
        let mut b = Vec::with_capacity(HEADER_LEN + self.addrs.len() * 16 + V2_AUTH_LEN);
        b.push((self.version.number() << 4) | TYPE_ADVERTISEMENT);
        b.push(self.vrid);
        b.push(self.priority);
        b.push(self.addrs.len() as u8);
        match self.version {
            Version::V2 => {
                b.push(self.auth.type_code());
                b.push((self.interval_cs / 100).min(255) as u8);
            }
            Version::V3 => b.extend_from_slice(&(self.interval_cs & 0x0fff).to_be_bytes()),
        }
        b.extend_from_slice(&[0, 0]);
        for a in &self.addrs {
            match a {
                IpAddr::V4(v4) => b.extend_from_slice(&v4.octets()),
                IpAddr::V6(v6) => b.extend_from_slice(&v6.octets()),
            }
        }
        if self.version == Version::V2 {
            match &self.auth {
                Auth::Pass(p) => b.extend_from_slice(p),
                _ => b.extend_from_slice(&[0u8; V2_AUTH_LEN]),
            }
        }
        let sum = match (self.version, mode) {
            (Version::V3, ChecksumMode::PseudoHeader) => checksum::with_pseudo_header(src, dst, &b),
            _ => checksum::plain(&b),
        };
        b[6..8].copy_from_slice(&sum.to_be_bytes());
        b
    }

    /// Decode and check what needs no instance configuration: version, type, length,
    /// checksum. `v6` says which address family the packet came in on.
    pub fn decode(data: &[u8], src: IpAddr, dst: IpAddr, v6: bool) -> Result<Advert, Reject> {
        if data.len() < HEADER_LEN {
            return Err(Reject::TooShort);
        }
        let version = match data[0] >> 4 {
            2 => Version::V2,
            3 => Version::V3,
            _ => return Err(Reject::BadVersion),
        };
        if data[0] & 0x0f != TYPE_ADVERTISEMENT {
            return Err(Reject::BadType);
        }
        if version == Version::V2 && data[4] == CARP_AUTHLEN && data.len() == CARP_LEN && !v6 {
            return Err(Reject::Carp);
        }
        let count = data[3] as usize;
        let alen = if v6 { 16 } else { 4 };
        let auth_len = if version == Version::V2 {
            V2_AUTH_LEN
        } else {
            0
        };
        if version == Version::V2 && v6 {
            return Err(Reject::AddressFamily);
        }
        let want = HEADER_LEN + count * alen + auth_len;
        if data.len() != want {
            return Err(Reject::LengthMismatch);
        }
        let ok = match version {
            Version::V2 => checksum::plain(data) == 0,
            // Accept either computation: peers differ, and the sum still protects the data.
            Version::V3 => {
                checksum::with_pseudo_header(src, dst, data) == 0 || checksum::plain(data) == 0
            }
        };
        if !ok {
            return Err(Reject::BadChecksum);
        }
        let interval_cs = match version {
            Version::V2 => u16::from(data[5]) * 100,
            Version::V3 => u16::from_be_bytes([data[4], data[5]]) & 0x0fff,
        };
        let mut addrs = Vec::with_capacity(count);
        for i in 0..count {
            let at = HEADER_LEN + i * alen;
            let a = &data[at..at + alen];
            addrs.push(if v6 {
                let mut o = [0u8; 16];
                o.copy_from_slice(a);
                IpAddr::V6(Ipv6Addr::from(o))
            } else {
                IpAddr::V4(Ipv4Addr::new(a[0], a[1], a[2], a[3]))
            });
        }
        let auth = match version {
            Version::V3 => Auth::None,
            Version::V2 => {
                let at = HEADER_LEN + count * alen;
                match data[4] {
                    0 => Auth::None,
                    1 => {
                        let mut p = [0u8; 8];
                        p.copy_from_slice(&data[at..at + 8]);
                        Auth::Pass(p)
                    }
                    2 => Auth::Ah,
                    _ => return Err(Reject::AuthTypeMismatch),
                }
            }
        };
        Ok(Advert {
            version,
            vrid: data[1],
            priority: data[2],
            interval_cs,
            auth,
            addrs,
        })
    }
}

/// What the receiving instance expects, for the checks that need its configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect<'a> {
    pub version: Version,
    pub vrid: u8,
    pub auth: &'a Auth,
    pub interval_cs: u16,
}

/// Things worth logging that do not drop the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Notice {
    /// VRRPv3: the master's interval differs; we learn it.
    IntervalDiffers,
}

/// Receive checks of RFC 3768 §7.1 / RFC 5798 §7.1 that need the instance's settings.
pub fn validate(adv: &Advert, ttl: u8, exp: &Expect<'_>) -> Result<Option<Notice>, Reject> {
    if ttl != VRRP_TTL {
        return Err(Reject::BadTtl);
    }
    if adv.version != exp.version {
        return Err(Reject::BadVersion);
    }
    if adv.vrid != exp.vrid {
        return Err(Reject::WrongVrid);
    }
    if adv.version == Version::V2 {
        match (&adv.auth, exp.auth) {
            (Auth::None, Auth::None) | (Auth::Ah, Auth::Ah) => {}
            (Auth::Pass(a), Auth::Pass(b)) if a == b => {}
            (Auth::Pass(_), Auth::Pass(_)) => return Err(Reject::AuthFailure),
            _ => return Err(Reject::AuthTypeMismatch),
        }
        if adv.interval_cs != exp.interval_cs {
            return Err(Reject::IntervalMismatch);
        }
        return Ok(None);
    }
    Ok((adv.interval_cs != exp.interval_cs).then_some(Notice::IntervalDiffers))
}

/// The IPv4 header keepalived puts in front of an advertisement (for byte comparisons
/// and for raw sockets that take the whole datagram).
pub fn ipv4_header(src: Ipv4Addr, dst: Ipv4Addr, id: u16, payload_len: usize) -> [u8; 20] {
    let total = (20 + payload_len) as u16;
    let mut h = [0u8; 20];
    h[0] = 0x45;
    h[1] = VRRP_TOS;
    h[2..4].copy_from_slice(&total.to_be_bytes());
    h[4..6].copy_from_slice(&id.to_be_bytes());
    h[8] = VRRP_TTL;
    h[9] = IPPROTO_VRRP;
    h[12..16].copy_from_slice(&src.octets());
    h[16..20].copy_from_slice(&dst.octets());
    let sum = checksum::plain(&h);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    h
}

/// An IPv4 datagram's (src, dst, ttl, protocol, payload), if it is well formed.
pub fn parse_ipv4(d: &[u8]) -> Option<(Ipv4Addr, Ipv4Addr, u8, u8, &[u8])> {
    if d.len() < 20 || d[0] >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(d[0] & 0x0f) * 4;
    let total = usize::from(u16::from_be_bytes([d[2], d[3]]));
    if ihl < 20 || d.len() < ihl || total < ihl || total > d.len() {
        return None;
    }
    let src = Ipv4Addr::new(d[12], d[13], d[14], d[15]);
    let dst = Ipv4Addr::new(d[16], d[17], d[18], d[19]);
    Some((src, dst, d[8], d[9], &d[ihl..total]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_v2_and_v3() {
        let src: IpAddr = "10.0.0.1".parse().unwrap();
        let dst = IpAddr::V4(MCAST_V4);
        for adv in [
            Advert {
                version: Version::V2,
                vrid: 51,
                priority: 150,
                interval_cs: 100,
                auth: Auth::pass("secret"),
                addrs: vec!["10.0.0.9".parse().unwrap()],
            },
            Advert {
                version: Version::V3,
                vrid: 7,
                priority: 120,
                interval_cs: 50,
                auth: Auth::None,
                addrs: vec!["10.0.0.9".parse().unwrap(), "10.0.0.10".parse().unwrap()],
            },
        ] {
            let b = adv.encode(src, dst, ChecksumMode::PseudoHeader);
            assert_eq!(Advert::decode(&b, src, dst, false).unwrap(), adv);
        }
    }

    #[test]
    fn validation() {
        let auth = Auth::pass("a");
        let adv = Advert {
            version: Version::V2,
            vrid: 1,
            priority: 100,
            interval_cs: 100,
            auth: auth.clone(),
            addrs: vec![],
        };
        let exp = Expect {
            version: Version::V2,
            vrid: 1,
            auth: &auth,
            interval_cs: 100,
        };
        assert_eq!(validate(&adv, 255, &exp), Ok(None));
        assert_eq!(validate(&adv, 64, &exp), Err(Reject::BadTtl));
        let other = Auth::pass("b");
        assert_eq!(
            validate(
                &adv,
                255,
                &Expect {
                    auth: &other,
                    ..exp.clone()
                }
            ),
            Err(Reject::AuthFailure)
        );
        assert_eq!(
            validate(
                &adv,
                255,
                &Expect {
                    interval_cs: 200,
                    ..exp.clone()
                }
            ),
            Err(Reject::IntervalMismatch)
        );
        assert_eq!(
            validate(&adv, 255, &Expect { vrid: 2, ..exp }),
            Err(Reject::WrongVrid)
        );
    }
}
