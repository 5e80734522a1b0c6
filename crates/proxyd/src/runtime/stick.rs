//! Stick tables and stick counters at run time: every proxy's `stick-table` (shared by
//! name), the counters a connection (`tcp-request connection|session`) or a request
//! (`tcp-request content`, `http-request`) tracks, and the `sc_*`, `src_*`, `table_*`
//! values read from them. The tables themselves are proxy-core's (pure); this module
//! holds them behind locks and feeds them the clock.

use super::clock::Clock;
use haproxy_conf::actions::ScAction;
use haproxy_conf::model::{Config, ProxyKind, StoreKind, TableType};
use haproxy_conf::sample::conv::TableData;
use haproxy_conf::sample::fetch::{ScData, ScOf, STICK_COUNTERS};
use haproxy_conf::sample::Fetch;
use proxy_core::sample::{Kind, Value};
use proxy_core::stick::{Count, Read, StickTable};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// One table, named after its proxy.
#[derive(Debug)]
pub struct TableRt {
    pub key_type: TableType,
    pub key_len: usize,
    /// `size`, as declared.
    pub size: u64,
    table: Mutex<StickTable>,
    clock: Clock,
}

impl TableRt {
    pub fn new(t: &haproxy_conf::model::StickTable, clock: Clock) -> TableRt {
        let size = usize::try_from(t.size).unwrap_or(usize::MAX);
        TableRt {
            key_type: t.table_type,
            key_len: t.len.map(|l| l as usize).unwrap_or(32).max(1),
            size: t.size,
            table: Mutex::new(StickTable::with_store(
                size,
                t.expire_ms,
                t.nopurge,
                &t.store,
            )),
            clock,
        }
    }

    /// The table, even if a thread panicked while holding it (its data stays usable:
    /// every update is a few counter writes).
    pub fn lock(&self) -> MutexGuard<'_, StickTable> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn now(&self) -> u64 {
        self.clock.now_ms()
    }

    /// A sample as this table's key, as HAProxy converts it: an IPv4 address (an IPv6
    /// one only when it maps one), an IPv6 address (IPv4 ones mapped), a 32-bit integer,
    /// a string cut at `len`, binary cut or padded with zeros to `len`.
    pub fn key(&self, v: Value) -> Option<Vec<u8>> {
        Some(match self.key_type {
            TableType::Ip => match v.cast(Kind::Ip)? {
                Value::Ip(IpAddr::V4(a)) => a.octets().to_vec(),
                Value::Ip(IpAddr::V6(a)) => a.to_ipv4_mapped()?.octets().to_vec(),
                _ => return None,
            },
            TableType::Ipv6 => match v.cast(Kind::Ip)? {
                Value::Ip(IpAddr::V4(a)) => a.to_ipv6_mapped().octets().to_vec(),
                Value::Ip(IpAddr::V6(a)) => a.octets().to_vec(),
                _ => return None,
            },
            TableType::Integer => match v.cast(Kind::Int)? {
                Value::Int(n) => (n as u32).to_be_bytes().to_vec(),
                _ => return None,
            },
            TableType::String => match v.cast(Kind::Str)? {
                Value::Str(s) => {
                    let mut b = s.into_bytes();
                    b.truncate(self.key_len);
                    b
                }
                _ => return None,
            },
            TableType::Binary => match v.cast(Kind::Bin)? {
                // Nothing to match on (a TLS hello without a session id).
                Value::Bin(b) if b.is_empty() => return None,
                Value::Bin(mut b) => {
                    b.resize(self.key_len, 0);
                    b
                }
                _ => return None,
            },
        })
    }
}

/// Every table of the configuration, by name.
#[derive(Debug, Default)]
pub struct Tables {
    by_name: HashMap<String, Arc<TableRt>>,
    /// Names in the order `show table` lists them (HAProxy's: the last declared first).
    order: Vec<String>,
    /// Tables stick rules use, with the first backend using each (whose servers the
    /// stored server ids are).
    sticking: HashMap<String, String>,
}

