//! One VRRP instance (RFC 5798 §6, with keepalived's observable behaviour), driven by
//! `handle(now, input)` / `handle_timeout(now)`, queried with `poll_timeout()` and
//! `poll_action()`. Time is a millisecond count chosen by the caller.

use crate::codec::{self, Advert, Auth, ChecksumMode, Expect, Reject, Version};
use crate::counters::Counters;
use crate::tracker::{Tracker, TrackerConfig};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::net::IpAddr;

/// Milliseconds on the caller's clock.
pub type Instant = u64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum State {
    Init,
    Backup,
    Master,
    Fault,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GarpConfig {
    /// Delay before the second burst after becoming master (0 = none).
    pub master_delay_ms: u64,
    /// Packets per burst.
    pub repeat: u32,
    /// Interval of periodic refresh bursts while master (0 = none).
    pub refresh_ms: u64,
    pub refresh_repeat: u32,
    /// A master that hears a lower-priority master sends a burst of this many at once,
    /// and another after `lower_prio_delay_ms` (keepalived's vrrp_garp_lower_prio_*), so
    /// neighbours the other master misled learn the right MAC again.
    pub lower_prio_repeat: u32,
    pub lower_prio_delay_ms: u64,
}

impl Default for GarpConfig {
    fn default() -> Self {
        GarpConfig {
            master_delay_ms: 5000,
            repeat: 5,
            refresh_ms: 0,
            refresh_repeat: 1,
            lower_prio_repeat: 5,
            lower_prio_delay_ms: 5000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GarpBurst {
    Master,
    LowerPrio,
    Refresh,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InstanceConfig {
    pub name: String,
    pub interface: String,
    pub vrid: u8,
    pub version: Version,
    /// Configured priority; 255 = address owner.
    pub priority: u8,
    pub advert_int_cs: u16,
    pub preempt: bool,
    pub preempt_delay_ms: u64,
    pub auth: Auth,
    /// Virtual addresses, as advertised.
    pub vips: Vec<IpAddr>,
    /// Our address on the interface (the advert's source, and the tie breaker).
    pub primary_ip: IpAddr,
    /// Unicast peers; empty = multicast.
    pub unicast_peers: Vec<IpAddr>,
    pub checksum_mode: ChecksumMode,
    pub garp: GarpConfig,
    pub trackers: Vec<TrackerConfig>,
    /// Stay in backup this long after start-up whatever happens (vrrp_startup_delay).
    pub startup_delay_ms: u64,
    /// The instance's own interface going down is a fault (keepalived's default);
    /// false with `dont_track_primary`, which ignores the interface's state.
    #[serde(skip_serializing_if = "is_true")]
    pub track_primary: bool,
    /// A master does not answer a lower-priority advert with its own (`lower_prio_no_advert`;
    /// always under vrrp_strict).
    #[serde(skip_serializing_if = "is_false")]
    pub lower_prio_no_advert: bool,
    /// A master that hears a higher priority sends one advert before stepping down
    /// (`higher_prio_send_advert`), so the winner re-announces the VIPs.
    #[serde(skip_serializing_if = "is_false")]
    pub higher_prio_send_advert: bool,
    /// Unicast: adverts from an address that is not one of `unicast_peers` are dropped
    /// (`check_unicast_src`).
    #[serde(skip_serializing_if = "is_false")]
    pub check_unicast_src: bool,
    /// keepalived drops an advert whose address list is not ours; with
    /// `skip_check_adv_addr` it does not look again while the same master adverts.
    #[serde(skip_serializing_if = "is_false")]
    pub skip_check_adv_addr: bool,
    /// The multicast group adverts go to (`vrrp_mcast_group4/6`); None = 224.0.0.18 / ff02::12.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcast_group: Option<IpAddr>,
    /// `unicast_fault_no_peer`: without unicast peers the instance is in fault.
    #[serde(skip_serializing_if = "is_false")]
    pub fault_no_peer: bool,
    /// `vrrpd_announce`: no election and no adverts. MASTER (the VIPs on the node) while
    /// the interface is up and every tracker passes, whatever its weight; FAULT (VIPs
    /// removed) otherwise. A routing daemon announces the addresses as routes.
    #[serde(skip_serializing_if = "is_false")]
    pub announce: bool,
    /// Adverts a backup waits for before it takes over (`down_timer_adverts`; 3 as the
    /// RFCs say), plus the skew time.
    #[serde(skip_serializing_if = "is_three")]
    pub down_timer_adverts: u8,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_three(n: &u8) -> bool {
    *n == 3
}

fn is_true(b: &bool) -> bool {
    *b
}

impl Default for InstanceConfig {
    fn default() -> Self {
        InstanceConfig::example("VI_1", 1, 100, "10.0.0.1", "10.0.0.100")
    }
}

impl InstanceConfig {
    /// A small IPv4 config for tests and examples.
    pub fn example(name: &str, vrid: u8, priority: u8, primary: &str, vip: &str) -> Self {
        InstanceConfig {
            name: name.to_string(),
            interface: "eth0".into(),
            vrid,
            version: Version::V2,
            priority,
            advert_int_cs: 100,
            preempt: true,
            preempt_delay_ms: 0,
            auth: Auth::None,
            vips: vec![vip
                .parse()
                .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))],
            primary_ip: primary
                .parse()
                .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)),
            unicast_peers: Vec::new(),
            checksum_mode: ChecksumMode::PseudoHeader,
            garp: GarpConfig::default(),
            trackers: Vec::new(),
            startup_delay_ms: 0,
            track_primary: true,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            check_unicast_src: false,
            skip_check_adv_addr: false,
            mcast_group: None,
            fault_no_peer: false,
            announce: false,
            down_timer_adverts: 3,
        }
    }

    fn v6(&self) -> bool {
        self.primary_ip.is_ipv6()
    }
}

/// Why a state changed (for logs and notify scripts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Startup,
    AddressOwner,
    MasterDown,
    PriorityZeroReceived,
    HigherPriorityMaster,
    Shutdown,
    Fault(String),
    FaultCleared,
    SyncGroup,
    Reload,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    SendAdvert {
        dst: IpAddr,
        bytes: Vec<u8>,
        priority: u8,
    },
    AddVips,
    RemoveVips,
    /// Gratuitous ARPs / unsolicited NAs for every VIP, `count` times.
    SendGarp {
        count: u32,
    },
    StateChanged {
        from: State,
        to: State,
        reason: Reason,
        priority: u8,
    },
}

#[derive(Debug, Clone)]
pub enum Input<'a> {
    Startup,
    Shutdown,
    Advert {
        src: IpAddr,
        dst: IpAddr,
        ttl: u8,
        data: &'a [u8],
    },
    Link {
        interface: String,
        up: bool,
    },
    Tracker {
        name: String,
        ok: bool,
    },
    Reload(Box<InstanceConfig>),
    /// The instance's own address on its interface changed: the unspecified address means
    /// it has none (a fault until one appears, as keepalived's "no IPv4 address").
    Primary(IpAddr),
}

