//! proxyd's own messages (server state changes, errors) on stderr, HAProxy-worded.
//! Log targets from the configuration (syslog, log-format) come with the logging issue.

pub fn log(msg: &str) {
    eprintln!("proxyd: {msg}");
}