impl Tables {
    pub fn new(cfg: &Config) -> Tables {
        let clock = Clock::new();
        let mut t = Tables::default();
        for p in cfg.proxies.iter().filter(|p| p.kind != ProxyKind::Defaults) {
            if let Some(st) = p.stick_table.as_ref() {
                t.by_name
                    .insert(p.name.clone(), Arc::new(TableRt::new(st, clock)));
                t.order.insert(0, p.name.clone());
            }
            for r in &p.stick_rules {
                let table = r.table.clone().unwrap_or_else(|| p.name.clone());
                t.sticking.entry(table).or_insert_with(|| p.name.clone());
            }
        }
        t
    }

    pub fn get(&self, name: &str) -> Option<&Arc<TableRt>> {
        self.by_name.get(name)
    }

    /// The tables, in `show table`'s order.
    pub fn listed(&self) -> impl Iterator<Item = (&str, &Arc<TableRt>)> {
        self.order
            .iter()
            .filter_map(|n| self.by_name.get(n).map(|t| (n.as_str(), t)))
    }

    /// The backend whose stick rules store server ids in `table`, if any.
    pub fn sticking(&self, table: &str) -> Option<&str> {
        self.sticking.get(table).map(String::as_str)
    }
}

/// Tables storing what proxyd does not count yet: the byte counts of HTTP traffic.
pub fn unrun(cfg: &Config) -> Vec<super::PlanError> {
    cfg.proxies
        .iter()
        .filter(|p| p.kind != ProxyKind::Defaults && p.mode == haproxy_conf::model::Mode::Http)
        .filter_map(|p| {
            let t = p.stick_table.as_ref()?;
            let bytes = t.store.iter().find(|s| {
                matches!(
                    s.kind,
                    StoreKind::BytesInCnt
                        | StoreKind::BytesInRate
                        | StoreKind::BytesOutCnt
                        | StoreKind::BytesOutRate
                )
            })?;
            Some(super::PlanError {
                span: Some(t.span),
                message: format!(
                    "stick-table `store {}` in mode http: proxyd does not count the bytes of HTTP traffic in stick tables yet (mode tcp it does)",
                    bytes.kind.name()
                ),
            })
        })
        .collect()
}

/// What a counter tracks.
#[derive(Debug, Clone)]
struct Tracked {
    table: Arc<TableRt>,
    key: Vec<u8>,
}

/// The stick counters of a connection or of a request; dropping them ends the tracking.
#[derive(Debug, Default)]
pub struct Counters {
    slots: Mutex<[Option<Tracked>; STICK_COUNTERS as usize]>,
    /// Something was tracked: until then every count is skipped without a lock.
    used: std::sync::atomic::AtomicBool,
}

impl Counters {
    fn slots(&self) -> MutexGuard<'_, [Option<Tracked>; STICK_COUNTERS as usize]> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counter `slot` starts tracking `key` unless it already tracks something (the
    /// first rule wins, as in HAProxy). True when it tracks now.
    pub fn track(&self, slot: u8, table: &Arc<TableRt>, key: Vec<u8>) -> bool {
        let mut slots = self.slots();
        let Some(s) = slots.get_mut(usize::from(slot)) else {
            return false;
        };
        if s.is_some() {
            return false;
        }
        let now = table.now();
        if !table.lock().track(&key, now) {
            return false;
        }
        *s = Some(Tracked {
            table: table.clone(),
            key,
        });
        self.used.store(true, std::sync::atomic::Ordering::Relaxed);
        true
    }

    fn get(&self, slot: u8) -> Option<Tracked> {
        if !self.used() {
            return None;
        }
        self.slots().get(usize::from(slot)).cloned().flatten()
    }

