//! The seed 001 and 002 pairs, with their keepalived.conf files unchanged, each node in its
//! own network and PID (and mount) namespace.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, children_named, netns_available, repo_root, wait_for, Daemon, Lan, Netns};
use std::path::{Path, PathBuf};

fn log(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

struct Node<'a> {
    ns: &'a Netns,
    ifname: &'static str,
    dir: PathBuf,
    conf: PathBuf,
}

impl Node<'_> {
    /// vrrpd in a PID + mount namespace, with a stand-in `haproxy` process and, for seed
    /// 002, the tutorial's check script at /usr/local/bin (bind-mounted, this node only).
    fn start(&self, with_check_script: bool) -> Daemon {
        std::fs::create_dir_all(self.dir.join("bin")).unwrap();
        std::fs::copy("/bin/sleep", self.dir.join("haproxy")).unwrap();
        let mut script = String::new();
        if with_check_script {
            let chk = self.dir.join("bin/haproxy-service-check.sh");
            std::fs::write(
                &chk,
                "#!/bin/sh\nSERVICE=haproxy\nSTATUS=\"$(pidof $SERVICE | wc -w)\"\nif [ $STATUS -eq 0 ]\nthen exit 1\nelse exit 0\nfi\n",
            )
            .unwrap();
            std::process::Command::new("chmod")
                .args(["755", chk.to_str().unwrap()])
                .status()
                .unwrap();
            // Mounted before vrrpd starts (as `A && B & C` would not: A runs in the
            // background beside C): a check script missing at start is dropped for good,
            // by keepalived and vrrpd alike.
            script.push_str(&format!(
                "mount --bind {} /usr/local/bin || exit 1; ",
                self.dir.join("bin").display()
            ));
        }
        script.push_str(&format!(
            "{} 100000 & {} -n -l -f {}",
            self.dir.join("haproxy").display(),
            binary("vrrpd").display(),
            self.conf.display()
        ));
        self.ns
            .spawn_pidns("sh", &["-c", &script], &self.dir.join("vrrpd.log"))
    }

    fn has(&self, vip: &str) -> bool {
        self.ns.has_addr(self.ifname, vip)
    }

    /// SIGTERM to vrrpd itself (the node's shell is PID 1 of the namespace).
    fn term_vrrpd(&self, d: &Daemon) {
        let sh = d.inner_pid().expect("node shell");
        for p in children_named(sh, "vrrpd") {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &p.to_string()])
                .status();
        }
    }

    /// A new stand-in `haproxy` in the node's PID and mount namespaces (it dies with the
    /// node's namespace).
    fn restart_haproxy(&self, d: &Daemon) {
        let sh = d.inner_pid().expect("node shell");
        let status = std::process::Command::new("nsenter")
            .args(["-t", &sh.to_string(), "-p", "-m", "-n", "--", "sh", "-c"])
            .arg(format!(
                "{} 100000 >/dev/null 2>&1 </dev/null &",
                self.dir.join("haproxy").display()
            ))
            .status()
            .unwrap();
        assert!(status.success(), "nsenter");
    }

    fn kill_haproxy(&self, d: &Daemon) {
        let sh = d.inner_pid().expect("node shell");
        for p in children_named(sh, "haproxy") {
            let _ = std::process::Command::new("kill")
                .args(["-9", &p.to_string()])
                .status();
        }
    }
}

