//! Whole front end on arbitrary bytes: lexer, tree, model, checks, both renderers.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let opts = keepalived_conf::LexOptions {
        config_id: Some("lb1".into()),
    };
    let loaded = keepalived_conf::load_str("fuzz.conf", &text, &opts);
    let _ = conf_diag::render_human_all(&loaded.map, &loaded.diags);
    for d in loaded.diags.iter() {
        let _ = conf_diag::render_line(&loaded.map, d);
    }
    let _ = keepalived_conf::dump::to_keepalived_syntax(&loaded.config);
});
