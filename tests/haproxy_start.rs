//! The start column of the haproxy oracle corpus: every config of tests/haproxy-oracle/cases
//! and conf-examples/haproxy that `proxyd -c` accepts is started, each in a network
//! namespace of its own (its bind addresses added there), and must serve: every TCP
//! listener accepts a connection, and an HTTP one answers a request with a status line.
//! The results are tests/haproxy-oracle/start.tsv (`UPDATE_START=1` rewrites it); the
//! test fails on any config `-c` accepts that does not start and serve, and when the
//! file is stale.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, exit_code, netns_available, repo_root, wait_for, Netns};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn directive(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// One listener to probe: where, and whether it speaks HTTP.
#[derive(Debug)]
struct Probe {
    addr: String,
    http: bool,
    tls: bool,
    /// `accept-proxy`: the connection starts with a PROXY header.
    proxy: bool,
}

/// The listeners of a config, from `proxyd -c --dump`.
fn probes(dump: &serde_json::Value) -> Vec<Probe> {
    let mut out = Vec::new();
    for p in dump["proxies"].as_array().into_iter().flatten() {
        let kind = p["kind"].as_str().unwrap_or("");
        if !(kind == "frontend" || kind == "listen") || p["disabled"].as_bool() == Some(true) {
            continue;
        }
        let http = p["mode"] == "http";
        for b in p["binds"].as_array().into_iter().flatten() {
            let tls = b["ssl"].as_bool() == Some(true);
            let proxy = b["accept_proxy"].as_bool() == Some(true);
            for a in b["addrs"].as_array().into_iter().flatten() {
                if !matches!(a["kind"].as_str(), Some("inet" | "ipv4" | "ipv6")) {
                    continue;
                }
                let port = a["port_low"].as_u64().unwrap_or(0);
                let ip = match a["ip"].as_str() {
                    Some(ip) if ip.contains(':') && ip != "::" => format!("[{ip}]"),
                    Some("::") => "[::1]".to_string(),
                    Some("0.0.0.0") | None => "127.0.0.1".to_string(),
                    Some(ip) => ip.to_string(),
                };
                out.push(Probe {
                    addr: format!("{ip}:{port}"),
                    http,
                    tls,
                    proxy,
                });
            }
        }
    }
    out
}

/// Addresses a config binds that a fresh namespace lacks (added to its `lo`).
fn addresses(dump: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    for p in dump["proxies"].as_array().into_iter().flatten() {
        for b in p["binds"].as_array().into_iter().flatten() {
            for a in b["addrs"].as_array().into_iter().flatten() {
                if let Some(ip) = a["ip"].as_str() {
                    let special =
                        ip == "0.0.0.0" || ip == "::" || ip.starts_with("127.") || ip == "::1";
                    if !special && !out.iter().any(|x: &String| x.starts_with(ip)) {
                        out.push(if ip.contains(':') {
                            format!("{ip}/128")
                        } else {
                            format!("{ip}/32")
                        });
                    }
                }
            }
        }
    }
    out
}

