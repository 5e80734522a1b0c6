//! The runtime API against HAProxy 2.6's: the same configuration under both, the same
//! commands over their `stats socket`s, the replies compared (the same text where the
//! state is the same; the same keys, columns and row identities where values come from
//! traffic or time). Levels are enforced alike; commands change what the report shows
//! and where requests go. And hatop, the terminal monitor, runs against proxyd's socket
//! and drains a server.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// End-to-end tests measure real time.
#![allow(clippy::disallowed_methods)]

use e2e::{binary, free_port, have, in_ci, wait_for, Scratch};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;

/// One side: a daemon on the shared configuration, with its own ports and sockets.
struct Side {
    child: std::process::Child,
    admin: PathBuf,
    user: PathBuf,
    fe: u16,
    _dir: Scratch,
}

impl Drop for Side {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(dir: &Path, fe: u16, s: &[u16]) -> String {
    let (s1, s2, s3) = (s[0], s[1], s[2]);
    format!(
        "global
    stats socket {d}/admin.sock mode 600 level admin
    stats socket {d}/user.sock level user
    stats timeout 30s
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:{fe}
    default_backend be
backend be
    balance roundrobin
    server s1 127.0.0.1:{s1} weight 10
    server s2 127.0.0.1:{s2} weight 50
    server s3 127.0.0.1:{s3} backup
backend other
    id 10
    balance leastconn
    server o1 127.0.0.1:{s1}
",
        d = dir.display()
    )
}

fn start(prog: &Path, servers: &[u16]) -> Side {
    start_with(prog, |dir, fe| config(dir, fe, servers))
}

/// Start `prog` on the configuration `cfg(dir, frontend port)` makes.
fn start_with(prog: &Path, cfg: impl Fn(&Path, u16) -> String) -> Side {
    let dir = Scratch::new("api");
    let fe = free_port();
    let text = cfg(&dir, fe);
    let cfg = dir.join("haproxy.cfg");
    std::fs::write(&cfg, text).unwrap();
    let log = std::fs::File::create(dir.join("log")).unwrap();
    let child = std::process::Command::new(prog)
        .args(["-db", "-f"])
        .arg(&cfg)
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let admin = dir.join("admin.sock");
    assert!(
        wait_for(5.0, || UnixStream::connect(&admin).is_ok()).is_some(),
        "{} has no stats socket: {}",
        prog.display(),
        std::fs::read_to_string(dir.join("log")).unwrap_or_default()
    );
    Side {
        child,
        user: dir.join("user.sock"),
        admin,
        fe,
        _dir: dir,
    }
}

/// Send `input` as one connection, read everything until the daemon closes.
fn exchange(sock: &Path, input: &str) -> String {
    let mut s = UnixStream::connect(sock).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    s.write_all(input.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn cmd(sock: &Path, c: &str) -> String {
    exchange(sock, &format!("{c}\n"))
}

/// The same commands to both sockets (`user`: the user-level ones): the same replies.
fn both(p: &Side, h: &Side, user: bool, cmds: &[&str]) {
    for c in cmds {
        let (ps, hs) = if user {
            (&p.user, &h.user)
        } else {
            (&p.admin, &h.admin)
        };
        assert_eq!(cmd(ps, c), cmd(hs, c), "`{c}`");
    }
}

/// The sections every configuration here starts with: the two runtime API sockets
/// (admin and user) in `dir`, HTTP defaults; `global` and `defaults` lines added.
fn head(dir: &Path, global: &str, defaults: &str) -> String {
    let d = dir.display();
    format!(
        "global
    stats socket {d}/admin.sock mode 600 level admin
    stats socket {d}/user.sock level user
{global}defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
{defaults}"
    )
}

/// Without HAProxy the comparisons cannot run: a failure in CI, a loud skip elsewhere.
fn no_haproxy() -> bool {
    if have("haproxy") {
        return false;
    }
    assert!(!in_ci(), "haproxy is missing (tests/run.sh installs it)");
    eprintln!("SKIPPED: no haproxy");
    true
}

/// Stops a responder when dropped.
struct Responder(Arc<AtomicBool>);

impl Drop for Responder {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// An HTTP server naming itself `name` (`X-Server`) on a port of its own.
fn responder(name: &str) -> (u16, Responder) {
    let stop = Arc::new(AtomicBool::new(false));
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (s, conns, name) = (
        stop.clone(),
        Arc::new(AtomicUsize::new(0)),
        name.to_string(),
    );
    std::thread::spawn(move || e2e::http_responder(l, name, s, conns));
    (port, Responder(stop))
}

/// A GET on its own connection: the whole answer.
fn get(fe: u16, path: &str, host: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", fe)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// A request sent from a thread (it may wait: a paused or full frontend); its answer.
fn waiting_request(fe: u16) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", fe)).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        write!(s, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out
    })
}

/// The CSV's rows by (pxname, svname), each a map of column to value.
fn csv(text: &str) -> (Vec<String>, Vec<std::collections::BTreeMap<String, String>>) {
    let mut lines = text.lines();
    let head: Vec<String> = lines
        .next()
        .unwrap_or("")
        .trim_start_matches("# ")
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            head.iter()
                .cloned()
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect();
    (head, rows)
}

/// `show servers state` without the column time moves (seconds since the last change)
/// and the check's health counter: HAProxy starts a server at `rise` (one failed check
/// takes it down) and zeroes it in maintenance, proxyd starts at rise+fall-1 (`fall`
/// failures take it down) and keeps it (docs/haproxy-behaviour.md).
fn servers_state(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(2)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut w: Vec<String> = l.split(' ').map(str::to_string).collect();
            if w.len() > 12 {
                w[9] = "T".into();
                w[12] = "H".into();
            }
            w
        })
        .collect()
}

