//! ACLs as HAProxy evaluates them: a fetch (path, hdr(host), src, ...) gives zero or more
//! values, the ACL is true when any value matches any pattern with the fetch's match
//! method (`path_beg` = path + beginning, or `-m beg`), `-i` ignores case; conditions
//! are ORs of ANDs of (possibly negated) ACLs, `unless` inverts.

use regex::Regex;
use serde::Serialize;
use std::net::IpAddr;

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Fetch {
    Path,
    Url,
    Method,
    /// A request header (all its values; `hdr(host)` and `req.hdr(host)`).
    Hdr(String),
    /// A request cookie (`req.cook(name)`, `cook(name)`).
    Cook(String),
    UrlParam(String),
    Src,
    Dst,
    SrcPort,
    DstPort,
    /// Whether the connection came in over TLS.
    SslFc,
    /// The TLS SNI the client sent (`req.ssl_sni`, `ssl_fc_sni`).
    Sni,
    /// Always true / always false (`always_true`, `always_false`, `TRUE`, `FALSE`).
    Const(bool),
    /// `req.payload(off,len)` / `res.payload(...)` (and the old `payload`).
    Payload {
        response: bool,
        off: usize,
        len: usize,
    },
    /// `req.payload_lv(off,len_size)` / `res.payload_lv(...)` (and `payload_lv`).
    PayloadLv {
        response: bool,
        off: usize,
        len_size: usize,
    },
    /// `req_ssl_hello_type` / `rep_ssl_hello_type`.
    SslHelloType {
        response: bool,
    },
    /// `req.len`: bytes of request data buffered so far.
    ReqLen,
}

/// A value a fetch produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Str(String),
    Int(i64),
    Ip(IpAddr),
    Bool(bool),
    /// Binary data (payloads); matched against patterns as lowercase hex.
    Bin(Vec<u8>),
}

