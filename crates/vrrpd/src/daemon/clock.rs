//! The one place the daemon reads the clock: milliseconds since start, for vrrp-core, and the
//! wake-up at the engine's next deadline (a timerfd: see `reactor`).

use super::reactor::Alarm;
use nix::time::{clock_gettime, ClockId};
use std::time::Duration;

pub struct Clock {
    /// CLOCK_MONOTONIC at start: engine time 0.
    start: Duration,
    alarm: Alarm,
}

pub fn monotonic() -> Duration {
    // CLOCK_MONOTONIC cannot fail on Linux; a zero would only delay timers, never panic.
    clock_gettime(ClockId::CLOCK_MONOTONIC)
        .map(Duration::from)
        .unwrap_or_default()
}

impl Clock {
    pub fn new() -> std::io::Result<Self> {
        Ok(Clock {
            start: monotonic(),
            alarm: Alarm::new()?,
        })
    }

    pub fn now_ms(&self) -> u64 {
        monotonic().saturating_sub(self.start).as_millis() as u64
    }

    /// Returns at engine time `ms` (at once if that has passed).
    pub async fn sleep_until(&self, ms: u64) {
        let at = self.start + Duration::from_millis(ms);
        if self.alarm.wait_until(at).await.is_err() {
            // Cannot happen for a timerfd and a valid time; tokio's coarser timer then.
            let left = Duration::from_millis(ms.saturating_sub(self.now_ms()));
            tokio::time::sleep(left).await;
        }
    }
}

/// The wall-clock time in RFC 2822 form (UTC), for mail headers.
pub fn rfc2822_now() -> String {
    rfc2822(unix_now())
}

/// Seconds since 1970 (wall clock), for mail headers and log file lines.
#[allow(clippy::disallowed_methods)]
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
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

    /// The alarm never wakes before the engine time it was set for, wakes at once for a
    /// time that has passed, and still works after a wait was abandoned (as the main loop's
    /// select! abandons it whenever a packet comes first) with its expiry never read.
    #[tokio::test]
    async fn sleep_until_wakes_at_its_time_not_before() {
        let clock = super::Clock::new().unwrap();
        let t = clock.now_ms() + 20;
        clock.sleep_until(t).await;
        assert!(clock.now_ms() >= t);

        let before = clock.now_ms();
        clock.sleep_until(0).await; // long past
        assert!(
            clock.now_ms() - before < 50,
            "a past deadline must not wait"
        );

        // Abandon a 5 ms wait after 1 ms; it expires unread. The next wait must not end early.
        let short = clock.now_ms() + 5;
        let _ = tokio::time::timeout(
            std::time::Duration::from_millis(1),
            clock.sleep_until(short),
        )
        .await;
        std::thread::sleep(std::time::Duration::from_millis(10));
        let t = clock.now_ms() + 30;
        clock.sleep_until(t).await;
        assert!(clock.now_ms() >= t);
    }
}
