//! The runtime API's stick table commands (`show table`, `clear table`, `set table`):
//! their arguments read against one table as HAProxy reads them, with its replies for
//! what is wrong, and the listing in its layout. Pure: the caller holds the table.

use crate::stick::Row;
use haproxy_conf::model::{StoreKind, TableType};
use std::net::{Ipv4Addr, Ipv6Addr};

/// At most this many `data.TYPE OP VALUE` filters (HAProxy's limit).
const MAX_FILTERS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Le,
    Ge,
    Lt,
    Gt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    pub kind: StoreKind,
    pub op: Op,
    pub value: i64,
}

impl Filter {
    pub fn matches(&self, row: &Row) -> bool {
        let Some(&(_, _, v)) = row.values.iter().find(|(k, _, _)| *k == self.kind) else {
            return false;
        };
        let w = self.value;
        match self.op {
            Op::Eq => v == w,
            Op::Ne => v != w,
            Op::Le => v <= w,
            Op::Ge => v >= w,
            Op::Lt => v < w,
            Op::Gt => v > w,
        }
    }
}

/// Which entries a `show table` / `clear table` is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Select {
    All,
    /// `key K` (the key as typed).
    Key(String),
    Filters(Vec<Filter>),
}

/// A `data.TYPE` word's type.
fn data_type(w: &str) -> Option<StoreKind> {
    StoreKind::named(w.strip_prefix("data.")?)
}

/// The words after the table's name (`args`, the command's 4th word on) of a `show` or
/// `clear`; `stores`: whether the table stores a type.
pub fn select(args: &[String], stores: impl Fn(StoreKind) -> bool) -> Result<Select, String> {
    let Some(first) = args.first() else {
        return Ok(Select::All);
    };
    if first == "key" {
        return match args.get(1) {
            Some(k) => Ok(Select::Key(k.clone())),
            None => Err("Key value expected\n".into()),
        };
    }
    if !first.starts_with("data.") {
        return Err("Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>\n".into());
    }
    let mut filters = Vec::new();
    for (i, w) in args.chunks(3).take(MAX_FILTERS).enumerate() {
        let n = i + 1;
        let kind =
            data_type(&w[0]).ok_or_else(|| format!("Filter entry #{n}: Unknown data type\n"))?;
        if !stores(kind) {
            return Err(format!(
                "Filter entry #{n}: Data type not stored in this table\n"
            ));
        }
        let op = match w.get(1).map(String::as_str) {
            Some("eq") => Op::Eq,
            Some("ne") => Op::Ne,
            Some("le") => Op::Le,
            Some("ge") => Op::Ge,
            Some("lt") => Op::Lt,
            Some("gt") => Op::Gt,
            _ => {
                // HAProxy's own words, "and" included.
                return Err(format!("Filter entry #{n}: Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n"));
            }
        };
        let value = w
            .get(2)
            .and_then(|v| v.parse::<i64>().ok())
            .ok_or_else(|| {
                format!("Filter entry #{n}: Require a valid integer value to compare against\n")
            })?;
        filters.push(Filter { kind, op, value });
    }
    if args.len() > 3 * MAX_FILTERS {
        // Counted from the command's first word: `show table NAME` are the first three.
        let at = 3 * MAX_FILTERS + 4;
        let after = args.get(3 * MAX_FILTERS - 1).map_or("", String::as_str);
        return Err(format!(
            "Detected extra data in filter, {at}th word of input, after '{after}'\n"
        ));
    }
    Ok(Select::Filters(filters))
}

/// `set table NAME key K` then `data.TYPE VALUE` pairs. Errors stop at the first bad
/// pair; the pairs before it are returned with it (HAProxy sets them before saying).
pub fn set_data(
    args: &[String],
    stores: impl Fn(StoreKind) -> bool,
) -> (Vec<(StoreKind, i64)>, Option<String>) {
    let mut out = Vec::new();
    for w in args.chunks(2) {
        if !w[0].starts_with("data.") {
            return (
                out,
                Some("\"data.<type>\" followed by a value expected\n".into()),
            );
        }
        let Some(kind) = data_type(&w[0]) else {
            return (out, Some("Unknown data type\n".into()));
        };
        if !stores(kind) {
            return (out, Some("Data type not stored in this table\n".into()));
        }
        let Some(v) = w.get(1).and_then(|v| v.parse::<i64>().ok()) else {
            return (out, Some("Require a valid integer value to store\n".into()));
        };
        out.push((kind, v));
    }
    (out, None)
}

