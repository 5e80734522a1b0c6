//! proxyd running seed configurations unchanged, in network namespaces with the seeds'
//! addresses: seed 001 (as pasted, daemon, servers unresolvable), seed 002 (tcp mode,
//! four workers on :80 and :443, ssl-hello-chk), seed 003.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, netns_available, repo_root, wait_for, Lan};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Serve on `l` until `stop`: after reading the request (to the client's FIN), answer
/// `name`; with `tls`, first answer whatever arrives with a TLS handshake record header,
/// which is all `ssl-hello-chk` looks at.
fn serve(l: TcpListener, name: String, tls: bool, stop: Arc<AtomicBool>) {
    l.set_nonblocking(true).unwrap();
    while !stop.load(Ordering::Relaxed) {
        let Ok((mut s, _)) = l.accept() else {
            std::thread::sleep(Duration::from_millis(5));
            continue;
        };
        s.set_nonblocking(false).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        let mut buf = [0u8; 4096];
        if tls {
            if let Ok(n) = s.read(&mut buf) {
                if n > 0 && buf[0] == 0x16 {
                    let _ = s.write_all(&[0x16, 0x03, 0x03, 0x00, 0x00]);
                    continue;
                }
            }
        }
        let mut got = Vec::new();
        if s.read_to_end(&mut got).is_ok() && !got.is_empty() {
            let _ = s.write_all(name.as_bytes());
        }
    }
}

#[test]
fn seed002_tcp_balancing_and_checks() {
    if !netns_available() {
        return;
    }
    let mut nodes = vec![("eth0", "192.168.4.61/24".to_string())];
    for i in 66..=69 {
        nodes.push(("eth0", format!("192.168.4.{i}/24")));
    }
    let spec: Vec<(&str, &str)> = nodes.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let lan = Lan::new("p2", &spec);
    let lb = &lan.nodes[0];
    let mut stops = Vec::new();
    let mut threads = Vec::new();
    for (k, w) in lan.nodes[1..].iter().enumerate() {
        let ip = format!("192.168.4.{}", 66 + k);
        for (port, tls) in [(80, false), (443, true)] {
            let l = w.listen_tcp(&format!("{ip}:{port}"));
            let stop = Arc::new(AtomicBool::new(false));
            stops.push(((k, port), stop.clone()));
            let name = format!("worker{}", k + 1);
            threads.push(std::thread::spawn(move || serve(l, name, tls, stop)));
        }
    }
    let dir = e2e::Scratch::new("proxyd-seed002");
    let logf = dir.join("proxyd.log");
    let cfg = repo_root().join("conf-examples/haproxy/seed002.cfg");
    let _p = lb.spawn(
        binary("proxyd").to_str().unwrap(),
        &["-db", "-f", cfg.to_str().unwrap()],
        &logf,
    );
    let log = || std::fs::read_to_string(&logf).unwrap_or_default();
    let ask = || -> Option<String> {
        let mut s = lb.connect_tcp("127.0.0.1:80").ok()?;
        s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
        s.write_all(b"GET / HTTP/1.0\r\n\r\n").ok()?;
        s.shutdown(Shutdown::Write).ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        Some(out)
    };
    assert!(
        wait_for(5.0, || lb.connect_tcp("127.0.0.1:443").is_ok()).is_some(),
        "proxyd does not listen\n{}",
        log()
    );
    std::thread::sleep(Duration::from_millis(300));
    let mut got: Vec<String> = (0..4).filter_map(|_| ask()).collect();
    got.sort();
    assert_eq!(
        got,
        ["worker1", "worker2", "worker3", "worker4"],
        "{}",
        log()
    );

    // worker2's :80 dies: DOWN after fall 3 x inter 2 s; then nothing goes to it.
    for ((k, port), stop) in &stops {
        if *k == 1 && *port == 80 {
            stop.store(true, Ordering::Relaxed);
        }
    }
    assert!(
        wait_for(3.0 * 2.0 + 2.0 + 1.0, || log()
            .contains("Server http_back/worker2 is DOWN"))
        .is_some(),
        "{}",
        log()
    );
    let got: Vec<String> = (0..6).filter_map(|_| ask()).collect();
    assert_eq!(got.len(), 6, "{}", log());
    assert!(!got.iter().any(|g| g == "worker2"), "{got:?}");
    // The :443 side was never in doubt: no ssl-hello-chk failure was logged.
    assert!(!log().contains("https_back/"), "{}", log());
    for (_, s) in &stops {
        s.store(true, Ordering::Relaxed);
    }
    for t in threads {
        let _ = t.join();
    }
}

