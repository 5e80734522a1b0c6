//! Pure steps that shape a request's headers before it leaves (and a response's before it
//! goes back), tested without sockets: the client and destination address headers
//! (`option forwardfor` / `originalto`), the hop-by-hop headers, and whether the client
//! asked for trailers.

use super::super::rules::in_net;
use haproxy_conf::model::AddrHeader;
use http::header::{HeaderMap, HeaderName, HeaderValue};
use std::net::IpAddr;

/// Headers that belong to one connection, not to the message. Fields *named* in
/// `Connection` are not removed (as in HAProxy): a client could name one the proxy adds.
fn hop_by_hop(n: &HeaderName) -> bool {
    const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
    const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
    use http::header::{CONNECTION, TE, TRAILER, UPGRADE};
    *n == CONNECTION
        || *n == TE
        || *n == TRAILER
        || *n == UPGRADE
        || *n == KEEP_ALIVE
        || *n == PROXY_CONNECTION
}

pub fn strip_hop_by_hop(h: &mut HeaderMap) {
    // Names compared as parsed names (no hashing of strings); most messages have one
    // (`Connection`) or none.
    while let Some(n) = h.keys().find(|n| hop_by_hop(n)).cloned() {
        h.remove(&n);
    }
}

/// Whether a comma-separated header lists `token` (any case), in any of its lines.
pub fn has_token(h: &HeaderMap, name: http::header::HeaderName, token: &str) -> bool {
    h.get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// The `Content-Length` a message declares, as a number (none if absent or not one).
pub fn content_length(h: &HeaderMap) -> Option<u64> {
    h.get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// Whether the client said it takes trailers (`TE: trailers`, what gRPC sends).
pub fn wants_trailers(h: &HeaderMap) -> bool {
    has_token(h, http::header::TE, "trailers")
}

/// `option forwardfor` / `option originalto` as HAProxy combines a frontend's and a
/// backend's: the header is the backend's when it has the option (else the
/// frontend's), and none is added when either side's `except` network holds `addr`.
pub fn addr_header<'a>(
    fe: Option<&'a AddrHeader>,
    be: Option<&'a AddrHeader>,
    addr: IpAddr,
) -> Option<&'a str> {
    let chosen = be.or(fe)?;
    let excepted = [fe, be]
        .into_iter()
        .flatten()
        .any(|h| h.except.is_some_and(|(net, len)| in_net(addr, net, len)));
    (!excepted).then_some(chosen.header.as_str())
}

/// The options of both sides: (frontend's, backend's).
pub type Sides<'a> = (Option<&'a AddrHeader>, Option<&'a AddrHeader>);

/// Adds the client's address (`forwardfor`: appended, unless every side with the option
/// says `if-none` and the header is there) and the address it reached (`originalto`:
/// replaced).
pub fn address_headers(
    h: &mut HeaderMap,
    forwardfor: Sides<'_>,
    originalto: Sides<'_>,
    (src, dst): (IpAddr, IpAddr),
) {
    let (ff_fe, ff_be) = forwardfor;
    if let Some(name) = addr_header(ff_fe, ff_be, src) {
        let always = [ff_fe, ff_be].into_iter().flatten().any(|f| !f.if_none);
        if always || !h.contains_key(name) {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&src.to_string()),
            ) {
                h.append(n, v);
            }
        }
    }
    let (ot_fe, ot_be) = originalto;
    if let Some(name) = addr_header(ot_fe, ot_be, dst) {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&dst.to_string()),
        ) {
            h.insert(n, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(header: &str, except: Option<(&str, u8)>, if_none: bool) -> AddrHeader {
        AddrHeader {
            header: header.into(),
            except: except.and_then(|(a, l)| a.parse().ok().map(|a| (a, l))),
            if_none,
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or(IpAddr::from([0, 0, 0, 0]))
    }

    fn values(h: &HeaderMap, n: &str) -> Vec<String> {
        h.get_all(n)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).to_string())
            .collect()
    }

    #[test]
    fn forwardfor_appends_and_the_backend_names_the_header() {
        let (fe, be) = (
            opt("X-Forwarded-For", None, false),
            opt("X-Client", None, false),
        );
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("1.1.1.1"));
        let addrs = (ip("10.0.0.1"), ip("10.0.0.2"));
        address_headers(&mut h, (Some(&fe), None), (None, None), addrs);
        assert_eq!(values(&h, "x-forwarded-for"), ["1.1.1.1", "10.0.0.1"]);
        address_headers(&mut h, (Some(&fe), Some(&be)), (None, None), addrs);
        assert_eq!(values(&h, "x-client"), ["10.0.0.1"]);
    }

    #[test]
    fn if_none_and_except() {
        let none = opt("X-Forwarded-For", None, true);
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_static("1.1.1.1"));
        let addrs = (ip("10.0.0.1"), ip("10.0.0.2"));
        address_headers(&mut h, (Some(&none), None), (None, None), addrs);
        assert_eq!(values(&h, "x-forwarded-for"), ["1.1.1.1"]);
        // One side without `if-none` adds it anyway.
        let always = opt("X-Forwarded-For", None, false);
        address_headers(&mut h, (Some(&none), Some(&always)), (None, None), addrs);
        assert_eq!(values(&h, "x-forwarded-for"), ["1.1.1.1", "10.0.0.1"]);
        // `except` on either side: nothing.
        let except = opt("X-Forwarded-For", Some(("10.0.0.0", 8)), false);
        let mut h = HeaderMap::new();
        address_headers(&mut h, (Some(&except), Some(&always)), (None, None), addrs);
        assert!(h.is_empty());
    }

    #[test]
    fn originalto_replaces() {
        let ot = opt("X-Original-To", None, false);
        let mut h = HeaderMap::new();
        h.insert("x-original-to", HeaderValue::from_static("9.9.9.9"));
        address_headers(
            &mut h,
            (None, None),
            (None, Some(&ot)),
            (ip("10.0.0.1"), ip("10.0.0.2")),
        );
        assert_eq!(values(&h, "x-original-to"), ["10.0.0.2"]);
    }

    #[test]
    fn hop_by_hop_goes_and_named_fields_stay() {
        let mut h = HeaderMap::new();
        for (n, v) in [
            ("connection", "keep-alive, x-secret"),
            ("keep-alive", "timeout=5"),
            ("te", "trailers"),
            ("upgrade", "websocket"),
            ("x-secret", "1"),
            ("host", "a"),
        ] {
            h.insert(n, HeaderValue::from_static(v));
        }
        assert!(wants_trailers(&h));
        strip_hop_by_hop(&mut h);
        let mut left: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
        left.sort_unstable();
        assert_eq!(left, ["host", "x-secret"]);
        assert!(!wants_trailers(&h));
    }
}
