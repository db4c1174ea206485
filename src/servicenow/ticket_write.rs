//! What create and update write to a ticket: the platform's ticket and changes, checked for
//! what ServiceNow would silently mangle, mapped to columns; and which columns did not stick.

use crate::primitives::prelude::*;

use crate::primitives::error::{Error, Result};
use crate::primitives::ids::{AssignmentGroup, SysId, is_name, query_value_problem};
use crate::primitives::sorted_map::SortedMap;
use crate::servicenow::cloud_resource::CloudResource;
use crate::servicenow::rows::Columns;
use crate::servicenow::ticket::CORRELATION_DISPLAY;
use crate::servicenow::ticket_kind::Priority;

/// `task.short_description` holds 160 characters; ServiceNow truncates silently beyond that.
const SHORT_DESCRIPTION_MAX: usize = 160;
/// `task.correlation_id` holds 100 characters; a truncated id would no longer match.
const CORRELATION_ID_MAX: usize = 100;

/// Columns the provider writes itself; an extra field may not override them.
const MANAGED_COLUMNS: &[&str] = &[
    "short_description",
    "description",
    "impact",
    "urgency",
    "assignment_group",
    "correlation_id",
    "correlation_display",
];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    pub event_category: String,
    pub title: String,
    pub description: String,
    pub priority: Option<Priority>,
    pub assignment_group: Option<AssignmentGroup>,
    pub correlation_id: Option<String>,
    pub extra_fields: Vec<(String, String)>,
    /// The resource the event is about, checked where it entered.
    pub resource: Option<CloudResource>,
    pub affected_resources: Vec<CloudResource>,
}

/// Changes to an existing ticket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketChanges {
    pub priority: Option<Priority>,
    pub assignment_group: Option<AssignmentGroup>,
    pub short_description: Option<String>,
    pub description: Option<String>,
    pub extra_fields: Vec<(String, String)>,
}

impl TicketChanges {
    pub fn validate(&self) -> Result<()> {
        let nothing = self.priority.is_none()
            && self.assignment_group.is_none()
            && self.short_description.is_none()
            && self.description.is_none()
            && self.extra_fields.is_empty();
        if nothing {
            return Err(Error::invalid_ticket("the update changes nothing"));
        }
        if self
            .short_description
            .as_deref()
            .is_some_and(|s| s.trim().is_empty())
        {
            return Err(Error::invalid_ticket("the new short description is empty"));
        }
        check_group(self.assignment_group.as_ref(), "new")?;
        validate_extra_fields(&self.extra_fields)
    }

    /// The columns to PATCH; `group` is the resolved `sys_user_group`.
    pub fn to_columns(&self, group: Option<&SysId>) -> Columns {
        let mut columns = Columns::default();
        if let Some(priority) = self.priority {
            let (impact, urgency) = priority.impact_urgency();
            columns.set("impact", impact).set("urgency", urgency);
        }
        if let Some(group) = group {
            columns.set("assignment_group", group.as_str());
        }
        if let Some(short) = &self.short_description {
            columns.set("short_description", short.trim());
        }
        if let Some(description) = &self.description {
            columns.set("description", description.as_str());
        }
        for (name, value) in &self.extra_fields {
            columns.set(name, value.as_str());
        }
        columns
    }
}

impl Ticket {
    /// Rejects what ServiceNow would silently mangle or what the provider cannot send.
    pub fn validate(&self) -> Result<()> {
        if self.title.trim().is_empty() {
            return Err(Error::invalid_ticket("the ticket title is empty"));
        }
        if let Some(id) = &self.correlation_id {
            if id.trim().is_empty() {
                return Err(Error::invalid_ticket("the correlation id is empty"));
            }
            if id.chars().count() > CORRELATION_ID_MAX {
                return Err(Error::invalid_ticket(format!(
                    "the correlation id is longer than ServiceNow's {CORRELATION_ID_MAX} characters"
                )));
            }
            check_correlation_id(id)?;
        }
        check_group(self.assignment_group.as_ref(), "ticket's")?;
        validate_extra_fields(&self.extra_fields)
    }

