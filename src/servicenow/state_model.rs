//! ServiceNow's state models (docs/servicenow/records.md): which states count as done, where
//! resolve and reopen lead, and the close codes a release ships with.

use crate::primitives::prelude::*;

use crate::primitives::ids::Name;
use crate::servicenow::rows::Choice;

pub struct StateModel {
    /// (value, label) of every state.
    pub states: &'static [(&'static str, &'static str)],
    /// States in which the ticket needs nothing more.
    pub done: &'static [&'static str],
    /// Where resolve-ticket moves it; None where the Table API cannot.
    pub resolve_to: Option<&'static str>,
    /// Where a reopened ticket goes; None where reopening is not a thing.
    pub reopen_to: Option<&'static str>,
    /// The close codes of current releases, used when `sys_choice` cannot be read.
    pub close_codes: &'static [&'static str],
    /// How a ticket opened twice for one event is closed as the other's duplicate; None
    /// where the Table API cannot close it.
    pub duplicate: Option<DuplicateClose>,
}

/// The columns that close a ticket as a duplicate, in its table's own terms.
pub struct DuplicateClose {
    pub state: &'static str,
    /// The close code, written with close notes (the data policy wants both); None where
    /// the state alone closes it.
    pub close_code: Option<&'static str>,
}

const INCIDENT: StateModel = StateModel {
    states: &[
        ("1", "New"),
        ("2", "In Progress"),
        ("3", "On Hold"),
        ("6", "Resolved"),
        ("7", "Closed"),
        ("8", "Canceled"),
    ],
    done: &["6", "7", "8"],
    resolve_to: Some("6"),
    reopen_to: Some("2"),
    close_codes: &[
        "Duplicate",
        "Known error",
        "Resolved by caller",
        "Resolved by change",
        "Resolved by problem",
        "Solution provided",
        "Workaround provided",
        "User error",
    ],
    duplicate: Some(DuplicateClose {
        state: "6",
        close_code: Some("Duplicate"),
    }),
};

const CHANGE_REQUEST: StateModel = StateModel {
    states: &[
        ("-5", "New"),
        ("-4", "Assess"),
        ("-3", "Authorize"),
        ("-2", "Scheduled"),
        ("-1", "Implement"),
        ("0", "Review"),
        ("3", "Closed"),
        ("4", "Canceled"),
    ],
    done: &["3", "4"],
    resolve_to: Some("3"),
    // A closed change is history; a recurring event gets a new change.
    reopen_to: None,
    close_codes: &["successful", "successful_issues", "unsuccessful"],
    // Cancelled: a change that will not be carried out needs no close code.
    duplicate: Some(DuplicateClose {
        state: "4",
        close_code: None,
    }),
};

// "Starting with release Rome, ServiceNow Table API no longer supports problem state transitions"
// (docs/servicenow/records.md#problem-and-catalog-task): problems are read and commented on, not
// resolved, from here.
const PROBLEM: StateModel = StateModel {
    states: &[
        ("101", "New"),
        ("102", "Assess"),
        ("103", "Root Cause Analysis"),
        ("104", "Fix in Progress"),
        ("106", "Resolved"),
        ("107", "Closed"),
    ],
    done: &["106", "107"],
    resolve_to: None,
    reopen_to: None,
    close_codes: &[],
    duplicate: None,
};

const SC_TASK: StateModel = StateModel {
    states: &[
        ("-5", "Pending"),
        ("1", "Open"),
        ("2", "Work in Progress"),
        ("3", "Closed Complete"),
        ("4", "Closed Incomplete"),
        ("5", "Closed Skipped"),
    ],
    done: &["3", "4", "5"],
    resolve_to: None,
    reopen_to: None,
    close_codes: &[],
    duplicate: None,
};

pub fn for_table(table: &Name) -> Option<&'static StateModel> {
    match table.as_str() {
        "incident" => Some(&INCIDENT),
        "change_request" => Some(&CHANGE_REQUEST),
        "problem" => Some(&PROBLEM),
        "sc_task" => Some(&SC_TASK),
        _ => None,
    }
}

/// A state's label: the one the instance shows (its display value: a state an admin added,
/// or the label in its users' language), else its table's built-in one, else empty.
pub fn label(table: &Name, state: &Choice) -> String {
    if !state.label.is_empty() {
        return state.label.clone();
    }
    for_table(table)
        .and_then(|m| m.states.iter().find(|(v, _)| *v == state.value))
        .map(|(_, label)| label.to_string())
        .unwrap_or_default()
}

/// Whether the ticket needs nothing more: its table's done states, or `active` false for
/// tables without a known model.
pub fn is_done(table: &Name, state: &str, active: bool) -> bool {
    match for_table(table) {
        Some(model) => model.done.contains(&state) || !active,
        None => !active,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_done_states() {
        let incident = Name::known("incident");
        let custom = Name::known("u_custom");
        let state = |value: &str, label: &str| Choice {
            value: value.into(),
            label: label.into(),
        };
        assert_eq!(label(&incident, &state("6", "")), "Resolved");
        assert_eq!(
            label(&Name::known("change_request"), &state("-5", "")),
            "New"
        );
        assert_eq!(label(&custom, &state("1", "")), "");
        // The instance's label wins: a state an admin added, a translated one.
        assert_eq!(
            label(&incident, &state("100", "Awaiting Vendor")),
            "Awaiting Vendor"
        );
        assert_eq!(label(&incident, &state("6", "Gelöst")), "Gelöst");
        assert_eq!(label(&incident, &state("100", "")), "");
        assert!(is_done(&incident, "6", true));
        assert!(!is_done(&incident, "2", true));
        assert!(is_done(&incident, "2", false));
        assert!(is_done(&custom, "x", false));
        assert!(!is_done(&custom, "7", true));
    }
}
