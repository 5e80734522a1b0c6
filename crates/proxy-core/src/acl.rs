//! ACLs as HAProxy evaluates them: a fetch (path, hdr(host), src, ...) gives zero or more
//! values, the ACL is true when any value matches any pattern with the fetch's match
//! method (`path_beg` = path + beginning, or `-m beg`), `-i` ignores case; conditions
//! are ORs of ANDs of (possibly negated) ACLs, `unless` inverts.

pub use crate::sample::{value, values, Sample, Value};
use haproxy_conf::model::Acl;
pub use haproxy_conf::sample::{Converter, Expr, Fetch, MatchMethod, Pattern};
use std::net::IpAddr;

/// Whether one ACL line matches: any value against any pattern, with its method.
pub fn matches(acl: &Acl, sample: &dyn Sample) -> bool {
    let values = values(&acl.expr, sample);
    match acl.method {
        MatchMethod::Found => !values.is_empty(),
        MatchMethod::Bool => values.iter().any(|v| match v {
            Value::Bool(b) => *b,
            Value::Int(n) => *n != 0,
            Value::Str(s) => !s.is_empty(),
            Value::Ip(_) => true,
            Value::Bin(b) => !b.is_empty(),
        }),
        _ => values
            .iter()
            .any(|v| acl.patterns.iter().any(|p| matches_one(acl, v, p))),
    }
}

/// The first of an ACL line's patterns a value matches (the runtime API's `get acl`).
pub fn matching_pattern(acl: &Acl, v: &Value) -> Option<usize> {
    acl.patterns.iter().position(|p| matches_one(acl, v, p))
}

fn matches_one(acl: &Acl, v: &Value, p: &Pattern) -> bool {
    match (v, p) {
        (Value::Ip(ip), Pattern::Net(net, len)) => in_net(*ip, *net, *len),
        (Value::Str(s), Pattern::Net(net, len)) => {
            s.parse::<IpAddr>().is_ok_and(|ip| in_net(ip, *net, *len))
        }
        (Value::Int(n), Pattern::Int(lo, hi)) if acl.method == MatchMethod::Int => {
            lo <= n && n <= hi
        }
        (Value::Str(s), Pattern::Int(lo, hi)) if acl.method == MatchMethod::Int => {
            s.trim().parse::<i64>().is_ok_and(|n| *lo <= n && n <= *hi)
        }
        (Value::Str(s), Pattern::Int(lo, hi)) if acl.method == MatchMethod::Len => {
            let n = s.len() as i64;
            *lo <= n && n <= *hi
        }
        (Value::Bin(b), Pattern::Int(lo, hi)) if acl.method == MatchMethod::Len => {
            let n = b.len() as i64;
            *lo <= n && n <= *hi
        }
        (Value::Bin(b), Pattern::Bin(pat)) => b == pat,
        (Value::Bin(b), Pattern::Str(_) | Pattern::Reg(_)) => {
            match_str(acl, &String::from_utf8_lossy(b), p)
        }
        (Value::Int(n), Pattern::Str(_) | Pattern::Reg(_)) => match_str(acl, &n.to_string(), p),
        (Value::Str(s), _) => match_str(acl, s, p),
        (Value::Ip(ip), Pattern::Str(_) | Pattern::Reg(_)) => match_str(acl, &ip.to_string(), p),
        _ => false,
    }
}

fn match_str(acl: &Acl, s: &str, p: &Pattern) -> bool {
    let folded;
    let s = if acl.nocase {
        folded = s.to_ascii_lowercase();
        folded.as_str()
    } else {
        s
    };
    match p {
        Pattern::Reg(r) => r.is_match(s),
        Pattern::Str(pat) => match acl.method {
            MatchMethod::Beg => s.starts_with(pat.as_str()),
            MatchMethod::End => s.ends_with(pat.as_str()),
            MatchMethod::Sub => s.contains(pat.as_str()),
            // A run of whole `/`-separated (dir) or `.`-separated (dom) words.
            MatchMethod::Dir => has_words(s, pat, '/'),
            MatchMethod::Dom => has_words(s, pat, '.'),
            _ => s == pat,
        },
        _ => false,
    }
}

