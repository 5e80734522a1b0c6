//! `mode http`: plain HTTP/1.x requests through proxyd's own codec on both sides
//! (`h1serve`, `h1conn`), the others and HTTP/2 through hyper. Per request: the checks that keep
//! proxyd and the server agreeing on what the request is (one Host, the authority of an
//! absolute URI, one chunked coding), the monitor URI, the frontend's rules, routing,
//! the backend's rules, forwardfor/originalto, persistence (stick tables, the cookie),
//! a server picked by the backend's algorithm, an idle pooled connection to it or a new
//! one (with its PROXY header), the response with the response rules and the cookie;
//! an `Upgrade` answered by a 101 becomes a tunnel. Failures answer as HAProxy does: 503
//! when no server can take the request, 502 when the server fails, 504 when it does not
//! answer within `timeout server`.

mod actions;
pub mod cache;
mod compress;
mod h1conn;
mod h1serve;
mod h2serve;
mod logbody;
mod plan;
mod preface;
mod reply;
pub mod reqbody;
pub mod sample;
pub mod upstream;
mod ws;

use super::acls::AclSet;
use super::backend::{BackendRt, HashOn};
use super::clock::Clock;
use super::connect::{attempt, InUse, Tried};
use super::frontend::FrontendRt;
use super::gate::Gated;
use super::idle::{Activity, IdleWatch};
use super::inspect::Ctx;
use super::logline::{self, Record};
use super::metered::{Metered, Side};
use super::rules::{HttpRules, ProxyHttp};
use super::server::ServerRt;
use super::stats::{Answer, StatsPage};
use super::{Conn, Stream};
use actions::{run_request, run_response, Decision, Env, RespEdit};
use bytes::Bytes;
use h1serve::Outcome;
use haproxy_conf::actions::HttpReqAction;
use haproxy_conf::model::HttpReuse;
use http::header::HeaderValue;
use http::{Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::{TokioIo, TokioTimer};
use proxy_core::cookie;
use proxy_core::log::{Cause, Phase};
use proxy_core::sample::vars::{Scopes, Store};
use proxy_core::stats_admin;
use reply::{error_page, full, own_page, substitute, Denied};
use reqbody::ReqBody;
use sample::{ReqSample, TxnInfo};
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

type Body = BoxBody<Bytes, BodyError>;

/// Why a response body stopped before its end.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("{0}")]
    Hyper(#[from] hyper::Error),
    /// The server sent nothing for `timeout server` in the middle of its body.
    #[error("the server sent nothing for `timeout server`")]
    ServerTimeout,
    /// An own server connection failed in the middle of the body.
    #[error("server connection: {0}")]
    Server(String),
    /// The compressor failed (it writes to memory: not expected).
    #[error("compression failed")]
    Compression,
}

/// Whether a request asks to switch protocols (WebSocket and the like).
fn wants_upgrade(version: http::Version, headers: &http::HeaderMap) -> bool {
    version == http::Version::HTTP_11
        && headers.contains_key(http::header::UPGRADE)
        && plan::has_token(headers, http::header::CONNECTION, "upgrade")
}

/// `Box::pin(make())`, the box allocated before the future is made: a future's value is
/// as large as its largest state (kilobytes for a request's steps) although a new one
/// holds only its arguments, and made on the stack first it would be copied whole.
#[inline(always)]
fn pinned_box<F: std::future::Future>(make: impl FnOnce() -> F) -> Pin<Box<F>> {
    Box::into_pin(Box::write(Box::new_uninit(), make()))
}

/// An authority without the scheme's default port (`host:80` for http, `:443` for
/// https): how HAProxy compares an absolute URI's authority with Host (ignoring case).
/// Borrowed, not copied: every HTTP/2 request has an authority.
fn without_default_port<'a>(a: &'a str, scheme: Option<&str>) -> &'a str {
    let default = match scheme {
        Some(s) if s.eq_ignore_ascii_case("https") => ":443",
        _ => ":80",
    };
    a.strip_suffix(default).unwrap_or(a)
}

/// The problems that would let proxyd and the server read a request differently,
/// answered as HAProxy answers them: Host headers that disagree (equal ones are merged
/// into one), an absolute URI whose authority differs from Host (400; the scheme's
/// default port is dropped from the URI, as HAProxy forwards it), a chunked coding given
/// twice (400) or after another coding (422).
fn smuggling_guard(
    parts: &mut http::request::Parts,
    payload_any_method: bool,
) -> Result<(), (u16, &'static str)> {
    // HTTP/1.0 does not say whether GET, HEAD and DELETE have bodies: a server that reads
    // none would take the body for its next request. Refused with 413 as HAProxy does,
    // unless `h1-accept-payload-with-any-method`.
    if parts.version == http::Version::HTTP_10
        && !payload_any_method
        && matches!(
            parts.method,
            http::Method::GET | http::Method::HEAD | http::Method::DELETE
        )
        && (plan::content_length(&parts.headers).is_some_and(|n| n > 0)
            || parts.headers.contains_key(http::header::TRANSFER_ENCODING))
    {
        return Err((413, "an HTTP/1.0 GET, HEAD or DELETE request with a body"));
    }
    // Looked at without a copy: nearly every request has one Host.
    let hosts = parts.headers.get_all(http::header::HOST);
    let mut each = hosts.iter();
    if let (Some(first), Some(_)) = (each.next(), each.next()) {
        if hosts
            .iter()
            .any(|h| !h.as_bytes().eq_ignore_ascii_case(first.as_bytes()))
        {
            return Err((400, "Host headers that differ"));
        }
        let first = first.clone();
        parts.headers.insert(http::header::HOST, first);
    }
    if let Some(auth) = parts.uri.authority() {
        let scheme = parts.uri.scheme_str();
        let normal = without_default_port(auth.as_str(), scheme);
        if let Some(h) = parts.headers.get(http::header::HOST) {
            let host = without_default_port(h.to_str().unwrap_or(""), scheme);
            if !host.eq_ignore_ascii_case(normal) {
                return Err((400, "the Host header differs from the request's authority"));
            }
        }
        if normal.len() < auth.as_str().len() {
            let cut = http::uri::Authority::try_from(normal).ok();
            let mut p = parts.uri.clone().into_parts();
            p.authority = cut;
            if let Ok(u) = http::Uri::from_parts(p) {
                parts.uri = u;
            }
        }
    }
    let codings: Vec<String> = parts
        .headers
        .get_all(http::header::TRANSFER_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    let chunked = codings.iter().filter(|t| *t == "chunked").count();
    if chunked > 1 {
        return Err((400, "Transfer-Encoding names chunked more than once"));
    }
    if chunked == 1 && codings.len() > 1 {
        return Err((422, "Transfer-Encoding has codings besides chunked"));
    }
    Ok(())
}

/// `option http-restrict-req-hdr-names`: header names with other characters than
/// letters, digits and `-` are deleted (`delete`) or refused (`reject`, 403).
fn restrict_names(h: &mut http::HeaderMap, reject: bool) -> bool {
    let odd: Vec<http::HeaderName> = h
        .keys()
        .filter(|k| {
            !k.as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .cloned()
        .collect();
    if reject && !odd.is_empty() {
        return false;
    }
    for n in odd {
        h.remove(n);
    }
    true
}

/// A connection to a server for one request.
enum Upstream {
    Http(upstream::Link),
    /// The server's `redir`: answer with a redirection instead.
    Redirect(String),
}

async fn open_http(
    s: Arc<ServerRt>,
    conn: Arc<Conn>,
    max_head: usize,
    redirect_to: Option<String>,
    sni: Option<String>,
    reuse: (bool, bool),
    websocket: bool,
) -> Option<Upstream> {
    if let (Some(prefix), Some(pq)) = (&s.redir, redirect_to) {
        return Some(Upstream::Redirect(format!("{prefix}{pq}")));
    }
    upstream::connect(&s, &conn, max_head, sni, reuse, websocket)
        .await
        .map(Upstream::Http)
}

/// One client connection's state, for its inactivity timeouts and server preference.
struct HttpConn {
    activity: Arc<Activity>,
    /// Requests whose response is not through yet.
    in_flight: AtomicU32,
    /// Requests waiting for a server's response head (`timeout server` governs then).
    awaiting_server: AtomicU32,
    /// Requests received so far.
    requests: AtomicU64,
    /// The server the last request went to (`option prefer-last-server`).
    last: Mutex<Option<(String, usize)>>,
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
/// those in flight) until it is fully sent, and failing it when the server sends
/// nothing for `timeout server`.
struct Guarded {
    // Dropped first (fields drop in order): the server's in-use count is down before
    // `inner` gives its connection back to the pool (`upstream::put`), so that no other
    // thread sees the connection idle and its request still in use at once.
    _in_use: InUse,
    inner: h1conn::RespBody,
    _flight: Flight,
    /// `timeout server`, and its timer once the server has kept the body waiting (most
    /// bodies come whole with the head: no timer for them).
    idle: Option<Duration>,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Guarded {
    fn new(
        inner: h1conn::RespBody,
        in_use: InUse,
        flight: Flight,
        timeout: Option<Duration>,
    ) -> Self {
        Guarded {
            _in_use: in_use,
            inner,
            _flight: flight,
            idle: timeout,
            timer: None,
        }
    }
}

impl hyper::body::Body for Guarded {
    type Data = Bytes;
    type Error = BodyError;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, BodyError>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(r) => {
                // The server spoke: the silence starts over at the next wait.
                self.timer = None;
                Poll::Ready(r)
            }
            Poll::Pending => {
                let Some(t) = self.idle else {
                    return Poll::Pending;
                };
                let timer = self
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(t)));
                if std::future::Future::poll(timer.as_mut(), cx).is_ready() {
                    Poll::Ready(Some(Err(BodyError::ServerTimeout)))
                } else {
                    Poll::Pending
                }
            }
        }
    }
    fn is_end_stream(&self) -> bool {
        hyper::body::Body::is_end_stream(&self.inner)
    }
    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::Body::size_hint(&self.inner)
    }
}

