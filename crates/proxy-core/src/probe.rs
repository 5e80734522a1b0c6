//! What a health check sends and how its answer is judged, without the sockets:
//! `option ssl-hello-chk` (a TLS ClientHello; the server must answer with a handshake
//! record), `option httpchk` with `http-check send` / `expect` (status, rstatus,
//! string, rstring; by default any 2xx or 3xx status passes).

use regex::Regex;

/// How an HTTP check's response is judged.
#[derive(Debug, Clone)]
pub enum Expect {
    /// HAProxy's default: 2xx and 3xx pass.
    Status2xx3xx,
    /// `expect status 200` / `expect status 200-399` / `expect status 200,204`.
    Status(Vec<(u16, u16)>),
    RStatus(Regex),
    /// `expect string TEXT`: the body contains it.
    String(String),
    RString(Regex),
}

impl Expect {
    /// From `http-check expect [!] KIND PATTERN` words (after `expect`).
    pub fn parse(words: &[String]) -> Result<Expect, String> {
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let (kind, pat) = match words.as_slice() {
            [k, p, ..] => (*k, *p),
            _ => return Err("`http-check expect` needs a kind and a pattern".into()),
        };
        let re = |p: &str| Regex::new(p).map_err(|e| format!("regex `{p}`: {e}"));
        Ok(match kind {
            "status" => {
                let mut ranges = Vec::new();
                for part in pat.split(',') {
                    let (a, b) = part.split_once('-').unwrap_or((part, part));
                    let num = |s: &str| {
                        s.parse::<u16>()
                            .map_err(|_| format!("`{s}` is not a status"))
                    };
                    ranges.push((num(a)?, num(b)?));
                }
                Expect::Status(ranges)
            }
            "rstatus" => Expect::RStatus(re(pat)?),
            "string" => Expect::String(pat.to_string()),
            "rstring" => Expect::RString(re(pat)?),
            k => return Err(format!("`http-check expect {k}` is not supported yet")),
        })
    }

    /// Judge a complete (or at least header-complete) HTTP response.
    pub fn judge(&self, response: &[u8]) -> bool {
        let Some(status) = status_of(response) else {
            return false;
        };
        let body = body_of(response);
        match self {
            Expect::Status2xx3xx => (200..400).contains(&status),
            Expect::Status(ranges) => ranges.iter().any(|(a, b)| (*a..=*b).contains(&status)),
            Expect::RStatus(r) => r.is_match(&status.to_string()),
            Expect::String(s) => String::from_utf8_lossy(body).contains(s.as_str()),
            Expect::RString(r) => r.is_match(&String::from_utf8_lossy(body)),
        }
    }

    /// Whether the body is needed to judge (else the status line is enough).
    pub fn needs_body(&self) -> bool {
        matches!(self, Expect::String(_) | Expect::RString(_))
    }
}

fn status_of(resp: &[u8]) -> Option<u16> {
    let line = resp.split(|&b| b == b'\n').next()?;
    let text = std::str::from_utf8(line).ok()?;
    let mut words = text.split_whitespace();
    if !words.next()?.starts_with("HTTP/") {
        return None;
    }
    words.next()?.parse().ok()
}

fn body_of(resp: &[u8]) -> &[u8] {
    resp.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| &resp[i + 4..])
        .unwrap_or(&[])
}

/// The request line and headers of an HTTP check.
pub fn http_request(
    method: &str,
    uri: &str,
    version: &str,
    headers: &[(String, String)],
) -> Vec<u8> {
    let mut r = format!("{method} {uri} {version}\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    if version != "HTTP/1.0"
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("connection"))
    {
        r.push_str("Connection: close\r\n");
    }
    r.push_str("\r\n");
    r.into_bytes()
}

