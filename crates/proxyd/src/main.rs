//! proxyd: HAProxy's job, reading haproxy.cfg unchanged.

mod check;
mod cli;
mod environment;
mod runtime;

use std::process::ExitCode;

// The proxy allocates and frees small buffers and header maps for every request;
// mimalloc does that measurably faster than glibc's malloc (tests/bench/proxy-compare).
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
    if args.version > 0 {
        println!(
            "proxyd version {} (haproxy.cfg compatible with HAProxy {})",
            env!("CARGO_PKG_VERSION"),
            haproxy_conf::source::COMPAT_VERSION
        );
        if args.version > 1 {
            println!("Features: {}", haproxy_conf::source::FEATURES.join(" "));
        }
        return Ok(0);
    }
    if let Some(cond) = &args.eval_condition {
        return Ok(check::eval_condition(cond));
    }
    if args.check {
        return check::check(args);
    }
    runtime::run(args)
}
