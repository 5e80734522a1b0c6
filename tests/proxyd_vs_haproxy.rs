//! proxyd beside HAProxy 2.6: the same haproxy.cfg (each on its own port), the same
//! recording backends, the same client bytes; what the client and the servers see is
//! compared. Loopback only.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// End-to-end tests measure real time.
#![allow(clippy::disallowed_methods)]

use e2e::{binary, free_port, have, make_ca, make_cert, make_signed, wait_for, Scratch, TlsServer};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A proxy process, killed on drop.
struct Proc {
    child: Child,
    log: std::path::PathBuf,
    port: u16,
}

impl Proc {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The second bound port (`@PORT2@`), read back from its configuration.
    fn port2(&self) -> u16 {
        let text = std::fs::read_to_string(self.log.with_extension("cfg")).unwrap();
        text.lines()
            .filter_map(|l| l.trim().strip_prefix("bind 127.0.0.1:"))
            .nth(1)
            .and_then(|l| l.split_whitespace().next())
            .and_then(|p| p.parse().ok())
            .unwrap()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// HAProxy and proxyd on the same configuration: `@PORT@` becomes each one's own
/// frontend port (and `@PORT2@` a second one).
struct Both {
    haproxy: Proc,
    proxyd: Proc,
    _dir: Scratch,
}

impl Both {
    fn start(tag: &str, template: &str) -> Both {
        assert!(
            have("haproxy"),
            "haproxy is not installed (the README test command installs it)"
        );
        let dir = Scratch::new(&format!("vs-{tag}"));
        let run = |prog: &str, name: &str| {
            let (port, port2) = (free_port(), free_port());
            let cfg = template
                .replace("@PORT@", &port.to_string())
                .replace("@PORT2@", &port2.to_string())
                .replace("@DIR@", &dir.display().to_string());
            let path = dir.join(format!("{name}.cfg"));
            std::fs::write(&path, cfg).unwrap();
            let log = dir.join(format!("{name}.log"));
            let f = std::fs::File::create(&log).unwrap();
            let child = Command::new(prog)
                .arg("-db")
                .arg("-f")
                .arg(&path)
                .stdout(f.try_clone().unwrap())
                .stderr(f)
                .spawn()
                .unwrap();
            let p = Proc { child, log, port };
            assert!(
                wait_for(5.0, || TcpStream::connect(("127.0.0.1", port)).is_ok()).is_some(),
                "{name} does not listen\n{}",
                p.log()
            );
            p
        };
        let haproxy = run("haproxy", "haproxy");
        let proxyd = run(binary("proxyd").to_str().unwrap(), "proxyd");
        Both {
            haproxy,
            proxyd,
            _dir: dir,
        }
    }

    /// (haproxy's, proxyd's), each from `f(port)`.
    fn each<T>(&self, f: impl Fn(u16) -> T) -> (T, T) {
        (f(self.haproxy.port), f(self.proxyd.port))
    }
}

/// A response as the client saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Send raw bytes, read to the end (the request should ask to close).
fn raw(port: u16, bytes: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(bytes).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

fn parse(out: &[u8]) -> Option<Resp> {
    let text = String::from_utf8_lossy(out);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.lines();
    let status = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Some(Resp {
        status,
        headers,
        body: body.to_string(),
    })
}

fn get(port: u16, path: &str, extra: &str) -> Resp {
    let req = format!("GET {path} HTTP/1.1\r\nHost: vs.test\r\n{extra}Connection: close\r\n\r\n");
    let out = raw(port, req.as_bytes());
    parse(&out).unwrap_or_else(|| panic!("no response: {:?}", String::from_utf8_lossy(&out)))
}

/// A backend: records what each connection sent first and answers with `answer`.
struct Backend {
    port: u16,
    seen: Arc<Mutex<Vec<Vec<u8>>>>,
    stop: Arc<AtomicBool>,
}

type Answer = Arc<dyn Fn(&[u8]) -> Vec<u8> + Send + Sync>;

impl Backend {
    fn start(answer: Answer) -> Backend {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (sn, st) = (seen.clone(), stop.clone());
        std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                let Ok((mut s, _)) = l.accept() else {
                    std::thread::sleep(Duration::from_millis(2));
                    continue;
                };
                let (sn, answer) = (sn.clone(), answer.clone());
                std::thread::spawn(move || {
                    s.set_nonblocking(false).unwrap();
                    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
                    let mut got = Vec::new();
                    let mut buf = [0u8; 4096];
                    // Up to the end of a request head (the body, if any, is short and
                    // read with it in these tests), or whatever comes in 300 ms.
                    loop {
                        match s.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => got.extend_from_slice(&buf[..n]),
                        }
                        if let Some(i) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                            let head = String::from_utf8_lossy(&got[..i]).to_ascii_lowercase();
                            let len: usize = head
                                .lines()
                                .find_map(|l| l.strip_prefix("content-length:"))
                                .and_then(|v| v.trim().parse().ok())
                                .unwrap_or(0);
                            if got.len() >= i + 4 + len {
                                break;
                            }
                        }
                    }
                    sn.lock().unwrap().push(got.clone());
                    let _ = s.write_all(&answer(&got));
                });
            }
        });
        Backend { port, seen, stop }
    }

    /// An HTTP server answering `NAME` with extra headers.
    fn http(name: &'static str, extra: &'static str) -> Backend {
        Backend::start(Arc::new(move |_| {
            format!(
                "HTTP/1.1 200 OK\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{name}",
                name.len()
            )
            .into_bytes()
        }))
    }

    fn seen(&self) -> Vec<Vec<u8>> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

const DEFAULTS: &str =
    "defaults\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n";

/// PROXY headers in front of the client's bytes (`accept-proxy`): rules see the address
/// the header gives, in TCP and HTTP mode, v1 and v2; the server gets the payload only.
#[test]
fn proxy_protocol_in() {
    let be = Backend::http("srv", "");
    let cfg = format!(
        "{DEFAULTS}frontend ft\n    mode tcp\n    bind 127.0.0.1:@PORT@ accept-proxy\n    tcp-request content reject if {{ src 10.0.0.0/8 }}\n    default_backend bt\nbackend bt\n    mode tcp\n    server s 127.0.0.1:{p}\nfrontend fh\n    mode http\n    bind 127.0.0.1:@PORT2@ accept-proxy\n    option forwardfor\n    http-request deny if {{ src 10.0.0.0/8 }}\n    default_backend bh\nbackend bh\n    mode http\n    server s 127.0.0.1:{p}\n",
        p = be.port
    );
    let both = Both::start("ppin", &cfg);
    let port2 = |p: &Proc| p.port2();
    let v1 = |ip: &str| format!("PROXY TCP4 {ip} 192.168.1.10 40000 443\r\n").into_bytes();
    let v2 = |ip: [u8; 4]| {
        let mut h = b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c".to_vec();
        h.extend_from_slice(&ip);
        h.extend_from_slice(&[192, 168, 1, 10, 0x9c, 0x40, 0x01, 0xbb]);
        h
    };
    let req = b"GET /pp HTTP/1.1\r\nHost: vs.test\r\nConnection: close\r\n\r\n";
    for (what, header, denied) in [
        ("v1 denied", v1("10.1.2.3"), true),
        ("v1 allowed", v1("172.16.5.6"), false),
        ("v2 denied", v2([10, 9, 8, 7]), true),
        ("v2 allowed", v2([172, 16, 5, 6]), false),
    ] {
        let mut bytes = header.clone();
        bytes.extend_from_slice(req);
        for p in [&both.haproxy, &both.proxyd] {
            let before = be.seen().len();
            // TCP mode: a rejected connection closes without a byte.
            let out = raw(p.port, &bytes);
            if denied {
                assert!(out.is_empty(), "{what} tcp through {:?}: {out:?}", p.log);
            } else {
                assert!(
                    out.ends_with(b"srv"),
                    "{what} tcp: {:?}",
                    String::from_utf8_lossy(&out)
                );
                let got = be.seen();
                assert_eq!(
                    got[before],
                    req.to_vec(),
                    "{what}: the server gets the payload only"
                );
            }
            // HTTP mode: 403 from the rule, or the server's answer with the header's
            // address in X-Forwarded-For.
            let before = be.seen().len();
            let out = raw(port2(p), &bytes);
            let r = parse(&out).unwrap_or_else(|| panic!("{what} http: {out:?}\n{}", p.log()));
            if denied {
                assert_eq!(r.status, 403, "{what} http");
            } else {
                assert_eq!((r.status, r.body.as_str()), (200, "srv"), "{what} http");
                let got = String::from_utf8_lossy(&be.seen()[before]).to_ascii_lowercase();
                assert!(got.contains("x-forwarded-for: 172.16.5.6"), "{what}: {got}");
            }
        }
        // No header at all: both close the connection.
        let (h, p) = both.each(|port| raw(port, req));
        assert!(
            h.is_empty() && p.is_empty(),
            "without a header: {h:?} / {p:?}"
        );
    }
}

/// `send-proxy` / `send-proxy-v2` towards servers, and `check-send-proxy` for checks:
/// the server receives the same header bytes from both (ports aside: each proxy's own).
#[test]
fn proxy_protocol_out() {
    for v2 in [false, true] {
        let be = Backend::http("srv", "");
        let opt = if v2 { "send-proxy-v2" } else { "send-proxy" };
        let cfg = format!(
            "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    default_backend b\nbackend b\n    mode http\n    option httpchk GET /chk\n    server s 127.0.0.1:{p} {opt} check check-send-proxy inter 500\n",
            p = be.port
        );
        let both = Both::start("ppout", &cfg);
        std::thread::sleep(Duration::from_millis(1500));
        for p in [&both.haproxy, &both.proxyd] {
            let before = be.seen().len();
            let mut s = TcpStream::connect(("127.0.0.1", p.port)).unwrap();
            let client = s.local_addr().unwrap();
            s.write_all(b"GET /x HTTP/1.1\r\nHost: vs.test\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut out = Vec::new();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let _ = s.read_to_end(&mut out);
            assert!(out.ends_with(b"srv"), "{}", p.log());
            let got = be
                .seen()
                .into_iter()
                .skip(before)
                .find(|r| !String::from_utf8_lossy(r).contains("/chk"))
                .unwrap();
            let want = if v2 {
                let mut h = b"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x00\x0c".to_vec();
                h.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
                h.extend_from_slice(&client.port().to_be_bytes());
                h.extend_from_slice(&p.port.to_be_bytes());
                h
            } else {
                format!(
                    "PROXY TCP4 127.0.0.1 127.0.0.1 {} {}\r\n",
                    client.port(),
                    p.port
                )
                .into_bytes()
            };
            assert!(
                got.starts_with(&want),
                "{opt}: {:?} does not start with {:?}",
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want)
            );
        }
        // Checks: v2 says LOCAL; v1 gives the check connection's own addresses.
        let checks: Vec<Vec<u8>> = be
            .seen()
            .into_iter()
            .filter(|r| String::from_utf8_lossy(r).contains("/chk"))
            .collect();
        assert!(checks.len() >= 2, "{} checks", checks.len());
        for c in &checks {
            if v2 {
                assert!(
                    c.starts_with(b"\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00GET /chk HTTP/1.0\r\n"),
                    "{c:?}"
                );
            } else {
                let text = String::from_utf8_lossy(c);
                let line = text.lines().next().unwrap();
                let w: Vec<&str> = line.split(' ').collect();
                assert_eq!(
                    &w[..4],
                    ["PROXY", "TCP4", "127.0.0.1", "127.0.0.1"],
                    "{text}"
                );
                assert_eq!(w[5], be.port.to_string(), "{text}");
            }
        }
    }
}

