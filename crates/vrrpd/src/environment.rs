//! Checks of the configuration against this host, as keepalived does them under `-t`:
//! interfaces exist, script files exist, users exist, the SMTP server resolves.

use conf_diag::{Diagnostic, Diagnostics, Span};
use keepalived_conf::codes;
use keepalived_conf::model::{Command, Config, UserGroup};
use keepalived_conf::rules::{RuleAction, TableRef};
use std::net::ToSocketAddrs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// What the host looks like; a trait so the checks can be tested without a real host.
pub trait Host {
    fn interface_exists(&self, name: &str) -> bool;
    fn user_uid(&self, name: &str) -> Option<u32>;
    fn group_exists(&self, name: &str) -> bool;
    /// Mode bits of an existing path, and whether it is a regular file.
    fn file_mode(&self, path: &Path) -> Option<(u32, bool)>;
    fn resolves(&self, host: &str, port: u16) -> bool;
    fn path_dirs(&self) -> Vec<PathBuf>;
    /// A routing table's number from its name (/etc/iproute2/rt_tables).
    fn route_table(&self, name: &str) -> Option<u32>;
    /// Whether the `nft` program is there (for keepalived's accept-mode firewall).
    fn nft_available(&self) -> bool;
}

pub struct RealHost;

impl Host for RealHost {
    fn interface_exists(&self, name: &str) -> bool {
        nix::net::if_::if_nametoindex(name).is_ok()
    }
    fn user_uid(&self, name: &str) -> Option<u32> {
        nix::unistd::User::from_name(name)
            .ok()
            .flatten()
            .map(|u| u.uid.as_raw())
    }
    fn group_exists(&self, name: &str) -> bool {
        matches!(nix::unistd::Group::from_name(name), Ok(Some(_)))
    }
    fn file_mode(&self, path: &Path) -> Option<(u32, bool)> {
        let md = std::fs::metadata(path).ok()?;
        Some((md.permissions().mode(), md.is_file()))
    }
    fn resolves(&self, host: &str, port: u16) -> bool {
        (host, port)
            .to_socket_addrs()
            .map(|mut a| a.next().is_some())
            .unwrap_or(false)
    }
    fn route_table(&self, name: &str) -> Option<u32> {
        let mut files = vec![
            PathBuf::from("/etc/iproute2/rt_tables"),
            PathBuf::from("/usr/share/iproute2/rt_tables"),
        ];
        for dir in [
            "/etc/iproute2/rt_tables.d",
            "/usr/share/iproute2/rt_tables.d",
        ] {
            if let Ok(rd) = std::fs::read_dir(dir) {
                files.extend(
                    rd.flatten()
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x == "conf")),
                );
            }
        }
        files.iter().find_map(|f| {
            let text = std::fs::read_to_string(f).ok()?;
            route_table_in(&text, name)
        })
    }
    fn nft_available(&self) -> bool {
        self.path_dirs()
            .into_iter()
            .chain(["/usr/sbin".into(), "/sbin".into()])
            .any(|d| d.join("nft").is_file())
    }
    fn path_dirs(&self) -> Vec<PathBuf> {
        let path =
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/sbin:/usr/bin:/sbin:/bin".into());
        std::env::split_paths(&path).collect()
    }
}

/// `NUMBER NAME` lines of an rt_tables file.
pub fn route_table_in(text: &str, name: &str) -> Option<u32> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .find_map(|l| {
            let mut w = l.split_whitespace();
            let (id, n) = (w.next()?, w.next()?);
            (n == name).then(|| id.parse().ok()).flatten()
        })
}

impl crate::plan::PlanHost for RealHost {
    fn primary(&self, ifname: &str, v6: bool) -> Option<std::net::IpAddr> {
        crate::daemon::host::interface(ifname)?.primary(v6)
    }
    fn route_table(&self, name: &str) -> Option<u32> {
        Host::route_table(self, name)
    }
}

#[derive(Debug, Default)]
pub struct EnvReport {
    /// vrrp_scripts that cannot run here (missing file, no usable user).
    pub disabled_scripts: Vec<String>,
    /// Scripts would run as root without `enable_script_security`.
    pub unsecured_scripts: bool,
}

