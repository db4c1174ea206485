//! What the instance told a session and may change behind its back (see
//! [`Expiring`]): kept for a while to spare requests, dropped by every configure.

use crate::primitives::prelude::*;

use crate::primitives::cache::Expiring;
use crate::primitives::ids::{Name, SysId};
use crate::servicenow::cmdb::Found;

#[derive(Default)]
pub struct InstanceFacts {
    /// Group names already resolved, so each costs one lookup while the entry lasts.
    pub groups: Expiring<String, SysId>,
    /// Each table's close codes as the instance lists them, read once while the entry lasts.
    pub close_codes: Expiring<Name, Vec<CloseCode>>,
    /// Standard change template names already resolved to their `std_change_record_producer`
    /// sys_id, so each costs one lookup while the entry lasts.
    pub change_templates: Expiring<String, SysId>,
    /// Cloud resources already looked up in the CMDB: the CI, or why there is none.
    pub configuration_items: Expiring<String, Found>,
}

/// A close code: the value ServiceNow stores, and the label its form shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseCode {
    pub value: String,
    pub label: String,
}