/// What a hash-based algorithm hashes, as HAProxy hashes it (None: round robin).
fn hash_key(be: &BackendRt, parts: &http::request::Parts, conn: &Conn) -> Option<u32> {
    use proxy_core::hash;
    let t = &be.hash_type;
    match &be.hash_on {
        HashOn::Nothing => None,
        HashOn::Source => (!conn.unix).then(|| hash::source(t, conn.peer.ip())),
        HashOn::Uri {
            len,
            depth,
            whole,
            path_only,
        } => {
            let target = sample::target(parts);
            Some(hash::key(
                t,
                hash::uri_part(&target, *len, *depth, *whole, *path_only).as_bytes(),
            ))
        }
        HashOn::UrlParam(n) => {
            hash::url_param(parts.uri.query()?, n).map(|v| hash::key(t, v.as_bytes()))
        }
        HashOn::Hdr { name, domain_only } => {
            let v = parts.headers.get(name.as_str())?.to_str().ok()?;
            let v = v.split(',').next().unwrap_or("").trim();
            if v.is_empty() {
                return None;
            }
            let v = if *domain_only {
                hash::domain_only(v)
            } else {
                v
            };
            Some(hash::key(t, v.as_bytes()))
        }
    }
}

/// Serve the statistics page if this request is for it: `Err` gives the body back
/// when it is not. `admin`: `stats admin` holds for this request, so the page shows its
/// forms and a POST changes servers (answered by a redirection to the page with the
/// outcome, as HAProxy's page does).
/// `page`: the proxy's page, the time, how long a form's body may take.
async fn stats_answer(
    (page, now_ms, wait_ms): (&StatsPage, u64, u64),
    parts: &http::request::Parts,
    admin: impl FnOnce(&StatsPage) -> bool,
    body: ReqBody,
) -> Result<Response<Body>, ReqBody> {
    let pq = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    if !page.matches(pq) {
        return Err(body);
    }
    let auth = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    // Only for requests to the page: the condition is not evaluated for the others.
    let admin = admin(page);
    if parts.method == http::Method::POST && page.authorized(auth) {
        let outcome = if admin {
            let wait = reqbody::Wait::For {
                time: std::time::Duration::from_millis(wait_ms),
                at_least: 0,
            };
            let got = reqbody::read_ahead(body, wait, stats_admin::MAX_BODY + 1).await;
            if got.bytes.len() > stats_admin::MAX_BODY {
                stats_admin::Outcome::TooLarge
            } else {
                let post = stats_admin::parse(&got.bytes);
                match stats_admin::plan(&post) {
                    Err(o) => o,
                    Ok((action, backend)) => {
                        let results: Vec<Option<bool>> = post
                            .servers
                            .iter()
                            .map(|s| super::api::stats_action(backend, s, action))
                            .collect();
                        let done = results.iter().filter(|r| **r == Some(true)).count();
                        let failed = results.iter().filter(|r| **r == Some(false)).count();
                        stats_admin::outcome(done, failed)
                    }
                }
            }
        } else {
            stats_admin::Outcome::Denied
        };
        let mut r = full(StatusCode::SEE_OTHER, Some("text/plain"), Bytes::new());
        r.headers_mut().insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        );
        if let Ok(v) = HeaderValue::from_str(&format!("{};st={}", page.uri(), outcome.code())) {
            r.headers_mut().insert(http::header::LOCATION, v);
        }
        return Ok(r);
    }
    Ok(match page.answer(pq, auth, now_ms, admin) {
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
            let mut r = full(StatusCode::OK, Some(content_type), Bytes::from(body));
            r.headers_mut().insert(
                http::header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache"),
            );
            if let Some(s) = refresh_s {
                r.headers_mut().insert("refresh", HeaderValue::from(s));
            }
            r
        }
    })
}

/// A response proxyd made itself while reading the request (logged as such).
fn by_proxy(rec: &mut logline::Record, r: Response<Body>) -> Response<Body> {
    (rec.cause, rec.phase) = (Cause::Proxy, Phase::Request);
    r
}

/// A request refused as invalid: counted in `ereq`, logged as refused while it was read,
/// answered with `status` and the connection closed.
fn bad_request(rec: &mut Record, fe: &FrontendRt, status: u16, cause: Cause) -> Response<Body> {
    (rec.cause, rec.phase) = (cause, Phase::Request);
    fe.counters.request_error();
    let mut r = own_page(status);
    r.headers_mut()
        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    r
}

/// The connection is to be closed without an answer (`http-request reject`).
#[derive(Debug)]
struct Rejected;

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request rejected by `http-request reject`")
    }
}

impl std::error::Error for Rejected {}

