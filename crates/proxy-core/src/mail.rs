//! Mail alerts (`email-alert` with a `mailers` section): which events are mailed, and the
//! SMTP conversation HAProxy 2.6 holds with each mailer (HELO, MAIL FROM, RCPT TO, DATA,
//! the message, QUIT), as lines to send and the reply each must get.

/// Syslog levels by name, most severe first (`email-alert level`).
pub const LEVELS: [&str; 8] = [
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
];

pub fn level(name: &str) -> Option<u8> {
    LEVELS.iter().position(|l| *l == name).map(|i| i as u8)
}

/// Whether an event at `event` is mailed when `email-alert level` is `configured` (HAProxy's
/// default: alert, so only servers going DOWN).
pub fn mailed(event: u8, configured: Option<u8>) -> bool {
    event <= configured.unwrap_or(1)
}

/// One step: what to send (nothing: wait for the greeting), and the reply code class it
/// must get (2 for 2xx, 3 for 354).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub send: Option<String>,
    pub expect: u8,
}

/// The message: headers, a blank line, the text; lines starting with `.` doubled, every
/// line ended by CRLF, then the lone `.` that ends DATA. `date` is RFC 2822's
/// (`Thu, 03 Dec 2026 02:55:34 +0000 (UTC)`).
pub fn message(from: &str, to: &str, date: &str, text: &str) -> String {
    let subject = text.trim_end_matches('.');
    let mut m = format!(
        "From: {from}\r\nTo: {to}\r\nDate: {date}\r\nSubject: [HAProxy Alert] {subject}\r\n\r\n"
    );
    for line in subject.lines() {
        if line.starts_with('.') {
            m.push('.');
        }
        m.push_str(line);
        m.push_str("\r\n");
    }
    m.push_str("\r\n.\r\n");
    m
}

/// The conversation for one alert.
pub fn conversation(hostname: &str, from: &str, to: &str, message: String) -> Vec<Step> {
    let step = |send: Option<String>, expect| Step { send, expect };
    vec![
        step(None, 2),
        step(Some(format!("HELO {hostname}\r\n")), 2),
        step(Some(format!("MAIL FROM:<{from}>\r\n")), 2),
        step(Some(format!("RCPT TO:<{to}>\r\n")), 2),
        step(Some("DATA\r\n".into()), 3),
        step(Some(message), 2),
        step(Some("QUIT\r\n".into()), 2),
    ]
}

/// A complete reply from the server: its code's class, once its last line (`NNN ` or a
/// lone `NNN`) is in `buf`. None while more is to come; Some(0) for garbage.
pub fn reply_class(buf: &[u8]) -> Option<u8> {
    let text = std::str::from_utf8(buf).ok()?;
    if !text.ends_with('\n') {
        return None;
    }
    for line in text.lines() {
        let b = line.as_bytes();
        if b.len() < 3 || !b[..3].iter().all(u8::is_ascii_digit) {
            return Some(0);
        }
        // `250-...` continues; `250 ...` or `250` ends the reply.
        if b.get(3) != Some(&b'-') {
            return Some(b[0] - b'0');
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_filter_as_haproxy() {
        assert!(mailed(1, None), "DOWN (alert) is mailed by default");
        assert!(!mailed(5, None), "UP (notice) is not, by default");
        assert!(mailed(5, level("info")));
        assert!(!mailed(5, level("warning")));
        assert_eq!(level("bogus"), None);
    }

    #[test]
    fn message_and_conversation() {
        let m = message(
            "a@x",
            "b@y",
            "Thu, 03 Dec 2026 02:55:34 +0000 (UTC)",
            "Server b/s is UP.",
        );
        assert_eq!(
            m,
            "From: a@x\r\nTo: b@y\r\nDate: Thu, 03 Dec 2026 02:55:34 +0000 (UTC)\r\nSubject: [HAProxy Alert] Server b/s is UP\r\n\r\nServer b/s is UP\r\n\r\n.\r\n"
        );
        let c = conversation("vm", "a@x", "b@y", m);
        assert_eq!(c[1].send.as_deref(), Some("HELO vm\r\n"));
        assert_eq!(c[4].expect, 3);
        assert_eq!(
            message("a", "b", "d", ".x").matches("\r\n..x\r\n").count(),
            1
        );
    }

    #[test]
    fn replies_read_whole() {
        assert_eq!(reply_class(b"220 hello\r\n"), Some(2));
        assert_eq!(reply_class(b"250-first\r\n"), None);
        assert_eq!(reply_class(b"250-first\r\n250 last\r\n"), Some(2));
        assert_eq!(reply_class(b"354\r\n"), Some(3));
        assert_eq!(reply_class(b"oops\r\n"), Some(0));
        assert_eq!(reply_class(b"220 par"), None);
    }
}
