//! Responses proxyd makes itself: its error pages (replaced by `errorfile`, `errorloc`,
//! `http-error` and http-errors sections), `return`/`deny` replies and redirects.

use super::super::errorfiles::{self, ErrorPages, Page};
use super::Body;
use bytes::Bytes;
use haproxy_conf::actions::{Fmt, Payload, Redirect, RedirectKind, Reply};
use http::header::{HeaderName, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::{BodyExt, Full};

pub fn full(status: StatusCode, content_type: Option<&str>, body: Bytes) -> Response<Body> {
    let mut r = Response::new(Full::new(body).map_err(|never| match never {}).boxed());
    *r.status_mut() = status;
    if let Some(ct) = content_type.and_then(|c| HeaderValue::from_str(c).ok()) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, ct);
    }
    r
}

/// Marks a response made by a deny rule, for the dreq counters.
#[derive(Debug, Clone, Copy)]
pub struct Denied;

/// Marks the error pages proxyd makes itself, which `errorfile` may replace.
#[derive(Debug, Clone, Copy)]
pub struct Generated;

/// The reason phrase HAProxy writes for its own pages (two differ from RFC 9110's).
fn haproxy_reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        407 => "Unauthorized",
        408 => "Request Time-out",
        504 => "Gateway Time-out",
        _ => status.canonical_reason().unwrap_or(""),
    }
}

/// The error pages proxyd answers with itself.
pub fn error_page(status: StatusCode, why: &str) -> Response<Body> {
    let reason = haproxy_reason(status);
    let title = format!("{} {reason}", status.as_u16());
    let mut r = full(
        status,
        Some("text/html"),
        Bytes::from(format!(
            "<html><body><h1>{title}</h1>\n{why}\n</body></html>\n"
        )),
    );
    r.headers_mut().insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    // The connection stays open (HAProxy 2.6 keeps a keep-alive client after its own
    // 403, 429, 503... pages); those that must close it say so.
    r.extensions_mut().insert(Generated);
    if Some(reason) != status.canonical_reason() {
        if let Ok(rp) = hyper::ext::ReasonPhrase::try_from(reason.as_bytes().to_vec()) {
            r.extensions_mut().insert(rp);
        }
    }
    r
}

/// proxyd's own page for a status, in HAProxy's words.
pub fn own_page(status: u16) -> Response<Body> {
    let st = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let why = match status {
        400 => "Your browser sent an invalid request.",
        401 | 407 => "You need a valid user and password to access this content.",
        403 => "Request forbidden by administrative rules.",
        404 => "The resource could not be found.",
        405 => {
            "A request was made of a resource using a request method not supported by that resource"
        }
        408 => "Your browser didn't send a complete request in time.",
        410 => "The resource is no longer available and will not be available again.",
        413 => "The request entity exceeds the maximum allowed.",
        425 => "Your browser sent early data.",
        429 => "You have sent too many requests in a given amount of time.",
        500 => "An internal server error occurred.",
        // HAProxy's text starts with a dot.
        501 => ".The server does not support the functionality required to fulfill the request.",
        502 => "The server returned an invalid or incomplete response.",
        503 => "No server is available to handle this request.",
        504 => "The server didn't respond in time.",
        _ => "",
    };
    error_page(st, why)
}

/// `use-service prometheus-exporter`: the metrics, as HAProxy's exporter serves them.
pub fn metrics() -> Response<Body> {
    let mut r = full(
        StatusCode::OK,
        Some("text/plain; version=0.0.4"),
        Bytes::from(super::super::stats::metrics()),
    );
    r.headers_mut().insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    r
}

/// `http-request auth`: 401 asking for Basic credentials in `realm` (an `errorfile 401`
/// replaces the page, the header stays).
pub fn ask_credentials(realm: &str, pages: &[&ErrorPages]) -> Response<Body> {
    let mut r = substitute(own_page(401), pages);
    let escaped = realm.replace('\\', "\\\\").replace('"', "\\\"");
    if let Ok(v) = HeaderValue::from_str(&format!("Basic realm=\"{escaped}\"")) {
        r.headers_mut().insert(http::header::WWW_AUTHENTICATE, v);
    }
    r
}

pub fn header(name: &str) -> Option<HeaderName> {
    HeaderName::from_bytes(name.as_bytes()).ok()
}

/// A raw HTTP response from a file, as a response.
fn raw(bytes: &[u8], fallback: StatusCode) -> Option<Response<Body>> {
    let errorfiles::Raw {
        status,
        headers,
        body,
    } = errorfiles::parse(bytes)?;
    let mut out = full(
        StatusCode::from_u16(status).unwrap_or(fallback),
        None,
        Bytes::copy_from_slice(body),
    );
    for (k, v) in headers {
        if let (Some(k), Ok(v)) = (header(&k), HeaderValue::from_str(&v)) {
            out.headers_mut().append(k, v);
        }
    }
    Some(out)
}

