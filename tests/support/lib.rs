//! Shared helpers for the end-to-end tests: locating the built binaries, and network
//! namespaces that are always deleted, also when a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// A binary built by `cargo build` (debug profile unless E2E_PROFILE says otherwise).
pub fn binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let profile = std::env::var("E2E_PROFILE").unwrap_or_else(|_| "debug".into());
    let p = target.join(profile).join(name);
    assert!(
        p.exists(),
        "{} not found: run `cargo build --workspace --bins` first (the README test command does)",
        p.display()
    );
    p
}

/// Whether we run in CI, where a test that cannot set up its namespace must fail.
pub fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// Returns false (and says so loudly) when namespaces cannot be used outside CI;
/// panics in CI.
pub fn netns_available() -> bool {
    let ok = nix_is_root()
        && Command::new("ip")
            .args(["netns", "list"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
    if !ok {
        let msg = "network namespaces unavailable (need root and iproute2)";
        if in_ci() {
            panic!("{msg}: this test must run in CI");
        }
        eprintln!("\n!!!!! SKIPPED: {msg} !!!!!\n");
    }
    ok
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Whether a program is on PATH.
pub fn have(prog: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {prog}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A network namespace deleted on drop (which also deletes its veths).
pub struct Netns {
    pub name: String,
}

impl Netns {
    pub fn new(prefix: &str) -> Netns {
        let name = format!(
            "{prefix}{}x{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        run_ok("ip", &["netns", "add", &name]);
        let ns = Netns { name };
        ns.exec_ok("ip", &["link", "set", "lo", "up"]);
        ns
    }

    /// Add a veth pair with both ends inside the namespace; `ifname` is brought up.
    pub fn add_veth(&self, ifname: &str) {
        let peer = format!("{}p", ifname);
        self.exec_ok(
            "ip",
            &["link", "add", ifname, "type", "veth", "peer", "name", &peer],
        );
        self.exec_ok("ip", &["link", "set", ifname, "up"]);
        self.exec_ok("ip", &["link", "set", &peer, "up"]);
    }

    pub fn exec(&self, prog: &str, args: &[&str]) -> Output {
        let mut full = vec!["netns", "exec", &self.name, prog];
        full.extend_from_slice(args);
        Command::new("ip")
            .args(&full)
            .stdin(std::process::Stdio::null())
            .output()
            .expect("run ip netns exec")
    }

    pub fn exec_ok(&self, prog: &str, args: &[&str]) -> Output {
        let out = self.exec(prog, args);
        assert!(
            out.status.success(),
            "{prog} {args:?} in {} failed: {}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

fn run_ok(prog: &str, args: &[&str]) {
    let out = Command::new(prog).args(args).output().expect("run");
    assert!(
        out.status.success(),
        "{prog} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Exit code, with death by signal N reported as 128+N like a shell does.
pub fn exit_code(out: &Output) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    out.status
        .code()
        .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0))
}
