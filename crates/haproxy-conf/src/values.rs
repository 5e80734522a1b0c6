//! Values as HAProxy writes them: times with units, sizes, addresses and ports.

use serde::Serialize;
use std::net::IpAddr;

/// A time in milliseconds (`10s`, `1m`, `500` = 500 ms, `100us` rounds up to 1 ms).
pub fn parse_time_ms(s: &str) -> Result<u64, String> {
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if digits == 0 {
        return Err(format!(
            "`{s}` is not a time: expected a number with an optional unit (us, ms, s, m, h, d)"
        ));
    }
    let n: u64 = s[..digits]
        .parse()
        .map_err(|_| format!("`{s}` is too large"))?;
    let unit = &s[digits..];
    let ms = match unit {
        "" | "ms" => Some(n),
        "us" => Some(n.div_ceil(1000)),
        "s" => n.checked_mul(1000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        other => {
            return Err(format!(
                "unknown time unit `{other}` in `{s}`: use us, ms, s, m, h or d"
            ))
        }
    };
    // HAProxy keeps times in a signed 32-bit millisecond count.
    match ms {
        Some(v) if v <= i32::MAX as u64 => Ok(v),
        _ => Err(format!("`{s}` is too large (at most 24 days)")),
    }
}

/// A size in bytes (`16384`, `16k`, `1m`, `1g`).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if digits == 0 {
        return Err(format!("`{s}` is not a size"));
    }
    let n: u64 = s[..digits]
        .parse()
        .map_err(|_| format!("`{s}` is too large"))?;
    let mul = match &s[digits..] {
        "" => 1,
        "k" | "K" => 1024,
        "m" | "M" => 1024 * 1024,
        "g" | "G" => 1024 * 1024 * 1024,
        other => {
            return Err(format!(
                "unknown size unit `{other}` in `{s}`: use k, m or g"
            ))
        }
    };
    n.checked_mul(mul)
        .ok_or_else(|| format!("`{s}` is too large"))
}

/// An unsigned integer.
pub fn parse_uint(s: &str) -> Result<u64, String> {
    s.parse::<u64>()
        .map_err(|_| format!("`{s}` is not a whole number"))
}

/// The family/transport prefix of an address (`ipv4@`, `unix@`, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AddrKind {
    /// No prefix: IPv4 or IPv6 from the address itself.
    Inet,
    Ipv4,
    Ipv6,
    Unix,
    Abns,
    Fd,
    Sockpair,
    Udp,
}

/// A listening address: `[prefix@]host[:port[-port]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListenAddr {
    pub kind: AddrKind,
    /// `None` = any address (`*`, empty, `::`... is kept as written).
    pub host: Option<String>,
    pub ip: Option<IpAddr>,
    pub port_low: u16,
    pub port_high: u16,
    /// Path for unix/abns, number for fd/sockpair.
    pub path: Option<String>,
}

/// Problem with an address, with a fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrError {
    pub message: String,
    pub help: String,
}

fn err(message: String, help: impl Into<String>) -> AddrError {
    AddrError {
        message,
        help: help.into(),
    }
}

fn split_prefix(s: &str) -> (AddrKind, &str) {
    let kinds = [
        ("ipv4@", AddrKind::Ipv4),
        ("ipv6@", AddrKind::Ipv6),
        ("unix@", AddrKind::Unix),
        ("abns@", AddrKind::Abns),
        ("fd@", AddrKind::Fd),
        ("sockpair@", AddrKind::Sockpair),
        ("udp@", AddrKind::Udp),
        ("udp4@", AddrKind::Udp),
        ("udp6@", AddrKind::Udp),
        ("tcp@", AddrKind::Inet),
        ("tcp4@", AddrKind::Ipv4),
        ("tcp6@", AddrKind::Ipv6),
    ];
    for (p, k) in kinds {
        if let Some(rest) = s.strip_prefix(p) {
            return (k, rest);
        }
    }
    (AddrKind::Inet, s)
}

/// Split `host:port` (host may be `[v6]` or a bare IPv6 whose last colon starts the port).
fn split_host_port(s: &str) -> (String, Option<&str>) {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((h, after)) = rest.split_once(']') {
            return (h.to_string(), after.strip_prefix(':'));
        }
    }
    match s.rfind(':') {
        Some(i) => (s[..i].to_string(), Some(&s[i + 1..])),
        None => (s.to_string(), None),
    }
}