/// A WebSocket upgrade: the server's 101, then bytes both ways, through both.
#[test]
fn websocket_is_tunnelled() {
    let ws = Backend::start(Arc::new(|_| Vec::new()));
    drop(ws);
    // A server that answers the upgrade, then echoes with a prefix, and speaks first.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let seen_upgrade = Arc::new(Mutex::new(Vec::<String>::new()));
    let su = seen_upgrade.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let su = su.clone();
            std::thread::spawn(move || {
                let mut s = s;
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if s.read(&mut b).unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(b[0]);
                }
                su.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).to_ascii_lowercase());
                let _ = s.write_all(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\nhello-from-server\n");
                let mut buf = [0u8; 1024];
                loop {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            let mut reply = b"echo:".to_vec();
                            reply.extend_from_slice(&buf[..n]);
                            if s.write_all(&reply).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    let cfg = format!(
        "{DEFAULTS}    timeout tunnel 10s\nfrontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    default_backend b\nbackend b\n    mode http\n    server s 127.0.0.1:{port}\n"
    );
    let both = Both::start("ws", &cfg);
    let run = |port: u16| -> (String, String, String) {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        // The client's first frame goes right after the head: held until the 101.
        s.write_all(b"GET /chat HTTP/1.1\r\nHost: vs.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\nfirst")
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 1024];
        while !String::from_utf8_lossy(&got).contains("echo:first") {
            let n = s.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        s.write_all(b"second").unwrap();
        let mut more = Vec::new();
        while !String::from_utf8_lossy(&more).contains("echo:second") {
            let n = s.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            more.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8_lossy(&got).to_string();
        let status = text.lines().next().unwrap_or("").to_string();
        (status, text, String::from_utf8_lossy(&more).to_string())
    };
    let (h, p) = both.each(run);
    for (who, (status, text, more)) in [("haproxy", &h), ("proxyd", &p)] {
        assert!(status.starts_with("HTTP/1.1 101"), "{who}: {text}");
        assert!(text.contains("hello-from-server"), "{who}: {text}");
        assert!(text.contains("echo:first"), "{who}: {text}");
        assert!(more.contains("echo:second"), "{who}: {more}");
    }
    for head in seen_upgrade.lock().unwrap().iter() {
        assert!(head.contains("upgrade: websocket"), "{head}");
        assert!(head.contains("connection: upgrade"), "{head}");
    }
}

/// `monitor-uri` is answered by the proxy itself (200, or 503 while `monitor fail`
/// holds); the server never sees it.
#[test]
fn monitor_uri_answers_itself() {
    let be = Backend::http("srv", "");
    let down = free_port();
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    monitor-uri /health\n    monitor fail if {{ nbsrv(dead) lt 1 }}\n    default_backend b\nfrontend g\n    mode http\n    bind 127.0.0.1:@PORT2@\n    monitor-uri /health\n    default_backend b\nbackend b\n    mode http\n    server s 127.0.0.1:{p}\nbackend dead\n    mode http\n    server d 127.0.0.1:{down} check inter 200 fall 1\n",
        p = be.port
    );
    let both = Both::start("monitor", &cfg);
    std::thread::sleep(Duration::from_millis(1500));
    let (h, p) = both.each(|port| get(port, "/health", ""));
    assert_eq!(
        (h.status, p.status),
        (503, 503),
        "the dead backend fails the monitor"
    );
    let (h, p) = both.each(|port| get(port, "/other", ""));
    assert_eq!((h.status, p.status), (200, 200));
    assert!(be
        .seen()
        .iter()
        .all(|r| !String::from_utf8_lossy(r).contains("/health")));
}

/// `balance uri`: for 1000 URIs, proxyd sends each to the server HAProxy sends it to
/// (map-based and consistent hashing, equal and unequal weights, whole/depth/len).
#[test]
fn balance_uri_picks_haproxys_server() {
    let servers: Vec<Backend> = ["s1", "s2", "s3", "s4"]
        .iter()
        .map(|n| Backend::http(n, ""))
        .collect();
    for (variant, weights) in [
        ("", [1, 1, 1, 1]),
        ("", [2, 4, 6, 1]),
        ("whole", [1, 1, 1, 1]),
        ("depth 2", [3, 1, 1, 5]),
        ("len 6", [1, 1, 1, 1]),
        ("hash-type consistent", [1, 1, 1, 1]),
        ("hash-type consistent", [1, 3, 1, 2]),
        ("hash-type map-based djb2", [1, 1, 1, 1]),
        ("hash-type map-based sdbm avalanche", [1, 2, 1, 1]),
    ] {
        let (uri_args, hash_type) = match variant.strip_prefix("hash-type ") {
            Some(t) => ("", format!("    hash-type {t}\n")),
            None => (variant, String::new()),
        };
        let mut cfg = format!(
            "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    default_backend b\nbackend b\n    mode http\n    balance uri {uri_args}\n{hash_type}"
        );
        for (i, s) in servers.iter().enumerate() {
            cfg.push_str(&format!(
                "    server s{} 127.0.0.1:{} weight {}\n",
                i + 1,
                s.port,
                weights[i]
            ));
        }
        let both = Both::start("uri", &cfg);
        let mut differ = Vec::new();
        for i in 0..1000 {
            let uri = format!("/img/{}/{i}.png?v={}", i % 7, i % 3);
            let (h, p) = both.each(|port| get(port, &uri, "").body);
            if h != p {
                differ.push(format!("{uri}: haproxy {h}, proxyd {p}"));
            }
        }
        assert!(
            differ.is_empty(),
            "balance uri {variant} weights {weights:?}: {} of 1000 differ, e.g. {:?}",
            differ.len(),
            &differ[..differ.len().min(5)]
        );
    }
}

/// Cookie persistence (`cookie SERVERID insert indirect nocache`): for 1000 requests
/// with and without the cookie, the same server and the same Set-Cookie / Cache-Control
/// from both; prefix and rewrite modes and dates (`maxidle`) too.
#[test]
fn cookie_persistence_as_haproxy() {
    let servers = [
        Backend::http("s1", "Cache-Control: max-age=60\r\n"),
        Backend::http("s2", "Set-Cookie: SERVERID=app2; path=/\r\n"),
        Backend::http("s3", "Last-Modified: Thu, 01 Dec 2022 16:00:00 GMT\r\n"),
    ];
    for mode in [
        "insert indirect nocache",
        "insert nocache httponly secure domain .vs.test",
        "insert indirect postonly",
        "prefix",
        "rewrite",
        "indirect",
    ] {
        let mut cfg = format!(
            "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    default_backend b\nbackend b\n    mode http\n    cookie SERVERID {mode}\n"
        );
        for (i, s) in servers.iter().enumerate() {
            cfg.push_str(&format!(
                "    server s{n} 127.0.0.1:{} cookie s{n}\n",
                s.port,
                n = i + 1
            ));
        }
        let both = Both::start("cookie", &cfg);
        let mut differ = Vec::new();
        for i in 0..1000 {
            let cookie = match i % 5 {
                0 => String::new(),
                1 => "Cookie: SERVERID=s1\r\n".into(),
                2 => "Cookie: a=1; SERVERID=s3; b=2\r\n".into(),
                3 => "Cookie: SERVERID=s2~app2\r\n".into(),
                _ => "Cookie: SERVERID=nosuch\r\n".into(),
            };
            let method = if i % 2 == 0 { "GET" } else { "POST" };
            let req = format!(
                "{method} /c/{i} HTTP/1.1\r\nHost: vs.test\r\n{cookie}Content-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let (h, p) = both.each(|port| parse(&raw(port, req.as_bytes())).unwrap());
            // Without a usable cookie the first server differs by the balancer's
            // rotation: then each must name in its cookie the server that answered.
            let comparable = i % 5 != 0 && i % 5 != 4;
            let view = |r: &Resp| {
                (
                    r.body.clone(),
                    r.header("set-cookie").join(" | "),
                    r.header("cache-control").join(" | "),
                )
            };
            if comparable && view(&h) != view(&p) {
                differ.push(format!(
                    "{req:?}: haproxy {:?} proxyd {:?}",
                    view(&h),
                    view(&p)
                ));
            }
            if !comparable {
                for (who, r) in [("haproxy", &h), ("proxyd", &p)] {
                    for sc in r.header("set-cookie") {
                        if sc.starts_with("SERVERID=") && mode.starts_with("insert") {
                            assert!(
                                sc.starts_with(&format!("SERVERID={}", r.body)),
                                "{mode} {who}: {sc} from {}",
                                r.body
                            );
                        }
                    }
                }
            }
        }
        assert!(
            differ.is_empty(),
            "cookie {mode}: {} of 600 comparable requests differ, e.g.\n{}",
            differ.len(),
            differ[..differ.len().min(5)].join("\n")
        );
    }
    // What the servers got: with `indirect` (insert), the cookie is gone.
    let s3: Vec<String> = servers[2]
        .seen()
        .iter()
        .map(|r| String::from_utf8_lossy(r).to_string())
        .collect();
    assert!(
        s3.iter().any(|r| r.contains("cookie: a=1; b=2")),
        "{:?}",
        &s3[..3]
    );
}

/// Server `redir`: GET/HEAD get a 302 to the server's prefix; other methods are proxied.
#[test]
fn server_redir_as_haproxy() {
    let be = Backend::http("srv", "");
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    default_backend b\nbackend b\n    mode http\n    server s 127.0.0.1:{} redir http://img.vs.test\n",
        be.port
    );
    let both = Both::start("redir", &cfg);
    let (h, p) = both.each(|port| get(port, "/a/b?c=1", ""));
    assert_eq!((h.status, p.status), (302, 302));
    assert_eq!(h.header("location"), p.header("location"));
    assert_eq!(p.header("location"), vec!["http://img.vs.test/a/b?c=1"]);
    let req =
        b"POST /p HTTP/1.1\r\nHost: vs.test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    let (h, p) = both.each(|port| parse(&raw(port, req)).unwrap());
    assert_eq!((h.status, h.body.as_str()), (200, "srv"));
    assert_eq!((p.status, p.body.as_str()), (200, "srv"));
}

/// Which of `names` answer `n` requests.
fn answering(port: u16, n: usize) -> std::collections::BTreeSet<String> {
    (0..n)
        .map(|i| get(port, &format!("/r{i}"), "").body)
        .collect()
}

/// `track`, `agent-check` and `observe layer7` steer traffic as in HAProxy.
#[test]
fn track_agent_and_observe_as_haproxy() {
    let s1_up = Arc::new(AtomicBool::new(true));
    let s1_status = Arc::new(AtomicU16::new(200));
    let (up, st) = (s1_up.clone(), s1_status.clone());
    let s1 = Backend::start(Arc::new(move |req| {
        let text = String::from_utf8_lossy(req);
        if text.contains("/chk") && !up.load(Ordering::Relaxed) {
            return b"HTTP/1.1 503 Down\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec();
        }
        let status = st.load(Ordering::Relaxed);
        format!("HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\ns1")
            .into_bytes()
    }));
    let s2 = Backend::http("s2", "");
    // The agent's answer, changed by the test.
    let agent_says = Arc::new(Mutex::new(String::from("up 100%\n")));
    let al = TcpListener::bind("127.0.0.1:0").unwrap();
    let agent_port = al.local_addr().unwrap().port();
    let says = agent_says.clone();
    std::thread::spawn(move || {
        for s in al.incoming().flatten() {
            let mut s = s;
            let line = says.lock().unwrap().clone();
            let _ = s.write_all(line.as_bytes());
        }
    });
    let cfg = format!(
        "{DEFAULTS}frontend ft\n    mode http\n    bind 127.0.0.1:@PORT@\n    use_backend tracked if {{ path_beg /t }}\n    default_backend agent\nbackend checked\n    mode http\n    option httpchk GET /chk\n    server c1 127.0.0.1:{p1} check inter 200 fall 2 rise 2\nbackend tracked\n    mode http\n    server t1 127.0.0.1:{p1} track checked/c1\n    server t2 127.0.0.1:{p2}\nbackend agent\n    mode http\n    server a1 127.0.0.1:{p1} agent-check agent-port {agent_port} agent-inter 200\n    server a2 127.0.0.1:{p2}\n",
        p1 = s1.port,
        p2 = s2.port
    );
    let both = Both::start("steer", &cfg);
    std::thread::sleep(Duration::from_millis(1200));
    let set = |v: &[&str]| {
        v.iter()
            .map(|s| s.to_string())
            .collect::<std::collections::BTreeSet<_>>()
    };
    // Everything up: both servers answer for each backend.
    let (h, p) = both.each(|port| answering(port, 8));
    assert_eq!((h, p), (set(&["s1", "s2"]), set(&["s1", "s2"])));
    // track: c1's checks fail, so t1 goes down with it.
    s1_up.store(false, Ordering::Relaxed);
    std::thread::sleep(Duration::from_millis(1500));
    let (h, p) = both.each(|port| {
        (0..6)
            .map(|i| get(port, &format!("/t{i}"), "").body)
            .collect::<std::collections::BTreeSet<_>>()
    });
    assert_eq!((h, p), (set(&["s2"]), set(&["s2"])), "tracked server down");
    s1_up.store(true, Ordering::Relaxed);
    // agent: `drain` and `down` keep a1 out; `up ready` brings it back.
    for (says, want) in [
        ("drain\n", set(&["s2"])),
        ("ready up\n", set(&["s1", "s2"])),
        ("down\n", set(&["s2"])),
        ("up\n", set(&["s1", "s2"])),
    ] {
        *agent_says.lock().unwrap() = says.to_string();
        std::thread::sleep(Duration::from_millis(1500));
        let (h, p) = both.each(|port| {
            (0..6)
                .map(|i| get(port, &format!("/a{i}"), "").body)
                .collect::<std::collections::BTreeSet<_>>()
        });
        assert_eq!((&h, &p), (&want, &want), "agent says {says:?}");
    }
    drop(both);
    // observe layer7: o1 answers 500; after 3 errors in a row it is marked down. Its own
    // config: HAProxy spreads every server's first check over the longest `inter`, so
    // the 60 s one here would hold back the agent's above.
    let cfg = format!(
        "{DEFAULTS}frontend ft\n    mode http\n    bind 127.0.0.1:@PORT@\n    default_backend observed\nbackend observed\n    mode http\n    server o1 127.0.0.1:{p1} check inter 60s observe layer7 error-limit 3 on-error mark-down\n    server o2 127.0.0.1:{p2}\n",
        p1 = s1.port,
        p2 = s2.port
    );
    let both = Both::start("observe", &cfg);
    let (h, p) = both.each(|port| answering(port, 8));
    assert_eq!((h, p), (set(&["s1", "s2"]), set(&["s1", "s2"])));
    s1_status.store(500, Ordering::Relaxed);
    for port in [both.haproxy.port, both.proxyd.port] {
        for i in 0..12 {
            get(port, &format!("/o{i}"), "");
        }
    }
    s1_status.store(200, Ordering::Relaxed);
    let (h, p) = both.each(|port| answering(port, 8));
    assert_eq!(
        (h, p),
        (set(&["s2"]), set(&["s2"])),
        "o1 marked down by live errors"
    );
}

/// The smuggling-shaped requests: what HAProxy answers, proxyd answers (regression tests
/// for access rules walked around with an absolute URI, two Host headers, chunked twice).
#[test]
fn ambiguous_requests_as_haproxy() {
    let be = Backend::http("srv", "");
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    http-request deny if {{ hdr(host) -i admin.example }}\n    http-request deny unless {{ hdr(host) -i public.example admin.example }}\n    default_backend b\nbackend b\n    mode http\n    server s 127.0.0.1:{}\n",
        be.port
    );
    let both = Both::start("smuggle", &cfg);
    let cases: &[(&str, &str)] = &[
        ("absolute URI, other Host", "GET http://admin.example/admin HTTP/1.1\r\nHost: public.example\r\nConnection: close\r\n\r\n"),
        ("absolute URI, same Host", "GET http://public.example/x HTTP/1.1\r\nHost: public.example\r\nConnection: close\r\n\r\n"),
        ("absolute URI, default port", "GET http://public.example:80/x HTTP/1.1\r\nHost: public.example\r\nConnection: close\r\n\r\n"),
        ("two Host headers", "GET /admin HTTP/1.1\r\nHost: public.example\r\nHost: admin.example\r\nConnection: close\r\n\r\n"),
        ("two equal Host headers", "GET /x HTTP/1.1\r\nHost: public.example\r\nHost: Public.Example\r\nConnection: close\r\n\r\n"),
        ("chunked, chunked", "POST / HTTP/1.1\r\nHost: public.example\r\nTransfer-Encoding: chunked, chunked\r\nConnection: close\r\n\r\n0\r\n\r\n"),
        ("two chunked lines", "POST / HTTP/1.1\r\nHost: public.example\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n"),
        ("gzip, chunked", "POST / HTTP/1.1\r\nHost: public.example\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n0\r\n\r\n"),
        ("chunked and content-length", "POST / HTTP/1.1\r\nHost: public.example\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\nConnection: close\r\n\r\n0\r\n\r\n"),
    ];
    for (what, req) in cases {
        let (h, p) = both.each(|port| parse(&raw(port, req.as_bytes())).map(|r| r.status));
        assert_eq!(h, p, "{what}: haproxy {h:?}, proxyd {p:?}");
    }
    // A deliberate difference (docs/haproxy-behaviour.md): RFC 9112 6.1 says an HTTP/1.0
    // message with Transfer-Encoding has faulty framing; HAProxy forwards it, proxyd
    // answers 400.
    let req = "POST / HTTP/1.0\r\nHost: public.example\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    let (h, p) = both.each(|port| parse(&raw(port, req.as_bytes())).map(|r| r.status));
    assert_eq!((h, p), (Some(200), Some(400)));
}

