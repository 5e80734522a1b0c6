//! proxyd's listeners and servers beyond TCP ports, end to end on this host (unix sockets in
//! the test's own directory, loopback, inherited descriptors): `bind` on a plain path and
//! `unix@` with `mode`, `abns@`, `fd@N` (a listening socket handed over as systemd socket
//! activation does), `sockpair@N` (connections handed over one by one in SCM_RIGHTS),
//! servers on `unix@` and plain paths, and `-C DIR` at start.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, free_port, wait_for, Scratch};
use std::io::{IoSlice, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

/// A unix-socket server: reads what arrives (to the client's first bytes) and answers
/// `name: <what it read>`.
fn unix_server(path: &Path, name: &'static str) {
    let l = UnixListener::bind(path).unwrap();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = s;
                let mut buf = [0u8; 256];
                let n = s.read(&mut buf).unwrap_or(0);
                let _ = write!(s, "{name}: {}", String::from_utf8_lossy(&buf[..n]));
            });
        }
    });
}

/// Send `ask`, half-close, read the answer.
fn exchange(mut s: impl Read + Write, ask: &str) -> String {
    s.write_all(ask.as_bytes()).unwrap();
    let mut out = String::new();
    // An empty answer says why (a reset, a timeout), so a failure can be told apart.
    if let Err(e) = s.read_to_string(&mut out) {
        if out.is_empty() {
            out = format!("<nothing read: {e}>");
        }
    }
    out
}

/// Who listens on `port` (`ss`), for a failure's message.
fn listeners_on(port: u16) -> String {
    std::process::Command::new("ss")
        .args(["-Htlnp", &format!("sport = :{port}")])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_else(|e| format!("ss: {e}"))
}

fn tcp_ask(port: u16, ask: &str) -> String {
    let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    exchange(s, ask)
}

/// Keep `fd` open across exec (std opens everything close-on-exec).
fn inheritable(fd: impl AsFd) {
    use nix::fcntl::{fcntl, FcntlArg, FdFlag};
    fcntl(fd, FcntlArg::F_SETFD(FdFlag::empty())).unwrap();
}

struct Running(Child, std::path::PathBuf);

impl Running {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.1).unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(dir: &Path, args: &[&str], cwd: &Path) -> Running {
    let log = dir.join("proxyd.log");
    let f = std::fs::File::create(&log).unwrap();
    let child = Command::new(binary("proxyd"))
        .args(args)
        .current_dir(cwd)
        .stdout(f.try_clone().unwrap())
        .stderr(f)
        .spawn()
        .unwrap();
    Running(child, log)
}

