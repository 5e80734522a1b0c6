//! Logging to syslog (/dev/log, RFC 3164 framing) with keepalived's `-S` facility, and
//! systemd readiness (sd_notify).

use std::os::unix::net::UnixDatagram;

/// `<PRI>IDENT[PID]: message`, PRI = facility * 8 + severity.
pub fn frame(facility: u8, severity: u8, ident: &str, pid: u32, msg: &str) -> String {
    format!(
        "<{}>{ident}[{pid}]: {msg}",
        u32::from(facility) * 8 + u32::from(severity)
    )
}

/// The name lines carry: run as `keepalived` (the compat package's command), keepalived's
/// own VRRP process name, so syslog rules and log searches written for keepalived keep
/// matching; `vrrpd` otherwise.
pub fn ident(argv0: &str) -> &'static str {
    match std::path::Path::new(argv0).file_name() {
        Some(n) if n == "keepalived" => "Keepalived_vrrp",
        _ => "vrrpd",
    }
}

pub struct Syslog {
    sock: Option<UnixDatagram>,
    facility: u8,
    ident: &'static str,
}

#[cfg(test)]
const INFO: u8 = 6;

/// Lines the syslog socket would not take at once (a stalled reader): dropped, never
/// waited for.
pub static DROPPED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Where the syslog daemon listens.
const DEV_LOG: &str = "/dev/log";

impl Syslog {
    /// `-S N` selects local N (16 + N); the default is daemon (3), as keepalived.
    pub fn open(local: Option<u8>, enabled: bool) -> Self {
        let facility = local.map(|n| 16 + n).unwrap_or(3);
        // Non-blocking: a syslog daemon that stops reading costs lines, not the event
        // loop. Not connected: each line is addressed to /dev/log, so a syslog daemon
        // that starts after vrrpd, or restarts and creates its socket anew, gets the
        // next line (a connected socket would refuse every line after a restart).
        let sock = if enabled {
            UnixDatagram::unbound()
                .ok()
                .filter(|s| s.set_nonblocking(true).is_ok())
        } else {
            None
        };
        let ident = ident(&std::env::args().next().unwrap_or_default());
        Syslog {
            sock,
            facility,
            ident,
        }
    }

    pub fn send(&self, severity: u8, msg: &str) {
        if let Some(s) = &self.sock {
            let line = frame(self.facility, severity, self.ident, std::process::id(), msg);
            if s.send_to(line.as_bytes(), DEV_LOG).is_err() {
                DROPPED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
}

struct Logger {
    syslog: Syslog,
    console: bool,
    /// `-g`: every line also goes to this file, with its time, as keepalived writes it.
    file: Option<std::sync::Mutex<std::fs::File>>,
}

static LOGGER: std::sync::OnceLock<Logger> = std::sync::OnceLock::new();

/// Set up the daemon's log once: syslog (unless disabled), with `console` stderr, with
/// `file` a log file (appended to), with `detail` the detailed messages (`-D`, tracing's
/// debug level). The daemon's messages are `tracing` events from then on.
pub fn init(
    local: Option<u8>,
    syslog: bool,
    console: bool,
    file: Option<&std::path::Path>,
    detail: bool,
) -> std::io::Result<()> {
    let file = match file {
        Some(p) => Some(std::sync::Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", p.display())))?,
        )),
        None => None,
    };
    let _ = LOGGER.set(Logger {
        syslog: Syslog::open(local, syslog),
        console,
        file,
    });
    let max = if detail {
        tracing::Level::DEBUG
    } else {
        tracing::Level::INFO
    };
    daemon_log::install(daemon_log::Lines::new(max, output));
    Ok(())
}

/// Where each message goes: syslog at its severity, stderr with `-l`/`-n`, the `-g` file.
fn output(line: &daemon_log::Line) {
    let Some(l) = LOGGER.get() else {
        eprintln!("vrrpd: {}", line.message);
        return;
    };
    l.syslog.send(line.severity.code(), &line.message);
    if l.console {
        eprintln!("vrrpd: {}", line.message);
    }
    if let Some(f) = &l.file {
        if let Ok(mut f) = f.lock() {
            use std::io::Write;
            let _ = f.write_all(file_line(super::clock::unix_now(), &line.message).as_bytes());
        }
    }
}

/// `Wed Dec  2 03:51:55 2026: message` (keepalived's log file lines).
pub fn file_line(secs: u64, msg: &str) -> String {
    let t = super::clock::rfc2822(secs);
    // "Wed, 02 Dec 2026 03:51:55 +0000" -> "Wed Dec  2 03:51:55 2026"
    let w: Vec<&str> = t.split_whitespace().collect();
    match w.as_slice() {
        [day, date, month, year, time, ..] => format!(
            "{} {} {:>2} {} {}: {msg}\n",
            day.trim_end_matches(','),
            month,
            date.trim_start_matches('0'),
            time,
            year
        ),
        _ => format!("{t}: {msg}\n"),
    }
}

/// Tell systemd we are ready, when started as a `Type=notify` service (nothing happens
/// without NOTIFY_SOCKET).
pub fn notify_ready() {
    if let Err(e) = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]) {
        tracing::warn!("cannot tell systemd we are ready: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_like_rfc3164() {
        // local1 (17) info (6) = 142
        assert_eq!(frame(17, INFO, "vrrpd", 42, "up"), "<142>vrrpd[42]: up");
        assert_eq!(frame(3, INFO, "vrrpd", 1, "x"), "<30>vrrpd[1]: x");
        assert_eq!(ident("/usr/sbin/keepalived"), "Keepalived_vrrp");
        assert_eq!(ident("keepalived"), "Keepalived_vrrp");
        assert_eq!(ident("/usr/sbin/vrrpd"), "vrrpd");
    }

    #[test]
    fn file_lines_look_like_keepalived() {
        // 2026-12-02 03:51:55 UTC
        assert_eq!(
            file_line(1_796_183_515, "(VI_1) Entering MASTER STATE"),
            "Wed Dec  2 03:51:55 2026: (VI_1) Entering MASTER STATE\n"
        );
    }

    #[test]
    fn ready_is_sent_to_the_notify_socket() {
        let dir = std::env::temp_dir().join(format!("sdn-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("notify");
        let server = UnixDatagram::bind(&path).unwrap();
        server.set_nonblocking(true).unwrap();
        // The variable is read by this process only; tests in this binary do not use it.
        std::env::set_var("NOTIFY_SOCKET", &path);
        notify_ready();
        std::env::remove_var("NOTIFY_SOCKET");
        let mut buf = [0u8; 32];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