/// A TLS bind offering `alpn h2,http/1.1`: `curl --http2` is served over h2 by both.
#[test]
fn tls_alpn_h2_serves_curl_http2() {
    let be = Backend::http("srv", "");
    let dir = Scratch::new("vs-alpn");
    let cert = make_cert(&dir, "vs.test");
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@ ssl crt {} alpn h2,http/1.1\n    default_backend b\nbackend b\n    mode http\n    server s 127.0.0.1:{}\n",
        cert.display(),
        be.port
    );
    let both = Both::start("alpn", &cfg);
    let (h, p) = both.each(|port| {
        let out = Command::new("curl")
            .args(["-sk", "--http2", "-o", "-", "-w", " %{http_version}"])
            .arg(format!("https://127.0.0.1:{port}/x"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string()
    });
    assert_eq!(h, "srv 2", "haproxy: {h}");
    assert_eq!(p, "srv 2", "proxyd: {p}\n{}", both.proxyd.log());
    assert!(both.proxyd.log().is_empty() || !both.proxyd.log().contains("error"));
}

/// `use_backend` with a name written as log-format: the backend it names, else (a name
/// that is no backend) the default one, as HAProxy.
#[test]
fn dynamic_use_backend_as_haproxy() {
    let (a, b, d) = (
        Backend::http("a", ""),
        Backend::http("b", ""),
        Backend::http("d", ""),
    );
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    use_backend be_%[req.hdr(x-be),lower] if {{ req.hdr(x-be) -m found }}\n    default_backend be_d\nbackend be_a\n    mode http\n    server s 127.0.0.1:{}\nbackend be_b\n    mode http\n    server s 127.0.0.1:{}\nbackend be_d\n    mode http\n    server s 127.0.0.1:{}\n",
        a.port, b.port, d.port
    );
    let both = Both::start("dynbe", &cfg);
    for (hdr, want) in [
        ("X-Be: a\r\n", "a"),
        ("X-Be: B\r\n", "b"),
        ("X-Be: nosuch\r\n", "d"),
        ("", "d"),
    ] {
        let (h, p) = both.each(|port| get(port, "/", hdr).body);
        assert_eq!((h.as_str(), p.as_str()), (want, want), "{hdr:?}");
    }
}

