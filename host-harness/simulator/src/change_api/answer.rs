//! How the Change Management API shows records (docs/servicenow/change-management.md#answers):
//! every field as a `{value, display_value}` pair, in one of the two answer shapes on record.

use serde_json::{Map, Value, json};

use crate::schema;
use crate::store::{Row, Store, text};

use super::templates::{TEMPLATE_TABLE, VERSION_TABLE};

/// Which of the two recorded answer shapes the create endpoints give.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChangeAnswerShape {
    /// As a real instance answered in 2022 (demisto/content's
    /// `create_co_from_template_result.json`): `"result": {…}` as an object; numeric choices,
    /// counters and flags typed (`"state": {"display_value": "New", "value": -5.0}`,
    /// `"active": {"display_value": "true", "value": true}`); date-time fields with a third key,
    /// `display_value_internal`. The shape clients read (`result.number.value`).
    #[default]
    Recorded,
    /// As ServiceNow's documentation samples show it: `"result": [ {…} ]`, one element, every
    /// value a string; the normal and emergency samples give `sys_id` as a plain string.
    Documented,
}

/// What kind of answer a record is part of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A standard change created from a template: `sys_id` is a pair in both shapes.
    Standard,
    /// A normal or emergency change: the documented samples give `sys_id` as a plain string.
    NormalOrEmergency,
}

/// docs/servicenow/change-management.md#answers: the columns the recorded answer types as
/// numbers (`-5.0`, `3.0`: the `.0` kept as recorded) and as booleans.
const NUMBER_COLUMNS: &[&str] = &[
    "state",
    "impact",
    "urgency",
    "priority",
    "risk",
    "sys_mod_count",
];
const BOOLEAN_COLUMNS: &[&str] = &["active"];

/// Labels of the change columns the Table API shows as they are ([I] beyond the recorded
/// `Standard`, `Approved`, `Change Request`).
const LABELS: &[(&str, &str, &str)] = &[
    ("type", "standard", "Standard"),
    ("type", "normal", "Normal"),
    ("type", "emergency", "Emergency"),
    ("approval", "approved", "Approved"),
    ("approval", "not requested", "Not Yet Requested"),
    ("approval", "requested", "Requested"),
    ("approval", "rejected", "Rejected"),
    ("sys_class_name", "change_request", "Change Request"),
];

/// A created change as the create endpoints answer it, `ignored` in `__meta.ignoredFields`.
pub(crate) fn created(
    row: &Row,
    store: &Store,
    shape: ChangeAnswerShape,
    kind: Kind,
    ignored: &[String],
) -> Value {
    let mut record = Map::new();
    for (column, value) in row {
        let raw = value.as_str().unwrap_or("");
        let display = display_value(store, "change_request", column, raw);
        record.insert(column.clone(), pair(shape, column, raw, &display));
    }
    if shape == ChangeAnswerShape::Documented && kind == Kind::NormalOrEmergency {
        record.insert("sys_id".into(), json!(text(row, "sys_id")));
    }
    record.insert("__meta".into(), json!({ "ignoredFields": ignored }));
    match shape {
        ChangeAnswerShape::Recorded => json!({ "result": record }),
        ChangeAnswerShape::Documented => json!({ "result": [record] }),
    }
}

/// A standard change template as the template endpoints list it: pairs of strings.
pub(crate) fn template(row: &Row, store: &Store) -> Value {
    let record: Map<String, Value> = row
        .iter()
        .map(|(column, value)| {
            let raw = value.as_str().unwrap_or("");
            let display = display_value(store, TEMPLATE_TABLE, column, raw);
            (
                column.clone(),
                json!({ "display_value": display, "value": raw }),
            )
        })
        .collect();
    Value::Object(record)
}

fn pair(shape: ChangeAnswerShape, column: &str, raw: &str, display: &str) -> Value {
    if shape == ChangeAnswerShape::Documented {
        return json!({ "display_value": display, "value": raw });
    }
    let value = typed(column, raw);
    if schema::is_date_time(column) {
        // [I] the instance's user is on UTC and the system date format: the display value and
        // the internal one are the stored value.
        json!({ "display_value": display, "value": value, "display_value_internal": raw })
    } else {
        json!({ "display_value": display, "value": value })
    }
}

fn typed(column: &str, raw: &str) -> Value {
    if NUMBER_COLUMNS.contains(&column)
        && let Ok(number) = raw.parse::<f64>()
    {
        return json!(number);
    }
    if BOOLEAN_COLUMNS.contains(&column) && (raw == "true" || raw == "false") {
        return json!(raw == "true");
    }
    json!(raw)
}

/// The display value of a column: a choice's label, a reference's name, else the value.
fn display_value(store: &Store, table: &str, column: &str, raw: &str) -> String {
    if raw.is_empty() {
        return String::new();
    }
    if let Some(label) = schema::choice_label(table, column, raw) {
        return label.to_string();
    }
    if let Some((_, _, label)) = LABELS.iter().find(|(c, v, _)| *c == column && *v == raw) {
        return (*label).to_string();
    }
    let referenced = match column {
        "assignment_group" => Some(schema::GROUP_TABLE),
        "std_change_producer_version" => Some(VERSION_TABLE),
        "template" if table == TEMPLATE_TABLE => Some(super::templates::SYS_TEMPLATE_TABLE),
        _ => None,
    };
    referenced
        .and_then(|target| store.table(target)?.find(raw))
        .map_or_else(|| raw.to_string(), |row| text(row, "name").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_values_are_typed_and_dates_carry_the_internal_display_value() {
        let shape = ChangeAnswerShape::Recorded;
        assert_eq!(pair(shape, "state", "-5", "New")["value"], json!(-5.0));
        assert_eq!(pair(shape, "active", "true", "true")["value"], json!(true));
        assert_eq!(pair(shape, "state", "", "")["value"], json!(""));
        let date = pair(
            shape,
            "opened_at",
            "2025-01-01 10:00:00",
            "2025-01-01 10:00:00",
        );
        assert_eq!(date["display_value_internal"], "2025-01-01 10:00:00");
        let documented = pair(ChangeAnswerShape::Documented, "state", "-5", "New");
        assert_eq!(documented, json!({"display_value": "New", "value": "-5"}));
    }
}