/// What the request offers to fetches; the data plane implements it.
pub trait Sample {
    fn fetch(&self, f: &Fetch) -> Vec<Value>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Method {
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

#[derive(Debug, Clone)]
enum Pattern {
    Str(String),
    Reg(Regex),
    /// Inclusive range.
    Int(i64, i64),
    Net(IpAddr, u8),
}

#[derive(Debug, Clone)]
pub struct CompiledAcl {
    pub name: String,
    fetch: Fetch,
    method: Method,
    nocase: bool,
    patterns: Vec<Pattern>,
}

fn arg(fetch: &str) -> Option<String> {
    let open = fetch.find('(')?;
    let inner = fetch.get(open + 1..fetch.rfind(')')?)?;
    // hdr(host,1): the occurrence number is not needed to match any occurrence.
    Some(inner.split(',').next().unwrap_or("").trim().to_string())
}

/// A sample expression (`src`, `payload_lv(43,1)`, `hdr(host)`...), e.g. a stick key.
pub fn parse_sample(word: &str) -> Result<Fetch, String> {
    parse_fetch(word).map(|(f, _)| f)
}

/// `payload(43,1)` -> [43, 1].
fn numbers(word: &str) -> Result<Vec<usize>, String> {
    let inner = word
        .find('(')
        .and_then(|o| word.get(o + 1..word.rfind(')')?))
        .ok_or_else(|| format!("`{word}` needs arguments in parentheses"))?;
    inner
        .split(',')
        .map(|n| {
            n.trim()
                .parse::<usize>()
                .map_err(|_| format!("`{n}` is not a number in `{word}`"))
        })
        .collect()
}

/// The fetch and its default match method, from a fetch keyword such as `hdr_dom(host)`.
fn parse_fetch(word: &str) -> Result<(Fetch, Method), String> {
    let base = word.split('(').next().unwrap_or(word);
    let base = base.strip_prefix("req.").unwrap_or(base);
    let (stem, method) = match base.rsplit_once('_') {
        Some((s, "beg")) => (s, Some(Method::Beg)),
        Some((s, "end")) => (s, Some(Method::End)),
        Some((s, "sub")) => (s, Some(Method::Sub)),
        Some((s, "dir")) => (s, Some(Method::Dir)),
        Some((s, "dom")) => (s, Some(Method::Dom)),
        Some((s, "reg")) => (s, Some(Method::Reg)),
        Some((s, "len")) => (s, Some(Method::Len)),
        _ => (base, None),
    };
    let need = |what: &str| {
        arg(word)
            .filter(|a| !a.is_empty())
            .ok_or(format!("`{word}` needs a {what} in parentheses"))
    };
    let (fetch, default) = match stem {
        "path" => (Fetch::Path, Method::Str),
        "url" => (Fetch::Url, Method::Str),
        "method" => (Fetch::Method, Method::Str),
        "hdr" | "fhdr" => (
            Fetch::Hdr(need("header name")?.to_ascii_lowercase()),
            Method::Str,
        ),
        "cook" => (Fetch::Cook(need("cookie name")?), Method::Str),
        "url_param" | "urlp" => (Fetch::UrlParam(need("parameter name")?), Method::Str),
        "src" => (Fetch::Src, Method::Ip),
        "dst" => (Fetch::Dst, Method::Ip),
        "src_port" => (Fetch::SrcPort, Method::Int),
        "dst_port" => (Fetch::DstPort, Method::Int),
        "ssl_fc" => (Fetch::SslFc, Method::Bool),
        "ssl_sni" | "ssl_fc_sni" => (Fetch::Sni, Method::Str),
        "always_true" | "TRUE" => (Fetch::Const(true), Method::Bool),
        "req_ssl_hello_type" => (Fetch::SslHelloType { response: false }, Method::Int),
        "rep_ssl_hello_type" | "res.ssl_hello_type" => {
            (Fetch::SslHelloType { response: true }, Method::Int)
        }
        "len" if word.starts_with("req.") => (Fetch::ReqLen, Method::Int),
        "payload" | "payload_lv" | "res.payload" | "res.payload_lv" => {
            let nums = numbers(word)?;
            let response = word.starts_with("res.");
            let f = match (base.ends_with("_lv"), nums.as_slice()) {
                (false, [off, len]) => Fetch::Payload {
                    response,
                    off: *off,
                    len: *len,
                },
                (true, [off, len_size]) => Fetch::PayloadLv {
                    response,
                    off: *off,
                    len_size: *len_size,
                },
                _ => return Err(format!("`{word}` needs (offset,length)")),
            };
            (f, Method::Bin)
        }
        "always_false" | "FALSE" => (Fetch::Const(false), Method::Bool),
        _ => return Err(format!("fetch `{word}` is not supported by proxyd yet")),
    };
    Ok((fetch, method.unwrap_or(default)))
}

fn method_named(m: &str) -> Result<Method, String> {
    Ok(match m {
        "str" => Method::Str,
        "beg" => Method::Beg,
        "end" => Method::End,
        "sub" => Method::Sub,
        "dir" => Method::Dir,
        "dom" => Method::Dom,
        "reg" => Method::Reg,
        "len" => Method::Len,
        "found" => Method::Found,
        "int" => Method::Int,
        "ip" => Method::Ip,
        "bool" => Method::Bool,
        "bin" => Method::Bin,
        _ => return Err(format!("match method `-m {m}` is not known")),
    })
}

/// `5`, `1:1024`, `gt 3` style integer patterns (the operator is a word of its own).
fn int_patterns(words: &[String]) -> Result<Vec<Pattern>, String> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i].as_str();
        let num = |s: &str| {
            s.parse::<i64>()
                .map_err(|_| format!("`{s}` is not an integer"))
        };
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

fn net_pattern(w: &str) -> Result<Pattern, String> {
    let (a, len) = match w.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (w, None),
    };
    let ip: IpAddr = a
        .parse()
        .map_err(|_| format!("`{w}` is not an address or network"))?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= max => n,
            // A dotted netmask, as HAProxy also takes.
            _ => match l.parse::<std::net::Ipv4Addr>() {
                Ok(m) => u32::from(m).count_ones() as u8,
                Err(_) => return Err(format!("`/{l}` is not a prefix length")),
            },
        },
    };
    Ok(Pattern::Net(ip, len))
}

