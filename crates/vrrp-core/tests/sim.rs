//! A simulated LAN: N routers running the real engine, a virtual clock stepped to the next
//! deadline, packet delivery with latency, loss, partitions, crashes and restarts.
//! Invariants are checked over many random seeds.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::IpAddr;
use vrrp_core::{Action, Input, Instance, InstanceConfig, State, Version};

const LATENCY: u64 = 1;

/// xorshift64*: deterministic per seed, no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }
}

struct Node {
    inst: Instance,
    cfg: InstanceConfig,
    up: bool,
    vip: bool,
}

struct Lan {
    now: u64,
    nodes: Vec<Node>,
    /// Deliveries: time -> (to, from, bytes).
    queue: BTreeMap<(u64, u64), (usize, usize, Vec<u8>)>,
    seq: u64,
    /// Component of each node; packets cross only within a component.
    component: Vec<u8>,
    loss: f64,
    rng: Rng,
}

impl Lan {
    fn new(cfgs: Vec<InstanceConfig>, seed: u64) -> Lan {
        let n = cfgs.len();
        Lan {
            now: 0,
            nodes: cfgs
                .into_iter()
                .map(|c| Node {
                    inst: Instance::new(c.clone()),
                    cfg: c,
                    up: false,
                    vip: false,
                })
                .collect(),
            queue: BTreeMap::new(),
            seq: 0,
            component: vec![0; n],
            loss: 0.0,
            rng: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
        }
    }

    fn start(&mut self, i: usize) {
        let cfg = self.nodes[i].cfg.clone();
        self.nodes[i].inst = Instance::new(cfg);
        self.nodes[i].up = true;
        self.nodes[i].inst.handle(self.now, Input::Startup);
        self.drain(i);
    }

    /// SIGKILL: no goodbye; the VIP goes with the process' host.
    fn crash(&mut self, i: usize) {
        self.nodes[i].up = false;
        self.nodes[i].vip = false;
    }

    fn shutdown(&mut self, i: usize) {
        self.nodes[i].inst.handle(self.now, Input::Shutdown);
        self.drain(i);
        self.nodes[i].up = false;
    }

    fn drain(&mut self, i: usize) {
        while let Some(a) = self.nodes[i].inst.poll_action() {
            match a {
                Action::SendAdvert { bytes, .. } => {
                    for j in 0..self.nodes.len() {
                        if j == i
                            || self.component[j] != self.component[i]
                            || self.rng.chance(self.loss)
                        {
                            continue;
                        }
                        self.seq += 1;
                        self.queue
                            .insert((self.now + LATENCY, self.seq), (j, i, bytes.clone()));
                    }
                }
                Action::AddVips => self.nodes[i].vip = true,
                Action::RemoveVips => self.nodes[i].vip = false,
                Action::SendGarp { .. } | Action::StateChanged { .. } => {}
            }
        }
    }

    fn next_event(&self) -> Option<u64> {
        let timers = self
            .nodes
            .iter()
            .filter(|n| n.up)
            .filter_map(|n| n.inst.poll_timeout());
        let q = self.queue.keys().next().map(|k| k.0);
        timers.chain(q).min()
    }

    fn run_until(&mut self, until: u64) {
        for _ in 0..1_000_000 {
            let Some(t) = self.next_event().filter(|t| *t <= until) else {
                break;
            };
            self.now = t;
            while let Some((&key, _)) = self.queue.iter().next().filter(|(k, _)| k.0 <= t) {
                let (to, from, bytes) = self.queue.remove(&key).unwrap();
                if !self.nodes[to].up {
                    continue;
                }
                let src = self.nodes[from].cfg.primary_ip;
                let dst: IpAddr = "224.0.0.18".parse().unwrap();
                self.nodes[to].inst.handle(
                    t,
                    Input::Advert {
                        src,
                        dst,
                        ttl: 255,
                        data: &bytes,
                    },
                );
                self.drain(to);
            }
            for i in 0..self.nodes.len() {
                if self.nodes[i].up && self.nodes[i].inst.poll_timeout().is_some_and(|d| d <= t) {
                    self.nodes[i].inst.handle_timeout(t);
                    self.drain(i);
                }
            }
        }
        self.now = until;
    }

