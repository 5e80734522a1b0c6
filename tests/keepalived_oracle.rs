//! `vrrpd -t` against `keepalived -t` (2.2.7 from apt) on every seed config and every
//! case of tests/keepalived-oracle/cases, both run in a network namespace that has the
//! interfaces the configs name (eth0, ens160, ens192 as veths).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, exit_code, have, netns_available, repo_root, Netns};
use std::path::PathBuf;

/// Cases where vrrpd differs from keepalived on purpose: (file, keepalived, vrrpd, why).
/// docs/keepalived-compat.md explains each.
const DELIBERATE: &[(&str, i32, i32, &str)] = &[
    (
        "023-script-user-keyword.conf",
        143,
        0,
        "keepalived 2.2.7 -t kills itself (SIGTERM) when it checks a script as a non-root user",
    ),
    (
        "120-script-user-nobody-sigterm.conf",
        143,
        0,
        "keepalived 2.2.7 -t kills itself (SIGTERM) when it checks a script as a non-root user",
    ),
    (
        "121-script-no-security-user-nobody.conf",
        143,
        0,
        "keepalived 2.2.7 -t kills itself (SIGTERM) when it checks a script as a non-root user",
    ),
    (
        "116-bfd-block.conf",
        0,
        5,
        "track_bfd is refused (error): BFD changes the priority, and vrrpd has no BFD",
    ),
    (
        "280-global-dynamic-interfaces.conf",
        0,
        5,
        "dynamic_interfaces is refused (error): instances on interfaces that do not exist yet (vrrpd refuses a missing interface)",
    ),
    (
        "281-vrrpd-announce-extension.conf",
        5,
        0,
        "vrrpd_announce is vrrpd's own keyword (docs/scale-out.md); keepalived reports it as unknown",
    ),
    (
        "seed003-node.pasted.conf",
        5,
        2,
        "vrrpd reads U+00A0 as a space, so it sees `smtp_server` with its value commented out (exit 2, as for the clean file); keepalived sees unknown keywords",
    ),
];

fn configs() -> Vec<PathBuf> {
    let root = repo_root();
    let mut v = Vec::new();
    for dir in ["tests/keepalived-oracle/cases", "conf-examples/keepalived"] {
        for e in std::fs::read_dir(root.join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "conf") {
                v.push(p);
            }
        }
    }
    v.sort();
    v
}

#[test]
fn vrrpd_t_matches_keepalived_t() {
    if !netns_available() {
        return;
    }
    assert!(
        have("keepalived"),
        "keepalived is not installed (the README test command installs it)"
    );
    let vrrpd = binary("vrrpd");
    let ns = Netns::new("kot");
    for ifname in ["eth0", "ens160", "ens192"] {
        ns.add_veth(ifname);
    }
    let tmp = tempdir();
    let pid = |n: &str| tmp.join(n).display().to_string();
    let all = configs();
    assert!(
        all.len() >= 295,
        "expected the 15 seed configs and 280 cases, found {}",
        all.len()
    );
    let mut mismatches = Vec::new();
    let mut deliberate_seen = 0;
    for conf in &all {
        let file = conf.file_name().unwrap().to_string_lossy().into_owned();
        let c = conf.display().to_string();
        let ka = ns.exec(
            "timeout",
            &[
                "20",
                "keepalived",
                "-t",
                "-f",
                &c,
                "-p",
                &pid("p"),
                "-r",
                &pid("r"),
                "-c",
                &pid("c"),
                "-b",
                &pid("b"),
            ],
        );
        let vr = ns.exec(vrrpd.to_str().unwrap(), &["-t", "-f", &c]);
        let (k, v) = (exit_code(&ka), exit_code(&vr));
        if let Some((_, ek, ev, why)) = DELIBERATE.iter().find(|d| d.0 == file) {
            deliberate_seen += 1;
            assert_eq!(
                (k, v),
                (*ek, *ev),
                "{file}: the documented difference changed ({why})"
            );
            continue;
        }
        if k != v {
            mismatches.push(format!(
                "{file}: keepalived {k}, vrrpd {v}\n  keepalived: {}\n  vrrpd: {}",
                String::from_utf8_lossy(&ka.stderr)
                    .lines()
                    .take(4)
                    .collect::<Vec<_>>()
                    .join(" | "),
                String::from_utf8_lossy(&vr.stderr)
                    .lines()
                    .take(6)
                    .collect::<Vec<_>>()
                    .join(" | ")
            ));
        }
    }
    assert_eq!(
        deliberate_seen,
        DELIBERATE.len(),
        "a documented case file is missing"
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    eprintln!("compared {} configs with keepalived -t", all.len());
}

#[test]
fn missing_config_file_is_refused() {
    // keepalived -t exits 0 for a missing -f file; vrrpd refuses with 4 (documented).
    let vrrpd = binary("vrrpd");
    let out = std::process::Command::new(vrrpd)
        .args(["-t", "-f", "/nonexistent/keepalived.conf"])
        .output()
        .unwrap();
    assert_eq!(exit_code(&out), 4);
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read configuration file"));
}

fn tempdir() -> e2e::Scratch {
    e2e::Scratch::new("kot")
}
