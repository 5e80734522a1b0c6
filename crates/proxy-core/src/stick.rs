//! Stick tables as HAProxy keeps them: entries found by a key (a client address, a
//! string...), each holding the data its table `store`s (the server a key sticks to,
//! general purpose counters and tags, connection, session, request, error and byte
//! counts and rates), living `expire` after their last touch unless something tracks
//! them, at most `size` of them (the oldest untracked ones go when a new key needs room,
//! none with `nopurge`). Pure: the caller passes the time.

use crate::Instant;
use haproxy_conf::model::{Store, StoreKind};
use std::collections::{BTreeMap, HashMap};

/// An event rate over a period, as HAProxy's frequency counters measure it: the events
/// of the current period plus the previous period's, weighted by how much of the
/// current period is still ahead.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Freq {
    /// When the current period began (none before the first event).
    tick: Option<Instant>,
    curr: u32,
    prev: u32,
}

impl Freq {
    pub fn add(&mut self, now: Instant, period: u64, inc: u32) {
        let period = period.max(1);
        match self.tick {
            Some(t) if now.saturating_sub(t) < period => {
                self.curr = self.curr.saturating_add(inc);
            }
            Some(t) => {
                self.prev = self.curr;
                self.curr = inc;
                let next = t + period;
                if now - next >= period {
                    // Two periods or more without an event.
                    self.prev = 0;
                    self.tick = Some(now);
                } else {
                    self.tick = Some(next);
                }
            }
            None => {
                self.curr = inc;
                self.tick = Some(now);
            }
        }
    }

    pub fn read(&self, now: Instant, period: u64) -> u32 {
        let period = period.max(1);
        let Some(tick) = self.tick else {
            return 0;
        };
        let mut elapsed = now.saturating_sub(tick);
        let (mut curr, mut past) = (u64::from(self.curr), u64::from(self.prev));
        if elapsed >= period {
            if elapsed >= 2 * period {
                return 0;
            }
            past = curr;
            curr = 0;
            elapsed -= period;
        }
        let v = curr + past * (period - elapsed) / period;
        u32::try_from(v).unwrap_or(u32::MAX)
    }
}

/// What an entry holds. Everything is kept; what the table does not `store` is never
/// updated nor read.
#[derive(Debug, Clone, Default)]
struct Data {
    server_id: Option<usize>,
    gpt0: u32,
    gpc: [u32; 2],
    gpc_rate: [Freq; 2],
    conn_cnt: u32,
    conn_cur: u32,
    conn_rate: Freq,
    sess_cnt: u32,
    sess_rate: Freq,
    http_req_cnt: u32,
    http_req_rate: Freq,
    http_err_cnt: u32,
    http_err_rate: Freq,
    http_fail_cnt: u32,
    http_fail_rate: Freq,
    bytes_in: u64,
    bytes_in_rate: Freq,
    bytes_out: u64,
    bytes_out_rate: Freq,
}

#[derive(Debug, Clone)]
struct Entry {
    data: Data,
    /// The server id came from traffic (`stick` rules), not the runtime API: the
    /// server's name is known (`server_key` in `show table`).
    server_named: bool,
    touched: Instant,
    /// Stick counters tracking it (it does not expire while tracked).
    refs: u32,
    /// Its last local change's number (0: none since it was made or learnt), when the
    /// table is shared with peers.
    upd: u64,
}

/// Events counted on the entries a connection or a request tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// A session began (tracked at connection or session level).
    Session,
    HttpReq,
    /// A 4xx response, or a request that could not be read.
    HttpErr,
    /// A 5xx response from the server (not 501 nor 505).
    HttpFail,
    BytesIn(u64),
    BytesOut(u64),
}

/// HAProxy's order of data types, the order `show table` lists them in.
const DISPLAY_ORDER: [StoreKind; 21] = [
    StoreKind::ServerId,
    StoreKind::Gpt0,
    StoreKind::Gpc0,
    StoreKind::Gpc0Rate,
    StoreKind::ConnCnt,
    StoreKind::ConnRate,
    StoreKind::ConnCur,
    StoreKind::SessCnt,
    StoreKind::SessRate,
    StoreKind::HttpReqCnt,
    StoreKind::HttpReqRate,
    StoreKind::HttpErrCnt,
    StoreKind::HttpErrRate,
    StoreKind::BytesInCnt,
    StoreKind::BytesInRate,
    StoreKind::BytesOutCnt,
    StoreKind::BytesOutRate,
    StoreKind::Gpc1,
    StoreKind::Gpc1Rate,
    StoreKind::HttpFailCnt,
    StoreKind::HttpFailRate,
];

