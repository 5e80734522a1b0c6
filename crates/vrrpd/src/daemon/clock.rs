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

/// The wall-clock time in RFC 2822 form (UTC), for mail headers.
#[allow(clippy::disallowed_methods)]
pub fn rfc2822_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc2822(secs)
}

/// Seconds since 1970 -> "Sun, 22 Nov 2026 10:00:00 +0000" (civil-from-days).
pub fn rfc2822(secs: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} +0000",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc2822_dates() {
        assert_eq!(super::rfc2822(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(
            super::rfc2822(1_795_341_600),
            "Sun, 22 Nov 2026 10:00:00 +0000"
        );
        assert_eq!(
            super::rfc2822(951_782_400),
            "Tue, 29 Feb 2000 00:00:00 +0000"
        );
    }
}
