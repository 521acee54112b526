//! The cluster routing core: no I/O, tested from values.
//!
//! Redis Cluster splits the key space into 16,384 hash slots, each served
//! by one shard (a primary and its replicas). This module holds what a
//! cluster client needs to decide, for any command value, where it goes and
//! what to do with the answer, read from the spec the command carries
//! (key specs, `request_policy` and `response_policy` tips) rather than
//! from lists of command names:
//!
//! - [`key_slot`]: a key's slot (CRC16 of its hash tag);
//! - [`SlotMap`]: which shard owns each slot, from `CLUSTER SHARDS` or
//!   `CLUSTER SLOTS` in either protocol, updated by `MOVED`;
//! - [`route`]: where a command goes ([`Route`]): its keys' slot, every
//!   primary or node, any primary, or split per slot ([`split`], [`join`]);
//!   keys in several slots of a command that cannot be split are refused
//!   before anything is sent;
//! - [`Redirect`]: what `MOVED`, `ASK`, `TRYAGAIN` and `CLUSTERDOWN` mean
//!   for the request that got them;
//! - [`ResponsePolicy`]: how the replies of several nodes make one.
//!
//! ```
//! use respec::cluster::{route, Route};
//! use respec::commands::string::get;
//!
//! assert_eq!(route(&get("{user:1}:name"))?, Route::Slot { slot: 10778, readonly: true });
//! # Ok::<(), respec::Error>(())
//! ```

mod blocking;
mod blocking_pubsub;
mod client;
mod map;
mod pipeline;
mod plan;
mod pubsub;
mod redirect;
mod route;
mod scan;
mod slot;
mod transaction;

pub use blocking::{BlockingClusterClient, BlockingClusterWithoutCache};
pub use blocking_pubsub::{BlockingClusterSubscriber, BlockingShardedSubscriber};
pub use client::{ClusterClient, ClusterConfig, ReadFrom};
pub use map::{Shard, SlotMap};
pub use pubsub::{ClusterSubscriber, ShardedSubscriber};
pub use redirect::{NodeAddr, Redirect};
pub use route::{join, route, split, Part, ResponsePolicy, Route};
pub use scan::ClusterScan;
pub use slot::{crc16, hash_tag, key_slot, SLOTS};
