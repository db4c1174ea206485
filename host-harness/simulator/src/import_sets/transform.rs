//! Running a staging row through its transform maps (docs/servicenow/import-sets.md#coalescing,
//! docs/servicenow/import-sets.md#answer): the field maps give the target's values, the coalesce
//! fields decide between insert and update, the script's forced outcome applies, and the target
//! record is written through the same store, business rules and journal as a Table API write.

use serde::Serialize;
use serde_json::Value;

use super::{TransformMap, TransformScript, system_write};
use crate::faults::Faults;
use crate::schema::{GROUP_TABLE, JOURNAL_COLUMNS, READ_ONLY_COLUMNS, reference_target};
use crate::server::State;
use crate::store::{Row, Table, Write, WriteError, text};
use crate::users::ADMIN_USER;

/// One element of the answer's `result`, in the documented key order; absent keys are left out
/// (an error element has no `table`, `sys_id`, `display_*` or `record_link`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct RowResult {
    pub transform_map: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_link: Option<String>,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sys_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

impl RowResult {
    fn bare(map: &TransformMap, status: &'static str) -> RowResult {
        RowResult {
            transform_map: map.name.clone(),
            table: None,
            display_name: None,
            display_value: None,
            record_link: None,
            status,
            sys_id: None,
            status_message: None,
            error_message: None,
        }
    }

    /// docs/servicenow/import-sets.md#answer: a transform error rides in the answer with its
    /// message, no target. [I] `status_message` repeats the message, as in the captured error.
    fn error(map: &TransformMap, message: &str) -> RowResult {
        RowResult {
            status_message: Some(message.to_string()),
            error_message: Some(message.to_string()),
            ..RowResult::bare(map, "error")
        }
    }

    /// A row that wrote no target record: `sys_id` is the staging row's (documented for
    /// `skipped`); [I] `table` is then the staging table, so that the pair names one record, as
    /// the asynchronous answer's does.
    fn untransformed(map: &TransformMap, status: &'static str, row: &Staged) -> RowResult {
        RowResult {
            table: Some(row.table.to_string()),
            sys_id: Some(row.sys_id.to_string()),
            ..RowResult::bare(map, status)
        }
    }

    /// The asynchronous answer: the row was stored in the staging table, its transform waits.
    /// docs/servicenow/import-sets.md#synchronous-and-asynchronous: `table` is the import set
    /// table; [I] the status `inserted` (of the staging row) and its link.
    pub(crate) fn deferred(map: &TransformMap, row: &Staged, base_url: &str) -> RowResult {
        RowResult {
            record_link: Some(record_link(base_url, row.table, row.sys_id)),
            ..RowResult::untransformed(map, "inserted", row)
        }
    }

    /// A row that wrote (or matched) a target record.
    fn target(
        map: &TransformMap,
        status: &'static str,
        table: &Table,
        row: &Row,
        base_url: &str,
    ) -> RowResult {
        let sys_id = text(row, "sys_id");
        let display = display_field(table);
        RowResult {
            table: Some(map.target_table.clone()),
            display_name: Some(display.to_string()),
            display_value: Some(text(row, display).to_string()),
            record_link: Some(record_link(base_url, &map.target_table, sys_id)),
            sys_id: Some(sys_id.to_string()),
            ..RowResult::bare(map, status)
        }
    }

    /// Whether the row wrote its target.
    pub(crate) fn target_sys_id(&self) -> Option<&str> {
        match self.status {
            "inserted" | "updated" => self.sys_id.as_deref(),
            _ => None,
        }
    }
}

/// The staging row being transformed.
pub(crate) struct Staged<'a> {
    pub table: &'a str,
    pub sys_id: &'a str,
    /// Its staging columns.
    pub values: &'a Row,
}

/// Who the transform writes as, and where links point.
pub(crate) struct Runner<'a> {
    pub base_url: &'a str,
    pub user: &'a str,
}

fn record_link(base_url: &str, table: &str, sys_id: &str) -> String {
    format!("{base_url}/api/now/table/{table}/{sys_id}")
}

/// docs/servicenow/import-sets.md#answer: `number` for task tables; [I] `name` otherwise, or
/// `sys_id` for a table with neither.
fn display_field(table: &Table) -> &'static str {
    ["number", "name"]
        .into_iter()
        .find(|c| table.has_column(c))
        .unwrap_or("sys_id")
}

