//! A hostile LAN: a forger in the client namespace sends 1000 bad VRRP packets a second at
//! seed 000's vrrpd pair (lb01 master, lb02 backup): random bytes, truncated, wrong
//! checksum, wrong TTL, wrong VRID, wrong auth, VRRPv3 to a v2 instance, oversized, wrong
//! interval, and higher-priority-but-invalid ones. Neither node changes state, the backup's
//! counters show exactly what was sent, and vrrpd stays under 5 % of a core.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// End-to-end tests measure real time.
#![allow(clippy::disallowed_methods)]

use e2e::{binary_of, netns_available, repo_root, wait_for, Lan};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

const VIP: &str = "192.168.10.3";
const FORGER: Ipv4Addr = Ipv4Addr::new(192, 168, 10, 66);
const GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);
/// How long the forger sends, and how fast.
const SECONDS: u64 = 60;
const PER_SECOND: u64 = 1000;

fn checksum(b: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in b.chunks(2) {
        s += u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0));
    }
    while s >> 16 != 0 {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

/// A VRRPv2 advert for VRID `vrid` (seed 000: VRID 1, no authentication, 1 s).
fn advert(vrid: u8, prio: u8, vips: &[[u8; 4]], auth: u8, interval: u8) -> Vec<u8> {
    let mut b = vec![0x21, vrid, prio, vips.len() as u8, auth, interval, 0, 0];
    for v in vips {
        b.extend_from_slice(v);
    }
    b.extend_from_slice(&[0; 8]);
    let sum = checksum(&b);
    b[6..8].copy_from_slice(&sum.to_be_bytes());
    b
}

/// An IPv4 datagram carrying `payload` as protocol 112 to the VRRP group.
fn datagram(payload: &[u8], ttl: u8, id: u16) -> Vec<u8> {
    let len = (20 + payload.len()) as u16;
    let mut h = vec![0x45, 0xc0];
    h.extend_from_slice(&len.to_be_bytes());
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&[0, 0, ttl, 112, 0, 0]);
    h.extend_from_slice(&FORGER.octets());
    h.extend_from_slice(&GROUP.octets());
    let sum = checksum(&h);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    h.extend_from_slice(payload);
    h
}

/// The kinds of bad packets, each with the counter of the backup that must count it
/// (None: the daemon sets it aside before the engine, or it may count anywhere).
const KINDS: &[(&str, Option<&str>)] = &[
    ("random", None),
    ("truncated", Some("too_short")),
    ("bad-checksum-prio-254", Some("bad_checksum")),
    ("ttl-64-prio-254", Some("bad_ttl")),
    ("wrong-vrid", None),
    ("wrong-auth", Some("auth_type_mismatch")),
    ("v3-to-v2", Some("bad_version")),
    ("not-an-advert", Some("bad_type")),
    ("oversized", Some("length_mismatch")),
    ("interval-3s-prio-254", Some("interval_mismatch")),
];

