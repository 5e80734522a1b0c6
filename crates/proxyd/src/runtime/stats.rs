//! The statistics page of a proxy with `stats enable` / `stats uri`: every backend and
//! server with its state, weight and counters, as HTML, or CSV when the URI ends in
//! `;csv`. `stats auth` is enforced (HTTP basic authentication in `stats realm`);
//! `stats refresh` adds a Refresh header; `stats hide-version` hides the version.

use super::backend::BackendRt;
use base64::Engine;
use haproxy_conf::model::Proxy;
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

/// Every backend, for the pages (set once at start).
pub static BACKENDS: OnceLock<Vec<Arc<BackendRt>>> = OnceLock::new();

pub struct StatsPage {
    uri: String,
    realm: String,
    auth: Vec<String>,
    hide_version: bool,
    refresh_s: Option<u64>,
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
    pub fn new(p: &Proxy) -> Option<StatsPage> {
        let st = &p.stats;
        if !st.enabled && st.uri.is_none() {
            return None;
        }
        Some(StatsPage {
            uri: st.uri.clone().unwrap_or_else(|| "/haproxy?stats".into()),
            realm: st
                .realm
                .clone()
                .unwrap_or_else(|| "HAProxy Statistics".into()),
            auth: st.auth.clone(),
            hide_version: st.hide_version,
            refresh_s: st.refresh_ms.map(|ms| ms.div_ceil(1000)),
        })
    }

    /// HAProxy serves the page for any request URI that starts with the stats URI.
    pub fn matches(&self, path_and_query: &str) -> bool {
        path_and_query.starts_with(&self.uri)
    }

    pub fn answer(&self, path_and_query: &str, authorization: Option<&str>) -> Answer {
        if !self.auth.is_empty() {
            let given = authorization
                .and_then(|a| a.strip_prefix("Basic "))
                .and_then(|b| {
                    base64::engine::general_purpose::STANDARD
                        .decode(b.trim())
                        .ok()
                })
                .and_then(|b| String::from_utf8(b).ok());
            if !given.is_some_and(|g| self.auth.contains(&g)) {
                return Answer::Unauthorized(self.realm.clone());
            }
        }
        let backends = BACKENDS.get().map(Vec::as_slice).unwrap_or(&[]);
        if path_and_query.ends_with(";csv") {
            Answer::Page {
                content_type: "text/plain",
                body: csv(backends),
                refresh_s: None,
            }
        } else {
            Answer::Page {
                content_type: "text/html",
                body: html(backends, self.hide_version),
                refresh_s: self.refresh_s,
            }
        }
    }
}

/// The rows of the page: (proxy, server, state, weight, current, total, bytes in/out,
/// connect errors).
fn rows(backends: &[Arc<BackendRt>]) -> Vec<[String; 9]> {
    let mut out = Vec::new();
    for b in backends {
        for s in &b.servers {
            let c = &s.counters;
            let state = s
                .health
                .lock()
                .map(|h| h.describe())
                .unwrap_or_else(|_| "?".into());
            out.push([
                b.name.clone(),
                s.name.clone(),
                if s.check { state } else { "no check".into() },
                s.weight.to_string(),
                c.active.load(Ordering::Relaxed).to_string(),
                c.total.load(Ordering::Relaxed).to_string(),
                c.bytes_in.load(Ordering::Relaxed).to_string(),
                c.bytes_out.load(Ordering::Relaxed).to_string(),
                c.connect_errors.load(Ordering::Relaxed).to_string(),
            ]);
        }
    }
    out
}

fn csv(backends: &[Arc<BackendRt>]) -> String {
    let mut o = String::from("# pxname,svname,status,weight,scur,stot,bin,bout,econ\n");
    for r in rows(backends) {
        let _ = writeln!(
            o,
            "{},{},{},{},{},{},{},{},{}",
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]
        );
    }
    o
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn html(backends: &[Arc<BackendRt>], hide_version: bool) -> String {
    let mut o = String::from(
        "<!DOCTYPE html>\n<html><head><title>Statistics Report</title></head><body>\n",
    );
    if hide_version {
        o.push_str("<h1>Statistics Report</h1>\n");
    } else {
        let _ = writeln!(
            o,
            "<h1>Statistics Report for proxyd {}</h1>",
            env!("CARGO_PKG_VERSION")
        );
    }
    o.push_str("<table border=1>\n<tr><th>proxy</th><th>server</th><th>status</th><th>weight</th><th>current</th><th>total</th><th>bytes in</th><th>bytes out</th><th>conn errors</th></tr>\n");
    for r in rows(backends) {
        o.push_str("<tr>");
        for cell in &r {
            let _ = write!(o, "<td>{}</td>", escape(cell));
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</table>\n</body></html>\n");
    o
}
