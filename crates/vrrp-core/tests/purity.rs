//! vrrp-core stays pure: no async runtime, sockets, system calls or randomness in its
//! dependency tree. (The clock ban is a clippy rule: clippy.toml, disallowed-methods.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn dependency_tree_has_no_io() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "tree",
            "-p",
            "vrrp-core",
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
    assert!(tree.contains("vrrp-core"), "{tree}");
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
        assert!(!hit, "vrrp-core depends on {banned}:\n{tree}");
    }
}
