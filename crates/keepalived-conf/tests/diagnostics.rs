//! Snapshot tests of the rendered diagnostics for broken configs (tests/broken/*.conf).
//! The corpus is the broken half of tests/keepalived-oracle (exit code != 0 with
//! keepalived 2.2.7) plus a few multi-mistake configs, and cases that show vrrpd's own
//! warnings for lines keepalived passes silently (248, 260, 265, 274).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use conf_diag::{render_human_all, render_line};
use keepalived_conf::{load, FsLoader, LexOptions};

#[test]
fn broken_configs() {
    insta::glob!("broken/*.conf", |path| {
        let rel = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .to_path_buf();
        let opts = LexOptions {
            config_id: Some("lb1".into()),
        };
        let loaded = load(&rel, &FsLoader, &opts);
        let mut out = render_human_all(&loaded.map, &loaded.diags);
        out.push_str("--- one-line form ---\n");
        for d in loaded.diags.iter() {
            out.push_str(&render_line(&loaded.map, d));
            out.push('\n');
        }
        insta::assert_snapshot!(out);
    });
}
