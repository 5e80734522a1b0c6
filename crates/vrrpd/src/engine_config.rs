//! keepalived.conf's model -> the VRRP engine's configuration. Pure; the host-specific part
//! (the instance's primary address) is passed in.

use keepalived_conf::model::{AuthType, Config, InitialState, VrrpInstance};
use std::net::IpAddr;
use vrrp_core::{
    Auth, ChecksumMode, GarpConfig, InstanceConfig, TrackerConfig, TrackerKind, Version,
};

/// Engine settings for one vrrp_instance. `primary` is the instance's own address on its
/// interface (or `unicast_src_ip`/`mcast_src_ip` when set).
pub fn instance_config(cfg: &Config, vi: &VrrpInstance, primary: IpAddr) -> InstanceConfig {
    let g = &cfg.global;
    let mut trackers = Vec::new();
    for (sc, weight, reverse) in cfg.tracked_scripts(vi) {
        trackers.push(TrackerConfig {
            name: sc.name.clone(),
            kind: TrackerKind::Script,
            weight,
            reverse,
            rise: sc.rise,
            fall: sc.fall,
            init_fail: sc.init_fail,
        });
    }
    for t in &vi.track_processes {
        let Some(tp) = cfg.track_processes.iter().find(|p| p.name == t.name) else {
            continue;
        };
        let (weight, reverse) = match t.weight {
            Some(w) => (w, t.reverse),
            None => (tp.weight, tp.weight_reverse),
        };
        trackers.push(TrackerConfig {
            name: tp.name.clone(),
            kind: TrackerKind::Process,
            weight,
            reverse,
            rise: 1,
            fall: 1,
            init_fail: false,
        });
    }
    for t in &vi.track_interfaces {
        trackers.push(TrackerConfig {
            weight: t.weight.unwrap_or(0),
            reverse: t.reverse,
            ..TrackerConfig::interface(&t.name, 0)
        });
    }
    let auth = match (&vi.auth, vi.version) {
        (Some(a), 2) if a.auth_type == AuthType::Pass => Auth::pass(&a.pass),
        (Some(a), 2) if a.auth_type == AuthType::Ah => Auth::Ah,
        _ => Auth::None,
    };
    InstanceConfig {
        name: vi.name.clone(),
        interface: vi.interface.clone().unwrap_or_default(),
        vrid: vi.vrid.unwrap_or(0),
        version: if vi.version == 3 {
            Version::V3
        } else {
            Version::V2
        },
        priority: vi.priority,
        advert_int_cs: vi.advert_int_cs.min(4095) as u16,
        // keepalived ignores nopreempt with state MASTER (the config check warns).
        preempt: !vi.nopreempt || vi.state == InitialState::Master,
        preempt_delay_ms: (vi.preempt_delay * 1000.0) as u64,
        auth,
        vips: vi.vips.iter().map(|v| v.addr).collect(),
        primary_ip: vi.unicast_src_ip.or(vi.mcast_src_ip).unwrap_or(primary),
        unicast_peers: vi.unicast_peers.clone(),
        checksum_mode: ChecksumMode::PseudoHeader,
        garp: GarpConfig {
            master_delay_ms: u64::from(vi.garp_master_delay) * 1000,
            repeat: g.vrrp_garp_master_repeat,
            refresh_ms: u64::from(vi.garp_master_refresh) * 1000,
            refresh_repeat: g.vrrp_garp_master_refresh_repeat,
            lower_prio_repeat: g
                .vrrp_garp_lower_prio_repeat
                .unwrap_or(g.vrrp_garp_master_repeat),
            lower_prio_delay_ms: u64::from(
                g.vrrp_garp_lower_prio_delay.unwrap_or(vi.garp_master_delay),
            ) * 1000,
        },
        trackers,
        startup_delay_ms: g.vrrp_startup_delay_us / 1000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keepalived_conf::{load, FsLoader, LexOptions};
    use std::path::Path;

    fn seed(name: &str) -> Config {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../conf-examples/keepalived")
            .join(name);
        let l = load(&p, &FsLoader, &LexOptions::default());
        assert!(!l.has_errors(), "{:?}", l.diags);
        l.config
    }

    #[test]
    fn seed000_lb01() {
        let c = seed("seed000-lb01.conf");
        let e = instance_config(&c, &c.instances[0], "192.168.10.1".parse().unwrap());
        assert_eq!(
            (e.vrid, e.priority, e.advert_int_cs, e.version),
            (1, 100, 100, Version::V2)
        );
        assert_eq!(e.vips, vec!["192.168.10.3".parse::<IpAddr>().unwrap()]);
        assert_eq!(e.trackers.len(), 1);
        assert_eq!(
            (e.trackers[0].weight, e.trackers[0].rise, e.trackers[0].fall),
            (2, 1, 1)
        );
        assert!(e.preempt);
        assert_eq!(e.garp.master_delay_ms, 5000);
    }

    #[test]
    fn seed001_auth_truncated_and_seed002_rise_fall() {
        let c = seed("seed001-master.conf");
        let e = instance_config(&c, &c.instances[0], "172.30.129.1".parse().unwrap());
        assert_eq!(e.auth, Auth::pass("superpas"));
        let c = seed("seed002-lb1.conf");
        let e = instance_config(&c, &c.instances[0], "192.168.4.61".parse().unwrap());
        assert_eq!(
            (e.trackers[0].weight, e.trackers[0].rise, e.trackers[0].fall),
            (5, 2, 2)
        );
        assert_eq!(e.vrid, 66);
    }
}
