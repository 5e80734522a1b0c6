//! An HTTP/1.1 server connection spoken by proxyd itself (the codec is
//! `proxy_core::h1`), for requests without a body, the common case: the request head is
//! written and the response read in the client's own task, with no connection task,
//! channel or 8 KiB buffers per side as hyper's client has (measured: a third of the
//! instructions of a request went there). Requests with a body or an upgrade take the
//! same socket through hyper's client instead (`into_io`).

use super::super::connect::Stream;
use super::super::metered::Metered;
use super::super::server::{Pooled, ServerRt};
use super::reqbody::ReqBody;
use super::BodyError;
use bytes::{Buf, Bytes, BytesMut};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Version};
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use proxy_core::h1::{self, Chunked, Event, Framing};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWriteExt};

/// How much a read asks for at least (a response head usually comes whole in it).
const READ_SIZE: usize = 4096;
/// The most a body read takes at once (as hyper's connections, `RESPONSE_READ_MAX`).
const BODY_READ_MAX: usize = 32 * 1024;

pub type Io = Metered<Stream>;

/// One server connection, idle or carrying a request.
pub struct H1Conn {
    io: Io,
    /// Bytes read and not yet used (empty between requests).
    buf: BytesMut,
    /// The largest response head taken.
    max_head: usize,
    /// The server's name (for logs).
    name: String,
}

/// Why an exchange failed.
#[derive(Debug)]
pub enum Failure {
    /// Nothing left: the server had closed the connection (the request may be sent
    /// again on another one, whatever its method).
    NotSent,
    /// The server closed or answered something unusable after the request left.
    Broken(String),
}

impl H1Conn {
    pub fn new(io: Io, max_head: usize, name: String) -> Self {
        H1Conn {
            io,
            buf: BytesMut::new(),
            max_head,
            name,
        }
    }

    /// See `Stream::reset_on_close`.
    pub fn reset_on_close(&self) {
        self.io.get_ref().reset_on_close();
    }

    pub fn max_head(&self) -> usize {
        self.max_head
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The socket, for hyper's client (only between requests: nothing buffered).
    pub fn into_io(self) -> Option<Io> {
        self.buf.is_empty().then_some(self.io)
    }

    /// Whether a pooled connection is still usable: not closed by the server, nothing
    /// unasked for waiting. Costs no system call while the socket has had no event.
    fn still_open(&mut self) -> bool {
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut probe = [0u8; 1];
        let mut rb = tokio::io::ReadBuf::new(&mut probe);
        // Ready: closed (0 bytes), an error, or bytes nobody asked for: not reusable.
        Pin::new(&mut self.io)
            .poll_read(&mut cx, &mut rb)
            .is_pending()
    }

    /// Reads more into the buffer (at least `READ_SIZE` of room): the byte count, 0 at
    /// the end of the stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>, most: usize) -> Poll<std::io::Result<usize>> {
        if self.buf.capacity() - self.buf.len() < READ_SIZE {
            self.buf.reserve(READ_SIZE.max(most.min(BODY_READ_MAX)));
        }
        tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.buf)
    }

    async fn fill(&mut self) -> std::io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_fill(cx, READ_SIZE)).await
    }

    /// Sends the head of `req` (which has no body) and reads the response head; the
    /// response's body reads the rest from this connection, which it holds until then.
    pub async fn exchange(
        mut self: Box<Self>,
        req: &Request<ReqBody>,
        reused: bool,
    ) -> Result<Response<RespBody>, Failure> {
        if reused && !self.still_open() {
            return Err(Failure::NotSent);
        }
        // Origin form as it is; other forms as hyper's client writes them.
        let written;
        let target = match (req.uri().scheme(), req.uri().path_and_query()) {
            (None, Some(p)) => p.as_str(),
            _ => {
                written = req.uri().to_string();
                written.as_str()
            }
        };
        let mut out = Vec::with_capacity(
            64 + target.len()
                + req
                    .headers()
                    .iter()
                    .map(|(n, v)| n.as_str().len() + v.len() + 4)
                    .sum::<usize>(),
        );
        h1::encode_request_head(
            &mut out,
            req.method().as_str(),
            target,
            req.version() != Version::HTTP_10,
            req.headers()
                .iter()
                .map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes())),
        );
        // (flush: TLS may hold what it has not written yet.)
        let send_head = async {
            self.io.write_all(&out).await?;
            self.io.flush().await
        };
        if let Err(e) = send_head.await {
            return Err(Failure::Broken(format!("sending the request: {e}")));
        }
        let to_head = req.method() == http::Method::HEAD;
        loop {
            let head = match h1::parse_response(&self.buf, self.max_head) {
                Ok(Some(h)) => h,
                Ok(None) => match self.fill().await {
                    Ok(0) if self.buf.is_empty() => {
                        return Err(Failure::Broken("closed before responding".into()))
                    }
                    Ok(0) => return Err(Failure::Broken("closed in the response head".into())),
                    Ok(_) => continue,
                    Err(e) => return Err(Failure::Broken(format!("reading the response: {e}"))),
                },
                Err(e) => return Err(Failure::Broken(e.to_string())),
            };
            // Interim responses (100 Continue, 103 Early Hints) are not passed on; 101
            // is (the caller refuses it: no upgrade was asked on this connection).
            if head.status / 100 == 1 && head.status != 101 {
                self.buf.advance(head.len);
                continue;
            }
            let plan = h1::response_plan(&head, &self.buf, to_head)
                .map_err(|e| Failure::Broken(e.to_string()))?;
            let raw = self.buf.split_to(head.len).freeze();
            let resp = response(&raw, &head).map_err(Failure::Broken)?;
            let reusable = plan.reusable && head.status != 101;
            let state = match plan.framing {
                Framing::Empty | Framing::Length(0) => Read::Done,
                Framing::Length(n) => Read::Length(n),
                Framing::Chunked => Read::Chunked(Chunked::new()),
                Framing::UntilClose => Read::UntilClose,
            };
            if head.status == 101 {
                return Ok(resp.map(|()| RespBody::Done));
            }
            let body = OwnBody {
                conn: Some(self),
                state,
                reusable,
                home: None,
                exact: match plan.framing {
                    Framing::Length(n) => Some(n),
                    Framing::Empty => Some(0),
                    _ => None,
                },
            };
            return Ok(resp.map(|()| RespBody::Own(Box::new(body))));
        }
    }
}

