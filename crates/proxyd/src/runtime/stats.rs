//! The statistics page of a proxy with `stats enable` / `stats uri`: every backend and
//! server with its state, weight and counters, as HTML, or CSV when the URI ends in
//! `;csv`. `stats auth` is enforced (HTTP basic authentication in `stats realm`);
//! `stats refresh` adds a Refresh header; `stats hide-version` hides the version.

use super::backend::BackendRt;
use super::frontend::FrontendRt;
use base64::Engine;
use haproxy_conf::model::Mode;
use haproxy_conf::model::Proxy;
use proxy_core::stats::{csv, html, Ids, PageView, Row, RowKind};
use proxy_core::stats_admin::Outcome;
use std::sync::{Arc, OnceLock};

/// Every backend, for the pages (set once at start).
pub static BACKENDS: OnceLock<Vec<Arc<BackendRt>>> = OnceLock::new();
pub static FRONTENDS: OnceLock<Vec<Arc<FrontendRt>>> = OnceLock::new();
/// The serving clock, when serving began (Unix seconds and the clock's milliseconds),
/// the thread count and the connection limit: the exporter's process metrics.
pub static PROCESS: OnceLock<(super::clock::Clock, u64, u64, u32, u64)> = OnceLock::new();

/// Listening sockets (frontends' and the runtime API's), for `show info`.
pub static LISTENERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The Prometheus exposition of every proxy (`use-service prometheus-exporter`).
pub fn metrics() -> String {
    let frontends = FRONTENDS.get().map(Vec::as_slice).unwrap_or(&[]);
    let backends = BACKENDS.get().map(Vec::as_slice).unwrap_or(&[]);
    let Some(&(clock, start_s, start_ms, threads, maxconn)) = PROCESS.get() else {
        return String::new();
    };
    let now_ms = clock.now_ms();
    let counts: Vec<_> = frontends.iter().map(|f| f.counters.snapshot()).collect();
    let p = proxy_core::prometheus::Process {
        nbthread: threads,
        uptime_s: now_ms.saturating_sub(start_ms) / 1000,
        start_time_s: start_s,
        // The limit as `set maxconn global` left it.
        max_connections: super::api::maxconn_now(maxconn),
        current_connections: counts.iter().map(|c| u64::from(c.cur)).sum(),
        connections_total: counts.iter().map(|c| c.total).sum(),
        dropped_logs: super::log::DROPPED.load(std::sync::atomic::Ordering::Relaxed),
        version: haproxy_conf::source::COMPAT_VERSION.to_string(),
    };
    proxy_core::prometheus::render(&p, &rows(frontends, backends, now_ms, false))
}

#[derive(Debug)]
pub struct StatsPage {
    uri: String,
    realm: String,
    auth: Vec<String>,
    hide_version: bool,
    refresh_s: Option<u64>,
    /// `stats scope`: the proxies shown (empty: all).
    scope: Vec<String>,
    /// `stats admin if COND`: clients for whom it holds may change servers.
    admin: Option<proxy_core::acl::Cond>,
}

/// What the page answers.
pub enum Answer {
    /// 401 asking for credentials in this realm.
    Unauthorized(String),
    Page {
        content_type: &'static str,
        body: String,
        refresh_s: Option<u64>,
    },
}

impl StatsPage {
    /// The proxy's page, if it has one; `acls` compile its `stats admin` condition.
    pub fn new(p: &Proxy, acls: &mut super::acls::AclSet) -> Result<Option<StatsPage>, String> {
        let st = &p.stats;
        if !st.enabled && st.uri.is_none() {
            return Ok(None);
        }
        let admin = match &st.admin {
            Some(c) => Some(acls.condition(c)?),
            None => None,
        };
        Ok(Some(StatsPage {
            admin,
            uri: st.uri.clone().unwrap_or_else(|| "/haproxy?stats".into()),
            realm: st
                .realm
                .clone()
                .unwrap_or_else(|| "HAProxy Statistics".into()),
            auth: st.auth.clone(),
            hide_version: st.hide_version,
            refresh_s: st.refresh_ms.map(|ms| ms.div_ceil(1000)),
            // `.` stands for the proxy the page is declared in.
            scope: st
                .scope
                .iter()
                .map(|s| if s == "." { p.name.clone() } else { s.clone() })
                .collect(),
        }))
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// Whether this request may change servers (`stats admin` holds for it).
    pub fn admin_allowed(
        &self,
        acls: &super::acls::AclSet,
        s: &dyn proxy_core::acl::Sample,
    ) -> bool {
        self.admin.as_ref().is_some_and(|c| acls.holds_cond(c, s))
    }

    /// Whether the client's credentials are good (always, without `stats auth`).
    pub fn authorized(&self, authorization: Option<&str>) -> bool {
        if self.auth.is_empty() {
            return true;
        }
        authorization
            .and_then(|a| a.strip_prefix("Basic "))
            .and_then(|b| {
                base64::engine::general_purpose::STANDARD
                    .decode(b.trim())
                    .ok()
            })
            .and_then(|b| String::from_utf8(b).ok())
            .is_some_and(|g| self.auth.contains(&g))
    }

    /// HAProxy serves the page for any request URI that starts with the stats URI.
    pub fn matches(&self, path_and_query: &str) -> bool {
        path_and_query.starts_with(&self.uri)
    }

    pub fn answer(
        &self,
        path_and_query: &str,
        authorization: Option<&str>,
        now_ms: u64,
        admin: bool,
    ) -> Answer {
        if !self.authorized(authorization) {
            return Answer::Unauthorized(self.realm.clone());
        }
        let backends = BACKENDS.get().map(Vec::as_slice).unwrap_or(&[]);
        let frontends = FRONTENDS.get().map(Vec::as_slice).unwrap_or(&[]);
        let mut rows = rows(frontends, backends, now_ms, false);
        if !self.scope.is_empty() {
            rows.retain(|r| self.scope.contains(&r.proxy));
        }
        if path_and_query.ends_with(";csv") {
            Answer::Page {
                content_type: "text/plain",
                body: csv(&rows),
                refresh_s: None,
            }
        } else {
            let version = (!self.hide_version).then_some(env!("CARGO_PKG_VERSION"));
            Answer::Page {
                content_type: "text/html",
                body: html(
                    &rows,
                    version,
                    &PageView {
                        uri: &self.uri,
                        admin,
                        // `URI;st=CODE`: the outcome of the change just posted.
                        outcome: path_and_query
                            .rsplit_once(";st=")
                            .and_then(|(_, c)| Outcome::from_code(c)),
                    },
                ),
                refresh_s: self.refresh_s,
            }
        }
    }
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Http => "http",
        _ => "tcp",
    }
}

