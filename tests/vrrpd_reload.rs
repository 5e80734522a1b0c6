//! vrrpd's SIGHUP reload (same config: the VIP never disappears; broken config: the old one
//! keeps running; VIP added/removed: applied) and unicast mode.
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
