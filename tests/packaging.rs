//! The packages and units of `packaging/`: `systemd-analyze verify` finds nothing to say
//! about the units (the daemons' and the compat packages'); `packaging/build-deb.sh`
//! builds a .deb per daemon from this checkout with the binary, the unit, its
//! /etc/default file (a conffile), manual pages (the daemon's and its keyword reference),
//! completions, the default configuration, copyright and changelog, the workspace's
//! version, and the two compat packages; lintian reports no error (it also reads the
//! manual pages); the .rpm packages likewise with rpmlint. The container test installs
//! them in a booted Debian 12 and runs them under systemd, the compat packages in seed
//! 000's pair: its unchanged `killall -0 haproxy` check tracks proxyd installed as
//! `haproxy` (the VIP moves when it stops).
#![allow(clippy::unwrap_used, clippy::expect_used)]
// End-to-end tests measure real time.
#![allow(clippy::disallowed_methods)]

use e2e::{binary, have, in_ci, netns_available, repo_root, wait_for, Scratch};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The workspace's version (Cargo.toml), which the packages carry.
fn version() -> String {
    let cargo = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    cargo
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap()
        .to_string()
}

/// Run a package build script (debug binaries) into a new directory: the packages it
/// made.
fn build(script: &str, tag: &str) -> (Scratch, Vec<PathBuf>) {
    let out = Scratch::new(tag);
    let run = Command::new("sh")
        .arg(repo_root().join("packaging").join(script))
        .env("PROFILE", "debug")
        .env("OUT", out.to_str().unwrap())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "packaging/{script} failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let made = String::from_utf8_lossy(&run.stdout)
        .lines()
        .map(PathBuf::from)
        .collect();
    (out, made)
}

/// The .deb packages, built once for all the tests of this file.
fn debs() -> &'static (Scratch, Vec<PathBuf>) {
    static BUILT: OnceLock<(Scratch, Vec<PathBuf>)> = OnceLock::new();
    BUILT.get_or_init(|| build("build-deb.sh", "debs"))
}

fn deb(name: &str) -> &'static Path {
    debs()
        .1
        .iter()
        .find(|p| {
            p.file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with(&format!("{name}_")))
        })
        .unwrap_or_else(|| panic!("no {name} package in {:?}", debs().1))
}

/// `systemd-analyze verify` of `units` in a root holding the binaries where the units
/// name them, and the system's own units (for the targets they refer to).
fn verify(units: &[(&str, PathBuf)]) {
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
    std::os::unix::fs::symlink("vrrpd", root.join("usr/sbin/keepalived")).unwrap();
    std::os::unix::fs::symlink("proxyd", root.join("usr/sbin/haproxy")).unwrap();
    std::fs::copy("/bin/kill", root.join("bin/kill")).unwrap();
    let st = Command::new("cp")
        .args(["-r", "/usr/lib/systemd/system"])
        .arg(root.join("usr/lib/systemd/"))
        .status()
        .unwrap();
    assert!(st.success());
    let mut paths = Vec::new();
    for (name, from) in units {
        let to = root.join("etc/systemd/system").join(name);
        std::fs::copy(from, &to).unwrap();
        paths.push(to);
    }
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(format!("--root={}", root.display()))
        .args(&paths)
        .output()
        .unwrap();
    // verify exits 0 for unknown keys and bad values too: any message is a finding.
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
}

#[test]
fn units_verify_clean() {
    let dir = repo_root().join("packaging/systemd");
    verify(&[
        ("vrrpd.service", dir.join("vrrpd.service")),
        ("proxyd.service", dir.join("proxyd.service")),
    ]);
}

