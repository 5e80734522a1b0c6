//! A mixed pair: keepalived 2.2.7 (apt) on one node, vrrpd on the other, VRRPv2 with PASS
//! authentication and VRRPv3 over IPv4, both ways round: exactly one master, failover both ways, and neither
//! side counting receive errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, have, netns_available, wait_for, Daemon, Lan, Netns};
use std::path::PathBuf;

const VIP: &str = "192.168.10.3";

fn conf(state: &str, prio: u8, v3: bool) -> String {
    let proto = if v3 {
        "  version 3\n".to_string()
    } else {
        "  authentication {\n    auth_type PASS\n    auth_pass secret12\n  }\n".to_string()
    };
    format!(
        "vrrp_instance VI_1 {{\n  state {state}\n  interface eth0\n  virtual_router_id 51\n  priority {prio}\n  advert_int 1\n{proto}  virtual_ipaddress {{\n    {VIP}/24\n  }}\n}}\n"
    )
}

struct Node<'a> {
    ns: &'a Netns,
    keepalived: bool,
    conf: PathBuf,
    dir: PathBuf,
    name: &'static str,
}

impl Node<'_> {
    fn start(&self) -> Daemon {
        let log = self.dir.join(format!("{}.log", self.name));
        let c = self.conf.to_str().unwrap();
        if self.keepalived {
            let p = |n: &str| {
                self.dir
                    .join(format!("{}.{n}", self.name))
                    .display()
                    .to_string()
            };
            let (a, b, d) = (p("pid"), p("vpid"), p("cpid"));
            // A SIGKILLed keepalived leaves its pid files, and then refuses to start.
            for f in [&a, &b, &d] {
                let _ = std::fs::remove_file(f);
            }
            self.ns.spawn_pidns(
                "keepalived",
                &[
                    "-n", "-l", "-D", "-P", "-f", c, "-p", &a, "-r", &b, "-c", &d,
                ],
                &log,
            )
        } else {
            let dump = self
                .dir
                .join(format!("{}.json", self.name))
                .display()
                .to_string();
            let vrrpd = binary("vrrpd");
            self.ns.spawn(
                vrrpd.to_str().unwrap(),
                &["-n", "-l", "-f", c, "--dump-file", &dump],
                &log,
            )
        }
    }

    fn has_vip(&self) -> bool {
        self.ns.has_addr("eth0", VIP)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join(format!("{}.log", self.name))).unwrap_or_default()
    }

    /// vrrpd's own state dump (SIGUSR1).
    fn vrrpd_state(&self, d: &Daemon) -> serde_json::Value {
        let path = self.dir.join(format!("{}.json", self.name));
        let _ = std::fs::remove_file(&path);
        d.signal("USR1");
        // The dump is written while we look: wait until it reads as whole JSON.
        let mut state = None;
        wait_for(3.0, || {
            state = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok());
            state.is_some()
        });
        state.unwrap_or_else(|| panic!("no state dump at {}", path.display()))
    }
}

fn no_receive_errors(n: &Node<'_>, d: Option<&Daemon>) {
    if n.keepalived {
        let log = n.log().to_lowercase();
        for bad in [
            "bogus",
            "invalid",
            "mismatch",
            "wrong",
            "authentication",
            "checksum",
            "ttl",
        ] {
            assert!(!log.contains(bad), "keepalived logged `{bad}`:\n{log}");
        }
    } else if let Some(d) = d {
        let st = n.vrrpd_state(d);
        let c = &st["instances"][0]["counters"];
        let rejected: u64 = e2e::VRRP_REJECTIONS
            .iter()
            .map(|k| c[k].as_u64().unwrap_or(0))
            .sum();
        assert_eq!(rejected, 0, "vrrpd rejected packets: {c}");
        assert!(
            c["received"].as_u64().unwrap_or(0) > 0,
            "vrrpd heard nothing: {c}"
        );
    }
}

