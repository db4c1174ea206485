//! Web service import sets as a test sets them up (docs/servicenow/import-sets.md): staging tables,
//! the transform maps that turn their rows into target records (field maps, coalesce fields, a
//! transform script's outcome a test forces), the import sets rows are loaded into, and the staging
//! rows with their transform results. The REST side is `import_set_api.rs`.
//!
//! A staging table is also a table of the store: its rows (the `u_` columns sent, plus the import
//! row's own `sys_import_*` and `sys_target_*` columns) can be read through the Table API and
//! [`Simulator::records`], as on an instance.

use std::collections::BTreeMap;

use crate::Simulator;
use crate::store::{Row, Write};

pub(crate) mod transform;

pub(crate) use transform::RowResult;

/// docs/servicenow/import-sets.md#security: the roles that may load rows into a staging table
/// unless [`Simulator::set_import_set_roles`] says otherwise. `import_set_loader` loads data,
/// `import_admin` manages all of import sets, `import_transformer` runs transforms. [I] which roles
/// a customer's staging table's create ACL names is the customer's choice; these are the ones the
/// documentation names. `admin` passes every ACL.
pub const IMPORT_SET_ROLES: &[&str] = &["import_set_loader", "import_admin", "import_transformer"];

/// The columns of an import set row besides the staging columns (docs/servicenow/import-sets.md:
/// what `sys_import_set_row` holds).
pub(crate) const IMPORT_ROW_COLUMNS: &[&str] = &[
    "sys_import_set",
    "sys_import_row",
    "sys_import_state",
    "sys_import_state_comment",
    "sys_row_error",
    "sys_target_table",
    "sys_target_sys_id",
    "sys_transform_map",
];

/// A transform map: how the rows of a staging table become records of a target table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransformMap {
    /// Its name, the answer's `transform_map`.
    pub name: String,
    /// The table its records land in: `incident`, `change_request`, ...
    pub target_table: String,
    pub field_maps: Vec<FieldMap>,
    /// What its transform script does, if anything.
    pub script: Option<TransformScript>,
}

/// One field map: a staging column copied into a target field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldMap {
    /// The staging column (`u_correlation_id`).
    pub source: String,
    /// The target field (`correlation_id`).
    pub target: String,
    /// docs/servicenow/import-sets.md#coalescing: a target record whose field equals the row's
    /// value (case-insensitive) is updated instead of a new one inserted; with several coalesce
    /// fields all must match.
    pub coalesce: bool,
}

/// The outcome a transform script forces on every row it sees (docs/servicenow/import-sets.md:
/// the transform script variables `ignore`, `error`, `error_message`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransformScript {
    /// `onBefore`: `ignore = true;` the row is `ignored`, nothing is written.
    Ignore,
    /// The "updates only" pattern: `if (action == 'insert') ignore = true;`. A row that coalesces
    /// updates its record; one that would insert is `ignored`.
    IgnoreInserts,
    /// `error = true; error_message = "…";` the row is `error` with this message.
    Error(String),
    /// [I] The row is `skipped` as if its coalesce values were missing (no script variable does
    /// this; it lets a test see the status without a coalesce field).
    Skip,
}

/// docs/servicenow/import-sets.md#synchronous-and-asynchronous: whether rows are transformed as
/// they arrive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ImportSetMode {
    /// Each row is transformed as it is inserted (the web service import set default).
    #[default]
    Synchronous,
    /// An admin set the import set to Asynchronous, state Loading: rows wait as "Pending" until
    /// [`Simulator::transform_pending_imports`] runs the transform (the scheduled job).
    Asynchronous,
}

impl TransformMap {
    /// A map without field maps or script.
    pub fn new(name: &str, target_table: &str) -> TransformMap {
        TransformMap {
            name: name.to_string(),
            target_table: target_table.to_string(),
            field_maps: Vec::new(),
            script: None,
        }
    }

    /// The map an admin builds for the component's incidents
    /// (docs/servicenow/import-sets.md#what-the-product-does): each ticket column it sends
    /// (`u_` and the incident column's name), coalescing on the correlation id.
    pub fn cxm_incidents() -> TransformMap {
        TransformMap::new("CXM incidents", "incident")
            .coalesce("u_correlation_id", "correlation_id")
            .field("u_correlation_display", "correlation_display")
            .field("u_short_description", "short_description")
            .field("u_description", "description")
            .field("u_impact", "impact")
            .field("u_urgency", "urgency")
    }

    /// Adds a field map from `source` (a staging column) to `target`.
    pub fn field(mut self, source: &str, target: &str) -> TransformMap {
        self.field_maps.push(FieldMap {
            source: source.to_string(),
            target: target.to_string(),
            coalesce: false,
        });
        self
    }

    /// Adds a coalesce field map (the correlation id, typically).
    pub fn coalesce(mut self, source: &str, target: &str) -> TransformMap {
        self.field_maps.push(FieldMap {
            source: source.to_string(),
            target: target.to_string(),
            coalesce: true,
        });
        self
    }

