//! Command line, compatible with keepalived's (same short and long options).

use clap::Parser;
use std::path::PathBuf;

pub const DEFAULT_CONFIG: &str = "/etc/keepalived/keepalived.conf";

#[derive(Clone, Debug, Parser)]
#[command(
    name = "vrrpd",
    version,
    about = "VRRP daemon that runs keepalived.conf unchanged",
    disable_version_flag = true
)]
pub struct Args {
    /// Use the specified configuration file
    #[arg(short = 'f', long = "use-file", value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub use_file: PathBuf,

    /// Check the configuration and exit (keepalived's exit codes); optional log file
    #[arg(short = 't', long = "config-test", value_name = "LOG_FILE", num_args = 0..=1, require_equals = true)]
    pub config_test: Option<Option<PathBuf>>,

    /// Treat a missing include file as an error (keepalived's --all-config)
    #[arg(short = 'e', long = "all-config")]
    pub all_config: bool,

    /// Print the resolved configuration (every default filled in) and exit
    #[arg(short = 'd', long = "dump-conf")]
    pub dump_conf: bool,

    /// Print the signal number that asks a running vrrpd for SIGFUNC (STOP, RELOAD, DATA,
    /// STATS, STATS_CLEAR, JSON), as `kill -s $(vrrpd --signum=JSON) PID` expects
    #[arg(long, value_name = "SIGFUNC", require_equals = true)]
    pub signum: Option<String>,

    /// With --dump-conf or --check-cluster: print JSON
    #[arg(long)]
    pub json: bool,

    /// Read the configs of all nodes of one cluster and report mismatches and failover verdicts
    #[arg(long = "check-cluster", value_name = "NODE.conf", num_args = 1..)]
    pub check_cluster: Vec<PathBuf>,

    /// Only run the VRRP subsystem (the only one vrrpd has)
    #[arg(short = 'P', long = "vrrp")]
    pub vrrp: bool,

    /// Only run the LVS health checker (not provided by vrrpd)
    #[arg(short = 'C', long = "check")]
    pub check: bool,

    /// Only run BFD (not provided by vrrpd)
    #[arg(short = 'B', long = "no_bfd")]
    pub no_bfd: bool,

    /// Detailed log messages (each instance's settings at start, every tracker result change)
    #[arg(short = 'D', long = "log-detail")]
    pub log_detail: bool,

    /// Syslog facility local0..local7 (0-7)
    #[arg(short = 'S', long = "log-facility", value_name = "0-7", value_parser = clap::value_parser!(u8).range(0..=7))]
    pub log_facility: Option<u8>,

    /// Log messages to the console (stderr)
    #[arg(short = 'l', long = "log-console")]
    pub log_console: bool,

    /// Do not log to syslog
    #[arg(short = 'G', long = "no-syslog")]
    pub no_syslog: bool,

    /// Also log to a file: FILE with `_vrrp` before its last '.', where keepalived's VRRP
    /// process writes (default FILE /tmp/keepalived.log, so /tmp/keepalived_vrrp.log)
    #[arg(short = 'g', long = "log-file", value_name = "FILE", num_args = 0..=1)]
    pub log_file: Option<Option<PathBuf>>,

    /// Do not fork the daemon process
    #[arg(short = 'n', long = "dont-fork")]
    pub dont_fork: bool,

    /// Parent process pid file
    #[arg(short = 'p', long = "pid", value_name = "FILE")]
    pub pid: Option<PathBuf>,

    /// VRRP child process pid file
    #[arg(short = 'r', long = "vrrp_pid", value_name = "FILE")]
    pub vrrp_pid: Option<PathBuf>,

    /// Checker child process pid file (accepted for compatibility)
    #[arg(short = 'c', long = "checkers_pid", value_name = "FILE")]
    pub checkers_pid: Option<PathBuf>,

    /// BFD child process pid file (accepted for compatibility)
    #[arg(short = 'b', long = "bfd_pid", value_name = "FILE")]
    pub bfd_pid: Option<PathBuf>,

