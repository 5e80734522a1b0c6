//! The Prometheus exposition (`http-request use-service prometheus-exporter`): the
//! metric names and labels of HAProxy 2.6's exporter, so dashboards and alerts written
//! for HAProxy keep working, for the values proxyd keeps (what it does not keep is left
//! out rather than shown as a made-up zero). Rendered from the same rows as the stats
//! page: pure.

use crate::stats::{Row, RowKind};
use std::fmt::Write;

/// Process-wide values.
#[derive(Debug, Clone, Default)]
pub struct Process {
    pub nbthread: u32,
    pub uptime_s: u64,
    pub start_time_s: u64,
    pub max_connections: u64,
    pub current_connections: u64,
    pub connections_total: u64,
    pub dropped_logs: u64,
    pub version: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gauge,
    Counter,
}

/// One metric family: name, type, help, and its samples (labels, value).
struct Family {
    name: String,
    kind: Kind,
    help: &'static str,
    samples: Vec<(String, String)>,
}

fn label_value(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

struct Out(Vec<Family>);

impl Out {
    fn push(&mut self, name: String, kind: Kind, help: &'static str, labels: String, v: String) {
        match self.0.iter_mut().find(|f| f.name == name) {
            Some(f) => f.samples.push((labels, v)),
            None => self.0.push(Family {
                name,
                kind,
                help,
                samples: vec![(labels, v)],
            }),
        }
    }

    fn render(&self) -> String {
        let mut s = String::new();
        for f in &self.0 {
            let kind = match f.kind {
                Kind::Gauge => "gauge",
                Kind::Counter => "counter",
            };
            let _ = writeln!(s, "# HELP {} {}", f.name, f.help);
            let _ = writeln!(s, "# TYPE {} {kind}", f.name);
            for (labels, v) in &f.samples {
                if labels.is_empty() {
                    let _ = writeln!(s, "{} {v}", f.name);
                } else {
                    let _ = writeln!(s, "{}{{{labels}}} {v}", f.name);
                }
            }
        }
        s
    }
}

/// The exposition text.
pub fn render(p: &Process, rows: &[Row]) -> String {
    use Kind::{Counter, Gauge};
    let mut out = Out(Vec::new());
    let mut proc = |name: &str, kind: Kind, help: &'static str, labels: String, v: String| {
        out.push(format!("haproxy_process_{name}"), kind, help, labels, v)
    };
    proc(
        "nbthread",
        Gauge,
        "Threads running.",
        String::new(),
        p.nbthread.to_string(),
    );
    proc(
        "nbproc",
        Gauge,
        "Worker processes (one).",
        String::new(),
        "1".into(),
    );
    proc(
        "relative_process_id",
        Gauge,
        "This worker's number (1).",
        String::new(),
        "1".into(),
    );
    proc(
        "uptime_seconds",
        Gauge,
        "Seconds since the process started.",
        String::new(),
        p.uptime_s.to_string(),
    );
    proc(
        "start_time_seconds",
        Gauge,
        "When the process started, in seconds since the Unix epoch.",
        String::new(),
        p.start_time_s.to_string(),
    );
    proc(
        "max_connections",
        Gauge,
        "The process's connection limit (maxconn).",
        String::new(),
        p.max_connections.to_string(),
    );
    proc(
        "current_connections",
        Gauge,
        "Client connections open now.",
        String::new(),
        p.current_connections.to_string(),
    );
    proc(
        "connections_total",
        Counter,
        "Client connections accepted since the start.",
        String::new(),
        p.connections_total.to_string(),
    );
    proc(
        "dropped_logs_total",
        Counter,
        "Log lines that could not be sent.",
        String::new(),
        p.dropped_logs.to_string(),
    );
    proc(
        "stopping",
        Gauge,
        "1 while the process stops.",
        String::new(),
        "0".into(),
    );
    proc(
        "build_info",
        Gauge,
        "The version, as a label.",
        format!("version=\"{}\"", label_value(&p.version)),
        "1".into(),
    );
    for kind in [RowKind::Frontend, RowKind::Backend, RowKind::Server] {
        for r in rows.iter().filter(|r| r.kind == kind) {
            row(&mut out, r);
        }
    }
    out.render()
}