    fn used(&self) -> bool {
        self.used.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts an event on what counter `slot` tracks.
    pub fn count_slot(&self, slot: u8, c: Count) {
        if let Some(t) = self.get(slot) {
            let now = t.table.now();
            t.table.lock().count(&t.key, c, now);
        }
    }

    /// Counts an event on every tracked entry.
    pub fn count_all(&self, c: Count) {
        if !self.used() {
            return;
        }
        for t in self.slots().iter().flatten() {
            let now = t.table.now();
            t.table.lock().count(&t.key, c, now);
        }
    }
}

impl Drop for Counters {
    fn drop(&mut self) {
        if !self.used() {
            return;
        }
        let slots = self.slots.get_mut().unwrap_or_else(|p| p.into_inner());
        for t in slots.iter_mut().filter_map(Option::take) {
            let now = t.table.now();
            t.table.lock().untrack(&t.key, now);
        }
    }
}

/// The counters a sample can read: the request's first, then the connection's (as
/// HAProxy looks a counter up in the stream, then in the session).
#[derive(Debug, Clone, Copy, Default)]
pub struct ScRefs<'a> {
    pub sess: Option<&'a Counters>,
    pub txn: Option<&'a Counters>,
}

impl ScRefs<'_> {
    fn slot(&self, n: u8) -> Option<Tracked> {
        self.txn
            .and_then(|c| c.get(n))
            .or_else(|| self.sess.and_then(|c| c.get(n)))
    }

    /// `sc-inc-gpc0/1(slot)`.
    pub fn inc_gpc(&self, slot: u8, idx: u8) {
        if let Some(t) = self.slot(slot) {
            let now = t.table.now();
            t.table.lock().inc_gpc(&t.key, usize::from(idx), false, now);
        }
    }

    /// `sc-set-gpt0(slot) VALUE`.
    pub fn set_gpt0(&self, slot: u8, v: i64) {
        if let Some(t) = self.slot(slot) {
            let now = t.table.now();
            t.table.lock().set_gpt0(&t.key, v as u32, now);
        }
    }

    /// Counts an event on each counter's entry (the request's, else the connection's).
    pub fn count(&self, c: Count) {
        if !self.sess.is_some_and(Counters::used) && !self.txn.is_some_and(Counters::used) {
            return;
        }
        for n in 0..STICK_COUNTERS {
            if let Some(t) = self.slot(n) {
                let now = t.table.now();
                t.table.lock().count(&t.key, c, now);
            }
        }
    }
}

fn read_value(r: Read) -> Vec<Value> {
    match r {
        Read::Value(v) => vec![Value::Int(v)],
        Read::Absent => vec![Value::Int(0)],
        Read::NotStored => Vec::new(),
    }
}

/// A value read on an entry (None when the table does not store it).
fn data_of(t: &StickTable, key: &[u8], data: ScData, now: u64) -> Read {
    match data {
        ScData::Get(k) => t.read(key, k, now),
        ScData::Kbytes { out } => {
            let k = if out {
                StoreKind::BytesOutCnt
            } else {
                StoreKind::BytesInCnt
            };
            match t.read(key, k, now) {
                Read::Value(v) => Read::Value(v >> 10),
                r => r,
            }
        }
        ScData::Trackers => Read::Value(i64::from(t.trackers(key, now).unwrap_or(0))),
        ScData::Tracked => Read::Value(1),
        // The mutating ones are handled by the caller.
        ScData::IncGpc(_) | ScData::ClrGpc(_) | ScData::UpdtConnCnt => Read::Absent,
    }
}

