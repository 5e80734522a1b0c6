//! `cache` sections at run time: `http-request cache-use` answers from a fresh copy
//! (with `Age`, or 304 to a matching `If-None-Match`), `http-response cache-store` keeps
//! the response as its body streams to the client (proxy-core decides what may be kept).

use super::{Body, BodyError};
use bytes::Bytes;
use haproxy_conf::model::Config;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http_body_util::BodyExt;
use hyper::body::Frame;
use proxy_core::cache::{Cache, Facts, Stored};
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

#[derive(Debug, Default)]
pub struct Caches(HashMap<String, Mutex<Cache>>);

fn unix_now() -> u64 {
    u64::try_from(super::super::clock::unix_now().0).unwrap_or(0)
}

fn values<'a>(h: &'a HeaderMap, n: &HeaderName) -> Vec<&'a str> {
    h.get_all(n)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect()
}

/// The key of a request: its Host and target.
pub fn key(parts: &http::request::Parts) -> Vec<u8> {
    let mut k = parts
        .headers
        .get(header::HOST)
        .map(|h| h.as_bytes().to_vec())
        .unwrap_or_default();
    k.extend_from_slice(super::sample::target(parts).as_bytes());
    k
}

/// Whether the request may use and fill the cache.
pub fn request_allows(parts: &http::request::Parts) -> bool {
    proxy_core::cache::request_allows(
        parts.method.as_str(),
        parts.headers.contains_key(header::AUTHORIZATION),
        &values(&parts.headers, &header::CACHE_CONTROL),
        &values(&parts.headers, &header::PRAGMA),
    )
}

impl Caches {
    pub fn new(cfg: &Config) -> Caches {
        Caches(
            cfg.caches
                .iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        Mutex::new(Cache::new(c.total_bytes, c.max_object, c.max_age_s)),
                    )
                })
                .collect(),
        )
    }

    /// No `cache` section: nothing to key requests for.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn get(&self, name: &str) -> Option<MutexGuard<'_, Cache>> {
        self.0
            .get(name)
            .map(|m| m.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The answer from cache `name`, when it holds a fresh copy for this request.
    pub fn serve(&self, name: &str, parts: &http::request::Parts) -> Option<http::Response<Body>> {
        if !request_allows(parts) {
            return None;
        }
        let now = unix_now();
        let s = self.get(name)?.get(&key(parts), now)?;
        let age = now.saturating_sub(s.stored_at).to_string();
        let inm = values(&parts.headers, &header::IF_NONE_MATCH);
        let matches = s.etag.as_deref().is_some_and(|e| {
            inm.iter()
                .flat_map(|v| v.split(','))
                .any(|t| t.trim() == "*" || t.trim() == e)
        });
        let (status, body) = if matches {
            (304, Bytes::new())
        } else if parts.method == http::Method::HEAD {
            (s.status, Bytes::new())
        } else {
            (s.status, Bytes::copy_from_slice(&s.body))
        };
        let mut r = http::Response::new(
            http_body_util::Full::new(body)
                .map_err(|never| match never {})
                .boxed(),
        );
        *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
        for (k, v) in &s.headers {
            if status == 304 && k.eq_ignore_ascii_case("content-length") {
                continue;
            }
            if let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_bytes(v),
            ) {
                r.headers_mut().append(k, v);
            }
        }
        if let Ok(v) = HeaderValue::from_str(&age) {
            r.headers_mut().insert(header::AGE, v);
        }
        Some(r)
    }

    /// The body, kept in cache `name` as it passes when the response may be kept.
    pub fn store(
        self: &Arc<Self>,
        name: &str,
        key: Vec<u8>,
        parts: &http::response::Parts,
        body: Body,
    ) -> Body {
        let h = &parts.headers;
        let now = unix_now();
        let expires = h.get(header::EXPIRES).and_then(|v| v.to_str().ok());
        let facts = Facts {
            status: parts.status.as_u16(),
            cache_control: values(h, &header::CACHE_CONTROL),
            expires: expires
                .and_then(|e| chrono::DateTime::parse_from_rfc2822(e).ok())
                .map(|d| d.timestamp()),
            has_expires: expires.is_some(),
            vary: h.contains_key(header::VARY),
            validator: h.contains_key(header::ETAG) || h.contains_key(header::LAST_MODIFIED),
        };
        let (ttl, max) = match self.get(name) {
            Some(c) => (c.ttl(&facts, now), c.max_object),
            None => return body,
        };
        let Some(ttl) = ttl else {
            return body;
        };
        let stored = Stored {
            status: parts.status.as_u16(),
            headers: h
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.as_bytes().to_vec()))
                .collect(),
            body: Vec::new(),
            stored_at: now,
            expires_at: now + ttl,
            etag: h
                .get(header::ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        };
        Tee {
            inner: body,
            keep: Some(Keep {
                caches: self.clone(),
                name: name.to_string(),
                key,
                stored,
                max,
            }),
        }
        .boxed()
    }
}

/// A body copied into the cache as it streams; dropped from the copy when larger than
/// the cache's objects may be, or when it fails.
struct Tee {
    inner: Body,
    keep: Option<Keep>,
}

/// What a `Tee` fills: the cache, the key, the copy so far, the largest object kept.
struct Keep {
    caches: Arc<Caches>,
    name: String,
    key: Vec<u8>,
    stored: Stored,
    max: u64,
}

impl Tee {
    /// The whole body went through: keep it.
    fn done(&mut self) {
        if let Some(k) = self.keep.take() {
            if let Some(mut c) = k.caches.get(&k.name) {
                c.put(k.key, k.stored);
            }
        }
    }
}

impl hyper::body::Body for Tee {
    type Data = Bytes;
    type Error = BodyError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BodyError>>> {
        let r = Pin::new(&mut self.inner).poll_frame(cx);
        match &r {
            Poll::Ready(Some(Ok(f))) => {
                if let Some(d) = f.data_ref() {
                    let too_big = self.keep.as_mut().is_some_and(|k| {
                        k.stored.body.extend_from_slice(d);
                        k.stored.body.len() as u64 > k.max
                    });
                    if too_big {
                        self.keep = None;
                    }
                }
                // The last frame of a sized body: nobody polls again.
                if self.inner.is_end_stream() {
                    self.done();
                }
            }
            Poll::Ready(Some(Err(_))) => self.keep = None,
            Poll::Ready(None) => self.done(),
            Poll::Pending => {}
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}
