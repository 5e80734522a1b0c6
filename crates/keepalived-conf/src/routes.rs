//! `virtual_routes` lines, read the way `ip route` reads them:
//! `[TYPE] [to] DEST [via|gw GW] [dev IF] [src ADDR] [metric N] [table N] [scope S]
//! [proto P] [onlink] [no_track]`, keywords in any order, DEST `default` or ADDR[/LEN].

use serde::Serialize;
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RouteKind {
    Unicast,
    Blackhole,
    Unreachable,
    Prohibit,
    Throw,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteSpec {
    pub kind: RouteKind,
    pub dest: IpAddr,
    pub prefix: u8,
    pub via: Option<IpAddr>,
    pub dev: Option<String>,
    pub src: Option<IpAddr>,
    pub metric: Option<u32>,
    pub table: Option<u32>,
    pub scope: Option<String>,
    pub onlink: bool,
}

fn addr(word: &str, what: &str) -> Result<IpAddr, String> {
    word.parse()
        .map_err(|_| format!("`{word}` is not an IP address ({what})"))
}

fn number(word: Option<&&str>, what: &str) -> Result<u32, String> {
    let w = word.ok_or_else(|| format!("`{what}` needs a value"))?;
    w.parse()
        .map_err(|_| format!("`{w}` is not a number ({what})"))
}

fn table(word: Option<&&str>) -> Result<u32, String> {
    match word.copied() {
        Some("main") => Ok(254),
        Some("local") => Ok(255),
        Some("default") => Ok(253),
        w => number(w.as_ref(), "table"),
    }
}

/// Parse one route; the error says what is wrong in words a user can act on.
pub fn parse(words: &[String]) -> Result<RouteSpec, String> {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let mut kind = RouteKind::Unicast;
    let mut dest: Option<(IpAddr, u8)> = None;
    let mut r = RouteSpec {
        kind,
        dest: IpAddr::from([0, 0, 0, 0]),
        prefix: 0,
        via: None,
        dev: None,
        src: None,
        metric: None,
        table: None,
        scope: None,
        onlink: false,
    };
    let mut i = 0;
    while i < w.len() {
        let next = w.get(i + 1);
        let value = || {
            next.copied()
                .ok_or_else(|| format!("`{}` needs a value", w[i]))
        };
        match w[i] {
            "blackhole" if i == 0 => kind = RouteKind::Blackhole,
            "unreachable" if i == 0 => kind = RouteKind::Unreachable,
            "prohibit" if i == 0 => kind = RouteKind::Prohibit,
            "throw" if i == 0 => kind = RouteKind::Throw,
            "to" => {
                dest = Some(destination(value()?)?);
                i += 1;
            }
            "via" | "gw" => {
                r.via = Some(addr(value()?, "gateway")?);
                i += 1;
            }
            "dev" | "oif" => {
                r.dev = Some(value()?.to_string());
                i += 1;
            }
            "src" => {
                r.src = Some(addr(value()?, "source")?);
                i += 1;
            }
            "metric" | "preference" | "priority" => {
                r.metric = Some(number(next, w[i])?);
                i += 1;
            }
            "table" => {
                r.table = Some(table(next)?);
                i += 1;
            }
            "scope" => {
                r.scope = Some(value()?.to_string());
                i += 1;
            }
            "proto" | "protocol" => i += 1,
            "onlink" => r.onlink = true,
            "no_track" => {}
            other if dest.is_none() => dest = Some(destination(other)?),
            other => {
                return Err(format!(
                    "`{other}` is not understood here (expected via, dev, src, metric, table, scope, onlink)"
                ))
            }
        }
        i += 1;
    }
    let (d, p) = dest.ok_or("no destination (an address/prefix or `default`)")?;
    if let (Some(g), false) = (r.via, r.via.is_some_and(|g| g.is_ipv4() == d.is_ipv4())) {
        return Err(format!(
            "gateway {g} and destination {d} are of different families"
        ));
    }
    r.kind = kind;
    r.dest = d;
    r.prefix = p;
    Ok(r)
}

fn destination(word: &str) -> Result<(IpAddr, u8), String> {
    if word == "default" {
        return Ok((IpAddr::from([0, 0, 0, 0]), 0));
    }
    let (a, len) = match word.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (word, None),
    };
    let ip = addr(a, "destination")?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let len = match len {
        Some(l) => l
            .parse::<u8>()
            .ok()
            .filter(|&n| n <= max)
            .ok_or_else(|| format!("`/{l}` is not a prefix length (0..{max})"))?,
        None => max,
    };
    Ok((ip, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<RouteSpec, String> {
        parse(&s.split_whitespace().map(String::from).collect::<Vec<_>>())
    }

    #[test]
    fn common_forms() {
        let r = p("192.168.20.0/24 via 192.168.10.254 dev eth0 metric 10").unwrap();
        assert_eq!(r.kind, RouteKind::Unicast);
        assert_eq!((r.dest.to_string(), r.prefix), ("192.168.20.0".into(), 24));
        assert_eq!(r.via, Some("192.168.10.254".parse().unwrap()));
        assert_eq!(r.dev.as_deref(), Some("eth0"));
        assert_eq!(r.metric, Some(10));
        let r = p("src 192.168.10.3 to 10.0.0.0/8 gw 192.168.10.254 dev eth0 table main").unwrap();
        assert_eq!(r.src, Some("192.168.10.3".parse().unwrap()));
        assert_eq!(r.table, Some(254));
        let r = p("default via 192.168.10.254").unwrap();
        assert_eq!((r.dest.to_string(), r.prefix), ("0.0.0.0".into(), 0));
        assert_eq!(
            p("blackhole 10.9.0.0/16").unwrap().kind,
            RouteKind::Blackhole
        );
        let r = p("2001:db8::/64 via fe80::1 dev eth0 onlink").unwrap();
        assert!(r.onlink && r.dest.is_ipv6());
        assert_eq!(p("10.1.2.3 dev eth0").unwrap().prefix, 32);
    }

    #[test]
    fn mistakes_are_explained() {
        assert!(p("10.0.0.0/33 dev eth0")
            .unwrap_err()
            .contains("prefix length"));
        assert!(p("10.0.0.0/8 via 10.0.0.300")
            .unwrap_err()
            .contains("gateway"));
        assert!(p("10.0.0.0/8 via fe80::1")
            .unwrap_err()
            .contains("families"));
        assert!(p("dev eth0").unwrap_err().contains("no destination"));
        assert!(p("10.0.0.0/8 metric")
            .unwrap_err()
            .contains("needs a value"));
        assert!(p("10.0.0.0/8 10.1.0.0/16")
            .unwrap_err()
            .contains("not understood"));
    }
}
