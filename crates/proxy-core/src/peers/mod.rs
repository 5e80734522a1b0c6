//! Stick tables shared with HAProxy's peers protocol: the wire format (`wire`), how a
//! table is defined to a peer, and how one entry (its key, the server it sticks to and
//! its stored values) is written and read. Pure: the sessions are the daemon's.

pub mod wire;

use crate::stick::{Exported, Shared};
use haproxy_conf::model::{StoreKind, TableType};
use std::collections::HashMap;
use wire::{body_bytes, body_int, put_int, Define, WireError};

/// The data type number of the server's name (kept with the id so that a peer whose
/// servers are numbered differently still finds the server).
pub const SERVER_KEY: u64 = 19;

/// A stored type's number on the wire (its bit in a definition's set of types).
pub fn bit(k: StoreKind) -> u64 {
    match k {
        StoreKind::ServerId => 0,
        StoreKind::Gpt0 => 1,
        StoreKind::Gpc0 => 2,
        StoreKind::Gpc0Rate => 3,
        StoreKind::ConnCnt => 4,
        StoreKind::ConnRate => 5,
        StoreKind::ConnCur => 6,
        StoreKind::SessCnt => 7,
        StoreKind::SessRate => 8,
        StoreKind::HttpReqCnt => 9,
        StoreKind::HttpReqRate => 10,
        StoreKind::HttpErrCnt => 11,
        StoreKind::HttpErrRate => 12,
        StoreKind::BytesInCnt => 13,
        StoreKind::BytesInRate => 14,
        StoreKind::BytesOutCnt => 15,
        StoreKind::BytesOutRate => 16,
        StoreKind::Gpc1 => 17,
        StoreKind::Gpc1Rate => 18,
        StoreKind::HttpFailCnt => 20,
        StoreKind::HttpFailRate => 21,
    }
}

fn kind_of(b: u64) -> Option<StoreKind> {
    StoreKind::ALL.iter().copied().find(|k| bit(*k) == b)
}

fn is_rate(k: StoreKind) -> bool {
    matches!(
        k,
        StoreKind::Gpc0Rate
            | StoreKind::Gpc1Rate
            | StoreKind::ConnRate
            | StoreKind::SessRate
            | StoreKind::HttpReqRate
            | StoreKind::HttpErrRate
            | StoreKind::HttpFailRate
            | StoreKind::BytesInRate
            | StoreKind::BytesOutRate
    )
}

/// A key type's number on the wire.
pub fn key_type(t: TableType) -> u64 {
    match t {
        TableType::Integer => 2,
        TableType::Ip => 4,
        TableType::Ipv6 => 5,
        TableType::String => 6,
        TableType::Binary => 7,
    }
}

/// What this process shares of one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSpec {
    pub name: String,
    pub key_type: TableType,
    /// `len` of string and binary keys.
    pub key_len: usize,
    pub expire_ms: u64,
    /// Stored types other than the server id, with their periods (0 for counts).
    pub stored: Vec<(StoreKind, u64)>,
    /// Stick rules use it: the server id and name travel with every entry.
    pub sticking: bool,
}

impl TableSpec {
    /// The definition sent to a peer before this table's first update.
    pub fn define(&self, id: u64) -> Define {
        let mut types = 0u64;
        if self.sticking {
            types |= 1 << bit(StoreKind::ServerId) | 1 << SERVER_KEY;
        }
        for (k, _) in &self.stored {
            types |= 1 << bit(*k);
        }
        let mut periods: Vec<(u64, u64)> = self
            .stored
            .iter()
            .filter(|(k, _)| is_rate(*k))
            .map(|(k, p)| (bit(*k), *p))
            .collect();
        periods.sort_unstable();
        Define {
            id,
            name: self.name.clone(),
            key_type: key_type(self.key_type),
            key_len: match self.key_type {
                TableType::Ip | TableType::Integer => 4,
                TableType::Ipv6 => 16,
                // Strings are sized with their terminating zero.
                TableType::String => self.key_len as u64 + 1,
                TableType::Binary => self.key_len as u64,
            },
            types,
            expire: self.expire_ms,
            periods,
        }
    }
}

/// The names of servers sent on one connection: the first time a name goes with a
/// number, later only the number.
#[derive(Debug, Default)]
pub struct SendNames {
    ids: HashMap<String, u64>,
}

/// The names a peer sent on one connection, by number.
#[derive(Debug, Default)]
pub struct RecvNames {
    names: HashMap<u64, String>,
}

/// One entry read from a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incoming {
    pub key: Vec<u8>,
    /// The sender's server number (1-based, 0: none).
    pub server_id: Option<u64>,
    pub server_name: Option<String>,
    /// Values of the types this side knows, servers aside.
    pub values: Vec<(StoreKind, Shared)>,
}

