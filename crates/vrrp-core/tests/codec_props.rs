//! Property tests for the codec: round trips, and damaged packets never panic and are
//! rejected for the right reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use vrrp_core::codec::{Advert, Auth, ChecksumMode, Reject, Version};

fn advert() -> impl Strategy<Value = (Advert, bool)> {
    (
        any::<bool>(),
        any::<bool>(),
        1u8..=255,
        0u8..=255,
        1u16..=4095,
        prop::collection::vec(any::<[u8; 16]>(), 0..20),
        any::<[u8; 8]>(),
        0u8..3,
    )
        .prop_map(|(v3, v6, vrid, prio, int, raw, pass, auth)| {
            let v6 = v6 && v3;
            let addrs = raw
                .into_iter()
                .map(|b| {
                    if v6 {
                        IpAddr::V6(Ipv6Addr::from(b))
                    } else {
                        IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
                    }
                })
                .collect();
            let (version, interval_cs, auth) = if v3 {
                (Version::V3, int, Auth::None)
            } else {
                let a = match auth {
                    0 => Auth::None,
                    1 => Auth::Pass(pass),
                    _ => Auth::Ah,
                };
                (Version::V2, (int % 256) * 100, a)
            };
            (
                Advert {
                    version,
                    vrid,
                    priority: prio,
                    interval_cs,
                    auth,
                    addrs,
                },
                v6,
            )
        })
}

fn endpoints(v6: bool) -> (IpAddr, IpAddr) {
    if v6 {
        ("fe80::1".parse().unwrap(), "ff02::12".parse().unwrap())
    } else {
        ("10.0.0.1".parse().unwrap(), "224.0.0.18".parse().unwrap())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn round_trip((adv, v6) in advert(), plain in any::<bool>()) {
        let (src, dst) = endpoints(v6);
        let mode = if plain { ChecksumMode::Plain } else { ChecksumMode::PseudoHeader };
        let bytes = adv.encode(src, dst, mode);
        prop_assert_eq!(Advert::decode(&bytes, src, dst, v6), Ok(adv));
    }

    #[test]
    fn truncated_or_padded_is_rejected((adv, v6) in advert(), cut in 1usize..40, pad in 1usize..40) {
        let (src, dst) = endpoints(v6);
        let bytes = adv.encode(src, dst, ChecksumMode::PseudoHeader);
        let short = &bytes[..bytes.len().saturating_sub(cut)];
        let r = Advert::decode(short, src, dst, v6);
        prop_assert!(matches!(r, Err(Reject::TooShort | Reject::LengthMismatch | Reject::Carp)), "{r:?}");
        let mut long = bytes.clone();
        long.extend(std::iter::repeat_n(0u8, pad));
        let r = Advert::decode(&long, src, dst, v6);
        prop_assert!(matches!(r, Err(Reject::LengthMismatch | Reject::Carp)), "{r:?}");
    }

    #[test]
    fn a_flipped_bit_is_caught((adv, v6) in advert(), pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let (src, dst) = endpoints(v6);
        let mut bytes = adv.encode(src, dst, ChecksumMode::PseudoHeader);
        let i = pos.index(bytes.len());
        bytes[i] ^= 1 << bit;
        // Whatever the bit, the packet is either rejected or (for the bits the checksum
        // cannot see, none here) decodes to something else; it never panics and never
        // silently comes back as the original.
        match Advert::decode(&bytes, src, dst, v6) {
            Ok(other) => prop_assert_ne!(other, adv),
            Err(r) => prop_assert!(matches!(r,
                Reject::BadChecksum | Reject::BadVersion | Reject::BadType | Reject::LengthMismatch
                | Reject::AuthTypeMismatch | Reject::TooShort | Reject::Carp | Reject::AddressFamily)),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..400), v6 in any::<bool>()) {
        let (src, dst) = endpoints(v6);
        let _ = Advert::decode(&data, src, dst, v6);
        let _ = vrrp_core::codec::parse_ipv4(&data);
    }
}
