//! A pure VRRP v2/v3 engine: no sockets, no clock, no randomness. Time comes in as an
//! argument (a millisecond count chosen by the caller), packets come in as bytes, and
//! everything the engine wants done comes out as [`Action`]s, in the shape of
//! quinn-proto/rustls: `handle(now, input)`, `handle_timeout(now)`, `poll_timeout()`,
//! `poll_action()`.

pub mod announce;
pub mod checksum;
pub mod codec;
pub mod counters;
pub mod instance;
pub mod scenario;
pub mod sync_group;
pub mod tracker;

pub use codec::{Advert, Auth, ChecksumMode, Reject, Version};
pub use instance::{Action, GarpConfig, Input, Instance, InstanceConfig, Instant, Reason, State};
pub use tracker::{TrackerConfig, TrackerKind};
