//! `./demo.sh`: seed 000's HA pair, on this machine, in network namespaces. Two load
//! balancers (lb01, lb02) each run vrrpd and proxyd with seed 000's configurations, two
//! web servers sit behind them, a client sends a request through the VIP every 50 ms.
//! Then: lb01's proxyd is killed (lb02 takes over), it comes back (lb01 takes the VIP
//! back), and lb01 dies as a whole (lb02 takes over). What happened is printed; every namespace and process is removed at the end,
//! also when something fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]
// A demo measures real time.
#![allow(clippy::disallowed_methods)]

use e2e::{binary, repo_root, wait_for, Daemon, Lan, Netns};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const VIP: &str = "192.168.10.3";

/// One request through the VIP: the web server that answered, or why none did.
fn ask(to: SocketAddr) -> Result<String, String> {
    let mut s = TcpStream::connect_timeout(&to, Duration::from_millis(500))
        .map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(1)))
        .map_err(|e| e.to_string())?;
    s.write_all(b"GET / HTTP/1.1\r\nHost: www.example.org\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("send: {e}"))?;
    let mut out = String::new();
    s.read_to_string(&mut out)
        .map_err(|e| format!("read: {e}"))?;
    if !out.starts_with("HTTP/1.1 200") {
        return Err(out.lines().next().unwrap_or("no answer").to_string());
    }
    Ok(out
        .lines()
        .last()
        .and_then(|l| l.split(' ').next())
        .unwrap_or("?")
        .to_string())
}

/// What the client saw: (seconds since the start, the answer or the failure).
type Seen = Arc<Mutex<Vec<(f64, Result<String, String>)>>>;

/// The client: a thread inside the client namespace asking every 50 ms until `stop`.
fn client(
    ns: &Netns,
    t0: Instant,
    stop: Arc<AtomicBool>,
    seen: Seen,
) -> std::thread::JoinHandle<()> {
    let path = format!("/var/run/netns/{}", ns.name);
    std::thread::spawn(move || {
        let Ok(f) = std::fs::File::open(&path) else {
            return;
        };
        if nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).is_err() {
            return;
        }
        let to: SocketAddr = format!("{VIP}:80").parse().unwrap();
        while !stop.load(Ordering::Relaxed) {
            let r = ask(to);
            seen.lock().unwrap().push((t0.elapsed().as_secs_f64(), r));
            std::thread::sleep(Duration::from_millis(50));
        }
    })
}