/// Whether the listener serves: it accepts, and an HTTP one answers with a status line.
fn serves(ns: &Netns, p: &Probe) -> Result<(), String> {
    let mut s = ns
        .connect_tcp(&p.addr)
        .map_err(|e| format!("connect: {e}"))?;
    if !p.http || p.tls {
        return Ok(());
    }
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    if p.proxy {
        s.write_all(b"PROXY UNKNOWN\r\n")
            .map_err(|e| format!("write: {e}"))?;
    }
    s.write_all(b"GET / HTTP/1.1\r\nHost: start.test\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("write: {e}"))?;
    let mut buf = [0u8; 16];
    let n = s.read(&mut buf).map_err(|e| format!("read: {e}"))?;
    if buf[..n].starts_with(b"HTTP/1.") {
        Ok(())
    } else {
        Err(format!(
            "no status line: {:?}",
            String::from_utf8_lossy(&buf[..n])
        ))
    }
}

fn start_one(proxyd: &Path, dir: &Path, file: &str, env: &str, args: &str) -> (i32, String) {
    let shell = |extra: &str| {
        format!(
            "{} exec {} {extra} -f {file} {args}",
            if env.is_empty() {
                String::new()
            } else {
                format!("export {env};")
            },
            proxyd.display()
        )
    };
    let out = Command::new("timeout")
        .args(["20", "sh", "-c", &shell("-c -q --dump")])
        .current_dir(dir)
        .output()
        .unwrap();
    let code = exit_code(&out);
    if code != 0 {
        return (code, "-".into());
    }
    let dump: serde_json::Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(e) => return (code, format!("no: --dump gave no JSON ({e})")),
    };
    let ns = Netns::new("hstart");
    for a in addresses(&dump) {
        ns.exec_ok("ip", &["addr", "add", &a, "dev", "lo"]);
    }
    // Several cases run at once: each has its own log.
    let log = std::env::temp_dir().join(format!("hstart-{}-{}.log", std::process::id(), ns.name));
    let mut child = Command::new("ip")
        .args(["netns", "exec", &ns.name, "sh", "-c", &shell("-db")])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let listeners = probes(&dump);
    let mut result = "yes".to_string();
    for p in &listeners {
        let mut last = String::new();
        let ok = wait_for(5.0, || {
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            match serves(&ns, p) {
                Ok(()) => true,
                Err(e) => {
                    last = e;
                    false
                }
            }
        });
        if ok.is_none() {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            result = format!(
                "no: {} does not serve ({last}); proxyd said: {}",
                p.addr,
                text.lines().last().unwrap_or("")
            );
            break;
        }
    }
    if listeners.is_empty() {
        // Nothing to probe (unix or inherited listeners only): it must still be running.
        std::thread::sleep(Duration::from_millis(500));
        if let Ok(Some(st)) = child.try_wait() {
            result = format!("no: exited ({st})");
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_file(&log);
    (code, result)
}

#[test]
fn every_config_c_accepts_starts_and_serves() {
    if !netns_available() {
        return;
    }
    let proxyd = binary("proxyd");
    let root = repo_root();
    let mut cases: Vec<(PathBuf, String)> = Vec::new();
    for dir in ["tests/haproxy-oracle/cases", "conf-examples/haproxy"] {
        let d = root.join(dir);
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "cfg") {
                cases.push((
                    d.clone(),
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                ));
            }
        }
    }
    cases.sort();
    let mut tsv = String::from("# file\tproxyd -c\tstarts and serves\n");
    let mut problems = Vec::new();
    let (mut accepted, mut started) = (0, 0);
    // Most of a case is waiting (for proxyd to listen, for its answers): three at a
    // time, each in its own namespace, the results kept in the cases' order.
    let results: Vec<std::sync::Mutex<Option<(i32, String)>>> =
        cases.iter().map(|_| std::sync::Mutex::new(None)).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((dir, file)) = cases.get(i) else {
                    return;
                };
                let text = std::fs::read_to_string(dir.join(file)).unwrap();
                let env = directive(&text, "# run-env:");
                let args = directive(&text, "# run-args:");
                let r = start_one(&proxyd, dir, file, &env, &args);
                *results[i].lock().unwrap() = Some(r);
            });
        }
    });
    for ((_, file), r) in cases.iter().zip(results) {
        let (code, result) = r.into_inner().unwrap().expect("every case ran");
        if code == 0 {
            accepted += 1;
            if result == "yes" {
                started += 1;
            } else {
                problems.push(format!("{file}: -c accepts it, but {result}"));
            }
        }
        let short = if result.starts_with("no") {
            "no"
        } else {
            &result
        };
        tsv.push_str(&format!("{file}\t{code}\t{short}\n"));
    }
    eprintln!(
        "{} configs: proxyd -c accepts {accepted}; {started} of them start and serve",
        cases.len()
    );
    let path = root.join("tests/haproxy-oracle/start.tsv");
    if std::env::var_os("UPDATE_START").is_some() {
        std::fs::write(&path, &tsv).unwrap();
    }
    assert!(
        problems.is_empty(),
        "{} configs pass -c and do not start:\n{}",
        problems.len(),
        problems.join("\n")
    );
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == tsv,
        "tests/haproxy-oracle/start.tsv is stale: run UPDATE_START=1 cargo test -p e2e --test haproxy_start"
    );
}
