//! `mode http`: HTTP/1.1 on both sides through hyper. Per request: the frontend's
//! http-request rules, use_backend, the backend's rules, forwardfor, a server picked by
//! the backend's algorithm (hashing uri / url_param / hdr / source), an idle pooled
//! connection to it or a new one, then the response with the http-response rules.
//! Failures answer as HAProxy does: 503 when no server can take the request, 502 when
//! the server fails, 504 when it does not answer within `timeout server`.

use super::backend::{BackendRt, HashOn, ServerRt};
use super::clock::Clock;
use super::frontend::FrontendRt;
use super::idle::{Activity, IdleWatch};
use super::metered::{Metered, Side};
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
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
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

/// Marks a response made by an `http-request deny` rule, for the dreq counters.
#[derive(Debug, Clone, Copy)]
struct Denied;

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
                let mut r = error_page(st, "Request forbidden by administrative rules.");
                r.extensions_mut().insert(Denied);
                return Some(r);
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

/// The most a server connection's read buffer grows to.
const RESPONSE_READ_MAX: usize = 32 * 1024;

/// A pooled connection that can take a request now, if any: the most recently used one
/// first (its socket is warm), dropping closed ones on the way. Connections still sending
/// a body stay in the pool for later.
fn pooled(s: &ServerRt) -> Option<SendRequest<Incoming>> {
    let mut pool = s.pool.lock().ok()?;
    let mut i = pool.len();
    while i > 0 {
        i -= 1;
        if pool[i].is_closed() {
            pool.swap_remove(i);
        } else if pool[i].is_ready() {
            return Some(pool.swap_remove(i));
        }
    }
    None
}

async fn open_http(
    s: Arc<ServerRt>,
    local: SocketAddr,
    max_head: usize,
) -> Option<SendRequest<Incoming>> {
    if let Some(c) = pooled(&s) {
        return Some(c);
    }
    let counters = [Some(s.counters.clone()), Some(s.backend_counters.clone())];
    let stream: TcpStream = tcp::open_tcp(s, local).await?;
    let io = Metered::new(stream, Side::Server, counters, None);
    // A response head larger than the buffer fails the request (502), as in HAProxy. Bodies
    // are read in chunks of at most 32 KiB (measured: 16 KiB costs a fifth of the 64 KiB
    // throughput, 64 KiB a third more memory; hyper alone would grow it to 400 KiB).
    let (sender, conn) = hyper::client::conn::http1::Builder::new()
        .max_header_size(max_head)
        .max_buf_size(RESPONSE_READ_MAX)
        .handshake(TokioIo::new(io))
        .await
        .ok()?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Some(sender)
}

/// One client connection's state, for its inactivity timeouts.
struct HttpConn {
    activity: Arc<Activity>,
    /// Requests whose response is not through yet.
    in_flight: AtomicU32,
    /// Requests waiting for a server's response head (`timeout server` governs then).
    awaiting_server: AtomicU32,
    /// Requests received so far.
    requests: AtomicU64,
}

/// One count held in an `AtomicU32` while this lives.
struct Held<'a>(&'a AtomicU32);

