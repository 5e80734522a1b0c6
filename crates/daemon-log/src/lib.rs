//! The daemons' own messages (state changes, errors: not proxyd's traffic lines) are
//! `tracing` events. This crate turns each event into a [`Line`]: its syslog severity,
//! the proxy it concerns, and its text, and hands it to the daemon's output (syslog,
//! a log file, stderr, HAProxy-style log targets). No I/O here: the output is a closure.
//!
//! Severities: `error!` is err, `warn!` warning, `info!` info, `debug!`/`trace!` debug.
//! syslog has levels `tracing` lacks (emerg, alert, crit, notice); an event names one
//! with a `pri` field: `warn!(pri = "alert", "Server b/s is DOWN...")`. keepalived and
//! HAProxy pick these per message, and admins' alerting rules key on them.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata};

/// A syslog severity (RFC 5424 numbering).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Emerg = 0,
    Alert = 1,
    Crit = 2,
    Err = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
}

impl Severity {
    pub fn code(self) -> u8 {
        self as u8
    }

    /// A `pri` field's value.
    pub fn from_name(s: &str) -> Option<Severity> {
        Some(match s {
            "emerg" => Severity::Emerg,
            "alert" => Severity::Alert,
            "crit" => Severity::Crit,
            "err" => Severity::Err,
            "warning" => Severity::Warning,
            "notice" => Severity::Notice,
            "info" => Severity::Info,
            "debug" => Severity::Debug,
            _ => return None,
        })
    }

    fn of_level(l: &Level) -> Severity {
        match *l {
            Level::ERROR => Severity::Err,
            Level::WARN => Severity::Warning,
            Level::INFO => Severity::Info,
            _ => Severity::Debug,
        }
    }
}

/// One message, ready for the daemon's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// What syslog gets (the `pri` field, else from the level).
    pub severity: Severity,
    /// The `tracing` level: what a console shows (HAProxy prints a server going DOWN
    /// as `[WARNING]` while sending it to syslog at alert).
    pub level: Level,
    /// The `proxy` field: whose log targets the line goes to (proxyd).
    pub proxy: Option<String>,
    pub message: String,
}

/// Collects an event's fields: `message`, `pri`, `proxy`; any other field is appended
/// as ` name=value`, so nothing an event carries is lost.
#[derive(Default)]
struct Fields {
    message: String,
    pri: Option<Severity>,
    proxy: Option<String>,
    extra: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "message" => self.message.push_str(value),
            "pri" => self.pri = Severity::from_name(value),
            "proxy" => self.proxy = Some(value.to_string()),
            name => {
                let _ = write!(self.extra, " {name}={value}");
            }
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            // `fmt::Arguments` prints its text through Debug, unquoted.
            "message" => {
                let _ = write!(self.message, "{value:?}");
            }
            "pri" | "proxy" => self.record_str(field, &format!("{value:?}")),
            name => {
                let _ = write!(self.extra, " {name}={value:?}");
            }
        }
    }
}

/// Turn one event into its line.
pub fn line_of(event: &Event<'_>) -> Line {
    let mut f = Fields::default();
    event.record(&mut f);
    let level = *event.metadata().level();
    let mut message = f.message;
    message.push_str(&f.extra);
    Line {
        severity: f.pri.unwrap_or_else(|| Severity::of_level(&level)),
        level,
        proxy: f.proxy,
        message,
    }
}

type Output = Box<dyn Fn(&Line) + Send + Sync>;

/// A subscriber for events only (the daemons open no spans): each enabled event becomes
/// a [`Line`] handed to `output`.
pub struct Lines {
    output: Output,
    /// The most verbose level let through (`Level` as 0 = error ... 4 = trace).
    max: AtomicU8,
}

fn rank(l: &Level) -> u8 {
    match *l {
        Level::ERROR => 0,
        Level::WARN => 1,
        Level::INFO => 2,
        Level::DEBUG => 3,
        _ => 4,
    }
}

impl Lines {
    /// Events up to `max` (INFO: no debug lines) go to `output`.
    pub fn new(max: Level, output: impl Fn(&Line) + Send + Sync + 'static) -> Lines {
        Lines {
            output: Box::new(output),
            max: AtomicU8::new(rank(&max)),
        }
    }

    /// Let debug lines through from now on (vrrpd's `-D`, known once the command line
    /// is read).
    pub fn set_max(&self, max: Level) {
        self.max.store(rank(&max), Ordering::Relaxed);
        // Call sites cache whether they are wanted: ask them all again.
        tracing::callsite::rebuild_interest_cache();
    }
}

