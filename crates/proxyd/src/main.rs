//! proxyd: HAProxy's job, reading haproxy.cfg unchanged.

mod check;
mod cli;
mod completion;
mod environment;
mod manpage;
mod master;
mod master_cli;
mod runtime;

use std::process::ExitCode;

// The proxy allocates and frees small buffers and header maps for every request;
// mimalloc does that measurably faster than glibc's malloc (tests/bench/proxy-compare).
// Its v2 line (the `v2` feature): v3's aligned allocation path, which every Rust
// allocation takes, cost 240-1100 instructions more per request (tests/bench/instructions:
// h1 24 390 -> 24 150, h2 43 000 -> 42 300; one connection per request 37 640 -> 37 250)
// for no lower peak memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = match cli::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("proxyd: {e}");
            eprint!("{}", cli::USAGE);
            return ExitCode::from(1);
        }
    };
    match run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("proxyd: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &cli::Args) -> anyhow::Result<u8> {
    if args.help {
        print!("{}", cli::USAGE);
        return Ok(0);
    }
    if args.generate_man {
        print!("{}", manpage::render());
        return Ok(0);
    }
    if args.generate_conf_man {
        print!("{}", manpage::conf());
        return Ok(0);
    }
    if let Some(shell) = &args.generate_completion {
        let script = completion::render(shell).ok_or_else(|| {
            anyhow::anyhow!("no completion for shell `{shell}` (bash, zsh, fish)")
        })?;
        print!("{script}");
        return Ok(0);
    }
    if args.version > 0 {
        print!("{}", version_text(args.version > 1));
        return Ok(0);
    }
    if let Some(cond) = &args.eval_condition {
        return Ok(check::eval_condition(cond));
    }
    // -C: the files (and the paths they name) are read from there, by -c and the daemon.
    if let Some(dir) = &args.chdir {
        std::env::set_current_dir(dir).map_err(|e| anyhow::anyhow!("-C {}: {e}", dir.display()))?;
    }
    if args.check {
        return check::check(args);
    }
    for n in args.notices() {
        eprintln!("proxyd: warning: {n}");
    }
    runtime::run(args)
}

/// `-v` / `-vv`, in HAProxy's shape (scripts read the version after "version" and the
/// `Feature list` line), saying what answers.
fn version_text(verbose: bool) -> String {
    let v = haproxy_conf::source::COMPAT_VERSION;
    let mut o = format!(
        "HAProxy version {v}-proxyd-{} - proxyd, a Rust replacement that reads haproxy.cfg as HAProxy {v} does\n",
        env!("CARGO_PKG_VERSION")
    );
    if !verbose {
        return o;
    }
    o.push_str("Status: proxyd; HAProxy-compatible configuration, command line and behaviour\n");
    o.push_str("Build options :\n  TARGET  = linux\n\n");
    let features: Vec<String> = haproxy_conf::source::FEATURES
        .iter()
        .map(|f| format!("+{f}"))
        .collect();
    o.push_str(&format!("Feature list : {}\n\n", features.join(" ")));
    o.push_str("Default settings :\n  bufsize = 16384, maxrewrite = 1024, maxpollevents = 200\n\n");
    o.push_str("Built with multi-threading support.\n");
    o.push_str("Built with rustls for TLS (TLSv1.2, TLSv1.3).\n\n");
    o.push_str("Available polling systems :\n      epoll : pref=300,  test result OK\n\n");
    o.push_str("Available multiplexer protocols :\n              h1 : mode=HTTP  side=FE|BE  mux=H1\n       <default> : mode=TCP   side=FE|BE  mux=PASS\n\n");
    o.push_str("Available services : none\n\n");
    o.push_str("Available filters : none\n");
    o
}
