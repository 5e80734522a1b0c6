//! Traffic log lines: what a frontend logs (its targets, line format and options) and
//! the record of one HTTP request or TCP session that its `%xx` variables read, written
//! once the exchange is over (or at once with `option logasap`).

use super::aliases;
use super::inspect::Ctx;
use super::log::Sink;
use super::{Conn, PlanError};
use haproxy_conf::logging::{Capture, LogSink, LogStyle};
use haproxy_conf::model::{Config, Mode, Proxy};
use haproxy_conf::sample::fmt::{Alias, Fmt};
use proxy_core::log::{Cause, Origin, Phase, Stamp};
use proxy_core::sample::fmt::{AliasValue, Aliases, Inline};
use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

/// How a frontend's lines are written.
#[derive(Debug, Clone)]
pub enum Line {
    /// HAProxy's default: `Connect from C to F (frontend/MODE)`, when the connection is
    /// accepted.
    Connect,
    Fmt(Fmt),
}

/// A frontend's logging.
#[derive(Debug)]
pub struct LogPlan {
    pub sinks: Vec<Arc<Sink>>,
    pub line: Line,
    pub tag: String,
    pub hostname: Option<String>,
    pub dontlognull: bool,
    pub dontlog_normal: bool,
    pub separate_errors: bool,
    pub req_captures: Vec<(String, usize)>,
    pub res_captures: Vec<(String, usize)>,
    pub cookie_capture: Option<(String, usize)>,
}

impl LogPlan {
    /// None when the proxy logs nowhere.
    pub fn new(p: &Proxy, cfg: &Config) -> Result<Option<LogPlan>, PlanError> {
        Self::with_sinks(p, cfg, &mut |s| Sink::open(s).map(Arc::new))
    }

    /// As `new`, each target opened by `open` (which may share one sink between proxies).
    pub fn with_sinks(
        p: &Proxy,
        cfg: &Config,
        open: &mut dyn FnMut(&LogSink) -> Result<Arc<Sink>, String>,
    ) -> Result<Option<LogPlan>, PlanError> {
        let specs = super::log::targets(p, cfg);
        if specs.is_empty() {
            return Ok(None);
        }
        let mut sinks = Vec::new();
        for s in &specs {
            sinks.push(open(s).map_err(|message| PlanError {
                span: Some(p.span),
                message,
            })?);
        }
        let line = match &p.log_style {
            None => Line::Connect,
            // In tcp mode `option httplog` falls back to the tcp format, as HAProxy does
            // (with a warning at -c).
            Some(LogStyle::Http | LogStyle::HttpClf | LogStyle::Https) if p.mode == Mode::Tcp => {
                Line::Fmt(LogStyle::Tcp.fmt())
            }
            Some(s) => Line::Fmt(s.fmt()),
        };
        let mut plan = LogPlan {
            sinks,
            line,
            tag: p
                .log_tag
                .clone()
                .or_else(|| cfg.global.log_tag.clone())
                .unwrap_or_else(|| "haproxy".into()),
            hostname: cfg.global.log_send_hostname.as_ref().map(|h| {
                if h.is_empty() {
                    super::log::hostname()
                } else {
                    h.clone()
                }
            }),
            dontlognull: p.option("dontlognull"),
            dontlog_normal: p.option("dontlog-normal"),
            separate_errors: p.option("log-separate-errors"),
            req_captures: Vec::new(),
            res_captures: Vec::new(),
            cookie_capture: None,
        };
        for c in &p.captures {
            match c {
                Capture::ReqHeader { name, len } => plan
                    .req_captures
                    .push((name.to_ascii_lowercase(), *len as usize)),
                Capture::ResHeader { name, len } => plan
                    .res_captures
                    .push((name.to_ascii_lowercase(), *len as usize)),
                Capture::Cookie { name, len } => {
                    plan.cookie_capture = Some((name.clone(), *len as usize))
                }
            }
        }
        Ok(Some(plan))
    }

    pub fn send(&self, level: u8, msg: &[u8]) {
        let (secs, usecs) = super::clock::unix_now();
        let origin = Origin {
            hostname: self.hostname.as_deref(),
            tag: &self.tag,
            pid: super::log::pid(),
        };
        for s in &self.sinks {
            s.send(level, Stamp { secs, usecs }, origin, msg);
        }
    }

    /// The `Connect from` line of a new connection.
    pub fn connect_line(&self, conn: &Conn, fe: &str, mode: Mode) {
        let (c, f) = if conn.unix {
            ("unix:".to_string(), "unix:".to_string())
        } else {
            (conn.peer.to_string(), conn.local.to_string())
        };
        let mode = if mode == Mode::Http { "HTTP" } else { "TCP" };
        self.send(
            proxy_core::log::INFO,
            format!("Connect from {c} to {f} ({fe}/{mode})").as_bytes(),
        );
    }
}

/// Milliseconds, or -1 when the step did not happen.
pub type Ms = i64;

