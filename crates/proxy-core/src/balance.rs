//! Choosing a server, as HAProxy's `balance` algorithms do: roundrobin (smooth weighted,
//! weights may change at any time), static-rr, leastconn, first, the hashes (source, uri,
//! url_param, hdr: HAProxy's map-based table or consistent ring, so a key lands on the
//! same server as with HAProxy) and random with N draws. Backup servers serve only when no primary
//! can (the first usable backup, or all of them with `option allbackups`); a server at
//! its `maxconn` is skipped, and when every usable server is full the request queues.

use crate::rng::Rng;
use crate::Instant;
use serde::Serialize;

/// What the balancer needs to know about one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Server {
    /// Weight in force, 0..=256 (0: never chosen by weight-based algorithms; an agent
    /// or a drain may change it).
    pub weight: u32,
    /// The configured weight: map-based hashing is static, as in HAProxy.
    pub static_weight: u32,
    /// The server's numeric id (1, 2... in declaration order, or `id`): where its points
    /// sit on the consistent-hash ring.
    pub puid: u32,
    pub backup: bool,
    /// Up for traffic (health checks pass, not disabled / in maintenance).
    pub up: bool,
    pub maxconn: Option<u32>,
    /// Connections in use now.
    pub active: u32,
    /// `slowstart`: after coming up, the weight grows from 1 to `weight` over this time.
    pub slowstart_ms: Option<u64>,
    /// When the server last came up.
    pub up_since: Option<Instant>,
}

impl Server {
    pub fn new(weight: u32) -> Server {
        Server {
            weight,
            static_weight: weight,
            puid: 0,
            backup: false,
            up: true,
            maxconn: None,
            active: 0,
            slowstart_ms: None,
            up_since: None,
        }
    }

    /// The weight in force at `now` (slowstart ramps it up linearly, never below 1).
    pub fn effective_weight(&self, now: Instant) -> u32 {
        match (self.slowstart_ms, self.up_since) {
            (Some(ss), Some(since)) if ss > 0 && now < since + ss => {
                let grown = u64::from(self.weight) * (now - since) / ss;
                (grown as u32).clamp(1, self.weight.max(1))
            }
            _ => self.weight,
        }
    }