/// TLS towards servers: `verify none` against a self-signed certificate, `verify
/// required` with the right CA and with another one, names (the SNI sent, `verifyhost`
/// without one, the chain alone without either), in mode http and mode tcp: the client
/// gets the same from HAProxy and from proxyd.
#[test]
fn server_tls_verify_as_haproxy() {
    let dir = Scratch::new("vs-srvtls");
    let ca = make_ca(&dir, "ca");
    let other = make_ca(&dir, "other");
    let pem = make_signed(&dir, "good", "ca", &["vs.test"]);
    let own = make_cert(&dir, "self.test");
    let good = TlsServer::start(&pem, None, &[]);
    let selfsigned = TlsServer::start(&own, None, &[]);
    let (ca, other, gp, sp) = (ca.display(), other.display(), good.port, selfsigned.port);
    let routes = [
        ("/none", format!("127.0.0.1:{sp} ssl verify none")),
        (
            "/right",
            format!("127.0.0.1:{gp} ssl verify required ca-file {ca} sni str(vs.test)"),
        ),
        (
            "/wrong",
            format!("127.0.0.1:{gp} ssl verify required ca-file {other} sni str(vs.test)"),
        ),
        (
            "/badname",
            format!("127.0.0.1:{gp} ssl ca-file {ca} sni str(bad.test)"),
        ),
        (
            "/host",
            format!("127.0.0.1:{gp} ssl ca-file {ca} sni req.hdr(host)"),
        ),
        (
            "/verifyhost",
            format!("127.0.0.1:{gp} ssl ca-file {ca} verifyhost bad.test"),
        ),
        (
            "/sniwins",
            format!("127.0.0.1:{gp} ssl ca-file {ca} sni str(vs.test) verifyhost bad.test"),
        ),
        ("/chain", format!("127.0.0.1:{gp} ssl ca-file {ca}")),
    ];
    let mut cfg = format!("{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n");
    for (i, (path, _)) in routes.iter().enumerate() {
        cfg += &format!("    use_backend b{i} if {{ path {path} }}\n");
    }
    for (i, (_, server)) in routes.iter().enumerate() {
        cfg += &format!("backend b{i}\n    mode http\n    server s {server}\n");
    }
    cfg += &format!(
        "listen t\n    mode tcp\n    bind 127.0.0.1:@PORT2@\n    server s 127.0.0.1:{gp} ssl verify required ca-file {ca} sni str(vs.test)\n"
    );
    let both = Both::start("srvtls", &cfg);
    let expected = [
        (200, "sni=-"),
        (200, "sni=vs.test"),
        (503, ""),
        (503, ""),
        (200, "sni=vs.test"),
        (503, ""),
        (200, "sni=vs.test"),
        (200, "sni=-"),
    ];
    for ((path, server), want) in routes.iter().zip(expected) {
        let (h, p) = both.each(|port| get(port, path, ""));
        assert_eq!(
            h.status,
            p.status,
            "{path} ({server})\n{}",
            both.proxyd.log()
        );
        assert_eq!(h.status, want.0, "{path}: HAProxy\n{}", both.haproxy.log());
        if want.0 == 200 {
            assert_eq!(
                (h.body.as_str(), p.body.as_str()),
                (want.1, want.1),
                "{path}"
            );
        }
    }
    // Mode tcp: the bytes go through the verified connection.
    let req = b"GET / HTTP/1.1\r\nHost: vs.test\r\nConnection: close\r\n\r\n";
    let port2 = |p: &Proc| -> u16 {
        let text = std::fs::read_to_string(p.log.with_extension("cfg")).unwrap();
        text.lines()
            .filter_map(|l| l.trim().strip_prefix("bind 127.0.0.1:"))
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap()
    };
    let (h, p) = (
        parse(&raw(port2(&both.haproxy), req)),
        parse(&raw(port2(&both.proxyd), req)),
    );
    let (h, p) = (h.unwrap(), p.unwrap());
    assert_eq!((h.status, h.body.as_str()), (200, "sni=vs.test"));
    assert_eq!((p.status, p.body.as_str()), (200, "sni=vs.test"));
}

/// `http-after-response`: on the server's answers and on the proxy's own (deny, return,
/// 503), the backend's rules then the frontend's, once in a listen section; a rule that
/// adds a header in a listen section must add it once (the listen is one proxy).
#[test]
fn after_response_rules_as_haproxy() {
    let a = Backend::http("a", "");
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    http-request deny if {{ path /deny }}\n    http-request return status 200 content-type text/plain string ok if {{ path /ret }}\n    http-after-response set-header X-Fe fe-%[status]\n    http-after-response add-header X-Order fe\n    http-after-response set-status 299 if {{ status 200 }} {{ path /ret }}\n    http-after-response del-header X-Gone\n    use_backend dead if {{ path /dead }}\n    default_backend b\nbackend b\n    mode http\n    http-response set-header X-Gone 1\n    http-after-response add-header X-Order be\n    http-after-response set-var(txn.s) status\n    http-after-response set-header X-Var %[var(txn.s)]\n    server s 127.0.0.1:{}\nbackend dead\n    mode http\n    server s 127.0.0.1:9\nlisten l\n    mode http\n    bind 127.0.0.1:@PORT2@\n    http-request add-header X-Req once\n    http-request return status 202 content-type text/plain string twice if {{ req.hdr_cnt(x-req) gt 1 }}\n    http-after-response add-header X-Once 1\n    server s 127.0.0.1:{}\n",
        a.port, a.port
    );
    let both = Both::start("after", &cfg);
    let keep = ["x-fe", "x-order", "x-gone", "x-var", "x-once"];
    let shown = |r: Resp| {
        let mut h: Vec<(String, String)> = r
            .headers
            .into_iter()
            .filter(|(k, _)| keep.contains(&k.as_str()))
            .collect();
        h.sort();
        (r.status, h)
    };
    for path in ["/", "/deny", "/ret", "/dead"] {
        let (h, p) = both.each(|port| shown(get(port, path, "")));
        assert_eq!(
            h,
            p,
            "{path}\nhaproxy: {}\nproxyd: {}",
            both.haproxy.log(),
            both.proxyd.log()
        );
    }
    let listen = |port: u16| shown(get(port, "/", ""));
    let (h, p) = (listen(both.haproxy.port2()), listen(both.proxyd.port2()));
    assert_eq!(h, p, "listen section");
}

/// Userlists and Basic authentication: `http-request auth` (realm given and the
/// proxy's name), `http_auth`, `http_auth_group` in ACLs and as a value, the
/// Authorization header's parts; insecure and hashed (MD5, SHA-256, SHA-512) passwords.
#[test]
fn basic_auth_as_haproxy() {
    let a = Backend::http("a", "");
    let cfg = format!(
        "userlist admins\n    group ops users carol\n    group devs\n    user alice insecure-password wonder groups devs\n    user bob password $6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1\n    user carol password $1$xyz$Qia9Wq6FxQkYcwNWMk/RM0\n    user dave password $5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA groups devs\n{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    acl ok http_auth(admins)\n    acl ops http_auth_group(admins) ops\n    http-request auth realm Admin\\ Area if {{ path_beg /admin }} !ok\n    http-request auth if {{ path_beg /ops }} !ops\n    http-request return status 200 content-type text/plain lf-string \"user=%[http_auth_user] type=%[http_auth_type] g=%[http_auth_group(admins)] ok=%[http_auth(admins)]\" if {{ path /who }}\n    default_backend b\nbackend b\n    mode http\n    server s 127.0.0.1:{}\n",
        a.port
    );
    let both = Both::start("auth", &cfg);
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };
    let shown = |r: Resp| {
        (
            r.status,
            r.header("www-authenticate").join(","),
            r.body.clone(),
        )
    };
    for (path, cred) in [
        ("/admin", None),
        ("/admin", Some("alice:wonder")),
        ("/admin", Some("alice:wrong")),
        ("/admin", Some("bob:secret")),
        ("/admin", Some("carol:secret")),
        ("/admin", Some("dave:secret")),
        ("/admin", Some("eve:secret")),
        ("/ops", Some("carol:secret")),
        ("/ops", Some("alice:wonder")),
        ("/who", Some("dave:secret")),
        ("/who", Some("alice:nope")),
        ("/who", None),
    ] {
        let extra = cred
            .map(|c| format!("Authorization: Basic {}\r\n", b64(c)))
            .unwrap_or_default();
        let (h, p) = both.each(|port| shown(get(port, path, &extra)));
        assert_eq!(h, p, "{path} {cred:?}");
    }
}

