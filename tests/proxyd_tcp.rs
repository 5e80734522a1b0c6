//! proxyd in `mode tcp`, end to end on loopback: real backends (threads answering with
//! their name), proxyd started from a haproxy.cfg, clients through it. Balancing,
//! half-close, health checks taking a dead server out after fall x inter, backups only
//! when every primary is down, and a configuration this build cannot run is refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{free_port, wait_for, Proxyd};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A backend: answers each connection with `NAME:` and what it read, after the client's
/// FIN (so half-close must be forwarded). Stops when dropped (the port then refuses).
struct Backend {
    port: u16,
    stop: Arc<AtomicBool>,
    served: Arc<AtomicUsize>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Backend {
    fn start(name: &'static str) -> Backend {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let served = Arc::new(AtomicUsize::new(0));
        let (st, sv) = (stop.clone(), served.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                let Ok((mut s, _)) = l.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut got = Vec::new();
                // A health check connects and closes at once: nothing to answer.
                if s.read_to_end(&mut got).is_ok() && !got.is_empty() {
                    sv.fetch_add(1, Ordering::Relaxed);
                    let _ = s.write_all(format!("{name}:").as_bytes());
                    let _ = s.write_all(&got);
                }
            }
        });
        Backend {
            port,
            stop,
            served,
            thread: Some(thread),
        }
    }

    fn served(&self) -> usize {
        self.served.load(Ordering::Relaxed)
    }
}

impl Drop for Backend {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// One request through the proxy: send, half-close, read the whole answer.
fn ask(port: u16, what: &str) -> Option<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    s.write_all(what.as_bytes()).ok()?;
    s.shutdown(Shutdown::Write).ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    (!out.is_empty()).then_some(out)
}

fn wait_listening(port: u16, p: &Proxyd) {
    p.wait_listening(port);
}

#[test]
fn roundrobin_with_half_close() {
    let (a, b) = (Backend::start("a"), Backend::start("b"));
    let port = free_port();
    let p = Proxyd::start(
        "rr",
        &format!(
            "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n\
             listen app\n  bind 127.0.0.1:{port}\n  balance roundrobin\n  server a 127.0.0.1:{}\n  server b 127.0.0.1:{}\n",
            a.port, b.port
        ),
    );
    wait_listening(port, &p);
    let answers: Vec<String> = (0..4)
        .map(|i| ask(port, &format!("req{i}")).unwrap_or_default())
        .collect();
    let mut names: Vec<&str> = answers.iter().map(|s| &s[..1]).collect();
    names.sort();
    assert_eq!(names, ["a", "a", "b", "b"], "{answers:?}\n{}", p.log());
    assert!(answers.iter().all(|s| s.contains(":req")), "{answers:?}");
    // A large body both ways: nothing lost on the way.
    let big = "x".repeat(300_000);
    let out = ask(port, &big).unwrap();
    assert_eq!(out.len(), big.len() + 2, "{}", p.log());
}

#[test]
fn a_dead_server_is_taken_out_and_backups_wait_for_all_primaries() {
    let (a, b, c) = (
        Backend::start("a"),
        Backend::start("b"),
        Backend::start("c"),
    );
    let port = free_port();
    let p = Proxyd::start(
        "health",
        &format!(
            "defaults\n  mode tcp\n  timeout connect 500ms\n  timeout client 5s\n  timeout server 5s\n\
             frontend fe\n  bind 127.0.0.1:{port}\n  default_backend be\n\
             backend be\n  balance roundrobin\n  default-server inter 200 fall 2 rise 1\n\
               server a 127.0.0.1:{} check\n  server b 127.0.0.1:{} check\n  server c 127.0.0.1:{} check backup\n",
            a.port, b.port, c.port
        ),
    );
    wait_listening(port, &p);
    for i in 0..6 {
        assert!(ask(port, &format!("r{i}")).is_some(), "{}", p.log());
    }
    assert_eq!(c.served(), 0, "the backup served while primaries were up");

    // b dies: within fall x inter (+ one interval of slack) it is DOWN, then gets nothing.
    let b_port = b.port;
    drop(b);
    assert!(
        wait_for(2.0 * 0.2 + 0.2 + 1.0, || p
            .log()
            .contains("Server be/b is DOWN"))
        .is_some(),
        "b not marked down\n{}",
        p.log()
    );
    let before = a.served();
    for i in 0..10 {
        assert_eq!(
            ask(port, &format!("s{i}")).as_deref().map(|s| &s[..2]),
            Some("a:"),
            "{}",
            p.log()
        );
    }
    assert_eq!(a.served(), before + 10);
    assert!(TcpStream::connect(("127.0.0.1", b_port)).is_err());

    // a dies too: only now the backup serves.
    drop(a);
    assert!(
        wait_for(2.0, || p.log().contains("Server be/a is DOWN")).is_some(),
        "{}",
        p.log()
    );
    assert_eq!(ask(port, "t").as_deref(), Some("c:t"), "{}", p.log());
}

