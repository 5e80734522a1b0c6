//! proxyd and TLS, end to end on loopback: termination with `bind ... ssl crt DIR` (the
//! certificate chosen by SNI, `ssl_fc_sni` routing), `check-ssl verify none` health
//! checks against an `openssl s_server`, and TLS towards servers (`server ... ssl`) in
//! both modes against a rustls test server: verification (CA, names, `verifyhost`), the
//! `sni` expression per request and the connection pool, client certificates (`crt`),
//! ALPN, and checks verifying as traffic does. Certificates are made with openssl per run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{free_port, make_ca, make_cert, make_signed, wait_for, Proxyd, TlsServer, TlsServerOpts};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;
use std::time::Duration;

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// curl over TLS to `host` (resolved to 127.0.0.1): (verbose log, body).
fn curl(host: &str, port: u16, path: &str) -> (String, String) {
    let out = Command::new("curl")
        .args(["-sv", "-k", "-m", "5", "--resolve"])
        .arg(format!("{host}:{port}:127.0.0.1"))
        .arg(format!("https://{host}:{port}{path}"))
        .output()
        .expect("curl");
    (
        String::from_utf8_lossy(&out.stderr).into_owned(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn termination_with_sni_certificates_and_routing() {
    let dir = e2e::Scratch::new("proxyd-tls");
    let certs = dir.join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    make_cert(&certs, "test.com");
    make_cert(&certs, "test.domain.com");
    for f in std::fs::read_dir(&certs).unwrap().flatten() {
        if f.path().extension().is_some_and(|e| e != "pem") {
            std::fs::remove_file(f.path()).unwrap();
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    let mut ports = Vec::new();
    for name in ["web-com", "web-domain"] {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        ports.push(l.local_addr().unwrap().port());
        let (st, n) = (stop.clone(), Arc::new(AtomicUsize::new(0)));
        std::thread::spawn(move || e2e::http_responder(l, name.to_string(), st, n));
    }
    let port = free_port();
    let p = Proxyd::start(
        "tls",
        &format!(
            "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n\
             frontend https\n  bind 127.0.0.1:{port} ssl crt {} alpn http/1.1\n\
               use_backend domain if {{ ssl_fc_sni test.domain.com }}\n  default_backend com\n\
               http-request set-header X-Test tls if {{ ssl_fc }}\n\
             backend com\n  server w 127.0.0.1:{}\n\
             backend domain\n  server w 127.0.0.1:{}\n",
            certs.display(),
            ports[0],
            ports[1]
        ),
    );
    assert!(
        wait_for(5.0, || TcpStream::connect(("127.0.0.1", port)).is_ok()).is_some(),
        "{}",
        p.log()
    );
    let (v, body) = curl("test.com", port, "/a");
    assert!(
        v.contains("CN=test.com"),
        "certificate for test.com: {v}\n{}",
        p.log()
    );
    assert_eq!(body, "web-com /a xff= hdr=tls");
    let (v, body) = curl("test.domain.com", port, "/b");
    assert!(v.contains("CN=test.domain.com"), "{v}");
    assert_eq!(body, "web-domain /b xff= hdr=tls");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
}

#[test]
fn check_ssl_verify_none_against_a_tls_server() {
    let dir = e2e::Scratch::new("proxyd-checkssl");
    let pem = make_cert(&dir, "backend.example.org");
    let sport = free_port();
    let server = Kill(
        Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(sport.to_string())
            .arg("-cert")
            .arg(&pem)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(wait_for(5.0, || TcpStream::connect(("127.0.0.1", sport)).is_ok()).is_some());
    let port = free_port();
    let p = Proxyd::start(
        "checkssl",
        &format!(
            "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n  timeout check 2s\n\
             listen app\n  bind 127.0.0.1:{port}\n  option httpchk GET /\n\
               server s 127.0.0.1:{sport} check check-ssl verify none inter 300 fall 2 rise 1\n"
        ),
    );
    // Healthy over TLS: it stays UP (a failing check would be logged within 2 x 300 ms).
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!p.log().contains("is DOWN"), "{}", p.log());
    drop(server);
    assert!(
        wait_for(3.0, || p.log().contains(
            "Server app/s is DOWN, reason: Layer4 connection problem"
        ))
        .is_some(),
        "{}",
        p.log()
    );
}

/// One HTTP/1.1 response read from a keep-alive connection: (status, X-Conn, body).
fn read_response(s: &mut TcpStream) -> Option<(u16, Option<usize>, String)> {
    let mut buf = Vec::new();
    let mut b = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).ok()? == 0 {
            return None;
        }
        buf.push(b[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let len: usize = header("content-length")?.parse().ok()?;
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    Some((
        status,
        header("x-conn").and_then(|v| v.parse().ok()),
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

/// Requests on one client connection, one after the other: (status, X-Conn, body).
fn requests(port: u16, reqs: &[(&str, &str)]) -> Vec<(u16, Option<usize>, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut out = Vec::new();
    for (path, host) in reqs {
        write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
        match read_response(&mut s) {
            Some(r) => out.push(r),
            None => break,
        }
    }
    out
}

fn get(port: u16, path: &str) -> (u16, String) {
    let r = requests(port, &[(path, "good.example")]);
    let (status, _, body) = r.first().cloned().unwrap_or((0, None, String::new()));
    (status, body)
}

const DEFAULTS: &str = "defaults\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n  timeout check 2s\n  retries 1\n";

#[test]
fn server_tls_in_http_mode_verifies_as_haproxy() {
    let dir = e2e::Scratch::new("srvtls-http");
    let ca = make_ca(&dir, "ca");
    let other = make_ca(&dir, "other");
    let pem = make_signed(&dir, "good", "ca", &["good.example"]);
    let own = make_cert(&dir, "self.example");
    let good = TlsServer::start(&pem, None, &[]);
    let selfsigned = TlsServer::start(&own, None, &[]);
    let port = free_port();
    let (ca, other, gp, sp) = (ca.display(), other.display(), good.port, selfsigned.port);
    let p = Proxyd::start(
        "srvtls-http",
        &format!(
            "{DEFAULTS}  mode http\n\
             frontend f\n  bind 127.0.0.1:{port}\n\
               use_backend ok if {{ path /ok }}\n  use_backend wrongca if {{ path /wrongca }}\n\
               use_backend wrongname if {{ path /wrongname }}\n  use_backend host if {{ path /host }}\n\
               use_backend hostbad if {{ path /hostbad }}\n  use_backend chain if {{ path /chain }}\n\
               use_backend none if {{ path /none }}\n  use_backend pinned if {{ path /pinned }}\n\
             backend ok\n  server s 127.0.0.1:{gp} ssl verify required ca-file {ca} sni str(good.example)\n\
             backend wrongca\n  server s 127.0.0.1:{gp} ssl verify required ca-file {other} sni str(good.example)\n\
             backend wrongname\n  server s 127.0.0.1:{gp} ssl ca-file {ca} sni str(bad.example)\n\
             backend host\n  server s 127.0.0.1:{gp} ssl ca-file {ca} verifyhost good.example\n\
             backend hostbad\n  server s 127.0.0.1:{gp} ssl ca-file {ca} verifyhost bad.example\n\
             backend chain\n  server s 127.0.0.1:{gp} ssl ca-file {ca}\n\
             backend none\n  server s 127.0.0.1:{sp} ssl verify none\n\
             backend pinned\n  server s 127.0.0.1:{sp} ssl ca-file {} sni str(self.example)\n",
            own.display()
        ),
    );
    p.wait_listening(port);
    // The right CA and the name sent: through, with the SNI.
    assert_eq!(
        get(port, "/ok"),
        (200, "sni=good.example".into()),
        "{}",
        p.log()
    );
    // Another CA, or a name the certificate does not have: 503 after the retry.
    let before = good.seen().len();
    assert_eq!(get(port, "/wrongca").0, 503, "{}", p.log());
    // A try and a retry (the server records the second one a moment later).
    wait_for(2.0, || good.seen().len() >= before + 2);
    let failed: Vec<_> = good.seen()[before..].to_vec();
    assert_eq!(failed.len(), 2, "a try and a retry: {failed:?}");
    assert!(failed.iter().all(|s| s.error.is_some()), "{failed:?}");
    assert_eq!(get(port, "/wrongname").0, 503);
    // No SNI: verifyhost is the name checked; without it, the chain alone (HAProxy).
    assert_eq!(get(port, "/host"), (200, "sni=-".into()));
    assert_eq!(get(port, "/hostbad").0, 503);
    assert_eq!(get(port, "/chain"), (200, "sni=-".into()));
    // verify none against a self-signed certificate; the same certificate trusted as
    // it is with ca-file.
    assert_eq!(get(port, "/none"), (200, "sni=-".into()));
    assert_eq!(get(port, "/pinned"), (200, "sni=self.example".into()));
    assert!(p.log().contains("TLS handshake"), "{}", p.log());
}

#[test]
fn server_tls_in_tcp_mode() {
    let dir = e2e::Scratch::new("srvtls-tcp");
    let ca = make_ca(&dir, "ca");
    let other = make_ca(&dir, "other");
    let pem = make_signed(&dir, "good", "ca", &["good.example"]);
    let good = TlsServer::start(&pem, None, &[]);
    let (ok, bad) = (free_port(), free_port());
    let (ca, other, gp) = (ca.display(), other.display(), good.port);
    let p = Proxyd::start(
        "srvtls-tcp",
        &format!(
            "{DEFAULTS}  mode tcp\n\
             listen ok\n  bind 127.0.0.1:{ok}\n  server s 127.0.0.1:{gp} ssl verify required ca-file {ca} sni str(good.example)\n\
             listen bad\n  bind 127.0.0.1:{bad}\n  server s 127.0.0.1:{gp} ssl verify required ca-file {other} sni str(good.example)\n"
        ),
    );
    p.wait_listening(ok);
    let exchange = |port: u16| {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\nHost: good.example\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    };
    let got = exchange(ok);
    assert!(got.starts_with("HTTP/1.1 200"), "{got}\n{}", p.log());
    assert!(got.ends_with("sni=good.example"), "{got}");
    // The wrong CA: the connection is closed without a byte.
    assert_eq!(exchange(bad), "", "{}", p.log());
    assert!(good.seen().iter().any(|s| s.error.is_some()));
}

#[test]
fn server_tls_client_certificate() {
    let dir = e2e::Scratch::new("srvtls-crt");
    let ca = make_ca(&dir, "ca");
    let pem = make_signed(&dir, "good", "ca", &["good.example"]);
    let client = make_signed(&dir, "client", "ca", &[]);
    // The server requires a certificate signed by the CA.
    let good = TlsServer::start(&pem, Some(&ca), &[]);
    let port = free_port();
    let (cad, gp) = (ca.display(), good.port);
    let p = Proxyd::start(
        "srvtls-crt",
        &format!(
            "global\n  crt-base {}\n{DEFAULTS}  mode http\n\
             frontend f\n  bind 127.0.0.1:{port}\n  use_backend with if {{ path /with }}\n  default_backend without\n\
             backend with\n  server s 127.0.0.1:{gp} ssl ca-file {cad} sni str(good.example) crt client.pem\n\
             backend without\n  server s 127.0.0.1:{gp} ssl ca-file {cad} sni str(good.example)\n",
            dir.display()
        ),
    );
    p.wait_listening(port);
    assert_eq!(
        get(port, "/with"),
        (200, "sni=good.example".into()),
        "{}",
        p.log()
    );
    assert!(good
        .seen()
        .iter()
        .any(|s| s.client_cert && s.error.is_none()));
    let _ = client;
    // Without one the server ends the connection once TLSv1.3's handshake is over: the
    // request fails (502, as HAProxy answers it).
    assert_eq!(get(port, "/without").0, 502, "{}", p.log());
}

#[test]
fn sni_is_evaluated_per_request_and_pooled_connections_keep_theirs() {
    let dir = e2e::Scratch::new("srvtls-sni");
    let ca = make_ca(&dir, "ca");
    let pem = make_signed(&dir, "multi", "ca", &["a.example", "b.example"]);
    let srv = TlsServer::start(&pem, None, &[]);
    let port = free_port();
    let p = Proxyd::start(
        "srvtls-sni",
        &format!(
            "{DEFAULTS}  mode http\n\
             listen l\n  bind 127.0.0.1:{port}\n  server s 127.0.0.1:{} ssl verify required ca-file {} sni req.hdr(host)\n",
            srv.port,
            ca.display()
        ),
    );
    p.wait_listening(port);
    let hosts = [
        "a.example",
        "b.example",
        "a.example",
        "b.example",
        "a.example",
    ];
    let reqs: Vec<(&str, &str)> = hosts.iter().map(|h| ("/", *h)).collect();
    let got = requests(port, &reqs);
    assert_eq!(got.len(), hosts.len(), "{got:?}\n{}", p.log());
    let seen = srv.seen();
    for ((status, conn, body), host) in got.iter().zip(hosts) {
        assert_eq!(*status, 200);
        assert_eq!(body, &format!("sni={host}"));
        // The server connection it went on was opened with this request's SNI.
        let c = conn.unwrap();
        assert_eq!(seen[c].sni.as_deref(), Some(host), "{seen:?}");
    }
    // Connections were reused (one per name, give or take one not yet back in the pool).
    assert!(seen.len() < hosts.len(), "{seen:?}");
    // A name the certificate does not have fails, whatever is pooled.
    let got = requests(port, &[("/", "c.example")]);
    assert_eq!(got[0].0, 503);
}

#[test]
fn server_alpn_offers_what_proxyd_speaks() {
    let dir = e2e::Scratch::new("srvtls-alpn");
    let pem = make_cert(&dir, "alpn.example");
    let srv = TlsServer::start(&pem, None, &["h2", "http/1.1"]);
    let (hp, tp) = (free_port(), free_port());
    let p = Proxyd::start(
        "srvtls-alpn",
        &format!(
            "{DEFAULTS}\
             listen h\n  mode http\n  bind 127.0.0.1:{hp}\n  server s 127.0.0.1:{0} ssl verify none alpn h3,http/1.1\n\
             listen t\n  mode tcp\n  bind 127.0.0.1:{tp}\n  server s 127.0.0.1:{0} ssl verify none alpn h2,http/1.1\n",
            srv.port
        ),
    );
    p.wait_listening(hp);
    p.wait_listening(tp);
    // HTTP: h3 is not offered (a warning says so), the server picks HTTP/1.1 (h2 is
    // offered and spoken: tests/proxyd_h2.rs).
    assert_eq!(get(hp, "/").0, 200, "{}", p.log());
    assert!(p.log().contains("`alpn` h3 not offered"), "{}", p.log());
    // TCP: the bytes go through, everything is offered.
    let mut s = TcpStream::connect(("127.0.0.1", tp)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(b"x").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let alpns: Vec<Option<String>> = srv
        .seen()
        .iter()
        .filter(|x| x.error.is_none())
        .map(|x| x.alpn.clone())
        .collect();
    assert!(alpns.contains(&Some("http/1.1".into())), "{alpns:?}");
    assert!(alpns.contains(&Some("h2".into())), "{alpns:?}");
}

/// `ws auto` (the default) to a server whose ALPN list holds h2 and http/1.1: a WebSocket
/// handshake gets a connection of its own that offers http/1.1 alone (HAProxy downgrades
/// ALPN so), other requests may get h2; `ws h2` keeps h2 for it.
#[test]
fn a_websocket_to_an_alpn_h2_server_asks_for_http_1_1_alone() {
    let dir = e2e::Scratch::new("srvtls-ws");
    let pem = make_cert(&dir, "ws.example");
    // It prefers h2, and answers HTTP/1.1 only (200, no switch).
    let srv = TlsServer::start(&pem, None, &["h2", "http/1.1"]);
    let (auto, h2) = (free_port(), free_port());
    let p = Proxyd::start(
        "srvtls-ws",
        &format!(
            "{DEFAULTS}\
             listen auto\n  mode http\n  bind 127.0.0.1:{auto}\n  server s 127.0.0.1:{0} ssl verify none alpn h2,http/1.1\n\
             listen h2\n  mode http\n  bind 127.0.0.1:{h2}\n  server s 127.0.0.1:{0} ssl verify none alpn h2,http/1.1 ws h2\n",
            srv.port
        ),
    );
    p.wait_listening(auto);
    p.wait_listening(h2);
    let handshake = |port: u16| {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(
            b"GET /chat HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .unwrap();
        read_response(&mut s).map(|r| r.0)
    };
    let alpns = || -> Vec<Option<String>> {
        srv.seen()
            .iter()
            .filter(|x| x.error.is_none())
            .map(|x| x.alpn.clone())
            .collect()
    };
    // The server does not switch: its 200 reaches the client, over HTTP/1.1.
    assert_eq!(handshake(auto), Some(200), "{}", p.log());
    assert_eq!(alpns(), vec![Some("http/1.1".to_string())]);
    // `ws h2`: the handshake goes on HTTP/2 (an extended CONNECT, which this server,
    // speaking no HTTP/2, cannot take: 502).
    assert_eq!(handshake(h2), Some(502), "{}", p.log());
    assert_eq!(
        alpns(),
        vec![Some("http/1.1".to_string()), Some("h2".to_string())]
    );
}

#[test]
fn checks_verify_as_traffic_does() {
    let dir = e2e::Scratch::new("srvtls-chk");
    let ca = make_ca(&dir, "ca");
    let other = make_ca(&dir, "other");
    let pem = make_signed(&dir, "good", "ca", &["good.example"]);
    let srv = TlsServer::start(&pem, None, &[]);
    let port = free_port();
    let (ca, other, sp) = (ca.display(), other.display(), srv.port);
    let chk = "check inter 300 rise 1 fall 1";
    let p = Proxyd::start(
        "srvtls-chk",
        &format!(
            "{DEFAULTS}  mode http\n\
             listen l\n  bind 127.0.0.1:{port}\n  option httpchk GET /\n\
               server ok 127.0.0.1:{sp} ssl ca-file {ca} {chk}\n\
               server sni 127.0.0.1:{sp} ssl ca-file {ca} check-sni good.example verifyhost bad.example {chk}\n\
               server badsni 127.0.0.1:{sp} ssl ca-file {ca} check-sni bad.example {chk}\n\
               server badhost 127.0.0.1:{sp} ssl ca-file {ca} verifyhost bad.example {chk}\n\
               server badca 127.0.0.1:{sp} ssl ca-file {other} {chk}\n\
               server plain 127.0.0.1:{sp} check-ssl ca-file {ca} sni str(bad.example) {chk}\n"
        ),
    );
    for bad in ["badsni", "badhost", "badca"] {
        let want = format!("Server l/{bad} is DOWN, reason: Layer6");
        assert!(
            wait_for(5.0, || p.log().contains(&want)).is_some(),
            "{want}\n{}",
            p.log()
        );
    }
    // The others stay UP: the SNI sent wins over verifyhost, and `sni` is not the
    // checks' (no SNI, the chain alone), as HAProxy measured.
    std::thread::sleep(Duration::from_millis(600));
    for good in ["ok", "sni", "plain"] {
        assert!(
            !p.log().contains(&format!("Server l/{good} is DOWN")),
            "{good}\n{}",
            p.log()
        );
    }
    let names: Vec<Option<String>> = srv.seen().into_iter().map(|s| s.sni).collect();
    assert!(names.contains(&Some("good.example".into())));
    assert!(names.contains(&None));
}

#[test]
fn sessions_are_resumed_unless_told_not_to() {
    let dir = e2e::Scratch::new("srvtls-reuse");
    let pem = make_cert(&dir, "reuse.example");
    // TLSv1.3 with the server's session cache; TLSv1.2 resuming by tickets only.
    let s13 = TlsServer::start(&pem, None, &[]);
    let s12 = TlsServer::start_with(
        &pem,
        None,
        &[],
        TlsServerOpts {
            tls12_only: true,
            tickets_only: true,
        },
    );
    let port = free_port();
    let p = Proxyd::start(
        "srvtls-reuse",
        &format!(
            "{DEFAULTS}  mode http\n  option http-server-close\n\
             frontend f\n  bind 127.0.0.1:{port}\n\
               use_backend noreuse if {{ path /noreuse }}\n  use_backend tickets if {{ path /tickets }}\n\
               use_backend notickets if {{ path /notickets }}\n  default_backend reuse\n\
             backend reuse\n  server s 127.0.0.1:{a} ssl verify none\n\
             backend noreuse\n  server s 127.0.0.1:{a} ssl verify none no-ssl-reuse\n\
             backend tickets\n  server s 127.0.0.1:{b} ssl verify none\n\
             backend notickets\n  server s 127.0.0.1:{b} ssl verify none no-tls-tickets\n",
            a = s13.port,
            b = s12.port
        ),
    );
    p.wait_listening(port);
    // Each request opens a server connection (http-server-close): what the server saw
    // of those made for `path`.
    let resumed = |srv: &TlsServer, path: &str| {
        let before = srv.seen().len();
        for _ in 0..3 {
            assert_eq!(get(port, path).0, 200, "{path}\n{}", p.log());
        }
        wait_for(2.0, || srv.seen().len() >= before + 3);
        srv.seen()[before..]
            .iter()
            .map(|s| s.resumed)
            .collect::<Vec<bool>>()
    };
    assert_eq!(resumed(&s13, "/reuse"), vec![false, true, true]);
    assert_eq!(resumed(&s13, "/noreuse"), vec![false, false, false]);
    assert_eq!(resumed(&s12, "/tickets"), vec![false, true, true]);
    assert_eq!(resumed(&s12, "/notickets"), vec![false, false, false]);
    assert!(s12
        .seen()
        .iter()
        .all(|s| s.version.as_deref() == Some("TLSv1_2")));
}

#[test]
fn versions_as_haproxy_combines_them() {
    let dir = e2e::Scratch::new("srvtls-ver");
    let pem = make_cert(&dir, "ver.example");
    let s12 = TlsServer::start_with(
        &pem,
        None,
        &[],
        TlsServerOpts {
            tls12_only: true,
            ..TlsServerOpts::default()
        },
    );
    let s13 = TlsServer::start(&pem, None, &[]);
    // (options, server, status, version the server saw), measured with HAProxy 2.6.
    let cases = [
        ("ssl-min-ver TLSv1.3", &s12, 503, None),
        ("force-tlsv13", &s12, 503, None),
        ("no-tlsv10 no-tlsv11 no-tlsv12", &s12, 503, None),
        // A hole: HAProxy keeps the whole range (and warns).
        ("no-tlsv12", &s12, 200, Some("TLSv1_2")),
        // ssl-min-ver makes the no-* ignored.
        ("ssl-min-ver TLSv1.2 no-tlsv12", &s12, 200, Some("TLSv1_2")),
        ("no-tlsv13", &s13, 200, Some("TLSv1_2")),
        ("ssl-max-ver TLSv1.2", &s13, 200, Some("TLSv1_2")),
        (
            "force-tlsv12 ssl-max-ver TLSv1.3",
            &s13,
            200,
            Some("TLSv1_3"),
        ),
        ("", &s13, 200, Some("TLSv1_3")),
    ];
    let port = free_port();
    let mut cfg = format!("{DEFAULTS}  mode http\nfrontend f\n  bind 127.0.0.1:{port}\n");
    for i in 0..cases.len() {
        cfg += &format!("  use_backend b{i} if {{ path /{i} }}\n");
    }
    for (i, (opts, srv, _, _)) in cases.iter().enumerate() {
        cfg += &format!(
            "backend b{i}\n  server s 127.0.0.1:{} ssl verify none {opts}\n",
            srv.port
        );
    }
    let p = Proxyd::start("srvtls-ver", &cfg);
    p.wait_listening(port);
    for (i, (opts, srv, status, version)) in cases.iter().enumerate() {
        let before = srv.seen().len();
        assert_eq!(
            get(port, &format!("/{i}")).0,
            *status,
            "{opts}\n{}",
            p.log()
        );
        if let Some(v) = version {
            // The handshake that carried the request: failed attempts of the case before
            // (retried until 503) may still be recorded after `before` was read.
            let ok = |s: &e2e::TlsSeen| s.error.is_none();
            wait_for(2.0, || srv.seen()[before..].iter().any(ok));
            let seen = srv.seen();
            let done = seen[before..].iter().find(|s| ok(s));
            assert_eq!(
                done.and_then(|s| s.version.as_deref()),
                Some(*v),
                "{opts}: {seen:?}"
            );
        }
    }
}

#[test]
fn check_connect_steps_speak_tls_when_they_say_ssl() {
    let dir = e2e::Scratch::new("srvtls-steps");
    let ca = make_ca(&dir, "ca");
    let other = make_ca(&dir, "other");
    let pem = make_signed(&dir, "good", "ca", &["good.example"]);
    let srv = TlsServer::start(&pem, None, &[]);
    let (ca, other, sp) = (ca.display(), other.display(), srv.port);
    let steps = |connect: &str| {
        format!(
            "  option tcp-check\n  tcp-check {connect}\n  tcp-check send \"GET / HTTP/1.0\\r\\n\\r\\n\"\n  tcp-check expect string sni=\n"
        )
    };
    let chk = "check inter 300 rise 1 fall 1";
    let p = Proxyd::start(
        "srvtls-steps",
        &format!(
            "{DEFAULTS}  mode tcp\n\
             backend ssl\n{}  server s 127.0.0.1:{sp} ca-file {ca} check-sni good.example {chk}\n\
             backend wrongca\n{}  server s 127.0.0.1:{sp} ca-file {other} {chk}\n\
             backend plain\n{}  server s 127.0.0.1:{sp} check-ssl ca-file {ca} {chk}\n",
            steps("connect ssl"),
            steps("connect ssl"),
            steps("connect"),
        ),
    );
    // `connect ssl` verifies as traffic would; a plain `connect` stays plain even with
    // `check-ssl` (HAProxy measured), so it fails against a TLS server.
    for bad in ["wrongca/s is DOWN, reason: Layer6", "plain/s is DOWN"] {
        assert!(
            wait_for(5.0, || p.log().contains(bad)).is_some(),
            "{bad}\n{}",
            p.log()
        );
    }
    std::thread::sleep(Duration::from_millis(600));
    assert!(!p.log().contains("ssl/s is DOWN"), "{}", p.log());
    assert!(srv
        .seen()
        .iter()
        .any(|s| s.error.is_none() && s.sni.as_deref() == Some("good.example")));
}
