//! What changed on one of this integration's tickets, as changes-since answers it.

use crate::primitives::prelude::*;

use crate::primitives::ids::SysId;
use crate::primitives::time::Timestamp;
use crate::servicenow::cloud_resource::ConfigurationItem;
use crate::servicenow::ticket::TicketRecord;

/// A comment or work note someone other than the integration added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub id: SysId,
    /// True for a work note (internal), false for an additional comment (public).
    pub internal: bool,
    pub author: String,
    pub created_at: Timestamp,
    pub text: String,
}

/// One of this integration's tickets that changed: where it stands now, and the comments
/// added since the platform last asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketChange {
    pub ticket: TicketRecord,
    pub updated_at: Timestamp,
    pub updated_by: String,
    pub state: String,
    pub state_label: String,
    pub done: bool,
    /// ServiceNow's priority value (`1` to `5`), as stored.
    pub priority: String,
    pub assignment_group: String,
    pub configuration_item: Option<ConfigurationItem>,
    pub comments: Vec<Comment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangesPage {
    pub changes: Vec<TicketChange>,
    pub cursor: String,
    pub more: bool,
}
