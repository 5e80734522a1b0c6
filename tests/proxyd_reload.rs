//! Reloads, both ways HAProxy is reloaded: SIGUSR2 to the master (`-W`), and a new
//! process taking the listeners with `-x` and finishing the old one with `-sf`. Under
//! load (keep-alive and connection-per-request HTTP, HTTP over TLS, and TCP) neither
//! loses a request or refuses a connection, HAProxy's figures under the same load
//! printed beside proxyd's; a broken configuration changes nothing and says why; downloads in progress at a reload finish on the old worker while new
//! connections go to the new one.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// End-to-end tests measure real time.
#![allow(clippy::disallowed_methods)]

use e2e::{binary, free_port, have, in_ci, wait_for, Scratch};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a reload is asked for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    /// `-W`: SIGUSR2 to the master.
    Master,
    /// A new process with `-x SOCKET -sf OLD_PID`, as init scripts do.
    Sf,
}

struct Daemon {
    prog: PathBuf,
    style: Style,
    /// Every process started; the last one that started serving is `current`.
    children: Vec<std::process::Child>,
    current: usize,
    dir: Scratch,
    cfg: PathBuf,
    /// The runtime API socket `-x` takes the listeners from (in its own directory).
    sock: PathBuf,
    _sock_dir: Scratch,
}

