//! The Internet checksum (RFC 1071) and the VRRP pseudo-headers.

use std::net::IpAddr;

/// One's-complement sum of 16-bit words, not yet folded.
fn sum(data: &[u8], mut acc: u32) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        acc += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        acc += u32::from(*last) << 8;
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// Checksum of the VRRP message alone (VRRPv2, and v3 when configured the v2 way).
pub fn plain(data: &[u8]) -> u16 {
    fold(sum(data, 0))
}

/// VRRPv3 checksum over the IPv4 or IPv6 pseudo-header (RFC 5798 §5.2.8).
pub fn with_pseudo_header(src: IpAddr, dst: IpAddr, data: &[u8]) -> u16 {
    upper_layer(src, dst, super::codec::IPPROTO_VRRP, data)
}

/// Checksum of an upper-layer message over the IPv4 or IPv6 pseudo-header.
pub fn upper_layer(src: IpAddr, dst: IpAddr, proto: u8, data: &[u8]) -> u16 {
    let mut acc = 0u32;
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            acc = sum(&s.octets(), acc);
            acc = sum(&d.octets(), acc);
            acc += u32::from(proto);
            acc += data.len() as u32;
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            acc = sum(&s.octets(), acc);
            acc = sum(&d.octets(), acc);
            let len = data.len() as u32;
            acc += len >> 16;
            acc += len & 0xffff;
            acc += u32::from(proto);
        }
        // Mixed families cannot happen on the wire; sum the data alone.
        _ => {}
    }
    fold(sum(data, acc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // 0001 f203 f4f5 f6f7 -> sum ddf2 (folded), checksum 220d.
        assert_eq!(
            plain(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0x220d
        );
    }

    #[test]
    fn odd_length_and_zero() {
        assert_eq!(plain(&[]), 0xffff);
        assert_eq!(plain(&[0xff]), 0x00ff);
    }
}
