//! The pure cores stay pure: no async runtime, sockets, system calls or randomness in
//! their dependency trees. (The clock ban is a clippy rule: clippy.toml, disallowed-methods.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

fn assert_pure(krate: &str) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "tree",
            "-p",
            krate,
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8_lossy(&out.stdout);
    assert!(tree.contains(krate), "{tree}");
    for banned in [
        "tokio",
        "mio",
        "libc",
        "socket2",
        "nix",
        "rand",
        "getrandom",
    ] {
        let hit = tree
            .lines()
            .any(|l| l.split_whitespace().next() == Some(banned));
        assert!(!hit, "{krate} depends on {banned}:\n{tree}");
    }
}

#[test]
fn vrrp_core_is_pure() {
    assert_pure("vrrp-core");
}

#[test]
fn proxy_core_is_pure() {
    assert_pure("proxy-core");
}

#[test]
fn config_front_ends_are_pure() {
    assert_pure("keepalived-conf");
    assert_pure("haproxy-conf");
    assert_pure("conf-diag");
}

#[test]
fn daemon_log_is_pure() {
    assert_pure("daemon-log");
}

/// `unsafe` is denied workspace-wide (Cargo.toml) and allowed in exactly one small module.
#[test]
fn unsafe_is_allowed_in_one_module_only() {
    fn walk(dir: &std::path::Path, hits: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "target") {
                    walk(&p, hits);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                if text.contains("allow(unsafe_code)") {
                    hits.push(
                        p.strip_prefix(e2e::repo_root())
                            .unwrap()
                            .display()
                            .to_string(),
                    );
                }
            }
        }
    }
    let mut hits = Vec::new();
    walk(&e2e::repo_root().join("crates"), &mut hits);
    walk(&e2e::repo_root().join("tests"), &mut hits);
    hits.retain(|h| h != "tests/purity.rs"); // this test's own text
    assert_eq!(hits, ["crates/vrrpd/src/daemon/reactor.rs"]);
    let manifest = std::fs::read_to_string(e2e::repo_root().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("unsafe_code = \"deny\""), "{manifest}");
}