/// Seed 003 (HTTP, forwardfor except 127.0.0.0/8, http-server-close, chroot, user
/// haproxy), its placeholders filled: three web servers balanced; a LAN client's address
/// is forwarded, a local client's is not.
#[test]
fn seed003_http_balancing_and_forwardfor() {
    if !netns_available() {
        return;
    }
    let lan = Lan::new(
        "p3",
        &[
            ("eth0", "192.168.122.2/24"),
            ("eth0", "192.168.122.50/24"),
            ("eth0", "192.168.122.11/24"),
            ("eth0", "192.168.122.12/24"),
            ("eth0", "192.168.122.13/24"),
        ],
    );
    let (lb, client) = (&lan.nodes[0], &lan.nodes[1]);
    let stop = Arc::new(AtomicBool::new(false));
    for (k, web) in lan.nodes[2..].iter().enumerate() {
        let l = web.listen_tcp(&format!("192.168.122.{}:80", 11 + k));
        let (st, n) = (
            stop.clone(),
            Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        );
        let name = format!("web{}", k + 1);
        std::thread::spawn(move || e2e::http_responder(l, name, st, n));
    }
    let dir = e2e::Scratch::new("proxyd-seed003");
    let logf = dir.join("proxyd.log");
    let cfg = repo_root().join("conf-examples/haproxy/seed003.runnable.cfg");
    let p = lb.spawn(
        binary("proxyd").to_str().unwrap(),
        &["-db", "-f", cfg.to_str().unwrap()],
        &logf,
    );
    let log = || std::fs::read_to_string(&logf).unwrap_or_default();
    let ask = |from: &e2e::Netns, addr: &str| -> Option<String> {
        let mut s = from.connect_tcp(addr).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
        s.write_all(b"GET /x HTTP/1.1\r\nHost: www\r\nConnection: close\r\n\r\n")
            .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        out.lines().last().map(str::to_string)
    };
    assert!(
        wait_for(5.0, || ask(lb, "127.0.0.1:80").is_some()).is_some(),
        "{}",
        log()
    );
    let mut names: Vec<String> = (0..6)
        .filter_map(|_| ask(client, "192.168.122.2:80"))
        .collect();
    assert_eq!(names.len(), 6, "{}", log());
    assert!(
        names
            .iter()
            .all(|n| n.ends_with("/x xff=192.168.122.50 hdr=")),
        "{names:?}"
    );
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 3, "not balanced over the three: {names:?}");
    let local = ask(lb, "127.0.0.1:80").unwrap_or_default();
    assert!(
        local.ends_with("/x xff= hdr="),
        "127.0.0.1 is excepted: {local}"
    );
    // Privileges, from /proc of the running process (`ip netns exec` execs proxyd in
    // place): the seed's chroot, user and group, and no capability left in any set that
    // could give one back.
    let pid = p.pid();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let id_of = |db: &str, name: &str| {
        std::fs::read_to_string(db)
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with(&format!("{name}:")))
            .and_then(|l| l.split(':').nth(2).map(str::to_string))
            .unwrap_or_default()
    };
    let (uid, gid) = (
        id_of("/etc/passwd", "haproxy"),
        id_of("/etc/group", "haproxy"),
    );
    assert!(!uid.is_empty() && uid != "0", "user haproxy: {uid:?}");
    assert_eq!(
        field("Uid:"),
        vec![uid.clone(); 4],
        "real, effective, saved, fs uid\n{status}"
    );
    assert_eq!(
        field("Gid:"),
        vec![gid.clone(); 4],
        "real, effective, saved, fs gid\n{status}"
    );
    assert_eq!(
        field("Groups:"),
        vec![gid.clone()],
        "supplementary groups\n{status}"
    );
    for caps in ["CapInh:", "CapPrm:", "CapEff:", "CapAmb:"] {
        assert_eq!(
            field(caps),
            vec!["0000000000000000".to_string()],
            "{caps}\n{status}"
        );
    }
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/root")).ok(),
        Some(std::path::PathBuf::from("/var/lib/haproxy")),
        "chroot"
    );
    // Every thread, not only the main one (set*id is per thread in the kernel).
    for t in std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .flatten()
    {
        let st = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
        assert!(
            st.lines()
                .any(|l| l.split_whitespace().eq(["Uid:", &uid, &uid, &uid, &uid])),
            "thread {:?} kept another uid\n{st}",
            t.file_name()
        );
    }
    stop.store(true, Ordering::Relaxed);
}

