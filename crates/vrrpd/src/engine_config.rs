//! keepalived.conf's model -> the VRRP engine's configuration. Pure; the host-specific part
//! (the instance's primary address) is passed in.

use keepalived_conf::model::{AuthType, Config, InitialState, TrackRef, VrrpInstance};
use std::net::IpAddr;
use vrrp_core::{
    Auth, ChecksumMode, GarpConfig, InstanceConfig, TrackerConfig, TrackerKind, Version,
};

/// Engine settings for one vrrp_instance. `primary` is the instance's own address on its
/// interface (or `unicast_src_ip`/`mcast_src_ip` when set).
/// The trackers of a list of `track_script` / `track_process` / `track_interface` entries.
fn trackers_of(
    cfg: &Config,
    scripts: &[TrackRef],
    processes: &[TrackRef],
    interfaces: &[TrackRef],
    out: &mut Vec<TrackerConfig>,
) {
    for t in scripts {
        let Some(sc) = cfg.script(&t.name) else {
            continue;
        };
        let (weight, reverse) = match t.weight {
            Some(w) => (w, t.reverse),
            None => (sc.weight, sc.weight_reverse),
        };
        out.push(TrackerConfig {
            name: sc.name.clone(),
            kind: TrackerKind::Script,
            weight,
            reverse,
            rise: sc.rise,
            fall: sc.fall,
            init_fail: sc.init_fail,
        });
    }
    for t in processes {
        let Some(tp) = cfg.track_processes.iter().find(|p| p.name == t.name) else {
            continue;
        };
        let (weight, reverse) = match t.weight {
            Some(w) => (w, t.reverse),
            None => (tp.weight, tp.weight_reverse),
        };
        out.push(TrackerConfig {
            name: tp.name.clone(),
            kind: TrackerKind::Process,
            weight,
            reverse,
            rise: 1,
            fall: 1,
            init_fail: false,
        });
    }
    for t in interfaces {
        out.push(TrackerConfig {
            weight: t.weight.unwrap_or(0),
            reverse: t.reverse,
            ..TrackerConfig::interface(&t.name, 0)
        });
    }
}

pub fn instance_config(cfg: &Config, vi: &VrrpInstance, primary: IpAddr) -> InstanceConfig {
    let g = &cfg.global;
    let mut trackers = Vec::new();
    trackers_of(
        cfg,
        &vi.track_scripts,
        &vi.track_processes,
        &vi.track_interfaces,
        &mut trackers,
    );
    // A sync group's tracking applies to each of its members.
    for sg in cfg
        .sync_groups
        .iter()
        .filter(|sg| sg.members.iter().any(|m| m.name == vi.name))
    {
        trackers_of(
            cfg,
            &sg.track_scripts,
            &sg.track_processes,
            &sg.track_interfaces,
            &mut trackers,
        );
    }
    let strict = vi.strict(g);
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
        down_timer_adverts: vi.down_timer_adverts,
        // keepalived ignores nopreempt with state MASTER (the config check warns).
        preempt: !vi.nopreempt || vi.state == InitialState::Master,
        preempt_delay_ms: (vi.preempt_delay * 1000.0) as u64,
        auth,
        vips: vi.vips.iter().map(|v| v.addr).collect(),
        primary_ip: vi.unicast_src_ip.or(vi.mcast_src_ip).unwrap_or(primary),
        unicast_peers: vi.unicast_peers.clone(),
        // old_unicast_checksum: VRRPv3 unicast adverts summed as keepalived < 1.3.6 did.
        checksum_mode: if vi.old_unicast_checksum && !vi.unicast_peers.is_empty() {
            ChecksumMode::Plain
        } else {
            ChecksumMode::PseudoHeader
        },
        // Each instance value defaults to the global one (keepalived-conf fills them in).
        garp: GarpConfig {
            master_delay_ms: u64::from(vi.garp_master_delay) * 1000,
            repeat: vi.garp_master_repeat,
            refresh_ms: u64::from(vi.garp_master_refresh) * 1000,
            refresh_repeat: vi.garp_master_refresh_repeat,
            lower_prio_repeat: vi
                .garp_lower_prio_repeat
                .or(g.vrrp_garp_lower_prio_repeat)
                .unwrap_or(vi.garp_master_repeat),
            lower_prio_delay_ms: u64::from(
                vi.garp_lower_prio_delay
                    .or(g.vrrp_garp_lower_prio_delay)
                    .unwrap_or(vi.garp_master_delay),
            ) * 1000,
        },
        trackers,
        startup_delay_ms: g.vrrp_startup_delay_us / 1000,
        track_primary: !vi.dont_track_primary,
        // vrrp_strict always behaves as lower_prio_no_advert, never as higher_prio_send_advert.
        lower_prio_no_advert: strict
            || vi
                .lower_prio_no_advert
                .unwrap_or(g.vrrp_lower_prio_no_advert),
        higher_prio_send_advert: !strict
            && vi
                .higher_prio_send_advert
                .unwrap_or(g.vrrp_higher_prio_send_advert),
        check_unicast_src: vi.check_unicast_src || g.vrrp_check_unicast_src,
        skip_check_adv_addr: vi.skip_check_adv_addr || g.vrrp_skip_check_adv_addr,
        mcast_group: if vi.ipv6 {
            g.vrrp_mcast_group6
        } else {
            g.vrrp_mcast_group4
        },
        fault_no_peer: vi.unicast_fault_no_peer,
        announce: vi.announce,
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

    fn from_text(text: &str) -> InstanceConfig {
        let l = keepalived_conf::load_str("t.conf", text, &LexOptions::default());
        assert!(!l.has_errors(), "{:?}", l.diags);
        instance_config(
            &l.config,
            &l.config.instances[0],
            "10.0.0.1".parse().unwrap(),
        )
    }

    #[test]
    fn per_instance_garp_and_dont_track_primary() {
        let g = "global_defs {\n vrrp_garp_master_repeat 5\n vrrp_garp_master_refresh_repeat 4\n vrrp_garp_master_delay 7\n}\n";
        let vi = |extra: &str| {
            format!("{g}vrrp_instance VI {{\n interface eth0\n virtual_router_id 5\n{extra}\n virtual_ipaddress {{\n 10.0.0.100\n }}\n}}\n")
        };
        // The global values when the instance says nothing.
        let e = from_text(&vi(""));
        assert_eq!(
            (e.garp.repeat, e.garp.refresh_repeat, e.garp.master_delay_ms),
            (5, 4, 7000)
        );
        assert_eq!(
            (e.garp.lower_prio_repeat, e.garp.lower_prio_delay_ms),
            (5, 7000)
        );
        assert!(e.track_primary);
        // The instance's own values win (keepalived: "default to global parameters").
        let e = from_text(&vi(
            " garp_master_repeat 2\n garp_master_refresh_repeat 3\n garp_master_delay 1\n dont_track_primary",
        ));
        assert_eq!(
            (e.garp.repeat, e.garp.refresh_repeat, e.garp.master_delay_ms),
            (2, 3, 1000)
        );
        // Lower-priority bursts follow the instance's garp_master_* unless set themselves.
        assert_eq!(
            (e.garp.lower_prio_repeat, e.garp.lower_prio_delay_ms),
            (2, 1000)
        );
        assert!(!e.track_primary);
        let e = from_text(&vi(
            " garp_master_repeat 2\n garp_lower_prio_repeat 9\n garp_lower_prio_delay 4",
        ));
        assert_eq!(
            (e.garp.lower_prio_repeat, e.garp.lower_prio_delay_ms),
            (9, 4000)
        );
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