/// Packet `n` of kind `k` (a small xorshift gives the random ones).
fn forge(k: usize, n: u64, rng: &mut u64) -> (Vec<u8>, u8) {
    let vip = [[192, 168, 10, 3]];
    let mut next = || {
        *rng ^= *rng << 13;
        *rng ^= *rng >> 7;
        *rng ^= *rng << 17;
        *rng
    };
    match KINDS[k].0 {
        "random" => {
            let len = 2 + (next() % 60) as usize;
            let mut b: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            b[1] = 1; // seed 000's VRID: it reaches the instance
            if b[0] == 0x21 {
                b[0] = 0x22;
            }
            (b, 255)
        }
        "truncated" => (advert(1, 254, &vip, 0, 1)[..4].to_vec(), 255),
        "bad-checksum-prio-254" => {
            let mut b = advert(1, 254, &vip, 0, 1);
            b[7] ^= 0x5a;
            (b, 255)
        }
        "ttl-64-prio-254" => (advert(1, 254, &vip, 0, 1), 64),
        "wrong-vrid" => (advert(99, 254, &vip, 0, 1), 255),
        "wrong-auth" => (advert(1, 254, &vip, 7, 1), 255),
        "v3-to-v2" => {
            let mut b = vec![0x31, 1, 254, 1, 0, 100, 0, 0, 192, 168, 10, 3];
            let sum = checksum(&b);
            b[6..8].copy_from_slice(&sum.to_be_bytes());
            (b, 255)
        }
        "not-an-advert" => {
            let mut b = advert(1, 254, &vip, 0, 1);
            b[0] = 0x22;
            b[6..8].copy_from_slice(&[0, 0]);
            let sum = checksum(&b);
            b[6..8].copy_from_slice(&sum.to_be_bytes());
            (b, 255)
        }
        "oversized" => {
            let mut b = advert(1, 254, &vip, 0, 1);
            b.resize(1200, (n % 251) as u8);
            (b, 255)
        }
        "interval-3s-prio-254" => (advert(1, 254, &vip, 0, 3), 255),
        _ => unreachable!(),
    }
}

/// Send for `secs` at `rate` packets a second from inside namespace `ns`, kinds in turn;
/// returns how many of each kind went out.
fn forger(ns: String, secs: u64, rate: u64) -> std::thread::JoinHandle<Vec<u64>> {
    std::thread::spawn(move || {
        use nix::sys::socket::{
            sendto, socket, AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType, SockaddrIn,
        };
        let f = std::fs::File::open(format!("/var/run/netns/{ns}")).expect("open netns");
        nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
        let fd = socket(
            AddressFamily::Inet,
            SockType::Raw,
            SockFlag::empty(),
            SockProtocol::Raw,
        )
        .expect("raw socket");
        let to = SockaddrIn::from(std::net::SocketAddrV4::new(GROUP, 0));
        let mut sent = vec![0u64; KINDS.len()];
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let t0 = Instant::now();
        let total = secs * rate;
        for n in 0..total {
            // Bounded in time too: a flood (a rate above what the host can send) stops
            // after `secs` all the same.
            if t0.elapsed().as_secs() >= secs {
                break;
            }
            // Paced: packet n leaves at n / rate seconds.
            let due = Duration::from_micros(n * 1_000_000 / rate);
            if let Some(wait) = due.checked_sub(t0.elapsed()) {
                std::thread::sleep(wait);
            }
            let k = (n % KINDS.len() as u64) as usize;
            let (payload, ttl) = forge(k, n, &mut rng);
            let d = datagram(&payload, ttl, n as u16);
            if sendto(
                std::os::fd::AsRawFd::as_raw_fd(&fd),
                &d,
                &to,
                MsgFlags::empty(),
            )
            .is_ok()
            {
                sent[k] += 1;
            }
        }
        sent
    })
}

/// The backup's counters (vrrpd's SIGUSR1 dump).
fn counters(d: &e2e::Daemon, dump: &std::path::Path) -> BTreeMap<String, u64> {
    let _ = std::fs::remove_file(dump);
    d.signal("USR1");
    let mut out = None;
    wait_for(3.0, || {
        out = std::fs::read_to_string(dump)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
        out.is_some()
    });
    let v = out.expect("state dump");
    v["instances"][0]["counters"]
        .as_object()
        .expect("counters")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
        .collect()
}

/// CPU seconds (user + system) a process has used.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which ends with ')'): utime is the 12th, stime 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0)
        + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0);
    ticks as f64 / 100.0
}

/// Seed 000's vrrpd pair (release build: CPU is measured on the build that ships) and a
/// forger's namespace on one LAN, settled: lb01 master, lb02 backup. Each vrrpd dumps its
/// state to `NAME.json` on SIGUSR1.
struct Pair {
    lan: Lan,
    dir: e2e::Scratch,
    daemons: Vec<e2e::Daemon>,
}

