//! TCP content inspection and stickiness: `tcp-request connection|content accept|reject`,
//! `tcp-response content accept|reject`, `tcp-request inspect-delay`, and
//! `stick on|match|store-request|store-response` with a `stick-table`, evaluated on the
//! first bytes of each direction with proxy-core's payload fetches.

use super::acls::AclSet;
use super::Conn;
use haproxy_conf::model::{Proxy, RuleKind};
use proxy_core::acl::{parse_sample, Cond, Fetch, Sample, Value};
use proxy_core::payload::{self, Got};
use proxy_core::stick::{parse_size, StickTable};
use std::sync::Mutex;
use std::time::Duration;

/// What a connection and the bytes seen so far offer to ACLs.
pub struct ContentSample<'a> {
    pub conn: &'a Conn,
    pub req: &'a [u8],
    pub rep: &'a [u8],
}

impl Sample for ContentSample<'_> {
    fn fetch(&self, f: &Fetch) -> Vec<Value> {
        // TLS terminated here: the SNI comes from the handshake, not from the bytes.
        if let (Fetch::Sni, Some(sni)) = (f, &self.conn.tls) {
            return sni.iter().map(|n| Value::Str(n.clone())).collect();
        }
        if let Some(got) = payload::fetch(f, self.req, self.rep) {
            return match got {
                Got::Values(v) => v,
                Got::Need => Vec::new(),
            };
        }
        match f {
            Fetch::Src => vec![Value::Ip(self.conn.peer.ip())],
            Fetch::Dst => vec![Value::Ip(self.conn.local.ip())],
            Fetch::SrcPort => vec![Value::Int(i64::from(self.conn.peer.port()))],
            Fetch::DstPort => vec![Value::Int(i64::from(self.conn.local.port()))],
            Fetch::SslFc => vec![Value::Bool(self.conn.tls.is_some())],
            Fetch::Const(b) => vec![Value::Bool(*b)],
            _ => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    Reject,
}

fn verdict(action: &str, kind: &str) -> Result<Verdict, String> {
    match action {
        "accept" => Ok(Verdict::Accept),
        "reject" => Ok(Verdict::Reject),
        a => Err(format!("`{kind} {a}` is not run by this build yet")),
    }
}

#[derive(Default)]
pub struct TcpRules {
    pub connection: Vec<(Verdict, Option<Cond>)>,
    pub content: Vec<(Verdict, Option<Cond>)>,
    pub response: Vec<(Verdict, Option<Cond>)>,
    pub inspect_delay: Option<Duration>,
}

impl TcpRules {
    pub fn new(p: &Proxy, acls: &mut AclSet) -> Result<TcpRules, String> {
        let mut r = TcpRules {
            inspect_delay: p.inspect_delay_ms.map(Duration::from_millis),
            ..TcpRules::default()
        };
        for rule in &p.rules {
            let (list, kind) = match rule.kind {
                RuleKind::TcpRequestConnection => (&mut r.connection, "tcp-request connection"),
                RuleKind::TcpRequestContent => (&mut r.content, "tcp-request content"),
                RuleKind::TcpResponseContent => (&mut r.response, "tcp-response content"),
                RuleKind::TcpRequestSession => {
                    return Err("`tcp-request session` rules are not run by this build yet".into())
                }
                _ => continue,
            };
            list.push((verdict(&rule.action, kind)?, acls.compile_opt(&rule.cond)?));
        }
        Ok(r)
    }

    /// The first rule that applies decides; none: accept (HAProxy's default).
    pub fn decide(rules: &[(Verdict, Option<Cond>)], acls: &AclSet, s: &dyn Sample) -> Verdict {
        rules
            .iter()
            .find(|(_, c)| acls.holds(c, s))
            .map(|(v, _)| *v)
            .unwrap_or(Verdict::Accept)
    }
}

/// One `stick` line.
pub struct StickRule {
    pub matches: bool,
    pub store_request: bool,
    pub store_response: bool,
    pub key: Fetch,
    pub cond: Option<Cond>,
}

pub struct Stickiness {
    pub rules: Vec<StickRule>,
    pub table: Mutex<StickTable>,
}

impl Stickiness {
    pub fn new(p: &Proxy, acls: &mut AclSet) -> Result<Option<Stickiness>, String> {
        if p.stick_rules.is_empty() {
            return Ok(None);
        }
        let Some(t) = &p.stick_table else {
            return Err("stick rules need a stick-table in the same backend (tables elsewhere are not supported yet)".into());
        };
        let mut rules = Vec::new();
        for r in &p.stick_rules {
            if r.table.is_some() {
                return Err("`stick ... table NAME` is not supported yet".into());
            }
            let (matches, store_request, store_response) = match r.kind.as_str() {
                "on" => (true, true, false),
                "match" => (true, false, false),
                "store-request" => (false, true, false),
                "store-response" => (false, false, true),
                k => return Err(format!("`stick {k}` is not known")),
            };
            rules.push(StickRule {
                matches,
                store_request,
                store_response,
                key: parse_sample(&r.pattern)?,
                cond: acls.compile_opt(&r.cond)?,
            });
        }
        let size = parse_size(&t.size).ok_or_else(|| format!("stick-table size `{}`", t.size))?;
        Ok(Some(Stickiness {
            rules,
            table: Mutex::new(StickTable::new(size, t.expire_ms)),
        }))
    }
}

/// The bytes of a sample, as a stick table key.
pub fn key_of(values: &[Value]) -> Option<Vec<u8>> {
    Some(match values.first()? {
        Value::Bin(b) if !b.is_empty() => b.clone(),
        Value::Bin(_) => return None,
        Value::Str(s) => s.clone().into_bytes(),
        Value::Int(n) => n.to_be_bytes().to_vec(),
        Value::Ip(std::net::IpAddr::V4(a)) => a.octets().to_vec(),
        Value::Ip(std::net::IpAddr::V6(a)) => a.octets().to_vec(),
        Value::Bool(b) => vec![u8::from(*b)],
    })
}

/// Whether any of `fetches` still waits for bytes of `req` / `rep`.
pub fn needs_more<'a>(
    fetches: impl IntoIterator<Item = &'a Fetch>,
    req: &[u8],
    rep: &[u8],
) -> bool {
    fetches
        .into_iter()
        .any(|f| payload::fetch(f, req, rep) == Some(Got::Need))
}
