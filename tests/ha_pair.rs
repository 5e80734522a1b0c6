//! The whole product on seed 000's topology: lb01 and lb02 each run vrrpd (seed 000's
//! keepalived.conf) and proxyd (seed 000's haproxy.cfg with its port fixed, unchanged
//! otherwise), each node in its own network and PID namespace; two web servers on
//! 192.168.80.1/.2:8080; a client on the LAN. The client reaches the web servers through
//! the VIP 192.168.10.3; lb01 dies; the VIP moves and the client is served by lb02.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, netns_available, repo_root, wait_for, Lan};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;
use std::time::Duration;

const VIP: &str = "192.168.10.3";

/// lb01 and lb02 each in a PID namespace of its own: proxyd on `hconf` in the
/// background (named after its node for `peers` when `named`), vrrpd on seed 000's
/// keepalived.conf in front.
fn start_pair(
    lan: &Lan,
    dir: &std::path::Path,
    hconf: &std::path::Path,
    named: bool,
) -> Vec<e2e::Daemon> {
    let kconf = repo_root().join("conf-examples/keepalived");
    ["lb01", "lb02"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let script = format!(
                "{p} -db {l}-f {h} > {d}/{name}-proxyd.log 2>&1 & exec {v} -n -l -f {k}",
                p = binary("proxyd").display(),
                l = if named {
                    format!("-L {name} ")
                } else {
                    String::new()
                },
                h = hconf.display(),
                d = dir.display(),
                v = binary("vrrpd").display(),
                k = kconf.join(format!("seed000-{name}.conf")).display()
            );
            lan.nodes[i].spawn_pidns(
                "sh",
                &["-c", &script],
                &dir.join(format!("{name}-vrrpd.log")),
            )
        })
        .collect()
}

