//! `mode http`: HTTP/1.1 on both sides through hyper. Per request: the frontend's
//! http-request rules, use_backend, the backend's rules, forwardfor, a server picked by
//! the backend's algorithm (hashing uri / url_param / hdr / source), an idle pooled
//! connection to it or a new one, then the response with the http-response rules.
//! Failures answer as HAProxy does: 503 when no server can take the request, 502 when
//! the server fails, 504 when it does not answer within `timeout server`.

use super::backend::{BackendRt, HashOn, ServerRt};
use super::clock::Clock;
use super::frontend::FrontendRt;
use super::rules::{in_net, RedirectKind, ReqAction, RespAction};
use super::stats::{Answer, StatsPage};
use super::tcp::{self, InUse};
use super::{Conn, Stream};
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::{TokioIo, TokioTimer};
use proxy_core::acl::{Fetch, Sample, Value};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::net::TcpStream;

type Body = BoxBody<Bytes, hyper::Error>;

/// What a request offers to ACLs.
struct ReqSample<'a> {
    parts: &'a http::request::Parts,
    src: SocketAddr,
    dst: SocketAddr,
    /// TLS terminated here, with the client's SNI.
    tls: &'a Option<Option<String>>,
}

fn query_param(query: &str, name: &str) -> Vec<Value> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| Value::Str(v.to_string()))
        .collect()
}

impl<'a> ReqSample<'a> {
    fn of(parts: &'a http::request::Parts, conn: &'a Conn) -> Self {
        ReqSample {
            parts,
            src: conn.peer,
            dst: conn.local,
            tls: &conn.tls,
        }
    }
}

impl Sample for ReqSample<'_> {
    fn fetch(&self, f: &Fetch) -> Vec<Value> {
        let uri = &self.parts.uri;
        match f {
            Fetch::Path => vec![Value::Str(uri.path().to_string())],
            Fetch::Url => vec![Value::Str(
                uri.path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/")
                    .to_string(),
            )],
            Fetch::Method => vec![Value::Str(self.parts.method.as_str().to_string())],
            Fetch::Hdr(name) => self
                .parts
                .headers
                .get_all(name.as_str())
                .iter()
                .filter_map(|v| v.to_str().ok())
                // HAProxy's hdr() splits on commas, as values of a list header.
                .flat_map(|v| {
                    v.split(',')
                        .map(|x| Value::Str(x.trim().to_string()))
                        .collect::<Vec<_>>()
                })
                .collect(),
            Fetch::Cook(name) => self
                .parts
                .headers
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|c| c.trim().split_once('='))
                .filter(|(k, _)| k == name)
                .map(|(_, v)| Value::Str(v.to_string()))
                .collect(),
            Fetch::UrlParam(name) => query_param(uri.query().unwrap_or(""), name),
            Fetch::Src => vec![Value::Ip(self.src.ip())],
            Fetch::Dst => vec![Value::Ip(self.dst.ip())],
            Fetch::SrcPort => vec![Value::Int(i64::from(self.src.port()))],
            Fetch::DstPort => vec![Value::Int(i64::from(self.dst.port()))],
            Fetch::SslFc => vec![Value::Bool(self.tls.is_some())],
            Fetch::Sni => self
                .tls
                .iter()
                .flatten()
                .map(|n| Value::Str(n.clone()))
                .collect(),
            Fetch::Const(b) => vec![Value::Bool(*b)],
            // Payload fetches belong to TCP content inspection.
            _ => Vec::new(),
        }
    }
}

