//! HAProxy's command line. Its options are single-dash words (`-db`, `-sf PID…`), which
//! argument-parsing crates do not model, so this is a small hand-written parser.

use std::path::PathBuf;
use thiserror::Error;

pub const DEFAULT_CONFIG: &str = "/etc/haproxy/haproxy.cfg";

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Args {
    pub files: Vec<PathBuf>,
    pub check: bool,
    pub quiet: bool,
    pub verbose: bool,
    pub version: u8,
    pub daemon: bool,
    pub foreground: bool,
    pub debug: bool,
    pub pidfile: Option<PathBuf>,
    pub master_worker: bool,
    pub master_worker_systemd: bool,
    pub master_socket: Option<String>,
    pub soft_finish: Vec<u32>,
    pub hard_finish: Vec<u32>,
    pub socket_transfer: Option<String>,
    pub local_peer: Option<String>,
    pub maxconn: Option<u64>,
    /// `-N`: the default maxconn of proxies that set none.
    pub proxy_maxconn: Option<u64>,
    /// `-m`: a memory limit in MB (not applied: said at start).
    pub memory_mb: Option<u64>,
    /// Debug switches accepted and not acted on, to say so at start.
    pub ignored_debug: Vec<String>,
    pub chdir: Option<PathBuf>,
    pub warnings_fatal: bool,
    pub dns_warn_only: bool,
    pub eval_condition: Option<String>,
    /// proxyd's own: print the resolved model with `-c`.
    pub dump: bool,
    pub help: bool,
    pub generate_man: bool,
    pub generate_conf_man: bool,
    /// proxyd's own, for packaging: a shell's completion script.
    pub generate_completion: Option<String>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum CliError {
    #[error("option `{0}` expects an argument")]
    MissingValue(String),
    #[error("option `{0}` expects a number, got `{1}`")]
    NotANumber(String, String),
    #[error("unknown option `{0}` (see proxyd -h)")]
    Unknown(String),
}

pub const USAGE: &str = "\
Usage: proxyd [-f <cfgfile|cfgdir>]* [ -vdVD ] [ -n <maxconn> ] [ -N <maxpconn> ]
        [ -p <pidfile> ] [ -m <max megs> ] [ -C <dir> ] [-- <cfgfile>*]
        -v displays version ; -vv shows known build options.
        -d enters debug mode ; -db only disables background mode.
        -dW fails if any warning is emitted
        -V enters verbose mode (disables quiet mode)
        -D goes daemon ; -C changes to <dir> before loading files.
        -W master-worker mode. -Ws master-worker mode with systemd notify support.
        -q quiet mode : don't display messages
        -c check mode : only check config files and exit
        -cc check condition : evaluate a condition and exit
        --dump with -c: print the resolved configuration (JSON)
        -dr ignores server address resolution failures
        -S <bind>[,<bind options>...] new master CLI
        -sf/-st [pid ]* finishes/terminates old pids.
        -x <unix_socket> get listening sockets from a unix socket
        -L <peer name> sets the local peer name
        -N sets the default, per-proxy maximum # of connections
";

/// What an option takes, for shell completion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    Nothing,
    /// A file or directory of files (`-f`, `-p`).
    Path,
    /// A directory (`-C`).
    Dir,
    /// Process ids, any number (`-sf`, `-st`).
    Pids,
    /// A word or number (`-n 100`, `-L lb1`, `-S bind`).
    Word,
}

/// Every option `parse` takes (besides `--` and the accepted debug switches), with what
/// follows it: the shell completions are written from this list, and a test checks that
/// it and `parse` agree.
pub const OPTIONS: &[(&str, Takes)] = &[
    ("-f", Takes::Path),
    ("-c", Takes::Nothing),
    ("-cc", Takes::Word),
    ("-q", Takes::Nothing),
    ("-V", Takes::Nothing),
    ("-v", Takes::Nothing),
    ("-vv", Takes::Nothing),
    ("-D", Takes::Nothing),
    ("-db", Takes::Nothing),
    ("-d", Takes::Nothing),
    ("-dW", Takes::Nothing),
    ("-dr", Takes::Nothing),
    ("-p", Takes::Path),
    ("-W", Takes::Nothing),
    ("-Ws", Takes::Nothing),
    ("-S", Takes::Word),
    ("-sf", Takes::Pids),
    ("-st", Takes::Pids),
    ("-x", Takes::Path),
    ("-L", Takes::Word),
    ("-n", Takes::Word),
    ("-N", Takes::Word),
    ("-m", Takes::Word),
    ("-C", Takes::Dir),
    ("--dump", Takes::Nothing),
    ("-h", Takes::Nothing),
    ("--help", Takes::Nothing),
];