/// One entry as the runtime API's `show table` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub key: Vec<u8>,
    /// Stick counters tracking it (`use`).
    pub refs: u32,
    /// Milliseconds until it expires (none when the table has no `expire`).
    pub expire_in: Option<u64>,
    /// Each stored type, its period (rates) and value.
    pub values: Vec<(StoreKind, u64, i64)>,
    /// Its server id came from traffic: the server's name can be shown.
    pub server_named: bool,
}

/// What a lookup found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// No entry for the key.
    Absent,
    /// The table does not store that data.
    NotStored,
    Value(i64),
}

#[derive(Debug, Clone)]
pub struct StickTable {
    size: usize,
    expire_ms: Option<u64>,
    nopurge: bool,
    /// The period of each stored kind (0 for counts), by `StoreKind::index`.
    stored: [Option<u64>; StoreKind::ALL.len()],
    entries: HashMap<Vec<u8>, Entry>,
    /// Shared with peers: local changes are numbered and kept in order for them.
    shared: bool,
    seq: u64,
    changed: BTreeMap<u64, Vec<u8>>,
}

/// A stored value as peers exchange it: a count, or a rate's two periods with the time
/// since the current one began (milliseconds; none before the first event).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shared {
    Count(u64),
    Rate {
        elapsed: Option<u64>,
        curr: u32,
        prev: u32,
    },
}

/// An entry as peers send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// The index of the server it sticks to.
    pub server: Option<usize>,
    /// Every stored type but the server id, in HAProxy's order.
    pub values: Vec<(StoreKind, Shared)>,
}

impl StickTable {
    /// A table keeping only server ids (what `stick on` needs).
    pub fn new(size: usize, expire_ms: Option<u64>) -> StickTable {
        StickTable::with_store(size, expire_ms, false, &[])
    }

    pub fn with_store(
        size: usize,
        expire_ms: Option<u64>,
        nopurge: bool,
        store: &[Store],
    ) -> StickTable {
        let mut stored = [None; StoreKind::ALL.len()];
        // Stick rules store server ids in any table (HAProxy adds the type itself).
        stored[StoreKind::ServerId.index()] = Some(0);
        for s in store {
            stored[s.kind.index()] = Some(s.period_ms);
        }
        StickTable {
            size: size.max(1),
            expire_ms,
            nopurge,
            stored,
            entries: HashMap::new(),
            shared: false,
            seq: 0,
            changed: BTreeMap::new(),
        }
    }

    /// Peers share this table: from now on local changes are numbered for them.
    pub fn share(&mut self) {
        self.shared = true;
    }

    /// A local change of `key`: it gets the next number (peers send entries in this
    /// order, each once however often it changed).
    fn mark(&mut self, key: &[u8]) {
        if !self.shared {
            return;
        }
        let Some(e) = self.entries.get_mut(key) else {
            return;
        };
        if e.upd != 0 {
            self.changed.remove(&e.upd);
        }
        self.seq += 1;
        e.upd = self.seq;
        self.changed.insert(self.seq, key.to_vec());
    }

    // Every local change goes through one of these, which number it for peers.
    pub fn put(&mut self, key: &[u8], server: usize, now: Instant) {
        self.put_local(key, server, now);
        self.mark(key);
    }

    pub fn track(&mut self, key: &[u8], now: Instant) -> bool {
        let r = self.track_local(key, now);
        self.mark(key);
        r
    }

    pub fn untrack(&mut self, key: &[u8], now: Instant) {
        self.untrack_local(key, now);
        self.mark(key);
    }

    pub fn count(&mut self, key: &[u8], c: Count, now: Instant) {
        self.count_local(key, c, now);
        self.mark(key);
    }

    pub fn inc_gpc(&mut self, key: &[u8], idx: usize, create: bool, now: Instant) -> Read {
        let r = self.inc_gpc_local(key, idx, create, now);
        self.mark(key);
        r
    }