#[test]
fn runtime_api_answers_as_haproxy_does() {
    if no_haproxy() {
        return;
    }
    // The servers both sides balance over.
    let stop = Arc::new(AtomicBool::new(false));
    let mut ports = Vec::new();
    for name in ["s1", "s2", "s3"] {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        ports.push(l.local_addr().unwrap().port());
        let (stop, conns) = (stop.clone(), Arc::new(AtomicUsize::new(0)));
        let name = name.to_string();
        std::thread::spawn(move || e2e::http_responder(l, name, stop, conns));
    }
    let h = start(Path::new("haproxy"), &ports);
    let p = start(&binary("proxyd"), &ports);

    // Replies that must be the same text.
    let same = [
        "show backend",
        "get weight be/s2",
        "set weight be/s2 20",
        "get weight be/s2",
        "set weight be/s2 50%",
        "get weight be/s2",
        "set weight be/s2 300",
        "set weight be/s2 abc",
        "set weight be/s2",
        "get weight nope/s1",
        "get weight be/nope",
        "get weight be",
        "disable server be/nope",
        "set server be/s2",
        "set server be/s2 state",
        "set server be/s2 state bogus",
        "set server be/s2 weight 30",
        "get weight be/s2",
        "set server be/s2 addr 127.0.0.2",
        "set server be/s2 addr 127.0.0.1 port 1",
        &format!("set server be/s2 addr 127.0.0.1 port {}", ports[1]),
        "set server be/s2 agent up",
        "set maxconn server be/s2 10",
        "set maxconn frontend nope 1",
        "set server be/s2 check-port",
        "set server be/s2 check-port x",
        "set server be/s2 check-port 12x",
        "set server be/s2 check-port 70000",
        "set server be/s2 check-port -1",
        "set server be/s2 check-port 8080",
        "show servers state nope",
        "show cli level",
        "enable health be/s2",
        "disable health be/s2",
        "shutdown sessions server be/s1",
        "clear counters",
    ];
    both(&p, &h, false, &same);
    // Several commands on a line, and a session that lowers its own level.
    let line =
        "show cli level; operator; show cli level; user; show cli level; disable server be/s1\n";
    assert_eq!(exchange(&p.admin, line), exchange(&h.admin, line));
    // Interactive mode: a prompt after each reply, until `quit`.
    let talk = "prompt\nshow cli level\nget weight be/nope\nset weight be/s2 50\nquit\n";
    assert_eq!(exchange(&p.admin, talk), exchange(&h.admin, talk));

    // Levels: a user-level socket reads and may not change anything.
    both(
        &p,
        &h,
        true,
        &[
            "disable server be/s1",
            "set weight be/s1 3",
            "set server be/s1 state maint",
            "show env",
            "clear counters",
            "clear counters all",
            "get weight be/s1",
            "show cli level",
        ],
    );

    // Request errors (`ereq`): a connection closed before any request, a request that is
    // not HTTP, two Host headers that differ.
    for side in [&p, &h] {
        use std::io::{Read, Write};
        drop(std::net::TcpStream::connect(("127.0.0.1", side.fe)).unwrap());
        for bad in [
            "GARBAGE\r\n\r\n",
            "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        ] {
            let mut s = std::net::TcpStream::connect(("127.0.0.1", side.fe)).unwrap();
            s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                .unwrap();
            s.write_all(bad.as_bytes()).unwrap();
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            assert!(out.starts_with("HTTP/1.1 400"), "{bad:?}: {out}");
        }
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let ereq = |side: &Side| -> Vec<(String, String)> {
        csv(&cmd(&side.admin, "show stat"))
            .1
            .iter()
            .map(|r| {
                (
                    format!("{}/{}", r["pxname"], r["svname"]),
                    r["ereq"].clone(),
                )
            })
            .collect()
    };
    let pe = ereq(&p);
    assert_eq!(pe, ereq(&h), "ereq");
    assert!(
        pe.iter()
            .any(|(_, v)| v.parse::<u32>().is_ok_and(|n| n >= 3)),
        "{pe:?}"
    );

    // The state both sides hold now, as the API reports it.
    both(
        &p,
        &h,
        false,
        &["disable server be/s1", "set server be/s2 state drain"],
    );
    assert_eq!(
        servers_state(&cmd(&p.admin, "show servers state")),
        servers_state(&cmd(&h.admin, "show servers state"))
    );
    let (ph, prows) = csv(&cmd(&p.admin, "show stat"));
    let (hh, hrows) = csv(&cmd(&h.admin, "show stat"));
    assert_eq!(ph, hh, "show stat's columns");
    assert_eq!(prows.len(), hrows.len());
    for (pr, hr) in prows.iter().zip(&hrows) {
        for col in [
            "pxname", "svname", "status", "weight", "act", "bck", "iid", "sid", "type", "pid",
            "mode", "algo", "addr", "uweight", "slim",
        ] {
            // Proxies' session limits: HAProxy derives its default maxconn from the
            // descriptor limit, proxyd takes 4096 (HAProxy's built-in figure), and a
            // backend's comes from fullconn, which proxyd does not use. Servers' compare.
            if col == "slim" && matches!(hr["svname"].as_str(), "BACKEND" | "FRONTEND") {
                continue;
            }
            assert_eq!(pr[col], hr[col], "{}/{} {col}", hr["pxname"], hr["svname"]);
        }
    }
    // The report's filter: a proxy by id (`other` has `id 10`), then servers only.
    for q in [
        "show stat 10 -1 -1",
        "show stat -1 4 -1",
        "show stat 3 2 -1",
    ] {
        let (_, pr) = csv(&cmd(&p.admin, q));
        let (_, hr) = csv(&cmd(&h.admin, q));
        let names = |rows: &[std::collections::BTreeMap<String, String>]| {
            rows.iter()
                .map(|r| format!("{}/{}", r["pxname"], r["svname"]))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&pr), names(&hr), "`{q}`");
    }
    // The typed forms: every field proxyd gives, HAProxy gives for the same object
    // with the same position, name, tags and type; names, states and ids have the
    // same values; the JSON form holds the same fields.
    type Typed = std::collections::BTreeMap<(String, String), String>;
    let typed = |t: &str| -> Typed {
        t.lines()
            .filter(|l| !l.is_empty())
            .map(|l| {
                // HEAD:TAGS:TYPE:VALUE, the value may hold ':' itself.
                let mut it = l.splitn(4, ':');
                let mut next = || it.next().unwrap_or("").to_string();
                let (head, tags, vtype, value) = (next(), next(), next(), next());
                ((head, format!("{tags}:{vtype}")), value)
            })
            .collect()
    };
    for q in ["show stat typed", "show info typed"] {
        let pt = typed(&cmd(&p.admin, q));
        let ht = typed(&cmd(&h.admin, q));
        assert!(pt.len() > 20, "`{q}`: {pt:?}");
        let extra: Vec<_> = pt.keys().filter(|k| !ht.contains_key(*k)).collect();
        assert!(extra.is_empty(), "`{q}`: HAProxy has no {extra:?}");
        for ((head, meta), v) in &pt {
            let k = (head.clone(), meta.clone());
            let field = head.split('.').nth_back(1).unwrap_or("");
            if [
                "pxname", "svname", "status", "iid", "sid", "weight", "mode", "algo", "Name",
            ]
            .contains(&field)
                && !(field == "Name" && q.contains("info"))
            {
                assert_eq!(v, &ht[&k], "`{q}` {head}");
            }
        }
    }
    let json: serde_json::Value = serde_json::from_str(&cmd(&p.admin, "show stat json")).unwrap();
    let from_json: usize = json
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_array().unwrap().len())
        .sum();
    assert_eq!(from_json, typed(&cmd(&p.admin, "show stat typed")).len());
    let info_json: serde_json::Value =
        serde_json::from_str(&cmd(&p.admin, "show info json")).unwrap();
    assert_eq!(info_json[0]["value"]["value"], "proxyd");
    assert_eq!(info_json[0]["tags"]["origin"], "Product");

    // show info: proxyd's keys are HAProxy's, and those monitoring reads are there.
    let keys = |t: &str| -> Vec<String> {
        t.lines()
            .filter_map(|l| l.split_once(": ").map(|(k, _)| k.to_string()))
            .collect()
    };
    let (pk, hk) = (
        keys(&cmd(&p.admin, "show info")),
        keys(&cmd(&h.admin, "show info")),
    );
    for k in &pk {
        assert!(hk.contains(k), "show info: HAProxy has no `{k}`");
    }
    for k in [
        "Name",
        "Version",
        "Pid",
        "Uptime",
        "Uptime_sec",
        "Maxconn",
        "CurrConns",
        "CumConns",
        "Tasks",
        "Run_queue",
        "node",
        "Nbproc",
        "Process_num",
    ] {
        assert!(pk.iter().any(|x| x == k), "show info lacks {k}");
    }

    // Where requests go: s1 in maintenance, s2 drained: the backup takes them (s3); s2
    // ready again takes them all.
    let served = |fe: u16| -> Vec<String> {
        (0..4)
            .map(|_| {
                let mut s = std::net::TcpStream::connect(("127.0.0.1", fe)).unwrap();
                s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                    .unwrap();
                write!(s, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
                let mut out = String::new();
                let _ = s.read_to_string(&mut out);
                // Both write header names in lower case.
                out.lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("x-server: ")
                            .map(|v| v.trim().to_string())
                    })
                    .unwrap_or_else(|| "none".to_string())
            })
            .collect()
    };
    let first = served(p.fe);
    assert_eq!(first, served(h.fe));
    assert_eq!(first, vec!["s3"; 4]);
    both(
        &p,
        &h,
        false,
        &["set server be/s2 state ready", "set weight be/s2 0"],
    );
    // s2 at weight 0 takes nothing: the backup still serves.
    let second = served(p.fe);
    assert_eq!(second, served(h.fe));
    assert_eq!(second, vec!["s3"; 4]);
    assert_eq!(cmd(&p.admin, "enable server be/s1"), "\n");
    assert_eq!(served(p.fe), vec!["s1"; 4]);

    // Limits changed at run time: the same replies and report; a client over the
    // frontend's new limit waits until it is raised again.
    both(
        &p,
        &h,
        false,
        &[
            "set maxconn frontend fe 12abc",
            "set maxconn frontend fe -1",
            "set maxconn frontend fe",
            "set maxconn frontend",
            "set maxconn frontend #2 1",
            "set maxconn global 99999999",
            "set maxconn global 12x",
            "set maxconn global",
        ],
    );
    let limits = |side: &Side| -> (String, Option<String>) {
        let (_, rows) = csv(&cmd(&side.admin, "show stat -1 1 -1"));
        let slim = rows.first().map(|r| r["slim"].clone()).unwrap_or_default();
        let info = cmd(&side.admin, "show info");
        let max = info
            .lines()
            .find_map(|l| l.strip_prefix("Maxconn: ").map(str::to_string));
        (slim, max)
    };
    assert_eq!(limits(&p), ("1".to_string(), Some("12".to_string())));
    assert_eq!(limits(&p), limits(&h));
    // proxyd only: HAProxy 2.6.12 deadlocks here (its watchdog kills it in
    // dequeue_proxy_listeners when `set maxconn frontend` raises the limit of a frontend
    // whose listener waits for a slot).
    {
        let side = &p;
        let ask = |s: &mut std::net::TcpStream| {
            write!(s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        };
        // One keep-alive client holds the only slot...
        let mut held = std::net::TcpStream::connect(("127.0.0.1", side.fe)).unwrap();
        held.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        ask(&mut held);
        let mut buf = [0u8; 512];
        assert!(held.read(&mut buf).unwrap() > 0);
        // ...so the next one waits, until the limit is raised.
        let waiting = waiting_request(side.fe);
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert!(!waiting.is_finished(), "served over the frontend's maxconn");
        assert_eq!(cmd(&side.admin, "set maxconn frontend fe 2"), "\n");
        assert!(waiting.join().unwrap().starts_with("HTTP/1.1 200"));
        drop(held);
    }
    both(
        &p,
        &h,
        false,
        &["set maxconn frontend fe 1000", "set maxconn global 0"],
    );
    assert_eq!(limits(&p).0, "1000");
    // Back to the limit it started with.
    let info = cmd(&p.admin, "show info");
    let value = |k: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(k))
            .map(str::to_string)
    };
    assert_eq!(value("Maxconn: "), value("Hard_maxconn: "));

    // A frontend paused, then open again: a client that connects meanwhile waits in the
    // backlog and is served once it opens; shut down, it is gone for good.
    let status = |side: &Side| -> String {
        let (_, rows) = csv(&cmd(&side.admin, "show stat -1 1 -1"));
        rows.first()
            .map(|r| r["status"].clone())
            .unwrap_or_default()
    };
    both(
        &p,
        &h,
        false,
        &[
            "disable frontend fe",
            "disable frontend fe",
            "disable frontend nope",
        ],
    );
    assert_eq!(status(&p), "PAUSED");
    assert_eq!(status(&p), status(&h));
    let waiting = waiting_request(p.fe);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!waiting.is_finished(), "a paused frontend answered");
    both(&p, &h, false, &["enable frontend fe", "enable frontend fe"]);
    assert!(waiting.join().unwrap().starts_with("HTTP/1.1 200"));
    both(
        &p,
        &h,
        false,
        &[
            "shutdown frontend fe",
            "enable frontend fe",
            "disable frontend fe",
        ],
    );
    assert_eq!(status(&p), "STOP");
    assert_eq!(status(&p), status(&h));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// `set server B/S check-port`: checks move to the new port at once, under both; the
