//! vrrpd's SIGHUP reload (same config: the VIP never disappears; broken config: the old one
//! keeps running; VIP added/removed: applied) and unicast mode; links, dont_track_primary,
//! -X, accept mode, static entries and rules, and the -g/-D logs.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, netns_available, wait_for, Lan};
use std::path::Path;

fn conf(prio: u16, vips: &[&str], unicast: Option<(&str, &str)>) -> String {
    let uni = unicast
        .map(|(src, peer)| format!("  unicast_src_ip {src}\n  unicast_peer {{\n    {peer}\n  }}\n"))
        .unwrap_or_default();
    format!(
        "vrrp_instance VI_1 {{\n  state BACKUP\n  interface eth0\n  virtual_router_id 42\n  priority {prio}\n  advert_int 1\n{uni}  virtual_ipaddress {{\n{}  }}\n}}\n",
        vips.iter().map(|v| format!("    {v}/24\n")).collect::<String>()
    )
}

fn mac_of(ns: &e2e::Netns) -> String {
    let out = ns.exec("cat", &["/sys/class/net/eth0/address"]);
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The MAC the namespace's neighbour table has for `ip`.
fn neigh(ns: &e2e::Netns, ip: &str) -> Option<String> {
    let out = ns.exec("ip", &["neigh", "show", ip, "dev", "eth0"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let words: Vec<&str> = text.split_whitespace().collect();
    let i = words.iter().position(|w| *w == "lladdr")?;
    words.get(i + 1).map(|s| s.to_string())
}

fn log(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

#[test]
fn sighup_keeps_vips_and_applies_changes() {
    if !netns_available() {
        return;
    }
    let vrrpd = binary("vrrpd");
    let lan = Lan::new(
        "vr",
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.50/24")],
    );
    let (n, client) = (&lan.nodes[0], &lan.nodes[1]);
    // The client takes neighbour entries from gratuitous ARPs it never asked for, so a
    // new VIP's announcement shows up in its table.
    client.exec_ok("sysctl", &["-qw", "net.ipv4.conf.eth0.arp_accept=1"]);
    let dir = e2e::Scratch::new("vrrpd-reload");
    let cfg = dir.join("keepalived.conf");
    let logf = dir.join("vrrpd.log");
    std::fs::write(&cfg, conf(150, &["192.168.10.3"], None)).unwrap();
    let d = n.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", cfg.to_str().unwrap()],
        &logf,
    );
    assert!(
        wait_for(8.0, || n.has_addr("eth0", "192.168.10.3")).is_some(),
        "{}",
        log(&logf)
    );

    // Same config: the VIP never disappears (polled every 50 ms for 3 s).
    d.signal("HUP");
    for _ in 0..60 {
        assert!(
            n.has_addr("eth0", "192.168.10.3"),
            "VIP vanished during reload\n{}",
            log(&logf)
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        log(&logf).contains("configuration reloaded"),
        "{}",
        log(&logf)
    );

    // A broken config: logged, the running one stays.
    std::fs::write(&cfg, conf(300, &["192.168.10.3"], None)).unwrap();
    d.signal("HUP");
    assert!(
        wait_for(3.0, || log(&logf).contains("keeping the running one")).is_some(),
        "{}",
        log(&logf)
    );
    assert!(log(&logf).contains("out of range"), "{}", log(&logf));
    assert!(n.has_addr("eth0", "192.168.10.3"));

    // A VIP added: it appears; the old one stays.
    std::fs::write(&cfg, conf(150, &["192.168.10.3", "192.168.10.4"], None)).unwrap();
    d.signal("HUP");
    assert!(
        wait_for(3.0, || n.has_addr("eth0", "192.168.10.4")).is_some(),
        "{}",
        log(&logf)
    );
    // ... announced with a gratuitous ARP: the client knows it without asking.
    let lb_mac = mac_of(n);
    assert!(
        wait_for(2.0, || neigh(client, "192.168.10.4")
            == Some(lb_mac.clone()))
        .is_some(),
        "no gratuitous ARP for the added VIP reached the client: {:?}",
        neigh(client, "192.168.10.4")
    );
    assert!(n.has_addr("eth0", "192.168.10.3"));

    // A VIP removed: it goes.
    std::fs::write(&cfg, conf(150, &["192.168.10.4"], None)).unwrap();
    d.signal("HUP");
    assert!(
        wait_for(3.0, || !n.has_addr("eth0", "192.168.10.3")).is_some(),
        "{}",
        log(&logf)
    );
    assert!(n.has_addr("eth0", "192.168.10.4"));
    drop(d);
}

#[test]
fn unicast_peers_fail_over() {
    if !netns_available() {
        return;
    }
    let vrrpd = binary("vrrpd");
    let lan = Lan::new(
        "vu",
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.2/24")],
    );
    let dir = e2e::Scratch::new("vrrpd-uni");
    let c1 = dir.join("a.conf");
    let c2 = dir.join("b.conf");
    std::fs::write(
        &c1,
        conf(
            150,
            &["192.168.10.3"],
            Some(("192.168.10.1", "192.168.10.2")),
        ),
    )
    .unwrap();
    std::fs::write(
        &c2,
        conf(
            100,
            &["192.168.10.3"],
            Some(("192.168.10.2", "192.168.10.1")),
        ),
    )
    .unwrap();
    let (a, b) = (&lan.nodes[0], &lan.nodes[1]);
    let mut da = a.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", c1.to_str().unwrap()],
        &dir.join("a.log"),
    );
    let db = b.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", c2.to_str().unwrap()],
        &dir.join("b.log"),
    );
    let show = || {
        format!(
            "a:\n{}\nb:\n{}",
            log(&dir.join("a.log")),
            log(&dir.join("b.log"))
        )
    };
    assert!(
        wait_for(8.0, || a.has_addr("eth0", "192.168.10.3")).is_some(),
        "{}",
        show()
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(
        !b.has_addr("eth0", "192.168.10.3"),
        "both are master over unicast\n{}",
        show()
    );
    da.kill();
    let bound = 3.0 + (256.0 - 100.0) / 256.0 + 0.5;
    let t = wait_for(bound + 1.0, || b.has_addr("eth0", "192.168.10.3"));
    assert!(
        t.is_some_and(|t| t <= bound),
        "unicast failover took {t:?}\n{}",
        show()
    );
    drop(db);
}

/// track_interface (weight 0): the tracked link going down puts the master in FAULT, the VIP
/// moves at once (priority-0 advert); back up, the master preempts again. The instance's own
/// interface going down is a FAULT too.
#[test]
fn link_down_is_fault_and_the_vip_moves() {
    if !netns_available() {
        return;
    }
    let vrrpd = binary("vrrpd");
    let lan = Lan::new(
        "vk",
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.2/24")],
    );
    let (a, b) = (&lan.nodes[0], &lan.nodes[1]);
    a.exec_ok(
        "ip",
        &[
            "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p",
        ],
    );
    a.exec_ok("ip", &["link", "set", "eth1", "up"]);
    a.exec_ok("ip", &["link", "set", "eth1p", "up"]);
    let dir = e2e::Scratch::new("vrrpd-link");
    let ca = dir.join("a.conf");
    let cb = dir.join("b.conf");
    let tracked = conf(150, &["192.168.10.3"], None).replace(
        "  virtual_ipaddress {",
        "  track_interface {\n    eth1\n  }\n  virtual_ipaddress {",
    );
    std::fs::write(&ca, tracked).unwrap();
    std::fs::write(&cb, conf(100, &["192.168.10.3"], None)).unwrap();
    let _da = a.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", ca.to_str().unwrap()],
        &dir.join("a.log"),
    );
    let _db = b.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", cb.to_str().unwrap()],
        &dir.join("b.log"),
    );
    let show = || {
        format!(
            "a:\n{}\nb:\n{}",
            log(&dir.join("a.log")),
            log(&dir.join("b.log"))
        )
    };
    let vip = "192.168.10.3";
    assert!(
        wait_for(8.0, || a.has_addr("eth0", vip)).is_some(),
        "{}",
        show()
    );
    std::thread::sleep(std::time::Duration::from_secs(2));

    // The tracked link loses its carrier.
    a.exec_ok("ip", &["link", "set", "eth1p", "down"]);
    let t = wait_for(2.0, || b.has_addr("eth0", vip) && !a.has_addr("eth0", vip));
    assert!(
        t.is_some(),
        "tracked link down did not move the VIP\n{}",
        show()
    );
    assert!(log(&dir.join("a.log")).contains("Fault"), "{}", show());

    // Back up: a leaves FAULT and preempts.
    a.exec_ok("ip", &["link", "set", "eth1p", "up"]);
    assert!(
        wait_for(8.0, || a.has_addr("eth0", vip)).is_some(),
        "no preempt after the link came back\n{}",
        show()
    );
    assert!(
        wait_for(2.0, || !b.has_addr("eth0", vip)).is_some(),
        "{}",
        show()
    );

    // The instance's own interface goes down.
    a.exec_ok("ip", &["link", "set", "eth0", "down"]);
    assert!(
        wait_for(2.0, || !a.has_addr("eth0", vip)).is_some(),
        "VIP kept on a down interface\n{}",
        show()
    );
    assert!(
        wait_for(5.0, || b.has_addr("eth0", vip)).is_some(),
        "backup did not take over\n{}",
        show()
    );
}

/// A check that hangs is killed at its timeout and counts as a failure (the weight applies).
#[test]
fn hanging_check_times_out_as_failure() {
    if !netns_available() {
        return;
    }
    let vrrpd = binary("vrrpd");
    let lan = Lan::new(
        "vh",
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.2/24")],
    );
    let (a, b) = (&lan.nodes[0], &lan.nodes[1]);
    let dir = e2e::Scratch::new("vrrpd-hang");
    let ca = dir.join("a.conf");
    let cb = dir.join("b.conf");
    let hanging = format!(
        "vrrp_script hang {{\n  script \"/bin/sleep 30\"\n  interval 1\n  timeout 1\n  weight -100\n}}\n{}",
        conf(150, &["192.168.10.3"], None).replace("  virtual_ipaddress {", "  track_script {\n    hang\n  }\n  virtual_ipaddress {")
    );
    std::fs::write(&ca, hanging).unwrap();
    std::fs::write(&cb, conf(100, &["192.168.10.3"], None)).unwrap();
    let da = a.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", ca.to_str().unwrap()],
        &dir.join("a.log"),
    );
    let _db = b.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", cb.to_str().unwrap()],
        &dir.join("b.log"),
    );
    let show = || {
        format!(
            "a:\n{}\nb:\n{}",
            log(&dir.join("a.log")),
            log(&dir.join("b.log"))
        )
    };
    // a's check never finishes: a runs at 150 - 100 = 50, so b (100) is master.
    assert!(
        wait_for(12.0, || b.has_addr("eth0", "192.168.10.3")).is_some(),
        "{}",
        show()
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(!a.has_addr("eth0", "192.168.10.3"), "{}", show());
    // Timed-out runs are killed: at most the current one is alive.
    let sleeping = e2e::children_named(da.pid(), "sleep").len();
    assert!(
        sleeping <= 1,
        "{sleeping} hanging checks left running\n{}",
        show()
    );
}

