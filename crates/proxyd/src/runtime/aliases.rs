//! The log-format variables every kind of session knows (addresses, proxy and server
//! names, dates, host name, pid), shared by HTTP rules and TCP content rules.

use super::inspect::Ctx;
use super::Conn;
use haproxy_conf::sample::fmt::Alias;
use proxy_core::sample::fmt::{AliasValue, Inline};
use std::borrow::Cow;
use std::net::SocketAddr;
use std::time::SystemTime;

/// `%t`-style dates: `02/Dec/2026:05:33:33.513` (local), `02/Dec/2026:05:33:33 +0000`
/// for `%T` (GMT) and `%Tl` (local).
pub(super) fn date(at: SystemTime, utc: bool, millis: bool) -> Inline {
    use proxy_core::sample::conv::strftime_memo_with;
    let d = at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let mut out = Inline::default();
    strftime_memo_with(secs, "%d/%b/%Y:%H:%M:%S", utc, |t| {
        out.push(t.as_bytes());
    });
    if millis {
        out.push(b".").push_int(u64::from(d.subsec_millis()), 3);
    } else {
        out.push(b" ");
        strftime_memo_with(secs, "%z", utc, |z| {
            out.push(z.as_bytes());
        });
    }
    out
}

/// A variable known from the connection, the proxies and the clock; `at` is when the
/// request (or session) began, `server` the one chosen if any.
pub fn common<'a>(
    a: Alias,
    conn: &'a Conn,
    ctx: Ctx<'a>,
    at: Option<SystemTime>,
    server: Option<(&'a str, Option<SocketAddr>)>,
) -> Option<AliasValue<'a>> {
    let text = |t: &'a str| Some(AliasValue::Text(Cow::Borrowed(t)));
    let at = at.unwrap_or_else(super::clock::wall);
    let fe = ctx.fe;
    let since_epoch = at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    match a {
        Alias::ClientIp if !conn.unix => Some(AliasValue::Ip(conn.peer.ip())),
        Alias::ClientPort if !conn.unix => Some(AliasValue::Int(i64::from(conn.peer.port()))),
        Alias::FrontendIp if !conn.unix => Some(AliasValue::Ip(conn.local.ip())),
        Alias::FrontendPort if !conn.unix => Some(AliasValue::Int(i64::from(conn.local.port()))),
        Alias::ClientIp | Alias::FrontendIp | Alias::ClientPort | Alias::FrontendPort => {
            text("unix")
        }
        Alias::Frontend => text(&fe.name),
        Alias::FrontendTransport => Some(AliasValue::Text(if conn.tls.is_some() {
            Cow::Owned(format!("{}~", fe.name))
        } else {
            Cow::Borrowed(&fe.name)
        })),
        // Before a backend is chosen, HAProxy names the frontend.
        Alias::Backend => text(ctx.be.map(|b| b.name.as_str()).unwrap_or(&fe.name)),
        Alias::Server => text(server.map(|s| s.0).unwrap_or("<NOSRV>")),
        Alias::ServerIp => server.and_then(|s| s.1).map(|a| AliasValue::Ip(a.ip())),
        Alias::ServerPort => server
            .and_then(|s| s.1)
            .map(|a| AliasValue::Int(i64::from(a.port()))),
        Alias::Hostname => Some(AliasValue::Text(Cow::Owned(super::log::hostname()))),
        Alias::Pid => Some(AliasValue::Int(i64::from(super::log::pid()))),
        Alias::AcceptDate | Alias::RequestDate => Some(AliasValue::Inline(date(at, false, true))),
        Alias::GmtDate | Alias::RequestGmtDate => Some(AliasValue::Inline(date(at, true, false))),
        Alias::LocalDate | Alias::RequestLocalDate => {
            Some(AliasValue::Inline(date(at, false, false)))
        }
        Alias::Timestamp => Some(AliasValue::Int(since_epoch.as_secs() as i64)),
        Alias::AcceptMs => Some(AliasValue::Raw(Cow::Owned(format!(
            "{:03}",
            since_epoch.subsec_millis()
        )))),
        Alias::SslVersion => conn
            .tls
            .as_ref()
            .and_then(|t| t.version.as_deref())
            .map(|v| AliasValue::Text(Cow::Borrowed(v))),
        Alias::SslCipher => conn
            .tls
            .as_ref()
            .and_then(|t| t.cipher.as_deref())
            .map(|v| AliasValue::Text(Cow::Borrowed(v))),
        // Log-line values (timers, byte counts, termination state) are not known while
        // rules run; the plan refuses them outside log formats.
        _ => None,
    }
}
