//! keepalived.conf front end: lexer -> syntax tree with spans -> typed model.
//!
//! Pure: files are read through a [`Loader`]; nothing here touches the network,
//! the clock or the environment. Environment checks (interfaces, script files)
//! belong to the daemon.

pub mod build;
pub mod checks;
pub mod cluster;
pub mod codes;
pub mod compat;
pub mod dump;
pub mod keywords;
pub mod lexer;
pub mod model;
pub mod routes;
pub mod rules;
pub mod syntax;
pub mod values;

pub use conf_diag::{FsLoader, Loader, MemLoader};
pub use lexer::LexOptions;
pub use model::Config;

use conf_diag::{Diagnostic, Diagnostics};
use std::path::Path;

/// A read keepalived.conf: model, diagnostics, sources.
pub type Loaded = conf_diag::Loaded<Config>;

/// Read and check the configuration at `path` (with its includes).
pub fn load(path: &Path, loader: &dyn Loader, opts: &LexOptions) -> Loaded {
    let mut lx = lexer::Lexer::new(loader, opts);
    if let Err(e) = lx.lex_root(path) {
        let mut diags = Diagnostics::new();
        diags.push(
            Diagnostic::error(
                codes::READ,
                format!("cannot read configuration file {}: {e}", path.display()),
            )
            .help("check the path given with -f (default /etc/keepalived/keepalived.conf)"),
        );
        return Loaded {
            config: Config::default(),
            diags,
            map: lx.map,
        };
    }
    finish(lx)
}

/// Read and check configuration text (tests, fuzzing, stdin).
pub fn load_str(name: &str, text: &str, opts: &LexOptions) -> Loaded {
    let loader = MemLoader::new();
    let mut lx = lexer::Lexer::new(&loader, opts);
    lx.lex_text(name, text);
    finish(lx)
}

fn finish(lx: lexer::Lexer<'_>) -> Loaded {
    let mut diags = lx.diags;
    let tree = syntax::parse(&lx.lines, &mut diags);
    let config = build::Builder::new(&mut diags).build(&tree);
    checks::check(&config, &mut diags);
    diags.sort();
    Loaded {
        config,
        diags,
        map: lx.map,
    }
}