async fn handle(
    req: Box<Request<ReqBody>>,
    client_upgrade: Option<hyper::upgrade::OnUpgrade>,
    conn: Arc<Conn>,
    fe: Arc<FrontendRt>,
    clock: Clock,
    state: Arc<HttpConn>,
) -> Result<Response<Body>, Rejected> {
    let mut chosen = None;
    let flight = Flight::new(state.clone());
    let t0 = tokio::time::Instant::now();
    let stores = Arc::new(TxnStores::default());
    let mut rec = Record::new(super::clock::wall());
    // The request as received, for `%[...]` in the log format.
    let keep_view = fe.after_response
        || fe.log.as_ref().is_some_and(
            |l| matches!(&l.line, logline::Line::Fmt(f) if f.samples().next().is_some()),
        );
    let view = keep_view.then(|| request_view(&req));
    let info = view
        .as_ref()
        .map(|v| TxnInfo::of(v, state.requests.load(Ordering::Relaxed) == 1, rec.at));
    let r = handle_inner(
        req,
        client_upgrade,
        conn.clone(),
        &fe,
        clock,
        &mut chosen,
        flight,
        &state,
        &stores,
        &mut rec,
    )
    .await;
    let r = r.map(|r| {
        let r = match &chosen {
            Some(be) => substitute(r, &[&be.errorfiles, &fe.errorfiles]),
            None => substitute(r, &[&fe.errorfiles]),
        };
        match (&view, &info) {
            (Some(view), Some(info)) if fe.after_response => {
                after_response(r, (&fe, chosen.as_deref()), (&conn, &stores), view, info)
            }
            _ => r,
        }
    });
    let job = |rec: Record, head_bytes: u64| logbody::Job {
        fe: fe.clone(),
        be: chosen.clone(),
        conn: conn.clone(),
        stores: stores.clone(),
        view,
        info,
        rec,
        t0,
        head_bytes,
    };
    let r = match r {
        Ok(r) => r,
        Err(e) => {
            // `reject`: no response at all.
            job(rec, 0).finish(0);
            return Err(e);
        }
    };
    let code = r.status().as_u16();
    fe.counters.status(code);
    if let Some(be) = &chosen {
        be.counters.status(code);
    }
    if r.extensions().get::<Denied>().is_some() {
        match &chosen {
            Some(be) => be.counters.denied_request(),
            None => fe.counters.denied_request(),
        }
        // A denied (or tarpitted) request is an error for stick counters (measured
        // with HAProxy 2.6, whatever the status).
        super::stick::ScRefs {
            sess: Some(&conn.sc),
            txn: Some(&stores.sc),
        }
        .count(proxy_core::stick::Count::HttpErr);
    }
    // Monitor-URI answers are not logged, as in HAProxy.
    if fe.log.is_none() || rec.unlogged {
        return Ok(r);
    }
    rec.status = Some(code);
    let (parts, body) = r.into_parts();
    let head = logbody::head_len(&parts, hyper::body::Body::size_hint(&body).exact());
    let body = logbody::LogBody::new(body, job(rec, head)).boxed();
    Ok(Response::from_parts(parts, body))
}

/// `http-after-response` rules, the backend's then the frontend's (a listen section's
/// once), on any response.
fn after_response(
    r: Response<Body>,
    (fe, be): (&FrontendRt, Option<&BackendRt>),
    (conn, stores): (&Conn, &TxnStores),
    view: &http::request::Parts,
    info: &TxnInfo,
) -> Response<Body> {
    let mut lists: Vec<(&[_], &super::acls::AclSet)> = Vec::new();
    if let Some(b) = be.filter(|b| !fe.is_itself(b)) {
        lists.push((&b.rules.after, &b.acls));
    }
    lists.push((&fe.rules.after, &fe.acls));
    let scopes = Scopes {
        proc: &super::PROC_VARS,
        sess: Some(&conn.vars),
        txn: Some(&stores.txn),
        req: None,
        res: Some(&stores.res),
        check: None,
    };
    let mut ctx = Ctx::new(fe, be);
    ctx.sc.txn = Some(&stores.sc);
    ctx.sc.sess = Some(&conn.sc);
    let mut sample = ReqSample::of(view, conn, ctx).with(scopes, info);
    sample.server = None;
    let (mut parts, body) = r.into_parts();
    let mut st = parts.status;
    let mut reason = None;
    let _ = run_response(
        &lists,
        &sample,
        RespEdit {
            status: &mut st,
            reason: &mut reason,
            headers: &mut parts.headers,
            version: parts.version,
            store: &mut None,
        },
        &[],
    );
    parts.status = st;
    if let Some(rp) = reason.and_then(|r| hyper::ext::ReasonPhrase::try_from(r.into_bytes()).ok()) {
        parts.extensions.insert(rp);
    }
    Response::from_parts(parts, body)
}

/// Who answered a request the rules stopped: a `deny` is the proxy refusing it (`PR`),
/// a `return` or `redirect` the proxy answering itself (`LR`).
fn answered_by(r: &Response<Body>) -> Cause {
    if r.extensions().get::<Denied>().is_some() {
        Cause::Proxy
    } else {
        Cause::Local
    }
}

/// Method, target, version and headers of a request (what fetches read).
fn request_view<B>(req: &Request<B>) -> http::request::Parts {
    let mut v = Request::new(());
    *v.method_mut() = req.method().clone();
    *v.uri_mut() = req.uri().clone();
    *v.version_mut() = req.version();
    *v.headers_mut() = req.headers().clone();
    v.into_parts().0
}

/// Wait `timeout tarpit` (else `timeout connect`), then give the tarpit's answer.
async fn tarpit(r: Response<Body>, fe: &FrontendRt, be: Option<&BackendRt>) -> Response<Body> {
    let t = be
        .and_then(|b| b.timeouts.tarpit.or(b.timeouts.connect))
        .or(fe.timeouts.tarpit)
        .or(fe.timeouts.connect)
        .unwrap_or(0);
    tokio::time::sleep(Duration::from_millis(t)).await;
    r
}

/// A request's variables, kept until its log line is written (`%[var(txn.x)]`).
#[derive(Default)]
pub struct TxnStores {
    pub txn: Store,
    pub req: Store,
    pub res: Store,
    /// The request's stick counters (`tcp-request content` and `http-request track-sc`).
    pub sc: super::stick::Counters,
}

