//! The client side of HTTP/1.x spoken by proxyd itself (the codec is
//! `proxy_core::h1::server`) for plain requests (no body, no upgrade, no `Expect`): the
//! head read and the response written in the connection's own task, with no buffer held
//! while the connection waits for its next request (reads go through one scratch buffer
//! per thread; hyper's server keeps 8 KiB to read and 8 KiB to write per connection for
//! its whole life). The first request that is not plain, or a head that does not parse,
//! hands the connection, with the bytes read so far, to hyper's server for the rest of
//! its life, which then answers exactly as before this path existed.

use super::preface::Rewind;
use super::reqbody::ReqBody;
use super::{Body, Rejected};
use bytes::{Buf, Bytes, BytesMut};
use http::header::{HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, Uri, Version};
use hyper::body::{Body as _, Incoming};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use proxy_core::h1::server::{self as codec, BodyLen, Exchange, Out, Parsed};
use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::task::Poll;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

/// How a client connection ended (what the session logs and counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Closed in order (by either side, between requests).
    Done,
    /// A request head larger than the buffer (431).
    TooLarge,
    /// A request that does not parse (400).
    Parse,
    /// hyper's own timers (none are set: kept for completeness of the mapping).
    Timeout,
    /// The client closed in the middle of a request.
    Incomplete,
    /// Anything else: a read or write error, a response that could not be sent, a
    /// request refused without an answer.
    Other,
}

impl Outcome {
    pub fn of(r: Result<(), hyper::Error>) -> Self {
        match r {
            Ok(()) => Outcome::Done,
            Err(e) if e.is_parse_too_large() => Outcome::TooLarge,
            Err(e) if e.is_parse() => Outcome::Parse,
            Err(e) if e.is_timeout() => Outcome::Timeout,
            Err(e) if e.is_incomplete_message() => Outcome::Incomplete,
            Err(_) => Outcome::Other,
        }
    }
}

/// Bytes a read asks for at most.
const SCRATCH: usize = 16 * 1024;
/// A response's bytes are sent once this many are waiting.
const WRITE_BATCH: usize = 64 * 1024;
/// A body chunk at least this large is sent from where it is, not copied.
const NO_COPY: usize = 4 * 1024;

thread_local! {
    /// Where reads land before they are kept (an idle connection holds no buffer).
    static READ_SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0u8; SCRATCH].into_boxed_slice());
    /// A written head's buffer, reused by the thread's connections.
    static WRITE_SPARE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Reads what `io` has (waiting for at least one byte) and appends it to `buf`; 0 at the
/// end of the stream.
pub async fn read_more<S: AsyncRead + Unpin>(io: &mut S, buf: &mut BytesMut) -> io::Result<usize> {
    poll_fn(|cx| {
        READ_SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            let mut rb = ReadBuf::new(&mut s[..]);
            match Pin::new(&mut *io).poll_read(cx, &mut rb) {
                Poll::Ready(Ok(())) => {
                    buf.extend_from_slice(rb.filled());
                    Poll::Ready(Ok(rb.filled().len()))
                }
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            }
        })
    })
    .await
}

fn take_spare() -> Vec<u8> {
    WRITE_SPARE.with(|s| std::mem::take(&mut *s.borrow_mut()))
}

fn give_back(mut v: Vec<u8>) {
    if v.capacity() <= WRITE_BATCH * 2 {
        v.clear();
        WRITE_SPARE.with(|s| *s.borrow_mut() = v);
    }
}

/// What a request in this connection needs to be served.
///
/// The request is boxed: it passes through several async steps (the handler, the
/// server exchange) and by value each would copy its ~400 bytes into its own state,
/// which under many connections is memory out of the cache (measured under
/// callgrind's cache model with a 2 MiB L2 at 1000 connections: 150 -> 87 lines
/// written outside the cache per request, 27 400 -> 25 900 instructions).
pub trait Call: Clone + Send + 'static {
    type Fut: Future<Output = Result<Response<Body>, Rejected>> + Send + 'static;
    fn call(&self, req: Box<Request<ReqBody>>, upgrade: Option<OnUpgrade>) -> Self::Fut;
}