/// server's state and `show servers state`'s check port follow.
#[test]
fn check_port_moves_checks_as_haproxys() {
    if no_haproxy() {
        return;
    }
    let (live, _responder) = responder("s");
    // Nothing listens here.
    let dead = free_port();
    let cfg = |dir: &Path, fe: u16| {
        format!(
            "{head}frontend fe
    bind 127.0.0.1:{fe}
    default_backend be
backend be
    server s 127.0.0.1:{live} check port {dead} inter 100 rise 1 fall 1
",
            head = head(dir, "", "")
        )
    };
    let h = start_with(Path::new("haproxy"), cfg);
    let p = start_with(&binary("proxyd"), cfg);
    // (operational state, check port) of the server.
    let state = |side: &Side| -> (String, String) {
        let rows = servers_state(&cmd(&side.admin, "show servers state be"));
        let r = rows.first().cloned().unwrap_or_default();
        (
            r.get(5).cloned().unwrap_or_default(),
            r.get(21).cloned().unwrap_or_default(),
        )
    };
    let reaches = |side: &Side, want: (&str, u16)| {
        let want = (want.0.to_string(), want.1.to_string());
        wait_for(5.0, || state(side) == want).is_some()
    };
    for side in [&p, &h] {
        assert!(reaches(side, ("0", dead)), "{:?}", state(side));
    }
    both(
        &p,
        &h,
        false,
        &[&format!("set server be/s check-port {live}")],
    );
    for side in [&p, &h] {
        assert!(reaches(side, ("2", live)), "{:?}", state(side));
    }
    both(
        &p,
        &h,
        false,
        &[&format!("set server be/s check-port {dead}")],
    );
    for side in [&p, &h] {
        assert!(reaches(side, ("0", dead)), "{:?}", state(side));
    }
}

