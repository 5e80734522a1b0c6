//! Trackers (vrrp_script results, tracked interfaces) with keepalived's rise/fall hysteresis
//! and weight rules: a passing tracker adds a positive weight, a failing one adds a
//! negative weight, `reverse` inverts the adjustment, weight 0 means fault on failure.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrackerKind {
    Script,
    Interface,
    /// vrrp_track_process: fed like a script, with the quorum as the result.
    Process,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrackerConfig {
    pub name: String,
    pub kind: TrackerKind,
    pub weight: i32,
    pub reverse: bool,
    /// Consecutive successes needed to go from failed to ok.
    pub rise: u32,
    /// Consecutive failures needed to go from ok to failed.
    pub fall: u32,
    /// Start in the failed state (keepalived's `init_fail`).
    pub init_fail: bool,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig::script("chk", 0)
    }
}

impl TrackerConfig {
    pub fn script(name: &str, weight: i32) -> Self {
        TrackerConfig {
            name: name.to_string(),
            kind: TrackerKind::Script,
            weight,
            reverse: false,
            rise: 1,
            fall: 1,
            init_fail: false,
        }
    }

    pub fn interface(name: &str, weight: i32) -> Self {
        TrackerConfig {
            name: name.to_string(),
            kind: TrackerKind::Interface,
            weight,
            reverse: false,
            rise: 1,
            fall: 1,
            init_fail: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Tracker {
    cfg: TrackerConfig,
    ok: bool,
    /// Consecutive results against the current status.
    streak: u32,
}

impl Tracker {
    pub fn new(cfg: TrackerConfig) -> Self {
        let ok = !cfg.init_fail;
        Tracker { cfg, ok, streak: 0 }
    }

    /// Same status, new settings (reload).
    pub fn reconfigured(&self, cfg: TrackerConfig) -> Self {
        Tracker {
            cfg,
            ok: self.ok,
            streak: 0,
        }
    }

    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    pub fn is_interface(&self, name: &str) -> bool {
        self.cfg.kind == TrackerKind::Interface && self.cfg.name == name
    }

    pub fn is_ok(&self) -> bool {
        self.ok
    }

    /// One result of a script run.
    pub fn result(&mut self, ok: bool) {
        if ok == self.ok {
            self.streak = 0;
            return;
        }
        self.streak += 1;
        let needed = if ok { self.cfg.rise } else { self.cfg.fall };
        if self.streak >= needed.max(1) {
            self.ok = ok;
            self.streak = 0;
        }
    }

    /// Link state changes apply at once.
    pub fn set_link(&mut self, up: bool) {
        self.ok = up;
        self.streak = 0;
    }

    /// Priority adjustment; None = the instance must go to fault.
    pub fn delta(&self) -> Option<i32> {
        let w = self.cfg.weight;
        if w == 0 {
            return if self.ok { Some(0) } else { None };
        }
        let d = match (self.ok, w > 0) {
            (true, true) | (false, false) => w,
            _ => 0,
        };
        Some(if self.cfg.reverse { -d } else { d })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rise_and_fall() {
        let mut t = Tracker::new(TrackerConfig {
            rise: 2,
            fall: 3,
            ..TrackerConfig::script("s", 5)
        });
        assert_eq!(t.delta(), Some(5));
        t.result(false);
        t.result(false);
        assert!(t.is_ok());
        t.result(true);
        t.result(false);
        t.result(false);
        assert!(t.is_ok(), "a success in between restarts the count");
        t.result(false);
        assert!(!t.is_ok());
        assert_eq!(t.delta(), Some(0));
        t.result(true);
        assert!(!t.is_ok());
        t.result(true);
        assert!(t.is_ok());
    }

    #[test]
    fn weights() {
        let mut neg = Tracker::new(TrackerConfig::script("n", -20));
        assert_eq!(neg.delta(), Some(0));
        neg.result(false);
        assert_eq!(neg.delta(), Some(-20));
        let mut rev = Tracker::new(TrackerConfig {
            reverse: true,
            ..TrackerConfig::script("r", 10)
        });
        assert_eq!(rev.delta(), Some(-10));
        rev.result(false);
        assert_eq!(rev.delta(), Some(0));
        let mut zero = Tracker::new(TrackerConfig::script("z", 0));
        assert_eq!(zero.delta(), Some(0));
        zero.result(false);
        assert_eq!(zero.delta(), None);
        let init = Tracker::new(TrackerConfig {
            init_fail: true,
            ..TrackerConfig::script("i", 3)
        });
        assert!(!init.is_ok());
    }
}
