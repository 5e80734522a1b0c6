//! `proxyd -c` against `haproxy -c` (2.6 from apt) on every case of tests/haproxy-oracle/cases
//! and every seed config. Where HAProxy accepts, proxyd must give the same verdict; where
//! HAProxy rejects, proxyd must reject naming at least the same lines, or accept a documented
//! legacy form with a warning. `haproxy -c` only parses: nothing binds or starts.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, exit_code, have, repo_root};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Where proxyd differs from HAProxy on purpose: (file, haproxy, proxyd, why).
/// docs/haproxy-compat.md explains each.
const DELIBERATE: &[(&str, i32, i32, &str)] = &[
    ("seed001.cfg", 1, 0, "mailer host names that do not resolve are a warning (the mail is sent once they resolve)"),
    ("seed001.pasted.cfg", 1, 0, "mailer host names that do not resolve are a warning"),
    ("seed001-node2.cfg", 1, 0, "mailer host names that do not resolve are a warning"),
    ("144-server-unresolvable.cfg", 1, 0, "a server whose name does not resolve starts DOWN with a warning"),
    ("091-global-chroot-missing.cfg", 0, 1, "proxyd -c checks that the chroot directory exists (the start needs it; HAProxy finds out only when it starts)"),
    ("224-legacy-option-ssl-hello-chk.cfg", 0, 1, "option mysql-check is refused until proxyd implements it (it decides which servers get traffic)"),
    ("232-legacy-dispatch.cfg", 0, 1, "dispatch is refused until proxyd implements it (it decides where traffic goes)"),
    ("seed003.cfg", 1, 1, "HAProxy also rejects line 48 only because it rejected the 1.x `frontend http *:80` above it; proxyd reads that line as a legacy form"),
    ("209-legacy-backend-addr-on-header.cfg", 1, 1, "proxyd names the `backend NAME ADDR` line itself (10); HAProxy names the line after it (11)"),
];

/// Configs HAProxy accepts that proxyd refuses because it cannot run them yet: every
/// error it gives is a refusal (H103) or a plan it cannot build (H301), each with its
/// line. A config leaving this list (it runs now) or joining it (a regression) is a
/// problem to look at.
const CANNOT_RUN_YET: &[(&str, &str)] = &[
    (
        "138-balance-all-valid.cfg",
        "balance rdp-cookie, url_param check_post",
    ),
    (
        "170-tcp-frontend-http-backend.cfg",
        "a tcp frontend using an http backend",
    ),
    ("231-legacy-option-transparent.cfg", "option transparent"),
];

/// Whether every error proxyd gave is a "cannot run yet" one.
fn only_refusals(stderr: &str) -> bool {
    let codes: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("error["))
        .filter_map(|l| l.split(']').next())
        .collect();
    !codes.is_empty() && codes.iter().all(|c| *c == "H103" || *c == "H301")
}