/// The VRRP payload of a captured Ethernet frame and its IP-level fields (TOS / traffic
/// class, TTL / hop limit, destination), for IPv4 and IPv6.
fn vrrp_of(f: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    match f.get(12..14)? {
        [0x08, 0x00] => {
            let ip = f.get(14..)?;
            let ihl = usize::from(ip[0] & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
            (ip.get(9) == Some(&112)).then(|| {
                let mut fields = vec![ip[1], ip[8]];
                fields.extend_from_slice(&ip[16..20]);
                (ip[ihl..total.min(ip.len())].to_vec(), fields)
            })
        }
        [0x86, 0xdd] => {
            let ip = f.get(14..)?;
            let len = usize::from(u16::from_be_bytes([ip[4], ip[5]]));
            (ip.get(6) == Some(&112) && ip.len() >= 40).then(|| {
                let mut fields = vec![(ip[0] << 4) | (ip[1] >> 4), ip[7]];
                fields.extend_from_slice(&ip[24..40]);
                (ip[40..(40 + len).min(ip.len())].to_vec(), fields)
            })
        }
        _ => None,
    }
}

fn is_vrrp(f: &[u8]) -> bool {
    vrrp_of(f).is_some()
}

/// The adverts of two masters captured on the LAN, one implementation each, are the same
/// bytes but for the priority and the checksum (whose v3 pseudo-header holds the source),
/// with the same IP-level fields.
fn same_adverts(frames: &[(f64, Vec<u8>)], hi_prio: u8, lo_prio: u8) {
    let from = |prio: u8| {
        frames
            .iter()
            .filter_map(|(_, f)| vrrp_of(f))
            .find(|(v, _)| v.get(2) == Some(&prio))
            .unwrap_or_else(|| panic!("no advert with priority {prio} captured"))
    };
    let ((a, fa), (b, fb)) = (from(hi_prio), from(lo_prio));
    assert_eq!(a.len(), b.len(), "advert lengths: {a:02x?} / {b:02x?}");
    let masked = |v: &[u8]| {
        let mut v = v.to_vec();
        v[2] = 0;
        v[6] = 0;
        v[7] = 0;
        v
    };
    assert_eq!(
        masked(&a),
        masked(&b),
        "adverts differ beyond priority and checksum: {a:02x?} / {b:02x?}"
    );
    assert_eq!(fa, fb, "IP-level fields (TOS, TTL, destination) differ");
    assert_eq!(fa[1], 255, "TTL / hop limit");
}

/// After a failover to `lo`: the preferred node `hi` starts again and preempts, neither
/// side counts receive errors, then `hi` stops gracefully and `lo` takes over within the
/// skew time.
fn preempt_then_hand_over(
    hi: &Node<'_>,
    lo: &Node<'_>,
    dl: Daemon,
    has: &dyn Fn(&Node<'_>) -> bool,
    ctx: &dyn Fn(&str) -> String,
) {
    let dh = hi.start();
    assert!(
        wait_for(10.0, || has(hi)).is_some(),
        "{}",
        ctx("VIP did not come back")
    );
    assert!(
        wait_for(2.0, || !has(lo)).is_some(),
        "{}",
        ctx("backup kept the VIP")
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    no_receive_errors(hi, Some(&dh));
    no_receive_errors(lo, Some(&dl));

    // Graceful stop of the master: priority 0, handover within the skew time.
    if hi.keepalived {
        dh.signal_inner("TERM");
    } else {
        dh.signal("TERM");
    }
    let bound = (256.0 - 100.0) / 256.0 + 0.5;
    let t = wait_for(bound + 1.0, || has(lo));
    assert!(
        t.is_some_and(|t| t <= bound),
        "{}",
        ctx(&format!("handover took {t:?} s"))
    );
    drop(dh);
    drop(dl);
}

fn mixed_pair(keepalived_is_master: bool, v3: bool) {
    if !netns_available() {
        return;
    }
    assert!(have("keepalived"), "keepalived is not installed");
    let lan = Lan::new(
        if keepalived_is_master { "kim" } else { "kib" },
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.2/24")],
    );
    // One directory per test: the v2 and v3 tests run at the same time.
    let dir = e2e::Scratch::new(&format!(
        "interop-{keepalived_is_master}-v{}",
        if v3 { 3 } else { 2 }
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: String| -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    // Node 0 is the preferred master (150), node 1 the backup (100).
    let hi = Node {
        ns: &lan.nodes[0],
        keepalived: keepalived_is_master,
        conf: write("hi.conf", conf("MASTER", 150, v3)),
        dir: dir.to_path_buf(),
        name: "hi",
    };
    let lo = Node {
        ns: &lan.nodes[1],
        keepalived: !keepalived_is_master,
        conf: write("lo.conf", conf("BACKUP", 100, v3)),
        dir: dir.to_path_buf(),
        name: "lo",
    };
    let ctx = |what: &str| format!("{what}\n--- hi:\n{}\n--- lo:\n{}", hi.log(), lo.log());

    let mut dh = hi.start();
    let dl = lo.start();
    assert!(
        wait_for(10.0, || hi.has_vip()).is_some(),
        "{}",
        ctx("VIP never on the preferred node")
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(
        hi.has_vip() && !lo.has_vip(),
        "{}",
        ctx("not exactly one master")
    );
    no_receive_errors(&lo, Some(&dl));

    // Hard failure of the master: the other implementation takes over. The adverts of
    // both, one after the other, are captured on the switch.
    let capture = lan.switch.capture(7.0, is_vrrp);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    dh.kill();
    let bound = 3.0 + (256.0 - 100.0) / 256.0 + 0.5;
    let t = wait_for(bound + 1.0, || lo.has_vip());
    assert!(
        t.is_some_and(|t| t <= bound),
        "{}",
        ctx(&format!("failover took {t:?} s"))
    );
    same_adverts(&capture.join().unwrap(), 150, 100);
    hi.ns
        .exec("ip", &["addr", "del", &format!("{VIP}/24"), "dev", "eth0"]);

    preempt_then_hand_over(&hi, &lo, dl, &|n| n.has_vip(), &ctx);
}

#[test]
fn v2_pass_keepalived_master_vrrpd_backup() {
    mixed_pair(true, false);
}

#[test]
fn v2_pass_vrrpd_master_keepalived_backup() {
    mixed_pair(false, false);
}

#[test]
fn v3_ipv4_keepalived_master_vrrpd_backup() {
    mixed_pair(true, true);
}

#[test]
fn v3_ipv4_vrrpd_master_keepalived_backup() {
    mixed_pair(false, true);
}

const VIP6: &str = "fd10::99";

fn conf6(state: &str, prio: u8) -> String {
    format!(
        "vrrp_instance VI_6 {{\n  state {state}\n  interface eth0\n  virtual_router_id 9\n  priority {prio}\n  advert_int 1\n  virtual_ipaddress {{\n    {VIP6}/64\n  }}\n}}\n"
    )
}

/// Waits until the node's link-local address is usable (duplicate address detection done).
fn link_local_ready(ns: &Netns) -> bool {
    wait_for(10.0, || {
        let out = ns.exec(
            "ip",
            &["-6", "-o", "addr", "show", "dev", "eth0", "scope", "link"],
        );
        let text = String::from_utf8_lossy(&out.stdout);
        text.contains("fe80") && !text.contains("tentative")
    })
    .is_some()
}

/// VRRPv3 over IPv6 (ff02::12, link-local sources), both ways round.
fn mixed_pair_v6(keepalived_is_master: bool) {
    if !netns_available() {
        return;
    }
    assert!(have("keepalived"), "keepalived is not installed");
    let tag = if keepalived_is_master { "k6m" } else { "k6b" };
    let lan = Lan::new(tag, &[("eth0", "fd10::1/64"), ("eth0", "fd10::2/64")]);
    assert!(
        link_local_ready(&lan.nodes[0]) && link_local_ready(&lan.nodes[1]),
        "no link-local address"
    );
    let dir = e2e::Scratch::new(&format!("interop-{tag}"));
    let write = |name: &str, text: String| -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let hi = Node {
        ns: &lan.nodes[0],
        keepalived: keepalived_is_master,
        conf: write("hi.conf", conf6("MASTER", 150)),
        dir: dir.to_path_buf(),
        name: "hi",
    };
    let lo = Node {
        ns: &lan.nodes[1],
        keepalived: !keepalived_is_master,
        conf: write("lo.conf", conf6("BACKUP", 100)),
        dir: dir.to_path_buf(),
        name: "lo",
    };
    let has = |n: &Node<'_>| n.ns.has_addr("eth0", VIP6);
    let ctx = |what: &str| format!("{what}\n--- hi:\n{}\n--- lo:\n{}", hi.log(), lo.log());
    let mut dh = hi.start();
    let dl = lo.start();
    assert!(
        wait_for(10.0, || has(&hi)).is_some(),
        "{}",
        ctx("IPv6 VIP never on the preferred node")
    );
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(
        has(&hi) && !has(&lo),
        "{}",
        ctx("not exactly one master (IPv6)")
    );
    no_receive_errors(&lo, Some(&dl));
    let capture = lan.switch.capture(7.0, is_vrrp);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    dh.kill();
    let bound = 3.0 + (256.0 - 100.0) / 256.0 + 0.5;
    let t = wait_for(bound + 1.0, || has(&lo));
    assert!(
        t.is_some_and(|t| t <= bound),
        "{}",
        ctx(&format!("IPv6 failover took {t:?} s"))
    );
    same_adverts(&capture.join().unwrap(), 150, 100);
    hi.ns
        .exec("ip", &["addr", "del", &format!("{VIP6}/64"), "dev", "eth0"]);

    preempt_then_hand_over(&hi, &lo, dl, &has, &ctx);
}

#[test]
fn v3_ipv6_keepalived_master_vrrpd_backup() {
    mixed_pair_v6(true);
}

#[test]
fn v3_ipv6_vrrpd_master_keepalived_backup() {
    mixed_pair_v6(false);
}
