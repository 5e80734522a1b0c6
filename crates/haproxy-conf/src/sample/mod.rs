//! Sample expressions and ACL matching, typed: a fetch (`path`, `hdr(host,-1)`, `src`,
//! `req.payload(0,3)`...), its converters (`,lower`), the match method and the patterns,
//! all parsed here once. proxy-core evaluates these values; nothing parses them again.
//!
//! A fetch HAProxy knows but proxyd cannot run yet is refused here (so `-c` says so), a
//! name HAProxy does not know is an unknown fetch with a suggestion.

pub mod conv;
pub mod fetch;
pub mod fmt;
pub mod lex;
pub mod var;

pub use conv::Converter;
pub use fetch::{BeLoad, Fetch};
pub use var::{Scope, VarRef};

use serde::{Serialize, Serializer};
use std::net::IpAddr;

/// The kind of values a fetch gives, which decides its default match method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ValueType {
    Str,
    Int,
    Ip,
    Bool,
    Bin,
}

/// A fetch and its converters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expr {
    pub fetch: Fetch,
    pub converters: Vec<Converter>,
}

impl Expr {
    pub fn of(fetch: Fetch) -> Expr {
        Expr {
            fetch,
            converters: Vec::new(),
        }
    }
}

/// How an ACL compares values with its patterns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchMethod {
    Str,
    Beg,
    End,
    Sub,
    Dir,
    Dom,
    Reg,
    Len,
    Found,
    Int,
    Ip,
    Bool,
    Bin,
}

impl MatchMethod {
    pub fn named(m: &str) -> Option<MatchMethod> {
        Some(match m {
            "str" => MatchMethod::Str,
            "beg" => MatchMethod::Beg,
            "end" => MatchMethod::End,
            "sub" => MatchMethod::Sub,
            "dir" => MatchMethod::Dir,
            "dom" => MatchMethod::Dom,
            "reg" => MatchMethod::Reg,
            "len" => MatchMethod::Len,
            "found" => MatchMethod::Found,
            "int" => MatchMethod::Int,
            "ip" => MatchMethod::Ip,
            "bool" => MatchMethod::Bool,
            "bin" => MatchMethod::Bin,
            _ => return None,
        })
    }

    /// Its name as `-m` takes it.
    pub fn name(self) -> &'static str {
        MatchMethod::NAMES
            .iter()
            .copied()
            .find(|n| MatchMethod::named(n) == Some(self))
            .unwrap_or("str")
    }

    pub const NAMES: &'static [&'static str] = &[
        "str", "beg", "end", "sub", "dir", "dom", "reg", "len", "found", "int", "ip", "bool", "bin",
    ];

    fn default_for(t: ValueType) -> MatchMethod {
        match t {
            ValueType::Str => MatchMethod::Str,
            ValueType::Int => MatchMethod::Int,
            ValueType::Ip => MatchMethod::Ip,
            ValueType::Bool => MatchMethod::Bool,
            ValueType::Bin => MatchMethod::Bin,
        }
    }
}

/// A compiled regular expression, compared and printed by its source text.
#[derive(Debug, Clone)]
pub struct Regex(pub regex::Regex);

impl PartialEq for Regex {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}
impl Eq for Regex {}

impl Serialize for Regex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

impl Regex {
    pub fn new(pattern: &str, nocase: bool) -> Result<Regex, String> {
        regex::RegexBuilder::new(pattern)
            .case_insensitive(nocase)
            .build()
            .map(Regex)
            .map_err(|e| format!("regex `{pattern}`: {e}"))
    }
    pub fn is_match(&self, s: &str) -> bool {
        self.0.is_match(s)
    }
}

/// One ACL pattern, in the form its match method needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Pattern {
    /// A string (lowercase already when the ACL has `-i`).
    Str(String),
    Reg(Regex),
    /// Inclusive integer range.
    Int(i64, i64),
    Net(IpAddr, u8),
    Bin(Vec<u8>),
}

/// A problem with an expression: what, how to fix it, and whether HAProxy would have
/// taken it (then proxyd refuses it: it cannot run it yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleError {
    pub message: String,
    pub help: Option<String>,
    /// HAProxy accepts this; proxyd cannot run it yet.
    pub refused: bool,
}

pub(crate) fn bad(message: impl Into<String>, help: Option<String>) -> SampleError {
    SampleError {
        message: message.into(),
        help,
        refused: false,
    }
}