impl CompiledAcl {
    /// `acl NAME FETCH [flags] [patterns]`, split the way the config front end keeps it.
    pub fn compile(
        name: &str,
        fetch: &str,
        flags: &[String],
        patterns: &[String],
    ) -> Result<CompiledAcl, String> {
        let (fetch, mut method) = parse_fetch(fetch)?;
        let mut nocase = false;
        let mut i = 0;
        while i < flags.len() {
            match flags[i].as_str() {
                "-i" => nocase = true,
                "-m" => {
                    i += 1;
                    method = method_named(flags.get(i).map(String::as_str).unwrap_or(""))?;
                }
                "-n" | "--" => {}
                f => return Err(format!("ACL flag `{f}` is not supported by proxyd yet")),
            }
            i += 1;
        }
        let patterns = match method {
            Method::Int | Method::Len => int_patterns(patterns)?,
            Method::Ip => patterns
                .iter()
                .map(|p| net_pattern(p))
                .collect::<Result<_, _>>()?,
            Method::Reg => patterns
                .iter()
                .map(|p| {
                    regex::RegexBuilder::new(p)
                        .case_insensitive(nocase)
                        .build()
                        .map(Pattern::Reg)
                        .map_err(|e| format!("regex `{p}`: {e}"))
                })
                .collect::<Result<_, _>>()?,
            _ => patterns
                .iter()
                .map(|p| Pattern::Str(if nocase { p.to_lowercase() } else { p.clone() }))
                .collect(),
        };
        Ok(CompiledAcl {
            name: name.to_string(),
            fetch,
            method,
            nocase,
            patterns,
        })
    }

    pub fn fetch(&self) -> &Fetch {
        &self.fetch
    }

    pub fn eval(&self, sample: &dyn Sample) -> bool {
        let values = sample.fetch(&self.fetch);
        match self.method {
            Method::Found => !values.is_empty(),
            Method::Bool => values.iter().any(|v| match v {
                Value::Bool(b) => *b,
                Value::Int(n) => *n != 0,
                Value::Str(s) => !s.is_empty(),
                Value::Ip(_) => true,
                Value::Bin(b) => !b.is_empty(),
            }),
            _ => values
                .iter()
                .any(|v| self.patterns.iter().any(|p| self.matches(v, p))),
        }
    }

    fn matches(&self, v: &Value, p: &Pattern) -> bool {
        match (v, p) {
            (Value::Ip(ip), Pattern::Net(net, len)) => in_net(*ip, *net, *len),
            (Value::Int(n), Pattern::Int(lo, hi)) if self.method == Method::Int => {
                lo <= n && n <= hi
            }
            (Value::Str(s), Pattern::Int(lo, hi)) if self.method == Method::Len => {
                let n = s.len() as i64;
                *lo <= n && n <= *hi
            }
            (Value::Int(n), Pattern::Str(_)) => self.match_str(&n.to_string(), p),
            (Value::Str(s), _) => self.match_str(s, p),
            (Value::Ip(ip), Pattern::Str(_)) => self.match_str(&ip.to_string(), p),
            (Value::Bin(b), Pattern::Str(pat)) => {
                b.iter().map(|x| format!("{x:02x}")).collect::<String>() == pat.to_lowercase()
            }
            _ => false,
        }
    }

