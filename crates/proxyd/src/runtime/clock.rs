//! The one place proxyd reads the clock: milliseconds since start, for proxy-core.

use std::time::Instant;

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Instant,
}

impl Clock {
    #[allow(clippy::disallowed_methods)] // the daemon is the edge where time comes from
    pub fn new() -> Self {
        Clock {
            start: Instant::now(),
        }
    }

    pub fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// `now_ms` of an instant read already (a request reads the clock once per step).
    pub fn ms_at(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.start).as_millis() as u64
    }

    /// Seconds since the Unix epoch (dates in persistence cookies).
    #[allow(clippy::disallowed_methods)] // the daemon is the edge where time comes from
    pub fn unix_s(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }
}

static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// Milliseconds since the process's first look at this clock: one base for the
/// per-second rates, bumped and read from anywhere.
#[allow(clippy::disallowed_methods)] // the daemon is the edge where time comes from
pub fn mono_ms() -> u64 {
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// `mono_ms` of an instant read already.
#[allow(clippy::disallowed_methods)] // the daemon is the edge where time comes from
pub fn mono_ms_at(t: Instant) -> u64 {
    t.saturating_duration_since(*START.get_or_init(Instant::now))
        .as_millis() as u64
}

/// The wall clock now, for dates in samples and log-format values.
#[allow(clippy::disallowed_methods)] // the daemon is the edge where time comes from
pub fn wall() -> std::time::SystemTime {
    std::time::SystemTime::now()
}

/// Now as (seconds, microseconds) since the Unix epoch (`date`, `date_us`).
pub fn unix_now() -> (i64, u32) {
    let d = wall()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs() as i64, d.subsec_micros())
}
