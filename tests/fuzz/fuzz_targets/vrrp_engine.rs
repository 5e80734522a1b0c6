//! The VRRP engine on hostile adverts: IPv4 datagrams (header and all, as the raw
//! socket gives them) or IPv6 payloads, with any TTL, at any time, between link, tracker
//! and timer inputs. Decoding, the receive checks and the state machine must never
//! panic, and an instance never stays MASTER after it is shut down.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::net::{IpAddr, Ipv6Addr};
use vrrp_core::{Input, Instance, InstanceConfig, State};

fuzz_target!(|data: &[u8]| {
    let mut cfg = InstanceConfig::example("VI_1", 7, 100, "192.168.10.2", "192.168.10.30");
    // The first byte picks the protocol version the instance runs.
    if data.first().is_some_and(|b| b & 1 == 1) {
        cfg.version = vrrp_core::Version::V3;
    }
    let mut vi = Instance::new(cfg);
    let mut now = 0u64;
    vi.handle(now, Input::Startup);
    // Records: [kind, time step, ttl, len, bytes...].
    let mut rest = data.get(1..).unwrap_or(&[]);
    while let [kind, step, ttl, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        let (bytes, next) = tail.split_at(n);
        rest = next;
        now += u64::from(*step) * 10;
        match kind % 6 {
            0 => {
                if let Some((src, dst, t, _proto, payload)) = vrrp_core::codec::parse_ipv4(bytes) {
                    vi.handle(
                        now,
                        Input::Advert {
                            src: IpAddr::V4(src),
                            dst: IpAddr::V4(dst),
                            ttl: t,
                            data: payload,
                        },
                    );
                }
            }
            1 => vi.handle(
                now,
                Input::Advert {
                    src: IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1)),
                    dst: IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12)),
                    ttl: *ttl,
                    data: bytes,
                },
            ),
            2 => vi.handle(
                now,
                Input::Link {
                    interface: "eth0".into(),
                    up: ttl & 1 == 0,
                },
            ),
            3 => vi.handle(
                now,
                Input::Tracker {
                    name: "chk".into(),
                    ok: ttl & 1 == 0,
                },
            ),
            _ => {
                if vi.poll_timeout().is_some_and(|t| t <= now) {
                    vi.handle_timeout(now);
                }
            }
        }
        while vi.poll_action().is_some() {}
    }
    vi.handle(now, Input::Shutdown);
    while vi.poll_action().is_some() {}
    assert_ne!(vi.state(), State::Master, "master after shutdown");
});
