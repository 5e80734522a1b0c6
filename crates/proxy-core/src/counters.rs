//! The traffic counters of one frontend, backend or server, in one place: the stats page,
//! the runtime API and the logs all read these, and the data plane only ever bumps them.
//! Plain atomics (no clock, no I/O): a counter is bumped from many tasks at once, and
//! reading a snapshot must not stop traffic.

use crate::stick::Freq;
use crate::Instant;
use serde::Serialize;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

/// Counters of a frontend, a backend or a server (HAProxy's stats columns of the same names
/// in the comments).
#[derive(Debug, Default)]
pub struct Counters {
    /// scur: sessions (TCP) or requests being served (HTTP) now.
    cur: AtomicU32,
    /// smax: the most `cur` has been.
    max: AtomicU32,
    /// stot: sessions / requests so far.
    total: AtomicU64,
    /// bin / bout: bytes from the client side / to the client side.
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    /// hrsp_1xx .. hrsp_5xx, hrsp_other.
    http: [AtomicU64; 6],
    /// dreq / dresp: requests / responses denied by rules.
    denied_req: AtomicU64,
    denied_resp: AtomicU64,
    /// econ: failed connections to a server.
    connect_errors: AtomicU64,
    /// ereq: requests that failed on the client's side (invalid, cut short, timed out,
    /// or a connection closed before any request).
    request_errors: AtomicU64,
    /// eresp: a server's response failed (reset, timeout, invalid).
    response_errors: AtomicU64,
    /// wretr / wredis: connection retries, redispatches to another server.
    retries: AtomicU64,
    redispatches: AtomicU64,
    /// qcur / qmax: requests waiting for a server slot now / at most.
    queue_cur: AtomicU32,
    queue_max: AtomicU32,
    /// rate / req_rate: new sessions and HTTP requests per second.
    rates: Mutex<[Freq; 2]>,
}

const SESSIONS: usize = 0;
const REQUESTS: usize = 1;

/// One session being counted in `cur` (see `Counters::count`).
pub struct Counted<'a>(&'a Counters);

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.end();
    }
}

/// A copy of the counters at one moment, for rendering.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub cur: u32,
    pub max: u32,
    pub total: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    /// Responses by class: 1xx, 2xx, 3xx, 4xx, 5xx, other.
    pub http: [u64; 6],
    pub denied_req: u64,
    pub denied_resp: u64,
    pub connect_errors: u64,
    pub request_errors: u64,
    pub response_errors: u64,
    pub retries: u64,
    pub redispatches: u64,
    pub queue_cur: u32,
    pub queue_max: u32,
    /// New sessions per second (0 unless taken with `snapshot_at`).
    pub rate: u32,
}

fn raise_max(max: &AtomicU32, v: u32) {
    max.fetch_max(v, Relaxed);
}

impl Counters {
    /// A session or request begins; ended by `end`.
    pub fn begin(&self) {
        self.hold();
        self.add_total();
    }

    /// `cur` up by one (and `max` with it) without counting a session yet: a server's slot
    /// is held while connecting, and the session counts once the connection is there.
    pub fn hold(&self) {
        let now = self.cur.fetch_add(1, Relaxed) + 1;
        raise_max(&self.max, now);
    }

    pub fn add_total(&self) {
        self.total.fetch_add(1, Relaxed);
    }