/// Seed 001 as pasted (Exchange 2016 in tcp mode: SSL session-id stickiness, chroot, user
/// haproxy, `daemon`, a stats page on :8080), unchanged: it goes to the background and
/// serves, its two exchange servers (names that do not resolve here) DOWN rather than
/// refusing to start; :443 takes connections and closes them (no server to send them
/// to), as HAProxy does when a backend has none up.
#[test]
fn seed001_starts_unchanged_with_its_servers_down() {
    if !netns_available() {
        return;
    }
    for (what, path) in [
        ("the chroot directory", "/var/lib/haproxy"),
        ("user haproxy (from the haproxy package)", "/etc/passwd"),
    ] {
        assert!(
            std::path::Path::new(path).exists(),
            "{what} is missing: the README test command installs haproxy, which creates it"
        );
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap();
    assert!(
        passwd.lines().any(|l| l.starts_with("haproxy:")),
        "no user haproxy: the README test command installs haproxy, which creates it"
    );
    let ns = e2e::Netns::new("p1s");
    let dir = e2e::Scratch::new("proxyd-seed001");
    let logf = dir.join("proxyd.log");
    let pidf = dir.join("proxyd.pid");
    let cfg = repo_root().join("conf-examples/haproxy/seed001.pasted.cfg");
    let check = std::process::Command::new(binary("proxyd"))
        .args(["-c", "-f", cfg.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "-c refuses seed 001: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    // `daemon`: proxyd forks and its first process exits; a shell stays as the PID
    // namespace's init so the daemon lives on (and dies with the guard).
    let script = format!(
        "{} -f {} -p {} && exec sleep 120",
        binary("proxyd").display(),
        cfg.display(),
        pidf.display()
    );
    let _guard = ns.spawn_pidns("sh", &["-c", &script], &logf);
    let log = || std::fs::read_to_string(&logf).unwrap_or_default();
    assert!(
        wait_for(10.0, || ns.connect_tcp("127.0.0.1:8080").is_ok()).is_some(),
        "seed 001 does not serve its stats page\n{}",
        log()
    );
    assert!(
        std::fs::read_to_string(&pidf).is_ok_and(|p| p.trim().parse::<u32>().is_ok()),
        "no pid file\n{}",
        log()
    );
    // The stats page lists both exchange servers DOWN.
    let csv = || -> String {
        let Ok(mut s) = ns.connect_tcp("127.0.0.1:8080") else {
            return String::new();
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = s.write_all(b"GET /;csv HTTP/1.1\r\nHost: lb\r\nConnection: close\r\n\r\n");
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    };
    let page = csv();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    for srv in ["exch_server1", "exch_server2"] {
        let row = page
            .lines()
            .find(|l| l.starts_with(&format!("exchange_2016_backend,{srv},")))
            .unwrap_or_else(|| panic!("no row for {srv}:\n{page}"));
        let status = row.split(',').nth(17).unwrap_or("");
        assert!(status.starts_with("DOWN"), "{srv}: {status:?}\n{row}");
    }
    // :443 accepts, and with no server up closes the connection.
    let mut s = ns.connect_tcp("127.0.0.1:443").expect(":443 accepts");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(b"\x16\x03\x01\x00\x05hello");
    let mut buf = [0u8; 64];
    #[allow(clippy::disallowed_methods)] // a real wait is what is measured
    let t0 = std::time::Instant::now();
    let got = s.read(&mut buf);
    let closed = match &got {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
    };
    assert!(
        closed,
        "read {:?} after {:?} (bytes {:?})\n{}",
        got,
        t0.elapsed(),
        got.as_ref()
            .map(|&n| String::from_utf8_lossy(&buf[..n]).into_owned()),
        log()
    );
}
