//! When the receive task waits for its socket again. A wake-up per packet is the daemon's
//! main cost under a flood of (forged) packets: on a virtual machine each costs tens of
//! microseconds, nearly all of it in the context switch. Under a flood the task pauses
//! after emptying the socket, so each wake-up reads the packets of a whole pause; with
//! ordinary traffic (a few adverts a second per interface) it never pauses. A real advert
//! is then read at most `PAUSE` late, far within any master-down interval (3 adverts).
//!
//! Pure: the caller passes the time (CLOCK_MONOTONIC).

use std::time::Duration;

/// Wake-ups closer than this are a flood.
const CLOSE: Duration = Duration::from_millis(2);
/// How long the task waits before reading the socket again under a flood.
pub const PAUSE: Duration = Duration::from_millis(5);

#[derive(Default)]
pub struct Pacer {
    last: Option<Duration>,
}

impl Pacer {
    /// The socket was emptied at `now` after `read` packets since the task woke up:
    /// whether to pause before waiting for it again.
    pub fn pause(&mut self, now: Duration, read: usize) -> Option<Duration> {
        let close = self
            .last
            .is_some_and(|last| now.saturating_sub(last) < CLOSE);
        self.last = Some(now);
        (close || read > 1).then_some(PAUSE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_traffic_never_pauses() {
        let mut p = Pacer::default();
        let t0 = Duration::from_secs(100);
        // Two instances' adverts each second, each read on its own wake-up 10 ms apart.
        for s in 0..10u64 {
            let t = t0 + Duration::from_secs(s);
            assert_eq!(p.pause(t, 1), None);
            assert_eq!(p.pause(t + Duration::from_millis(10), 1), None);
        }
    }

    #[test]
    fn a_flood_pauses_after_each_read() {
        let mut p = Pacer::default();
        let t0 = Duration::from_secs(100);
        assert_eq!(p.pause(t0, 1), None);
        // The next packet 1 ms later: a flood.
        let t1 = t0 + Duration::from_millis(1);
        assert_eq!(p.pause(t1, 1), Some(PAUSE));
        // After the pause the wake-up finds the pause's packets.
        let t2 = t1 + PAUSE;
        assert_eq!(p.pause(t2, 5), Some(PAUSE));
        // Two packets together (two instances' adverts) pause once, then quiet again.
        let t3 = t2 + Duration::from_secs(1);
        assert_eq!(p.pause(t3, 2), Some(PAUSE));
        assert_eq!(p.pause(t3 + Duration::from_secs(1), 1), None);
    }
}