enum Action {
    Insert,
    Update(String),
}

/// Runs every transform map of the row's staging table, then records the outcome on the import
/// row (`sys_import_state`, its comment, the target).
pub(crate) fn transform_row(state: &mut State, row: &Staged, runner: &Runner) -> Vec<RowResult> {
    let maps = state
        .imports
        .stagings
        .get(row.table)
        .map(|s| s.maps.clone())
        .unwrap_or_default();
    let results: Vec<RowResult> = maps
        .iter()
        .map(|map| run_map(state, map, row, runner))
        .collect();
    if let Some(first) = results.first() {
        mark_import_row(state, row, first);
    }
    results
}

fn run_map(state: &mut State, map: &TransformMap, row: &Staged, runner: &Runner) -> RowResult {
    if map.script == Some(TransformScript::Skip) {
        return RowResult::untransformed(map, "skipped", row);
    }
    let Some(target) = state.store.table(&map.target_table) else {
        // docs/servicenow/import-sets.md#answer: Microsoft's documented error text; [I] that a
        // map onto a missing table gives it.
        return RowResult::error(map, "Invalid table");
    };
    let action = match coalesce(target, map, row.values) {
        Some(action) => action,
        // docs/servicenow/import-sets.md#coalescing: a coalesce value missing (and "Coalesce empty
        // fields" off, the default): skipped.
        None => return RowResult::untransformed(map, "skipped", row),
    };
    match (&map.script, &action) {
        (Some(TransformScript::Ignore), _)
        | (Some(TransformScript::IgnoreInserts), Action::Insert) => {
            return RowResult::untransformed(map, "ignored", row);
        }
        (Some(TransformScript::Error(message)), _) => return RowResult::error(map, message),
        _ => {}
    }
    let input = mapped_values(map, row.values);
    write_target(state, map, action, &input, runner)
}

/// The target's values: each field map's source, [I] left out when empty (the transform map's
/// "Copy empty fields" is off by default, so an empty value does not clear the target).
fn mapped_values(map: &TransformMap, values: &Row) -> Row {
    map.field_maps
        .iter()
        .filter(|f| !text(values, &f.source).is_empty())
        .map(|f| {
            (
                f.target.clone(),
                Value::String(text(values, &f.source).into()),
            )
        })
        .collect()
}

/// Insert or update, by the coalesce fields; `None` when a coalesce value is missing.
/// docs/servicenow/import-sets.md#coalescing: all coalesce fields must match, case-insensitively,
/// and the first matching record is updated.
fn coalesce(target: &Table, map: &TransformMap, values: &Row) -> Option<Action> {
    let keys: Vec<(&str, &str)> = map
        .field_maps
        .iter()
        .filter(|f| f.coalesce)
        .map(|f| (f.target.as_str(), text(values, &f.source)))
        .collect();
    if keys.is_empty() {
        return Some(Action::Insert);
    }
    if keys.iter().any(|(_, value)| value.is_empty()) {
        return None;
    }
    let found = target.rows().iter().find(|record| {
        keys.iter()
            .all(|(field, value)| text(record, field).eq_ignore_ascii_case(value))
    });
    Some(match found {
        Some(record) => Action::Update(text(record, "sys_id").to_string()),
        None => Action::Insert,
    })
}

