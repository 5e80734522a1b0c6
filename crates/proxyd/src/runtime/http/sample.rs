//! What an HTTP request offers to fetches and log-format variables: its line, headers
//! and cookies, the connection it came on, its variables, and (for response rules) the
//! server that answered.

use super::super::inspect::Ctx;
use super::super::Conn;
use bytes::Bytes;
use haproxy_conf::sample::fmt::Alias;
use proxy_core::acl::{Fetch, Sample, Value};
use proxy_core::sample::fmt::{AliasValue, Aliases};
use proxy_core::sample::vars::Scopes;
use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::SystemTime;

/// Facts about one request that its rules may read.
#[derive(Debug)]
pub struct TxnInfo {
    /// The request line as received (before any rule rewrote it).
    pub method: http::Method,
    pub uri: Target,
    pub version: &'static str,
    /// The first request of its connection.
    pub first: bool,
    /// When the request began.
    pub at: SystemTime,
    /// `unique-id-format`'s value for this request.
    pub unique_id: Option<String>,
    /// `set-timeout server` / `set-timeout tunnel` for this stream, in milliseconds
    /// (0: none; a null timeout is never set).
    pub server_timeout: AtomicI64,
    pub tunnel_timeout: AtomicI64,
    /// The body's first bytes, once read ahead for the rules (`req.body*`).
    pub body: Mutex<Option<Bytes>>,
}

impl TxnInfo {
    /// `at`: when the request began.
    pub fn of(parts: &http::request::Parts, first: bool, at: SystemTime) -> TxnInfo {
        TxnInfo {
            method: parts.method.clone(),
            uri: Target::of(parts),
            version: version(parts.version),
            first,
            at,
            unique_id: None,
            server_timeout: AtomicI64::new(0),
            tunnel_timeout: AtomicI64::new(0),
            body: Mutex::new(None),
        }
    }
}

fn version(v: http::Version) -> &'static str {
    match v {
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_2 => "HTTP/2.0",
        _ => "HTTP/1.1",
    }
}

/// The response, for response rules.
#[derive(Clone, Copy)]
pub struct RespView<'a> {
    pub status: u16,
    pub headers: &'a http::HeaderMap,
    pub version: http::Version,
}

#[derive(Clone, Copy)]
pub struct ReqSample<'a> {
    pub parts: &'a http::request::Parts,
    pub conn: &'a Conn,
    pub ctx: Ctx<'a>,
    pub vars: Option<Scopes<'a>>,
    pub txn: Option<&'a TxnInfo>,
    /// Response rules: the server that answered, and its address.
    pub server: Option<(&'a str, Option<SocketAddr>)>,
    pub resp: Option<RespView<'a>>,
}

impl<'a> ReqSample<'a> {
    pub fn of(parts: &'a http::request::Parts, conn: &'a Conn, ctx: Ctx<'a>) -> Self {
        ReqSample {
            parts,
            conn,
            ctx,
            vars: None,
            txn: None,
            server: None,
            resp: None,
        }
    }

    /// With the request's variables and facts.
    pub fn with(mut self, vars: Scopes<'a>, txn: &'a TxnInfo) -> Self {
        self.vars = Some(vars);
        self.txn = Some(txn);
        self
    }
}

