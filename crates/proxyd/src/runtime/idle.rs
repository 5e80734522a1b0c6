//! Inactivity timeouts without a clock read per byte: the streams of a session bump a
//! counter each time bytes move, and a watchdog that wakes a few times per timeout
//! notices when the counter stopped changing. A timeout strikes between `limit` and
//! `limit + limit / 8` (at most one second more) after the last byte, as HAProxy's own
//! timeouts are checked on a coarse clock too.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// Whether bytes moved in a session: a counter, bumped by the session's streams.
#[derive(Debug, Default)]
pub struct Activity {
    moves: AtomicU64,
    /// The same, for bytes read from the client only (a request head arriving).
    reads: AtomicU64,
    /// Someone waits for the next read (`next_read`): the read wakes it, once.
    armed: AtomicBool,
    read_wake: tokio::sync::Notify,
    /// The connection is to be reset when it closes (`ask_reset`).
    reset: AtomicBool,
}

impl Activity {
    pub fn new() -> Activity {
        Activity::default()
    }

    /// Asks that the connection be reset when it closes (see
    /// `connect::Stream::reset_on_close`), for one whose socket another owner holds.
    pub fn ask_reset(&self) {
        self.reset.store(true, Ordering::Relaxed);
    }

    pub fn reset_asked(&self) -> bool {
        self.reset.load(Ordering::Relaxed)
    }

    /// Bytes moved. A plain load and store, not a locked add: any change of the value is
    /// all the watchdog looks for, so an increment lost to a race does not matter.
    pub fn touch(&self) {
        let v = self.moves.load(Ordering::Relaxed);
        self.moves.store(v.wrapping_add(1), Ordering::Relaxed);
    }

    /// Bytes read (from the peer): counts as activity too.
    pub fn touch_read(&self) {
        let v = self.reads.load(Ordering::Relaxed);
        self.reads.store(v.wrapping_add(1), Ordering::Relaxed);
        self.touch();
        // A plain load first: the swap (a locked operation) only when someone waits.
        if self.armed.load(Ordering::Relaxed) && self.armed.swap(false, Ordering::AcqRel) {
            self.read_wake.notify_one();
        }
    }

    /// Returns once bytes are read after `seen` (a value of `reads()`); no timer, no
    /// polling: the read itself wakes the waiter.
    pub async fn next_read(&self, seen: u64) {
        while self.reads() == seen {
            let woken = self.read_wake.notified();
            self.armed.store(true, Ordering::Release);
            // A read between the check above and the arming would not wake us.
            if self.reads() != seen {
                break;
            }
            // A wake-up left over from an earlier wait returns at once; the loop then
            // looks again.
            woken.await;
        }
    }

    fn moves(&self) -> u64 {
        self.moves.load(Ordering::Relaxed)
    }

    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}

/// Watches one session's `Activity`.
pub struct IdleWatch {
    seen: u64,
    /// Since when nothing moved (set at the first look: one clock read less).
    since: Option<Instant>,
    /// Whether the last look had a limit (idle time counts from the first look with one).
    limited: bool,
}

/// How often the watchdog looks, for a given limit.
fn tick(limit: Duration) -> Duration {
    (limit / 8).clamp(Duration::from_millis(5), Duration::from_secs(1))
}

impl IdleWatch {
    pub fn new(a: &Activity) -> IdleWatch {
        IdleWatch {
            seen: a.moves(),
            since: None,
            limited: true,
        }
    }

    /// Returns once nothing has moved for `limit()` (asked again at every look; `None`:
    /// no limit at the moment, the session counts as active meanwhile).
    pub async fn expired(&mut self, a: &Activity, limit: impl Fn() -> Option<Duration>) {
        self.expired_on(a, limit, &mut None).await
    }

