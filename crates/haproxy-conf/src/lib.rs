//! haproxy.cfg front end: nom tokenizer -> sections with spans -> keyword registry ->
//! typed model with defaults resolved, and the checks HAProxy makes (all reported in one run).
//!
//! Pure: files come through a `conf_diag::Loader`, variables through a [`tokenizer::Env`].

pub mod actions;
pub mod build;
pub mod checks;
pub mod codes;
pub mod cond;
pub mod dump;
pub mod logging;
pub mod model;
pub mod registry;
pub mod sample;
pub mod samples;
pub mod source;
pub mod srv_tls;
pub mod tokenizer;
pub mod values;

pub use model::Config;

pub use conf_diag::{FsLoader, Loader, MemLoader};
use std::path::PathBuf;
use tokenizer::Env;

/// A read haproxy.cfg: model, diagnostics, sources.
pub type Loaded = conf_diag::Loaded<Config>;

/// Read and check the configuration from the `-f` paths (files or directories).
pub fn load(paths: &[PathBuf], loader: &dyn Loader, env: &dyn Env) -> Loaded {
    let mut r = source::Reader::new(loader, env);
    r.read_paths(paths);
    finish(r, env)
}

/// Read and check configuration text (tests, fuzzing).
pub fn load_str(name: &str, text: &str, env: &dyn Env) -> Loaded {
    let loader = MemLoader::new();
    let mut r = source::Reader::new(&loader, env);
    r.read_text(name, text);
    finish(r, env)
}

fn finish(r: source::Reader<'_>, env: &dyn Env) -> Loaded {
    let mut diags = r.diags;
    let config = build::Builder::new(&mut diags, env).build(&r.sections);
    checks::check(&config, &mut diags);
    diags.sort();
    Loaded {
        config,
        diags,
        map: r.map,
    }
}