/// virtual_routes: added with the VIPs when the instance becomes master, removed when it
/// stops; a route changed by SIGHUP is replaced.
#[test]
fn virtual_routes_follow_the_master() {
    if !netns_available() {
        return;
    }
    let lan = Lan::new("vv", &[("eth0", "192.168.10.1/24")]);
    let n = &lan.nodes[0];
    let dir = e2e::Scratch::new("vrrpd-routes");
    let cfg = dir.join("keepalived.conf");
    let logf = dir.join("vrrpd.log");
    let with_routes = |routes: &str| {
        conf(150, &["192.168.10.3"], None).replace(
            "  virtual_ipaddress {",
            &format!("  virtual_routes {{\n{routes}  }}\n  virtual_ipaddress {{"),
        )
    };
    std::fs::write(
        &cfg,
        with_routes(
            "    10.20.0.0/16 via 192.168.10.254 dev eth0 metric 7\n    blackhole 10.30.0.0/16\n    src 192.168.10.3 10.40.0.0/16 dev eth0\n",
        ),
    )
    .unwrap();
    let routes = || {
        let out = n.exec("ip", &["route", "show", "table", "all"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let mut d = n.spawn(
        binary("vrrpd").to_str().unwrap(),
        &["-n", "-l", "-f", cfg.to_str().unwrap()],
        &logf,
    );
    assert!(!routes().contains("10.20.0.0/16"), "route before master");
    assert!(
        wait_for(8.0, || n.has_addr("eth0", "192.168.10.3")).is_some(),
        "{}",
        log(&logf)
    );
    assert!(
        wait_for(1.0, || routes().contains("10.40.0.0/16")).is_some(),
        "routes: {}\n{}",
        routes(),
        log(&logf)
    );
    let r = routes();
    assert!(
        r.contains("10.20.0.0/16 via 192.168.10.254 dev eth0 proto static metric 7"),
        "{r}"
    );
    assert!(r.contains("blackhole 10.30.0.0/16"), "{r}");
    assert!(
        r.contains("10.40.0.0/16 dev eth0 proto static scope link src 192.168.10.3"),
        "{r}"
    );

    // SIGHUP with one route gone and one changed.
    std::fs::write(
        &cfg,
        with_routes("    10.20.0.0/16 via 192.168.10.253 dev eth0 metric 7\n"),
    )
    .unwrap();
    d.signal("HUP");
    assert!(
        wait_for(3.0, || !routes().contains("10.30.0.0/16")
            && routes().contains("via 192.168.10.253"))
        .is_some(),
        "routes after reload: {}\n{}",
        routes(),
        log(&logf)
    );
    assert!(!routes().contains("10.40.0.0/16"), "{}", routes());

    // SIGTERM: the routes go with the VIPs.
    d.signal("TERM");
    assert!(d.wait_exit(5.0), "{}", log(&logf));
    assert!(!routes().contains("10.20.0.0/16"), "{}", routes());
}

fn vmac_conf(prio: u16) -> String {
    conf(prio, &["192.168.10.3"], None)
        .replace("  virtual_ipaddress {", "  use_vmac\n  virtual_ipaddress {")
}

/// use_vmac: the VIP lives on a macvlan `vrrp.42` with MAC 00:00:5e:00:01:2a on whichever
/// node is master; a client's neighbour entry for the VIP stays that MAC across a
/// failover and the VIP keeps answering; the peers hear each other (one master).
#[test]
fn use_vmac_keeps_one_mac_across_failover() {
    if !netns_available() {
        return;
    }
    let lan = Lan::new(
        "vm",
        &[
            ("eth0", "192.168.10.1/24"),
            ("eth0", "192.168.10.2/24"),
            ("eth0", "192.168.10.50/24"),
        ],
    );
    let (lb01, lb02, client) = (&lan.nodes[0], &lan.nodes[1], &lan.nodes[2]);
    let dir = e2e::Scratch::new("vrrpd-vmac");
    let vrrpd = binary("vrrpd");
    let mut daemons = Vec::new();
    for (i, (node, prio)) in [(lb01, 150), (lb02, 100)].into_iter().enumerate() {
        let cfg = dir.join(format!("lb{i}.conf"));
        std::fs::write(&cfg, vmac_conf(prio)).unwrap();
        daemons.push(node.spawn(
            vrrpd.to_str().unwrap(),
            &["-n", "-l", "-f", cfg.to_str().unwrap()],
            &dir.join(format!("lb{i}.log")),
        ));
    }
    let show = || {
        format!(
            "lb01:\n{}\nlb02:\n{}",
            log(&dir.join("lb0.log")),
            log(&dir.join("lb1.log"))
        )
    };
    assert!(
        wait_for(8.0, || lb01.has_addr("vrrp.42", "192.168.10.3")).is_some(),
        "{}",
        show()
    );
    let vmac = "00:00:5e:00:01:2a";
    let link = lb01.exec("cat", &["/sys/class/net/vrrp.42/address"]);
    assert_eq!(String::from_utf8_lossy(&link.stdout).trim(), vmac);
    assert!(
        !lb01.has_addr("eth0", "192.168.10.3"),
        "VIP on the base interface"
    );
    // lb02 hears lb01 through its own vrrp.42 and stays backup.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(
        !lb02.has_addr("vrrp.42", "192.168.10.3"),
        "two masters\n{}",
        show()
    );

    client.exec_ok("ping", &["-c", "1", "-W", "1", "192.168.10.3"]);
    assert_eq!(
        neigh(client, "192.168.10.3").as_deref(),
        Some(vmac),
        "lb01 eth0 {} arp_ignore {:?}, lb02 eth0 {}",
        mac_of(lb01),
        lb01.exec("cat", &["/proc/sys/net/ipv4/conf/eth0/arp_ignore"]),
        mac_of(lb02)
    );

    daemons[0].kill();
    assert!(
        wait_for(6.0, || lb02.has_addr("vrrp.42", "192.168.10.3")).is_some(),
        "{}",
        show()
    );
    // The VIP answers from lb02 with the same MAC: the client never re-learns it.
    lb01.exec("ip", &["link", "del", "vrrp.42"]);
    client.exec_ok("ping", &["-c", "1", "-W", "2", "192.168.10.3"]);
    assert_eq!(neigh(client, "192.168.10.3").as_deref(), Some(vmac));

    // SIGTERM removes the macvlan.
    daemons[1].signal("TERM");
    assert!(daemons[1].wait_exit(5.0), "{}", show());
    assert!(
        !lb02
            .exec("ip", &["link", "show", "vrrp.42"])
            .status
            .success(),
        "vrrp.42 left behind"
    );
}

/// Gratuitous ARPs on becoming master: `vrrp_garp_master_repeat` of them, spaced by
/// `vrrp_garp_interval`, from the master's MAC, seen by a client on the LAN.
#[test]
fn garp_bursts_are_spaced_by_vrrp_garp_interval() {
    if !netns_available() {
        return;
    }
    let lan = Lan::new(
        "va",
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.50/24")],
    );
    let (n, client) = (&lan.nodes[0], &lan.nodes[1]);
    let dir = e2e::Scratch::new("vrrpd-garp");
    let cfg = dir.join("keepalived.conf");
    std::fs::write(
        &cfg,
        format!(
            "global_defs {{\n  vrrp_garp_interval 0.2\n  vrrp_garp_master_repeat 4\n}}\n{}",
            conf(255, &["192.168.10.3"], None)
        ),
    )
    .unwrap();
    let logf = dir.join("vrrpd.log");
    let cap = client.capture_garps(3.0);
    let _d = n.spawn(
        binary("vrrpd").to_str().unwrap(),
        &["-n", "-l", "-f", cfg.to_str().unwrap()],
        &logf,
    );
    let seen: Vec<_> = cap
        .join()
        .unwrap()
        .into_iter()
        .filter(|(_, _, ip)| ip == "192.168.10.3")
        .collect();
    assert_eq!(seen.len(), 4, "{seen:?}\n{}", log(&logf));
    assert!(seen.iter().all(|(_, mac, _)| *mac == mac_of(n)), "{seen:?}");
    for w in seen.windows(2) {
        let gap = w[1].0 - w[0].0;
        assert!((0.18..0.5).contains(&gap), "gap {gap:.3} s: {seen:?}");
    }
}

/// The path of vrrpd's SIGUSR1 state dump after asking for it (written aside, then renamed).
fn dump_state(d: &e2e::Daemon, file: &Path) -> String {
    let _ = std::fs::remove_file(file);
    d.signal("USR1");
    wait_for(2.0, || file.exists());
    log(file)
}

/// dont_track_primary (keepalived: "ignore VRRP interface faults"): the instance's own
/// interface going down is not a fault. `a` keeps its VIP and stays MASTER (`b`, no longer
/// hearing it, becomes master too); back up, `a` (150) is the only master again. Without the
/// keyword the same link going down is a fault (link_down_is_fault_and_the_vip_moves).
#[test]
fn dont_track_primary_keeps_master_when_its_link_goes_down() {
    if !netns_available() {
        return;
    }
    let vrrpd = binary("vrrpd");
    let lan = Lan::new(
        "vd",
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.2/24")],
    );
    let (a, b) = (&lan.nodes[0], &lan.nodes[1]);
    let dir = e2e::Scratch::new("vrrpd-dtp");
    let (ca, cb) = (dir.join("a.conf"), dir.join("b.conf"));
    let dump = dir.join("a.json");
    std::fs::write(
        &ca,
        conf(150, &["192.168.10.3"], None)
            .replace("  advert_int 1\n", "  advert_int 1\n  dont_track_primary\n"),
    )
    .unwrap();
    std::fs::write(&cb, conf(100, &["192.168.10.3"], None)).unwrap();
    let da = a.spawn(
        vrrpd.to_str().unwrap(),
        &[
            "-n",
            "-l",
            "-f",
            ca.to_str().unwrap(),
            "--dump-file",
            dump.to_str().unwrap(),
        ],
        &dir.join("a.log"),
    );
    let _db = b.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", cb.to_str().unwrap()],
        &dir.join("b.log"),
    );
    let show = || {
        format!(
            "a:\n{}\nb:\n{}",
            log(&dir.join("a.log")),
            log(&dir.join("b.log"))
        )
    };
    let vip = "192.168.10.3";
    assert!(
        wait_for(8.0, || a.has_addr("eth0", vip)).is_some(),
        "{}",
        show()
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(!b.has_addr("eth0", vip), "{}", show());

    a.exec_ok("ip", &["link", "set", "eth0", "down"]);
    // b stops hearing a and takes over; a, ignoring its link, keeps the VIP and its state.
    assert!(
        wait_for(6.0, || b.has_addr("eth0", vip)).is_some(),
        "b did not take over\n{}",
        show()
    );
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(
        a.has_addr("eth0", vip),
        "a dropped the VIP although it ignores its link\n{}",
        show()
    );
    let state = dump_state(&da, &dump);
    assert!(
        state.contains("\"state\":\"Master\""),
        "{state}\n{}",
        show()
    );
    assert!(!log(&dir.join("a.log")).contains("Fault"), "{}", show());

    // Link back: b hears a's priority 150 and steps down.
    a.exec_ok("ip", &["link", "set", "eth0", "up"]);
    assert!(
        wait_for(4.0, || !b.has_addr("eth0", vip)).is_some(),
        "b kept the VIP after the link came back\n{}",
        show()
    );
    assert!(a.has_addr("eth0", vip), "{}", show());
}

/// -X (keepalived's --release-vips): an instance that is not master releases its VIPs even
/// when this run did not add them. A VIP left on `a` (as a killed vrrpd leaves it) stays
/// there while `b` is master, a duplicate address, unless `a` runs with -X.
#[test]
fn release_vips_removes_leftovers_when_not_master() {
    if !netns_available() {
        return;
    }
    let vrrpd = binary("vrrpd");
    let lan = Lan::new(
        "vx",
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.2/24")],
    );
    let (a, b) = (&lan.nodes[0], &lan.nodes[1]);
    let dir = e2e::Scratch::new("vrrpd-x");
    let (ca, cb) = (dir.join("a.conf"), dir.join("b.conf"));
    std::fs::write(&ca, conf(100, &["192.168.10.3"], None)).unwrap();
    std::fs::write(&cb, conf(200, &["192.168.10.3"], None)).unwrap();
    let vip = "192.168.10.3";
    let _db = b.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", cb.to_str().unwrap()],
        &dir.join("b.log"),
    );
    assert!(wait_for(8.0, || b.has_addr("eth0", vip)).is_some());
    let leftover = || a.exec_ok("ip", &["addr", "add", "192.168.10.3/24", "dev", "eth0"]);

    // Without -X the leftover stays: this run never added it.
    leftover();
    let mut da = a.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", ca.to_str().unwrap()],
        &dir.join("a.log"),
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(
        a.has_addr("eth0", vip),
        "without -X the leftover VIP was removed\n{}",
        log(&dir.join("a.log"))
    );
    da.signal("TERM");
    assert!(da.wait_exit(5.0));
    assert!(
        a.has_addr("eth0", vip),
        "vrrpd removed a VIP it never added"
    );

    // With -X it goes as soon as the instance is BACKUP.
    let _da = a.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-X", "-f", ca.to_str().unwrap()],
        &dir.join("a-x.log"),
    );
    assert!(
        wait_for(3.0, || !a.has_addr("eth0", vip)).is_some(),
        "-X did not release the leftover VIP\n{}",
        log(&dir.join("a-x.log"))
    );
    assert!(b.has_addr("eth0", vip));
}

