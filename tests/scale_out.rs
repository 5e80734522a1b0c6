//! Past one pair (docs/scale-out.md): three active balancers behind an FRR router that
//! spreads client flows over them with ECMP. Each balancer (its own network and PID
//! namespace) runs proxyd, vrrpd with `vrrpd_announce` (the service address on `lo`
//! while proxyd runs and answers its health URI) and a routing daemon announcing what is
//! on `lo` (FRR on lb1 and lb2, BIRD 2 on lb3); the router (FRR) learns the address from
//! all three over eBGP. Two web servers, one client.
//! Configs: conf-examples/scale-out (lb1's, renamed for lb2 and lb3).
//!
//! Measured and checked: the spread of many client flows; killing a balancer's proxyd
//! withdraws its route from the router's FIB within 1 s (10 kills) and new connections
//! succeed from then on; the node returns only once its proxyd is up and healthy; a node
//! drained through the runtime API loses none of the requests it has in flight.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, have, netns_available, repo_root, wait_for, Daemon, Lan, Netns};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::Arc;
use std::time::{Duration, Instant};

const VIP: &str = "10.0.0.100";
const FRR: &str = "/usr/lib/frr";
const LBS: [&str; 3] = ["lb1", "lb2", "lb3"];

fn lb_addr(i: usize) -> String {
    format!("10.0.2.1{}", i + 1)
}

/// zebra and bgpd of one namespace, in the foreground (killed with the guards), with
/// their sockets and pid files in `dir/name` (owned by FRR's user, which they run as).
fn start_frr(ns: &Netns, dir: &Path, name: &str, bgp: &str) -> Vec<Daemon> {
    let d = dir.join(name);
    std::fs::create_dir_all(&d).unwrap();
    let frr = nix::unistd::User::from_name("frr")
        .unwrap()
        .expect("FRR's user `frr` (the frr package; tests/run.sh installs it)");
    nix::unistd::chown(&d, Some(frr.uid), Some(frr.gid)).unwrap();
    std::fs::write(d.join("zebra.conf"), format!("hostname {name}\n")).unwrap();
    std::fs::write(d.join("bgpd.conf"), bgp).unwrap();
    let p = |f: &str| d.join(f).display().to_string();
    let (zserv, vty) = (p("zserv.api"), d.display().to_string());
    // zebra first: bgpd connects to it on `zserv`.
    ["zebra", "bgpd"]
        .iter()
        .map(|daemon| {
            ns.spawn(
                &format!("{FRR}/{daemon}"),
                &[
                    "-f",
                    &p(&format!("{daemon}.conf")),
                    "-i",
                    &p(&format!("{daemon}.pid")),
                    "-z",
                    &zserv,
                    "--vty_socket",
                    &vty,
                    "--log",
                    "stdout",
                ],
                &d.join(format!("{daemon}.log")),
            )
        })
        .collect()
}

/// The balancers the router's FIB sends the service address to, in the kernel's order.
fn fib_paths(router: &Netns) -> Vec<String> {
    let out = router.exec("ip", &["route", "show", VIP]);
    let text = String::from_utf8_lossy(&out.stdout);
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .windows(2)
        .filter(|w| w[0] == "via")
        .map(|w| w[1].to_string())
        .collect()
}

