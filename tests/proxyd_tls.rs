//! proxyd and TLS, end to end on loopback: termination with `bind ... ssl crt DIR` (the
//! certificate chosen by SNI, `ssl_fc_sni` routing), and `check-ssl verify none` health
//! checks against an `openssl s_server`. Certificates are made with openssl per run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{free_port, make_cert, wait_for, Proxyd};
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
