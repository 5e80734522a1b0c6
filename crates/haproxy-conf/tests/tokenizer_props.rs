//! Property tests: the tokenizer and the whole front end never panic, and spans stay in bounds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use haproxy_conf::tokenizer::{lex_line, NoEnv};
use proptest::prelude::*;

fn config_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("\\".to_string()),
        Just("\\x4".to_string()),
        Just("#".to_string()),
        Just("$".to_string()),
        Just("${A".to_string()),
        Just("${A[*]}".to_string()),
        Just("}".to_string()),
        Just("{".to_string()),
        Just("!".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just(" ".to_string()),
        Just("\u{a0}".to_string()),
        Just("\t".to_string()),
        Just(".if ".to_string()),
        Just(".endif\n".to_string()),
        Just("frontend ".to_string()),
        Just("backend ".to_string()),
        Just("defaults ".to_string()),
        Just("bind ".to_string()),
        Just("server ".to_string()),
        Just("acl ".to_string()),
        Just("use_backend ".to_string()),
        Just("if ".to_string()),
        Just(":80".to_string()),
        Just("127.0.0.1:80443".to_string()),
        "[a-z_0-9./:-]{1,12}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..80).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn tokenizer_spans_are_in_bounds(line in any::<String>()) {
        let line = line.replace('\n', " ");
        let l = lex_line(&line);
        for w in &l.words {
            prop_assert!(w.start < w.end && w.end <= line.len());
            prop_assert!(line.is_char_boundary(w.start) && line.is_char_boundary(w.end));
        }
    }

    #[test]
    fn front_end_never_panics(text in config_like()) {
        let loaded = haproxy_conf::load_str("p.cfg", &text, &NoEnv);
        let _ = conf_diag::render_human_all(&loaded.map, &loaded.diags);
        for d in loaded.diags.iter() {
            if let Some(s) = d.span {
                let f = loaded.map.file(s.file).unwrap();
                prop_assert!(s.start <= s.end && (s.end as usize) <= f.text.len());
                prop_assert!(f.text.is_char_boundary(s.start as usize));
                prop_assert!(f.text.is_char_boundary(s.end as usize));
            }
        }
    }
}
