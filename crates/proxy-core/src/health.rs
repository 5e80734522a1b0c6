//! Server health as HAProxy keeps it: `rise` consecutive good checks bring a DOWN server
//! UP, `fall` consecutive bad ones take an UP server DOWN; between, the server is "going
//! down" / "going up" and is checked every `fastinter`; a server fully DOWN every
//! `downinter`; otherwise every `inter`. Checks of a backend's servers start spread over
//! the interval instead of all at once.

use crate::Instant;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CheckTiming {
    pub inter_ms: u64,
    pub fastinter_ms: Option<u64>,
    pub downinter_ms: Option<u64>,
    pub rise: u32,
    pub fall: u32,
}

impl Default for CheckTiming {
    /// HAProxy's defaults: inter 2 s, rise 2, fall 3.
    fn default() -> Self {
        CheckTiming {
            inter_ms: 2000,
            fastinter_ms: None,
            downinter_ms: None,
            rise: 2,
            fall: 3,
        }
    }
}

/// A change of state caused by a check result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Transition {
    Up,
    Down,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub timing: CheckTiming,
    up: bool,
    /// Consecutive results against the current state.
    against: u32,
    pub last_change: Option<Instant>,
    /// `on-error` asked for checks at `fastinter` until the next result.
    fast: bool,
}

pub use haproxy_conf::model::OnError;

impl Health {
    /// Servers start UP, as in HAProxy (the first `fall` failures take them down).
    pub fn new(timing: CheckTiming) -> Health {
        Health {
            timing,
            up: true,
            against: 0,
            last_change: None,
            fast: false,
        }
    }

    pub fn is_up(&self) -> bool {
        self.up
    }

    /// HAProxy's words for the state, as the stats page shows it.
    pub fn describe(&self) -> String {
        match (self.up, self.against) {
            (true, 0) => "UP".into(),
            (true, n) => format!("UP {n}/{}", self.timing.fall),
            (false, 0) => "DOWN".into(),
            (false, n) => format!("DOWN {n}/{}", self.timing.rise),
        }
    }

    /// HAProxy's `check_health`: 0 .. rise-1 while DOWN (the passes counted toward
    /// rise), rise .. rise+fall-1 while UP (rise+fall-1 when no failure is counted).
    pub fn health_value(&self) -> u32 {
        let (rise, fall) = (self.timing.rise.max(1), self.timing.fall.max(1));
        if self.up {
            (rise + fall - 1).saturating_sub(self.against)
        } else {
            self.against.min(rise - 1)
        }
    }

    /// One check result; returns the transition it completes, if any.
    pub fn result(&mut self, now: Instant, ok: bool) -> Option<Transition> {
        self.fast = false;
        if ok == self.up {
            self.against = 0;
            return None;
        }
        self.against += 1;
        let needed = if self.up {
            self.timing.fall
        } else {
            self.timing.rise
        };
        if self.against < needed.max(1) {
            return None;
        }
        self.up = ok;
        self.against = 0;
        self.last_change = Some(now);
        Some(if ok { Transition::Up } else { Transition::Down })
    }

    /// Force a state (a server set DOWN by the runtime API, or `disabled`).
    pub fn set(&mut self, now: Instant, up: bool) {
        if up != self.up {
            self.last_change = Some(now);
        }
        self.up = up;
        self.against = 0;
    }

    /// `error-limit` consecutive errors of live traffic were seen (`observe`): what
    /// `on-error` says happens.
    pub fn on_error(&mut self, now: Instant, action: OnError) -> Option<Transition> {
        let change = match action {
            OnError::Fastinter => None,
            OnError::FailCheck => self.result(now, false),
            // One more failed check will take it down.
            OnError::SuddenDeath => {
                if self.up {
                    self.against = self.against.max(self.timing.fall.saturating_sub(1));
                }
                None
            }
            OnError::MarkDown => {
                if self.up {
                    self.set(now, false);
                    Some(Transition::Down)
                } else {
                    None
                }
            }
        };
        // Every action looks again soon.
        self.fast = true;
        change
    }

    /// Time until the next check, after a result.
    pub fn next_interval(&self) -> u64 {
        let t = &self.timing;
        if self.fast {
            return t.fastinter_ms.unwrap_or(t.inter_ms);
        }
        match (self.up, self.against) {
            (true, 0) => t.inter_ms,
            (false, 0) => t.downinter_ms.unwrap_or(t.inter_ms),
            _ => t.fastinter_ms.unwrap_or(t.inter_ms),
        }
    }
}

/// A server's administrative state: an agent (or, later, the runtime API) may drain it
/// (no new traffic but what persistence sends) or put it in maintenance (no traffic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum Admin {
    #[default]
    Ready,
    Drain,
    Maint,
}

/// What an agent's reply line says; what it does not mention stays as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgentReply {
    /// `up` (true), `down` / `fail` / `stopped` (false).
    pub up: Option<bool>,
    pub admin: Option<Admin>,
    /// `75%`: a share of the configured weight.
    pub weight_pct: Option<u32>,
    /// `maxconn:N`.
    pub maxconn: Option<u32>,
}