impl Daemon {
    /// Start on the configuration `cfg` makes for the runtime API socket's path.
    fn start(prog: &Path, cfg: impl Fn(&Path) -> String, port: u16, style: Style) -> Daemon {
        let dir = Scratch::new("reload");
        let sock_dir = Scratch::new("reload-sock");
        let sock = sock_dir.join("admin.sock");
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, cfg(&sock)).unwrap();
        let mut d = Daemon {
            prog: prog.to_path_buf(),
            style,
            children: Vec::new(),
            current: 0,
            dir,
            cfg: path,
            sock,
            _sock_dir: sock_dir,
        };
        let first: &[&str] = match style {
            Style::Master => &["-W"],
            Style::Sf => &[],
        };
        d.spawn(first);
        assert!(
            wait_for(10.0, || TcpStream::connect(("127.0.0.1", port)).is_ok()).is_some(),
            "{} does not listen: {}",
            prog.display(),
            d.log()
        );
        d
    }

    fn spawn(&mut self, extra: &[&str]) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("log"))
            .unwrap();
        let child = std::process::Command::new(&self.prog)
            .args(extra)
            .args(["-db", "-f"])
            .arg(&self.cfg)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        self.children.push(child);
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }

    /// Ask for a reload; whether a new process took over (Sf: it still runs a moment
    /// later; a broken file makes it exit at once).
    fn reload(&mut self) -> bool {
        match self.style {
            Style::Master => {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(self.children[0].id() as i32),
                    nix::sys::signal::Signal::SIGUSR2,
                );
                true
            }
            Style::Sf => {
                let old = self.children[self.current].id().to_string();
                let sock = self.sock.display().to_string();
                self.spawn(&["-x", &sock, "-sf", &old]);
                std::thread::sleep(Duration::from_millis(300));
                let new = self.children.len() - 1;
                match self.children[new].try_wait() {
                    Ok(None) => {
                        self.current = new;
                        true
                    }
                    _ => false,
                }
            }
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        for c in &self.children {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(c.id() as i32),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let t0 = Instant::now();
        for c in &mut self.children {
            while t0.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Servers that answer every request (`e2e::http_responder`), stopped on drop.
struct Servers {
    ports: Vec<u16>,
    stop: Arc<AtomicBool>,
}

impl Servers {
    fn start(n: usize) -> Servers {
        let stop = Arc::new(AtomicBool::new(false));
        let mut ports = Vec::new();
        for i in 0..n {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            ports.push(l.local_addr().unwrap().port());
            let (stop, conns) = (stop.clone(), Arc::new(AtomicUsize::new(0)));
            std::thread::spawn(move || e2e::http_responder(l, format!("s{i}"), stop, conns));
        }
        Servers { ports, stop }
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The ports the load goes to: plain HTTP, TCP, HTTP over TLS (with its certificate).
struct Ports {
    http: u16,
    tcp: u16,
    tls: u16,
    pem: PathBuf,
}

fn config(p: &Ports, servers: &[u16], marker: &str, sock: &Path) -> String {
    let (http, tcp, tls, pem) = (p.http, p.tcp, p.tls, p.pem.display());
    let sock = sock.display();
    let list: String = servers
        .iter()
        .enumerate()
        .map(|(i, p)| format!("    server s{i} 127.0.0.1:{p}\n"))
        .collect();
    format!(
        "global
    hard-stop-after 20s
    stats socket {sock} mode 600 level admin expose-fd listeners
defaults
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    mode http
    bind 127.0.0.1:{http}
    http-response set-header X-Config {marker}
    default_backend app
frontend secure
    mode http
    bind 127.0.0.1:{tls} ssl crt {pem}
    default_backend app
frontend raw
    mode tcp
    bind 127.0.0.1:{tcp}
    default_backend app_tcp
backend app
    mode http
    balance roundrobin
{list}backend app_tcp
    mode tcp
{list}"
    )
}

/// What the clients saw.
#[derive(Default)]
struct Tally {
    ok: AtomicU64,
    failed: AtomicU64,
    refused: AtomicU64,
    /// Requests sent again after a reused connection was closed under them.
    retried: AtomicU64,
}

/// One request on `s`, read whole: whether a 200 came, and whether the connection may
/// be used again.
fn request(s: &mut BufReader<Box<dyn e2e::ClientConn>>, close: bool) -> Option<bool> {
    let c = if close { "close" } else { "keep-alive" };
    write!(
        s.get_mut(),
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: {c}\r\n\r\n"
    )
    .ok()?;
    let (status, closing) = e2e::read_response_closing(s)?;
    (status == 200).then_some(!close && !closing)
}

fn connect(
    port: u16,
    tls: Option<&Arc<rustls::ClientConfig>>,
    tally: &Tally,
) -> Option<BufReader<Box<dyn e2e::ClientConn>>> {
    match e2e::open_client(port, tls) {
        Ok(s) => Some(BufReader::new(s)),
        Err(_) => {
            tally.refused.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

/// Clients until `stop`: two keep-alive (a request that fails on a reused connection
/// before any byte of answer is sent again on a new one, as HTTP clients do with
/// idempotent requests), two connection-per-request, one TCP (an HTTP request through
/// the TCP frontend, a connection each), one TLS keep-alive and one TLS
/// connection-per-request.
fn load(
    p: &Ports,
    tls: Arc<rustls::ClientConfig>,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
) -> Vec<std::thread::JoinHandle<()>> {
    let mut out = Vec::new();
    for kind in 0..7 {
        let (stop, tally, tls) = (stop.clone(), tally.clone(), tls.clone());
        let (http, tcp, tls_port) = (p.http, p.tcp, p.tls);
        out.push(std::thread::spawn(move || {
            let mut conn: Option<BufReader<Box<dyn e2e::ClientConn>>> = None;
            while !stop.load(Ordering::Relaxed) {
                let (port, close, over_tls) = match kind {
                    0 | 1 => (http, false, false),
                    2 | 3 => (http, true, false),
                    4 => (tcp, true, false),
                    5 => (tls_port, false, true),
                    _ => (tls_port, true, true),
                };
                let tls = over_tls.then_some(&tls);
                let reused = conn.is_some();
                let mut c = match conn.take() {
                    Some(c) => c,
                    None => match connect(port, tls, &tally) {
                        Some(c) => c,
                        None => continue,
                    },
                };
                let mut got = request(&mut c, close);
                if got.is_none() && reused {
                    // The server closed an idle connection: retried once, fresh.
                    tally.retried.fetch_add(1, Ordering::Relaxed);
                    if let Some(mut fresh) = connect(port, tls, &tally) {
                        got = request(&mut fresh, close);
                        c = fresh;
                    }
                }
                match got {
                    Some(again) => {
                        tally.ok.fetch_add(1, Ordering::Relaxed);
                        if again {
                            conn = Some(c);
                        }
                    }
                    None => {
                        tally.failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    out
}

/// Load for `secs`, with a reload every `every` (the file's marker changed each time,
/// one broken file among them). Returns (ok, failed, refused, retried, reloads), the
/// daemon, and the marker the last request saw.
fn reload_run(
    prog: &Path,
    secs: u64,
    every: Duration,
    style: Style,
) -> ([u64; 4], usize, usize, Daemon, String) {
    let servers = Servers::start(2);
    let certs = Scratch::new("reload-tls");
    let ca = e2e::make_ca(&certs, "soak-ca");
    let pem = e2e::make_signed(&certs, "soak.test", "soak-ca", &["soak.test"]);
    let ports = Ports {
        http: free_port(),
        tcp: free_port(),
        tls: free_port(),
        pem,
    };
    let http = ports.http;
    let mut d = Daemon::start(
        prog,
        |sock| config(&ports, &servers.ports, "v0", sock),
        http,
        style,
    );
    let sock = d.sock.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let tally = Arc::new(Tally::default());
    let clients = load(
        &ports,
        e2e::tls_client_config(&ca),
        stop.clone(),
        tally.clone(),
    );
    let t0 = Instant::now();
    let (mut n, mut took) = (0, 0);
    while t0.elapsed() < Duration::from_secs(secs) {
        std::thread::sleep(every);
        n += 1;
        let mut text = config(&ports, &servers.ports, &format!("v{n}"), &sock);
        if n == 3 {
            text.push_str("bogus_keyword here\n");
        }
        std::fs::write(&d.cfg, text).unwrap();
        if d.reload() {
            took += 1;
        }
    }
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.join();
    }
    let mut s = BufReader::new(TcpStream::connect(("127.0.0.1", http)).unwrap());
    write!(
        s.get_mut(),
        "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut all = String::new();
    let _ = s.read_to_string(&mut all);
    let marker = all
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("x-config: ")
                .map(|v| v.trim().to_string())
        })
        .unwrap_or_default();
    drop(servers);
    (
        [
            tally.ok.load(Ordering::Relaxed),
            tally.failed.load(Ordering::Relaxed),
            tally.refused.load(Ordering::Relaxed),
            tally.retried.load(Ordering::Relaxed),
        ],
        n,
        took,
        d,
        marker,
    )
}

/// In CI: 6 s, a reload a second, each way (SIGUSR2 to the master; a new process with
/// `-x` and `-sf`). `RELOAD_SECS` and `RELOAD_EVERY_MS` make it the longer run the
/// closing notes report (tests/bench/reload).
#[test]
fn reloads_under_load_lose_nothing() {
    let secs = std::env::var("RELOAD_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6);
    let every = Duration::from_millis(
        std::env::var("RELOAD_EVERY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000),
    );
    for style in [Style::Master, Style::Sf] {
        let how = match style {
            Style::Master => "SIGUSR2 to the master",
            Style::Sf => "-x and -sf",
        };
        let ([ok, failed, refused, retried], reloads, took, d, marker) =
            reload_run(&binary("proxyd"), secs, every, style);
        let log = d.log();
        eprintln!("proxyd, {how}: {reloads} reloads (one broken) in {secs} s: {ok} requests, {failed} failed, {refused} refused, {retried} sent again on a new connection");
        if have("haproxy") {
            let ([hok, hfailed, hrefused, hretried], hreloads, _, _h, _) =
                reload_run(Path::new("haproxy"), secs, every, style);
            eprintln!("haproxy, {how}: {hreloads} reloads (one broken) in {secs} s: {hok} requests, {hfailed} failed, {hrefused} refused, {hretried} sent again on a new connection");
        } else {
            assert!(!in_ci(), "haproxy is missing (tests/run.sh installs it)");
        }
        assert!(ok > 500, "too little traffic to say anything: {ok}\n{log}");
        assert_eq!((failed, refused), (0, 0), "{how}\n{log}");
        // The broken file was refused, with its reason, and the service went on.
        assert!(log.contains("bogus_keyword"), "{log}");
        match style {
            Style::Master => {
                assert!(log.contains("reload refused"), "{log}");
                assert_eq!(
                    log.matches("master: reloaded").count(),
                    reloads - 1,
                    "{log}"
                );
            }
            Style::Sf => assert_eq!(took, reloads - 1, "{log}"),
        }
        // The last file is the one answering.
        assert_eq!(marker, format!("v{reloads}"), "{how}\n{log}");
    }
}

/// A server that answers each request with `len` bytes sent over `secs` seconds.
fn slow_server(len: usize, secs: f64) -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().unwrap());
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                }
                let mut w = s;
                let _ = write!(
                    w,
                    "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
                );
                let chunk = len / 10;
                for _ in 0..10 {
                    std::thread::sleep(Duration::from_secs_f64(secs / 10.0));
                    if w.write_all(&vec![b'x'; chunk]).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// 100 downloads of 3 s each: a reload in their middle lets every one finish on the
/// old worker, while new requests are answered by the new one (its pid in `X-Pid`).
#[test]
fn downloads_finish_across_a_reload() {
    const LEN: usize = 100_000;
    let slow = slow_server(LEN, 3.0);
    let fast = Servers::start(1);
    let http = free_port();
    let cfg = format!(
        "global
    hard-stop-after 30s
defaults
    mode http
    timeout connect 2s
    timeout client 20s
    timeout server 20s
frontend web
    bind 127.0.0.1:{http}
    http-response set-header X-Pid %pid
    use_backend fast if {{ path /fast }}
    default_backend slow
backend slow
    server s 127.0.0.1:{slow}
backend fast
    server f 127.0.0.1:{}
",
        fast.ports[0]
    );
    let mut d = Daemon::start(&binary("proxyd"), |_| cfg.clone(), http, Style::Master);
    let pid_of = || -> String {
        let mut s = BufReader::new(TcpStream::connect(("127.0.0.1", http)).unwrap());
        write!(
            s.get_mut(),
            "GET /fast HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut all = String::new();
        let _ = s.read_to_string(&mut all);
        all.lines()
            .find_map(|l| {
                l.to_ascii_lowercase()
                    .strip_prefix("x-pid: ")
                    .map(|v| v.trim().to_string())
            })
            .unwrap_or_default()
    };
    let before = pid_of();
    let done = Arc::new(AtomicU64::new(0));
    let downloads: Vec<_> = (0..100)
        .map(|_| {
            let done = done.clone();
            std::thread::spawn(move || {
                let mut s = TcpStream::connect(("127.0.0.1", http)).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                write!(
                    s,
                    "GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                )
                .unwrap();
                let mut all = Vec::new();
                let _ = s.read_to_end(&mut all);
                let head_end = all.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4);
                if head_end.is_some_and(|h| all.len() - h == LEN) {
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    d.reload();
    let moved = wait_for(5.0, || {
        let p = pid_of();
        !p.is_empty() && p != before
    });
    assert!(
        moved.is_some(),
        "new requests do not reach a new worker\n{}",
        d.log()
    );
    // The old worker is still there, finishing the downloads.
    assert!(
        std::path::Path::new(&format!("/proc/{before}")).exists(),
        "the old worker left before its downloads ended\n{}",
        d.log()
    );
    for t in downloads {
        let _ = t.join();
    }
    assert_eq!(done.load(Ordering::Relaxed), 100, "{}", d.log());
    assert!(
        wait_for(5.0, || !std::path::Path::new(&format!("/proc/{before}"))
            .exists())
        .is_some(),
        "the old worker did not end after its sessions\n{}",
        d.log()
    );
}

/// The runtime API over a unix socket: one command, its reply. A socket being
/// handed from one process to the next may refuse for a moment: tried for 2 s.
fn api(sock: &Path, c: &str) -> String {
    let t0 = Instant::now();
    let mut s = loop {
        match std::os::unix::net::UnixStream::connect(sock) {
            Ok(s) => break s,
            Err(e) if t0.elapsed() > Duration::from_secs(2) => panic!("{}: {e}", sock.display()),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    writeln!(s, "{c}").unwrap();
    // As socat does: the end of the input (HAProxy's master CLI waits for it).
    let _ = s.shutdown(std::net::Shutdown::Write);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// A server drained through the runtime API stays drained across a reload when its
/// state is saved first (`show servers state > FILE`, read back through
/// `server-state-file`), as with HAProxy: both are run and compared.
#[test]
fn server_states_survive_a_reload_through_the_state_file() {
    if !have("haproxy") {
        assert!(!in_ci(), "haproxy is missing (tests/run.sh installs it)");
        eprintln!("SKIPPED: no haproxy");
        return;
    }
    let servers = Servers::start(2);
    let mut seen = Vec::new();
    for prog in [binary("proxyd"), PathBuf::from("haproxy")] {
        let http = free_port();
        let state_dir = Scratch::new("state");
        let state = state_dir.join("servers.state");
        let cfg = |sock: &Path| {
            format!(
                "global
    stats socket {} mode 600 level admin
    server-state-file {}
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    load-server-state-from-file global
frontend web
    bind 127.0.0.1:{http}
    default_backend app
backend app
    server s0 127.0.0.1:{} weight 10
    server s1 127.0.0.1:{} weight 10
",
                sock.display(),
                state.display(),
                servers.ports[0],
                servers.ports[1]
            )
        };
        let mut d = Daemon::start(&prog, cfg, http, Style::Master);
        let sock = d.sock.clone();
        assert!(
            wait_for(5.0, || std::os::unix::net::UnixStream::connect(&sock)
                .is_ok())
            .is_some()
        );
        let pid = |s: &Path| -> String {
            api(s, "show info")
                .lines()
                .find_map(|l| l.strip_prefix("Pid: ").map(str::to_string))
                .unwrap_or_default()
        };
        let before = pid(&sock);
        assert_eq!(api(&sock, "set server app/s1 state drain"), "\n");
        assert_eq!(api(&sock, "set weight app/s0 3"), "\n");
        std::fs::write(&state, api(&sock, "show servers state")).unwrap();
        // HAProxy's master loses a SIGUSR2 that comes in the moment after it started:
        // asked again when nothing happened.
        let reloaded = (0..3).any(|_| {
            assert!(d.reload());
            wait_for(3.0, || {
                let p = pid(&sock);
                !p.is_empty() && p != before
            })
            .is_some()
        });
        assert!(reloaded, "{} did not reload: {}", prog.display(), d.log());
        let after: Vec<String> = api(&sock, "show servers state app")
            .lines()
            .skip(2)
            .filter(|l| !l.is_empty())
            .map(|l| {
                let w: Vec<&str> = l.split(' ').collect();
                format!("{} admin={} uweight={}", w[3], w[6], w[7])
            })
            .collect();
        seen.push(after);
    }
    assert_eq!(seen[0], ["s0 admin=0 uweight=3", "s1 admin=8 uweight=10"]);
    assert_eq!(seen[0], seen[1], "proxyd, then HAProxy");
}

/// A master-worker daemon started with `-S`, stopped on drop.
struct WithMasterCli {
    child: std::process::Child,
    cli: PathBuf,
    cfg: PathBuf,
    dir: Scratch,
}

impl WithMasterCli {
    fn start(prog: &Path, cfg: &str, port: u16) -> WithMasterCli {
        let dir = Scratch::new("mcli");
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, cfg).unwrap();
        let cli = dir.join("master.sock");
        let log = std::fs::File::create(dir.join("log")).unwrap();
        let child = std::process::Command::new(prog)
            .args(["-W", "-db", "-S"])
            .arg(format!("{},mode,600", cli.display()))
            .arg("-f")
            .arg(&path)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        assert!(
            wait_for(10.0, || TcpStream::connect(("127.0.0.1", port)).is_ok()).is_some(),
            "{} does not listen",
            prog.display()
        );
        WithMasterCli {
            child,
            cli,
            cfg: path,
            dir,
        }
    }

    fn ask(&self, c: &str) -> String {
        api(&self.cli, c)
    }

    /// The workers' pids `show proc` lists: (current, old).
    fn workers(&self) -> (Vec<u32>, Vec<u32>) {
        let text = self.ask("show proc");
        let (mut cur, mut old, mut in_old) = (Vec::new(), Vec::new(), false);
        for l in text.lines() {
            if l.starts_with("# old workers") {
                in_old = true;
            } else if l.starts_with("# programs") {
                in_old = false;
            }
            let w: Vec<&str> = l.split_whitespace().collect();
            if w.get(1) == Some(&"worker") {
                let pid = w[0].parse().unwrap();
                if in_old {
                    old.push(pid)
                } else {
                    cur.push(pid)
                }
            }
        }
        (cur, old)
    }
}

impl Drop for WithMasterCli {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The master CLI (`-S`) under proxyd and HAProxy: `show proc`'s layout, commands run
/// in the current worker (`@1`) and by pid (`@!PID`) answered as the worker's own
/// socket answers, unknown targets refused alike; `reload` starts a new worker (proxyd
/// also says whether it worked, as later HAProxy versions do), and a broken
/// configuration leaves the worker serving.
#[test]
fn master_cli_as_haproxys() {
    if !have("haproxy") {
        assert!(!in_ci(), "haproxy is missing (tests/run.sh installs it)");
        eprintln!("SKIPPED: no haproxy");
        return;
    }
    let servers = Servers::start(1);
    let mut shown = Vec::new();
    for prog in [binary("proxyd"), PathBuf::from("haproxy")] {
        let port = free_port();
        let cfg = format!(
            "defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend web
    bind 127.0.0.1:{port}
    default_backend app
backend app
    server s0 127.0.0.1:{} weight 7
",
            servers.ports[0]
        );
        let d = WithMasterCli::start(&prog, &cfg, port);
        // HAProxy's master CLI may answer nothing for a moment after it starts.
        assert!(wait_for(5.0, || d.workers().0.len() == 1).is_some());
        let show = d.ask("show proc");
        let lines: Vec<&str> = show.lines().collect();
        let (cur, old) = d.workers();
        assert_eq!((cur.len(), old.len()), (1, 0), "{show}");
        let pid = cur[0];
        // The layout: the header, the master's line, the sections.
        let master: Vec<&str> = lines.get(1).unwrap_or(&"").split_whitespace().collect();
        assert!(master.len() >= 5, "{}: {show:?}", prog.display());
        let layout = (
            lines[0].to_string(),
            master[1..5].join(" "),
            lines[2].to_string(),
            lines.contains(&"# programs"),
        );
        // The time since the last change aside (it moves between two asks).
        let no_time = |t: String| -> String {
            t.lines()
                .map(|l| {
                    let mut w: Vec<&str> = l.split(' ').collect();
                    if w.len() > 12 && !l.starts_with('#') {
                        w[9] = "T";
                        // proxyd starts a server at full health, HAProxy at `rise`.
                        w[12] = "H";
                    }
                    w.join(" ") + "\n"
                })
                .collect()
        };
        let by_rel = no_time(d.ask("@1 show servers state app"));
        let by_pid = no_time(d.ask(&format!("@!{pid} show servers state app")));
        assert_eq!(by_rel, by_pid);
        assert!(by_rel.contains(" s0 127.0.0.1 2 0 7 7 "), "{by_rel}");
        let errors = (
            d.ask("@5 show info"),
            d.ask("@!1 show info"),
            d.ask("@1"),
            d.ask("@master show proc").lines().count() == show.lines().count(),
        );
        // Reloaded from the CLI: a new worker serves, the old one finishes.
        let said = d.ask("reload");
        let moved = wait_for(10.0, || {
            let (cur, _) = d.workers();
            cur.len() == 1 && cur[0] != pid
        });
        assert!(
            moved.is_some(),
            "{}: no new worker after `reload`: {said}",
            prog.display()
        );
        // A broken configuration: the worker goes on.
        let (now, _) = d.workers();
        std::fs::write(
            &d.cfg,
            "frontend broken\n    bind 127.0.0.1:1 bogus-option\n",
        )
        .unwrap();
        let said_broken = d.ask("reload");
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(d.workers().0, now, "{}", prog.display());
        let ok = TcpStream::connect(("127.0.0.1", port)).is_ok();
        if prog.ends_with("proxyd") {
            assert_eq!(said, "Success=1\n\n");
            assert!(said_broken.starts_with("Success=0\n"), "{said_broken}");
            let master_line = d.ask("show proc");
            assert!(master_line.contains("2 [failed: 1]"), "{master_line}");
        }
        let _ = &d.dir;
        shown.push((layout, by_rel, errors, ok));
    }
    assert_eq!(shown[0].0, shown[1].0, "show proc's layout");
    // Servers' lines: the same (the proxies' numbering aside).
    let strip = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| l.split_once(' ').map_or(l, |(_, r)| r).to_string())
            .collect()
    };
    assert_eq!(strip(&shown[0].1), strip(&shown[1].1));
    assert_eq!(shown[0].2, shown[1].2, "routing errors");
    assert!(
        shown[0].3 && shown[1].3,
        "still serving after the broken reload"
    );
}

/// `grace`: after SIGUSR1 the `stopping` fetch says true while the listener still
/// accepts for the grace time (a health URI answers 503 meanwhile, for whatever watches
/// the node), then the soft stop proceeds and the process ends; proxyd and HAProxy side
/// by side.
#[test]
fn grace_keeps_accepting_with_stopping_true_then_stops() {
    for prog in [binary("proxyd"), PathBuf::from("haproxy")] {
        let name = prog.file_name().unwrap().to_string_lossy().to_string();
        let dir = Scratch::new("grace");
        let port = free_port();
        let cfg = dir.join("grace.cfg");
        std::fs::write(
            &cfg,
            format!(
                "global\n  grace 1500ms\n  hard-stop-after 10s\n\
                 defaults\n  mode http\n  timeout client 5s\n  timeout server 5s\n  timeout connect 2s\n\
                 frontend health\n  bind 127.0.0.1:{port}\n\
                 \x20 http-request return status 503 content-type text/plain string stopping if {{ stopping }}\n\
                 \x20 http-request return status 200 content-type text/plain string serving\n"
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("log")).unwrap();
        let mut child = std::process::Command::new(&prog)
            .args(["-db", "-f", &cfg.to_string_lossy()])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let status = || -> Option<u16> {
            let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
            s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .ok()?;
            let mut line = String::new();
            BufReader::new(s).read_line(&mut line).ok()?;
            line.split_whitespace().nth(1)?.parse().ok()
        };
        assert!(
            wait_for(10.0, || status() == Some(200)).is_some(),
            "{name} does not serve"
        );
        let t0 = Instant::now();
        let _ = std::process::Command::new("kill")
            .args(["-USR1", &child.id().to_string()])
            .status();
        // During the grace time: accepted, and the fetch says stopping.
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(status(), Some(503), "{name}: not stopping during grace");
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(
            status(),
            Some(503),
            "{name}: stopped accepting before grace ended"
        );
        // Then the soft stop: the process ends (no session left).
        let mut ended = None;
        while t0.elapsed() < Duration::from_secs(6) {
            if let Ok(Some(_)) = child.try_wait() {
                ended = Some(t0.elapsed().as_secs_f64());
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        let text = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        let ended =
            ended.unwrap_or_else(|| panic!("{name} still running 6 s after SIGUSR1\n{text}"));
        eprintln!("{name}: ended {ended:.2} s after SIGUSR1 (grace 1.5 s)");
        assert!(
            (1.4..4.0).contains(&ended),
            "{name} ended {ended} s after SIGUSR1 with grace 1.5 s"
        );
        assert_eq!(status(), None, "{name} still accepts after its stop");
    }
}
