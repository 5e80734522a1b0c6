//! Log lines against HAProxy 2.6: the same configuration and the same scripted traffic
//! (200, 404, 403 by a rule, a `return`, 503 without a server, 504 on a server timeout,
//! a refused connect retried, a client leaving during the response, TLS and TCP sessions)
//! through HAProxy and proxyd, each sending to a syslog receiver of the test. Every line
//! must match HAProxy's field by field: times, pids, dates and ports may differ but must
//! have the same form; termination states, status codes, byte counts, names and counts
//! are equal. `halog` (shipped with haproxy) reads both logs to the same status and
//! per-server counts. Loopback only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, free_port, have, listening, make_cert, wait_for, Scratch};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A syslog receiver: every datagram, in arrival order.
struct Receiver {
    port: u16,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Receiver {
    fn start() -> Receiver {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = s.local_addr().unwrap().port();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let l = lines.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 65536];
            while let Ok(n) = s.recv(&mut buf) {
                l.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            }
        });
        Receiver { port, lines }
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.lines.lock().unwrap())
    }
}

/// The test's origin server: answers by path.
fn origin() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = s;
                let mut buf = [0u8; 8192];
                let n = s.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                match path.as_str() {
                    "/missing" => {
                        let _ = s.write_all(
                            b"HTTP/1.1 404 Not Found\r\nContent-Length: 7\r\nServer: origin\r\n\r\nmissing",
                        );
                    }
                    "/slow" => std::thread::sleep(Duration::from_secs(3)),
                    "/abort" => {
                        let _ = s.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nServer: origin\r\n\r\nfirst",
                        );
                        std::thread::sleep(Duration::from_secs(3));
                    }
                    _ => {
                        let _ = s.write_all(
                            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: origin\r\nX-Trace: abc\r\n\r\nhello",
                        );
                    }
                }
            });
        }
    });
    port
}

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(prog: &str, cfg: &std::path::Path, port: u16) -> Proc {
    let p = Proc(
        Command::new(prog)
            .args(["-db", "-f"])
            .arg(cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Not by connecting: a connection without a request is a log line of its own.
    assert!(
        wait_for(5.0, || listening(port)).is_some(),
        "{prog} does not listen"
    );
    p
}

/// A request; with `abort`, the client leaves once the head arrived.
fn request(port: u16, path: &str, abort: bool) {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: logs.test\r\nUser-Agent: oracle\r\nConnection: close\r\n\r\n"
    );
    let mut buf = [0u8; 4096];
    if abort {
        let _ = s.read(&mut buf);
        return;
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
}

/// A TCP session: write a line, read the answer until the server closes.
fn tcp_session(port: u16) {
    if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = s.write_all(b"GET / HTTP/1.0\r\n\r\n");
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
    }
}

/// A TLS request through curl (HTTP/1.1).
fn tls_request(port: u16) {
    let _ = Command::new("curl")
        .args(["-sk", "--http1.1", "-o", "/dev/null", "--resolve"])
        .arg(format!("logs.test:{port}:127.0.0.1"))
        .arg(format!("https://logs.test:{port}/"))
        .status();
}

/// The fields of a line: split at spaces, a double-quoted string (`"GET / HTTP/1.1"`)
/// being one field.
fn fields(msg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in msg.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ' ' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// A line with what may vary put in its shape: the syslog time and pid, dates, client
/// ports, the port curl adds to Host, and the timers (numbers; -1 stays as it is).
fn shape(line: &str, timer_fields: &[usize]) -> Vec<String> {
    let msg = line
        .trim_end()
        .split_once("]: ")
        .map(|(_, m)| m)
        .unwrap_or(line);
    let date = regex::Regex::new(
        r"\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}(\.\d{3})?( [+-]\d{4})?\]",
    )
    .unwrap();
    let host = regex::Regex::new(r"logs\.test:\d+").unwrap();
    let port = regex::Regex::new(r"^(127\.0\.0\.1|::1):\d+$").unwrap();
    let num = regex::Regex::new(r"^\+?\d+$").unwrap();
    let msg = date.replace_all(msg, "[DATE]");
    let msg = host.replace_all(&msg, "logs.test:PORT");
    fields(&msg)
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            if port.is_match(&f) {
                "CLIENT".to_string()
            } else if timer_fields.contains(&i) {
                f.split('/')
                    .map(|t| if num.is_match(t) { "N" } else { t })
                    .collect::<Vec<_>>()
                    .join("/")
            } else {
                f
            }
        })
        .collect()
}

