//! A support agent working a ticket in the UI: updates stamped with the agent's name and
//! the simulated time, under the same data policy as any form submit, so that a client
//! polling for changes (docs/servicenow/polling.md) sees what a real instance would show it.

use serde_json::{Map, Value};

use crate::server::State;
use crate::store::{Write, WriteError};

/// The journal fields of a task (docs/servicenow/records.md#incident).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JournalField {
    /// "Additional comments", visible to the customer.
    Comments,
    /// Internal work notes.
    WorkNotes,
}

impl JournalField {
    /// The column (and the journal entry's `element`).
    pub fn column(self) -> &'static str {
        match self {
            JournalField::Comments => "comments",
            JournalField::WorkNotes => "work_notes",
        }
    }
}

/// Updates a record as `user` would in a form: group names resolve as in the UI, a
/// comment or work note in `fields` becomes a journal entry, and the data policy applies
/// (resolving needs the close fields). The error is the instance's message.
pub(crate) fn update(
    state: &mut State,
    table: &str,
    sys_id: &str,
    fields: &Map<String, Value>,
    user: &str,
) -> Result<Map<String, Value>, String> {
    let now = state.clock.timestamp();
    let user_id = state.users.sys_id(user).map(str::to_string);
    let write = Write {
        now: &now,
        user,
        user_id: user_id.as_deref(),
        input_display_value: true,
        data_policy: true,
    };
    state
        .store
        .update(table, sys_id, fields, &write)
        .map_err(|error| match error {
            WriteError::UnknownTable => format!("Invalid table {table}"),
            WriteError::NotFound => format!("No Record found: {table} {sys_id}"),
            WriteError::ReadOnly => {
                "ACL Exception Update Failed due to security constraints".to_string()
            }
            WriteError::DataPolicy(detail) => detail,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_fields_name_their_columns() {
        assert_eq!(JournalField::Comments.column(), "comments");
        assert_eq!(JournalField::WorkNotes.column(), "work_notes");
    }
}