fn full(status: StatusCode, content_type: &str, body: String) -> Response<Body> {
    let mut r = Response::new(
        Full::new(Bytes::from(body))
            .map_err(|never| match never {})
            .boxed(),
    );
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r.headers_mut().insert(
        http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    r
}

/// The error pages proxyd answers with itself.
fn error_page(status: StatusCode, why: &str) -> Response<Body> {
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    let mut r = full(
        status,
        "text/html",
        format!("<html><body><h1>{title}</h1>\n{why}\n</body></html>\n"),
    );
    r.headers_mut()
        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    r.extensions_mut().insert(Generated);
    r
}

/// Marks the error pages proxyd makes itself, which `errorfile` may replace.
#[derive(Debug, Clone, Copy)]
struct Generated;

/// Replace a generated error page by the backend's (else the frontend's) errorfile.
fn substitute(r: Response<Body>, be: Option<&BackendRt>, fe: &FrontendRt) -> Response<Body> {
    if r.extensions().get::<Generated>().is_none() {
        return r;
    }
    let code = r.status().as_u16();
    let Some(raw) = be
        .and_then(|b| b.errorfiles.get(&code))
        .or_else(|| fe.errorfiles.get(&code))
    else {
        return r;
    };
    let Some(super::errorfiles::Raw {
        status,
        headers,
        body,
    }) = super::errorfiles::parse(raw)
    else {
        return r;
    };
    let mut out = Response::new(
        Full::new(Bytes::copy_from_slice(body))
            .map_err(|never| match never {})
            .boxed(),
    );
    *out.status_mut() = StatusCode::from_u16(status).unwrap_or(r.status());
    for (k, v) in headers {
        if let (Some(k), Ok(v)) = (header(&k), HeaderValue::from_str(&v)) {
            out.headers_mut().append(k, v);
        }
    }
    out
}

fn header(name: &str) -> Option<HeaderName> {
    HeaderName::from_bytes(name.as_bytes()).ok()
}

/// Apply request header/path actions; a final action gives the response to send.
fn apply_request(
    actions: &[&ReqAction],
    parts: &mut http::request::Parts,
) -> Option<Response<Body>> {
    for a in actions {
        match a {
            ReqAction::Allow => return None,
            ReqAction::Deny { status } => {
                let st = StatusCode::from_u16(*status).unwrap_or(StatusCode::FORBIDDEN);
                return Some(error_page(st, "Request forbidden by administrative rules."));
            }
            ReqAction::Return {
                status,
                content_type,
                body,
            } => {
                let st = StatusCode::from_u16(*status).unwrap_or(StatusCode::OK);
                return Some(full(
                    st,
                    content_type.as_deref().unwrap_or("text/plain"),
                    body.clone(),
                ));
            }
            ReqAction::Redirect { kind, value, code } => {
                let pq = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let location = match kind {
                    RedirectKind::Location => value.clone(),
                    RedirectKind::Prefix => format!("{}{pq}", value.trim_end_matches('/')),
                    RedirectKind::Scheme => {
                        let host = parts
                            .headers
                            .get(http::header::HOST)
                            .and_then(|h| h.to_str().ok())
                            .unwrap_or("");
                        format!("{value}://{host}{pq}")
                    }
                };
                let st = StatusCode::from_u16(*code).unwrap_or(StatusCode::FOUND);
                let mut r = full(st, "text/plain", String::new());
                if let Ok(v) = HeaderValue::from_str(&location) {
                    r.headers_mut().insert(http::header::LOCATION, v);
                }
                return Some(r);
            }
            ReqAction::SetHeader(n, v) | ReqAction::AddHeader(n, v) => {
                if let (Some(n), Ok(v)) = (header(n), HeaderValue::from_str(v)) {
                    if matches!(a, ReqAction::SetHeader(..)) {
                        parts.headers.insert(n, v);
                    } else {
                        parts.headers.append(n, v);
                    }
                }
            }
            ReqAction::DelHeader(n) => {
                if let Some(n) = header(n) {
                    parts.headers.remove(n);
                }
            }
            ReqAction::SetPath(p) => {
                let q = parts
                    .uri
                    .query()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default();
                if let Ok(u) = format!("{p}{q}").parse() {
                    parts.uri = u;
                }
            }
        }
    }
    None
}

fn apply_response(actions: &[&RespAction], headers: &mut http::HeaderMap) {
    for a in actions {
        match a {
            RespAction::Set(n, v) | RespAction::Add(n, v) => {
                if let (Some(n), Ok(v)) = (header(n), HeaderValue::from_str(v)) {
                    if matches!(a, RespAction::Set(..)) {
                        headers.insert(n, v);
                    } else {
                        headers.append(n, v);
                    }
                }
            }
            RespAction::Del(n) => {
                if let Some(n) = header(n) {
                    headers.remove(n);
                }
            }
        }
    }
}

/// Headers that belong to one connection, not to the message.
const HOP_BY_HOP: [&str; 6] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

fn strip_hop_by_hop(h: &mut http::HeaderMap) {
    // Most messages have none: one pass over the few names beats six hash lookups.
    if h.keys().any(|k| HOP_BY_HOP.contains(&k.as_str())) {
        for n in HOP_BY_HOP {
            h.remove(n);
        }
    }
}

/// A pooled connection that can take a request now, if any.
fn pooled(s: &ServerRt) -> Option<SendRequest<Incoming>> {
    let mut pool = s.pool.lock().ok()?;
    pool.retain(|c| !c.is_closed());
    let i = pool.iter().position(|c| c.is_ready())?;
    Some(pool.swap_remove(i))
}

async fn open_http(s: Arc<ServerRt>, local: SocketAddr) -> Option<SendRequest<Incoming>> {
    if let Some(c) = pooled(&s) {
        return Some(c);
    }
    let stream: TcpStream = tcp::open_tcp(s, local).await?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Some(sender)
}

/// The response body, holding the server's in-use count until it is fully sent.
struct Guarded {
    inner: Incoming,
    _in_use: InUse,
}

impl hyper::body::Body for Guarded {
    type Data = Bytes;
    type Error = hyper::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, hyper::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }
    fn is_end_stream(&self) -> bool {
        hyper::body::Body::is_end_stream(&self.inner)
    }
    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::Body::size_hint(&self.inner)
    }
}