    fn masters_in(&self, comp: u8) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&i| {
                self.nodes[i].up
                    && self.component[i] == comp
                    && self.nodes[i].inst.state() == State::Master
            })
            .collect()
    }

    fn best_in(&self, comp: u8) -> Option<usize> {
        (0..self.nodes.len())
            .filter(|&i| self.nodes[i].up && self.component[i] == comp)
            .max_by_key(|&i| (self.nodes[i].cfg.priority, self.nodes[i].cfg.primary_ip))
    }

    /// Exactly one master per component with running nodes, the best one, holding the VIP.
    fn check_converged(&self, what: &str) {
        let comps: std::collections::BTreeSet<u8> = (0..self.nodes.len())
            .filter(|&i| self.nodes[i].up)
            .map(|i| self.component[i])
            .collect();
        for c in comps {
            let m = self.masters_in(c);
            assert_eq!(
                m.len(),
                1,
                "{what} at t={}: masters {m:?} in component {c}",
                self.now
            );
            // The highest priority wins. Between equal priorities the RFCs give no
            // preemption (a backup yields to a master of its own priority whatever the
            // addresses), so any router of the top priority is a right master.
            assert_eq!(
                Some(self.nodes[m[0]].cfg.priority),
                self.best_in(c).map(|b| self.nodes[b].cfg.priority),
                "{what} at t={}: wrong master",
                self.now
            );
            let holders: Vec<usize> = (0..self.nodes.len())
                .filter(|&i| self.nodes[i].up && self.component[i] == c && self.nodes[i].vip)
                .collect();
            assert_eq!(holders, m, "{what} at t={}: VIP holders", self.now);
        }
    }

    fn adv_ms(&self) -> u64 {
        u64::from(self.nodes[0].cfg.advert_int_cs) * 10
    }

    /// Master down interval of the slowest router (lowest priority) plus one advert interval.
    fn convergence_bound(&self) -> u64 {
        let adv = self.adv_ms();
        let min_prio = self
            .nodes
            .iter()
            .map(|n| u64::from(n.cfg.priority))
            .min()
            .unwrap_or(1);
        let skew = match self.nodes[0].cfg.version {
            Version::V2 => (256 - min_prio) * 1000 / 256,
            Version::V3 => (256 - min_prio) * adv / 256,
        };
        3 * adv + skew + adv + 10 * LATENCY
    }
}

fn random_cluster(rng: &mut Rng) -> Vec<InstanceConfig> {
    let n = 2 + rng.below(4) as usize;
    let (version, adv) = match rng.below(3) {
        0 => (Version::V2, 100),
        1 => (Version::V3, 100),
        _ => (Version::V3, 50),
    };
    let mut prios: Vec<u8> = Vec::new();
    while prios.len() < n {
        let p = 1 + rng.below(254) as u8;
        if !prios.contains(&p) {
            prios.push(p);
        }
    }
    // A third of the clusters have two routers of equal priority: two masters that meet
    // (at start-up, after a partition) must settle on one by the primary addresses.
    if rng.below(3) == 0 {
        prios[1] = prios[0];
    }
    prios
        .into_iter()
        .enumerate()
        .map(|(i, p)| InstanceConfig {
            version,
            advert_int_cs: adv,
            ..InstanceConfig::example(
                &format!("r{i}"),
                42,
                p,
                &format!("10.0.0.{}", i + 1),
                "10.0.0.100",
            )
        })
        .collect()
}

#[test]
fn random_disturbances_always_converge() {
    for seed in 1..=300u64 {
        let mut rng = Rng(seed * 7919);
        let cfgs = random_cluster(&mut rng);
        let n = cfgs.len();
        let mut lan = Lan::new(cfgs, seed);
        for i in 0..n {
            lan.start(i);
        }
        let bound = lan.convergence_bound();
        lan.run_until(lan.now + bound);
        lan.check_converged(&format!("seed {seed} startup"));
        for step in 0..12 {
            let what = format!("seed {seed} step {step}");
            let i = rng.below(n as u64) as usize;
            match rng.below(6) {
                0 if lan.nodes.iter().filter(|x| x.up).count() > 1 => {
                    lan.crash(i);
                }
                1 if !lan.nodes[i].up => lan.start(i),
                2 if lan.nodes[i].up && lan.nodes.iter().filter(|x| x.up).count() > 1 => {
                    let was_master = lan.nodes[i].inst.state() == State::Master;
                    lan.shutdown(i);
                    if was_master {
                        // Handover within the skew time of the best remaining router.
                        let best = lan.best_in(lan.component[i]).unwrap();
                        let p = u64::from(lan.nodes[best].cfg.priority);
                        let skew = match lan.nodes[0].cfg.version {
                            Version::V2 => (256 - p) * 1000 / 256,
                            Version::V3 => (256 - p) * lan.adv_ms() / 256,
                        };
                        lan.run_until(lan.now + skew + 5 * LATENCY);
                        lan.check_converged(&format!("{what} graceful shutdown"));
                    }
                }
                3 => {
                    // Partition in two, then heal: one master again within an advert interval.
                    for c in lan.component.iter_mut() {
                        *c = (rng.next() % 2) as u8;
                    }
                    lan.run_until(lan.now + bound);
                    lan.check_converged(&format!("{what} partitioned"));
                    lan.component.iter_mut().for_each(|c| *c = 0);
                    let adv = lan.adv_ms();
                    lan.run_until(lan.now + adv + 5 * LATENCY);
                    lan.check_converged(&format!("{what} healed"));
                }
                4 => {
                    // A lossy period, then a clean one.
                    lan.loss = 0.3;
                    lan.run_until(lan.now + 5 * lan.adv_ms());
                    lan.loss = 0.0;
                }
                _ => {}
            }
            lan.run_until(lan.now + bound);
            lan.check_converged(&what);
        }
    }
}