/// A key as typed, as the table keeps it; `len` for string keys. Binary keys cannot be
/// typed (HAProxy's reply).
pub fn parse_key(t: TableType, len: usize, text: &str) -> Result<Vec<u8>, &'static str> {
    match t {
        TableType::Ip => text
            .parse::<Ipv4Addr>()
            .map(|a| a.octets().to_vec())
            .map_err(|_| "Invalid key\n"),
        TableType::Ipv6 => text
            .parse::<Ipv6Addr>()
            .map(|a| a.octets().to_vec())
            .map_err(|_| "Invalid key\n"),
        TableType::Integer => text
            .parse::<u32>()
            .map(|n| n.to_be_bytes().to_vec())
            .map_err(|_| "Invalid key\n"),
        TableType::String => {
            let mut b = text.as_bytes().to_vec();
            b.truncate(len.max(1));
            Ok(b)
        }
        TableType::Binary => Err("Inserting keys into tables of type other than ip, ipv6, string and integer is not supported\n"),
    }
}

/// A stored key as `show table` prints it.
pub fn key_text(t: TableType, key: &[u8]) -> String {
    match t {
        TableType::Ip => <[u8; 4]>::try_from(key)
            .map(|b| Ipv4Addr::from(b).to_string())
            .unwrap_or_default(),
        TableType::Ipv6 => <[u8; 16]>::try_from(key)
            .map(|b| Ipv6Addr::from(b).to_string())
            .unwrap_or_default(),
        TableType::Integer => <[u8; 4]>::try_from(key)
            .map(|b| u32::from_be_bytes(b).to_string())
            .unwrap_or_default(),
        TableType::String => {
            let end = key.iter().position(|&b| b == 0).unwrap_or(key.len());
            String::from_utf8_lossy(&key[..end]).into_owned()
        }
        // Printable bytes as they are, the others escaped.
        TableType::Binary => key
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() {
                    char::from(b).to_string()
                } else {
                    format!("\\x{b:02x}")
                }
            })
            .collect(),
    }
}

pub fn type_name(t: TableType) -> &'static str {
    match t {
        TableType::Ip => "ip",
        TableType::Ipv6 => "ipv6",
        TableType::Integer => "integer",
        TableType::String => "string",
        TableType::Binary => "binary",
    }
}

/// `# table: NAME, type: TYPE, size:N, used:N`.
pub fn header(name: &str, t: TableType, size: u64, used: usize) -> String {
    format!(
        "# table: {name}, type: {}, size:{size}, used:{used}\n",
        type_name(t)
    )
}