    /// The columns of the new record. `group` is the resolved `sys_user_group`.
    pub fn to_columns(&self, priority: Option<Priority>, group: Option<&SysId>) -> Columns {
        let mut columns = Columns::default();
        let title = self.title.trim();
        let (short, description) = if title.chars().count() > SHORT_DESCRIPTION_MAX {
            // Keep the whole title where ServiceNow will not cut it.
            let cut: String = title.chars().take(SHORT_DESCRIPTION_MAX - 1).collect();
            (
                format!("{cut}…"),
                format!("{title}\n\n{}", self.description),
            )
        } else {
            (title.to_string(), self.description.clone())
        };
        columns
            .set("short_description", short)
            .set("description", description);
        if let Some(priority) = priority {
            let (impact, urgency) = priority.impact_urgency();
            columns.set("impact", impact).set("urgency", urgency);
        }
        if let Some(group) = group {
            columns.set("assignment_group", group.as_str());
        }
        // Every ticket the integration opens says so, with a correlation id or not: it is
        // how changes-since tells this integration's tickets apart.
        columns.set("correlation_display", CORRELATION_DISPLAY);
        if let Some(id) = &self.correlation_id {
            columns.set("correlation_id", id.trim());
        }
        for (name, value) in &self.extra_fields {
            columns.set(name, value.as_str());
        }
        columns
    }
}

/// A correlation id goes into an encoded query: it may not widen it.
pub fn check_correlation_id(id: &str) -> Result<()> {
    match query_value_problem(id) {
        Some(problem) => Err(Error::invalid_ticket(format!(
            "the correlation id {problem}"
        ))),
        None => Ok(()),
    }
}

fn check_group(group: Option<&AssignmentGroup>, whose: &str) -> Result<()> {
    match group.and_then(AssignmentGroup::problem) {
        Some(problem) => Err(Error::invalid_ticket(format!(
            "the {whose} assignment group {problem}"
        ))),
        None => Ok(()),
    }
}

