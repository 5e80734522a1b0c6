//! The HTTP cache of `cache` sections, with HAProxy 2.6's rules as measured: only 200
//! responses to GET requests without credentials, without `Vary`, not `no-cache`,
//! `no-store` nor `private`, with a lifetime (`s-maxage`, else `max-age`, else a future
//! `Expires`) or a validator (`ETag`, `Last-Modified`: kept for the cache's `max-age`),
//! never longer than the cache's `max-age`; objects up to `max-object-size`, the oldest
//! going first when the cache is full. Pure: the caller gives the time (Unix seconds).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// A response kept in the cache.
#[derive(Debug)]
pub struct Stored {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
    pub stored_at: u64,
    pub expires_at: u64,
    pub etag: Option<String>,
}

impl Stored {
    pub fn size(&self) -> u64 {
        let h: usize = self.headers.iter().map(|(k, v)| k.len() + v.len()).sum();
        (h + self.body.len()) as u64
    }
}

#[derive(Debug)]
pub struct Cache {
    total: u64,
    pub max_object: u64,
    max_age_s: u64,
    used: u64,
    entries: HashMap<Vec<u8>, Arc<Stored>>,
    /// Keys in the order they were stored (eviction order).
    order: VecDeque<Vec<u8>>,
}

fn tokens<'a>(values: &'a [&'a str]) -> impl Iterator<Item = String> + 'a {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
}

/// A directive's number (`max-age=30`).
fn directive(values: &[&str], name: &str) -> Option<u64> {
    tokens(values).find_map(|t| {
        t.strip_prefix(name)
            .and_then(|r| r.strip_prefix('='))
            .and_then(|n| n.trim_matches('"').parse().ok())
    })
}

/// Whether a request may be answered from the cache, and its response kept.
pub fn request_allows(
    method: &str,
    has_authorization: bool,
    cache_control: &[&str],
    pragma: &[&str],
) -> bool {
    let no_cache = tokens(cache_control).any(|t| t == "no-cache" || t == "no-store")
        || tokens(pragma).any(|t| t == "no-cache");
    (method == "GET" || method == "HEAD") && !has_authorization && !no_cache
}

/// What decides whether (and for how long) a response is kept.
#[derive(Debug, Clone, Default)]
pub struct Facts<'a> {
    pub status: u16,
    pub cache_control: Vec<&'a str>,
    /// `Expires`, as Unix seconds (None: absent or unreadable).
    pub expires: Option<i64>,
    pub has_expires: bool,
    pub vary: bool,
    pub validator: bool,
}

impl Cache {
    pub fn new(total: u64, max_object: u64, max_age_s: u64) -> Cache {
        Cache {
            total,
            max_object: max_object.min(total),
            max_age_s,
            used: 0,
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// How long a response may be kept, None when it may not.
    pub fn ttl(&self, f: &Facts<'_>, now: u64) -> Option<u64> {
        if f.status != 200 || f.vary {
            return None;
        }
        if tokens(&f.cache_control).any(|t| t == "no-cache" || t == "no-store" || t == "private") {
            return None;
        }
        let life = if let Some(s) = directive(&f.cache_control, "s-maxage") {
            s
        } else if let Some(m) = directive(&f.cache_control, "max-age") {
            m
        } else if f.has_expires {
            let e = f.expires?;
            u64::try_from(e).ok()?.checked_sub(now)?
        } else if f.validator {
            self.max_age_s
        } else {
            return None;
        };
        (life > 0).then_some(life.min(self.max_age_s))
    }

    /// A fresh copy for `key`.
    pub fn get(&mut self, key: &[u8], now: u64) -> Option<Arc<Stored>> {
        let e = self.entries.get(key)?;
        if now >= e.expires_at {
            self.remove(key);
            return None;
        }
        Some(e.clone())
    }

    fn remove(&mut self, key: &[u8]) {
        if let Some(e) = self.entries.remove(key) {
            self.used = self.used.saturating_sub(e.size());
        }
        self.order.retain(|k| k != key);
    }

    /// Keeps `s` under `key` (replacing an older copy); false when it is too large.
    pub fn put(&mut self, key: Vec<u8>, s: Stored) -> bool {
        let size = s.size();
        if size > self.max_object {
            return false;
        }
        self.remove(&key);
        while self.used + size > self.total {
            let Some(old) = self.order.pop_front() else {
                return false;
            };
            if let Some(e) = self.entries.remove(&old) {
                self.used = self.used.saturating_sub(e.size());
            }
        }
        self.used += size;
        self.order.push_back(key.clone());
        self.entries.insert(key, Arc::new(s));
        true
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(cc: &'static str) -> Facts<'static> {
        Facts {
            status: 200,
            cache_control: if cc.is_empty() { vec![] } else { vec![cc] },
            ..Facts::default()
        }
    }

    #[test]
    fn what_is_kept_and_for_how_long() {
        let c = Cache::new(1 << 20, 4096, 60);
        assert_eq!(c.ttl(&facts("max-age=30"), 0), Some(30));
        assert_eq!(c.ttl(&facts("max-age=300"), 0), Some(60), "capped");
        assert_eq!(c.ttl(&facts("s-maxage=10, max-age=30"), 0), Some(10));
        assert_eq!(c.ttl(&facts("max-age=0"), 0), None);
        assert_eq!(
            c.ttl(&facts("public"), 0),
            None,
            "no lifetime, no validator"
        );
        assert_eq!(c.ttl(&facts(""), 0), None);
        assert_eq!(c.ttl(&facts("max-age=30, private"), 0), None);
        assert_eq!(c.ttl(&facts("no-store"), 0), None);
        let mut v = facts("");
        v.validator = true;
        assert_eq!(c.ttl(&v, 0), Some(60));
        let mut e = facts("");
        e.has_expires = true;
        e.expires = Some(1_020);
        assert_eq!(c.ttl(&e, 1_000), Some(20));
        e.expires = Some(10);
        assert_eq!(c.ttl(&e, 1_000), None, "expired already");
        let mut nf = facts("max-age=30");
        nf.status = 404;
        assert_eq!(c.ttl(&nf, 0), None);
        let mut vary = facts("max-age=30");
        vary.vary = true;
        assert_eq!(c.ttl(&vary, 0), None);
        assert!(request_allows("GET", false, &[], &[]));
        assert!(!request_allows("POST", false, &[], &[]));
        assert!(!request_allows("GET", true, &[], &[]));
        assert!(!request_allows("GET", false, &["no-cache"], &[]));
        assert!(!request_allows("GET", false, &[], &["no-cache"]));
    }

    #[test]
    fn size_expiry_and_eviction() {
        let s = |n: usize, exp: u64| Stored {
            status: 200,
            headers: vec![],
            body: vec![b'x'; n],
            stored_at: 0,
            expires_at: exp,
            etag: None,
        };
        let mut c = Cache::new(100, 60, 60);
        assert!(!c.put(b"big".to_vec(), s(61, 10)));
        assert!(c.put(b"a".to_vec(), s(50, 10)));
        assert!(c.put(b"b".to_vec(), s(50, 10)));
        assert!(c.put(b"c".to_vec(), s(50, 10)), "the oldest goes");
        assert!(c.get(b"a", 1).is_none());
        assert!(c.get(b"b", 1).is_some());
        assert!(c.get(b"b", 10).is_none(), "expired");
        assert_eq!(c.len(), 1);
    }
}
