//! The hashes HAProxy balances with, bit for bit, so that a request reaches the same
//! server through proxyd as through HAProxy (a mixed or migrated pair then keeps each
//! cache's working set): the key functions (sdbm, djb2, crc32, the avalanche modifier)
//! and the part of the request each algorithm hashes (`balance uri|url_param|hdr|source`).

use haproxy_conf::model::{HashFunction, HashType};
use std::net::IpAddr;

/// HAProxy reads key bytes as C `char`, which is signed on the platforms it runs on.
fn signed(b: u8) -> u32 {
    i32::from(b as i8) as u32
}

pub fn sdbm(key: &[u8]) -> u32 {
    key.iter().fold(0u32, |h, &c| {
        signed(c)
            .wrapping_add(h << 6)
            .wrapping_add(h << 16)
            .wrapping_sub(h)
    })
}

pub fn djb2(key: &[u8]) -> u32 {
    key.iter().fold(5381u32, |h, &c| {
        (h << 5).wrapping_add(h).wrapping_add(signed(c))
    })
}

/// The CRC-32 of Ethernet, gzip and PNG (reflected polynomial 0xEDB88320).
pub fn crc32(key: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in key {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// CRC-32C (Castagnoli, RFC 4960 appendix B; reflected polynomial 0x82F63B78).
pub fn crc32c(key: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in key {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// HAProxy's `wt6` hash: two 32-bit words mixed with each byte and rotated by amounts
/// that themselves depend on the data.
pub fn wt6(key: &[u8]) -> u32 {
    let (mut h0, mut h1) = (0xa53c_965au32, 0x5ca6_953au32);
    let (mut r0, mut r1) = (6u32, 18u32);
    for &b in key {
        let b = u32::from(b);
        let x0 = !(h0 ^ b);
        let x1 = !(h1.wrapping_add(b));
        h0 = x1.rotate_left(r0);
        h1 = x0.rotate_left(r1);
        let t = ((h0 >> 16) ^ h1) & 0xffff;
        r0 = t & 0x1f;
        r1 = t >> 11;
    }
    h0 ^ h1
}

/// Bob Jenkins' 32-bit full-avalanche integer hash (HAProxy's `avalanche`).
pub fn avalanche(mut a: u32) -> u32 {
    a = a.wrapping_add(0x7ed5_5d16).wrapping_add(a << 12);
    a = (a ^ 0xc761_c23c) ^ (a >> 19);
    a = a.wrapping_add(0x1656_67b1).wrapping_add(a << 5);
    a = a.wrapping_add(0xd3a2_646c) ^ (a << 9);
    a = a.wrapping_add(0xfd70_46c5).wrapping_add(a << 3);
    a = (a ^ 0xb55a_4f09) ^ (a >> 16);
    // HAProxy then multiplies by a prime near 3/4 of 2^32 to spread the results (found
    // with traffic: without it consistent hashing picks other servers than HAProxy's).
    a.wrapping_mul(3_221_225_473)
}

/// The key hash of `hash-type`'s function and modifier.
pub fn key(t: &HashType, bytes: &[u8]) -> u32 {
    let h = match t.function {
        HashFunction::Sdbm => sdbm(bytes),
        HashFunction::Djb2 => djb2(bytes),
        HashFunction::Crc32 => crc32(bytes),
    };
    modifier(t, h)
}

/// The avalanche modifier, when `hash-type` asks for it.
pub fn modifier(t: &HashType, h: u32) -> u32 {
    if t.avalanche {
        avalanche(h)
    } else {
        h
    }
}

/// `balance source`: the address itself (IPv6: its four 32-bit words XORed), not a hash
/// of its bytes.
pub fn source(t: &HashType, ip: IpAddr) -> u32 {
    let h = match ip {
        IpAddr::V4(a) => u32::from(a),
        IpAddr::V6(a) => a
            .octets()
            .chunks(4)
            .fold(0, |h, w| h ^ u32::from_be_bytes([w[0], w[1], w[2], w[3]])),
    };
    modifier(t, h)
}

/// The part of a request target `balance uri` hashes: up to `len` bytes, stopping at the
/// `depth + 1`-th slash, and at `?` unless `whole`; `path_only` starts at the path.
pub fn uri_part(
    target: &str,
    len: Option<u32>,
    depth: Option<u32>,
    whole: bool,
    path_only: bool,
) -> &str {
    let mut uri = target;
    if path_only {
        uri = match uri.find("://") {
            Some(i) => {
                let after = &uri[i + 3..];
                after.find('/').map(|p| &after[p..]).unwrap_or("")
            }
            None => uri,
        };
    }
    let max = len.map(|l| l as usize).unwrap_or(usize::MAX).min(uri.len());
    let mut slashes = 0u32;
    let mut end = 0;
    for (i, b) in uri.bytes().enumerate().take(max) {
        if b == b'/' {
            slashes += 1;
            if depth.is_some_and(|d| slashes == d.saturating_add(1)) {
                break;
            }
        } else if b == b'?' && !whole {
            break;
        }
        end = i + 1;
    }
    // Never cut inside a character (the bytes are what HAProxy hashes anyway).
    while !uri.is_char_boundary(end) {
        end -= 1;
    }
    &uri[..end]
}

/// The value of query parameter `name` (`balance url_param`): the first occurrence,
/// up to the next `&`; None when absent or without `=`.
pub fn url_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == name).then_some(v)
    })
}

/// `hdr(Host) use_domain_only`: the label before the top-level domain
/// (`haproxy.1wt.eu` gives `1wt`).
pub fn domain_only(v: &str) -> &str {
    match v.rfind('.') {
        None => v,
        Some(last) => match v[..last].rfind('.') {
            Some(p) => &v[p + 1..last],
            None => &v[..last],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_match_their_definitions() {
        assert_eq!(sdbm(b""), 0);
        // sdbm("a") = 97; sdbm("ab") = 98 + 97*65599.
        assert_eq!(sdbm(b"a"), 97);
        assert_eq!(sdbm(b"ab"), 98u32.wrapping_add(97u32.wrapping_mul(65599)));
        // Bytes above 127 count as negative, as C's signed char.
        assert_eq!(sdbm(&[0xff]), u32::MAX);
        assert_eq!(djb2(b""), 5381);
        assert_eq!(djb2(b"a"), 5381 * 33 + 97);
        // The CRC-32 check value.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_ne!(avalanche(1), avalanche(2));
    }

    #[test]
    fn request_parts() {
        assert_eq!(uri_part("/a/b/c?x=1", None, None, false, false), "/a/b/c");
        assert_eq!(
            uri_part("/a/b/c?x=1", None, None, true, false),
            "/a/b/c?x=1"
        );
        assert_eq!(uri_part("/a/b/c?x=1", None, Some(2), false, false), "/a/b");
        assert_eq!(uri_part("/a/b/c?x=1", Some(4), None, false, false), "/a/b");
        assert_eq!(
            uri_part("http://h.example/a?q", None, None, false, true),
            "/a"
        );
        assert_eq!(
            uri_part("http://h.example/a?q", None, None, false, false),
            "http://h.example/a"
        );
        assert_eq!(url_param("a=1&userid=42&b", "userid"), Some("42"));
        assert_eq!(url_param("userid&x=1", "userid"), None);
        assert_eq!(domain_only("haproxy.1wt.eu"), "1wt");
        assert_eq!(domain_only("example.com"), "example");
        assert_eq!(domain_only("localhost"), "localhost");
        let t = HashType::default();
        assert_eq!(source(&t, "10.0.0.1".parse().unwrap()), 0x0a00_0001);
    }
}
