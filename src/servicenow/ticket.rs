//! Ticket mapping: a platform event's ticket to ServiceNow columns, and a stored record back
//! to what the platform keeps.

use crate::primitives::prelude::*;

use crate::primitives::error::{Error, Result};
use crate::primitives::ids::{
    AssignmentGroup, Name, SysId, TicketNumber, is_name, query_value_problem,
};
use crate::primitives::json::{Object, Value};
use crate::primitives::sorted_map::SortedMap;
use crate::servicenow::rows::{Columns, JOURNAL_COLUMNS, flag, row, sys_id, text};
use crate::servicenow::state_model;
use crate::servicenow::ticket_kind::{Priority, TicketKind};
use instance_address::InstanceUrl;

/// `task.short_description` holds 160 characters; ServiceNow truncates silently beyond that.
const SHORT_DESCRIPTION_MAX: usize = 160;
/// `task.correlation_id` holds 100 characters; a truncated id would no longer match.
const CORRELATION_ID_MAX: usize = 100;
/// What this integration writes to `correlation_display`, so its tickets can be told apart.
pub const CORRELATION_DISPLAY: &str = "Cloud ex Machina";

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
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketRecord {
    pub kind: TicketKind,
    pub sys_id: SysId,
    /// The human number; the sys_id for tables without a number column.
    pub number: String,
    pub link: String,
}

/// A ticket the provider wrote, and the columns ServiceNow did not store as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenTicket {
    pub ticket: TicketRecord,
    pub not_applied: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreateOutcome {
    Created(WrittenTicket),
    Existing(TicketRecord),
    Reopened(TicketRecord),
    Skipped(String),
}

/// How the platform names an existing ticket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TicketId {
    SysId(SysId),
    Number(TicketNumber),
}

/// An existing ticket, named by number or sys_id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketRef {
    pub kind: TicketKind,
    pub id: TicketId,
}

impl TicketRef {
    pub fn parse(kind: TicketKind, id: &str) -> Result<Self> {
        let id = id.trim();
        let id = match (SysId::parse(id), TicketNumber::parse(id)) {
            (Some(sys_id), _) => TicketId::SysId(sys_id),
            (None, Some(number)) => TicketId::Number(number),
            (None, None) => {
                return Err(Error::invalid_ticket(format!(
                    "{id:?} is neither a ticket number such as INC0010001 nor a 32-hex sys_id"
                )));
            }
        };
        Ok(Self { kind, id })
    }
}

row! {
    /// A ticket's columns as the provider reads them. Only `sys_id` is required; a column that is
    /// absent reads as empty (`active` as true: tables without it count as active).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct TicketRow {
        pub sys_id: SysId = sys_id => required,
        pub number: String = text => or_default,
        pub state: String = text => or_default,
        pub active: bool = flag => or(true),
        pub priority: String = text => or_default,
        pub impact: String = text => or_default,
        pub urgency: String = text => or_default,
        pub assignment_group: String = text => or_default,
        pub short_description: String = text => or_default,
        pub correlation_id: String = text => or_default,
        pub correlation_display: String = text => or_default,
    }
}

impl TicketRow {
    /// Whether the ticket needs nothing more (its table's done states, or inactive).
    pub fn is_done(&self, table: &Name) -> bool {
        state_model::is_done(table, &self.state, self.active)
    }

    /// Whether this integration opened it for the event with this correlation id.
    pub fn is_ours_for(&self, correlation_id: &str) -> bool {
        self.correlation_id == correlation_id && self.correlation_display == CORRELATION_DISPLAY
    }
}

/// A ticket as it stands in ServiceNow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketDetails {
    pub ticket: TicketRecord,
    pub state: String,
    pub state_label: String,
    /// Resolved, closed or cancelled: the support team is done with it.
    pub done: bool,
    pub active: bool,
    pub priority: String,
    pub impact: String,
    pub urgency: String,
    pub assignment_group: String,
    pub short_description: String,
    pub correlation_id: String,
}

impl TicketDetails {
    pub fn from_row(kind: &TicketKind, instance: &InstanceUrl, row: &TicketRow) -> Self {
        Self {
            ticket: TicketRecord::from_row(kind, instance, row),
            state_label: state_model::label(kind.table(), &row.state),
            state: row.state.clone(),
            done: state_model::is_done(kind.table(), &row.state, row.active),
            active: row.active,
            priority: row.priority.clone(),
            impact: row.impact.clone(),
            urgency: row.urgency.clone(),
            assignment_group: row.assignment_group.clone(),
            short_description: row.short_description.clone(),
            correlation_id: row.correlation_id.clone(),
        }
    }