    pub fn clr_gpc(&mut self, key: &[u8], idx: usize, create: bool, now: Instant) -> Read {
        let r = self.clr_gpc_local(key, idx, create, now);
        self.mark(key);
        r
    }

    pub fn set_gpt0(&mut self, key: &[u8], v: u32, now: Instant) -> bool {
        let r = self.set_gpt0_local(key, v, now);
        self.mark(key);
        r
    }

    pub fn touch(&mut self, key: &[u8], now: Instant) -> bool {
        let r = self.touch_local(key, now);
        self.mark(key);
        r
    }

    pub fn set_value(&mut self, key: &[u8], k: StoreKind, v: i64, now: Instant) -> bool {
        let r = self.set_value_local(key, k, v, now);
        self.mark(key);
        r
    }

    /// The number of the last local change.
    pub fn last_change(&self) -> u64 {
        self.seq
    }

    /// Keys changed locally after change `after`, oldest first, at most `max`.
    pub fn changed_after(&self, after: u64, max: usize) -> Vec<(u64, Vec<u8>)> {
        self.changed
            .range(after.saturating_add(1)..)
            .take(max)
            .map(|(n, k)| (*n, k.clone()))
            .collect()
    }

    /// The keys of live entries with no local change numbered for peers (learnt ones, or
    /// ones made before the table was shared): what a resync sends besides the changes.
    pub fn live_keys_unnumbered(&self, now: Instant) -> Vec<Vec<u8>> {
        self.entries
            .iter()
            .filter(|(_, e)| e.upd == 0 && self.live(e, now))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// An entry's server and stored values, as peers send them.
    pub fn export(&self, key: &[u8], now: Instant) -> Option<Exported> {
        let e = self.entry(key, now)?;
        let d = &e.data;
        let rate = |f: &Freq| Shared::Rate {
            elapsed: f.tick.map(|t| now.saturating_sub(t)),
            curr: f.curr,
            prev: f.prev,
        };
        let count = |v: u32| Shared::Count(u64::from(v));
        let values = DISPLAY_ORDER
            .iter()
            .filter(|k| **k != StoreKind::ServerId && self.stores(**k))
            .map(|k| {
                let v = match k {
                    StoreKind::ServerId => Shared::Count(0),
                    StoreKind::Gpt0 => count(d.gpt0),
                    StoreKind::Gpc0 => count(d.gpc[0]),
                    StoreKind::Gpc1 => count(d.gpc[1]),
                    StoreKind::Gpc0Rate => rate(&d.gpc_rate[0]),
                    StoreKind::Gpc1Rate => rate(&d.gpc_rate[1]),
                    StoreKind::ConnCnt => count(d.conn_cnt),
                    StoreKind::ConnCur => count(d.conn_cur),
                    StoreKind::ConnRate => rate(&d.conn_rate),
                    StoreKind::SessCnt => count(d.sess_cnt),
                    StoreKind::SessRate => rate(&d.sess_rate),
                    StoreKind::HttpReqCnt => count(d.http_req_cnt),
                    StoreKind::HttpReqRate => rate(&d.http_req_rate),
                    StoreKind::HttpErrCnt => count(d.http_err_cnt),
                    StoreKind::HttpErrRate => rate(&d.http_err_rate),
                    StoreKind::HttpFailCnt => count(d.http_fail_cnt),
                    StoreKind::HttpFailRate => rate(&d.http_fail_rate),
                    StoreKind::BytesInCnt => Shared::Count(d.bytes_in),
                    StoreKind::BytesInRate => rate(&d.bytes_in_rate),
                    StoreKind::BytesOutCnt => Shared::Count(d.bytes_out),
                    StoreKind::BytesOutRate => rate(&d.bytes_out_rate),
                };
                (*k, v)
            })
            .collect();
        Some(Exported {
            server: d.server_id,
            values,
        })
    }

    /// An entry a peer sent: made when missing, its values replaced by the peer's (what
    /// this table does not store is dropped), living `expire` from now. Not a local
    /// change: it is not sent on. False when there is no room for it.
    pub fn import(&mut self, key: &[u8], got: &Exported, now: Instant) -> bool {
        let periods = self.stored;
        let Some(e) = self.entry_mut(key, now) else {
            return false;
        };
        e.touched = now;
        if got.server.is_some() {
            e.data.server_id = got.server;
            e.server_named = true;
        }
        let d = &mut e.data;
        for (k, v) in &got.values {
            let Some(period) = periods[k.index()] else {
                continue;
            };
            let n = match v {
                Shared::Count(n) => *n,
                Shared::Rate { .. } => 0,
            };
            let freq = match *v {
                // Older than two periods: nothing left of it.
                Shared::Rate {
                    elapsed: Some(el),
                    curr,
                    prev,
                } if el < 2 * period.max(1) => Freq {
                    tick: Some(now.saturating_sub(el)),
                    curr,
                    prev,
                },
                _ => Freq::default(),
            };
            let n32 = u32::try_from(n).unwrap_or(u32::MAX);
            match k {
                StoreKind::ServerId => {}
                StoreKind::Gpt0 => d.gpt0 = n32,
                StoreKind::Gpc0 => d.gpc[0] = n32,
                StoreKind::Gpc1 => d.gpc[1] = n32,
                StoreKind::Gpc0Rate => d.gpc_rate[0] = freq,
                StoreKind::Gpc1Rate => d.gpc_rate[1] = freq,
                StoreKind::ConnCnt => d.conn_cnt = n32,
                // Connections are counted where they are: a peer's are not ours.
                StoreKind::ConnCur => {}
                StoreKind::ConnRate => d.conn_rate = freq,
                StoreKind::SessCnt => d.sess_cnt = n32,
                StoreKind::SessRate => d.sess_rate = freq,
                StoreKind::HttpReqCnt => d.http_req_cnt = n32,
                StoreKind::HttpReqRate => d.http_req_rate = freq,
                StoreKind::HttpErrCnt => d.http_err_cnt = n32,
                StoreKind::HttpErrRate => d.http_err_rate = freq,
                StoreKind::HttpFailCnt => d.http_fail_cnt = n32,
                StoreKind::HttpFailRate => d.http_fail_rate = freq,
                StoreKind::BytesInCnt => d.bytes_in = n,
                StoreKind::BytesInRate => d.bytes_in_rate = freq,
                StoreKind::BytesOutCnt => d.bytes_out = n,
                StoreKind::BytesOutRate => d.bytes_out_rate = freq,
            }
        }
        true
    }

    fn period(&self, k: StoreKind) -> Option<u64> {
        self.stored[k.index()]
    }

    pub fn stores(&self, k: StoreKind) -> bool {
        self.period(k).is_some()
    }

    fn live(&self, e: &Entry, now: Instant) -> bool {
        e.refs > 0 || self.expire_ms.is_none_or(|x| now < e.touched + x)
    }

    /// The live entry of `key`, if any.
    fn entry(&self, key: &[u8], now: Instant) -> Option<&Entry> {
        self.entries.get(key).filter(|e| self.live(e, now))
    }

    /// The entry of `key`, made when missing; None when the table is full of entries
    /// that cannot go (tracked ones, or any with `nopurge`).
    fn entry_mut(&mut self, key: &[u8], now: Instant) -> Option<&mut Entry> {
        let expired = match self.entries.get(key) {
            Some(e) => !self.live(e, now),
            None => false,
        };
        if expired {
            self.remove(key);
        }
        if !self.entries.contains_key(key) {
            if self.entries.len() >= self.size && !self.make_room(now) {
                return None;
            }
            self.entries.insert(
                key.to_vec(),
                Entry {
                    data: Data::default(),
                    server_named: false,
                    touched: now,
                    refs: 0,
                    upd: 0,
                },
            );
        }
        self.entries.get_mut(key)
    }

    /// An entry goes, and with it its place among the changes to send.
    fn remove(&mut self, key: &[u8]) {
        if let Some(e) = self.entries.remove(key) {
            if e.upd != 0 {
                self.changed.remove(&e.upd);
            }
        }
    }

    /// Expired entries go first, then the least recently touched untracked one.
    fn make_room(&mut self, now: Instant) -> bool {
        let expire = self.expire_ms;
        let changed = &mut self.changed;
        self.entries.retain(|_, e| {
            let keep = e.refs > 0 || expire.is_none_or(|x| now < e.touched + x);
            if !keep && e.upd != 0 {
                changed.remove(&e.upd);
            }
            keep
        });
        if self.entries.len() < self.size {
            return true;
        }
        if self.nopurge {
            return false;
        }
        let oldest = self
            .entries
            .iter()
            .filter(|(_, e)| e.refs == 0)
            .min_by_key(|(_, e)| e.touched)
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => {
                self.remove(&k);
                true
            }
            None => false,
        }
    }