    /// Config id: selects `@id` lines (defaults to the host name)
    #[arg(short = 'i', long = "config-id", value_name = "ID")]
    pub config_id: Option<String>,

    /// Where SIGUSR1 writes the state of every instance as JSON
    #[arg(
        long = "dump-file",
        value_name = "FILE",
        default_value = "/tmp/vrrpd.json"
    )]
    pub dump_file: PathBuf,

    /// Do not remove VIPs and routes when the daemon stops
    #[arg(short = 'V', long = "dont-release-vrrp")]
    pub dont_release_vrrp: bool,

    /// Release VIPs whenever an instance is not master, even ones this run did not add
    /// (left over by a crash, added by hand, or kept across a reload), as keepalived -X
    #[arg(short = 'X', long = "release-vips")]
    pub release_vips: bool,

    /// Display the version and exit
    #[arg(short = 'v', long = "version")]
    pub version: bool,

    /// Print the manual page vrrpd(8) (roff) and exit: for packaging
    #[arg(long, hide = true)]
    pub generate_man: bool,

    /// Print the manual page vrrpd.conf(5), the keyword reference (roff), and exit: for
    /// packaging
    #[arg(long, hide = true)]
    pub generate_conf_man: bool,

    /// Print a shell completion script (bash, zsh, fish...) and exit: for packaging
    #[arg(long, hide = true, value_name = "SHELL")]
    pub generate_completion: Option<clap_complete::Shell>,
}

impl Args {
    /// `-g[FILE]`: the file vrrpd logs to, named as keepalived names its VRRP process's.
    pub fn log_file_path(&self) -> Option<PathBuf> {
        let given = match &self.log_file {
            None => return None,
            Some(Some(f)) if !f.as_os_str().is_empty() => f.clone(),
            Some(_) => PathBuf::from("/tmp/keepalived.log"),
        };
        Some(vrrp_log_name(&given))
    }
}

/// keepalived's name for its VRRP process's log file: `_vrrp` before the last '.' of the
/// file name (appended when it has none).
pub fn vrrp_log_name(file: &std::path::Path) -> PathBuf {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let new = match name.rfind('.') {
        Some(dot) if dot > 0 => format!("{}_vrrp{}", &name[..dot], &name[dot..]),
        _ => format!("{name}_vrrp"),
    };
    file.with_file_name(new)
}

/// keepalived's signal numbers for each function (`--signum`).
pub fn signum(func: &str) -> Option<i32> {
    Some(match func {
        "STOP" => 15,
        "RELOAD" => 1,
        "DATA" => 10,
        "STATS" => 12,
        "STATS_CLEAR" => 63,
        "JSON" => JSON_SIGNAL,
        _ => return None,
    })
}

/// SIGRTMIN + 2 on Linux, the signal keepalived answers with a JSON dump.
pub const JSON_SIGNAL: i32 = 36;

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn log_file_names_as_keepalived() {
        let a = Args::parse_from(["vrrpd", "-g"]);
        assert_eq!(
            a.log_file_path(),
            Some(PathBuf::from("/tmp/keepalived_vrrp.log"))
        );
        let a = Args::parse_from(["vrrpd", "--log-file=/var/log/ka.d/keepalived.log"]);
        assert_eq!(
            a.log_file_path(),
            Some(PathBuf::from("/var/log/ka.d/keepalived_vrrp.log"))
        );
        // keepalived's getopt form: the file glued to -g.
        let a = Args::parse_from(["vrrpd", "-g/var/log/k.log", "-n"]);
        assert_eq!(
            a.log_file_path(),
            Some(PathBuf::from("/var/log/k_vrrp.log"))
        );
        assert!(a.dont_fork);
        let a = Args::parse_from(["vrrpd", "-g", "-n"]);
        assert_eq!(
            a.log_file_path(),
            Some(PathBuf::from("/tmp/keepalived_vrrp.log"))
        );
        assert_eq!(
            vrrp_log_name(std::path::Path::new("/var/log/kalog")),
            PathBuf::from("/var/log/kalog_vrrp")
        );
        assert_eq!(Args::parse_from(["vrrpd"]).log_file_path(), None);
    }
}
