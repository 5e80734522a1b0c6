//! HTTP/2 towards clients, on the `h2` crate directly: the connection and all its streams'
//! requests run in the connection's own task. hyper's server adds a task per stream, an
//! adapter of the socket to its own I/O traits and a second pass over every response's
//! headers (measured under callgrind: about 4 500 of the 42 000 instructions an HTTP/2
//! request cost through it); the protocol itself (framing, HPACK, flow control, the
//! stream states and limits) is the same `h2` crate's either way.

use super::h1serve::{Call, Outcome};
use super::plan;
use super::preface::Rewind;
use super::reqbody::ReqBody;
use super::upstream::H2Tune;
use super::Body;
use bytes::Bytes;
use futures_util::stream::{FuturesUnordered, StreamExt};
use h2::server::SendResponse;
use h2::{Reason, RecvStream, SendStream};
use http::{Request, Response};
use hyper::body::Body as _;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};

/// The connection-level receive window: hyper's server default, which proxyd had until
/// this module (the protocol's 65 535 would stall uploads on several streams at once).
const CONN_WINDOW: u32 = 1024 * 1024;

/// Serves an HTTP/2 connection until it ends. A soft stop sends GOAWAY: the streams
/// already opened are answered, later ones refused (the client sends them again on a new
/// connection, to the process taking over), then the connection ends.
pub async fn serve<S, C>(io: Rewind<S>, tune: H2Tune, max_head: usize, call: C) -> Outcome
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    C: Call,
{
    let mut b = h2::server::Builder::new();
    b.max_concurrent_streams(tune.max_concurrent_streams)
        .initial_window_size(tune.initial_window_size)
        .initial_connection_window_size(CONN_WINDOW)
        .header_table_size(tune.header_table_size)
        .max_frame_size(tune.max_frame_size)
        .max_header_list_size(u32::try_from(max_head).unwrap_or(u32::MAX));
    let mut conn = match b.handshake::<_, Bytes>(io).await {
        Ok(c) => c,
        Err(e) => {
            tracing::debug!("HTTP/2 handshake: {e}");
            return Outcome::Other;
        }
    };
    let mut streams = FuturesUnordered::new();
    let mut stop = pin!(super::super::gate::Gated::new(
        super::super::stopping::wait()
    ));
    let mut stopping = false;
    let mut accepting = true;
    let r = poll_fn(|cx| {
        if !stopping && stop.as_mut().poll(cx).is_ready() {
            stopping = true;
            conn.graceful_shutdown();
        }
        loop {
            // The streams first: what they answer is queued, then written by the
            // connection's poll below, several answers in one write.
            while let Poll::Ready(Some(())) = streams.poll_next_unpin(cx) {}
            if !accepting {
                // The client is gone or the connection failed; what is left only runs
                // to its end (its requests logged), nothing more is written.
                return if streams.is_empty() {
                    Poll::Ready(Ok(()))
                } else {
                    Poll::Pending
                };
            }
            match conn.poll_accept(cx) {
                Poll::Ready(Some(Ok((req, respond)))) => {
                    let call = call.clone();
                    streams.push(super::pinned_box(|| stream(req, respond, call)));
                }
                Poll::Ready(Some(Err(e))) => {
                    accepting = false;
                    if streams.is_empty() {
                        return Poll::Ready(Err(e));
                    }
                    tracing::debug!("HTTP/2 connection: {e}");
                }
                Poll::Ready(None) => accepting = false,
                Poll::Pending => return Poll::Pending,
            }
        }
    })
    .await;
    match r {
        Ok(()) => Outcome::Done,
        Err(e) => {
            tracing::debug!("HTTP/2 connection: {e}");
            Outcome::Other
        }
    }
}