/// An entry's key and data as a table update's body, in the order `d` announces.
pub fn encode_entry(
    d: &Define,
    key: &[u8],
    e: &Exported,
    server_name: Option<&str>,
    names: &mut SendNames,
    out: &mut Vec<u8>,
) {
    match d.key_type {
        6 => {
            put_int(out, key.len() as u64);
            out.extend_from_slice(key);
        }
        _ => out.extend_from_slice(key),
    }
    for b in 0..64u64 {
        if d.types & (1 << b) == 0 {
            continue;
        }
        if b == SERVER_KEY {
            match server_name {
                Some(n) => {
                    let next = names.ids.len() as u64 + 1;
                    let mut v = Vec::new();
                    match names.ids.get(n) {
                        Some(id) => put_int(&mut v, *id),
                        None => {
                            names.ids.insert(n.to_string(), next);
                            put_int(&mut v, next);
                            put_int(&mut v, n.len() as u64);
                            v.extend_from_slice(n.as_bytes());
                        }
                    }
                    put_int(out, v.len() as u64);
                    out.extend_from_slice(&v);
                }
                None => put_int(out, 0),
            }
            continue;
        }
        let Some(k) = kind_of(b) else {
            // Only definitions this side made are encoded: every bit is known.
            continue;
        };
        if k == StoreKind::ServerId {
            put_int(out, e.server.map(|i| i as u64 + 1).unwrap_or(0));
            continue;
        }
        let v = e.values.iter().find(|(x, _)| *x == k).map(|(_, v)| *v);
        match v {
            Some(Shared::Count(n)) => put_int(out, n),
            Some(Shared::Rate {
                elapsed: Some(el),
                curr,
                prev,
            }) => {
                put_int(out, el);
                put_int(out, u64::from(curr));
                put_int(out, u64::from(prev));
            }
            Some(Shared::Rate { elapsed: None, .. }) if is_rate(k) => {
                out.extend_from_slice(&[0, 0, 0]);
            }
            _ if is_rate(k) => out.extend_from_slice(&[0, 0, 0]),
            _ => put_int(out, 0),
        }
    }
}