/// Accept mode as keepalived does it: with `no_accept` the master holds the VIP (and answers
/// ARP for it) but traffic to it is dropped by nftables (table vrrpd), removed at exit; with
/// accept mode (the default) the VIP answers.
#[test]
fn no_accept_drops_traffic_to_the_vip() {
    if !netns_available() {
        return;
    }
    assert!(e2e::have("nft"), "nftables is not installed");
    let vrrpd = binary("vrrpd");
    let lan = Lan::new(
        "vn",
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.9/24")],
    );
    let (a, client) = (&lan.nodes[0], &lan.nodes[1]);
    let dir = e2e::Scratch::new("vrrpd-accept");
    let vip = "192.168.10.3";
    let ping = || {
        client
            .exec("ping", &["-c", "1", "-W", "1", vip])
            .status
            .success()
    };
    for (name, extra, answers) in [("no-accept", "  no_accept\n", false), ("accept", "", true)] {
        let c = dir.join(format!("{name}.conf"));
        std::fs::write(
            &c,
            conf(200, &[vip], None)
                .replace("  advert_int 1\n", &format!("  advert_int 1\n{extra}")),
        )
        .unwrap();
        let l = dir.join(format!("{name}.log"));
        let mut d = a.spawn(
            vrrpd.to_str().unwrap(),
            &["-n", "-l", "-f", c.to_str().unwrap()],
            &l,
        );
        assert!(
            wait_for(8.0, || a.has_addr("eth0", vip)).is_some(),
            "{}",
            log(&l)
        );
        let ruleset =
            String::from_utf8_lossy(&a.exec("nft", &["list", "ruleset"]).stdout).into_owned();
        assert_eq!(ruleset.contains(vip), !answers, "{name}: {ruleset}");
        assert_eq!(
            ping(),
            answers,
            "{name}: ping {vip}\n{ruleset}\n{}",
            log(&l)
        );
        d.signal("TERM");
        assert!(d.wait_exit(5.0));
        let after =
            String::from_utf8_lossy(&a.exec("nft", &["list", "ruleset"]).stdout).into_owned();
        assert!(
            !after.contains("vrrpd"),
            "{name}: table left after exit: {after}"
        );
    }
}