#[allow(clippy::too_many_arguments)]
async fn handle_inner(
    req: Box<Request<ReqBody>>,
    client_upgrade: Option<hyper::upgrade::OnUpgrade>,
    conn: Arc<Conn>,
    fe: &FrontendRt,
    clock: Clock,
    chosen: &mut Option<Arc<BackendRt>>,
    flight: Flight,
    state: &HttpConn,
    stores: &TxnStores,
    rec: &mut Record,
) -> Result<Response<Body>, Rejected> {
    let upgrade = client_upgrade.is_some();
    let (mut parts, mut body) = (*req).into_parts();
    // HTTP/2 names the host in `:authority`: a Host header says it to the rules and to
    // HTTP/1.1 servers, as HAProxy adds one.
    if parts.version == http::Version::HTTP_2 && !parts.headers.contains_key(http::header::HOST) {
        if let Some(v) = parts
            .uri
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok())
        {
            parts.headers.insert(http::header::HOST, v);
        }
    }
    // A WebSocket handshake without its key is refused (HAProxy 2.6 answers 400): the
    // server would not switch, and the bytes sent after it would be read as requests.
    if upgrade
        && !parts.headers.contains_key(http::header::SEC_WEBSOCKET_KEY)
        && plan::has_token(&parts.headers, http::header::UPGRADE, "websocket")
    {
        return Ok(bad_request(rec, fe, 400, Cause::Proxy));
    }
    if let Err((status, why)) = smuggling_guard(&mut parts, fe.h1_payload_any_method) {
        tracing::warn!("frontend {}: {status}: {why}", fe.name);
        return Ok(bad_request(rec, fe, status, Cause::Proxy));
    }
    let mut fctx = Ctx::new(fe, None);
    fctx.vars = Some((&stores.txn, &stores.req));
    fctx.sc.txn = Some(&stores.sc);
    fctx.sc.sess = Some(&conn.sc);
    // `tcp-request content` rules run for each request in HTTP mode, before it is
    // counted (what they track counts it).
    if !fe.tcp.content.is_empty() {
        let s = super::inspect::ContentSample::new(fctx, &conn, &[], &[], true);
        if super::inspect::TcpRules::decide(&fe.tcp.content, &fe.acls, &s, &stores.sc)
            == super::inspect::Verdict::Reject
        {
            fe.counters.denied_request();
            (rec.cause, rec.phase) = (Cause::Proxy, Phase::Request);
            return Err(Rejected);
        }
    }
    fctx.sc.count(proxy_core::stick::Count::HttpReq);
    fe.counters.request_at(super::clock::mono_ms());
    // Flight::new counted this request already.
    let mut info = TxnInfo::of(&parts, state.requests.load(Ordering::Relaxed) == 1, rec.at);
    let req_scopes = Scopes {
        proc: &super::PROC_VARS,
        sess: Some(&conn.vars),
        txn: Some(&stores.txn),
        req: Some(&stores.req),
        res: None,
        check: None,
    };
    // `unique-id-format`: the request's id, made once as the request arrives.
    if let Some(f) = &fe.unique_id_format {
        let env = Env {
            conn: &conn,
            ctx: fctx,
            vars: req_scopes,
            txn: &info,
        };
        let s = env.sample(&parts);
        let id = proxy_core::sample::fmt::render_string(f, &s, &s);
        info.unique_id = Some(id);
    }
    rec.unique_id.clone_from(&info.unique_id);
    if fe.log.is_some() {
        rec.method = Some(info.method.clone());
        rec.uri = Some(info.uri.clone());
        rec.version = Some(info.version);
    }
    if let Some(l) = &fe.log {
        rec.req_captures =
            l.req_captures
                .iter()
                .map(|(name, len)| {
                    parts.headers.get(name.as_str()).map(|v| {
                        logline::capture_value(&String::from_utf8_lossy(v.as_bytes()), *len)
                    })
                })
                .collect();
        // Empty until a server's response fills them (`{}` in the line).
        rec.res_captures = vec![None; l.res_captures.len()];
    }
    let fenv = Env {
        conn: &conn,
        ctx: fctx,
        vars: req_scopes,
        txn: &info,
    };
    if let Some(uri) = &fe.monitor_uri {
        let pq = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/");
        if pq == uri {
            let failing = fe.monitor_failing(&fenv.sample(&parts));
            rec.unlogged = true;
            return Ok(if failing {
                full(StatusCode::SERVICE_UNAVAILABLE, None, Bytes::new())
            } else {
                full(StatusCode::OK, None, Bytes::new())
            });
        }
    }
    if let Some(reject) = fe.http.restrict_names {
        if !restrict_names(&mut parts.headers, reject) {
            (rec.cause, rec.phase) = (Cause::Proxy, Phase::Request);
            return Ok(own_page(403));
        }
    }
    if let Some(wait) = body_wait(&fe.http, &fe.rules, &fe.acls, &fenv.sample(&parts)) {
        let Some(b) = read_body(body, wait, fe.max_head, &info).await else {
            (rec.cause, rec.phase) = (Cause::ClientTimeout, Phase::Request);
            return Ok(own_page(408));
        };
        body = b;
    }
    match run_request(&fe.rules, &fe.acls, &mut parts, &fenv, &[&fe.errorfiles]) {
        Decision::Continue => {}
        Decision::Respond(r) => {
            (rec.cause, rec.phase) = (answered_by(&r), Phase::Request);
            return Ok(r);
        }
        Decision::Tarpit(r) => {
            (rec.cause, rec.phase) = (Cause::Proxy, Phase::Tarpit);
            return Ok(tarpit(r, fe, None).await);
        }
        Decision::Reject => {
            (rec.cause, rec.phase) = (Cause::Proxy, Phase::Request);
            return Err(Rejected);
        }
    }
    let wait_ms = fe.timeouts.client.unwrap_or(5_000);
    let admin = |p: &StatsPage| p.admin_allowed(&fe.acls, &fenv.sample(&parts));
    // Only where a stats page is (moving the body in and out costs at each request).
    if let Some(page) = &fe.stats {
        let page = (page, clock.now_ms(), wait_ms);
        match stats_answer(page, &parts, admin, body).await {
            Ok(r) => return Ok(by_proxy(rec, r)),
            Err(b) => body = b,
        }
    }
    let routing = fenv.sample(&parts);
    let Some(be) = fe.route(&routing, &|f| {
        proxy_core::sample::fmt::render_string(f, &routing, &routing)
    }) else {
        (rec.cause, rec.phase) = (Cause::Proxy, Phase::Request);
        return Ok(own_page(503));
    };
    *chosen = Some(be.clone());
    // The backend and server names are for the log line only.
    let logged = fe.log.is_some();
    if logged {
        rec.backend = Some(be.name.clone());
    }
    let admin = |p: &StatsPage| {
        let benv = Env {
            conn: &conn,
            ctx: Ctx::new(fe, Some(&be)),
            vars: req_scopes,
            txn: &info,
        };
        p.admin_allowed(&be.acls, &benv.sample(&parts))
    };
    if let Some(page) = &be.stats {
        let page = (page, clock.now_ms(), wait_ms);
        match stats_answer(page, &parts, admin, body).await {
            Ok(r) => return Ok(by_proxy(rec, r)),
            Err(b) => body = b,
        }
    }
    if let Some(reject) = be.http.restrict_names {
        if !restrict_names(&mut parts.headers, reject) {
            (rec.cause, rec.phase) = (Cause::Proxy, Phase::Request);
            return Ok(own_page(403));
        }
    }
    let mut bctx = Ctx::new(fe, Some(&be));
    bctx.vars = Some((&stores.txn, &stores.req));
    bctx.sc.txn = Some(&stores.sc);
    bctx.sc.sess = Some(&conn.sc);
    let itself = fe.is_itself(&be);
    if !itself && !be.tcp.content.is_empty() {
        let s = super::inspect::ContentSample::new(bctx, &conn, &[], &[], true);
        if super::inspect::TcpRules::decide(&be.tcp.content, &be.acls, &s, &stores.sc)
            == super::inspect::Verdict::Reject
        {
            be.counters.denied_request();
            (rec.cause, rec.phase) = (Cause::Proxy, Phase::Request);
            return Err(Rejected);
        }
    }
    let benv = Env {
        conn: &conn,
        ctx: bctx,
        vars: req_scopes,
        txn: &info,
    };
    let decision = if itself {
        Decision::Continue
    } else {
        if let Some(wait) = body_wait(&be.http, &be.rules, &be.acls, &benv.sample(&parts)) {
            let Some(b) = read_body(body, wait, fe.max_head, &info).await else {
                (rec.cause, rec.phase) = (Cause::ClientTimeout, Phase::Request);
                return Ok(own_page(408));
            };
            body = b;
        }
        run_request(
            &be.rules,
            &be.acls,
            &mut parts,
            &benv,
            &[&be.errorfiles, &fe.errorfiles],
        )
    };
    match decision {
        Decision::Continue => {}
        Decision::Respond(r) => {
            (rec.cause, rec.phase) = (answered_by(&r), Phase::Request);
            return Ok(r);
        }
        Decision::Tarpit(r) => {
            (rec.cause, rec.phase) = (Cause::Proxy, Phase::Tarpit);
            return Ok(tarpit(r, fe, Some(&be)).await);
        }
        Decision::Reject => {
            (rec.cause, rec.phase) = (Cause::Proxy, Phase::Request);
            return Err(Rejected);
        }
    }
    // A body error in what the client has sent already refuses the request before any of
    // it leaves (HAProxy answers 400 to what it parsed in one go). Not for a client that
    // waits for `100 Continue`: reading its body would send that at once, before a
    // server was even chosen (it goes when the server connection asks for the body).
    let expects = parts.headers.contains_key(http::header::EXPECT);
    if !expects
        && !hyper::body::Body::is_end_stream(&body)
        && body.settle(fe.max_head).await.is_err()
    {
        return Ok(bad_request(rec, fe, 400, Cause::Client));
    }
    if !conn.unix {
        plan::address_headers(
            &mut parts.headers,
            (fe.http.forwardfor.as_ref(), be.http.forwardfor.as_ref()),
            (fe.http.originalto.as_ref(), be.http.originalto.as_ref()),
            (conn.peer.ip(), conn.local.ip()),
        );
    }
    let close = fe.http.close || be.http.close;
    // Persistence: the client's cookie names its server.
    // Read only where a persistence cookie is (its dates): a clock read less per request.
    let now_s = if be.cookie.is_some() {
        clock.unix_s()
    } else {
        0
    };
    let client_cookie = be.cookie.as_ref().and_then(|c| {
        let values: Vec<&str> = parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let found = cookie::read_request(c, &values, now_s);
        if let Some(rewritten) = cookie::rewrite_request(c, &values) {
            parts.headers.remove(http::header::COOKIE);
            for v in rewritten {
                if let Ok(v) = HeaderValue::from_str(&v) {
                    parts.headers.append(http::header::COOKIE, v);
                }
            }
        }
        found
    });
    let mut prefer = client_cookie.as_ref().and_then(|c| {
        be.servers
            .iter()
            .position(|s| s.cookie.as_deref() == Some(c.server.as_str()))
            .filter(|&i| be.persistable(i))
    });
    let by_cookie = prefer;
    // `use-server` first, then the cookie, then a stick table, then balancing (HAProxy's
    // order); a `stick on|store-request` key remembers the server chosen.
    let (stuck, store_key) = {
        let s = benv.sample(&parts);
        let stick = match &be.stick {
            Some(st) => st.on_request(&be.acls, &s),
            None => (None, None),
        };
        let render =
            |f: &haproxy_conf::sample::fmt::Fmt| proxy_core::sample::fmt::render_string(f, &s, &s);
        if let Some(i) = be.use_server(&s, &render) {
            prefer = Some(i);
        }
        stick
    };
    prefer = prefer.or(stuck);
    if prefer.is_none() && be.prefer_last {
        prefer = state
            .last
            .lock()
            .ok()
            .and_then(|l| l.as_ref().filter(|(b, _)| *b == be.name).map(|(_, i)| *i))
            .filter(|&i| be.usable(i));
    }
    // Response rules may test the request: keep what they can look at.
    let stores_response = be.stick.as_ref().is_some_and(|st| st.stores_response());
    let view = (!fe.rules.response.is_empty() || !be.rules.response.is_empty() || stores_response)
        .then(|| {
            let mut v = Request::new(());
            *v.method_mut() = parts.method.clone();
            *v.uri_mut() = parts.uri.clone();
            *v.headers_mut() = parts.headers.clone();
            v.into_parts().0
        });
    let redirect_to = matches!(parts.method, http::Method::GET | http::Method::HEAD).then(|| {
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_string()
    });
    let post = parts.method == http::Method::POST;
    let get_like = matches!(parts.method, http::Method::GET | http::Method::HEAD);
    // gRPC needs `te: trailers` to reach an HTTP/2 server (the only TE value HTTP/2 keeps).
    let te_trailers = plan::wants_trailers(&parts.headers);
    if !upgrade {
        plan::strip_hop_by_hop(&mut parts.headers);
    }
    let key = hash_key(&be, &parts, &conn);
    let max_head = fe.max_head;
    let websocket = upgrade && plan::has_token(&parts.headers, http::header::UPGRADE, "websocket");
    // `http-reuse safe` (the default): a client's first request gets a connection of its
    // own, so that a server closing an idle one fails only a request the client retries.
    let reuse = match be.http_reuse {
        HttpReuse::Never => (false, false),
        HttpReuse::Safe => (state.requests.load(Ordering::Relaxed) > 1, true),
        HttpReuse::Aggressive | HttpReuse::Always => (true, true),
    };
    let mut tried = Tried::default();
    // From the queue on, the server side's timeouts apply, not the client's (HAProxy
    // waits out its connect retries with a shorter `timeout client`).
    let connecting = Held::new(&state.awaiting_server);
    // Boxed, as `send` below: hyper keeps room for a whole request future in every
    // connection, idle ones too, so its size is memory per connection; these two are
    // the largest parts of it and live only while they run.
    let got = pinned_box(|| {
        attempt(&be, key, clock, prefer, &mut tried, |s| {
            // `sni`: evaluated on the request as the rules left it, for the server chosen.
            let sni = super::srv_tls::sni_for(&s, &benv.sample(&parts));
            open_http(
                s,
                conn.clone(),
                max_head,
                redirect_to.clone(),
                sni,
                reuse,
                websocket,
            )
        })
    })
    .await;
    rec.retries = tried.retries;
    rec.t_queue = tried.queued_ms.map(|t| t as i64).unwrap_or(-1);
    rec.t_connect = tried.connect_ms.map(|t| t as i64).unwrap_or(-1);
    let Some((upstream, in_use)) = got else {
        if let (true, Some(s)) = (logged, &tried.server) {
            rec.server = Some((s.name.clone(), inet_target(s)));
        }
        // A full queue that timed out (sQ), else no server or no connection (SC).
        (rec.cause, rec.phase) = if tried.queue_timeout {
            (Cause::ServerTimeout, Phase::Queue)
        } else {
            (Cause::Server, Phase::Connect)
        };
        return Ok(own_page(503));
    };
    let server = in_use.0.clone();
    if logged {
        rec.server = Some((server.name.clone(), inet_target(&server)));
    }
    let index = be.servers.iter().position(|s| Arc::ptr_eq(s, &server));
    if let (Some(st), Some(k), Some(i)) = (&be.stick, &store_key, index) {
        st.remember(k, i, &server);
    }
    if let (true, Some(i), Ok(mut last)) = (be.prefer_last, index, state.last.lock()) {
        *last = Some((be.name.clone(), i));
    }
    let mut link = match upstream {
        Upstream::Http(l) => l,
        Upstream::Redirect(location) => {
            let mut r = full(StatusCode::FOUND, None, Bytes::new());
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(http::header::LOCATION, v);
            }
            r.headers_mut().insert(
                http::header::CACHE_CONTROL,
                HeaderValue::from_static("no-cache"),
            );
            return Ok(r);
        }
    };
    let awaiting = Held::new(&state.awaiting_server);
    drop(connecting);
    let sent_at = tokio::time::Instant::now();
    // Compression: the algorithm the request allows, chosen before the request leaves
    // (`offload` takes its Accept-Encoding away).
    let comp = compress::Settings::of(fe.http.compression.as_ref(), be.http.compression.as_ref());
    let algo = comp.and_then(|c| compress::choose_for(c, &mut parts.headers));
    let req_facts = (
        parts.method == http::Method::HEAD,
        parts.version >= http::Version::HTTP_11,
    );
    // What `cache-store` needs of the request: GET without credentials nor no-cache.
    let cache_key = (!fe.caches.is_empty()
        && parts.method == http::Method::GET
        && cache::request_allows(&parts))
    .then(|| cache::key(&parts));
    // The id is added after what the client sent (HAProxy keeps a client's own).
    if let (Some(h), Some(id)) = (&fe.unique_id_header, &info.unique_id) {
        if let Ok(v) = HeaderValue::from_str(id) {
            parts.headers.append(h.clone(), v);
        }
    }
    let mut req = Box::new(Request::from_parts(parts, body));
    upstream::shape(
        &mut req,
        link.sender.is_h2(),
        server.tls.is_some(),
        te_trailers,
    );
    // `set-timeout server` for this stream, else the backend's.
    let server_timeout = stream_timeout(&info.server_timeout).or(be.server_timeout);
    let sni_again = link.sni.clone();
    let share = be.http_reuse != HttpReuse::Never;
    let reopen = || {
        upstream::connect(
            &server,
            &conn,
            max_head,
            sni_again,
            (false, share),
            websocket,
        )
    };
    let resp = pinned_box(|| upstream::send(&mut link, req, server_timeout, reopen)).await;
    drop(awaiting);
    let mut resp = match resp {
        Ok(r) => r,
        Err(failed) => {
            let (status, cause) = match failed {
                upstream::Failed::Timeout => (504, Cause::ServerTimeout),
                upstream::Failed::Broken => (502, Cause::Server),
            };
            be.counters.response_error();
            server.counters.response_error();
            server.counters.status(status);
            be.observe(&server, clock.now_ms(), true, false);
            (rec.cause, rec.phase) = (cause, Phase::Headers);
            return Ok(own_page(status));
        }
    };
    let got_at = tokio::time::Instant::now();
    rec.t_resp = got_at.duration_since(sent_at).as_millis() as i64;
    let status = resp.status().as_u16();
    server.counters.status(status);
    // Layer 7 observation: server errors count, 501 and 505 excepted (as HAProxy).
    let bad = status >= 500 && status != 501 && status != 505;
    // Stick counters: a 4xx is an error of the client, the others a failure.
    if status / 100 == 4 {
        bctx.sc.count(proxy_core::stick::Count::HttpErr);
    } else if bad {
        bctx.sc.count(proxy_core::stick::Count::HttpFail);
    }
    be.observe(&server, clock.ms_at(got_at.into_std()), bad, false);
    // A switch nobody asked for would leave the client reading a protocol it does not
    // expect (HAProxy answers 502 too).
    if resp.status() == StatusCode::SWITCHING_PROTOCOLS && client_upgrade.is_none() {
        be.counters.response_error();
        server.counters.response_error();
        (rec.cause, rec.phase) = (Cause::Server, Phase::Headers);
        return Ok(own_page(502));
    }
    if let (Some(client_up), StatusCode::SWITCHING_PROTOCOLS) = (client_upgrade, resp.status()) {
        let server_up = hyper::upgrade::on(&mut resp);
        let (rparts, _) = resp.into_parts();
        // `timeout tunnel`, else the client's and the server's timeouts both apply:
        // the shorter one ends an idle tunnel.
        let both_sides = match (fe.timeouts.client, be.timeouts.server) {
            (Some(c), Some(s)) => Some(c.min(s)),
            (c, s) => c.or(s),
        };
        let tunnel_idle = stream_timeout(&info.tunnel_timeout).or(be
            .timeouts
            .tunnel
            .or(both_sides)
            .map(Duration::from_millis));
        tokio::spawn(tunnel(
            client_up,
            server_up,
            in_use,
            tunnel_idle,
            be.name.clone(),
        ));
        drop(flight);
        return Ok(Response::from_parts(
            rparts,
            Empty::new().map_err(|never| match never {}).boxed(),
        ));
    }
    // The connection goes back to the pool; it is taken again once the body is through.
    if !(close || fe.http.server_close || be.http.server_close || be.http_reuse == HttpReuse::Never)
    {
        upstream::release(&server, link, resp.body_mut());
    }
    let (mut rparts, rbody) = resp.into_parts();
    plan::strip_hop_by_hop(&mut rparts.headers);
    if let Some(l) = &fe.log {
        rec.res_captures =
            l.res_captures
                .iter()
                .map(|(name, len)| {
                    rparts.headers.get(name.as_str()).map(|v| {
                        logline::capture_value(&String::from_utf8_lossy(v.as_bytes()), *len)
                    })
                })
                .collect();
    }
    let mut store_in: Option<String> = None;
    if let Some(view) = &view {
        let res_scopes = Scopes {
            req: None,
            res: Some(&stores.res),
            ..req_scopes
        };
        let mut sample = ReqSample::of(view, &conn, bctx).with(res_scopes, &info);
        sample.server = Some((server.name.as_str(), inet_target(&server)));
        let mut st = rparts.status;
        let mut reason = None;
        if let Some(denied) = run_response(
            &if itself {
                vec![(&fe.rules.response[..], &fe.acls)]
            } else {
                vec![
                    (&be.rules.response[..], &be.acls),
                    (&fe.rules.response[..], &fe.acls),
                ]
            },
            &sample,
            RespEdit {
                status: &mut st,
                reason: &mut reason,
                headers: &mut rparts.headers,
                version: rparts.version,
                store: &mut store_in,
            },
            &[&be.errorfiles, &fe.errorfiles],
        ) {
            be.counters.denied_response();
            (rec.cause, rec.phase) = (Cause::Proxy, Phase::Headers);
            return Ok(denied);
        }
        rparts.status = st;
        if let Some(rp) =
            reason.and_then(|r| hyper::ext::ReasonPhrase::try_from(r.into_bytes()).ok())
        {
            rparts.extensions.insert(rp);
        }
        if let (true, Some(stk), Some(i)) = (stores_response, &be.stick, index) {
            sample.resp = Some(sample::RespView {
                status: rparts.status.as_u16(),
                headers: &rparts.headers,
                version: rparts.version,
            });
            stk.on_response(&be.acls, &sample, i, &server);
        }
    }
    if let (Some(c), Some(_)) = (&be.cookie, server.cookie.as_deref()) {
        let status = rparts.status.as_u16();
        persist_response(
            c,
            &server,
            &client_cookie,
            by_cookie.is_some() && by_cookie == index,
            (post, get_like),
            status,
            now_s,
            &mut rparts.headers,
        );
    }
    if close {
        rparts
            .headers
            .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    }
    let body = Guarded::new(rbody, in_use, flight, server_timeout).boxed();
    let body = match (store_in, cache_key) {
        (Some(name), Some(key)) => fe.caches.store(&name, key, &rparts, body),
        _ => body,
    };
    let body = match (comp, algo) {
        (Some(c), Some(a)) => compress::response(c, a, req_facts, &mut rparts, body),
        _ => body,
    };
    Ok(Response::from_parts(rparts, body))
}

