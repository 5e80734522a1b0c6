//! Stick tables, stick counters and map files against HAProxy 2.6: the same
//! configuration and the same scripted clients (new connections, keep-alive, denied,
//! tarpitted, 4xx and 5xx answers from the server, gpc0/gpt0 actions, rate limits, TCP
//! connection limits, map lookups) through both daemons; the values they print
//! (`lf-string` with `sc_*`, `src_*`, `table_*`, `map_*`) and the statuses must be
//! equal. Loopback only.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, free_port, have, Scratch};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

fn start(prog: &str, cfg: &std::path::Path, port: u16) -> e2e::Local {
    let check = Command::new(prog)
        .args(["-c", "-f"])
        .arg(cfg)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{prog} -c refuses the configuration:\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let p = e2e::start_local(prog, cfg, port);
    // The probe connection above was counted by connection rules: let it end.
    std::thread::sleep(Duration::from_millis(100));
    p
}

/// The configuration, with `@P@` for the frontend's port, `@O@` for the origin's and
/// `@D@` for the directory of the test's files.
fn config(template: &str, port: u16, origin: u16, dir: &std::path::Path) -> String {
    let base = "defaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 1s\n    timeout tarpit 100ms\n";
    format!(
        "{base}{}",
        template
            .replace("@P@", &port.to_string())
            .replace("@O@", &origin.to_string())
            .replace("@D@", &dir.display().to_string())
    )
}

/// Status and body of each request, all on one connection (keep-alive).
fn exchange(port: u16, paths: &[&str]) -> Vec<String> {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return vec!["(refused)".into()];
    };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut out = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        let last = i + 1 == paths.len();
        let req = format!(
            "GET {p} HTTP/1.1\r\nHost: counters.test\r\nUser-Agent: counters/1.0\r\n{}\r\n",
            if last { "Connection: close\r\n" } else { "" }
        );
        if s.write_all(req.as_bytes()).is_err() {
            out.push("(closed)".into());
            break;
        }
        match read_response(&mut s) {
            Some(r) => out.push(r),
            None => {
                out.push("(closed)".into());
                break;
            }
        }
    }
    out
}

/// One response: `STATUS BODY` (bodies sized by Content-Length, none else).
fn read_response(s: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(1) => head.push(b[0]),
            _ => return None,
        }
    }
    let text = String::from_utf8_lossy(&head).to_string();
    let status = text.split_whitespace().nth(1).unwrap_or("?").to_string();
    let len = text
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).ok()?;
    Some(format!(
        "{status} {}",
        String::from_utf8_lossy(&body).trim_end()
    ))
}

/// Whether a TCP connection is served (the origin's answer comes back) or closed.
fn tcp_served(port: u16) -> String {
    let mut s = match TcpStream::connect(("127.0.0.1", port)) {
        Ok(s) => s,
        // Accepted and reset at once (HAProxy's `tcp-request connection reject` sends a
        // reset, which can reach the client before its connect() returns): closed.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return "closed".into(),
        Err(_) => return "refused".into(),
    };
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.write_all(b"GET / HTTP/1.0\r\n\r\n");
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    // The status only: proxyd's own answers keep an HTTP/1.0 client's version.
    if out.starts_with(b"HTTP/1.") && out.len() >= 12 {
        format!("served {}", String::from_utf8_lossy(&out[9..12]))
    } else {
        "closed".into()
    }
}

/// A script step: the paths of one connection, or a plain TCP connection.
enum Step<'a> {
    Http(&'a [&'a str]),
    Tcp,
}

