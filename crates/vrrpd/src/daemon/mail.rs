//! smtp_alert: one plain SMTP conversation per alert, to `smtp_server` for the
//! `notification_email` list (what keepalived does; no TLS or AUTH, as keepalived).

use super::notify::Event;
use crate::plan::MailPlan;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

#[derive(Debug, Clone)]
pub struct Mail {
    pub host: String,
    pub port: u16,
    pub from: String,
    pub to: Vec<String>,
    pub helo: String,
    pub router_id: String,
    pub timeout: Duration,
}

fn hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
}

impl Mail {
    /// The plan's settings, with keepalived's defaults from the host name.
    pub fn from_plan(m: &MailPlan) -> Mail {
        let host = hostname();
        Mail {
            host: m.server.host.clone(),
            port: m.server.port,
            from: m.from.clone().unwrap_or_else(|| format!("vrrpd@{host}")),
            to: m.to.clone(),
            helo: m.helo.clone().unwrap_or_else(|| host.clone()),
            router_id: m.router_id.clone().unwrap_or(host),
            timeout: Duration::from_secs(u64::from(m.timeout_s.max(1))),
        }
    }

    /// Send one message; the whole conversation is bounded by the connect timeout.
    pub async fn send(&self, subject: &str, body: &str) -> Result<(), String> {
        let addr = format!("{}:{}", self.host, self.port);
        let text = self.message(subject, body, &super::clock::rfc2822_now());
        tokio::time::timeout(self.timeout, self.converse(&addr, &text))
            .await
            .map_err(|_| format!("{addr}: timed out"))?
            .map_err(|e| format!("{addr}: {e}"))
    }

    async fn converse(&self, addr: &str, text: &str) -> Result<(), String> {
        let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        expect(&mut r, 2).await?;
        say(&mut w, &mut r, format!("HELO {}\r\n", self.helo), 2).await?;
        say(&mut w, &mut r, format!("MAIL FROM:<{}>\r\n", self.from), 2).await?;
        for to in &self.to {
            say(&mut w, &mut r, format!("RCPT TO:<{to}>\r\n"), 2).await?;
        }
        say(&mut w, &mut r, "DATA\r\n".into(), 3).await?;
        say(&mut w, &mut r, format!("{text}\r\n.\r\n"), 2).await?;
        let _ = say(&mut w, &mut r, "QUIT\r\n".into(), 2).await;
        Ok(())
    }

    /// Headers and body, with CRLF line ends and dot-stuffing.
    pub fn message(&self, subject: &str, body: &str, date: &str) -> String {
        let mut m = format!(
            "From: {}\r\nTo: {}\r\nSubject: {subject}\r\nDate: {date}\r\nX-Mailer: vrrpd\r\n\r\n",
            self.from,
            self.to.join(", ")
        );
        for line in body.lines() {
            if line.starts_with('.') {
                m.push('.');
            }
            m.push_str(line);
            m.push_str("\r\n");
        }
        m.truncate(m.trim_end_matches("\r\n").len());
        m
    }
}

/// Send one command and read its reply.
async fn say<W, R>(w: &mut W, r: &mut R, line: String, class: u8) -> Result<(), String>
where
    W: AsyncWriteExt + Unpin,
    R: AsyncBufReadExt + Unpin,
{
    w.write_all(line.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    expect(r, class).await
}

/// Read one (possibly multi-line) reply; its code must start with `class`.
async fn expect<R: AsyncBufReadExt + Unpin>(r: &mut R, class: u8) -> Result<(), String> {
    for _ in 0..64 {
        let mut line = String::new();
        let n = r.read_line(&mut line).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed".into());
        }
        let ok = line.as_bytes().first() == Some(&(b'0' + class));
        // "250-..." continues, "250 ..." ends the reply.
        if line.as_bytes().get(3) == Some(&b'-') {
            continue;
        }
        return if ok {
            Ok(())
        } else {
            Err(format!("server said: {}", line.trim_end()))
        };
    }
    Err("reply too long".into())
}