pub struct Instance {
    cfg: InstanceConfig,
    state: State,
    trackers: Vec<Tracker>,
    link_up: bool,
    /// The master's interval as learned from its adverts (v3), centiseconds.
    master_adver_cs: u16,
    adver_at: Option<Instant>,
    master_down_at: Option<Instant>,
    garp_at: Option<Instant>,
    /// Which burst `garp_at` is for.
    garp_next: GarpBurst,
    started_at: Instant,
    /// Priority of the last advert sent.
    advertised: u8,
    /// The source of the last advert accepted (for `skip_check_adv_addr`).
    last_master: Option<IpAddr>,
    actions: VecDeque<Action>,
    pub counters: Counters,
}

impl Instance {
    pub fn new(cfg: InstanceConfig) -> Self {
        let trackers = cfg.trackers.iter().cloned().map(Tracker::new).collect();
        let adv = cfg.advert_int_cs;
        Instance {
            cfg,
            state: State::Init,
            trackers,
            link_up: true,
            master_adver_cs: adv,
            adver_at: None,
            master_down_at: None,
            garp_at: None,
            garp_next: GarpBurst::Master,
            started_at: 0,
            advertised: 0,
            last_master: None,
            actions: VecDeque::new(),
            counters: Counters::default(),
        }
    }

    pub fn config(&self) -> &InstanceConfig {
        &self.cfg
    }