pub(crate) fn refused(message: impl Into<String>) -> SampleError {
    SampleError {
        message: message.into(),
        help: Some(
            "HAProxy accepts it; proxyd cannot run it yet: remove it or keep this proxy on HAProxy for now"
                .to_string(),
        ),
        refused: true,
    }
}

/// The ACL suffixes that pick a match method (`path_beg` = path + beg).
const SUFFIXES: &[(&str, MatchMethod)] = &[
    ("_beg", MatchMethod::Beg),
    ("_end", MatchMethod::End),
    ("_sub", MatchMethod::Sub),
    ("_dir", MatchMethod::Dir),
    ("_dom", MatchMethod::Dom),
    ("_reg", MatchMethod::Reg),
    ("_len", MatchMethod::Len),
];

/// Fetches whose ACL form takes a method suffix.
const SUFFIXABLE: &[&str] = &[
    "res.hdr",
    "shdr",
    "res.cook",
    "scook",
    "path",
    "url",
    "base",
    "hdr",
    "req.hdr",
    "cook",
    "req.cook",
    "urlp",
    "url_param",
    "query",
    "pathq",
];

/// A sample expression as written in a stick rule, a `balance hash` or a log-format
/// `%[...]`: `fetch[(args)][,converter[(args)]]...`.
pub fn parse_expr(text: &str) -> Result<Expr, SampleError> {
    let calls = lex::calls(text)?;
    let (first, convs) = calls
        .split_first()
        .ok_or_else(|| bad("empty sample expression", None))?;
    let fetch = fetch::fetch(first)?;
    let converters = convs
        .iter()
        .map(conv::converter)
        .collect::<Result<_, _>>()?;
    Ok(Expr { fetch, converters })
}

/// An ACL criterion (`path_beg`, `hdr_dom(host)`, `req.hdr(x),lower`): the expression and
/// the match method its name implies.
pub fn parse_criterion(text: &str) -> Result<(Expr, MatchMethod), SampleError> {
    let calls = lex::calls(text)?;
    let (first, convs) = calls
        .split_first()
        .ok_or_else(|| bad("empty sample expression", None))?;
    let mut suffix = None;
    let mut base = first.clone();
    for (s, m) in SUFFIXES {
        if let Some(stem) = first.name.strip_suffix(s) {
            if SUFFIXABLE.contains(&stem) {
                base.name = stem.to_string();
                suffix = Some(*m);
            }
        }
    }
    let fetch = fetch::fetch(&base).map_err(|mut e| {
        // The suffixed name is what the user wrote: suggest against it.
        if !e.refused && base.name != first.name {
            e.message = e.message.replace(&base.name, &first.name);
        }
        e
    })?;
    let converters: Vec<Converter> = convs
        .iter()
        .map(conv::converter)
        .collect::<Result<_, _>>()?;
    // In an ACL, `http_auth_group` matches the user's groups against the patterns.
    let fetch = match fetch {
        Fetch::HttpAuthGroup { userlist, .. } => Fetch::HttpAuthGroup {
            userlist,
            groups: true,
        },
        f => f,
    };
    let method = suffix.unwrap_or_else(|| MatchMethod::default_for(fetch.output()));
    Ok((Expr { fetch, converters }, method))
}

/// `5`, `1:1024`, `gt 3` style integer patterns (the operator is a word of its own).
fn int_patterns(words: &[String]) -> Result<Vec<Pattern>, SampleError> {
    let mut out = Vec::new();
    let mut i = 0;
    let num = |s: &str| {
        s.parse::<i64>().map_err(|_| {
            bad(
                format!("`{s}` is not an integer"),
                Some("integer patterns: `N`, `A:B`, or `eq|ge|gt|le|lt N`".into()),
            )
        })
    };
    while i < words.len() {
        let w = words[i].as_str();
        let p = match w {
            "eq" | "ge" | "gt" | "le" | "lt" => {
                let v = num(words.get(i + 1).map(String::as_str).unwrap_or(""))?;
                i += 1;
                match w {
                    "eq" => Pattern::Int(v, v),
                    "ge" => Pattern::Int(v, i64::MAX),
                    "gt" => Pattern::Int(v.saturating_add(1), i64::MAX),
                    "le" => Pattern::Int(i64::MIN, v),
                    _ => Pattern::Int(i64::MIN, v.saturating_sub(1)),
                }
            }
            _ => match w.split_once(':') {
                Some((a, b)) => Pattern::Int(
                    if a.is_empty() { i64::MIN } else { num(a)? },
                    if b.is_empty() { i64::MAX } else { num(b)? },
                ),
                None => {
                    let v = num(w)?;
                    Pattern::Int(v, v)
                }
            },
        };
        out.push(p);
        i += 1;
    }
    Ok(out)
}

