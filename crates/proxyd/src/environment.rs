//! Checks against this host: do server and mailer host names resolve? (HAProxy resolves them
//! at start-up and refuses to start; proxyd warns and starts the server DOWN instead.)

use conf_diag::{Diagnostic, Diagnostics};
use haproxy_conf::codes;
use haproxy_conf::model::Config;
use std::net::ToSocketAddrs;

/// Process environment variables for `"$VAR"` expansion.
pub struct ProcessEnv;

impl haproxy_conf::tokenizer::Env for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

fn resolves(host: &str) -> bool {
    (host, 0u16)
        .to_socket_addrs()
        .map(|mut a| a.next().is_some())
        .unwrap_or(false)
}

fn file_exists(path: &str, base: Option<&str>) -> bool {
    let p = match base {
        Some(b) if !path.starts_with('/') => std::path::Path::new(b).join(path),
        _ => std::path::PathBuf::from(path),
    };
    p.exists()
}

pub fn check(cfg: &Config, diags: &mut Diagnostics) {
    let g = &cfg.global;
    if let Some(u) = &g.user {
        if nix::unistd::User::from_name(u).ok().flatten().is_none() {
            diags.push(
                Diagnostic::error(
                    codes::UNKNOWN_REF,
                    format!("user `{u}` does not exist on this host"),
                )
                .at_opt(g.user_span)
                .help("create it (e.g. `useradd --system haproxy`) or name an existing user"),
            );
        }
    }
    if let Some(gr) = &g.group {
        if nix::unistd::Group::from_name(gr).ok().flatten().is_none() {
            diags.push(
                Diagnostic::error(
                    codes::UNKNOWN_REF,
                    format!("group `{gr}` does not exist on this host"),
                )
                .at_opt(g.group_span)
                .help("create it or name an existing group"),
            );
        }
    }
    if let Some(dir) = &g.chroot {
        if !std::path::Path::new(dir).is_dir() {
            diags.push(
                Diagnostic::error(codes::UNKNOWN_REF, format!("chroot directory `{dir}` does not exist"))
                    .at_opt(g.chroot_span)
                    .help("create it (empty, owned by root), or remove `chroot`; the daemon could not start without it"),
            );
        }
    }
    let mut seen = std::collections::HashSet::new();
    for p in &cfg.proxies {
        for b in &p.binds {
            for a in &b.addrs {
                use haproxy_conf::values::AddrKind;
                if matches!(a.kind, AddrKind::Fd | AddrKind::Sockpair) {
                    let n = a.path.as_deref().and_then(|v| v.parse().ok()).unwrap_or(-1);
                    if let Err(e) = crate::runtime::listen::check_inherited(n) {
                        diags.push(
                            Diagnostic::error(codes::BAD_ADDRESS, format!("bind: {e}"))
                                .at(b.span)
                                .help("fd@N takes a listening socket handed over by the parent process (systemd socket activation)"),
                        );
                    }
                }
            }
            for crt in &b.crt {
                // A bundle names `crt.rsa`, `crt.ecdsa`, `crt.dsa` beside it.
                let bundle = ["rsa", "ecdsa", "dsa"]
                    .iter()
                    .any(|x| file_exists(&format!("{crt}.{x}"), g.crt_base.as_deref()));
                if !bundle && !file_exists(crt, g.crt_base.as_deref()) {
                    diags.push(
                        Diagnostic::error(codes::UNKNOWN_REF, format!("certificate `{crt}` not found"))
                            .at(b.span)
                            .help("point `crt` at a PEM file (certificate and key), a directory of them, or a bundle (`NAME.rsa`, `NAME.ecdsa`)"),
                    );
                }
            }
        }
        for e in &p.errorfiles {
            // Inherited from defaults: report each line once.
            if !seen.insert(e.span) {
                continue;
            }
            let haproxy_conf::model::ErrorPage::File(file) = &e.page else {
                continue;
            };
            if !file_exists(file, None) {
                diags.push(
                    Diagnostic::error(
                        codes::UNKNOWN_REF,
                        format!("errorfile {}: `{}` not found", e.status, file),
                    )
                    .at(e.span)
                    .help("the file holds a complete HTTP response (status line, headers, body)"),
                );
            }
        }
    }
    for p in &cfg.proxies {
        for s in &p.servers {
            if s.addr.ip.is_some() || s.addr.kind == haproxy_conf::values::AddrKind::Unix {
                continue;
            }
            if s.opts
                .init_addr
                .as_deref()
                .is_some_and(|v| v.contains("none"))
            {
                continue;
            }
            if !resolves(&s.addr.host) {
                diags.push(
                    Diagnostic::warning(codes::UNRESOLVED, format!("server `{}/{}`: `{}` does not resolve now", p.name, s.name, s.addr.host))
                        .at(s.addr_span)
                        .label("starts DOWN until it resolves")
                        .help("HAProxy refuses to start here; proxyd starts the server DOWN and retries resolution (add `init-addr none` to silence this)"),
                );
            }
        }
    }
    // Server TLS files: `ca-file` is read whatever the server does (HAProxy refuses a
    // missing one even without `ssl`), `crt` when the server speaks TLS.
    let mut cas: std::collections::HashMap<String, Result<Vec<String>, String>> =
        std::collections::HashMap::new();
    for p in &cfg.proxies {
        for s in &p.servers {
            let o = &s.opts;
            if let Some(f) = &o.ca_file {
                use crate::runtime::srv_tls::{load_cas, CaSource};
                let src = CaSource::of(f, g.ca_base.as_deref());
                let got = cas
                    .entry(src.describe())
                    .or_insert_with(|| load_cas(&src).map(|(_, notes)| notes));
                match got {
                    Err(e) => diags.push(
                        Diagnostic::error(
                            codes::UNKNOWN_REF,
                            format!("server `{}/{}`: ca-file: {e}", p.name, s.name),
                        )
                        .at(s.span)
                        .help("point `ca-file` at a PEM file of CA certificates, a directory of them, or `@system-ca` (`ca-base` applies to relative names)"),
                    ),
                    Ok(notes) => {
                        for n in notes.iter() {
                            diags.push(
                                Diagnostic::warning(
                                    codes::UNKNOWN_REF,
                                    format!("server `{}/{}`: ca-file: {n}", p.name, s.name),
                                )
                                .at(s.span)
                                .help("HAProxy warns likewise; put the CA certificates (PEM) in the directory"),
                            );
                        }
                    }
                }
            }
            if let (Some(crt), true) = (&o.crt, o.ssl || o.check_tls()) {
                if !file_exists(crt, g.crt_base.as_deref()) {
                    diags.push(
                        Diagnostic::error(
                            codes::UNKNOWN_REF,
                            format!("server `{}/{}`: certificate `{crt}` not found", p.name, s.name),
                        )
                        .at(s.span)
                        .help("point `crt` at a PEM file with the client certificate and its key (`crt-base` applies to relative names)"),
                    );
                }
            }
        }
    }
    for m in &cfg.mailers {
        for (name, addr) in &m.mailers {
            let host = addr.rsplit_once(':').map(|(h, _)| h).unwrap_or(addr);
            if host.parse::<std::net::IpAddr>().is_err() && !resolves(host) {
                diags.push(
                    Diagnostic::warning(
                        codes::UNRESOLVED,
                        format!("mailer `{name}`: `{host}` does not resolve now"),
                    )
                    .at(m.span)
                    .help("mail alerts are sent once it resolves; use an IP address to be sure"),
                );
            }
        }
    }
}
