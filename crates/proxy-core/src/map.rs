//! Map files as HAProxy reads and matches them: one `key value` pair per line (`#`
//! comments and blank lines skipped, the value is the rest of the line), keys compared
//! with the converter's method. Exact and prefix keys and networks: the most specific
//! key wins (HAProxy keeps them in trees); the other methods: the first key in the file.
//! Pure: the caller reads the file.

use crate::sample::{str_to_ip, Kind, Value};
use haproxy_conf::sample::conv::{MapMatch, MapOut};
use haproxy_conf::sample::Regex;
use std::collections::HashMap;
use std::net::IpAddr;

#[derive(Debug, Clone)]
enum Key {
    Str(String),
    /// `lo:hi` (either side may be empty).
    Int(Option<i64>, Option<i64>),
    Net(IpAddr, u8),
    Reg(Regex),
}

#[derive(Debug, Clone)]
pub struct Map {
    matching: MapMatch,
    entries: Vec<(Key, Value)>,
    /// Exact keys: the first entry of each.
    exact: HashMap<String, usize>,
}

fn value_of(v: &str, out: MapOut) -> Result<Value, String> {
    match out {
        MapOut::Str => Ok(Value::Str(v.to_string())),
        MapOut::Int => v
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("`{v}` is not an integer")),
        MapOut::Ip => v
            .parse::<IpAddr>()
            .map(Value::Ip)
            .map_err(|_| format!("`{v}` is not an IP address")),
    }
}

fn int_key(k: &str) -> Result<Key, String> {
    let bound = |s: &str| -> Result<Option<i64>, String> {
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse::<i64>()
                .map(Some)
                .map_err(|_| format!("`{k}` is not an integer or a range"))
        }
    };
    match k.split_once(':') {
        Some((lo, hi)) => Ok(Key::Int(bound(lo)?, bound(hi)?)),
        None => {
            let n = bound(k)?;
            Ok(Key::Int(n, n))
        }
    }
}

fn net_key(k: &str) -> Result<Key, String> {
    let bad = || format!("`{k}` is not an address or a network");
    let (a, len) = match k.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (k, None),
    };
    let ip: IpAddr = a.parse().map_err(|_| bad())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        None => max,
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= max => n,
            // A dotted IPv4 mask.
            _ => match l.parse::<std::net::Ipv4Addr>() {
                Ok(m)
                    if ip.is_ipv4() && u32::from(m).leading_ones() == u32::from(m).count_ones() =>
                {
                    u32::from(m).leading_ones() as u8
                }
                _ => return Err(bad()),
            },
        },
    };
    Ok(Key::Net(ip, len))
}

fn key_of(k: &str, matching: MapMatch) -> Result<Key, String> {
    match matching {
        MapMatch::Int => int_key(k),
        MapMatch::Ip => net_key(k),
        MapMatch::Reg => Ok(Key::Reg(Regex::new(k, false)?)),
        _ => Ok(Key::Str(k.to_string())),
    }
}

/// A map file's entries as written: (line number, key, value), comments and blank lines
/// left out.
pub fn entries(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') {
            continue;
        }
        let line = line.trim_start_matches([' ', '\t']).trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let (k, v) = match line.find([' ', '\t']) {
            Some(i) => (&line[..i], line[i..].trim()),
            None => (line, ""),
        };
        out.push((n + 1, k.to_string(), v.to_string()));
    }
    out
}

/// A default value (`map(file,default)`) in the map's output type.
pub fn default_value(d: &str, out: MapOut) -> Option<Value> {
    value_of(d, out).ok()
}

impl Map {
    /// The map in `text`; an error names the line.
    pub fn parse(text: &str, matching: MapMatch, out: MapOut) -> Result<Map, String> {
        Map::from_entries(&entries(text), matching, out)
    }

    /// The map of `(line, key, value)` entries (as `entries` reads them, or as the
    /// runtime API changed them); an error names the line.
    pub fn from_entries(
        list: &[(usize, String, String)],
        matching: MapMatch,
        out: MapOut,
    ) -> Result<Map, String> {
        let mut entries = Vec::new();
        let mut exact = HashMap::new();
        for (n, k, v) in list {
            let at = |e: String| format!("line {n}: {e}");
            let key = key_of(k, matching).map_err(at)?;
            let value = value_of(v, out).map_err(at)?;
            if let (MapMatch::Str, Key::Str(s)) = (matching, &key) {
                exact.entry(s.clone()).or_insert(entries.len());
            }
            entries.push((key, value));
        }
        Ok(Map {
            matching,
            entries,
            exact,
        })
    }