/// The `http` response of a parsed head (its bytes shared, not copied).
fn response(raw: &Bytes, head: &h1::Head) -> Result<Response<()>, String> {
    let status = StatusCode::from_u16(head.status).map_err(|e| e.to_string())?;
    let headers = field_map(raw, &head.fields)?;
    let mut r = Response::new(());
    *r.status_mut() = status;
    *r.version_mut() = if head.http11 {
        Version::HTTP_11
    } else {
        Version::HTTP_10
    };
    *r.headers_mut() = headers;
    // A reason phrase of the server's own goes to the client as it came (as hyper's
    // client keeps it).
    let reason = &raw[head.reason.clone()];
    if status.canonical_reason().map(str::as_bytes) != Some(reason) {
        if let Ok(p) = hyper::ext::ReasonPhrase::try_from(raw.slice(head.reason.clone())) {
            r.extensions_mut().insert(p);
        }
    }
    Ok(r)
}

/// Where a connection goes back once its response is read (`release`).
pub struct Home {
    pub server: Arc<ServerRt>,
    pub gen: u64,
    pub sni: Option<String>,
    pub activity: Arc<super::super::idle::Activity>,
    pub timer: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

enum Read {
    Length(u64),
    Chunked(Chunked),
    UntilClose,
    Done,
}

/// A response body read from an own connection; the connection goes back to its
/// server's pool when the body was read to its end (also when nobody polled an empty
/// one), else it is closed.
pub struct OwnBody {
    conn: Option<Box<H1Conn>>,
    state: Read,
    reusable: bool,
    exact: Option<u64>,
    home: Option<Home>,
}

impl OwnBody {
    pub fn set_home(&mut self, home: Home) {
        self.home = Some(home);
    }

    fn fail(&mut self, why: &str) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        self.conn = None;
        self.state = Read::Done;
        Poll::Ready(Some(Err(BodyError::Server(why.to_string()))))
    }
}

impl Drop for OwnBody {
    fn drop(&mut self) {
        let (Some(conn), Some(home), true) = (self.conn.take(), self.home.take(), self.reusable)
        else {
            return;
        };
        if matches!(self.state, Read::Done) && conn.buf.is_empty() {
            let mut conn = conn;
            // An idle connection holds no buffer.
            conn.buf = BytesMut::new();
            // Its request is no longer counted in use: `Guarded` ends that first.
            super::upstream::put(
                &home.server,
                Pooled {
                    gen: home.gen,
                    sni: home.sni,
                    sender: super::upstream::Sender::Own(Some(conn)),
                    activity: home.activity,
                    timer: home.timer,
                },
                false,
            );
        }
    }
}