    /// Sets the transform script's outcome.
    pub fn script(mut self, script: TransformScript) -> TransformMap {
        self.script = Some(script);
        self
    }
}

/// A staging table as the instance knows it.
pub(crate) struct Staging {
    /// The `u_` columns, in the order they were declared.
    pub columns: Vec<String>,
    pub maps: Vec<TransformMap>,
    /// A caller needs one of these (or `admin`) to insert; empty: anyone may.
    pub roles: Vec<String>,
    pub mode: ImportSetMode,
}

/// One import set (`sys_import_set`): what its rows' answers name.
pub(crate) struct ImportSet {
    pub number: String,
    pub sys_id: String,
    /// The simulated day (seconds since the epoch / 86400) it was opened on: a synchronous set
    /// is closed at midnight and the next row opens a new one.
    pub day: u64,
    pub mode: ImportSetMode,
}

/// A staging row's transform results, kept for `GET /api/now/import/{table}/{sys_id}`.
pub(crate) struct Loaded {
    pub staging_table: String,
    pub import_set: String,
    /// Seconds since the epoch, simulated, of the insert: the cleanup job deletes the row after
    /// seven days.
    pub loaded_at: u64,
    pub results: Vec<RowResult>,
    /// Waiting for the asynchronous transform.
    pub pending: bool,
}

/// Everything the instance holds about import sets.
pub(crate) struct ImportSets {
    pub stagings: BTreeMap<String, Staging>,
    /// The open (Loading) import set of each staging table.
    pub open: BTreeMap<String, ImportSet>,
    next_number: u64,
    /// Staging rows by sys_id.
    pub rows: BTreeMap<String, Loaded>,
    /// The status of a POST that stored its row: 201 unless a test says 200.
    pub post_status: u16,
}

impl Default for ImportSets {
    fn default() -> Self {
        ImportSets {
            stagings: BTreeMap::new(),
            open: BTreeMap::new(),
            // docs/servicenow/import-sets.md#answer: the documented example is ISET0010001.
            next_number: 10_001,
            rows: BTreeMap::new(),
            post_status: 201,
        }
    }
}

/// docs/servicenow/import-sets.md#endpoints: the Import Set Deleter removes import sets and their
/// rows created more than seven days ago.
pub(crate) const CLEANUP_AFTER_SECS: u64 = 7 * 24 * 60 * 60;

impl ImportSets {
    fn staging(&mut self, table: &str) -> &mut Staging {
        self.stagings
            .entry(table.to_string())
            .or_insert_with(|| Staging {
                columns: Vec::new(),
                maps: Vec::new(),
                roles: IMPORT_SET_ROLES.iter().map(|r| r.to_string()).collect(),
                mode: ImportSetMode::default(),
            })
    }

    fn add_columns<'a>(&mut self, table: &str, columns: impl IntoIterator<Item = &'a str>) {
        let staging = self.staging(table);
        for column in columns {
            if !staging.columns.iter().any(|c| c == column) {
                staging.columns.push(column.to_string());
            }
        }
    }

    /// The open import set of the table, or a new one: a synchronous set opened on an earlier
    /// day was closed at midnight (docs/servicenow/import-sets.md#synchronous-and-asynchronous).
    pub(crate) fn open_set(
        &mut self,
        table: &str,
        now_secs: u64,
        new_sys_id: impl FnOnce() -> String,
    ) -> &ImportSet {
        let day = now_secs / 86_400;
        let mode = self.stagings.get(table).map(|s| s.mode).unwrap_or_default();
        let stale = self.open.get(table).is_none_or(|set| {
            set.mode != mode || (mode == ImportSetMode::Synchronous && set.day != day)
        });
        if stale {
            let number = format!("ISET{:07}", self.next_number);
            self.next_number += 1;
            let set = ImportSet {
                number,
                sys_id: new_sys_id(),
                day,
                mode,
            };
            self.open.insert(table.to_string(), set);
        }
        &self.open[table]
    }
}

impl Simulator {
    /// Makes `staging_table` a web service import set table (if it is not one yet) and adds a
    /// transform map to it; its field maps' sources become staging columns. Several maps on one
    /// table each give their own element of the answer's `result`. A new staging table's inserts
    /// need one of [`IMPORT_SET_ROLES`] (see [`Simulator::set_import_set_roles`]).
    pub fn add_import_set(&self, staging_table: &str, map: TransformMap) {
        let mut state = self.state();
        let imports = &mut state.imports;
        imports.add_columns(
            staging_table,
            map.field_maps.iter().map(|f| f.source.as_str()),
        );
        imports.staging(staging_table).maps.push(map);
        Self::mirror_staging(&mut state, staging_table);
    }

