//! Properties of the balancer over arbitrary pools.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use proxy_core::balance::{Algorithm, Balancer, Pick, Server};

fn pool() -> impl Strategy<Value = Vec<Server>> {
    prop::collection::vec((0u32..=20, any::<bool>(), any::<bool>()), 1..8).prop_map(|v| {
        v.into_iter()
            .map(|(w, up, backup)| Server {
                up,
                backup,
                ..Server::new(w)
            })
            .collect()
    })
}

fn algorithms() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::RoundRobin),
        Just(Algorithm::StaticRr),
        Just(Algorithm::LeastConn),
        Just(Algorithm::First),
        Just(Algorithm::Hash { consistent: false }),
        Just(Algorithm::Hash { consistent: true }),
        (1u32..4).prop_map(|draws| Algorithm::Random { draws }),
    ]
}

proptest! {
    /// Whatever the algorithm, a chosen server is up, has weight, and is a backup only
    /// when no primary could have been chosen; NoServer only when nothing is usable.
    #[test]
    fn picks_are_always_usable(servers in pool(), algo in algorithms(), all_backups: bool, keys in prop::collection::vec(any::<u32>(), 1..30)) {
        let mut b = Balancer::new(algo, all_backups, 3);
        let usable = |s: &Server| s.up && s.weight > 0;
        let primary_ok = servers.iter().any(|s| !s.backup && usable(s));
        for k in keys {
            match b.pick(&servers, 0, Some(k)) {
                Pick::Server(i) => {
                    prop_assert!(usable(&servers[i]));
                    prop_assert_eq!(servers[i].backup, !primary_ok);
                }
                Pick::NoServer => prop_assert!(!servers.iter().any(usable)),
                Pick::Queue => prop_assert!(false, "no maxconn here, nothing can queue"),
            }
        }
    }

    /// Smooth roundrobin over usable primaries gives each exactly its weight's share of
    /// every full cycle.
    #[test]
    fn roundrobin_shares_are_exact(weights in prop::collection::vec(1u32..=16, 1..8), cycles in 1usize..4) {
        let servers: Vec<Server> = weights.iter().map(|&w| Server::new(w)).collect();
        let total: u32 = weights.iter().sum();
        let mut b = Balancer::new(Algorithm::RoundRobin, false, 1);
        let mut counts = vec![0u32; servers.len()];
        for _ in 0..(total as usize * cycles) {
            if let Pick::Server(i) = b.pick(&servers, 0, None) {
                counts[i] += 1;
            }
        }
        let want: Vec<u32> = weights.iter().map(|w| w * cycles as u32).collect();
        prop_assert_eq!(counts, want);
    }
}