fn validate_extra_fields(fields: &[(String, String)]) -> Result<()> {
    for (name, _) in fields {
        if !is_name(name) {
            return Err(Error::invalid_ticket(format!(
                "the extra field {name:?} is not a ServiceNow column name"
            )));
        }
        if name == "priority" {
            return Err(Error::invalid_ticket(
                "priority cannot be an extra field: ServiceNow derives it from impact and \
                 urgency; give the ticket's priority instead",
            ));
        }
        if name.starts_with("sys_") || name == "number" || name == "active" {
            return Err(Error::invalid_ticket(format!(
                "the extra field {name:?} is a system field ServiceNow sets itself"
            )));
        }
        if name == "state" {
            return Err(Error::invalid_ticket(
                "state cannot be an extra field: resolve the ticket instead, which sends the \
                 close code and notes ServiceNow requires with it",
            ));
        }
        if MANAGED_COLUMNS.contains(&name.as_str()) {
            return Err(Error::invalid_ticket(format!(
                "the extra field {name:?} is set from the ticket itself; use the ticket's own value"
            )));
        }
    }
    // Of the names given twice, the first in sorted order is named.
    let mut names = SortedMap::default();
    let mut twice: Option<&str> = None;
    for (name, _) in fields {
        if !names.insert(name.as_str(), ()) && twice.is_none_or(|first| name.as_str() < first) {
            twice = Some(name);
        }
    }
    match twice {
        Some(name) => Err(Error::invalid_ticket(format!(
            "the extra field {name:?} is given twice"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::json::parsed;
    use serde_json::json;

    fn ticket() -> Ticket {
        Ticket {
            event_category: "cost".into(),
            title: "Idle VM".into(),
            description: "vm-1 idle for 30 days".into(),
            priority: None,
            assignment_group: None,
            correlation_id: Some("opp-42".into()),
            extra_fields: vec![("category".into(), "software".into())],
            resource: None,
            affected_resources: vec![],
        }
    }

    #[test]
    fn columns_use_impact_and_urgency_never_priority() {
        let record = ticket().to_columns(
            Some(Priority::High),
            SysId::parse("0123456789abcdef0123456789abcdef").as_ref(),
        );
        assert_eq!(record.get("impact").unwrap(), "1");
        assert_eq!(record.get("urgency").unwrap(), "2");
        assert_eq!(record.get("priority"), None);
        assert_eq!(
            record.get("assignment_group").unwrap(),
            "0123456789abcdef0123456789abcdef"
        );
        assert_eq!(record.get("correlation_id").unwrap(), "opp-42");
        assert_eq!(
            record.get("correlation_display").unwrap(),
            CORRELATION_DISPLAY
        );
        assert_eq!(record.get("category").unwrap(), "software");
        assert_eq!(record.get("short_description").unwrap(), "Idle VM");
    }

    #[test]
    fn every_ticket_says_it_is_this_integrations() {
        let mut t = ticket();
        t.correlation_id = None;
        let record = t.to_columns(None, None);
        assert_eq!(
            record.get("correlation_display").unwrap(),
            CORRELATION_DISPLAY
        );
        assert_eq!(record.get("correlation_id"), None);
    }

    #[test]
    fn every_priority_maps_through_the_default_matrix() {
        // The default dl_u_priority matrix (docs/servicenow/records.md#incident).
        let matrix = |i: &str, u: &str| match (i, u) {
            ("1", "1") => 1,
            ("1", "2") | ("2", "1") => 2,
            ("1", "3") | ("2", "2") | ("3", "1") => 3,
            ("2", "3") | ("3", "2") => 4,
            _ => 5,
        };
        let all = [
            Priority::Critical,
            Priority::High,
            Priority::Moderate,
            Priority::Low,
            Priority::Planning,
        ];
        for (expected, priority) in (1..).zip(all) {
            let (i, u) = priority.impact_urgency();
            assert_eq!(matrix(i, u), expected, "{priority:?}");
        }
    }

    #[test]
    fn long_titles_are_cut_but_kept_in_the_description() {
        let mut t = ticket();
        t.title = "x".repeat(200);
        let record = t.to_columns(None, None);
        let short = record.get("short_description").unwrap();
        assert_eq!(short.chars().count(), 160);
        assert!(short.ends_with('…'));
        assert!(
            record
                .get("description")
                .unwrap()
                .starts_with(&"x".repeat(200))
        );
    }

    #[test]
    fn bad_tickets_are_rejected() {
        type Breakage = (fn(&mut Ticket), &'static str);
        let cases: [Breakage; 8] = [
            (|t| t.title = "  ".into(), "title is empty"),
            (
                |t| t.correlation_id = Some("".into()),
                "correlation id is empty",
            ),
            (|t| t.correlation_id = Some("c".repeat(101)), "longer than"),
            (
                |t| t.extra_fields = vec![("Bad Name".into(), "x".into())],
                "not a ServiceNow column",
            ),
            (
                |t| t.extra_fields = vec![("priority".into(), "1".into())],
                "impact and urgency",
            ),
            (
                |t| t.extra_fields = vec![("sys_id".into(), "1".into())],
                "system field",
            ),
            (
                |t| t.extra_fields = vec![("impact".into(), "1".into())],
                "set from the ticket",
            ),
            (
                |t| {
                    t.extra_fields = vec![
                        ("category".into(), "a".into()),
                        ("category".into(), "b".into()),
                    ]
                },
                "given twice",
            ),
        ];
        for (break_it, expected) in cases {
            let mut t = ticket();
            break_it(&mut t);
            let err = t.validate().unwrap_err();
            assert!(
                err.message.contains(expected),
                "{} / {expected}",
                err.message
            );
        }
        assert!(ticket().validate().is_ok());
    }

    #[test]
    fn of_several_repeated_fields_the_first_in_sorted_order_is_named() {
        let mut t = ticket();
        t.extra_fields = ["u_b", "u_c", "u_a", "u_c", "u_b", "u_a"]
            .iter()
            .map(|name| (name.to_string(), "x".to_string()))
            .collect();
        assert_eq!(
            t.validate().unwrap_err().message,
            "the extra field \"u_a\" is given twice"
        );
    }

    #[test]
    fn changes_validate_and_map_to_columns() {
        assert!(TicketChanges::default().validate().is_err());
        let changes = TicketChanges {
            priority: Some(Priority::Critical),
            description: Some("more".into()),
            ..Default::default()
        };
        assert!(changes.validate().is_ok());
        let columns = changes.to_columns(None);
        assert_eq!(columns.get("impact").unwrap(), "1");
        assert_eq!(columns.get("urgency").unwrap(), "1");
        assert_eq!(columns.get("description").unwrap(), "more");
    }
}