#[test]
fn unix_and_abstract_listeners_and_unix_servers() {
    let dir = Scratch::new("proxyd-unix");
    let d = dir.display().to_string();
    unix_server(&dir.join("srv-a.sock"), "a");
    unix_server(&dir.join("srv-b.sock"), "b");
    let abns = format!("proxyd-test-{}", std::process::id());
    let cfg = format!(
        "defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend plain\n    bind {d}/plain.sock\n    default_backend a\nfrontend prefixed\n    bind unix@{d}/mode.sock mode 600\n    default_backend b\nfrontend abstract\n    bind abns@{abns}\n    default_backend a\nbackend a\n    server s unix@{d}/srv-a.sock\nbackend b\n    server s {d}/srv-b.sock\n"
    );
    std::fs::write(dir.join("p.cfg"), cfg).unwrap();
    let p = run(&dir, &["-db", "-f", &format!("{d}/p.cfg")], &dir);
    assert!(
        wait_for(5.0, || UnixStream::connect(dir.join("mode.sock")).is_ok()).is_some(),
        "{}",
        p.log()
    );
    let mode = std::fs::metadata(dir.join("mode.sock"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "bind ... mode 600");
    let ask = |path: &str| {
        let s = UnixStream::connect(dir.join(path)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        exchange(s, "hi")
    };
    assert_eq!(ask("plain.sock"), "a: hi", "{}", p.log());
    assert_eq!(ask("mode.sock"), "b: hi", "{}", p.log());
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(abns.as_bytes()).unwrap();
    let s = UnixStream::connect_addr(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(exchange(s, "abstract"), "a: abstract", "{}", p.log());
}

#[test]
fn inherited_listener_and_sockpair() {
    let dir = Scratch::new("proxyd-fd");
    let d = dir.display().to_string();
    unix_server(&dir.join("srv.sock"), "srv");
    // fd@N: a listening socket proxyd did not open.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    inheritable(&l);
    // sockpair@N: connections arrive as descriptors over a unix socket.
    let (ours, theirs) = UnixStream::pair().unwrap();
    inheritable(&theirs);
    let cfg = format!(
        "defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend inherited\n    bind fd@{}\n    bind sockpair@{}\n    default_backend b\nbackend b\n    server s unix@{d}/srv.sock\n",
        l.as_raw_fd(),
        theirs.as_raw_fd()
    );
    std::fs::write(dir.join("p.cfg"), cfg).unwrap();
    let p = run(&dir, &["-db", "-f", &format!("{d}/p.cfg")], &dir);
    // Ours are closed: only proxyd accepts now.
    drop(theirs);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        wait_for(5.0, || p.log().contains("started")).is_some(),
        "{}",
        p.log()
    );
    drop(l);
    assert_eq!(tcp_ask(port, "fd"), "srv: fd", "{}", p.log());
    // A connection made here, handed over: the client talks through proxyd.
    let side = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(side.local_addr().unwrap()).unwrap();
    let (accepted, _) = side.accept().unwrap();
    let fds = [accepted.as_raw_fd()];
    let cmsg = [nix::sys::socket::ControlMessage::ScmRights(&fds)];
    nix::sys::socket::sendmsg::<()>(
        ours.as_raw_fd(),
        &[IoSlice::new(b"\0")],
        &cmsg,
        nix::sys::socket::MsgFlags::empty(),
        None,
    )
    .unwrap();
    drop(accepted);
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(exchange(client, "pair"), "srv: pair", "{}", p.log());
}

/// `-C DIR`: relative paths (the config files and the files they name) are read from
/// there, at start as under `-c`.
#[test]
fn dash_capital_c_at_start() {
    let dir = Scratch::new("proxyd-dashc");
    let port = free_port();
    std::fs::create_dir(dir.join("errors")).unwrap();
    std::fs::write(
        dir.join("errors/503.http"),
        "HTTP/1.0 503 Service Unavailable\r\nContent-Type: text/plain\r\n\r\nfrom -C\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("rel.cfg"),
        format!("defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend f\n    bind 127.0.0.1:{port}\n    errorfile 503 errors/503.http\n    default_backend b\nbackend b\n    server s 127.0.0.1:1 disabled\n"),
    )
    .unwrap();
    // Started from elsewhere, with the directory given by -C.
    let d = dir.display().to_string();
    let p = run(&dir, &["-C", &d, "-db", "-f", "rel.cfg"], Path::new("/"));
    assert!(
        wait_for(5.0, || TcpStream::connect(("127.0.0.1", port)).is_ok()).is_some(),
        "{}",
        p.log()
    );
    let got = tcp_ask(
        port,
        "GET / HTTP/1.1\r\nHost: c\r\nConnection: close\r\n\r\n",
    );
    assert!(
        got.starts_with("HTTP/1.1 503") && got.ends_with("from -C\n"),
        "{got}\n{}\nlisteners on the port:\n{}",
        p.log(),
        listeners_on(port)
    );
}

/// Started as a `Type=notify` service: proxyd sends READY=1 to `NOTIFY_SOCKET` once its
/// ports are bound (connections made from then on are served).
#[test]
fn ready_is_sent_to_systemd_once_the_ports_are_bound() {
    let dir = Scratch::new("notify");
    let notify = dir.join("notify");
    let rx = std::os::unix::net::UnixDatagram::bind(&notify).unwrap();
    rx.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let port = free_port();
    let cfg = dir.join("p.cfg");
    std::fs::write(
        &cfg,
        format!(
            "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\nfrontend f\n  bind 127.0.0.1:{port}\n  http-request return status 200 content-type text/plain string up\n"
        ),
    )
    .unwrap();
    let mut child = Command::new(binary("proxyd"))
        .args(["-db", "-f"])
        .arg(&cfg)
        .env("NOTIFY_SOCKET", &notify)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 256];
    let n = rx.recv(&mut buf).unwrap_or(0);
    let got = String::from_utf8_lossy(&buf[..n]).into_owned();
    // Bound before READY: this connection is accepted and answered.
    let answer = TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
        s.set_read_timeout(Some(Duration::from_secs(5)))?;
        s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        Ok(out)
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(got.lines().any(|l| l == "READY=1"), "{got:?}");
    assert!(
        answer
            .as_deref()
            .is_ok_and(|a| a.starts_with("HTTP/1.1 200")),
        "{answer:?}"
    );
}