#[test]
fn routes_by_source_with_use_backend() {
    let (a, b) = (Backend::start("a"), Backend::start("b"));
    let port = free_port();
    let p = Proxyd::start(
        "acl",
        &format!(
            "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n\
             frontend fe\n  bind 127.0.0.1:{port}\n  acl local src 127.0.0.0/8\n  use_backend only_b if local\n  default_backend only_a\n\
             backend only_a\n  server a 127.0.0.1:{}\n\
             backend only_b\n  server b 127.0.0.1:{}\n",
            a.port, b.port
        ),
    );
    wait_listening(port, &p);
    assert_eq!(ask(port, "x").as_deref(), Some("b:x"), "{}", p.log());
}

#[test]
fn a_configuration_it_cannot_run_is_refused_with_the_reason() {
    let port = free_port();
    let mut p = Proxyd::start(
        "refuse",
        &format!(
            "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n\
             listen app\n  bind 127.0.0.1:{port}\n  tcp-request content set-dst ipv4(10.0.0.1)\n  server a 127.0.0.1:1\n"
        ),
    );
    let status = wait_for(5.0, || matches!(p.child.try_wait(), Ok(Some(_))));
    assert!(status.is_some(), "proxyd kept running\n{}", p.log());
    // The reason, with the line, as `-c` says it.
    assert!(
        p.log().contains(
            "haproxy.cfg:8:23: error[H103]: `tcp-request content set-dst` is not run by proxyd yet"
        ),
        "{}",
        p.log()
    );
}