fn port(p: &str, whole: &str) -> Result<u16, AddrError> {
    match p.parse::<u32>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
        Ok(n) => Err(err(
            format!("port {n} in `{whole}` is out of range"),
            match port_typo(n) {
                Some(p) => format!("ports go from 1 to 65535; did you mean {p}?"),
                None => "ports go from 1 to 65535".to_string(),
            },
        )),
        Err(_) => Err(err(
            format!("invalid port `{p}` in `{whole}`"),
            "write the port as a number from 1 to 65535",
        )),
    }
}

/// A likely intended port for an out-of-range one: one digit too many, preferring
/// well-known ports (80443 -> 8443).
fn port_typo(n: u32) -> Option<u32> {
    const COMMON: &[u32] = &[
        80, 443, 8080, 8443, 8000, 8008, 8888, 3000, 5000, 9000, 9443, 8081,
    ];
    let s = n.to_string();
    let mut cands: Vec<u32> = (0..s.len())
        .map(|i| format!("{}{}", &s[..i], &s[i + 1..]))
        .filter(|c| !c.starts_with('0'))
        .filter_map(|c| c.parse().ok())
        .filter(|c| (1..=65535).contains(c))
        .collect();
    cands.dedup();
    cands
        .iter()
        .find(|c| COMMON.contains(c))
        .or(cands.first())
        .copied()
}

/// One address of a `bind` line.
pub fn parse_listen(s: &str) -> Result<ListenAddr, AddrError> {
    let (kind, rest) = split_prefix(s);
    match kind {
        AddrKind::Unix | AddrKind::Abns => {
            if rest.is_empty() {
                return Err(err(
                    format!("`{s}` has no path"),
                    "write e.g. unix@/run/haproxy.sock",
                ));
            }
            return Ok(ListenAddr {
                kind,
                host: None,
                ip: None,
                port_low: 0,
                port_high: 0,
                path: Some(rest.to_string()),
            });
        }
        AddrKind::Fd | AddrKind::Sockpair => {
            if rest.parse::<u32>().is_err() {
                return Err(err(
                    format!("`{s}` needs a file descriptor number"),
                    "write e.g. fd@3",
                ));
            }
            return Ok(ListenAddr {
                kind,
                host: None,
                ip: None,
                port_low: 0,
                port_high: 0,
                path: Some(rest.to_string()),
            });
        }
        _ => {}
    }
    if rest.starts_with('/') {
        return Ok(ListenAddr {
            kind: AddrKind::Unix,
            host: None,
            ip: None,
            port_low: 0,
            port_high: 0,
            path: Some(rest.to_string()),
        });
    }
    let (host, ports) = split_host_port(rest);
    let Some(ports) = ports.filter(|p| !p.is_empty()) else {
        return Err(err(
            format!("missing port in `{s}`"),
            format!("write `{}:PORT`, e.g. `{}:80`", rest, rest),
        ));
    };
    let (lo, hi) = match ports.split_once('-') {
        Some((a, b)) => (port(a, s)?, port(b, s)?),
        None => {
            let p = port(ports, s)?;
            (p, p)
        }
    };
    if hi < lo {
        return Err(err(
            format!("port range `{ports}` is reversed"),
            format!("write `{hi}-{lo}`"),
        ));
    }
    let any = host.is_empty() || host == "*";
    let ip = if any {
        None
    } else {
        host.parse::<IpAddr>().ok()
    };
    if !any && ip.is_none() && !is_hostname(&host) {
        return Err(err(
            format!("invalid address `{host}` in `{s}`"),
            "write an IPv4/IPv6 address, `*` for any, or a host name",
        ));
    }
    if kind == AddrKind::Ipv4 && ip.is_some_and(|i| i.is_ipv6()) {
        return Err(err(
            format!("`{s}`: ipv4@ with an IPv6 address"),
            "use ipv6@",
        ));
    }
    Ok(ListenAddr {
        kind,
        host: if any { None } else { Some(host) },
        ip,
        port_low: lo,
        port_high: hi,
        path: None,
    })
}

