//! proxyd's limits and timeouts, end to end on loopback: the server queue bounded by
//! `maxqueue`, TCP `timeout tunnel` / `client-fin` and inactivity counted over both
//! directions, HTTP `timeout http-keep-alive` and `timeout client` around a slow server,
//! request heads bounded by `tune.bufsize`, listen backlogs, the counters behind the
//! stats page's CSV, and plain TCP sessions forwarded by splice(2).
#![allow(clippy::unwrap_used, clippy::expect_used)]
// End-to-end tests time real sockets: the wall clock is what they measure.
#![allow(clippy::disallowed_methods)]

use e2e::{free_port, Proxyd};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Stops a test server's accept loop when dropped.
struct Stop(Arc<AtomicBool>);

impl Drop for Stop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// A TCP server on loopback running `serve` on a thread per connection.
fn server(serve: fn(TcpStream)) -> (u16, Stop) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    l.set_nonblocking(true).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let st = stop.clone();
    std::thread::spawn(move || {
        while !st.load(Ordering::Relaxed) {
            match l.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false).unwrap();
                    std::thread::spawn(move || serve(s));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
    });
    (port, Stop(stop))
}

/// HTTP/1.1, keep-alive: reads each request head, waits `?delay=MS` (if given), answers "ok".
fn slow_http(s: TcpStream) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let delay = line
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.split_once("delay="))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            if h.trim_end().is_empty() {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(delay));
        if w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            .is_err()
        {
            return;
        }
    }
}

/// Echoes what it reads, never closing first.
fn echo(mut s: TcpStream) {
    let mut buf = [0u8; 4096];
    let mut w = s.try_clone().unwrap();
    while let Ok(n) = s.read(&mut buf) {
        if n == 0 {
            // The client's FIN reached us: stay open and silent (a half-closed session).
            std::thread::sleep(Duration::from_secs(20));
            return;
        }
        if w.write_all(&buf[..n]).is_err() {
            return;
        }
    }
}

/// Sends one byte every 100 ms, 15 in all, then closes: a download the client never
/// answers.
fn trickle(mut s: TcpStream) {
    for _ in 0..15 {
        if s.write_all(b"x").is_err() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn start(tag: &str, cfg: &str, port: u16) -> Proxyd {
    let p = Proxyd::start(tag, cfg);
    p.wait_listening(port);
    p
}

/// One request on a new connection: (status, elapsed).
fn get(port: u16, path: &str) -> (u16, Duration) {
    let t = Instant::now();
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (status, t.elapsed())
}

/// How long until the proxy closes `s` (reads return 0 or fail), at most `limit`.
fn closed_after(s: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let t = Instant::now();
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Some(t.elapsed()),
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return None,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return None,
            Err(_) => return Some(t.elapsed()),
        }
    }
}

const HTTP: &str =
    "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n";

#[test]
fn the_queue_is_bounded_by_maxqueue() {
    let (web, _stop) = server(slow_http);
    let port = free_port();
    let _p = start(
        "maxqueue",
        &format!(
            "{HTTP}  timeout queue 5s\nlisten app\n  bind 127.0.0.1:{port}\n  server s 127.0.0.1:{web} maxconn 1 maxqueue 1\n"
        ),
        port,
    );
    // One request holds the only slot for 800 ms, a second waits in the queue, a third
    // finds the queue full and gets 503 at once.
    let first = std::thread::spawn(move || get(port, "/a?delay=800"));
    std::thread::sleep(Duration::from_millis(150));
    let second = std::thread::spawn(move || get(port, "/b?delay=0"));
    std::thread::sleep(Duration::from_millis(150));
    let (third, took) = get(port, "/c?delay=0");
    assert_eq!(third, 503, "a full queue refuses");
    assert!(
        took < Duration::from_millis(500),
        "refused at once: {took:?}"
    );
    let (s1, _) = first.join().unwrap();
    let (s2, t2) = second.join().unwrap();
    assert_eq!((s1, s2), (200, 200));
    // The queued one was served once the first was through (~650 ms after it came).
    assert!(t2 >= Duration::from_millis(400), "it waited: {t2:?}");
    // With the slot free again, a request goes through.
    assert_eq!(get(port, "/d").0, 200);
}