impl<'a> Held<'a> {
    fn new(c: &'a AtomicU32) -> Self {
        c.fetch_add(1, Ordering::Relaxed);
        Held(c)
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A request being served, until its response is through.
struct Flight(Arc<HttpConn>);

impl Flight {
    fn new(c: Arc<HttpConn>) -> Self {
        c.in_flight.fetch_add(1, Ordering::Relaxed);
        c.requests.fetch_add(1, Ordering::Relaxed);
        Flight(c)
    }
}

impl Drop for Flight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The response body, holding the server's in-use count (and the request's place among
/// those in flight) until it is fully sent.
struct Guarded {
    inner: Incoming,
    _in_use: InUse,
    _flight: Flight,
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
fn stats_answer(
    page: Option<&StatsPage>,
    parts: &http::request::Parts,
    now_ms: u64,
) -> Option<Response<Body>> {
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
    Some(match page.answer(pq, auth, now_ms) {
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
    state: Arc<HttpConn>,
) -> Response<Body> {
    let mut chosen = None;
    let flight = Flight::new(state.clone());
    let r = handle_inner(req, conn, &fe, clock, &mut chosen, flight, &state).await;
    let r = substitute(r, chosen.as_deref(), &fe);
    let code = r.status().as_u16();
    fe.counters.status(code);
    if let Some(be) = &chosen {
        be.counters.status(code);
    }
    r
}

async fn handle_inner(
    req: Request<Incoming>,
    conn: Arc<Conn>,
    fe: &FrontendRt,
    clock: Clock,
    chosen: &mut Option<Arc<BackendRt>>,
    flight: Flight,
    state: &HttpConn,
) -> Response<Body> {
    let (src, dst) = (conn.peer, conn.local);
    let (mut parts, body) = req.into_parts();

    let actions = fe
        .rules
        .request_actions(&fe.acls, &ReqSample::of(&parts, &conn));
    if let Some(r) = apply_request(&actions, &mut parts) {
        if r.extensions().get::<Denied>().is_some() {
            fe.counters.denied_request();
        }
        return r;
    }
    if let Some(r) = stats_answer(fe.stats.as_ref(), &parts, clock.now_ms()) {
        return r;
    }
    let Some(be) = fe.route(&ReqSample::of(&parts, &conn)) else {
        return error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "No backend for this request.",
        );
    };
    *chosen = Some(be.clone());
    if let Some(r) = stats_answer(be.stats.as_ref(), &parts, clock.now_ms()) {
        return r;
    }
    let actions = be
        .rules
        .request_actions(&be.acls, &ReqSample::of(&parts, &conn));
    if let Some(r) = apply_request(&actions, &mut parts) {
        if r.extensions().get::<Denied>().is_some() {
            be.counters.denied_request();
        }
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
    let Some((mut sender, in_use)) = tcp::attempt(&be, key.as_deref(), clock, |s| {
        open_http(s, dst, fe.max_head)
    })
    .await
    else {
        return error_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "No server is available to handle this request.",
        );
    };
    let server = in_use.0.clone();
    let awaiting = Held::new(&state.awaiting_server);
    let sent = sender.send_request(Request::from_parts(parts, body));
    let resp = match be.server_timeout {
        Some(t) => match tokio::time::timeout(t, sent).await {
            Ok(r) => r,
            Err(_) => {
                be.counters.response_error();
                server.counters.response_error();
                server.counters.status(504);
                return error_page(
                    StatusCode::GATEWAY_TIMEOUT,
                    "The server didn't respond in time.",
                );
            }
        },
        None => sent.await,
    };
    drop(awaiting);
    let Ok(resp) = resp else {
        be.counters.response_error();
        server.counters.response_error();
        server.counters.status(502);
        return error_page(
            StatusCode::BAD_GATEWAY,
            "The server returned an invalid or incomplete response.",
        );
    };
    server.counters.status(resp.status().as_u16());
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
            _flight: flight,
        }
        .boxed(),
    )
}

/// How long a client connection may stay without a byte moving, by what it is doing, as
/// HAProxy's HTTP timeouts say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HttpIdle {
    /// Before the first request: `timeout http-request`, else `timeout client`.
    first: Option<Duration>,
    /// Between requests: `timeout http-keep-alive`, else `http-request`, else `client`.
    between: Option<Duration>,
    /// While a request or its response moves: `timeout client`.
    busy: Option<Duration>,
}

impl HttpIdle {
    fn new(t: &haproxy_conf::model::Timeouts) -> Self {
        let ms = |v: Option<u64>| v.map(Duration::from_millis);
        HttpIdle {
            first: ms(t.http_request.or(t.client)),
            between: ms(t.http_keep_alive.or(t.http_request).or(t.client)),
            busy: ms(t.client),
        }
    }