/// `option httpchk` + `http-check expect status 200`: a server answering 503 goes DOWN
/// (Layer7), and UP again after `rise` good answers.
#[test]
fn http_checks_follow_the_status() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let port_b = l.local_addr().unwrap().port();
    let status = Arc::new(std::sync::atomic::AtomicU16::new(200));
    let seen = Arc::new(std::sync::Mutex::new(String::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (st, sv, sn) = (stop.clone(), status.clone(), seen.clone());
    let server = std::thread::spawn(move || {
        while !st.load(Ordering::Relaxed) {
            let Ok((mut s, _)) = l.accept() else {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            };
            s.set_nonblocking(false).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            *sn.lock().unwrap() = String::from_utf8_lossy(&req).into_owned();
            let code = sv.load(Ordering::Relaxed);
            let _ =
                s.write_all(format!("HTTP/1.1 {code} X\r\nContent-Length: 2\r\n\r\nok").as_bytes());
        }
    });
    let port = free_port();
    let p = Proxyd::start(
        "httpchk",
        &format!(
            "defaults\n  mode tcp\n  timeout connect 500ms\n  timeout client 5s\n  timeout server 5s\n\
             listen app\n  bind 127.0.0.1:{port}\n  option httpchk GET /health HTTP/1.1\\r\\nHost:\\ www.example.org\n  http-check expect status 200\n\
               server b 127.0.0.1:{port_b} check inter 200 fall 2 rise 2\n"
        ),
    );
    wait_listening(port, &p);
    assert!(
        wait_for(2.0, || seen
            .lock()
            .unwrap()
            .starts_with("GET /health HTTP/1.1\r\nHost: www.example.org\r\n"))
        .is_some(),
        "check request: {:?}",
        seen.lock().unwrap()
    );
    status.store(503, Ordering::Relaxed);
    assert!(
        wait_for(2.0, || p
            .log()
            .contains("Server app/b is DOWN, reason: Layer7 wrong status"))
        .is_some(),
        "{}",
        p.log()
    );
    status.store(200, Ordering::Relaxed);
    assert!(
        wait_for(2.0, || p
            .log()
            .contains("Server app/b is UP, reason: Layer7 check passed"))
        .is_some(),
        "{}",
        p.log()
    );
    stop.store(true, Ordering::Relaxed);
    let _ = server.join();
}

/// A TLS-looking server: answers a ClientHello with a ServerHello record carrying its own
/// 32-byte session id (all `id`), then its name.
fn tls_like_server(id: u8, name: &'static str) -> (u16, Arc<AtomicBool>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let port = l.local_addr().unwrap().port();
    let stop = Arc::new(AtomicBool::new(false));
    let st = stop.clone();
    std::thread::spawn(move || {
        while !st.load(Ordering::Relaxed) {
            let Ok((mut s, _)) = l.accept() else {
                std::thread::sleep(Duration::from_millis(2));
                continue;
            };
            s.set_nonblocking(false).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
            let mut buf = [0u8; 2048];
            if s.read(&mut buf).unwrap_or(0) == 0 {
                continue; // a health check
            }
            let mut body = vec![0x03, 0x03];
            body.extend_from_slice(&[9; 32]);
            body.push(32);
            body.extend_from_slice(&[id; 32]);
            body.extend_from_slice(&[0xc0, 0x2f, 0x00]);
            let mut hs = vec![0x02, 0x00];
            hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
            hs.extend_from_slice(&body);
            let mut rec = vec![0x16, 0x03, 0x03];
            rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
            rec.extend_from_slice(&hs);
            let _ = s.write_all(&rec);
            let _ = s.write_all(name.as_bytes());
        }
    });
    (port, stop)
}

/// A ClientHello resuming `session_id` (empty: a new session).
fn client_hello(session_id: &[u8]) -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[1; 32]);
    body.push(session_id.len() as u8);
    body.extend_from_slice(session_id);
    body.extend_from_slice(&[0x00, 0x02, 0xc0, 0x2f, 0x01, 0x00]);
    let mut hs = vec![0x01, 0x00];
    hs.extend_from_slice(&(body.len() as u16).to_be_bytes());
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// Seed 001's stickiness on SSL session ids: the id a server hands out in its
/// ServerHello is learnt (`stick store-response payload_lv(43,1) if serverhello`); a
/// client resuming it goes back to that server (`stick on payload_lv(43,1) if
/// clienthello`) whatever roundrobin would say; non-TLS data is rejected after the
/// inspect delay (`tcp-request content accept if clienthello` + default reject).
#[test]
fn ssl_session_ids_stick_to_their_server() {
    let (pa, sa) = tls_like_server(0xaa, "A");
    let (pb, sb) = tls_like_server(0xbb, "B");
    let port = free_port();
    let p = Proxyd::start(
        "stick",
        &format!(
            "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n\
             frontend ft\n  bind 127.0.0.1:{port}\n  default_backend be\n\
             backend be\n  balance roundrobin\n\
               stick-table type binary len 32 size 30k expire 10s\n\
               acl clienthello req_ssl_hello_type 1\n  acl serverhello rep_ssl_hello_type 2\n\
               tcp-request inspect-delay 500ms\n  tcp-request content accept if clienthello\n  tcp-request content reject\n\
               tcp-response content accept if serverhello\n\
               stick on payload_lv(43,1) if clienthello\n  stick store-response payload_lv(43,1) if serverhello\n\
               server a 127.0.0.1:{pa}\n  server b 127.0.0.1:{pb}\n"
        ),
    );
    wait_listening(port, &p);
    let hello = |sid: &[u8]| -> Option<String> {
        let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(3))).ok()?;
        s.write_all(&client_hello(sid)).ok()?;
        s.shutdown(Shutdown::Write).ok()?;
        let mut out = Vec::new();
        s.read_to_end(&mut out).ok()?;
        // The server's name follows its ServerHello record.
        let rec = 5 + usize::from(u16::from_be_bytes([*out.get(3)?, *out.get(4)?]));
        Some(String::from_utf8_lossy(out.get(rec..)?).into_owned())
    };
    // New sessions alternate; each learns its server's id.
    let first: Vec<String> = (0..2).filter_map(|_| hello(&[])).collect();
    let mut sorted = first.clone();
    sorted.sort();
    assert_eq!(sorted, ["A", "B"], "{}", p.log());
    // Resumed sessions go back to the server that issued the id, every time.
    for _ in 0..5 {
        assert_eq!(hello(&[0xaa; 32]).as_deref(), Some("A"), "{}", p.log());
        assert_eq!(hello(&[0xbb; 32]).as_deref(), Some("B"), "{}", p.log());
    }
    // Not TLS: rejected once the inspect delay is over, never forwarded.
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    assert!(out.is_empty(), "plain HTTP got through: {out:?}");
    sa.store(true, Ordering::Relaxed);
    sb.store(true, Ordering::Relaxed);
}

/// `on-marked-down shutdown-sessions`: when checks take a server down, its established
/// sessions are cut (the client sees the connection close), not left hanging.
#[test]
fn sessions_end_when_their_server_is_marked_down() {
    let a = Backend::start("a");
    let check = TcpListener::bind("127.0.0.1:0").unwrap();
    let check_port = check.local_addr().unwrap().port();
    let port = free_port();
    let p = Proxyd::start(
        "markdown",
        &format!(
            "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 30s\n  timeout server 30s\n\
             listen app\n  bind 127.0.0.1:{port}\n\
               server a 127.0.0.1:{} check port {check_port} inter 200 fall 2 on-marked-down shutdown-sessions\n",
            a.port
        ),
    );
    wait_listening(port, &p);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"still talking").unwrap();
    // Closed within fall x inter and a little: a read would time out otherwise.
    s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    drop(check); // the checks fail from now on
    let mut buf = [0u8; 16];
    let n = s.read(&mut buf).unwrap_or(usize::MAX);
    assert_eq!(n, 0, "session not closed within 3 s\n{}", p.log());
    assert!(p.log().contains("Server app/a is DOWN"), "{}", p.log());
}