#[test]
fn tcp_client_fin_ends_a_half_closed_session() {
    let (srv, _stop) = server(echo);
    let port = free_port();
    let _p = start(
        "clientfin",
        &format!(
            "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 10s\n  timeout server 10s\n  timeout client-fin 300ms\n\
             listen app\n  bind 127.0.0.1:{port}\n  server s 127.0.0.1:{srv}\n"
        ),
        port,
    );
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.write_all(b"hi").unwrap();
    let mut buf = [0u8; 2];
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"hi");
    c.shutdown(Shutdown::Write).unwrap();
    // The server stays silent and open: client-fin, not the 10 s timeouts, ends it.
    let took = closed_after(&mut c, Duration::from_secs(5)).expect("closed");
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[test]
fn tcp_tunnel_timeout_supersedes_client_and_server() {
    let (srv, _stop) = server(echo);
    let port = free_port();
    let _p = start(
        "tunnel",
        &format!(
            "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 300ms\n  timeout server 300ms\n  timeout tunnel 1500ms\n\
             listen app\n  bind 127.0.0.1:{port}\n  server s 127.0.0.1:{srv}\n"
        ),
        port,
    );
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 2];
    c.write_all(b"a1").unwrap();
    c.read_exact(&mut buf).unwrap();
    // Idle for longer than the client and server timeouts, shorter than the tunnel's.
    std::thread::sleep(Duration::from_millis(800));
    c.write_all(b"a2").unwrap();
    c.read_exact(&mut buf).unwrap();
    assert_eq!(&buf, b"a2", "the session outlived timeout client/server");
    let took = closed_after(&mut c, Duration::from_secs(6)).expect("closed by the tunnel timeout");
    assert!(
        took >= Duration::from_millis(1200) && took < Duration::from_secs(4),
        "{took:?}"
    );
}

#[test]
fn tcp_a_download_to_a_silent_client_is_not_cut() {
    let (srv, _stop) = server(trickle);
    let port = free_port();
    let _p = start(
        "download",
        &format!(
            "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 300ms\n  timeout server 5s\n\
             listen app\n  bind 127.0.0.1:{port}\n  server s 127.0.0.1:{srv}\n"
        ),
        port,
    );
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut got = Vec::new();
    let _ = c.read_to_end(&mut got);
    // 1.5 s of trickle, far past `timeout client`: bytes moving count as activity.
    assert_eq!(got.len(), 15, "{got:?}");
}