impl Pair {
    fn start(tag: &str, scratch: &str) -> Pair {
        let lan = Lan::new(
            tag,
            &[
                ("eth0", "192.168.10.1/24"),
                ("eth0", "192.168.10.2/24"),
                ("eth0", "192.168.10.66/24"),
            ],
        );
        lan.nodes[2].exec_ok("ip", &["route", "add", "224.0.0.0/4", "dev", "eth0"]);
        let dir = e2e::Scratch::new(scratch);
        let vrrpd = binary_of("release", "vrrpd");
        let confs = repo_root().join("conf-examples/keepalived");
        let mut daemons = Vec::new();
        for (i, name) in ["lb01", "lb02"].iter().enumerate() {
            let c = confs.join(format!("seed000-{name}.conf"));
            let dump = dir.join(format!("{name}.json"));
            daemons.push(lan.nodes[i].spawn(
                vrrpd.to_str().unwrap(),
                &[
                    "-n",
                    "-l",
                    "-f",
                    c.to_str().unwrap(),
                    "--dump-file",
                    dump.to_str().unwrap(),
                ],
                &dir.join(format!("{name}.log")),
            ));
        }
        let p = Pair { lan, dir, daemons };
        assert!(
            wait_for(10.0, || p.lan.nodes[0].has_addr("eth0", VIP)).is_some(),
            "{}",
            p.logs()
        );
        std::thread::sleep(Duration::from_secs(2));
        assert!(!p.lan.nodes[1].has_addr("eth0", VIP), "{}", p.logs());
        p
    }

    fn logs(&self) -> String {
        format!(
            "lb01:\n{}\nlb02:\n{}",
            std::fs::read_to_string(self.dir.join("lb01.log")).unwrap_or_default(),
            std::fs::read_to_string(self.dir.join("lb02.log")).unwrap_or_default()
        )
    }
}