/// The default configurations the packages install where none exists run as they are:
/// proxyd -c and vrrpd -t accept them, and so do HAProxy and keepalived (they are meant
/// as a start for people who know those).
#[test]
fn default_configs_are_accepted_by_ours_and_the_originals() {
    let dir = repo_root().join("packaging/config");
    let cfg = dir.join("haproxy.cfg");
    let conf = dir.join("keepalived.conf");
    let run = |prog: &Path, args: &[&str], file: &Path| {
        let out = Command::new(prog).args(args).arg(file).output().unwrap();
        assert!(
            out.status.success(),
            "{} {args:?} {}: {}{}",
            prog.display(),
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&binary("proxyd"), &["-c", "-f"], &cfg);
    run(&binary("vrrpd"), &["-t", "-f"], &conf);
    for (prog, args, file) in [
        ("haproxy", ["-c", "-f"], &cfg),
        ("keepalived", ["-t", "-f"], &conf),
    ] {
        if have(prog) {
            run(Path::new(prog), &args, file);
        } else {
            assert!(!in_ci(), "{prog} is missing (tests/run.sh installs it)");
        }
    }
}

/// proxyd's bash completion, as the packages install it, completes HAProxy's options
/// and files after -f.
#[test]
fn proxyd_bash_completion_completes() {
    let out = Command::new(binary("proxyd"))
        .args(["--generate-completion", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let dir = Scratch::new("compl");
    let script = dir.join("proxyd");
    std::fs::write(&script, &out.stdout).unwrap();
    std::fs::write(dir.join("site.cfg"), "").unwrap();
    let complete = |words: &str| {
        let line = format!(
            "source {s}; cd {d}; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}}-1)); \
             _proxyd; printf '%s\\n' \"${{COMPREPLY[@]}}\" | sort | tr '\\n' ' '",
            s = script.display(),
            d = dir.display()
        );
        let out = Command::new("bash").args(["-c", &line]).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(complete("proxyd -d"), "-d -dW -db -dr");
    assert_eq!(complete("proxyd -f si"), "site.cfg");
    assert_eq!(complete("proxyd --du"), "--dump");
}

fn field(info: &str, name: &str) -> String {
    info.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{name}: ")))
        .unwrap_or("")
        .to_string()
}

fn info(deb: &Path) -> String {
    let out = Command::new("dpkg-deb")
        .arg("-I")
        .arg(deb)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn extract(deb: &Path, to: &Path) {
    let st = Command::new("dpkg-deb")
        .arg("-x")
        .arg(deb)
        .arg(to)
        .status()
        .unwrap();
    assert!(st.success(), "dpkg-deb -x {}", deb.display());
}

#[test]
fn deb_packages_build_and_lintian_finds_no_error() {
    let version = version();
    for name in ["vrrpd", "proxyd"] {
        let deb = deb(name);
        let info = info(deb);
        assert_eq!(field(&info, "Package"), name, "{info}");
        assert_eq!(field(&info, "Version"), format!("{version}-1"), "{info}");
        assert!(field(&info, "Depends").contains("libc6 (>= 2."), "{info}");
        let list = Command::new("dpkg-deb")
            .arg("-c")
            .arg(deb)
            .output()
            .unwrap();
        let list = String::from_utf8_lossy(&list.stdout).into_owned();
        let (man, conf, default) = if name == "vrrpd" {
            ("man8/vrrpd.8.gz", "man5/vrrpd.conf.5.gz", "keepalived.conf")
        } else {
            ("man1/proxyd.1.gz", "man5/proxyd.cfg.5.gz", "haproxy.cfg")
        };
        for f in [
            format!("./usr/sbin/{name}"),
            format!("./lib/systemd/system/{name}.service"),
            format!("./etc/default/{name}"),
            format!("./usr/share/doc/{name}/copyright"),
            format!("./usr/share/man/{man}"),
            format!("./usr/share/man/{conf}"),
            format!("./usr/share/bash-completion/completions/{name}"),
            format!("./usr/share/zsh/vendor-completions/_{name}"),
            format!("./usr/share/fish/vendor_completions.d/{name}.fish"),
            // The default configuration, which the install script copies to /etc.
            format!("./usr/share/{name}/{default}"),
        ] {
            assert!(
                list.lines().any(|l| l.ends_with(&f)),
                "{name}: {f} missing:\n{list}"
            );
        }
        let ctrl = Scratch::new("ctrl");
        let st = Command::new("dpkg-deb")
            .arg("-e")
            .arg(deb)
            .arg(ctrl.join("DEBIAN"))
            .status()
            .unwrap();
        assert!(st.success());
        let cf = std::fs::read_to_string(ctrl.join("DEBIAN/conffiles")).unwrap();
        let mut want = vec![format!("/etc/default/{name}")];
        if name == "proxyd" {
            want.push("/etc/logrotate.d/proxyd".into());
            want.push("/etc/rsyslog.d/49-proxyd.conf".into());
        }
        want.sort();
        assert_eq!(cf.lines().collect::<Vec<_>>(), want);
        // Only where none exists: the default is no conffile, the install script copies
        // it; a purge removes it if unedited.
        let postinst = std::fs::read_to_string(ctrl.join("DEBIAN/postinst")).unwrap();
        assert!(
            postinst.contains(&format!("cp /usr/share/{name}/{default} /etc/")),
            "{postinst}"
        );
        let postrm = std::fs::read_to_string(ctrl.join("DEBIAN/postrm")).unwrap();
        assert!(postrm.contains("default-config.sha256"), "{postrm}");
    }
    // The compat packages: the original's name for the command and the unit.
    let root = Scratch::new("compat");
    let mut units = Vec::new();
    for (name, orig) in [("vrrpd", "keepalived"), ("proxyd", "haproxy")] {
        let pkg = format!("{name}-{orig}-compat");
        let info = info(deb(&pkg));
        for f in ["Provides", "Conflicts", "Replaces"] {
            assert_eq!(field(&info, f), orig, "{info}");
        }
        assert_eq!(
            field(&info, "Depends"),
            format!("{name} (= {version}-1)"),
            "{info}"
        );
        extract(deb(&pkg), &root);
        let link = std::fs::read_link(root.join("usr/sbin").join(orig)).unwrap();
        assert_eq!(link, Path::new(name));
        let unit = root.join(format!("lib/systemd/system/{orig}.service"));
        let text = std::fs::read_to_string(&unit).unwrap();
        assert!(
            text.contains(&format!("ExecStart=/usr/sbin/{orig} ")),
            "{text}"
        );
        assert!(
            text.contains(&format!("EnvironmentFile=-/etc/default/{orig}")),
            "{text}"
        );
        assert!(
            text.contains(&format!("Conflicts={name}.service")),
            "{text}"
        );
        units.push((format!("{orig}.service"), unit));
    }
    let units: Vec<(&str, PathBuf)> = units.iter().map(|(n, p)| (n.as_str(), p.clone())).collect();
    verify(&units);
    if !have("lintian") {
        assert!(!in_ci(), "lintian is missing (tests/run.sh installs it)");
        eprintln!("SKIPPED: lintian is not installed");
        return;
    }
    let lint = Command::new("lintian")
        .args(["--tag-display-limit", "0"])
        .args(&debs().1)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&lint.stdout).into_owned();
    eprintln!("lintian:\n{said}");
    let errors: Vec<&str> = said.lines().filter(|l| l.starts_with("E:")).collect();
    assert!(errors.is_empty(), "lintian errors:\n{}", errors.join("\n"));
}

/// The .rpm packages, built once.
fn rpms() -> &'static (Scratch, Vec<PathBuf>) {
    static BUILT: OnceLock<(Scratch, Vec<PathBuf>)> = OnceLock::new();
    BUILT.get_or_init(|| build("build-rpm.sh", "rpms"))
}

fn rpm(name: &str) -> &'static Path {
    let prefix = format!("{name}-{}-", version());
    rpms()
        .1
        .iter()
        .find(|p| {
            p.file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with(&prefix))
        })
        .unwrap_or_else(|| panic!("no {name} rpm in {:?}", rpms().1))
}

fn rpm_query(rpm: &Path, args: &[&str]) -> String {
    let out = Command::new("rpm")
        .arg("-qp")
        .args(args)
        .arg(rpm)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// rpmbuild packs the same staged files with the RPM places (units in
/// /usr/lib/systemd/system, options in /etc/sysconfig as configuration), and the compat
/// packages; rpmlint reports no error (with packaging/rpm/rpmlintrc: packages built from
/// a checkout are not signed, that is the publisher's key's job).
#[test]
fn rpm_packages_build_and_rpmlint_finds_no_error() {
    if !have("rpmbuild") {
        assert!(!in_ci(), "rpmbuild is missing (tests/run.sh installs rpm)");
        eprintln!("SKIPPED: rpmbuild is not installed");
        return;
    }
    let version = version();
    assert_eq!(rpms().1.len(), 4, "{:?}", rpms().1);
    for (name, man) in [
        ("vrrpd", "/usr/share/man/man8/vrrpd.8.gz"),
        ("proxyd", "/usr/share/man/man1/proxyd.1.gz"),
    ] {
        let rpm = rpm(name);
        assert_eq!(
            rpm_query(rpm, &["--queryformat", "%{NAME} %{VERSION}-%{RELEASE}"]),
            format!("{name} {version}-1")
        );
        let files = rpm_query(rpm, &["-l"]);
        for f in [
            format!("/usr/sbin/{name}"),
            format!("/usr/lib/systemd/system/{name}.service"),
            format!("/etc/sysconfig/{name}"),
            format!("/usr/share/bash-completion/completions/{name}"),
            man.to_string(),
        ] {
            assert!(
                files.lines().any(|l| l == f),
                "{name}: {f} missing:\n{files}"
            );
        }
        assert_eq!(
            rpm_query(rpm, &["-c"]).trim(),
            format!("/etc/sysconfig/{name}")
        );
        let scripts = rpm_query(rpm, &["--scripts"]);
        assert!(scripts.contains("default-config.sha256"), "{scripts}");
    }
    for (name, orig) in [("vrrpd", "keepalived"), ("proxyd", "haproxy")] {
        let rpm = rpm(&format!("{name}-{orig}-compat"));
        let files = rpm_query(rpm, &["-l"]);
        for f in [
            format!("/usr/sbin/{orig}"),
            format!("/usr/lib/systemd/system/{orig}.service"),
        ] {
            assert!(files.lines().any(|l| l == f), "{f} missing:\n{files}");
        }
        let provides = rpm_query(rpm, &["--provides"]);
        assert!(provides
            .lines()
            .any(|l| l.starts_with(&format!("{orig} = "))));
        assert_eq!(rpm_query(rpm, &["--conflicts"]).trim(), orig);
        let requires = rpm_query(rpm, &["--requires"]);
        assert!(
            requires.contains(&format!("{name} = {version}-1")),
            "{requires}"
        );
    }
    if !have("rpmlint") {
        assert!(!in_ci(), "rpmlint is missing (tests/run.sh installs it)");
        eprintln!("SKIPPED: rpmlint is not installed");
        return;
    }
    // The packages are built unsigned (the publisher signs them): packaging/rpm/rpmlintrc
    // says so, and filters that one finding.
    let lint = Command::new("rpmlint")
        .arg("-r")
        .arg(repo_root().join("packaging/rpm/rpmlintrc"))
        .args(&rpms().1)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&lint.stdout).into_owned();
    eprintln!("rpmlint:\n{said}");
    let errors: Vec<&str> = said.lines().filter(|l| l.contains(": E: ")).collect();
    assert!(errors.is_empty(), "rpmlint errors:\n{}", errors.join("\n"));
}

/// A Debian 12 root built by mmdebstrap and booted by systemd-nspawn (its own network:
/// `eth0`, seed 000's lb01 at 192.168.10.1, a veth whose peer is the `eth0` of a
/// namespace of the test's, lb02's place at 192.168.10.2).
struct Container {
    nspawn: std::process::Child,
    /// The container's init, as the host sees it.
    init: u32,
    root: Scratch,
    lan: e2e::Netns,
}

impl Container {
    fn boot() -> Container {
        let root = Scratch::new("ctr");
        let out = Command::new("mmdebstrap")
            .args([
                "--variant=minbase",
                "--include=systemd,systemd-sysv,dbus,iproute2,psmisc,procps,adduser,rpm",
                "bookworm",
            ])
            .arg(root.join("root"))
            .arg("http://deb.debian.org/debian")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "mmdebstrap: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let log = std::fs::File::create(root.join("nspawn.log")).unwrap();
        let name = format!("pk{}", std::process::id());
        // No D-Bus on the host: --register=no and --keep-unit, or nspawn fails.
        let nspawn = Command::new("systemd-nspawn")
            .arg("-D")
            .arg(root.join("root"))
            .args([
                "-b",
                "--register=no",
                "--keep-unit",
                "--private-network",
                "-M",
                &name,
            ])
            .stdin(std::process::Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let pid = nspawn.id();
        let lan = e2e::Netns::new("ctrlan");
        let mut c = Container {
            nspawn,
            init: 0,
            root,
            lan,
        };
        // The container's init is the child of nspawn that runs systemd (nspawn may have
        // helpers of its own at first): looked for again until the system is up.
        let mut said = String::new();
        let up = wait_for(60.0, || {
            let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                .unwrap_or_default();
            c.init = children
                .split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok())
                .find(|p| {
                    std::fs::read_to_string(format!("/proc/{p}/comm"))
                        .is_ok_and(|n| n.trim() == "systemd")
                })
                .unwrap_or(0);
            if c.init == 0 {
                return false;
            }
            said = c.run(&["systemctl", "is-system-running"]);
            matches!(said.trim(), "running" | "degraded")
        });
        assert!(
            up.is_some(),
            "not booted (init {}, is-system-running: {said:?}): {}",
            c.init,
            c.nspawn_log()
        );
        // The LAN side is lb02's place in seed 000 (its eth0, 192.168.10.2).
        c.lan.exec_ok(
            "ip",
            &[
                "link", "add", "eth0", "type", "veth", "peer", "name", "ctrB",
            ],
        );
        c.lan
            .exec_ok("ip", &["link", "set", "ctrB", "netns", &c.init.to_string()]);
        c.lan
            .exec_ok("ip", &["addr", "add", "192.168.10.2/24", "dev", "eth0"]);
        c.lan.exec_ok("ip", &["link", "set", "eth0", "up"]);
        for cmd in [
            "ip link set ctrB name eth0",
            "ip link set eth0 up",
            "ip addr add 192.168.10.1/24 dev eth0",
        ] {
            c.run(&["sh", "-c", cmd]);
        }
        c
    }

    fn nspawn_log(&self) -> String {
        std::fs::read_to_string(self.root.join("nspawn.log")).unwrap_or_default()
    }

    /// A command inside; its stdout and stderr together.
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("nsenter")
            .args(["-t", &self.init.to_string(), "-a", "--"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    }

    /// Whether a command inside succeeds (what it says on stderr is shown).
    fn ok(&self, args: &[&str]) -> bool {
        Command::new("nsenter")
            .args(["-t", &self.init.to_string(), "-a", "--"])
            .args(args)
            .stdout(std::process::Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    fn path(&self, p: &str) -> PathBuf {
        self.root.join("root").join(p.trim_start_matches('/'))
    }

    fn has_vip(&self, vip: &str) -> bool {
        self.run(&["ip", "-o", "addr", "show", "dev", "eth0"])
            .split_whitespace()
            .any(|w| w.split('/').next() == Some(vip))
    }

    /// The status of GET `path` on the VIP's port 9000 (seed 000's stats listener), from
    /// the LAN.
    fn http(&self, path: &str) -> Option<u16> {
        use std::io::{Read, Write};
        let mut s = self.lan.connect_tcp("192.168.10.3:9000").ok()?;
        s.set_read_timeout(Some(std::time::Duration::from_secs(3)))
            .ok()?;
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .ok()?;
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out.split_whitespace().nth(1)?.parse().ok()
    }

    /// `systemctl status` of the services, on stderr and appended to
    /// target/container-status.log (the README test command prints it: a passing test's
    /// output is not shown).
    fn status(&self, what: &str, units: [&str; 2]) {
        let text = format!(
            "== {what}: systemctl status {}\n{}\n",
            units.join(" "),
            self.run(&[
                "systemctl",
                "status",
                "--no-pager",
                "--lines=5",
                units[0],
                units[1]
            ])
        );
        eprint!("{text}");
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(repo_root().join("target/container-status.log"))
        {
            let _ = f.write_all(text.as_bytes());
        }
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // SIGTERM: nspawn powers the container off; then it is killed if still there.
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.nspawn.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let t0 = std::time::Instant::now();
        while t0.elapsed() < std::time::Duration::from_secs(15) {
            if let Ok(Some(_)) = self.nspawn.try_wait() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let _ = self.nspawn.kill();
        let _ = self.nspawn.wait();
    }
}

/// Seed 000's configs in /etc (put there by `configs`).
const SEED_K: &str = "conf-examples/keepalived/seed000-lb01.conf";
const SEED_H: &str = "conf-examples/haproxy/seed000.runnable.cfg";
const KCONF: &str = "/etc/keepalived/keepalived.conf";
const HCONF: &str = "/etc/haproxy/haproxy.cfg";
const VIP: &str = "192.168.10.3";

/// Put seed 000's lb01 configuration in the container's /etc.
fn seed_configs(c: &Container) {
    for (from, to) in [(SEED_K, KCONF), (SEED_H, HCONF)] {
        let to = c.path(to);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(repo_root().join(from), &to).unwrap();
    }
}

/// Install into the container with `apt install ./FILE...` (from /var/tmp/pk).
fn apt_install(c: &Container, files: &[&str]) {
    let mut args = vec![
        "env",
        "DEBIAN_FRONTEND=noninteractive",
        "apt-get",
        "install",
        "-y",
    ];
    let paths: Vec<String> = files.iter().map(|f| format!("/var/tmp/pk/{f}")).collect();
    args.extend(paths.iter().map(String::as_str));
    let out = c.run(&args);
    for f in files {
        let name = f.split('_').next().unwrap_or(f);
        assert_eq!(
            c.run(&["dpkg-query", "-W", "-f", "${Status}", name]),
            "install ok installed",
            "apt install {f}: {out}"
        );
    }
}

/// No configuration in /etc: the packages install their defaults there, which run
/// (proxyd serves its stats page on the loopback, vrrpd holds nothing); purged
/// unedited, they are removed.
fn default_config_cycle(c: &Container) {
    for f in [KCONF, HCONF] {
        assert!(!c.path(f).exists(), "{f} is there before the install");
    }
    apt_install(c, &[&debfile("vrrpd"), &debfile("proxyd")]);
    for (f, default) in [(KCONF, "keepalived.conf"), (HCONF, "haproxy.cfg")] {
        assert_eq!(
            std::fs::read(c.path(f)).unwrap_or_default(),
            std::fs::read(repo_root().join("packaging/config").join(default)).unwrap(),
            "{f} is not the default"
        );
    }
    let out = c.run(&["systemctl", "start", "vrrpd", "proxyd"]);
    let served = wait_for(10.0, || {
        c.ok(&["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8404"])
    });
    c.status("the default configurations", ["vrrpd", "proxyd"]);
    assert!(served.is_some(), "the default stats page: {out}");
    assert!(c.ok(&["systemctl", "is-active", "vrrpd"]));
    assert!(c.ok(&["systemctl", "stop", "vrrpd", "proxyd"]));
    let out = c.run(&["dpkg", "--purge", "vrrpd", "proxyd"]);
    for f in [KCONF, HCONF] {
        assert!(!c.path(f).exists(), "{f} is left after purge: {out}");
    }
}

/// The .deb file name of a package (built for this test, copied to /var/tmp/pk).
fn debfile(name: &str) -> String {
    deb(name)
        .file_name()
        .and_then(|f| f.to_str())
        .unwrap()
        .to_string()
}

/// Seed 000's configs in /etc, the packages installed (existing configuration left
/// alone), `systemctl enable --now` of `units` (vrrpd's, proxyd's), the VIP up and
/// proxyd serving it, `systemctl reload` with a changed config and with a broken one
/// (the service stays and keeps serving), `stop` (the VIPs go), then removal.
fn service_cycle(c: &Container, install: &dyn Fn(), remove: &[&str], units: [&str; 2]) {
    seed_configs(c);
    install();
    for (from, to) in [(SEED_K, KCONF), (SEED_H, HCONF)] {
        assert_eq!(
            std::fs::read(c.path(to)).unwrap(),
            std::fs::read(repo_root().join(from)).unwrap(),
            "the install changed {to}"
        );
    }
    let [vrrpd, proxyd] = units;
    let out = c.run(&["systemctl", "enable", "--now", vrrpd, proxyd]);
    let up = wait_for(10.0, || {
        c.has_vip(VIP) && c.http("/haproxy_stats") == Some(200)
    });
    c.status("enabled and started", units);
    assert!(
        up.is_some(),
        "no VIP or no stats page: {out}\n{}",
        c.run(&["journalctl", "-u", proxyd, "--no-pager", "-n", "30"])
    );

    // vrrpd: a second VIP on reload; a broken file is not loaded, the service stays.
    let kconf = c.path(KCONF);
    let k = std::fs::read_to_string(&kconf).unwrap();
    let two = k.replace("192.168.10.3\n", "192.168.10.3\n        192.168.10.4\n");
    std::fs::write(&kconf, &two).unwrap();
    assert!(c.ok(&["systemctl", "reload", vrrpd]));
    assert!(wait_for(5.0, || c.has_vip("192.168.10.4")).is_some());
    std::fs::write(&kconf, two.clone() + "broken {\n").unwrap();
    let _ = c.ok(&["systemctl", "reload", vrrpd]);
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(c.ok(&["systemctl", "is-active", vrrpd]));
    assert!(c.has_vip(VIP) && c.has_vip("192.168.10.4"));
    let journal = c.run(&["journalctl", "-u", vrrpd, "--no-pager"]);
    assert!(journal.contains("keeping the running one"), "{journal}");

    // proxyd: a reload checks the file, then the master hands over to a new worker on the
    // same sockets (requests sent all along are all answered; the master stays); a
    // broken file is refused.
    let hconf = c.path(HCONF);
    let h = std::fs::read_to_string(&hconf).unwrap();
    let moved = h.replace("stats uri /haproxy_stats", "stats uri /lb_stats");
    std::fs::write(&hconf, &moved).unwrap();
    let master = c.run(&["systemctl", "show", "-P", "MainPID", proxyd]);
    // The unit opens the master CLI, as Debian's haproxy unit does.
    if proxyd == "proxyd" {
        assert!(
            c.ok(&["test", "-S", "/run/proxyd-master.sock"]),
            "no master CLI socket: {}",
            c.run(&["journalctl", "-u", proxyd, "--no-pager", "-n", "20"])
        );
    }
    let stop = std::sync::atomic::AtomicBool::new(false);
    let (answered, lost) = std::thread::scope(|sc| {
        let load = sc.spawn(|| {
            let (mut answered, mut lost) = (0u32, 0u32);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match c.http("/") {
                    Some(_) => answered += 1,
                    None => lost += 1,
                }
            }
            (answered, lost)
        });
        std::thread::sleep(std::time::Duration::from_millis(500));
        assert!(c.ok(&["systemctl", "reload", proxyd]));
        assert!(
            wait_for(5.0, || c.http("/lb_stats") == Some(200)).is_some(),
            "{}",
            c.run(&["journalctl", "-u", proxyd, "--no-pager", "-n", "20"])
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        load.join().unwrap()
    });
    eprintln!("{proxyd} reload: {answered} requests answered, {lost} lost");
    assert!(
        answered > 10 && lost == 0,
        "{answered} answered, {lost} lost"
    );
    assert_eq!(
        c.run(&["systemctl", "show", "-P", "MainPID", proxyd]),
        master,
        "the master was replaced"
    );
    std::fs::write(&hconf, moved + "bogus_keyword x\n").unwrap();
    assert!(
        !c.ok(&["systemctl", "reload", proxyd]),
        "a broken configuration was reloaded"
    );
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(c.ok(&["systemctl", "is-active", proxyd]));
    assert_eq!(c.http("/lb_stats"), Some(200));
    c.status("after the reloads (a broken file refused by each)", units);

    assert!(c.ok(&["systemctl", "stop", vrrpd, proxyd]));
    assert!(!c.has_vip(VIP) && !c.has_vip("192.168.10.4"));
    let out = c.run(remove);
    assert!(
        !c.path("/usr/sbin/proxyd").exists() && !c.path("/usr/sbin/vrrpd").exists(),
        "{remove:?}: {out}"
    );
    // Edited configuration is the admin's: removal leaves it.
    assert!(c.path(KCONF).exists() && c.path(HCONF).exists());
}

/// The compat packages in lb01's place: seed 000's unchanged keepalived.conf runs as
/// `keepalived.service`, its `killall -0 haproxy` check finds proxyd run as
/// `haproxy.service`; `pidof haproxy` and `systemctl is-active haproxy` answer as with
/// HAProxy. lb02 (vrrpd and proxyd, also as `haproxy`, on the LAN side) is the backup:
/// stopping lb01's haproxy moves the VIP to lb02, starting it brings it back; a SIGKILLed
/// haproxy is started again by systemd.
fn compat_cycle(c: &Container) {
    seed_configs(c);
    apt_install(
        c,
        &[
            &debfile("vrrpd"),
            &debfile("proxyd"),
            &debfile("vrrpd-keepalived-compat"),
            &debfile("proxyd-haproxy-compat"),
        ],
    );
    let out = c.run(&["systemctl", "enable", "--now", "keepalived", "haproxy"]);
    let up = wait_for(10.0, || c.has_vip(VIP));
    c.status(
        "compat packages: enabled and started",
        ["keepalived", "haproxy"],
    );
    assert!(up.is_some(), "no VIP: {out}");
    for cmd in [
        "killall -0 haproxy",
        "pidof haproxy",
        "systemctl is-active haproxy",
        "systemctl is-active keepalived",
        "pidof keepalived",
    ] {
        assert!(
            c.ok(&["sh", "-c", cmd]),
            "`{cmd}` fails with the compat packages"
        );
    }
    // Its syslog lines carry keepalived's name for its VRRP process.
    let journal = c.run(&["journalctl", "-u", "keepalived", "--no-pager"]);
    assert!(journal.contains(" Keepalived_vrrp["), "{journal}");

    // lb02: the same packages' files, unpacked, in the LAN namespace's own PID namespace.
    let root = Scratch::new("lb02-root");
    extract(deb("proxyd"), &root);
    extract(deb("proxyd-haproxy-compat"), &root);
    let dir = Scratch::new("lb02");
    let script = format!(
        "{h} -db -f {c} > {d}/proxy.log 2>&1 & {v} -n -l -f {k} > {d}/vrrpd.log 2>&1 & wait",
        h = root.join("usr/sbin/haproxy").display(),
        c = repo_root().join(SEED_H).display(),
        d = dir.display(),
        v = binary("vrrpd").display(),
        k = repo_root()
            .join("conf-examples/keepalived/seed000-lb02.conf")
            .display()
    );
    let lb02 = c
        .lan
        .spawn_pidns("sh", &["-c", &script], &dir.join("sh.log"));
    let logs = || {
        format!(
            "lb02 vrrpd:\n{}\nlb01 journal:\n{}",
            std::fs::read_to_string(dir.join("vrrpd.log")).unwrap_or_default(),
            c.run(&["journalctl", "-u", "keepalived", "--no-pager", "-n", "30"])
        )
    };
    // lb01 102 (100 + its passing check), lb02 101: lb01 keeps the VIP.
    std::thread::sleep(std::time::Duration::from_secs(4));
    assert!(
        c.has_vip(VIP) && !c.lan.has_addr("eth0", VIP),
        "lb01 lost the VIP to lb02 with both checks passing\n{}",
        logs()
    );
    // haproxy stopped: the check fails within its 2 s interval, lb01 drops to 100.
    assert!(c.ok(&["systemctl", "stop", "haproxy"]));
    let moved = wait_for(10.0, || c.lan.has_addr("eth0", VIP) && !c.has_vip(VIP));
    assert!(moved.is_some(), "the VIP did not move to lb02\n{}", logs());
    eprintln!(
        "compat: VIP on lb02 {:.2} s after `systemctl stop haproxy` on lb01",
        moved.unwrap_or(0.0)
    );
    assert!(c.ok(&["systemctl", "start", "haproxy"]));
    let back = wait_for(10.0, || c.has_vip(VIP) && !c.lan.has_addr("eth0", VIP));
    assert!(back.is_some(), "the VIP did not come back\n{}", logs());
    eprintln!(
        "compat: VIP back on lb01 {:.2} s after `systemctl start haproxy`",
        back.unwrap_or(0.0)
    );
    // A crash: systemd starts haproxy again (Restart=always).
    let pid = c.run(&["systemctl", "show", "-P", "MainPID", "haproxy"]);
    assert!(c.ok(&["systemctl", "kill", "-s", "KILL", "haproxy"]));
    let restarted = wait_for(10.0, || {
        let now = c.run(&["systemctl", "show", "-P", "MainPID", "haproxy"]);
        now.trim() != pid.trim() && now.trim() != "0" && c.ok(&["killall", "-0", "haproxy"])
    });
    assert!(
        restarted.is_some(),
        "haproxy was not restarted after SIGKILL"
    );
    c.status(
        "compat packages: after the failover and back",
        ["keepalived", "haproxy"],
    );
    drop(lb02);
    assert!(c.ok(&["systemctl", "stop", "keepalived", "haproxy"]));
    assert!(!c.has_vip(VIP));
    let out = c.run(&[
        "dpkg",
        "--purge",
        "vrrpd-keepalived-compat",
        "proxyd-haproxy-compat",
        "vrrpd",
        "proxyd",
    ]);
    assert!(
        !c.path("/usr/sbin/haproxy").exists() && !c.path("/usr/sbin/proxyd").exists(),
        "{out}"
    );
}

/// The packages installed in a booted Debian 12 container: the .deb with its default
/// configurations, then through the service cycle, the compat .deb packages in a pair
/// with lb02, and the .rpm packages (the compat ones too, whose units then run the
/// service cycle).
#[test]
fn packages_install_and_run_under_systemd_in_a_container() {
    if !netns_available() {
        return;
    }
    if !(have("mmdebstrap") && have("systemd-nspawn")) {
        assert!(
            !in_ci(),
            "mmdebstrap and systemd-nspawn are needed (tests/run.sh installs them)"
        );
        eprintln!("SKIPPED: no mmdebstrap or systemd-nspawn");
        return;
    }
    let _ = std::fs::remove_file(repo_root().join("target/container-status.log"));
    let c = Container::boot();
    let pk = c.path("/var/tmp/pk");
    std::fs::create_dir_all(&pk).unwrap();
    for p in &debs().1 {
        std::fs::copy(p, pk.join(p.file_name().unwrap())).unwrap();
    }
    default_config_cycle(&c);
    service_cycle(
        &c,
        &|| apt_install(&c, &[&debfile("vrrpd"), &debfile("proxyd")]),
        &["dpkg", "--purge", "vrrpd", "proxyd"],
        ["vrrpd", "proxyd"],
    );
    compat_cycle(&c);
    if !have("rpmbuild") {
        assert!(!in_ci(), "rpmbuild is missing");
        return;
    }
    for p in &rpms().1 {
        std::fs::copy(p, pk.join(p.file_name().unwrap())).unwrap();
    }
    service_cycle(
        &c,
        &|| {
            let out = c.run(&[
                "sh",
                "-c",
                "rpm -i --dbpath /var/lib/rpm --nodeps /var/tmp/pk/*.rpm",
            ]);
            assert!(c.ok(&["test", "-x", "/usr/sbin/haproxy"]), "rpm -i: {out}");
        },
        &[
            "rpm",
            "-e",
            "--dbpath",
            "/var/lib/rpm",
            "vrrpd-keepalived-compat",
            "proxyd-haproxy-compat",
            "vrrpd",
            "proxyd",
        ],
        ["keepalived", "haproxy"],
    );
}
