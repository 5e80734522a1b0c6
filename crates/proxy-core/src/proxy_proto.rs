//! The PROXY protocol (versions 1 and 2), both ways: reading the header an upstream
//! balancer puts before the client's bytes (`accept-proxy`, `expect-proxy`), and
//! writing one before ours towards a server (`send-proxy`, `send-proxy-v2`). Pure: the
//! caller feeds the bytes read so far.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// The v2 signature: `\r\n\r\n\0\r\nQUIT\n`.
pub const V2_SIG: [u8; 12] = [
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
];

/// A v1 line is at most 107 bytes, CRLF included.
const V1_MAX: usize = 107;

/// What a complete header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addresses {
    /// The connection was made for a client: its address and the one it reached.
    Proxied { src: SocketAddr, dst: SocketAddr },
    /// `PROXY UNKNOWN`, a v2 LOCAL command or an address family we do not map: keep the
    /// connection's own addresses.
    Local,
}

/// The outcome of reading the start of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    /// A header of `len` bytes; the client's data follows it.
    Header { len: usize, addrs: Addresses },
    /// Not enough bytes yet.
    Incomplete,
    /// Not a valid PROXY header: the connection is to be closed.
    Invalid,
}

fn v1(buf: &[u8]) -> Parsed {
    let end = match buf.windows(2).take(V1_MAX - 1).position(|w| w == b"\r\n") {
        Some(i) => i,
        None if buf.len() >= V1_MAX => return Parsed::Invalid,
        None => {
            // A lone CR or LF cannot end the line: refuse it as soon as it shows.
            let seen = &buf[..buf.len().min(V1_MAX)];
            let bad = seen
                .iter()
                .enumerate()
                .any(|(i, &c)| c == b'\n' || (c == b'\r' && i + 1 < seen.len()));
            return if bad {
                Parsed::Invalid
            } else {
                Parsed::Incomplete
            };
        }
    };
    let Ok(line) = std::str::from_utf8(&buf[..end]) else {
        return Parsed::Invalid;
    };
    let len = end + 2;
    let words: Vec<&str> = line.split(' ').collect();
    match words.as_slice() {
        ["PROXY", "UNKNOWN", ..] => Parsed::Header {
            len,
            addrs: Addresses::Local,
        },
        ["PROXY", fam @ ("TCP4" | "TCP6"), src, dst, sport, dport] => {
            let parse_ip = |s: &str| -> Option<IpAddr> {
                if *fam == "TCP4" {
                    s.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
                } else {
                    s.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
                }
            };
            // Ports are decimal without sign or leading zeros (0 itself excepted).
            let parse_port = |s: &str| -> Option<u16> {
                if s.is_empty()
                    || s.len() > 5
                    || !s.bytes().all(|b| b.is_ascii_digit())
                    || (s.len() > 1 && s.starts_with('0'))
                {
                    return None;
                }
                s.parse().ok()
            };
            match (
                parse_ip(src),
                parse_ip(dst),
                parse_port(sport),
                parse_port(dport),
            ) {
                (Some(s), Some(d), Some(sp), Some(dp)) => Parsed::Header {
                    len,
                    addrs: Addresses::Proxied {
                        src: SocketAddr::new(s, sp),
                        dst: SocketAddr::new(d, dp),
                    },
                },
                _ => Parsed::Invalid,
            }
        }
        _ => Parsed::Invalid,
    }
}