    pub fn state(&self) -> State {
        self.state
    }

    /// Priority after trackers: base ± weights clamped to 1..254; 255 is never adjusted.
    /// None while a weight-0 tracker (or the link) has failed: the instance is in fault.
    pub fn effective_priority(&self) -> Option<u8> {
        if self.cfg.announce {
            // Without an election a weight has nothing to move: any failure withdraws.
            let healthy = self.link_up && self.trackers.iter().all(Tracker::is_ok);
            return healthy.then_some(self.cfg.priority);
        }
        if !self.link_up || self.cfg.primary_ip.is_unspecified() || self.no_peer() {
            return None;
        }
        let mut delta = 0i32;
        for t in &self.trackers {
            match t.delta() {
                Some(d) => delta += d,
                None => return None,
            }
        }
        if self.cfg.priority == 255 {
            return Some(255);
        }
        Some((i32::from(self.cfg.priority) + delta).clamp(1, 254) as u8)
    }

    fn prio(&self) -> u8 {
        self.effective_priority().unwrap_or(0)
    }

    fn skew_ms(&self, adver_cs: u16) -> u64 {
        let p = u64::from(self.prio().max(1));
        match self.cfg.version {
            // RFC 3768: (256 - Priority) / 256 seconds.
            Version::V2 => (256 - p) * 1000 / 256,
            // RFC 5798: ((256 - Priority) * Master_Adver_Interval) / 256, in centiseconds.
            Version::V3 => (256 - p) * u64::from(adver_cs) * 10 / 256,
        }
    }

    fn master_down_ms(&self) -> u64 {
        let adv = match self.cfg.version {
            Version::V2 => self.cfg.advert_int_cs,
            Version::V3 => self.master_adver_cs,
        };
        u64::from(self.cfg.down_timer_adverts.max(1)) * u64::from(adv) * 10 + self.skew_ms(adv)
    }