impl<F, Fut> Call for F
where
    F: Fn(Box<Request<ReqBody>>, Option<OnUpgrade>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Response<Body>, Rejected>> + Send + 'static,
{
    type Fut = Fut;
    fn call(&self, req: Box<Request<ReqBody>>, upgrade: Option<OnUpgrade>) -> Fut {
        self(req, upgrade)
    }
}

/// A request as hyper reads it, in the form the request handler takes.
pub fn from_hyper(mut req: Request<Incoming>) -> (Box<Request<ReqBody>>, Option<OnUpgrade>) {
    let up =
        super::wants_upgrade(req.version(), req.headers()).then(|| hyper::upgrade::on(&mut req));
    (Box::new(req.map(ReqBody::streamed)), up)
}

/// Serves the connection until it ends.
pub async fn serve<S, C>(
    mut io: Rewind<S>,
    max_head: usize,
    keep_alive: bool,
    call: C,
    fallback: hyper::server::conn::http1::Builder,
) -> Outcome
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    C: Call,
{
    let mut buf = BytesMut::new();
    loop {
        let head = loop {
            if !buf.is_empty() {
                match codec::parse_request(&buf, max_head) {
                    Parsed::Plain(h) => break h,
                    Parsed::Partial => {}
                    Parsed::Other => return Box::pin(hand_off(io, buf, call, fallback)).await,
                }
            }
            match read_more(&mut io, &mut buf).await {
                Ok(0) if buf.is_empty() => return Outcome::Done,
                Ok(0) => return Outcome::Incomplete,
                Ok(_) => {}
                Err(e) => {
                    tracing::debug!("client read: {e}");
                    return Outcome::Other;
                }
            }
        };
        let raw = buf.split_to(head.len).freeze();
        // Nothing pipelined behind: the buffer goes with the request (a read allocates anew).
        if buf.is_empty() {
            buf = BytesMut::new();
        }
        let Some(req) = request(&raw, &head) else {
            // The codec took a head `http` refuses: hyper reads it again and answers.
            let mut back = BytesMut::from(&raw[..]);
            back.extend_from_slice(&buf);
            return Box::pin(hand_off(io, back, call, fallback)).await;
        };
        drop(raw);
        let x = Exchange {
            http10: !head.http11,
            head: req.method() == Method::HEAD,
            keep_alive: keep_alive && head.keep_alive,
        };
        // Not boxed: moving the request's state into a box costs more than the room it
        // takes here (a connection under load has a request in flight most of the time).
        let resp = match call.call(req, None).await {
            Ok(r) => r,
            Err(Rejected) => return Outcome::Other,
        };
        match respond(&mut io, resp, &x).await {
            Ok(true) => {}
            Ok(false) => {
                let _ = io.shutdown().await;
                return Outcome::Done;
            }
            Err(e) => {
                tracing::debug!("client write: {e}");
                return Outcome::Other;
            }
        }
    }
}

/// The rest of the connection through hyper's server, `buf` read first.
async fn hand_off<S, C>(
    mut io: Rewind<S>,
    buf: BytesMut,
    call: C,
    fallback: hyper::server::conn::http1::Builder,
) -> Outcome
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    C: Call,
{
    io.unread(buf.freeze());
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let (req, up) = from_hyper(req);
        call.call(req, up)
    });
    Outcome::of(
        fallback
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades()
            .await,
    )
}

/// The request `http` makes of a plain head (None if it refuses a part of it).
fn request(raw: &Bytes, head: &codec::Request) -> Option<Box<Request<ReqBody>>> {
    let method = Method::from_bytes(&raw[head.method.clone()]).ok()?;
    let uri = Uri::from_maybe_shared(raw.slice(head.target.clone())).ok()?;
    // Room for the fields a proxy adds (X-Forwarded-For, set-header rules, an id): the
    // map would otherwise grow, rehashing, at the first ones.
    let mut headers = HeaderMap::with_capacity(head.fields.len() + 4);
    for f in &head.fields {
        let name = HeaderName::from_bytes(&raw[f.name.clone()]).ok()?;
        let value = HeaderValue::from_maybe_shared(raw.slice(f.value.clone())).ok()?;
        headers.append(name, value);
    }
    let mut req = Request::new(ReqBody::empty());
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    *req.version_mut() = if head.http11 {
        Version::HTTP_11
    } else {
        Version::HTTP_10
    };
    *req.headers_mut() = headers;
    Some(Box::new(req))
}

