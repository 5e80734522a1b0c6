//! What a health check sends and how its answer is judged, without the sockets:
//! `option ssl-hello-chk` (a TLS ClientHello; the server must answer with a handshake
//! record), `option httpchk` with `http-check send` / `expect` (status, rstatus,
//! string, rstring; by default any 2xx or 3xx status passes).

use haproxy_conf::model::{Expect, ExpectMatch};

/// What an `expect` makes of the data received so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    Pass,
    Fail,
    /// Not enough data to tell yet.
    NeedMore,
}

impl Judged {
    fn of(hit: bool, negate: bool) -> Judged {
        if hit != negate {
            Judged::Pass
        } else {
            Judged::Fail
        }
    }
}

/// HAProxy's default for an HTTP check without `expect`: 2xx and 3xx pass.
pub fn http_default_ok(response: &[u8]) -> bool {
    status_of(response).is_some_and(|s| (200..400).contains(&s))
}

/// Whether an HTTP expectation needs the body (else the status line is enough).
pub fn needs_body(e: &Expect) -> bool {
    matches!(e.what, ExpectMatch::String(_) | ExpectMatch::RString(_))
}

/// Judge an HTTP check's response (`complete`: nothing more will come).
pub fn judge_http(e: &Expect, response: &[u8], complete: bool) -> Judged {
    let Some(status) = status_of(response) else {
        return if complete {
            Judged::Fail
        } else {
            Judged::NeedMore
        };
    };
    if needs_body(e) && !complete {
        return Judged::NeedMore;
    }
    let body = body_of(response);
    let hit = match &e.what {
        ExpectMatch::Status(ranges) => ranges.iter().any(|(a, b)| (*a..=*b).contains(&status)),
        ExpectMatch::RStatus(r) => r.is_match(&status.to_string()),
        ExpectMatch::String(s) => String::from_utf8_lossy(body).contains(s.as_str()),
        ExpectMatch::RString(r) => r.is_match(&String::from_utf8_lossy(body)),
        ExpectMatch::Binary(b) => body.windows(b.len().max(1)).any(|w| w == b.as_slice()),
    };
    Judged::of(hit, e.negate)
}

/// Judge the data a tcp-check step read so far (`complete`: the peer closed, or the
/// buffer is full). A match passes at once; a negated one waits for `min-recv` bytes or
/// the end of the data.
pub fn judge_tcp(e: &Expect, data: &[u8], complete: bool) -> Judged {
    if e.min_recv.is_some_and(|n| data.len() < n) && !complete {
        return Judged::NeedMore;
    }
    let hit = match &e.what {
        ExpectMatch::String(s) => contains(data, s.as_bytes()),
        ExpectMatch::Binary(b) => contains(data, b),
        ExpectMatch::RString(r) => r.is_match(&String::from_utf8_lossy(data)),
        ExpectMatch::Status(_) | ExpectMatch::RStatus(_) => false,
    };
    if hit {
        return Judged::of(true, e.negate);
    }
    if complete || (e.negate && e.min_recv.is_some()) || (e.negate && !data.is_empty()) {
        Judged::of(false, e.negate)
    } else {
        Judged::NeedMore
    }
}

fn contains(data: &[u8], pat: &[u8]) -> bool {
    pat.is_empty() || data.windows(pat.len()).any(|w| w == pat)
}

/// An answer's status code, when it starts with an HTTP status line.
pub fn status_of(resp: &[u8]) -> Option<u16> {
    let line = resp.split(|&b| b == b'\n').next()?;
    let text = std::str::from_utf8(line).ok()?;
    let mut words = text.split_whitespace();
    if !words.next()?.starts_with("HTTP/") {
        return None;
    }
    words.next()?.parse().ok()
}