    fn advert_ms(&self) -> u64 {
        u64::from(self.cfg.advert_int_cs) * 10
    }

    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.adver_at, self.master_down_at, self.garp_at]
            .into_iter()
            .flatten()
            .min()
    }

    pub fn handle(&mut self, now: Instant, input: Input<'_>) {
        match input {
            Input::Startup => self.startup(now),
            Input::Shutdown => self.shutdown(),
            Input::Advert {
                src,
                dst,
                ttl,
                data,
            } => self.receive(now, src, dst, ttl, data),
            Input::Link { interface, up } => {
                if interface == self.cfg.interface {
                    // dont_track_primary: the own interface's state is not watched.
                    self.link_up = up || !self.cfg.track_primary;
                } else {
                    // Several trackers may follow one interface (the instance's own and its
                    // sync group's, with their own weights).
                    for t in self
                        .trackers
                        .iter_mut()
                        .filter(|t| t.is_interface(&interface))
                    {
                        t.set_link(up);
                    }
                }
                self.reevaluate(now);
            }
            Input::Tracker { name, ok } => {
                for t in self.trackers.iter_mut().filter(|t| t.name() == name) {
                    t.result(ok);
                }
                self.reevaluate(now);
            }
            Input::Reload(cfg) => self.reload(now, *cfg),
            Input::Primary(ip) => {
                let mut cfg = self.cfg.clone();
                cfg.primary_ip = ip;
                self.reload(now, cfg);
            }
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.garp_at.is_some_and(|t| t <= now) {
            let count = match self.garp_next {
                GarpBurst::Refresh => self.cfg.garp.refresh_repeat,
                GarpBurst::Master => self.cfg.garp.repeat,
                GarpBurst::LowerPrio => self.cfg.garp.lower_prio_repeat,
            };
            self.actions.push_back(Action::SendGarp { count });
            self.schedule_refresh(now);
        }
        if self.adver_at.is_some_and(|t| t <= now) && self.state == State::Master {
            self.send_advert(self.prio());
            self.adver_at = Some(now + self.advert_ms());
        }
        if self.master_down_at.is_some_and(|t| t <= now) && self.state == State::Backup {
            if now < self.started_at + self.cfg.startup_delay_ms {
                self.master_down_at = Some(self.started_at + self.cfg.startup_delay_ms);
                return;
            }
            self.become_master(now, Reason::MasterDown);
        }
    }

    fn startup(&mut self, now: Instant) {
        self.started_at = now;
        if self.effective_priority().is_none() {
            self.transition(State::Fault, Reason::Fault(self.fault_cause()));
            return;
        }
        if self.cfg.announce {
            self.become_master(now, Reason::Startup);
            return;
        }
        if self.cfg.priority == 255 && self.cfg.startup_delay_ms == 0 {
            self.become_master(now, Reason::AddressOwner);
            return;
        }
        self.transition(State::Backup, Reason::Startup);
        self.master_down_at = Some(now + self.master_down_ms());
    }

    fn shutdown(&mut self) {
        self.give_up(State::Init, Reason::Shutdown);
    }

    /// Leave the election for `to` (Init or Fault): a master says goodbye with a
    /// priority-0 advert so a backup takes over after its skew time, and drops the VIPs.
    fn give_up(&mut self, to: State, reason: Reason) {
        if self.state == State::Master {
            if !self.cfg.announce {
                self.send_advert(0);
            }
            self.actions.push_back(Action::RemoveVips);
        }
        self.adver_at = None;
        self.master_down_at = None;
        self.garp_at = None;
        self.transition(to, reason);
    }

    fn no_peer(&self) -> bool {
        self.cfg.fault_no_peer && self.cfg.unicast_peers.is_empty()
    }

    fn fault_cause(&self) -> String {
        if self.cfg.announce {
            if !self.link_up {
                return format!("interface {} down", self.cfg.interface);
            }
            return self
                .trackers
                .iter()
                .find(|t| !t.is_ok())
                .map(|t| format!("{} failed", t.name()))
                .unwrap_or_default();
        }
        if self.no_peer() {
            return "no unicast peer".into();
        }
        if self.cfg.primary_ip.is_unspecified() {
            return format!(
                "no {} address on {}",
                if self.cfg.v6() { "IPv6" } else { "IPv4" },
                self.cfg.interface
            );
        }
        if !self.link_up {
            return format!("interface {} down", self.cfg.interface);
        }
        self.trackers
            .iter()
            .find(|t| t.delta().is_none())
            .map(|t| format!("{} failed", t.name()))
            .unwrap_or_default()
    }

    /// A tracker or link changed: enter or leave fault; a master re-advertises its new priority.
    fn reevaluate(&mut self, now: Instant) {
        match (self.state, self.effective_priority()) {
            (State::Init, _) => {}
            (State::Fault, Some(_)) if self.cfg.announce => {
                self.become_master(now, Reason::FaultCleared);
            }
            (State::Master, Some(_)) if self.cfg.announce => {}
            (State::Fault, Some(_)) => {
                self.transition(State::Backup, Reason::FaultCleared);
                self.master_down_at = Some(now + self.master_down_ms());
            }
            (State::Fault, None) => {}
            (_, None) => {
                let cause = self.fault_cause();
                self.give_up(State::Fault, Reason::Fault(cause));
            }
            (State::Master, Some(p)) if p != self.advertised => {
                // Tell the backups at once, so a higher one can preempt without waiting.
                self.send_advert(p);
                self.adver_at = Some(now + self.advert_ms());
            }
            (State::Master, Some(_)) => {}
            (State::Backup, Some(_)) => {}
        }
    }

    fn receive(&mut self, now: Instant, src: IpAddr, dst: IpAddr, ttl: u8, data: &[u8]) {
        if self.cfg.announce {
            return;
        }
        if src == self.cfg.primary_ip {
            self.counters.count(Reject::OwnPacket);
            return;
        }
        let adv = match Advert::decode(data, src, dst, self.cfg.v6()) {
            Ok(a) => a,
            Err(r) => {
                self.counters.count(r);
                return;
            }
        };
        let unicast = !self.cfg.unicast_peers.is_empty();
        if unicast && self.cfg.check_unicast_src && !self.cfg.unicast_peers.contains(&src) {
            self.counters.unknown_source += 1;
            return;
        }
        let exp = Expect {
            version: self.cfg.version,
            vrid: self.cfg.vrid,
            auth: &self.cfg.auth,
            interval_cs: self.cfg.advert_int_cs,
        };
        // Only multicast adverts must arrive with TTL 255: keepalived does not check the
        // TTL of unicast ones (they may be routed, or sent with `unicast_ttl`).
        let ttl = if unicast { codec::VRRP_TTL } else { ttl };
        match codec::validate(&adv, ttl, &exp) {
            Ok(notice) => {
                if notice.is_some() {
                    self.counters.interval_differs += 1;
                }
            }
            Err(r) => {
                self.counters.count(r);
                return;
            }
        }
        // keepalived drops an advert whose addresses are not ours (another count, or one
        // of ours missing): a misconfigured pair then has two masters, as with keepalived.
        if !(self.cfg.skip_check_adv_addr && self.last_master == Some(src)) {
            let mut ours: Vec<IpAddr> = self.cfg.vips.clone();
            let mut theirs = adv.addrs.clone();
            ours.sort();
            ours.dedup();
            theirs.sort();
            theirs.dedup();
            if ours != theirs || self.cfg.vips.len() != adv.addrs.len() {
                self.counters.address_list_differs += 1;
                return;
            }
        }
        self.last_master = Some(src);
        self.counters.received += 1;
        match self.state {
            State::Backup => self.backup_receive(now, &adv),
            State::Master => self.master_receive(now, src, &adv),
            State::Init | State::Fault => {}
        }
    }

    fn preempt_now(&self, now: Instant) -> bool {
        self.cfg.preempt && now >= self.started_at + self.cfg.preempt_delay_ms
    }

    fn backup_receive(&mut self, now: Instant, adv: &Advert) {
        if adv.priority == 0 {
            self.master_down_at = Some(now + self.skew_ms(self.master_adver_cs));
            return;
        }
        if !self.preempt_now(now) || adv.priority >= self.prio() {
            if self.cfg.version == Version::V3 {
                self.master_adver_cs = adv.interval_cs.max(1);
            }
            self.master_down_at = Some(now + self.master_down_ms());
        }
        // Otherwise the advert is ignored: we preempt when the timer runs out.
    }

    fn master_receive(&mut self, now: Instant, src: IpAddr, adv: &Advert) {
        let mine = self.prio();
        if adv.priority == 0 {
            self.send_advert(mine);
            self.adver_at = Some(now + self.advert_ms());
            return;
        }
        let they_win = adv.priority > mine || (adv.priority == mine && src > self.cfg.primary_ip);
        if they_win {
            if self.cfg.version == Version::V3 {
                self.master_adver_cs = adv.interval_cs.max(1);
            }
            if self.cfg.higher_prio_send_advert {
                self.send_advert(mine);
            }
            self.become_backup(now, Reason::HigherPriorityMaster);
        } else {
            // keepalived answers a lower-priority master at once, so it steps down quickly
            // (unless lower_prio_no_advert), and re-announces the addresses that master may
            // have taken over.
            if !self.cfg.lower_prio_no_advert {
                self.send_advert(mine);
                self.adver_at = Some(now + self.advert_ms());
            }
            let g = &self.cfg.garp;
            if g.lower_prio_repeat > 0 {
                self.actions.push_back(Action::SendGarp {
                    count: g.lower_prio_repeat,
                });
                if g.lower_prio_delay_ms > 0 {
                    self.garp_next = GarpBurst::LowerPrio;
                    self.garp_at = Some(now + g.lower_prio_delay_ms);
                }
            }
        }
    }

    pub(crate) fn become_master(&mut self, now: Instant, reason: Reason) {
        if self.state == State::Master {
            return;
        }
        self.master_down_at = None;
        self.transition(State::Master, reason);
        if self.cfg.announce {
            // The routing daemon tells the neighbours: no advert, no gratuitous ARP.
            self.actions.push_back(Action::AddVips);
            return;
        }
        self.send_advert(self.prio());
        self.actions.push_back(Action::AddVips);
        self.actions.push_back(Action::SendGarp {
            count: self.cfg.garp.repeat,
        });
        self.adver_at = Some(now + self.advert_ms());
        self.garp_next = GarpBurst::Master;
        self.garp_at =
            (self.cfg.garp.master_delay_ms > 0).then(|| now + self.cfg.garp.master_delay_ms);
        if self.garp_at.is_none() {
            self.schedule_refresh(now);
        }
    }

    pub(crate) fn become_backup(&mut self, now: Instant, reason: Reason) {
        if self.state == State::Master {
            self.actions.push_back(Action::RemoveVips);
        }
        self.adver_at = None;
        self.garp_at = None;
        self.transition(State::Backup, reason);
        self.master_down_at = Some(now + self.master_down_ms());
    }

    pub(crate) fn force_fault(&mut self, reason: Reason) {
        self.give_up(State::Fault, reason);
    }

    fn schedule_refresh(&mut self, now: Instant) {
        if self.cfg.garp.refresh_ms > 0 && self.state == State::Master {
            self.garp_next = GarpBurst::Refresh;
            self.garp_at = Some(now + self.cfg.garp.refresh_ms);
        } else {
            self.garp_at = None;
        }
    }

    fn send_advert(&mut self, priority: u8) {
        let adv = Advert {
            version: self.cfg.version,
            vrid: self.cfg.vrid,
            priority,
            interval_cs: self.cfg.advert_int_cs,
            auth: if self.cfg.version == Version::V2 {
                self.cfg.auth.clone()
            } else {
                Auth::None
            },
            addrs: self.cfg.vips.clone(),
        };
        let dsts: Vec<IpAddr> = if self.cfg.unicast_peers.is_empty() {
            vec![self.cfg.mcast_group.unwrap_or(if self.cfg.v6() {
                IpAddr::V6(codec::MCAST_V6)
            } else {
                IpAddr::V4(codec::MCAST_V4)
            })]
        } else {
            self.cfg.unicast_peers.clone()
        };
        self.advertised = priority;
        for dst in dsts {
            let bytes = adv.encode(self.cfg.primary_ip, dst, self.cfg.checksum_mode);
            self.counters.sent += 1;
            self.actions.push_back(Action::SendAdvert {
                dst,
                bytes,
                priority,
            });
        }
    }

    fn transition(&mut self, to: State, reason: Reason) {
        let from = self.state;
        if from == to {
            return;
        }
        self.state = to;
        self.actions.push_back(Action::StateChanged {
            from,
            to,
            reason,
            priority: self.prio(),
        });
    }

    /// A new configuration for the same instance: keep state and VIPs when nothing that
    /// matters to the peers changed; otherwise restart the election.
    fn reload(&mut self, now: Instant, cfg: InstanceConfig) {
        let old = std::mem::replace(&mut self.cfg, cfg);
        if !self.cfg.track_primary {
            self.link_up = true;
        }
        let kept: Vec<Tracker> = std::mem::take(&mut self.trackers);
        self.trackers = self
            .cfg
            .trackers
            .iter()
            .cloned()
            .map(|c| match kept.iter().find(|t| t.name() == c.name) {
                Some(t) => t.reconfigured(c),
                None => Tracker::new(c),
            })
            .collect();
        // An address appearing or going is a fault starting or ending, not a new identity.
        let address_only = old.primary_ip.is_unspecified() || self.cfg.primary_ip.is_unspecified();
        let identity_changed = if old.announce && self.cfg.announce {
            // Nothing on the wire: only where the addresses go matters.
            old.interface != self.cfg.interface
        } else {
            old.announce != self.cfg.announce
                || old.vrid != self.cfg.vrid
                || old.version != self.cfg.version
                || old.interface != self.cfg.interface
                || (old.primary_ip != self.cfg.primary_ip && !address_only)
        };
        if identity_changed && self.state != State::Init {
            self.give_up(State::Backup, Reason::Reload);
            if self.cfg.announce {
                match self.effective_priority() {
                    Some(_) => self.become_master(now, Reason::Reload),
                    None => self.transition(State::Fault, Reason::Fault(self.fault_cause())),
                }
                return;
            }
            self.master_down_at = Some(now + self.master_down_ms());
            return;
        }
        if self.state == State::Master && old.vips != self.cfg.vips && self.cfg.announce {
            self.actions.push_back(Action::AddVips);
        } else if self.state == State::Master && old.vips != self.cfg.vips {
            // New addresses appear with their gratuitous ARPs; removed ones go.
            self.actions.push_back(Action::AddVips);
            self.actions.push_back(Action::SendGarp {
                count: self.cfg.garp.repeat,
            });
        }
        self.reevaluate(now);
    }
}
