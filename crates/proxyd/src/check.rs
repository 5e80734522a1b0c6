//! `-c` (check), `-cc` (condition) and `--dump`.

use crate::cli::Args;
use conf_diag::{render_human_all, Severity};
use haproxy_conf::{checks, cond};

pub fn check(args: &Args) -> anyhow::Result<u8> {
    // The same reading, checks and plan building the daemon runs (binding excepted).
    let (loaded, _plan) = crate::runtime::load(args);
    let errors = loaded.diags.count(Severity::Error);
    let warnings = loaded.diags.count(Severity::Warning);
    if !args.quiet {
        eprint!("{}", render_human_all(&loaded.map, &loaded.diags));
    }
    if args.dump {
        println!("{}", serde_json::to_string_pretty(&loaded.config)?);
    }
    let warnings_fatal = args.warnings_fatal || loaded.config.global.zero_warning;
    if errors > 0 || (warnings_fatal && warnings > 0) {
        if !args.quiet && warnings_fatal && errors == 0 {
            eprintln!("warnings were found and are fatal here (-dW or zero-warning)");
        }
        return Ok(1);
    }
    if !args.quiet {
        if warnings > 0 {
            println!("Warnings were found.");
        }
        println!("Configuration file is valid");
    }
    // HAProxy's -c exits 2 for a configuration that listens nowhere.
    Ok(if checks::has_listeners(&loaded.config) {
        0
    } else {
        2
    })
}

struct EnvCtx;

impl cond::CondContext for EnvCtx {
    fn defined(&self, name: &str) -> bool {
        std::env::var_os(name).is_some()
    }
    fn feature(&self, name: &str) -> bool {
        haproxy_conf::source::FEATURES.contains(&name)
    }
    fn version(&self) -> &str {
        haproxy_conf::source::COMPAT_VERSION
    }
}

/// `-cc COND`: 0 true, 1 false, 2 the condition cannot be evaluated. The text is read
/// as a configuration line is (quotes and `$VAR`s), as HAProxy reads it.
pub fn eval_condition(text: &str) -> u8 {
    use haproxy_conf::tokenizer;
    let lexed = tokenizer::lex_line(text);
    let mut undefined = Vec::new();
    let words: Vec<String> = lexed
        .words
        .iter()
        .filter_map(|w| tokenizer::expand(w, &crate::environment::ProcessEnv, &mut undefined))
        .collect();
    let text = words.join(" ");
    match cond::parse(&text).and_then(|e| cond::eval(&e, &EnvCtx)) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(msg) => {
            eprintln!("proxyd: {msg}");
            2
        }
    }
}