/// One request through the service address: (the balancer that answered, the body).
fn ask(client: &Netns, path: &str) -> Result<(String, String), String> {
    let s = client
        .connect_tcp(&format!("{VIP}:80"))
        .map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(8))).ok();
    let mut w = s.try_clone().map_err(|e| e.to_string())?;
    write!(
        w,
        "GET {path} HTTP/1.1\r\nHost: www.example.org\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("send: {e}"))?;
    let mut r = BufReader::new(s);
    let (mut status, mut lb, mut len) = (String::new(), String::new(), 0usize);
    r.read_line(&mut status)
        .map_err(|e| format!("read status: {e}"))?;
    if !status.starts_with("HTTP/1.1 200") {
        return Err(format!("status line {status:?}"));
    }
    loop {
        let mut h = String::new();
        r.read_line(&mut h).map_err(|e| format!("read head: {e}"))?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap_or((h, ""));
        match k.to_ascii_lowercase().as_str() {
            "x-lb" => lb = v.trim().to_string(),
            "content-length" => len = v.trim().parse().unwrap_or(0),
            _ => {}
        }
    }
    // The response's own length says it is whole (a reset after the last byte, from a
    // node the client's closing packets reach, does not take it back).
    let port = r.get_ref().local_addr().map(|a| a.port()).unwrap_or(0);
    let mut body = vec![0u8; len];
    let mut got = 0;
    while got < len {
        match r.read(&mut body[got..]) {
            Ok(0) => {
                return Err(format!(
                    "{path} from {lb}: closed after {got} of {len} bytes"
                ))
            }
            Ok(n) => got += n,
            Err(e) => {
                return Err(format!(
                    "{path} from {lb} port {port}: {e} after {got} of {len} bytes"
                ))
            }
        }
    }
    Ok((lb, String::from_utf8_lossy(&body).into_owned()))
}

/// The host pid of the proxyd running in `ns` (matched by its network namespace).
fn proxyd_pid(ns: &Netns) -> Option<u32> {
    let want = std::fs::metadata(format!("/var/run/netns/{}", ns.name))
        .ok()?
        .ino();
    std::fs::read_dir("/proc").ok()?.find_map(|e| {
        let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        let net = std::fs::metadata(format!("/proc/{pid}/ns/net")).ok()?.ino();
        (comm.trim() == "proxyd" && net == want).then_some(pid)
    })
}

