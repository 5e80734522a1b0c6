//! When HAProxy compresses a response (`compression algo|type`), as its documentation
//! and measurements say: the algorithm the client accepts with the best q-value (`*`
//! standing for any; HAProxy 2.6 takes even `q=0`), none for old `Mozilla/4` agents; then only an HTTP/1.1 exchange
//! that is not HEAD, status 200-203, a body of known length or chunked, no
//! `Content-Encoding` yet, no `Cache-Control: no-transform`, at most one well-formed
//! ETag, and a content type that is not multipart and starts with a listed type (when
//! types are listed; a response without a type is then left alone). Pure.

use haproxy_conf::model::CompAlgo;

/// A q-value in thousandths (`q=0.5` is 500); a missing or bad one counts as 1.
fn qvalue(params: &str) -> u32 {
    for p in params.split(';') {
        let p = p.trim();
        if let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) {
            let v = v.trim();
            let (int, frac) = v.split_once('.').unwrap_or((v, ""));
            let int: u32 = match int {
                "0" => 0,
                "1" => 1,
                _ => return 1000,
            };
            let mut f = 0;
            let mut scale = 100;
            for d in frac.bytes().take(3) {
                if !d.is_ascii_digit() {
                    break;
                }
                f += u32::from(d - b'0') * scale;
                scale /= 10;
            }
            return (int * 1000 + f).min(1000);
        }
    }
    1000
}

/// Old agents that announce `Mozilla/4` handle compressed bodies badly, MSIE 6 SV1 and
/// MSIE 7 and later excepted.
fn old_agent(ua: &str) -> bool {
    if !ua.starts_with("Mozilla/4") {
        return false;
    }
    let b = ua.as_bytes();
    let msie = b.len() >= 31 && &b[25..30] == b"MSIE ";
    if !msie {
        return true;
    }
    match b[30] {
        d if d < b'6' => true,
        b'6' => !(b.len() >= 54 && &b[51..54] == b"SV1"),
        _ => false,
    }
}

/// The algorithm for a request: its `Accept-Encoding` values (each header line), its
/// User-Agent, and the proxy's algorithms in order. `identity`, when configured, stands
/// for requests that accept none of the others.
pub fn choose(algos: &[CompAlgo], accept: &[&str], user_agent: Option<&str>) -> Option<CompAlgo> {
    if user_agent.is_some_and(old_agent) {
        return None;
    }
    let mut best: Option<(u32, CompAlgo)> = None;
    for item in accept.iter().flat_map(|v| v.split(',')) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (token, params) = item.split_once(';').unwrap_or((item, ""));
        let token = token.trim();
        let q = qvalue(params);
        // A better q-value wins; even `q=0` takes an algorithm when nothing else did
        // (measured with HAProxy 2.6.12).
        if best.is_some_and(|b| q <= b.0) {
            continue;
        }
        // HAProxy keeps the algorithms last configured first: `*` takes the last one.
        if let Some(a) = algos
            .iter()
            .rev()
            .find(|a| token == "*" || token.eq_ignore_ascii_case(a.token()))
        {
            best = Some((q, *a));
        }
    }
    best.map(|b| b.1)
        .or_else(|| algos.iter().copied().find(|a| *a == CompAlgo::Identity))
}

/// What decides whether a response is compressed.
#[derive(Debug, Clone, Default)]
pub struct Response<'a> {
    pub status: u16,
    /// Both the request and the response are HTTP/1.1 (or later).
    pub http11: bool,
    pub head: bool,
    /// The body's end is known (Content-Length or chunked), or there is no body.
    pub framed: bool,
    pub content_encoding: bool,
    pub cache_control: Vec<&'a str>,
    pub etags: Vec<&'a str>,
    pub content_type: Option<&'a str>,
}

fn etag_ok(e: &str) -> bool {
    let e = e.trim();
    (e.starts_with("W/\"") && e.len() >= 4 || e.starts_with('"') && e.len() >= 2)
        && e.ends_with('"')
}