#[test]
fn master_crash_failover_time_is_master_down_interval() {
    // v2, 1 s adverts: the backup (priority 100) takes over 3 s + skew after the last advert.
    let cfgs = vec![
        InstanceConfig::example("a", 1, 150, "10.0.0.1", "10.0.0.100"),
        InstanceConfig::example("b", 1, 100, "10.0.0.2", "10.0.0.100"),
    ];
    let mut lan = Lan::new(cfgs, 1);
    lan.start(0);
    lan.start(1);
    lan.run_until(10_000);
    lan.check_converged("start");
    lan.crash(0);
    let crashed_at = lan.now;
    lan.run_until(crashed_at + 3609 + 1000);
    assert_eq!(lan.nodes[1].inst.state(), State::Master);
    // Exactly: a became master at 3000 + skew(150) = 3414 ms and advertised every second;
    // b heard the last advert at 9415 ms (1 ms latency) and takes over 3609 ms later.
    let mut lan2 = Lan::new(vec![lan.nodes[0].cfg.clone(), lan.nodes[1].cfg.clone()], 1);
    lan2.start(0);
    lan2.start(1);
    lan2.run_until(10_000);
    lan2.crash(0);
    lan2.run_until(9_415 + 3_608);
    assert_eq!(lan2.nodes[1].inst.state(), State::Backup);
    lan2.run_until(9_415 + 3_609);
    assert_eq!(lan2.nodes[1].inst.state(), State::Master);
}

#[test]
fn down_timer_adverts_sets_how_many_adverts_a_backup_waits_for() {
    // `down_timer_adverts 1` on both: master down = 1 advert + skew.
    let cfgs: Vec<InstanceConfig> = [("a", 150, "10.0.0.1"), ("b", 100, "10.0.0.2")]
        .into_iter()
        .map(|(n, p, ip)| InstanceConfig {
            down_timer_adverts: 1,
            ..InstanceConfig::example(n, 1, p, ip, "10.0.0.100")
        })
        .collect();
    let mut lan = Lan::new(cfgs, 1);
    lan.start(0);
    lan.start(1);
    lan.run_until(10_000);
    lan.check_converged("start");
    lan.crash(0);
    // a became master at 1000 + skew(150) = 1414 ms and advertised every second; b heard
    // the last advert at 9415 ms and takes over 1000 + skew(100) = 1609 ms later (3609
    // with the RFCs' 3 adverts).
    lan.run_until(9_415 + 1_608);
    assert_eq!(lan.nodes[1].inst.state(), State::Backup);
    lan.run_until(9_415 + 1_609);
    assert_eq!(lan.nodes[1].inst.state(), State::Master);
}

#[test]
fn nopreempt_keeps_the_lower_master() {
    let mut hi = InstanceConfig::example("hi", 1, 200, "10.0.0.2", "10.0.0.100");
    hi.preempt = false;
    let lo = InstanceConfig::example("lo", 1, 100, "10.0.0.1", "10.0.0.100");
    let mut lan = Lan::new(vec![hi, lo], 3);
    lan.start(1);
    lan.run_until(5_000);
    assert_eq!(lan.nodes[1].inst.state(), State::Master);
    lan.start(0);
    lan.run_until(60_000);
    assert_eq!(
        lan.nodes[1].inst.state(),
        State::Master,
        "nopreempt backup took over"
    );
    assert_eq!(lan.nodes[0].inst.state(), State::Backup);
    // When the master goes, the nopreempt router still takes over.
    lan.crash(1);
    lan.run_until(65_000);
    assert_eq!(lan.nodes[0].inst.state(), State::Master);
}

#[test]
fn preempt_delay_holds_off_preemption() {
    let mut hi = InstanceConfig::example("hi", 1, 200, "10.0.0.2", "10.0.0.100");
    hi.preempt_delay_ms = 20_000;
    let lo = InstanceConfig::example("lo", 1, 100, "10.0.0.1", "10.0.0.100");
    let mut lan = Lan::new(vec![hi, lo], 4);
    lan.start(1);
    lan.run_until(5_000);
    lan.start(0);
    lan.run_until(5_000 + 19_999);
    assert_eq!(
        lan.nodes[1].inst.state(),
        State::Master,
        "preempted before preempt_delay"
    );
    lan.run_until(5_000 + 20_000 + 4_000);
    assert_eq!(
        lan.nodes[0].inst.state(),
        State::Master,
        "did not preempt after preempt_delay"
    );
    lan.check_converged("after preempt_delay");
}