/// One request (or TCP session) as its log line tells it.
#[derive(Debug, Clone)]
pub struct Record {
    /// When the request (or session) began.
    pub at: SystemTime,
    pub backend: Option<String>,
    pub server: Option<(String, Option<SocketAddr>)>,
    /// The timers: request head, queue, connect, response head, active, total.
    pub t_req: Ms,
    pub t_queue: Ms,
    pub t_connect: Ms,
    pub t_resp: Ms,
    pub t_active: Ms,
    pub t_total: Ms,
    pub status: Option<u16>,
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub cause: Cause,
    pub phase: Phase,
    /// Persistence cookie states (`%tsc`'s last two letters).
    pub cookie_flags: (char, char),
    pub retries: u32,
    pub method: Option<http::Method>,
    pub uri: Option<super::http::sample::Target>,
    pub version: Option<&'static str>,
    pub req_captures: Vec<Option<String>>,
    pub res_captures: Vec<Option<String>>,
    pub cookie_req: Option<String>,
    pub cookie_res: Option<String>,
    /// Connection counts when the line is written: process, frontend, backend, server,
    /// server queue, backend queue.
    pub counts: [u32; 6],
    /// Not logged (monitor-uri requests, as HAProxy).
    pub unlogged: bool,
    /// The request's `unique-id-format` value (`%ID`).
    pub unique_id: Option<String>,
}

impl Record {
    pub fn new(at: SystemTime) -> Record {
        Record {
            at,
            backend: None,
            server: None,
            t_req: 0,
            t_queue: -1,
            t_connect: -1,
            t_resp: -1,
            t_active: 0,
            t_total: 0,
            status: None,
            bytes_out: 0,
            bytes_in: 0,
            cause: Cause::Normal,
            phase: Phase::Normal,
            cookie_flags: ('-', '-'),
            retries: 0,
            method: None,
            uri: None,
            version: None,
            req_captures: Vec::new(),
            res_captures: Vec::new(),
            cookie_req: None,
            cookie_res: None,
            counts: [0; 6],
            unlogged: false,
            unique_id: None,
        }
    }

    /// Whether the line reports an error (`option log-separate-errors` sends it at
    /// `err`).
    pub fn is_error(&self) -> bool {
        self.status
            .is_some_and(|s| s >= 500 && s != 501 && s != 505)
            || !matches!(self.cause, Cause::Normal)
    }
}

/// A value cut to a capture's length.
pub fn capture_value(v: &str, len: usize) -> String {
    let mut end = v.len().min(len);
    while !v.is_char_boundary(end) {
        end -= 1;
    }
    v[..end].to_string()
}

/// Captured headers for `%hr`/`%hrl` (`%hs`/`%hsl`): nothing at all when the frontend
/// captures none or the line has no request (HAProxy's connection-error lines).
fn captured(v: &[Option<String>], list: bool) -> Option<AliasValue<'_>> {
    Some(if v.is_empty() {
        AliasValue::Nothing
    } else {
        AliasValue::Captures { list, items: v }
    })
}

/// A part of the request line as HAProxy logs it.
fn request_part(a: Alias, r: &Record) -> Cow<'_, str> {
    let (Some(m), Some(u)) = (&r.method, &r.uri) else {
        return "<BADREQ>".into();
    };
    let (m, u): (&str, &str) = (m.as_str(), u);
    let path = u.split('?').next().unwrap_or("");
    match a {
        Alias::HttpMethod => m.into(),
        Alias::HttpUri => u.into(),
        Alias::HttpPath => path.into(),
        Alias::HttpPathOnly => match path.find("://") {
            Some(i) => path[i + 3..]
                .find('/')
                .map(|j| &path[i + 3 + j..])
                .unwrap_or("/")
                .into(),
            None => path.into(),
        },
        Alias::HttpQuery => u.find('?').map(|i| &u[i..]).unwrap_or("").into(),
        Alias::HttpVersion => r.version.unwrap_or("HTTP/0.9").into(),
        _ => match r.version {
            Some(v) => format!("{m} {u} {v}").into(),
            None => format!("{m} {u}").into(),
        },
    }
}

/// The samples of a log line: the record answers the captures and the status, the
/// request (or connection) the rest.
pub struct LogSample<'a> {
    pub inner: &'a dyn proxy_core::sample::Sample,
    pub r: &'a Record,
}

impl proxy_core::sample::Sample for LogSample<'_> {
    fn fetch(&self, f: &proxy_core::acl::Fetch) -> Vec<proxy_core::acl::Value> {
        use proxy_core::acl::{Fetch, Value};
        let captured = |v: &Vec<Option<String>>, n: usize| {
            v.get(n)
                .cloned()
                .flatten()
                .map(|c| vec![Value::Str(c)])
                .unwrap_or_default()
        };
        match f {
            Fetch::CaptureReqHdr(n) => captured(&self.r.req_captures, *n),
            Fetch::CaptureResHdr(n) => captured(&self.r.res_captures, *n),
            // The response is gone when HAProxy writes the line: `status` has no value
            // there (measured; `%ST` has it).
            Fetch::Status => Vec::new(),
            _ => self.inner.fetch(f),
        }
    }
    fn vars(&self) -> Option<&proxy_core::sample::vars::Scopes<'_>> {
        self.inner.vars()
    }
    fn now(&self) -> (i64, u32) {
        self.inner.now()
    }
    fn table(
        &self,
        data: haproxy_conf::sample::conv::TableData,
        table: &str,
        key: &proxy_core::acl::Value,
    ) -> Option<proxy_core::acl::Value> {
        self.inner.table(data, table, key)
    }
    fn map(
        &self,
        m: &haproxy_conf::sample::conv::MapConv,
        key: &proxy_core::acl::Value,
    ) -> Option<proxy_core::acl::Value> {
        self.inner.map(m, key)
    }
    fn nbsrv(&self, backend: &str) -> Option<i64> {
        self.inner.nbsrv(backend)
    }
}