/// A server's address when it is an IP one (for logs and samples).
fn inet_target(s: &super::server::ServerRt) -> Option<std::net::SocketAddr> {
    match s.target.read().map(|t| t.clone()) {
        Ok(Some(super::server::Target::Inet(a))) => Some(a),
        _ => None,
    }
}

/// Whether a response may be stored by a cache, as HAProxy judges it for `nocache`: a
/// cacheable status with something that lets a cache keep it (`Cache-Control` max-age or
/// public, `Expires`, `Last-Modified`), and nothing that forbids it.
fn cacheable(status: u16, h: &http::HeaderMap) -> bool {
    if !matches!(
        status,
        200 | 203 | 204 | 206 | 300 | 301 | 404 | 405 | 410 | 414 | 501
    ) {
        return false;
    }
    let cc: Vec<String> = h
        .get_all(http::header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect();
    let forbidden = cc.iter().any(|t| {
        t.starts_with("no-cache") || t.starts_with("no-store") || t.starts_with("private")
    }) || h
        .get_all(http::header::PRAGMA)
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"no-cache"));
    let allowed = cc
        .iter()
        .any(|t| t == "public" || t.starts_with("max-age") || t.starts_with("s-maxage"))
        || h.contains_key(http::header::EXPIRES)
        || h.contains_key(http::header::LAST_MODIFIED);
    allowed && !forbidden
}