/// `use-service prometheus-exporter`: proxyd's exposition passes `promtool check
/// metrics`, and every metric family it writes exists in HAProxy 2.6's, with the same
/// type and the same label names (values differ: two processes, two clocks).
#[test]
fn prometheus_exporter_as_haproxy() {
    let a = Backend::http("a", "");
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    http-request use-service prometheus-exporter if {{ path /metrics }}\n    default_backend b\nbackend b\n    mode http\n    server s1 127.0.0.1:{} check inter 500\n    server s2 127.0.0.1:9 disabled\n",
        a.port
    );
    let both = Both::start("promex", &cfg);
    let _ = both.each(|port| get(port, "/", ""));
    let (h, p) = both.each(|port| get(port, "/metrics", ""));
    assert_eq!((h.status, p.status), (200, 200));
    assert_eq!(p.header("content-type"), h.header("content-type"));
    let dir = Scratch::new("promex-check");
    let file = dir.join("metrics.txt");
    std::fs::write(&file, &p.body).unwrap();
    assert!(
        have("promtool"),
        "promtool is not installed (the README test command installs it)"
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("promtool check metrics < {}", file.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // name -> (type, label names), from the TYPE lines and the samples.
    let families = |text: &str| {
        let mut m: std::collections::BTreeMap<
            String,
            (String, std::collections::BTreeSet<String>),
        > = Default::default();
        for l in text.lines() {
            if let Some(rest) = l.strip_prefix("# TYPE ") {
                let mut w = rest.split_whitespace();
                let (n, t) = (w.next().unwrap(), w.next().unwrap());
                m.entry(n.to_string()).or_default().0 = t.to_string();
            } else if !l.starts_with('#') && !l.is_empty() {
                let name = l.split(['{', ' ']).next().unwrap();
                let labels = l
                    .split_once('{')
                    .and_then(|(_, r)| r.split_once('}'))
                    .map(|(ls, _)| ls)
                    .unwrap_or("");
                let set = &mut m.entry(name.to_string()).or_default().1;
                for kv in labels.split("\",").filter(|s| !s.is_empty()) {
                    set.insert(kv.split('=').next().unwrap().to_string());
                }
            }
        }
        m
    };
    let (hf, pf) = (families(&h.body), families(&p.body));
    assert!(pf.len() >= 50, "only {} families", pf.len());
    for (name, (t, labels)) in &pf {
        let Some((ht, hl)) = hf.get(name) else {
            panic!("{name}: HAProxy has no such metric");
        };
        assert_eq!((t, labels), (ht, hl), "{name}");
    }
    // Values that must agree: the server states and the 2xx count of the first request.
    for line in [
        "haproxy_server_status{proxy=\"b\",server=\"s2\",state=\"MAINT\"} 1",
        "haproxy_backend_http_responses_total{proxy=\"b\",code=\"2xx\"} 1",
    ] {
        assert!(h.body.contains(line), "haproxy lacks {line}");
        assert!(p.body.contains(line), "proxyd lacks {line}");
    }
}

/// `compression algo|type|offload`: the same responses from the same origin are
/// compressed or left alone as HAProxy decides (Accept-Encoding and q-values, old
/// agents, HTTP/1.0, HEAD, status, Content-Encoding, no-transform, ETags, types), with
/// the same headers (Content-Encoding, Vary, the weakened ETag, no Content-Length) and,
/// once inflated, the same body.
#[test]
fn compression_as_haproxy() {
    let text = "compressible text, ".repeat(40);
    let cfg = format!(
        "{DEFAULTS}frontend origin\n    mode http\n    bind 127.0.0.1:@PORT2@\n    http-request return status 200 content-type text/html string \"{text}\" if {{ path /html }}\n    http-request return status 200 content-type text/plain string \"{text}\" hdr ETag '\"abc\"' if {{ path /etag }}\n    http-request return status 200 content-type text/plain string \"{text}\" hdr ETag 'W/\"abc\"' if {{ path /weak }}\n    http-request return status 200 content-type text/plain string \"{text}\" hdr ETag abc if {{ path /badetag }}\n    http-request return status 200 content-type image/png string \"{text}\" if {{ path /png }}\n    http-request return status 200 content-type text/plain string \"{text}\" hdr Cache-Control no-transform if {{ path /notr }}\n    http-request return status 200 content-type text/plain string \"{text}\" hdr Content-Encoding br if {{ path /br }}\n    http-request return status 404 content-type text/plain string \"{text}\" if {{ path /404 }}\n    http-request return status 200 content-type multipart/mixed string \"{text}\" if {{ path /multi }}\n    http-request return status 200 content-type text/plain string \"{text}\" hdr X-Seen %[req.hdr(accept-encoding)] if {{ path /seen }}\n    http-request return status 200 content-type text/plain string \"{text}\"\nfrontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    compression algo gzip deflate\n    compression type text/html text/plain\n    use_backend off if {{ path /seen }}\n    default_backend b\nbackend b\n    mode http\n    server o 127.0.0.1:@PORT2@\nbackend off\n    mode http\n    compression algo gzip\n    compression offload\n    server o 127.0.0.1:@PORT2@\n"
    );
    let both = Both::start("compress", &cfg);
    let ask = |port: u16, req: &str| -> (u16, Vec<(String, String)>, Vec<u8>) {
        let out = raw(port, req.as_bytes());
        let split = out
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(out.len());
        let head = String::from_utf8_lossy(&out[..split]).to_string();
        let mut body = out.get(split + 4..).unwrap_or_default().to_vec();
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        if get("transfer-encoding").is_some_and(|t| t.contains("chunked")) {
            // De-chunk.
            let mut out = Vec::new();
            let mut rest = &body[..];
            while let Some(eol) = rest.windows(2).position(|w| w == b"\r\n") {
                let size = usize::from_str_radix(
                    String::from_utf8_lossy(&rest[..eol])
                        .split(';')
                        .next()
                        .unwrap_or("0")
                        .trim(),
                    16,
                )
                .unwrap_or(0);
                if size == 0 {
                    break;
                }
                out.extend_from_slice(&rest[eol + 2..eol + 2 + size]);
                rest = &rest[eol + 2 + size + 2..];
            }
            body = out;
        }
        let inflated = match get("content-encoding").as_deref() {
            Some("gzip") => {
                let mut d = flate2::read::GzDecoder::new(&body[..]);
                let mut v = Vec::new();
                d.read_to_end(&mut v)
                    .map(|_| v)
                    .unwrap_or_else(|e| format!("bad gzip: {e}").into_bytes())
            }
            Some("deflate") => {
                let mut d = flate2::read::ZlibDecoder::new(&body[..]);
                let mut v = Vec::new();
                d.read_to_end(&mut v)
                    .map(|_| v)
                    .unwrap_or_else(|e| format!("bad deflate: {e}").into_bytes())
            }
            _ => body,
        };
        let keep = [
            "content-encoding",
            "vary",
            "etag",
            "content-length",
            "transfer-encoding",
            "x-seen",
        ];
        let encoded = get("content-encoding").is_some();
        let mut h: Vec<(String, String)> = headers
            .clone()
            .into_iter()
            .filter(|(k, _)| keep.contains(&k.as_str()))
            .map(|(k, v)| {
                // A compressed length depends on the compressor: only its presence counts.
                if k == "content-length" && encoded {
                    (k, "N".into())
                } else {
                    (k, v)
                }
            })
            .collect();
        h.sort();
        (status, h, inflated)
    };
    let cases: Vec<(&str, &str)> = vec![
        ("/html", "Accept-Encoding: gzip\r\n"),
        ("/html", "Accept-Encoding: deflate\r\n"),
        ("/html", "Accept-Encoding: gzip;q=0.5, deflate\r\n"),
        ("/html", "Accept-Encoding: gzip;q=0\r\n"),
        ("/html", "Accept-Encoding: br\r\n"),
        ("/html", "Accept-Encoding: *\r\n"),
        ("/html", ""),
        ("/html", "Accept-Encoding: gzip\r\nUser-Agent: Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)\r\n"),
        ("/html", "Accept-Encoding: gzip\r\nUser-Agent: Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.0)\r\n"),
        ("/etag", "Accept-Encoding: gzip\r\n"),
        ("/weak", "Accept-Encoding: gzip\r\n"),
        ("/badetag", "Accept-Encoding: gzip\r\n"),
        ("/png", "Accept-Encoding: gzip\r\n"),
        ("/notr", "Accept-Encoding: gzip\r\n"),
        ("/br", "Accept-Encoding: gzip\r\n"),
        ("/404", "Accept-Encoding: gzip\r\n"),
        ("/multi", "Accept-Encoding: gzip\r\n"),
        ("/seen", "Accept-Encoding: gzip\r\n"),
        ("/seen", "Accept-Encoding: br\r\n"),
    ];
    for (path, extra) in cases {
        for (method, version) in [("GET", "1.1"), ("HEAD", "1.1"), ("GET", "1.0")] {
            let req = format!(
                "{method} {path} HTTP/{version}\r\nHost: vs.test\r\n{extra}Connection: close\r\n\r\n"
            );
            let (h, p) = both.each(|port| ask(port, &req));
            assert_eq!(
                (h.0, &h.1),
                (p.0, &p.1),
                "{method} {path} HTTP/{version} {extra:?}"
            );
            assert!(
                h.2 == p.2,
                "{method} {path} HTTP/{version} {extra:?}: bodies differ once inflated"
            );
        }
    }
}

/// `cache` sections with `cache-use` / `cache-store`: the same responses are kept (the
/// second request gets the first body, with an `Age`) or not as HAProxy keeps them:
/// statuses, Cache-Control, Expires, validators, Vary, request methods, credentials,
/// request no-cache, query and Host in the key, HEAD from the cache, 304 to If-None-Match.
#[test]
fn cache_as_haproxy() {
    let r = "lf-string \"%[rand]\"";
    let cfg = format!(
        "{DEFAULTS}cache c1\n    total-max-size 4\n    max-age 60\nfrontend origin\n    mode http\n    bind 127.0.0.1:@PORT2@\n    http-request return status 200 content-type text/plain {r} if {{ path /plain }}\n    http-request return status 200 content-type text/plain {r} hdr Cache-Control no-cache if {{ path /nocache }}\n    http-request return status 200 content-type text/plain {r} hdr Cache-Control \"max-age=30, private\" if {{ path /private }}\n    http-request return status 200 content-type text/plain {r} hdr Cache-Control no-store if {{ path /nostore }}\n    http-request return status 200 content-type text/plain {r} hdr Cache-Control public if {{ path /public }}\n    http-request return status 200 content-type text/plain {r} hdr Cache-Control max-age=0 if {{ path /zero }}\n    http-request return status 200 content-type text/plain {r} hdr Cache-Control s-maxage=30 if {{ path /smax }}\n    http-request return status 200 content-type text/plain {r} hdr ETag '\"e1\"' if {{ path /etag }}\n    http-request return status 200 content-type text/plain {r} hdr Last-Modified \"Wed, 01 Jan 2020 00:00:00 GMT\" if {{ path /lm }}\n    http-request return status 200 content-type text/plain {r} hdr Expires \"Thu, 01 Jan 2099 00:00:00 GMT\" if {{ path /expires }}\n    http-request return status 200 content-type text/plain {r} hdr Expires \"Thu, 01 Jan 1970 00:00:00 GMT\" if {{ path /expired }}\n    http-request return status 404 content-type text/plain {r} hdr Cache-Control max-age=30 if {{ path /404 }}\n    http-request return status 301 content-type text/plain {r} hdr Location /x hdr Cache-Control max-age=30 if {{ path /301 }}\n    http-request return status 200 content-type text/plain {r} hdr Cache-Control max-age=30 hdr Vary Accept-Encoding if {{ path /vary }}\n    http-request return status 200 content-type text/plain {r} hdr Cache-Control max-age=30 hdr Set-Cookie a=1 if {{ path /cookie }}\n    http-request return status 200 content-type text/plain {r} hdr Cache-Control max-age=30\nfrontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    http-request cache-use c1\n    http-response cache-store c1\n    default_backend b\nbackend b\n    mode http\n    server o 127.0.0.1:@PORT2@\n"
    );
    let both = Both::start("cache", &cfg);
    let ask = |port: u16, method: &str, path: &str, extra: &str| {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: vs.test\r\n{extra}Connection: close\r\n\r\n"
        );
        parse(&raw(port, req.as_bytes())).unwrap_or(Resp {
            status: 0,
            headers: vec![],
            body: String::new(),
        })
    };
    // (first request, second request): what the second got.
    let twice = |port: u16, path: &str, first: (&str, &str), second: (&str, &str)| {
        let a = ask(port, first.0, path, first.1);
        let b = ask(port, second.0, path, second.1);
        (
            a.status,
            b.status,
            !b.body.is_empty() && a.body == b.body,
            !b.header("age").is_empty(),
        )
    };
    /// A request: method and extra header lines.
    type Req<'a> = (&'a str, &'a str);
    let get = ("GET", "");
    let cases: Vec<(&str, Req, Req)> = vec![
        ("/plain", get, get),
        ("/nocache", get, get),
        ("/private", get, get),
        ("/nostore", get, get),
        ("/public", get, get),
        ("/zero", get, get),
        ("/smax", get, get),
        ("/etag", get, get),
        ("/lm", get, get),
        ("/expires", get, get),
        ("/expired", get, get),
        ("/404", get, get),
        ("/301", get, get),
        ("/vary", get, get),
        ("/cookie", get, get),
        ("/ma", get, get),
        ("/post", ("POST", "Content-Length: 0\r\n"), get),
        (
            "/auth",
            ("GET", "Authorization: Basic eDp5\r\n"),
            ("GET", "Authorization: Basic eDp5\r\n"),
        ),
        ("/rnc", get, ("GET", "Cache-Control: no-cache\r\n")),
        ("/pnc", get, ("GET", "Pragma: no-cache\r\n")),
        ("/q?a=1", get, get),
        ("/head", get, ("HEAD", "")),
        ("/etag", get, ("GET", "If-None-Match: \"e1\"\r\n")),
        ("/etag", get, ("GET", "If-None-Match: \"other\"\r\n")),
    ];
    for (path, first, second) in cases {
        let (h, p) = both.each(|port| twice(port, path, first, second));
        assert_eq!(h, p, "{path} {first:?} then {second:?}");
    }
    // The key holds the query string and the Host.
    let (h, p) = both.each(|port| {
        let a = ask(port, "GET", "/k?x=1", "");
        let b = ask(port, "GET", "/k?x=2", "");
        let c = ask(port, "GET", "/k?x=1", "Host: other.test\r\n");
        (a.body == b.body, a.body == c.body)
    });
    assert_eq!(h, p, "key");
}