    fn match_str(&self, s: &str, p: &Pattern) -> bool {
        let folded;
        let s = if self.nocase {
            folded = s.to_lowercase();
            folded.as_str()
        } else {
            s
        };
        match p {
            Pattern::Reg(r) => r.is_match(s),
            Pattern::Str(pat) => match self.method {
                Method::Beg => s.starts_with(pat.as_str()),
                Method::End => s.ends_with(pat.as_str()),
                Method::Sub => s.contains(pat.as_str()),
                // A run of whole `/`-separated (dir) or `.`-separated (dom) words.
                Method::Dir => has_words(s, pat, '/'),
                Method::Dom => has_words(s, pat, '.'),
                _ => s == pat,
            },
            _ => false,
        }
    }
}

fn has_words(s: &str, pat: &str, sep: char) -> bool {
    let pat = pat.trim_matches(sep);
    if pat.is_empty() {
        return false;
    }
    s.match_indices(pat).any(|(i, m)| {
        let before = s[..i].chars().next_back();
        let after = s[i + m.len()..].chars().next();
        before.is_none_or(|c| c == sep) && after.is_none_or(|c| c == sep)
    })
}

/// Whether `ip` is inside `net/len` (an IPv4-mapped IPv6 client matches IPv4 networks).
pub fn in_net(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            u128::from(a) & mask == u128::from(n) & mask
        }
        // An IPv4 client on a dual-stack socket, matched against IPv4 networks.
        (IpAddr::V6(a), IpAddr::V4(_)) => a
            .to_ipv4_mapped()
            .is_some_and(|v4| in_net(IpAddr::V4(v4), net, len)),
        _ => false,
    }
}

/// One term of a condition: an ACL (by index into the compiled list), maybe negated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub negate: bool,
    pub acl: usize,
}

/// `if|unless` terms: groups ORed, terms within a group ANDed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cond {
    pub unless: bool,
    pub any_of: Vec<Vec<Term>>,
}