fn net_pattern(w: &str) -> Result<Pattern, SampleError> {
    let (a, len) = match w.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (w, None),
    };
    let ip: IpAddr = a.parse().map_err(|_| {
        if crate::values::is_hostname(a) {
            refused(format!(
                "`{w}`: host names in address patterns are not resolved by proxyd yet"
            ))
        } else {
            bad(
                format!("`{w}` is not an address or network"),
                Some("write e.g. `10.0.0.0/8`, `192.168.1.10` or `2001:db8::/32`".into()),
            )
        }
    })?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= max => n,
            // A dotted netmask, as HAProxy also takes.
            _ => match l.parse::<std::net::Ipv4Addr>() {
                Ok(m) if ip.is_ipv4() => u32::from(m).count_ones() as u8,
                _ => {
                    return Err(bad(
                        format!("`/{l}` is not a prefix length in `{w}`"),
                        Some(format!("prefix lengths go from 0 to {max}")),
                    ))
                }
            },
        },
    };
    Ok(Pattern::Net(ip, len))
}

fn hex_pattern(w: &str) -> Result<Pattern, SampleError> {
    let bytes = w.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return Err(bad(
            format!("`{w}` is not hexadecimal bytes (odd length)"),
            None,
        ));
    }
    let mut out = Vec::with_capacity(bytes.len() / 2);
    for pair in bytes.chunks(2) {
        let s = std::str::from_utf8(pair).unwrap_or("");
        out.push(
            u8::from_str_radix(s, 16)
                .map_err(|_| bad(format!("`{w}` is not hexadecimal bytes"), None))?,
        );
    }
    Ok(Pattern::Bin(out))
}

/// The patterns of an ACL, typed for its match method.
pub fn patterns(
    method: MatchMethod,
    nocase: bool,
    words: &[String],
) -> Result<Vec<Pattern>, SampleError> {
    match method {
        MatchMethod::Int | MatchMethod::Len => int_patterns(words),
        MatchMethod::Ip => words.iter().map(|p| net_pattern(p)).collect(),
        MatchMethod::Reg => words
            .iter()
            .map(|p| {
                Regex::new(p, nocase)
                    .map(Pattern::Reg)
                    .map_err(|e| bad(e, None))
            })
            .collect(),
        MatchMethod::Bin => words.iter().map(|p| hex_pattern(p)).collect(),
        MatchMethod::Found | MatchMethod::Bool => Ok(Vec::new()),
        _ => Ok(words
            .iter()
            .map(|p| {
                Pattern::Str(if nocase {
                    p.to_ascii_lowercase()
                } else {
                    p.clone()
                })
            })
            .collect()),
    }
}

