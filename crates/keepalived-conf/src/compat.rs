//! keepalived's `-t` exit codes, so scripts and packaging that rely on them keep working.
//!
//! keepalived 2.2.7 exits 2 when a keyword is missing its parameter (it stops there),
//! 6 when scripts would run as root without `enable_script_security`, 5 for any other
//! problem it reports (warnings included), and 0 otherwise. vrrpd's diagnostics are
//! finer grained; this maps them back. Measured cases: tests/keepalived-oracle/.

use crate::codes;
use crate::model::Config;
use conf_diag::{Diagnostics, Severity};

pub const EXIT_OK: i32 = 0;
pub const EXIT_MISSING_PARAM: i32 = 2;
pub const EXIT_CONFIG: i32 = 5;
pub const EXIT_SCRIPT_SECURITY: i32 = 6;

/// Whether keepalived itself reports this problem (and so exits 5 under `-t`).
/// The others are vrrpd's own lints or things keepalived accepts silently.
pub fn keepalived_reports(code: &str) -> bool {
    !matches!(
        code,
        codes::INCLUDE
            | codes::UNSUPPORTED
            | codes::SHELL_OPERATORS
            | codes::SCRIPT_UNUSED
            | codes::SCRIPT_EXTRA_WORDS
            | codes::VERSION
            | codes::EXTRA_ARGS
            | codes::NOT_A_BLOCK
            | codes::SCRIPT_NOT_EXECUTABLE
            | codes::NOTIFY_MISSING
            | codes::NOTIFY_USER_MISSING
            | codes::DEPRECATED
            | codes::VALUE_EMPTY
            | codes::BARE_BLOCK
    )
}

/// The exit code `keepalived -t` gives for a config with these diagnostics.
/// `unsecured_scripts`: some script would run as root without `enable_script_security`.
pub fn config_test_exit_code(diags: &Diagnostics, unsecured_scripts: bool) -> i32 {
    if diags.has_code(codes::MISSING_ARG) {
        EXIT_MISSING_PARAM
    } else if diags.has_code(codes::UNKNOWN_INTERFACE) {
        // keepalived stops on a non-existent interface before its script checks.
        EXIT_CONFIG
    } else if unsecured_scripts {
        EXIT_SCRIPT_SECURITY
    } else if diags.iter().any(|d| {
        d.severity == Severity::Error
            || (d.severity == Severity::Warning && keepalived_reports(d.code))
    }) {
        EXIT_CONFIG
    } else {
        EXIT_OK
    }
}

/// Names of the vrrp_scripts that will run: tracked by an instance or a sync group,
/// defined, and not disabled (e.g. because the file is missing).
pub fn scripts_in_use<'c>(cfg: &'c Config, disabled: &[String]) -> Vec<&'c str> {
    cfg.scripts
        .iter()
        .filter(|s| s.script.is_some() && !disabled.contains(&s.name))
        .filter(|s| {
            cfg.instances
                .iter()
                .flat_map(|i| i.track_scripts.iter())
                .chain(cfg.sync_groups.iter().flat_map(|g| g.track_scripts.iter()))
                .any(|t| t.name == s.name)
        })
        .map(|s| s.name.as_str())
        .collect()
}

/// Whether any notify command is configured.
pub fn has_notify_scripts(cfg: &Config) -> bool {
    cfg.notify_commands().next().is_some()
}
