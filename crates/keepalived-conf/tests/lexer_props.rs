//! Property tests: the front end never panics, and what it reports points into the input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use keepalived_conf::lexer::{LexOptions, Lexer};
use keepalived_conf::{load_str, MemLoader};
use proptest::prelude::*;

/// Text made of the characters that matter to the grammar, plus anything else.
fn config_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("\"".to_string()),
        Just("#".to_string()),
        Just("!".to_string()),
        Just("$".to_string()),
        Just("${".to_string()),
        Just("@".to_string()),
        Just("@^".to_string()),
        Just("=".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just(" ".to_string()),
        Just("\u{a0}".to_string()),
        Just("\t".to_string()),
        Just("include ".to_string()),
        Just("vrrp_instance ".to_string()),
        Just("virtual_ipaddress ".to_string()),
        Just("priority ".to_string()),
        Just("192.168.1.1/24".to_string()),
        Just("fd00::1/64".to_string()),
        "[a-z_0-9./:-]{1,12}",
        any::<String>(),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_and_spans_are_in_bounds(text in config_like()) {
        let opts = LexOptions { config_id: Some("lb1".into()) };
        let loaded = load_str("p.conf", &text, &opts);
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

    #[test]
    fn unquoted_words_hold_no_space_brace_or_comment(text in config_like()) {
        let loader = MemLoader::new();
        let opts = LexOptions::default();
        let mut lx = Lexer::new(&loader, &opts);
        lx.lex_text("p.conf", &text);
        for line in &lx.lines {
            prop_assert!(!line.words.is_empty());
            for w in line.words.iter().filter(|w| !w.quoted) {
                prop_assert!(!w.text.is_empty());
                prop_assert!(!w.text.contains(['#', '!', '\n', ' ', '\u{a0}']), "{:?}", w.text);
                if w.text != "{" && w.text != "}" && !w.text.contains("${") {
                    prop_assert!(!w.text.contains(['{', '}']), "{:?}", w.text);
                }
            }
        }
    }
}