#[test]
fn http_keep_alive_timeout_closes_idle_connections() {
    let (web, _stop) = server(slow_http);
    let port = free_port();
    let _p = start(
        "keepalive",
        &format!(
            "{HTTP}  timeout http-keep-alive 300ms\nlisten app\n  bind 127.0.0.1:{port}\n  server s 127.0.0.1:{web}\n"
        ),
        port,
    );
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut buf = [0u8; 256];
    let n = c.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200"), "{:?}", &buf[..n]);
    // Idle after the response: closed after http-keep-alive, not the 5 s client timeout.
    let took = closed_after(&mut c, Duration::from_secs(4)).expect("closed");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

/// `timeout http-request` bounds a request head, not the wait between requests, which is
/// `timeout http-keep-alive`'s (HAProxy 2.6). A keep-alive connection idle for longer
/// than http-request takes its next request; a head sent a byte at a time is cut after
/// http-request, on a fresh connection and after a first request alike. (proxyd closed
/// idle keep-alive connections after http-request, or after 30 s without it.)
#[test]
fn http_request_timeout_bounds_heads_not_keep_alive_waits() {
    let (web, _stop) = server(slow_http);
    let port = free_port();
    let _p = start(
        "httprequest",
        &format!(
            "{HTTP}  timeout http-request 500ms
  timeout http-keep-alive 5s
listen app
  bind 127.0.0.1:{port}
  http-request return status 200 content-type text/plain string now if {{ path /now }}
  server s 127.0.0.1:{web}
"
        ),
        port,
    );
    let ask = |c: &mut TcpStream| {
        c.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut buf = [0u8; 256];
        let n = c.read(&mut buf).unwrap_or(0);
        buf[..n].starts_with(b"HTTP/1.1 200")
    };
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert!(ask(&mut c));
    std::thread::sleep(Duration::from_millis(1500));
    assert!(ask(&mut c), "closed while waiting for the next request");
    // First requests answered by proxyd itself, at once (possibly before its head
    // timer first looked): the connections then wait for their next request as long as
    // http-keep-alive allows, not http-request. Several, as the order in which proxyd
    // looks at a new connection's parts varies.
    let mut quick: Vec<TcpStream> = (0..8)
        .map(|_| {
            let mut q = TcpStream::connect(("127.0.0.1", port)).unwrap();
            q.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            q.write_all(b"GET /now HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let mut buf = [0u8; 256];
            let n = q.read(&mut buf).unwrap_or(0);
            assert!(buf[..n].starts_with(b"HTTP/1.1 200"));
            q
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    for (i, q) in quick.iter_mut().enumerate() {
        assert!(
            ask(q),
            "connection {i} closed while waiting for its second request"
        );
    }
    // A slow head after that first exchange: cut after http-request.
    let trickle = |c: &mut TcpStream| {
        let t0 = std::time::Instant::now();
        c.set_nonblocking(true).unwrap();
        let mut buf = [0u8; 256];
        for b in b"GET / HTTP/1.1\r\nHost: a-slow-client.example\r\n"
            .iter()
            .cycle()
        {
            match c.read(&mut buf) {
                Ok(_) => return Some(t0.elapsed()),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => return Some(t0.elapsed()),
            }
            if t0.elapsed() > Duration::from_secs(4) {
                return None;
            }
            let _ = c.write_all(&[*b]);
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    };
    let took = trickle(&mut c).expect("a slow second head was not cut");
    assert!(took < Duration::from_millis(1500), "{took:?}");
    let mut fresh = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let took = trickle(&mut fresh).expect("a slow first head was not cut");
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

#[test]
fn http_client_timeout_waits_for_a_slow_server_but_not_for_a_silent_client() {
    let (web, _stop) = server(slow_http);
    let port = free_port();
    let _p = start(
        "clienttimeout",
        &format!(
            "defaults\n  mode http\n  timeout connect 1s\n  timeout client 300ms\n  timeout server 5s\n\
             listen app\n  bind 127.0.0.1:{port}\n  server s 127.0.0.1:{web}\n"
        ),
        port,
    );
    // The server takes 1 s, longer than `timeout client`: the answer still comes.
    let (status, took) = get(port, "/?delay=1000");
    assert_eq!(status, 200);
    assert!(took >= Duration::from_millis(900), "{took:?}");
    // A client that sends nothing is closed after `timeout client`.
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let took = closed_after(&mut c, Duration::from_secs(4)).expect("closed");
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn request_heads_are_bounded_by_the_buffer() {
    let (web, _stop) = server(slow_http);
    let port = free_port();
    let _p = start(
        "bufsize",
        &format!("{HTTP}listen app\n  bind 127.0.0.1:{port}\n  server s 127.0.0.1:{web}\n"),
        port,
    );
    let send = |header_len: usize| {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let big = "a".repeat(header_len);
        let _ = write!(
            s,
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\nConnection: close\r\n\r\n"
        );
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out.split_whitespace()
            .nth(1)
            .and_then(|v| v.parse::<u16>().ok())
            .unwrap_or(0)
    };
    // tune.bufsize 16384 less maxrewrite 1024: 10 KB fits, 20 KB does not.
    assert_eq!(send(10_000), 200);
    let too_big = send(20_000);
    assert!((400..500).contains(&too_big), "got {too_big}");
}

/// HTTP/1.1: answers every request with a 20 KB response head (one huge header).
fn huge_head(s: TcpStream) {
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    let mut w = s.try_clone().unwrap();
    let mut r = BufReader::new(s);
    let mut line = String::new();
    while r.read_line(&mut line).unwrap_or(0) > 0 {
        if line == "\r\n" {
            let big = "b".repeat(20_000);
            let _ = write!(
                w,
                "HTTP/1.1 200 OK\r\nX-Big: {big}\r\nContent-Length: 2\r\n\r\nok"
            );
        }
        line.clear();
    }
}

#[test]
fn response_heads_larger_than_the_buffer_give_502() {
    let (web, _stop) = server(huge_head);
    let port = free_port();
    let _p = start(
        "bigresp",
        &format!("{HTTP}listen app\n  bind 127.0.0.1:{port}\n  server s 127.0.0.1:{web}\n"),
        port,
    );
    assert_eq!(get(port, "/").0, 502);
}

/// The backlog of the socket listening on `port` (Send-Q of `ss -ltn`).
fn backlog(port: u16) -> u32 {
    let out = std::process::Command::new("ss")
        .args(["-Hltn", &format!("sport = :{port}")])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .nth(2)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no listener on {port}: {text}"))
}

#[test]
fn listen_backlogs_follow_bind_proxy_and_maxconn() {
    let (p1, p2, p3) = (free_port(), free_port(), free_port());
    let _p = start(
        "backlog",
        &format!(
            "global\n  maxconn 300\n{HTTP}\
             frontend a\n  bind 127.0.0.1:{p1} backlog 77\n  default_backend be\n\
             frontend b\n  backlog 66\n  bind 127.0.0.1:{p2}\n  default_backend be\n\
             frontend c\n  maxconn 55\n  bind 127.0.0.1:{p3}\n  default_backend be\n\
             backend be\n  server s 127.0.0.1:9\n"
        ),
        p1,
    );
    assert_eq!(backlog(p1), 77, "the bind's backlog");
    assert_eq!(backlog(p2), 66, "the proxy's backlog");
    assert_eq!(backlog(p3), 55, "the frontend's maxconn");
}

#[test]
fn counters_show_in_the_csv_report() {
    let (web, _stop) = server(slow_http);
    let (echo_port, _stop_echo) = server(echo);
    let (port, sport, tport) = (free_port(), free_port(), free_port());
    let _p = start(
        "counters",
        &format!(
            "{HTTP}listen stats\n  bind 127.0.0.1:{sport}\n  stats enable\n  stats uri /st\n\
             frontend fe\n  bind 127.0.0.1:{port}\n  http-request deny if {{ path_beg /private }}\n  default_backend app\n\
             backend app\n  option httpchk GET /\n  server web01 127.0.0.1:{web} check inter 200\n  server dead 127.0.0.1:9 check inter 200 fall 1\n\
             listen tcpapp\n  mode tcp\n  bind 127.0.0.1:{tport}\n  server echo 127.0.0.1:{echo_port}\n"
        ),
        sport, // not `port`: a probe connection there would count as a session
    );
    std::thread::sleep(Duration::from_millis(500)); // `dead` has failed its check
    for _ in 0..3 {
        assert_eq!(get(port, "/").0, 200);
    }
    assert_eq!(get(port, "/private").0, 403);
    // Two TCP sessions of 5 bytes each way.
    for _ in 0..2 {
        let mut c = TcpStream::connect(("127.0.0.1", tport)).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        c.write_all(b"hello").unwrap();
        let mut buf = [0u8; 5];
        c.read_exact(&mut buf).unwrap();
    }
    // The proxy counts a chunk just after writing it on: let it.
    std::thread::sleep(Duration::from_millis(200));
    let mut s = TcpStream::connect(("127.0.0.1", sport)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET /st;csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("");
    let mut lines = body.lines();
    let head: Vec<&str> = lines
        .next()
        .unwrap()
        .trim_start_matches("# ")
        .split(',')
        .collect();
    assert_eq!(
        &head[..8],
        ["pxname", "svname", "qcur", "qmax", "scur", "smax", "slim", "stot"]
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let cell = |px: &str, sv: &str, col: &str| -> String {
        let i = head.iter().position(|h| *h == col).unwrap();
        let r = rows
            .iter()
            .find(|r| r[0] == px && r[1] == sv)
            .unwrap_or_else(|| panic!("no row {px}/{sv} in\n{body}"));
        r[i].to_string()
    };
    assert_eq!(cell("fe", "FRONTEND", "stot"), "4", "{body}");
    assert_eq!(cell("fe", "FRONTEND", "hrsp_2xx"), "3", "{body}");
    assert_eq!(cell("fe", "FRONTEND", "hrsp_4xx"), "1", "{body}");
    assert_eq!(cell("fe", "FRONTEND", "dreq"), "1", "{body}");
    assert_eq!(cell("app", "web01", "stot"), "3", "{body}");
    assert_eq!(cell("app", "web01", "hrsp_2xx"), "3", "{body}");
    assert_eq!(cell("app", "web01", "status"), "UP", "{body}");
    assert_eq!(cell("app", "web01", "check_status"), "L7OK", "{body}");
    assert_eq!(cell("app", "dead", "status"), "DOWN", "{body}");
    assert_eq!(cell("app", "dead", "check_status"), "L4CON", "{body}");
    assert_eq!(cell("app", "BACKEND", "stot"), "3", "{body}");
    assert_eq!(cell("app", "BACKEND", "act"), "1", "{body}");
    assert_eq!(cell("tcpapp", "FRONTEND", "stot"), "2", "{body}");
    assert_eq!(cell("tcpapp", "FRONTEND", "bin"), "10", "{body}");
    assert_eq!(cell("tcpapp", "FRONTEND", "bout"), "10", "{body}");
    assert_eq!(cell("tcpapp", "echo", "stot"), "2", "{body}");
    let bout: u64 = cell("app", "web01", "bout").parse().unwrap();
    assert!(bout >= 3 * 40, "response bytes counted: {bout}");
}

/// How many pipes process `pid` has open.
fn pipes_of(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .filter(|l| l.to_string_lossy().starts_with("pipe:"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn plain_tcp_sessions_are_spliced() {
    let (srv, _stop) = server(echo);
    let port = free_port();
    let p = start(
        "splice",
        &format!(
            "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n\
             listen app\n  bind 127.0.0.1:{port}\n  server s 127.0.0.1:{srv}\n"
        ),
        port,
    );
    let pid = p.child.id();
    let idle = pipes_of(pid);
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let big = vec![b'z'; 300_000];
    let mut w = c.try_clone().unwrap();
    let sender = std::thread::spawn(move || w.write_all(&big).unwrap());
    let mut got = vec![0u8; 300_000];
    c.read_exact(&mut got).unwrap();
    sender.join().unwrap();
    assert!(got.iter().all(|&b| b == b'z'), "bytes changed on the way");
    // One pipe per direction (two fds each) while the session lives.
    assert_eq!(
        pipes_of(pid),
        idle + 4,
        "the session's data does not go through pipes"
    );
    drop(c);
}

/// A flood past the global `maxconn`, over two frontends that set none: the process
/// serves `maxconn` connections at once, the others wait (in the listen backlog, as with
/// HAProxy) and are served once connections leave; nothing is refused.
#[test]
fn flood_past_global_maxconn_waits_and_recovers() {
    let (web, _stop) = server(slow_http);
    let (p1, p2) = (free_port(), free_port());
    let _p = start(
        "globalmax",
        &format!(
            "global\n  maxconn 6\n{HTTP}  timeout http-keep-alive 10s\n\
             frontend a\n  bind 127.0.0.1:{p1}\n  default_backend be\n\
             frontend b\n  bind 127.0.0.1:{p2}\n  default_backend be\n\
             backend be\n  server s 127.0.0.1:{web}\n"
        ),
        p1,
    );
    // wait_listening connected once; let proxyd see that connection leave.
    std::thread::sleep(Duration::from_millis(200));
    let mut conns: Vec<BufReader<TcpStream>> = [p1; 5]
        .into_iter()
        .chain([p2; 4])
        .map(|port| {
            let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_read_timeout(Some(Duration::from_millis(700)))
                .unwrap();
            BufReader::new(s)
        })
        .collect();
    for c in &mut conns {
        c.get_mut()
            .write_all(b"GET /?delay=0 HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
    }
    let answered: Vec<bool> = conns
        .iter_mut()
        .map(|c| e2e::read_response(c) == Some(200))
        .collect();
    assert_eq!(
        answered.iter().filter(|a| **a).count(),
        6,
        "served at once under global maxconn 6: {answered:?}"
    );
    // The served ones leave (their keep-alive connections close); the waiting ones are
    // taken in and answered.
    let waiting: Vec<BufReader<TcpStream>> = conns
        .into_iter()
        .zip(answered)
        .filter(|(_, a)| !a)
        .map(|(c, _)| c)
        .collect();
    let t = Instant::now();
    let mut later = 0;
    for mut c in waiting {
        c.get_ref()
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        if e2e::read_response(&mut c) == Some(200) {
            later += 1;
        }
    }
    assert_eq!(later, 3, "the waiting connections were not served");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}
