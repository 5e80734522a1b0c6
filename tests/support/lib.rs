//! Shared helpers for the end-to-end tests: locating the built binaries, and network
//! namespaces that are always deleted, also when a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// End-to-end tests measure real time.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A binary built by `cargo build` (debug profile unless E2E_PROFILE says otherwise).
pub fn binary(name: &str) -> PathBuf {
    let profile = std::env::var("E2E_PROFILE").unwrap_or_else(|_| "debug".into());
    binary_of(&profile, name)
}

/// A binary of the given build profile (`release` for tests that measure CPU: the
/// README test command builds vrrpd in release for them).
pub fn binary_of(profile: &str, name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let p = target.join(profile).join(name);
    assert!(
        p.exists(),
        "{} not found: run `cargo build --workspace --bins` first (the README test command does)",
        p.display()
    );
    p
}

/// Whether we run in CI, where a test that cannot set up its namespace must fail.
pub fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// Returns false (and says so loudly) when namespaces cannot be used outside CI;
/// panics in CI.
pub fn netns_available() -> bool {
    let ok = nix_is_root()
        && Command::new("ip")
            .args(["netns", "list"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    if !ok {
        let msg = "network namespaces unavailable (need root and iproute2)";
        if in_ci() {
            panic!("{msg}: this test must run in CI");
        }
        eprintln!("\n!!!!! SKIPPED: {msg} !!!!!\n");
    }
    ok
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Whether a program is on PATH.
pub fn have(prog: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {prog}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A network namespace deleted on drop (which also deletes its veths).
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(prefix: &str) -> Netns {
        let name = format!(
            "{prefix}{}x{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        run_ok("ip", &["netns", "add", &name]);
        let ns = Netns { name };
        ns.exec_ok("ip", &["link", "set", "lo", "up"]);
        ns
    }

    /// Add a veth pair with both ends inside the namespace; `ifname` is brought up.
    pub fn add_veth(&self, ifname: &str) {
        let peer = format!("{}p", ifname);
        self.exec_ok(
            "ip",
            &["link", "add", ifname, "type", "veth", "peer", "name", &peer],
        );
        self.exec_ok("ip", &["link", "set", ifname, "up"]);
        self.exec_ok("ip", &["link", "set", &peer, "up"]);
    }

    pub fn exec(&self, prog: &str, args: &[&str]) -> Output {
        let mut full = vec!["netns", "exec", &self.name, prog];
        full.extend_from_slice(args);
        Command::new("ip")
            .args(&full)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run ip netns exec")
    }

    pub fn exec_ok(&self, prog: &str, args: &[&str]) -> Output {
        let out = self.exec(prog, args);
        assert!(
            out.status.success(),
            "{prog} {args:?} in {} failed: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

fn run_ok(prog: &str, args: &[&str]) {
    let out = Command::new(prog).args(args).output().expect("run");
    assert!(
        out.status.success(),
        "{prog} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Exit code, with death by signal N reported as 128+N like a shell does.
pub fn exit_code(out: &Output) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    out.status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0))
}

/// A LAN of network namespaces: one "switch" namespace holding a bridge, and one
/// namespace per node whose `ifname` veth is plugged into the bridge. Everything is
/// deleted on drop.
pub struct Lan {
    pub switch: Netns,
    pub nodes: Vec<Netns>,
}

impl Lan {
    /// `nodes`: (interface name inside the node, address/prefix).
    pub fn new(prefix: &str, nodes: &[(&str, &str)]) -> Lan {
        let switch = Netns::new(&format!("{prefix}s"));
        switch.exec_ok("ip", &["link", "add", "br0", "type", "bridge"]);
        switch.exec_ok("ip", &["link", "set", "br0", "up"]);
        let mut out = Vec::new();
        for (i, (ifname, addr)) in nodes.iter().enumerate() {
            let ns = Netns::new(&format!("{prefix}{i}"));
            let inner = format!("n{i}x{}", std::process::id() % 100_000);
            let port = format!("p{i}x{}", std::process::id() % 100_000);
            switch.exec_ok(
                "ip",
                &["link", "add", &inner, "type", "veth", "peer", "name", &port],
            );
            switch.exec_ok("ip", &["link", "set", &inner, "netns", &ns.name]);
            switch.exec_ok("ip", &["link", "set", &port, "master", "br0"]);
            switch.exec_ok("ip", &["link", "set", &port, "up"]);
            ns.exec_ok("ip", &["link", "set", &inner, "name", ifname]);
            ns.exec_ok("ip", &["link", "set", ifname, "up"]);
            ns.exec_ok("ip", &["addr", "add", addr, "dev", ifname]);
            out.push(ns);
        }
        Lan { switch, nodes: out }
    }

    /// Delete node `i`'s `ifname` (its bridge port goes with it) and plug a new veth in
    /// under the same name and address, up: what a NIC hot-plug or a bond, VLAN or
    /// network manager rebuild does. The new interface has a new index.
    pub fn replug(&self, i: usize, ifname: &str, addr: &str) {
        let ns = &self.nodes[i];
        ns.exec_ok("ip", &["link", "del", ifname]);
        self.plug(i, ifname, addr);
    }

    /// Plug a new veth into node `i` as `ifname` with `addr`, its peer on the bridge.
    pub fn plug(&self, i: usize, ifname: &str, addr: &str) {
        let ns = &self.nodes[i];
        let k = COUNTER.fetch_add(1, Ordering::SeqCst);
        let tag = std::process::id() % 10_000;
        let inner = format!("r{i}x{k}x{tag}");
        let port = format!("q{i}x{k}x{tag}");
        self.switch.exec_ok(
            "ip",
            &["link", "add", &inner, "type", "veth", "peer", "name", &port],
        );
        self.switch
            .exec_ok("ip", &["link", "set", &inner, "netns", &ns.name]);
        self.switch
            .exec_ok("ip", &["link", "set", &port, "master", "br0"]);
        self.switch.exec_ok("ip", &["link", "set", &port, "up"]);
        ns.exec_ok("ip", &["link", "set", &inner, "name", ifname]);
        ns.exec_ok("ip", &["link", "set", ifname, "up"]);
        ns.exec_ok("ip", &["addr", "add", addr, "dev", ifname]);
    }
}

impl Netns {
    /// Whether `addr` is configured on `ifname` in this namespace.
    pub fn has_addr(&self, ifname: &str, addr: &str) -> bool {
        let out = self.exec("ip", &["-o", "addr", "show", "dev", ifname]);
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .any(|w| w.split('/').next() == Some(addr))
    }

    /// A TCP listener bound inside this namespace (for fake servers the daemons talk to):
    /// a short-lived thread enters the namespace, binds, and hands the socket back.
    pub fn listen_tcp(&self, addr: &str) -> std::net::TcpListener {
        let path = format!("/var/run/netns/{}", self.name);
        let addr = addr.to_string();
        std::thread::spawn(move || {
            let f = std::fs::File::open(&path).expect("open netns");
            nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            std::net::TcpListener::bind(&addr).expect("bind in netns")
        })
        .join()
        .expect("listener thread")
    }

    /// A TCP connection made from inside this namespace (to its own loopback, say).
    pub fn connect_tcp(&self, addr: &str) -> std::io::Result<std::net::TcpStream> {
        let path = format!("/var/run/netns/{}", self.name);
        let addr = addr.to_string();
        std::thread::spawn(move || {
            let f = std::fs::File::open(&path)?;
            nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET)
                .map_err(std::io::Error::from)?;
            std::net::TcpStream::connect(&addr)
        })
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("connect thread panicked")))
    }

    /// A TCP connection made from inside this namespace from source address `src`
    /// (one of the namespace's IPv4 addresses) to `addr`.
    pub fn connect_tcp_from(&self, src: &str, addr: &str) -> std::io::Result<std::net::TcpStream> {
        use nix::sys::socket::{
            bind, connect, socket, AddressFamily, SockFlag, SockType, SockaddrIn,
        };
        let path = format!("/var/run/netns/{}", self.name);
        let from: std::net::SocketAddrV4 = format!("{src}:0")
            .parse()
            .map_err(|_| std::io::Error::other("bad source address"))?;
        let to: std::net::SocketAddrV4 = addr
            .parse()
            .map_err(|_| std::io::Error::other("bad address"))?;
        std::thread::spawn(move || {
            let f = std::fs::File::open(&path)?;
            nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET)
                .map_err(std::io::Error::from)?;
            let fd = socket(
                AddressFamily::Inet,
                SockType::Stream,
                SockFlag::empty(),
                None,
            )
            .map_err(std::io::Error::from)?;
            let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
            bind(raw, &SockaddrIn::from(from)).map_err(std::io::Error::from)?;
            connect(raw, &SockaddrIn::from(to)).map_err(std::io::Error::from)?;
            Ok(std::net::TcpStream::from(fd))
        })
        .join()
        .unwrap_or_else(|_| Err(std::io::Error::other("connect thread panicked")))
    }

    /// Gratuitous ARPs seen in this namespace for `secs` seconds: (seconds since the start,
    /// sender MAC, announced IPv4 address) for each ARP whose sender and target address are
    /// equal.
    pub fn capture_garps(&self, secs: f64) -> std::thread::JoinHandle<Vec<(f64, String, String)>> {
        // Ethernet + ARP for IPv4: type 0x0806, sender IP 28..32, target IP 38..42.
        let garp =
            |fr: &[u8]| fr.len() >= 42 && fr[12..14] == [0x08, 0x06] && fr[28..32] == fr[38..42];
        let frames = self.capture(secs, garp);
        std::thread::spawn(move || {
            frames
                .join()
                .unwrap_or_default()
                .into_iter()
                .map(|(t, fr)| {
                    let mac = fr[22..28]
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<Vec<_>>()
                        .join(":");
                    let ip = format!("{}.{}.{}.{}", fr[28], fr[29], fr[30], fr[31]);
                    (t, mac, ip)
                })
                .collect()
        })
    }

    /// Ethernet frames seen on every interface of this namespace for `secs` seconds that
    /// `keep` accepts, with their time since the start (a short-lived thread enters the
    /// namespace and reads a packet socket; the capture runs once this returns).
    pub fn capture(
        &self,
        secs: f64,
        keep: fn(&[u8]) -> bool,
    ) -> std::thread::JoinHandle<Vec<(f64, Vec<u8>)>> {
        use nix::sys::socket::{
            recv, setsockopt, socket, sockopt, AddressFamily, MsgFlags, SockFlag, SockProtocol,
            SockType,
        };
        let path = format!("/var/run/netns/{}", self.name);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let h = std::thread::spawn(move || {
            let f = std::fs::File::open(&path).expect("open netns");
            nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            let fd = socket(
                AddressFamily::Packet,
                SockType::Raw,
                SockFlag::empty(),
                SockProtocol::EthAll,
            )
            .expect("packet socket");
            let tv = nix::sys::time::TimeVal::new(0, 50_000);
            setsockopt(&fd, sockopt::ReceiveTimeout, &tv).expect("timeout");
            let _ = ready_tx.send(());
            #[allow(clippy::disallowed_methods)]
            let t0 = std::time::Instant::now();
            let mut out = Vec::new();
            let mut buf = [0u8; 2048];
            while t0.elapsed().as_secs_f64() < secs {
                let Ok(n) = recv(
                    std::os::fd::AsRawFd::as_raw_fd(&fd),
                    &mut buf,
                    MsgFlags::empty(),
                ) else {
                    continue;
                };
                if keep(&buf[..n]) {
                    out.push((t0.elapsed().as_secs_f64(), buf[..n].to_vec()));
                }
            }
            out
        });
        let _ = ready_rx.recv();
        h
    }

    /// Start a long-running program in the namespace (killed by the returned guard).
    pub fn spawn(&self, prog: &str, args: &[&str], log: &Path) -> Daemon {
        let mut full = vec!["netns", "exec", &self.name, prog];
        full.extend_from_slice(args);
        let f = std::fs::File::create(log).expect("log file");
        let child = Command::new("ip")
            .args(&full)
            .stdin(std::process::Stdio::null())
            .stdout(f.try_clone().expect("log"))
            .stderr(f)
            .spawn()
            .expect("spawn");
        Daemon { child: Some(child) }
    }
}

/// A process started by a test: SIGKILLed on drop if still running.
pub struct Daemon {
    child: Option<std::process::Child>,
}

impl Daemon {
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    pub fn signal(&self, sig: &str) {
        let _ = Command::new("kill")
            .args([&format!("-{sig}"), &self.pid().to_string()])
            .status();
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Wait up to `secs` for the process to exit by itself.
    pub fn wait_exit(&mut self, secs: f64) -> bool {
        let t0 = std::time::Instant::now();
        while t0.elapsed().as_secs_f64() < secs {
            if let Some(c) = self.child.as_mut() {
                if let Ok(Some(_)) = c.try_wait() {
                    self.child = None;
                    return true;
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        false
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Poll `f` every 20 ms for up to `secs`; returns the seconds it took, or None.
pub fn wait_for(secs: f64, mut f: impl FnMut() -> bool) -> Option<f64> {
    let t0 = std::time::Instant::now();
    loop {
        if f() {
            return Some(t0.elapsed().as_secs_f64());
        }
        if t0.elapsed().as_secs_f64() > secs {
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Whether something listens on TCP `port` in this network namespace, read from
/// /proc/net/tcp{,6} without connecting (a probe connection would show in logs).
pub fn listening(port: u16) -> bool {
    let want = format!(":{port:04X}");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|f| {
        std::fs::read_to_string(f).is_ok_and(|t| {
            t.lines().skip(1).any(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                cols.len() > 3 && cols[1].ends_with(&want) && cols[3] == "0A"
            })
        })
    })
}

impl Netns {
    /// Like `spawn`, in a PID namespace of its own (so `killall`, pid files and children
    /// of one simulated node stay apart); killing the guard kills everything inside.
    pub fn spawn_pidns(&self, prog: &str, args: &[&str], log: &Path) -> Daemon {
        let mut full = vec!["--pid", "--fork", "--kill-child", "--mount-proc", prog];
        full.extend_from_slice(args);
        self.spawn("unshare", &full, log)
    }
}

impl Daemon {
    /// The pid (host view) of the program `unshare --fork` started.
    pub fn inner_pid(&self) -> Option<u32> {
        let p = self.pid();
        let text = std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")).ok()?;
        text.split_whitespace().next()?.parse().ok()
    }

    pub fn signal_inner(&self, sig: &str) {
        if let Some(pid) = self.inner_pid() {
            let _ = Command::new("kill")
                .args([&format!("-{sig}"), &pid.to_string()])
                .status();
        }
    }
}

/// Children of a process (host pids) whose command name is `comm`.
pub fn children_named(pid: u32, comm: &str) -> Vec<u32> {
    let text =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    text.split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm"))
                .map(|c| c.trim() == comm)
                .unwrap_or(false)
        })
        .collect()
}

/// A minimal HTTP/1.1 server for tests: on each connection, answers every request with
/// `NAME PATH xff=X-Forwarded-For hdr=X-Test` (keep-alive unless the client asks to
/// close). `conns` counts accepted connections; returns when `stop` is set.
pub fn http_responder(
    l: std::net::TcpListener,
    name: String,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    conns: std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::sync::atomic::Ordering;
    let _ = l.set_nonblocking(true);
    while !stop.load(Ordering::Relaxed) {
        let Ok((s, _)) = l.accept() else {
            std::thread::sleep(std::time::Duration::from_millis(2));
            continue;
        };
        let _ = s.set_nonblocking(false);
        conns.fetch_add(1, Ordering::Relaxed);
        let name = name.clone();
        std::thread::spawn(move || serve_http_conn(s, &name));
    }
}

fn serve_http_conn(s: std::net::TcpStream, name: &str) {
    use std::io::{BufRead, Read, Write};
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let Ok(mut w) = s.try_clone() else { return };
    let mut r = std::io::BufReader::new(s);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let (mut len, mut xff, mut xtest, mut close) =
            (0usize, String::new(), String::new(), false);
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap_or((h, ""));
            match k.to_ascii_lowercase().as_str() {
                "content-length" => len = v.trim().parse().unwrap_or(0),
                "x-forwarded-for" => xff = v.trim().to_string(),
                "x-test" => xtest = v.trim().to_string(),
                "connection" => close = v.trim().eq_ignore_ascii_case("close"),
                _ => {}
            }
        }
        let mut body = vec![0u8; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        // A request that stays in flight for a while (drain tests).
        if path.starts_with("/slow") {
            std::thread::sleep(std::time::Duration::from_secs(3));
        }
        let mut text = format!("{name} {path} xff={xff} hdr={xtest}");
        // A response that needs many of the client's acknowledgements (drain tests).
        if path.contains("-big") {
            text.extend(std::iter::repeat_n('.', 1 << 20));
        }
        let _ = write!(
            w,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nX-Server: {name}\r\n\r\n{text}",
            text.len()
        );
        if close {
            return;
        }
    }
}

/// vrrpd's counters of adverts it rejected (its SIGUSR1 dump), one per reason.
pub const VRRP_REJECTIONS: &[&str] = &[
    "too_short",
    "bad_ttl",
    "bad_version",
    "bad_type",
    "carp",
    "length_mismatch",
    "bad_checksum",
    "wrong_vrid",
    "auth_type_mismatch",
    "auth_failure",
    "interval_mismatch",
    "address_family",
];

/// A free port on 127.0.0.1 (TCP and UDP) for a daemon to bind later. Taken below the
/// kernel's ephemeral range (32768 up): a port handed out from that range can be taken
/// as the source port of some connection before the daemon binds it ("Address already in
/// use", seen in CI). Each port is handed out once per test process.
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    // Test binaries run one after another; each starts at its own place in the range.
    let base = 20_000 + (std::process::id() % 1_000) * 12;
    for _ in 0..12_000 {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let port = (20_000 + (base - 20_000 + n) % 12_000) as u16;
        let tcp = std::net::TcpListener::bind(("127.0.0.1", port)).is_ok();
        let udp = std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok();
        if tcp && udp {
            return port;
        }
    }
    panic!("no free port between 20000 and 32000")
}

/// A fresh directory for one test's files and logs, removed when dropped. When the test
/// fails (the thread is panicking) it is kept and its path printed, for the logs in it.
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    pub fn new(tag: &str) -> Scratch {
        let dir = tempfile::Builder::new()
            .prefix(&format!("{tag}-"))
            .tempdir()
            .expect("scratch directory");
        // As a directory made with the usual umask: scripts run as other users must reach it.
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .expect("scratch directory mode");
        Scratch(dir)
    }
}

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        self.0.path()
    }
}

impl AsRef<Path> for Scratch {
    fn as_ref(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.disable_cleanup(true);
            eprintln!("test files kept in {}", self.0.path().display());
        }
    }
}

/// proxyd running a haproxy.cfg in the foreground (`-db`), its output in a log file;
/// killed on drop.
pub struct Proxyd {
    pub child: std::process::Child,
    pub log: PathBuf,
    /// Dropped after the child is killed (fields drop after `Drop::drop`).
    pub dir: Scratch,
}

impl Proxyd {
    /// Write `cfg` to a fresh directory named after `tag` and start proxyd on it.
    pub fn start(tag: &str, cfg: &str) -> Proxyd {
        let dir = Scratch::new(&format!("proxyd-{tag}"));
        let path = dir.join("haproxy.cfg");
        std::fs::write(&path, cfg).expect("write haproxy.cfg");
        let log = dir.join("proxyd.log");
        let f = std::fs::File::create(&log).expect("proxyd log");
        let child = Command::new(binary("proxyd"))
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(f.try_clone().expect("log"))
            .stderr(f)
            .spawn()
            .expect("spawn proxyd");
        Proxyd { child, log, dir }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Wait until something accepts on 127.0.0.1:`port` (5 s at most), then let that
    /// probe's session finish so it does not race the test's own connections.
    pub fn wait_listening(&self, port: u16) {
        assert!(
            wait_for(5.0, || std::net::TcpStream::connect(("127.0.0.1", port))
                .is_ok())
            .is_some(),
            "proxyd does not listen on {port}\n{}",
            self.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

impl Drop for Proxyd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed certificate for `name`, with its key, in one PEM file (HAProxy's form).
pub fn make_cert(dir: &Path, name: &str) -> PathBuf {
    let (crt, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.keytmp")),
    );
    let out = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
        ])
        .arg(format!("/CN={name}"))
        .arg("-addext")
        .arg(format!("subjectAltName=DNS:{name}"))
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&crt)
        .output()
        .expect("openssl (install the openssl package)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pem = dir.join(format!("{name}.pem"));
    let mut text = std::fs::read_to_string(&crt).unwrap();
    text.push_str(&std::fs::read_to_string(&key).unwrap());
    std::fs::write(&pem, text).unwrap();
    pem
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl (install the openssl package)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A certificate authority `NAME` (self-signed): `NAME.crt` and `NAME.key` in `dir`;
/// returns the certificate's path (what `ca-file` names).
pub fn make_ca(dir: &Path, name: &str) -> PathBuf {
    let (crt, key) = (format!("{name}.crt"), format!("{name}.key"));
    let subj = format!("/CN={name}");
    openssl(
        dir,
        &[
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", &subj,
            "-keyout", &key, "-out", &crt,
        ],
    );
    dir.join(crt)
}

/// A certificate `NAME` signed by the authority `ca` (see [`make_ca`]), for the DNS
/// names `dns` (none: a client certificate), with its key in one PEM file (HAProxy's
/// form), which is returned.
pub fn make_signed(dir: &Path, name: &str, ca: &str, dns: &[&str]) -> PathBuf {
    let (key, csr, crt, ext) = (
        format!("{name}.key"),
        format!("{name}.csr"),
        format!("{name}.crt"),
        format!("{name}.ext"),
    );
    let mut exts = "basicConstraints=CA:FALSE\n".to_string();
    if dns.is_empty() {
        exts.push_str("extendedKeyUsage=clientAuth\n");
    } else {
        let names: Vec<String> = dns.iter().map(|d| format!("DNS:{d}")).collect();
        exts.push_str(&format!(
            "extendedKeyUsage=serverAuth\nsubjectAltName={}\n",
            names.join(",")
        ));
    }
    std::fs::write(dir.join(&ext), exts).unwrap();
    let subj = format!("/CN={name}");
    openssl(
        dir,
        &[
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", &subj, "-keyout", &key, "-out", &csr,
        ],
    );
    let (cacrt, cakey) = (format!("{ca}.crt"), format!("{ca}.key"));
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &cacrt,
            "-CAkey",
            &cakey,
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &ext,
            "-out",
            &crt,
        ],
    );
    let pem = dir.join(format!("{name}.pem"));
    let text = std::fs::read_to_string(dir.join(&crt)).unwrap()
        + &std::fs::read_to_string(dir.join(&key)).unwrap();
    std::fs::write(&pem, text).unwrap();
    pem
}

/// What a TLS test server saw of one connection's handshake.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSeen {
    pub sni: Option<String>,
    pub alpn: Option<String>,
    /// The client presented a certificate (the server asked for one).
    pub client_cert: bool,
    /// Why the handshake failed.
    pub error: Option<String>,
    /// The session was resumed (no full handshake).
    pub resumed: bool,
    /// `TLSv1_2`, `TLSv1_3`.
    pub version: Option<String>,
}

/// How a [`TlsServer`] differs from rustls' defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct TlsServerOpts {
    /// TLSv1.2 only.
    pub tls12_only: bool,
    /// Sessions resume by TLSv1.2 tickets only (no session cache).
    pub tickets_only: bool,
}

/// A TLS server on 127.0.0.1 (rustls, a thread per connection) answering every HTTP/1.1
/// request with `200` and the body `sni=NAME` (`-` without SNI), the connection's index
/// in the header `X-Conn`, keeping connections open; `seen` records each handshake.
pub struct TlsServer {
    pub port: u16,
    pub seen: std::sync::Arc<std::sync::Mutex<Vec<TlsSeen>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl TlsServer {
    /// Serve `pem` (certificate and key); with `client_ca`, a client certificate signed
    /// by it is required; `alpn`: the protocols it accepts, in its order of preference.
    pub fn start(pem: &Path, client_ca: Option<&Path>, alpn: &[&str]) -> TlsServer {
        TlsServer::start_with(pem, client_ca, alpn, TlsServerOpts::default())
    }

    /// [`TlsServer::start`] with other settings.
    pub fn start_with(
        pem: &Path,
        client_ca: Option<&Path>,
        alpn: &[&str],
        opts: TlsServerOpts,
    ) -> TlsServer {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        use std::sync::atomic::Ordering;
        use std::sync::Arc;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(pem)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(pem).unwrap();
        let versions: &[&rustls::SupportedProtocolVersion] = if opts.tls12_only {
            &[&rustls::version::TLS12]
        } else {
            rustls::DEFAULT_VERSIONS
        };
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)
            .unwrap();
        let builder = match client_ca {
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                for c in CertificateDer::pem_file_iter(ca).unwrap() {
                    roots.add(c.unwrap()).unwrap();
                }
                let v = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .unwrap();
                builder.with_client_cert_verifier(v)
            }
            None => builder.with_no_client_auth(),
        };
        let mut cfg = builder.with_single_cert(certs, key).unwrap();
        cfg.alpn_protocols = alpn.iter().map(|a| a.as_bytes().to_vec()).collect();
        if opts.tickets_only {
            cfg.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
            cfg.ticketer = rustls::crypto::ring::Ticketer::new().unwrap();
        }
        let cfg = Arc::new(cfg);
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (sn, st) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                let Ok((s, _)) = l.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    continue;
                };
                let (cfg, sn) = (cfg.clone(), sn.clone());
                std::thread::spawn(move || tls_conn(s, cfg, sn));
            }
        });
        TlsServer { port, seen, stop }
    }

    pub fn seen(&self) -> Vec<TlsSeen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