    /// The same, waiting on `timer`, which the caller keeps for its next watch: a timer
    /// set again to a later time is not taken out of the runtime's timer wheel and put
    /// back (a new one per server request would be), it is only moved when it fires.
    pub async fn expired_on(
        &mut self,
        a: &Activity,
        limit: impl Fn() -> Option<Duration>,
        timer: &mut Option<Pin<Box<Sleep>>>,
    ) {
        loop {
            let now = Instant::now();
            let m = a.moves();
            let since = self.since.get_or_insert(now);
            if m != self.seen {
                self.seen = m;
                *since = now;
            }
            let wait = match limit() {
                Some(l) => {
                    if !self.limited {
                        self.limited = true;
                        *since = now;
                    }
                    let idle = now.saturating_duration_since(*since);
                    if idle >= l {
                        return;
                    }
                    (l - idle).min(tick(l))
                }
                None => {
                    self.limited = false;
                    Duration::from_secs(1)
                }
            };
            match timer {
                Some(t) => {
                    t.as_mut().reset(now + wait);
                    t.as_mut().await;
                }
                None => {
                    timer
                        .insert(Box::pin(tokio::time::sleep_until(now + wait)))
                        .await
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn strikes_after_the_limit_without_activity() {
        let a = Activity::new();
        let mut w = IdleWatch::new(&a);
        let t0 = Instant::now();
        w.expired(&a, || Some(Duration::from_secs(8))).await;
        let took = t0.elapsed();
        assert!(
            took >= Duration::from_secs(8) && took <= Duration::from_secs(9),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn activity_postpones_it() {
        let a = std::sync::Arc::new(Activity::new());
        let mut w = IdleWatch::new(&a);
        let b = a.clone();
        let t0 = Instant::now();
        // Bytes move every 500 ms for 5 s, then stop.
        let mover = tokio::spawn(async move {
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_millis(500)).await;
                b.touch();
            }
        });
        w.expired(&a, || Some(Duration::from_secs(2))).await;
        let took = t0.elapsed();
        // Last byte at 5 s: expiry between 7 s and 7 s + one look (250 ms) + a look's lag.
        assert!(
            took >= Duration::from_secs(7) && took <= Duration::from_millis(7600),
            "{took:?}"
        );
        mover.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_kept_timer_times_each_watch_from_its_own_start() {
        let a = Activity::new();
        let mut timer = None;
        let limit = || Some(Duration::from_secs(4));
        // A first watch ends early (the response came): its timer is left armed.
        let mut w = IdleWatch::new(&a);
        let early =
            tokio::time::timeout(Duration::from_secs(1), w.expired_on(&a, limit, &mut timer));
        assert!(early.await.is_err(), "struck before its limit");
        assert!(timer.is_some());
        // The next one, 3 s later, strikes 4 s after its own start, not the first's.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let t0 = Instant::now();
        IdleWatch::new(&a).expired_on(&a, limit, &mut timer).await;
        let took = t0.elapsed();
        assert!(
            took >= Duration::from_secs(4) && took <= Duration::from_millis(4600),
            "{took:?}"
        );
        // And after it struck, once more (a timer that fired is put back in the wheel).
        let t1 = Instant::now();
        IdleWatch::new(&a)
            .expired_on(&a, || Some(Duration::from_secs(2)), &mut timer)
            .await;
        let took = t1.elapsed();
        assert!(
            took >= Duration::from_secs(2) && took <= Duration::from_millis(2300),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn no_limit_counts_as_active() {
        let a = Activity::new();
        let mut w = IdleWatch::new(&a);
        let t0 = Instant::now();
        let limited = std::sync::atomic::AtomicBool::new(false);
        // No limit for the first 10 s (the server is thinking), then 1 s.
        let f = w.expired(&a, || {
            if t0.elapsed() >= Duration::from_secs(10) {
                limited.store(true, Ordering::Relaxed);
                Some(Duration::from_secs(1))
            } else {
                None
            }
        });
        f.await;
        let took = t0.elapsed();
        assert!(limited.load(Ordering::Relaxed));
        assert!(
            took >= Duration::from_secs(11) && took <= Duration::from_millis(12200),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn next_read_waits_for_a_read_after_the_one_seen() {
        let a = std::sync::Arc::new(Activity::new());
        a.touch_read();
        let seen = a.reads();
        let b = a.clone();
        let waiter = tokio::spawn(async move { b.next_read(seen).await });
        tokio::time::sleep(Duration::from_secs(60)).await;
        assert!(!waiter.is_finished(), "woke without a read");
        // Writes are activity, not reads.
        a.touch();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!waiter.is_finished(), "woke on a write");
        a.touch_read();
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("the read woke it")
            .expect("no panic");
        // Already read since `seen`: returns at once.
        tokio::time::timeout(Duration::from_millis(1), a.next_read(seen))
            .await
            .expect("at once");
    }
}