    fn limit(&self, c: &HttpConn) -> Option<Duration> {
        if c.awaiting_server.load(Ordering::Relaxed) > 0 {
            None // the server's timeout applies
        } else if c.in_flight.load(Ordering::Relaxed) > 0 {
            self.busy
        } else if c.requests.load(Ordering::Relaxed) == 0 {
            self.first
        } else {
            self.between
        }
    }
}

/// Returns once the connection has been idle longer than its current limit.
async fn idle_expiry(c: &HttpConn, idle: HttpIdle) {
    if idle.first.is_none() && idle.between.is_none() && idle.busy.is_none() {
        return std::future::pending().await;
    }
    IdleWatch::new(&c.activity)
        .expired(&c.activity, || idle.limit(c))
        .await;
}

pub async fn session<S: Stream>(stream: S, conn: Conn, fe: Arc<FrontendRt>, clock: Clock) {
    let counted = fe.clone();
    let _session = counted.counters.count();
    let conn = Arc::new(conn);
    let state = Arc::new(HttpConn {
        activity: Arc::new(Activity::new()),
        in_flight: AtomicU32::new(0),
        awaiting_server: AtomicU32::new(0),
        requests: AtomicU64::new(0),
    });
    let idle = HttpIdle::new(&fe.timeouts);
    let io = Metered::new(
        stream,
        Side::Client,
        [Some(fe.counters.clone()), None],
        Some(state.activity.clone()),
    );
    let mut b = hyper::server::conn::http1::Builder::new();
    b.keep_alive(!fe.http.close).timer(TokioTimer::new());
    // A request head larger than the buffer is refused (hyper: 431), as HAProxy does.
    b.max_header_size(fe.max_head);
    if let Some(t) = fe.http.request_timeout {
        b.header_read_timeout(t);
    }
    let svc = {
        let state = state.clone();
        hyper::service::service_fn(move |req| {
            let (fe, conn, state) = (fe.clone(), conn.clone(), state.clone());
            async move { Ok::<_, std::convert::Infallible>(handle(req, conn, fe, clock, state).await) }
        })
    };
    let served = b.serve_connection(TokioIo::new(io), svc);
    // Ending the select drops the connection: an idle client is closed.
    tokio::select! {
        _ = served => {}
        _ = idle_expiry(&state, idle) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use haproxy_conf::model::Timeouts;

    #[test]
    fn idle_limits_by_state() {
        let t = Timeouts {
            client: Some(30_000),
            http_request: Some(5_000),
            http_keep_alive: Some(2_000),
            ..Timeouts::default()
        };
        let idle = HttpIdle::new(&t);
        let c = HttpConn {
            activity: Arc::new(Activity::new()),
            in_flight: AtomicU32::new(0),
            awaiting_server: AtomicU32::new(0),
            requests: AtomicU64::new(0),
        };
        let s = |v| Some(Duration::from_millis(v));
        assert_eq!(idle.limit(&c), s(5_000), "before the first request");
        c.requests.store(1, Ordering::Relaxed);
        c.in_flight.store(1, Ordering::Relaxed);
        assert_eq!(idle.limit(&c), s(30_000), "while a request moves");
        c.awaiting_server.store(1, Ordering::Relaxed);
        assert_eq!(idle.limit(&c), None, "while the server thinks");
        c.awaiting_server.store(0, Ordering::Relaxed);
        c.in_flight.store(0, Ordering::Relaxed);
        assert_eq!(idle.limit(&c), s(2_000), "between requests");
        // Without http-keep-alive, http-request, then client, apply between requests.
        let t = Timeouts {
            client: Some(30_000),
            ..Timeouts::default()
        };
        assert_eq!(HttpIdle::new(&t).limit(&c), s(30_000));
    }
}
