//! Standard change templates as the instance holds them
//! (docs/servicenow/change-management.md#standard-change-templates): a Standard Change Template
//! (`std_change_record_producer`) names a `sys_template` whose `template` column holds the change
//! field values as an encoded query, and has versions (`std_change_producer_version`) that a
//! change made from it points at.

use serde_json::{Map, Value};

use crate::Simulator;
use crate::store::{Row, Store, Write, text};
use crate::users::ADMIN_USER;

/// The Standard Change Template table: the ids `POST …/change/standard/{id}` takes.
pub(crate) const TEMPLATE_TABLE: &str = "std_change_record_producer";
/// The templates of field values.
pub(crate) const SYS_TEMPLATE_TABLE: &str = "sys_template";
/// Template versions; a standard change's `std_change_producer_version` points at one.
pub(crate) const VERSION_TABLE: &str = "std_change_producer_version";

/// [I] the columns the simulator gives these tables (the documentation shows `sys_id`,
/// `template` and `short_description`; clients filter on `name`, `sys_name` and `active`).
const TABLES: &[(&str, &[&str])] = &[
    (
        TEMPLATE_TABLE,
        &[
            "name",
            "sys_name",
            "short_description",
            "description",
            "active",
            "category",
            "template",
        ],
    ),
    (
        SYS_TEMPLATE_TABLE,
        &["name", "table", "template", "active", "short_description"],
    ),
    (VERSION_TABLE, &["name", "std_change_producer", "version"]),
];

/// Makes the three tables (empty), so the Table API can read them from the start.
pub(crate) fn install(store: &mut Store) {
    for (table, columns) in TABLES {
        store.ensure_columns(table, columns.iter().copied());
    }
}

/// The active template of that sys_id, its field values and its latest version's sys_id.
pub(crate) struct Template {
    pub values: Vec<(String, String)>,
    pub version_id: String,
}

/// `None` for an unknown or inactive template ([I]: an inactive template is not offered, as an
/// inactive catalog item is not).
pub(crate) fn active_template(store: &Store, sys_id: &str) -> Option<Template> {
    let producer = store.table(TEMPLATE_TABLE)?.find(sys_id)?;
    if text(producer, "active") != "true" {
        return None;
    }
    let values = store
        .table(SYS_TEMPLATE_TABLE)
        .and_then(|t| t.find(text(producer, "template")))
        .map(|t| decode(text(t, "template")))
        .unwrap_or_default();
    let version_id = store
        .table(VERSION_TABLE)?
        .rows()
        .iter()
        .filter(|v| text(v, "std_change_producer") == sys_id)
        .max_by_key(|v| text(v, "version").parse::<u32>().unwrap_or(0))
        .map(|v| text(v, "sys_id").to_string())
        .unwrap_or_default();
    Some(Template { values, version_id })
}

/// [I] A `sys_template` value: `field=value` parts joined by `^`, ending in `^EQ`; a `^` inside a
/// value is doubled.
pub(crate) fn encode(fields: &Map<String, Value>) -> String {
    let mut parts: Vec<String> = fields
        .iter()
        .map(|(field, value)| {
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            format!("{field}={}", value.replace('^', "^^"))
        })
        .collect();
    parts.push("EQ".into());
    parts.join("^")
}

/// The inverse of [`encode`].
pub(crate) fn decode(encoded: &str) -> Vec<(String, String)> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = encoded.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '^' if chars.peek() == Some(&'^') => {
                chars.next();
                current.push('^');
            }
            '^' => parts.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    parts.push(current);
    parts
        .into_iter()
        .filter(|p| p != "EQ")
        .filter_map(|p| {
            let (field, value) = p.split_once('=')?;
            Some((field.to_string(), value.to_string()))
        })
        .collect()
}

impl Simulator {
    /// Adds an active standard change template named `name` whose change field values are
    /// `fields` (e.g. `short_description`, `implementation_plan`, `assignment_group`), with
    /// its `sys_template` and version 1; returns the template's sys_id, the id
    /// `POST /api/sn_chg_rest/change/standard/{id}` takes. Deactivate it with
    /// [`Simulator::set_standard_change_template_active`].
    pub fn insert_standard_change_template(
        &self,
        name: &str,
        fields: Map<String, Value>,
    ) -> String {
        let mut state = self.state();
        let now = state.clock.timestamp();
        let write = Write {
            now: &now,
            user: ADMIN_USER,
            user_id: None,
            input_display_value: true,
            data_policy: false,
        };
        let short = fields
            .get("short_description")
            .and_then(Value::as_str)
            .unwrap_or(name)
            .to_string();
        let store = &mut state.store;
        install(store);
        let template = insert(
            store,
            SYS_TEMPLATE_TABLE,
            &[
                ("name", name.to_string()),
                ("table", "change_request".into()),
                ("template", encode(&fields)),
                ("active", "true".into()),
                ("short_description", short.clone()),
            ],
            &write,
        );
        let description = fields.get("description").and_then(Value::as_str);
        let producer = insert(
            store,
            TEMPLATE_TABLE,
            &[
                ("name", name.to_string()),
                ("sys_name", name.to_string()),
                ("short_description", short),
                ("description", description.unwrap_or("").to_string()),
                ("active", "true".into()),
                ("template", template),
            ],
            &write,
        );
        let version = [
            ("name", format!("{name} - 1")),
            ("std_change_producer", producer.clone()),
            ("version", "1".into()),
        ];
        insert(store, VERSION_TABLE, &version, &write);
        producer
    }

    /// Ticks or clears a standard change template's Active box; false if there is none.
    pub fn set_standard_change_template_active(&self, sys_id: &str, active: bool) -> bool {
        let mut fields = Map::new();
        fields.insert("active".into(), Value::String(active.to_string()));
        self.update_record(TEMPLATE_TABLE, sys_id, fields).is_some()
    }
}

fn insert(store: &mut Store, table: &str, pairs: &[(&str, String)], write: &Write) -> String {
    let input: Row = pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), Value::String(v.clone())))
        .collect();
    store
        .insert(table, &input, write)
        .map(|row| text(&row, "sys_id").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_values_survive_encoding() {
        let fields: Map<String, Value> = serde_json::from_str(
            r#"{"short_description":"a^b","implementation_plan":"x=y","risk":3}"#,
        )
        .unwrap();
        let encoded = encode(&fields);
        assert!(encoded.ends_with("^EQ"), "{encoded}");
        let mut decoded = decode(&encoded);
        decoded.sort();
        assert_eq!(
            decoded,
            [
                ("implementation_plan".to_string(), "x=y".to_string()),
                ("risk".to_string(), "3".to_string()),
                ("short_description".to_string(), "a^b".to_string()),
            ]
        );
        assert!(decode("").is_empty());
    }
}
