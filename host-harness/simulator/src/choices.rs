//! The labels an instance shows for its task states beyond the built-in state models: states
//! an admin added to a table's state choices, and the labels in the language the instance
//! shows them in (docs/servicenow/table-api.md#display-values). Display values
//! (`sysparm_display_value=true` or `all`) show them; writes accept an added state.
//!
//! [I] What the simulator infers: an added state is active unless it is added as a closing
//! state (a real admin also lists it in the state field's close states); the language is the
//! instance's, for every user; a label without a translation in that language shows in
//! English; a value that is no choice at all shows as it is.

use crate::Simulator;
use crate::schema::{self, CHOICE_TABLE};
use crate::store::{Row, string_row};

/// A state an admin added to a table's `state` choices.
struct AddedState {
    table: String,
    value: String,
    label: String,
    /// Moving into it closes the record (`active` false).
    closing: bool,
}

/// A state's label in a language other than English.
struct Translation {
    table: String,
    value: String,
    language: String,
    label: String,
}

/// The instance's state choices beyond the schema's, and its language.
pub(crate) struct Choices {
    language: String,
    added: Vec<AddedState>,
    translated: Vec<Translation>,
}

impl Default for Choices {
    fn default() -> Self {
        Choices {
            language: "en".to_string(),
            added: Vec::new(),
            translated: Vec::new(),
        }
    }
}

impl Choices {
    fn added(&self, table: &str, value: &str) -> Option<&AddedState> {
        self.added
            .iter()
            .find(|state| state.table == table && state.value == value)
    }

    /// Whether `value` is a state an admin added to `table`.
    pub(crate) fn is_added_state(&self, table: &str, value: &str) -> bool {
        self.added(table, value).is_some()
    }

    /// Whether `value` is an added state that closes the record.
    pub(crate) fn closes(&self, table: &str, value: &str) -> bool {
        self.added(table, value).is_some_and(|state| state.closing)
    }

    /// The label of a state of `table` in the instance's language: its translation, else the
    /// added state's label; `None` for the schema's own states without a translation.
    pub(crate) fn state_label(&self, table: &str, value: &str) -> Option<&str> {
        let translated = self
            .translated
            .iter()
            .find(|t| t.table == table && t.value == value && t.language == self.language);
        match translated {
            Some(translation) => Some(&translation.label),
            None => self.added(table, value).map(|state| state.label.as_str()),
        }
    }
}

/// `table`'s state column, if it has one with choices (a task table).
fn check_task_table(table: &str) -> Result<(), String> {
    let task = schema::TABLES
        .iter()
        .any(|schema| schema.name == table && schema.task.is_some());
    match task {
        true => Ok(()),
        false => Err(format!(
            "{table} is not a task table: it has no state choices"
        )),
    }
}

impl Simulator {
    /// Adds a state to `table`'s state choices, as an admin would (Configure > Dictionary >
    /// Choices): records may move into it, and display values show `label` for it. The
    /// record stays active in it.
    pub fn add_state_choice(&self, table: &str, value: &str, label: &str) -> Result<(), String> {
        self.add_state(table, value, label, false)
    }

    /// [`Simulator::add_state_choice`] for a state that closes the record: moving into it
    /// makes the record inactive, as the built-in resolved and closed states do.
    pub fn add_closing_state_choice(
        &self,
        table: &str,
        value: &str,
        label: &str,
    ) -> Result<(), String> {
        self.add_state(table, value, label, true)
    }

    /// The label of one of `table`'s states in `language` (e.g. "de", "Gelöst" for 6): a
    /// translated `sys_choice` row. Shown once the instance shows that language.
    pub fn translate_state_choice(
        &self,
        table: &str,
        value: &str,
        language: &str,
        label: &str,
    ) -> Result<(), String> {
        check_task_table(table)?;
        let mut state = self.state();
        let row = choice_row(&mut state, table, value, label, language);
        state.store.put_system_row(CHOICE_TABLE, row);
        state.store.choices.translated.push(Translation {
            table: table.to_string(),
            value: value.to_string(),
            language: language.to_string(),
            label: label.to_string(),
        });
        Ok(())
    }

    /// The language the instance shows its labels in ("en" by default): display values show
    /// the states' translations into it.
    pub fn set_language(&self, language: &str) {
        self.state().store.choices.language = language.to_string();
    }

    fn add_state(
        &self,
        table: &str,
        value: &str,
        label: &str,
        closing: bool,
    ) -> Result<(), String> {
        check_task_table(table)?;
        let mut state = self.state();
        if state.store.choices.is_added_state(table, value)
            || schema::choice_label(table, "state", value).is_some()
        {
            return Err(format!("{table} already has the state {value}"));
        }
        let row = choice_row(&mut state, table, value, label, "en");
        state.store.put_system_row(CHOICE_TABLE, row);
        state.store.choices.added.push(AddedState {
            table: table.to_string(),
            value: value.to_string(),
            label: label.to_string(),
            closing,
        });
        Ok(())
    }
}

/// The `sys_choice` row of a state's label in a language.
fn choice_row(
    state: &mut crate::server::State,
    table: &str,
    value: &str,
    label: &str,
    language: &str,
) -> Row {
    let now = state.clock.timestamp();
    string_row([
        ("sys_id", state.store.new_sys_id()),
        ("name", table.to_string()),
        ("element", "state".to_string()),
        ("value", value.to_string()),
        ("label", label.to_string()),
        ("inactive", "false".to_string()),
        ("language", language.to_string()),
        ("sequence", "100".to_string()),
        ("sys_created_on", now.clone()),
        ("sys_updated_on", now),
        ("sys_created_by", crate::users::ADMIN_USER.to_string()),
        ("sys_updated_by", crate::users::ADMIN_USER.to_string()),
        ("sys_mod_count", "0".to_string()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_language_then_the_added_state() {
        let mut choices = Choices::default();
        choices.added.push(AddedState {
            table: "incident".into(),
            value: "100".into(),
            label: "Awaiting Vendor".into(),
            closing: false,
        });
        choices.translated.push(Translation {
            table: "incident".into(),
            value: "6".into(),
            language: "de".into(),
            label: "Gelöst".into(),
        });
        assert_eq!(
            choices.state_label("incident", "100"),
            Some("Awaiting Vendor")
        );
        assert_eq!(
            choices.state_label("incident", "6"),
            None,
            "English: the schema's"
        );
        choices.language = "de".into();
        assert_eq!(choices.state_label("incident", "6"), Some("Gelöst"));
        assert_eq!(choices.state_label("problem", "6"), None);
        assert!(choices.is_added_state("incident", "100"));
        assert!(!choices.is_added_state("problem", "100"));
        assert!(!choices.closes("incident", "100"));
        assert!(check_task_table("sys_user_group").is_err());
        assert!(check_task_table("incident").is_ok());
    }
}