fn write_target(
    state: &mut State,
    map: &TransformMap,
    action: Action,
    input: &Row,
    runner: &Runner,
) -> RowResult {
    let table = map.target_table.as_str();
    let (denied, operation) = match action {
        Action::Insert => (&state.faults.acl_deny_insert, "Insert"),
        Action::Update(_) => (&state.faults.acl_deny_update, "Update"),
    };
    // docs/servicenow/import-sets.md#security: [I] a refusal inside the transform is a row error,
    // not an HTTP error.
    if Faults::denies(denied, table) {
        let message = format!("ACL Exception {operation} Failed due to security constraints");
        return RowResult::error(map, &message);
    }
    if let Action::Update(sys_id) = &action
        && !changes_anything(state, table, sys_id, input)
    {
        // docs/servicenow/import-sets.md#answer: the documented unchanged update.
        let target = state.store.table(table);
        return match target.zip(target.and_then(|t| t.find(sys_id))) {
            Some((target, record)) => RowResult {
                status_message: Some("No field values changed".into()),
                ..RowResult::target(map, "ignored", target, record, runner.base_url)
            },
            None => RowResult::error(map, "Target record not found"),
        };
    }
    let now = state.clock.timestamp();
    let user_id = state.users.sys_id(runner.user).map(str::to_string);
    // [I] The transform writes as the caller (business rules see it as the author), resolves
    // reference fields by their display value as field maps do, and data policies apply.
    let write = Write {
        now: &now,
        user: runner.user,
        user_id: user_id.as_deref(),
        input_display_value: true,
        data_policy: true,
    };
    let (written, status) = match &action {
        Action::Insert => (state.store.insert(table, input, &write), "inserted"),
        Action::Update(sys_id) => (state.store.update(table, sys_id, input, &write), "updated"),
    };
    match (written, state.store.table(table)) {
        (Ok(record), Some(target)) => {
            RowResult::target(map, status, target, &record, runner.base_url)
        }
        (Ok(_), None) | (Err(WriteError::UnknownTable), _) => {
            RowResult::error(map, "Invalid table")
        }
        (Err(WriteError::NotFound), _) => RowResult::error(map, "Target record not found"),
        (Err(WriteError::ReadOnly), _) => RowResult::error(
            map,
            &format!("ACL Exception {operation} Failed due to security constraints"),
        ),
        (Err(WriteError::DataPolicy(detail)), _) => RowResult::error(map, &detail),
    }
}

/// Whether writing `input` would change the record. [I] A value equal to the stored one (or, for
/// a group reference, to the referenced group's name) is no change; a journal entry always is.
fn changes_anything(state: &State, table: &str, sys_id: &str, input: &Row) -> bool {
    let Some(target) = state.store.table(table) else {
        return true;
    };
    let Some(record) = target.find(sys_id) else {
        return true;
    };
    input.iter().any(|(field, value)| {
        let value = value.as_str().unwrap_or("");
        if !target.has_column(field) || READ_ONLY_COLUMNS.contains(&field.as_str()) {
            return false;
        }
        if JOURNAL_COLUMNS.contains(&field.as_str()) {
            return !value.trim().is_empty();
        }
        let current = text(record, field);
        let same_group = reference_target(field) == Some(GROUP_TABLE)
            && state.store.group_name(current) == Some(value);
        current != value && !same_group
    })
}

/// The import row remembers what its (first) transform did.
fn mark_import_row(state: &mut State, row: &Staged, result: &RowResult) {
    let comment = result
        .status_message
        .clone()
        .or_else(|| result.error_message.clone())
        .unwrap_or_default();
    let mut fields = Row::new();
    let mut set = |column: &str, value: &str| {
        fields.insert(column.to_string(), Value::String(value.to_string()));
    };
    set("sys_import_state", result.status);
    set("sys_import_state_comment", &comment);
    set("sys_transform_map", &result.transform_map);
    if let Some(sys_id) = result.target_sys_id() {
        set("sys_target_table", result.table.as_deref().unwrap_or(""));
        set("sys_target_sys_id", sys_id);
    }
    let now = state.clock.timestamp();
    let _ = state
        .store
        .update(row.table, row.sys_id, &fields, &system_write(&now));
}

/// Transforms the pending rows of an asynchronous staging table as the scheduled job does, as
/// `admin` ([I] who the job runs as); returns how many.
pub(crate) fn run_pending(state: &mut State, base_url: &str, staging_table: &str) -> usize {
    let pending: Vec<String> = state
        .imports
        .rows
        .iter()
        .filter(|(_, loaded)| loaded.pending && loaded.staging_table == staging_table)
        .map(|(sys_id, _)| sys_id.clone())
        .collect();
    let runner = Runner {
        base_url,
        user: ADMIN_USER,
    };
    for sys_id in &pending {
        let values = state
            .store
            .table(staging_table)
            .and_then(|t| t.find(sys_id))
            .cloned()
            .unwrap_or_default();
        let row = Staged {
            table: staging_table,
            sys_id,
            values: &values,
        };
        let results = transform_row(state, &row, &runner);
        if let Some(loaded) = state.imports.rows.get_mut(sys_id) {
            loaded.results = results;
            loaded.pending = false;
        }
    }
    pending.len()
}
