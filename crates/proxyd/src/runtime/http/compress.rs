//! `compression algo|type|offload` on the wire: proxy-core decides (which algorithm,
//! which responses), this module edits the headers and compresses the body as it streams
//! (flate2, level 1 as HAProxy's default `tune.comp.maxlevel`; each chunk the server
//! sends is flushed, so nothing waits for the end of the body).

use super::{Body, BodyError};
use bytes::Bytes;
use flate2::write::{DeflateEncoder, GzEncoder, ZlibEncoder};
use haproxy_conf::model::{CompAlgo, Compression};
use http::header::{self, HeaderMap, HeaderValue};
use http_body_util::BodyExt;
use hyper::body::Frame;
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

fn values<'a>(h: &'a HeaderMap, name: &header::HeaderName) -> Vec<&'a str> {
    h.get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect()
}

/// A stream's compression settings: each of the algorithms, the types and `offload` is
/// the backend's when it sets it, else the frontend's (HAProxy looks them up one by one).
#[derive(Clone, Copy)]
pub struct Settings<'a> {
    pub algos: &'a [CompAlgo],
    pub types: &'a [String],
    pub offload: bool,
}

impl<'a> Settings<'a> {
    pub fn of(fe: Option<&'a Compression>, be: Option<&'a Compression>) -> Option<Self> {
        let pick = |f: fn(&'a Compression) -> bool| be.filter(|c| f(c)).or(fe.filter(|c| f(c)));
        let algos = pick(|c| !c.algos.is_empty())?;
        Some(Settings {
            algos: &algos.algos,
            types: pick(|c| !c.types.is_empty()).map_or(&[][..], |c| &c.types[..]),
            offload: [be, fe].into_iter().flatten().any(|c| c.offload),
        })
    }
}

/// The algorithm for this request, if any; with `offload` the request leaves without
/// its Accept-Encoding.
pub fn choose_for(c: Settings<'_>, h: &mut HeaderMap) -> Option<CompAlgo> {
    let algo = proxy_core::compress::choose(
        c.algos,
        &values(h, &header::ACCEPT_ENCODING),
        h.get(header::USER_AGENT).and_then(|v| v.to_str().ok()),
    );
    if algo.is_some() && c.offload {
        h.remove(header::ACCEPT_ENCODING);
    }
    algo
}

/// The response compressed when HAProxy would compress it: headers edited (no
/// Content-Length, `Content-Encoding`, a weak ETag, `Vary: Accept-Encoding`), body
/// wrapped.
pub fn response(
    c: Settings<'_>,
    algo: CompAlgo,
    (head, req11): (bool, bool),
    parts: &mut http::response::Parts,
    body: Body,
) -> Body {
    let h = &parts.headers;
    let chunked = values(h, &header::TRANSFER_ENCODING)
        .last()
        .is_some_and(|v| v.trim().to_ascii_lowercase().ends_with("chunked"));
    let facts = proxy_core::compress::Response {
        status: parts.status.as_u16(),
        http11: req11 && parts.version >= http::Version::HTTP_11,
        head,
        framed: h.contains_key(header::CONTENT_LENGTH) || chunked,
        content_encoding: h.contains_key(header::CONTENT_ENCODING),
        cache_control: values(h, &header::CACHE_CONTROL),
        etags: values(h, &header::ETAG),
        content_type: h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
    };
    if !proxy_core::compress::compresses(&facts, c.types) {
        return body;
    }
    let h = &mut parts.headers;
    h.remove(header::CONTENT_LENGTH);
    if let Some(weak) = h
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .and_then(proxy_core::compress::weak_etag)
    {
        if let Ok(v) = HeaderValue::from_str(&weak) {
            h.insert(header::ETAG, v);
        }
    }
    h.append(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    let level = flate2::Compression::fast();
    let enc = match algo {
        CompAlgo::Identity => return body,
        CompAlgo::Gzip => Encoder::Gzip(GzEncoder::new(Vec::new(), level)),
        CompAlgo::Deflate => Encoder::Zlib(ZlibEncoder::new(Vec::new(), level)),
        CompAlgo::RawDeflate => Encoder::Raw(DeflateEncoder::new(Vec::new(), level)),
    };
    h.insert(
        header::CONTENT_ENCODING,
        HeaderValue::from_static(algo.token()),
    );
    Compressed {
        inner: body,
        enc: Some(enc),
    }
    .boxed()
}

enum Encoder {
    Gzip(GzEncoder<Vec<u8>>),
    Zlib(ZlibEncoder<Vec<u8>>),
    Raw(DeflateEncoder<Vec<u8>>),
}

impl Encoder {
    /// Compress `data` and flush: the bytes ready to send.
    fn feed(&mut self, data: &[u8]) -> std::io::Result<Vec<u8>> {
        fn go<W: Write>(w: &mut W, data: &[u8]) -> std::io::Result<()> {
            w.write_all(data)?;
            w.flush()
        }
        match self {
            Encoder::Gzip(e) => {
                go(e, data)?;
                Ok(std::mem::take(e.get_mut()))
            }
            Encoder::Zlib(e) => {
                go(e, data)?;
                Ok(std::mem::take(e.get_mut()))
            }
            Encoder::Raw(e) => {
                go(e, data)?;
                Ok(std::mem::take(e.get_mut()))
            }
        }
    }

    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Encoder::Gzip(e) => e.finish(),
            Encoder::Zlib(e) => e.finish(),
            Encoder::Raw(e) => e.finish(),
        }
    }
}

struct Compressed {
    inner: Body,
    /// None once the stream is finished.
    enc: Option<Encoder>,
}

impl hyper::body::Body for Compressed {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        loop {
            if self.enc.is_none() {
                return Poll::Ready(None);
            }
            match Pin::new(&mut self.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => {
                        let Some(enc) = self.enc.as_mut() else {
                            return Poll::Ready(None);
                        };
                        match enc.feed(&data) {
                            Ok(out) if out.is_empty() => continue,
                            Ok(out) => return Poll::Ready(Some(Ok(Frame::data(Bytes::from(out))))),
                            Err(_) => return Poll::Ready(Some(Err(BodyError::Compression))),
                        }
                    }
                    // Trailers pass as they are.
                    Err(frame) => return Poll::Ready(Some(Ok(frame))),
                },
                Poll::Ready(None) => {
                    let Some(enc) = self.enc.take() else {
                        return Poll::Ready(None);
                    };
                    return match enc.finish() {
                        Ok(out) if out.is_empty() => Poll::Ready(None),
                        Ok(out) => Poll::Ready(Some(Ok(Frame::data(Bytes::from(out))))),
                        Err(_) => Poll::Ready(Some(Err(BodyError::Compression))),
                    };
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.enc.is_none()
    }
}