/// static_ipaddress / static_routes / static_rules are set at start and removed at exit;
/// virtual_rules come and go with the VIPs (rules with keepalived's protocol 18).
#[test]
fn static_entries_and_virtual_rules() {
    if !netns_available() {
        return;
    }
    let vrrpd = binary("vrrpd");
    let lan = Lan::new("vs", &[("eth0", "192.168.10.1/24")]);
    let a = &lan.nodes[0];
    let dir = e2e::Scratch::new("vrrpd-static");
    let c = dir.join("a.conf");
    std::fs::write(
        &c,
        "static_ipaddress {\n  10.9.0.1/24 dev eth0\n}\n\
         static_routes {\n  10.8.0.0/16 via 192.168.10.254 dev eth0\n}\n\
         static_rules {\n  from 10.7.0.0/16 table 7 priority 70\n}\n"
            .to_string()
            + &conf(255, &["192.168.10.3"], None).replace(
                "  virtual_ipaddress {",
                "  virtual_rules {\n    from 192.168.10.3 table 100 priority 100\n  }\n  virtual_ipaddress {",
            ),
    )
    .unwrap();
    let l = dir.join("a.log");
    let mut d = a.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", c.to_str().unwrap()],
        &l,
    );
    let rules = || String::from_utf8_lossy(&a.exec("ip", &["rule", "show"]).stdout).into_owned();
    let routes = || String::from_utf8_lossy(&a.exec("ip", &["route", "show"]).stdout).into_owned();
    assert!(
        wait_for(5.0, || a.has_addr("eth0", "192.168.10.3")
            && rules().contains("from 192.168.10.3 lookup 100"))
        .is_some(),
        "{}\n{}",
        rules(),
        log(&l)
    );
    assert!(a.has_addr("eth0", "10.9.0.1"), "{}", log(&l));
    assert!(
        routes().contains("10.8.0.0/16 via 192.168.10.254"),
        "{}",
        routes()
    );
    let r = rules();
    assert!(
        r.contains("70:\tfrom 10.7.0.0/16 lookup 7 proto 18")
            || r.contains("70:\tfrom 10.7.0.0/16 lookup 7"),
        "{r}"
    );
    assert!(r.contains("100:\tfrom 192.168.10.3 lookup 100"), "{r}");
    d.signal("TERM");
    assert!(d.wait_exit(5.0));
    let r = rules();
    assert!(!r.contains("lookup 7") && !r.contains("lookup 100"), "{r}");
    assert!(!a.has_addr("eth0", "10.9.0.1") && !a.has_addr("eth0", "192.168.10.3"));
    assert!(!routes().contains("10.8.0.0/16"), "{}", routes());
}