/// Set, change or remove the persistence cookie in a response.
#[allow(clippy::too_many_arguments)]
fn persist_response(
    cfg: &haproxy_conf::model::Cookie,
    server: &ServerRt,
    client: &Option<cookie::ClientCookie>,
    matched: bool,
    (post, get_like): (bool, bool),
    status: u16,
    now_s: u64,
    h: &mut http::HeaderMap,
) {
    let set: Vec<String> = h
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let set_refs: Vec<&str> = set.iter().map(String::as_str).collect();
    let cacheable = get_like && cacheable(status, h);
    let edits = cookie::response(
        cfg,
        &set_refs,
        cookie::Exchange {
            server: server.cookie.as_deref(),
            client_valid: client.as_ref().filter(|_| matched),
            post,
            cacheable,
            now_s,
        },
    );
    if let Some(new) = edits.set_cookies {
        h.remove(http::header::SET_COOKIE);
        for v in new {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.append(http::header::SET_COOKIE, v);
            }
        }
    }
    if let Some(v) = edits.insert.and_then(|v| HeaderValue::from_str(&v).ok()) {
        h.append(http::header::SET_COOKIE, v);
    }
    if edits.cache_private {
        // Added beside the server's own Cache-Control, as HAProxy does.
        h.append(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("private"),
        );
    }
}