/// Whether the response is compressed, given the configured types.
pub fn compresses(r: &Response<'_>, types: &[String]) -> bool {
    if !r.http11 || r.head || !(200..=203).contains(&r.status) || !r.framed {
        return false;
    }
    if r.content_encoding {
        return false;
    }
    let no_transform = r
        .cache_control
        .iter()
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("no-transform"));
    if no_transform {
        return false;
    }
    match r.etags.as_slice() {
        [] => {}
        [one] if etag_ok(one) => {}
        _ => return false,
    }
    match r.content_type {
        Some(ct) => {
            let lower = ct.trim_start().to_ascii_lowercase();
            if lower.starts_with("multipart") {
                return false;
            }
            types.is_empty()
                || types
                    .iter()
                    .any(|t| lower.starts_with(&t.to_ascii_lowercase()))
        }
        None => types.is_empty(),
    }
}

/// A strong ETag made weak (the body changes with the encoding); None when it is weak.
pub fn weak_etag(e: &str) -> Option<String> {
    e.starts_with('"').then(|| format!("W/{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use CompAlgo::*;

    #[test]
    fn choosing() {
        let both = [Gzip, Deflate];
        assert_eq!(choose(&both, &["gzip, deflate"], None), Some(Gzip));
        assert_eq!(
            choose(&both, &["deflate;q=0.9, gzip;q=0.5"], None),
            Some(Deflate)
        );
        assert_eq!(choose(&both, &["gzip;q=0"], None), Some(Gzip));
        assert_eq!(choose(&both, &["br"], None), None);
        assert_eq!(choose(&both, &["*"], None), Some(Deflate));
        assert_eq!(choose(&both, &["GZIP"], None), Some(Gzip));
        assert_eq!(choose(&[Gzip, Identity], &["br"], None), Some(Identity));
        assert_eq!(
            choose(
                &both,
                &["gzip"],
                Some("Mozilla/4.0 (compatible; MSIE 5.5; Windows)")
            ),
            None
        );
        assert_eq!(
            choose(
                &both,
                &["gzip"],
                Some("Mozilla/4.0 (compatible; MSIE 7.0; Windows NT)")
            ),
            Some(Gzip)
        );
        assert_eq!(choose(&both, &["gzip"], Some("Mozilla/5.0")), Some(Gzip));
    }

    #[test]
    fn which_responses() {
        let ok = Response {
            status: 200,
            http11: true,
            framed: true,
            content_type: Some("text/html; charset=utf-8"),
            ..Response::default()
        };
        let types = vec!["text/html".to_string(), "text/plain".to_string()];
        assert!(compresses(&ok, &types));
        assert!(compresses(&ok, &[]));
        assert!(!compresses(
            &Response {
                status: 206,
                ..ok.clone()
            },
            &types
        ));
        assert!(!compresses(
            &Response {
                http11: false,
                ..ok.clone()
            },
            &types
        ));
        assert!(!compresses(
            &Response {
                content_type: Some("image/png"),
                ..ok.clone()
            },
            &types
        ));
        assert!(!compresses(
            &Response {
                content_type: None,
                ..ok.clone()
            },
            &types
        ));
        assert!(compresses(
            &Response {
                content_type: None,
                ..ok.clone()
            },
            &[]
        ));
        assert!(!compresses(
            &Response {
                content_type: Some("multipart/mixed"),
                ..ok.clone()
            },
            &[]
        ));
        assert!(!compresses(
            &Response {
                cache_control: vec!["public, no-transform"],
                ..ok.clone()
            },
            &[]
        ));
        assert!(!compresses(
            &Response {
                etags: vec!["abc"],
                ..ok.clone()
            },
            &[]
        ));
        assert!(compresses(
            &Response {
                etags: vec!["W/\"abc\""],
                ..ok.clone()
            },
            &[]
        ));
        assert!(!compresses(
            &Response {
                etags: vec!["\"a\"", "\"b\""],
                ..ok.clone()
            },
            &[]
        ));
        assert_eq!(weak_etag("\"x\"").as_deref(), Some("W/\"x\""));
        assert_eq!(weak_etag("W/\"x\""), None);
    }
}