fn hash_key(on: &HashOn, parts: &http::request::Parts, src: SocketAddr) -> Option<Vec<u8>> {
    match on {
        HashOn::Nothing => None,
        HashOn::Source => Some(tcp::source_key(&src)),
        HashOn::Uri { path_only: true } => Some(parts.uri.path().as_bytes().to_vec()),
        HashOn::Uri { path_only: false } => parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().as_bytes().to_vec()),
        HashOn::UrlParam(n) => query_param(parts.uri.query().unwrap_or(""), n)
            .into_iter()
            .find_map(|v| match v {
                Value::Str(s) => Some(s.into_bytes()),
                _ => None,
            }),
        HashOn::Hdr(n) => parts.headers.get(n.as_str()).map(|v| v.as_bytes().to_vec()),
    }
}

/// Serve the statistics page if this request is for it.
fn stats_answer(page: Option<&StatsPage>, parts: &http::request::Parts) -> Option<Response<Body>> {
    let page = page?;
    let pq = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    if !page.matches(pq) {
        return None;
    }
    let auth = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    Some(match page.answer(pq, auth) {
        Answer::Unauthorized(realm) => {
            let mut r = error_page(StatusCode::UNAUTHORIZED, "This server could not verify that you are authorized to access the document requested.");
            if let Ok(v) = HeaderValue::from_str(&format!("Basic realm=\"{realm}\"")) {
                r.headers_mut().insert(http::header::WWW_AUTHENTICATE, v);
            }
            r
        }
        Answer::Page {
            content_type,
            body,
            refresh_s,
        } => {
            let mut r = full(StatusCode::OK, content_type, body);
            if let Some(s) = refresh_s {
                r.headers_mut().insert("refresh", HeaderValue::from(s));
            }
            r
        }
    })
}

async fn handle(
    req: Request<Incoming>,
    conn: Arc<Conn>,
    fe: Arc<FrontendRt>,
    clock: Clock,
) -> Response<Body> {
    let mut chosen = None;
    let r = handle_inner(req, conn, &fe, clock, &mut chosen).await;
    substitute(r, chosen.as_deref(), &fe)
}

