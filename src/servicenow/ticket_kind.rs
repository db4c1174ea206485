//! What a ticket becomes in ServiceNow (its table), and ServiceNow's priority scale.

use crate::primitives::ids::Name;

/// ServiceNow's priority scale (facts §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    Critical,
    High,
    Moderate,
    Low,
    Planning,
}

impl Priority {
    /// ServiceNow's derived priority (`1` Critical to `5` Planning) on this scale.
    pub fn from_servicenow(value: &str) -> Option<Self> {
        Some(match value {
            "1" => Priority::Critical,
            "2" => Priority::High,
            "3" => Priority::Moderate,
            "4" => Priority::Low,
            "5" => Priority::Planning,
            _ => return None,
        })
    }

    /// The (impact, urgency) pair that the default Priority Lookup matrix turns into this
    /// priority. ServiceNow derives `priority` itself and ignores a written one.
    pub fn impact_urgency(self) -> (&'static str, &'static str) {
        match self {
            Priority::Critical => ("1", "1"),
            Priority::High => ("1", "2"),
            Priority::Moderate => ("2", "2"),
            Priority::Low => ("2", "3"),
            Priority::Planning => ("3", "3"),
        }
    }
}

/// What a ticket becomes in ServiceNow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TicketKind {
    Incident,
    ChangeRequest,
    Problem,
    Table(Name),
}

static INCIDENT: Name = Name::known("incident");
static CHANGE_REQUEST: Name = Name::known("change_request");
static PROBLEM: Name = Name::known("problem");

impl TicketKind {
    /// The kind whose tickets live in `table`.
    pub fn for_table(table: &Name) -> Self {
        match table.as_str() {
            "incident" => TicketKind::Incident,
            "change_request" => TicketKind::ChangeRequest,
            "problem" => TicketKind::Problem,
            _ => TicketKind::Table(table.clone()),
        }
    }

    pub fn table(&self) -> &Name {
        match self {
            TicketKind::Incident => &INCIDENT,
            TicketKind::ChangeRequest => &CHANGE_REQUEST,
            TicketKind::Problem => &PROBLEM,
            TicketKind::Table(name) => name,
        }
    }
}
