//! proxyd's pure core: no sockets, no clock, no tokio. Time comes in as milliseconds on
//! the caller's clock; randomness from a seeded generator the caller owns.

pub mod acl;
pub mod balance;
pub mod cache;
pub mod compress;
pub mod cookie;
pub mod counters;
pub mod events;
pub mod h1;
pub mod hash;
pub mod health;
pub mod log;
pub mod mail;
pub mod map;
pub mod payload;
pub mod peers;
pub mod probe;
pub mod prometheus;
pub mod proxy_proto;
pub mod rng;
pub mod runtime_api;
pub mod sample;
pub mod stat_typed;
pub mod stats;
pub mod stats_admin;
pub mod stick;
pub mod table_cli;

/// Milliseconds on the caller's clock.
pub type Instant = u64;