async fn handle_inner(
    req: Request<Incoming>,
    conn: Arc<Conn>,
    fe: &FrontendRt,
    clock: Clock,
    chosen: &mut Option<Arc<BackendRt>>,
) -> Response<Body> {
    let (src, dst) = (conn.peer, conn.local);
    let (mut parts, body) = req.into_parts();

    let actions = fe
        .rules
        .request_actions(&fe.acls, &ReqSample::of(&parts, &conn));
    if let Some(r) = apply_request(&actions, &mut parts) {
        return r;
    }
    if let Some(r) = stats_answer(fe.stats.as_ref(), &parts) {
        return r;
    }
    let Some(be) = fe.route(&ReqSample::of(&parts, &conn)) else {
        return error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "No backend for this request.",
        );
    };
    *chosen = Some(be.clone());
    if let Some(r) = stats_answer(be.stats.as_ref(), &parts) {
        return r;
    }
    let actions = be
        .rules
        .request_actions(&be.acls, &ReqSample::of(&parts, &conn));
    if let Some(r) = apply_request(&actions, &mut parts) {
        return r;
    }
    for ff in [&fe.http.forwardfor, &be.http.forwardfor]
        .into_iter()
        .flatten()
        .take(1)
    {
        let excepted = ff
            .except
            .is_some_and(|(net, len)| in_net(src.ip(), net, len));
        let present = parts.headers.contains_key(ff.header.as_str());
        let skip = excepted || (ff.if_none && present);
        if !skip {
            if let (Some(n), Ok(v)) = (
                header(&ff.header),
                HeaderValue::from_str(&src.ip().to_string()),
            ) {
                parts.headers.append(n, v);
            }
        }
    }
    let close = fe.http.close || be.http.close;
    // Response rules may test the request: keep what they can look at.
    let view = (!fe.rules.response.is_empty() || !be.rules.response.is_empty()).then(|| {
        let mut v = Request::new(());
        *v.method_mut() = parts.method.clone();
        *v.uri_mut() = parts.uri.clone();
        *v.headers_mut() = parts.headers.clone();
        v.into_parts().0
    });
    strip_hop_by_hop(&mut parts.headers);
    let key = hash_key(&be.hash_on, &parts, src);
    let Some((mut sender, in_use)) =
        tcp::attempt(&be, key.as_deref(), clock, |s| open_http(s, dst)).await
    else {
        return error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "No server is available to handle this request.",
        );
    };
    let server = in_use.0.clone();
    let sent = sender.send_request(Request::from_parts(parts, body));
    let resp = match be.server_timeout {
        Some(t) => match tokio::time::timeout(t, sent).await {
            Ok(r) => r,
            Err(_) => {
                return error_page(
                    StatusCode::GATEWAY_TIMEOUT,
                    "The server didn't respond in time.",
                )
            }
        },
        None => sent.await,
    };
    let Ok(resp) = resp else {
        return error_page(
            StatusCode::BAD_GATEWAY,
            "The server returned an invalid or incomplete response.",
        );
    };
    // The connection goes back to the pool; it is taken again once the body is through.
    if !(close || be.http.server_close) {
        if let Ok(mut pool) = server.pool.lock() {
            pool.push(sender);
        }
    }
    let (mut rparts, rbody) = resp.into_parts();
    strip_hop_by_hop(&mut rparts.headers);
    if let Some(view) = &view {
        let sample = ReqSample::of(view, &conn);
        let acts: Vec<&RespAction> = be
            .rules
            .response_actions(&be.acls, &sample)
            .into_iter()
            .chain(fe.rules.response_actions(&fe.acls, &sample))
            .collect();
        apply_response(&acts, &mut rparts.headers);
    }
    if close {
        rparts
            .headers
            .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    }
    Response::from_parts(
        rparts,
        Guarded {
            inner: rbody,
            _in_use: in_use,
        }
        .boxed(),
    )
}

pub async fn session<S: Stream>(stream: S, conn: Conn, fe: Arc<FrontendRt>, clock: Clock) {
    let conn = Arc::new(conn);
    let mut b = hyper::server::conn::http1::Builder::new();
    b.keep_alive(!fe.http.close).timer(TokioTimer::new());
    if let Some(t) = fe.http.request_timeout {
        b.header_read_timeout(t);
    }
    let svc = hyper::service::service_fn(move |req| {
        let (fe, conn) = (fe.clone(), conn.clone());
        async move { Ok::<_, std::convert::Infallible>(handle(req, conn, fe, clock).await) }
    });
    let _ = b.serve_connection(TokioIo::new(stream), svc).await;
}