    /// The server a key sticks to, refreshing its expiry.
    pub fn get(&mut self, key: &[u8], now: Instant) -> Option<usize> {
        self.entry(key, now)?;
        let e = self.entries.get_mut(key)?;
        e.touched = now;
        e.data.server_id
    }

    fn put_local(&mut self, key: &[u8], server: usize, now: Instant) {
        if let Some(e) = self.entry_mut(key, now) {
            e.data.server_id = Some(server);
            e.server_named = true;
            e.touched = now;
        }
    }

    /// A stick counter starts tracking `key`: the connection counts (cur, total, rate)
    /// go up. False when there is no room for the key.
    fn track_local(&mut self, key: &[u8], now: Instant) -> bool {
        let rate = self.period(StoreKind::ConnRate);
        let Some(e) = self.entry_mut(key, now) else {
            return false;
        };
        e.refs += 1;
        e.touched = now;
        e.data.conn_cur = e.data.conn_cur.saturating_add(1);
        e.data.conn_cnt = e.data.conn_cnt.wrapping_add(1);
        if let Some(p) = rate {
            e.data.conn_rate.add(now, p, 1);
        }
        true
    }

    /// A stick counter stops tracking `key` (its connection or request ended).
    fn untrack_local(&mut self, key: &[u8], now: Instant) {
        if let Some(e) = self.entries.get_mut(key) {
            e.refs = e.refs.saturating_sub(1);
            e.data.conn_cur = e.data.conn_cur.saturating_sub(1);
            e.touched = now;
        }
    }

