//! docs/haproxy-compat.md must match the keyword registry.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn keyword_doc_is_fresh() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/haproxy-compat.md");
    let want = haproxy_conf::registry::markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/haproxy-compat.md is stale: run UPDATE_DOCS=1 cargo test -p haproxy-conf --test docs_fresh"
    );
}
