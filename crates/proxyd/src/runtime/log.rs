//! proxyd's own messages (server state changes, errors) on stderr, HAProxy-worded.
//! Log targets from the configuration (syslog, log-format) come with the logging issue.

pub fn log(msg: &str) {
    eprintln!("proxyd: {msg}");
}

/// The host name (`%H`, the `hostname` fetch), read once.
pub fn hostname() -> String {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_default()
    })
    .clone()
}