/// Writes the response; true if the connection can take another request.
async fn respond<S: AsyncWrite + Unpin>(
    io: &mut S,
    resp: Response<Body>,
    x: &Exchange,
) -> io::Result<bool> {
    let (parts, mut body) = resp.into_parts();
    let len = if body.is_end_stream() {
        BodyLen::Empty
    } else {
        match body.size_hint().exact() {
            Some(n) => BodyLen::Known(n),
            None => BodyLen::Unknown,
        }
    };
    let reason = match parts.extensions.get::<hyper::ext::ReasonPhrase>() {
        Some(r) => r.as_bytes(),
        None => parts
            .status
            .canonical_reason()
            .unwrap_or("<none>")
            .as_bytes(),
    };
    let mut out = take_spare();
    let fields = || {
        parts
            .headers
            .iter()
            .map(|(n, v)| (n.as_str().as_bytes(), v.as_bytes()))
    };
    let enc = match codec::encode_response_head(
        &mut out,
        (parts.status.as_u16(), reason),
        x,
        len,
        fields,
    ) {
        Ok(e) => e,
        Err(e) => {
            tracing::warn!("response not sent, connection closed: {e}");
            return Ok(false);
        }
    };
    let r = send_body(io, &mut out, &mut body, enc.out).await;
    // The body (and what it logs when it ends) goes before the connection reads on.
    drop(body);
    give_back(out);
    r.map(|()| enc.keep_alive)
}

/// Sends the head waiting in `out`, then the body as `framing` says.
async fn send_body<S: AsyncWrite + Unpin>(
    io: &mut S,
    out: &mut Vec<u8>,
    body: &mut Body,
    framing: Out,
) -> io::Result<()> {
    let mut left = match framing {
        Out::Length(0) => {
            io.write_all(out).await?;
            return io.flush().await;
        }
        Out::Length(n) => Some(n),
        Out::Chunked | Out::UntilClose => None,
    };
    loop {
        // A frame ready now goes with what waits; otherwise what waits is sent first.
        let frame = match poll_fn(|cx| Poll::Ready(Pin::new(&mut *body).poll_frame(cx))).await {
            Poll::Ready(f) => f,
            Poll::Pending => {
                if !out.is_empty() {
                    io.write_all(out).await?;
                    io.flush().await?;
                    out.clear();
                }
                poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await
            }
        };
        let mut data = match frame {
            None => break,
            Some(Err(e)) => return Err(io::Error::other(e)),
            Some(Ok(f)) => match f.into_data() {
                Ok(d) => d,
                // Trailers: not sent (the client did not ask for them: `TE` goes the other way).
                Err(_) => continue,
            },
        };
        if data.is_empty() {
            continue;
        }
        if let Some(l) = left.as_mut() {
            let n = data.len() as u64;
            if n > *l {
                return Err(io::Error::other("body longer than its Content-Length"));
            }
            *l -= n;
        }
        if framing == Out::Chunked {
            codec::chunk_size_line(out, data.len());
        }
        if data.len() >= NO_COPY {
            write_two(io, out, &mut data).await?;
            out.clear();
        } else {
            out.extend_from_slice(&data);
        }
        if framing == Out::Chunked {
            out.extend_from_slice(b"\r\n");
        }
        if out.len() >= WRITE_BATCH {
            io.write_all(out).await?;
            out.clear();
        }
    }
    if left.is_some_and(|l| l > 0) {
        return Err(io::Error::other("body shorter than its Content-Length"));
    }
    if framing == Out::Chunked {
        out.extend_from_slice(codec::LAST_CHUNK);
    }
    if !out.is_empty() {
        io.write_all(out).await?;
    }
    io.flush().await
}

/// Writes `a` then `b` with as few calls as the stream allows.
async fn write_two<S: AsyncWrite + Unpin>(io: &mut S, a: &[u8], b: &mut Bytes) -> io::Result<()> {
    let mut a = a;
    while !a.is_empty() {
        let n = poll_fn(|cx| {
            Pin::new(&mut *io).poll_write_vectored(cx, &[io::IoSlice::new(a), io::IoSlice::new(b)])
        })
        .await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        let from_a = n.min(a.len());
        a = &a[from_a..];
        b.advance(n - from_a);
    }
    io.write_all(b).await
}
