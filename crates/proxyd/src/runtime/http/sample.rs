//! What an HTTP request offers to fetches: its line, headers and cookies, and the
//! connection it came on.

use super::super::inspect::Ctx;
use super::super::Conn;
use proxy_core::acl::{Fetch, Sample, Value};

pub struct ReqSample<'a> {
    pub parts: &'a http::request::Parts,
    pub conn: &'a Conn,
    pub ctx: Ctx<'a>,
}

impl<'a> ReqSample<'a> {
    pub fn of(parts: &'a http::request::Parts, conn: &'a Conn, ctx: Ctx<'a>) -> Self {
        ReqSample { parts, conn, ctx }
    }
}

/// The values of query parameter `name`.
pub fn query_param(query: &str, name: &str) -> Vec<Value> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| Value::Str(v.to_string()))
        .collect()
}

/// The request target as the client wrote it (origin form, or absolute form).
pub fn target(parts: &http::request::Parts) -> String {
    if parts.uri.scheme().is_some() {
        parts.uri.to_string()
    } else {
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_string()
    }
}

/// A header's values: each line split at commas (HAProxy's `hdr`), or whole lines
/// (`fhdr`).
fn header_values(h: &http::HeaderMap, name: &str, full: bool) -> Vec<String> {
    h.get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| {
            if full {
                vec![v.trim().to_string()]
            } else {
                v.split(',').map(|x| x.trim().to_string()).collect()
            }
        })
        .collect()
}

impl Sample for ReqSample<'_> {
    fn fetch(&self, f: &Fetch) -> Vec<Value> {
        if let Some(v) = self.ctx.fetch(f) {
            return v;
        }
        let uri = &self.parts.uri;
        let headers = &self.parts.headers;
        let pq = || uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        match f {
            Fetch::Path => vec![Value::Str(uri.path().to_string())],
            Fetch::Url => vec![Value::Str(target(self.parts))],
            Fetch::PathQ => vec![Value::Str(pq().to_string())],
            Fetch::Query => uri
                .query()
                .map(|q| vec![Value::Str(q.to_string())])
                .unwrap_or_default(),
            Fetch::Base => {
                let host = headers
                    .get(http::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("");
                vec![Value::Str(format!("{host}{}", uri.path()))]
            }
            Fetch::Method => vec![Value::Str(self.parts.method.as_str().to_string())],
            Fetch::ReqVer => vec![Value::Str(
                match self.parts.version {
                    http::Version::HTTP_10 => "1.0",
                    http::Version::HTTP_2 => "2.0",
                    _ => "1.1",
                }
                .to_string(),
            )],
            Fetch::ProtoHttp => vec![Value::Bool(true)],
            Fetch::Hdr { name, occ, full } => {
                let all = header_values(headers, name, *full);
                match occ {
                    None | Some(0) => all.into_iter().map(Value::Str).collect(),
                    Some(n) if *n > 0 => all
                        .into_iter()
                        .nth(*n as usize - 1)
                        .map(Value::Str)
                        .into_iter()
                        .collect(),
                    Some(n) => {
                        let back = n.unsigned_abs() as usize;
                        all.len()
                            .checked_sub(back)
                            .and_then(|i| all.get(i).cloned())
                            .map(Value::Str)
                            .into_iter()
                            .collect()
                    }
                }
            }
            Fetch::HdrCnt(name) => {
                vec![Value::Int(header_values(headers, name, false).len() as i64)]
            }
            Fetch::HdrVal(name) => header_values(headers, name, false)
                .iter()
                .filter_map(|v| v.parse::<i64>().ok())
                .map(Value::Int)
                .collect(),
            Fetch::Cook(name) => headers
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|c| c.trim().split_once('='))
                .filter(|(k, _)| k == name)
                .map(|(_, v)| Value::Str(v.to_string()))
                .collect(),
            Fetch::UrlParam(name) => query_param(uri.query().unwrap_or(""), name),
            Fetch::Src if !self.conn.unix => vec![Value::Ip(self.conn.peer.ip())],
            Fetch::Dst if !self.conn.unix => vec![Value::Ip(self.conn.local.ip())],
            Fetch::SrcPort if !self.conn.unix => {
                vec![Value::Int(i64::from(self.conn.peer.port()))]
            }
            Fetch::DstPort if !self.conn.unix => {
                vec![Value::Int(i64::from(self.conn.local.port()))]
            }
            Fetch::SslFc => vec![Value::Bool(self.conn.tls.is_some())],
            Fetch::Sni => self
                .conn
                .tls
                .iter()
                .flatten()
                .map(|n| Value::Str(n.clone()))
                .collect(),
            Fetch::Const(b) => vec![Value::Bool(*b)],
            // The request is complete: nothing more to wait for.
            Fetch::WaitEnd => vec![Value::Bool(true)],
            // Payload fetches belong to TCP content inspection.
            _ => Vec::new(),
        }
    }
}