/// The `sc_*`, `src_*`, `table_cnt` and `table_avl` fetches; None for other fetches.
pub fn fetch(
    f: &Fetch,
    sc: ScRefs<'_>,
    tables: &Tables,
    own: Option<&Arc<TableRt>>,
    src: Option<IpAddr>,
) -> Option<Vec<Value>> {
    let table_named = |n: &Option<String>| match n {
        Some(n) => tables.get(n).cloned(),
        None => own.cloned(),
    };
    Some(match f {
        Fetch::TableCnt(n) | Fetch::TableAvl(n) => match table_named(n) {
            Some(t) => {
                let now = t.now();
                let g = t.lock();
                let v = if matches!(f, Fetch::TableCnt(_)) {
                    g.live_count(now)
                } else {
                    g.available(now)
                };
                vec![Value::Int(v as i64)]
            }
            None => Vec::new(),
        },
        Fetch::Sc { of, data, table } => {
            // Which table and key: the tracked entry (looked up in `table` when named),
            // or the client address in `table`.
            let (t, key) = match of {
                ScOf::Slot(n) => match sc.slot(*n) {
                    Some(tr) => match table {
                        Some(name) => match tables.get(name) {
                            Some(other) => (other.clone(), tr.key),
                            None => return Some(Vec::new()),
                        },
                        None => (tr.table, tr.key),
                    },
                    None if *data == ScData::Tracked => return Some(vec![Value::Bool(false)]),
                    None => return Some(Vec::new()),
                },
                ScOf::Src => {
                    let Some(t) = table_named(table) else {
                        return Some(Vec::new());
                    };
                    let Some(key) = src.and_then(|ip| t.key(Value::Ip(ip))) else {
                        return Some(Vec::new());
                    };
                    (t, key)
                }
            };
            let now = t.now();
            let mut g = t.lock();
            let create = *of == ScOf::Src;
            match data {
                ScData::Tracked => vec![Value::Bool(true)],
                ScData::IncGpc(i) => read_value(g.inc_gpc(&key, usize::from(*i), create, now)),
                ScData::ClrGpc(i) => read_value(g.clr_gpc(&key, usize::from(*i), create, now)),
                ScData::UpdtConnCnt => {
                    if !g.stores(StoreKind::ConnCnt) {
                        return Some(Vec::new());
                    }
                    // Counts a connection without tracking it.
                    if g.track(&key, now) {
                        g.untrack(&key, now);
                    }
                    read_value(g.read(&key, StoreKind::ConnCnt, now))
                }
                d => read_value(data_of(&g, &key, *d, now)),
            }
        }
        _ => return None,
    })
}

/// The `in_table` and `table_*` converters.
pub fn convert(tables: &Tables, data: TableData, table: &str, key: &Value) -> Option<Value> {
    let t = tables.get(table)?;
    let k = t.key(key.clone())?;
    let now = t.now();
    let g = t.lock();
    let r = match data {
        TableData::In => return Some(Value::Bool(g.trackers(&k, now).is_some())),
        TableData::Get(s) => g.read(&k, s, now),
        TableData::Kbytes { out } => data_of(&g, &k, ScData::Kbytes { out }, now),
        TableData::Trackers => data_of(&g, &k, ScData::Trackers, now),
        TableData::Expire(default) | TableData::Idle(default) => {
            return match g.idle_and_expire(&k, now) {
                Some((idle, expire)) => Some(Value::Int(match data {
                    TableData::Idle(_) => idle as i64,
                    _ => expire.map(|e| e as i64)?,
                })),
                None => default.map(Value::Int),
            }
        }
    };
    match r {
        Read::Value(v) => Some(Value::Int(v)),
        Read::Absent => Some(Value::Int(0)),
        Read::NotStored => None,
    }
}

/// Runs a stick counter action: `track-sc` on `into` (the connection's or the
/// request's counters; a counter already tracking keeps its entry), the others on what
/// `refs` track; `eval` computes samples. Some(slot) when a counter began tracking.
pub fn act(
    a: &ScAction,
    into: &Counters,
    refs: ScRefs<'_>,
    tables: &Tables,
    own: Option<&Arc<TableRt>>,
    eval: &dyn Fn(&haproxy_conf::sample::Expr) -> Option<Value>,
) -> Option<u8> {
    match a {
        ScAction::Track { slot, key, table } => {
            let t = match table {
                Some(n) => tables.get(n),
                None => own,
            };
            if let Some(t) = t {
                if let Some(k) = eval(key).and_then(|v| t.key(v)) {
                    if into.track(*slot, t, k) {
                        return Some(*slot);
                    }
                }
            }
        }
        ScAction::IncGpc { slot, idx } => refs.inc_gpc(*slot, *idx),
        ScAction::SetGpt0 { slot, value } => {
            if let Some(Value::Int(v)) = eval(value).and_then(|v| v.cast(Kind::Int)) {
                refs.set_gpt0(*slot, v);
            }
        }
    }
    None
}
