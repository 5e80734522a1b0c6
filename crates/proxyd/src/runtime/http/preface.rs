//! Which HTTP a clear-text client speaks: HTTP/2 "prior knowledge" starts with a fixed
//! preface, anything else is HTTP/1.x (HAProxy tells them apart the same way on a bind
//! without `proto`). The bytes read to decide are given back to the protocol first.

use bytes::Bytes;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// RFC 9113 3.4.
const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Whether `seen` (the first bytes of a connection) is the HTTP/2 preface (`Some(true)`),
/// cannot be (`Some(false)`), or may still be (`None`: read more).
pub fn verdict(seen: &[u8]) -> Option<bool> {
    let n = seen.len().min(PREFACE.len());
    if seen[..n] != PREFACE[..n] {
        Some(false)
    } else if n == PREFACE.len() {
        Some(true)
    } else {
        None
    }
}

/// Reads the first bytes of `io` until it is clear whether they begin the HTTP/2 preface
/// (one read for nearly every client); end of stream or an error counts as HTTP/1.x, for
/// the HTTP/1 side to report.
pub async fn detect<S: AsyncRead + Unpin>(mut io: S) -> (Rewind<S>, bool) {
    // Read through the thread's scratch buffer: a buffer here would be part of every
    // connection's state for its whole life.
    let mut seen = bytes::BytesMut::new();
    let h2 = loop {
        match super::h1serve::read_more(&mut io, &mut seen).await {
            Ok(0) | Err(_) => break false,
            Ok(_) => {
                if let Some(v) = verdict(&seen) {
                    break v;
                }
            }
        }
    };
    (
        Rewind {
            pre: (!seen.is_empty()).then(|| seen.freeze()),
            inner: io,
        },
        h2,
    )
}

/// A stream whose first bytes were read already: they come first.
pub struct Rewind<S> {
    pre: Option<Bytes>,
    inner: S,
}

impl<S> Rewind<S> {
    pub fn new(inner: S) -> Self {
        Rewind { pre: None, inner }
    }

    /// Puts bytes read from the stream back in front of what it has not read yet.
    pub fn unread(&mut self, bytes: Bytes) {
        self.pre = match self.pre.take() {
            Some(rest) if !bytes.is_empty() => {
                let mut all = bytes::BytesMut::from(&bytes[..]);
                all.extend_from_slice(&rest);
                Some(all.freeze())
            }
            Some(rest) => Some(rest),
            None => (!bytes.is_empty()).then_some(bytes),
        };
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Rewind<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(mut pre) = self.pre.take() {
            let n = pre.len().min(buf.remaining());
            buf.put_slice(&pre.split_to(n));
            if !pre.is_empty() {
                self.pre = Some(pre);
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Rewind<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    #[test]
    fn tells_the_preface_apart() {
        assert_eq!(verdict(b"GET / HTTP/1.1\r\n"), Some(false));
        assert_eq!(verdict(b"PRI * HTTP/2.0\r\n"), None);
        assert_eq!(verdict(PREFACE), Some(true));
        assert_eq!(verdict(b"PRI * HTTP/1.1\r\n"), Some(false));
        assert_eq!(verdict(b"P"), None);
    }

    #[tokio::test]
    async fn gives_the_bytes_back() {
        let (mut a, b) = tokio::io::duplex(64);
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let _ = a.write_all(b"PRI * HTTP/2.0\r\n").await;
            let _ = a.write_all(b"\r\nSM\r\n\r\nrest").await;
        });
        let (mut r, h2) = detect(b).await;
        assert!(h2);
        let mut all = Vec::new();
        let _ = r.read_to_end(&mut all).await;
        assert_eq!(all, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\nrest");
    }

    #[tokio::test]
    async fn http1_and_short_streams() {
        let (mut a, b) = tokio::io::duplex(64);
        tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let _ = a.write_all(b"GE").await;
        });
        let (mut r, h2) = detect(b).await;
        assert!(!h2);
        let mut all = Vec::new();
        let _ = r.read_to_end(&mut all).await;
        assert_eq!(all, b"GE");
    }
}
