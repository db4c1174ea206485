//! The instance's data: tables of string-valued rows, numbering, and the business rules
//! that run on every write (choice validation, reference resolution, priority lookup,
//! state side effects, journal fields and the close data policy).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::choices::Choices;
use crate::ids::Ids;
use crate::schema::{
    self, CHANGE_CLOSE_CODES, CHOICE_TABLE, GROUP_TABLE, INCIDENT_CLOSE_CODES, JOURNAL_COLUMNS,
    JOURNAL_TABLE, READ_ONLY_COLUMNS, SYSTEM_COLUMNS, TABLES, TableSchema, TaskRules,
};

mod hierarchy;
mod rules;

pub(crate) use hierarchy::project;

use rules::{after_state_change, close_policy, defaults, set_priority, to_text, valid_choice};

pub(crate) type Row = Map<String, Value>;

/// sys_id of the seeded "Cloud Operations" group.
pub const CLOUD_OPERATIONS_GROUP_ID: &str = "6b1f2e3d4c5b6a798897a6b5c4d3e2f1";

/// docs/servicenow/table-api.md#assignment-groups: seeded groups. "Database" exists twice: group
/// names are not unique.
const SEED_GROUPS: &[(&str, &str)] = &[
    (CLOUD_OPERATIONS_GROUP_ID, "Cloud Operations"),
    ("287ebd7da9fe198100f92cc8d1d2154e", "Network"),
    ("d625dccec0a8016700a222a0f7900d06", "Service Desk"),
    ("8a4dde73c6112278017a6a4baf547aa7", "Database"),
    ("8a5055c9c61122780043563ef53438e3", "Database"),
];

/// How a write is made.
pub(crate) struct Write<'a> {
    /// "YYYY-MM-DD HH:MM:SS" of the simulated clock.
    pub now: &'a str,
    /// The user_name written to `sys_created_by`, `sys_updated_by` and journal entries.
    pub user: &'a str,
    /// Its sys_id, the `opened_by` of task records it opens; `None` leaves that empty.
    pub user_id: Option<&'a str>,
    /// docs/servicenow/table-api.md#reference-fields: `sysparm_input_display_value=true` resolves a
    /// group name to its sys_id.
    pub input_display_value: bool,
    /// Data policies apply to web-service writes, not to server-side scripts.
    pub data_policy: bool,
}

#[derive(Debug, PartialEq)]
pub(crate) enum WriteError {
    UnknownTable,
    ReadOnly,
    NotFound,
    /// The detail text of the 403 (docs/servicenow/table-api.md#errors).
    DataPolicy(String),
}

pub(crate) struct Table {
    schema: Option<&'static TableSchema>,
    columns: Vec<String>,
    next_number: u64,
    rows: Vec<Row>,
}

impl Table {
    fn from_schema(schema: &'static TableSchema) -> Table {
        Table {
            schema: Some(schema),
            columns: schema.all_columns().into_iter().map(String::from).collect(),
            next_number: schema.numbering.map_or(0, |(_, first)| first),
            rows: Vec::new(),
        }
    }

    pub(crate) fn has_column(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }

    pub(crate) fn rows(&self) -> &[Row] {
        &self.rows
    }

    pub(crate) fn find(&self, sys_id: &str) -> Option<&Row> {
        self.rows.iter().find(|r| text(r, "sys_id") == sys_id)
    }

    pub(crate) fn read_only(&self) -> bool {
        self.schema.is_some_and(|s| s.read_only)
    }

    fn rules(&self) -> Option<&'static TaskRules> {
        self.schema.and_then(|s| s.task.as_ref())
    }
}

pub(crate) struct Store {
    tables: BTreeMap<String, Table>,
    ids: Ids,
    /// docs/servicenow/records.md#incident: the configurable impact 3 × urgency 3 cell of the
    /// priority lookup.
    low_low_priority: u8,
    /// The state choices an admin added, and the language labels show in.
    pub(crate) choices: Choices,
}