/// `unique-id-format` / `unique-id-header`: the id the server receives, `%ID` and
/// `unique-id` in rules, as HAProxy makes them.
#[test]
fn unique_id_as_haproxy() {
    let cfg = format!(
        "{DEFAULTS}frontend origin\n    mode http\n    bind 127.0.0.1:@PORT2@\n    http-request return status 200 content-type text/plain lf-string \"seen=%[req.hdr(x-req-id)] n=%[req.hdr_cnt(x-req-id)]\"\nfrontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    unique-id-format id-%[req.hdr(x-t)]-%ci\n    unique-id-header X-Req-Id\n    http-request return status 200 content-type text/plain lf-string \"uid=%[unique-id] ID=%ID\" if {{ path /uid }}\n    default_backend b\nbackend b\n    mode http\n    server o 127.0.0.1:@PORT2@\n"
    );
    let both = Both::start("uid", &cfg);
    for (path, extra) in [
        ("/", "X-T: abc\r\n"),
        ("/", "X-Req-Id: forged\r\nX-T: q\r\n"),
        ("/", ""),
        ("/uid", "X-T: xyz\r\n"),
    ] {
        let (h, p) = both.each(|port| get(port, path, extra).body);
        assert_eq!(h, p, "{path} {extra:?}");
    }
}

/// Variables set by `tcp-request connection|session|content` rules (the session's in
/// `sess.`, the stream's in `txn.`), read by http rules and by later tcp rules, as
/// HAProxy keeps them.
#[test]
fn tcp_rule_variables_as_haproxy() {
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    tcp-request connection set-var(sess.net) src,ipmask(24)\n    tcp-request connection set-var(txn.early) str(lost)\n    tcp-request session set-var-fmt(sess.who) %ci-seen\n    tcp-request content set-var(txn.n) int(41),add(1)\n    tcp-request content set-var(sess.count) var(sess.count),add(1)\n    tcp-request content unset-var(sess.who) if {{ var(txn.n) -m int 0 }}\n    http-request return status 200 content-type text/plain lf-string \"net=%[var(sess.net)] early=%[var(txn.early)] who=%[var(sess.who)] n=%[var(txn.n)] count=%[var(sess.count)]\"\n"
    );
    let both = Both::start("tcpvars", &cfg);
    let (h, p) = both.each(|port| get(port, "/", "").body);
    assert_eq!(h, p, "one request");
    // Two requests on one connection: the session's variables live on.
    let (h, p) = both.each(|port| {
        let two = b"GET /a HTTP/1.1\r\nHost: v\r\n\r\nGET /b HTTP/1.1\r\nHost: v\r\nConnection: close\r\n\r\n";
        let out = String::from_utf8_lossy(&raw(port, two)).to_string();
        out.split("\r\n\r\n")
            .filter(|p| p.starts_with("net="))
            .map(|p| p.split("HTTP/1.1").next().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    });
    assert_eq!(h, p, "keep-alive");
}

/// Client certificates (`bind ... ssl verify optional|required ca-file`): who gets in,
/// and what `ssl_c_*` tell of the certificate, as HAProxy tells it.
#[test]
fn client_certificates_as_haproxy() {
    let dir = Scratch::new("mtls");
    let site = e2e::make_cert(&dir, "site.test");
    let ca = e2e::make_ca(&dir, "clientca");
    let other_ca = e2e::make_ca(&dir, "otherca");
    let sh = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&*dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // Version 3 certificates (webpki, which verifies them in proxyd, takes no other).
    std::fs::write(
        dir.join("client.ext"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    for (name, signer, subj) in [
        (
            "alice",
            "clientca",
            "/C=FR/O=Example Org/OU=dev/OU=ops/CN=alice",
        ),
        ("mallory", "otherca", "/CN=mallory"),
    ] {
        let (key, csr, crt) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.crt"),
        );
        sh(&[
            "req", "-newkey", "rsa:2048", "-nodes", "-subj", subj, "-keyout", &key, "-out", &csr,
        ]);
        sh(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &format!("{signer}.crt"),
            "-CAkey",
            &format!("{signer}.key"),
            "-set_serial",
            "4660",
            "-days",
            "2",
            "-extfile",
            "client.ext",
            "-out",
            &crt,
        ]);
    }
    let _ = other_ca;
    let shown = "used=%[ssl_c_used] verify=%[ssl_c_verify] s=%[ssl_c_s_dn] cn=%[ssl_c_s_dn(CN)] ou1=%[ssl_c_s_dn(OU)] ou2=%[ssl_c_s_dn(OU,2)] oulast=%[ssl_c_s_dn(OU,-1)] i=%[ssl_c_i_dn] icn=%[ssl_c_i_dn(CN)] serial=%[ssl_c_serial,hex] v=%[ssl_c_version] sha1=%[ssl_c_sha1,hex,length] der=%[ssl_c_der,length,bool]";
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@ ssl crt {site} verify required ca-file {ca}\n    bind 127.0.0.1:@PORT2@ ssl crt {site} verify optional ca-file {ca}\n    http-request return status 200 content-type text/plain lf-string \"{shown}\"\n",
        site = site.display(),
        ca = ca.display()
    );
    let both = Both::start("mtls", &cfg);
    let curl = |port: u16, who: Option<&str>| -> String {
        let mut c = Command::new("curl");
        c.args(["-sk", "-m", "5"]).current_dir(&*dir);
        if let Some(w) = who {
            c.args(["--cert", &format!("{w}.crt"), "--key", &format!("{w}.key")]);
        }
        let out = c
            .arg(format!("https://127.0.0.1:{port}/"))
            .output()
            .unwrap();
        format!(
            "{}|{}",
            out.status.code().unwrap_or(-1) == 0,
            String::from_utf8_lossy(&out.stdout)
        )
    };
    for who in [Some("alice"), None, Some("mallory")] {
        let (h, p) = both.each(|port| curl(port, who));
        assert_eq!(h, p, "verify required, {who:?}");
        let (h, p) = (
            curl(both.haproxy.port2(), who),
            curl(both.proxyd.port2(), who),
        );
        assert_eq!(h, p, "verify optional, {who:?}");
    }
}