/// Header fields (a head's or a trailer section's) as a `HeaderMap`, values shared with
/// `raw`.
fn field_map(raw: &Bytes, fields: &[h1::Field]) -> Result<HeaderMap, String> {
    let mut m = HeaderMap::with_capacity(fields.len());
    for f in fields {
        let name = HeaderName::from_bytes(&raw[f.name.clone()]).map_err(|e| e.to_string())?;
        let value = HeaderValue::from_maybe_shared(raw.slice(f.value.clone()))
            .map_err(|e| e.to_string())?;
        m.append(name, value);
    }
    Ok(m)
}

impl HttpBody for OwnBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let this = &mut *self;
        loop {
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match &mut this.state {
                Read::Done => return Poll::Ready(None),
                Read::Length(left) => {
                    if !conn.buf.is_empty() {
                        let take = (*left).min(conn.buf.len() as u64);
                        // `take` is at most the buffer's length.
                        let data = conn.buf.split_to(take as usize).freeze();
                        *left -= take;
                        if *left == 0 {
                            this.state = Read::Done;
                        }
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    let want = usize::try_from(*left).unwrap_or(BODY_READ_MAX);
                    match ready!(conn.poll_fill(cx, want)) {
                        Ok(0) => return this.fail("closed before the end of the body"),
                        Ok(_) => {}
                        Err(e) => return this.fail(&e.to_string()),
                    }
                }
                Read::Chunked(dec) => {
                    let (used, ev) = match dec.step(&conn.buf) {
                        Ok(s) => s,
                        Err(e) => return this.fail(&e.to_string()),
                    };
                    match ev {
                        Event::Data(r) => {
                            let piece = conn.buf.split_to(used).freeze().slice(r);
                            return Poll::Ready(Some(Ok(Frame::data(piece))));
                        }
                        Event::Need => {
                            conn.buf.advance(used);
                            match ready!(conn.poll_fill(cx, BODY_READ_MAX)) {
                                Ok(0) => return this.fail("closed in a chunked body"),
                                Ok(_) => {}
                                Err(e) => return this.fail(&e.to_string()),
                            }
                        }
                        Event::Trailers => {
                            conn.buf.advance(used);
                            match h1::parse_trailers(&conn.buf, conn.max_head) {
                                Ok(Some(t)) => {
                                    let raw = conn.buf.split_to(t.len).freeze();
                                    this.state = Read::Done;
                                    if t.fields.is_empty() {
                                        return Poll::Ready(None);
                                    }
                                    return match field_map(&raw, &t.fields) {
                                        Ok(m) => Poll::Ready(Some(Ok(Frame::trailers(m)))),
                                        Err(e) => this.fail(&e),
                                    };
                                }
                                Ok(None) => match ready!(conn.poll_fill(cx, READ_SIZE)) {
                                    Ok(0) => return this.fail("closed in the trailers"),
                                    Ok(_) => {}
                                    Err(e) => return this.fail(&e.to_string()),
                                },
                                Err(e) => return this.fail(&e.to_string()),
                            }
                        }
                    }
                }
                Read::UntilClose => {
                    if !conn.buf.is_empty() {
                        let data = conn.buf.split().freeze();
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                    match ready!(conn.poll_fill(cx, BODY_READ_MAX)) {
                        Ok(0) => {
                            this.state = Read::Done;
                            this.conn = None;
                            return Poll::Ready(None);
                        }
                        Ok(_) => {}
                        Err(e) => return this.fail(&e.to_string()),
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.state, Read::Done)
    }

    fn size_hint(&self) -> SizeHint {
        match self.exact {
            Some(n) => SizeHint::with_exact(n),
            None => SizeHint::default(),
        }
    }
}

/// A server's response body: from hyper's client, or from an own connection.
pub enum RespBody {
    Hyper(hyper::body::Incoming),
    Own(Box<OwnBody>),
    /// No body at all (a 101 from an own connection, which is refused).
    Done,
}

impl HttpBody for RespBody {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        match self.get_mut() {
            RespBody::Hyper(b) => Pin::new(b)
                .poll_frame(cx)
                .map(|o| o.map(|r| r.map_err(BodyError::from))),
            RespBody::Own(b) => Pin::new(b.as_mut()).poll_frame(cx),
            RespBody::Done => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            RespBody::Hyper(b) => b.is_end_stream(),
            RespBody::Own(b) => b.is_end_stream(),
            RespBody::Done => true,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RespBody::Hyper(b) => b.size_hint(),
            RespBody::Own(b) => b.size_hint(),
            RespBody::Done => SizeHint::with_exact(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::super::metered::Side;
    use super::*;
    use http_body_util::BodyExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::UnixStream;

    /// A connection whose server writes `answer` (in pieces of `piece` bytes) once it
    /// has the request head; gives back what the server got.
    async fn run(
        req: Request<ReqBody>,
        answer: &'static [u8],
        piece: usize,
    ) -> (
        Result<(Response<()>, Vec<u8>, Option<HeaderMap>), String>,
        Vec<u8>,
    ) {
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        let server = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut b = [0u8; 1024];
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                let n = theirs.read(&mut b).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&b[..n]);
            }
            for c in answer.chunks(piece) {
                let _ = theirs.write_all(c).await;
                tokio::task::yield_now().await;
            }
            got
        });
        let io = Metered::new(Stream::Unix(ours), Side::Server, [None, None], None);
        let conn = Box::new(H1Conn::new(io, 4096, "s".into()));
        let r = match conn.exchange(&req, false).await {
            Ok(resp) => {
                let (parts, body) = resp.into_parts();
                match body.collect().await {
                    Ok(c) => {
                        let trailers = c.trailers().cloned();
                        Ok((
                            Response::from_parts(parts, ()),
                            c.to_bytes().to_vec(),
                            trailers,
                        ))
                    }
                    Err(e) => Err(e.to_string()),
                }
            }
            Err(Failure::NotSent) => Err("not sent".into()),
            Err(Failure::Broken(w)) => Err(w),
        };
        (r, server.await.unwrap())
    }

    fn get(method: &str, uri: &str) -> Request<ReqBody> {
        let mut r = Request::new(ReqBody::empty());
        *r.method_mut() = method.parse().unwrap();
        *r.uri_mut() = uri.parse().unwrap();
        r.headers_mut()
            .insert(http::header::HOST, HeaderValue::from_static("a"));
        r
    }

    #[tokio::test]
    async fn a_sized_response_in_small_pieces() {
        let (r, sent) = run(
            get("GET", "/x?y"),
            b"HTTP/1.1 200 Fine\r\nServer: t\r\nContent-Length: 5\r\n\r\nhello",
            3,
        )
        .await;
        assert_eq!(sent, b"GET /x?y HTTP/1.1\r\nhost: a\r\n\r\n");
        let (resp, body, _) = r.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["server"], "t");
        assert_eq!(body, b"hello");
        let reason = resp.extensions().get::<hyper::ext::ReasonPhrase>();
        assert_eq!(reason.map(|r| r.as_bytes()), Some(&b"Fine"[..]));
    }

    #[tokio::test]
    async fn chunked_with_trailers_after_an_interim_response() {
        let (r, _) = run(
            get("GET", "/"),
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;e=1\r\n world\r\n0\r\nGrpc-Status: 0\r\n\r\n",
            7,
        )
        .await;
        let (resp, body, trailers) = r.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .is_none());
        assert_eq!(body, b"hello world");
        assert_eq!(trailers.unwrap()["grpc-status"], "0");
    }

    #[tokio::test]
    async fn head_and_close_delimited_and_broken_bodies() {
        let (r, _) = run(
            get("HEAD", "/"),
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
            100,
        )
        .await;
        assert_eq!(r.unwrap().1, b"");
        let (r, _) = run(get("GET", "/"), b"HTTP/1.1 200 OK\r\n\r\nuntil close", 4).await;
        assert_eq!(r.unwrap().1, b"until close");
        let (r, _) = run(
            get("GET", "/"),
            b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort",
            100,
        )
        .await;
        assert!(r.is_err(), "cut short");
        let (r, _) = run(
            get("GET", "/"),
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
            100,
        )
        .await;
        assert!(r.is_err(), "bare LF in a chunk line");
        let (r, _) = run(
            get("GET", "/"),
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            100,
        )
        .await;
        assert!(r.is_err(), "two lengths");
        let (r, _) = run(get("GET", "/"), b"", 100).await;
        assert_eq!(r.err().as_deref(), Some("closed before responding"));
    }

    #[tokio::test]
    async fn a_pooled_connection_the_server_closed_is_not_used() {
        let (ours, theirs) = UnixStream::pair().unwrap();
        drop(theirs);
        tokio::task::yield_now().await;
        let io = Metered::new(Stream::Unix(ours), Side::Server, [None, None], None);
        let conn = Box::new(H1Conn::new(io, 4096, "s".into()));
        // Wait for the socket's readiness to be known.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(matches!(
            conn.exchange(&get("GET", "/"), true).await,
            Err(Failure::NotSent)
        ));
    }
}