/// An answer's status and reason phrase (what HAProxy's DOWN line quotes as `info`).
pub fn status_line(resp: &[u8]) -> Option<(u16, String)> {
    let code = status_of(resp)?;
    let line = resp.split(|&b| b == b'\n').next()?;
    let text = String::from_utf8_lossy(line);
    let phrase = text
        .trim_end_matches('\r')
        .splitn(3, ' ')
        .nth(2)
        .unwrap_or("")
        .trim()
        .to_string();
    Some((code, phrase))
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

    fn expect(text: &str) -> Expect {
        let cfg = format!("backend b\n  option httpchk\n  http-check expect {text}\n  server s 10.0.0.1:80 check\n");
        let l = haproxy_conf::load_str("t.cfg", &cfg, &haproxy_conf::tokenizer::NoEnv);
        assert!(!l.diags.has_errors(), "{:?}", l.diags);
        match &l.config.proxies[0].http_checks[0] {
            haproxy_conf::model::CheckStep::Expect(e) => e.clone(),
            other => panic!("{other:?}"),
        }
    }

    fn tcp_expect(text: &str) -> Expect {
        let cfg = format!("backend b\n  option tcp-check\n  tcp-check expect {text}\n  server s 10.0.0.1:80 check\n");
        let l = haproxy_conf::load_str("t.cfg", &cfg, &haproxy_conf::tokenizer::NoEnv);
        assert!(!l.diags.has_errors(), "{:?}", l.diags);
        match &l.config.proxies[0].tcp_checks[0] {
            haproxy_conf::model::CheckStep::Expect(e) => e.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn http_expectations() {
        let ok = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nalive";
        let redirect = b"HTTP/1.0 302 Found\r\n\r\n";
        let err = b"HTTP/1.1 503 Service Unavailable\r\n\r\n";
        assert!(http_default_ok(ok) && http_default_ok(redirect));
        assert!(!http_default_ok(err) && !http_default_ok(b"garbage"));
        let pass = |e: &Expect, r: &[u8]| judge_http(e, r, true) == Judged::Pass;
        let e = expect("status 200");
        assert!(pass(&e, ok) && !pass(&e, redirect));
        assert_eq!(
            judge_http(&e, ok, false),
            Judged::Pass,
            "the status line is enough"
        );
        let e = expect("status 200-399,503");
        assert!(pass(&e, redirect) && pass(&e, err));
        assert!(pass(&expect("rstatus ^5"), err));
        let e = expect("string alive");
        assert!(needs_body(&e) && pass(&e, ok) && !pass(&e, redirect));
        assert_eq!(judge_http(&e, ok, false), Judged::NeedMore);
        assert!(pass(&expect("rstring al.ve"), ok));
        assert!(!pass(&expect("! status 200"), ok));
        assert!(pass(&expect("! string dead"), ok));
    }

    #[test]
    fn tcp_expectations() {
        let e = tcp_expect("string +PONG");
        assert_eq!(judge_tcp(&e, b"+PO", false), Judged::NeedMore);
        assert_eq!(judge_tcp(&e, b"+PONG\r\n", false), Judged::Pass);
        assert_eq!(judge_tcp(&e, b"-ERR\r\n", true), Judged::Fail);
        let e = tcp_expect("binary 0102");
        assert_eq!(judge_tcp(&e, &[0, 1, 2, 3], false), Judged::Pass);
        let e = tcp_expect("! string ERR");
        assert_eq!(judge_tcp(&e, b"OK\r\n", false), Judged::Pass);
        assert_eq!(judge_tcp(&e, b"ERR\r\n", false), Judged::Fail);
        let e = tcp_expect("rstring ^role:master");
        assert_eq!(judge_tcp(&e, b"role:master\r\n", false), Judged::Pass);
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

    #[test]
    fn status_lines_give_code_and_phrase() {
        assert_eq!(
            status_line(b"HTTP/1.1 503 Service Unavailable\r\nX: y\r\n\r\n"),
            Some((503, "Service Unavailable".to_string()))
        );
        assert_eq!(status_line(b"HTTP/1.0 200\r\n"), Some((200, String::new())));
        assert_eq!(status_line(b"garbage\r\n"), None);
    }
}
