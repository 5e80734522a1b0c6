//! PROXY protocol v1/v2 headers from a client: parsing arbitrary bytes never panics, a
//! header never claims more bytes than it was given, and every header proxyd writes
//! parses back to the same addresses (IPv4-mapped
//! ones as IPv4).
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy_core::proxy_proto::{self, Addresses, Parsed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

fn canon(a: SocketAddr) -> SocketAddr {
    match a.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => SocketAddr::new(IpAddr::V4(v4), a.port()),
            None => a,
        },
        IpAddr::V4(_) => a,
    }
}

fuzz_target!(|data: &[u8]| {
    if let Parsed::Header { len, .. } = proxy_proto::parse(data) {
        assert!(len <= data.len(), "header longer than the input");
    }
    // Addresses taken from the input, written and read back.
    if data.len() >= 36 {
        let v4 = |o: usize| {
            IpAddr::V4(Ipv4Addr::new(
                data[o],
                data[o + 1],
                data[o + 2],
                data[o + 3],
            ))
        };
        let mut six = [0u8; 16];
        six.copy_from_slice(&data[8..24]);
        let port = |o: usize| u16::from_be_bytes([data[o], data[o + 1]]);
        let pairs = [
            (
                SocketAddr::new(v4(0), port(24)),
                SocketAddr::new(v4(4), port(26)),
            ),
            (
                SocketAddr::new(IpAddr::V6(Ipv6Addr::from(six)), port(28)),
                SocketAddr::new(IpAddr::V6(Ipv6Addr::from(six)), port(30)),
            ),
        ];
        for (src, dst) in pairs {
            for h in [
                proxy_proto::v1_header(src, dst),
                proxy_proto::v2_header(src, dst),
            ] {
                match proxy_proto::parse(&h) {
                    Parsed::Header {
                        len,
                        addrs: Addresses::Proxied { src: s, dst: d },
                    } => {
                        assert_eq!(len, h.len());
                        // IPv4-mapped pairs are written as IPv4 (by design).
                        assert_eq!((s, d), (canon(src), canon(dst)));
                    }
                    other => panic!("own header not read back: {other:?}"),
                }
            }
        }
    }
});
