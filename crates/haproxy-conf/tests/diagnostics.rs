//! Snapshot tests of the rendered diagnostics for broken configs (tests/broken/*.cfg): the
//! cases HAProxy 2.6 rejects from tests/haproxy-oracle, plus seeds 000 and 003.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use conf_diag::{render_human_all, render_line};
use haproxy_conf::tokenizer::NoEnv;
use haproxy_conf::{load, FsLoader};

#[test]
fn broken_configs() {
    insta::glob!("broken/*.cfg", |path| {
        let rel = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap()
            .to_path_buf();
        let loaded = load(&[rel], &FsLoader, &NoEnv);
        let mut out = render_human_all(&loaded.map, &loaded.diags);
        out.push_str("--- one-line form ---\n");
        for d in loaded.diags.iter() {
            out.push_str(&render_line(&loaded.map, d));
            out.push('\n');
        }
        insta::assert_snapshot!(out);
    });
}

#[test]
fn seed000_names_both_ports_and_the_missing_backend_in_one_run() {
    let loaded = load(&["tests/broken/seed000.cfg".into()], &FsLoader, &NoEnv);
    let lines: Vec<String> = loaded
        .diags
        .iter()
        .filter(|d| d.severity == conf_diag::Severity::Error)
        .map(|d| render_line(&loaded.map, d))
        .collect();
    let has = |needle: &str| lines.iter().filter(|l| l.contains(needle)).count();
    assert_eq!(has("80443"), 2, "{lines:#?}");
    assert_eq!(has("postch-exphub-prod-live-http"), 2, "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("did you mean `web-prod-http`?")),
        "{lines:#?}"
    );
}
