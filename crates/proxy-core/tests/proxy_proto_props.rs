//! Properties of the PROXY protocol codec: what we write, we read back (v1 and v2, with the
//! client's bytes after it); every cut-short header waits for more; no input panics or
//! claims more bytes than it was given.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use proxy_core::proxy_proto::{parse, v1_header, v2_header, Addresses, Parsed};
use std::net::{IpAddr, SocketAddr};

/// Two addresses of one family.
fn pair() -> impl Strategy<Value = (SocketAddr, SocketAddr)> {
    prop_oneof![
        (
            any::<[u8; 4]>(),
            any::<u16>(),
            any::<[u8; 4]>(),
            any::<u16>()
        )
            .prop_map(|(a, p, b, q)| (
                SocketAddr::new(IpAddr::from(a), p),
                SocketAddr::new(IpAddr::from(b), q)
            )),
        (
            any::<[u8; 16]>(),
            any::<u16>(),
            any::<[u8; 16]>(),
            any::<u16>()
        )
            .prop_map(|(a, p, b, q)| (
                SocketAddr::new(IpAddr::from(a), p),
                SocketAddr::new(IpAddr::from(b), q)
            )),
    ]
}

proptest! {
    #[test]
    fn written_headers_read_back(
        (src, dst) in pair(),
        v2 in any::<bool>(),
        payload in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let header = if v2 { v2_header(src, dst) } else { v1_header(src, dst) };
        let mut buf = header.clone();
        buf.extend_from_slice(&payload);
        prop_assert_eq!(
            parse(&buf),
            Parsed::Header { len: header.len(), addrs: Addresses::Proxied { src, dst } }
        );
        // Every shorter prefix waits for more bytes.
        for cut in 0..header.len() {
            prop_assert_eq!(parse(&header[..cut]), Parsed::Incomplete, "cut at {}", cut);
        }
    }

    #[test]
    fn any_bytes_are_judged_without_panic(buf in prop::collection::vec(any::<u8>(), 0..300)) {
        if let Parsed::Header { len, .. } = parse(&buf) {
            prop_assert!(len <= buf.len());
        }
    }

    #[test]
    fn damaged_v1_lines_are_refused_or_wait(
        (src, dst) in pair(),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut h = v1_header(src, dst);
        let i = at.index(h.len());
        h[i] = byte;
        match parse(&h) {
            // A change that still spells a header (a digit for a digit) is read as one
            // whole line: one changed byte cannot make an earlier line end.
            Parsed::Header { len, .. } => prop_assert_eq!(len, h.len()),
            Parsed::Incomplete | Parsed::Invalid => {}
        }
    }
}
