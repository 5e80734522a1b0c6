//! The request body on its way to the server: streamed as the client sends it, or with
//! its first bytes read ahead for rules that look at it (`req.body*`, `wait-for-body`,
//! `option http-buffer-request`) and sent before the rest.

use bytes::{Bytes, BytesMut};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use std::future::poll_fn;
use std::sync::Arc;

use super::super::idle::Activity;

/// What "arrived already" means: hyper reads a body only once it is asked for, so the
/// bytes that came with the head (what HAProxy has in its buffer) take a moment.
const AVAILABLE: Duration = Duration::from_millis(10);
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// The body a server is sent.
pub struct ReqBody {
    /// Bytes read ahead, sent first.
    head: Option<Bytes>,
    /// Trailers read ahead (a body read to its end).
    trailers: Option<http::HeaderMap>,
    /// What the client has not sent yet (none once it ended).
    rest: Option<Source>,
    /// The client failed the body while it was read ahead: the server is told so after
    /// the bytes before it, never sent a body that looks whole.
    error: Option<ClientBodyError>,
    /// Told of each frame taken for the server (a stream's own `timeout server` on a
    /// shared HTTP/2 server connection: see `upstream::attempt`).
    moved: Option<Arc<Activity>>,
}

/// How the client's body failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientBodyError {
    #[error("{0}")]
    Hyper(#[from] hyper::Error),
    #[error("{0}")]
    H2(#[from] h2::Error),
}

/// Where the rest of the body comes from: an HTTP/1.x connection (hyper's reader) or an
/// HTTP/2 stream.
enum Source {
    H1(Incoming),
    H2(H2Recv),
}

/// An HTTP/2 stream's body: each DATA frame given back to the client's window as it is
/// taken, then the trailers.
struct H2Recv {
    recv: h2::RecvStream,
    /// `Content-Length` less what has come (the size hint).
    left: Option<u64>,
    data_done: bool,
}

impl H2Recv {
    fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, h2::Error>>> {
        // A reset with NO_ERROR ends the body early without failing it (RFC 9113 8.1: the
        // server answered before the whole request).
        let early_end = |e: &h2::Error| e.reason() == Some(h2::Reason::NO_ERROR);
        if !self.data_done {
            match std::task::ready!(self.recv.poll_data(cx)) {
                Some(Ok(b)) => {
                    let _ = self.recv.flow_control().release_capacity(b.len());
                    if let Some(l) = &mut self.left {
                        *l = l.saturating_sub(b.len() as u64);
                    }
                    return Poll::Ready(Some(Ok(Frame::data(b))));
                }
                Some(Err(e)) if early_end(&e) => return Poll::Ready(None),
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => self.data_done = true,
            }
        }
        match std::task::ready!(self.recv.poll_trailers(cx)) {
            Ok(t) => Poll::Ready(t.map(|t| Ok(Frame::trailers(t)))),
            Err(e) if early_end(&e) => Poll::Ready(None),
            Err(e) => Poll::Ready(Some(Err(e))),
        }
    }
}

impl Source {
    fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, ClientBodyError>>> {
        match self {
            Source::H1(b) => Pin::new(b)
                .poll_frame(cx)
                .map(|f| f.map(|r| r.map_err(ClientBodyError::from))),
            Source::H2(b) => b
                .poll_frame(cx)
                .map(|f| f.map(|r| r.map_err(ClientBodyError::from))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Source::H1(b) => b.is_end_stream(),
            Source::H2(b) => b.recv.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Source::H1(b) => b.size_hint(),
            Source::H2(b) => b.left.map_or_else(SizeHint::default, SizeHint::with_exact),
        }
    }
}

impl ReqBody {
    fn of(rest: Source) -> Self {
        ReqBody {
            head: None,
            trailers: None,
            rest: Some(rest),
            error: None,
            moved: None,
        }
    }

    /// An HTTP/1.x request's body, as hyper reads it.
    pub fn streamed(body: Incoming) -> Self {
        Self::of(Source::H1(body))
    }

    /// An HTTP/2 stream's body (`len`: its `Content-Length`).
    pub fn h2(recv: h2::RecvStream, len: Option<u64>) -> Self {
        Self::of(Source::H2(H2Recv {
            recv,
            left: len,
            data_done: false,
        }))
    }

    /// Takes in the body bytes the client has sent already (up to `limit`), so that a
    /// framing error in them (a bad chunk size, say) refuses the request before anything
    /// of it reaches a server, as HAProxy refuses what it has parsed in one go. Lets the
    /// connection's reader run once if nothing is there yet; never waits for the client.
    pub async fn settle(&mut self, limit: usize) -> Result<(), ClientBodyError> {
        let Some(rest) = self.rest.as_mut() else {
            return Ok(());
        };
        let mut got = BytesMut::new();
        if let Some(h) = self.head.take() {
            got.extend_from_slice(&h);
        }
        let mut yielded = false;
        let mut ended = false;
        let mut failed = None;
        while got.len() < limit {
            let p = poll_fn(|cx| Poll::Ready(rest.poll_frame(cx))).await;
            match p {
                Poll::Ready(Some(Ok(f))) => match f.into_data() {
                    Ok(d) => got.extend_from_slice(&d),
                    Err(f) => {
                        if let Ok(t) = f.into_trailers() {
                            self.trailers = Some(t);
                        }
                    }
                },
                Poll::Ready(Some(Err(e))) => {
                    failed = Some(e);
                    break;
                }
                Poll::Ready(None) => {
                    ended = true;
                    break;
                }
                Poll::Pending if yielded => break,
                Poll::Pending => {
                    tokio::task::yield_now().await;
                    yielded = true;
                }
            }
        }
        if ended || failed.is_some() {
            self.rest = None;
        }
        self.head = (!got.is_empty()).then(|| got.freeze());
        match failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// No body (a request sent again whole).
    pub fn empty() -> Self {
        ReqBody {
            head: None,
            trailers: None,
            rest: None,
            error: None,
            moved: None,
        }
    }

    /// The same body, telling `a` of each frame it gives.
    pub fn touching(mut self, a: Arc<Activity>) -> Self {
        self.moved = Some(a);
        self
    }
}

/// How long to wait for the body before the rules run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Only what has arrived already (HAProxy's "available body").
    None,
    /// Up to `time`, or until `at_least` bytes (0: the whole body), the body ends, or
    /// `limit` bytes are held.
    For { time: Duration, at_least: usize },
}

/// What reading ahead gave.
pub struct ReadAhead {
    /// The bytes read (at most the limit).
    pub bytes: Bytes,
    /// The body to send on (those bytes first).
    pub body: ReqBody,
    /// A `Wait::For` ran out before it had what it waited for (HAProxy answers 408).
    pub timed_out: bool,
}

/// Read the body ahead as `wait` says, keeping at most `limit` bytes. A client error
/// ends the reading; what came before it is kept, and the server sees the error when
/// the body is sent on.
pub async fn read_ahead(body: ReqBody, wait: Wait, limit: usize) -> ReadAhead {
    let ReqBody {
        head,
        trailers,
        rest,
        error,
        moved,
    } = body;
    let mut got = BytesMut::new();
    if let Some(h) = head {
        got.extend_from_slice(&h);
    }
    let Some(mut rest) = rest else {
        let bytes = got.freeze();
        return ReadAhead {
            bytes: bytes.clone(),
            body: ReqBody {
                head: Some(bytes),
                trailers,
                rest: None,
                error,
                moved,
            },
            timed_out: false,
        };
    };
    let enough = |got: &BytesMut| match wait {
        Wait::For { at_least, .. } if at_least > 0 => got.len() >= at_least.min(limit),
        _ => got.len() >= limit,
    };
    let (mut trailers, mut error, mut timed_out) = (trailers, error, false);
    let mut ended = rest.is_end_stream();
    let deadline = tokio::time::Instant::now()
        + match wait {
            Wait::For { time, .. } => time,
            Wait::None => AVAILABLE,
        };
    while !ended && !enough(&got) {
        let next = poll_fn(|cx| rest.poll_frame(cx));
        match tokio::time::timeout_at(deadline, next).await {
            Ok(Some(Ok(f))) => match f.into_data() {
                Ok(d) => got.extend_from_slice(&d),
                Err(f) => {
                    if let Ok(t) = f.into_trailers() {
                        trailers = Some(t);
                    }
                }
            },
            Ok(None) => ended = true,
            Ok(Some(Err(e))) => {
                error = Some(e);
                ended = true;
            }
            Err(_) => {
                timed_out = matches!(wait, Wait::For { .. });
                break;
            }
        }
        ended = ended || rest.is_end_stream();
    }
    let bytes = got.freeze();
    let kept = bytes.slice(..bytes.len().min(limit));
    ReadAhead {
        bytes: kept,
        body: ReqBody {
            head: (!bytes.is_empty()).then_some(bytes),
            trailers,
            rest: (!ended).then_some(rest),
            error,
            moved,
        },
        timed_out,
    }
}

impl Body for ReqBody {
    type Data = Bytes;
    type Error = ClientBodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, ClientBodyError>>> {
        let next = if let Some(h) = self.head.take() {
            Poll::Ready(Some(Ok(Frame::data(h))))
        } else if let Some(e) = self.error.take() {
            return Poll::Ready(Some(Err(e)));
        } else {
            match self.rest.as_mut() {
                Some(r) => r.poll_frame(cx),
                None => Poll::Ready(self.trailers.take().map(|t| Ok(Frame::trailers(t)))),
            }
        };
        if let (Poll::Ready(Some(Ok(_))), Some(a)) = (&next, &self.moved) {
            a.touch();
        }
        next
    }

    fn is_end_stream(&self) -> bool {
        self.head.is_none()
            && self.trailers.is_none()
            && self.error.is_none()
            && self.rest.as_ref().is_none_or(|r| r.is_end_stream())
    }

    fn size_hint(&self) -> SizeHint {
        let head = self.head.as_ref().map_or(0, |h| h.len() as u64);
        match &self.rest {
            Some(r) => {
                let h = r.size_hint();
                let mut out = SizeHint::new();
                out.set_lower(h.lower() + head);
                if let Some(u) = h.upper() {
                    out.set_upper(u + head);
                }
                out
            }
            None => SizeHint::with_exact(head),
        }
    }
}