/// One stream: its request handled, its answer sent. A client that resets the stream
/// before the answer ends the handling (as hyper's server did).
async fn stream<C: Call>(req: Request<RecvStream>, mut respond: SendResponse<Bytes>, call: C) {
    let (parts, body) = req.into_parts();
    let len = plan::content_length(&parts.headers);
    let req = Box::new(Request::from_parts(parts, ReqBody::h2(body, len)));
    let answer = {
        let mut fut = pin!(call.call(req, None));
        poll_fn(|cx| match fut.as_mut().poll(cx) {
            Poll::Ready(r) => Poll::Ready(Some(r)),
            Poll::Pending => match respond.poll_reset(cx) {
                Poll::Ready(_) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            },
        })
        .await
    };
    let resp = match answer {
        Some(Ok(r)) => r,
        // `http-request reject`: the stream is refused without an answer.
        Some(Err(_)) => return respond.send_reset(Reason::INTERNAL_ERROR),
        None => return,
    };
    let (mut head, body) = resp.into_parts();
    connection_free(&mut head.headers);
    let end = body.is_end_stream();
    if !end && !head.headers.contains_key(http::header::CONTENT_LENGTH) {
        if let Some(n) = body.size_hint().exact() {
            head.headers
                .insert(http::header::CONTENT_LENGTH, http::HeaderValue::from(n));
        }
    }
    match respond.send_response(Response::from_parts(head, ()), end) {
        Ok(tx) if !end => Pipe::new(body, tx).await,
        Ok(_) => {}
        Err(e) => tracing::debug!("HTTP/2 response: {e}"),
    }
}

/// HTTP/2 carries no connection-specific fields (RFC 9113 8.2.2): they are taken out of
/// an answer (the `h2` crate refuses to send one that has any).
fn connection_free(h: &mut http::HeaderMap) {
    plan::strip_hop_by_hop(h);
    h.remove(http::header::TRANSFER_ENCODING);
}

/// A response body sent as DATA frames (then trailers, if any) as the stream's flow
/// control allows.
struct Pipe {
    body: Body,
    tx: SendStream<Bytes>,
    /// A chunk read from the body, waiting for the stream's send window.
    waiting: Option<(Bytes, bool)>,
}

impl Pipe {
    fn new(body: Body, tx: SendStream<Bytes>) -> Self {
        Pipe {
            body,
            tx,
            waiting: None,
        }
    }
}

impl Future for Pipe {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let me = &mut *self;
        loop {
            // Told of a reset while waiting for the body or for the window.
            if me.tx.poll_reset(cx).is_ready() {
                return Poll::Ready(());
            }
            if let Some((data, eos)) = me.waiting.take() {
                if me.tx.capacity() == 0 {
                    match me.tx.poll_capacity(cx) {
                        Poll::Pending => {
                            me.waiting = Some((data, eos));
                            return Poll::Pending;
                        }
                        Poll::Ready(Some(Ok(_))) => {
                            me.waiting = Some((data, eos));
                            continue;
                        }
                        Poll::Ready(Some(Err(_)) | None) => return Poll::Ready(()),
                    }
                }
                // The crate holds what exceeds the window and sends it as it opens.
                if me.tx.send_data(data, eos).is_err() || eos {
                    return Poll::Ready(());
                }
                continue;
            }
            match ready!(Pin::new(&mut me.body).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => {
                        let eos = me.body.is_end_stream();
                        if eos {
                            // The body's last bytes, in hand already: the crate holds them
                            // until the window opens (nothing more to read, so nothing to
                            // hold back).
                            let _ = me.tx.send_data(data, true);
                            return Poll::Ready(());
                        }
                        if data.is_empty() {
                            continue;
                        }
                        // Ask for one byte, not the chunk: a claim on the connection's
                        // window by a stream with nothing to send could stall the others.
                        me.tx.reserve_capacity(1);
                        me.waiting = Some((data, eos));
                    }
                    Err(frame) => {
                        if let Ok(t) = frame.into_trailers() {
                            me.tx.reserve_capacity(0);
                            let _ = me.tx.send_trailers(t);
                            return Poll::Ready(());
                        }
                    }
                },
                Some(Err(e)) => {
                    tracing::debug!("HTTP/2 response body: {e}");
                    me.tx.send_reset(Reason::INTERNAL_ERROR);
                    return Poll::Ready(());
                }
                None => {
                    let _ = me.tx.send_data(Bytes::new(), true);
                    return Poll::Ready(());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_loses_its_connection_specific_fields() {
        let mut h = http::HeaderMap::new();
        for (n, v) in [
            ("connection", "close"),
            ("keep-alive", "timeout=5"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "websocket"),
            ("proxy-connection", "close"),
            ("te", "trailers"),
            ("content-type", "text/plain"),
            ("x-kept", "1"),
        ] {
            h.append(
                http::HeaderName::from_static(n),
                http::HeaderValue::from_static(v),
            );
        }
        connection_free(&mut h);
        let mut left: Vec<&str> = h.keys().map(|k| k.as_str()).collect();
        left.sort_unstable();
        assert_eq!(left, ["content-type", "x-kept"]);
    }
}
