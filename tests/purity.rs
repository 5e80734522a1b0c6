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
