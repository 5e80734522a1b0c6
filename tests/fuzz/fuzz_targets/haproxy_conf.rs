//! Whole haproxy.cfg front end on arbitrary bytes: tokenizer, directives, sections,
//! registry, model, checks, both renderers and the JSON dump.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let env: HashMap<String, String> = [("A".to_string(), "x y".to_string())].into_iter().collect();
    let loaded = haproxy_conf::load_str("fuzz.cfg", &text, &env);
    let _ = conf_diag::render_human_all(&loaded.map, &loaded.diags);
    for d in loaded.diags.iter() {
        let _ = conf_diag::render_line(&loaded.map, d);
    }
});
