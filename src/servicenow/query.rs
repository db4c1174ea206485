//! The Table API's encoded queries (`sysparm_query`).

use crate::primitives::prelude::*;

use core::fmt::Write as _;

use crate::primitives::error::{Error, Result};
use crate::primitives::ids::{TicketNumber, is_name, query_value_problem};

/// An encoded query (`sysparm_query`), built term by term so that every id is a validated one and
/// every value is checked where it goes in. Values are refused, not escaped: a `^` would end the
/// term and start another (`^OR`, `^NQ` widen a query to other records), a value starting with
/// `javascript:` runs on the instance (docs/servicenow/table-api.md#encoded-queries), and
/// ServiceNow documents `^^` for a literal `^` but not that its REST parser honours it. A query
/// holding such a value is never sent ([`Query::checked`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    conditions: String,
    /// `ORDERBY` terms, kept apart so they end the query whatever the order of the calls.
    order: String,
    /// Why the query may not be sent: the first value that may not stand in it.
    refused: Option<String>,
}

impl Query {
    /// `column=value`.
    pub fn eq(self, column: &str, value: &str) -> Self {
        self.term(column, "=", value)
    }

    /// `column!=value`.
    pub fn ne(self, column: &str, value: &str) -> Self {
        self.term(column, "!=", value)
    }

    /// `^ORcolumn=value`: the condition before it, or this one (`^OR` binds tighter than `^`,
    /// docs/servicenow/cmdb.md#finding-a-ci). Refused as the first condition.
    pub fn or_eq(mut self, column: &str, value: &str) -> Self {
        if self.conditions.is_empty() {
            self.refuse(format!("{column} is ORed with no condition before it"));
        }
        self.term_joined("^OR", column, "=", value)
    }

    /// `column=number`, for a validated ticket number.
    pub fn number(self, number: &TicketNumber) -> Self {
        self.term("number", "=", number.as_str())
    }

    /// `column LIKE value`: contains.
    pub fn like(self, column: &str, value: &str) -> Self {
        self.term(column, "LIKE", value)
    }

    /// `column>value`: after, for times (`YYYY-MM-DD HH:MM:SS` compares as it reads) and
    /// sys_ids.
    pub fn after(self, column: &str, value: &str) -> Self {
        self.term(column, ">", value)
    }

    /// `column>=value`.
    pub fn at_or_after(self, column: &str, value: &str) -> Self {
        self.term(column, ">=", value)
    }

    /// `columnINa,b,c`: any of the values. A value may not hold the comma that separates
    /// them, and an empty list is refused (ServiceNow would drop the term and match all).
    pub fn one_of(mut self, column: &str, values: &[&str]) -> Self {
        if values.is_empty() {
            self.refuse(format!("the list of values for {column} is empty"));
        }
        if let Some(value) = values.iter().find(|v| v.contains(',')) {
            self.refuse(format!(
                "the value {value:?} for {column} contains a comma, which separates the \
                 values of a list"
            ));
        }
        self.term(column, "IN", &values.join(","))
    }

    /// `this^NQother`: the records either query matches (a new query, ORed). Each side
    /// carries all of its own conditions: `^NQ` starts again from nothing.
    pub fn or_else(mut self, other: Query) -> Self {
        if let Some(why) = other.refused {
            self.refuse(why);
        }
        if !other.conditions.is_empty() {
            if !self.conditions.is_empty() {
                self.conditions.push_str("^NQ");
            }
            self.conditions.push_str(&other.conditions);
        }
        self.order.push_str(&other.order);
        self
    }

    pub fn order_by(self, column: &str) -> Self {
        self.ordered("ORDERBY", column)
    }

    pub fn order_by_desc(self, column: &str) -> Self {
        self.ordered("ORDERBYDESC", column)
    }

    /// The encoded query, or why it may not be sent.
    pub fn checked(&self) -> Result<String> {
        match &self.refused {
            Some(why) => Err(Error::invalid_ticket(format!(
                "not sent to ServiceNow: {why}"
            ))),
            None => Ok(self.encoded()),
        }
    }