/// Read an agent's reply: words up to the first CR or LF, separated by spaces, tabs or
/// commas; a `#` starts a free description.
pub fn parse_agent(reply: &[u8]) -> AgentReply {
    let line = reply
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or(&[]);
    let line = String::from_utf8_lossy(line);
    let line = line.split('#').next().unwrap_or("");
    let mut r = AgentReply::default();
    for w in line.split([' ', '\t', ',']).filter(|w| !w.is_empty()) {
        let lower = w.to_ascii_lowercase();
        match lower.as_str() {
            "up" => r.up = Some(true),
            "down" | "fail" | "stopped" => r.up = Some(false),
            "ready" => r.admin = Some(Admin::Ready),
            "drain" => r.admin = Some(Admin::Drain),
            "maint" => r.admin = Some(Admin::Maint),
            w if w.ends_with('%') => {
                if let Ok(p) = w.trim_end_matches('%').parse::<u32>() {
                    r.weight_pct = Some(p);
                }
            }
            w if w.starts_with("maxconn:") => {
                if let Ok(n) = w["maxconn:".len()..].parse::<u32>() {
                    r.maxconn = Some(n);
                }
            }
            _ => {}
        }
    }
    r
}

/// When the `index`-th of `count` servers has its first check: spread evenly over one
/// interval, so a backend of 40 servers does not check all 40 at the same instant.
pub fn first_check_at(start: Instant, index: usize, count: usize, inter_ms: u64) -> Instant {
    start + inter_ms * index as u64 / count.max(1) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fall_and_rise() {
        let mut h = Health::new(CheckTiming::default());
        assert_eq!(h.result(0, false), None);
        assert_eq!(h.describe(), "UP 1/3");
        assert_eq!(h.result(1, false), None);
        assert_eq!(h.result(2, true), None, "a good check resets the count");
        assert_eq!(h.result(3, false), None);
        assert_eq!(h.result(4, false), None);
        assert_eq!(h.result(5, false), Some(Transition::Down));
        assert_eq!((h.is_up(), h.last_change), (false, Some(5)));
        assert_eq!(h.result(6, true), None);
        assert_eq!(h.describe(), "DOWN 1/2");
        assert_eq!(h.result(7, true), Some(Transition::Up));
        assert!(h.is_up());
    }

    #[test]
    fn intervals_follow_the_state() {
        let mut h = Health::new(CheckTiming {
            inter_ms: 2000,
            fastinter_ms: Some(500),
            downinter_ms: Some(10_000),
            rise: 2,
            fall: 2,
        });
        assert_eq!(h.next_interval(), 2000);
        h.result(0, false);
        assert_eq!(h.next_interval(), 500, "going down: fastinter");
        h.result(0, false);
        assert_eq!(h.next_interval(), 10_000, "down: downinter");
        h.result(0, true);
        assert_eq!(h.next_interval(), 500, "going up: fastinter");
        let plain = Health::new(CheckTiming::default());
        assert_eq!(plain.next_interval(), 2000);
    }

    #[test]
    fn live_errors_act_as_on_error_says() {
        let t = CheckTiming {
            fastinter_ms: Some(100),
            ..CheckTiming::default()
        };
        let mut h = Health::new(t);
        assert_eq!(h.on_error(1, OnError::Fastinter), None);
        assert_eq!(h.next_interval(), 100);
        h.result(2, true);
        assert_eq!(h.next_interval(), 2000, "back to inter after a result");
        assert_eq!(h.on_error(3, OnError::SuddenDeath), None);
        assert_eq!(
            h.result(4, false),
            Some(Transition::Down),
            "one more failure"
        );
        let mut h = Health::new(t);
        assert_eq!(h.on_error(5, OnError::MarkDown), Some(Transition::Down));
        let mut h = Health::new(t);
        assert_eq!(h.on_error(6, OnError::FailCheck), None);
        assert_eq!(h.describe(), "UP 1/3");
    }

    #[test]
    fn agent_replies() {
        let r = parse_agent(b"75%, drain\r\n");
        assert_eq!(
            (r.weight_pct, r.admin, r.up),
            (Some(75), Some(Admin::Drain), None)
        );
        let r = parse_agent(b"down#disk full\n");
        assert_eq!(r.up, Some(false));
        let r = parse_agent(b"UP\tmaxconn:30 ready");
        assert_eq!(
            r,
            AgentReply {
                up: Some(true),
                admin: Some(Admin::Ready),
                weight_pct: None,
                maxconn: Some(30)
            }
        );
        assert_eq!(
            parse_agent(b"stopped"),
            AgentReply {
                up: Some(false),
                ..AgentReply::default()
            }
        );
        assert_eq!(
            parse_agent(b"\n50%"),
            AgentReply::default(),
            "only the first line"
        );
    }

    #[test]
    fn first_checks_are_spread() {
        let at: Vec<u64> = (0..4).map(|i| first_check_at(100, i, 4, 2000)).collect();
        assert_eq!(at, vec![100, 600, 1100, 1600]);
    }
}