fn v2(buf: &[u8]) -> Parsed {
    if buf.len() < 16 {
        return Parsed::Incomplete;
    }
    let ver_cmd = buf[12];
    if ver_cmd >> 4 != 2 {
        return Parsed::Invalid;
    }
    let fam = buf[13];
    let body = usize::from(u16::from_be_bytes([buf[14], buf[15]]));
    let len = 16 + body;
    if buf.len() < len {
        return Parsed::Incomplete;
    }
    let a = &buf[16..len];
    match ver_cmd & 0x0F {
        // LOCAL: the proxy's own connection (a health check): keep the real addresses.
        0x0 => Parsed::Header {
            len,
            addrs: Addresses::Local,
        },
        0x1 => {
            let addrs = match fam {
                0x11 if a.len() >= 12 => {
                    let ip =
                        |o: usize| IpAddr::V4(Ipv4Addr::new(a[o], a[o + 1], a[o + 2], a[o + 3]));
                    Addresses::Proxied {
                        src: SocketAddr::new(ip(0), u16::from_be_bytes([a[8], a[9]])),
                        dst: SocketAddr::new(ip(4), u16::from_be_bytes([a[10], a[11]])),
                    }
                }
                0x21 if a.len() >= 36 => {
                    let ip = |o: usize| {
                        let mut b = [0u8; 16];
                        b.copy_from_slice(&a[o..o + 16]);
                        IpAddr::V6(Ipv6Addr::from(b))
                    };
                    Addresses::Proxied {
                        src: SocketAddr::new(ip(0), u16::from_be_bytes([a[32], a[33]])),
                        dst: SocketAddr::new(ip(16), u16::from_be_bytes([a[34], a[35]])),
                    }
                }
                // A family too short for its addresses is a broken header.
                0x11 | 0x21 => return Parsed::Invalid,
                // UNSPEC, unix sockets, datagrams: the addresses mean nothing here.
                _ => Addresses::Local,
            };
            Parsed::Header { len, addrs }
        }
        _ => Parsed::Invalid,
    }
}

/// Read a PROXY header (v1 or v2) from the start of `buf`.
pub fn parse(buf: &[u8]) -> Parsed {
    let n = buf.len().min(V2_SIG.len());
    if buf[..n] == V2_SIG[..n] {
        return if n < V2_SIG.len() {
            Parsed::Incomplete
        } else {
            v2(buf)
        };
    }
    let n = buf.len().min(6);
    if buf[..n] == b"PROXY "[..n] {
        return if n < 6 { Parsed::Incomplete } else { v1(buf) };
    }
    Parsed::Invalid
}

/// The v1 line for a connection from `src` to `dst` (both of one family; otherwise
/// the addresses are given as IPv6, IPv4 ones mapped).
pub fn v1_header(src: SocketAddr, dst: SocketAddr) -> Vec<u8> {
    let (s, d) = same_family(src, dst);
    let fam = if s.is_ipv4() { "TCP4" } else { "TCP6" };
    format!(
        "PROXY {fam} {} {} {} {}\r\n",
        s.ip(),
        d.ip(),
        s.port(),
        d.port()
    )
    .into_bytes()
}

/// `PROXY UNKNOWN`: a connection on the proxy's own behalf (health checks).
pub fn v1_unknown() -> Vec<u8> {
    b"PROXY UNKNOWN\r\n".to_vec()
}

/// The v2 header (PROXY command, TCP) for a connection from `src` to `dst`.
pub fn v2_header(src: SocketAddr, dst: SocketAddr) -> Vec<u8> {
    let (s, d) = same_family(src, dst);
    let mut out = V2_SIG.to_vec();
    out.push(0x21);
    match (s.ip(), d.ip()) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            out.push(0x11);
            out.extend_from_slice(&12u16.to_be_bytes());
            out.extend_from_slice(&a.octets());
            out.extend_from_slice(&b.octets());
        }
        (a, b) => {
            let v6 = |ip: IpAddr| match ip {
                IpAddr::V4(v4) => v4.to_ipv6_mapped(),
                IpAddr::V6(v6) => v6,
            };
            out.push(0x21);
            out.extend_from_slice(&36u16.to_be_bytes());
            out.extend_from_slice(&v6(a).octets());
            out.extend_from_slice(&v6(b).octets());
        }
    }
    out.extend_from_slice(&s.port().to_be_bytes());
    out.extend_from_slice(&d.port().to_be_bytes());
    out
}

/// The v2 LOCAL header: the proxy's own connection (health checks).
pub fn v2_local() -> Vec<u8> {
    let mut out = V2_SIG.to_vec();
    out.extend_from_slice(&[0x20, 0x00, 0x00, 0x00]);
    out
}

