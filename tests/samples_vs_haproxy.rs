//! The sample engine against HAProxy 2.6: every line of tests/sample-oracle/expressions.txt
//! is answered by `http-request return ... lf-string '<line>'` in both daemons (the same
//! configuration), for the same requests; the bodies must be equal byte for byte (or both
//! match the line's shape, for values that change between runs). Lines HAProxy refuses
//! must be refused by `proxyd -c` too, naming the line. Loopback only (IPv4 and ::1).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, free_port, have, repo_root, start_local as start, Scratch};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

enum Check {
    Exact,
    Shape(regex::Regex),
}

struct Line {
    expr: String,
    check: Check,
}

/// The corpus: (lines both must run, lines HAProxy refuses).
fn corpus() -> (Vec<Line>, Vec<String>) {
    let text =
        std::fs::read_to_string(repo_root().join("tests/sample-oracle/expressions.txt")).unwrap();
    let (mut run, mut refused) = (Vec::new(), Vec::new());
    for l in text.lines() {
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if let Some(e) = l.strip_prefix('!') {
            refused.push(e.to_string());
        } else if let Some(rest) = l.strip_prefix('~') {
            let (re, e) = rest.split_once('\t').expect("~REGEX<TAB>EXPR");
            run.push(Line {
                expr: e.to_string(),
                check: Check::Shape(regex::Regex::new(&format!("^(?:{re})$")).unwrap()),
            });
        } else {
            run.push(Line {
                expr: l.to_string(),
                check: Check::Exact,
            });
        }
    }
    (run, refused)
}

fn config(lines: &[&str], port: u16, port6: u16) -> String {
    let mut c = format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend f\n    bind 127.0.0.1:{port}\n    bind [::1]:{port6}\n"
    );
    for (i, e) in lines.iter().enumerate() {
        c.push_str(&format!(
            "    http-request return status 200 content-type text/plain lf-string '{e}' if {{ path /e{i} }}\n"
        ));
    }
    c.push_str("    default_backend b\nbackend b\n    server s 127.0.0.1:9 disabled\n");
    c
}

/// The requests each line is asked with: a rich one, a bare HTTP/1.0 one, the rich one
/// over IPv6.
fn request(i: usize, profile: usize) -> Vec<u8> {
    match profile {
        1 => format!("GET /e{i} HTTP/1.0\r\n\r\n").into_bytes(),
        _ => format!(
            "GET /e{i}?x=1&y=2 HTTP/1.1\r\nHost: Example.com:8080\r\nUser-Agent: oracle/1.0\r\nX-A: 1, 2\r\nX-A: 3\r\nX-Num: 42\r\nX-Ip: 10.1.2.3\r\nCookie: a=1; b=2\r\nConnection: close\r\n\r\n"
        )
        .into_bytes(),
    }
}

fn body(addr: (&str, u16), req: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.write_all(req).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    match out.windows(4).position(|w| w == b"\r\n\r\n") {
        Some(i) => out[i + 4..].to_vec(),
        None => format!("(no response: {:?})", String::from_utf8_lossy(&out)).into_bytes(),
    }
}

