//! How rows leave the instance: field selection and the reference-field shapes of
//! docs/servicenow/table-api.md#query-parameters (`sysparm_display_value`,
//! `sysparm_exclude_reference_link`).

use serde_json::{Map, Value, json};

use crate::schema;
use crate::store::{Row, Store};

#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum DisplayMode {
    /// `false` (default): raw values.
    Raw,
    /// `true`: display values.
    Display,
    /// `all`: both, as `{"display_value", "value"}`.
    Both,
}

pub(crate) struct RenderOptions<'a> {
    pub base_url: &'a str,
    /// The table the row is of: its choice columns display their labels.
    pub table: &'a str,
    pub display: DisplayMode,
    pub exclude_reference_link: bool,
    /// `sysparm_fields`, already restricted to the table's columns; `None` for all.
    pub fields: Option<Vec<String>>,
}

pub(crate) fn render(row: &Row, store: &Store, options: &RenderOptions) -> Value {
    let mut out = Map::new();
    let columns: Vec<&String> = match &options.fields {
        Some(fields) => fields.iter().filter(|f| row.contains_key(*f)).collect(),
        None => row.keys().collect(),
    };
    for column in columns {
        let raw = row.get(column).and_then(Value::as_str).unwrap_or("");
        out.insert(column.clone(), render_value(column, raw, store, options));
    }
    Value::Object(out)
}

fn render_value(column: &str, raw: &str, store: &Store, options: &RenderOptions) -> Value {
    // docs/servicenow/table-api.md#query-parameters: an empty reference is "", never an object.
    let reference = schema::reference_of(options.table, column).filter(|_| !raw.is_empty());
    let Some(target) = reference else {
        let display = match schema::is_date_time(column) {
            true => user_date_time(raw),
            false => store
                .choice_label(options.table, column, raw)
                .or_else(|| crate::cmdb::choice_label(options.table, column, raw))
                .unwrap_or(raw)
                .to_string(),
        };
        return match options.display {
            DisplayMode::Raw => json!(raw),
            DisplayMode::Display => json!(display),
            DisplayMode::Both => json!({"display_value": display, "value": raw}),
        };
    };
    // Groups show their name, CIs theirs, tasks their number (docs/servicenow/cmdb.md); other
    // references display their raw value (docs/servicenow/table-api.md#query-parameters: values
    // are not always sys_ids, e.g. "glide.maint").
    let display = store.display_value(target, raw).unwrap_or(raw);
    let link = format!("{}/api/now/table/{target}/{raw}", options.base_url);
    match (options.display, options.exclude_reference_link) {
        (DisplayMode::Raw, true) => json!(raw),
        (DisplayMode::Raw, false) => json!({"link": link, "value": raw}),
        (DisplayMode::Display, true) => json!(display),
        (DisplayMode::Display, false) => json!({"display_value": display, "link": link}),
        (DisplayMode::Both, true) => json!({"display_value": display, "value": raw}),
        (DisplayMode::Both, false) => {
            json!({"display_value": display, "link": link, "value": raw})
        }
    }
}

/// A date-time's display value: in the user's format, `dd/MM/yyyy HH:mm:ss`, as in the
/// documented example `"06/01/2022 04:12:43"` for `"2022-01-06 12:12:43"`
/// (docs/servicenow/table-api.md#display-values). [I] The user's time zone is kept at UTC here:
/// only the format differs from the value.
fn user_date_time(raw: &str) -> String {
    let parts = (raw.get(0..4), raw.get(5..7), raw.get(8..10), raw.get(10..));
    match parts {
        (Some(year), Some(month), Some(day), Some(time)) if raw.len() == 19 => {
            format!("{day}/{month}/{year}{time}")
        }
        _ => raw.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Ids;
    use crate::store::CLOUD_OPERATIONS_GROUP_ID;

    fn options(display: DisplayMode, exclude: bool) -> RenderOptions<'static> {
        RenderOptions {
            base_url: "http://127.0.0.1:1",
            table: "incident",
            display,
            exclude_reference_link: exclude,
            fields: None,
        }
    }

    #[test]
    fn references_render_by_mode() {
        let store = Store::new(Ids::seeded(), "2025-01-01 00:00:00");
        let row: Row =
            json!({"assignment_group": CLOUD_OPERATIONS_GROUP_ID, "caller_id": "", "state": "1"})
                .as_object()
                .cloned()
                .unwrap();
        let link =
            format!("http://127.0.0.1:1/api/now/table/sys_user_group/{CLOUD_OPERATIONS_GROUP_ID}");
        let out = render(&row, &store, &options(DisplayMode::Raw, false));
        assert_eq!(
            out["assignment_group"],
            json!({"link": link, "value": CLOUD_OPERATIONS_GROUP_ID})
        );
        assert_eq!(out["caller_id"], "");
        assert_eq!(out["state"], "1");
        let out = render(&row, &store, &options(DisplayMode::Raw, true));
        assert_eq!(out["assignment_group"], CLOUD_OPERATIONS_GROUP_ID);
        let out = render(&row, &store, &options(DisplayMode::Display, true));
        assert_eq!(out["assignment_group"], "Cloud Operations");
        let out = render(&row, &store, &options(DisplayMode::Both, false));
        assert_eq!(out["assignment_group"]["display_value"], "Cloud Operations");
        assert_eq!(out["state"], json!({"display_value": "New", "value": "1"}));
        let mut choices = row.clone();
        choices.insert("priority".into(), json!("3"));
        choices.insert("urgency".into(), json!("1"));
        choices.insert("short_description".into(), json!("Idle VM"));
        let shown = render(&choices, &store, &options(DisplayMode::Display, true));
        assert_eq!(
            (&shown["state"], &shown["priority"], &shown["urgency"]),
            (&json!("New"), &json!("3 - Moderate"), &json!("1 - High"))
        );
        assert_eq!(
            shown["short_description"], "Idle VM",
            "not a choice: as it is"
        );
        let raw = render(&choices, &store, &options(DisplayMode::Raw, true));
        assert_eq!(raw["priority"], "3");
    }

    #[test]
    fn dates_display_in_the_users_format() {
        let store = Store::new(Ids::seeded(), "2025-01-01 00:00:00");
        let row: Row =
            json!({"sys_updated_on": "2022-01-06 12:12:43", "resolved_at": "", "state": "6"})
                .as_object()
                .cloned()
                .unwrap();
        let both = render(&row, &store, &options(DisplayMode::Both, true));
        assert_eq!(
            both["sys_updated_on"],
            json!({"display_value": "06/01/2022 12:12:43", "value": "2022-01-06 12:12:43"})
        );
        assert_eq!(
            both["resolved_at"],
            json!({"display_value": "", "value": ""})
        );
        assert_eq!(both["state"]["display_value"], "Resolved");
        let raw = render(&row, &store, &options(DisplayMode::Raw, true));
        assert_eq!(raw["sys_updated_on"], "2022-01-06 12:12:43");
    }

    #[test]
    fn fields_select_columns() {
        let store = Store::new(Ids::seeded(), "2025-01-01 00:00:00");
        let row: Row = json!({"sys_id": "a", "name": "b", "active": "true"})
            .as_object()
            .cloned()
            .unwrap();
        let mut opts = options(DisplayMode::Raw, true);
        opts.fields = Some(vec!["sys_id".into(), "name".into()]);
        assert_eq!(
            render(&row, &store, &opts),
            json!({"sys_id": "a", "name": "b"})
        );
    }
}