/// Both addresses in one family: IPv4-mapped IPv6 addresses become IPv4 when the other
/// one is IPv4 (or mapped too), else both are written as IPv6.
fn same_family(src: SocketAddr, dst: SocketAddr) -> (SocketAddr, SocketAddr) {
    let v4 = |a: SocketAddr| match a.ip() {
        IpAddr::V4(ip) => Some(SocketAddr::new(IpAddr::V4(ip), a.port())),
        IpAddr::V6(ip) => ip
            .to_ipv4_mapped()
            .map(|m| SocketAddr::new(IpAddr::V4(m), a.port())),
    };
    match (v4(src), v4(dst)) {
        (Some(s), Some(d)) => (s, d),
        _ => {
            let v6 = |a: SocketAddr| match a.ip() {
                IpAddr::V4(ip) => SocketAddr::new(IpAddr::V6(ip.to_ipv6_mapped()), a.port()),
                IpAddr::V6(_) => a,
            };
            (v6(src), v6(dst))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn v1_lines() {
        let h = b"PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n";
        assert_eq!(
            parse(h),
            Parsed::Header {
                len: 47,
                addrs: Addresses::Proxied {
                    src: sa("192.168.0.1:56324"),
                    dst: sa("192.168.0.11:443")
                }
            }
        );
        assert_eq!(parse(&h[..20]), Parsed::Incomplete);
        assert_eq!(parse(b"PRO"), Parsed::Incomplete);
        assert_eq!(
            parse(b"PROXY UNKNOWN\r\n"),
            Parsed::Header {
                len: 15,
                addrs: Addresses::Local
            }
        );
        let v6 = b"PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n";
        assert!(matches!(parse(v6), Parsed::Header { .. }));
        for bad in [
            &b"GET / HTTP/1.1\r\n"[..],
            b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n",
            b"PROXY TCP4 1.2.3.4 5.6.7.8 70000 2\r\n",
            b"PROXY TCP4 ::1 5.6.7.8 1 2\r\n",
            b"PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
            b"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
        ] {
            assert_eq!(
                parse(bad),
                Parsed::Invalid,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(parse(&[b'P'; 200]), Parsed::Invalid);
        let long = [b"PROXY ".as_slice(), &[b'x'; 110]].concat();
        assert_eq!(parse(&long), Parsed::Invalid, "no CRLF in 107 bytes");
    }

    #[test]
    fn v2_headers_round_trip() {
        for (s, d) in [
            ("10.0.0.1:1234", "10.0.0.2:80"),
            ("[2001:db8::1]:1234", "[2001:db8::2]:443"),
        ] {
            let h = v2_header(sa(s), sa(d));
            let mut with_data = h.clone();
            with_data.extend_from_slice(b"hello");
            assert_eq!(
                parse(&with_data),
                Parsed::Header {
                    len: h.len(),
                    addrs: Addresses::Proxied {
                        src: sa(s),
                        dst: sa(d)
                    }
                }
            );
            for cut in 0..h.len() {
                assert_eq!(parse(&h[..cut]), Parsed::Incomplete, "cut at {cut}");
            }
            let line = v1_header(sa(s), sa(d));
            assert!(matches!(parse(&line), Parsed::Header { len, .. } if len == line.len()));
        }
        assert_eq!(
            parse(&v2_local()),
            Parsed::Header {
                len: 16,
                addrs: Addresses::Local
            }
        );
        // A mapped IPv4 client towards an IPv4 server is written as TCP4.
        assert_eq!(
            v1_header(sa("[::ffff:10.0.0.1]:5"), sa("10.0.0.2:80")),
            b"PROXY TCP4 10.0.0.1 10.0.0.2 5 80\r\n"
        );
        let mut bad = v2_header(sa("10.0.0.1:1"), sa("10.0.0.2:2"));
        bad[12] = 0x31;
        assert_eq!(parse(&bad), Parsed::Invalid, "version 3");
    }
}
