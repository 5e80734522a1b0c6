//! The command line: keepalived's flags, `-t` exit codes that need no network namespace,
//! `-d` in both forms, `-t=LOGFILE`, `-C` refused.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn vrrpd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vrrpd"))
        .args(args)
        .output()
        .unwrap()
}

/// A file in the test's own temporary directory (removed with it).
fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Uses `lo`, which exists in every namespace, so no namespace is needed.
const VALID: &str = "global_defs {\n router_id t\n}\nvrrp_instance VI_1 {\n state MASTER\n interface lo\n virtual_router_id 7\n advert_int 0.5\n version 3\n virtual_ipaddress {\n 10.7.7.7/24\n }\n}\n";

#[test]
fn valid_config_exits_0() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(&tmp, "valid.conf", VALID);
    let out = vrrpd(&["-t", "-f", f.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn missing_parameter_exits_2_and_config_error_5() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(
        &tmp,
        "missing.conf",
        &VALID.replace("advert_int 0.5", "priority"),
    );
    assert_eq!(
        vrrpd(&["-t", "-f", f.to_str().unwrap()]).status.code(),
        Some(2)
    );
    let f = write(
        &tmp,
        "range.conf",
        &VALID.replace("virtual_router_id 7", "virtual_router_id 700"),
    );
    let out = vrrpd(&["--config-test", "--use-file", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(5));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("range.conf:7:20"), "{err}");
    assert!(err.contains("must be 1..255"), "{err}");
}

#[test]
fn config_test_log_file() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(
        &tmp,
        "log.conf",
        &VALID.replace("state MASTER", "state MASTR"),
    );
    let log = f.with_extension("log");
    let arg = format!("--config-test={}", log.display());
    let out = vrrpd(&[&arg, "-f", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(5));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("did you mean `MASTER`?"), "{text}");
}

#[test]
fn dump_conf_text_and_json_show_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(
        &tmp,
        "dump.conf",
        &VALID.replace(" advert_int 0.5\n version 3\n", ""),
    );
    let out = vrrpd(&["-d", "-f", f.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("priority 255   # address owner"), "{text}");
    assert!(text.contains("advert_int 1"), "{text}");
    assert!(text.contains("garp_master_delay 5"), "{text}");
    let out = vrrpd(&["-d", "--json", "-f", f.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["instances"][0]["priority"], 255);
    assert_eq!(v["instances"][0]["advert_int_cs"], 100);
    assert_eq!(v["instances"][0]["version"], 2);
    assert_eq!(v["global"]["vrrp_garp_master_repeat"], 5);
}

#[test]
fn config_id_selects_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let text = VALID.replace(" state MASTER\n", "@lb1 state MASTER\n@^lb1 state BACKUP\n");
    let f = write(&tmp, "id.conf", &text);
    let state = |id: &str| {
        let out = vrrpd(&["-d", "--json", "-i", id, "-f", f.to_str().unwrap()]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["instances"][0]["state"].as_str().unwrap().to_string()
    };
    assert_eq!(state("lb1"), "MASTER");
    assert_eq!(state("lb2"), "BACKUP");
}

#[test]
fn all_config_makes_missing_include_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(
        &tmp,
        "inc.conf",
        &format!("include nothing-here-*.conf\n{VALID}"),
    );
    assert_eq!(
        vrrpd(&["-t", "-f", f.to_str().unwrap()]).status.code(),
        Some(0)
    );
    assert_eq!(
        vrrpd(&["-t", "-e", "-f", f.to_str().unwrap()])
            .status
            .code(),
        Some(6)
    );
}

#[test]
fn lvs_checker_is_refused_clearly() {
    let out = vrrpd(&["-C", "-f", "/dev/null"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("LVS health checker"));
}

#[test]
fn version_and_keepalived_flags_parse() {
    let tmp = tempfile::tempdir().unwrap();
    let out = vrrpd(&["-v"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("vrrpd "));
    let f = write(&tmp, "flags.conf", VALID);
    let out = vrrpd(&[
        "-t",
        "-P",
        "-D",
        "-S",
        "3",
        "-l",
        "-n",
        "-p",
        "/tmp/x.pid",
        "-r",
        "/tmp/y.pid",
        "-V",
        "-f",
        f.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `--signum=SIGFUNC` prints the numbers keepalived 2.2.7 prints (measured with it).
#[test]
fn signum_matches_keepalived() {
    for (func, n) in [
        ("STOP", "15"),
        ("RELOAD", "1"),
        ("DATA", "10"),
        ("STATS", "12"),
        ("STATS_CLEAR", "63"),
        ("JSON", "36"),
    ] {
        let out = vrrpd(&[&format!("--signum={func}")]);
        assert!(out.status.success(), "{func}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), n, "{func}");
    }
    let out = vrrpd(&["--signum=TDATA"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unknown sigfunc TDATA"));
}
