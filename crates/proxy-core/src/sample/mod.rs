//! Samples as HAProxy computes them: typed values (string, integer, address, boolean,
//! binary), the casts between them (measured with HAProxy 2.6: `str(12abc),add(1)` is 13),
//! the converters, variables, and the text a value becomes in a log-format string.
//! Pure: the data plane supplies the request and the clock through [`Sample`].

pub mod conv;
pub mod fmt;
pub mod vars;

pub use haproxy_conf::sample::{Converter, Expr, Fetch, VarRef};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A value a fetch or a converter produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Int(i64),
    Ip(IpAddr),
    Bool(bool),
    /// Binary data (payloads, digests).
    Bin(Vec<u8>),
}

/// What a converter takes (its input is cast to this first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Any,
    Str,
    Int,
    Ip,
    Bool,
    Bin,
}

/// HAProxy's string-to-integer cast: an optional sign and the leading digits (`12abc` is
/// 12, `abc` is 0), saturating; an empty string does not convert.
pub fn str_to_int(s: &str) -> Option<i64> {
    if s.is_empty() {
        return None;
    }
    let b = s.as_bytes();
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    let mut n: i64 = 0;
    for &d in digits.iter().take_while(|d| d.is_ascii_digit()) {
        let d = i64::from(d - b'0');
        n = if neg {
            n.saturating_mul(10).saturating_sub(d)
        } else {
            n.saturating_mul(10).saturating_add(d)
        };
    }
    Some(n)
}

/// HAProxy's string-to-address cast: the leading IPv4 address (`1.2.3.4x` is 1.2.3.4),
/// else an IPv6 address.
pub fn str_to_ip(s: &str) -> Option<IpAddr> {
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip);
    }
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    s[..end].parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

impl Value {
    /// The value cast to `kind`, as HAProxy's sample casts do; None when there is no cast.
    pub fn cast(self, kind: Kind) -> Option<Value> {
        Some(match (self, kind) {
            (v, Kind::Any) => v,
            (Value::Str(s), Kind::Str) => Value::Str(s),
            (Value::Int(n), Kind::Str) => Value::Str(n.to_string()),
            (Value::Bool(b), Kind::Str) => Value::Str(if b { "1" } else { "0" }.into()),
            (Value::Ip(ip), Kind::Str) => Value::Str(ip.to_string()),
            (Value::Bin(b), Kind::Str) => {
                // As a C string: up to the first NUL.
                let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                Value::Str(String::from_utf8_lossy(&b[..end]).into_owned())
            }
            (Value::Int(n), Kind::Int) => Value::Int(n),
            (Value::Bool(b), Kind::Int) => Value::Int(i64::from(b)),
            (Value::Str(s), Kind::Int) => Value::Int(str_to_int(&s)?),
            (Value::Ip(IpAddr::V4(a)), Kind::Int) => Value::Int(i64::from(u32::from(a))),
            (Value::Bin(b), Kind::Int) => Value::Int(str_to_int(&String::from_utf8_lossy(&b))?),
            (Value::Bool(b), Kind::Bool) => Value::Bool(b),
            (Value::Int(n), Kind::Bool) => Value::Bool(n != 0),
            (Value::Str(s), Kind::Bool) => Value::Bool(str_to_int(&s)? != 0),
            (Value::Ip(ip), Kind::Ip) => Value::Ip(ip),
            (Value::Int(n), Kind::Ip) => Value::Ip(IpAddr::V4(Ipv4Addr::from(n as u32))),
            (Value::Str(s), Kind::Ip) => Value::Ip(str_to_ip(&s)?),
            (Value::Bin(b), Kind::Ip) => match b.len() {
                4 => Value::Ip(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))),
                16 => {
                    let mut o = [0u8; 16];
                    o.copy_from_slice(&b);
                    Value::Ip(IpAddr::V6(Ipv6Addr::from(o)))
                }
                _ => return None,
            },
            (Value::Bin(b), Kind::Bin) => Value::Bin(b),
            (Value::Str(s), Kind::Bin) => Value::Bin(s.into_bytes()),
            (Value::Int(n), Kind::Bin) => Value::Bin(n.to_be_bytes().to_vec()),
            (Value::Bool(b), Kind::Bin) => Value::Bin(i64::from(b).to_be_bytes().to_vec()),
            (Value::Ip(IpAddr::V4(a)), Kind::Bin) => Value::Bin(a.octets().to_vec()),
            (Value::Ip(IpAddr::V6(a)), Kind::Bin) => Value::Bin(a.octets().to_vec()),
            _ => return None,
        })
    }

    /// The bytes the value writes in a log-format string.
    pub fn text(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_text(&mut out);
        out
    }

    /// `text`, appended to `out` (a log line or a header value being written).
    pub fn write_text(&self, out: &mut Vec<u8>) {
        match self {
            Value::Str(s) => out.extend_from_slice(s.as_bytes()),
            Value::Int(n) => out.extend_from_slice(itoa::Buffer::new().format(*n).as_bytes()),
            Value::Bool(b) => out.push(if *b { b'1' } else { b'0' }),
            Value::Ip(IpAddr::V4(ip)) => out.extend_from_slice(fmt::ipv4_text(*ip).as_bytes()),
            Value::Ip(ip) => {
                use std::io::Write;
                let _ = write!(out, "{ip}");
            }
            // Raw, up to a NUL (HAProxy writes it as a C string).
            Value::Bin(b) => {
                let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
                out.extend_from_slice(&b[..end]);
            }
        }
    }

    /// Whether the value is empty (for `set-var(...,ifempty)`): scalars never are.
    pub fn is_empty(&self) -> bool {
        match self {
            Value::Str(s) => s.is_empty(),
            Value::Bin(b) => b.is_empty(),
            _ => false,
        }
    }
}

