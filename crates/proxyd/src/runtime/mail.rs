//! Mail alerts sent: a backend's `email-alert` settings with its `mailers` section, and
//! the SMTP conversation (proxy-core's `mail`) held with every mailer of the section when
//! a server of the backend changes state at a level the settings mail.

use super::PlanError;
use haproxy_conf::model::{Config, Proxy};
use proxy_core::mail;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where and how a backend's alerts go.
#[derive(Debug)]
pub struct MailPlan {
    pub mailers: Vec<String>,
    pub timeout: Duration,
    pub from: String,
    pub to: String,
    pub level: Option<u8>,
    pub hostname: String,
}

/// The backend's mail plan: None without all of `email-alert mailers`, `from` and `to`
/// (HAProxy ignores incomplete settings; the model's checks warn); an error for a section
/// that does not exist or a level that is no level.
pub fn plan(p: &Proxy, cfg: &Config) -> Result<Option<Arc<MailPlan>>, PlanError> {
    let e = &p.email_alert;
    let Some(name) = &e.mailers else {
        return Ok(None);
    };
    let at = |message: String| PlanError {
        span: Some(p.span),
        message,
    };
    let section = cfg
        .mailers
        .iter()
        .find(|m| &m.name == name)
        .ok_or_else(|| {
            at(format!(
                "email-alert mailers `{name}`: no mailers section of that name"
            ))
        })?;
    let level = match &e.level {
        Some(l) => Some(mail::level(l).ok_or_else(|| {
            at(format!(
                "email-alert level `{l}` is not a level (one of {})",
                mail::LEVELS.join(", ")
            ))
        })?),
        None => None,
    };
    let (Some(from), Some(to)) = (&e.from, &e.to) else {
        return Ok(None);
    };
    Ok(Some(Arc::new(MailPlan {
        mailers: section.mailers.iter().map(|(_, a)| a.clone()).collect(),
        timeout: Duration::from_millis(section.timeout_mail_ms.unwrap_or(10_000)),
        from: from.clone(),
        to: to.clone(),
        level,
        hostname: e.myhostname.clone().unwrap_or_else(super::log::hostname),
    })))
}

/// Mail `text` (an event at syslog level `event`) to every mailer, if the level says so.
/// Sending happens in the background; a failure is logged, never retried.
pub fn alert(plan: &Arc<MailPlan>, event: u8, text: &str) {
    if !mail::mailed(event, plan.level) {
        return;
    }
    let date = proxy_core::sample::conv::strftime_memo(
        super::clock::wall()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0),
        "%a, %d %b %Y %H:%M:%S +0000 (UTC)",
        true,
    )
    .unwrap_or_default();
    let message = mail::message(&plan.from, &plan.to, &date, text);
    for to in &plan.mailers {
        let steps = mail::conversation(&plan.hostname, &plan.from, &plan.to, message.clone());
        let (to, limit) = (to.clone(), plan.timeout);
        tokio::spawn(async move {
            match tokio::time::timeout(limit, converse(&to, steps)).await {
                Ok(Ok(())) => tracing::debug!("mail alert sent to {to}"),
                Ok(Err(e)) => tracing::warn!("mail alert to {to} failed: {e}"),
                Err(_) => {
                    tracing::warn!("mail alert to {to} failed: no answer within `timeout mail`")
                }
            }
        });
    }
}

async fn converse(to: &str, steps: Vec<mail::Step>) -> std::io::Result<()> {
    let mut s = tokio::net::TcpStream::connect(to).await?;
    let mut buf = Vec::new();
    for step in steps {
        if let Some(line) = &step.send {
            s.write_all(line.as_bytes()).await?;
        }
        buf.clear();
        let class = loop {
            if let Some(c) = mail::reply_class(&buf) {
                break c;
            }
            let mut chunk = [0u8; 512];
            let n = s.read(&mut chunk).await?;
            if n == 0 || buf.len() > 16 * 1024 {
                return Err(std::io::Error::other("the mailer closed the conversation"));
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        if class != step.expect {
            let said = String::from_utf8_lossy(&buf);
            return Err(std::io::Error::other(format!(
                "the mailer answered `{}` to `{}`",
                said.trim_end(),
                step.send
                    .as_deref()
                    .unwrap_or("(connection)")
                    .lines()
                    .next()
                    .unwrap_or("")
                    .trim_end()
            )));
        }
    }
    Ok(())
}
