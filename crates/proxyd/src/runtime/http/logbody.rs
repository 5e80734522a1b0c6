//! The log line of an HTTP request, written when its response has gone to the client:
//! the response body is wrapped so that its end (or the client leaving before it) writes
//! the line with the byte count and the active time.

use super::super::backend::BackendRt;
use super::super::frontend::FrontendRt;
use super::super::inspect::{ContentSample, Ctx};
use super::super::logline::{Line, LogSample, Logged, Record};
use super::super::Conn;
use super::sample::{ReqSample, TxnInfo};
use super::{Body, TxnStores};
use bytes::Bytes;
use hyper::body::Frame;
use proxy_core::log::{Cause, Phase};
use proxy_core::sample::vars::Scopes;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::time::Instant;

/// What writing the line needs once the response is through.
pub struct Job {
    pub fe: Arc<FrontendRt>,
    pub be: Option<Arc<BackendRt>>,
    pub conn: Arc<Conn>,
    pub stores: Arc<TxnStores>,
    /// The request as received, for `%[...]` fetches (kept only when the format has any).
    pub view: Option<http::request::Parts>,
    pub info: Option<TxnInfo>,
    pub rec: Record,
    pub t0: Instant,
    pub head_bytes: u64,
}

impl Job {
    /// Write the line now.
    pub fn finish(mut self, body_bytes: u64) {
        let Some(plan) = &self.fe.log else {
            return;
        };
        let Line::Fmt(fmt) = &plan.line else {
            return;
        };
        let r = &mut self.rec;
        r.t_active = self.t0.elapsed().as_millis() as i64;
        r.t_total = r.t_active;
        r.bytes_out = self.head_bytes + body_bytes;
        let be = self.be.as_deref();
        let srv = r
            .server
            .as_ref()
            .and_then(|(n, _)| be.and_then(|b| b.servers.iter().find(|s| &s.name == n)));
        let actconn: u32 = super::super::stats::FRONTENDS
            .get()
            .map(|f| f.iter().map(|f| f.counters.current()).sum())
            .unwrap_or(0);
        r.counts = [
            actconn,
            self.fe.counters.current(),
            be.map(|b| b.counters.current()).unwrap_or(0),
            srv.map(|s| s.counters.current()).unwrap_or(0),
            0,
            be.map(|b| b.counters.queued()).unwrap_or(0),
        ];
        if plan.dontlog_normal && !r.is_error() {
            return;
        }
        let level = if plan.separate_errors && r.is_error() {
            proxy_core::log::ERR
        } else {
            proxy_core::log::INFO
        };
        let ctx = Ctx::new(&self.fe, be);
        let logged = Logged {
            r,
            conn: &self.conn,
            ctx,
        };
        let line = match (&self.view, &self.info) {
            (Some(view), Some(info)) => {
                let scopes = Scopes {
                    proc: &super::super::PROC_VARS,
                    sess: None,
                    txn: Some(&self.stores.txn),
                    req: None,
                    res: Some(&self.stores.res),
                    check: None,
                };
                let s = ReqSample::of(view, &self.conn, ctx).with(scopes, info);
                let s = LogSample { inner: &s, r };
                proxy_core::sample::fmt::render_log(fmt, &s, &logged)
            }
            _ => {
                // No request kept (or none came): what the connection offers.
                let s = ContentSample::new(ctx, &self.conn, &[], &[], true);
                let s = LogSample { inner: &s, r };
                proxy_core::sample::fmt::render_log(fmt, &s, &logged)
            }
        };
        plan.send(level, &line);
    }
}

/// The line of a connection that ended without a whole request (HAProxy logs these from
/// the connection: no request, no backend, the status it answered).
pub fn connection_error(
    fe: &Arc<FrontendRt>,
    conn: Arc<Conn>,
    t0: Instant,
    status: u16,
    cause: Cause,
) {
    let now = super::super::clock::wall();
    let mut rec = Record::new(now.checked_sub(t0.elapsed()).unwrap_or(now));
    rec.t_req = -1;
    rec.status = Some(status);
    rec.cause = cause;
    rec.phase = Phase::Request;
    Job {
        fe: fe.clone(),
        be: None,
        conn,
        stores: Arc::new(TxnStores::default()),
        view: None,
        info: None,
        rec,
        t0,
        head_bytes: 0,
    }
    .finish(0);
}

/// The byte count HAProxy logs (`%B`) for a response head: it counts its internal
/// representation, not the wire: 21 bytes of fixed overhead, the start line's three
/// strings, and each header's name and value (measured: a head of N headers is
/// 21 + version + status + reason + the names and values). Connection headers are not
/// part of the message there; the content-length hyper adds is.
pub fn head_len(p: &http::response::Parts, body_len: Option<u64>) -> u64 {
    let reason = p
        .extensions
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| r.as_bytes().len())
        .or_else(|| p.status.canonical_reason().map(str::len))
        .unwrap_or(0);
    let mut n = 21 + 8 + 3 + reason as u64;
    for (k, v) in &p.headers {
        if k == http::header::CONNECTION {
            continue;
        }
        n += (k.as_str().len() + v.len()) as u64;
    }
    let framed = p.headers.contains_key(http::header::CONTENT_LENGTH)
        || p.headers.contains_key(http::header::TRANSFER_ENCODING);
    if !framed {
        n += match body_len {
            Some(len) => ("content-length".len() + len.to_string().len()) as u64,
            None => ("transfer-encoding".len() + "chunked".len()) as u64,
        };
    }
    n
}

/// The response body, counting what goes out, and the line once it has all gone.
pub struct LogBody {
    inner: Option<Body>,
    job: Option<Job>,
    sent: u64,
}

impl LogBody {
    pub fn new(inner: Body, job: Job) -> LogBody {
        LogBody {
            inner: Some(inner),
            job: Some(job),
            sent: 0,
        }
    }

    fn finish(&mut self, cause: Option<(Cause, Phase)>) {
        // The server's connection goes back first, as HAProxy counts it (`%bc`, `%sc`).
        self.inner = None;
        if let Some(mut job) = self.job.take() {
            if let Some((c, p)) = cause {
                if job.rec.cause == Cause::Normal {
                    (job.rec.cause, job.rec.phase) = (c, p);
                }
            }
            job.finish(self.sent);
        }
    }
}

impl hyper::body::Body for LogBody {
    type Data = Bytes;
    type Error = super::BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, super::BodyError>>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(f))) => {
                if let Some(d) = f.data_ref() {
                    self.sent += d.len() as u64;
                }
                Poll::Ready(Some(Ok(f)))
            }
            Poll::Ready(Some(Err(e))) => {
                // The server stopped (or went quiet) in the middle of its response.
                let cause = match e {
                    super::BodyError::ServerTimeout => Cause::ServerTimeout,
                    super::BodyError::Hyper(_) | super::BodyError::Server(_) => Cause::Server,
                    super::BodyError::Compression => Cause::Internal,
                };
                self.finish(Some((cause, Phase::Data)));
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) => {
                self.finish(None);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(|b| b.is_end_stream())
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner
            .as_ref()
            .map(|b| b.size_hint())
            .unwrap_or_else(|| hyper::body::SizeHint::with_exact(0))
    }
}

impl Drop for LogBody {
    fn drop(&mut self) {
        if self.job.is_none() {
            return;
        }
        // hyper may stop polling once the body says it has ended; dropped before its
        // end, the client went away during the data.
        let complete = self
            .inner
            .as_ref()
            .is_none_or(hyper::body::Body::is_end_stream);
        self.finish((!complete).then_some((Cause::Client, Phase::Data)));
    }
}