impl Cond {
    /// The ACLs (indices) the condition looks at.
    pub fn acls(&self) -> impl Iterator<Item = usize> + '_ {
        self.any_of.iter().flatten().map(|t| t.acl)
    }

    /// Evaluates lazily, as HAProxy does: an AND stops at the first false term, the OR at
    /// the first true group.
    pub fn eval(&self, acls: &[CompiledAcl], sample: &dyn Sample) -> bool {
        let hit = self.any_of.iter().any(|group| {
            group
                .iter()
                .all(|t| acls.get(t.acl).is_some_and(|a| a.eval(sample)) != t.negate)
        });
        hit != self.unless
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Req {
        path: &'static str,
        host: &'static str,
        src: &'static str,
        port: i64,
        tls: bool,
    }

    impl Sample for Req {
        fn fetch(&self, f: &Fetch) -> Vec<Value> {
            match f {
                Fetch::Path => vec![Value::Str(self.path.into())],
                Fetch::Method => vec![Value::Str("GET".into())],
                Fetch::Hdr(h) if h == "host" => vec![Value::Str(self.host.into())],
                Fetch::Src => vec![Value::Ip(self.src.parse().unwrap())],
                Fetch::DstPort => vec![Value::Int(self.port)],
                Fetch::SslFc => vec![Value::Bool(self.tls)],
                Fetch::Const(b) => vec![Value::Bool(*b)],
                _ => vec![],
            }
        }
    }

    fn acl(fetch: &str, flags: &[&str], pats: &[&str]) -> CompiledAcl {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        CompiledAcl::compile("a", fetch, &s(flags), &s(pats)).unwrap()
    }

    fn req() -> Req {
        Req {
            path: "/static/img/logo.png",
            host: "Test.Domain.com",
            src: "192.168.10.77",
            port: 443,
            tls: true,
        }
    }

    #[test]
    fn string_methods() {
        let r = req();
        assert!(acl("path_beg", &[], &["/api", "/static"]).eval(&r));
        assert!(!acl("path_beg", &[], &["/api"]).eval(&r));
        assert!(acl("path_end", &[], &[".png"]).eval(&r));
        assert!(acl("path_sub", &[], &["img"]).eval(&r));
        assert!(acl("path_dir", &[], &["img"]).eval(&r));
        assert!(!acl("path_dir", &[], &["im"]).eval(&r));
        assert!(acl("path_reg", &[], &["^/static/.*\\.png$"]).eval(&r));
        assert!(acl("path", &["-m", "beg"], &["/stat"]).eval(&r));
        assert!(acl("method", &[], &["GET"]).eval(&r));
        assert!(acl("path_len", &[], &["gt", "10"]).eval(&r));
    }

    #[test]
    fn virtual_hosts_by_host_header() {
        let r = req();
        assert!(
            !acl("hdr(host)", &[], &["test.domain.com"]).eval(&r),
            "case matters"
        );
        assert!(acl("hdr(host)", &["-i"], &["test.domain.com"]).eval(&r));
        assert!(acl("req.hdr(Host)", &["-i"], &["test.domain.com"]).eval(&r));
        assert!(acl("hdr_dom(host)", &["-i"], &["domain.com"]).eval(&r));
        assert!(!acl("hdr_dom(host)", &["-i"], &["main.com"]).eval(&r));
        assert!(acl("hdr_end(host)", &["-i"], &[".com"]).eval(&r));
        assert!(acl("hdr_beg(host)", &["-i"], &["test."]).eval(&r));
        assert!(!acl("hdr(x-missing)", &["-m", "found"], &[]).eval(&r));
        assert!(acl("hdr(host)", &["-m", "found"], &[]).eval(&r));
    }

    #[test]
    fn addresses_ports_and_booleans() {
        let r = req();
        assert!(acl("src", &[], &["10.0.0.0/8", "192.168.10.0/24"]).eval(&r));
        assert!(acl("src", &[], &["192.168.10.0/255.255.255.0"]).eval(&r));
        assert!(!acl("src", &[], &["192.168.11.0/24"]).eval(&r));
        assert!(acl("dst_port", &[], &["443"]).eval(&r));
        assert!(acl("dst_port", &[], &["1:1024"]).eval(&r));
        assert!(!acl("dst_port", &[], &["lt", "443"]).eval(&r));
        assert!(acl("ssl_fc", &[], &[]).eval(&r));
        assert!(!acl("always_false", &[], &[]).eval(&r));
    }

    #[test]
    fn conditions_and_or_not_unless() {
        let r = req();
        let acls = vec![
            acl("path_beg", &[], &["/static"]),
            acl("hdr(host)", &["-i"], &["test.com"]),
            acl("ssl_fc", &[], &[]),
        ];
        let t = |acl: usize, negate: bool| Term { negate, acl };
        let c = Cond {
            unless: false,
            any_of: vec![vec![t(0, false), t(2, false)]],
        };
        assert!(c.eval(&acls, &r));
        let c = Cond {
            unless: false,
            any_of: vec![vec![t(0, false), t(1, false)], vec![t(2, true)]],
        };
        assert!(!c.eval(&acls, &r));
        let c = Cond {
            unless: false,
            any_of: vec![vec![t(1, false)], vec![t(0, false)]],
        };
        assert!(c.eval(&acls, &r), "or");
        let c = Cond {
            unless: true,
            any_of: vec![vec![t(1, true)]],
        };
        assert!(!c.eval(&acls, &r), "unless !host");
    }

    #[test]
    fn mistakes_are_reported() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(CompiledAcl::compile("a", "hdr", &[], &s(&["x"]))
            .unwrap_err()
            .contains("header name"));
        assert!(CompiledAcl::compile("a", "src", &[], &s(&["10.0.0.0/40"])).is_err());
        assert!(CompiledAcl::compile("a", "path", &s(&["-m", "zz"]), &[]).is_err());
        assert!(CompiledAcl::compile("a", "path_reg", &[], &s(&["("]))
            .unwrap_err()
            .contains("regex"));
        assert!(CompiledAcl::compile("a", "dst_port", &[], &s(&["http"])).is_err());
    }
}
