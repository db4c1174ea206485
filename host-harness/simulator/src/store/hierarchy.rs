//! Tables that extend others (docs/servicenow/cmdb.md#classes): a parent table holds the rows of
//! its children, a reference finds its record in the table it names or any table extending it, and
//! shows that record's display column.

use std::borrow::Cow;

use crate::cmdb;
use crate::schema::GROUP_TABLE;

use super::{Row, Store, text};

impl Store {
    /// The rows of `table` and of every table extending it, as stored (with the child's
    /// columns), oldest first; rows created in the same second are in class-name order [I].
    pub(crate) fn rows_in(&self, table: &str) -> Vec<&Row> {
        let tables: Vec<&super::Table> = self
            .tables
            .iter()
            .filter(|(name, _)| cmdb::extends(name, table))
            .map(|(_, t)| t)
            .collect();
        let mut rows: Vec<&Row> = tables.iter().flat_map(|t| t.rows.iter()).collect();
        if tables.len() > 1 {
            rows.sort_by(|a, b| text(a, "sys_created_on").cmp(text(b, "sys_created_on")));
        }
        rows
    }

    /// The record `sys_id` of `table` or of a table extending it, with the table it is stored in.
    pub(crate) fn find_in(&self, table: &str, sys_id: &str) -> Option<(&str, &Row)> {
        self.tables
            .iter()
            .filter(|(name, _)| cmdb::extends(name, table))
            .find_map(|(name, t)| t.find(sys_id).map(|row| (name.as_str(), row)))
    }

    /// The table a record of `table` (or of a table extending it) is stored in.
    pub(crate) fn class_of(&self, table: &str, sys_id: &str) -> Option<&str> {
        self.find_in(table, sys_id).map(|(class, _)| class)
    }

    /// The display value of a reference to `sys_id` in `target`: a group's name, a CI's name, a
    /// task's number; "" if there is no such record. `None`: a table whose display column the
    /// simulator does not model (users), shown as the raw value.
    pub(crate) fn display_value(&self, target: &str, sys_id: &str) -> Option<&str> {
        if target == GROUP_TABLE {
            return Some(self.group_name(sys_id).unwrap_or(""));
        }
        let column = cmdb::display_column(target)?;
        Some(
            self.find_in(target, sys_id)
                .map_or("", |(_, row)| text(row, column)),
        )
    }

    /// A reference as written: kept if it names a record of `target`, resolved by display value
    /// with `sysparm_input_display_value=true`, else "" (docs/servicenow/table-api.md#reference-fields
    /// for groups, [I] for the others). References the simulator does not model stay as written.
    pub(super) fn resolve_reference(&self, target: &str, value: &str, by_name: bool) -> String {
        if target == GROUP_TABLE {
            return self.resolve_group(value, by_name);
        }
        let Some(column) = cmdb::display_column(target) else {
            return value.to_string();
        };
        if value.is_empty() || self.find_in(target, value).is_some() {
            return value.to_string();
        }
        if by_name
            && let Some(row) = self
                .rows_in(target)
                .into_iter()
                .find(|row| text(row, column) == value)
        {
            return text(row, "sys_id").to_string();
        }
        String::new()
    }
}

/// A row read through a parent table shows the parent's columns only [I].
pub(crate) fn project<'r>(row: &'r Row, store: &Store, table: &str) -> Cow<'r, Row> {
    let Some(columns) = store.tables.get(table).map(|t| &t.columns) else {
        return Cow::Borrowed(row);
    };
    if row.keys().all(|key| columns.contains(key)) {
        return Cow::Borrowed(row);
    }
    let mut projected = row.clone();
    projected.retain(|key, _| columns.contains(key));
    Cow::Owned(projected)
}

impl Store {
    /// The relationship types of docs/servicenow/cmdb.md#finding-a-ci, so `cmdb_rel_ci.type` has
    /// records to point at.
    pub(super) fn seed_rel_types(&mut self, now: &str) {
        let Some(table) = self.tables.get_mut(cmdb::REL_TYPE_TABLE) else {
            return;
        };
        for (sys_id, name) in cmdb::REL_TYPES {
            let (parent, child) = name.split_once("::").unwrap_or((name, ""));
            table.rows.push(super::string_row([
                ("sys_id", sys_id.to_string()),
                ("name", name.to_string()),
                ("parent_descriptor", parent.to_string()),
                ("child_descriptor", child.to_string()),
                ("sys_created_on", now.to_string()),
                ("sys_updated_on", now.to_string()),
                ("sys_created_by", "system".to_string()),
                ("sys_updated_by", "system".to_string()),
                ("sys_mod_count", "0".to_string()),
            ]));
        }
    }
}

impl Store {
    /// `field` is `reference.column`, one level into a table the simulator holds.
    pub(crate) fn walks(&self, table: &str, field: &str) -> bool {
        let Some((head, column)) = field.split_once('.') else {
            return false;
        };
        crate::schema::reference_of(table, head)
            .and_then(|target| self.tables.get(target))
            .is_some_and(|target| target.has_column(column))
    }

    /// The value of the dot-walked `field` for `row` of `table`: "" when the reference is empty
    /// or names no record.
    pub(crate) fn walk(&self, row: &Row, table: &str, field: &str) -> String {
        let Some((head, column)) = field.split_once('.') else {
            return String::new();
        };
        crate::schema::reference_of(table, head)
            .and_then(|target| self.find_in(target, text(row, head)))
            .map(|(_, record)| text(record, column).to_string())
            .unwrap_or_default()
    }
}