/// -D logs each instance's settings and every tracker result change; -g writes the log to
/// FILE with `_vrrp` before its last '.', keepalived's name for its VRRP process's file,
/// each line with its time as keepalived writes it.
#[test]
fn log_file_and_detail() {
    if !netns_available() {
        return;
    }
    let vrrpd = binary("vrrpd");
    let lan = Lan::new("vg", &[("eth0", "192.168.10.1/24")]);
    let a = &lan.nodes[0];
    let dir = e2e::Scratch::new("vrrpd-logs");
    let c = dir.join("a.conf");
    std::fs::write(
        &c,
        "global_defs {\n  enable_script_security\n  script_user root\n}\nvrrp_script chk {\n  script \"/bin/true\"\n  interval 1\n}\n"
            .to_string()
            + &conf(150, &["192.168.10.3"], None)
                .replace("  virtual_ipaddress {", "  track_script {\n    chk\n  }\n  virtual_ipaddress {"),
    )
    .unwrap();
    for (flags, detailed) in [(vec!["-D"], true), (vec![], false)] {
        let given = dir.join(format!("ka{}.log", if detailed { "-d" } else { "" }));
        let file = dir.join(format!("ka{}_vrrp.log", if detailed { "-d" } else { "" }));
        let g = format!("-g{}", given.display());
        let mut args = vec!["-n", "-f", c.to_str().unwrap(), g.as_str()];
        args.extend(flags.iter().copied());
        let mut d = a.spawn(vrrpd.to_str().unwrap(), &args, &dir.join("out.log"));
        assert!(
            wait_for(6.0, || log(&file).contains("Backup -> Master")).is_some(),
            "{}: {}",
            file.display(),
            log(&file)
        );
        d.signal("TERM");
        assert!(d.wait_exit(5.0));
        let text = log(&file);
        assert!(!given.exists(), "the log went to {}", given.display());
        let first = text.lines().next().unwrap_or_default();
        // "Wed Dec  2 03:51:55 2026: started, 1 instance(s)"
        let stamp = first.split(": ").next().unwrap_or_default();
        assert_eq!(stamp.split_whitespace().count(), 5, "{first}");
        assert_eq!(text.contains("tracker chk: succeeded"), detailed, "{text}");
        assert_eq!(text.contains("VRID 42 v2 priority 150"), detailed, "{text}");
        assert!(text.contains("stopped"), "{text}");
    }
}
