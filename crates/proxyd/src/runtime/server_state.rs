//! Server state files: the servers' states saved before a reload (`show servers
//! state > FILE`) given back to the new process's servers, as HAProxy's
//! `server-state-file` and `load-server-state-from-file` do: maintenance and drain
//! set by hand, weights changed at run time (while the configured weight is the same),
//! and checked servers that were DOWN.

use super::backend::BackendRt;
use conf_diag::Diagnostic;
use haproxy_conf::codes;
use haproxy_conf::model::{Config, Global, LoadServerState, Proxy};
use proxy_core::health::Admin;
use proxy_core::runtime_api::{parse_servers_state, SavedServer};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Admin state bits of the file: forced maintenance, forced drain.
const FORCED_MAINT: u8 = 0x01;
const FORCED_DRAIN: u8 = 0x08;

/// The file a backend's states come from: the global `server-state-file`, or its own
/// (`server-state-file-name`, else its name); relative names under
/// `server-state-base` when there is one.
pub fn file_of(p: &Proxy, g: &Global) -> Option<PathBuf> {
    let under_base = |f: &str| match &g.server_state_base {
        Some(base) if !f.starts_with('/') => Path::new(base).join(f),
        _ => PathBuf::from(f),
    };
    match p.load_server_state? {
        LoadServerState::Global => g.server_state_file.as_deref().map(under_base),
        LoadServerState::Local => Some(under_base(
            p.server_state_file_name.as_deref().unwrap_or(&p.name),
        )),
        LoadServerState::None => None,
    }
}

/// Read each file once and give its states to the servers of the backends that load
/// it. Warnings say what could not be read and what was given back.
pub fn restore(cfg: &Config, backends: &BTreeMap<String, Arc<BackendRt>>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut files: HashMap<PathBuf, Option<Vec<SavedServer>>> = HashMap::new();
    for p in cfg.backends() {
        let Some(b) = backends.get(&p.name) else {
            continue;
        };
        let Some(path) = &b.state_file else {
            continue;
        };
        let saved = files.entry(path.clone()).or_insert_with(|| {
            let read = std::fs::read_to_string(path)
                .map_err(|e| e.to_string())
                .and_then(|t| parse_servers_state(&t));
            match read {
                Ok((saved, bad)) => {
                    if bad > 0 {
                        out.push(
                            Diagnostic::warning(
                                codes::SERVER_STATE,
                                format!(
                                    "server state file {}: {bad} line(s) could not be read and were skipped",
                                    path.display()
                                ),
                            )
                            .at(p.span),
                        );
                    }
                    Some(saved)
                }
                Err(e) => {
                    out.push(
                        Diagnostic::warning(
                            codes::SERVER_STATE,
                            format!(
                                "cannot use the server state file {}: {e}; the servers start from the configuration",
                                path.display()
                            ),
                        )
                        .at(p.span)
                        .help("write it with `show servers state` on the stats socket before reloading"),
                    );
                    None
                }
            }
        });
        for s in saved.iter().flatten().filter(|s| s.be_name == b.name) {
            if let Some(msg) = give_back(b, s) {
                out.push(Diagnostic::warning(codes::SERVER_STATE, msg).at(p.span));
            }
        }
    }
    out
}

/// One server's saved state onto it; what changed, in a sentence.
fn give_back(b: &BackendRt, saved: &SavedServer) -> Option<String> {
    let srv = b.servers.iter().find(|s| s.name == saved.srv_name)?;
    let mut st = match srv.state.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    let mut said = Vec::new();
    if saved.admin_state & FORCED_MAINT != 0 {
        st.admin = Admin::Maint;
        said.push("stays in maintenance".to_string());
    } else if saved.admin_state & FORCED_DRAIN != 0 {
        st.admin = Admin::Drain;
        said.push("stays drained".to_string());
    }
    // A weight changed at run time is kept unless the configuration's changed since.
    if saved.iweight == srv.weight && saved.uweight != st.uweight {
        st.uweight = saved.uweight;
        said.push(format!("keeps weight {}", saved.uweight));
    }
    if saved.op_state == 0 && srv.check && st.health.is_up() {
        st.health.set(0, false);
        said.push("starts DOWN (its checks decide from now on)".to_string());
    }
    (!said.is_empty()).then(|| {
        format!(
            "server {}/{} {}, as the server state file says",
            b.name,
            srv.name,
            said.join(", ")
        )
    })
}