/// What proxyd's health URI answers inside `ns` (the status code; 0 when nothing answers).
fn health(ns: &Netns) -> u16 {
    let Ok(mut s) = ns.connect_tcp("127.0.0.1:8404") else {
        return 0;
    };
    s.set_read_timeout(Some(Duration::from_secs(2))).ok();
    let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// One command on a balancer's runtime API.
fn runtime_api(sock: &Path, cmd: &str) -> String {
    let mut s = std::os::unix::net::UnixStream::connect(sock).unwrap();
    s.write_all(format!("{cmd}\n").as_bytes()).unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s[s.len() / 2]
}

#[test]
fn three_balancers_behind_frr_ecmp_spread_withdraw_and_drain() {
    if !netns_available() {
        return;
    }
    assert!(
        Path::new(&format!("{FRR}/bgpd")).exists() && have("bird") && have("curl"),
        "FRR, BIRD and curl are needed (tests/run.sh installs frr, bird2 and curl)"
    );
    let examples = repo_root().join("conf-examples/scale-out");
    let example = |f: &str| std::fs::read_to_string(examples.join(f)).unwrap();
    // The balancers' proxyd config is plain HAProxy: the same file runs on either.
    let check = std::process::Command::new("haproxy")
        .args(["-c", "-f"])
        .arg(examples.join("haproxy-lb1.cfg"))
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "haproxy -c refuses haproxy-lb1.cfg: {}",
        String::from_utf8_lossy(&check.stderr)
    );

    // router, lb1..3, web1..2 on one LAN; the client behind the router.
    let lan = Lan::new(
        "so",
        &[
            ("eth0", "10.0.2.1/24"),
            ("eth0", "10.0.2.11/24"),
            ("eth0", "10.0.2.12/24"),
            ("eth0", "10.0.2.13/24"),
            ("eth0", "10.0.2.21/24"),
            ("eth0", "10.0.2.22/24"),
        ],
    );
    let router = &lan.nodes[0];
    let lbs = &lan.nodes[1..4];
    let client = Netns::new("socl");
    let tag = std::process::id() % 100_000;
    let (inner, outer) = (format!("cl{tag}"), format!("rt{tag}"));
    router.exec_ok(
        "ip",
        &[
            "link", "add", &outer, "type", "veth", "peer", "name", &inner,
        ],
    );
    router.exec_ok("ip", &["link", "set", &inner, "netns", &client.name]);
    router.exec_ok("ip", &["addr", "add", "10.0.1.1/24", "dev", &outer]);
    router.exec_ok("ip", &["link", "set", &outer, "up"]);
    client.exec_ok("ip", &["link", "set", &inner, "name", "eth0"]);
    client.exec_ok("ip", &["addr", "add", "10.0.1.2/24", "dev", "eth0"]);
    client.exec_ok("ip", &["link", "set", "eth0", "up"]);
    client.exec_ok("ip", &["route", "add", "default", "via", "10.0.1.1"]);
    // Flows of one client spread by port too (the router's ECMP hash on L4).
    router.exec_ok(
        "sysctl",
        &[
            "-qw",
            "net.ipv4.ip_forward=1",
            "net.ipv4.fib_multipath_hash_policy=1",
        ],
    );
    for lb in lbs {
        lb.exec_ok("ip", &["route", "add", "default", "via", "10.0.2.1"]);
    }
    let stop = Arc::new(AtomicBool::new(false));
    for (k, web) in lan.nodes[4..].iter().enumerate() {
        let l = web.listen_tcp(&format!("10.0.2.2{}:8080", k + 1));
        let (st, n) = (stop.clone(), Arc::new(AtomicUsize::new(0)));
        let name = format!("web{}", k + 1);
        std::thread::spawn(move || e2e::http_responder(l, name, st, n));
    }

    let dir = e2e::Scratch::new("scale-out");
    let mut frr = start_frr(router, &dir, "router", &example("frr-router.conf"));
    let mut nodes: Vec<Daemon> = Vec::new();
    let mut sockets = Vec::new();
    for (i, name) in LBS.iter().enumerate() {
        let rename = |t: String| t.replace("lb1", name).replace("10.0.2.11", &lb_addr(i));
        if i == 2 {
            // The third balancer announces with BIRD 2: either daemon does the job.
            let conf = dir.join("lb3-bird.conf");
            std::fs::write(&conf, rename(example("bird-lb1.conf"))).unwrap();
            let (conf, ctl) = (conf.display().to_string(), dir.join("lb3-bird.ctl"));
            frr.push(lbs[i].spawn(
                "bird",
                &["-f", "-c", &conf, "-s", &ctl.display().to_string()],
                &dir.join("lb3-bird.log"),
            ));
        } else {
            frr.extend(start_frr(
                &lbs[i],
                &dir,
                name,
                &rename(example("frr-lb1.conf")),
            ));
        }
        let sock = dir.join(format!("{name}.sock"));
        let hcfg = dir.join(format!("{name}.cfg"));
        std::fs::write(
            &hcfg,
            rename(example("haproxy-lb1.cfg"))
                .replace("/run/proxyd/admin.sock", &sock.display().to_string()),
        )
        .unwrap();
        let kcfg = dir.join(format!("{name}.conf"));
        std::fs::write(&kcfg, rename(example("keepalived-lb1.conf"))).unwrap();
        // proxyd restarted a second after it dies (as systemd's Restart= would), vrrpd
        // in front; both in the node's PID namespace, where vrrpd looks for `proxyd`.
        let script = format!(
            "while :; do {p} -db -f {h} >> {d}/{name}-proxyd.log 2>&1; sleep 1; done & exec {v} -n -l -f {k}",
            p = binary("proxyd").display(),
            h = hcfg.display(),
            d = dir.display(),
            v = binary("vrrpd").display(),
            k = kcfg.display(),
        );
        nodes.push(lbs[i].spawn_pidns(
            "sh",
            &["-c", &script],
            &dir.join(format!("{name}-vrrpd.log")),
        ));
        sockets.push(sock);
        // Passing on packets of connections the router moved (switched on for the drain).
        let peers: Vec<String> = (0..3)
            .filter(|j| *j != i)
            .map(|j| format!("dup to {}", lb_addr(j)))
            .collect();
        let nft = dir.join(format!("{name}.nft"));
        std::fs::write(
            &nft,
            example("nft-balancer.nft")
                .replace("dup to 10.0.2.12 dup to 10.0.2.13", &peers.join(" ")),
        )
        .unwrap();
        lbs[i].exec_ok("nft", &["-f", &nft.display().to_string()]);
        // As docs/scale-out.md says for passing on: no TIME-WAIT sockets on a balancer.
        // One left by an earlier connection from the same client port hides a moved
        // connection's packets from the nftables rules (seen: a download stalled for good
        // on lb2 while lb3's TIME-WAIT of that client port took its acknowledgements).
        lbs[i].exec_ok("sysctl", &["-qw", "net.ipv4.tcp_max_tw_buckets=0"]);
    }
    let logs = || {
        let mut out = String::new();
        for f in [
            "lb1-vrrpd.log",
            "lb1-proxyd.log",
            "lb2-vrrpd.log",
            "router/bgpd.log",
            "lb1/bgpd.log",
            "lb3-bird.log",
        ] {
            let text = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(25).collect();
            out.push_str(&format!("--- {f}\n"));
            for l in tail.iter().rev() {
                out.push_str(l);
                out.push('\n');
            }
        }
        out.push_str(&format!("router FIB: {:?}\n", fib_paths(router)));
        out
    };
    assert!(
        wait_for(40.0, || fib_paths(router).len() == 3).is_some(),
        "the router did not learn the service address from all three balancers\n{}",
        logs()
    );

    // 1. Spread: new connections from the client's ports, each balancer a share.
    let total = 300;
    let mut per_lb = [0usize; 3];
    for i in 0..total {
        match ask(&client, &format!("/spread{i}")) {
            Ok((lb, _)) => {
                let k = LBS
                    .iter()
                    .position(|n| *n == lb)
                    .expect("X-LB names a node");
                per_lb[k] += 1;
            }
            Err(e) => panic!("request {i} failed: {e}\n{}", logs()),
        }
    }
    let shares: Vec<f64> = per_lb
        .iter()
        .map(|n| *n as f64 * 100.0 / total as f64)
        .collect();
    for (k, s) in shares.iter().enumerate() {
        assert!(
            (20.0..=45.0).contains(s),
            "{} took {s:.1} % of {total} connections (want 20-45 %): {per_lb:?}",
            LBS[k]
        );
    }

    // 2. Ten kills of a balancer's proxyd, in turn: the route leaves the router's FIB
    // within 1 s, new connections succeed from then on, and the node comes back only
    // with its proxyd up and healthy.
    let mut withdrawals = Vec::new();
    let mut kill_failures = 0;
    let mut kill_requests = 0;
    let mut returns = Vec::new();
    for round in 0..10 {
        let k = round % 3;
        let addr = lb_addr(k);
        let pid = wait_for(10.0, || proxyd_pid(&lbs[k]).is_some())
            .and_then(|_| proxyd_pid(&lbs[k]))
            .unwrap_or_else(|| panic!("no proxyd on {}\n{}", LBS[k], logs()));
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        let gone = wait_for(5.0, || !fib_paths(router).contains(&addr));
        let Some(_) = gone else {
            panic!(
                "round {round}: {}'s route still in the FIB 5 s after its proxyd died\n{}",
                LBS[k],
                logs()
            );
        };
        let took = t0.elapsed().as_secs_f64();
        withdrawals.push(took);
        for i in 0..30 {
            kill_requests += 1;
            match ask(&client, &format!("/after-kill{round}-{i}")) {
                Ok((lb, _)) if lb != LBS[k] => {}
                Ok((lb, _)) => panic!("round {round}: answered by {lb}, whose proxyd is dead"),
                Err(e) => {
                    kill_failures += 1;
                    eprintln!("round {round}: request {i} after the withdrawal failed: {e}");
                }
            }
        }
        // Back only with proxyd running and healthy.
        let back = wait_for(15.0, || fib_paths(router).contains(&addr));
        assert!(
            back.is_some(),
            "round {round}: {} did not come back\n{}",
            LBS[k],
            logs()
        );
        let code = health(&lbs[k]);
        assert_eq!(
            code,
            200,
            "round {round}: {} announced while its health URI says {code}\n{}",
            LBS[k],
            logs()
        );
        returns.push(t0.elapsed().as_secs_f64());
        assert!(
            wait_for(10.0, || fib_paths(router).len() == 3).is_some(),
            "{}",
            logs()
        );
    }
    assert!(
        withdrawals.iter().all(|t| *t < 1.0),
        "a withdrawal took 1 s or more: {withdrawals:.3?}\n{}",
        logs()
    );
    assert_eq!(
        kill_failures, 0,
        "{kill_failures} of {kill_requests} requests failed after the withdrawals"
    );

    // 3. Drain through the runtime API: the health URI says 503, vrrpd takes the address
    // off `lo`, FRR withdraws it; the node keeps the address as its own (a local route),
    // so the requests it holds finish there. The router now hashes the drained node's
    // flows, and (hash threshold: the first path leaving) a quarter of the others', onto
    // balancers that do not hold them: with `passon` switched on they pass such packets
    // to their peers (conf-examples/scale-out/nft-balancer.nft). Half of the requests in
    // flight download 1 MiB, which takes many of the client's acknowledgements.
    for lb in lbs {
        lb.exec_ok(
            "nft",
            &["add", "rule", "ip", "scaleout", "lost", "jump", "passon"],
        );
    }
    let order = fib_paths(router);
    let k = lbs
        .iter()
        .enumerate()
        .position(|(i, _)| lb_addr(i) == order[0])
        .unwrap();
    let addr = lb_addr(k);
    let in_flight_path = |tag: &str, i: usize| {
        if i.is_multiple_of(2) {
            format!("/slow-big-{tag}{i}")
        } else {
            format!("/slow-{tag}{i}")
        }
    };
    let join_in_flight =
        |batch: Vec<std::thread::ScopedJoinHandle<'_, Result<(String, String), String>>>,
         what: &str|
         -> (usize, usize, usize) {
            let (mut on_drained, mut failed, mut n) = (0, 0, 0);
            for h in batch {
                n += 1;
                match h.join().unwrap() {
                    Ok((lb, body)) => {
                        assert!(body.starts_with("web"), "{body}");
                        if lb == LBS[k] {
                            on_drained += 1;
                        }
                    }
                    Err(e) => {
                        failed += 1;
                        eprintln!("request in flight {what} failed: {e}");
                        for (i, lb) in lbs.iter().enumerate() {
                            let ss = lb.exec("ss", &["-tanoi", "state", "all", "( sport = :80 )"]);
                            let nft = lb.exec("nft", &["list", "table", "ip", "scaleout"]);
                            eprintln!(
                                "--- {} sockets\n{}\n--- nft\n{}",
                                LBS[i],
                                String::from_utf8_lossy(&ss.stdout),
                                String::from_utf8_lossy(&nft.stdout)
                            );
                        }
                        eprintln!("router FIB: {:?}", fib_paths(router));
                    }
                }
            }
            (n, failed, on_drained)
        };
    let mut drain_requests = 0;
    let mut drain_failures = 0;
    let mut on_drained = 0;
    let mut drain_took = 0.0;
    std::thread::scope(|sc| {
        let client = &client;
        let in_flight: Vec<_> = (0..30)
            .map(|i| {
                let path = in_flight_path("drain", i);
                sc.spawn(move || ask(client, &path))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(500));
        #[allow(clippy::disallowed_methods)]
        let t0 = Instant::now();
        let said = runtime_api(&sockets[k], "disable server node/serving");
        assert!(said.trim().is_empty(), "runtime API said {said:?}");
        let withdrawn = wait_for(5.0, || {
            drain_requests += 1;
            if ask(client, "/during-drain").is_err() {
                drain_failures += 1;
            }
            !fib_paths(router).contains(&addr)
        });
        assert!(
            withdrawn.is_some(),
            "drained {} still announced after 5 s\n{}",
            LBS[k],
            logs()
        );
        drain_took = t0.elapsed().as_secs_f64();
        let (n, failed, on) = join_in_flight(in_flight, "at the drain");
        drain_requests += n;
        drain_failures += failed;
        on_drained = on;
    });
    for i in 0..30 {
        drain_requests += 1;
        match ask(&client, &format!("/after-drain{i}")) {
            Ok((lb, _)) => assert_ne!(lb, LBS[k], "the drained node got a new connection"),
            Err(e) => {
                drain_failures += 1;
                eprintln!("request after the drain failed: {e}");
            }
        }
    }
    assert_eq!(
        drain_failures, 0,
        "{drain_failures} of {drain_requests} requests failed around the drain"
    );
    assert!(
        on_drained > 0,
        "no in-flight request was on the drained node: the drain proved nothing"
    );
    // The end of the drain announces the node again, which moves flows of the others
    // onto it: requests in flight then finish too.
    let (mut return_requests, mut return_failures) = (0, 0);
    std::thread::scope(|sc| {
        let client = &client;
        let in_flight: Vec<_> = (0..30)
            .map(|i| {
                let path = in_flight_path("return", i);
                sc.spawn(move || ask(client, &path))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(500));
        let said = runtime_api(&sockets[k], "enable server node/serving");
        assert!(said.trim().is_empty(), "runtime API said {said:?}");
        assert!(
            wait_for(10.0, || fib_paths(router).len() == 3).is_some(),
            "{} did not come back after its drain\n{}",
            LBS[k],
            logs()
        );
        let (n, failed, _) = join_in_flight(in_flight, "at the return");
        return_requests += n;
        return_failures += failed;
    });
    assert_eq!(
        return_failures, 0,
        "{return_failures} of {return_requests} requests in flight failed when the drained node returned"
    );
    let passed_on: u64 = lbs
        .iter()
        .map(|lb| {
            let out = lb.exec("nft", &["list", "chain", "ip", "scaleout", "passon"]);
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            let words: Vec<&str> = text.split_whitespace().collect();
            words
                .windows(2)
                .find(|w| w[0] == "packets")
                .and_then(|w| w[1].parse::<u64>().ok())
                .unwrap_or(0)
        })
        .sum();
    assert!(
        passed_on > 0,
        "no packet was passed on: the drained node's connections never moved?"
    );
    for lb in lbs {
        lb.exec_ok("nft", &["flush", "chain", "ip", "scaleout", "lost"]);
    }

    // vrrpd stopping withdraws its node and leaves nothing behind on it.
    nodes[0].signal_inner("TERM");
    assert!(
        wait_for(5.0, || !fib_paths(router).contains(&lb_addr(0))).is_some(),
        "lb1 still announced after vrrpd stopped\n{}",
        logs()
    );
    assert!(
        wait_for(5.0, || {
            let local = lbs[0].exec("ip", &["route", "show", "table", "local", VIP]);
            !lbs[0].has_addr("lo", VIP) && local.stdout.is_empty()
        })
        .is_some(),
        "lb1 kept the service address after vrrpd stopped\n{}",
        logs()
    );

    let mut sorted = withdrawals.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    eprintln!(
        "spread of {total} connections: lb1 {:.1} %, lb2 {:.1} %, lb3 {:.1} %",
        shares[0], shares[1], shares[2]
    );
    eprintln!(
        "proxyd killed: route withdrawn in median {:.0} ms (min {:.0}, max {:.0}, 10 kills): {:?} ms; \
         {kill_failures} of {kill_requests} new requests failed after the withdrawals; \
         back after {:.1}-{:.1} s (proxyd restarted after 1 s, health rise 2)",
        median(&withdrawals) * 1000.0,
        sorted[0] * 1000.0,
        sorted[sorted.len() - 1] * 1000.0,
        withdrawals
            .iter()
            .map(|t| (t * 1000.0).round() as u64)
            .collect::<Vec<_>>(),
        returns.iter().cloned().fold(f64::MAX, f64::min),
        returns.iter().cloned().fold(0.0, f64::max),
    );
    let by = |bird: bool| -> Vec<f64> {
        withdrawals
            .iter()
            .enumerate()
            .filter(|(r, _)| (r % 3 == 2) == bird)
            .map(|(_, t)| *t)
            .collect()
    };
    eprintln!(
        "withdrawal median by announcing daemon: FRR (lb1, lb2) {:.0} ms, BIRD (lb3) {:.0} ms",
        median(&by(false)) * 1000.0,
        median(&by(true)) * 1000.0
    );
    eprintln!(
        "drain of {}: withdrawn {drain_took:.2} s after `disable server`; {on_drained} of 30 \
         in-flight requests (half of them 1 MiB downloads) were on it; {drain_failures} of \
         {drain_requests} requests failed; {return_failures} of {return_requests} in flight when \
         it returned failed; {passed_on} packets of moved connections passed on",
        LBS[k]
    );
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    drop(nodes);
    drop(frr);
}