/// Stick tables through the runtime API: `show table` (all, one, filtered, by key),
/// `set table` and `clear table`, with their errors and the levels' limits: the same
/// replies as HAProxy's once entry addresses and expiry times are masked.
#[test]
fn tables_as_haproxys() {
    if no_haproxy() {
        return;
    }
    let (srv, _responder) = responder("s");
    let cfg = |dir: &Path, fe: u16| {
        format!(
            "{head}frontend f
    bind 127.0.0.1:{fe}
    stick-table type ip size 100k expire 30s store http_req_rate(10s),conn_cnt,gpc0,gpt0,gpc1,conn_cur
    http-request track-sc0 src
    http-request return status 200 content-type text/plain lf-string \"gpc0=%[sc_get_gpc0(0)]\" if {{ path /gpc0 }}
    default_backend b
backend b
    stick-table type string len 32 size 10 expire 1m store server_id
    stick on req.hdr(host)
    server s 127.0.0.1:{srv}
backend i
    stick-table type integer size 10 store gpc0
backend v6
    stick-table type ipv6 size 10 store gpc0
backend bin
    stick-table type binary len 4 size 10 store gpc0
backend n
    stick-table type ip size 10
",
            head = head(dir, "", "")
        )
    };
    let h = start_with(Path::new("haproxy"), cfg);
    let p = start_with(&binary("proxyd"), cfg);
    for side in [&p, &h] {
        let out = get(side.fe, "/", "a.example");
        assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    }
    // The sessions end (their counters let go of the entries).
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Entry addresses and times to expiry differ by nature.
    let mask = |t: String| -> String {
        t.lines()
            .map(|l| {
                let l = match l.split_once(": key=") {
                    Some((_, rest)) => format!("ADDR: key={rest}"),
                    None => l.to_string(),
                };
                l.split(' ')
                    .map(|w| {
                        if w.starts_with("exp=") && w != "exp=0" {
                            "exp=E"
                        } else {
                            w
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let same = |sock: fn(&Side) -> &PathBuf, cmds: &[&str]| {
        for c in cmds {
            assert_eq!(mask(cmd(sock(&p), c)), mask(cmd(sock(&h), c)), "`{c}`");
        }
    };
    let admin: fn(&Side) -> &PathBuf = |s| &s.admin;
    let user: fn(&Side) -> &PathBuf = |s| &s.user;
    same(
        admin,
        &[
            "show table",
            "show table f",
            "show table b",
            "show table f data.gpc0 eq 0",
            "show table f data.conn_cnt gt 5",
            "show table f data.conn_cnt eq 1 data.http_req_rate ge 1",
            "show table f key 127.0.0.1",
            "show table f key 1.2.3.4",
            "show table f key x",
            "show table nope",
            "show table f data.nope eq 1",
            "show table f data.gpc0 xx 0",
            "show table f data.gpc0",
            "show table f data.gpc0 eq x",
            "show table b data.gpc0 eq 1",
            "show table f key",
            "show table f foo",
            "show table f data.gpc0 eq 0 data.gpc0 eq 0 data.gpc0 eq 0 data.gpc0 eq 0 data.gpc0 eq 0",
            "set table f key 127.0.0.2 data.gpt0 7",
            "set table f key 127.0.0.1 data.gpc0 5",
            "set table f key 2.2.2.2 data.conn_cur 4 data.gpc1 9",
            "set table f key 2.2.2.2 data.nope 4",
            "set table f key 3.3.3.3 data.gpc0 -2",
            "set table f key 3.3.3.4 data.gpc0 5x",
            "set table f key",
            "set table f key 1.1.1.1 foo",
            "set table nope key 1",
            "set table",
            "show table f",
            "set table i key 42 data.gpc0 3",
            "set table i key x data.gpc0 3",
            "set table v6 key ::1 data.gpc0 3",
            "set table v6 key 1.2.3.4 data.gpc0 3",
            "set table bin key 0a0b data.gpc0 1",
            "set table n key 1.1.1.1",
            "set table b key zz data.server_id 1",
            "show table i",
            "show table v6",
            "show table bin",
            "show table n",
            "show table b",
            "show table",
            "clear table f key 127.0.0.2",
            "clear table f data.gpc0 eq 5",
            "show table f",
            "clear table",
            "clear table nope",
            "clear table f data.gpc0",
        ],
    );
    // Requests read what was set.
    for side in [&p, &h] {
        assert_eq!(
            cmd(&side.admin, "set table f key 127.0.0.1 data.gpc0 42"),
            "\n"
        );
        let out = get(side.fe, "/gpc0", "x");
        assert!(out.ends_with("\r\n\r\ngpc0=42"), "{out}");
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    same(
        user,
        &[
            "show table",
            "show table f",
            "set table f key 9.9.9.9 data.gpc0 1",
            "clear table f",
        ],
    );
    same(admin, &["show table f", "clear table f", "show table f"]);
}

/// `stats admin`: the page's form posts (HAProxy's field names, `b` by name or `#ID`)
/// change servers under both alike, with the same outcome in the redirection; a page
/// without `stats admin` changes nothing (`DENY`).
#[test]
fn stats_admin_page_changes_servers_as_haproxys() {
    if no_haproxy() {
        return;
    }
    // Nothing listens on these: s3's checks fail.
    let (a, b, c) = (free_port(), free_port(), free_port());
    let cfg = |dir: &Path, fe: u16| {
        format!(
            "{head}frontend fe
    bind 127.0.0.1:{fe}
    stats enable
    stats uri /st
    stats admin if LOCALHOST
    use_backend ro if {{ path_beg /ro }}
    default_backend be
backend be
    server s1 127.0.0.1:{a}
    server s2 127.0.0.1:{b}
    server s3 127.0.0.1:{c} check inter 100 fall 1
backend ro
    stats enable
    stats uri /ro
",
            head = head(dir, "", "")
        )
    };
    let h = start_with(Path::new("haproxy"), cfg);
    let p = start_with(&binary("proxyd"), cfg);
    let post = |side: &Side, path: &str, body: &str| -> String {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", side.fe)).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        let status = out.split(' ').nth(1).unwrap_or("").to_string();
        let location = out
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("location")
                    .then(|| v.trim().to_string())
            })
            .unwrap_or_default();
        format!("{status} {location}")
    };
    let admin_states = |side: &Side| -> Vec<String> {
        servers_state(&cmd(&side.admin, "show servers state be"))
            .iter()
            .map(|r| format!("{} op={} admin={}", r[3], r[5], r[6]))
            .collect()
    };
    // s3's checks fail: both see it down before the comparisons start.
    for side in [&p, &h] {
        assert!(
            wait_for(5.0, || admin_states(side)
                .contains(&"s3 op=0 admin=0".to_string()))
            .is_some(),
            "{:?}",
            admin_states(side)
        );
    }
    for (path, body) in [
        ("/st", "s=s2&action=maint&b=%233"),
        ("/st", "s=s1&action=drain&b=be"),
        ("/st", "s=s2&action=ready&b=be"),
        ("/st", "s=nope&action=ready&b=be"),
        ("/st", "action=ready&b=be"),
        ("/st", "s=s1&action=&b=be"),
        ("/st", "s=s1&action=bogus&b=be"),
        ("/st", "s=s1&action=maint"),
        ("/st", "s=s1&s=nope&action=maint&b=be"),
        ("/st", "s=s1&action=shutdown&b=be"),
        ("/st", "s=s1&action=hdown&b=be"),
        ("/st", "s=s1&action=hrunn&b=be"),
        ("/st", "s=s1&action=ehlth&b=be"),
        ("/st", "s=s1&action=dhlth&b=be"),
        ("/st", "s=s1&action=adown&b=be"),
        ("/st", "s=s1&action=eagent&b=be"),
        ("/st", "s=s1&action=ready&b=be"),
        ("/ro", "s=s1&action=maint&b=be"),
    ] {
        assert_eq!(
            post(&p, path, body),
            post(&h, path, body),
            "POST {path} {body}"
        );
        assert_eq!(
            admin_states(&p),
            admin_states(&h),
            "after POST {path} {body}"
        );
    }
    // A checked server: its checks paused, then forced up, it stays up.
    for body in ["s=s3&action=dhlth&b=be", "s=s3&action=hrunn&b=be"] {
        assert_eq!(post(&p, "/st", body), post(&h, "/st", body), "POST {body}");
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(admin_states(&p), admin_states(&h));
    assert!(admin_states(&p).contains(&"s3 op=2 admin=0".to_string()));
    assert_eq!(post(&p, "/st", "s=s2&action=maint&b=be"), "303 /st;st=DONE");
    assert!(admin_states(&p).contains(&"s2 op=0 admin=1".to_string()));
    // The page shows the forms, and the outcome it was sent back with.
    let get = |path: &str| get(p.fe, path, "x");
    let page = get("/st;st=DONE");
    assert!(page.contains("name=\"s\" value=\"s2\""), "{page}");
    assert!(page.contains("<option value=\"maint\">"));
    assert!(page.contains("class=done"));
    assert!(!get("/ro").contains("checkbox"));
}

/// `server-state-file` + `load-server-state-from-file`: a state saved by `show
/// servers state` is given back at start as HAProxy gives it back (maintenance, drain,
/// weights changed at run time unless the configured weight changed, checked servers
/// that were DOWN); a backend with `none` keeps its configuration's states.
#[test]
fn server_state_file_restores_as_haproxys() {
    if no_haproxy() {
        return;
    }
    let ports: Vec<u16> = (0..5).map(|_| free_port()).collect();
    let cfg = |dir: &Path, fe: u16| {
        let d = dir.display();
        std::fs::write(
            dir.join("state"),
            format!(
                "1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 b 1 s1 127.0.0.1 2 1 5 10 100 1 0 2 0 0 0 0 - {p0} - 0 0 - - 0
3 b 2 s2 127.0.0.1 2 8 7 99 200 1 0 2 0 0 0 0 - {p1} - 0 0 - - 0
3 b 3 s3 127.0.0.1 0 0 30 30 300 6 2 0 6 0 0 0 - {p2} - 0 0 - - 0
3 b 4 s4 127.0.0.1 2 0 8 40 300 1 0 0 0 0 0 0 - {p3} - 0 0 - - 0
4 c 1 c1 127.0.0.1 2 1 1 1 300 1 0 0 0 0 0 0 - {p4} - 0 0 - - 0
",
                p0 = ports[0],
                p1 = ports[1],
                p2 = ports[2],
                p3 = ports[3],
                p4 = ports[4]
            ),
        )
        .unwrap();
        format!(
            "{head}frontend fe
    bind 127.0.0.1:{fe}
    default_backend b
backend b
    server s1 127.0.0.1:{p0} weight 10
    server s2 127.0.0.1:{p1} weight 20
    server s3 127.0.0.1:{p2} weight 30 check inter 60s
    server s4 127.0.0.1:{p3} weight 40
backend c
    load-server-state-from-file none
    server c1 127.0.0.1:{p4}
",
            p0 = ports[0],
            p1 = ports[1],
            p2 = ports[2],
            p3 = ports[3],
            p4 = ports[4],
            head = head(
                dir,
                &format!("    server-state-base {d}\n    server-state-file state\n"),
                "    load-server-state-from-file global\n"
            )
        )
    };
    let h = start_with(Path::new("haproxy"), cfg);
    let p = start_with(&binary("proxyd"), cfg);
    // (server, operational state, admin state, user weight) and the report's status.
    let states = |side: &Side| -> Vec<String> {
        let mut v: Vec<String> = servers_state(&cmd(&side.admin, "show servers state"))
            .iter()
            .map(|r| format!("{} op={} admin={} uweight={}", r[3], r[5], r[6], r[7]))
            .collect();
        let (_, rows) = csv(&cmd(&side.admin, "show stat -1 4 -1"));
        // A server in maintenance: HAProxy's report keeps the weight it had before the
        // file's (its effective weight is computed again when it leaves maintenance).
        v.extend(rows.iter().map(|r| {
            let w = if r["status"] == "MAINT" {
                "-"
            } else {
                &r["weight"]
            };
            format!("{}/{} {} {w}", r["pxname"], r["svname"], r["status"])
        }));
        v
    };
    assert_eq!(states(&p), states(&h));
    assert_eq!(
        states(&p)[..5],
        [
            "s1 op=0 admin=1 uweight=5",
            "s2 op=2 admin=8 uweight=20",
            "s3 op=0 admin=0 uweight=30",
            "s4 op=2 admin=0 uweight=8",
            "c1 op=2 admin=0 uweight=1",
        ]
    );
}

/// ACL pattern references through the runtime API: `show acl` numbers and describes
/// them as HAProxy does (shared `-f` files first, then each line's own), `get`, `add`,
/// `del` and `clear acl` give HAProxy's replies, and requests see the changes at once.
#[test]
fn acls_as_haproxys() {
    if no_haproxy() {
        return;
    }
    let files = Scratch::new("acl-files");
    let (bl, paths) = (files.join("bl.lst"), files.join("paths.lst"));
    std::fs::write(&bl, "10.0.0.1\n10.0.0.0/24\n").unwrap();
    std::fs::write(&paths, "/admin\n/private\n").unwrap();
    let cfg = |dir: &Path, fe: u16| {
        format!(
            "{head}frontend f
    bind 127.0.0.1:{fe}
    acl blocked src -f {bl}
    acl secret path_beg -f {paths}
    acl secret path_beg /hidden
    acl api hdr(host) -i api.example www.example
    http-request deny if blocked || secret
    http-request return status 200 content-type text/plain string api if api
    http-request return status 200 content-type text/plain string ok
backend b2
    acl x path_beg -f {paths}
    http-request deny if x
",
            head = head(dir, "", ""),
            bl = bl.display(),
            paths = paths.display()
        )
    };
    let h = start_with(Path::new("haproxy"), cfg);
    let p = start_with(&binary("proxyd"), cfg);
    // HAProxy lists two references of its own HTTP client after the configuration's;
    // entry addresses are its memory's.
    let mask = |t: String| -> String {
        t.lines()
            .filter(|l| !l.contains("file 'httpclient'"))
            .map(|l| match l.split_once(' ') {
                Some((a, rest)) if a.starts_with("0x") => format!("ADDR {rest}"),
                _ => l
                    .replace(&p._dir.display().to_string(), "DIR")
                    .replace(&h._dir.display().to_string(), "DIR"),
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let status = |side: &Side, path: &str, host: &str| -> String {
        get(side.fe, path, host)
            .split(' ')
            .nth(1)
            .unwrap_or("")
            .to_string()
    };
    let mut seen = Vec::new();
    for c in [
        "show acl",
        "show acl #0",
        "show acl #1",
        &format!("show acl {}", bl.display()),
        "show acl #9",
        "show acl nope",
        "get acl #1 /admin/x",
        &format!("get acl {} 10.0.0.7", bl.display()),
        "get acl #0 10.0.0.1",
        "get acl #3 /admin/x",
        "get acl #5 API.example",
        "add acl #1 /new",
        &format!("add acl {} 1.2.3.4", bl.display()),
        &format!("add acl {} notanip", bl.display()),
        "show acl #0",
        "add acl #4 /zzz",
        "show acl #4",
        "del acl #1 /new",
        "del acl #4 /nothere",
        "add acl",
        "del acl #1",
        "clear acl",
    ] {
        let (pr, hr) = (mask(cmd(&p.admin, c)), mask(cmd(&h.admin, c)));
        assert_eq!(pr, hr, "`{c}`");
        seen.push(pr);
    }
    // The configuration's config file names differ between the two runs' directories.
    assert!(seen[0].contains("entry_cnt=2"), "{}", seen[0]);
    // Requests see the changes: /zzz denied now, under both.
    for side in [&p, &h] {
        assert_eq!(status(side, "/zzz", "x"), "403");
        assert_eq!(status(side, "/hidden", "x"), "403");
        assert_eq!(status(side, "/private", "x"), "403");
    }
    assert_eq!(cmd(&p.admin, "clear acl #2"), cmd(&h.admin, "clear acl #2"));
    assert_eq!(
        cmd(&p.admin, "del acl #4 /zzz"),
        cmd(&h.admin, "del acl #4 /zzz")
    );
    for side in [&p, &h] {
        // The file's patterns are gone from both lines using it; /zzz is free again.
        assert_eq!(status(side, "/private", "x"), "200");
        assert_eq!(status(side, "/zzz", "x"), "200");
        assert_eq!(status(side, "/", "api.example"), "200");
    }
    // The same references; HAProxy 2.6's entry counts stop following after a change
    // (an added entry is not counted, a failed delete wraps the count below zero):
    // proxyd's count the entries.
    let no_counts = |t: String| -> String {
        t.lines()
            .map(|l| l.split(" entry_cnt=").next().unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let after = mask(cmd(&p.admin, "show acl"));
    assert_eq!(
        no_counts(after.clone()),
        no_counts(mask(cmd(&h.admin, "show acl")))
    );
    assert!(
        after
            .lines()
            .nth(1)
            .is_some_and(|l| l.ends_with("entry_cnt=3")),
        "{after}"
    );
}

/// hatop (Debian's package) against proxyd's socket in a terminal (tmux): it shows the
/// backend's servers, and its command line drains one.
#[test]
fn hatop_monitors_and_drains_through_proxyd() {
    if !(have("hatop") && have("tmux")) {
        assert!(
            !in_ci(),
            "hatop and tmux are needed (tests/run.sh installs them)"
        );
        eprintln!("SKIPPED: no hatop or tmux");
        return;
    }
    let s = start(&binary("proxyd"), &[free_port(), free_port(), free_port()]);
    let name = format!("hatop{}", std::process::id());
    let tmux = |args: &[&str]| {
        std::process::Command::new("tmux")
            .args(["-L", &name])
            .args(args)
            .output()
            .unwrap()
    };
    let sock = s.admin.display().to_string();
    let out = tmux(&[
        "new-session",
        "-d",
        "-x",
        "160",
        "-y",
        "40",
        &format!("hatop -s {sock}"),
    ]);
    assert!(out.status.success(), "{out:?}");
    struct Kill<'a>(&'a dyn Fn(&[&str]) -> std::process::Output);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            (self.0)(&["kill-server"]);
        }
    }
    let _kill = Kill(&tmux);
    let screen = || String::from_utf8_lossy(&tmux(&["capture-pane", "-p"]).stdout).into_owned();
    let shown = wait_for(10.0, || {
        let s = screen();
        s.contains("s1") && s.contains("s2") && s.contains("BACKEND")
    });
    assert!(
        shown.is_some(),
        "hatop does not show the servers:\n{}",
        screen()
    );
    // Its embedded command line (mode 5): the command goes to proxyd as typed.
    tmux(&["send-keys", "5"]);
    std::thread::sleep(std::time::Duration::from_millis(500));
    tmux(&["send-keys", "-l", "set server be/s2 state drain"]);
    tmux(&["send-keys", "Enter"]);
    let drained = wait_for(5.0, || {
        cmd(&s.admin, "show servers state be")
            .lines()
            .any(|l| l.contains(" s2 ") && l.split(' ').nth(6) == Some("8"))
    });
    assert!(
        drained.is_some(),
        "s2 not drained from hatop:\n{}",
        screen()
    );
}

/// Maps changed over the socket (`add|set|del|clear map`) as HAProxy changes them: the
/// same replies (entries' references aside), and requests see the change at once.
#[test]
fn maps_change_as_haproxys() {
    if no_haproxy() {
        return;
    }
    let files = Scratch::new("maps");
    let hosts = files.join("hosts.map");
    let nets = files.join("nets.map");
    std::fs::write(&hosts, "example.com be1\nfoo.org be2\n").unwrap();
    std::fs::write(&nets, "10.0.0.0/8 internal\n").unwrap();
    let start = |prog: &Path| -> (Side, u16) {
        let dir = Scratch::new("api-maps");
        let fe = free_port();
        let cfg = dir.join("haproxy.cfg");
        std::fs::write(
            &cfg,
            format!(
                "global
    stats socket {d}/admin.sock level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:{fe}
    http-request set-header X-Net %[src,map_ip({n},ext)]
    http-request return status 200 content-type text/plain lf-string \"%[req.hdr(host),lower,map({h},none)]\"
",
                d = dir.display(),
                h = hosts.display(),
                n = nets.display()
            ),
        )
        .unwrap();
        let child = std::process::Command::new(prog)
            .args(["-db", "-f"])
            .arg(&cfg)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let admin = dir.join("admin.sock");
        assert!(wait_for(5.0, || UnixStream::connect(&admin).is_ok()).is_some());
        (
            Side {
                child,
                user: dir.join("user.sock"),
                admin,
                fe,
                _dir: dir,
            },
            fe,
        )
    };
    let (h, hfe) = start(Path::new("haproxy"));
    let (p, pfe) = start(&binary("proxyd"));
    let host = |fe: u16, name: &str| -> String {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", fe)).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        write!(
            s,
            "GET / HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out.split("\r\n\r\n").nth(1).unwrap_or("").to_string()
    };
    // Entries without their references (pointers in HAProxy, counters here).
    let entries = |t: String| -> Vec<String> {
        t.lines()
            .map(|l| {
                l.split_once(' ')
                    .map(|(_, rest)| rest)
                    .unwrap_or(l)
                    .to_string()
            })
            .collect()
    };
    let (hm, nm) = (hosts.display().to_string(), nets.display().to_string());
    let show = format!("show map {hm}");
    assert_eq!(entries(cmd(&p.admin, &show)), entries(cmd(&h.admin, &show)));
    for c in [
        format!("add map {hm} bar.net be3"),
        format!("set map {hm} foo.org be9"),
        format!("del map {hm} example.com"),
        format!("get map {hm} foo.org"),
        format!("get map {hm} nothing"),
        format!("del map {hm} nothing"),
        format!("set map {hm} nothing x"),
        format!("add map {nm} 192.168.0.0/16 lan"),
        format!("add map {nm} notanip x"),
        format!("del map {hm}"),
        "add map".to_string(),
        format!("add map {hm}.nope a b"),
        format!("show map {hm}.nope"),
    ] {
        assert_eq!(cmd(&p.admin, &c), cmd(&h.admin, &c), "`{c}`");
    }
    assert_eq!(entries(cmd(&p.admin, &show)), entries(cmd(&h.admin, &show)));
    let show_nets = format!("show map {nm}");
    assert_eq!(
        entries(cmd(&p.admin, &show_nets)),
        entries(cmd(&h.admin, &show_nets))
    );
    // Requests see the changes.
    for name in ["bar.net", "foo.org", "example.com"] {
        assert_eq!(host(pfe, name), host(hfe, name), "Host: {name}");
    }
    assert_eq!(host(pfe, "bar.net"), "be3");
    // `show map` lists the same files under the same ids; `#ID` names one.
    let ids = |t: String| -> Vec<String> {
        t.lines()
            .skip(1)
            .map(|l| l.split(' ').take(2).collect::<Vec<_>>().join(" "))
            .collect()
    };
    assert_eq!(
        ids(cmd(&p.admin, "show map")),
        ids(cmd(&h.admin, "show map"))
    );
    assert_eq!(
        entries(cmd(&p.admin, "show map #0")),
        entries(cmd(&h.admin, "show map #0"))
    );
    let clear = format!("clear map {hm}");
    assert_eq!(cmd(&p.admin, &clear), cmd(&h.admin, &clear));
    assert_eq!(host(pfe, "bar.net"), host(hfe, "bar.net"));
    assert_eq!(host(pfe, "bar.net"), "none");
}