    /// Whether `k` and `v` can be an entry of a map of this kind, in HAProxy's words
    /// when not.
    pub fn check_entry(k: &str, v: &str, matching: MapMatch, out: MapOut) -> Result<(), String> {
        key_of(k, matching).map_err(|_| match matching {
            MapMatch::Ip => format!("'{k}' is not a valid IPv4 or IPv6 address."),
            MapMatch::Int => format!("'{k}' is not a valid integer."),
            _ => format!("'{k}' is not a valid pattern."),
        })?;
        value_of(v, out).map(|_| ()).map_err(|e| format!("{e}."))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The value for `input`, None when no key matches.
    pub fn lookup(&self, input: &Value) -> Option<Value> {
        match self.matching {
            MapMatch::Int => {
                let Value::Int(n) = input.clone().cast(Kind::Int)? else {
                    return None;
                };
                self.entries.iter().find_map(|(k, v)| match k {
                    Key::Int(lo, hi) if lo.is_none_or(|l| n >= l) && hi.is_none_or(|h| n <= h) => {
                        Some(v.clone())
                    }
                    _ => None,
                })
            }
            MapMatch::Ip => {
                let ip = match input.clone() {
                    Value::Ip(ip) => ip,
                    Value::Str(s) => str_to_ip(&s)?,
                    other => match other.cast(Kind::Ip)? {
                        Value::Ip(ip) => ip,
                        _ => return None,
                    },
                };
                self.entries
                    .iter()
                    .filter_map(|(k, v)| match k {
                        Key::Net(net, len) if crate::acl::in_net(ip, *net, *len) => Some((*len, v)),
                        _ => None,
                    })
                    // The most specific network; the first of equals.
                    .fold(None, |best: Option<(u8, &Value)>, (len, v)| match best {
                        Some((b, _)) if b >= len => best,
                        _ => Some((len, v)),
                    })
                    .map(|(_, v)| v.clone())
            }
            m => {
                let Value::Str(s) = input.clone().cast(Kind::Str)? else {
                    return None;
                };
                if m == MapMatch::Str {
                    return self.exact.get(&s).map(|&i| self.entries[i].1.clone());
                }
                let keys = self.entries.iter().filter_map(|(k, v)| match k {
                    Key::Str(p) => Some((p.as_str(), v)),
                    Key::Reg(r) if r.is_match(&s) => Some(("", v)),
                    _ => None,
                });
                if m == MapMatch::Beg {
                    // The longest prefix; the first of equals.
                    return keys
                        .filter(|(p, _)| s.starts_with(p))
                        .fold(None, |best: Option<(&str, &Value)>, (p, v)| match best {
                            Some((b, _)) if b.len() >= p.len() => best,
                            _ => Some((p, v)),
                        })
                        .map(|(_, v)| v.clone());
                }
                keys.into_iter()
                    .find(|(p, _)| match m {
                        MapMatch::Sub => s.contains(p),
                        MapMatch::End => s.ends_with(p),
                        MapMatch::Dir => crate::acl::has_words(&s, p, '/'),
                        MapMatch::Dom => crate::acl::has_words(&s, p, '.'),
                        _ => true, // regex keys matched above
                    })
                    .map(|(_, v)| v.clone())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    #[test]
    fn methods_and_winners() {
        let text = "# hosts\n/api  API \n/api/v2 V2\n\n/ ROOT\n/api DUP\n";
        let beg = Map::parse(text, MapMatch::Beg, MapOut::Str).unwrap();
        assert_eq!(beg.len(), 4);
        assert_eq!(beg.lookup(&s("/api/v2/x")), Some(s("V2")), "longest prefix");
        assert_eq!(beg.lookup(&s("/apix")), Some(s("API")), "value trimmed");
        assert_eq!(beg.lookup(&s("/x")), Some(s("ROOT")));
        let exact = Map::parse(text, MapMatch::Str, MapOut::Str).unwrap();
        assert_eq!(
            exact.lookup(&s("/api")),
            Some(s("API")),
            "first of duplicates"
        );
        assert_eq!(exact.lookup(&s("/API")), None, "case matters");
        let sub = Map::parse("b 1\na 2\n", MapMatch::Sub, MapOut::Int).unwrap();
        assert_eq!(sub.lookup(&s("xab")), Some(Value::Int(1)), "file order");
        let dom = Map::parse("example.com E\n", MapMatch::Dom, MapOut::Str).unwrap();
        assert_eq!(dom.lookup(&s("www.example.com")), Some(s("E")));
        assert_eq!(dom.lookup(&s("wwwexample.com")), None);
        let reg = Map::parse("^/img/.*\\.png$ IMG\n", MapMatch::Reg, MapOut::Str).unwrap();
        assert_eq!(reg.lookup(&s("/img/a.png")), Some(s("IMG")));
    }

    #[test]
    fn networks_and_integers() {
        let ip = Map::parse(
            "10.0.0.0/8 wide\n10.1.0.0/16 narrow\n192.168.1.1 one\n",
            MapMatch::Ip,
            MapOut::Str,
        )
        .unwrap();
        let a = |x: &str| Value::Ip(x.parse().unwrap());
        assert_eq!(ip.lookup(&a("10.1.2.3")), Some(s("narrow")));
        assert_eq!(ip.lookup(&a("10.2.2.3")), Some(s("wide")));
        assert_eq!(ip.lookup(&s("192.168.1.1")), Some(s("one")));
        assert_eq!(ip.lookup(&a("11.0.0.1")), None);
        let int = Map::parse("1:10 low\n11: high\n", MapMatch::Int, MapOut::Str).unwrap();
        assert_eq!(int.lookup(&Value::Int(5)), Some(s("low")));
        assert_eq!(int.lookup(&s("99")), Some(s("high")));
        assert!(Map::parse("x 1\n", MapMatch::Int, MapOut::Str).is_err());
        assert!(Map::parse("a b\n", MapMatch::Str, MapOut::Int)
            .unwrap_err()
            .contains("line 1"));
    }
}
