//! The business rules that run on every write to a task table: a new row's defaults,
//! values as text, choice validation, what a state change implies, the priority lookup
//! and the close data policy.

use serde_json::Value;

use crate::schema::{self, IMPACT_URGENCY, TaskRules};

use super::{Row, Table, Write, text};

/// A new row: every column "", then the instance's defaults (docs/servicenow/records.md#incident).
pub(super) fn defaults(table: &Table, name: &str, sys_id: &str, write: &Write) -> Row {
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

/// docs/servicenow/records.md#identifiers: every value is a string; numbers and booleans are stored
/// in their text form.
pub(super) fn to_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// docs/servicenow/records.md#incident, docs/servicenow/records.md#change-request: choice columns
/// accept only their choices. A close code may be cleared.
pub(super) fn valid_choice(rules: &TaskRules, column: &str, value: &str) -> bool {
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
/// state column (docs/servicenow/records.md).
pub(super) fn after_state_change(
    row: &mut Row,
    rules: &TaskRules,
    old_state: Option<&str>,
    now: &str,
) {
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

/// docs/servicenow/records.md#incident: priority always comes from the lookup, whatever was
/// written; docs/servicenow/records.md#change-request: change priorities stop at 4.
pub(super) fn set_priority(row: &mut Row, rules: &TaskRules, low_low: u8) {
    let level = |column| text(row, column).parse::<u8>().ok();
    if let (Some(impact), Some(urgency)) = (level("impact"), level("urgency"))
        && let Some(priority) = schema::priority(impact, urgency, low_low)
    {
        let priority = priority.min(rules.max_priority);
        row.insert("priority".into(), priority.to_string().into());
    }
}

/// docs/servicenow/table-api.md#errors, docs/servicenow/records.md#incident: resolving or closing
/// needs both close fields, else the data policy refuses the whole write and names the missing
/// ones.
pub(super) fn close_policy(row: &Row, rules: &TaskRules) -> Result<(), String> {
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