    /// Counts an event on a tracked key.
    fn count_local(&mut self, key: &[u8], c: Count, now: Instant) {
        let periods = self.stored;
        let p = |k: StoreKind| periods[k.index()];
        let Some(e) = self.entries.get_mut(key) else {
            return;
        };
        let d = &mut e.data;
        let (cnt, rate, n, kr): (Option<&mut u32>, &mut Freq, u64, StoreKind) = match c {
            Count::Session => (
                Some(&mut d.sess_cnt),
                &mut d.sess_rate,
                1,
                StoreKind::SessRate,
            ),
            Count::HttpReq => (
                Some(&mut d.http_req_cnt),
                &mut d.http_req_rate,
                1,
                StoreKind::HttpReqRate,
            ),
            Count::HttpErr => (
                Some(&mut d.http_err_cnt),
                &mut d.http_err_rate,
                1,
                StoreKind::HttpErrRate,
            ),
            Count::HttpFail => (
                Some(&mut d.http_fail_cnt),
                &mut d.http_fail_rate,
                1,
                StoreKind::HttpFailRate,
            ),
            Count::BytesIn(b) => {
                d.bytes_in = d.bytes_in.wrapping_add(b);
                (None, &mut d.bytes_in_rate, b, StoreKind::BytesInRate)
            }
            Count::BytesOut(b) => {
                d.bytes_out = d.bytes_out.wrapping_add(b);
                (None, &mut d.bytes_out_rate, b, StoreKind::BytesOutRate)
            }
        };
        if let Some(c) = cnt {
            *c = c.wrapping_add(1);
        }
        if let Some(period) = p(kr) {
            rate.add(now, period, u32::try_from(n).unwrap_or(u32::MAX));
        }
    }