struct Format {
    name: &'static str,
    line: &'static str,
    /// Fields (after the syslog header, a quoted string being one) that vary from run to
    /// run: timers, and the client port where it stands alone.
    timers: &'static [usize],
    http: bool,
}

const FORMATS: &[Format] = &[
    Format {
        name: "httplog",
        line: "option httplog",
        timers: &[4],
        http: true,
    },
    Format {
        name: "httpslog",
        line: "option httpslog",
        timers: &[4],
        http: true,
    },
    Format {
        name: "clf",
        line: "option httplog clf",
        // The client port, the accept milliseconds, then TR Tw Tc Tr Ta.
        timers: &[9, 10, 14, 15, 16, 17, 18],
        http: true,
    },
    Format {
        name: "custom",
        line: "log-format \"%ci %f %b/%s %ST %B %ts %{+Q}[capture.req.hdr(0)] %[capture.res.hdr(0)] %[status] %[var(txn.mark)] %HM %HP %HQ %HV %rc %{+Q}r\"",
        timers: &[],
        http: true,
    },
    Format {
        name: "tcplog",
        line: "option tcplog",
        timers: &[4],
        http: false,
    },
];

fn config(f: &Format, port: u16, tls_port: u16, log: u16, origin: u16, cert: &str) -> String {
    let mode = if f.http { "http" } else { "tcp" };
    let mut c = format!(
        "global\n    log 127.0.0.1:{log} local0\ndefaults\n    mode {mode}\n    log global\n    {}\n    timeout connect 1s\n    timeout client 5s\n    timeout server 1s\nfrontend f\n    bind 127.0.0.1:{port}\n",
        f.line
    );
    if f.http {
        c.push_str(&format!(
            "    bind 127.0.0.1:{tls_port} ssl crt {cert}\n    capture request header Host len 20\n    capture response header Server len 10\n    http-request set-var(txn.mark) str(m1)\n    http-request deny if {{ path /deny }}\n    http-request return status 200 content-type text/plain string ok if {{ path /return }}\n    use_backend nosrv if {{ path /nosrv }}\n    use_backend refused if {{ path /refused }}\n"
        ));
    }
    c.push_str(&format!(
        "    default_backend b\nbackend b\n    server s 127.0.0.1:{origin}\nbackend nosrv\n    server s 127.0.0.1:{origin} disabled\nbackend refused\n    retries 1\n    server s 127.0.0.1:1\n"
    ));
    c
}

fn traffic(f: &Format, port: u16, tls_port: u16) {
    if f.http {
        // A pause after each exchange: both proxies have written its line (and counted
        // its connection out) before the next one comes.
        for p in [
            "/", "/missing", "/deny", "/return", "/nosrv", "/refused", "/slow", "/?q=1",
        ] {
            request(port, p, false);
            std::thread::sleep(Duration::from_millis(100));
        }
        tls_request(tls_port);
        // The client leaves during the body; the server stalls past `timeout server`.
        request(port, "/abort", true);
        std::thread::sleep(Duration::from_millis(1500));
        // Last, a connection that sends nothing: `CR`, 400, `<BADREQ>`. Last because a
        // proxy may count it out late (seen with HAProxy under load), and every line after
        // it would show one connection more.
        drop(TcpStream::connect(("127.0.0.1", port)));
    } else {
        tcp_session(port);
        std::thread::sleep(Duration::from_millis(50));
        tcp_session(port);
    }
    std::thread::sleep(Duration::from_millis(500));
}

