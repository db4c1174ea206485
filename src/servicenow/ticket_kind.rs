//! What a ticket becomes in ServiceNow (its table), and ServiceNow's priority scale.

use crate::primitives::ids::Name;

/// ServiceNow's priority scale (docs/servicenow/records.md#incident), said once: each priority, its
/// number in ServiceNow (`1` Critical to `5` Planning), the (impact, urgency) pair the default
/// Priority Lookup matrix turns into it, its value and label in the settings form. Hands the list
/// to the macro `$then`: it declares [`Priority`] here, the form's choices and reading in the
/// settings, and the WIT conversions in the adapters.
macro_rules! with_priorities {
    ($then:path) => {
        $then! {
            Critical = "1", ("1", "1"), "critical", "1 - Critical";
            High = "2", ("1", "2"), "high", "2 - High";
            Moderate = "3", ("2", "2"), "moderate", "3 - Moderate";
            Low = "4", ("2", "3"), "low", "4 - Low";
            Planning = "5", ("3", "3"), "planning", "5 - Planning";
        }
    };
}
pub(crate) use with_priorities;

macro_rules! declare_priority {
    ($($priority:ident = $number:literal, $impact_urgency:expr, $form:literal, $label:literal;)*) => {
        /// ServiceNow's priority scale (docs/servicenow/records.md#incident).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Priority {
            $($priority,)*
        }

        impl Priority {
            /// ServiceNow's derived priority (`1` Critical to `5` Planning) on this scale.
            pub fn from_servicenow(value: &str) -> Option<Self> {
                Some(match value {
                    $($number => Priority::$priority,)*
                    _ => return None,
                })
            }

            /// The (impact, urgency) pair that the default Priority Lookup matrix turns into
            /// this priority. ServiceNow derives `priority` itself and ignores a written one.
            pub fn impact_urgency(self) -> (&'static str, &'static str) {
                match self {
                    $(Priority::$priority => $impact_urgency,)*
                }
            }
        }
    };
}

with_priorities!(declare_priority);

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