fn row(out: &mut Out, r: &Row) {
    use Kind::{Counter, Gauge};
    let (prefix, labels) = match r.kind {
        RowKind::Frontend => ("frontend", format!("proxy=\"{}\"", label_value(&r.proxy))),
        RowKind::Backend => ("backend", format!("proxy=\"{}\"", label_value(&r.proxy))),
        RowKind::Server => (
            "server",
            format!(
                "proxy=\"{}\",server=\"{}\"",
                label_value(&r.proxy),
                label_value(r.server.as_deref().unwrap_or(""))
            ),
        ),
    };
    let c = &r.counters;
    let mut m = |name: &str, kind: Kind, help: &'static str, v: String| {
        out.push(
            format!("haproxy_{prefix}_{name}"),
            kind,
            help,
            labels.clone(),
            v,
        )
    };
    if r.kind != RowKind::Frontend {
        m(
            "current_queue",
            Gauge,
            "Requests waiting for a server now.",
            c.queue_cur.to_string(),
        );
        m(
            "max_queue",
            Gauge,
            "Most requests waiting at once.",
            c.queue_max.to_string(),
        );
    }
    m(
        "current_sessions",
        Gauge,
        "Sessions open now.",
        c.cur.to_string(),
    );
    m(
        "max_sessions",
        Gauge,
        "Most sessions open at once.",
        c.max.to_string(),
    );
    if let Some(l) = r.limit {
        m(
            "limit_sessions",
            Gauge,
            "The session limit (maxconn).",
            l.to_string(),
        );
    }
    m(
        "sessions_total",
        Counter,
        "Sessions since the start.",
        c.total.to_string(),
    );
    m(
        "bytes_in_total",
        Counter,
        "Bytes received from clients.",
        c.bytes_in.to_string(),
    );
    m(
        "bytes_out_total",
        Counter,
        "Bytes sent to clients.",
        c.bytes_out.to_string(),
    );
    if r.kind != RowKind::Server {
        m(
            "requests_denied_total",
            Counter,
            "Requests denied by rules.",
            c.denied_req.to_string(),
        );
    }
    if r.kind != RowKind::Frontend {
        m(
            "responses_denied_total",
            Counter,
            "Responses denied by rules.",
            c.denied_resp.to_string(),
        );
        m(
            "connection_errors_total",
            Counter,
            "Failed connections to servers.",
            c.connect_errors.to_string(),
        );
        m(
            "response_errors_total",
            Counter,
            "Responses that failed or were invalid.",
            c.response_errors.to_string(),
        );
        m(
            "retry_warnings_total",
            Counter,
            "Connection retries.",
            c.retries.to_string(),
        );
        m(
            "redispatch_warnings_total",
            Counter,
            "Requests sent to another server after a failure.",
            c.redispatches.to_string(),
        );
    } else {
        m(
            "responses_denied_total",
            Counter,
            "Responses denied by rules.",
            c.denied_resp.to_string(),
        );
        m(
            "request_errors_total",
            Counter,
            "Requests that failed on the client side (invalid, cut short, timed out).",
            c.request_errors.to_string(),
        );
    }
    // The state, one sample per state value (1 for the current one).
    let status = r.status.split_whitespace().next().unwrap_or("");
    let states: &[&str] = match r.kind {
        RowKind::Server => &["DOWN", "UP", "MAINT", "DRAIN", "NOLB"],
        _ => &["DOWN", "UP"],
    };
    let current = match (r.kind, status) {
        (RowKind::Frontend, "OPEN") => "UP",
        (_, "UP") => "UP",
        (_, "DRAIN") => "DRAIN",
        (_, "MAINT") => "MAINT",
        (_, "NOLB") => "NOLB",
        // A server without checks is taken as up, as HAProxy does.
        (RowKind::Server, "no") => "UP",
        _ => "DOWN",
    };
    for s in states {
        out.push(
            format!("haproxy_{prefix}_status"),
            Gauge,
            "The current state: 1 for the state label that holds.",
            format!("{labels},state=\"{s}\""),
            u8::from(*s == current).to_string(),
        );
    }
    if r.kind != RowKind::Frontend {
        let mut m = |name: &str, kind: Kind, help: &'static str, v: String| {
            out.push(
                format!("haproxy_{prefix}_{name}"),
                kind,
                help,
                labels.clone(),
                v,
            )
        };
        if let Some(w) = r.weight {
            m(
                "weight",
                Gauge,
                "The weight (servers), the sum of the active servers' (backends).",
                w.to_string(),
            );
        }
        if r.kind == RowKind::Backend {
            m(
                "active_servers",
                Gauge,
                "Active servers up.",
                r.active.unwrap_or(0).to_string(),
            );
            m(
                "backup_servers",
                Gauge,
                "Backup servers up.",
                r.backup.unwrap_or(0).to_string(),
            );
        }
        if let Some(s) = r.last_change_s {
            m(
                "check_last_change_seconds",
                Gauge,
                "Seconds since the last state change.",
                s.to_string(),
            );
        }
    }
    for (i, code) in ["1xx", "2xx", "3xx", "4xx", "5xx", "other"]
        .iter()
        .enumerate()
    {
        out.push(
            format!("haproxy_{prefix}_http_responses_total"),
            Counter,
            "HTTP responses, by status class.",
            format!("{labels},code=\"{code}\""),
            c.http[i].to_string(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counters::Snapshot;

    #[test]
    fn families_once_with_labels() {
        let row = |kind, server: Option<&str>, status: &str| Row {
            proxy: "be\"x".into(),
            kind,
            server: server.map(str::to_string),
            status: status.into(),
            weight: Some(1),
            active: Some(1),
            backup: Some(0),
            limit: Some(100),
            last_change_s: Some(3),
            check: None,
            counters: Snapshot::default(),
            ids: Default::default(),
        };
        let text = render(
            &Process {
                nbthread: 2,
                version: "2.6.12".into(),
                ..Process::default()
            },
            &[
                row(RowKind::Server, Some("s1"), "UP 1/3"),
                row(RowKind::Frontend, None, "OPEN"),
                row(RowKind::Server, Some("s2"), "MAINT"),
            ],
        );
        assert_eq!(
            text.matches("# TYPE haproxy_server_status gauge").count(),
            1
        );
        assert!(
            text.contains("haproxy_server_status{proxy=\"be\\\"x\",server=\"s1\",state=\"UP\"} 1")
        );
        assert!(text
            .contains("haproxy_server_status{proxy=\"be\\\"x\",server=\"s2\",state=\"MAINT\"} 1"));
        assert!(text.contains("haproxy_frontend_status{proxy=\"be\\\"x\",state=\"UP\"} 1"));
        assert!(text.contains("haproxy_process_nbthread 2"));
        // Frontends come before servers whatever the rows' order.
        assert!(text.find("haproxy_frontend_").unwrap() < text.find("haproxy_server_").unwrap());
    }
}