/// One entry's line. proxyd has no entry address to show: a number made from the key
/// stands in its place, so the line keeps HAProxy's layout and entries stay told
/// apart. `server`: a server id's name, when known.
pub fn row_line(t: TableType, row: &Row, server: impl Fn(i64) -> Option<String>) -> String {
    let mut o = format!(
        "0x{:012x}: key={} use={} exp={}",
        0x5500_0000_0000_u64 | u64::from(crate::hash::djb2(&row.key)),
        key_text(t, &row.key),
        row.refs,
        row.expire_in.unwrap_or(0)
    );
    for &(k, period, v) in &row.values {
        if k.is_rate() {
            o.push_str(&format!(" {}({period})={v}", k.name()));
        } else {
            o.push_str(&format!(" {}={v}", k.name()));
        }
        if k == StoreKind::ServerId {
            let name = row.server_named.then(|| server(v)).flatten();
            o.push_str(&format!(" server_key={}", name.as_deref().unwrap_or("-")));
        }
    }
    o.push('\n');
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn selections_and_haproxys_replies() {
        let all = |_: StoreKind| true;
        let only_gpc0 = |k: StoreKind| k == StoreKind::Gpc0;
        assert_eq!(select(&[], all), Ok(Select::All));
        assert_eq!(
            select(&w("key 1.2.3.4"), all),
            Ok(Select::Key("1.2.3.4".into()))
        );
        assert_eq!(select(&w("key"), all), Err("Key value expected\n".into()));
        assert_eq!(
            select(&w("data.gpc0 eq 0 data.conn_cnt gt 5"), all),
            Ok(Select::Filters(vec![
                Filter {
                    kind: StoreKind::Gpc0,
                    op: Op::Eq,
                    value: 0
                },
                Filter {
                    kind: StoreKind::ConnCnt,
                    op: Op::Gt,
                    value: 5
                },
            ]))
        );
        assert_eq!(
            select(&w("data.nope eq 1"), all),
            Err("Filter entry #1: Unknown data type\n".into())
        );
        assert_eq!(
            select(&w("data.gpc0 eq 1 data.conn_cnt eq 1"), only_gpc0),
            Err("Filter entry #2: Data type not stored in this table\n".into())
        );
        assert!(select(&w("data.gpc0 xx 0"), all)
            .unwrap_err()
            .starts_with("Filter entry #1: Require and operator"));
        assert_eq!(
            select(&w("data.gpc0 eq x"), all),
            Err("Filter entry #1: Require a valid integer value to compare against\n".into())
        );
        assert_eq!(
            select(
                &w("data.gpc0 eq 0 data.gpc0 eq 0 data.gpc0 eq 0 data.gpc0 eq 0 data.gpc0 eq 0"),
                all
            ),
            Err("Detected extra data in filter, 16th word of input, after '0'\n".into())
        );
        assert!(select(&w("foo"), all)
            .unwrap_err()
            .starts_with("Optional argument"));
    }

    #[test]
    fn set_pairs_stop_at_the_first_bad_one() {
        let all = |_: StoreKind| true;
        assert_eq!(
            set_data(&w("data.conn_cur 4 data.gpc1 9"), all),
            (vec![(StoreKind::ConnCur, 4), (StoreKind::Gpc1, 9)], None)
        );
        assert_eq!(
            set_data(&w("data.gpc0 3 data.gpc1 5x"), all),
            (
                vec![(StoreKind::Gpc0, 3)],
                Some("Require a valid integer value to store\n".into())
            )
        );
        assert_eq!(
            set_data(&w("foo"), all).1,
            Some("\"data.<type>\" followed by a value expected\n".into())
        );
        assert_eq!(
            set_data(&w("data.nope 1"), all).1,
            Some("Unknown data type\n".into())
        );
    }

    #[test]
    fn keys_both_ways() {
        for (t, text) in [
            (TableType::Ip, "10.0.0.1"),
            (TableType::Ipv6, "::1"),
            (TableType::Integer, "42"),
            (TableType::String, "a.example"),
        ] {
            let k = parse_key(t, 32, text).unwrap();
            assert_eq!(key_text(t, &k), text);
        }
        assert_eq!(parse_key(TableType::Ip, 0, "x"), Err("Invalid key\n"));
        assert_eq!(
            parse_key(TableType::Ipv6, 0, "1.2.3.4"),
            Err("Invalid key\n")
        );
        assert_eq!(parse_key(TableType::String, 3, "abcdef").unwrap(), b"abc");
        assert!(parse_key(TableType::Binary, 4, "0a").is_err());
    }

    #[test]
    fn lines_in_haproxys_layout() {
        let row = Row {
            key: vec![127, 0, 0, 1],
            refs: 0,
            expire_in: Some(29993),
            values: vec![(StoreKind::Gpc0, 0, 5), (StoreKind::HttpReqRate, 10000, 2)],
            server_named: false,
        };
        let line = row_line(TableType::Ip, &row, |_| None);
        let (_, rest) = line.split_once(": ").unwrap();
        assert_eq!(
            rest,
            "key=127.0.0.1 use=0 exp=29993 gpc0=5 http_req_rate(10000)=2\n"
        );
        assert!(line.starts_with("0x"));
        assert_eq!(
            header("f", TableType::Ip, 102400, 1),
            "# table: f, type: ip, size:102400, used:1\n"
        );
    }
}