pub fn check(cfg: &Config, host: &dyn Host, diags: &mut Diagnostics) -> EnvReport {
    let mut report = EnvReport::default();
    interfaces(cfg, host, diags);
    smtp(cfg, host, diags);
    if let Some(vi) = cfg.instances.iter().find(|vi| !vi.accept_mode(&cfg.global)) {
        if !host.nft_available() {
            diags.push(
                Diagnostic::error(
                    codes::FIREWALL,
                    format!(
                        "vrrp_instance `{}` has no accept mode (no_accept, or vrrp_strict), which needs the `nft` program",
                        vi.name
                    ),
                )
                .at(vi.span)
                .label("traffic to the VIPs is dropped with nftables, as keepalived does")
                .help("install nftables, or write `accept` (with `version 3` under vrrp_strict)"),
            );
        }
    }
    let script_root = script_user_is_root(cfg, host, diags, &mut report);
    let secure = cfg.global.enable_script_security;
    // keepalived counts every vrrp_script whose program exists (tracked or not, even one it
    // then disables), and every notify or FIFO script whose program exists; a missing
    // program is not "a script run as root".
    let mut any_scripts = false;
    for sc in &cfg.scripts {
        let Some(cmd) = &sc.script else { continue };
        let (exists, usable) = program_ok(cmd, host, diags, Kind::Check, secure);
        any_scripts |= exists;
        let user_ok = sc.user.as_ref().is_none_or(|u| {
            let missing = if host.user_uid(&u.user).is_none() {
                Some(format!("user `{}`", u.user))
            } else {
                u.group
                    .as_ref()
                    .filter(|g| !host.group_exists(g))
                    .map(|g| format!("group `{g}`"))
            };
            if let Some(what) = &missing {
                diags.push(
                    Diagnostic::warning(
                        codes::SCRIPT_USER_MISSING,
                        format!(
                            "vrrp_script `{}` is to run as {what}, which does not exist; the check is dropped",
                            sc.name
                        ),
                    )
                    .at(sc.span)
                    .label("keepalived drops it too: the instances no longer track it")
                    .help("create the user, or name an existing one in `user`"),
                );
            }
            missing.is_none()
        });
        if !usable || !user_ok {
            report.disabled_scripts.push(sc.name.clone());
        }
    }
    let fifo_scripts = [&cfg.global.notify_fifo, &cfg.global.vrrp_notify_fifo]
        .into_iter()
        .flatten()
        .filter_map(|f| f.script.as_ref());
    for cmd in cfg.notify_commands().chain(fifo_scripts) {
        let (exists, _) = program_ok(cmd, host, diags, Kind::Notify, secure);
        any_scripts |= exists;
        if let Some(u) = &cmd.user {
            notify_user(cmd, u, host, diags);
        }
    }
    // LVS scripts (MISC_CHECK, notify_up, quorum_up, ...): vrrpd does not run them, but
    // keepalived counts the ones that exist; a missing one it passes over silently.
    any_scripts |= cfg.lvs_scripts.iter().any(|cmd| {
        cmd.argv.first().is_some_and(|prog| {
            if prog.contains('/') {
                host.file_mode(Path::new(prog)).is_some()
            } else {
                host.path_dirs()
                    .iter()
                    .any(|d| host.file_mode(&d.join(prog)).is_some())
            }
        })
    });
    if any_scripts && !secure && script_root {
        report.unsecured_scripts = true;
        diags.push(
            Diagnostic::warning(
                codes::SCRIPT_SECURITY,
                "scripts will run as root, but `enable_script_security` is not set",
            )
            .help("add `enable_script_security` and `script_user <user>` to global_defs (or create the user keepalived_script); keepalived -t exits 6 for this"),
        );
    }
    report
}

/// A notify script's own user (`notify_master SCRIPT USER [GROUP]`): keepalived does not
/// run the script when the user or group does not exist (it says so only when it starts).
fn notify_user(cmd: &Command, u: &UserGroup, host: &dyn Host, diags: &mut Diagnostics) {
    let missing = if host.user_uid(&u.user).is_none() {
        Some(format!("user `{}`", u.user))
    } else {
        u.group
            .as_ref()
            .filter(|g| !host.group_exists(g))
            .map(|g| format!("group `{g}`"))
    };
    if let Some(what) = missing {
        diags.push(
            Diagnostic::warning(
                codes::NOTIFY_USER_MISSING,
                format!(
                    "notify script `{}` is to run as {what}, which does not exist; it will not run",
                    cmd.raw
                ),
            )
            .at(cmd.span)
            .label("the words after the script are its user and group")
            .help(format!(
                "keepalived reads `SCRIPT [USER [GROUP]]`; to pass arguments, quote the whole command: \"{} {}\"",
                cmd.raw,
                u.group
                    .as_ref()
                    .map(|g| format!("{} {g}", u.user))
                    .unwrap_or_else(|| u.user.clone())
            )),
        );
    }
}

