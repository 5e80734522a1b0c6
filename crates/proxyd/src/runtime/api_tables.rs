//! The runtime API's stick table commands on the running tables: `show table`,
//! `clear table`, `set table`, read and answered by `proxy_core::table_cli`.

use super::stick::{TableRt, Tables};
use haproxy_conf::model::StoreKind;
use proxy_core::runtime_api::Level;
use proxy_core::table_cli::{self, Select};
use std::sync::{Arc, OnceLock};

/// The process's tables, for the runtime API.
pub static TABLES: OnceLock<Arc<Tables>> = OnceLock::new();

fn tables() -> Option<&'static Arc<Tables>> {
    TABLES.get()
}

/// What the table holds, as HAProxy shows it: server ids only where stick rules use it.
fn stores(t: &TableRt, sticky: bool) -> impl Fn(StoreKind) -> bool + '_ {
    move |k| (sticky || k != StoreKind::ServerId) && t.lock().stores(k)
}

fn header(name: &str, t: &TableRt) -> String {
    let used = t.lock().live_count(t.now());
    table_cli::header(name, t.key_type, t.size, used)
}

/// The name of the server a stored id stands for, in the backend sticking to the table.
fn server_name(ts: &Tables, table: &str, id: i64) -> Option<String> {
    let be = ts.sticking(table)?;
    let b = super::stats::BACKENDS
        .get()?
        .iter()
        .find(|b| b.name == be)?;
    let i = usize::try_from(id).ok()?.checked_sub(1)?;
    b.servers.get(i).map(|s| s.name.clone())
}

pub fn show(name: Option<&str>, args: &[String], level: Level) -> String {
    let Some(ts) = tables() else {
        return String::new();
    };
    let Some(name) = name else {
        return ts.listed().map(|(n, t)| header(n, t)).collect();
    };
    let Some(t) = ts.get(name) else {
        return "No such table\n".into();
    };
    let sticky = ts.sticking(name).is_some();
    let sel = match table_cli::select(args, stores(t, sticky)) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let head = header(name, t);
    if level < Level::Operator {
        return head + "# contents not dumped due to insufficient privileges\n";
    }
    let now = t.now();
    let line = |r: &proxy_core::stick::Row| {
        table_cli::row_line(t.key_type, r, |id| server_name(ts, name, id))
    };
    match sel {
        Select::All => {
            head + &t
                .lock()
                .rows(sticky, now)
                .iter()
                .map(line)
                .collect::<String>()
        }
        Select::Filters(f) => {
            let rows = t.lock().rows(sticky, now);
            head + &rows
                .iter()
                .filter(|r| f.iter().all(|f| f.matches(r)))
                .map(line)
                .collect::<String>()
        }
        // A key that is not there (or cannot be one) lists nothing, not even the header.
        Select::Key(k) => table_cli::parse_key(t.key_type, t.key_len, &k)
            .ok()
            .and_then(|key| t.lock().row(&key, sticky, now))
            .map(|r| head + &line(&r))
            .unwrap_or_default(),
    }
}

pub fn clear(name: &str, args: &[String], level: Level) -> String {
    let Some(t) = tables().and_then(|ts| ts.get(name)) else {
        return "No such table\n".into();
    };
    let sticky = tables().is_some_and(|ts| ts.sticking(name).is_some());
    let sel = match table_cli::select(args, stores(t, sticky)) {
        Ok(s) => s,
        Err(e) => return e,
    };
    // Below operator HAProxy silently does nothing.
    if level < Level::Operator {
        return String::new();
    }
    let now = t.now();
    let mut g = t.lock();
    match sel {
        Select::All => {
            for r in g.rows(sticky, now) {
                g.remove_unused(&r.key);
            }
        }
        Select::Filters(f) => {
            for r in g.rows(sticky, now) {
                if f.iter().all(|f| f.matches(&r)) {
                    g.remove_unused(&r.key);
                }
            }
        }
        Select::Key(k) => {
            if let Ok(key) = table_cli::parse_key(t.key_type, t.key_len, &k) {
                g.remove_unused(&key);
            }
        }
    }
    String::new()
}

pub fn set(name: &str, args: &[String]) -> String {
    let Some(t) = tables().and_then(|ts| ts.get(name)) else {
        return "No such table\n".into();
    };
    let sticky = tables().is_some_and(|ts| ts.sticking(name).is_some());
    match args.first().map(String::as_str) {
        None => return String::new(),
        Some("key") => {}
        Some(_) => {
            return "Optional argument only supports \"data.<store_data_type>\" <operator> <value> and key <key>\n".into()
        }
    }
    let Some(k) = args.get(1) else {
        return "Key value expected\n".into();
    };
    let key = match table_cli::parse_key(t.key_type, t.key_len, k) {
        Ok(key) => key,
        Err(e) => return e.into(),
    };
    let now = t.now();
    // The entry is made before its data are read, as HAProxy does: a bad value leaves
    // the new entry and the values before it.
    if !t.lock().touch(&key, now) {
        return "Unable to allocate a new entry\n".into();
    }
    let (values, err) = table_cli::set_data(&args[2..], stores(t, sticky));
    let mut g = t.lock();
    for (kind, v) in values {
        g.set_value(&key, kind, v, now);
    }
    err.unwrap_or_default()
}