impl ReqSample<'_> {
    /// `be_*_timeout`: the backend's setting (0 for none). `cur_*_timeout`: what
    /// `set-timeout` gave the stream; HAProxy sets the stream's timeouts from the backend
    /// only once it connects, so request rules read 0 until a rule sets one.
    fn timeout(&self, tunnel: bool, current: bool) -> Vec<Value> {
        let Some(be) = self.ctx.be else {
            return Vec::new();
        };
        let configured = if tunnel {
            be.timeouts.tunnel
        } else {
            be.timeouts.server
        };
        let configured = configured.map_or(0, |v| i64::try_from(v).unwrap_or(i64::MAX));
        if !current {
            return vec![Value::Int(configured)];
        }
        let set = self
            .txn
            .map(|t| {
                if tunnel {
                    &t.tunnel_timeout
                } else {
                    &t.server_timeout
                }
            })
            .map(|a| a.load(Relaxed))
            .filter(|ms| *ms != 0);
        let before_connect = if self.resp.is_some() { configured } else { 0 };
        vec![Value::Int(set.unwrap_or(before_connect))]
    }

    /// `req.body*`: what was read ahead (nothing was: an empty body, as HAProxy has
    /// before any of it arrived).
    fn body_fetch(&self, f: &Fetch) -> Vec<Value> {
        let body = self
            .txn
            .and_then(|t| t.body.lock().ok().and_then(|b| b.clone()))
            .unwrap_or_default();
        match f {
            Fetch::ReqBody => vec![Value::Bin(body.to_vec())],
            Fetch::ReqBodyLen => vec![Value::Int(body.len() as i64)],
            Fetch::ReqBodySize => {
                let declared = super::plan::content_length(&self.parts.headers)
                    .and_then(|n| i64::try_from(n).ok());
                vec![Value::Int(declared.unwrap_or(body.len() as i64))]
            }
            Fetch::ReqBodyParam(name) => {
                let text = String::from_utf8_lossy(&body);
                match name {
                    Some(n) => query_param(&text, n, None),
                    None => text
                        .split('&')
                        .filter(|kv| !kv.is_empty())
                        .map(|kv| Value::Str(kv.split_once('=').map_or("", |(_, v)| v).to_string()))
                        .collect(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// The `http_auth*` fetches; None for other fetches.
    fn auth_fetch(&self, f: &Fetch) -> Option<Vec<Value>> {
        let creds = || super::super::auth::credentials(&self.parts.headers);
        let users = &self.ctx.fe.userlists;
        let valid = |list: &str| {
            creds()
                .and_then(|(_, b)| b)
                .filter(|(u, p)| users.check(list, u, p))
                .map(|(u, _)| u)
        };
        Some(match f {
            // No Authorization header: no value at all (HAProxy 2.6).
            Fetch::HttpAuth(list) => match creds() {
                Some(_) => vec![Value::Bool(valid(list).is_some())],
                None => Vec::new(),
            },
            Fetch::HttpAuthGroup { userlist, groups } => match valid(userlist) {
                Some(u) if *groups => users
                    .groups(userlist, &u)
                    .into_iter()
                    .map(Value::Str)
                    .collect(),
                Some(u) => vec![Value::Str(u)],
                None => Vec::new(),
            },
            Fetch::HttpAuthType => creds()
                .map(|(s, _)| vec![Value::Str(s)])
                .unwrap_or_default(),
            Fetch::HttpAuthUser | Fetch::HttpAuthPass => creds()
                .and_then(|(_, b)| b)
                .map(|(u, p)| {
                    vec![Value::Str(if matches!(f, Fetch::HttpAuthUser) {
                        u
                    } else {
                        p
                    })]
                })
                .unwrap_or_default(),
            _ => return None,
        })
    }
}

/// The values of query parameter `name` (parameters split at `delim`, else `&`).
pub fn query_param(query: &str, name: &str, delim: Option<&str>) -> Vec<Value> {
    let split: Vec<&str> = match delim {
        Some(d) if !d.is_empty() => query.split(|c| d.contains(c)).collect(),
        _ => query.split('&').collect(),
    };
    split
        .into_iter()
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| Value::Str(v.to_string()))
        .collect()
}

/// The request target as the client wrote it (origin form, or absolute form).
/// A request's target as received (the URI's path and query, or the whole absolute URI),
/// shared with the request rather than copied: logs and fetches read it as text.
#[derive(Debug, Clone)]
pub struct Target(TargetText);

#[derive(Debug, Clone)]
enum TargetText {
    Origin(http::Uri),
    /// Written out the first time a log or fetch asks for it (HTTP/2 requests carry an
    /// absolute URI, and most requests are never logged with it).
    Absolute(http::Uri, std::sync::OnceLock<Box<str>>),
}

impl Target {
    pub fn of(parts: &http::request::Parts) -> Target {
        Target(if parts.uri.scheme().is_some() {
            TargetText::Absolute(parts.uri.clone(), std::sync::OnceLock::new())
        } else {
            TargetText::Origin(parts.uri.clone())
        })
    }
}

impl std::ops::Deref for Target {
    type Target = str;
    fn deref(&self) -> &str {
        match &self.0 {
            TargetText::Origin(u) => u.path_and_query().map(|p| p.as_str()).unwrap_or("/"),
            TargetText::Absolute(u, text) => text.get_or_init(|| u.to_string().into()),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

pub fn target(parts: &http::request::Parts) -> String {
    Target::of(parts).to_string()
}

/// The request's header lines as HAProxy's rules see them: it takes `close` and
/// `keep-alive` out of `Connection` (and the line when nothing is left).
fn visible(h: &http::HeaderMap) -> impl Iterator<Item = (&str, String)> {
    h.iter().filter_map(|(k, v)| {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        if k != http::header::CONNECTION {
            return Some((k.as_str(), v));
        }
        let kept: Vec<&str> = v
            .split(',')
            .map(str::trim)
            .filter(|t| {
                !t.is_empty()
                    && !t.eq_ignore_ascii_case("close")
                    && !t.eq_ignore_ascii_case("keep-alive")
            })
            .collect();
        (!kept.is_empty()).then(|| (k.as_str(), kept.join(", ")))
    })
}

/// A header's values: each line split at commas (HAProxy's `hdr`), or whole lines
/// (`fhdr`).
fn header_values(h: &http::HeaderMap, name: &str, full: bool) -> Vec<String> {
    visible(h)
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .flat_map(|v| {
            if full {
                vec![v.trim().to_string()]
            } else {
                v.split(',').map(|x| x.trim().to_string()).collect()
            }
        })
        .collect()
}

/// One occurrence (1 first, -1 last), or all of them.
fn occurrence<T>(all: Vec<T>, occ: Option<i64>) -> Vec<T> {
    match occ {
        None | Some(0) => all,
        Some(n) if n > 0 => all.into_iter().nth(n as usize - 1).into_iter().collect(),
        Some(n) => {
            let back = n.unsigned_abs() as usize;
            match all.len().checked_sub(back) {
                Some(i) => all.into_iter().nth(i).into_iter().collect(),
                None => Vec::new(),
            }
        }
    }
}

/// The cookies a response sets: each Set-Cookie's first `name=value`.
fn set_cookies(h: &http::HeaderMap) -> Vec<(String, String)> {
    h.get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| {
            let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
            let first = v.split(';').next()?.trim().to_string();
            first
                .split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// The request's cookies, in order.
fn cookies(h: &http::HeaderMap) -> Vec<(String, String)> {
    h.get_all(http::header::COOKIE)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .flat_map(|v| {
            v.split(';')
                .filter_map(|c| {
                    let c = c.trim();
                    c.split_once('=')
                        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// `base32` / `url32`: the first Host value followed by the path (`base`) or the whole
/// target (`url`), hashed with sdbm then the avalanche (measured with HAProxy 2.6).
fn hash32(parts: &http::request::Parts, with_path_only: bool) -> u32 {
    let host = parts
        .headers
        .get(http::header::HOST)
        .map(|h| h.as_bytes().to_vec())
        .unwrap_or_default();
    let mut key = host;
    if with_path_only {
        key.extend_from_slice(parts.uri.path().as_bytes());
    } else {
        key.extend_from_slice(target(parts).as_bytes());
    }
    proxy_core::hash::avalanche(proxy_core::hash::sdbm(&key))
}

impl Sample for ReqSample<'_> {
    fn fetch(&self, f: &Fetch) -> Vec<Value> {
        if let Some(v) = self.ctx.fetch(f, self.conn) {
            return v;
        }
        // Response rules: HAProxy has let the request's headers go (its line it keeps).
        if self.resp.is_some() && f.needs_request_headers() {
            return Vec::new();
        }
        if let Some(v) = self.auth_fetch(f) {
            return v;
        }
        if f.reads_body() {
            return self.body_fetch(f);
        }
        if let Fetch::Timeout { tunnel, current } = *f {
            return self.timeout(tunnel, current);
        }
        if let Fetch::UniqueId = f {
            return self
                .txn
                .and_then(|t| t.unique_id.clone())
                .map(|id| vec![Value::Str(id)])
                .unwrap_or_default();
        }
        if let Fetch::Contextual(inner) = f {
            return match (self.resp, inner.on_response()) {
                (Some(r), Some(res)) => response_fetch(&res, r),
                _ => self.fetch(inner),
            };
        }
        let uri = &self.parts.uri;
        let headers = &self.parts.headers;
        let pq = || uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let s = |t: &str| vec![Value::Str(t.to_string())];
        let tls = self.conn.tls.as_deref();
        match f {
            Fetch::Path => s(uri.path()),
            Fetch::Url => vec![Value::Str(target(self.parts))],
            Fetch::PathQ => s(pq()),
            Fetch::Query => uri.query().map(s).unwrap_or_default(),
            Fetch::Base => {
                let host = headers
                    .get(http::header::HOST)
                    .map(|h| String::from_utf8_lossy(h.as_bytes()).into_owned())
                    .unwrap_or_default();
                vec![Value::Str(format!("{host}{}", uri.path()))]
            }
            Fetch::Method => s(self.parts.method.as_str()),
            Fetch::ReqVer => s(match self.parts.version {
                http::Version::HTTP_10 => "1.0",
                http::Version::HTTP_2 => "2.0",
                _ => "1.1",
            }),
            Fetch::ProtoHttp => vec![Value::Bool(true)],
            Fetch::Hdr { name, occ, full } => header_fetch(headers, name, *occ, *full, HdrAs::Text),
            Fetch::HdrCnt { name, full } => header_fetch(headers, name, None, *full, HdrAs::Count),
            Fetch::HdrVal(name) => header_fetch(headers, name, None, false, HdrAs::Int),
            Fetch::HdrIp { name, occ } => header_fetch(headers, name, *occ, false, HdrAs::Ip),
            Fetch::ReqHdrs => {
                let mut all = String::new();
                for (k, v) in visible(headers) {
                    all.push_str(k);
                    all.push_str(": ");
                    all.push_str(&v);
                    all.push_str("\r\n");
                }
                all.push_str("\r\n");
                vec![Value::Str(all)]
            }
            Fetch::ReqHdrNames(delim) => {
                let names: Vec<&str> = visible(headers).map(|(k, _)| k).collect();
                vec![Value::Str(names.join(delim))]
            }
            Fetch::Cook(name) => cookies(headers)
                .into_iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| Value::Str(v))
                .collect(),
            Fetch::CookCnt(name) => vec![Value::Int(
                cookies(headers)
                    .iter()
                    .filter(|(k, _)| name.as_ref().is_none_or(|n| n == k))
                    .count() as i64,
            )],
            Fetch::CookVal(name) => cookies(headers)
                .into_iter()
                .filter(|(k, _)| k == name)
                .filter_map(|(_, v)| proxy_core::sample::str_to_int(&v))
                .map(Value::Int)
                .collect(),
            Fetch::UrlParam { name, delim } => {
                query_param(uri.query().unwrap_or(""), name, delim.as_deref())
            }
            Fetch::UrlIp => uri
                .host()
                .and_then(|h| h.parse().ok())
                .map(|ip| vec![Value::Ip(ip)])
                .unwrap_or_default(),
            Fetch::UrlPort => uri
                .port_u16()
                .map(|p| vec![Value::Int(i64::from(p))])
                .unwrap_or_default(),
            Fetch::Url32 { with_src } | Fetch::Base32 { with_src } => {
                let h = hash32(self.parts, matches!(f, Fetch::Base32 { .. }));
                if *with_src {
                    let mut b = h.to_be_bytes().to_vec();
                    match self.conn.peer.ip() {
                        std::net::IpAddr::V4(a) => b.extend_from_slice(&a.octets()),
                        std::net::IpAddr::V6(a) => b.extend_from_slice(&a.octets()),
                    }
                    vec![Value::Bin(b)]
                } else {
                    vec![Value::Int(i64::from(h))]
                }
            }
            Fetch::HttpFirstReq => vec![Value::Bool(self.txn.is_some_and(|t| t.first))],
            Fetch::CaptureReqHdr(n) => {
                let cap = self
                    .ctx
                    .fe
                    .log
                    .as_ref()
                    .and_then(|l| l.req_captures.get(*n));
                cap.and_then(|(name, len)| {
                    headers.get(name.as_str()).map(|v| {
                        vec![Value::Str(super::super::logline::capture_value(
                            &String::from_utf8_lossy(v.as_bytes()),
                            *len,
                        ))]
                    })
                })
                .unwrap_or_default()
            }
            Fetch::CaptureResHdr(n) => {
                let cap = self
                    .ctx
                    .fe
                    .log
                    .as_ref()
                    .and_then(|l| l.res_captures.get(*n));
                match (cap, self.resp) {
                    (Some((name, len)), Some(r)) => r
                        .headers
                        .get(name.as_str())
                        .map(|v| {
                            vec![Value::Str(super::super::logline::capture_value(
                                &String::from_utf8_lossy(v.as_bytes()),
                                *len,
                            ))]
                        })
                        .unwrap_or_default(),
                    _ => Vec::new(),
                }
            }
            Fetch::CaptureReqMethod => self.txn.map(|t| s(t.method.as_str())).unwrap_or_default(),
            Fetch::CaptureReqUri => self.txn.map(|t| s(&t.uri)).unwrap_or_default(),
            Fetch::CaptureReqVer => self.txn.map(|t| s(t.version)).unwrap_or_default(),
            f if f.is_response() => match self.resp {
                Some(r) => response_fetch(f, r),
                None => Vec::new(),
            },
            Fetch::Src if !self.conn.unix => vec![Value::Ip(self.conn.peer.ip())],
            Fetch::Dst if !self.conn.unix => vec![Value::Ip(self.conn.local.ip())],
            Fetch::SrcPort if !self.conn.unix => {
                vec![Value::Int(i64::from(self.conn.peer.port()))]
            }
            Fetch::DstPort if !self.conn.unix => {
                vec![Value::Int(i64::from(self.conn.local.port()))]
            }
            Fetch::SslFc => vec![Value::Bool(tls.is_some())],
            Fetch::SslC(d) => super::super::tls::client_cert_fetch(d, tls),
            Fetch::Sni => tls
                .and_then(|t| t.sni.clone())
                .map(|n| vec![Value::Str(n)])
                .unwrap_or_default(),
            Fetch::SslFcHasSni => vec![Value::Bool(tls.is_some_and(|t| t.sni.is_some()))],
            Fetch::SslFcProtocol => tls
                .and_then(|t| t.version.clone())
                .map(|v| vec![Value::Str(v)])
                .unwrap_or_default(),
            Fetch::SslFcCipher => tls
                .and_then(|t| t.cipher.clone())
                .map(|v| vec![Value::Str(v)])
                .unwrap_or_default(),
            Fetch::SslFcAlpn => tls
                .and_then(|t| t.alpn.clone())
                .map(|v| vec![Value::Str(v)])
                .unwrap_or_default(),
            f @ (Fetch::FcErr
            | Fetch::SslFcErr
            | Fetch::SslCErr
            | Fetch::SslCCaErr
            | Fetch::SslFcIsResumed) => super::super::inspect::conn_errors(f, self.conn),
            // The request is complete: nothing more to wait for.
            Fetch::WaitEnd => vec![Value::Bool(true)],
            // Payload fetches belong to TCP content inspection.
            _ => Vec::new(),
        }
    }

    fn vars(&self) -> Option<&Scopes<'_>> {
        self.vars.as_ref()
    }

    fn now(&self) -> (i64, u32) {
        super::super::clock::unix_now()
    }

    fn nbsrv(&self, backend: &str) -> Option<i64> {
        self.ctx.fe.backends.get(backend).map(|b| b.nbsrv() as i64)
    }

    fn map(&self, m: &haproxy_conf::sample::conv::MapConv, key: &Value) -> Option<Value> {
        self.ctx.fe.maps.lookup(m, key)
    }

    fn table(
        &self,
        data: haproxy_conf::sample::conv::TableData,
        table: &str,
        key: &Value,
    ) -> Option<Value> {
        self.ctx.table(data, table, key)
    }
}

/// What a header fetch gives of the values: text, their count, integers, addresses.
enum HdrAs {
    Text,
    Count,
    Int,
    Ip,
}

/// `hdr`, `hdr_cnt`, `hdr_val`, `hdr_ip` and their response forms, on either message.
fn header_fetch(
    h: &http::HeaderMap,
    name: &str,
    occ: Option<i64>,
    full: bool,
    how: HdrAs,
) -> Vec<Value> {
    let values = header_values(h, name, full);
    match how {
        HdrAs::Count => vec![Value::Int(values.len() as i64)],
        HdrAs::Text => occurrence(values, occ)
            .into_iter()
            .map(Value::Str)
            .collect(),
        HdrAs::Int => values
            .iter()
            .filter_map(|v| proxy_core::sample::str_to_int(v))
            .map(Value::Int)
            .collect(),
        HdrAs::Ip => occurrence(values, occ)
            .iter()
            .filter_map(|v| proxy_core::sample::str_to_ip(v))
            .map(Value::Ip)
            .collect(),
    }
}

/// The fetches that read the response.
fn response_fetch(f: &Fetch, r: RespView<'_>) -> Vec<Value> {
    let h = r.headers;
    match f {
        Fetch::Status => vec![Value::Int(i64::from(r.status))],
        Fetch::ResHdr { name, occ, full } => header_fetch(h, name, *occ, *full, HdrAs::Text),
        Fetch::ResHdrCnt { name, full } => header_fetch(h, name, None, *full, HdrAs::Count),
        Fetch::ResHdrVal(name) => header_fetch(h, name, None, false, HdrAs::Int),
        Fetch::ResHdrIp { name, occ } => header_fetch(h, name, *occ, false, HdrAs::Ip),
        Fetch::ResHdrs => {
            let mut all = String::new();
            for (k, v) in visible(h) {
                all.push_str(k);
                all.push_str(": ");
                all.push_str(&v);
                all.push_str("\r\n");
            }
            all.push_str("\r\n");
            vec![Value::Str(all)]
        }
        Fetch::ResHdrNames(delim) => {
            let names: Vec<&str> = visible(h).map(|(k, _)| k).collect();
            vec![Value::Str(names.join(delim))]
        }
        Fetch::ResVer => vec![Value::Str(
            match r.version {
                http::Version::HTTP_10 => "1.0",
                http::Version::HTTP_2 => "2.0",
                _ => "1.1",
            }
            .to_string(),
        )],
        Fetch::ResCook(name) => set_cookies(h)
            .into_iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| Value::Str(v))
            .collect(),
        // Without a name HAProxy counts every `name=value` of the lines, attributes
        // included (measured); with one, the cookies of that name.
        Fetch::ResCookCnt(None) => vec![Value::Int(
            h.get_all(http::header::SET_COOKIE)
                .iter()
                .map(|v| {
                    String::from_utf8_lossy(v.as_bytes())
                        .split(';')
                        .filter(|p| p.contains('='))
                        .count()
                })
                .sum::<usize>() as i64,
        )],
        Fetch::ResCookCnt(Some(name)) => vec![Value::Int(
            set_cookies(h).iter().filter(|(k, _)| k == name).count() as i64,
        )],
        Fetch::ResCookVal(name) => set_cookies(h)
            .into_iter()
            .filter(|(k, _)| k == name)
            .filter_map(|(_, v)| proxy_core::sample::str_to_int(&v))
            .map(Value::Int)
            .collect(),
        _ => Vec::new(),
    }
}

impl Aliases for ReqSample<'_> {
    fn alias(&self, a: Alias) -> Option<AliasValue<'_>> {
        let text = |t| Some(AliasValue::Text(Cow::Borrowed(t)));
        match a {
            Alias::HttpMethod => self.txn.and_then(|t| text(t.method.as_str())),
            Alias::HttpUri => self.txn.and_then(|t| text(&t.uri)),
            Alias::HttpPath | Alias::HttpPathOnly => self.txn.and_then(|t| {
                let p = t.uri.split('?').next().unwrap_or("");
                if a == Alias::HttpPathOnly {
                    // Without scheme and authority.
                    let p = match p.find("://") {
                        Some(i) => p[i + 3..].find('/').map(|j| &p[i + 3 + j..]).unwrap_or("/"),
                        None => p,
                    };
                    text(p)
                } else {
                    text(p)
                }
            }),
            Alias::HttpQuery => self
                .txn
                .and_then(|t| {
                    t.uri
                        .find('?')
                        .map(|i| AliasValue::Text(Cow::Borrowed(&t.uri[i..])))
                })
                .or_else(|| text("")),
            Alias::HttpVersion => self.txn.and_then(|t| text(t.version)),
            Alias::Request => self
                .txn
                .map(|t| AliasValue::Text(format!("{} {} {}", t.method, t.uri, t.version).into())),
            Alias::UniqueId => self.txn.and_then(|t| t.unique_id.as_deref()).and_then(text),
            _ => super::super::aliases::common(
                a,
                self.conn,
                self.ctx,
                self.txn.map(|t| t.at),
                self.server,
            ),
        }
    }
}