/// A server address: `host[:port]`, port may be `+N`/`-N` (offset) or absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerAddr {
    pub kind: AddrKind,
    pub host: String,
    pub ip: Option<IpAddr>,
    /// None: same port as the client connected to.
    pub port: Option<u16>,
    pub port_offset: Option<i32>,
}

pub fn parse_server_addr(s: &str) -> Result<ServerAddr, AddrError> {
    let (kind, rest) = split_prefix(s);
    if matches!(kind, AddrKind::Unix | AddrKind::Abns) || rest.starts_with('/') {
        return Ok(ServerAddr {
            kind: AddrKind::Unix,
            host: rest.to_string(),
            ip: None,
            port: None,
            port_offset: None,
        });
    }
    let (host, p) = if rest.parse::<std::net::Ipv6Addr>().is_ok() {
        (rest.to_string(), None)
    } else {
        split_host_port(rest)
    };
    if host.is_empty() {
        return Err(err(
            format!("missing address in `{s}`"),
            "write `ADDRESS:PORT`",
        ));
    }
    let ip = host.parse::<IpAddr>().ok();
    if ip.is_none() && !is_hostname(&host) {
        return Err(err(
            format!("invalid address `{host}`"),
            "write an IP address or a host name",
        ));
    }
    let (port_v, offset) = match p {
        None | Some("") => (None, None),
        Some(p) if p.starts_with('+') || p.starts_with('-') => match p.parse::<i32>() {
            Ok(o) => (None, Some(o)),
            Err(_) => {
                return Err(err(
                    format!("invalid port offset `{p}`"),
                    "write e.g. +1000",
                ))
            }
        },
        Some(p) => (Some(port(p, s)?), None),
    };
    Ok(ServerAddr {
        kind,
        host,
        ip,
        port: port_v,
        port_offset: offset,
    })
}

/// Looks like a DNS name (resolution happens at run time, not here).
pub fn is_hostname(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        && !h.chars().all(|c| c.is_ascii_digit() || c == '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time_ms("10s"), Ok(10_000));
        assert_eq!(parse_time_ms("1m"), Ok(60_000));
        assert_eq!(parse_time_ms("500"), Ok(500));
        assert_eq!(parse_time_ms("100us"), Ok(1));
        assert_eq!(parse_time_ms("2h"), Ok(7_200_000));
        assert!(parse_time_ms("10x").is_err());
        assert!(parse_time_ms("s").is_err());
        assert!(parse_time_ms("30d").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16k"), Ok(16384));
        assert!(parse_size("1q").is_err());
    }

    #[test]
    fn listen_addresses() {
        let a = parse_listen("*:80").unwrap();
        assert_eq!((a.host.clone(), a.port_low), (None, 80));
        assert_eq!(parse_listen(":80").unwrap().port_low, 80);
        assert_eq!(
            parse_listen("[::]:443").unwrap().host.as_deref(),
            Some("::")
        );
        assert_eq!(parse_listen(":::443").unwrap().port_low, 443);
        let r = parse_listen("*:8000-8010").unwrap();
        assert_eq!((r.port_low, r.port_high), (8000, 8010));
        assert_eq!(
            parse_listen("unix@/run/x.sock").unwrap().kind,
            AddrKind::Unix
        );
        assert_eq!(parse_listen("fd@3").unwrap().kind, AddrKind::Fd);
        assert_eq!(
            parse_listen("ipv4@127.0.0.1:80").unwrap().kind,
            AddrKind::Ipv4
        );
        let e = parse_listen("192.168.80.1:80443").unwrap_err();
        assert!(e.help.contains("did you mean 8443?"), "{e:?}");
        assert!(parse_listen("127.0.0.1").is_err());
    }

    #[test]
    fn server_addresses() {
        let s = parse_server_addr("192.168.80.1:8080").unwrap();
        assert_eq!(s.port, Some(8080));
        assert_eq!(parse_server_addr("web1.example.com").unwrap().port, None);
        assert_eq!(
            parse_server_addr("10.0.0.1:+1000").unwrap().port_offset,
            Some(1000)
        );
        assert_eq!(parse_server_addr("fd00::1").unwrap().port, None);
        assert_eq!(parse_server_addr("[fd00::1]:80").unwrap().port, Some(80));
        assert!(parse_server_addr("10.0.0.1:80443").is_err());
        assert!(parse_server_addr("###.###").is_err());
    }
}
