//! `peers`: stick tables shared between proxyd and HAProxy 2.6 (a mixed pair), and
//! between two proxyd, over the peers protocol: what one side learns from traffic
//! shows on the other within a second, with the same server, so a client keeps its
//! server whichever balancer it reaches; a process that starts late is taught the
//! table by the one already running. Loopback only; each client a 127.0.0.x source.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// End-to-end tests measure real time.
#![allow(clippy::disallowed_methods)]

use e2e::{binary, free_port, have, in_ci, wait_for, Scratch};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Node {
    child: std::process::Child,
    sock: PathBuf,
    fe: u16,
    dir: Scratch,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Node {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    /// The entry of `key` in table `be` as `show table` lists it, if any.
    fn entry(&self, key: &str) -> Option<String> {
        let out = cmd(&self.sock, "show table be");
        out.lines()
            .find(|l| l.contains(&format!(" key={key} ")))
            .map(str::to_string)
    }
}

/// Two web servers (`s1`, `s2`), a frontend tracking each client and a backend whose
/// table sticks clients to servers and is shared through `peers mesh`.
fn config(dir: &Path, fe: u16, peers: &[(&str, u16)], web: (u16, u16)) -> String {
    let peer_lines: String = peers
        .iter()
        .map(|(n, p)| format!("    peer {n} 127.0.0.1:{p}\n"))
        .collect();
    format!(
        "global
    stats socket {d}/admin.sock mode 600 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
peers mesh
{peer_lines}frontend fe
    bind 127.0.0.1:{fe}
    default_backend be
backend be
    balance roundrobin
    stick-table type ip size 1k expire 60s peers mesh store http_req_cnt,http_req_rate(10s),gpc0
    stick on src
    http-request track-sc0 src
    server s1 127.0.0.1:{w1}
    server s2 127.0.0.1:{w2}
",
        d = dir.display(),
        w1 = web.0,
        w2 = web.1
    )
}

fn start(prog: &Path, name: &str, text: impl Fn(&Path, u16) -> String) -> Node {
    let dir = Scratch::new("peers");
    let fe = free_port();
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(&cfg, text(&dir, fe)).unwrap();
    let log = std::fs::File::create(dir.join("log")).unwrap();
    let child = std::process::Command::new(prog)
        .args(["-db", "-L", name, "-f"])
        .arg(&cfg)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let sock = dir.join("admin.sock");
    assert!(
        wait_for(5.0, || UnixStream::connect(&sock).is_ok()).is_some(),
        "{} has no stats socket: {}",
        prog.display(),
        std::fs::read_to_string(dir.join("log")).unwrap_or_default()
    );
    Node {
        child,
        sock,
        fe,
        dir,
    }
}

fn cmd(sock: &Path, c: &str) -> String {
    let Ok(mut s) = UnixStream::connect(sock) else {
        return String::new();
    };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(format!("{c}\n").as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// A GET from source address `src` (127.0.0.x): the server that answered.
fn served_by(src: &str, fe: u16) -> String {
    use nix::sys::socket::{bind, connect, socket, AddressFamily, SockFlag, SockType, SockaddrIn};
    let fd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::empty(),
        None,
    )
    .unwrap();
    let from: std::net::SocketAddrV4 = format!("{src}:0").parse().unwrap();
    bind(
        std::os::fd::AsRawFd::as_raw_fd(&fd),
        &SockaddrIn::from(from),
    )
    .unwrap();
    let to: std::net::SocketAddrV4 = format!("127.0.0.1:{fe}").parse().unwrap();
    connect(std::os::fd::AsRawFd::as_raw_fd(&fd), &SockaddrIn::from(to)).unwrap();
    let mut s = std::net::TcpStream::from(fd);
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "GET / HTTP/1.1\r\nHost: lb\r\nConnection: close\r\n\r\n").unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.lines()
        .find_map(|l| {
            l.strip_prefix("X-Server: ")
                .or(l.strip_prefix("x-server: "))
        })
        .unwrap_or("")
        .trim()
        .to_string()
}

struct Web(Arc<AtomicBool>);

impl Drop for Web {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn web(name: &str) -> (u16, Web) {
    let stop = Arc::new(AtomicBool::new(false));
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (s, n) = (stop.clone(), name.to_string());
    std::thread::spawn(move || e2e::http_responder(l, n, s, Arc::new(AtomicUsize::new(0))));
    (port, Web(stop))
}

fn no_haproxy() -> bool {
    if have("haproxy") {
        return false;
    }
    assert!(!in_ci(), "haproxy is missing (tests/run.sh installs it)");
    eprintln!("SKIPPED: no haproxy");
    true
}

/// Seconds until `node` lists `key` with `want` in its line (panics after 5 s, with
/// what `other`, the peer it should have learnt it from, has and logged).
fn shows(node: &Node, other: &Node, who: &str, key: &str, want: &str, since: Instant) -> f64 {
    let ok = wait_for(5.0, || node.entry(key).is_some_and(|l| l.contains(want)));
    assert!(
        ok.is_some(),
        "{who} never listed {key} with `{want}`: {:?}\n{}\n--- its peer has {:?}\n{}",
        node.entry(key),
        node.log(),
        other.entry(key),
        other.log()
    );
    since.elapsed().as_secs_f64()
}

/// One HAProxy and one proxyd share a table: each learns the other's clients (with
/// their server and counts) within a second, and sends a client to the server the
/// other chose; HAProxy started after proxyd is taught what proxyd already had.
#[test]
fn a_table_shared_with_haproxy_both_ways() {
    if no_haproxy() {
        return;
    }
    let (w1, _a) = web("s1");
    let (w2, _b) = web("s2");
    let (pa, pb) = (free_port(), free_port());
    let peers = [("hap", pa), ("prx", pb)];
    let prx = start(&binary("proxyd"), "prx", |d, fe| {
        config(d, fe, &peers, (w1, w2))
    });
    // Learnt before HAProxy runs: 127.0.0.11 on s1, 127.0.0.12 on s2.
    assert_eq!(served_by("127.0.0.11", prx.fe), "s1");
    assert_eq!(served_by("127.0.0.12", prx.fe), "s2");
    let hap = start(Path::new("haproxy"), "hap", |d, fe| {
        config(d, fe, &peers, (w1, w2))
    });
    let t = Instant::now();
    shows(&hap, &prx, "haproxy", "127.0.0.12", "server_id=2", t);
    let taught = t.elapsed().as_secs_f64();
    // A client proxyd sent to s2 goes to s2 through HAProxy too (whose round robin
    // alone would pick s1 for its first client).
    assert_eq!(served_by("127.0.0.12", hap.fe), "s2");
    assert_eq!(served_by("127.0.0.11", hap.fe), "s1");

    // HAProxy to proxyd, then proxyd to HAProxy, on the fly.
    let mut delays = Vec::new();
    for (i, (from, to, from_name, to_name)) in [
        (&hap, &prx, "haproxy", "proxyd"),
        (&prx, &hap, "proxyd", "haproxy"),
    ]
    .into_iter()
    .enumerate()
    {
        let a = format!("127.0.0.{}", 21 + 2 * i);
        let b = format!("127.0.0.{}", 22 + 2 * i);
        let sa = served_by(&a, from.fe);
        let sb = served_by(&b, from.fe);
        assert_ne!(sa, sb, "round robin through {from_name}");
        let t = Instant::now();
        let want = format!("server_id={}", if sb == "s1" { 1 } else { 2 });
        delays.push(shows(to, from, to_name, &b, &want, t));
        shows(to, from, to_name, &b, "http_req_cnt=1", t);
        assert_eq!(
            served_by(&b, to.fe),
            sb,
            "{b} keeps its server through {to_name}"
        );
        assert_eq!(
            served_by(&a, to.fe),
            sa,
            "{a} keeps its server through {to_name}"
        );
    }
    // Set through the runtime API on one side: seen on the other.
    cmd(&prx.sock, "set table be key 127.0.0.99 data.gpc0 42");
    let t = Instant::now();
    delays.push(shows(&hap, &prx, "haproxy", "127.0.0.99", "gpc0=42", t));
    eprintln!("taught at start in {taught:.3} s; on the fly: {delays:.3?} s");
    for d in delays {
        assert!(d < 1.0, "an entry took {d:.3} s to reach the other side");
    }
}

/// Two proxyd share a table; one restarted learns everything from the other.
#[test]
fn two_proxyd_share_and_a_restarted_one_is_taught() {
    let (w1, _a) = web("s1");
    let (w2, _b) = web("s2");
    let (pa, pb) = (free_port(), free_port());
    let peers = [("one", pa), ("two", pb)];
    let cfg = |d: &Path, fe| config(d, fe, &peers, (w1, w2));
    let one = start(&binary("proxyd"), "one", cfg);
    let two = start(&binary("proxyd"), "two", cfg);
    let s = served_by("127.0.0.31", one.fe);
    let t = Instant::now();
    let d = shows(&two, &one, "proxyd two", "127.0.0.31", "http_req_cnt=1", t);
    assert!(d < 1.0, "{d:.3} s");
    assert_eq!(served_by("127.0.0.31", two.fe), s);
    // two's own request is counted there and sent back to one.
    let t = Instant::now();
    shows(&one, &two, "proxyd one", "127.0.0.31", "http_req_cnt=2", t);
    drop(two);
    let two = start(&binary("proxyd"), "two", cfg);
    let t = Instant::now();
    shows(
        &two,
        &one,
        "restarted proxyd two",
        "127.0.0.31",
        "http_req_cnt=2",
        t,
    );
    assert_eq!(served_by("127.0.0.31", two.fe), s);
}

/// `-c` refuses a table naming a section that does not exist, with the line.
#[test]
fn an_unknown_peers_section_is_refused_with_its_line() {
    let dir = Scratch::new("peers-check");
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(
        &cfg,
        "peers mesh\n    peer a 127.0.0.1:10000\nbackend be\n    stick-table type ip size 1k peers meshh\n",
    )
    .unwrap();
    let out = std::process::Command::new(binary("proxyd"))
        .args(["-c", "-f"])
        .arg(&cfg)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("haproxy.cfg:4:"), "{err}");
    assert!(err.contains("did you mean `mesh`"), "{err}");
}

/// A reload (`-sf` with `-x`, and master-worker's SIGUSR2) keeps the table: the old
/// process hands it to the new one through its own peer address, and clients keep
/// their servers through the new process.
#[test]
fn a_reload_hands_the_table_to_the_new_process() {
    for master in [false, true] {
        let (w1, _a) = web("s1");
        let (w2, _b) = web("s2");
        let dir = Scratch::new("peers-reload");
        let fe = free_port();
        let peers = [("solo", free_port())];
        let text = config(&dir, fe, &peers, (w1, w2))
            .replace("level admin", "level admin expose-fd listeners");
        let cfg = dir.join("haproxy.cfg");
        std::fs::write(&cfg, text).unwrap();
        let sock = dir.join("admin.sock");
        let spawn = |extra: &[&str]| {
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(dir.join("log"))
                .unwrap();
            std::process::Command::new(binary("proxyd"))
                .args(extra)
                .args(["-db", "-L", "solo", "-f"])
                .arg(&cfg)
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .unwrap()
        };
        let log = || std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        let first = spawn(if master { &["-W"] } else { &[] });
        let mut procs = vec![first];
        assert!(
            wait_for(5.0, || UnixStream::connect(&sock).is_ok()).is_some(),
            "no stats socket: {}",
            log()
        );
        let node_entry = |key: &str| {
            cmd(&sock, "show table be")
                .lines()
                .find(|l| l.contains(&format!(" key={key} ")))
                .map(str::to_string)
        };
        assert_eq!(served_by("127.0.0.41", fe), "s1");
        assert_eq!(served_by("127.0.0.42", fe), "s2");
        let pid_before = cmd(&sock, "show info")
            .lines()
            .find_map(|l| l.strip_prefix("Pid: ").map(str::to_string));
        if master {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(procs[0].id() as i32),
                nix::sys::signal::Signal::SIGUSR2,
            );
        } else {
            let old = procs[0].id().to_string();
            let s = sock.display().to_string();
            procs.push(spawn(&["-x", &s, "-sf", &old]));
        }
        // The new process answers on the socket once the old one is gone.
        let replaced = wait_for(10.0, || {
            let now = cmd(&sock, "show info")
                .lines()
                .find_map(|l| l.strip_prefix("Pid: ").map(str::to_string));
            now.is_some() && now != pid_before
        });
        assert!(
            replaced.is_some(),
            "no new process (master: {master}): {}",
            log()
        );
        let kept = wait_for(3.0, || {
            node_entry("127.0.0.42").is_some_and(|l| l.contains("server_id=2"))
                && node_entry("127.0.0.41").is_some_and(|l| l.contains("server_id=1"))
        });
        assert!(
            kept.is_some(),
            "master: {master}: the new process lost the table: {:?}\n{}",
            cmd(&sock, "show table be"),
            log()
        );
        // Its round robin alone would send its first client to s1.
        assert_eq!(served_by("127.0.0.42", fe), "s2", "master: {master}");
        assert!(
            log().contains("handed to the new process"),
            "master: {master}: {}",
            log()
        );
        for p in &mut procs {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(p.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        for p in &mut procs {
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = p.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = p.kill();
            let _ = p.wait();
        }
    }
}
