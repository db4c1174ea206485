//! Values the unit tests write by hand: timestamps and sys_ids.

use crate::primitives::ids::SysId;
use crate::primitives::prelude::*;
use crate::primitives::time::Timestamp;

/// A timestamp as ServiceNow writes it (`2024-05-01 10:00:00`).
pub fn ts(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

/// The sys_id made of one hex digit 32 times (`id('a')`).
pub fn id(c: char) -> SysId {
    SysId::parse(&c.to_string().repeat(32)).unwrap()
}