    /// `begin` now and `end` when the returned guard is dropped, however the session ends.
    pub fn count(&self) -> Counted<'_> {
        self.begin();
        Counted(self)
    }

    pub fn end(&self) {
        // Never below zero, even if an end were counted twice.
        let _ = self
            .cur
            .fetch_update(Relaxed, Relaxed, |c| Some(c.saturating_sub(1)));
    }

    pub fn current(&self) -> u32 {
        self.cur.load(Relaxed)
    }

    pub fn bytes_in(&self, n: u64) {
        self.bytes_in.fetch_add(n, Relaxed);
    }

    pub fn bytes_out(&self, n: u64) {
        self.bytes_out.fetch_add(n, Relaxed);
    }

    /// One HTTP response with this status was sent.
    pub fn status(&self, code: u16) {
        let class = match code {
            100..=599 => usize::from(code / 100 - 1),
            _ => 5,
        };
        self.http[class].fetch_add(1, Relaxed);
    }

    pub fn denied_request(&self) {
        self.denied_req.fetch_add(1, Relaxed);
    }

    pub fn denied_response(&self) {
        self.denied_resp.fetch_add(1, Relaxed);
    }

    pub fn connect_error(&self) {
        self.connect_errors.fetch_add(1, Relaxed);
    }

    pub fn request_error(&self) {
        self.request_errors.fetch_add(1, Relaxed);
    }

    pub fn response_error(&self) {
        self.response_errors.fetch_add(1, Relaxed);
    }

    pub fn retry(&self) {
        self.retries.fetch_add(1, Relaxed);
    }

    pub fn redispatch(&self) {
        self.redispatches.fetch_add(1, Relaxed);
    }

    /// A request joins the queue; returns how many wait now, itself included.
    pub fn enqueue(&self) -> u32 {
        let now = self.queue_cur.fetch_add(1, Relaxed) + 1;
        raise_max(&self.queue_max, now);
        now
    }

    pub fn dequeue(&self) {
        let _ = self
            .queue_cur
            .fetch_update(Relaxed, Relaxed, |c| Some(c.saturating_sub(1)));
    }

    pub fn queued(&self) -> u32 {
        self.queue_cur.load(Relaxed)
    }

    fn rate_add(&self, which: usize, now: Instant) {
        if let Ok(mut r) = self.rates.lock() {
            r[which].add(now, 1000, 1);
        }
    }

    fn rate_read(&self, which: usize, now: Instant) -> u32 {
        self.rates
            .lock()
            .map(|r| r[which].read(now, 1000))
            .unwrap_or(0)
    }

    /// A new session (a frontend's connection, a backend's or server's stream), for
    /// the per-second rate.
    pub fn session_at(&self, now: Instant) {
        self.rate_add(SESSIONS, now);
    }

    /// A new HTTP request, for the per-second rate.
    pub fn request_at(&self, now: Instant) {
        self.rate_add(REQUESTS, now);
    }

    /// Sessions per second (`fe_sess_rate`, `be_sess_rate`, `srv_sess_rate`).
    pub fn sess_rate(&self, now: Instant) -> u32 {
        self.rate_read(SESSIONS, now)
    }

    /// HTTP requests per second (`fe_req_rate`).
    pub fn req_rate(&self, now: Instant) -> u32 {
        self.rate_read(REQUESTS, now)
    }

    /// `clear counters`: the maxima start again from what is current.
    pub fn clear_max(&self) {
        self.max.store(self.cur.load(Relaxed), Relaxed);
        self.queue_max.store(self.queue_cur.load(Relaxed), Relaxed);
    }

    /// `clear counters all`: every cumulated count back to zero (what is current stays:
    /// sessions in progress and queued requests are still there).
    pub fn clear_all(&self) {
        self.clear_max();
        for c in [
            &self.total,
            &self.bytes_in,
            &self.bytes_out,
            &self.denied_req,
            &self.denied_resp,
            &self.connect_errors,
            &self.request_errors,
            &self.response_errors,
            &self.retries,
            &self.redispatches,
        ] {
            c.store(0, Relaxed);
        }
        for c in &self.http {
            c.store(0, Relaxed);
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            cur: self.cur.load(Relaxed),
            max: self.max.load(Relaxed),
            total: self.total.load(Relaxed),
            bytes_in: self.bytes_in.load(Relaxed),
            bytes_out: self.bytes_out.load(Relaxed),
            http: std::array::from_fn(|i| self.http[i].load(Relaxed)),
            denied_req: self.denied_req.load(Relaxed),
            denied_resp: self.denied_resp.load(Relaxed),
            connect_errors: self.connect_errors.load(Relaxed),
            request_errors: self.request_errors.load(Relaxed),
            response_errors: self.response_errors.load(Relaxed),
            retries: self.retries.load(Relaxed),
            redispatches: self.redispatches.load(Relaxed),
            queue_cur: self.queue_cur.load(Relaxed),
            queue_max: self.queue_max.load(Relaxed),
            rate: 0,
        }
    }

    /// `snapshot` with the session rate as of `now`.
    pub fn snapshot_at(&self, now: Instant) -> Snapshot {
        Snapshot {
            rate: self.sess_rate(now),
            ..self.snapshot()
        }
    }
}

/// What the last health check of a server found, in HAProxy's check status codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CheckStatus {
    /// L4OK: the connection was accepted (layer-4 check).
    L4Ok,
    /// L4CON: the connection was refused or reset.
    L4Con,
    /// L4TOUT: no connection within the check timeout.
    L4Tout,
    /// L6OK / L6RSP / L6TOUT: the TLS hello check passed / got a wrong answer / none in time.
    L6Ok,
    L6Rsp,
    L6Tout,
    /// L7OK / L7STS / L7RSP / L7TOUT: the HTTP check passed / got a bad status / a bad or
    /// no answer / no answer in time.
    L7Ok,
    L7Sts,
    L7Rsp,
    L7Tout,
}

