//! The map files the configuration's `map*` converters name, read once when the plan is
//! built (a missing or malformed file fails `-c` and the start, naming the line), then
//! matched by proxy-core.

use super::PlanError;
use haproxy_conf::model::Config;
use haproxy_conf::sample::conv::{MapConv, MapMatch, MapOut};
use proxy_core::map::{default_value, Map};
use proxy_core::sample::Value;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct Maps(HashMap<(String, MapMatch, MapOut), Map>);

impl Maps {
    pub fn load(cfg: &Config) -> (Maps, Vec<PlanError>) {
        let mut maps = HashMap::new();
        let mut errors = Vec::new();
        for (m, span) in haproxy_conf::checks::map_uses(cfg) {
            let key = (m.file.clone(), m.matching, m.output);
            if maps.contains_key(&key) {
                continue;
            }
            let loaded = std::fs::read_to_string(&m.file)
                .map_err(|e| format!("map file `{}`: {e}", m.file))
                .and_then(|text| {
                    Map::parse(&text, m.matching, m.output)
                        .map_err(|e| format!("map file `{}`, {e}", m.file))
                });
            match loaded {
                Ok(map) => {
                    maps.insert(key, map);
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
        (Maps(maps), errors)
    }

    /// The value for `key`, else the converter's default.
    pub fn lookup(&self, m: &MapConv, key: &Value) -> Option<Value> {
        self.0
            .get(&(m.file.clone(), m.matching, m.output))
            .and_then(|map| map.lookup(key))
            .or_else(|| {
                m.default
                    .as_deref()
                    .and_then(|d| default_value(d, m.output))
            })
    }
}