fn tls_conn(
    s: std::net::TcpStream,
    cfg: std::sync::Arc<rustls::ServerConfig>,
    seen: std::sync::Arc<std::sync::Mutex<Vec<TlsSeen>>>,
) {
    use std::io::{Read, Write};
    let _ = s.set_nonblocking(false);
    let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(5)));
    let Ok(conn) = rustls::ServerConnection::new(cfg) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, s);
    let mut failed = None;
    while tls.conn.is_handshaking() {
        if let Err(e) = tls.conn.complete_io(&mut tls.sock) {
            failed = Some(e.to_string());
            break;
        }
    }
    let record = TlsSeen {
        sni: tls.conn.server_name().map(str::to_string),
        alpn: tls
            .conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        client_cert: tls.conn.peer_certificates().is_some_and(|c| !c.is_empty()),
        error: failed.clone(),
        resumed: tls.conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
        version: tls.conn.protocol_version().map(|v| format!("{v:?}")),
    };
    let index = {
        let mut v = seen.lock().unwrap();
        v.push(record.clone());
        v.len() - 1
    };
    if failed.is_some() {
        return;
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            match tls.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < end + 4 + len {
            match tls.read(&mut chunk) {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        buf.drain(..end + 4 + len);
        let body = format!("sni={}", record.sni.as_deref().unwrap_or("-"));
        let resp = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nX-Conn: {index}\r\n\r\n{body}",
            body.len()
        );
        if tls.write_all(resp.as_bytes()).is_err() || tls.flush().is_err() {
            return;
        }
        if head.contains("connection: close") {
            tls.conn.send_close_notify();
            let _ = tls.flush();
            return;
        }
    }
}