fn interfaces(cfg: &Config, host: &dyn Host, diags: &mut Diagnostics) {
    let missing = |diags: &mut Diagnostics, name: &str, span: Option<Span>, what: String| {
        if !host.interface_exists(name) {
            diags.push(
                Diagnostic::error(
                    codes::UNKNOWN_INTERFACE,
                    format!("interface `{name}` ({what}) does not exist on this host"),
                )
                .at_opt(span)
                .label("no such interface")
                .help("check the name with `ip link`; each node may name its NIC differently (eth0, ens160, ...)"),
            );
        }
    };
    for vi in &cfg.instances {
        match (&vi.interface, vi.interface_span) {
            (Some(ifname), Some(span)) => {
                missing(diags, ifname, Some(span), format!("vrrp_instance {}", vi.name))
            }
            // From default_interface: keepalived reports the instance's interface as unknown
            // (exit 5) without stopping before its other checks, as it does for a name
            // written in the instance.
            (Some(ifname), None) if !host.interface_exists(ifname) => diags.push(
                Diagnostic::error(
                    codes::MISSING_INTERFACE,
                    format!(
                        "vrrp_instance `{}`: its interface `{ifname}` (from default_interface) does not exist on this host",
                        vi.name
                    ),
                )
                .at(vi.span)
                .help("add `interface <name>` to the instance, or fix default_interface"),
            ),
            _ => {}
        }
        for t in &vi.track_interfaces {
            missing(
                diags,
                &t.name,
                Some(t.span),
                format!("track_interface of {}", vi.name),
            );
        }
        for v in vi.vips.iter().chain(vi.vips_excluded.iter()) {
            if let Some(dev) = &v.dev {
                missing(diags, dev, Some(v.span), format!("dev of {}", v.addr));
            }
        }
        for r in &vi.virtual_routes {
            if let Some(dev) = r.spec.as_ref().and_then(|s| s.dev.as_ref()) {
                missing(
                    diags,
                    dev,
                    Some(r.span),
                    format!("virtual route of {}", vi.name),
                );
            }
        }
    }
    for v in &cfg.static_addresses {
        if let Some(dev) = &v.dev {
            missing(
                diags,
                dev,
                Some(v.span),
                format!("static_ipaddress {}", v.addr),
            );
        }
    }
    for r in &cfg.static_routes {
        if let Some(dev) = r.spec.as_ref().and_then(|s| s.dev.as_ref()) {
            missing(diags, dev, Some(r.span), "static route".into());
        }
    }
    let rules = cfg
        .static_rules
        .iter()
        .chain(cfg.instances.iter().flat_map(|vi| vi.virtual_rules.iter()));
    for r in rules {
        let Some(spec) = &r.spec else { continue };
        for dev in [&spec.iif, &spec.oif].into_iter().flatten() {
            missing(diags, dev, Some(r.span), "rule".into());
        }
        if let Some(RuleAction::Table(TableRef::Name(name))) = &spec.action {
            if host.route_table(name).is_none() {
                diags.push(
                    Diagnostic::error(
                        codes::RULE_INVALID,
                        format!(
                            "rule `{}`: no routing table named `{name}`",
                            r.words.join(" ")
                        ),
                    )
                    .at(r.span)
                    .label("not in /etc/iproute2/rt_tables")
                    .help(
                        "use the table's number, or add `NUMBER NAME` to /etc/iproute2/rt_tables",
                    ),
                );
            }
        }
    }
    for g in &cfg.sync_groups {
        for t in &g.track_interfaces {
            missing(
                diags,
                &t.name,
                Some(t.span),
                format!("track_interface of sync group {}", g.name),
            );
        }
    }
}

fn smtp(cfg: &Config, host: &dyn Host, diags: &mut Diagnostics) {
    let Some(s) = &cfg.global.smtp_server else {
        return;
    };
    if s.host.contains(':') && s.host.parse::<std::net::IpAddr>().is_err() {
        return; // already reported: port written with a colon
    }
    if !host.resolves(&s.host, s.port) {
        diags.push(
            Diagnostic::warning(
                codes::SMTP_UNRESOLVED,
                format!("smtp_server `{}` does not resolve here", s.host),
            )
            .help(
                "use an IP address or a name this host can resolve; mail alerts would not be sent",
            ),
        );
    }
}