fn page(p: &Page, status: StatusCode, pages: &ErrorPages) -> Option<Response<Body>> {
    match p {
        Page::Raw(b) => raw(b, status),
        Page::Location { code, url } => {
            let mut r = full(
                StatusCode::from_u16(*code).unwrap_or(StatusCode::FOUND),
                None,
                Bytes::new(),
            );
            if let Ok(v) = HeaderValue::from_str(url) {
                r.headers_mut().insert(http::header::LOCATION, v);
            }
            Some(r)
        }
        // Only literal values reach here (the plan refuses the others).
        Page::Reply(r) => Some(reply(r, &[pages], &|f| {
            f.as_literal().unwrap_or_default().into_bytes()
        })),
    }
}

/// Replace a generated error page by the backend's (else the frontend's) page.
pub fn substitute(r: Response<Body>, pages: &[&ErrorPages]) -> Response<Body> {
    if r.extensions().get::<Generated>().is_none() {
        return r;
    }
    let status = r.status();
    for ps in pages {
        if let Some(p) = ps.page(status.as_u16()) {
            if let Some(mut out) = page(p, status, ps) {
                if let Some(d) = r.extensions().get::<Denied>() {
                    out.extensions_mut().insert(*d);
                }
                return out;
            }
        }
    }
    r
}

/// Writes a log-format value for the request at hand.
pub type Render<'r> = &'r dyn Fn(&Fmt) -> Vec<u8>;

/// The response of a `return`, `deny` or `tarpit` with a reply; `pages` are the
/// proxies' error pages (rule's proxy first) for `default-errorfiles` and files.
pub fn reply(r: &Reply, pages: &[&ErrorPages], render: Render<'_>) -> Response<Body> {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::OK);
    let file = |path: &str| pages.iter().find_map(|p| p.file(path)).cloned();
    let mut out = match &r.payload {
        Payload::None => full(status, r.content_type.as_deref(), Bytes::new()),
        Payload::Text(t) => full(status, r.content_type.as_deref(), Bytes::from(render(t))),
        Payload::File(f) => {
            let body = file(f).unwrap_or_default();
            // An empty file: its content-type is dropped (as HAProxy).
            let ct = r.content_type.as_deref().filter(|_| !body.is_empty());
            full(status, ct, body)
        }
        Payload::LfFile(f) => {
            let fmt = pages.iter().find_map(|p| p.lf_file(f));
            // An empty file: no body, and its content-type is dropped (as HAProxy).
            let empty = fmt.is_none_or(|f| f.as_literal().is_some_and(|l| l.is_empty()));
            full(
                status,
                r.content_type.as_deref().filter(|_| !empty),
                fmt.map(|fmt| Bytes::from(render(fmt))).unwrap_or_default(),
            )
        }
        Payload::Errorfile(f) => file(f)
            .and_then(|b| raw(&b, status))
            .unwrap_or_else(|| own_page(r.status)),
        Payload::Errorfiles(name) => pages
            .iter()
            .find_map(|p| p.group(name, r.status))
            .and_then(|b| raw(b, status))
            .unwrap_or_else(|| own_page(r.status)),
        Payload::DefaultErrorfiles => substitute(own_page(r.status), pages),
    };
    for (n, v) in &r.headers {
        let value = render(v);
        // A header whose value comes out empty is left out (measured with HAProxy 2.6).
        if value.is_empty() {
            continue;
        }
        if let (Some(n), Ok(v)) = (header(n), HeaderValue::from_bytes(&value)) {
            out.headers_mut().append(n, v);
        }
    }
    out
}

/// A `redirect` (or `http-request redirect`) for this request.
pub fn redirect(rd: &Redirect, parts: &http::request::Parts, render: Render<'_>) -> Response<Body> {
    let value = String::from_utf8_lossy(&render(&rd.value)).into_owned();
    let path = parts.uri.path();
    let query = parts.uri.query();
    let mut pq = match (rd.drop_query, query) {
        (false, Some(q)) => format!("{path}?{q}"),
        _ => path.to_string(),
    };
    if rd.append_slash && !path.ends_with('/') {
        // Only without a query string (drop-query), as HAProxy.
        if rd.drop_query || query.is_none() {
            pq.push('/');
        }
    }
    let location = match rd.kind {
        RedirectKind::Location => value,
        RedirectKind::Prefix if value == "/" => pq,
        RedirectKind::Prefix => format!("{value}{pq}"),
        RedirectKind::Scheme => {
            let host = parts
                .headers
                .get(http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("");
            let p = if path.is_empty() || path == "*" {
                "/".to_string()
            } else {
                pq
            };
            format!("{value}://{host}{p}")
        }
    };
    let st = StatusCode::from_u16(rd.code).unwrap_or(StatusCode::FOUND);
    let mut r = full(st, None, Bytes::new());
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(http::header::LOCATION, v);
    }
    if let Some(c) = &rd.set_cookie {
        if let Ok(v) = HeaderValue::from_str(&format!("{c}; path=/")) {
            r.headers_mut().append(http::header::SET_COOKIE, v);
        }
    }
    if let Some(c) = &rd.clear_cookie {
        if let Ok(v) = HeaderValue::from_str(&format!("{c}; path=/; Max-Age=0")) {
            r.headers_mut().append(http::header::SET_COOKIE, v);
        }
    }
    r.headers_mut().insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    r
}