pub fn has_words(s: &str, pat: &str, sep: char) -> bool {
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

/// One term of a condition: an ACL (by index into the list of ACLs: each is the lines
/// written under one name, true when any is), maybe negated.
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
    pub fn eval(&self, acls: &[Vec<Acl>], sample: &dyn Sample) -> bool {
        let hit = self.any_of.iter().any(|group| {
            group.iter().all(|t| {
                acls.get(t.acl)
                    .is_some_and(|lines| lines.iter().any(|a| matches(a, sample)))
                    != t.negate
            })
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
                Fetch::Contextual(f) => self.fetch(f),
                Fetch::Hdr { name, .. } if name == "host" => vec![Value::Str(self.host.into())],
                Fetch::Src => vec![Value::Ip(self.src.parse().unwrap())],
                Fetch::DstPort => vec![Value::Int(self.port)],
                Fetch::SslFc => vec![Value::Bool(self.tls)],
                Fetch::Const(b) => vec![Value::Bool(*b)],
                _ => vec![],
            }
        }
        fn now(&self) -> (i64, u32) {
            (0, 0)
        }
    }

    fn acl(fetch: &str, flags: &[&str], pats: &[&str]) -> Acl {
        let text = format!(
            "frontend f\n  bind :80\n  acl a {fetch} {} {}\n",
            flags.join(" "),
            pats.join(" ")
        );
        let l = haproxy_conf::load_str("t.cfg", &text, &haproxy_conf::tokenizer::NoEnv);
        assert!(!l.diags.has_errors(), "{:?}", l.diags);
        l.config.proxies[0].acls[0].clone()
    }

    fn m(a: &Acl, r: &Req) -> bool {
        matches(a, r)
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
        assert!(m(&acl("path_beg", &[], &["/api", "/static"]), &r));
        assert!(!m(&acl("path_beg", &[], &["/api"]), &r));
        assert!(m(&acl("path_end", &[], &[".png"]), &r));
        assert!(m(&acl("path_sub", &[], &["img"]), &r));
        assert!(m(&acl("path_dir", &[], &["img"]), &r));
        assert!(!m(&acl("path_dir", &[], &["im"]), &r));
        assert!(m(&acl("path_reg", &[], &["^/static/.*\\.png$"]), &r));
        assert!(m(&acl("path", &["-m", "beg"], &["/stat"]), &r));
        assert!(m(&acl("method", &[], &["GET"]), &r));
        assert!(m(&acl("path_len", &[], &["gt", "10"]), &r));
    }

    #[test]
    fn virtual_hosts_by_host_header() {
        let r = req();
        assert!(
            !m(&acl("hdr(host)", &[], &["test.domain.com"]), &r),
            "case matters"
        );
        assert!(m(&acl("hdr(host)", &["-i"], &["test.domain.com"]), &r));
        assert!(m(&acl("req.hdr(Host)", &["-i"], &["test.domain.com"]), &r));
        assert!(m(
            &acl("req.hdr(host),lower", &[], &["test.domain.com"]),
            &r
        ));
        assert!(m(&acl("hdr_dom(host)", &["-i"], &["domain.com"]), &r));
        assert!(!m(&acl("hdr_dom(host)", &["-i"], &["main.com"]), &r));
        assert!(m(&acl("hdr_end(host)", &["-i"], &[".com"]), &r));
        assert!(m(&acl("hdr_beg(host)", &["-i"], &["test."]), &r));
        assert!(!m(&acl("hdr(x-missing)", &["-m", "found"], &[]), &r));
        assert!(m(&acl("hdr(host)", &["-m", "found"], &[]), &r));
    }

    #[test]
    fn addresses_ports_and_booleans() {
        let r = req();
        assert!(m(&acl("src", &[], &["10.0.0.0/8", "192.168.10.0/24"]), &r));
        assert!(m(&acl("src", &[], &["192.168.10.0/255.255.255.0"]), &r));
        assert!(!m(&acl("src", &[], &["192.168.11.0/24"]), &r));
        assert!(m(&acl("dst_port", &[], &["443"]), &r));
        assert!(m(&acl("dst_port", &[], &["1:1024"]), &r));
        assert!(!m(&acl("dst_port", &[], &["lt", "443"]), &r));
        assert!(m(&acl("ssl_fc", &[], &[]), &r));
        assert!(!m(&acl("always_false", &[], &[]), &r));
    }

    #[test]
    fn conditions_and_or_not_unless() {
        let r = req();
        let acls = vec![
            vec![acl("path_beg", &[], &["/static"])],
            vec![acl("hdr(host)", &["-i"], &["test.com"])],
            vec![acl("ssl_fc", &[], &[])],
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
        // Two lines under one name: true when either is.
        let both = vec![vec![
            acl("path_beg", &[], &["/api"]),
            acl("path_beg", &[], &["/static"]),
        ]];
        let c = Cond {
            unless: false,
            any_of: vec![vec![t(0, false)]],
        };
        assert!(c.eval(&both, &r));
    }
}