impl CheckStatus {
    pub fn code(self) -> &'static str {
        match self {
            CheckStatus::L4Ok => "L4OK",
            CheckStatus::L4Con => "L4CON",
            CheckStatus::L4Tout => "L4TOUT",
            CheckStatus::L6Ok => "L6OK",
            CheckStatus::L6Rsp => "L6RSP",
            CheckStatus::L6Tout => "L6TOUT",
            CheckStatus::L7Ok => "L7OK",
            CheckStatus::L7Sts => "L7STS",
            CheckStatus::L7Rsp => "L7RSP",
            CheckStatus::L7Tout => "L7TOUT",
        }
    }

    /// HAProxy's words for it in the "Server X is UP/DOWN, reason: ..." log line.
    pub fn reason(self) -> &'static str {
        match self {
            CheckStatus::L4Ok => "Layer4 check passed",
            CheckStatus::L4Con => "Layer4 connection problem",
            CheckStatus::L4Tout => "Layer4 timeout",
            CheckStatus::L6Ok => "Layer6 check passed",
            CheckStatus::L6Rsp => "Layer6 invalid response",
            CheckStatus::L6Tout => "Layer6 timeout",
            CheckStatus::L7Ok => "Layer7 check passed",
            CheckStatus::L7Sts => "Layer7 wrong status",
            CheckStatus::L7Rsp => "Layer7 invalid response",
            CheckStatus::L7Tout => "Layer7 timeout",
        }
    }

    pub fn passed(self) -> bool {
        matches!(
            self,
            CheckStatus::L4Ok | CheckStatus::L6Ok | CheckStatus::L7Ok
        )
    }
}

/// The last check of a server: its status, how long it took, and when it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CheckRecord {
    pub status: CheckStatus,
    pub duration_ms: u64,
    pub at: Instant,
}

/// A server's last check, kept for the stats page and the runtime API.
#[derive(Debug, Default)]
pub struct LastCheck(Mutex<Option<CheckRecord>>);

impl LastCheck {
    pub fn record(&self, r: CheckRecord) {
        if let Ok(mut c) = self.0.lock() {
            *c = Some(r);
        }
    }

    pub fn get(&self) -> Option<CheckRecord> {
        self.0.lock().ok().and_then(|c| *c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clearing_keeps_what_is_current() {
        let c = Counters::default();
        c.begin();
        c.begin();
        c.end();
        c.bytes_in(10);
        c.clear_max();
        assert_eq!((c.snapshot().max, c.snapshot().total), (1, 2));
        c.clear_all();
        let s = c.snapshot();
        assert_eq!((s.cur, s.max, s.total, s.bytes_in), (1, 1, 0, 0));
    }

    #[test]
    fn sessions_keep_current_max_and_total() {
        let c = Counters::default();
        c.begin();
        c.begin();
        c.end();
        c.begin();
        c.end();
        c.end();
        c.end(); // one end too many stays at zero
        let s = c.snapshot();
        assert_eq!((s.cur, s.max, s.total), (0, 2, 3));
    }

    #[test]
    fn a_counted_session_ends_when_dropped() {
        let c = Counters::default();
        {
            let _a = c.count();
            let _b = c.count();
            assert_eq!(c.current(), 2);
        }
        let s = c.snapshot();
        assert_eq!((s.cur, s.max, s.total), (0, 2, 2));
    }

    #[test]
    fn statuses_go_to_their_class() {
        let c = Counters::default();
        for code in [101, 200, 204, 302, 404, 503, 504, 99, 600] {
            c.status(code);
        }
        assert_eq!(c.snapshot().http, [1, 2, 1, 1, 2, 2]);
    }

    #[test]
    fn queue_counts_and_keeps_its_maximum() {
        let c = Counters::default();
        assert_eq!(c.enqueue(), 1);
        assert_eq!(c.enqueue(), 2);
        c.dequeue();
        assert_eq!(c.enqueue(), 2);
        c.dequeue();
        c.dequeue();
        c.dequeue();
        let s = c.snapshot();
        assert_eq!((s.queue_cur, s.queue_max), (0, 2));
    }

    #[test]
    fn last_check_is_kept() {
        let s = LastCheck::default();
        assert_eq!(s.get(), None);
        let r = CheckRecord {
            status: CheckStatus::L7Sts,
            duration_ms: 3,
            at: 1000,
        };
        s.record(r);
        assert_eq!(s.get(), Some(r));
        assert!(!r.status.passed());
        assert_eq!(r.status.code(), "L7STS");
    }
}
