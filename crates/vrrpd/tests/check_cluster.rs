//! `vrrpd --check-cluster` on the seed pairs: "haproxy dies on the master" must move the VIP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../conf-examples/keepalived")
        .join(name)
}

fn cluster_json(files: &[PathBuf]) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .arg("--json")
        .arg("--check-cluster")
        .args(files)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v)
}

fn assert_moves(a: &str, b: &str, vrid: u64, script: &str, master_prio: u64, backup_prio: u64) {
    let (code, v) = cluster_json(&[example(a), example(b)]);
    assert_eq!(code, 0, "{v:#}");
    let g = &v["groups"][0];
    assert_eq!(g["vrid"], vrid);
    let master = a.trim_end_matches(".conf");
    let backup = b.trim_end_matches(".conf");
    assert_eq!(g["master"], master);
    assert_eq!(g["members"][0]["priority"], master_prio);
    assert_eq!(g["members"][1]["priority"], backup_prio);
    let s = &g["scenarios"][0];
    assert_eq!(s["script"], script);
    assert_eq!(s["fails_on"], master);
    assert_eq!(s["moves"], true);
    assert_eq!(s["new_master"], backup);
}

#[test]
fn seed000_haproxy_dies_on_master_moves_vip() {
    // 100+2 vs 99+2; the master drops to 100 < 101.
    assert_moves(
        "seed000-lb01.conf",
        "seed000-lb02.conf",
        1,
        "check_haproxy",
        102,
        101,
    );
}

#[test]
fn seed001_haproxy_dies_on_master_moves_vip_with_keepalived_caveat() {
    assert_moves(
        "seed001-master.conf",
        "seed001-backup.conf",
        101,
        "chk_haproxy",
        103,
        102,
    );
    let (_, v) = cluster_json(&[
        example("seed001-master.conf"),
        example("seed001-backup.conf"),
    ]);
    let note = v["groups"][0]["scenarios"][0]["keepalived_note"]
        .as_str()
        .unwrap();
    assert!(note.contains("shell syntax"), "{note}");
}

#[test]
fn seed002_haproxy_dies_on_master_moves_vip() {
    assert_moves(
        "seed002-lb1.conf",
        "seed002-lb2.conf",
        66,
        "chk_service_status",
        106,
        105,
    );
}

#[test]
fn weight_too_small_and_mismatches_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let node = |prio: u32, pass: &str, adv: u32| {
        format!(
            "vrrp_script chk {{\n  script \"/bin/true\"\n  weight 1\n}}\nvrrp_instance V {{\n  interface eth0\n  virtual_router_id 9\n  priority {prio}\n  advert_int {adv}\n  authentication {{\n    auth_type PASS\n    auth_pass {pass}\n  }}\n  virtual_ipaddress {{\n    10.9.9.9/24\n  }}\n  track_script {{\n    chk\n  }}\n}}\n"
        )
    };
    let a = dir.join("a.conf");
    let b = dir.join("b.conf");
    std::fs::write(&a, node(101, "one", 1)).unwrap();
    std::fs::write(&b, node(100, "two", 2)).unwrap();
    let (code, v) = cluster_json(&[a.clone(), b.clone()]);
    assert_eq!(code, 1);
    let g = &v["groups"][0];
    let findings = g["findings"].to_string();
    assert!(findings.contains("authentication differs"), "{findings}");
    assert!(findings.contains("advert_int differs"), "{findings}");
    let s = &g["scenarios"][0];
    assert_eq!(s["moves"], false);
    assert!(s["verdict"].as_str().unwrap().contains("equal priority"));
    let text = Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .arg("--check-cluster")
        .args([&a, &b])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("[PROBLEM] `chk` fails on a"));
}
