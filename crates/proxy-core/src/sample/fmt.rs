//! Writing a log-format string: literal text, `%[expr]` samples and `%xx` variables with
//! their `+Q`/`+X`/`+E` options. In HAProxy 2.6 (measured through `lf-string`) `+Q` and
//! `+X` apply to `%xx` variables only; `+E` to both.

use super::{value, Sample, Value};
use haproxy_conf::sample::fmt::{Alias, Fmt, FmtOpts, FmtPart};
use std::net::IpAddr;

/// A `%xx` variable's value, as the data plane knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AliasValue {
    /// Written as it is (`<NOSRV>`, `02/Dec/2026:05:33:33.513`...).
    Text(String),
    Int(i64),
    Ip(IpAddr),
}

/// What the data plane tells about the `%xx` variables (None: written as nothing).
pub trait Aliases {
    fn alias(&self, a: Alias) -> Option<AliasValue>;
}

fn escape(out: &mut Vec<u8>, b: &[u8]) {
    for &c in b {
        if matches!(c, b'"' | b'\\' | b']') {
            out.push(b'\\');
        }
        out.push(c);
    }
}

/// Control characters (but tab) and DEL become `%XX`, as HAProxy writes samples.
fn encode_controls(b: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if !b.iter().any(|&c| (c < 0x20 && c != b'\t') || c == 0x7f) {
        return std::borrow::Cow::Borrowed(b);
    }
    let mut out = Vec::with_capacity(b.len() + 8);
    for &c in b {
        if (c < 0x20 && c != b'\t') || c == 0x7f {
            out.extend_from_slice(format!("%{c:02X}").as_bytes());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn put(out: &mut Vec<u8>, text: &[u8], opts: FmtOpts, quote: bool) {
    if quote {
        out.push(b'"');
    }
    let text = encode_controls(text);
    if opts.escape {
        escape(out, &text);
    } else {
        out.extend_from_slice(&text);
    }
    if quote {
        out.push(b'"');
    }
}

/// The bytes of `fmt` for this request.
pub fn render(fmt: &Fmt, s: &dyn Sample, a: &dyn Aliases) -> Vec<u8> {
    let mut out = Vec::new();
    // Whether nothing was written since the last separator (or since the start).
    let mut last_space = true;
    for p in &fmt.parts {
        let before = out.len();
        match p {
            FmtPart::Lit(t) => out.extend_from_slice(t.as_bytes()),
            FmtPart::Sep => {
                if !last_space {
                    out.push(b' ');
                    last_space = true;
                }
                continue;
            }
            FmtPart::Sample { expr, opts } => {
                if let Some(v) = value(expr, s) {
                    put(&mut out, &v.text(), *opts, false);
                }
            }
            FmtPart::Alias { alias, opts } => {
                let text = match a.alias(*alias) {
                    None => Vec::new(),
                    Some(AliasValue::Text(t)) => t.into_bytes(),
                    Some(AliasValue::Int(n)) if opts.hex => format!("{n:X}").into_bytes(),
                    Some(AliasValue::Int(n)) => n.to_string().into_bytes(),
                    Some(AliasValue::Ip(IpAddr::V4(ip))) if opts.hex => {
                        format!("{:08X}", u32::from(ip)).into_bytes()
                    }
                    Some(AliasValue::Ip(ip)) => ip.to_string().into_bytes(),
                };
                put(&mut out, &text, *opts, opts.quote);
            }
        }
        if out.len() > before {
            last_space = false;
        }
    }
    out
}

/// `render` as a string (header values, redirect targets), invalid UTF-8 replaced.
pub fn render_string(fmt: &Fmt, s: &dyn Sample, a: &dyn Aliases) -> String {
    match fmt.as_literal() {
        Some(t) => t,
        None => String::from_utf8_lossy(&render(fmt, s, a)).into_owned(),
    }
}

impl From<Value> for AliasValue {
    fn from(v: Value) -> AliasValue {
        match v {
            Value::Int(n) => AliasValue::Int(n),
            Value::Ip(ip) => AliasValue::Ip(ip),
            other => AliasValue::Text(String::from_utf8_lossy(&other.text()).into_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Req;
    impl Sample for Req {
        fn fetch(&self, f: &haproxy_conf::sample::Fetch) -> Vec<Value> {
            match f {
                haproxy_conf::sample::Fetch::Src => vec![Value::Ip("127.0.0.1".parse().unwrap())],
                _ => Vec::new(),
            }
        }
        fn now(&self) -> (i64, u32) {
            (784_111_777, 0)
        }
    }
    impl Aliases for Req {
        fn alias(&self, a: Alias) -> Option<AliasValue> {
            match a {
                Alias::ClientIp => Some(AliasValue::Ip("127.0.0.1".parse().unwrap())),
                Alias::ClientPort => Some(AliasValue::Int(60714)),
                Alias::Frontend => Some(AliasValue::Text("f".into())),
                _ => None,
            }
        }
    }

    fn r(text: &str) -> String {
        let f = haproxy_conf::sample::fmt::parse(text).unwrap();
        render_string(&f, &Req, &Req)
    }

    #[test]
    fn options_as_measured() {
        assert_eq!(r("%ci:%cp %f"), "127.0.0.1:60714 f");
        assert_eq!(r("%{+Q}ci"), "\"127.0.0.1\"");
        assert_eq!(r("%{+X}cp"), "ED2A");
        assert_eq!(r("%{+Q}[src]"), "127.0.0.1");
        assert_eq!(r("[%[req.hdr(x)]]"), "[]");
        assert_eq!(r("%{+Q}ID"), "\"\"");
        assert_eq!(r("%{+E}[str(a\\\"b)]"), "a\\\"b");
        assert_eq!(r("100%%"), "100%");
        // Separators, as measured.
        assert_eq!(r(" x"), "x");
        assert_eq!(r("%[str()] x"), "x");
        assert_eq!(r("%ci  %[str()]  %f"), "127.0.0.1 f");
        assert_eq!(r("x "), "x ");
    }
}