    /// `sc-inc-gpc0/1`, `sc_inc_gpc0/1`: the counter's new value. `create`: make the
    /// entry when missing (`src_inc_gpc0`). None when the table does not store it.
    fn inc_gpc_local(&mut self, key: &[u8], idx: usize, create: bool, now: Instant) -> Read {
        let idx = idx.min(1);
        let (k, kr) = if idx == 0 {
            (StoreKind::Gpc0, StoreKind::Gpc0Rate)
        } else {
            (StoreKind::Gpc1, StoreKind::Gpc1Rate)
        };
        let (count, rate) = (self.period(k), self.period(kr));
        if count.is_none() && rate.is_none() {
            return Read::NotStored;
        }
        if !create && self.entry(key, now).is_none() {
            return Read::Absent;
        }
        let Some(e) = self.entry_mut(key, now) else {
            return Read::Absent;
        };
        e.touched = now;
        if let Some(p) = rate {
            e.data.gpc_rate[idx].add(now, p, 1);
        }
        if count.is_some() {
            e.data.gpc[idx] = e.data.gpc[idx].wrapping_add(1);
            Read::Value(i64::from(e.data.gpc[idx]))
        } else {
            Read::Value(i64::from(e.data.gpc_rate[idx].read(now, rate.unwrap_or(1))))
        }
    }

    /// `sc_clr_gpc0/1`: the value before, the counter now 0.
    fn clr_gpc_local(&mut self, key: &[u8], idx: usize, create: bool, now: Instant) -> Read {
        let idx = idx.min(1);
        let k = if idx == 0 {
            StoreKind::Gpc0
        } else {
            StoreKind::Gpc1
        };
        if !self.stores(k) {
            return Read::NotStored;
        }
        if !create && self.entry(key, now).is_none() {
            return Read::Absent;
        }
        let Some(e) = self.entry_mut(key, now) else {
            return Read::Absent;
        };
        e.touched = now;
        let before = e.data.gpc[idx];
        e.data.gpc[idx] = 0;
        Read::Value(i64::from(before))
    }

    /// `sc-set-gpt0`: false when the table does not store it.
    fn set_gpt0_local(&mut self, key: &[u8], v: u32, now: Instant) -> bool {
        if !self.stores(StoreKind::Gpt0) {
            return false;
        }
        match self.entries.get_mut(key) {
            Some(e) => {
                e.data.gpt0 = v;
                e.touched = now;
                true
            }
            None => false,
        }
    }

    /// A stored value of `key`.
    pub fn read(&self, key: &[u8], k: StoreKind, now: Instant) -> Read {
        let Some(period) = self.period(k) else {
            return Read::NotStored;
        };
        let Some(e) = self.entry(key, now) else {
            return Read::Absent;
        };
        let d = &e.data;
        let r = |f: &Freq| i64::from(f.read(now, period));
        Read::Value(match k {
            StoreKind::ServerId => d.server_id.map(|i| i as i64 + 1).unwrap_or(0),
            StoreKind::Gpt0 => i64::from(d.gpt0),
            StoreKind::Gpc0 => i64::from(d.gpc[0]),
            StoreKind::Gpc1 => i64::from(d.gpc[1]),
            StoreKind::Gpc0Rate => r(&d.gpc_rate[0]),
            StoreKind::Gpc1Rate => r(&d.gpc_rate[1]),
            StoreKind::ConnCnt => i64::from(d.conn_cnt),
            StoreKind::ConnCur => i64::from(d.conn_cur),
            StoreKind::ConnRate => r(&d.conn_rate),
            StoreKind::SessCnt => i64::from(d.sess_cnt),
            StoreKind::SessRate => r(&d.sess_rate),
            StoreKind::HttpReqCnt => i64::from(d.http_req_cnt),
            StoreKind::HttpReqRate => r(&d.http_req_rate),
            StoreKind::HttpErrCnt => i64::from(d.http_err_cnt),
            StoreKind::HttpErrRate => r(&d.http_err_rate),
            StoreKind::HttpFailCnt => i64::from(d.http_fail_cnt),
            StoreKind::HttpFailRate => r(&d.http_fail_rate),
            StoreKind::BytesInCnt => i64::try_from(d.bytes_in).unwrap_or(i64::MAX),
            StoreKind::BytesInRate => r(&d.bytes_in_rate),
            StoreKind::BytesOutCnt => i64::try_from(d.bytes_out).unwrap_or(i64::MAX),
            StoreKind::BytesOutRate => r(&d.bytes_out_rate),
        })
    }

    /// How many stick counters track `key` (0 when absent).
    pub fn trackers(&self, key: &[u8], now: Instant) -> Option<u32> {
        self.entry(key, now).map(|e| e.refs)
    }