pub fn parse<I: IntoIterator<Item = String>>(argv: I) -> Result<Args, CliError> {
    let mut a = Args::default();
    let mut it = argv.into_iter().peekable();
    let value =
        |it: &mut std::iter::Peekable<I::IntoIter>, opt: &str| -> Result<String, CliError> {
            it.next()
                .ok_or_else(|| CliError::MissingValue(opt.to_string()))
        };
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-f" => a.files.push(PathBuf::from(value(&mut it, "-f")?)),
            "-c" => a.check = true,
            "-q" => a.quiet = true,
            "-V" => a.verbose = true,
            "-v" => a.version = a.version.max(1),
            "-vv" => a.version = 2,
            "-D" => a.daemon = true,
            "-db" => a.foreground = true,
            "-d" => a.debug = true,
            "-p" => a.pidfile = Some(PathBuf::from(value(&mut it, "-p")?)),
            "-W" => a.master_worker = true,
            "-Ws" => {
                a.master_worker = true;
                a.master_worker_systemd = true;
            }
            "-S" => a.master_socket = Some(value(&mut it, "-S")?),
            "-sf" | "-st" => {
                let list = if arg == "-sf" {
                    &mut a.soft_finish
                } else {
                    &mut a.hard_finish
                };
                while let Some(p) = it.peek() {
                    match p.parse::<u32>() {
                        Ok(pid) => {
                            list.push(pid);
                            it.next();
                        }
                        Err(_) => break,
                    }
                }
            }
            "-x" => a.socket_transfer = Some(value(&mut it, "-x")?),
            "-L" => a.local_peer = Some(value(&mut it, "-L")?),
            "-N" | "-n" => {
                let v = value(&mut it, &arg)?;
                let n = Some(
                    v.parse()
                        .map_err(|_| CliError::NotANumber(arg.clone(), v))?,
                );
                if arg == "-n" {
                    a.maxconn = n;
                } else {
                    a.proxy_maxconn = n;
                }
            }
            "-m" => {
                let v = value(&mut it, "-m")?;
                a.memory_mb = Some(
                    v.parse()
                        .map_err(|_| CliError::NotANumber(arg.clone(), v))?,
                );
            }
            "-C" => a.chdir = Some(PathBuf::from(value(&mut it, "-C")?)),
            "-dW" => a.warnings_fatal = true,
            "-dr" => a.dns_warn_only = true,
            "-cc" => a.eval_condition = Some(value(&mut it, "-cc")?),
            "--dump" => a.dump = true,
            "-h" | "--help" => a.help = true,
            // proxyd's own, for packaging: print proxyd(1).
            "--generate-man" => a.generate_man = true,
            "--generate-conf-man" => a.generate_conf_man = true,
            "--generate-completion" => a.generate_completion = Some(value(&mut it, &arg)?),
            "--" => a.files.extend(it.by_ref().map(PathBuf::from)),
            // Debug switches of HAProxy that change nothing here (said at start).
            "-dM" | "-dV" | "-dS" | "-dG" | "-dD" | "-dK" | "-de" | "-dp" | "-dk" | "-dL"
            | "-dR" | "-dt" => a.ignored_debug.push(arg.clone()),
            other => return Err(CliError::Unknown(other.to_string())),
        }
    }
    if a.files.is_empty() && !a.help && a.version == 0 && a.eval_condition.is_none() {
        a.files.push(PathBuf::from(DEFAULT_CONFIG));
    }
    Ok(a)
}

impl Args {
    /// Options accepted that change nothing here, to say at start.
    pub fn notices(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(m) = self.memory_mb {
            out.push(format!(
                "`-m {m}`: proxyd sets no memory limit of its own (use systemd's MemoryMax=)"
            ));
        }
        if !self.ignored_debug.is_empty() {
            out.push(format!(
                "debug option(s) {} change nothing in proxyd",
                self.ignored_debug.join(" ")
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Args, CliError> {
        parse(s.split_whitespace().map(str::to_string))
    }

    #[test]
    fn haproxy_style_options() {
        let a = p("-f a.cfg -f conf.d -c -q -dW -db -p /run/p.pid -Ws -sf 10 11 -L lb1 -N 100")
            .unwrap();
        assert_eq!(
            a.files,
            vec![PathBuf::from("a.cfg"), PathBuf::from("conf.d")]
        );
        assert!(a.check && a.quiet && a.warnings_fatal && a.foreground && a.master_worker_systemd);
        assert_eq!(a.soft_finish, vec![10, 11]);
        assert_eq!(a.local_peer.as_deref(), Some("lb1"));
        // -N is the per-proxy default (HAProxy's maxpconn), -n the global limit.
        assert_eq!((a.proxy_maxconn, a.maxconn), (Some(100), None));
        assert_eq!(p("-n 50").unwrap().maxconn, Some(50));
        assert_eq!(
            p("-W -S /run/m.sock,mode,600")
                .unwrap()
                .master_socket
                .as_deref(),
            Some("/run/m.sock,mode,600")
        );
    }

    #[test]
    fn options_table_is_what_parse_takes() {
        for (opt, takes) in OPTIONS {
            let arg = match takes {
                Takes::Nothing | Takes::Pids => "",
                Takes::Path | Takes::Dir => " x",
                Takes::Word => " 1",
            };
            assert!(p(&format!("{opt}{arg}")).is_ok(), "{opt} is not parsed");
            if *takes != Takes::Nothing && *takes != Takes::Pids {
                assert_eq!(p(opt), Err(CliError::MissingValue(opt.to_string())));
            }
        }
        // Every option the usage names is in the table.
        for word in USAGE.split(|c: char| c.is_whitespace() || "[]/*".contains(c)) {
            let word = word.trim_end_matches(|c| ",.:;".contains(c));
            if word.starts_with('-') && word.len() > 1 && word != "--" {
                // `-vdVD` is the usage's shorthand for -v -d -V -D.
                assert!(
                    OPTIONS.iter().any(|(o, _)| *o == word) || word == "-vdVD",
                    "{word} from the usage is not in OPTIONS"
                );
            }
        }
    }

    #[test]
    fn defaults_and_errors() {
        assert_eq!(p("-c").unwrap().files, vec![PathBuf::from(DEFAULT_CONFIG)]);
        assert_eq!(p("-f"), Err(CliError::MissingValue("-f".into())));
        assert_eq!(p("-zz"), Err(CliError::Unknown("-zz".into())));
        assert_eq!(p("-c -- x.cfg y.cfg").unwrap().files.len(), 2);
        assert_eq!(
            p("-cc defined(X)").unwrap().eval_condition.as_deref(),
            Some("defined(X)")
        );
    }
}