#[test]
fn forged_adverts_change_nothing() {
    if !netns_available() {
        return;
    }
    let pair = Pair::start("vh", "vrrpd-hostile");
    let (lb01, lb02, forger_ns) = (&pair.lan.nodes[0], &pair.lan.nodes[1], &pair.lan.nodes[2]);
    let (dir, daemons) = (&pair.dir, &pair.daemons);
    let logs = || pair.logs();
    let dump = dir.join("lb02.json");
    let before = counters(&daemons[1], &dump);
    let lines_before = logs().lines().count();
    let cpu_before = [cpu_seconds(daemons[0].pid()), cpu_seconds(daemons[1].pid())];
    let t0 = Instant::now();
    let sending = forger(forger_ns.name.clone(), SECONDS, PER_SECOND);
    // Neither node moves while the forger sends.
    while !sending.is_finished() {
        assert!(
            lb01.has_addr("eth0", VIP) && !lb02.has_addr("eth0", VIP),
            "a node changed state under forged adverts\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let sent = sending.join().unwrap();
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu: Vec<f64> = (0..2)
        .map(|i| (cpu_seconds(daemons[i].pid()) - cpu_before[i]) / elapsed * 100.0)
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let after = counters(&daemons[1], &dump);
    let delta = |k: &str| after.get(k).unwrap_or(&0) - before.get(k).unwrap_or(&0);
    let total: u64 = sent.iter().sum();
    eprintln!(
        "forged {total} packets in {elapsed:.1} s; vrrpd CPU: lb01 {:.2} %, lb02 {:.2} %",
        cpu[0], cpu[1]
    );
    assert!(
        total >= SECONDS * PER_SECOND * 99 / 100,
        "the forger sent only {total}"
    );
    // Each kind is counted where it belongs (random bytes may land on any counter, so
    // those counters may hold more), and every forged packet for VRID 1 exactly once.
    for (k, (kind, counter)) in KINDS.iter().enumerate() {
        if let Some(c) = counter {
            assert!(
                delta(c) >= sent[k],
                "{kind}: counter {c} is {} for {} sent (before {before:?} after {after:?})",
                delta(c),
                sent[k]
            );
        }
    }
    // Dropped for another address list counts too (keepalived drops those as well).
    let rejected: u64 = e2e::VRRP_REJECTIONS
        .iter()
        .chain(&["address_list_differs"])
        .map(|k| delta(k))
        .sum();
    let for_vrid1 = total - sent[4];
    assert_eq!(
        rejected, for_vrid1,
        "rejections vs forged packets for VRID 1 (before {before:?} after {after:?})"
    );
    // The packets for another VRID never reach the instance; the master's own adverts
    // are the only ones it took in.
    assert!(
        delta("received") <= elapsed.ceil() as u64 + 2,
        "the backup took in {} adverts in {elapsed:.0} s",
        delta("received")
    );
    for (i, c) in cpu.iter().enumerate() {
        assert!(*c < 5.0, "lb0{} used {c:.2} % of a core", i + 1);
    }
    // A forged packet is counted, not logged: the logs did not grow with the flood.
    let grown = logs().lines().count() - lines_before;
    assert!(grown < 20, "{grown} log lines during the flood\n{}", logs());
}

/// A flood: the forger sends as fast as it can for 8 s (every kind in turn, 1200-byte ones
/// among them), far more than the VRRP socket's receive buffer holds. The master's real
/// adverts must still get through often enough: neither node changes state during the
/// flood or after it, and the backup still hears the master (its master-down timer never
/// runs out).
#[test]
fn flooded_receive_buffer_changes_nothing() {
    if !netns_available() {
        return;
    }
    let pair = Pair::start("vf", "vrrpd-flood");
    let (lb01, lb02, forger_ns) = (&pair.lan.nodes[0], &pair.lan.nodes[1], &pair.lan.nodes[2]);
    let (dir, daemons) = (&pair.dir, &pair.daemons);
    let logs = || pair.logs();
    let dump = dir.join("lb02.json");
    let before = counters(&daemons[1], &dump);
    let cpu_before = [cpu_seconds(daemons[0].pid()), cpu_seconds(daemons[1].pid())];
    let t0 = Instant::now();
    let sending = forger(forger_ns.name.clone(), 8, 10_000_000);
    while !sending.is_finished() {
        assert!(
            lb01.has_addr("eth0", VIP) && !lb02.has_addr("eth0", VIP),
            "a node changed state in the flood\n{}",
            logs()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let total: u64 = sending.join().unwrap().iter().sum();
    let elapsed = t0.elapsed().as_secs_f64();
    let cpu: Vec<f64> = (0..2)
        .map(|i| (cpu_seconds(daemons[i].pid()) - cpu_before[i]) / elapsed * 100.0)
        .collect();
    // After it, still one master, heard by the backup.
    let (mut ok, t1) = (true, Instant::now());
    while t1.elapsed() < Duration::from_secs(4) {
        ok &= lb01.has_addr("eth0", VIP) && !lb02.has_addr("eth0", VIP);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(ok, "a node changed state after the flood\n{}", logs());
    let after = counters(&daemons[1], &dump);
    let heard = after.get("received").unwrap_or(&0) - before.get("received").unwrap_or(&0);
    eprintln!(
        "flood: {total} packets in {elapsed:.1} s ({:.0}/s); the backup took in {heard} adverts; vrrpd CPU lb01 {:.0} %, lb02 {:.0} %",
        total as f64 / elapsed,
        cpu[0],
        cpu[1]
    );
    assert!(
        total > 8 * 20_000,
        "not a flood: {total} packets in {elapsed:.1} s"
    );
    assert!(
        heard + 2 >= (elapsed + 4.0) as u64,
        "the backup heard only {heard} of the master's adverts in {:.0} s",
        elapsed + 4.0
    );
}
