//! The instance's data: tables of string-valued rows, numbering, and the business rules
//! that run on every write (choice validation, reference resolution, priority lookup,
//! state side effects, journal fields and the close data policy).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::ids::Ids;
use crate::schema::{
    self, CHANGE_CLOSE_CODES, CHOICE_TABLE, GROUP_TABLE, IMPACT_URGENCY, INCIDENT_CLOSE_CODES,
    JOURNAL_COLUMNS, JOURNAL_TABLE, READ_ONLY_COLUMNS, SYSTEM_COLUMNS, TABLES, TableSchema,
    TaskRules,
};

pub(crate) type Row = Map<String, Value>;

/// sys_id of the seeded "Cloud Operations" group.
pub const CLOUD_OPERATIONS_GROUP_ID: &str = "6b1f2e3d4c5b6a798897a6b5c4d3e2f1";

/// §4: seeded groups. "Database" exists twice: group names are not unique.
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
    /// §2.3: `sysparm_input_display_value=true` resolves a group name to its sys_id.
    pub input_display_value: bool,
    /// Data policies apply to web-service writes, not to server-side scripts.
    pub data_policy: bool,
}

#[derive(Debug, PartialEq)]
pub(crate) enum WriteError {
    UnknownTable,
    ReadOnly,
    NotFound,
    /// The detail text of the 403 (§2.5).
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
    /// §3.2: the configurable impact 3 × urgency 3 cell of the priority lookup.
    low_low_priority: u8,
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
            .map(|schema| (schema.name.to_string(), Table::from_schema(schema)))
            .collect();
        let mut store = Store {
            tables,
            ids,
            low_low_priority: 5,
        };
        for (sys_id, name) in SEED_GROUPS {
            store.push_group(sys_id, name, now, "system");
        }
        store.seed_choices(now);
        store
    }

    pub(crate) fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    pub(crate) fn set_low_low_priority(&mut self, priority: u8) {
        self.low_low_priority = priority;
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
        apply(&mut row, &changes);
        if let Some(rules) = rules {
            after_state_change(&mut row, rules, None, write.now);
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

    /// Validates a write against the table. Unknown columns and the columns the instance
    /// maintains are ignored (§2.4), invalid choices are dropped (§3.2: "an invalid value is
    /// silently dropped"), and a group reference that resolves to nothing becomes "" (§2.3).
    fn changes(&self, table: &Table, input: &Row, write: &Write) -> Changes {
        let rules = table.rules();
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
            let value = if schema::reference_target(column) == Some(GROUP_TABLE) {
                self.resolve_group(&value, write.input_display_value)
            } else {
                value
            };
            if let Some(rules) = rules
                && !valid_choice(rules, column, &value)
            {
                continue;
            }
            changes.fields.push((column.clone(), value));
        }
        changes
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
            // §16: the captured shape; rows are never updated.
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

    /// `sys_choice` rows for the close codes, so clients can check a close code against
    /// the instance's current choices (§3.2: legacy codes are gone on current releases).
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

/// A new row: every column "", then the instance's defaults (§3.2).
fn defaults(table: &Table, name: &str, sys_id: &str, write: &Write) -> Row {
    let mut row: Row = table
        .columns
        .iter()
        .map(|c| (c.clone(), Value::String(String::new())))
        .collect();
    let mut set = |column: &str, value: &str| {
        if table.has_column(column) {
            row.insert(column.into(), value.into());
        }
    };
    set("sys_id", sys_id);
    set("sys_created_on", write.now);
    set("sys_updated_on", write.now);
    set("sys_created_by", write.user);
    set("sys_updated_by", write.user);
    set("sys_mod_count", "0");
    if let Some(rules) = table.rules() {
        set("sys_class_name", name);
        set("state", rules.default_state);
        set("active", "true");
        set("impact", "3");
        set("urgency", "3");
        set("opened_at", write.now);
        if let Some(user_id) = write.user_id {
            set("opened_by", user_id);
        }
    }
    row
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

/// §3.1: every value is a string; numbers and booleans are stored in their text form.
fn to_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub(crate) fn text<'a>(row: &'a Row, column: &str) -> &'a str {
    row.get(column).and_then(Value::as_str).unwrap_or("")
}

/// §3.2, §3.3: choice columns accept only their choices. A close code may be cleared.
fn valid_choice(rules: &TaskRules, column: &str, value: &str) -> bool {
    match column {
        "state" => rules.states.iter().any(|(state, _)| *state == value),
        "impact" | "urgency" => IMPACT_URGENCY.iter().any(|(level, _)| *level == value),
        "close_code" => match rules.close_codes {
            Some(codes) => value.is_empty() || codes.iter().any(|(code, _)| *code == value),
            None => true,
        },
        _ => true,
    }
}

/// What a state change implies: the active flag, resolved/closed stamps and the legacy
/// state column (§3.2–§3.4).
fn after_state_change(row: &mut Row, rules: &TaskRules, old_state: Option<&str>, now: &str) {
    let state = text(row, "state").to_string();
    let active = !rules.inactive_states.contains(&state.as_str());
    row.insert("active".into(), active.to_string().into());
    if old_state != Some(state.as_str()) {
        if rules.resolved_states.contains(&state.as_str()) {
            row.insert("resolved_at".into(), now.into());
        }
        if rules.closed_states.contains(&state.as_str()) {
            row.insert("closed_at".into(), now.into());
        }
    }
    if let Some(mirror) = rules.state_mirror {
        row.insert(mirror.into(), state.into());
    }
}

/// §3.2: priority always comes from the lookup, whatever was written; §3.3: change
/// priorities stop at 4.
fn set_priority(row: &mut Row, rules: &TaskRules, low_low: u8) {
    let level = |column| text(row, column).parse::<u8>().ok();
    if let (Some(impact), Some(urgency)) = (level("impact"), level("urgency"))
        && let Some(priority) = schema::priority(impact, urgency, low_low)
    {
        let priority = priority.min(rules.max_priority);
        row.insert("priority".into(), priority.to_string().into());
    }
}

/// §2.5, §3.2: resolving or closing needs both close fields, else the data policy refuses
/// the whole write and names the missing ones.
fn close_policy(row: &Row, rules: &TaskRules) -> Result<(), String> {
    let Some(policy) = &rules.close_policy else {
        return Ok(());
    };
    if !policy.states.contains(&text(row, "state")) {
        return Ok(());
    }
    let missing: Vec<&str> = [
        ("close_code", policy.code_label),
        ("close_notes", policy.notes_label),
    ]
    .into_iter()
    .filter(|(column, _)| text(row, column).trim().is_empty())
    .map(|(_, label)| label)
    .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "Data Policy Exception: \n The following fields are mandatory: {}",
            missing.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: &str = "2025-01-02 03:04:05";

    fn store() -> Store {
        Store::new(Ids::seeded(), NOW)
    }

    const INTEGRATION_USER: &str = crate::users::DEFAULT_USER_NAME;
    const INTEGRATION_USER_ID: &str = "5137153cc611227c000bbd1bd8cd2005";

    fn api() -> Write<'static> {
        Write {
            now: NOW,
            user: INTEGRATION_USER,
            user_id: Some(INTEGRATION_USER_ID),
            input_display_value: false,
            data_policy: true,
        }
    }

    fn input(value: Value) -> Row {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn insert_applies_defaults_and_numbers() {
        let mut s = store();
        let a = s
            .insert(
                "incident",
                &input(json!({"short_description": "x"})),
                &api(),
            )
            .unwrap();
        let b = s.insert("incident", &input(json!({})), &api()).unwrap();
        assert_eq!(a["number"], "INC0010001");
        assert_eq!(b["number"], "INC0010002");
        assert_eq!(a["state"], "1");
        assert_eq!(a["incident_state"], "1");
        assert_eq!(a["active"], "true");
        assert_eq!(
            (&a["impact"], &a["urgency"], &a["priority"]),
            (&json!("3"), &json!("3"), &json!("5"))
        );
        assert_eq!(a["sys_class_name"], "incident");
        assert_eq!(a["sys_created_by"], INTEGRATION_USER);
        assert_eq!(a["opened_by"], INTEGRATION_USER_ID);
        assert_eq!(a["sys_mod_count"], "0");
        assert_eq!(a["sys_created_on"], NOW);
        assert_eq!(a["close_code"], "");
        assert_eq!(a["sys_id"].as_str().unwrap().len(), 32);
        let change = s
            .insert("change_request", &input(json!({})), &api())
            .unwrap();
        assert_eq!(
            (&change["number"], &change["state"]),
            (&json!("CHG0030001"), &json!("-5"))
        );
        assert_eq!(change["priority"], "4", "change priorities stop at 4");
        let problem = s.insert("problem", &input(json!({})), &api()).unwrap();
        assert_eq!(
            (&problem["number"], &problem["state"]),
            (&json!("PRB0040001"), &json!("101"))
        );
        let task = s.insert("sc_task", &input(json!({})), &api()).unwrap();
        assert_eq!(task["number"], "SCTASK0010001");
        assert!(s.insert("nope", &input(json!({})), &api()).is_err());
        assert_eq!(
            s.insert("sys_choice", &input(json!({})), &api()),
            Err(WriteError::ReadOnly)
        );
    }

    #[test]
    fn priority_is_computed_and_written_priority_ignored() {
        let mut s = store();
        let row = s
            .insert(
                "incident",
                &input(json!({"impact": 1, "urgency": "2", "priority": "5"})),
                &api(),
            )
            .unwrap();
        assert_eq!(
            (&row["impact"], &row["priority"]),
            (&json!("1"), &json!("2"))
        );
        let id = row["sys_id"].as_str().unwrap().to_string();
        let row = s
            .update("incident", &id, &input(json!({"urgency": "1"})), &api())
            .unwrap();
        assert_eq!(row["priority"], "1");
        s.set_low_low_priority(4);
        let row = s.insert("problem", &input(json!({})), &api()).unwrap();
        assert_eq!(row["priority"], "4");
    }

    #[test]
    fn values_become_strings_and_unknown_fields_vanish() {
        let mut s = store();
        let row = s
            .insert(
                "incident",
                &input(
                    json!({"u_custom": "x", "severity": 2, "hold_reason": null, "sys_id": "mine"}),
                ),
                &api(),
            )
            .unwrap();
        assert!(row.get("u_custom").is_none());
        assert_eq!(row["severity"], "2");
        assert_eq!(row["hold_reason"], "");
        assert_ne!(row["sys_id"], "mine");
    }

    #[test]
    fn invalid_choices_are_dropped() {
        let mut s = store();
        let row = s
            .insert("incident", &input(json!({"state": "5", "impact": "0", "urgency": "2", "close_code": "Solved (Permanently)"})), &api())
            .unwrap();
        assert_eq!(
            (&row["state"], &row["impact"], &row["urgency"]),
            (&json!("1"), &json!("3"), &json!("2"))
        );
        assert_eq!(row["close_code"], "");
        let change = s
            .insert(
                "change_request",
                &input(json!({"state": "1", "close_code": "successful"})),
                &api(),
            )
            .unwrap();
        assert_eq!(
            (&change["state"], &change["close_code"]),
            (&json!("-5"), &json!("successful"))
        );
    }

    #[test]
    fn group_references_must_resolve() {
        let mut s = store();
        let by_id = input(json!({"assignment_group": CLOUD_OPERATIONS_GROUP_ID}));
        assert_eq!(
            s.insert("incident", &by_id, &api()).unwrap()["assignment_group"],
            CLOUD_OPERATIONS_GROUP_ID
        );
        let by_name = input(json!({"assignment_group": "Cloud Operations"}));
        assert_eq!(
            s.insert("incident", &by_name, &api()).unwrap()["assignment_group"],
            ""
        );
        let display = Write {
            input_display_value: true,
            ..api()
        };
        assert_eq!(
            s.insert("incident", &by_name, &display).unwrap()["assignment_group"],
            CLOUD_OPERATIONS_GROUP_ID
        );
        let unknown = input(json!({"assignment_group": "No Such Team"}));
        assert_eq!(
            s.insert("incident", &unknown, &display).unwrap()["assignment_group"],
            ""
        );
        let added = s.add_group("Finance", NOW);
        assert_eq!(s.group_name(&added), Some("Finance"));
    }

    #[test]
    fn data_policy_blocks_resolving_without_close_fields() {
        let mut s = store();
        let row = s.insert("incident", &input(json!({})), &api()).unwrap();
        let id = row["sys_id"].as_str().unwrap().to_string();
        let err = s
            .update("incident", &id, &input(json!({"state": "6"})), &api())
            .unwrap_err();
        assert_eq!(
            err,
            WriteError::DataPolicy(
                "Data Policy Exception: \n The following fields are mandatory: Resolution code, Resolution notes".into()
            )
        );
        let err = s
            .update(
                "incident",
                &id,
                &input(json!({"state": "7", "close_code": "Duplicate", "work_notes": "x"})),
                &api(),
            )
            .unwrap_err();
        assert!(
            matches!(err, WriteError::DataPolicy(d) if d.ends_with("mandatory: Resolution notes"))
        );
        // Refused writes change nothing, journal included.
        assert_eq!(
            s.table("incident").unwrap().find(&id).unwrap()["sys_mod_count"],
            "0"
        );
        assert!(s.table(JOURNAL_TABLE).unwrap().rows().is_empty());
        // An invalid close code is dropped and then trips the policy.
        let err = s
            .update(
                "incident",
                &id,
                &input(json!({"state": "6", "close_code": "Fixed", "close_notes": "n"})),
                &api(),
            )
            .unwrap_err();
        assert!(
            matches!(err, WriteError::DataPolicy(d) if d.ends_with("mandatory: Resolution code"))
        );
        let resolved = s
            .update(
                "incident",
                &id,
                &input(
                    json!({"state": "6", "close_code": "Solution provided", "close_notes": "done"}),
                ),
                &api(),
            )
            .unwrap();
        assert_eq!(
            (&resolved["active"], &resolved["resolved_at"]),
            (&json!("false"), &json!(NOW))
        );
        assert_eq!(resolved["sys_mod_count"], "1");
        let reopened = s
            .update("incident", &id, &input(json!({"state": "2"})), &api())
            .unwrap();
        assert_eq!(reopened["active"], "true");
        // Also on insert, and for changes.
        assert!(
            s.insert("incident", &input(json!({"state": "7"})), &api())
                .is_err()
        );
        let err = s
            .insert(
                "change_request",
                &input(json!({"state": "3", "close_code": "successful"})),
                &api(),
            )
            .unwrap_err();
        assert_eq!(
            err,
            WriteError::DataPolicy(
                "Data Policy Exception: \n The following fields are mandatory: Close notes".into()
            )
        );
        assert_eq!(s.table("incident").unwrap().rows().len(), 1);
        // Server-side writes are not subject to data policies.
        let server = Write {
            data_policy: false,
            user: crate::users::ADMIN_USER,
            ..api()
        };
        let closed = s
            .update("incident", &id, &input(json!({"state": "7"})), &server)
            .unwrap();
        assert_eq!(
            (&closed["active"], &closed["closed_at"]),
            (&json!("false"), &json!(NOW))
        );
    }

    #[test]
    fn journal_fields_append_entries_and_read_back_empty() {
        let mut s = store();
        let row = s
            .insert(
                "incident",
                &input(json!({"work_notes": "first", "comments": "  "})),
                &api(),
            )
            .unwrap();
        assert_eq!(
            (&row["work_notes"], &row["comments"]),
            (&json!(""), &json!(""))
        );
        let id = row["sys_id"].as_str().unwrap().to_string();
        s.update(
            "incident",
            &id,
            &input(json!({"comments": "hello"})),
            &api(),
        )
        .unwrap();
        let entries: Vec<(&str, &str, &str)> = s
            .table(JOURNAL_TABLE)
            .unwrap()
            .rows()
            .iter()
            .map(|r| (text(r, "element_id"), text(r, "element"), text(r, "value")))
            .collect();
        assert_eq!(
            entries,
            [
                (id.as_str(), "work_notes", "first"),
                (id.as_str(), "comments", "hello")
            ]
        );
        let stored = s.table("incident").unwrap().find(&id).unwrap();
        assert_eq!(stored["comments"], "");
    }

    #[test]
    fn seeds_groups_and_close_code_choices() {
        let s = store();
        let groups = s.table(GROUP_TABLE).unwrap().rows();
        assert_eq!(groups.iter().filter(|g| g["name"] == "Database").count(), 2);
        assert_eq!(
            s.group_name(CLOUD_OPERATIONS_GROUP_ID),
            Some("Cloud Operations")
        );
        let choices = s.table(CHOICE_TABLE).unwrap().rows();
        assert_eq!(
            choices.len(),
            INCIDENT_CLOSE_CODES.len() + CHANGE_CLOSE_CODES.len()
        );
        assert!(
            choices
                .iter()
                .all(|c| c["element"] == "close_code" && c["inactive"] == "false")
        );
    }

    #[test]
    fn server_side_tables_grow_columns() {
        let mut s = store();
        s.ensure_columns("sys_user", ["user_name"].into_iter());
        let write = Write {
            data_policy: false,
            ..api()
        };
        let row = s
            .insert(
                "sys_user",
                &input(json!({"user_name": "fred", "x": "y"})),
                &write,
            )
            .unwrap();
        assert_eq!(row["user_name"], "fred");
        assert!(row.get("x").is_none());
        assert!(s.delete("sys_user", text(&row, "sys_id")).is_ok());
        assert_eq!(s.delete("sys_user", "missing"), Err(WriteError::NotFound));
    }
}