/// How long a proxy's rules want the request body waited for: its first `wait-for-body`
/// rule whose condition holds now, else `option http-buffer-request`, else (when it
/// reads the body at all) only what has arrived with the head.
fn body_wait(
    http: &ProxyHttp,
    rules: &HttpRules,
    acls: &AclSet,
    s: &sample::ReqSample<'_>,
) -> Option<reqbody::Wait> {
    rules
        .request
        .iter()
        .find_map(|rule| match &rule.action {
            HttpReqAction::WaitForBody { time_ms, at_least } if acls.holds(&rule.cond, s) => {
                Some(reqbody::Wait::For {
                    time: Duration::from_millis(*time_ms),
                    at_least: usize::try_from(*at_least).unwrap_or(usize::MAX),
                })
            }
            _ => None,
        })
        .or(http
            .buffer_request
            .map(|time| reqbody::Wait::For { time, at_least: 0 }))
        .or(http.reads_body.then_some(reqbody::Wait::None))
}

/// Read the body ahead (at most `limit` bytes, a buffer's room) for the rules; None
/// when the client did not send what was waited for in time (408, as HAProxy).
async fn read_body(
    body: ReqBody,
    wait: reqbody::Wait,
    limit: usize,
    info: &TxnInfo,
) -> Option<ReqBody> {
    let got = reqbody::read_ahead(body, wait, limit).await;
    if got.timed_out {
        return None;
    }
    if let Ok(mut b) = info.body.lock() {
        *b = Some(got.bytes);
    }
    Some(got.body)
}

/// A timeout `set-timeout` gave the stream (a negative one times nothing out).
fn stream_timeout(set: &std::sync::atomic::AtomicI64) -> Option<Duration> {
    u64::try_from(set.load(Ordering::Relaxed))
        .ok()
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis)
}

