//! Golden scenarios (tests/scenarios/*.jsonl): replay each scenario's inputs and compare
//! the actions with the recorded ones. `UPDATE_SCENARIOS=1` rewrites the files (then
//! review the diff: each file is a statement about VRRP behaviour).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use vrrp_core::scenario::{self, Line};

#[test]
fn scenarios_replay_exactly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 30,
        "expected at least 30 scenarios, found {}",
        files.len()
    );
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines = scenario::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let mut last = 0;
        for l in &lines {
            if let Line::In { t, .. } | Line::End { t, .. } = l {
                assert!(*t >= last, "{}: time goes backwards at {t}", f.display());
                last = *t;
            }
        }
        let got = scenario::render(&scenario::run(&lines));
        if std::env::var_os("UPDATE_SCENARIOS").is_some() {
            std::fs::write(f, &got).unwrap();
            continue;
        }
        if got != text {
            failures.push(format!(
                "{}:\n--- expected\n{text}--- got\n{got}",
                f.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