/// The two nodes of a seed pair: (interface, directory name, config file) each.
fn pair<'a>(lan: &'a Lan, base: &Path, nodes: [(&'static str, &str, &str); 2]) -> [Node<'a>; 2] {
    let confs = repo_root().join("conf-examples/keepalived");
    let [a, b] = nodes;
    let node = |i: usize, (ifname, dir, conf): (&'static str, &str, &str)| Node {
        ns: &lan.nodes[i],
        ifname,
        dir: base.join(dir),
        conf: confs.join(conf),
    };
    [node(0, a), node(1, b)]
}

/// Both nodes' vrrpd logs, for a failed assertion.
fn logs(a: &Node<'_>, b: &Node<'_>) -> String {
    format!(
        "{}:\n{}\n{}:\n{}",
        a.dir.display(),
        log(&a.dir.join("vrrpd.log")),
        b.dir.display(),
        log(&b.dir.join("vrrpd.log"))
    )
}

#[test]
fn seed002_pair_rise_fall_weight5() {
    if !netns_available() {
        return;
    }
    let vip = "192.168.4.60";
    let lan = Lan::new(
        "s2",
        &[("eth0", "192.168.4.61/24"), ("eth0", "192.168.4.62/24")],
    );
    let base = e2e::Scratch::new("seed002");
    let [lb1, lb2] = pair(
        &lan,
        &base,
        [
            ("eth0", "lb1", "seed002-lb1.conf"),
            ("eth0", "lb2", "seed002-lb2.conf"),
        ],
    );
    let d1 = lb1.start(true);
    let _d2 = lb2.start(true);
    let show = || logs(&lb1, &lb2);
    assert!(wait_for(10.0, || lb1.has(vip)).is_some(), "{}", show());
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(!lb2.has(vip), "both masters\n{}", show());

    // haproxy dies on lb1: two failed checks (fall 2, 2 s apart), 106 -> 101 < 105: moves.
    lb1.kill_haproxy(&d1);
    let t = wait_for(2.0 * 2.0 + 3.0 + 0.62 + 2.0, || lb2.has(vip));
    assert!(
        t.is_some_and(|t| t > 1.9),
        "VIP moved after {t:?} s: fall 2 not respected\n{}",
        show()
    );
    assert!(wait_for(2.0, || !lb1.has(vip)).is_some(), "{}", show());

    // haproxy back on lb1: after rise 2 good checks (2 s apart) lb1 is 106 > 105 again and
    // preempts.
    lb1.restart_haproxy(&d1);
    let t = wait_for(2.0 * 2.0 + 2.0 + 2.0, || lb1.has(vip));
    assert!(
        t.is_some_and(|t| t > 1.5),
        "VIP back after {t:?} s: rise 2 not respected\n{}",
        show()
    );
    assert!(wait_for(2.0, || !lb2.has(vip)).is_some(), "{}", show());

    // SIGKILL of lb1's node (daemon and stand-in): lb2 within 3 x advert_int + skew + 0.5 s.
    drop(d1);
    let bound = 3.0 + (256.0 - 105.0) / 256.0 + 0.5;
    let t = wait_for(bound + 1.5, || lb2.has(vip));
    assert!(
        t.is_some_and(|t| t <= bound),
        "failover took {t:?} s (bound {bound})\n{}",
        show()
    );
    // lb1 comes back (without the VIP the killed daemon left, as after a reboot): preempts.
    lb1.ns
        .exec("ip", &["addr", "del", &format!("{vip}/32"), "dev", "eth0"]);
    let d1 = lb1.start(true);
    assert!(
        wait_for(10.0, || lb1.has(vip)).is_some(),
        "no preempt back\n{}",
        show()
    );
    assert!(wait_for(2.0, || !lb2.has(vip)).is_some(), "{}", show());
    std::thread::sleep(std::time::Duration::from_secs(1));

    // SIGTERM on lb1: priority 0 advert, lb2 takes over within its skew time + 0.5 s.
    lb1.term_vrrpd(&d1);
    let bound = (256.0 - 105.0) / 256.0 + 0.5;
    let t = wait_for(bound + 1.5, || lb2.has(vip));
    assert!(
        t.is_some_and(|t| t <= bound),
        "handover took {t:?} s (bound {bound})\n{}",
        show()
    );
    assert!(
        wait_for(3.0, || !lb1.has(vip)).is_some(),
        "SIGTERM left the VIP"
    );
}

#[test]
fn seed001_pair_pass_auth_failover_and_handover() {
    if !netns_available() {
        return;
    }
    // seed 001's nodes use ens160 and ens192; its check (killall && curl https://localhost)
    // fails on both here (no web server), so the priorities are 101 and 100.
    let vip = "172.30.129.131";
    let lan = Lan::new(
        "s1",
        &[
            ("ens160", "172.30.129.11/24"),
            ("ens192", "172.30.129.12/24"),
        ],
    );
    let base = e2e::Scratch::new("seed001");
    let [m, b] = pair(
        &lan,
        &base,
        [
            ("ens160", "master", "seed001-master.conf"),
            ("ens192", "backup", "seed001-backup.conf"),
        ],
    );
    let mut dm = m.start(false);
    let db = b.start(false);
    let show = || logs(&m, &b);
    assert!(wait_for(10.0, || m.has(vip)).is_some(), "{}", show());
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(
        !b.has(vip),
        "both masters (PASS auth must match)\n{}",
        show()
    );
    dm.kill();
    let bound = 3.0 + (256.0 - 100.0) / 256.0 + 0.5;
    let t = wait_for(bound + 1.0, || b.has(vip));
    assert!(
        t.is_some_and(|t| t <= bound),
        "failover took {t:?}\n{}",
        show()
    );
    m.ns.exec(
        "ip",
        &["addr", "del", &format!("{vip}/32"), "dev", "ens160"],
    );
    let dm = m.start(false);
    assert!(
        wait_for(10.0, || m.has(vip)).is_some(),
        "no preempt back\n{}",
        show()
    );
    assert!(wait_for(2.0, || !b.has(vip)).is_some(), "{}", show());
    m.term_vrrpd(&dm);
    let bound = (256.0 - 100.0) / 256.0 + 0.5;
    let t = wait_for(bound + 1.0, || b.has(vip));
    assert!(
        t.is_some_and(|t| t <= bound),
        "handover took {t:?}\n{}",
        show()
    );
    drop(db);
}

#[test]
fn seed001_tracked_check_moves_the_vip() {
    if !netns_available() {
        return;
    }
    // The tutorial's check passes only where `haproxy` runs and https://localhost answers:
    // each node gets a stand-in haproxy and an `openssl s_server -www` on port 443 (curl -k
    // takes its self-signed certificate). Then master 101 + 2 = 103, backup 100 + 2 = 102.
    let vip = "172.30.129.131";
    let lan = Lan::new(
        "s1c",
        &[
            ("ens160", "172.30.129.11/24"),
            ("ens192", "172.30.129.12/24"),
        ],
    );
    let base = e2e::Scratch::new("seed001c");
    let pem = e2e::make_cert(&base, "localhost");
    let _https: Vec<Daemon> = lan
        .nodes
        .iter()
        .enumerate()
        .map(|(i, ns)| {
            ns.spawn(
                "openssl",
                &[
                    "s_server",
                    "-quiet",
                    "-www",
                    "-accept",
                    "443",
                    "-cert",
                    pem.to_str().unwrap(),
                ],
                &base.join(format!("https{i}.log")),
            )
        })
        .collect();
    let [m, b] = pair(
        &lan,
        &base,
        [
            ("ens160", "master", "seed001-master.conf"),
            ("ens192", "backup", "seed001-backup.conf"),
        ],
    );
    let dm = m.start(false);
    let _db = b.start(false);
    let show = || logs(&m, &b);
    assert!(wait_for(10.0, || m.has(vip)).is_some(), "{}", show());
    // Both checks pass (their weights are in the adverts) and the VIP stays put.
    std::thread::sleep(std::time::Duration::from_secs(5));
    assert!(!b.has(vip), "both masters\n{}", show());
    // haproxy dies on the master: its check fails (interval 2 s, fall 1): 101 < 102.
    m.kill_haproxy(&dm);
    let t = wait_for(2.0 + 1.0 + 3.0, || b.has(vip));
    assert!(t.is_some(), "the VIP did not move\n{}", show());
    assert!(wait_for(2.0, || !m.has(vip)).is_some(), "{}", show());
    // Back: the check passes again, 103 > 102, the master preempts.
    m.restart_haproxy(&dm);
    assert!(
        wait_for(2.0 + 1.0 + 3.0, || m.has(vip)).is_some(),
        "no preempt after the check recovered\n{}",
        show()
    );
    assert!(wait_for(2.0, || !b.has(vip)).is_some(), "{}", show());
}