/// The stats CSV of one proxyd (seed 000's `listen stats` on port 9000): the web
/// servers' lines, as `backend/server status sessions-total`.
fn stats(client: &Netns, node_addr: &str) -> Vec<String> {
    let Ok(mut s) = client.connect_tcp(&format!("{node_addr}:9000")) else {
        return vec!["(no answer)".into()];
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = s.write_all(b"GET /haproxy_stats;csv HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    let body = out.split("\r\n\r\n").nth(1).unwrap_or("");
    let mut lines = body.lines();
    let head: Vec<&str> = lines
        .next()
        .unwrap_or("")
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let col = |name: &str| head.iter().position(|h| *h == name);
    let (Some(px), Some(sv), Some(st), Some(tot)) =
        (col("pxname"), col("svname"), col("status"), col("stot"))
    else {
        return vec!["(no CSV)".into()];
    };
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|f| f.len() > tot && f[px] == "web-prod-http")
        .map(|f| format!("{}/{} {} {} sessions", f[px], f[sv], f[st], f[tot]))
        .collect()
}

/// seed 000's haproxy.cfg as the node runs it: unchanged, except `user`/`group haproxy`
/// when this machine has no such user (a package would create it).
fn haproxy_cfg(dir: &Path) -> (PathBuf, bool) {
    let seed = repo_root().join("conf-examples/haproxy/seed000.runnable.cfg");
    let has_user = nix::unistd::User::from_name("haproxy")
        .ok()
        .flatten()
        .is_some();
    if has_user {
        return (seed, false);
    }
    let text = std::fs::read_to_string(&seed).unwrap();
    let text = text
        .lines()
        .map(|l| match l.split_whitespace().next() {
            Some("user") => "    user nobody".to_string(),
            Some("group") => "    group nogroup".to_string(),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let p = dir.join("haproxy.cfg");
    std::fs::write(&p, text + "\n").unwrap();
    (p, true)
}

struct Node {
    name: &'static str,
    /// The node's PID namespace (vrrpd first, the proxy beside it).
    node: Option<Daemon>,
    /// A proxy started again inside it (through nsenter).
    restarted: Option<std::process::Child>,
}

impl Node {
    /// The node's first process, as the host sees it.
    fn init(&self) -> Option<u32> {
        self.node.as_ref().and_then(|d| d.inner_pid())
    }

    /// The host pids of the node's proxies (`haproxy` processes in its PID namespace).
    fn proxies(&self) -> Vec<u32> {
        let Some(init) = self.init() else {
            return Vec::new();
        };
        let ns = |pid: u32| std::fs::read_link(format!("/proc/{pid}/ns/pid")).ok();
        let mine = ns(init);
        std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|p| {
                std::fs::read_to_string(format!("/proc/{p}/comm"))
                    .is_ok_and(|c| c.trim() == "haproxy")
                    && ns(*p) == mine
            })
            .collect()
    }
}

fn main() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("demo: run as root (it creates network namespaces)");
        std::process::exit(1);
    }
    let t0 = Instant::now();
    let dir = e2e::Scratch::new("ha-demo");
    let lan = Lan::new(
        "demo",
        &[
            ("eth0", "192.168.10.1/24"),
            ("eth0", "192.168.10.2/24"),
            ("eth0", "192.168.10.50/24"),
            ("eth0", "192.168.80.1/24"),
            ("eth0", "192.168.80.2/24"),
        ],
    );
    let client_ns = &lan.nodes[2];
    lan.nodes[0].exec_ok("ip", &["addr", "add", "192.168.80.11/24", "dev", "eth0"]);
    lan.nodes[1].exec_ok("ip", &["addr", "add", "192.168.80.12/24", "dev", "eth0"]);
    let stop = Arc::new(AtomicBool::new(false));
    for (k, web) in lan.nodes[3..].iter().enumerate() {
        let l = web.listen_tcp(&format!("192.168.80.{}:8080", k + 1));
        let (st, n) = (stop.clone(), Arc::new(AtomicUsize::new(0)));
        let name = format!("web0{}", k + 1);
        std::thread::spawn(move || e2e::http_responder(l, name, st, n));
    }
    // proxyd under the name `haproxy`, as the compat package installs it: seed 000's
    // `killall -0 haproxy` check and the process watch see it.
    let haproxy = dir.join("haproxy");
    std::os::unix::fs::symlink(binary("proxyd"), &haproxy).unwrap();
    let (hcfg, changed_user) = haproxy_cfg(&dir);
    let kconf = repo_root().join("conf-examples/keepalived");
    println!(
        "seed 000's pair in network namespaces: lb01 192.168.10.1, lb02 192.168.10.2, VIP {VIP},"
    );
    println!("web01/web02 on 192.168.80.1/.2:8080, a client on 192.168.10.50 asking every 50 ms.");
    println!("Configurations: conf-examples/haproxy/seed000.runnable.cfg, conf-examples/keepalived/seed000-tracked-lb0N.conf");
    println!("(seed 000 with `vrrp_track_process` watching the proxy: the sub-second handover of docs/vrrpd.md).");
    if changed_user {
        println!("(no `haproxy` user on this machine: proxyd runs as nobody:nogroup here)");
    }
    // One PID namespace per node, as separate machines have: the node's `killall -0
    // haproxy` and process watch see its own proxy only. The proxy starts in the
    // background, vrrpd in front (the namespace's first process: when it is killed,
    // the whole node goes).
    let mut nodes: Vec<Node> = ["lb01", "lb02"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let k = kconf.join(format!("seed000-tracked-{name}.conf"));
            let script = format!(
                "{h} -db -f {c} > {d}/{name}-proxyd.log 2>&1 & exec {v} -n -l -f {k}",
                h = haproxy.display(),
                c = hcfg.display(),
                d = dir.display(),
                v = binary("vrrpd").display(),
                k = k.display()
            );
            let node = lan.nodes[i].spawn_pidns(
                "sh",
                &["-c", &script],
                &dir.join(format!("{name}-vrrpd.log")),
            );
            Node {
                name,
                node: Some(node),
                restarted: None,
            }
        })
        .collect();
    let holder = || -> &'static str {
        match (
            lan.nodes[0].has_addr("eth0", VIP),
            lan.nodes[1].has_addr("eth0", VIP),
        ) {
            (true, false) => "lb01",
            (false, true) => "lb02",
            (true, true) => "BOTH",
            (false, false) => "nobody",
        }
    };
    let stamp = |what: &str| println!("[{:5.2} s] {what}", t0.elapsed().as_secs_f64());
    let up = wait_for(10.0, || holder() == "lb01");
    stamp(&format!(
        "VIP on {} ({})",
        holder(),
        if up.is_some() {
            "lb01 is master"
        } else {
            "lb01 did not become master"
        }
    ));
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let asker = client(client_ns, t0, stop.clone(), seen.clone());
    std::thread::sleep(Duration::from_secs(2));

    // 1. lb01's proxyd dies.
    stamp("killing lb01's proxyd (SIGKILL)");
    for p in nodes[0].proxies() {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(p as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let moved = wait_for(5.0, || holder() == "lb02");
    stamp(&match moved {
        Some(t) => format!("VIP on lb02 {:.0} ms after the kill", t * 1000.0),
        None => format!("VIP still on {} 5 s after the kill", holder()),
    });
    std::thread::sleep(Duration::from_secs(2));

    // 2. lb01's proxyd comes back: lb01 leaves FAULT and, with the higher priority
    // (seed 000: 100 against 99, +2 each for a passing check), takes the VIP back.
    stamp("lb01's proxyd started again");
    if let Some(init) = nodes[0].init() {
        let log = std::fs::File::create(dir.join("lb01-proxyd-again.log")).unwrap();
        nodes[0].restarted = std::process::Command::new("nsenter")
            .args(["-t", &init.to_string(), "-n", "-p", "-m", "--"])
            .arg(&haproxy)
            .args(["-db", "-f"])
            .arg(&hcfg)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .ok();
    }
    let back = wait_for(8.0, || holder() == "lb01");
    stamp(&match back {
        Some(t) => format!(
            "VIP back on lb01 {:.0} ms later (its proxy seen, then preemption: 3 adverts + skew)",
            t * 1000.0
        ),
        None => format!("VIP on {} 8 s after lb01's proxy came back", holder()),
    });
    std::thread::sleep(Duration::from_secs(1));
    println!("stats CSV (web-prod-http) of each proxyd:");
    for (name, addr) in [("lb01", "192.168.10.1"), ("lb02", "192.168.10.2")] {
        for l in stats(client_ns, addr) {
            println!("  {name}: {l}");
        }
    }

    // 3. lb01, the master again, dies as a whole (a power cut: no goodbye advert, and
    // its addresses leave the wire with it).
    stamp("lb01 loses power (vrrpd and proxyd SIGKILLed, its eth0 gone)");
    drop(nodes[0].node.take());
    lan.nodes[0].exec_ok("ip", &["link", "del", "eth0"]);
    let died = wait_for(6.0, || holder() == "lb02");
    stamp(&match died {
        Some(t) => format!(
            "VIP on lb02 {:.0} ms after lb01 died (3 adverts + skew)",
            t * 1000.0
        ),
        None => format!("VIP on {} 6 s after lb01 died", holder()),
    });
    std::thread::sleep(Duration::from_secs(2));
    stop.store(true, Ordering::Relaxed);
    let _ = asker.join();

    let seen = seen.lock().unwrap().clone();
    let failed: Vec<&(f64, Result<String, String>)> =
        seen.iter().filter(|(_, r)| r.is_err()).collect();
    let served = |name: &str| {
        seen.iter()
            .filter(|(_, r)| r.as_deref() == Ok(name))
            .count()
    };
    println!(
        "client: {} requests, {} answered (web01 {}, web02 {}), {} failed",
        seen.len(),
        seen.len() - failed.len(),
        served("web01"),
        served("web02"),
        failed.len()
    );
    // The failures, as stretches of time: each should sit inside a handover.
    let mut gaps: Vec<(f64, f64, String)> = Vec::new();
    for (t, r) in &failed {
        let why = r.as_ref().err().cloned().unwrap_or_default();
        match gaps.last_mut() {
            Some(g) if *t - g.1 < 0.7 => g.1 = *t,
            _ => gaps.push((*t, *t, why)),
        }
    }
    for (a, b, why) in &gaps {
        println!("  failed from {a:.2} s to {b:.2} s ({why})");
    }
    for n in &mut nodes {
        // Killing the node's first process ends every process in its namespace.
        drop(n.node.take());
        if let Some(mut c) = n.restarted.take() {
            let _ = c.wait();
        }
        let _ = n.name;
    }
    println!(
        "logs: {} (removed at exit; set KEEP=1 to keep them)",
        dir.display()
    );
    if std::env::var_os("KEEP").is_some() {
        let kept = std::env::temp_dir().join("ha-demo-logs");
        let _ = std::fs::remove_dir_all(&kept);
        let _ = std::process::Command::new("cp")
            .arg("-r")
            .arg(dir.to_path_buf())
            .arg(&kept)
            .status();
        println!("logs kept in {}", kept.display());
    }
    drop(nodes);
    drop(lan);
    println!(
        "cleaned up: namespaces deleted, every process stopped ({:.1} s in all)",
        t0.elapsed().as_secs_f64()
    );
    let ok = up.is_some() && moved.is_some() && back.is_some() && died.is_some();
    std::process::exit(if ok { 0 } else { 1 });
}