/// Subject and body for a state change.
pub fn state_message(m: &Mail, ev: &Event<'_>) -> (String, String) {
    let what = if ev.kind == "GROUP" {
        "VRRP sync group"
    } else {
        "VRRP instance"
    };
    let subject = format!("[{}] {what} {} is now {}", m.router_id, ev.name, ev.state);
    let body = format!(
        "{what} {} on {} went from {} to {} (priority {}).\n{}\n",
        ev.name,
        m.router_id,
        ev.from,
        ev.state,
        ev.priority,
        match ev.state {
            "MASTER" => "This node now holds the virtual addresses.",
            "FAULT" => "This node cannot hold the virtual addresses until the fault clears.",
            _ => "This node does not hold the virtual addresses.",
        }
    );
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keepalived_conf::model::NotifyScripts;
    use tokio::net::TcpListener;

    fn mail(port: u16) -> Mail {
        Mail {
            host: "127.0.0.1".into(),
            port,
            from: "lb@example.org".into(),
            to: vec!["a@example.org".into(), "b@example.org".into()],
            helo: "lb01".into(),
            router_id: "lb01".into(),
            timeout: Duration::from_secs(5),
        }
    }

    /// A scripted SMTP server: records what the client sent.
    async fn server(l: TcpListener, rcpt_reply: &'static str) -> String {
        let (s, _) = l.accept().await.unwrap();
        let (r, mut w) = s.into_split();
        let mut r = BufReader::new(r);
        let mut seen = String::new();
        w.write_all(b"220 test ESMTP\r\n").await.unwrap();
        let mut in_data = false;
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await.unwrap() == 0 {
                return seen;
            }
            seen.push_str(&line);
            let reply: &[u8] = if in_data {
                if line != ".\r\n" {
                    continue;
                }
                in_data = false;
                b"250 queued\r\n"
            } else if line.starts_with("DATA") {
                in_data = true;
                b"354 go on\r\n"
            } else if line.starts_with("RCPT") {
                rcpt_reply.as_bytes()
            } else if line.starts_with("QUIT") {
                w.write_all(b"221 bye\r\n").await.unwrap();
                return seen;
            } else {
                b"250-hello\r\n250 ok\r\n"
            };
            w.write_all(reply).await.unwrap();
        }
    }

    #[tokio::test]
    async fn sends_one_message_to_every_recipient() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let srv = tokio::spawn(server(l, "250 ok\r\n"));
        let m = mail(port);
        let scripts = NotifyScripts::default();
        let ev = Event {
            kind: "INSTANCE",
            name: "VI_1",
            state: "MASTER",
            from: "BACKUP",
            priority: 101,
            scripts: &scripts,
            smtp_alert: true,
        };
        let (subject, body) = state_message(&m, &ev);
        m.send(&subject, &body).await.unwrap();
        let seen = srv.await.unwrap();
        assert!(seen.starts_with("HELO lb01\r\nMAIL FROM:<lb@example.org>\r\n"));
        assert!(seen.contains("RCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"));
        assert!(seen.contains("Subject: [lb01] VRRP instance VI_1 is now MASTER\r\n"));
        assert!(seen.contains("went from BACKUP to MASTER (priority 101)"));
        assert!(seen.ends_with(".\r\nQUIT\r\n"));
    }

    #[tokio::test]
    async fn a_refused_recipient_is_an_error() {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let srv = tokio::spawn(server(l, "550 no such user\r\n"));
        let err = mail(port).send("s", "b").await.unwrap_err();
        assert!(err.contains("550 no such user"), "{err}");
        drop(srv);
    }

    #[test]
    fn dot_stuffing_and_crlf() {
        let m = mail(25).message("s", "one\n.two\n", "Sun, 22 Nov 2026 10:00:00 +0000");
        assert!(m.ends_with("\r\n\r\none\r\n..two"), "{m:?}");
    }
}