    /// The columns shown beside the status, by name: ServiceNow's priority, the impact and
    /// urgency it is derived from, and whether the record is active.
    pub fn shown_fields(&self) -> [(&'static str, String); 4] {
        [
            ("priority", self.priority.clone()),
            ("impact", self.impact.clone()),
            ("urgency", self.urgency.clone()),
            ("active", self.active.to_string()),
        ]
    }
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

/// The columns that ServiceNow did not store as sent. It ignores unknown columns, invalid
/// choice values and unknown references without an error (facts §2.4), so comparing is the
/// only way to notice.
pub fn not_applied(sent: &Columns, stored: &Object) -> Vec<String> {
    // A loop, not filter/map/collect: less code.
    let mut not_applied = Vec::new();
    for (name, value) in sent.iter() {
        // Journal columns always read back empty: never compared.
        if !JOURNAL_COLUMNS.contains(&name)
            && stored.get(name).and_then(Value::as_str) != Some(value)
        {
            not_applied.push(name.to_string());
        }
    }
    not_applied
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

impl TicketRecord {
    /// The identity of a record ServiceNow answered with.
    pub fn from_row(kind: &TicketKind, instance: &InstanceUrl, row: &TicketRow) -> Self {
        Self::identify(kind, instance, &row.sys_id, &row.number)
    }

    /// A record by its sys_id and number as read from any of its table's columns.
    pub fn identify(
        kind: &TicketKind,
        instance: &InstanceUrl,
        sys_id: &SysId,
        number: &str,
    ) -> Self {
        // Tables without a number column (custom ones) are identified by sys_id.
        let number = match number {
            "" => sys_id.as_str().to_string(),
            number => number.to_string(),
        };
        Self {
            kind: kind.clone(),
            link: link(instance, kind.table(), sys_id),
            sys_id: sys_id.clone(),
            number,
        }
    }
}

/// Opens the record in the ServiceNow UI, inside its navigation frame.
pub fn link(instance: &InstanceUrl, table: &Name, sys_id: &SysId) -> String {
    let target = format!("{table}.do?sys_id={sys_id}");
    let encoded: String = form_urlencoded::byte_serialize(target.as_bytes()).collect();
    instance.join(&format!("/nav_to.do?uri={encoded}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::json;
    use crate::servicenow::rows::Row;
    use crate::test_support::instance::dev1;
    use serde_json::json;

    /// A value written with `json!`, as the component reads it.
    fn parsed(value: serde_json::Value) -> Value {
        json::parse(value.to_string().as_bytes()).unwrap()
    }

    fn read_row(value: serde_json::Value) -> Result<TicketRow, json::Error> {
        TicketRow::from_json(&parsed(value))
    }

    fn ticket() -> Ticket {
        Ticket {
            event_category: "cost".into(),
            title: "Idle VM".into(),
            description: "vm-1 idle for 30 days".into(),
            priority: None,
            assignment_group: None,
            correlation_id: Some("opp-42".into()),
            extra_fields: vec![("category".into(), "software".into())],
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
        // The default dl_u_priority matrix (facts §3.2).
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
        assert_eq!(dropped, ["category", "u_unknown"]);
    }

    #[test]
    fn numbers_and_changes() {
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

    #[test]
    fn record_identity_and_link() {
        let instance = dev1();
        let row =
            read_row(json!({"sys_id": "0123456789abcdef0123456789abcdef", "number": "INC0010001"}))
                .unwrap();
        assert!(row.active, "a row without the column counts as active");
        let record = TicketRecord::from_row(&TicketKind::Incident, instance, &row);
        assert_eq!(record.number, "INC0010001");
        assert_eq!(
            record.link,
            "https://dev1.service-now.com/nav_to.do?uri=incident.do%3Fsys_id%3D0123456789abcdef0123456789abcdef"
        );
        let custom = TicketKind::Table(Name::known("u_cost_finding"));
        let unnumbered = read_row(json!({"sys_id": "0123456789abcdef0123456789abcdef"})).unwrap();
        assert_eq!(
            TicketRecord::from_row(&custom, instance, &unnumbered).number,
            "0123456789abcdef0123456789abcdef"
        );
    }

    #[test]
    fn rows_parse_servicenow_strings_and_refuse_the_rest() {
        let row = read_row(json!({
            "sys_id": "0123456789abcdef0123456789abcdef",
            "active": "false",
            "state": "7",
            "assignment_group": null,
        }))
        .unwrap();
        assert!(!row.active);
        assert_eq!(row.assignment_group, "");
        assert!(row.is_done(&Name::known("u_cost_finding")));
        for (bad, says) in [
            (json!({"sys_id": ""}), "32 lower-case hex"),
            (json!({"number": "INC1"}), "missing field `sys_id`"),
            (
                json!({"sys_id": "0123456789abcdef0123456789abcdef", "active": "maybe"}),
                "\"true\" or \"false\"",
            ),
            (
                json!({"sys_id": "0123456789abcdef0123456789abcdef", "state": ["6"]}),
                "invalid type: sequence",
            ),
        ] {
            let err = TicketRow::from_json(&parsed(bad)).unwrap_err();
            assert!(err.to_string().contains(says), "{err} / {says}");
        }
    }
}