    /// Makes `staging_table` an import set table with these columns and no transform map (or adds
    /// columns to one): rows are stored but nothing is transformed.
    pub fn add_staging_table(&self, staging_table: &str, columns: &[&str]) {
        let mut state = self.state();
        state
            .imports
            .add_columns(staging_table, columns.iter().copied());
        Self::mirror_staging(&mut state, staging_table);
    }

    /// The roles the staging table's create ACL asks for (the caller needs one, or `admin`); an
    /// empty list lets every authenticated user load rows. False if it is no staging table.
    pub fn set_import_set_roles(&self, staging_table: &str, roles: &[&str]) -> bool {
        let mut state = self.state();
        let Some(staging) = state.imports.stagings.get_mut(staging_table) else {
            return false;
        };
        staging.roles = roles.iter().map(|r| r.to_string()).collect();
        true
    }

    /// Switches the staging table's import set mode; the next row opens an import set in that
    /// mode. False if it is no staging table.
    pub fn set_import_set_mode(&self, staging_table: &str, mode: ImportSetMode) -> bool {
        let mut state = self.state();
        let Some(staging) = state.imports.stagings.get_mut(staging_table) else {
            return false;
        };
        staging.mode = mode;
        true
    }

    /// The status of a single-row POST whose row was stored, whatever its transform did: 201 by
    /// default, or 200 (the documentation lists both; see docs/servicenow/import-sets.md).
    pub fn set_import_post_status(&self, status: u16) {
        self.state().imports.post_status = status;
    }

    /// Runs the transform of every pending row of an asynchronous staging table, as the scheduled
    /// job would, as `admin`; returns how many rows it transformed.
    pub fn transform_pending_imports(&self, staging_table: &str) -> usize {
        let base_url = self.base_url();
        let mut state = self.state();
        transform::run_pending(&mut state, &base_url, staging_table)
    }

    /// Makes the staging table a table of the store with the import row columns.
    fn mirror_staging(state: &mut crate::server::State, staging_table: &str) {
        let Some(staging) = state.imports.stagings.get(staging_table) else {
            return;
        };
        let columns: Vec<String> = staging.columns.clone();
        let all = columns
            .iter()
            .map(String::as_str)
            .chain(IMPORT_ROW_COLUMNS.iter().copied());
        state.store.ensure_columns(staging_table, all);
    }
}

/// How the instance writes an import row's own columns: as the system, without data policy.
pub(crate) fn system_write(now: &str) -> Write<'_> {
    Write {
        now,
        user: "system",
        user_id: None,
        input_display_value: false,
        data_policy: false,
    }
}

/// docs/servicenow/import-sets.md#bodies: staging values are strings. [I] A number or boolean is
/// stored as its text; a nested object or array as Java's map and list text (`{a=b, c=d}`,
/// `[x, y]`), which is what "the ':' of the nested JSON object is changed to '='" suggests.
pub(crate) fn staging_value(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k}={}", staging_value(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(staging_value).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

/// The staging columns of a request body: known columns only ([I] unknown keys are dropped, as
/// on the Table API), every value as staging text.
pub(crate) fn staging_input(staging: &Staging, body: &Row) -> Row {
    body.iter()
        .filter(|(column, _)| staging.columns.iter().any(|c| c == *column))
        .map(|(column, value)| {
            let text = serde_json::Value::String(staging_value(value));
            (column.clone(), text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_values_are_flattened_as_the_instance_mangles_them() {
        assert_eq!(staging_value(&json!("a")), "a");
        assert_eq!(staging_value(&json!(3)), "3");
        assert_eq!(staging_value(&json!(true)), "true");
        assert_eq!(staging_value(&json!(null)), "");
        assert_eq!(staging_value(&json!({"a": "b", "c": 1})), "{a=b, c=1}");
        assert_eq!(staging_value(&json!(["x", {"k": "v"}])), "[x, {k=v}]");
    }

    #[test]
    fn a_synchronous_set_closes_at_midnight() {
        let mut sets = ImportSets::default();
        sets.staging("u_imp");
        let mut n = 0;
        let mut id = || {
            n += 1;
            format!("id{n}")
        };
        let first = sets
            .open_set("u_imp", 86_400 * 3 + 10, &mut id)
            .number
            .clone();
        let same = sets
            .open_set("u_imp", 86_400 * 4 - 1, &mut id)
            .number
            .clone();
        let next = sets.open_set("u_imp", 86_400 * 4, &mut id).number.clone();
        assert_eq!(
            (first.as_str(), same.as_str(), next.as_str()),
            ("ISET0010001", "ISET0010001", "ISET0010002")
        );
        sets.staging("u_imp").mode = ImportSetMode::Asynchronous;
        let asynchronous = sets.open_set("u_imp", 86_400 * 9, &mut id).number.clone();
        let later = sets.open_set("u_imp", 86_400 * 12, &mut id).number.clone();
        assert_eq!(asynchronous, "ISET0010003");
        assert_eq!(later, asynchronous, "an asynchronous set stays open");
    }
}