/// After a 101: bytes both ways until either side ends or the tunnel idles out.
async fn tunnel(
    client: hyper::upgrade::OnUpgrade,
    server: hyper::upgrade::OnUpgrade,
    in_use: InUse,
    idle: Option<Duration>,
    backend: String,
) {
    let (c, s) = match tokio::join!(client, server) {
        (Ok(c), Ok(s)) => (c, s),
        (c, s) => {
            if let Some(e) = c.err().or(s.err()) {
                tracing::warn!("backend {backend}: upgrade failed: {e}");
            }
            return;
        }
    };
    let c = TokioIo::new(c);
    let mut s = TokioIo::new(s);
    let activity = Arc::new(Activity::new());
    // `on-marked-down shutdown-sessions`: the tunnel ends when its server goes DOWN.
    let mut marked_down = in_use.0.down.subscribe();
    let copy = async {
        // The client side marks the tunnel active in both directions.
        let mut c = Metered::new(c, Side::Client, [None, None], Some(activity.clone()));
        let _ = tokio::io::copy_bidirectional(&mut c, &mut s).await;
    };
    tokio::pin!(copy);
    let mut watch = IdleWatch::new(&activity);
    tokio::select! {
        _ = &mut copy => {}
        _ = watch.expired(&activity, || idle), if idle.is_some() => {}
        _ = marked_down.changed() => {}
    }
    drop(in_use);
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

/// Soft stop: returns once the connection has no request in progress and has read
/// nothing for half a second (a client about to reuse it has had the time to send its
/// request, which is then answered with `Connection: close`).
async fn idle_when_stopping(c: &HttpConn) {
    super::stopping::wait().await;
    let quiet = std::time::Duration::from_millis(500);
    loop {
        let seen = c.activity.reads();
        tokio::time::sleep(quiet).await;
        if c.in_flight.load(Ordering::Relaxed) == 0 && c.activity.reads() == seen {
            return;
        }
    }
}

pub async fn session<S: Stream>(stream: S, conn: Conn, fe: Arc<FrontendRt>, clock: Clock) {
    let counted = fe.clone();
    let _session = counted.counters.count();
    counted.counters.session_at(super::clock::mono_ms());
    let conn = Arc::new(conn);
    let conn_for_log = conn.clone();
    let state = Arc::new(HttpConn {
        activity: Arc::new(Activity::new()),
        in_flight: AtomicU32::new(0),
        awaiting_server: AtomicU32::new(0),
        requests: AtomicU64::new(0),
        last: Mutex::new(None),
    });
    let idle = HttpIdle::new(&fe.timeouts);
    let head_limit = fe.http.request_timeout;
    let io = Metered::new(
        stream,
        Side::Client,
        [Some(fe.counters.clone()), None],
        Some(state.activity.clone()),
    );
    let mut b = hyper::server::conn::http1::Builder::new();
    // A client may shut its side once its request is sent and still wait for the
    // answer, as HAProxy allows (hyper would drop the response).
    b.keep_alive(!fe.http.close)
        .half_close(true)
        .timer(TokioTimer::new());
    // A request head larger than the buffer is refused (hyper: 431), as HAProxy does.
    b.max_header_size(fe.max_head);
    let (max_head, h2_tune) = (fe.max_head, fe.h2_tune);
    // Not hyper's header timer (30 s unless told otherwise): it also runs while a
    // keep-alive connection waits for its next request, which is `timeout
    // http-keep-alive`'s to bound. `head_expiry` does `timeout http-request`.
    b.header_read_timeout(None);
    let keep_alive = !fe.http.close;
    let call = {
        let state = state.clone();
        move |req: Box<Request<ReqBody>>, up: Option<hyper::upgrade::OnUpgrade>| {
            let (fe, conn, state) = (fe.clone(), conn.clone(), state.clone());
            async move {
                let h1 = req.version() < http::Version::HTTP_2;
                let mut r = handle(req, up, conn, fe, clock, state).await;
                // Stopping: this is the connection's last answer (the client opens a new
                // connection, which the process taking over accepts). HTTP/2 says it
                // with GOAWAY (`h2serve`).
                if let Ok(resp) = &mut r {
                    if h1 && super::stopping::stopping() {
                        resp.headers_mut().insert(
                            http::header::CONNECTION,
                            http::HeaderValue::from_static("close"),
                        );
                    }
                }
                r
            }
        }
    };
    let t0 = tokio::time::Instant::now();
    let alpn_h2 = conn_for_log
        .tls
        .as_ref()
        .is_some_and(|t| t.alpn.as_deref() == Some("h2"));
    let mux = conn_for_log.mux;
    let tune = h2_tune;
    // Boxed, so that it is not held twice (here and in the select below).
    let served = pinned_box(|| async move {
        let (io, h2) = match mux {
            super::Mux::H2 => (preface::Rewind::new(io), true),
            super::Mux::Auto | super::Mux::Alpn if alpn_h2 => (preface::Rewind::new(io), true),
            super::Mux::Alpn => (preface::Rewind::new(io), false),
            super::Mux::H1 => (preface::Rewind::new(io), false),
            super::Mux::Auto => preface::detect(io).await,
        };
        if h2 {
            h2serve::serve(io, tune, max_head, call).await
        } else {
            h1serve::serve(io, max_head, keep_alive, call, b).await
        }
    });
    // Ending the select drops the connection: an idle client is closed.
    // The timers are gated together (polled only when one of them was woken, not at each
    // of the protocol's wake-ups) and the protocol is looked at first.
    let timers = Gated::new(async {
        tokio::select! {
            _ = idle_expiry(&state, idle) => Ended::Idle,
            _ = head_expiry(&state, head_limit) => Ended::HeadTimeout,
            _ = idle_when_stopping(&state) => Ended::Stopping,
        }
    });
    let end = tokio::select! {
        biased;
        r = served => Ended::Served(r),
        e = timers => e,
    };
    // A connection that ends without a whole request is logged as HAProxy logs it: no
    // request (`<BADREQ>`), the status it answered (or would have), who ended it.
    let no_request =
        state.requests.load(Ordering::Relaxed) == 0 && state.in_flight.load(Ordering::Relaxed) == 0;
    let null = no_request && matches!(end, Ended::Served(Outcome::Done));
    let bad = match end {
        Ended::Served(Outcome::TooLarge) => Some((431, Cause::Proxy)),
        Ended::Served(Outcome::Parse) => Some((400, Cause::Proxy)),
        Ended::Served(Outcome::Timeout) => Some((408, Cause::ClientTimeout)),
        Ended::Idle if no_request => Some((408, Cause::ClientTimeout)),
        Ended::HeadTimeout => Some((408, Cause::ClientTimeout)),
        // A request cut short by the client; other errors belong to a request's own
        // line (a response the client left during).
        Ended::Served(Outcome::Incomplete) => Some((400, Cause::Client)),
        Ended::Served(Outcome::Other) if no_request => Some((400, Cause::Client)),
        // Nothing at all: a null connection (`option dontlognull` keeps it out of
        // the log).
        Ended::Served(Outcome::Done) if no_request => Some((400, Cause::Client)),
        _ => None,
    };
    if let Some((status, cause)) = bad {
        // `ereq`: HAProxy counts every one of these, a connection closed before any request
        // included.
        counted.counters.request_error();
        // A request that never came is a request and an error to stick counters
        // (measured with HAProxy 2.6).
        conn_for_log.sc.count_all(proxy_core::stick::Count::HttpReq);
        conn_for_log.sc.count_all(proxy_core::stick::Count::HttpErr);
        if !(null && counted.log.as_ref().is_some_and(|l| l.dontlognull)) {
            logbody::connection_error(&counted, conn_for_log, t0, status, cause);
        }
    }
}

enum Ended {
    Served(Outcome),
    Idle,
    /// Closed while quiet by a soft stop (nothing to log).
    Stopping,
    /// `timeout http-request`: a request head took too long.
    HeadTimeout,
}

/// `timeout http-request`: a request head must be whole within `limit`, counted from the
/// connection's start for the first request, and from the first byte of each later one
/// (the wait for that byte is `timeout http-keep-alive`'s, in `idle_expiry`). While a
/// head arrives this looks every limit / 8 (at most 1 s) whether it is whole; between
/// requests it sleeps until the client's next byte wakes it, so an idle keep-alive
/// connection costs no wake-ups here.
async fn head_expiry(c: &HttpConn, limit: Option<Duration>) {
    let Some(limit) = limit else {
        return std::future::pending().await;
    };
    let look = (limit / 8).clamp(Duration::from_millis(5), Duration::from_secs(1));
    let busy = || c.in_flight.load(Ordering::Relaxed) > 0;
    let mut start = tokio::time::Instant::now();
    // Requests begun before the head being timed: one that begins after is that head,
    // whole (also if it was answered at once, before this looked).
    let mut n = 0;
    loop {
        // A head is on its way: whole (a request in flight, or done) by start + limit.
        loop {
            let left = limit.saturating_sub(start.elapsed());
            if left.is_zero() {
                return;
            }
            tokio::time::sleep(look.min(left)).await;
            if busy() || c.requests.load(Ordering::Relaxed) != n {
                break;
            }
        }
        while busy() {
            tokio::time::sleep(look).await;
        }
        // Between requests. Bytes read until now may be the tail of the last request's
        // body; the next read begins a head.
        n = c.requests.load(Ordering::Relaxed);
        c.activity.next_read(c.activity.reads()).await;
        start = tokio::time::Instant::now();
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
            last: Mutex::new(None),
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
        let t = Timeouts {
            client: Some(30_000),
            ..Timeouts::default()
        };
        assert_eq!(HttpIdle::new(&t).limit(&c), s(30_000));
    }

    fn parts(head: &[(&str, &str)], uri: &str) -> http::request::Parts {
        let mut b = Request::builder().uri(uri);
        for (k, v) in head {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn http_1_0_get_head_and_delete_with_a_body_are_refused_as_haproxy_does() {
        let req = |method: &str, head: &[(&str, &str)]| {
            let mut p = parts(head, "/");
            p.method = method.parse().unwrap();
            p.version = http::Version::HTTP_10;
            p
        };
        let cl = [("content-length", "3")];
        for m in ["GET", "HEAD", "DELETE"] {
            let got = smuggling_guard(&mut req(m, &cl), false).err().map(|e| e.0);
            assert_eq!(got, Some(413), "{m}");
            let chunked = [("transfer-encoding", "chunked")];
            let got = smuggling_guard(&mut req(m, &chunked), false)
                .err()
                .map(|e| e.0);
            assert_eq!(got, Some(413), "{m} chunked");
            // `h1-accept-payload-with-any-method`.
            assert!(smuggling_guard(&mut req(m, &cl), true).is_ok(), "{m}");
        }
        // A zero length, other methods, and HTTP/1.1 pass (measured with HAProxy 2.6).
        assert!(smuggling_guard(&mut req("GET", &[("content-length", "0")]), false).is_ok());
        assert!(smuggling_guard(&mut req("POST", &cl), false).is_ok());
        assert!(smuggling_guard(&mut req("OPTIONS", &cl), false).is_ok());
        let mut p11 = req("GET", &cl);
        p11.version = http::Version::HTTP_11;
        assert!(smuggling_guard(&mut p11, false).is_ok());
    }

    #[test]
    fn requests_that_could_be_read_two_ways_are_refused() {
        let code = |p: &mut http::request::Parts| smuggling_guard(p, false).err().map(|e| e.0);
        let mut p = parts(&[("host", "a"), ("host", "b")], "/");
        assert_eq!(code(&mut p), Some(400), "two Host headers that differ");
        let mut p = parts(&[("host", "a"), ("host", "A")], "/");
        assert_eq!(code(&mut p), None, "equal ones are merged");
        assert_eq!(p.headers.get_all("host").iter().count(), 1);
        let mut p = parts(&[("host", "public.example")], "http://admin.example/admin");
        assert_eq!(code(&mut p), Some(400), "authority and Host differ");
        let mut p = parts(&[("host", "Admin.Example")], "http://admin.example/admin");
        assert_eq!(code(&mut p), None, "same authority, other case");
        let mut p = parts(
            &[("host", "admin.example")],
            "http://admin.example:80/admin",
        );
        assert_eq!(code(&mut p), None, "the default port");
        assert_eq!(
            p.uri.to_string(),
            "http://admin.example/admin",
            "dropped as HAProxy"
        );
        let mut p = parts(&[("host", "admin.example")], "http://admin.example:8080/a");
        assert_eq!(code(&mut p), Some(400));
        // https: 443 is the default, on either side; the URI keeps its own case.
        let mut p = parts(&[("host", "a.example:443")], "https://A.Example:443/x");
        assert_eq!(code(&mut p), None);
        assert_eq!(p.uri.to_string(), "https://A.Example/x");
        let mut p = parts(&[("host", "a.example:80")], "https://a.example/x");
        assert_eq!(code(&mut p), Some(400), "80 is not https's default");
        let mut p = parts(&[], "http://admin.example/admin");
        assert_eq!(code(&mut p), None);
        assert!(
            p.headers.get("host").is_none(),
            "no Host is added, as HAProxy"
        );
        let mut p = parts(&[("transfer-encoding", "chunked, chunked")], "/");
        assert_eq!(code(&mut p), Some(400));
        let mut p = parts(
            &[
                ("transfer-encoding", "chunked"),
                ("transfer-encoding", "chunked"),
            ],
            "/",
        );
        assert_eq!(code(&mut p), Some(400));
        let mut p = parts(&[("transfer-encoding", "gzip, chunked")], "/");
        assert_eq!(code(&mut p), Some(422));
        let mut p = parts(&[("transfer-encoding", "Chunked")], "/");
        assert_eq!(code(&mut p), None);
    }
}