/// What a request (or a connection) offers to fetches and converters; the data plane
/// implements it. Only `fetch` is required: the rest has neutral defaults.
pub trait Sample {
    fn fetch(&self, f: &Fetch) -> Vec<Value>;

    /// The variables of this request, connection and process.
    fn vars(&self) -> Option<&vars::Scopes<'_>> {
        None
    }

    /// Now, as (seconds, microseconds) since the epoch: the data plane's clock (this
    /// crate reads none).
    fn now(&self) -> (i64, u32);

    /// A map's lookup (the data plane loaded the file).
    fn map(&self, _m: &haproxy_conf::sample::conv::MapConv, _key: &Value) -> Option<Value> {
        None
    }

    /// A stick table's data for a key (`in_table`, `table_*`).
    fn table(
        &self,
        _data: haproxy_conf::sample::conv::TableData,
        _table: &str,
        _key: &Value,
    ) -> Option<Value> {
        None
    }

    /// Usable servers of a backend named at run time (`,nbsrv`).
    fn nbsrv(&self, _backend: &str) -> Option<i64> {
        None
    }
}

/// The values of a fetch: those that need no request (constants, variables, the date,
/// the environment) are computed here; the others come from the data plane.
pub fn fetch(f: &Fetch, s: &dyn Sample) -> Vec<Value> {
    let one = |v: Value| vec![v];
    match f {
        Fetch::Const(b) => one(Value::Bool(*b)),
        Fetch::Str(t) => one(Value::Str(t.clone())),
        Fetch::Int(n) => one(Value::Int(*n)),
        Fetch::Ipv4(a) => one(Value::Ip(IpAddr::V4(*a))),
        Fetch::Ipv6(a) => one(Value::Ip(IpAddr::V6(*a))),
        Fetch::Bin(b) => one(Value::Bin(b.clone())),
        Fetch::Meth(m) => one(Value::Str(m.clone())),
        Fetch::Var { var, default } => match s.vars().and_then(|sc| sc.get(var)) {
            Some(v) => one(v),
            None => default.iter().map(|d| Value::Str(d.clone())).collect(),
        },
        Fetch::Env(name) => std::env::var(name)
            .map(|v| one(Value::Str(v)))
            .unwrap_or_default(),
        Fetch::Date { offset, per_second } => {
            let (secs, us) = s.now();
            let n = match per_second {
                1 => secs,
                1_000 => secs * 1_000 + i64::from(us / 1_000),
                _ => secs * 1_000_000 + i64::from(us),
            };
            one(Value::Int(n.saturating_add(*offset)))
        }
        Fetch::DateUs => one(Value::Int(i64::from(s.now().1))),
        _ => s.fetch(f),
    }
}

/// The first value of an expression as a sample (a stick key, a hash input, a log-format
/// field): a header without an occurrence gives its last value, as in HAProxy; others the
/// first. None when the fetch or a converter gives nothing.
pub fn value(e: &Expr, s: &dyn Sample) -> Option<Value> {
    let mut v = fetch(&e.fetch, s);
    let base = match &e.fetch {
        Fetch::Contextual(f) => f,
        f => f,
    };
    let one = match base {
        Fetch::Hdr { occ: None, .. }
        | Fetch::HdrIp { occ: None, .. }
        | Fetch::HdrVal(_)
        | Fetch::ResHdr { occ: None, .. }
        | Fetch::ResHdrIp { occ: None, .. }
        | Fetch::ResHdrVal(_) => v.pop(),
        _ => v.into_iter().next(),
    }?;
    conv::apply_all(&e.converters, one, s)
}

/// Every value of an expression, as an ACL sees them (each through the converters).
pub fn values(e: &Expr, s: &dyn Sample) -> Vec<Value> {
    let v = fetch(&e.fetch, s);
    if e.converters.is_empty() {
        return v;
    }
    v.into_iter()
        .filter_map(|x| conv::apply_all(&e.converters, x, s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_as_haproxy() {
        // Measured with HAProxy 2.6 through `str(...),add(0)` and friends.
        assert_eq!(str_to_int("12abc"), Some(12));
        assert_eq!(str_to_int("abc"), Some(0));
        assert_eq!(str_to_int(" 12"), Some(0));
        assert_eq!(str_to_int("+5"), Some(5));
        assert_eq!(str_to_int("-12"), Some(-12));
        assert_eq!(str_to_int(""), None);
        assert_eq!(str_to_int("99999999999999999999"), Some(i64::MAX));
        assert_eq!(str_to_ip("1.2.3.4x"), Some("1.2.3.4".parse().unwrap()));
        assert_eq!(
            Value::Int(16909060).cast(Kind::Ip),
            Some(Value::Ip("1.2.3.4".parse().unwrap()))
        );
        assert_eq!(
            Value::Int(258).cast(Kind::Bin),
            Some(Value::Bin(vec![0, 0, 0, 0, 0, 0, 1, 2]))
        );
        assert_eq!(
            Value::Bool(true).cast(Kind::Str),
            Some(Value::Str("1".into()))
        );
        assert_eq!(
            Value::Ip("1.2.3.4".parse().unwrap()).cast(Kind::Int),
            Some(Value::Int(16909060))
        );
        assert_eq!(Value::Bin(vec![0, 0xff]).text(), b"".to_vec());
    }
}
