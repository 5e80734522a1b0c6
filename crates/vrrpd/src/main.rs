//! vrrpd: keepalived's VRRP half, reading keepalived.conf unchanged.

mod cli;
mod config_test;
mod daemon;
mod engine_config;
mod environment;
mod manpage;
mod plan;
#[cfg(test)]
mod registry_walk;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("vrrpd: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &cli::Args) -> anyhow::Result<u8> {
    if args.generate_man {
        print!("{}", manpage::render()?);
        return Ok(0);
    }
    if args.generate_conf_man {
        print!("{}", manpage::conf());
        return Ok(0);
    }
    if let Some(shell) = args.generate_completion {
        use clap::CommandFactory;
        clap_complete::generate(
            shell,
            &mut cli::Args::command(),
            "vrrpd",
            &mut std::io::stdout(),
        );
        return Ok(0);
    }
    if args.version {
        println!("vrrpd {}", env!("CARGO_PKG_VERSION"));
        println!("keepalived.conf compatible (keepalived 2.2)");
        return Ok(0);
    }
    if let Some(func) = &args.signum {
        return match cli::signum(func) {
            Some(n) => {
                println!("{n}");
                Ok(0)
            }
            None => {
                eprintln!("Unknown sigfunc {func}");
                Ok(1)
            }
        };
    }
    if args.check {
        anyhow::bail!(
            "-C/--check runs keepalived's LVS health checker, which vrrpd does not have; \
             vrrpd is the VRRP part only (use proxyd for load balancing and health checks)"
        );
    }
    if !args.check_cluster.is_empty() {
        return config_test::check_cluster(args);
    }
    if args.config_test.is_some() || args.dump_conf {
        return config_test::config_test(args);
    }
    let Some(plan) = config_test::load_for_daemon(args) else {
        return Ok(1);
    };
    daemon::run(args, plan)
}