/// A write, validated against the table: the values to set and the journal entries to add.
struct Changes {
    fields: Vec<(String, String)>,
    journal: Vec<(String, String)>,
}

impl Store {
    pub(crate) fn new(ids: Ids, now: &str) -> Store {
        let tables = TABLES
            .iter()
            .chain(crate::cmdb::TABLES)
            .map(|schema| (schema.name.to_string(), Table::from_schema(schema)))
            .collect();
        let mut store = Store {
            tables,
            ids,
            low_low_priority: 5,
            choices: Choices::default(),
        };
        for (sys_id, name) in SEED_GROUPS {
            store.push_group(sys_id, name, now, "system");
        }
        store.seed_choices(now);
        store.seed_rel_types(now);
        store
    }

    pub(crate) fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    pub(crate) fn set_low_low_priority(&mut self, priority: u8) {
        self.low_low_priority = priority;
    }

    pub(crate) fn new_sys_id(&mut self) -> String {
        self.ids.sys_id()
    }

    /// The label a choice column's value shows with display values: the instance's own
    /// state choices first ([`Choices`]), then the schema's.
    pub(crate) fn choice_label(&self, table: &str, column: &str, value: &str) -> Option<&str> {
        let own = match schema::is_state_column(table, column) {
            true => self.choices.state_label(table, value),
            false => None,
        };
        own.or_else(|| schema::choice_label(table, column, value))
    }

    pub(crate) fn group_name(&self, sys_id: &str) -> Option<&str> {
        self.tables
            .get(GROUP_TABLE)?
            .find(sys_id)
            .map(|g| text(g, "name"))
    }

    pub(crate) fn add_group(&mut self, name: &str, now: &str) -> String {
        let sys_id = self.ids.sys_id();
        self.push_group(&sys_id, name, now, crate::users::ADMIN_USER);
        sys_id
    }