    /// Milliseconds since `key` was last touched, and until it expires (none when the
    /// table has no `expire`).
    pub fn idle_and_expire(&self, key: &[u8], now: Instant) -> Option<(u64, Option<u64>)> {
        let e = self.entry(key, now)?;
        let idle = now.saturating_sub(e.touched);
        Some((
            idle,
            self.expire_ms.map(|x| (e.touched + x).saturating_sub(now)),
        ))
    }

    /// Live entries (`table_cnt`).
    pub fn live_count(&self, now: Instant) -> usize {
        self.entries.values().filter(|e| self.live(e, now)).count()
    }

    /// Room left (`table_avl`).
    pub fn available(&self, now: Instant) -> usize {
        self.size.saturating_sub(self.live_count(now))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The data types the table stores with their periods, in HAProxy's order (the
    /// order `show table` lists them in). `stick_rules`: whether stick rules use the
    /// table (HAProxy then stores server ids in it).
    pub fn stored_kinds(&self, stick_rules: bool) -> Vec<(StoreKind, u64)> {
        DISPLAY_ORDER
            .iter()
            .filter(|k| stick_rules || **k != StoreKind::ServerId)
            .filter_map(|k| self.period(*k).map(|p| (*k, p)))
            .collect()
    }

    /// The live entries in key order (as HAProxy's tree keeps them).
    pub fn rows(&self, stick_rules: bool, now: Instant) -> Vec<Row> {
        let mut keys: Vec<&Vec<u8>> = self
            .entries
            .iter()
            .filter(|(_, e)| self.live(e, now))
            .map(|(k, _)| k)
            .collect();
        keys.sort();
        keys.into_iter()
            .filter_map(|k| self.row(k, stick_rules, now))
            .collect()
    }

    /// One live entry as `show table` lists it.
    pub fn row(&self, key: &[u8], stick_rules: bool, now: Instant) -> Option<Row> {
        let e = self.entry(key, now)?;
        let values = self
            .stored_kinds(stick_rules)
            .into_iter()
            .map(|(k, p)| {
                let v = match self.read(key, k, now) {
                    Read::Value(v) => v,
                    _ => 0,
                };
                (k, p, v)
            })
            .collect();
        Some(Row {
            key: key.to_vec(),
            refs: e.refs,
            expire_in: self.expire_ms.map(|x| (e.touched + x).saturating_sub(now)),
            values,
            server_named: e.server_named && e.data.server_id.is_some(),
        })
    }

    /// `clear table`: the entry goes unless something tracks it. True if it went.
    pub fn remove_unused(&mut self, key: &[u8]) -> bool {
        match self.entries.get(key) {
            Some(e) if e.refs == 0 => {
                self.remove(key);
                true
            }
            _ => false,
        }
    }

    /// `set table ... key K`: the entry of `key`, made when missing and touched.
    /// False when there is no room for it.
    fn touch_local(&mut self, key: &[u8], now: Instant) -> bool {
        match self.entry_mut(key, now) {
            Some(e) => {
                e.touched = now;
                true
            }
            None => false,
        }
    }

    /// `set table ... data.TYPE V`: a stored value of an existing entry set as HAProxy
    /// sets it (counters wrap to their width; a rate's current period holds `v`).
    /// False when the table does not store the type or the entry is missing.
    fn set_value_local(&mut self, key: &[u8], k: StoreKind, v: i64, now: Instant) -> bool {
        let Some(period) = self.period(k) else {
            return false;
        };
        let Some(e) = self.entries.get_mut(key) else {
            return false;
        };
        e.touched = now;
        let d = &mut e.data;
        // HAProxy stores the integer in the type's width: -2 in a 32-bit counter is
        // 4294967294.
        let n32 = v as u32;
        let rate = |f: &mut Freq| {
            *f = Freq::default();
            f.add(now, period, n32);
        };
        match k {
            StoreKind::ServerId => {
                d.server_id = usize::try_from(v).ok().and_then(|i| i.checked_sub(1));
                e.server_named = false;
            }
            StoreKind::Gpt0 => d.gpt0 = n32,
            StoreKind::Gpc0 => d.gpc[0] = n32,
            StoreKind::Gpc1 => d.gpc[1] = n32,
            StoreKind::Gpc0Rate => rate(&mut d.gpc_rate[0]),
            StoreKind::Gpc1Rate => rate(&mut d.gpc_rate[1]),
            StoreKind::ConnCnt => d.conn_cnt = n32,
            StoreKind::ConnCur => d.conn_cur = n32,
            StoreKind::ConnRate => rate(&mut d.conn_rate),
            StoreKind::SessCnt => d.sess_cnt = n32,
            StoreKind::SessRate => rate(&mut d.sess_rate),
            StoreKind::HttpReqCnt => d.http_req_cnt = n32,
            StoreKind::HttpReqRate => rate(&mut d.http_req_rate),
            StoreKind::HttpErrCnt => d.http_err_cnt = n32,
            StoreKind::HttpErrRate => rate(&mut d.http_err_rate),
            StoreKind::HttpFailCnt => d.http_fail_cnt = n32,
            StoreKind::HttpFailRate => rate(&mut d.http_fail_rate),
            StoreKind::BytesInCnt => d.bytes_in = v as u64,
            StoreKind::BytesInRate => rate(&mut d.bytes_in_rate),
            StoreKind::BytesOutCnt => d.bytes_out = v as u64,
            StoreKind::BytesOutRate => rate(&mut d.bytes_out_rate),
        }
        true
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(list: &[(StoreKind, u64)]) -> Vec<Store> {
        list.iter()
            .map(|&(kind, period_ms)| Store { kind, period_ms })
            .collect()
    }

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

    #[test]
    fn rates_as_haproxy_measures_them() {
        let mut f = Freq::default();
        for _ in 0..10 {
            f.add(1_000, 10_000, 1);
        }
        assert_eq!(f.read(1_000, 10_000), 10);
        assert_eq!(f.read(10_999, 10_000), 10, "still the first period");
        // Half-way through the next period, half of the previous one counts.
        assert_eq!(f.read(16_000, 10_000), 5);
        f.add(16_000, 10_000, 2);
        assert_eq!(f.read(16_000, 10_000), 2 + 5);
        assert_eq!(f.read(31_000, 10_000), 0, "two periods later, nothing");
        f.add(50_000, 10_000, 1);
        assert_eq!(
            f.read(50_000, 10_000),
            1,
            "a fresh period after a long pause"
        );
    }

    #[test]
    fn tracking_counts_and_keeps_entries() {
        let s = store(&[
            (StoreKind::ConnCur, 0),
            (StoreKind::ConnCnt, 0),
            (StoreKind::HttpReqRate, 10_000),
            (StoreKind::Gpc0, 0),
        ]);
        let mut t = StickTable::with_store(1, Some(1_000), false, &s);
        assert!(t.track(b"k", 0));
        t.count(b"k", Count::HttpReq, 0);
        t.count(b"k", Count::HttpReq, 1);
        assert_eq!(t.read(b"k", StoreKind::HttpReqRate, 2), Read::Value(2));
        assert_eq!(t.read(b"k", StoreKind::ConnCur, 2), Read::Value(1));
        assert_eq!(t.read(b"k", StoreKind::SessCnt, 2), Read::NotStored);
        // Tracked: no expiry, and no room for another key.
        assert_eq!(t.read(b"k", StoreKind::ConnCnt, 5_000), Read::Value(1));
        assert!(!t.track(b"other", 5_000));
        t.untrack(b"k", 5_000);
        assert_eq!(t.read(b"k", StoreKind::ConnCur, 5_001), Read::Value(0));
        assert_eq!(t.inc_gpc(b"k", 0, false, 5_002), Read::Value(1));
        assert_eq!(t.clr_gpc(b"k", 0, false, 5_003), Read::Value(1));
        assert_eq!(t.read(b"k", StoreKind::Gpc0, 5_004), Read::Value(0));
        assert_eq!(
            t.read(b"k", StoreKind::Gpc0, 6_004),
            Read::Absent,
            "expired"
        );
        assert!(t.track(b"other", 6_005), "the expired entry made room");
        assert_eq!(t.inc_gpc(b"new", 1, true, 6_006), Read::NotStored);
    }

    #[test]
    fn nopurge_refuses_new_keys_when_full() {
        let mut t = StickTable::with_store(1, None, true, &[]);
        assert!(t.track(b"a", 0));
        t.untrack(b"a", 1);
        assert!(!t.track(b"b", 2));
        assert_eq!(t.live_count(3), 1);
        assert_eq!(t.available(3), 0);
    }
}
