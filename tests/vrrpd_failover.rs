//! vrrpd for real: seed 000's two load balancers (lb01, lb02 with `eth0`, VIP 192.168.10.3)
//! in network namespaces on a bridge, running seed 000's keepalived.conf files unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, netns_available, repo_root, wait_for, Lan};
use std::path::Path;

const VIP: &str = "192.168.10.3";
/// 3 x advert_int + skew(99) + 0.5 s, from the issue.
const FAILOVER_BOUND: f64 = 3.0 + (256.0 - 99.0) / 256.0 + 0.5;
/// skew(99) + 0.5 s.
const HANDOVER_BOUND: f64 = (256.0 - 99.0) / 256.0 + 0.5;

fn mac(ns: &e2e::Netns) -> String {
    let out = ns.exec("ip", &["-o", "link", "show", "dev", "eth0"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .iter()
        .position(|w| *w == "link/ether")
        .and_then(|i| words.get(i + 1))
        .map(|s| s.to_string())
        .unwrap_or_default()
}

fn client_mac_of_vip(client: &e2e::Netns) -> Option<String> {
    let out = client.exec("ip", &["neigh", "show", VIP, "dev", "eth0"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .iter()
        .position(|w| *w == "lladdr")
        .and_then(|i| words.get(i + 1))
        .map(|s| s.to_string())
}

/// lb01 and lb02 (nodes 0 and 1 of `lan`), each in its own PID namespace with a stand-in
/// process named `haproxy` beside vrrpd (a copy of sleep), running `confs`.
fn start_with_standins(lan: &Lan, dir: &Path, confs: [&Path; 2]) -> Vec<e2e::Daemon> {
    start_kinds_with_standins(lan, dir, confs, [false, false])
}

/// The same, with keepalived 2.2.7 instead of vrrpd on the nodes where `keepalived[i]`
/// (its own pid files in the node's directory).
fn start_kinds_with_standins(
    lan: &Lan,
    dir: &Path,
    confs: [&Path; 2],
    keepalived: [bool; 2],
) -> Vec<e2e::Daemon> {
    let vrrpd = binary("vrrpd");
    let mut daemons = Vec::new();
    for (i, name) in ["lb01", "lb02"].iter().enumerate() {
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::copy("/bin/sleep", d.join("haproxy")).unwrap();
        let daemon = if keepalived[i] {
            let p = |n: &str| d.join(n).display().to_string();
            format!(
                "keepalived -n -l -D -f {} -p {} -r {} -c {}",
                confs[i].display(),
                p("pid"),
                p("vpid"),
                p("cpid")
            )
        } else {
            format!("{} -n -l -f {}", vrrpd.display(), confs[i].display())
        };
        let script = format!(
            // Not exec: the shell stays the stand-in's parent and reaps it when killed (a
            // zombie would still answer `killall -0`).
            "{h} 100000 & {daemon}",
            h = d.join("haproxy").display(),
        );
        daemons.push(lan.nodes[i].spawn_pidns(
            "sh",
            &["-c", &script],
            &dir.join(format!("{name}.log")),
        ));
    }
    daemons
}

fn pair_logs(dir: &Path) -> String {
    format!(
        "lb01:\n{}\nlb02:\n{}",
        std::fs::read_to_string(dir.join("lb01.log")).unwrap_or_default(),
        std::fs::read_to_string(dir.join("lb02.log")).unwrap_or_default()
    )
}

/// lb01 is master, then its stand-in haproxy dies: the VIP must reach lb02 within `bound`
/// seconds and leave lb01. Returns the time it took.
fn standin_dies_vip_moves(lan: &Lan, daemons: &[e2e::Daemon], dir: &Path, bound: f64) -> f64 {
    let (lb01, lb02) = (&lan.nodes[0], &lan.nodes[1]);
    assert!(
        wait_for(10.0, || lb01.has_addr("eth0", VIP)).is_some(),
        "{}",
        pair_logs(dir)
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(
        !lb02.has_addr("eth0", VIP),
        "both hold the VIP\n{}",
        pair_logs(dir)
    );
    // Only lb01's haproxy: each node sees its own processes.
    let sh = daemons[0].inner_pid().expect("shell of lb01");
    let standins = e2e::children_named(sh, "haproxy");
    assert_eq!(standins.len(), 1, "stand-in of lb01\n{}", pair_logs(dir));
    let _ = std::process::Command::new("kill")
        .args(["-9", &standins[0].to_string()])
        .status();
    let t = wait_for(bound, || lb02.has_addr("eth0", VIP));
    assert!(
        t.is_some(),
        "VIP did not move when haproxy died\n{}",
        pair_logs(dir)
    );
    assert!(
        wait_for(2.0, || !lb01.has_addr("eth0", VIP)).is_some(),
        "lb01 kept the VIP\n{}",
        pair_logs(dir)
    );
    t.unwrap_or(0.0)
}

#[test]
fn seed000_failover_preempt_and_graceful_handover() {
    if !netns_available() {
        return;
    }
    let vrrpd = binary("vrrpd");
    let vrrpd = vrrpd.to_str().unwrap();
    let confs = repo_root().join("conf-examples/keepalived");
    let c1 = confs.join("seed000-lb01.conf");
    let c2 = confs.join("seed000-lb02.conf");
    let lan = Lan::new(
        "vf",
        &[
            ("eth0", "192.168.10.1/24"),
            ("eth0", "192.168.10.2/24"),
            ("eth0", "192.168.10.9/24"),
        ],
    );
    let (lb01, lb02, client) = (&lan.nodes[0], &lan.nodes[1], &lan.nodes[2]);
    let logs = e2e::Scratch::new("vrrpd-e2e");

    let mut d1 = lb01.spawn(
        vrrpd,
        &["-n", "-l", "-f", c1.to_str().unwrap()],
        &logs.join("lb01.log"),
    );
    let mut d2 = lb02.spawn(
        vrrpd,
        &["-n", "-l", "-f", c2.to_str().unwrap()],
        &logs.join("lb02.log"),
    );
    let show = || {
        format!(
            "lb01 log:\n{}\nlb02 log:\n{}",
            std::fs::read_to_string(logs.join("lb01.log")).unwrap_or_default(),
            std::fs::read_to_string(logs.join("lb02.log")).unwrap_or_default()
        )
    };

    // The VIP settles on lb01 (priority 100 > 99) and only there.
    assert!(
        wait_for(10.0, || lb01.has_addr("eth0", VIP)).is_some(),
        "VIP never on lb01\n{}",
        show()
    );
    std::thread::sleep(std::time::Duration::from_millis(2500));
    assert!(
        lb01.has_addr("eth0", VIP) && !lb02.has_addr("eth0", VIP),
        "VIP not on lb01 only\n{}",
        show()
    );

    // A client on the LAN learns the VIP's MAC (lb01's).
    client.exec("ping", &["-c", "1", "-W", "1", VIP]);
    assert_eq!(
        client_mac_of_vip(client).as_deref(),
        Some(mac(lb01).as_str())
    );

    // SIGKILL the master: lb02 takes the VIP within the master-down bound.
    d1.kill();
    let t = wait_for(FAILOVER_BOUND + 1.0, || lb02.has_addr("eth0", VIP));
    assert!(
        t.is_some_and(|t| t <= FAILOVER_BOUND),
        "failover took {t:?} s (bound {FAILOVER_BOUND:.2})\n{}",
        show()
    );
    eprintln!("failover after SIGKILL: {:.3} s", t.unwrap_or(0.0));
    // lb02's gratuitous ARP reached the client: its entry now points at lb02, without
    // the client having asked.
    let lb02_mac = mac(lb02);
    assert!(
        wait_for(1.0, || client_mac_of_vip(client).as_deref()
            == Some(lb02_mac.as_str()))
        .is_some(),
        "no gratuitous ARP from lb02 reached the client: {:?}",
        client_mac_of_vip(client)
    );

    // A killed keepalived leaves its VIP behind too; clean it as an admin would, restart.
    lb01.exec("ip", &["addr", "del", &format!("{VIP}/32"), "dev", "eth0"]);
    let mut d1 = lb01.spawn(
        vrrpd,
        &["-n", "-l", "-f", c1.to_str().unwrap()],
        &logs.join("lb01.log"),
    );
    assert!(
        wait_for(10.0, || lb01.has_addr("eth0", VIP)).is_some(),
        "VIP did not return to lb01\n{}",
        show()
    );
    assert!(
        wait_for(2.0, || !lb02.has_addr("eth0", VIP)).is_some(),
        "lb02 kept the VIP\n{}",
        show()
    );

    // SIGTERM on the master: priority-0 advert, lb02 takes over within the skew time.
    d1.signal("TERM");
    let t = wait_for(HANDOVER_BOUND + 1.0, || lb02.has_addr("eth0", VIP));
    assert!(
        t.is_some_and(|t| t <= HANDOVER_BOUND),
        "handover took {t:?} s (bound {HANDOVER_BOUND:.2})\n{}",
        show()
    );
    eprintln!("handover after SIGTERM: {:.3} s", t.unwrap_or(0.0));
    assert!(d1.wait_exit(3.0), "vrrpd did not exit on SIGTERM");
    assert!(!lb01.has_addr("eth0", VIP), "SIGTERM left the VIP on lb01");

    d2.signal("TERM");
    assert!(d2.wait_exit(3.0));
    assert!(!lb02.has_addr("eth0", VIP), "SIGTERM left the VIP on lb02");
}

/// Seed 000's check (`killall -0 haproxy`, weight 2) with a stand-in process named
/// `haproxy` on each node, each node in its own PID namespace: when haproxy dies on the
/// master, the weights move the VIP (102/101 -> 100 < 101).
#[test]
fn seed000_tracked_check_moves_the_vip() {
    if !netns_available() {
        return;
    }
    assert!(e2e::have("killall"), "psmisc (killall) is not installed");
    let confs = repo_root().join("conf-examples/keepalived");
    let lan = Lan::new(
        "vt",
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.2/24")],
    );
    let dir = e2e::Scratch::new("vrrpd-track");
    let (c1, c2) = (
        confs.join("seed000-lb01.conf"),
        confs.join("seed000-lb02.conf"),
    );
    let daemons = start_with_standins(&lan, &dir, [&c1, &c2]);
    // The next check (2 s interval) fails, lb01 drops to 101, lb02 (102) preempts after
    // its master-down interval.
    let t = standin_dies_vip_moves(&lan, &daemons, &dir, 2.0 + FAILOVER_BOUND + 2.0);
    eprintln!("VIP moved {t:.2} s after haproxy died on the master");
    drop(daemons);
}

/// Split brain: VRRP dropped between the nodes (nftables inside lb02's namespace), both
/// become master; healed, one master again within about one advert interval, and a client
/// on the LAN is pointed back at it by its gratuitous ARPs.
#[test]
fn split_brain_heals_to_one_master() {
    if !netns_available() {
        return;
    }
    assert!(e2e::have("nft"), "nftables is not installed");
    let vrrpd = binary("vrrpd");
    let vrrpd = vrrpd.to_str().unwrap();
    let confs = repo_root().join("conf-examples/keepalived");
    let lan = Lan::new(
        "vb",
        &[
            ("eth0", "192.168.10.1/24"),
            ("eth0", "192.168.10.2/24"),
            ("eth0", "192.168.10.50/24"),
        ],
    );
    let (lb01, lb02, client) = (&lan.nodes[0], &lan.nodes[1], &lan.nodes[2]);
    let logs = e2e::Scratch::new("vrrpd-split");
    let c1 = confs.join("seed000-lb01.conf");
    let c2 = confs.join("seed000-lb02.conf");
    let _d1 = lb01.spawn(
        vrrpd,
        &["-n", "-l", "-f", c1.to_str().unwrap()],
        &logs.join("lb01.log"),
    );
    let _d2 = lb02.spawn(
        vrrpd,
        &["-n", "-l", "-f", c2.to_str().unwrap()],
        &logs.join("lb02.log"),
    );
    assert!(wait_for(10.0, || lb01.has_addr("eth0", VIP)).is_some());
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(!lb02.has_addr("eth0", VIP));
    client.exec("ping", &["-c", "1", "-W", "1", VIP]);
    assert_eq!(client_mac_of_vip(client), Some(mac(lb01)));

    // The LAN's gratuitous ARPs from the split on (both takeovers' and answers' bursts).
    let garps = client.capture_garps(14.0);
    lb02.exec_ok("nft", &["add", "table", "inet", "split"]);
    lb02.exec_ok(
        "nft",
        &["add chain inet split in { type filter hook input priority 0 ; }"],
    );
    lb02.exec_ok(
        "nft",
        &[
            "add", "rule", "inet", "split", "in", "ip", "protocol", "vrrp", "drop",
        ],
    );
    assert!(
        wait_for(6.0, || lb02.has_addr("eth0", VIP)).is_some(),
        "lb02 did not become master while cut off"
    );
    assert!(
        lb01.has_addr("eth0", VIP),
        "lb01 should still be master (split brain)"
    );
    // lb02's takeover announced the VIP with lb02's MAC; lb01, still hearing lb02's
    // lower-priority adverts, answers each with adverts and gratuitous ARPs, so the
    // client's entry flips back within milliseconds (too fast to assert on here).

    lb02.exec_ok("nft", &["delete", "table", "inet", "split"]);
    let t = wait_for(1.0 + 0.5, || !lb02.has_addr("eth0", VIP));
    assert!(
        t.is_some(),
        "split brain did not heal within one advert interval"
    );
    eprintln!(
        "split brain healed {:.2} s after the filter was removed",
        t.unwrap_or(0.0)
    );
    assert!(lb01.has_addr("eth0", VIP));
    // lb01 answered lb02's lower-priority advert with gratuitous ARPs at once and answers
    // again vrrp_garp_lower_prio_delay (5 s) later, as keepalived does. The first answer can
    // reach the client before lb02's own takeover burst (lb02 adverts before adding the VIP
    // and announcing it), so the client's entry is only sure to point at the one master
    // again after the second: it must, without the client asking.
    assert!(
        wait_for(5.0 + 1.5, || client_mac_of_vip(client) == Some(mac(lb01))).is_some(),
        "the client still sends the VIP's traffic to {:?} (lb01 is {}, lb02 {})",
        client_mac_of_vip(client),
        mac(lb01),
        mac(lb02)
    );
    // And the last word on the LAN about the VIP is the master's.
    let seen: Vec<(f64, String, String)> = garps
        .join()
        .unwrap()
        .into_iter()
        .filter(|(_, _, ip)| ip == VIP)
        .collect();
    let last_lb02 = seen.iter().rposition(|(_, m, _)| *m == mac(lb02));
    assert!(
        last_lb02.is_some(),
        "no GARP from lb02's takeover: {seen:?}"
    );
    assert!(
        seen.last().is_some_and(|(_, m, _)| *m == mac(lb01)),
        "the last GARP for the VIP is not lb01's: {seen:?}"
    );
}

/// vrrp_track_process instead of a script: a stand-in `haproxy` on each node (each in its
/// own PID namespace, so each vrrpd sees only its own /proc), weight 2. When lb01's dies,
/// lb01 drops from 103 to 101 and lb02 (102) takes the VIP; no script is forked.
#[test]
fn track_process_moves_the_vip() {
    if !netns_available() {
        return;
    }
    let lan = Lan::new(
        "vp",
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.2/24")],
    );
    let dir = e2e::Scratch::new("vrrpd-proc");
    let conf = |prio: u16| {
        format!(
            "vrrp_track_process track_haproxy {{
    process haproxy
    weight 2
}}
vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 1
    priority {prio}
    advert_int 1
    virtual_ipaddress {{
        {VIP}/24
    }}
    track_process {{
        track_haproxy
    }}
}}
"
        )
    };
    let (c1, c2) = (dir.join("lb01.conf"), dir.join("lb02.conf"));
    std::fs::write(&c1, conf(101)).unwrap();
    std::fs::write(&c2, conf(100)).unwrap();
    let daemons = start_with_standins(&lan, &dir, [&c1, &c2]);
    // Seen within one scan (0.5 s); lb02 preempts after its master-down interval.
    let t = standin_dies_vip_moves(&lan, &daemons, &dir, 0.5 + FAILOVER_BOUND + 1.0);
    assert!(
        pair_logs(&dir).contains("priority 101"),
        "lb01 did not report its lowered priority\n{}",
        pair_logs(&dir)
    );
    eprintln!("VIP moved {t:.2} s after haproxy died on the master (track_process)");
    drop(daemons);
}

/// The opt-in sub-second handover (docs/vrrpd.md): seed 000 with the proxy also watched as a
/// process (conf-examples/keepalived/seed000-tracked-*.conf). When lb01's dies, vrrpd sees
/// it from the pidfd, goes to FAULT and resigns with a priority-0 advert: lb02 takes over
/// after its skew time, not after the script's interval plus the master-down timer (~5 s).
/// Run with a vrrpd backup and with a keepalived 2.2.7 backup that runs seed 000's own
/// config (a node not migrated yet); the figures are in tests/bench/vrrp-failover.
fn tracked_proxy_dies(keepalived_backup: bool) {
    if !netns_available() {
        return;
    }
    if keepalived_backup {
        assert!(e2e::have("keepalived"), "keepalived is not installed");
    }
    let lan = Lan::new(
        if keepalived_backup { "tk" } else { "tv" },
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.2/24")],
    );
    let dir = e2e::Scratch::new("vrrpd-tracked");
    let confs = repo_root().join("conf-examples/keepalived");
    let c1 = confs.join("seed000-tracked-lb01.conf");
    let c2 = if keepalived_backup {
        confs.join("seed000-lb02.conf")
    } else {
        confs.join("seed000-tracked-lb02.conf")
    };
    let daemons = start_kinds_with_standins(&lan, &dir, [&c1, &c2], [false, keepalived_backup]);
    let t = standin_dies_vip_moves(&lan, &daemons, &dir, HANDOVER_BOUND);
    let logs = pair_logs(&dir);
    assert!(
        logs.contains("haproxy_running"),
        "lb01 did not name the process it lost\n{logs}"
    );
    eprintln!(
        "VIP on lb02 {t:.2} s after the tracked haproxy died on lb01 ({} backup)",
        if keepalived_backup {
            "keepalived"
        } else {
            "vrrpd"
        }
    );
    drop(daemons);
}

#[test]
fn tracked_proxy_dies_vrrpd_backup_takes_over_at_once() {
    tracked_proxy_dies(false);
}

#[test]
fn tracked_proxy_dies_keepalived_backup_takes_over_at_once() {
    tracked_proxy_dies(true);
}

/// vrrp_sync_group: two instances on lb01 and lb02 in one group. A fault of VI_2 alone
/// on lb01 (its check fails, weight 0) takes VI_1 with it, so lb02 holds both VIPs; the
/// group's notify script is told (`GROUP G1 FAULT`). Cleared, lb01 takes both back.
#[test]
fn sync_group_moves_together() {
    if !netns_available() {
        return;
    }
    let vrrpd = binary("vrrpd");
    let lan = Lan::new(
        "vg",
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.2/24")],
    );
    let (lb01, lb02) = (&lan.nodes[0], &lan.nodes[1]);
    let dir = e2e::Scratch::new("vrrpd-group");
    let down = dir.join("down");
    let notes = dir.join("group.log");
    let notify = dir.join("notify.sh");
    std::fs::write(
        &notify,
        format!("#!/bin/sh\necho \"$1 $2 $3\" >> {}\n", notes.display()),
    )
    .unwrap();
    std::fs::set_permissions(&notify, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let conf = |prio: u16, check: &str| {
        format!(
            "vrrp_script chk {{
    script \"{check}\"
    interval 1
}}
vrrp_sync_group G1 {{
    group {{
        VI_1
        VI_2
    }}
    notify {n}
}}
vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 1
    priority {prio}
    advert_int 1
    virtual_ipaddress {{
        192.168.10.3/24
    }}
}}
vrrp_instance VI_2 {{
    state BACKUP
    interface eth0
    virtual_router_id 2
    priority {prio}
    advert_int 1
    virtual_ipaddress {{
        192.168.10.4/24
    }}
    track_script {{
        chk
    }}
}}
",
            n = notify.display()
        )
    };
    let c1 = dir.join("lb01.conf");
    let c2 = dir.join("lb02.conf");
    std::fs::write(&c1, conf(150, &format!("test ! -e {}", down.display()))).unwrap();
    std::fs::write(&c2, conf(100, "true")).unwrap();
    let _d1 = lb01.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", c1.to_str().unwrap()],
        &dir.join("lb01.log"),
    );
    let _d2 = lb02.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", c2.to_str().unwrap()],
        &dir.join("lb02.log"),
    );
    let show = || {
        format!(
            "lb01:\n{}\nlb02:\n{}",
            std::fs::read_to_string(dir.join("lb01.log")).unwrap_or_default(),
            std::fs::read_to_string(dir.join("lb02.log")).unwrap_or_default()
        )
    };
    let both =
        |n: &e2e::Netns| n.has_addr("eth0", "192.168.10.3") && n.has_addr("eth0", "192.168.10.4");
    assert!(wait_for(10.0, || both(lb01)).is_some(), "{}", show());
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(!lb02.has_addr("eth0", "192.168.10.3"), "{}", show());

    // VI_2's check fails on lb01: the whole group goes, lb02 takes both VIPs.
    std::fs::write(&down, "").unwrap();
    assert!(
        wait_for(2.0 + 4.11, || both(lb02)).is_some(),
        "lb02 did not take both VIPs\n{}",
        show()
    );
    assert!(
        wait_for(1.0, || !lb01.has_addr("eth0", "192.168.10.3")).is_some(),
        "VI_1 stayed on lb01 although its group is in fault\n{}",
        show()
    );
    let text = std::fs::read_to_string(&notes).unwrap_or_default();
    assert!(text.contains("GROUP G1 FAULT"), "group notify: {text}");

    // Cleared: lb01 (150) preempts with both.
    std::fs::remove_file(&down).unwrap();
    assert!(
        wait_for(2.0 + 4.11, || both(lb01)).is_some(),
        "lb01 did not take the group back\n{}",
        show()
    );
    assert!(
        wait_for(2.0, || !lb02.has_addr("eth0", "192.168.10.3")
            && !lb02.has_addr("eth0", "192.168.10.4"))
        .is_some(),
        "{}",
        show()
    );
}

