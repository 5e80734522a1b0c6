//! The map files the configuration's `map*` converters name, read once when the plan is
//! built (a missing or malformed file fails `-c` and the start, naming the line), then
//! matched by proxy-core. The runtime API changes them in memory (`add|del|set|clear
//! map`): each file's entries are kept as written, and every typed map made from the
//! file is made again from them.

use super::PlanError;
use haproxy_conf::model::Config;
use haproxy_conf::sample::conv::{MapConv, MapMatch, MapOut};
use proxy_core::map::{default_value, Map};
use proxy_core::sample::Value;
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

/// One file: its entries as the runtime API shows them (a reference, key, value), and
/// the kinds of map made from it.
#[derive(Debug)]
pub struct MapFile {
    pub path: String,
    pub entries: RwLock<Vec<(u64, String, String)>>,
    kinds: Vec<(MapMatch, MapOut)>,
}

#[derive(Debug, Default)]
pub struct Maps {
    typed: HashMap<(String, MapMatch, MapOut), RwLock<Map>>,
    /// In the order the configuration first names them (`#0`, `#1`...).
    pub files: Vec<MapFile>,
}

/// The plan's maps, for the runtime API (set once at start).
pub static MAPS: OnceLock<std::sync::Arc<Maps>> = OnceLock::new();

/// References of entries (what `show map` prints before each).
static NEXT_REF: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0x5ee_d000_0000);

fn next_ref() -> u64 {
    NEXT_REF.fetch_add(0x50, std::sync::atomic::Ordering::Relaxed)
}

impl Maps {
    pub fn load(cfg: &Config) -> (Maps, Vec<PlanError>) {
        let mut maps = HashMap::new();
        let mut files: Vec<MapFile> = Vec::new();
        let mut errors = Vec::new();
        for (m, span) in haproxy_conf::checks::map_uses(cfg) {
            let key = (m.file.clone(), m.matching, m.output);
            if maps.contains_key(&key) {
                continue;
            }
            let loaded = std::fs::read_to_string(&m.file)
                .map_err(|e| format!("map file `{}`: {e}", m.file))
                .and_then(|text| {
                    let entries = proxy_core::map::entries(&text);
                    Map::from_entries(&entries, m.matching, m.output)
                        .map(|map| (map, entries))
                        .map_err(|e| format!("map file `{}`, {e}", m.file))
                });
            match loaded {
                Ok((map, entries)) => {
                    maps.insert(key, RwLock::new(map));
                    match files.iter_mut().find(|f: &&mut MapFile| f.path == m.file) {
                        Some(f) => f.kinds.push((m.matching, m.output)),
                        None => files.push(MapFile {
                            path: m.file.clone(),
                            entries: RwLock::new(
                                entries
                                    .into_iter()
                                    .map(|(_, k, v)| (next_ref(), k, v))
                                    .collect(),
                            ),
                            kinds: vec![(m.matching, m.output)],
                        }),
                    }
                }
                Err(message) => errors.push(PlanError {
                    span: Some(span),
                    message,
                }),
            }
            if let Some(d) = &m.default {
                if default_value(d, m.output).is_none() {
                    errors.push(PlanError {
                        span: Some(span),
                        message: format!(
                            "map default `{d}` is not of the map's output type ({:?})",
                            m.output
                        ),
                    });
                }
            }
        }
        (Maps { typed: maps, files }, errors)
    }

    /// The value for `key`, else the converter's default.
    pub fn lookup(&self, m: &MapConv, key: &Value) -> Option<Value> {
        self.typed
            .get(&(m.file.clone(), m.matching, m.output))
            .and_then(|map| map.read().ok()?.lookup(key))
            .or_else(|| {
                m.default
                    .as_deref()
                    .and_then(|d| default_value(d, m.output))
            })
    }
}

/// Why a change is refused, in HAProxy's words.
pub const UNKNOWN_MAP: &str = "Unknown map identifier. Please use #<id> or <file>.\n";

impl Maps {
    /// The file a command names: its path or `#N`.
    pub fn file(&self, id: &str) -> Option<(usize, &MapFile)> {
        match id.strip_prefix('#') {
            Some(n) => n
                .parse::<usize>()
                .ok()
                .and_then(|i| Some((i, self.files.get(i)?))),
            None => self.files.iter().enumerate().find(|(_, f)| f.path == id),
        }
    }

    /// Change file `f`'s entries with `change`, then make its maps again; a change that
    /// makes an entry unfit for one of them is undone and its reason returned.
    pub fn change(
        &self,
        f: &MapFile,
        change: impl FnOnce(&mut Vec<(u64, String, String)>) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut entries = match f.entries.write() {
            Ok(e) => e,
            Err(p) => p.into_inner(),
        };
        let mut next = entries.clone();
        change(&mut next)?;
        let list: Vec<(usize, String, String)> = next
            .iter()
            .enumerate()
            .map(|(i, (_, k, v))| (i + 1, k.clone(), v.clone()))
            .collect();
        let mut made = Vec::new();
        for &(matching, out) in &f.kinds {
            for (_, k, v) in &next {
                Map::check_entry(k, v, matching, out)?;
            }
            made.push((matching, out, Map::from_entries(&list, matching, out)?));
        }
        for (matching, out, map) in made {
            if let Some(slot) = self.typed.get(&(f.path.clone(), matching, out)) {
                match slot.write() {
                    Ok(mut m) => *m = map,
                    Err(p) => *p.into_inner() = map,
                }
            }
        }
        *entries = next;
        Ok(())
    }

    /// A new entry's reference.
    pub fn new_ref() -> u64 {
        next_ref()
    }

    /// What file `f` gives for `value` (its first kind of map), for `get map`.
    pub fn get(&self, f: &MapFile, value: &str) -> Option<(MapMatch, Value)> {
        let (matching, out) = *f.kinds.first()?;
        let map = self.typed.get(&(f.path.clone(), matching, out))?;
        let found = map.read().ok()?.lookup(&Value::Str(value.to_string()));
        found.map(|v| (matching, v))
    }
}
