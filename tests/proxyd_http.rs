//! proxyd in `mode http`, end to end on loopback with real HTTP/1.1 backends (threads):
//! virtual hosts by Host header (seed 004's test.com / test.domain.com), keep-alive on
//! both sides with server connections reused, forwardfor, http-request deny / redirect /
//! set-header, http-response set-header, 503 without servers, balance uri; server names
//! resolved again (in a namespace with an /etc/hosts of its own).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{free_port, Proxyd};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// An HTTP/1.1 backend on loopback (see `e2e::http_responder`).
struct Web {
    port: u16,
    stop: Arc<AtomicBool>,
    conns: Arc<AtomicUsize>,
}

impl Web {
    fn start(name: &'static str) -> Web {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let conns = Arc::new(AtomicUsize::new(0));
        let (st, cn) = (stop.clone(), conns.clone());
        std::thread::spawn(move || e2e::http_responder(l, name.to_string(), st, cn));
        Web { port, stop, conns }
    }
}

impl Drop for Web {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// A keep-alive client: sends requests on one connection, reads responses.
struct Client {
    w: TcpStream,
    r: BufReader<TcpStream>,
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl Client {
    fn connect(port: u16) -> Client {
        let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        Client {
            w: s.try_clone().unwrap(),
            r: BufReader::new(s),
        }
    }

    fn get(&mut self, host: &str, path: &str) -> Resp {
        write!(self.w, "GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
        let mut line = String::new();
        self.r.read_line(&mut line).unwrap();
        let status = line
            .split_whitespace()
            .nth(1)
            .unwrap_or("0")
            .parse()
            .unwrap_or(0);
        let mut headers = Vec::new();
        let mut len = 0;
        loop {
            let mut h = String::new();
            self.r.read_line(&mut h).unwrap();
            let h = h.trim_end().to_string();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':').unwrap_or((&h, ""));
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
            headers.push((k.to_string(), v.trim().to_string()));
        }
        let mut body = vec![0u8; len];
        self.r.read_exact(&mut body).unwrap();
        Resp {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }
}

/// proxyd started on `cfg`, listening on `port`.
fn start(tag: &str, cfg: &str, port: u16) -> Proxyd {
    let p = Proxyd::start(tag, cfg);
    p.wait_listening(port);
    p
}

const DEFAULTS: &str =
    "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n";

#[test]
fn virtual_hosts_keep_alive_and_reuse() {
    let (web80, web8000) = (Web::start("web80"), Web::start("web8000"));
    let port = free_port();
    let p = start(
        "vhost",
        &format!(
            "{DEFAULTS}  option forwardfor\n\
             frontend www\n  bind 127.0.0.1:{port}\n\
               acl is_test hdr(host) -i test.com\n  acl is_domain hdr(host) -i test.domain.com\n\
               use_backend test_com if is_test\n  use_backend test_domain if is_domain\n  default_backend test_com\n\
             backend test_com\n  server web 127.0.0.1:{}\n\
             backend test_domain\n  server web 127.0.0.1:{}\n",
            web80.port, web8000.port
        ),
        port,
    );
    let mut c = Client::connect(port);
    for i in 0..5 {
        let a = c.get("test.com", &format!("/a{i}"));
        assert_eq!(
            a.body,
            format!("web80 /a{i} xff=127.0.0.1 hdr="),
            "{}",
            p.log()
        );
        let b = c.get("Test.Domain.com", "/b");
        assert_eq!(b.body, "web8000 /b xff=127.0.0.1 hdr=");
    }
    // Ten requests on one client connection; the servers saw one connection each.
    assert_eq!(
        web80.conns.load(Ordering::Relaxed),
        1,
        "no reuse towards web80"
    );
    assert_eq!(
        web8000.conns.load(Ordering::Relaxed),
        1,
        "no reuse towards web8000"
    );
}

#[test]
fn rules_redirects_and_errors() {
    let web = Web::start("web");
    let port = free_port();
    let p = start(
        "rules",
        &format!(
            "{DEFAULTS}\
             frontend www\n  bind 127.0.0.1:{port}\n\
               acl admin path_beg /admin\n  http-request deny if admin\n\
               redirect scheme https code 301 if {{ path_beg /login }}\n\
               http-request return status 200 content-type text/plain string pong if {{ path /ping }}\n\
               http-request set-header X-Test from-proxyd\n\
               http-response set-header X-Frame-Options DENY\n\
               use_backend empty if {{ path_beg /empty }}\n  default_backend app\n\
             backend app\n  server web 127.0.0.1:{}\n\
             backend empty\n  server down 127.0.0.1:1 disabled\n",
            web.port
        ),
        port,
    );
    let mut c = Client::connect(port);
    let r = c.get("example.org", "/page");
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, "web /page xff= hdr=from-proxyd"),
        "{}",
        p.log()
    );
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    let r = c.get("example.org", "/ping");
    assert_eq!((r.status, r.body.as_str()), (200, "pong"));
    let r = Client::connect(port).get("example.org", "/admin/x");
    assert_eq!(r.status, 403);
    let r = Client::connect(port).get("example.org", "/login?next=/");
    assert_eq!(r.status, 301);
    assert_eq!(
        r.header("location"),
        Some("https://example.org/login?next=/")
    );
    let r = Client::connect(port).get("example.org", "/empty");
    assert_eq!(r.status, 503);
}

#[test]
fn balance_uri_is_sticky_per_path() {
    let (a, b) = (Web::start("a"), Web::start("b"));
    let port = free_port();
    let _p = start(
        "uri",
        &format!(
            "{DEFAULTS}listen app\n  bind 127.0.0.1:{port}\n  balance uri\n  server a 127.0.0.1:{}\n  server b 127.0.0.1:{}\n",
            a.port, b.port
        ),
        port,
    );
    let mut c = Client::connect(port);
    let mut names = std::collections::HashSet::new();
    for i in 0..20 {
        let first = c.get("x", &format!("/obj{i}")).body;
        let again = c.get("x", &format!("/obj{i}")).body;
        assert_eq!(first, again, "/obj{i} moved");
        names.insert(first.split(' ').next().unwrap_or("").to_string());
    }
    assert_eq!(names.len(), 2, "all paths on one server: {names:?}");
}

#[test]
fn stats_page_with_auth_and_csv() {
    let web = Web::start("web");
    let (port, sport) = (free_port(), free_port());
    let _p = start(
        "stats",
        &format!(
            "{DEFAULTS}listen stats\n  bind 127.0.0.1:{sport}\n  stats enable\n  stats hide-version\n  stats realm Haproxy\\ Statistics\n  stats uri /haproxy_stats\n  stats auth admin:secret\n\
             listen app\n  bind 127.0.0.1:{port}\n  server web01 127.0.0.1:{} check\n",
            web.port
        ),
        sport,
    );
    let get = |auth: Option<&str>, path: &str| {
        let mut s = TcpStream::connect(("127.0.0.1", sport)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let a = auth
            .map(|a| format!("Authorization: Basic {a}\r\n"))
            .unwrap_or_default();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\n{a}Connection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    };
    let denied = get(None, "/haproxy_stats");
    assert!(denied.starts_with("HTTP/1.1 401"), "{denied}");
    assert!(
        denied.contains("Basic realm=\"Haproxy Statistics\""),
        "{denied}"
    );
    // admin:secret
    let page = get(Some("YWRtaW46c2VjcmV0"), "/haproxy_stats");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(page.contains("<td>app</td><td>web01</td>"), "{page}");
    assert!(
        !page.contains("proxyd 0."),
        "version shown despite hide-version"
    );
    let csv = get(Some("YWRtaW46c2VjcmV0"), "/haproxy_stats;csv");
    // HAProxy's CSV: its columns in its order, one row per frontend, server and backend.
    assert!(
        csv.contains("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,"),
        "{csv}"
    );
    let row = csv
        .lines()
        .find(|l| l.starts_with("app,web01,"))
        .unwrap_or_else(|| panic!("no app/web01 row: {csv}"));
    assert_eq!(row.split(',').nth(17), Some("UP"), "status column: {row}");
    assert!(csv.lines().any(|l| l.starts_with("app,BACKEND,")), "{csv}");
    assert!(csv.lines().any(|l| l.starts_with("app,FRONTEND,")), "{csv}");
    assert!(get(Some("YWRtaW46d3Jvbmc="), "/haproxy_stats").starts_with("HTTP/1.1 401"));
}

#[test]
fn errorfiles_replace_generated_pages() {
    let dir = e2e::Scratch::new("proxyd-errf");
    let f503 = dir.join("503.http");
    std::fs::write(
        &f503,
        "HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n\r\n<h1>We'll be right back</h1>\n",
    )
    .unwrap();
    let f403 = dir.join("403.http");
    std::fs::write(
        &f403,
        "HTTP/1.0 403 Forbidden\r\nContent-Type: text/plain\r\n\r\nnope\n",
    )
    .unwrap();
    let port = free_port();
    let _p = start(
        "errorfile",
        &format!(
            "{DEFAULTS}  errorfile 503 {}\n  errorfile 403 {}\n\
             frontend www\n  bind 127.0.0.1:{port}\n  http-request deny if {{ path_beg /private }}\n  default_backend none\n\
             backend none\n  server down 127.0.0.1:1 disabled\n",
            f503.display(),
            f403.display()
        ),
        port,
    );
    let r = Client::connect(port).get("x", "/");
    assert_eq!(
        (r.status, r.body.as_str()),
        (503, "<h1>We'll be right back</h1>\n")
    );
    assert_eq!(r.header("content-type"), Some("text/html"));
    let r = Client::connect(port).get("x", "/private");
    assert_eq!((r.status, r.body.as_str()), (403, "nope\n"));
}

/// Server names: one that does not resolve at start leaves its server DOWN (503), and
/// takes traffic once it resolves; with `resolvers`, a name's new address is followed.
/// Names come from an /etc/hosts of the test's own, bind-mounted in a mount namespace of
/// proxyd's own (inside a network namespace), rewritten in place.
#[test]
fn server_names_are_resolved_again() {
    if !e2e::netns_available() {
        return;
    }
    let ns = e2e::Netns::new("pdns");
    let dir = e2e::Scratch::new("proxyd-dns");
    let hosts = dir.join("hosts");
    std::fs::write(&hosts, "127.0.0.1 localhost\n127.0.0.2 web.test\n").unwrap();
    let mut stops = Vec::new();
    for (ip, name) in [("127.0.0.2", "old"), ("127.0.0.3", "new")] {
        let l = ns.listen_tcp(&format!("{ip}:8081"));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, cn) = (stop.clone(), Arc::new(AtomicUsize::new(0)));
        std::thread::spawn(move || e2e::http_responder(l, name.to_string(), st, cn));
        stops.push(stop);
    }
    let cfg = dir.join("proxyd.cfg");
    std::fs::write(
        &cfg,
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nresolvers sys\n    nameserver ns1 127.0.0.53:53\nfrontend f\n    bind 127.0.0.1:8080\n    use_backend late if { path_beg /late }\n    default_backend moving\nbackend moving\n    server m web.test:8081 resolvers sys\nbackend late\n    server l late.test:8081\n",
    )
    .unwrap();
    let logf = dir.join("proxyd.log");
    let script = format!(
        "mount --bind {} /etc/hosts && exec {} -db -f {}",
        hosts.display(),
        e2e::binary("proxyd").display(),
        cfg.display()
    );
    let _p = ns.spawn("unshare", &["--mount", "sh", "-c", &script], &logf);
    let log = || std::fs::read_to_string(&logf).unwrap_or_default();
    let ask = |path: &str| -> String {
        let Ok(mut s) = ns.connect_tcp("127.0.0.1:8080") else {
            return String::new();
        };
        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
        let _ = write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        );
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    };
    assert!(
        e2e::wait_for(5.0, || ask("/").contains("old /")).is_some(),
        "{}",
        log()
    );
    assert!(ask("/late").starts_with("HTTP/1.1 503"), "{}", log());
    // Written in place: the bind mount follows the file, not its name.
    std::fs::write(
        &hosts,
        "127.0.0.1 localhost\n127.0.0.3 web.test\n127.0.0.2 late.test\n",
    )
    .unwrap();
    let took = e2e::wait_for(15.0, || {
        ask("/").contains("new /") && ask("/late").contains("old /late")
    });
    assert!(
        took.is_some(),
        "/ gives {:?}, /late gives {:?}\n{}",
        ask("/"),
        ask("/late"),
        log()
    );
    assert!(
        log().contains("Server late/l resolved to 127.0.0.2"),
        "{}",
        log()
    );
    assert!(
        log().contains("Server moving/m changed its IP from 127.0.0.2 to 127.0.0.3"),
        "{}",
        log()
    );
    for s in stops {
        s.store(true, Ordering::Relaxed);
    }
}

/// HTTP/1.0 GET with a body: refused with 413 as HAProxy does (the framing suite compares
/// the default with HAProxy), accepted with the global `h1-accept-payload-with-any-method`.
#[test]
fn h1_accept_payload_with_any_method_lets_http_1_0_get_bodies_in() {
    for (global, want) in [
        ("", "413"),
        ("global\n  h1-accept-payload-with-any-method\n", "200"),
    ] {
        let port = free_port();
        let cfg = format!(
            "{global}{DEFAULTS}frontend f\n  bind 127.0.0.1:{port}\n  http-request return status 200 content-type text/plain string ok\n"
        );
        let p = start("payload-any-method", &cfg, port);
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"GET / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello")
            .unwrap();
        let mut line = String::new();
        BufReader::new(s).read_line(&mut line).unwrap();
        assert_eq!(
            line.split_whitespace().nth(1),
            Some(want),
            "{global:?}: {line}\n{}",
            p.log()
        );
    }
}