/// HAProxy's predefined ACLs (TRUE, LOCALHOST, METH_GET...), as what they stand for.
pub fn predefined_acl(name: &str) -> Option<crate::model::Acl> {
    let (crit, pats): (&str, &[&str]) = match name {
        "FALSE" => ("always_false", &[]),
        "TRUE" => ("always_true", &[]),
        "HTTP" => ("req.proto_http", &[]),
        "HTTP_1.0" => ("req.ver", &["1.0"]),
        "HTTP_1.1" => ("req.ver", &["1.1"]),
        "HTTP_2.0" => ("req.ver", &["2.0"]),
        "HTTP_CONTENT" => ("req.hdr_val(content-length)", &["gt", "0"]),
        "HTTP_URL_ABS" => ("url_reg", &["^[^/:]*://"]),
        "HTTP_URL_SLASH" => ("url_beg", &["/"]),
        "HTTP_URL_STAR" => ("url", &["*"]),
        "LOCALHOST" => ("src", &["127.0.0.1/8", "::1"]),
        "METH_CONNECT" => ("method", &["CONNECT"]),
        "METH_DELETE" => ("method", &["DELETE"]),
        "METH_GET" => ("method", &["GET", "HEAD"]),
        "METH_HEAD" => ("method", &["HEAD"]),
        "METH_OPTIONS" => ("method", &["OPTIONS"]),
        "METH_POST" => ("method", &["POST"]),
        "METH_PUT" => ("method", &["PUT"]),
        "METH_TRACE" => ("method", &["TRACE"]),
        "RDP_COOKIE" => ("req.rdp_cookie_cnt", &["gt", "0"]),
        "REQ_CONTENT" => ("req.len", &["gt", "0"]),
        "WAIT_END" => ("wait_end", &[]),
        _ => return None,
    };
    let (expr, method) = parse_criterion(crit).ok()?;
    let words: Vec<String> = pats.iter().map(|p| p.to_string()).collect();
    Some(crate::model::Acl {
        name: name.to_string(),
        expr,
        method,
        nocase: false,
        patterns: patterns(method, false, &words).ok()?,
        sources: crate::model::AclSources {
            inline: words,
            files: Vec::new(),
        },
        span: conf_diag::Span::new(conf_diag::FileId(0), 0, 0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_with_suffixes_and_converters() {
        let (e, m) = parse_criterion("path_beg").unwrap();
        assert_eq!((e.fetch, m), (Fetch::Path, MatchMethod::Beg));
        let (e, m) = parse_criterion("hdr_dom(Host)").unwrap();
        assert_eq!(
            e.fetch,
            Fetch::Contextual(Box::new(Fetch::Hdr {
                name: "host".into(),
                occ: None,
                full: false
            }))
        );
        assert_eq!(m, MatchMethod::Dom);
        let (e, m) = parse_criterion("req.hdr(host,-1),lower").unwrap();
        assert_eq!(e.converters, vec![Converter::Lower]);
        assert_eq!(m, MatchMethod::Str);
        assert!(matches!(e.fetch, Fetch::Hdr { occ: Some(-1), .. }));
        assert_eq!(parse_criterion("src").unwrap().1, MatchMethod::Ip);
        assert_eq!(parse_criterion("hdr_cnt(x)").unwrap().1, MatchMethod::Int);
        assert_eq!(
            parse_criterion("req.payload(0,3)").unwrap().0.fetch,
            Fetch::Payload {
                response: false,
                off: 0,
                len: 3
            }
        );
    }

    #[test]
    fn refused_and_unknown_are_told_apart() {
        let e = parse_criterion("so_id").unwrap_err();
        assert!(e.refused, "{e:?}");
        let e = parse_criterion("sc_get_gpc(0,1)").unwrap_err();
        assert!(e.refused, "{e:?}");
        assert!(parse_criterion("sc0_http_req_rate(t)").is_ok());
        assert!(!parse_criterion("sc3_conn_cur").unwrap_err().refused);
        assert!(!parse_criterion("sc_conn_cur").unwrap_err().refused);
        let e = parse_criterion("path_bgn").unwrap_err();
        assert!(!e.refused);
        let e = parse_expr("src,table_gpc(0,t)").unwrap_err();
        assert!(e.refused && e.message.contains("table_gpc"), "{e:?}");
        assert!(parse_expr("src,in_table(t)").is_ok());
        let e = parse_expr("src,lowr").unwrap_err();
        assert!(!e.refused);
        assert!(e.help.unwrap_or_default().contains("lower"));
        assert!(parse_criterion("hdr").is_err());
        assert!(parse_expr("hdr(host").is_err());
    }

    #[test]
    fn every_predefined_acl_is_defined() {
        for name in crate::build::PREDEFINED_ACLS {
            assert!(predefined_acl(name).is_some(), "{name}");
        }
        assert_eq!(
            predefined_acl("LOCALHOST").unwrap().patterns,
            vec![
                Pattern::Net("127.0.0.1".parse().unwrap(), 8),
                Pattern::Net("::1".parse().unwrap(), 128)
            ]
        );
    }

    #[test]
    fn patterns_by_method() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            patterns(MatchMethod::Int, false, &s(&["gt", "3", "1:5"])).unwrap(),
            vec![Pattern::Int(4, i64::MAX), Pattern::Int(1, 5)]
        );
        assert_eq!(
            patterns(MatchMethod::Ip, false, &s(&["10.0.0.0/255.0.0.0"])).unwrap(),
            vec![Pattern::Net("10.0.0.0".parse().unwrap(), 8)]
        );
        assert!(patterns(MatchMethod::Ip, false, &s(&["10.0.0.0/40"])).is_err());
        assert!(
            patterns(MatchMethod::Ip, false, &s(&["backend.example"]))
                .unwrap_err()
                .refused
        );
        assert_eq!(
            patterns(MatchMethod::Str, true, &s(&["WWW.Example"])).unwrap(),
            vec![Pattern::Str("www.example".into())]
        );
        assert_eq!(
            patterns(MatchMethod::Bin, false, &s(&["16030a"])).unwrap(),
            vec![Pattern::Bin(vec![0x16, 0x03, 0x0a])]
        );
        assert!(patterns(MatchMethod::Reg, false, &s(&["("])).is_err());
    }
}
