//! Checks of the configuration against this host, as keepalived does them under `-t`:
//! interfaces exist, script files exist, users exist, the SMTP server resolves.

use conf_diag::{Diagnostic, Diagnostics, Span};
use keepalived_conf::codes;
use keepalived_conf::model::{Command, Config};
use std::net::ToSocketAddrs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// What the host looks like; a trait so the checks can be tested without a real host.
pub trait Host {
    fn interface_exists(&self, name: &str) -> bool;
    fn user_uid(&self, name: &str) -> Option<u32>;
    fn file_mode(&self, path: &Path) -> Option<u32>;
    fn resolves(&self, host: &str, port: u16) -> bool;
    fn path_dirs(&self) -> Vec<PathBuf>;
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
    fn file_mode(&self, path: &Path) -> Option<u32> {
        let md = std::fs::metadata(path).ok()?;
        md.is_file().then(|| md.permissions().mode())
    }
    fn resolves(&self, host: &str, port: u16) -> bool {
        (host, port)
            .to_socket_addrs()
            .map(|mut a| a.next().is_some())
            .unwrap_or(false)
    }
    fn path_dirs(&self) -> Vec<PathBuf> {
        let path =
            std::env::var_os("PATH").unwrap_or_else(|| "/usr/sbin:/usr/bin:/sbin:/bin".into());
        std::env::split_paths(&path).collect()
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
    let script_root = script_user_is_root(cfg, host, diags, &mut report);
    for sc in &cfg.scripts {
        let Some(cmd) = &sc.script else { continue };
        if !program_ok(cmd, host, diags, true, cfg.global.enable_script_security) {
            report.disabled_scripts.push(sc.name.clone());
        }
    }
    for cmd in cfg.notify_commands() {
        program_ok(cmd, host, diags, false, cfg.global.enable_script_security);
    }
    // keepalived counts every runnable vrrp_script here, tracked or not.
    let any_scripts = cfg
        .scripts
        .iter()
        .any(|s| s.script.is_some() && !report.disabled_scripts.contains(&s.name))
        || keepalived_conf::compat::has_notify_scripts(cfg);
    if any_scripts && !cfg.global.enable_script_security && script_root {
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

fn interfaces(cfg: &Config, host: &dyn Host, diags: &mut Diagnostics) {
    let mut missing = |name: &str, span: Option<Span>, what: String| {
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
        if let Some(ifname) = &vi.interface {
            missing(
                ifname,
                vi.interface_span.or(Some(vi.span)),
                format!("vrrp_instance {}", vi.name),
            );
        }
        for t in &vi.track_interfaces {
            missing(
                &t.name,
                Some(t.span),
                format!("track_interface of {}", vi.name),
            );
        }
        for v in vi.vips.iter().chain(vi.vips_excluded.iter()) {
            if let Some(dev) = &v.dev {
                missing(dev, Some(v.span), format!("dev of {}", v.addr));
            }
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

/// Checks a command's program; returns false if it cannot run at all.
fn program_ok(
    cmd: &Command,
    host: &dyn Host,
    diags: &mut Diagnostics,
    is_check: bool,
    secure: bool,
) -> bool {
    let Some(prog) = cmd.argv.first() else {
        return false;
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
    match found {
        None => {
            let code = if is_check {
                codes::SCRIPT_MISSING
            } else {
                codes::NOTIFY_MISSING
            };
            let d = if is_check {
                Diagnostic::warning(
                    code,
                    format!("script `{prog}` not found; this check is disabled"),
                )
            } else {
                Diagnostic::warning(code, format!("notify script `{prog}` not found"))
            };
            diags.push(
                d.at(cmd.span)
                    .label("no such file")
                    .help("create the script (and make it executable), or fix the path"),
            );
            !is_check
        }
        Some((path, mode)) => {
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
                return false;
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
            true
        }
    }
}