#[test]
fn expressions_give_haproxys_values() {
    assert!(
        have("haproxy"),
        "haproxy is not installed (the README test command installs it)"
    );
    let (lines, _) = corpus();
    assert!(lines.len() >= 200, "only {} expressions", lines.len());
    let dir = Scratch::new("samples");
    let exprs: Vec<&str> = lines.iter().map(|l| l.expr.as_str()).collect();
    let (hp, hp6, pp, pp6) = (free_port(), free_port(), free_port(), free_port());
    let (hc, pc) = (dir.join("haproxy.cfg"), dir.join("proxyd.cfg"));
    std::fs::write(&hc, config(&exprs, hp, hp6)).unwrap();
    std::fs::write(&pc, config(&exprs, pp, pp6)).unwrap();
    let hcheck = Command::new("haproxy")
        .args(["-c", "-f"])
        .arg(&hc)
        .output()
        .unwrap();
    assert!(
        hcheck.status.success(),
        "the corpus has lines HAProxy refuses (mark them with `!`):\n{}",
        String::from_utf8_lossy(&hcheck.stderr)
    );
    let check = Command::new(binary("proxyd"))
        .args(["-c", "-f"])
        .arg(&pc)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "proxyd -c refuses expressions HAProxy runs:\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let _h = start("haproxy", &hc, hp);
    let _p = start(binary("proxyd").to_str().unwrap(), &pc, pp);
    let mut differ = Vec::new();
    let mut compared = 0;
    for (i, l) in lines.iter().enumerate() {
        for (profile, (host, h, p)) in [
            (0, ("127.0.0.1", hp, pp)),
            (1, ("127.0.0.1", hp, pp)),
            (0, ("::1", hp6, pp6)),
        ] {
            let req = request(i, profile);
            let agree = |a: &[u8], b: &[u8]| match &l.check {
                Check::Exact => a == b,
                Check::Shape(re) => {
                    re.is_match(&String::from_utf8_lossy(a))
                        && re.is_match(&String::from_utf8_lossy(b))
                }
            };
            let (mut a, mut b) = (body((host, h), &req), body((host, p), &req));
            compared += 1;
            let mut same = agree(&a, &b);
            if !same {
                // Connection counters (fe_conn...) may still count the previous
                // request's connection for a moment after the client read its
                // end: ask both again once; a real difference stays.
                std::thread::sleep(std::time::Duration::from_millis(200));
                (a, b) = (body((host, h), &req), body((host, p), &req));
                same = agree(&a, &b);
            }
            if !same {
                differ.push(format!(
                    "{} (request {profile} via {host}): haproxy {:?} proxyd {:?}",
                    l.expr,
                    String::from_utf8_lossy(&a),
                    String::from_utf8_lossy(&b)
                ));
            }
        }
    }
    eprintln!(
        "{} expressions, {compared} answers compared, {} differ",
        lines.len(),
        differ.len()
    );
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn expressions_haproxy_refuses_are_refused() {
    let (_, refused) = corpus();
    let dir = Scratch::new("samples-refused");
    let mut wrong = Vec::new();
    for e in &refused {
        let cfg = dir.join("one.cfg");
        std::fs::write(&cfg, config(&[e.as_str()], free_port(), free_port())).unwrap();
        let h = Command::new("haproxy")
            .args(["-c", "-q", "-f"])
            .arg(&cfg)
            .status()
            .unwrap();
        let p = Command::new(binary("proxyd"))
            .args(["-c", "-f"])
            .arg(&cfg)
            .output()
            .unwrap();
        let named = String::from_utf8_lossy(&p.stderr).contains("one.cfg:9:");
        if h.success() || p.status.success() || !named {
            wrong.push(format!(
                "{e}: haproxy {:?}, proxyd {:?} {}",
                h.code(),
                p.status.code(),
                String::from_utf8_lossy(&p.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A server answering every request with the same head (what response rules read).
fn fixed_server() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nX-R: a, b\r\nX-R: c\r\nX-Num: 7\r\nX-Ip: 10.9.8.7\r\nSet-Cookie: sid=abc; Path=/\r\nSet-Cookie: n=5\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
            );
        }
    });
    port
}

#[test]
fn response_expressions_give_haproxys_values() {
    assert!(have("haproxy"), "haproxy is not installed");
    let text =
        std::fs::read_to_string(repo_root().join("tests/sample-oracle/response.txt")).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('!'))
        .collect();
    let refused: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix('!')).collect();
    let server = fixed_server();
    let dir = Scratch::new("samples-response");
    let cfg = |port: u16| {
        let mut c = format!(
            "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend f\n    bind 127.0.0.1:{port}\n"
        );
        for (i, e) in lines.iter().enumerate() {
            c.push_str(&format!("    http-response set-header X-E{i} '{e}'\n"));
        }
        c.push_str(&format!(
            "    default_backend b\nbackend b\n    server s 127.0.0.1:{server}\n"
        ));
        c
    };
    let mut wrong = Vec::new();
    for e in &refused {
        let one = dir.join("one.cfg");
        std::fs::write(
            &one,
            format!(
                "defaults\n    mode http\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\nfrontend f\n    bind 127.0.0.1:{}\n    http-response set-header X-E '{e}'\n    default_backend b\nbackend b\n    server s 127.0.0.1:{server}\n",
                free_port()
            ),
        )
        .unwrap();
        let h = Command::new("haproxy")
            .args(["-c", "-q", "-f"])
            .arg(&one)
            .status()
            .unwrap();
        let p = Command::new(binary("proxyd"))
            .args(["-c", "-f"])
            .arg(&one)
            .output()
            .unwrap();
        let named = String::from_utf8_lossy(&p.stderr).contains("one.cfg:8:");
        if h.success() || p.status.success() || !named {
            wrong.push(format!(
                "{e}: haproxy {:?} proxyd {:?}",
                h.code(),
                p.status.code()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let (hp, pp) = (free_port(), free_port());
    let (hc, pc) = (dir.join("haproxy.cfg"), dir.join("proxyd.cfg"));
    std::fs::write(&hc, cfg(hp)).unwrap();
    std::fs::write(&pc, cfg(pp)).unwrap();
    let check = Command::new(binary("proxyd"))
        .args(["-c", "-f"])
        .arg(&pc)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let _h = start("haproxy", &hc, hp);
    let _p = start(binary("proxyd").to_str().unwrap(), &pc, pp);
    let head = |port: u16| -> Vec<(String, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"GET /x?q=1 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out)
            .lines()
            .filter_map(|l| l.split_once(": "))
            .filter(|(k, _)| k.to_ascii_lowercase().starts_with("x-e"))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect()
    };
    let (h, p) = (head(hp), head(pp));
    assert_eq!(h.len(), lines.len(), "haproxy answered {h:?}");
    let mut differ = Vec::new();
    for (i, e) in lines.iter().enumerate() {
        let key = format!("x-e{i}");
        let get =
            |v: &[(String, String)]| v.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone());
        let (a, b) = (get(&h), get(&p));
        // %sp is the server's port: the same server for both, so comparable.
        if a != b {
            differ.push(format!("{e}: haproxy {a:?} proxyd {b:?}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
