//! The lines HAProxy logs about its servers and backends (not traffic): a server going
//! UP or DOWN, a backend left without servers. Admins' alerting rules and log parsers
//! match these words, so they are HAProxy 2.6's, field for field.

use std::fmt::Write as _;

/// A server that just went UP or DOWN, and its backend as it stands after the change.
#[derive(Debug, Clone, Copy)]
pub struct ServerChange<'a> {
    pub backend: &'a str,
    pub server: &'a str,
    pub backup: bool,
    pub up: bool,
    /// "Layer4 connection problem", "Agent check", ...
    pub reason: &'a str,
    /// The HTTP status a check got.
    pub code: Option<u16>,
    /// What went wrong, in a few words (`Connection refused`, a reason phrase).
    pub info: Option<&'a str>,
    pub took_ms: u64,
    /// Usable servers after the change: active, backup.
    pub active: usize,
    pub backups: usize,
    pub sessions: u64,
    pub requeued: u64,
    pub queued: u64,
}

/// `Server b/s is DOWN, reason: ..., check duration: 0ms. 0 active and 1 backup servers
/// left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue.`
pub fn server_change(c: &ServerChange<'_>) -> String {
    let mut out = String::with_capacity(200);
    if c.backup {
        out.push_str("Backup ");
    }
    let word = if c.up { "UP" } else { "DOWN" };
    // Writes into a String cannot fail.
    let _ = write!(
        out,
        "Server {}/{} is {word}, reason: {}",
        c.backend, c.server, c.reason
    );
    if let Some(code) = c.code {
        let _ = write!(out, ", code: {code}");
    }
    if let Some(info) = c.info {
        let _ = write!(out, ", info: \"{info}\"");
    }
    let _ = write!(
        out,
        ", check duration: {}ms. {} active and {} backup servers {}.",
        c.took_ms,
        c.active,
        c.backups,
        if c.up { "online" } else { "left" }
    );
    if c.active == 0 && c.backups > 0 {
        out.push_str(" Running on backup.");
    }
    if c.up {
        let _ = write!(
            out,
            " {} sessions requeued, {} total in queue.",
            c.requeued, c.queued
        );
    } else {
        let _ = write!(
            out,
            " {} sessions active, {} requeued, {} remaining in queue.",
            c.sessions, c.requeued, c.queued
        );
    }
    out
}

/// What a backend that lost its last server logs (at emerg).
pub fn no_server(backend: &str) -> String {
    format!("backend {backend} has no server available!")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change() -> ServerChange<'static> {
        ServerChange {
            backend: "b",
            server: "s",
            backup: false,
            up: false,
            reason: "Layer4 connection problem",
            code: None,
            info: Some("Connection refused"),
            took_ms: 0,
            active: 0,
            backups: 1,
            sessions: 0,
            requeued: 0,
            queued: 0,
        }
    }

    // The expected lines are HAProxy 2.6's, as it sent them to syslog.
    #[test]
    fn down_lines_read_as_haproxys() {
        assert_eq!(
            server_change(&change()),
            "Server b/s is DOWN, reason: Layer4 connection problem, info: \"Connection refused\", check duration: 0ms. 0 active and 1 backup servers left. Running on backup. 0 sessions active, 0 requeued, 0 remaining in queue."
        );
        let c = ServerChange {
            reason: "Layer7 wrong status",
            code: Some(503),
            info: Some("Service Unavailable"),
            active: 4,
            ..change()
        };
        assert_eq!(
            server_change(&c),
            "Server b/s is DOWN, reason: Layer7 wrong status, code: 503, info: \"Service Unavailable\", check duration: 0ms. 4 active and 1 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue."
        );
    }

    #[test]
    fn up_lines_read_as_haproxys() {
        let c = ServerChange {
            backup: true,
            up: true,
            reason: "Layer7 check passed",
            code: Some(200),
            info: None,
            ..change()
        };
        assert_eq!(
            server_change(&c),
            "Backup Server b/s is UP, reason: Layer7 check passed, code: 200, check duration: 0ms. 0 active and 1 backup servers online. Running on backup. 0 sessions requeued, 0 total in queue."
        );
        assert_eq!(no_server("b"), "backend b has no server available!");
    }
}