/// A TLS ClientHello (TLS 1.2 record, common suites and the extensions ECDHE needs), as
/// `option ssl-hello-chk` sends; `random` fills the hello's random field.
pub fn ssl_client_hello(random: [u8; 32]) -> Vec<u8> {
    const SUITES: [u16; 8] = [
        0xc02f, 0xc030, 0xc02b, 0xc02c, 0x009c, 0x009d, 0x002f, 0x0035,
    ];
    let mut ext = Vec::new();
    // supported_groups: x25519, secp256r1, secp384r1
    ext.extend_from_slice(&[
        0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18,
    ]);
    // ec_point_formats: uncompressed
    ext.extend_from_slice(&[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]);
    // signature_algorithms: rsa_pss_rsae_sha256, rsa_pkcs1_sha256, ecdsa_secp256r1_sha256
    ext.extend_from_slice(&[
        0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x08, 0x04, 0x04, 0x01, 0x04, 0x03,
    ]);
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&random);
    body.push(0); // no session id
    body.extend_from_slice(&((SUITES.len() * 2) as u16).to_be_bytes());
    for s in SUITES {
        body.extend_from_slice(&s.to_be_bytes());
    }
    body.extend_from_slice(&[0x01, 0x00]); // compression: null only
    body.extend_from_slice(&(ext.len() as u16).to_be_bytes());
    body.extend_from_slice(&ext);
    let mut hs = vec![0x01];
    hs.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

/// A server that speaks TLS answers a hello with a handshake record (its ServerHello).
pub fn ssl_hello_ok(response: &[u8]) -> bool {
    response.first() == Some(&0x16) && response.get(1) == Some(&0x03)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn http_expectations() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nalive";
        let redirect = b"HTTP/1.0 302 Found\r\n\r\n";
        let err = b"HTTP/1.1 503 Service Unavailable\r\n\r\n";
        assert!(Expect::Status2xx3xx.judge(ok) && Expect::Status2xx3xx.judge(redirect));
        assert!(!Expect::Status2xx3xx.judge(err));
        assert!(!Expect::Status2xx3xx.judge(b"garbage"));
        let e = Expect::parse(&w("status 200")).unwrap();
        assert!(e.judge(ok) && !e.judge(redirect));
        let e = Expect::parse(&w("status 200-399,503")).unwrap();
        assert!(e.judge(redirect) && e.judge(err));
        assert!(Expect::parse(&w("rstatus ^5")).unwrap().judge(err));
        let e = Expect::parse(&w("string alive")).unwrap();
        assert!(e.needs_body() && e.judge(ok) && !e.judge(redirect));
        assert!(Expect::parse(&w("rstring al.ve")).unwrap().judge(ok));
        assert!(Expect::parse(&w("status x")).is_err());
    }

    #[test]
    fn requests() {
        let r = http_request(
            "GET",
            "/health",
            "HTTP/1.1",
            &[("Host".into(), "www".into())],
        );
        assert_eq!(
            String::from_utf8(r).unwrap(),
            "GET /health HTTP/1.1\r\nHost: www\r\nConnection: close\r\n\r\n"
        );
        let r = http_request("OPTIONS", "/", "HTTP/1.0", &[]);
        assert_eq!(String::from_utf8(r).unwrap(), "OPTIONS / HTTP/1.0\r\n\r\n");
    }

    #[test]
    fn client_hello_lengths_add_up() {
        let h = ssl_client_hello([7; 32]);
        assert_eq!(h[0], 0x16);
        let rec_len = usize::from(u16::from_be_bytes([h[3], h[4]]));
        assert_eq!(rec_len, h.len() - 5);
        assert_eq!(h[5], 0x01, "ClientHello");
        let hs_len = (usize::from(h[6]) << 16) | (usize::from(h[7]) << 8) | usize::from(h[8]);
        assert_eq!(hs_len, h.len() - 9);
        assert!(ssl_hello_ok(&[0x16, 0x03, 0x03, 0x00, 0x5d]));
        assert!(
            !ssl_hello_ok(&[0x15, 0x03, 0x03]),
            "an alert is not a hello"
        );
    }
}
