//! vrrpd under faults, in network namespaces with seed 000's pair (lb01 master, lb02
//! backup, VIP 192.168.10.3 on `eth0`): the VRRP interface deleted and created again
//! under a running daemon (a NIC hot-plug, a bond or VLAN rebuild), on the backup and on
//! the master. The pair must never have two VIP holders for longer than one advert
//! interval, adverts must flow on the new interface, and the event is logged once.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// End-to-end tests measure real time.
#![allow(clippy::disallowed_methods)]

use e2e::{binary, netns_available, repo_root, wait_for, Lan, Netns};
use std::path::Path;
use std::time::{Duration, Instant};

const VIP: &str = "192.168.10.3";
const ADDRS: [&str; 2] = ["192.168.10.1/24", "192.168.10.2/24"];
/// advert_int of seed 000.
const ADVERT: f64 = 1.0;

fn lan(tag: &str) -> Lan {
    Lan::new(
        tag,
        &[
            ("eth0", ADDRS[0]),
            ("eth0", ADDRS[1]),
            ("eth0", "192.168.10.50/24"),
        ],
    )
}

/// What runs on a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Impl {
    Vrrpd,
    Keepalived,
}

/// lb01 and lb02 with seed 000's configs, each running `kinds[i]` in a PID namespace of its
/// own (keepalived with its own pid files): the seeds' `killall -0 haproxy` check sees no
/// process of the machine or of other tests, the same on both nodes.
fn start_kinds(lan: &Lan, dir: &Path, kinds: [Impl; 2]) -> Vec<e2e::Daemon> {
    let vrrpd = binary("vrrpd");
    let confs = repo_root().join("conf-examples/keepalived");
    ["lb01", "lb02"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let c = confs.join(format!("seed000-{name}.conf"));
            let c = c.to_str().unwrap();
            let log = dir.join(format!("{name}.log"));
            match kinds[i] {
                Impl::Vrrpd => lan.nodes[i].spawn_pidns(
                    vrrpd.to_str().unwrap(),
                    &["-n", "-l", "-D", "-f", c],
                    &log,
                ),
                Impl::Keepalived => {
                    let pid = |n: &str| dir.join(format!("{name}.{n}")).display().to_string();
                    let (a, b, d) = (pid("pid"), pid("vpid"), pid("cpid"));
                    lan.nodes[i].spawn_pidns(
                        "keepalived",
                        &["-n", "-l", "-D", "-f", c, "-p", &a, "-r", &b, "-c", &d],
                        &log,
                    )
                }
            }
        })
        .collect()
}

fn start(lan: &Lan, dir: &Path) -> Vec<e2e::Daemon> {
    start_kinds(lan, dir, [Impl::Vrrpd, Impl::Vrrpd])
}