fn directive(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn run(dir: &Path, prog: &str, file: &str, env: &str, args: &str) -> (i32, String) {
    let script = format!(
        "{} exec {prog} -c -f {file} {args}",
        if env.is_empty() {
            String::new()
        } else {
            format!("export {env};")
        }
    );
    let out = Command::new("timeout")
        .args(["20", "sh", "-c", &script])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        exit_code(&out),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Lines of `file` that HAProxy's ALERTs name.
fn haproxy_lines(stderr: &str, file: &str) -> BTreeSet<usize> {
    let mut set = BTreeSet::new();
    for l in stderr.lines().filter(|l| l.starts_with("[ALERT]")) {
        let pat = format!("[{file}:");
        let mut rest = l;
        while let Some(i) = rest.find(&pat) {
            rest = &rest[i + pat.len()..];
            let n: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            if let Ok(n) = n.parse() {
                set.insert(n);
            }
        }
    }
    set
}

/// `7-8, 19-20, 29` -> {7, 8, 19, 20, 29}.
fn expand_ranges(text: &str, set: &mut BTreeSet<usize>) {
    for part in text.split(", ") {
        let part: String = part
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect();
        match part.split_once('-') {
            Some((a, b)) => {
                if let (Ok(a), Ok(b)) = (a.parse::<usize>(), b.parse::<usize>()) {
                    set.extend(a..=b);
                }
            }
            None => {
                if let Ok(n) = part.parse() {
                    set.insert(n);
                }
            }
        }
    }
}

/// Lines of `file` that proxyd's errors point at, and those its legacy-form and
/// non-breaking-space warnings name (forms it accepts on purpose).
fn proxyd_lines(stderr: &str, file: &str) -> BTreeSet<usize> {
    let mut set = BTreeSet::new();
    let mut in_error = false;
    for l in stderr.lines() {
        if let Some(rest) = l.strip_prefix("warning[H003]: ") {
            if let Some(i) = rest.find(" on line") {
                let after = rest[i..]
                    .trim_start_matches(" on lines ")
                    .trim_start_matches(" on line ");
                expand_ranges(after, &mut set);
            }
            continue;
        }
        if l.starts_with("error[") || l.starts_with("warning[H109]") {
            in_error = true;
            continue;
        }
        if in_error {
            if let Some(loc) = l.trim_start().strip_prefix("--> ") {
                if let Some(rest) = loc.strip_prefix(&format!("{file}:")) {
                    if let Some(n) = rest.split(':').next().and_then(|n| n.parse().ok()) {
                        set.insert(n);
                    }
                }
            }
            if l.trim_start().starts_with("-->") || l.is_empty() {
                in_error = false;
            }
        }
    }
    set
}

#[test]
fn proxyd_c_matches_haproxy_c() {
    assert!(
        have("haproxy"),
        "haproxy is not installed (the README test command installs it)"
    );
    let proxyd = binary("proxyd");
    let proxyd = proxyd.to_str().unwrap();
    let root = repo_root();
    let mut cases = Vec::new();
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
    assert!(
        cases.len() >= 50,
        "expected the seed configs and 40+ cases, found {}",
        cases.len()
    );
    let mut problems = Vec::new();
    let (mut accepted, mut rejected, mut legacy, mut cannot_run) = (0, 0, 0, 0);
    for (dir, file) in &cases {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let env = directive(&text, "# run-env:");
        let args = directive(&text, "# run-args:");
        let (h, herr) = run(dir, "haproxy", file, &env, &args);
        let (p, perr) = run(dir, proxyd, file, &env, &args);
        if let Some((_, eh, ep, why)) = DELIBERATE.iter().find(|d| d.0 == file) {
            if (h, p) != (*eh, *ep) {
                problems.push(format!(
                    "{file}: documented difference changed: haproxy {h} proxyd {p} ({why})"
                ));
            }
            continue;
        }
        let show = |s: &str| {
            s.lines()
                .filter(|l| {
                    l.starts_with("error[") || l.starts_with("[ALERT]") || l.contains("-->")
                })
                .take(8)
                .collect::<Vec<_>>()
                .join("\n    ")
        };
        let listed = CANNOT_RUN_YET.iter().any(|(f, _)| f == file);
        match h {
            0 | 2 if p == 1 && listed && only_refusals(&perr) => {
                accepted += 1;
                cannot_run += 1;
            }
            0 | 2 if p == 1 && only_refusals(&perr) => {
                accepted += 1;
                problems.push(format!(
                    "{file}: HAProxy accepts it and proxyd now refuses it as not runnable (not in CANNOT_RUN_YET)\n    {}",
                    show(&perr)
                ));
            }
            0 | 2 if listed => {
                accepted += 1;
                problems.push(format!(
                    "{file}: listed in CANNOT_RUN_YET but proxyd -c gives {p}: take it off the list if it runs now\n    {}",
                    show(&perr)
                ));
            }
            0 | 2 => {
                accepted += 1;
                if p != h {
                    problems.push(format!(
                        "{file}: haproxy {h}, proxyd {p}\n    {}",
                        show(&perr)
                    ));
                }
            }
            1 => {
                rejected += 1;
                if p == 1 {
                    let want = haproxy_lines(&herr, file);
                    let have = proxyd_lines(&perr, file);
                    if !want.is_subset(&have) {
                        problems.push(format!(
                            "{file}: both reject, but proxyd does not name lines {:?} (names {:?})\n    haproxy: {}\n    proxyd: {}",
                            want.difference(&have).collect::<Vec<_>>(),
                            have,
                            show(&herr),
                            show(&perr)
                        ));
                    }
                } else if perr.contains("warning[H109]") || perr.contains("warning[H003]") {
                    legacy += 1;
                } else {
                    problems.push(format!("{file}: haproxy rejects, proxyd {p} without a legacy warning\n    haproxy: {}\n    proxyd: {}", show(&herr), show(&perr)));
                }
            }
            other => problems.push(format!("{file}: haproxy exited {other}")),
        }
    }
    eprintln!(
        "{} configs: haproxy accepts {accepted} ({cannot_run} refused by proxyd as not runnable yet), rejects {rejected} ({legacy} accepted by proxyd as legacy forms)",
        cases.len()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