/// The report's rows: each frontend, then each backend's servers and the backend itself
/// (HAProxy's order). `addresses`: the servers' addresses are shown (the runtime API
/// from the operator level up; never on the page).
pub fn rows(
    frontends: &[Arc<FrontendRt>],
    backends: &[Arc<BackendRt>],
    now_ms: u64,
    addresses: bool,
) -> Vec<Row> {
    let mut out = Vec::new();
    for f in frontends {
        out.push(Row {
            proxy: f.name.clone(),
            kind: RowKind::Frontend,
            server: None,
            status: f.state.borrow().status().into(),
            weight: None,
            active: None,
            backup: None,
            limit: Some(f.slots.max() as u64),
            last_change_s: None,
            check: None,
            counters: f.counters.snapshot_at(super::clock::mono_ms()),
            ids: Ids {
                iid: f.id,
                mode: Some(mode_name(f.mode)),
                ..Ids::default()
            },
        });
    }
    for b in backends {
        let (mut up_active, mut up_backup, mut weight) = (0, 0, 0);
        for s in &b.servers {
            let (describe, changed) = (s.describe(), s.last_change());
            // Usable, as HAProxy counts a backend's servers: up, and not drained or at
            // weight 0.
            let weight_now = s.weight_now();
            if s.is_up() && weight_now > 0 {
                if s.backup {
                    up_backup += 1;
                } else {
                    up_active += 1;
                }
                weight += weight_now;
            }
            let (check_cfg, uweight) = match s.state.lock() {
                Ok(st) => (
                    s.check.then(|| {
                        let t = &st.health.timing;
                        (t.rise, t.fall, st.health.health_value())
                    }),
                    st.uweight,
                ),
                Err(_) => (None, s.weight),
            };
            let addr = addresses
                .then(|| match s.target.read().ok().and_then(|t| t.clone()) {
                    Some(super::server::Target::Inet(a)) => Some(a.to_string()),
                    Some(super::server::Target::Unix(p)) => Some(format!("unix@{}", p.display())),
                    None => None,
                })
                .flatten();
            out.push(Row {
                proxy: b.name.clone(),
                kind: RowKind::Server,
                server: Some(s.name.clone()),
                status: describe,
                // As HAProxy: the weight set, drained or not.
                weight: Some(uweight),
                active: Some(u32::from(!s.backup)),
                backup: Some(u32::from(s.backup)),
                limit: s.maxconn_now().map(u64::from),
                last_change_s: Some(now_ms.saturating_sub(changed.unwrap_or(0)) / 1000),
                check: s.last_check.get(),
                counters: s.counters.snapshot_at(super::clock::mono_ms()),
                ids: Ids {
                    iid: b.id,
                    sid: s.puid,
                    mode: Some(mode_name(b.mode)),
                    addr,
                    uweight: Some(uweight),
                    check_cfg,
                    ..Ids::default()
                },
            });
        }
        out.push(Row {
            proxy: b.name.clone(),
            kind: RowKind::Backend,
            server: None,
            status: if up_active + up_backup > 0 {
                "UP"
            } else {
                "DOWN"
            }
            .into(),
            weight: Some(weight),
            active: Some(up_active),
            backup: Some(up_backup),
            limit: None,
            last_change_s: None,
            check: None,
            counters: b.counters.snapshot_at(super::clock::mono_ms()),
            ids: Ids {
                iid: b.id,
                mode: Some(mode_name(b.mode)),
                algo: Some(b.algo.to_string()),
                uweight: Some(weight),
                ..Ids::default()
            },
        });
    }
    out
}
