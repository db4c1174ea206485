//! What every layer above builds on, with no ServiceNow in it: the `no_std` prelude, JSON,
//! ids, times and clocks, errors and the guide's words, the `Transport` seam, the log, small
//! maps and caches.

pub mod cache;
pub mod clock;
pub mod error;
pub mod fingerprint;
pub mod guide;
pub mod http;
pub mod ids;
pub mod json;
pub mod log;
pub mod prelude;
pub mod secret;
pub mod sorted_map;
pub mod text;
pub mod time;
