//! Dot-walking in encoded queries (docs/servicenow/table-api.md#query-parameters: "Dot-walking is
//! allowed"), one level deep: `reference.column` compares the column of the record the reference
//! points at, e.g. `parent.sys_class_name=cmdb_ci_aws_datacenter` on `cmdb_rel_ci`
//! (docs/servicenow/cmdb.md#finding-a-ci). A walk the simulator cannot follow is named, not
//! ignored: ignoring it would match more rows than a real instance does.

use std::borrow::Cow;

use crate::schema;
use crate::store::{Row, Store};

use super::Query;

impl Query {
    /// A dot-walked field of `table` the simulator cannot follow (deeper than one level, or into
    /// a table it does not hold), if any. A field whose first part is no reference column is an
    /// unknown field, ignored as the instance ignores it.
    pub(crate) fn unfollowed_walk(&self, store: &Store, table: &str) -> Option<String> {
        self.dotted()
            .find(|field| {
                let head = field.split('.').next().unwrap_or("");
                schema::reference_of(table, head).is_some() && !store.walks(table, field)
            })
            .map(|field| format!("the dot-walked field {field:?} (one level into a known table)"))
    }

    /// The rows of `table` (and of the tables extending it) with the values of the query's
    /// dot-walked fields added under their dotted names, ready for [`Query::matches`].
    pub(crate) fn walked_rows<'s>(&self, store: &'s Store, table: &str) -> Vec<Cow<'s, Row>> {
        let walked: Vec<&str> = self.dotted().filter(|f| store.walks(table, f)).collect();
        store
            .rows_in(table)
            .into_iter()
            .map(|row| {
                if walked.is_empty() {
                    return Cow::Borrowed(row);
                }
                let mut row = row.clone();
                for field in &walked {
                    let value = store.walk(&row, table, field);
                    row.insert((*field).to_string(), value.into());
                }
                Cow::Owned(row)
            })
            .collect()
    }

    fn dotted(&self) -> impl Iterator<Item = &str> {
        self.conditions()
            .map(|c| c.field.as_str())
            .chain(self.order.iter().map(|(field, _)| field.as_str()))
            .filter(|field| field.contains('.'))
    }
}