/// Whether scripts run as root; reports unusable script users.
fn script_user_is_root(
    cfg: &Config,
    host: &dyn Host,
    diags: &mut Diagnostics,
    report: &mut EnvReport,
) -> bool {
    match &cfg.global.script_user {
        Some(u) => match host.user_uid(&u.user) {
            Some(uid) => uid == 0,
            None => {
                diags.push(
                    Diagnostic::error(
                        codes::USER_MISSING,
                        format!("script_user `{}` does not exist on this host", u.user),
                    )
                    .help("create the user, or name an existing one"),
                );
                false
            }
        },
        None => match host.user_uid("keepalived_script") {
            Some(uid) => uid == 0,
            None if cfg.global.enable_script_security => {
                // keepalived refuses to pick root by itself once script security is on.
                let used = keepalived_conf::compat::scripts_in_use(cfg, &[]);
                if !used.is_empty() {
                    diags.push(
                        Diagnostic::error(
                            codes::USER_MISSING,
                            "enable_script_security is set, but there is no `script_user` and no user `keepalived_script`",
                        )
                        .help("add `script_user <user>` to global_defs, or create the user keepalived_script"),
                    );
                    report
                        .disabled_scripts
                        .extend(used.iter().map(|s| s.to_string()));
                }
                false
            }
            None => true,
        },
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A vrrp_script.
    Check,
    /// A notify or notify FIFO script.
    Notify,
}

/// Checks a command's program. Returns (the program exists, the command can run).
fn program_ok(
    cmd: &Command,
    host: &dyn Host,
    diags: &mut Diagnostics,
    kind: Kind,
    secure: bool,
) -> (bool, bool) {
    let Some(prog) = cmd.argv.first() else {
        return (false, false);
    };
    let found = if prog.contains('/') {
        host.file_mode(Path::new(prog))
            .map(|m| (PathBuf::from(prog), m))
    } else {
        host.path_dirs()
            .into_iter()
            .map(|d| d.join(prog))
            .find_map(|p| host.file_mode(&p).map(|m| (p, m)))
    };
    let is_check = kind == Kind::Check;
    match found {
        None => {
            let d = if is_check {
                Diagnostic::warning(
                    codes::SCRIPT_MISSING,
                    format!("script `{prog}` not found; this check is disabled"),
                )
            } else {
                Diagnostic::warning(
                    codes::NOTIFY_MISSING,
                    format!("notify script `{prog}` not found"),
                )
            };
            diags.push(
                d.at(cmd.span)
                    .label("no such file")
                    .help("create the script (and make it executable), or fix the path"),
            );
            (false, !is_check)
        }
        Some((path, (_, false))) if is_check => {
            // keepalived disables it ("insecure") but still counts it as a script.
            diags.push(
                Diagnostic::warning(
                    codes::SCRIPT_NOT_A_FILE,
                    format!(
                        "`{}` is not a regular file; this check is disabled",
                        path.display()
                    ),
                )
                .at(cmd.span)
                .label("a directory or special file")
                .help("point `script` at the program to run"),
            );
            (true, false)
        }
        Some((_, (_, false))) => (true, true),
        Some((path, (mode, true))) => {
            if secure && mode & 0o022 != 0 {
                diags.push(
                    Diagnostic::error(
                        codes::SCRIPT_INSECURE,
                        format!("`{}` is writable by non-root users", path.display()),
                    )
                    .at(cmd.span)
                    .label("refused under enable_script_security")
                    .help(format!("run `chmod go-w {}`", path.display())),
                );
                return (true, false);
            }
            if mode & 0o111 == 0 {
                diags.push(
                    Diagnostic::warning(
                        codes::SCRIPT_NOT_EXECUTABLE,
                        format!("`{}` is not executable", path.display()),
                    )
                    .at(cmd.span)
                    .help(format!("run `chmod +x {}`", path.display())),
                );
            }
            (true, true)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use keepalived_conf::compat::config_test_exit_code;
    use keepalived_conf::{load_str, LexOptions};

    /// eth0 and ens160 exist; /bin/true and /tmp exist; root and nobody are users.
    struct FakeHost;

    impl Host for FakeHost {
        fn interface_exists(&self, name: &str) -> bool {
            matches!(name, "eth0" | "ens160")
        }
        fn user_uid(&self, name: &str) -> Option<u32> {
            match name {
                "root" => Some(0),
                "nobody" => Some(65534),
                _ => None,
            }
        }
        fn group_exists(&self, name: &str) -> bool {
            matches!(name, "root" | "nogroup")
        }
        fn file_mode(&self, path: &Path) -> Option<(u32, bool)> {
            match path.to_str()? {
                "/bin/true" => Some((0o755, true)),
                "/tmp" => Some((0o1777, false)),
                _ => None,
            }
        }
        fn resolves(&self, _host: &str, _port: u16) -> bool {
            true
        }
        fn path_dirs(&self) -> Vec<PathBuf> {
            vec![PathBuf::from("/bin")]
        }
        fn route_table(&self, name: &str) -> Option<u32> {
            (name == "vips").then_some(100)
        }
        fn nft_available(&self) -> bool {
            true
        }
    }

    fn exit(text: &str) -> i32 {
        let mut l = load_str("t.conf", text, &LexOptions::default());
        let report = check(&l.config, &FakeHost, &mut l.diags);
        config_test_exit_code(&l.diags, report.unsecured_scripts)
    }

    fn inst(iface: &str, extra: &str) -> String {
        format!("vrrp_instance VI {{\n interface {iface}\n virtual_router_id 5\n{extra}\n virtual_ipaddress {{\n 10.0.0.1\n }}\n}}\n")
    }

    // The exit codes are keepalived 2.2.7's (tests/keepalived-oracle cases 160-178).
    #[test]
    fn missing_scripts_are_not_run_as_root() {
        assert_eq!(
            exit(&inst("eth0", " notify_master /usr/local/bin/nope.sh")),
            0
        );
        assert_eq!(exit(&inst("eth0", " notify_master nope_not_on_path")), 0);
        assert_eq!(exit(&inst("eth0", " notify_master /bin/true")), 6);
        let fifo = |s: &str| {
            format!("global_defs {{\n notify_fifo /run/x.fifo\n notify_fifo_script {s}\n}}\n")
        };
        assert_eq!(exit(&(fifo("/nope.sh") + &inst("eth0", ""))), 0);
        assert_eq!(exit(&(fifo("/bin/true") + &inst("eth0", ""))), 6);
        let chk = |s: &str| format!("vrrp_script c {{\n script \"{s}\"\n}}\n");
        let track = " track_script {\n c\n }";
        assert_eq!(exit(&(chk("/nope.sh") + &inst("eth0", track))), 5);
        // A directory is disabled, yet counted.
        assert_eq!(exit(&(chk("/tmp") + &inst("eth0", track))), 6);
        let lvs = |s: &str| {
            format!("virtual_server 10.0.0.1 80 {{\n lb_algo rr\n lb_kind NAT\n protocol TCP\n quorum_up {s}\n real_server 10.0.0.2 80 {{\n }}\n}}\n")
        };
        assert_eq!(exit(&(inst("eth0", "") + &lvs("/nope.sh"))), 0);
        assert_eq!(exit(&(inst("eth0", "") + &lvs("/bin/true"))), 6);
    }

    #[test]
    fn unknown_interface_stops_before_script_security() {
        let notify = " notify_master /bin/true";
        assert_eq!(exit(&inst("eth0", notify)), 6);
        assert_eq!(exit(&inst("eth9", notify)), 5);
        assert_eq!(
            exit(&inst(
                "eth0",
                &format!("{notify}\n track_interface {{\n eth9\n }}")
            )),
            5
        );
        assert_eq!(
            exit(&inst(
                "eth0",
                &format!("{notify}\n virtual_routes {{\n 10.5.0.0/16 via 10.0.0.254 dev eth9\n }}")
            )),
            5
        );
        // From default_interface: reported, but not the early stop.
        assert_eq!(
            exit(&format!(
                "global_defs {{\n default_interface eth9\n}}\nvrrp_instance VI {{\n virtual_router_id 5\n{notify}\n virtual_ipaddress {{\n 10.0.0.1\n }}\n}}\n"
            )),
            6
        );
    }

    #[test]
    fn notify_users_and_rule_tables() {
        let mut l = load_str(
            "t.conf",
            &inst("eth0", " notify_master /bin/true nosuchuser\n virtual_rules {\n from 10.0.0.1 table vips priority 5\n to 10.9.0.0/16 table other priority 6\n }"),
            &LexOptions::default(),
        );
        check(&l.config, &FakeHost, &mut l.diags);
        assert!(l.diags.has_code(codes::NOTIFY_USER_MISSING));
        let bad: Vec<&str> = l
            .diags
            .iter()
            .filter(|d| d.code == codes::RULE_INVALID)
            .map(|d| d.message.as_str())
            .collect();
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].contains("other"), "{bad:?}");
        assert_eq!(
            route_table_in("# x\n100 vips\n200\tb # c\n", "b"),
            Some(200)
        );
    }
}