/// Certificate bundles: `crt site.pem` loads `site.pem.rsa` and `site.pem.ecdsa`, and a
/// client gets the certificate HAProxy gives it: ECDSA when it can take it, RSA when it
/// asks for RSA (by SNI). Where HAProxy fails the handshake (no SNI, or TLS 1.3 with RSA
/// signatures only: it answers with ECDSA), proxyd gives the RSA certificate instead
/// (docs/haproxy-behaviour.md).
#[test]
fn certificate_bundles_as_haproxy() {
    let dir = Scratch::new("bundle");
    let sh = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&*dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    for (kind, newkey) in [("rsa", "rsa:2048"), ("ecdsa", "ec")] {
        let mut args = vec!["req", "-x509", "-newkey", newkey];
        if kind == "ecdsa" {
            args.extend(["-pkeyopt", "ec_paramgen_curve:prime256v1"]);
        }
        let key = format!("{kind}.key");
        let crt = format!("{kind}.crt");
        args.extend([
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=bundle.test",
            "-addext",
            "subjectAltName=DNS:bundle.test",
            "-keyout",
            &key,
            "-out",
            &crt,
        ]);
        sh(&args);
        let pem = std::fs::read_to_string(dir.join(&crt)).unwrap()
            + &std::fs::read_to_string(dir.join(&key)).unwrap();
        std::fs::write(dir.join(format!("site.pem.{kind}")), pem).unwrap();
    }
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@ ssl crt {}/site.pem\n    http-request return status 200 content-type text/plain string ok\n",
        dir.display()
    );
    let both = Both::start("bundle", &cfg);
    // The key size of the certificate served: 256 (ECDSA P-256), 2048 (RSA), or none.
    let served = |port: u16, extra: &[&str]| -> String {
        let out = Command::new("openssl")
            .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
            .args(extra)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("Server public key is "))
            .unwrap_or("none")
            .to_string()
    };
    let mut compared = 0;
    for sni in [vec![], vec!["-servername", "bundle.test"]] {
        for extra in [
            vec![],
            vec!["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
            vec!["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
            vec!["-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256"],
            vec!["-tls1_3", "-sigalgs", "ecdsa_secp256r1_sha256"],
        ] {
            let args: Vec<&str> = sni.iter().chain(extra.iter()).copied().collect();
            let (h, p) = both.each(|port| served(port, &args));
            if h == "none" {
                assert_eq!(
                    p, "2048 bit",
                    "{args:?}: the RSA certificate where HAProxy fails"
                );
            } else {
                assert_eq!(h, p, "{args:?}");
                compared += 1;
            }
        }
    }
    assert!(compared >= 6, "only {compared} cases served by HAProxy");
}

/// Rules in a named defaults section run before the proxy's own (HAProxy 2.5+), and an
/// anonymous defaults section with rules is refused by both.
#[test]
fn named_defaults_rules_as_haproxy() {
    let cfg = "defaults d1\n    mode http\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n    http-request set-header X-D d1\n    http-request set-header X-E e\n    http-after-response set-header X-After d1\nfrontend fe from d1\n    bind 127.0.0.1:@PORT@\n    http-request set-header X-D fe\n    http-request return status 200 content-type text/plain lf-string \"%[req.hdr(x-d)] %[req.hdr_cnt(x-d)] %[req.hdr(x-e)]\"\n";
    let both = Both::start("nameddefaults", cfg);
    let (h, p) = both.each(|port| {
        let r = get(port, "/", "");
        let after = r.header("x-after").join(",");
        (r.body, after)
    });
    assert_eq!(h, p);
    assert_eq!(h.0, "fe 1 e", "the defaults' rules run first");
    let dir = Scratch::new("anondefaults");
    let f = dir.join("a.cfg");
    std::fs::write(
        &f,
        "defaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n    http-request set-header X-D d\nfrontend fe\n    bind 127.0.0.1:1\n",
    )
    .unwrap();
    for prog in ["haproxy", binary("proxyd").to_str().unwrap()] {
        let ok = Command::new(prog)
            .args(["-c", "-q", "-f"])
            .arg(&f)
            .status()
            .unwrap()
            .success();
        assert!(
            !ok,
            "{prog} -c accepts rules in an anonymous defaults section"
        );
    }
}

/// `http-request set-timeout server|tunnel` (a time, an expression) in a backend: the
/// stream's server timeout cuts a slow server where the backend's would not (504), and
/// `be_*_timeout` / `cur_*_timeout` read as HAProxy reads them.
#[test]
fn set_timeout_as_haproxy() {
    // Answers after 600 ms.
    let slow = Backend::start(Arc::new(|_| {
        std::thread::sleep(Duration::from_millis(600));
        b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nslow".to_vec()
    }));
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    default_backend b\nbackend b\n    mode http\n    timeout tunnel 1h\n    http-request set-timeout server 200ms if {{ path /short }}\n    http-request set-timeout server req.hdr(x-ms) if {{ req.hdr(x-ms) -m found }}\n    http-request set-timeout tunnel int(2500) if {{ path /tun }}\n    http-request return status 200 content-type text/plain lf-string \"be=%[be_server_timeout] cur=%[cur_server_timeout] tbe=%[be_tunnel_timeout] tcur=%[cur_tunnel_timeout]\" if {{ path_beg /show }} || {{ path /tun }}\n    server s 127.0.0.1:{}\n",
        slow.port
    );
    let both = Both::start("settimeout", &cfg);
    for (path, extra) in [
        ("/", ""),
        ("/short", ""),
        ("/", "X-Ms: 100\r\n"),
        ("/", "X-Ms: 0\r\n"),
        ("/", "X-Ms: abc\r\n"),
        ("/show", ""),
        ("/show", "X-Ms: 1234\r\n"),
        ("/show", "X-Ms: nope\r\n"),
        ("/tun", ""),
    ] {
        let (h, p) = both.each(|port| {
            let r = get(port, path, extra);
            (r.status, r.body)
        });
        assert_eq!(
            h,
            p,
            "{path} {extra:?}\nhaproxy: {}\nproxyd: {}",
            both.haproxy.log(),
            both.proxyd.log()
        );
    }
}

/// Send `parts` with `gap` between them, read to the end.
fn raw_slow(port: u16, parts: &[&[u8]], gap: Duration) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            std::thread::sleep(gap);
        }
        s.write_all(p).unwrap();
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    out
}

/// Request bodies for the rules: `req.body`, `req.body_len`, `req.body_size`,
/// `req.body_param` on what has arrived with the head, `option http-buffer-request` and
/// `wait-for-body` waiting for more (time, at-least), routing on a form field; the
/// server still gets the whole body.
#[test]
fn request_body_as_haproxy() {
    let echo = Backend::start(Arc::new(|got: &[u8]| {
        let body = got
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|i| got[i + 4..].to_vec())
            .unwrap_or_default();
        let mut out = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len() + 5
        )
        .into_bytes();
        out.extend_from_slice(b"echo:");
        out.extend_from_slice(&body);
        out
    }));
    let show = "lf-string \"body=%[req.body] len=%[req.body_len] size=%[req.body_size] b=%[req.body_param(b)] first=%[req.body_param] hex=%[req.body,hex]\"";
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    http-request return status 200 content-type text/plain {show} if {{ path /now }}\n    http-request wait-for-body time 1s at-least 5 if {{ path /least }}\n    http-request wait-for-body time 200ms if {{ path /short }}\n    http-request return status 200 content-type text/plain {show} if {{ path /least }} || {{ path /short }}\n    use_backend buffered if {{ path_beg /buf }}\n    default_backend echo\nbackend buffered\n    mode http\n    option http-buffer-request\n    http-request set-var(txn.to) req.body_param(to)\n    http-request return status 200 content-type text/plain {show} if {{ path /buf/show }}\n    server s1 127.0.0.1:{p}\n    http-response set-header X-Srv %[var(txn.to)]\nbackend echo\n    mode http\n    http-request set-header X-Len %[req.body_len]\n    server s 127.0.0.1:{p}\n",
        p = echo.port
    );
    let both = Both::start("body", &cfg);
    let post = |path: &str, len: usize, te: bool| {
        if te {
            format!("POST {path} HTTP/1.1\r\nHost: v\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        } else {
            format!("POST {path} HTTP/1.1\r\nHost: v\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n")
        }
    };
    let gap = Duration::from_millis(400);
    let cases: Vec<(String, Vec<Vec<u8>>)> = vec![
        (
            "now, whole".into(),
            vec![format!("{}a=1&b=2&b=3", post("/now", 11, false)).into_bytes()],
        ),
        (
            "now, chunked".into(),
            vec![format!("{}9\r\na=1&b=x y\r\n0\r\n\r\n", post("/now", 0, true)).into_bytes()],
        ),
        (
            "now, none".into(),
            vec![b"GET /now HTTP/1.1\r\nHost: v\r\nConnection: close\r\n\r\n".to_vec()],
        ),
        (
            "now, body late".into(),
            vec![post("/now", 7, false).into_bytes(), b"abcdefg".to_vec()],
        ),
        (
            "least, 6 then 1".into(),
            vec![
                format!("{}abcdef", post("/least", 7, false)).into_bytes(),
                b"g".to_vec(),
            ],
        ),
        (
            "least, 2 then 5".into(),
            vec![
                format!("{}ab", post("/least", 7, false)).into_bytes(),
                b"cdefg".to_vec(),
            ],
        ),
        (
            "short, late".into(),
            vec![
                format!("{}ab", post("/short", 7, false)).into_bytes(),
                b"cdefg".to_vec(),
            ],
        ),
        (
            "buffered, late".into(),
            vec![
                format!("{}x=1", post("/buf/show", 12, false)).into_bytes(),
                b"&to=two&y=z".to_vec()[..9].to_vec(),
            ],
        ),
        (
            "buffered route".into(),
            vec![
                format!("{}x=1", post("/buf/go", 10, false)).into_bytes(),
                b"&to=two".to_vec(),
            ],
        ),
        (
            "buffered route, other".into(),
            vec![
                format!("{}x=1", post("/buf/go", 10, false)).into_bytes(),
                b"&to=one".to_vec(),
            ],
        ),
        (
            "echo, body late".into(),
            vec![post("/e", 7, false).into_bytes(), b"abcdefg".to_vec()],
        ),
        (
            "echo, chunked".into(),
            vec![format!("{}3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n", post("/e", 0, true)).into_bytes()],
        ),
    ];
    for (what, parts) in &cases {
        let refs: Vec<&[u8]> = parts.iter().map(|p| p.as_slice()).collect();
        let (h, p) = both.each(|port| {
            let r =
                parse(&raw_slow(port, &refs, gap)).unwrap_or_else(|| panic!("{what}: no response"));
            (r.status, r.header("x-srv").join(","), r.body)
        });
        assert_eq!(
            h,
            p,
            "{what}\nhaproxy: {}\nproxyd: {}",
            both.haproxy.log(),
            both.proxyd.log()
        );
    }
    // What the echo backend's server got: the whole body, and the length the rule saw.
    let seen: Vec<String> = echo
        .seen()
        .iter()
        .map(|r| String::from_utf8_lossy(r).to_ascii_lowercase())
        .filter(|r| r.contains("x-len"))
        .map(|r| {
            let len = r
                .lines()
                .find(|l| l.starts_with("x-len"))
                .unwrap_or("")
                .to_string();
            let body = r.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
            format!("{len} {body:?}")
        })
        .collect();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen[0], seen[1], "late body, haproxy then proxyd: {seen:?}");
    assert_eq!(
        seen[2], seen[3],
        "chunked body, haproxy then proxyd: {seen:?}"
    );
}

/// Persistence in HTTP mode: `stick on` a header (a key learnt on the request, matched
/// on the next), `stick store-response` + `stick match` (a key the server gives),
/// `use-server` (named, to a weight-0 server, and as log-format) ahead of the table:
/// the same servers answer the same requests as with HAProxy.
#[test]
fn http_persistence_and_use_server_as_haproxy() {
    let s1 = Backend::http("s1", "X-Sess: k1\r\n");
    let s2 = Backend::http("s2", "X-Sess: k2\r\n");
    let s3 = Backend::http("s3", "X-Sess: k3\r\n");
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    use_backend learn if {{ path_beg /learn }}\n    default_backend b\nbackend b\n    mode http\n    balance roundrobin\n    stick-table type string len 32 size 1k\n    stick on req.hdr(x-user)\n    use-server s3 if {{ path /three }}\n    use-server %[req.hdr(x-srv)] if {{ req.hdr(x-srv) -m found }}\n    server s1 127.0.0.1:{a}\n    server s2 127.0.0.1:{b}\n    server s3 127.0.0.1:{c} weight 0\nbackend learn\n    mode http\n    balance roundrobin\n    stick-table type string len 32 size 1k\n    stick match req.hdr(x-sess)\n    stick store-response res.hdr(x-sess)\n    server s1 127.0.0.1:{a}\n    server s2 127.0.0.1:{b}\n    server s3 127.0.0.1:{c}\n",
        a = s1.port,
        b = s2.port,
        c = s3.port
    );
    let both = Both::start("persist", &cfg);
    let steps: &[(&str, &str)] = &[
        ("/", "X-User: alice\r\n"),
        ("/", "X-User: bob\r\n"),
        ("/", ""),
        ("/", "X-User: alice\r\n"),
        ("/", "X-User: carol\r\n"),
        ("/", "X-User: bob\r\n"),
        ("/three", "X-User: alice\r\n"),
        ("/", "X-Srv: s2\r\nX-User: alice\r\n"),
        ("/", "X-Srv: nosuch\r\nX-User: bob\r\n"),
        ("/", "X-User: alice\r\n"),
        ("/", ""),
        ("/", ""),
        ("/learn", ""),
        ("/learn", ""),
        ("/learn", "X-Sess: k1\r\n"),
        ("/learn", "X-Sess: k2\r\n"),
        ("/learn", "X-Sess: k1\r\n"),
        ("/learn", "X-Sess: k9\r\n"),
    ];
    let run = |port: u16| -> Vec<String> {
        steps
            .iter()
            .map(|(path, extra)| {
                let r = get(port, path, extra);
                format!("{path} {extra:?} -> {} {}", r.status, r.body)
            })
            .collect()
    };
    let (h, p) = both.each(run);
    assert_eq!(
        h,
        p,
        "haproxy log: {}\nproxyd log: {}",
        both.haproxy.log(),
        both.proxyd.log()
    );
}

