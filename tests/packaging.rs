//! The packages and units of `packaging/`: `systemd-analyze verify` finds nothing to say
//! about the units (the daemons' and the compat packages'); `packaging/build-deb.sh`
//! builds a .deb per daemon from this checkout with the binary, the unit, its
//! /etc/default file (a conffile), manual pages (the daemon's and its keyword reference),
//! completions (vrrpd), copyright and changelog, the workspace's version, and the two
//! compat packages; lintian reports no error (it also reads the manual pages). And the point of the compat
//! package: seed 000's unchanged keepalived.conf, whose check is `killall -0 haproxy`,
//! tracks proxyd installed as `haproxy` (the VIP moves when it dies).
#![allow(clippy::unwrap_used, clippy::expect_used)]
// End-to-end tests measure real time.
#![allow(clippy::disallowed_methods)]

use e2e::{binary, have, in_ci, netns_available, repo_root, wait_for, Lan, Scratch};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

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
    let cargo = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let version = cargo
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap()
        .to_string();
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
        let (man, conf) = if name == "vrrpd" {
            ("man8/vrrpd.8.gz", "man5/vrrpd.conf.5.gz")
        } else {
            ("man1/proxyd.1.gz", "man5/proxyd.cfg.5.gz")
        };
        let mut want = vec![
            format!("./usr/sbin/{name}"),
            format!("./lib/systemd/system/{name}.service"),
            format!("./etc/default/{name}"),
            format!("./usr/share/doc/{name}/copyright"),
            format!("./usr/share/man/{man}"),
            format!("./usr/share/man/{conf}"),
        ];
        if name == "vrrpd" {
            want.push("./usr/share/bash-completion/completions/vrrpd".into());
        }
        for f in want {
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

/// Seed 000's pair with its unchanged keepalived.conf (`killall -0 haproxy`, weight 2;
/// lb01 priority 100, lb02 99) and proxyd run as the compat package installs it,
/// `/usr/sbin/haproxy` -> `proxyd` (from the packages, unpacked). Each node has its own
/// network and PID namespace, with a shell as its init. lb01's proxy is killed: its check fails, lb01 drops to
/// 100 below lb02's 101, and lb02 takes the VIP.
#[test]
fn seed000_check_tracks_proxyd_installed_as_haproxy() {
    if !netns_available() {
        return;
    }
    assert!(have("killall"), "seed 000's check needs killall (psmisc)");
    assert!(
        nix::unistd::User::from_name("haproxy")
            .ok()
            .flatten()
            .is_some(),
        "seed 000 runs as user haproxy: install the haproxy package (tests/run.sh does)"
    );
    let root = Scratch::new("compat-root");
    extract(deb("proxyd"), &root);
    extract(deb("proxyd-haproxy-compat"), &root);
    let haproxy = root.join("usr/sbin/haproxy");
    let lan = Lan::new(
        "pk",
        &[("eth0", "192.168.10.1/24"), ("eth0", "192.168.10.2/24")],
    );
    let (lb01, lb02) = (&lan.nodes[0], &lan.nodes[1]);
    let dir = Scratch::new("compat-pair");
    let kconf = repo_root().join("conf-examples/keepalived");
    let hconf = repo_root().join("conf-examples/haproxy/seed000.runnable.cfg");
    let nodes: Vec<e2e::Daemon> = ["lb01", "lb02"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let script = format!(
                "{h} -db -f {c} > {d}/{name}-proxy.log 2>&1 & {v} -n -l -f {k} & wait",
                h = haproxy.display(),
                c = hconf.display(),
                d = dir.display(),
                v = binary("vrrpd").display(),
                k = kconf.join(format!("seed000-{name}.conf")).display()
            );
            lan.nodes[i].spawn_pidns("sh", &["-c", &script], &dir.join(format!("{name}.log")))
        })
        .collect();
    let logs = || {
        ["lb01", "lb02", "lb01-proxy", "lb02-proxy"]
            .iter()
            .map(|f| {
                format!(
                    "{f}:\n{}\n",
                    std::fs::read_to_string(dir.join(format!("{f}.log"))).unwrap_or_default()
                )
            })
            .collect::<String>()
    };
    const VIP: &str = "192.168.10.3";
    assert!(
        wait_for(10.0, || lb01.has_addr("eth0", VIP)).is_some(),
        "lb01 did not take the VIP\n{}",
        logs()
    );
    // Both checks pass (each node's own `haproxy`): lb01 102, lb02 101; lb01 keeps it.
    std::thread::sleep(std::time::Duration::from_secs(3));
    assert!(
        lb01.has_addr("eth0", VIP) && !lb02.has_addr("eth0", VIP),
        "{}",
        logs()
    );
    // Kill lb01's proxy, known to the node as `haproxy`.
    // The node's first process is a shell that reaps what dies, as an init does (a dead
    // proxy left unreaped would still be found by `killall -0`).
    let init = nodes[0].inner_pid().expect("lb01's first process");
    let proxies = e2e::children_named(init, "haproxy");
    assert_eq!(proxies.len(), 1, "lb01's haproxy: {proxies:?}\n{}", logs());
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(proxies[0] as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
    // The check runs every 2 s; then lb02 waits out its master-down interval.
    let moved = wait_for(9.0, || lb02.has_addr("eth0", VIP));
    assert!(moved.is_some(), "the VIP did not move\n{}", logs());
    eprintln!(
        "VIP on lb02 {:.2} s after lb01's haproxy (proxyd) died",
        moved.unwrap_or(0.0)
    );
    drop(nodes);
}

/// The .rpm packages, built once.
fn rpms() -> &'static (Scratch, Vec<PathBuf>) {
    static BUILT: OnceLock<(Scratch, Vec<PathBuf>)> = OnceLock::new();
    BUILT.get_or_init(|| build("build-rpm.sh", "rpms"))
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
/// /usr/lib/systemd/system, options in /etc/sysconfig as configuration); rpmlint reports
/// no error but `no-signature` (packages built from a checkout are not signed: that is
/// the release key's job).
#[test]
fn rpm_packages_build_and_rpmlint_finds_no_error() {
    if !have("rpmbuild") {
        assert!(!in_ci(), "rpmbuild is missing (tests/run.sh installs rpm)");
        eprintln!("SKIPPED: rpmbuild is not installed");
        return;
    }
    let cargo = std::fs::read_to_string(repo_root().join("Cargo.toml")).unwrap();
    let version = cargo
        .lines()
        .find_map(|l| l.strip_prefix("version = \""))
        .and_then(|v| v.strip_suffix('"'))
        .unwrap()
        .to_string();
    assert_eq!(rpms().1.len(), 2, "{:?}", rpms().1);
    for (name, man) in [
        ("vrrpd", "/usr/share/man/man8/vrrpd.8.gz"),
        ("proxyd", "/usr/share/man/man1/proxyd.1.gz"),
    ] {
        let rpm = rpms()
            .1
            .iter()
            .find(|p| {
                p.file_name()
                    .and_then(|f| f.to_str())
                    .is_some_and(|f| f.starts_with(&format!("{name}-")))
            })
            .unwrap_or_else(|| panic!("no {name} rpm"));
        assert_eq!(
            rpm_query(rpm, &["--queryformat", "%{NAME} %{VERSION}-%{RELEASE}"]),
            format!("{name} {version}-1")
        );
        let files = rpm_query(rpm, &["-l"]);
        for f in [
            format!("/usr/sbin/{name}"),
            format!("/usr/lib/systemd/system/{name}.service"),
            format!("/etc/sysconfig/{name}"),
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
    }
    if !have("rpmlint") {
        assert!(!in_ci(), "rpmlint is missing (tests/run.sh installs it)");
        eprintln!("SKIPPED: rpmlint is not installed");
        return;
    }
    let lint = Command::new("rpmlint").args(&rpms().1).output().unwrap();
    let said = String::from_utf8_lossy(&lint.stdout).into_owned();
    eprintln!("rpmlint:\n{said}");
    let errors: Vec<&str> = said
        .lines()
        .filter(|l| l.contains(": E: ") && !l.ends_with(": E: no-signature"))
        .collect();
    assert!(errors.is_empty(), "rpmlint errors:\n{}", errors.join("\n"));
}

/// A Debian 12 root built by mmdebstrap and booted by systemd-nspawn (its own network,
/// `eth0` a veth whose peer sits in a namespace of the test's).
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
        c.lan.exec_ok(
            "ip",
            &[
                "link", "add", "lanA", "type", "veth", "peer", "name", "ctrB",
            ],
        );
        c.lan
            .exec_ok("ip", &["link", "set", "ctrB", "netns", &c.init.to_string()]);
        c.lan
            .exec_ok("ip", &["addr", "add", "192.168.10.50/24", "dev", "lanA"]);
        c.lan.exec_ok("ip", &["link", "set", "lanA", "up"]);
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

    /// Whether a command inside succeeds.
    fn ok(&self, args: &[&str]) -> bool {
        Command::new("nsenter")
            .args(["-t", &self.init.to_string(), "-a", "--"])
            .args(args)
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

    /// `systemctl status` of both services, on stderr and appended to
    /// target/container-status.log (the README test command prints it: a passing test's
    /// output is not shown).
    fn status(&self, what: &str) {
        let text = format!(
            "== {what}: systemctl status vrrpd proxyd\n{}\n",
            self.run(&[
                "systemctl",
                "status",
                "--no-pager",
                "--lines=5",
                "vrrpd",
                "proxyd"
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

/// Seed 000's configs in /etc, the packages installed, `systemctl enable --now`, the VIP
/// up and proxyd serving it, `systemctl reload` with a changed config and with a broken
/// one (the service stays and keeps serving), `stop` (the VIPs go), then removal.
fn service_cycle(c: &Container, install: &[&str], remove: &[&str]) {
    let kconf = c.path("/etc/keepalived/keepalived.conf");
    let hconf = c.path("/etc/haproxy/haproxy.cfg");
    std::fs::create_dir_all(kconf.parent().unwrap()).unwrap();
    std::fs::create_dir_all(hconf.parent().unwrap()).unwrap();
    let seed_k = repo_root().join("conf-examples/keepalived/seed000-lb01.conf");
    let seed_h = repo_root().join("conf-examples/haproxy/seed000.runnable.cfg");
    std::fs::copy(&seed_k, &kconf).unwrap();
    std::fs::copy(&seed_h, &hconf).unwrap();
    let out = c.run(install);
    assert!(
        c.ok(&["test", "-x", "/usr/sbin/proxyd"]),
        "{install:?}: {out}"
    );
    let out = c.run(&["systemctl", "enable", "--now", "vrrpd", "proxyd"]);
    let up = wait_for(10.0, || {
        c.has_vip("192.168.10.3") && c.http("/haproxy_stats") == Some(200)
    });
    c.status("enabled and started");
    assert!(up.is_some(), "no VIP or no stats page: {out}");

    // vrrpd: a second VIP on reload; a broken file is not loaded, the service stays.
    let k = std::fs::read_to_string(&seed_k).unwrap();
    let two = k.replace("192.168.10.3\n", "192.168.10.3\n        192.168.10.4\n");
    std::fs::write(&kconf, &two).unwrap();
    assert!(c.ok(&["systemctl", "reload", "vrrpd"]));
    assert!(wait_for(5.0, || c.has_vip("192.168.10.4")).is_some());
    std::fs::write(&kconf, two.clone() + "broken {\n").unwrap();
    let _ = c.ok(&["systemctl", "reload", "vrrpd"]);
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(c.ok(&["systemctl", "is-active", "vrrpd"]));
    assert!(c.has_vip("192.168.10.3") && c.has_vip("192.168.10.4"));
    let journal = c.run(&["journalctl", "-u", "vrrpd", "--no-pager"]);
    assert!(journal.contains("keeping the running one"), "{journal}");

    // proxyd: a reload checks, then restarts on the new file; a broken one is refused.
    let h = std::fs::read_to_string(&seed_h).unwrap();
    let moved = h.replace("stats uri /haproxy_stats", "stats uri /lb_stats");
    std::fs::write(&hconf, &moved).unwrap();
    assert!(c.ok(&["systemctl", "reload", "proxyd"]));
    assert!(
        wait_for(5.0, || c.http("/lb_stats") == Some(200)).is_some(),
        "{}",
        c.run(&["journalctl", "-u", "proxyd", "--no-pager", "-n", "20"])
    );
    std::fs::write(&hconf, moved + "bogus_keyword x\n").unwrap();
    assert!(
        !c.ok(&["systemctl", "reload", "proxyd"]),
        "a broken configuration was reloaded"
    );
    std::thread::sleep(std::time::Duration::from_secs(1));
    assert!(c.ok(&["systemctl", "is-active", "proxyd"]));
    assert_eq!(c.http("/lb_stats"), Some(200));
    c.status("after the reloads (a broken file refused by each)");

    assert!(c.ok(&["systemctl", "stop", "vrrpd", "proxyd"]));
    assert!(!c.has_vip("192.168.10.3") && !c.has_vip("192.168.10.4"));
    let out = c.run(remove);
    assert!(
        !c.path("/usr/sbin/proxyd").exists() && !c.path("/usr/sbin/vrrpd").exists(),
        "{remove:?}: {out}"
    );
}

/// The .deb and the .rpm installed in a booted Debian 12 container, each through the
/// whole service cycle.
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
    for p in [deb("vrrpd"), deb("proxyd")] {
        std::fs::copy(p, pk.join(p.file_name().unwrap())).unwrap();
    }
    service_cycle(
        &c,
        &[
            "sh",
            "-c",
            "dpkg -i /var/tmp/pk/vrrpd_*.deb /var/tmp/pk/proxyd_*.deb",
        ],
        &["dpkg", "--purge", "vrrpd", "proxyd"],
    );
    if !have("rpmbuild") {
        assert!(!in_ci(), "rpmbuild is missing");
        return;
    }
    for p in &rpms().1 {
        std::fs::copy(p, pk.join(p.file_name().unwrap())).unwrap();
    }
    service_cycle(
        &c,
        &[
            "sh",
            "-c",
            "rpm -i --dbpath /var/lib/rpm --nodeps /var/tmp/pk/*.rpm",
        ],
        &["rpm", "-e", "--dbpath", "/var/lib/rpm", "vrrpd", "proxyd"],
    );
}