/// A daemon started in the root namespace on loopback ports (HAProxy or proxyd as an
/// oracle pair), killed when dropped.
pub struct Local(pub std::process::Child);

impl Drop for Local {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Start `prog -db -f cfg` (quiet) and wait until `port` takes connections.
pub fn start_local(prog: &str, cfg: &Path, port: u16) -> Local {
    let p = Local(
        std::process::Command::new(prog)
            .args(["-db", "-f"])
            .arg(cfg)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    assert!(
        wait_for(5.0, || std::net::TcpStream::connect(("127.0.0.1", port))
            .is_ok())
        .is_some(),
        "{prog} does not listen"
    );
    p
}

/// One HTTP/1.1 response read off a keep-alive connection (head, then a body of
/// Content-Length bytes): its status, or None when it does not come whole.
pub fn read_response(r: &mut impl std::io::BufRead) -> Option<u16> {
    read_response_closing(r).map(|(status, _)| status)
}

/// `read_response`, and whether the response said `Connection: close`.
pub fn read_response_closing(r: &mut impl std::io::BufRead) -> Option<(u16, bool)> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let status = line.split_whitespace().nth(1)?.parse().ok()?;
    let (mut len, mut close) = (0usize, false);
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end().to_ascii_lowercase();
        if h.is_empty() {
            break;
        }
        if let Some(v) = h.strip_prefix("content-length:") {
            len = v.trim().parse().ok()?;
        }
        if h == "connection: close" {
            close = true;
        }
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).ok()?;
    Some((status, close))
}

/// A client's connection: plain TCP or TLS over it.
pub trait ClientConn: std::io::Read + std::io::Write + Send {}
impl<T: std::io::Read + std::io::Write + Send> ClientConn for T {}

/// A TLS client trusting the authority in `ca` only (a PEM file).
pub fn tls_client_config(ca: &Path) -> std::sync::Arc<rustls::ClientConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).expect("CA file") {
        roots.add(c.expect("CA certificate")).expect("CA accepted");
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    std::sync::Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// A connection to 127.0.0.1:`port` (10 s read timeout), over TLS for `soak.test` when
/// `tls` is given.
pub fn open_client(
    port: u16,
    tls: Option<&std::sync::Arc<rustls::ClientConfig>>,
) -> std::io::Result<Box<dyn ClientConn>> {
    let s = std::net::TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    Ok(match tls {
        None => Box::new(s),
        Some(cfg) => {
            let name = rustls::pki_types::ServerName::try_from("soak.test")
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            let c = rustls::ClientConnection::new(cfg.clone(), name)
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            Box::new(rustls::StreamOwned::new(c, s))
        }
    })
}