/// Rates and slots: `fe_sess_rate`, `fe_req_rate`, `be_sess_rate`, `srv_sess_rate` after
/// a burst (rates are compared in size: HAProxy's periods begin on the clock's seconds),
/// `queue`, `avg_queue`, `connslots`, `be_conn_free`, `srv_queue` exactly (with and
/// without maxconn/maxqueue).
#[test]
fn rates_and_slots_as_haproxy() {
    let a = Backend::http("a", "");
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    http-request return status 200 content-type text/plain lf-string \"%[fe_sess_rate] %[fe_req_rate] %[be_sess_rate(b)] %[srv_sess_rate(b/s1)] %[fe_sess_rate(f)]\" if {{ path /rates }}\n    http-request return status 200 content-type text/plain lf-string \"%[queue(b)] %[avg_queue(b)] %[connslots(b)] %[be_conn_free(b)] %[srv_queue(b/s1)] | %[queue(u)] %[avg_queue(u)] %[connslots(u)] %[be_conn_free(u)]\" if {{ path /slots }}\n    use_backend u if {{ path /u }}\n    default_backend b\nbackend b\n    mode http\n    server s1 127.0.0.1:{p} maxconn 10 maxqueue 5\n    server s2 127.0.0.1:{p} maxconn 7 maxqueue 2\n    server s3 127.0.0.1:{p} maxconn 3 maxqueue 1 backup\nbackend u\n    mode http\n    server s1 127.0.0.1:{p}\n",
        p = a.port
    );
    let both = Both::start("rates", &cfg);
    let (h, p) = both.each(|port| get(port, "/slots", "").body);
    assert_eq!(h, p, "slots");
    eprintln!("slots: {p}");
    let (h, p) = both.each(|port| {
        for _ in 0..6 {
            assert_eq!(get(port, "/", "").status, 200);
        }
        get(port, "/rates", "").body
    });
    let nums = |s: &str| -> Vec<i64> { s.split_whitespace().map(|w| w.parse().unwrap()).collect() };
    let (hn, pn) = (nums(&h), nums(&p));
    assert_eq!(hn.len(), 5, "{h}");
    for (i, (x, y)) in hn.iter().zip(&pn).enumerate() {
        assert!(
            *y >= 1 && (x - y).abs() <= 3,
            "rate {i}: haproxy {h:?}, proxyd {p:?}"
        );
    }
}

/// `retry-on none` retries nothing (not even a refused connection), `retry-on
/// conn-failure` (the default) retries and redispatches, also from a defaults section.
#[test]
fn retry_on_as_haproxy() {
    let a = Backend::http("alive", "");
    let dead = free_port();
    let cfg = format!(
        "defaults d\n    mode http\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n    retries 1\n    option redispatch\n    retry-on none\nfrontend f from d\n    bind 127.0.0.1:@PORT@\n    use_backend retried if {{ path /retried }}\n    use_backend inherited if {{ path /inherited }}\n    default_backend none\nbackend none from d\n    balance first\n    retry-on none\n    server s1 127.0.0.1:{dead}\n    server s2 127.0.0.1:{p}\nbackend retried from d\n    balance first\n    retry-on conn-failure\n    server s1 127.0.0.1:{dead}\n    server s2 127.0.0.1:{p}\nbackend inherited from d\n    balance first\n    server s1 127.0.0.1:{dead}\n    server s2 127.0.0.1:{p}\n",
        p = a.port
    );
    let both = Both::start("retryon", &cfg);
    for path in ["/", "/retried", "/inherited"] {
        let (h, p) = both.each(|port| get(port, path, "").status);
        eprintln!("{path}: {h}");
        assert_eq!(
            h,
            p,
            "{path}\nhaproxy: {}\nproxyd: {}",
            both.haproxy.log(),
            both.proxyd.log()
        );
    }
}

/// `option forwardfor` / `option originalto` in a frontend, a backend or both: which
/// header the server gets (the backend's name), `except` on either side, `if-none`.
#[test]
fn forwardfor_combined_as_haproxy() {
    let seen_by = |b: &Backend| -> Vec<String> {
        b.seen()
            .iter()
            .map(|r| {
                let text = String::from_utf8_lossy(r).to_ascii_lowercase();
                let mut h: Vec<&str> = text.lines().filter(|l| l.starts_with("x-")).collect();
                h.sort();
                h.join(" | ")
            })
            .collect()
    };
    let hs = Backend::http("h", "");
    let ps = Backend::http("p", "");
    let cfg = |port: u16| {
        format!(
            "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    option forwardfor header X-FE if-none\n    option originalto header X-FO\n    use_backend bonly if {{ path /bonly }}\n    use_backend exc if {{ path /exc }}\n    default_backend both\nbackend both\n    mode http\n    option forwardfor header X-BE if-none\n    option originalto header X-BO except 127.0.0.0/8\n    server s 127.0.0.1:{port}\nbackend bonly\n    mode http\n    server s 127.0.0.1:{port}\nbackend exc\n    mode http\n    option forwardfor except 127.0.0.0/8\n    server s 127.0.0.1:{port}\n"
        )
    };
    // Each daemon gets its own recording server, so what each sent can be told apart.
    let tpl_h = cfg(hs.port);
    let tpl_p = cfg(ps.port);
    let h = Both::start("ffh", &tpl_h);
    let p = Both::start("ffp", &tpl_p);
    let requests = [
        ("/", ""),
        ("/", "X-BE: client\r\n"),
        ("/", "X-FE: client\r\n"),
        ("/bonly", "X-FE: client\r\n"),
        ("/bonly", ""),
        ("/exc", ""),
    ];
    for (path, extra) in requests {
        assert_eq!(get(h.haproxy.port, path, extra).status, 200);
        assert_eq!(get(p.proxyd.port, path, extra).status, 200);
    }
    eprintln!("{:?}", seen_by(&hs));
    assert_eq!(
        seen_by(&hs),
        seen_by(&ps),
        "haproxy's server, proxyd's server"
    );
}

/// Compression settings split between frontend and backend: the algorithm from one, the
/// types or `offload` from the other (HAProxy takes each from the backend if it has it).
#[test]
fn compression_split_settings_as_haproxy() {
    let srv = Backend::start(Arc::new(|got: &[u8]| {
        let req = String::from_utf8_lossy(got).to_ascii_lowercase();
        let ctype = if req.starts_with("get /html") {
            "text/html"
        } else {
            "text/plain"
        };
        let ae = req.contains("accept-encoding");
        let body = format!("{}{}", if ae { "ae " } else { "none " }, "x".repeat(300));
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    }));
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    compression algo gzip\n    compression type text/html\n    use_backend typed if {{ path_beg /typed }}\n    use_backend off if {{ path_beg /off }}\n    default_backend plain\nbackend plain\n    mode http\n    server s 127.0.0.1:{p}\nbackend typed\n    mode http\n    compression type text/plain\n    server s 127.0.0.1:{p}\nbackend off\n    mode http\n    compression offload\n    server s 127.0.0.1:{p}\n",
        p = srv.port
    );
    let both = Both::start("compsplit", &cfg);
    for path in [
        "/html",
        "/text",
        "/typed/html",
        "/typed/text",
        "/off/html",
        "/off/text",
    ] {
        let (h, p) = both.each(|port| {
            let r = get(port, path, "Accept-Encoding: gzip\r\n");
            (
                r.status,
                r.header("content-encoding").join(","),
                r.body.starts_with("ae"),
            )
        });
        assert_eq!(h, p, "{path}");
    }
}

/// `return lf-file`: a body written as log-format in a file, newlines kept (HAProxy
/// wants a content type even for an empty one, whatever its manual says).
#[test]
fn return_lf_file_as_haproxy() {
    let dir = Scratch::new("lffile");
    let body = dir.join("body.lf");
    std::fs::write(
        &body,
        "path=%[path] host=%[req.hdr(host)]\nsecond %[method] line\n",
    )
    .unwrap();
    let empty = dir.join("empty.lf");
    std::fs::write(&empty, "").unwrap();
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    http-request return status 200 content-type text/plain lf-file {} if {{ path /empty }}\n    http-request return status 201 content-type text/plain lf-file {} hdr X-A %[path]\n",
        empty.display(),
        body.display()
    );
    let both = Both::start("lffile", &cfg);
    for path in ["/x", "/empty"] {
        let (h, p) = both.each(|port| {
            let r = get(port, path, "");
            (
                r.status,
                r.header("x-a").join(","),
                r.header("content-type").join(","),
                r.body,
            )
        });
        assert_eq!(h, p, "{path}");
    }
}

/// `return file`: an empty file drops the content type, a full one keeps it.
#[test]
fn return_file_types_as_haproxy() {
    let dir = Scratch::new("rfile");
    let full_f = dir.join("full.txt");
    std::fs::write(&full_f, "some text\n").unwrap();
    let empty = dir.join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    let cfg = format!(
        "{DEFAULTS}frontend f\n    mode http\n    bind 127.0.0.1:@PORT@\n    http-request return status 200 content-type text/plain file {} if {{ path /empty }}\n    http-request return status 202 content-type text/html file {}\n",
        empty.display(),
        full_f.display()
    );
    let both = Both::start("rfile", &cfg);
    for path in ["/x", "/empty"] {
        let (h, p) = both.each(|port| {
            let r = get(port, path, "");
            (r.status, r.header("content-type").join(","), r.body)
        });
        assert_eq!(h, p, "{path}");
    }
}