    /// The encoded query as it would be sent, checked or not.
    pub fn encoded(&self) -> String {
        let mut encoded = self.conditions.clone();
        if !encoded.is_empty() && !self.order.is_empty() {
            encoded.push('^');
        }
        encoded.push_str(self.order.strip_prefix('^').unwrap_or(&self.order));
        encoded
    }

    fn term(self, column: &str, operator: &str, value: &str) -> Self {
        self.term_joined("^", column, operator, value)
    }

    fn term_joined(mut self, joint: &str, column: &str, operator: &str, value: &str) -> Self {
        self.check_column(column);
        if let Some(problem) = query_value_problem(value) {
            self.refuse(format!("the value for {column} {problem}"));
        }
        if !self.conditions.is_empty() {
            self.conditions.push_str(joint);
        }
        let _ = write!(self.conditions, "{column}{operator}{value}");
        self
    }

    fn ordered(mut self, keyword: &str, column: &str) -> Self {
        self.check_column(column);
        let _ = write!(self.order, "^{keyword}{column}");
        self
    }

    /// A column, or a dot-walked one (`parent.name`: the column of the record a reference
    /// points at).
    fn check_column(&mut self, column: &str) {
        if !column.split('.').all(is_name) {
            self.refuse(format!("{column:?} is not a ServiceNow column name"));
        }
    }

    fn refuse(&mut self, why: String) {
        self.refused.get_or_insert(why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::ids::query_value_problem;
    use proptest::prelude::*;

    /// The keyset query of docs/servicenow/polling.md, built from parts: each `^NQ` side carries
    /// all of its conditions, and the ordering ends the query.
    #[test]
    fn keyset_queries_are_built_term_by_term() {
        let ours = || Query::default().eq("correlation_display", "Cloud ex Machina");
        let query = ours()
            .eq("sys_updated_on", "2026-01-02 03:04:05")
            .after("sys_id", &"a".repeat(32))
            .order_by("sys_updated_on")
            .or_else(ours().after("sys_updated_on", "2026-01-02 03:04:05"))
            .order_by("sys_id");
        assert_eq!(
            query.checked().unwrap(),
            format!(
                "correlation_display=Cloud ex Machina^sys_updated_on=2026-01-02 03:04:05\
                 ^sys_id>{}^NQcorrelation_display=Cloud ex Machina\
                 ^sys_updated_on>2026-01-02 03:04:05^ORDERBYsys_updated_on^ORDERBYsys_id",
                "a".repeat(32)
            )
        );
        assert_eq!(
            Query::default()
                .one_of("element", &["comments", "work_notes"])
                .at_or_after("sys_created_on", "2026-01-02 03:04:05")
                .checked()
                .unwrap(),
            "elementINcomments,work_notes^sys_created_on>=2026-01-02 03:04:05"
        );
        assert_eq!(
            Query::default().order_by("sys_id").checked().unwrap(),
            "ORDERBYsys_id"
        );
    }

    #[test]
    fn ored_and_negated_terms() {
        let query = Query::default()
            .eq("object_id", "i-1")
            .or_eq("vm_inst_id", "i-1")
            .ne("install_status", "7");
        assert_eq!(
            query.checked().unwrap(),
            "object_id=i-1^ORvm_inst_id=i-1^install_status!=7"
        );
        assert!(Query::default().or_eq("name", "x").checked().is_err());
        assert!(
            Query::default()
                .eq("name", "x")
                .or_eq("object_id", "a^NQname=y")
                .checked()
                .is_err()
        );
    }

    proptest! {
        #[test]
        fn an_accepted_query_value_adds_exactly_one_condition(value in ".{0,40}") {
            let query = Query::default().eq("correlation_id", &value).eq("correlation_display", "x");
            match query.checked() {
                Ok(encoded) => {
                    prop_assert!(query_value_problem(&value).is_none());
                    prop_assert_eq!(encoded.matches('^').count(), 1);
                }
                Err(_) => prop_assert!(query_value_problem(&value).is_some()),
            }
        }
    }
}