fn run(name: &str, template: &str, steps: &[Step<'_>]) -> Vec<String> {
    run_with(name, template, &[], steps)
}

fn run_with(name: &str, template: &str, files: &[(&str, &str)], steps: &[Step<'_>]) -> Vec<String> {
    assert!(
        have("haproxy"),
        "haproxy is not installed (the README test command installs it)"
    );
    let dir = Scratch::new(&format!("counters-{name}"));
    let (hp, ho, pp, po) = (free_port(), free_port(), free_port(), free_port());
    let (hc, pc) = (dir.join("haproxy.cfg"), dir.join("proxyd.cfg"));
    for (f, text) in files {
        std::fs::write(dir.join(f), text).unwrap();
    }
    std::fs::write(&hc, config(template, hp, ho, &dir)).unwrap();
    std::fs::write(&pc, config(template, pp, po, &dir)).unwrap();
    let _h = start("haproxy", &hc, hp);
    let _p = start(binary("proxyd").to_str().unwrap(), &pc, pp);
    let mut differ = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let (a, b) = match step {
            Step::Http(paths) => (exchange(hp, paths), exchange(pp, paths)),
            Step::Tcp => (vec![tcp_served(hp)], vec![tcp_served(pp)]),
        };
        if a != b {
            differ.push(format!(
                "{name} step {i}:\n  haproxy {a:?}\n  proxyd  {b:?}"
            ));
        }
        // The connections just closed leave the counts of current connections
        // (`sc_conn_cur`) on both sides before the next step reads them.
        std::thread::sleep(Duration::from_millis(50));
    }
    differ
}

const ORIGIN: &str = "frontend origin
    bind 127.0.0.1:@O@
    http-request return status 404 if { path /404 }
    http-request return status 500 if { path /500 }
    http-request return status 501 if { path /501 }
    http-request return status 200 content-type text/plain string ok
";

#[test]
fn counters_count_as_haproxys() {
    let shown = "req=%[sc_http_req_cnt(0)] err=%[sc_http_err_cnt(0)] fail=%[sc_http_fail_cnt(0)] conn=%[sc_conn_cnt(0)] cur=%[sc_conn_cur(0)] sess=%[sc_sess_cnt(0)] rate=%[sc0_http_req_rate] errr=%[sc0_http_err_rate] gpc0=%[sc0_get_gpc0] gr=%[sc0_gpc0_rate] gpc1=%[sc1_get_gpc1] trk=%[sc_trackers(0)] src=%[src_http_req_cnt] cr=%[sc0_conn_rate] gpt=%[sc1_get_gpt0] t1=%[sc1_tracked] t2=%[sc2_tracked] c2=%[sc2_conn_cur] cnt=%[table_cnt] avl=%[table_avl] in=%[src,in_table(fe)] tr=%[src,table_http_req_cnt(fe)] other=%[sc0_http_req_cnt(other)] o2=%[src,table_conn_cnt(other)] nt=%[str(10.9.9.9),in_table(fe)] sr=%[src_sess_rate]";
    let template = format!(
        "{ORIGIN}frontend fe
    bind 127.0.0.1:@P@
    stick-table type ip size 1k expire 30s store http_req_cnt,http_err_cnt,http_fail_cnt,conn_cnt,conn_cur,sess_cnt,sess_rate(10s),gpc0,gpc0_rate(10s),gpc1,http_req_rate(10s),http_err_rate(10s),conn_rate(10s),gpt0
    tcp-request connection track-sc1 src
    http-request track-sc0 src
    http-request track-sc2 src table other if {{ path /other }}
    http-request sc-inc-gpc0(0) if {{ path /inc }}
    http-request sc-inc-gpc1(1) if {{ path /inc1 }}
    http-request sc-set-gpt0(1) 42 if {{ path /gpt }}
    http-request deny if {{ path /deny }}
    http-request deny deny_status 500 if {{ path /d500 }}
    http-request tarpit if {{ path /tarpit }}
    http-request return status 404 if {{ path /r404 }}
    http-request return status 200 content-type text/plain lf-string \"{shown}\" if {{ path /show }}
    default_backend be
backend be
    server s1 127.0.0.1:@O@
backend other
    stick-table type ip size 10 store http_req_cnt,conn_cnt
"
    );
    let steps = [
        Step::Http(&["/show"]),
        Step::Http(&["/show"]),
        Step::Http(&["/404"]),
        Step::Http(&["/show"]),
        Step::Http(&["/500"]),
        Step::Http(&["/501"]),
        Step::Http(&["/show"]),
        Step::Http(&["/deny"]),
        Step::Http(&["/d500"]),
        Step::Http(&["/tarpit"]),
        Step::Http(&["/r404"]),
        Step::Http(&["/show"]),
        Step::Http(&["/inc", "/inc", "/inc1", "/gpt", "/show"]),
        Step::Http(&["/show", "/404", "/show", "/other", "/show"]),
        Step::Http(&["/show"]),
    ];
    let differ = run("counts", &template, &steps);
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn rate_limits_and_flags_decide_as_haproxys() {
    let template = format!(
        "{ORIGIN}frontend fe
    bind 127.0.0.1:@P@
    stick-table type ip size 100k expire 30s store http_req_rate(10s),gpc0
    http-request track-sc0 src
    http-request sc-inc-gpc0(0) if {{ path /bad }}
    http-request deny deny_status 403 if {{ sc0_get_gpc0 gt 1 }}
    http-request deny deny_status 429 if {{ sc_http_req_rate(0) gt 6 }}
    default_backend be
backend be
    server s1 127.0.0.1:@O@
"
    );
    let steps = [
        Step::Http(&["/", "/", "/"]),
        Step::Http(&["/bad", "/"]),
        Step::Http(&["/", "/"]),
        Step::Http(&["/bad", "/", "/"]),
        Step::Http(&["/"]),
    ];
    let differ = run("limits", &template, &steps);
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn tcp_connection_limits_decide_as_haproxys() {
    let template = format!(
        "{ORIGIN}frontend fe
    mode tcp
    bind 127.0.0.1:@P@
    stick-table type ip size 1k expire 30s store conn_cnt,conn_cur,sess_cnt
    tcp-request connection track-sc0 src
    tcp-request connection reject if {{ sc0_conn_cnt gt 4 }}
    tcp-request content reject if {{ sc0_sess_cnt gt 3 }}
    default_backend be
backend be
    mode tcp
    server s1 127.0.0.1:@O@
"
    );
    let steps = [
        Step::Tcp,
        Step::Tcp,
        Step::Tcp,
        Step::Tcp,
        Step::Tcp,
        Step::Tcp,
    ];
    let differ = run("tcp", &template, &steps);
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn maps_match_as_haproxys() {
    let files = [
        (
            "paths.map",
            "# path prefixes\n/api  API \n/api/v2 V2\n/ ROOT\n/api DUP\n/img/ IMG\n",
        ),
        (
            "hosts.map",
            "example.com EX\nwww.example.com WWW\nfoo.example.com FOO\n",
        ),
        (
            "nets.map",
            "10.0.0.0/8 ten\n127.0.0.0/8 loop\n127.0.0.1/32 one\n",
        ),
        ("ints.map", "1:10 low\n11:100 mid\n101: high\n"),
        ("regs.map", "^/img/.*\\.png$ PNG\n^/img/ OTHER\n"),
        ("nums.map", "/api 1\n/x 2\n"),
        ("pats.lst", "# comment\n/deny1\n  /deny2\n/deny3  \n\n"),
        // map_end reads a file of its own: HAProxy 2.6 may answer it from map_sub's
        // cache when both read one file (docs/haproxy-behaviour.md).
        (
            "ends.map",
            "/api  API \n/api/v2 V2\n/ ROOT\n/api DUP\n/img/ IMG\nx X\n",
        ),
    ];
    let shown = "str=%[path,map(@D@/paths.map,none)] beg=%[path,map_beg(@D@/paths.map)] sub=%[path,map_sub(@D@/paths.map,-)] end=%[path,map_end(@D@/ends.map,-)] dir=%[path,map_dir(@D@/paths.map,-)] dom=%[req.hdr(host),map_dom(@D@/hosts.map,-)] ip=%[src,map_ip(@D@/nets.map)] int=%[url_param(n),map_int(@D@/ints.map,nope)] reg=%[path,map_reg(@D@/regs.map,-)] si=%[path,map_str_int(@D@/nums.map,7)]";
    let template = format!(
        "{ORIGIN}frontend fe
    bind 127.0.0.1:@P@
    http-request set-header X-Api %[path,map_beg(@D@/paths.map)]
    http-request deny deny_status 403 if {{ path,map_beg(@D@/paths.map) -m str IMG }}
    http-request deny deny_status 429 if {{ path -f @D@/pats.lst }}
    http-request deny deny_status 405 if {{ path -M -f @D@/nums.map }}
    http-request return status 200 content-type text/plain lf-string \"{shown} h=%[req.hdr(x-api)]\" if {{ path_beg /api /img /x / }}
    default_backend be
backend be
    server s1 127.0.0.1:@O@
"
    );
    let steps = [
        Step::Http(&[
            "/api",
            "/api/v2/x?n=5",
            "/apix?n=50",
            "/x?n=500",
            "/img/a.png",
            "/api/img?n=x",
        ]),
        Step::Http(&["/api/v2?n=-1", "/"]),
        Step::Http(&["/deny1", "/deny2", "/deny3", "/x", "/api"]),
    ];
    let differ = run_with("maps", &template, &files, &steps);
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    // A map whose values are not of the output type is refused by both, naming the line.
    let dir = Scratch::new("counters-badmap");
    std::fs::write(dir.join("words.map"), "/a 1\n/b low\n").unwrap();
    let cfg = dir.join("bad.cfg");
    std::fs::write(
        &cfg,
        config(
            "frontend fe\n    bind 127.0.0.1:@P@\n    http-request set-var(txn.n) path,map_str_int(@D@/words.map)\n",
            free_port(),
            0,
            &dir,
        ),
    )
    .unwrap();
    for prog in ["haproxy", binary("proxyd").to_str().unwrap()] {
        let out = Command::new(prog)
            .args(["-c", "-f"])
            .arg(&cfg)
            .output()
            .unwrap();
        assert!(
            !out.status.success(),
            "{prog} -c accepts a map of words read as integers"
        );
        if prog != "haproxy" {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("line 2") && err.contains("bad.cfg:9"), "{err}");
        }
    }
}