/// The record with what it belongs to: the record's variables first, then those every
/// session knows.
pub struct Logged<'a> {
    pub r: &'a Record,
    pub conn: &'a Conn,
    pub ctx: Ctx<'a>,
}

impl Aliases for Logged<'_> {
    fn alias(&self, a: Alias) -> Option<AliasValue<'_>> {
        let r = self.r;
        let ms = |v: Ms| Some(AliasValue::Int(v));
        let text = |t| Some(AliasValue::Text(Cow::Borrowed(t)));
        let int = |n: u32| Some(AliasValue::Int(i64::from(n)));
        let term = || proxy_core::log::term_code(r.cause, r.phase);
        match a {
            Alias::TR => ms(r.t_req),
            Alias::Tw => ms(r.t_queue),
            Alias::Tc => ms(r.t_connect),
            Alias::Tr => ms(r.t_resp),
            Alias::Ta => ms(r.t_active),
            Alias::Tt => ms(r.t_total),
            Alias::Th | Alias::Ti => ms(0),
            Alias::Tq => ms(r.t_req),
            Alias::Td => ms(if r.t_resp < 0 {
                -1
            } else {
                r.t_total - (r.t_req + r.t_queue.max(0) + r.t_connect.max(0) + r.t_resp)
            }),
            Alias::Tu => ms(r.t_total),
            Alias::Status => Some(AliasValue::Int(r.status.map(i64::from).unwrap_or(-1))),
            Alias::BytesRead => Some(AliasValue::Int(r.bytes_out as i64)),
            Alias::BytesUploaded => Some(AliasValue::Int(r.bytes_in as i64)),
            Alias::TermState => Some(AliasValue::Inline(*Inline::default().push(&term()))),
            Alias::TermStateCookie => {
                let mut t = Inline::default();
                let mut c = [0u8; 8];
                t.push(&term())
                    .push(r.cookie_flags.0.encode_utf8(&mut c).as_bytes());
                t.push(r.cookie_flags.1.encode_utf8(&mut c).as_bytes());
                Some(AliasValue::Inline(t))
            }
            Alias::ActConn => int(r.counts[0]),
            Alias::FeConn => int(r.counts[1]),
            Alias::BeConn => int(r.counts[2]),
            Alias::SrvConn => int(r.counts[3]),
            Alias::SrvQueue => int(r.counts[4]),
            Alias::BeQueue => int(r.counts[5]),
            Alias::Retries => int(r.retries),
            Alias::Backend => text(r.backend.as_deref().unwrap_or(&self.ctx.fe.name)),
            Alias::Server => text(r.server.as_ref().map(|s| s.0.as_str()).unwrap_or("<NOSRV>")),
            Alias::ServerIp => r
                .server
                .as_ref()
                .and_then(|s| s.1)
                .map(|a| AliasValue::Ip(a.ip())),
            Alias::ServerPort => r
                .server
                .as_ref()
                .and_then(|s| s.1)
                .map(|a| AliasValue::Int(i64::from(a.port()))),
            Alias::CapturedReqHeaders => captured(&r.req_captures, false),
            Alias::CapturedResHeaders => captured(&r.res_captures, false),
            Alias::CapturedReqHeadersList => captured(&r.req_captures, true),
            Alias::CapturedResHeadersList => captured(&r.res_captures, true),
            Alias::CapturedReqCookie => r.cookie_req.as_deref().and_then(text),
            Alias::CapturedResCookie => r.cookie_res.as_deref().and_then(text),
            // The request line's parts; `<BADREQ>` for a line without a request.
            Alias::HttpMethod
            | Alias::HttpUri
            | Alias::HttpPath
            | Alias::HttpPathOnly
            | Alias::HttpQuery
            | Alias::HttpVersion => Some(AliasValue::Url(request_part(a, r))),
            Alias::Request => match (&r.method, &r.uri) {
                (Some(method), Some(uri)) => Some(AliasValue::Request {
                    method: method.as_str(),
                    uri,
                    version: r.version,
                }),
                _ => Some(AliasValue::Url("<BADREQ>".into())),
            },
            Alias::UniqueId => r.unique_id.as_deref().and_then(text),
            Alias::LogCounter => int(0),
            Alias::RequestCounter => int(0),
            Alias::BackendSourceIp | Alias::BackendSourcePort => text("-"),
            _ => aliases::common(
                a,
                self.conn,
                self.ctx,
                Some(r.at),
                r.server.as_ref().map(|(n, a)| (n.as_str(), *a)),
            ),
        }
    }
}