fn halog(lines: &[String], arg: &str) -> String {
    let mut child = Command::new("halog")
        .args([arg, "-q"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = String::new();
    for l in lines {
        // halog reads syslog files as written by a syslog daemon: "Mon dd hh:mm:ss host ..."
        let msg = l.trim_end().split_once('>').map(|(_, m)| m).unwrap_or(l);
        let (date, rest) = msg.split_at(15.min(msg.len()));
        input.push_str(&format!("{date} localhost{rest}\n"));
    }
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn log_lines_match_haproxys() {
    assert!(
        have("haproxy") && have("halog"),
        "haproxy (and its halog) are not installed"
    );
    let dir = Scratch::new("logs");
    let cert = make_cert(&dir, "logs.test");
    let origin = origin();
    let mut problems = Vec::new();
    for f in FORMATS {
        let mut lines = Vec::new();
        for prog in ["haproxy", "proxyd"] {
            let rx = Receiver::start();
            let (port, tls_port) = (free_port(), free_port());
            let cfg = dir.join(format!("{}-{prog}.cfg", f.name));
            std::fs::write(
                &cfg,
                config(f, port, tls_port, rx.port, origin, cert.to_str().unwrap()),
            )
            .unwrap();
            let bin = if prog == "haproxy" {
                "haproxy".to_string()
            } else {
                binary("proxyd").to_str().unwrap().to_string()
            };
            let p = start(&bin, &cfg, port);
            traffic(f, port, tls_port);
            drop(p);
            lines.push(rx.take());
        }
        let (h, p) = (&lines[0], &lines[1]);
        if h.len() != p.len() {
            problems.push(format!(
                "{}: haproxy wrote {} lines, proxyd {}:\n  {}\n  ---\n  {}",
                f.name,
                h.len(),
                p.len(),
                h.join("  "),
                p.join("  ")
            ));
            continue;
        }
        for (a, b) in h.iter().zip(p) {
            let (sa, sb) = (shape(a, f.timers), shape(b, f.timers));
            if sa != sb {
                problems.push(format!(
                    "{}:\n  haproxy {}\n  proxyd  {}",
                    f.name,
                    a.trim_end(),
                    b.trim_end()
                ));
            }
        }
        if f.name == "httplog" || f.name == "tcplog" {
            for arg in ["-st", "-srv"] {
                let (ha, pa) = (halog(h, arg), halog(p, arg));
                // -srv also prints average times: compare the counts only.
                let counts = |s: &str| -> Vec<String> {
                    s.lines()
                        .map(|l| l.split_whitespace().take(8).collect::<Vec<_>>().join(" "))
                        .collect()
                };
                if counts(&ha) != counts(&pa) {
                    problems.push(format!("{} halog {arg}:\n{ha}---\n{pa}", f.name));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A check target answering every connection with `answer` (nothing: it stays silent).
fn answering(answer: &'static [u8]) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            std::thread::spawn(move || {
                let mut s = s;
                let mut buf = [0u8; 4096];
                let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
                let _ = s.read(&mut buf);
                if answer.is_empty() {
                    std::thread::sleep(Duration::from_secs(2));
                } else {
                    let _ = s.write_all(answer);
                }
            });
        }
    });
    port
}

/// A check target whose answer the test switches between 200 and 503. (Closing a
/// listener instead would reset connections waiting in its backlog: a race between
/// "Connection refused" and "Socket error".)
struct Switch {
    port: u16,
    healthy: Arc<std::sync::atomic::AtomicBool>,
}

impl Switch {
    fn start() -> Switch {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let healthy = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let h = healthy.clone();
        std::thread::spawn(move || {
            for s in l.incoming().flatten() {
                let h = h.clone();
                std::thread::spawn(move || {
                    let mut s = s;
                    let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf);
                    let answer: &[u8] = if h.load(std::sync::atomic::Ordering::Relaxed) {
                        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                    } else {
                        b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"
                    };
                    let _ = s.write_all(answer);
                });
            }
        });
        Switch { port, healthy }
    }

    fn set(&self, healthy: bool) {
        self.healthy
            .store(healthy, std::sync::atomic::Ordering::Relaxed);
    }
}

/// `<PRI>` and the message, with the pid and the check duration (a timing) blanked.
fn event_shape(line: &str) -> String {
    let line = line.trim_end();
    let pri = line.split('>').next().unwrap_or("");
    let msg = line.split_once("]: ").map(|(_, m)| m).unwrap_or(line);
    let mut out = format!("{pri}> {msg}");
    if let Some(at) = out.find("check duration: ") {
        let from = at + "check duration: ".len();
        if let Some(len) = out[from..].find("ms.") {
            out.replace_range(from..from + len, "N");
        }
    }
    out
}

/// Servers going DOWN (refused, wrong status, invalid answer, timeout, tcp-check),
/// running on backup, a backend left without servers, a server coming back: the same
/// lines as HAProxy 2.6 sends to its `log` targets, with the same priorities (alert,
/// emerg, notice). Each backend has one changing server, so the counts in each line do
/// not depend on the order the checks run in.
#[test]
fn server_state_lines_match_haproxys() {
    assert!(have("haproxy"), "haproxy is not installed");
    let dir = Scratch::new("events");
    let s503 = answering(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
    let s200 = answering(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let garbage = answering(b"garbage\r\n");
    let silent = answering(b"");
    let refused = free_port();
    let mut shapes = Vec::new();
    for prog in ["haproxy", "proxyd"] {
        let rx = Receiver::start();
        let port = free_port();
        let flap = Switch::start();
        let cfg = dir.join(format!("events-{prog}.cfg"));
        std::fs::write(
            &cfg,
            format!(
                "global\n    log 127.0.0.1:{log} local0\ndefaults\n    mode http\n    log global\n    timeout connect 1s\n    timeout client 5s\n    timeout server 1s\n    timeout check 300ms\n    default-server inter 100 fall 1 rise 1\nfrontend f\n    bind 127.0.0.1:{port}\n    default_backend sts\nbackend sts\n    option httpchk GET /\n    server s 127.0.0.1:{s503} check\n    server k 127.0.0.1:{s200} check backup\nbackend rsp\n    option httpchk GET /\n    server s 127.0.0.1:{garbage} check\nbackend con\n    server s 127.0.0.1:{refused} check\nbackend tout\n    option httpchk GET /\n    server s 127.0.0.1:{silent} check\nbackend tcpc\n    option tcp-check\n    tcp-check expect string hello\n    server s 127.0.0.1:{refused} check\nbackend flap\n    option httpchk GET /\n    server s 127.0.0.1:{flap_port} check\n",
                log = rx.port,
                flap_port = flap.port,
            ),
        )
        .unwrap();
        let bin = if prog == "haproxy" {
            "haproxy".to_string()
        } else {
            binary("proxyd").to_str().unwrap().to_string()
        };
        let p = start(&bin, &cfg, port);
        std::thread::sleep(Duration::from_millis(1500));
        flap.set(false);
        std::thread::sleep(Duration::from_millis(1000));
        flap.set(true);
        std::thread::sleep(Duration::from_millis(1000));
        drop(p);
        let mut lines: Vec<String> = rx.take().iter().map(|l| event_shape(l)).collect();
        lines.sort();
        shapes.push(lines);
    }
    let (h, p) = (&shapes[0], &shapes[1]);
    assert!(
        h.iter().any(|l| l.contains("no server available")) && h.len() >= 7,
        "the scenario did not play out with HAProxy:\n{}",
        h.join("\n")
    );
    assert_eq!(
        h,
        p,
        "\nhaproxy:\n{}\nproxyd:\n{}",
        h.join("\n"),
        p.join("\n")
    );
}