/// Reads an update's body with the peer's definition `d`.
pub fn decode_entry(d: &Define, body: &[u8], names: &mut RecvNames) -> Result<Incoming, WireError> {
    let mut at = 0;
    let key = match d.key_type {
        6 => {
            let n = body_int(body, &mut at)?;
            body_bytes(
                body,
                &mut at,
                usize::try_from(n).map_err(|_| WireError::Short)?,
            )?
        }
        2 | 4 => body_bytes(body, &mut at, 4)?,
        5 => body_bytes(body, &mut at, 16)?,
        _ => body_bytes(
            body,
            &mut at,
            usize::try_from(d.key_len).map_err(|_| WireError::Short)?,
        )?,
    }
    .to_vec();
    let mut got = Incoming {
        key,
        server_id: None,
        server_name: None,
        values: Vec::new(),
    };
    for b in 0..64u64 {
        if d.types & (1 << b) == 0 {
            continue;
        }
        if b == SERVER_KEY {
            let n = body_int(body, &mut at)?;
            let v = body_bytes(
                body,
                &mut at,
                usize::try_from(n).map_err(|_| WireError::Short)?,
            )?;
            if v.is_empty() {
                continue;
            }
            let mut i = 0;
            let id = body_int(v, &mut i)?;
            if i < v.len() {
                let len = body_int(v, &mut i)?;
                let s = body_bytes(
                    v,
                    &mut i,
                    usize::try_from(len).map_err(|_| WireError::Short)?,
                )?;
                names
                    .names
                    .insert(id, String::from_utf8_lossy(s).into_owned());
            }
            got.server_name = names.names.get(&id).cloned();
            continue;
        }
        // A type this side cannot read: nothing after it can be found.
        let k = kind_of(b).ok_or(WireError::Unknown(10, b as u8))?;
        if is_rate(k) {
            let el = body_int(body, &mut at)?;
            let curr = body_int(body, &mut at)?;
            let prev = body_int(body, &mut at)?;
            got.values.push((
                k,
                Shared::Rate {
                    elapsed: Some(el),
                    curr: u32::try_from(curr).unwrap_or(u32::MAX),
                    prev: u32::try_from(prev).unwrap_or(u32::MAX),
                },
            ));
        } else {
            let n = body_int(body, &mut at)?;
            if k == StoreKind::ServerId {
                got.server_id = Some(n);
            } else {
                got.values.push((k, Shared::Count(n)));
            }
        }
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::wire::tests::hex;
    use super::*;
    use proptest::prelude::*;

    fn parse_define(h: &str) -> Define {
        match wire::parse(&hex(h)).unwrap().unwrap().0 {
            wire::Msg::Define(d) => d,
            m => panic!("{m:?}"),
        }
    }

    /// What HAProxy 2.6 sent for `stick-table type ip size 1k expire 30s store
    /// conn_cur,conn_rate(5s)` with `stick on src` (server id, rate, count, server
    /// name), and the same definition made here.
    #[test]
    fn sticking_table_as_haproxy_sends_it() {
        let d = parse_define("0a8211010262650404f1f7fe00f0c40d05f8a901");
        let spec = TableSpec {
            name: "be".into(),
            key_type: TableType::Ip,
            key_len: 32,
            expire_ms: 30_000,
            stored: vec![(StoreKind::ConnRate, 5000), (StoreKind::ConnCur, 0)],
            sticking: true,
        };
        assert_eq!(spec.define(1), d);
        let mut names = RecvNames::default();
        // First the name goes with its number, then the number alone.
        let a = decode_entry(&d, &hex("7f00000101000100000401027331"), &mut names).unwrap();
        assert_eq!(a.key, vec![127, 0, 0, 1]);
        assert_eq!(a.server_id, Some(1));
        assert_eq!(a.server_name.as_deref(), Some("s1"));
        assert_eq!(
            a.values,
            vec![
                (
                    StoreKind::ConnRate,
                    Shared::Rate {
                        elapsed: Some(0),
                        curr: 1,
                        prev: 0
                    }
                ),
                (StoreKind::ConnCur, Shared::Count(0)),
            ]
        );
        let b = decode_entry(&d, &hex("7f00000302120200010102"), &mut names).unwrap();
        assert_eq!(b.server_name, None, "number 2 was never named here");
        let mut names2 = RecvNames::default();
        decode_entry(&d, &hex("7f00000302070100000402027332"), &mut names2).unwrap();
        let c = decode_entry(&d, &hex("7f00000302120200010102"), &mut names2).unwrap();
        assert_eq!(c.server_name.as_deref(), Some("s2"));
        assert_eq!(c.server_id, Some(2));

        // Written here: the same bytes as HAProxy's first update.
        let mut send = SendNames::default();
        let mut out = Vec::new();
        let e = Exported {
            server: Some(0),
            values: a.values.clone(),
        };
        encode_entry(&d, &[127, 0, 0, 1], &e, Some("s1"), &mut send, &mut out);
        assert_eq!(out, hex("7f00000101000100000401027331"));
        out.clear();
        encode_entry(&d, &[127, 0, 0, 1], &e, Some("s1"), &mut send, &mut out);
        assert_eq!(out, hex("7f00000101000100000101"));
    }

    #[test]
    fn string_keys_carry_their_length() {
        let d = parse_define("0a8210020673745f7374720611f2f102f0971c");
        assert_eq!(d.key_len, 17);
        let mut names = RecvNames::default();
        let e = decode_entry(&d, &hex("0361626307fc03"), &mut names).unwrap();
        assert_eq!(e.key, b"abc");
        assert_eq!(
            e.values,
            vec![
                (StoreKind::Gpt0, Shared::Count(7)),
                (StoreKind::BytesInCnt, Shared::Count(300))
            ]
        );
    }

    fn kinds() -> Vec<StoreKind> {
        StoreKind::ALL
            .iter()
            .copied()
            .filter(|k| *k != StoreKind::ServerId)
            .collect()
    }

    proptest! {
        /// Whatever a table stores, an entry written with its definition reads back.
        #[test]
        fn entries_read_back(
            mask in any::<u32>(),
            sticking in any::<bool>(),
            key in proptest::collection::vec(any::<u8>(), 1..20),
            server in proptest::option::of(0usize..100),
            name in proptest::option::of("[a-z0-9]{1,8}"),
            seed in any::<u64>(),
        ) {
            let stored: Vec<(StoreKind, u64)> = kinds()
                .into_iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, k)| (k, if is_rate(k) { 1000 } else { 0 }))
                .collect();
            let spec = TableSpec {
                name: "t".into(),
                key_type: TableType::String,
                key_len: 32,
                expire_ms: 1000,
                stored: stored.clone(),
                sticking,
            };
            let d = spec.define(3);
            let values: Vec<(StoreKind, Shared)> = stored
                .iter()
                .enumerate()
                .map(|(i, (k, _))| {
                    let n = seed.rotate_left(i as u32);
                    (*k, if is_rate(*k) {
                        Shared::Rate { elapsed: Some(n % 5000), curr: n as u32, prev: (n >> 32) as u32 }
                    } else {
                        Shared::Count(n)
                    })
                })
                .collect();
            let e = Exported { server, values: values.clone() };
            let mut out = Vec::new();
            encode_entry(&d, &key, &e, name.as_deref(), &mut SendNames::default(), &mut out);
            let got = decode_entry(&d, &out, &mut RecvNames::default()).unwrap();
            prop_assert_eq!(got.key, key);
            let mut want = values;
            want.sort_by_key(|(k, _)| bit(*k));
            prop_assert_eq!(got.values, want);
            if sticking {
                prop_assert_eq!(got.server_id, Some(server.map(|s| s as u64 + 1).unwrap_or(0)));
                prop_assert_eq!(got.server_name, name);
            }
        }
    }
}
