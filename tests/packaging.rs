//! The packages and units of `packaging/`: `systemd-analyze verify` finds nothing to say
//! about the units; `packaging/build-deb.sh` builds a .deb per daemon from this checkout
//! with the binary, the unit, its /etc/default file (a conffile), copyright and
//! changelog, the workspace's version, and lintian reports no error.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use e2e::{binary, have, in_ci, repo_root, Scratch};
use std::process::Command;

/// `systemd-analyze verify` in a root holding the binaries where the units name them,
/// and the system's own units (for the targets they refer to).
#[test]
fn units_verify_clean() {
    if !have("systemd-analyze") {
        assert!(!in_ci(), "systemd-analyze is missing");
        eprintln!("SKIPPED: no systemd-analyze");
        return;
    }
    let root = Scratch::new("units");
    for d in ["usr/sbin", "bin", "etc/systemd/system", "usr/lib/systemd"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    for b in ["vrrpd", "proxyd"] {
        std::fs::copy(binary(b), root.join("usr/sbin").join(b)).unwrap();
    }
    std::fs::copy("/bin/kill", root.join("bin/kill")).unwrap();
    let st = Command::new("cp")
        .args(["-r", "/usr/lib/systemd/system"])
        .arg(root.join("usr/lib/systemd/"))
        .status()
        .unwrap();
    assert!(st.success());
    let mut units = Vec::new();
    for u in ["vrrpd.service", "proxyd.service"] {
        let to = root.join("etc/systemd/system").join(u);
        std::fs::copy(repo_root().join("packaging/systemd").join(u), &to).unwrap();
        units.push(to);
    }
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(format!("--root={}", root.display()))
        .args(&units)
        .output()
        .unwrap();
    // verify exits 0 for unknown keys and bad values too: any message is a finding.
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
}

fn field(info: &str, name: &str) -> String {
    info.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{name}: ")))
        .unwrap_or("")
        .to_string()
}

#[test]
fn deb_packages_build_and_lintian_finds_no_error() {
    let out = Scratch::new("debs");
    let st = Command::new("sh")
        .arg(repo_root().join("packaging/build-deb.sh"))
        .env("PROFILE", "debug")
        .env("OUT", out.to_str().unwrap())
        .status()
        .unwrap();
    assert!(st.success(), "packaging/build-deb.sh failed");
    let cargo = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let version = cargo
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap()
        .to_string();
    let mut debs = Vec::new();
    for name in ["vrrpd", "proxyd"] {
        let deb = std::fs::read_dir(&out)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|f| f.to_str())
                    .is_some_and(|f| f.starts_with(&format!("{name}_")) && f.ends_with(".deb"))
            })
            .unwrap_or_else(|| panic!("no {name} package"));
        let info = Command::new("dpkg-deb")
            .arg("-I")
            .arg(&deb)
            .output()
            .unwrap();
        let info = String::from_utf8_lossy(&info.stdout).into_owned();
        assert_eq!(field(&info, "Package"), name, "{info}");
        assert_eq!(field(&info, "Version"), format!("{version}-1"), "{info}");
        assert!(field(&info, "Depends").contains("libc6 (>= 2."), "{info}");
        let list = Command::new("dpkg-deb")
            .arg("-c")
            .arg(&deb)
            .output()
            .unwrap();
        let list = String::from_utf8_lossy(&list.stdout).into_owned();
        for f in [
            format!("./usr/sbin/{name}"),
            format!("./lib/systemd/system/{name}.service"),
            format!("./etc/default/{name}"),
            format!("./usr/share/doc/{name}/copyright"),
        ] {
            assert!(
                list.lines().any(|l| l.ends_with(&f)),
                "{name}: {f} missing:\n{list}"
            );
        }
        let ctrl = Scratch::new("ctrl");
        let st = Command::new("dpkg-deb")
            .arg("-e")
            .arg(&deb)
            .arg(ctrl.join("DEBIAN"))
            .status()
            .unwrap();
        assert!(st.success());
        let cf = std::fs::read_to_string(ctrl.join("DEBIAN/conffiles")).unwrap();
        assert_eq!(cf.trim(), format!("/etc/default/{name}"));
        debs.push(deb);
    }
    if !have("lintian") {
        assert!(!in_ci(), "lintian is missing (tests/run.sh installs it)");
        eprintln!("SKIPPED: lintian is not installed");
        return;
    }
    let lint = Command::new("lintian")
        .args(["--tag-display-limit", "0"])
        .args(&debs)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&lint.stdout).into_owned();
    eprintln!("lintian:\n{said}");
    let errors: Vec<&str> = said.lines().filter(|l| l.starts_with("E:")).collect();
    assert!(errors.is_empty(), "lintian errors:\n{}", errors.join("\n"));
}
