//! The one place the daemon reads the clock: milliseconds since start, for vrrp-core.

use std::time::{Duration, Instant};

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

    #[allow(clippy::disallowed_methods)]
    pub fn now_ms(&self) -> u64 {
        self.start.elapsed().as_millis() as u64
    }

    /// A tokio deadline for an engine time.
    pub fn deadline(&self, ms: u64) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.start + Duration::from_millis(ms))
    }
}
