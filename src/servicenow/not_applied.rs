//! What a write did not store as sent: each column ServiceNow dropped or changed, and each
//! link the provider could not make, with the reason an admin reads
//! (docs/servicenow/table-api.md#unknown-fields).

use crate::primitives::prelude::*;

use crate::primitives::json::{Object, Value};
use crate::primitives::text::quoted;
use crate::servicenow::rows::{Columns, JOURNAL_COLUMNS};

/// A column sent but not stored as sent, or a link not made, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotApplied {
    pub field: String,
    pub reason: String,
}

impl NotApplied {
    pub fn new(field: &str, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

/// The columns that ServiceNow did not store as sent. It ignores unknown columns, invalid choice
/// values and unknown references without an error (docs/servicenow/table-api.md#unknown-fields), so
/// comparing is the only way to notice.
pub fn not_applied(sent: &Columns, stored: &Object) -> Vec<NotApplied> {
    sent.iter()
        .filter_map(|(name, value)| {
            let reason = match stored.get(name) {
                // Journal columns always read back empty: never compared.
                _ if JOURNAL_COLUMNS.contains(&name) => return None,
                None => "ServiceNow did not store it: the table has no such column, or an access \
                         rule or business rule dropped it"
                    .to_string(),
                Some(Value::String(kept)) if kept == value => return None,
                Some(Value::String(kept)) if kept.is_empty() => format!(
                    "ServiceNow stored an empty value instead of {}: not a valid choice or \
                     reference, or an access rule or business rule cleared it",
                    quoted(value, 64)
                ),
                Some(Value::String(kept)) => format!(
                    "ServiceNow stored {} instead of {}",
                    quoted(kept, 64),
                    quoted(value, 64)
                ),
                Some(_) => "ServiceNow answered it in a shape other than text".to_string(),
            };
            Some(NotApplied::new(name, reason))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::json::parsed;
    use serde_json::json;

    #[test]
    fn dropped_columns_are_named() {
        let mut sent = Columns::default();
        sent.set("impact", "1")
            .set("category", "bogus")
            .set("u_unknown", "x")
            .set("work_notes", "hi");
        let stored = json!({"impact": "1", "category": "inquiry", "work_notes": ""});
        let Value::Object(stored) = parsed(stored) else {
            panic!("an object")
        };
        let dropped = not_applied(&sent, &stored);
        let fields: Vec<&str> = dropped.iter().map(|n| n.field.as_str()).collect();
        assert_eq!(fields, ["category", "u_unknown"]);
        assert_eq!(
            dropped[0].reason,
            "ServiceNow stored \"inquiry\" instead of \"bogus\""
        );
        assert!(dropped[1].reason.contains("no such column"));
    }
}
