//! `-t`, `-d` and `--check-cluster`: read configurations, check them against this host,
//! report every problem at once.

use crate::cli::Args;
use crate::environment::{self, RealHost};
use crate::plan::{self, Plan};
use conf_diag::{render_human_all, Diagnostic, Diagnostics};
use keepalived_conf::{compat, dump, FsLoader, LexOptions, Loaded};
use std::io::Write;
use std::path::Path;

/// keepalived exits 0 for a missing file; vrrpd refuses (documented in docs/keepalived-compat.md).
const EXIT_NO_CONFIG: u8 = 4;

fn lex_options(args: &Args) -> LexOptions {
    let config_id = args.config_id.clone().or_else(|| {
        nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
    });
    LexOptions { config_id }
}

struct Checked {
    loaded: Loaded,
    /// What the daemon would run (built exactly as the daemon builds it).
    plan: Option<Plan>,
    exit: u8,
}

/// Read the file, check it against this host and build the daemon's plan: `-t`, the
/// daemon's start and SIGHUP all go through here, so they agree on what is refused.
fn load_and_check(path: &Path, args: &Args) -> Checked {
    let opts = lex_options(args);
    let mut loaded = keepalived_conf::load(path, &FsLoader, &opts);
    if loaded.diags.has_code(keepalived_conf::codes::READ) {
        return Checked {
            loaded,
            plan: None,
            exit: EXIT_NO_CONFIG,
        };
    }
    let mut env_diags = Diagnostics::new();
    let report = environment::check(&loaded.config, &RealHost, &mut env_diags);
    let plan = plan::build(&loaded.config, &report, &RealHost, &mut env_diags);
    loaded.diags.extend(env_diags);
    loaded.diags.sort();
    let mut exit = compat::config_test_exit_code(&loaded.diags, report.unsecured_scripts);
    if args.all_config && loaded.diags.has_code(keepalived_conf::codes::INCLUDE) {
        // keepalived -e: a missing include stops the config test with 6.
        exit = compat::EXIT_SCRIPT_SECURITY;
    }
    Checked {
        loaded,
        plan: Some(plan),
        exit: exit as u8,
    }
}

pub fn config_test(args: &Args) -> anyhow::Result<u8> {
    let checked = load_and_check(&args.use_file, args);
    let text = render_human_all(&checked.loaded.map, &checked.loaded.diags);
    match &args.config_test {
        Some(Some(log)) => std::fs::write(log, &text)?,
        _ => eprint!("{text}"),
    }
    if args.dump_conf && checked.exit != EXIT_NO_CONFIG {
        let out = if args.json {
            serde_json::to_string_pretty(&checked.loaded.config)? + "\n"
        } else {
            dump::to_keepalived_syntax(&checked.loaded.config)
        };
        std::io::stdout().write_all(out.as_bytes())?;
    }
    if args.config_test.is_some() && checked.exit == 0 && checked.loaded.diags.is_empty() {
        eprintln!("Configuration file {} is valid", args.use_file.display());
    }
    Ok(checked.exit)
}

pub fn check_cluster(args: &Args) -> anyhow::Result<u8> {
    let opts = lex_options(args);
    let mut nodes = Vec::new();
    let mut failed = false;
    for path in &args.check_cluster {
        let loaded = keepalived_conf::load(path, &FsLoader, &opts);
        if loaded.has_errors() {
            let mut only_errors = Diagnostics::new();
            for d in loaded
                .diags
                .iter()
                .filter(|d| d.severity == conf_diag::Severity::Error)
            {
                only_errors.push(d.clone());
            }
            eprint!("{}", render_human_all(&loaded.map, &only_errors));
            failed = true;
        }
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        nodes.push((name, loaded));
    }
    if failed {
        let d = Diagnostic::error(
            "K500",
            "some node configurations have errors; fix them first",
        );
        eprintln!(
            "{}",
            conf_diag::render_line(&conf_diag::SourceMap::new(), &d)
        );
        return Ok(1);
    }
    let input: Vec<(String, &keepalived_conf::Config)> =
        nodes.iter().map(|(n, l)| (n.clone(), &l.config)).collect();
    let report = keepalived_conf::cluster::analyse(&input);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.render());
    }
    Ok(if report.has_problems() { 1 } else { 0 })
}

/// Load the configuration for running: every problem is printed; errors refuse to start.
pub fn load_for_daemon(args: &Args) -> Option<Plan> {
    let checked = load_and_check(&args.use_file, args);
    let d = &checked.loaded.diags;
    if !d.is_empty() {
        let map = &checked.loaded.map;
        for diag in d.iter() {
            eprintln!("vrrpd: {}", conf_diag::render_line(map, diag));
        }
    }
    if d.has_errors() || checked.exit == EXIT_NO_CONFIG {
        eprintln!("vrrpd: configuration has errors, not starting (run vrrpd -t for details)");
        return None;
    }
    checked.plan
}

/// Load the configuration for a reload: problems are logged; None when it has errors.
pub fn load_for_reload(args: &Args) -> Option<Plan> {
    let checked = load_and_check(&args.use_file, args);
    let map = &checked.loaded.map;
    for diag in checked.loaded.diags.iter() {
        eprintln!("vrrpd: {}", conf_diag::render_line(map, diag));
    }
    if checked.loaded.diags.has_errors() || checked.exit == EXIT_NO_CONFIG {
        return None;
    }
    checked.plan
}
