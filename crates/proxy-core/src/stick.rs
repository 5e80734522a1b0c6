//! A stick table: keys (client addresses, SSL session ids...) remembered with the server
//! they went to, for `expire` after their last use, at most `size` of them (the least
//! recently used go first when full).

use crate::Instant;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct StickTable {
    size: usize,
    expire_ms: Option<u64>,
    entries: HashMap<Vec<u8>, (usize, Instant)>,
}

impl StickTable {
    pub fn new(size: usize, expire_ms: Option<u64>) -> StickTable {
        StickTable {
            size: size.max(1),
            expire_ms,
            entries: HashMap::new(),
        }
    }

    fn live(&self, at: Instant, now: Instant) -> bool {
        self.expire_ms.is_none_or(|e| now < at + e)
    }

    /// The server a key sticks to, refreshing its expiry.
    pub fn get(&mut self, key: &[u8], now: Instant) -> Option<usize> {
        let live = match self.entries.get(key) {
            Some(&(_, at)) => self.live(at, now),
            None => return None,
        };
        if !live {
            self.entries.remove(key);
            return None;
        }
        let e = self.entries.get_mut(key)?;
        e.1 = now;
        Some(e.0)
    }

    pub fn put(&mut self, key: &[u8], server: usize, now: Instant) {
        if !self.entries.contains_key(key) && self.entries.len() >= self.size {
            // Expired entries first, else the least recently used one.
            let expire = self.expire_ms;
            self.entries
                .retain(|_, (_, at)| expire.is_none_or(|e| now < *at + e));
            if self.entries.len() >= self.size {
                if let Some(oldest) = self
                    .entries
                    .iter()
                    .min_by_key(|(_, (_, at))| *at)
                    .map(|(k, _)| k.clone())
                {
                    self.entries.remove(&oldest);
                }
            }
        }
        self.entries.insert(key.to_vec(), (server, now));
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

    #[test]
    fn entries_stick_expire_and_are_evicted() {
        let mut t = StickTable::new(2, Some(10_000));
        t.put(b"a", 1, 0);
        assert_eq!(t.get(b"a", 5_000), Some(1));
        assert_eq!(t.get(b"a", 14_000), Some(1), "use refreshes the expiry");
        assert_eq!(t.get(b"a", 24_001), None, "expired");
        t.put(b"x", 0, 30_000);
        t.put(b"y", 1, 30_001);
        t.put(b"z", 0, 30_002);
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(b"x", 30_003), None, "least recently used went first");
        assert_eq!(t.get(b"z", 30_003), Some(0));
    }
}