impl tracing::Subscriber for Lines {
    // Cached per call site (a disabled `debug!` costs a compare, not a call: the HTTP/2
    // crate has about a hundred of them per request); `set_max` rebuilds the cache.
    fn register_callsite(
        &self,
        metadata: &'static Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if self.enabled(metadata) {
            tracing::subscriber::Interest::always()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(match self.max.load(Ordering::Relaxed) {
            0 => tracing::level_filters::LevelFilter::ERROR,
            1 => tracing::level_filters::LevelFilter::WARN,
            2 => tracing::level_filters::LevelFilter::INFO,
            3 => tracing::level_filters::LevelFilter::DEBUG,
            _ => tracing::level_filters::LevelFilter::TRACE,
        })
    }

    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        rank(metadata.level()) <= self.max.load(Ordering::Relaxed)
    }

    fn new_span(&self, _span: &Attributes<'_>) -> Id {
        // Spans are not used; every span gets the same (non-zero) id.
        Id::from_u64(1)
    }

    fn record(&self, _span: &Id, _values: &Record<'_>) {}

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event(&self, event: &Event<'_>) {
        (self.output)(&line_of(event));
    }

    fn enter(&self, _span: &Id) {}

    fn exit(&self, _span: &Id) {}
}

/// Install `lines` as the process-wide subscriber (once; a second call changes nothing
/// and says so).
pub fn install(lines: Lines) -> bool {
    tracing::subscriber::set_global_default(lines).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn capture(max: Level, f: impl FnOnce()) -> Vec<Line> {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let sub = Lines::new(max, move |l: &Line| {
            if let Ok(mut v) = g.lock() {
                v.push(l.clone());
            }
        });
        tracing::subscriber::with_default(sub, f);
        let v = got.lock().map(|v| v.clone()).unwrap_or_default();
        v
    }

    #[test]
    fn levels_map_to_syslog_severities() {
        let lines = capture(Level::DEBUG, || {
            tracing::error!("a {}", 1);
            tracing::warn!("b");
            tracing::info!("c");
            tracing::debug!("d");
        });
        let got: Vec<(Severity, &str)> = lines
            .iter()
            .map(|l| (l.severity, l.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (Severity::Err, "a 1"),
                (Severity::Warning, "b"),
                (Severity::Info, "c"),
                (Severity::Debug, "d")
            ]
        );
    }

    #[test]
    fn pri_and_proxy_fields_are_read_not_printed() {
        let lines = capture(Level::INFO, || {
            tracing::warn!(pri = "alert", proxy = "be", "Server be/s is DOWN");
            tracing::error!(pri = "emerg", "backend be has no server available!");
            tracing::info!(pri = "no-such", "x");
        });
        assert_eq!(lines[0].severity, Severity::Alert);
        assert_eq!(lines[0].level, Level::WARN);
        assert_eq!(lines[0].proxy.as_deref(), Some("be"));
        assert_eq!(lines[0].message, "Server be/s is DOWN");
        assert_eq!(lines[1].severity, Severity::Emerg);
        // An unknown name falls back to the level's severity.
        assert_eq!(lines[2].severity, Severity::Info);
    }

    #[test]
    fn other_fields_are_kept_in_the_text() {
        let lines = capture(Level::INFO, || tracing::info!(count = 3, "sent"));
        assert_eq!(lines[0].message, "sent count=3");
    }

    #[test]
    fn debug_lines_only_when_asked() {
        assert!(capture(Level::INFO, || tracing::debug!("hidden")).is_empty());
        let got = Arc::new(Mutex::new(0));
        let g = got.clone();
        let sub = Lines::new(Level::INFO, move |_: &Line| {
            if let Ok(mut n) = g.lock() {
                *n += 1;
            }
        });
        sub.set_max(Level::DEBUG);
        tracing::subscriber::with_default(sub, || tracing::debug!("shown"));
        assert_eq!(*got.lock().unwrap(), 1);
    }

    /// A call site seen while debug lines were off shows them once `set_max` allows
    /// them (the interest call sites cache is asked again).
    #[test]
    fn widening_the_level_reaches_call_sites_already_seen() {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g = got.clone();
        let sub = Arc::new(Lines::new(Level::INFO, move |l: &Line| {
            if let Ok(mut v) = g.lock() {
                v.push(l.message.clone());
            }
        }));
        let dispatch = tracing::Dispatch::from(sub.clone());
        let site = |n: u32| tracing::debug!("seen {n}");
        tracing::dispatcher::with_default(&dispatch, || site(1));
        sub.set_max(Level::DEBUG);
        tracing::dispatcher::with_default(&dispatch, || site(2));
        sub.set_max(Level::INFO);
        tracing::dispatcher::with_default(&dispatch, || site(3));
        assert_eq!(*got.lock().unwrap(), ["seen 2"]);
    }
}