/// Both nodes' logs, for a failure message.
fn pair_logs(dir: &std::path::Path) -> String {
    ["lb01-vrrpd", "lb01-proxyd", "lb02-vrrpd", "lb02-proxyd"]
        .iter()
        .map(|f| {
            format!(
                "{f}:\n{}\n",
                std::fs::read_to_string(dir.join(format!("{f}.log"))).unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn seed000_pair_serves_the_vip_through_a_failover() {
    if !netns_available() {
        return;
    }
    assert!(
        nix::unistd::User::from_name("haproxy")
            .ok()
            .flatten()
            .is_some(),
        "seed 000 runs as user haproxy: install the haproxy package (tests/run.sh does)"
    );
    let lan = Lan::new(
        "ha",
        &[
            ("eth0", "192.168.10.1/24"),
            ("eth0", "192.168.10.2/24"),
            ("eth0", "192.168.10.50/24"),
            ("eth0", "192.168.80.1/24"),
            ("eth0", "192.168.80.2/24"),
        ],
    );
    let (lb01, lb02, client) = (&lan.nodes[0], &lan.nodes[1], &lan.nodes[2]);
    // The load balancers reach the web subnet over the same wire.
    lb01.exec_ok("ip", &["addr", "add", "192.168.80.11/24", "dev", "eth0"]);
    lb02.exec_ok("ip", &["addr", "add", "192.168.80.12/24", "dev", "eth0"]);
    let stop = Arc::new(AtomicBool::new(false));
    for (k, web) in lan.nodes[3..].iter().enumerate() {
        let l = web.listen_tcp(&format!("192.168.80.{}:8080", k + 1));
        let (st, n) = (stop.clone(), Arc::new(AtomicUsize::new(0)));
        let name = format!("web0{}", k + 1);
        std::thread::spawn(move || e2e::http_responder(l, name, st, n));
    }
    let dir = e2e::Scratch::new("ha-pair");
    let hconf = repo_root().join("conf-examples/haproxy/seed000.runnable.cfg");
    let mut nodes = start_pair(&lan, &dir, &hconf, false);
    let logs = || pair_logs(&dir);
    let ask = |path: &str| -> Option<String> {
        let mut s = client.connect_tcp(&format!("{VIP}:80")).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: www.example.org\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        out.lines().last().map(str::to_string)
    };
    assert!(
        wait_for(10.0, || lb01.has_addr("eth0", VIP)).is_some(),
        "{}",
        logs()
    );
    assert!(
        wait_for(5.0, || ask("/").is_some()).is_some(),
        "no answer through the VIP\n{}",
        logs()
    );
    let mut seen: Vec<String> = (0..4)
        .filter_map(|i| ask(&format!("/p{i}")))
        .map(|l| l.split(' ').next().unwrap_or("").to_string())
        .collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, ["web01", "web02"], "{}", logs());

    // lb01 dies (vrrpd and proxyd with it): lb02 takes the VIP and serves.
    drop(nodes.remove(0));
    // 3 x advert_int + skew + 0.5 s, as in the failover tests.
    let t = wait_for(3.0 + 0.61 + 0.5, || lb02.has_addr("eth0", VIP));
    assert!(t.is_some(), "lb02 did not take the VIP\n{}", logs());
    assert!(
        wait_for(2.0, || ask("/after").is_some_and(|l| l.starts_with("web0"))).is_some(),
        "not served through lb02\n{}",
        logs()
    );
    eprintln!(
        "VIP on lb02 {:.2} s after lb01 died, and served",
        t.unwrap_or(0.0)
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    drop(nodes);
}

/// Seed 000's pair with its web backend's clients stuck to servers (`stick on src`) in a
/// table shared by the two proxyd through `peers`: a client that lb01 sent to web02
/// is sent to web02 by lb02 after the failover (lb02's own round robin would pick web01
/// for a client it never saw).
#[test]
fn seed000_pair_keeps_clients_on_their_servers_through_a_failover() {
    if !netns_available() {
        return;
    }
    let lan = Lan::new(
        "hp",
        &[
            ("eth0", "192.168.10.1/24"),
            ("eth0", "192.168.10.2/24"),
            ("eth0", "192.168.10.50/24"),
            ("eth0", "192.168.80.1/24"),
            ("eth0", "192.168.80.2/24"),
        ],
    );
    let (lb01, lb02, client) = (&lan.nodes[0], &lan.nodes[1], &lan.nodes[2]);
    lb01.exec_ok("ip", &["addr", "add", "192.168.80.11/24", "dev", "eth0"]);
    lb02.exec_ok("ip", &["addr", "add", "192.168.80.12/24", "dev", "eth0"]);
    client.exec_ok("ip", &["addr", "add", "192.168.10.51/24", "dev", "eth0"]);
    let stop = Arc::new(AtomicBool::new(false));
    for (k, web) in lan.nodes[3..].iter().enumerate() {
        let l = web.listen_tcp(&format!("192.168.80.{}:8080", k + 1));
        let (st, n) = (stop.clone(), Arc::new(AtomicUsize::new(0)));
        let name = format!("web0{}", k + 1);
        std::thread::spawn(move || e2e::http_responder(l, name, st, n));
    }
    let dir = e2e::Scratch::new("ha-pair-peers");
    let seed =
        std::fs::read_to_string(repo_root().join("conf-examples/haproxy/seed000.runnable.cfg"))
            .unwrap();
    // The seed with a peers section and a shared table in its web backend.
    let cfg = seed.replace(
        "backend            web-prod-http\n    balance          roundrobin\n",
        "backend            web-prod-http\n    balance          roundrobin\n    stick-table type ip size 10k expire 30m peers lbs\n    stick on src\n",
    ) + "\npeers lbs\n    peer lb01 192.168.10.1:10000\n    peer lb02 192.168.10.2:10000\n";
    assert!(
        cfg.contains("peers lbs\n    stick on src"),
        "the seed changed:\n{cfg}"
    );
    let hconf = dir.join("haproxy.cfg");
    std::fs::write(&hconf, cfg).unwrap();
    let mut nodes = start_pair(&lan, &dir, &hconf, true);
    let logs = || pair_logs(&dir);
    let ask = |src: &str| -> Option<String> {
        let mut s = client.connect_tcp_from(src, &format!("{VIP}:80")).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
        write!(
            s,
            "GET / HTTP/1.1\r\nHost: www.example.org\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        let last = out.lines().last()?.to_string();
        Some(last.split(' ').next().unwrap_or("").to_string())
    };
    assert!(
        wait_for(10.0, || lb01.has_addr("eth0", VIP)).is_some(),
        "{}",
        logs()
    );
    // Both servers up on lb01 (health checks), then .51 takes web01 and .50 web02.
    assert!(
        wait_for(5.0, || ask("192.168.10.51").is_some_and(|w| w == "web01")).is_some(),
        "no answer through the VIP\n{}",
        logs()
    );
    assert_eq!(ask("192.168.10.50").as_deref(), Some("web02"), "{}", logs());
    for _ in 0..3 {
        assert_eq!(
            ask("192.168.10.50").as_deref(),
            Some("web02"),
            "stuck on lb01"
        );
    }
    // The table reaches lb02 over the LAN (well within the 3 s the failover takes).
    std::thread::sleep(Duration::from_millis(500));
    drop(nodes.remove(0));
    let t = wait_for(3.0 + 0.61 + 0.5, || lb02.has_addr("eth0", VIP));
    assert!(t.is_some(), "lb02 did not take the VIP\n{}", logs());
    let after = wait_for(3.0, || ask("192.168.10.50").is_some());
    assert!(after.is_some(), "not served through lb02\n{}", logs());
    for _ in 0..3 {
        assert_eq!(
            ask("192.168.10.50").as_deref(),
            Some("web02"),
            "lb02 did not keep the client on its server\n{}",
            logs()
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    drop(nodes);
}