    fn full(&self) -> bool {
        self.maxconn.is_some_and(|m| self.active >= m)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Algorithm {
    RoundRobin,
    StaticRr,
    LeastConn,
    First,
    /// source, uri, url_param, hdr(): the caller hashes the right part of the request
    /// (see `hash`); `consistent` picks on HAProxy's ring instead of its map.
    Hash {
        consistent: bool,
    },
    Random {
        draws: u32,
    },
}

/// The outcome of one choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Server(usize),
    /// Servers are up but all at their maxconn: wait in the backend's queue.
    Queue,
    /// No server can take it (HAProxy answers 503).
    NoServer,
}

#[derive(Debug, Clone)]
pub struct Balancer {
    algo: Algorithm,
    all_backups: bool,
    /// Smooth weighted round robin: each server's running score.
    score: Vec<i64>,
    /// The servers the last pick chose among (kept for its room).
    cands: Vec<usize>,
    /// static-rr and tie-breaking position.
    cursor: u64,
    rng: Rng,
    /// The hash table (map-based) or ring (consistent) for the last set of usable
    /// servers, rebuilt when that set changes.
    table: Option<(Vec<(usize, u32)>, HashTable)>,
}

#[derive(Debug, Clone)]
enum HashTable {
    /// One entry per unit of weight, interleaved as HAProxy fills its map.
    Map(Vec<usize>),
    /// Points (key, server) in key order.
    Ring(Vec<(u32, usize)>),
}

/// HAProxy's map: slot by slot, every server gains its weight and the one whose score
/// reaches furthest takes the slot and pays the total (first declared wins ties).
fn build_map(set: &[(usize, u32)]) -> Vec<usize> {
    let tot: u32 = set.iter().map(|(_, w)| *w).sum();
    let mut score = vec![0i64; set.len()];
    let mut map = Vec::with_capacity(tot as usize);
    let t = i64::from(tot);
    for _ in 0..tot {
        let mut best: Option<(usize, i64)> = None;
        for (k, (_, w)) in set.iter().enumerate() {
            if tot == 1 {
                best = Some((k, 0));
                break;
            }
            score[k] += i64::from(*w);
            let v = (score[k] + t) / t;
            if best.is_none_or(|(_, m)| v > m) {
                best = Some((k, v));
            }
        }
        if let Some((k, _)) = best {
            score[k] -= t;
            map.push(set[k].0);
        }
    }
    map
}

/// Points per unit of weight on the ring, and the spacing of server ids.
const RING_SCALE: u32 = 16;
const RING_ID_RANGE: u32 = 256 * RING_SCALE;

fn build_ring(set: &[(usize, u32)], puid: &dyn Fn(usize) -> u32) -> Vec<(u32, usize)> {
    let mut ring = Vec::new();
    for (i, w) in set {
        for node in 0..w * RING_SCALE {
            let k = puid(*i).wrapping_mul(RING_ID_RANGE).wrapping_add(node);
            ring.push((crate::hash::avalanche(k), *i));
        }
    }
    ring.sort_by_key(|(k, _)| *k);
    ring
}

/// The server nearest `hash` on the ring (the previous point on a tie).
fn ring_lookup(ring: &[(u32, usize)], hash: u32) -> Option<usize> {
    let (first, last) = (ring.first()?, ring.last()?);
    let at = ring.partition_point(|(k, _)| *k < hash);
    let next = ring.get(at).unwrap_or(first);
    let prev = if at == 0 { last } else { &ring[at - 1] };
    let dp = hash.wrapping_sub(prev.0);
    let dn = next.0.wrapping_sub(hash);
    Some(if dp <= dn { prev.1 } else { next.1 })
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The server owning `slot` in the weight-expanded table of `cands` (weight w = w slots).
fn by_slot(cands: &[usize], w: &dyn Fn(usize) -> u64, mut slot: u64) -> usize {
    for &i in cands {
        if slot < w(i) {
            return i;
        }
        slot -= w(i);
    }
    cands[0]
}

impl Balancer {
    pub fn new(algo: Algorithm, all_backups: bool, seed: u64) -> Balancer {
        Balancer {
            algo,
            all_backups,
            score: Vec::new(),
            cands: Vec::new(),
            cursor: 0,
            rng: Rng::new(seed),
            table: None,
        }
    }

    pub fn algorithm(&self) -> &Algorithm {
        &self.algo
    }

    /// The servers that may take traffic now: usable primaries, else backups.
    fn candidates(&self, servers: &[Server], now: Instant, out: &mut Vec<usize>) -> bool {
        let alive = |s: &Server| s.up && s.effective_weight(now) > 0;
        out.clear();
        out.extend((0..servers.len()).filter(|&i| !servers[i].backup && alive(&servers[i])));
        if out.is_empty() {
            let backups = (0..servers.len()).filter(|&i| servers[i].backup && alive(&servers[i]));
            if self.all_backups {
                out.extend(backups);
            } else {
                out.extend(backups.take(1));
            }
        }
        let any = !out.is_empty();
        out.retain(|&i| !servers[i].full());
        any
    }

    /// The usable servers a hash chooses among (full ones included: a key stays on its
    /// server and waits there), with the weights the table uses.
    fn hash_set(&self, servers: &[Server], consistent: bool) -> Vec<(usize, u32)> {
        let usable = |s: &Server| s.up && s.weight > 0;
        let primaries: Vec<usize> = (0..servers.len())
            .filter(|&i| !servers[i].backup && usable(&servers[i]))
            .collect();
        let set: Vec<usize> = if !primaries.is_empty() {
            primaries
        } else {
            let b = (0..servers.len()).filter(|&i| servers[i].backup && usable(&servers[i]));
            if self.all_backups {
                b.collect()
            } else {
                b.take(1).collect()
            }
        };
        if consistent {
            // The ring follows weights as they change (an agent's, a drain).
            return set.iter().map(|&i| (i, servers[i].weight)).collect();
        }
        // The map is static and reduced by the weights' common divisor, as HAProxy's.
        let g = servers
            .iter()
            .map(|s| s.static_weight)
            .filter(|w| *w > 0)
            .fold(0, gcd)
            .max(1);
        set.iter()
            .map(|&i| (i, (servers[i].static_weight / g).max(1)))
            .collect()
    }

    fn hash_pick(&mut self, servers: &[Server], consistent: bool, h: u32) -> Pick {
        let set = self.hash_set(servers, consistent);
        if set.is_empty() {
            return Pick::NoServer;
        }
        if self.table.as_ref().is_none_or(|(s, _)| *s != set) {
            let table = if consistent {
                HashTable::Ring(build_ring(&set, &|i| servers[i].puid))
            } else {
                HashTable::Map(build_map(&set))
            };
            self.table = Some((set, table));
        }
        let chosen = match self.table.as_ref().map(|(_, t)| t) {
            Some(HashTable::Map(m)) if !m.is_empty() => m.get(h as usize % m.len()).copied(),
            Some(HashTable::Ring(r)) => ring_lookup(r, h),
            _ => None,
        };
        match chosen {
            Some(i) if servers[i].full() => Pick::Queue,
            Some(i) => Pick::Server(i),
            None => Pick::NoServer,
        }
    }

    /// Choose a server. `key` is the hash of the request for `Hash` (None when the
    /// request has no key, e.g. no such header: then roundrobin decides, as in HAProxy).
    pub fn pick(&mut self, servers: &[Server], now: Instant, key: Option<u32>) -> Pick {
        if self.score.len() != servers.len() {
            self.score = vec![0; servers.len()];
        }
        if let (Algorithm::Hash { consistent }, Some(h)) = (&self.algo, key) {
            let consistent = *consistent;
            return self.hash_pick(servers, consistent, h);
        }

        // The candidates' list is kept between picks: no allocation per request.
        let mut cands = std::mem::take(&mut self.cands);
        let any = self.candidates(servers, now, &mut cands);
        let pick = self.pick_among(servers, now, key, &cands, any);
        self.cands = cands;
        pick
    }

    fn pick_among(
        &mut self,
        servers: &[Server],
        now: Instant,
        key: Option<u32>,
        cands: &[usize],
        any: bool,
    ) -> Pick {
        if cands.is_empty() {
            return if any { Pick::Queue } else { Pick::NoServer };
        }
        let w = |i: usize| u64::from(servers[i].effective_weight(now));
        let chosen = match (&self.algo, key) {
            (Algorithm::RoundRobin, _) | (Algorithm::Hash { .. }, _) => self.smooth_rr(cands, &w),
            (Algorithm::StaticRr, _) => {
                let total: u64 = cands.iter().map(|&i| w(i)).sum();
                let slot = self.cursor % total.max(1);
                self.cursor = self.cursor.wrapping_add(1);
                by_slot(cands, &w, slot)
            }
            (Algorithm::LeastConn, _) => {
                // Fewest connections per unit of weight; ties rotate.
                let start = (self.cursor as usize) % cands.len();
                self.cursor = self.cursor.wrapping_add(1);
                let mut best = cands[start];
                for k in 1..cands.len() {
                    let i = cands[(start + k) % cands.len()];
                    let (a, b) = (servers[i].active as u64, servers[best].active as u64);
                    if a * w(best) < b * w(i) {
                        best = i;
                    }
                }
                best
            }
            (Algorithm::First, _) => cands[0],
            (Algorithm::Random { draws }, _) => {
                // N weighted draws, the least loaded wins ("power of two choices").
                let total: u64 = cands.iter().map(|&i| w(i)).sum();
                let mut best: Option<usize> = None;
                for _ in 0..(*draws).max(1) {
                    let i = by_slot(cands, &w, self.rng.below(total.max(1)));
                    if best.is_none_or(|b| servers[i].active < servers[b].active) {
                        best = Some(i);
                    }
                }
                best.unwrap_or(cands[0])
            }
        };
        Pick::Server(chosen)
    }

    /// Smooth weighted round robin: every candidate gains its weight, the highest score
    /// wins and pays the total. Spreads a 5:1:1 pool as a a b a c a a, not a a a a a b c.
    fn smooth_rr(&mut self, cands: &[usize], w: &dyn Fn(usize) -> u64) -> usize {
        let mut total = 0i64;
        let mut best = cands[0];
        for &i in cands {
            let wi = w(i) as i64;
            self.score[i] += wi;
            total += wi;
            if self.score[i] > self.score[best] {
                best = i;
            }
        }
        self.score[best] -= total;
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(b: &mut Balancer, servers: &[Server], n: usize) -> Vec<usize> {
        let mut c = vec![0; servers.len()];
        for _ in 0..n {
            if let Pick::Server(i) = b.pick(servers, 0, None) {
                c[i] += 1;
            }
        }
        c
    }

    #[test]
    fn roundrobin_follows_weights_smoothly() {
        let servers = vec![Server::new(5), Server::new(1), Server::new(1)];
        let mut b = Balancer::new(Algorithm::RoundRobin, false, 1);
        let seq: Vec<usize> = (0..7)
            .map(|_| match b.pick(&servers, 0, None) {
                Pick::Server(i) => i,
                p => panic!("{p:?}"),
            })
            .collect();
        assert_eq!(seq, vec![0, 0, 1, 0, 2, 0, 0]);
        assert_eq!(counts(&mut b, &servers, 700), vec![500, 100, 100]);
    }

    #[test]
    fn down_full_and_zero_weight_servers_are_skipped() {
        let mut servers = vec![Server::new(1), Server::new(1), Server::new(0)];
        servers[0].up = false;
        let mut b = Balancer::new(Algorithm::RoundRobin, false, 1);
        assert_eq!(counts(&mut b, &servers, 10), vec![0, 10, 0]);
        servers[1].maxconn = Some(2);
        servers[1].active = 2;
        assert_eq!(b.pick(&servers, 0, None), Pick::Queue);
        servers[1].up = false;
        assert_eq!(b.pick(&servers, 0, None), Pick::NoServer);
    }

    #[test]
    fn backups_only_when_no_primary_is_up() {
        let mut servers = vec![Server::new(1), Server::new(1), Server::new(1)];
        servers[1].backup = true;
        servers[2].backup = true;
        let mut b = Balancer::new(Algorithm::RoundRobin, false, 1);
        assert_eq!(counts(&mut b, &servers, 6), vec![6, 0, 0]);
        servers[0].up = false;
        assert_eq!(
            counts(&mut b, &servers, 6),
            vec![0, 6, 0],
            "first backup only"
        );
        let mut all = Balancer::new(Algorithm::RoundRobin, true, 1);
        assert_eq!(counts(&mut all, &servers, 6), vec![0, 3, 3], "allbackups");
    }

    #[test]
    fn leastconn_prefers_the_least_loaded_per_weight() {
        let mut servers = vec![Server::new(1), Server::new(2), Server::new(1)];
        servers[0].active = 3;
        servers[1].active = 4; // 2 per unit of weight
        servers[2].active = 1;
        let mut b = Balancer::new(Algorithm::LeastConn, false, 1);
        assert_eq!(b.pick(&servers, 0, None), Pick::Server(2));
        servers[2].active = 5;
        assert_eq!(b.pick(&servers, 0, None), Pick::Server(1));
    }

    #[test]
    fn first_fills_servers_in_order() {
        let mut servers = vec![Server::new(1), Server::new(1)];
        servers[0].maxconn = Some(2);
        let mut b = Balancer::new(Algorithm::First, false, 1);
        assert_eq!(b.pick(&servers, 0, None), Pick::Server(0));
        servers[0].active = 2;
        assert_eq!(b.pick(&servers, 0, None), Pick::Server(1));
    }

    #[test]
    fn hashing_is_sticky_and_spreads() {
        let servers: Vec<Server> = (0..3)
            .map(|i| {
                let mut s = Server::new(1);
                s.puid = i + 1;
                s
            })
            .collect();
        for consistent in [false, true] {
            let mut b = Balancer::new(Algorithm::Hash { consistent }, false, 1);
            let first = b.pick(&servers, 0, Some(7));
            for _ in 0..10 {
                assert_eq!(b.pick(&servers, 0, Some(7)), first);
            }
            let mut c = [0; 3];
            for i in 0..3000u32 {
                let h = crate::hash::sdbm(format!("/img/{i}.png").as_bytes());
                let h = if consistent {
                    crate::hash::avalanche(h)
                } else {
                    h
                };
                if let Pick::Server(s) = b.pick(&servers, 0, Some(h)) {
                    c[s] += 1;
                }
            }
            assert!(
                c.iter().all(|&n| (600..1400).contains(&n)),
                "{consistent}: {c:?}"
            );
            // No key (a missing header): round robin.
            assert_eq!(counts(&mut b, &servers, 3), vec![1, 1, 1]);
        }
    }

    #[test]
    fn map_is_interleaved_by_weight_and_reduced() {
        // Weights 2 and 4 reduce to 1 and 2: a three-slot map as HAProxy fills it
        // (the first declared wins ties).
        assert_eq!(build_map(&[(0, 1), (1, 2)]), vec![0, 1, 1]);
        assert_eq!(build_map(&[(0, 1), (1, 1), (2, 1)]), vec![0, 1, 2]);
        let servers = vec![Server::new(2), Server::new(4)];
        let mut b = Balancer::new(Algorithm::Hash { consistent: false }, false, 1);
        assert_eq!(b.pick(&servers, 0, Some(1)), Pick::Server(1));
        assert_eq!(b.pick(&servers, 0, Some(3)), Pick::Server(0));
    }

    #[test]
    fn consistent_ring_picks_haproxys_servers() {
        // Measured with HAProxy 2.6: `balance uri` + `hash-type consistent`, four servers
        // of weight 1 (ids 1..4); the key is sdbm of the path with avalanche.
        let mut servers: Vec<Server> = (0..4).map(|_| Server::new(1)).collect();
        for (i, s) in servers.iter_mut().enumerate() {
            s.puid = i as u32 + 1;
        }
        let mut b = Balancer::new(Algorithm::Hash { consistent: true }, false, 1);
        for (path, want) in [
            ("/img/0/0.png", 3),
            ("/img/1/1.png", 3),
            ("/img/2/2.png", 0),
            ("/img/3/3.png", 1),
            ("/img/4/4.png", 2),
            ("/img/5/5.png", 2),
            ("/img/6/6.png", 0),
            ("/img/4/11.png", 1),
        ] {
            let key = crate::hash::avalanche(crate::hash::sdbm(path.as_bytes()));
            assert_eq!(b.pick(&servers, 0, Some(key)), Pick::Server(want), "{path}");
        }
    }

    #[test]
    fn a_full_server_keeps_its_keys_waiting() {
        let mut servers = vec![Server::new(1), Server::new(1)];
        let mut b = Balancer::new(Algorithm::Hash { consistent: false }, false, 1);
        let Pick::Server(i) = b.pick(&servers, 0, Some(5)) else {
            panic!()
        };
        servers[i].maxconn = Some(1);
        servers[i].active = 1;
        assert_eq!(b.pick(&servers, 0, Some(5)), Pick::Queue);
        servers[i].up = false;
        assert_eq!(
            b.pick(&servers, 0, Some(5)),
            Pick::Server(1 - i),
            "down: remapped"
        );
    }

    #[test]
    fn random_two_draws_avoid_the_loaded_server() {
        let mut servers = vec![Server::new(1), Server::new(1)];
        servers[0].active = 100;
        let mut b = Balancer::new(Algorithm::Random { draws: 2 }, false, 7);
        let c = counts(&mut b, &servers, 1000);
        // Server 0 wins only when both draws land on it (about a quarter of the time).
        assert!((150..350).contains(&c[0]), "{c:?}");
    }

    #[test]
    fn static_rr_follows_weights() {
        let servers = vec![Server::new(2), Server::new(1)];
        let mut b = Balancer::new(Algorithm::StaticRr, false, 1);
        assert_eq!(counts(&mut b, &servers, 300), vec![200, 100]);
    }

    #[test]
    fn slowstart_ramps_the_weight() {
        let mut s = Server::new(100);
        s.slowstart_ms = Some(10_000);
        s.up_since = Some(1_000);
        assert_eq!(s.effective_weight(1_000), 1);
        assert_eq!(s.effective_weight(6_000), 50);
        assert_eq!(s.effective_weight(11_000), 100);
        let fresh = {
            let mut f = Server::new(100);
            f.up_since = Some(0);
            f
        };
        let servers = vec![fresh, s];
        let mut b = Balancer::new(Algorithm::RoundRobin, false, 1);
        let mut c = [0; 2];
        for _ in 0..1010 {
            if let Pick::Server(i) = b.pick(&servers, 1_000, None) {
                c[i] += 1;
            }
        }
        assert_eq!(c, [1000, 10]);
    }
}