fn logs(dir: &Path) -> String {
    ["lb01", "lb02"]
        .iter()
        .map(|n| {
            format!(
                "{n}:\n{}",
                std::fs::read_to_string(dir.join(format!("{n}.log"))).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Watch both nodes for `secs`: the longest stretch (seconds) during which both held the
/// VIP, and who held it at the end.
fn watch_holders(lb01: &Netns, lb02: &Netns, secs: f64) -> (f64, [bool; 2]) {
    let t0 = Instant::now();
    let mut both_since: Option<Instant> = None;
    let mut longest = 0.0f64;
    let mut last = [false; 2];
    while t0.elapsed().as_secs_f64() < secs {
        last = [lb01.has_addr("eth0", VIP), lb02.has_addr("eth0", VIP)];
        match (last[0] && last[1], both_since) {
            (true, None) => both_since = Some(Instant::now()),
            (true, Some(t)) => longest = longest.max(t.elapsed().as_secs_f64()),
            (false, _) => both_since = None,
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (longest, last)
}

/// VRRP adverts (IPv4 protocol 112) seen in `ns` for `secs` seconds, as a capture
/// running from now on; `from` counts those sent by `src`.
fn capture_adverts(ns: &Netns, secs: f64) -> std::thread::JoinHandle<Vec<(f64, Vec<u8>)>> {
    fn vrrp(fr: &[u8]) -> bool {
        fr.len() >= 34 && fr[12..14] == [0x08, 0x00] && fr[23] == 112
    }
    ns.capture(secs, vrrp)
}

fn from(frames: &[(f64, Vec<u8>)], src: [u8; 4]) -> usize {
    frames.iter().filter(|(_, fr)| fr[26..30] == src).count()
}

/// VI_1 on eth0 with the VIP, state BACKUP, advert_int 1, at `prio`, with `extra` lines
/// inside the block.
fn instance(prio: u16, extra: &str) -> String {
    format!(
        "vrrp_instance VI_1 {{
    state BACKUP
    interface eth0
    virtual_router_id 1
    priority {prio}
    advert_int 1
    virtual_ipaddress {{
        {VIP}/24
    }}
{extra}}}
"
    )
}

fn count(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

/// Node `which`'s eth0 is deleted and created again under a running pair (lb01 the
/// master, lb02 the backup, running `kinds`): the VIP is never on both nodes for longer
/// than an advert interval, the master ends up holding it (lb01 preempts), adverts flow
/// on the new interface (the backup hears the master stop and takes over at once, and
/// its adverts are seen), and each vrrpd logs the re-creation once.
fn recreated(tag: &str, kinds: [Impl; 2], which: usize) {
    if !netns_available() {
        return;
    }
    if kinds.contains(&Impl::Keepalived) {
        assert!(e2e::have("keepalived"), "keepalived is not installed");
    }
    let lan = lan(tag);
    let (lb01, lb02, client) = (&lan.nodes[0], &lan.nodes[1], &lan.nodes[2]);
    let dir = e2e::Scratch::new(&format!("vrrpd-fault-{tag}"));
    let mut daemons = start_kinds(&lan, &dir, kinds);
    assert!(
        wait_for(10.0, || lb01.has_addr("eth0", VIP)).is_some(),
        "{}",
        logs(&dir)
    );
    std::thread::sleep(Duration::from_secs(2));
    assert!(!lb02.has_addr("eth0", VIP), "{}", logs(&dir));

    if which == 0 {
        // The master's VIP goes with its interface: the backup takes over meanwhile.
        lb01.exec_ok("ip", &["link", "del", "eth0"]);
        assert!(
            wait_for(5.0, || lb02.has_addr("eth0", VIP)).is_some(),
            "the backup did not take over\n{}",
            logs(&dir)
        );
        lan.plug(0, "eth0", ADDRS[0]);
    } else {
        lan.replug(1, "eth0", ADDRS[1]);
    }
    // Longer than a master-down interval (3 x advert + skew), and a preemption.
    let (overlap, holders) = watch_holders(lb01, lb02, 7.0);
    assert!(
        overlap <= ADVERT,
        "two VIP holders for {overlap:.2} s after lb0{}'s eth0 came back\n{}",
        which + 1,
        logs(&dir)
    );
    assert_eq!(holders, [true, false], "{}", logs(&dir));

    // Adverts on the new interfaces: lb01 stops (priority 0 from vrrpd and keepalived
    // alike), lb02 hears it and takes over at once, and its adverts go out.
    let seen = capture_adverts(client, 3.0);
    daemons[0].signal_inner("TERM");
    assert!(
        wait_for(2.0, || lb02.has_addr("eth0", VIP)).is_some(),
        "lb02 did not take over\n{}",
        logs(&dir)
    );
    let sent = from(&seen.join().unwrap(), [192, 168, 10, 2]);
    assert!(sent >= 1, "no advert from lb02\n{}", logs(&dir));
    daemons[0].wait_exit(5.0);
    let text = logs(&dir);
    let own = if which == 0 {
        text.split("lb02:").next().unwrap_or("")
    } else {
        text.split("lb02:").nth(1).unwrap_or("")
    };
    if kinds[which] == Impl::Vrrpd {
        assert_eq!(
            count(own, "eth0 was created again"),
            1,
            "the re-creation is logged once\n{text}"
        );
        assert!(
            count(own, "No such device") <= 2,
            "the dead interface's errors are logged once each\n{text}"
        );
    }
}

#[test]
fn vrrpd_pair_backup_interface_recreated() {
    recreated("fvb", [Impl::Vrrpd, Impl::Vrrpd], 1);
}

#[test]
fn vrrpd_pair_master_interface_recreated() {
    recreated("fvm", [Impl::Vrrpd, Impl::Vrrpd], 0);
}

#[test]
fn keepalived_master_vrrpd_backup_backup_recreated() {
    recreated("fkb", [Impl::Keepalived, Impl::Vrrpd], 1);
}

#[test]
fn keepalived_master_vrrpd_backup_master_recreated() {
    recreated("fkm", [Impl::Keepalived, Impl::Vrrpd], 0);
}

#[test]
fn vrrpd_master_keepalived_backup_backup_recreated() {
    recreated("fvk", [Impl::Vrrpd, Impl::Keepalived], 1);
}

#[test]
fn vrrpd_master_keepalived_backup_master_recreated() {
    recreated("fvq", [Impl::Vrrpd, Impl::Keepalived], 0);
}

/// The backup's link flapped 50 times (down/up): it ends as backup, and the pair never
/// has two VIP holders for longer than an advert interval, during the flaps or after.
#[test]
fn backup_link_flapped_50_times() {
    if !netns_available() {
        return;
    }
    let lan = lan("vff");
    let (lb01, lb02) = (&lan.nodes[0], &lan.nodes[1]);
    let dir = e2e::Scratch::new("vrrpd-fault-flap");
    let _daemons = start(&lan, &dir);
    assert!(
        wait_for(10.0, || lb01.has_addr("eth0", VIP)).is_some(),
        "{}",
        logs(&dir)
    );
    std::thread::sleep(Duration::from_secs(2));
    let flapper = {
        let name = lb02.name.clone();
        std::thread::spawn(move || {
            for _ in 0..50 {
                for state in ["down", "up"] {
                    let _ = std::process::Command::new("ip")
                        .args(["netns", "exec", &name, "ip", "link", "set", "eth0", state])
                        .status();
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        })
    };
    let (overlap, _) = watch_holders(lb01, lb02, 2.0);
    flapper.join().unwrap();
    let (after, holders) = watch_holders(lb01, lb02, 6.0);
    assert!(
        overlap.max(after) <= ADVERT,
        "two VIP holders for {:.2} s\n{}",
        overlap.max(after),
        logs(&dir)
    );
    assert_eq!(holders, [true, false], "{}", logs(&dir));
}

/// Reads every datagram waiting on `rx` (non-blocking) as text.
fn drain(rx: &std::os::unix::net::UnixDatagram) -> String {
    let mut out = String::new();
    let mut buf = [0u8; 4096];
    while let Ok(n) = rx.recv(&mut buf) {
        out.push_str(&String::from_utf8_lossy(&buf[..n]));
        out.push('\n');
    }
    out
}

/// syslog in trouble on the backup lb02, whose /dev/log is a socket of this test (in the
/// node's own mount namespace: /dev there is a tmpfs with null, zero, random and urandom
/// bound in, and `log` a link to the test's socket). The socket stalls (its buffer full),
/// then goes away, then comes back: vrrpd takes over on time meanwhile (its console lines
/// tell), takes the backup role back, and logs to the new socket once it is there.
#[test]
fn syslog_stalled_gone_and_back() {
    use std::os::unix::net::UnixDatagram;
    if !netns_available() {
        return;
    }
    let lan = lan("fsl");
    let (lb01, lb02) = (&lan.nodes[0], &lan.nodes[1]);
    let dir = e2e::Scratch::new("vrrpd-fault-syslog");
    let sock = dir.join("log.sock");
    let rx = UnixDatagram::bind(&sock).unwrap();
    rx.set_nonblocking(true).unwrap();
    let vrrpd = binary("vrrpd");
    let confs = repo_root().join("conf-examples/keepalived");
    let c1 = confs.join("seed000-lb01.conf");
    let c2 = confs.join("seed000-lb02.conf");
    let start_lb01 = |n: usize| {
        lb01.spawn(
            vrrpd.to_str().unwrap(),
            &["-n", "-l", "-D", "-f", c1.to_str().unwrap()],
            &dir.join(format!("lb01-{n}.log")),
        )
    };
    let d = dir.display();
    let script = format!(
        "set -e; mkdir -p {d}/olddev; mount --bind /dev {d}/olddev; mount -t tmpfs tmpfs /dev; \
         for f in null zero random urandom; do touch /dev/$f; mount --bind {d}/olddev/$f /dev/$f; done; \
         ln -s {s} /dev/log; exec {v} -n -l -D -f {c}",
        s = sock.display(),
        v = vrrpd.display(),
        c = c2.display()
    );
    let lb02_log = dir.join("lb02.log");
    let _lb02 = lb02.spawn(
        "unshare",
        &["--mount", "--propagation", "private", "sh", "-c", &script],
        &lb02_log,
    );
    let mut first = start_lb01(0);
    let console = || std::fs::read_to_string(&lb02_log).unwrap_or_default();
    assert!(
        wait_for(10.0, || lb01.has_addr("eth0", VIP)).is_some(),
        "{}",
        console()
    );
    // Working: lb02's lines reach the socket, framed for syslog (daemon facility).
    let mut got = String::new();
    wait_for(5.0, || {
        got.push_str(&drain(&rx));
        got.contains("Entering BACKUP STATE")
    });
    assert!(
        got.lines()
            .any(|l| l.starts_with("<30>vrrpd[") && l.contains("Entering BACKUP STATE")),
        "syslog lines: {got:?}\nconsole:\n{}",
        console()
    );

    // Stalled: the socket's buffer is full and nobody reads it.
    let filler = UnixDatagram::unbound().unwrap();
    filler.set_nonblocking(true).unwrap();
    let mut sent = 0;
    while filler.send_to(&[b'x'; 1024], &sock).is_ok() && sent < 100_000 {
        sent += 1;
    }
    assert!(sent < 100_000, "the socket never filled");
    first.signal("TERM");
    let took = wait_for(3.0, || lb02.has_addr("eth0", VIP));
    assert!(
        took.is_some(),
        "lb02 did not take over with its syslog stalled\n{}",
        console()
    );
    assert!(
        wait_for(2.0, || console().contains("Entering MASTER STATE")).is_some(),
        "{}",
        console()
    );
    first.wait_exit(5.0);

    // Gone: lb01 comes back and preempts; lb02 steps down without a syslog socket.
    drop(rx);
    std::fs::remove_file(&sock).unwrap();
    let mut second = start_lb01(1);
    assert!(
        wait_for(10.0, || !lb02.has_addr("eth0", VIP)
            && lb01.has_addr("eth0", VIP))
        .is_some(),
        "lb02 did not give the VIP back with /dev/log gone\n{}",
        console()
    );

    // Back: a new socket at the same path gets the next lines.
    let rx = UnixDatagram::bind(&sock).unwrap();
    rx.set_nonblocking(true).unwrap();
    second.signal("TERM");
    assert!(
        wait_for(3.0, || lb02.has_addr("eth0", VIP)).is_some(),
        "{}",
        console()
    );
    let mut got = String::new();
    wait_for(3.0, || {
        got.push_str(&drain(&rx));
        got.contains("Entering MASTER STATE")
    });
    assert!(
        got.contains("Entering MASTER STATE"),
        "nothing logged to the re-created /dev/log: {got:?}\nconsole:\n{}",
        console()
    );
    second.wait_exit(5.0);
    let _ = took.map(|t| eprintln!("lb02 took over {t:.2} s after lb01's SIGTERM, syslog stalled"));
}

/// A notify script that hangs: lb01's `notify_master` never ends. lb01 still steps down on
/// time when a higher-priority lb02 appears, and its `notify_backup` still runs (after the
/// 10 s an instance's next script waits for the one before it), with a warning that names
/// the hung script. lb01 runs in its own PID namespace, so the hung script ends with it.
#[test]
fn hanging_notify_script_holds_nothing_back() {
    use std::os::unix::fs::PermissionsExt;
    if !netns_available() {
        return;
    }
    let lan = lan("fnh");
    let (lb01, lb02) = (&lan.nodes[0], &lan.nodes[1]);
    let dir = e2e::Scratch::new("vrrpd-fault-notify");
    let events = dir.join("events");
    let script = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p
    };
    let ev = events.display();
    let hang = script("master.sh", &format!("echo master >> {ev}; exec sleep 600"));
    let backup = script("backup.sh", &format!("echo backup >> {ev}"));
    let conf = instance;
    let (c1, c2) = (dir.join("lb01.conf"), dir.join("lb02.conf"));
    let notify = format!(
        "    notify_master \"{}\"\n    notify_backup \"{}\"\n",
        hang.display(),
        backup.display()
    );
    std::fs::write(&c1, conf(100, &notify)).unwrap();
    std::fs::write(&c2, conf(150, "")).unwrap();
    let vrrpd = binary("vrrpd");
    let log1 = dir.join("lb01.log");
    let _a = lb01.spawn_pidns(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", c1.to_str().unwrap()],
        &log1,
    );
    let text = || std::fs::read_to_string(&log1).unwrap_or_default();
    let lines = || std::fs::read_to_string(&events).unwrap_or_default();
    assert!(
        wait_for(8.0, || lines().contains("master")
            && lb01.has_addr("eth0", VIP))
        .is_some(),
        "lb01 alone did not become master\n{}",
        text()
    );
    let _b = lb02.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", c2.to_str().unwrap()],
        &dir.join("lb02.log"),
    );
    // lb02 preempts after its master-down interval; lb01 steps down at its first advert.
    assert!(
        wait_for(8.0, || lb02.has_addr("eth0", VIP)
            && !lb01.has_addr("eth0", VIP))
        .is_some(),
        "lb01 did not step down while its notify_master hangs\n{}",
        text()
    );
    assert!(
        wait_for(15.0, || lines() == "backup\nmaster\nbackup\n").is_some(),
        "notify_backup did not run after the hung notify_master: {:?}\n{}",
        lines(),
        text()
    );
    assert_eq!(
        count(&text(), "still runs after 10 s"),
        1,
        "the hung script is reported once\n{}",
        text()
    );
}

/// The kernel refuses a netlink request (a virtual route whose gateway is not reachable:
/// ENETUNREACH) when the master takes over: the refusal is logged once, in the kernel's
/// words, and changes nothing else: lb01 stays master with its VIP, adverts keep lb02
/// backup, and the refused route is not retried in a loop.
#[test]
fn netlink_refusal_is_logged_once_and_changes_no_state() {
    if !netns_available() {
        return;
    }
    let lan = lan("fnl");
    let (lb01, lb02) = (&lan.nodes[0], &lan.nodes[1]);
    let dir = e2e::Scratch::new("vrrpd-fault-netlink");
    let conf = instance;
    let (c1, c2) = (dir.join("lb01.conf"), dir.join("lb02.conf"));
    std::fs::write(
        &c1,
        conf(
            150,
            "    virtual_routes {\n        10.99.0.0/24 via 172.31.0.1\n    }\n",
        ),
    )
    .unwrap();
    std::fs::write(&c2, conf(100, "")).unwrap();
    let vrrpd = binary("vrrpd");
    let _a = lb01.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", c1.to_str().unwrap()],
        &dir.join("lb01.log"),
    );
    let _b = lb02.spawn(
        vrrpd.to_str().unwrap(),
        &["-n", "-l", "-f", c2.to_str().unwrap()],
        &dir.join("lb02.log"),
    );
    let log1 = || std::fs::read_to_string(dir.join("lb01.log")).unwrap_or_default();
    assert!(
        wait_for(8.0, || lb01.has_addr("eth0", VIP)).is_some(),
        "lb01 did not take the VIP\n{}",
        logs(&dir)
    );
    let (both, holders) = watch_holders(lb01, lb02, 5.0);
    assert_eq!(both, 0.0, "two holders\n{}", logs(&dir));
    assert_eq!(holders, [true, false], "{}", logs(&dir));
    let text = log1();
    assert_eq!(
        count(&text, "add route 10.99.0.0/24: Network is unreachable"),
        1,
        "{text}"
    );
    assert_eq!(count(&text, "Entering MASTER STATE"), 1, "{text}");
    assert_eq!(
        count(&logs(&dir), "Entering MASTER STATE"),
        1,
        "lb02 became master too\n{}",
        logs(&dir)
    );
}
