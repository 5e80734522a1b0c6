//! Each reject reason lands in its own counter of the receiving instance.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::IpAddr;
use vrrp_core::{Advert, Auth, ChecksumMode, Input, Instance, InstanceConfig, Version};

fn instance() -> Instance {
    let mut cfg = InstanceConfig::example("VI_1", 5, 100, "10.0.0.1", "10.0.0.100");
    cfg.auth = Auth::pass("secret");
    let mut i = Instance::new(cfg);
    i.handle(0, Input::Startup);
    i
}

fn feed(i: &mut Instance, ttl: u8, bytes: &[u8]) {
    let src: IpAddr = "10.0.0.2".parse().unwrap();
    let dst: IpAddr = "224.0.0.18".parse().unwrap();
    i.handle(
        10,
        Input::Advert {
            src,
            dst,
            ttl,
            data: bytes,
        },
    );
}

fn adv(vrid: u8, pass: &str, interval_cs: u16) -> Vec<u8> {
    let a = Advert {
        version: Version::V2,
        vrid,
        priority: 150,
        interval_cs,
        auth: Auth::pass(pass),
        addrs: vec!["10.0.0.100".parse().unwrap()],
    };
    a.encode(
        "10.0.0.2".parse().unwrap(),
        "224.0.0.18".parse().unwrap(),
        ChecksumMode::PseudoHeader,
    )
}

#[test]
fn rejects_are_counted_by_reason() {
    let mut i = instance();
    feed(&mut i, 255, &adv(5, "secret", 100));
    feed(&mut i, 64, &adv(5, "secret", 100));
    feed(&mut i, 255, &adv(6, "secret", 100));
    feed(&mut i, 255, &adv(5, "wrong", 100));
    feed(&mut i, 255, &adv(5, "secret", 200));
    let mut bad = adv(5, "secret", 100);
    bad[6] ^= 0xff;
    feed(&mut i, 255, &bad);
    feed(&mut i, 255, &bad[..5]);
    let mut carp = vec![0x21, 5, 0, 0, 7, 1, 0, 0];
    carp.resize(36, 0);
    feed(&mut i, 255, &carp);
    let c = &i.counters;
    assert_eq!(
        (
            c.received,
            c.bad_ttl,
            c.wrong_vrid,
            c.auth_failure,
            c.interval_mismatch,
            c.bad_checksum,
            c.too_short,
            c.carp
        ),
        (1, 1, 1, 1, 1, 1, 1, 1),
        "{c:?}"
    );
    assert_eq!(c.rejected(), 7);
}