/// Issue 11 class 5: `script 'killall -0 haproxy'` in single quotes. keepalived splits a
/// single-quoted script line like a double-quoted one (program `killall`, arguments `-0
/// haproxy`); vrrpd used to look for a program named `killall -0 haproxy`, disable the check,
/// and the VIP never moved. Here the check runs: when lb01's stand-in haproxy dies, lb01
/// drops from 102 to 100 and lb02 (101) takes the VIP.
#[test]
fn single_quoted_tracked_script_moves_the_vip() {
    if !netns_available() {
        return;
    }
    assert!(e2e::have("killall"), "psmisc (killall) is not installed");
    let lan = Lan::new(
        "vq",
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.2/24")],
    );
    let dir = e2e::Scratch::new("vrrpd-squote");
    let conf = |prio: u16| {
        format!(
            "vrrp_script chk_haproxy {{
    script 'killall -0 haproxy'
    interval 1
    weight 2
}}
vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 11
    priority {prio}
    advert_int 1
    virtual_ipaddress {{
        {VIP}/24
    }}
    track_script {{
        chk_haproxy
    }}
}}
"
        )
    };
    let (c1, c2) = (dir.join("lb01.conf"), dir.join("lb02.conf"));
    std::fs::write(&c1, conf(100)).unwrap();
    std::fs::write(&c2, conf(99)).unwrap();
    // The script line is read as keepalived reads it: no "not found" for the check.
    let vrrpd = binary("vrrpd");
    let t = lan.nodes[0].exec(vrrpd.to_str().unwrap(), &["-t", "-f", c1.to_str().unwrap()]);
    let t_err = String::from_utf8_lossy(&t.stderr);
    assert!(!t_err.contains("not found"), "{t_err}");
    let daemons = start_with_standins(&lan, &dir, [&c1, &c2]);
    // Seen within a check interval (1 s); lb02 preempts after its master-down interval.
    let t = standin_dies_vip_moves(&lan, &daemons, &dir, 1.0 + FAILOVER_BOUND + 2.0);
    eprintln!("VIP moved {t:.2} s after haproxy died (single-quoted check)");
    drop(daemons);
}
