//! A stream that counts the bytes through it into the proxies' counters and marks its
//! session active, so that byte counts and inactivity timeouts need no help from the
//! protocol code (hyper) on top of it.

use super::idle::Activity;
use proxy_core::counters::Counters;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Which end of the proxy a stream is: bytes read from a client are "in", bytes read from
/// a server are "out" (HAProxy's bin / bout are seen from the client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

pub struct Metered<S> {
    inner: S,
    side: Side,
    counters: [Option<Arc<Counters>>; 2],
    activity: Option<Arc<Activity>>,
}

impl<S> Metered<S> {
    pub fn new(
        inner: S,
        side: Side,
        counters: [Option<Arc<Counters>>; 2],
        activity: Option<Arc<Activity>>,
    ) -> Self {
        Metered {
            inner,
            side,
            counters,
            activity,
        }
    }

    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    fn moved(&self, n: usize, read: bool) {
        if n == 0 {
            return;
        }
        if let Some(a) = &self.activity {
            if read {
                a.touch_read();
            } else {
                a.touch();
            }
        }
        let inbound = read == (self.side == Side::Client);
        for c in self.counters.iter().flatten() {
            if inbound {
                c.bytes_in(n as u64);
            } else {
                c.bytes_out(n as u64);
            }
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Metered<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r {
            let n = buf.filled().len() - before;
            self.moved(n, true);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Metered<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = r {
            self.moved(n, false);
        }
        r
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if let Poll::Ready(Ok(n)) = r {
            self.moved(n, false);
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