    /// Makes a table for a server-side insert into a table the schema lacks, with the
    /// given columns, so tests can add e.g. `sys_user` rows.
    pub(crate) fn ensure_columns<'a>(
        &mut self,
        table: &str,
        columns: impl Iterator<Item = &'a str>,
    ) {
        let entry = self
            .tables
            .entry(table.to_string())
            .or_insert_with(|| Table {
                schema: None,
                columns: SYSTEM_COLUMNS.iter().map(|c| c.to_string()).collect(),
                next_number: 0,
                rows: Vec::new(),
            });
        if entry.schema.is_none() {
            for column in columns {
                if !entry.has_column(column) {
                    entry.columns.push(column.to_string());
                }
            }
        }
    }

    pub(crate) fn insert(
        &mut self,
        table: &str,
        input: &Row,
        write: &Write,
    ) -> Result<Row, WriteError> {
        let target = self.tables.get(table).ok_or(WriteError::UnknownTable)?;
        if target.read_only() {
            return Err(WriteError::ReadOnly);
        }
        let changes = self.changes(target, input, write);
        let rules = target.rules();
        let sys_id = self.ids.sys_id();
        let mut row = defaults(target, table, &sys_id, write);
        crate::cmdb::defaults(&mut row, table);
        apply(&mut row, &changes);
        if let Some(rules) = rules {
            after_state_change(&mut row, rules, None, write.now);
            self.close_in_added_state(table, &mut row);
            set_priority(&mut row, rules, self.low_low_priority);
            if write.data_policy {
                close_policy(&row, rules).map_err(WriteError::DataPolicy)?;
            }
        }
        let target = self.tables.get_mut(table).ok_or(WriteError::UnknownTable)?;
        // Numbered only once the write is accepted, so refused inserts leave no gaps.
        if let Some((prefix, _)) = target.schema.and_then(|s| s.numbering) {
            row.insert(
                "number".into(),
                format!("{prefix}{:07}", target.next_number).into(),
            );
            target.next_number += 1;
        }
        target.rows.push(row.clone());
        self.add_journal(table, &sys_id, changes.journal, write);
        Ok(row)
    }

    pub(crate) fn update(
        &mut self,
        table: &str,
        sys_id: &str,
        input: &Row,
        write: &Write,
    ) -> Result<Row, WriteError> {
        let target = self.tables.get(table).ok_or(WriteError::UnknownTable)?;
        if target.read_only() {
            return Err(WriteError::ReadOnly);
        }
        let old = target.find(sys_id).ok_or(WriteError::NotFound)?;
        let changes = self.changes(target, input, write);
        let mut row = old.clone();
        apply(&mut row, &changes);
        if let Some(rules) = target.rules() {
            let old_state = text(old, "state");
            if text(&row, "state") != old_state {
                after_state_change(&mut row, rules, Some(old_state), write.now);
                self.close_in_added_state(table, &mut row);
            }
            set_priority(&mut row, rules, self.low_low_priority);
            if write.data_policy {
                close_policy(&row, rules).map_err(WriteError::DataPolicy)?;
            }
        }
        let mod_count = text(&row, "sys_mod_count").parse::<u64>().unwrap_or(0) + 1;
        row.insert("sys_mod_count".into(), mod_count.to_string().into());
        row.insert("sys_updated_on".into(), write.now.into());
        row.insert("sys_updated_by".into(), write.user.into());
        let target = self.tables.get_mut(table).ok_or(WriteError::UnknownTable)?;
        if let Some(slot) = target.rows.iter_mut().find(|r| text(r, "sys_id") == sys_id) {
            *slot = row.clone();
        }
        self.add_journal(table, sys_id, changes.journal, write);
        Ok(row)
    }

    pub(crate) fn delete(&mut self, table: &str, sys_id: &str) -> Result<(), WriteError> {
        let target = self.tables.get_mut(table).ok_or(WriteError::UnknownTable)?;
        if target.read_only() {
            return Err(WriteError::ReadOnly);
        }
        let before = target.rows.len();
        target.rows.retain(|r| text(r, "sys_id") != sys_id);
        if target.rows.len() == before {
            return Err(WriteError::NotFound);
        }
        Ok(())
    }

    /// Stores a row the instance builds itself (an attachment's metadata): no business
    /// rules, and the read-only guard of Table API writes does not apply.
    pub(crate) fn put_system_row(&mut self, table: &str, row: Row) {
        if let Some(target) = self.tables.get_mut(table) {
            target.rows.push(row);
        }
    }

    /// Removes a row the instance manages itself; false if there was none.
    pub(crate) fn remove_system_row(&mut self, table: &str, sys_id: &str) -> bool {
        let Some(target) = self.tables.get_mut(table) else {
            return false;
        };
        let before = target.rows.len();
        target.rows.retain(|r| text(r, "sys_id") != sys_id);
        target.rows.len() != before
    }

    /// Validates a write against the table. Unknown columns and the columns the instance maintains
    /// are ignored (docs/servicenow/table-api.md#unknown-fields), invalid choices are dropped
    /// (docs/servicenow/records.md#incident: "an invalid value is silently dropped"), and a group
    /// reference that resolves to nothing becomes ""
    /// (docs/servicenow/table-api.md#reference-fields).
    fn changes(&self, table: &Table, input: &Row, write: &Write) -> Changes {
        let rules = table.rules();
        let name = table.schema.map_or("", |s| s.name);
        let mut changes = Changes {
            fields: Vec::new(),
            journal: Vec::new(),
        };
        for (column, value) in input {
            if !table.has_column(column) || READ_ONLY_COLUMNS.contains(&column.as_str()) {
                continue;
            }
            let value = to_text(value);
            if rules.is_some() && JOURNAL_COLUMNS.contains(&column.as_str()) {
                if !value.trim().is_empty() {
                    changes.journal.push((column.clone(), value));
                }
                continue;
            }
            let value = match schema::reference_of(name, column) {
                Some(target) => self.resolve_reference(target, &value, write.input_display_value),
                None => value,
            };
            if let Some(rules) = rules
                && !valid_choice(rules, column, &value)
                && !(column == "state" && self.is_added_state(table, &value))
            {
                continue;
            }
            changes.fields.push((column.clone(), value));
        }
        changes
    }

    fn is_added_state(&self, table: &Table, value: &str) -> bool {
        table
            .schema
            .is_some_and(|schema| self.choices.is_added_state(schema.name, value))
    }

    /// An added closing state makes the record inactive, as the built-in ones do.
    fn close_in_added_state(&self, table: &str, row: &mut Row) {
        if self.choices.closes(table, text(row, "state")) {
            row.insert("active".into(), "false".into());
        }
    }

    fn resolve_group(&self, value: &str, by_name: bool) -> String {
        let Some(groups) = self.tables.get(GROUP_TABLE) else {
            return String::new();
        };
        if value.is_empty() || groups.find(value).is_some() {
            return value.to_string();
        }
        if by_name && let Some(group) = groups.rows.iter().find(|g| text(g, "name") == value) {
            return text(group, "sys_id").to_string();
        }
        String::new()
    }

    fn add_journal(
        &mut self,
        table: &str,
        sys_id: &str,
        entries: Vec<(String, String)>,
        write: &Write,
    ) {
        for (element, value) in entries {
            // docs/servicenow/polling.md: the captured shape; rows are never updated.
            let entry = string_row([
                ("sys_id", self.ids.sys_id()),
                ("sys_created_on", write.now.to_string()),
                ("name", table.to_string()),
                ("element_id", sys_id.to_string()),
                ("sys_tags", String::new()),
                ("value", value),
                ("sys_created_by", write.user.to_string()),
                ("element", element),
            ]);
            if let Some(journal) = self.tables.get_mut(JOURNAL_TABLE) {
                journal.rows.push(entry);
            }
        }
    }

    fn push_group(&mut self, sys_id: &str, name: &str, now: &str, user: &str) {
        let Some(groups) = self.tables.get_mut(GROUP_TABLE) else {
            return;
        };
        let write = Write {
            now,
            user,
            user_id: None,
            input_display_value: false,
            data_policy: false,
        };
        let mut row = defaults(groups, GROUP_TABLE, sys_id, &write);
        row.insert("name".into(), name.into());
        row.insert("active".into(), "true".into());
        groups.rows.push(row);
    }

    /// `sys_choice` rows for the close codes, so clients can check a close code against the
    /// instance's current choices (docs/servicenow/records.md#incident: legacy codes are gone on
    /// current releases).
    fn seed_choices(&mut self, now: &str) {
        let choices = [
            ("incident", INCIDENT_CLOSE_CODES),
            ("change_request", CHANGE_CLOSE_CODES),
        ];
        let mut rows = Vec::new();
        for (table, codes) in choices {
            for (sequence, (value, label)) in codes.iter().enumerate() {
                let row = string_row([
                    ("sys_id", self.ids.sys_id()),
                    ("name", table.to_string()),
                    ("element", "close_code".to_string()),
                    ("value", value.to_string()),
                    ("label", label.to_string()),
                    ("inactive", "false".to_string()),
                    ("language", "en".to_string()),
                    ("sequence", sequence.to_string()),
                    ("sys_created_on", now.to_string()),
                    ("sys_updated_on", now.to_string()),
                    ("sys_created_by", "system".to_string()),
                    ("sys_updated_by", "system".to_string()),
                    ("sys_mod_count", "0".to_string()),
                ]);
                rows.push(row);
            }
        }
        if let Some(table) = self.tables.get_mut(CHOICE_TABLE) {
            table.rows = rows;
        }
    }
}

pub(crate) fn string_row<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Row {
    pairs
        .into_iter()
        .map(|(column, value)| (column.to_string(), Value::String(value)))
        .collect()
}

fn apply(row: &mut Row, changes: &Changes) {
    for (column, value) in &changes.fields {
        row.insert(column.clone(), Value::String(value.clone()));
    }
}

pub(crate) fn text<'a>(row: &'a Row, column: &str) -> &'a str {
    row.get(column).and_then(Value::as_str).unwrap_or("")
}

#[cfg(test)]
mod tests;
