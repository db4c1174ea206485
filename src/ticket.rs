//! Ticket mapping: a platform event's ticket to ServiceNow columns, and a stored record back
//! to what the platform keeps.

use serde_json::Value;

use crate::error::{Error, Result};
use crate::settings::{InstanceUrl, Priority, TicketKind, is_servicenow_name};
use crate::table_api::{Record, column};

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
    pub assignment_group: Option<String>,
    pub correlation_id: Option<String>,
    pub extra_fields: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketRecord {
    pub kind: TicketKind,
    pub table: String,
    pub sys_id: String,
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

/// An existing ticket, named by number or sys_id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketRef {
    pub kind: TicketKind,
    pub id: String,
}

/// The columns a ticket's details are read from.
pub const DETAIL_COLUMNS: &str = "sys_id,number,state,active,priority,impact,urgency,\
                                  assignment_group,short_description,correlation_id,\
                                  correlation_display";

/// A ticket as it stands in ServiceNow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketDetails {
    pub ticket: TicketRecord,
    pub state: String,
    pub state_label: String,
    pub active: bool,
    pub priority: String,
    pub impact: String,
    pub urgency: String,
    pub assignment_group: String,
    pub short_description: String,
    pub correlation_id: String,
}

impl TicketDetails {
    pub fn from_result(kind: &TicketKind, instance: &InstanceUrl, result: &Record) -> Result<Self> {
        let ticket = TicketRecord::from_result(kind, instance, result)?;
        let field = |name: &str| column(result, name).to_string();
        let state = field("state");
        Ok(Self {
            state_label: crate::state_model::label(&ticket.table, &state),
            active: field("active") != "false",
            state,
            priority: field("priority"),
            impact: field("impact"),
            urgency: field("urgency"),
            assignment_group: field("assignment_group"),
            short_description: field("short_description"),
            correlation_id: field("correlation_id"),
            ticket,
        })
    }
}

/// Changes to an existing ticket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketChanges {
    pub priority: Option<Priority>,
    pub assignment_group: Option<String>,
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
        validate_extra_fields(&self.extra_fields)
    }

    /// The columns to PATCH; `group` is a resolved `sys_user_group` sys_id.
    pub fn to_columns(&self, group: Option<&str>) -> Record {
        let mut record = Record::new();
        if let Some(priority) = self.priority {
            let (impact, urgency) = priority.impact_urgency();
            record.insert("impact".into(), impact.into());
            record.insert("urgency".into(), urgency.into());
        }
        if let Some(group) = group {
            record.insert("assignment_group".into(), group.into());
        }
        if let Some(short) = &self.short_description {
            record.insert("short_description".into(), short.trim().into());
        }
        if let Some(description) = &self.description {
            record.insert("description".into(), description.clone().into());
        }
        for (name, value) in &self.extra_fields {
            record.insert(name.clone(), value.clone().into());
        }
        record
    }
}

/// Journal fields append an entry and always read back empty (facts §3.2): never compared.
const JOURNAL_COLUMNS: &[&str] = &["work_notes", "comments"];

/// The columns that ServiceNow did not store as sent. It ignores unknown columns, invalid
/// choice values and unknown references without an error (facts §2.4), so comparing is the
/// only way to notice.
pub fn not_applied(sent: &Record, stored: &Record) -> Vec<String> {
    sent.iter()
        .filter(|(name, _)| !JOURNAL_COLUMNS.contains(&name.as_str()))
        .filter(|(name, value)| stored.get(*name).and_then(Value::as_str) != value.as_str())
        .map(|(name, _)| name.clone())
        .collect()
}

/// Whether `id` looks like a ticket number (INC0010001, CHG0030001, ...).
pub fn is_number(id: &str) -> bool {
    let digits = id.trim_start_matches(|c: char| c.is_ascii_uppercase());
    digits.len() < id.len() && !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
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
        }
        validate_extra_fields(&self.extra_fields)
    }

    /// The columns of the new record. `group` is a resolved `sys_user_group` sys_id.
    pub fn to_columns(&self, priority: Option<Priority>, group: Option<&str>) -> Record {
        let mut record = Record::new();
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
        record.insert("short_description".into(), short.into());
        record.insert("description".into(), description.into());
        if let Some(priority) = priority {
            let (impact, urgency) = priority.impact_urgency();
            record.insert("impact".into(), impact.into());
            record.insert("urgency".into(), urgency.into());
        }
        if let Some(group) = group {
            record.insert("assignment_group".into(), group.into());
        }
        if let Some(id) = &self.correlation_id {
            record.insert("correlation_id".into(), id.trim().into());
            record.insert("correlation_display".into(), CORRELATION_DISPLAY.into());
        }
        for (name, value) in &self.extra_fields {
            record.insert(name.clone(), value.clone().into());
        }
        record
    }
}

fn validate_extra_fields(fields: &[(String, String)]) -> Result<()> {
    for (name, _) in fields {
        if !is_servicenow_name(name) {
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
        if name.starts_with("sys_") || name == "number" {
            return Err(Error::invalid_ticket(format!(
                "the extra field {name:?} is a system field ServiceNow sets itself"
            )));
        }
        if MANAGED_COLUMNS.contains(&name.as_str()) {
            return Err(Error::invalid_ticket(format!(
                "the extra field {name:?} is set from the ticket itself; use the ticket's own value"
            )));
        }
    }
    let mut names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(Error::invalid_ticket(format!(
            "the extra field {:?} is given twice",
            pair[0]
        )));
    }
    Ok(())
}

impl TicketRecord {
    /// Reads the identity of a record ServiceNow answered with.
    pub fn from_result(kind: &TicketKind, instance: &InstanceUrl, result: &Record) -> Result<Self> {
        let table = kind.table();
        let sys_id = Some(column(result, "sys_id"))
            .filter(|id| is_sys_id(id))
            .ok_or_else(|| {
                Error::unexpected(format!(
                    "the new {table} record came back without a valid sys_id"
                ))
            })?;
        // Tables without a number column (custom ones) are identified by sys_id.
        let number = match column(result, "number") {
            "" => sys_id,
            number => number,
        }
        .to_string();
        Ok(Self {
            kind: kind.clone(),
            table: table.to_string(),
            link: link(instance, table, sys_id),
            sys_id: sys_id.to_string(),
            number,
        })
    }
}

/// ServiceNow's record ids: 32 lower-case hex digits.
pub fn is_sys_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Opens the record in the ServiceNow UI, inside its navigation frame.
pub fn link(instance: &InstanceUrl, table: &str, sys_id: &str) -> String {
    let target = format!("{table}.do?sys_id={sys_id}");
    let encoded: String = url::form_urlencoded::byte_serialize(target.as_bytes()).collect();
    instance.join(&format!("/nav_to.do?uri={encoded}"))
}

#[cfg(test)]
mod tests {
    use super::*;
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
        }
    }

    #[test]
    fn columns_use_impact_and_urgency_never_priority() {
        let record = ticket().to_columns(
            Some(Priority::High),
            Some("0123456789abcdef0123456789abcdef"),
        );
        assert_eq!(record["impact"], "1");
        assert_eq!(record["urgency"], "2");
        assert!(!record.contains_key("priority"));
        assert_eq!(
            record["assignment_group"],
            "0123456789abcdef0123456789abcdef"
        );
        assert_eq!(record["correlation_id"], "opp-42");
        assert_eq!(record["correlation_display"], CORRELATION_DISPLAY);
        assert_eq!(record["category"], "software");
        assert_eq!(record["short_description"], "Idle VM");
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
        let short = record["short_description"].as_str().unwrap();
        assert_eq!(short.chars().count(), 160);
        assert!(short.ends_with('…'));
        assert!(
            record["description"]
                .as_str()
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
    fn dropped_columns_are_named() {
        let sent =
            json!({"impact": "1", "category": "bogus", "u_unknown": "x", "work_notes": "hi"});
        let stored = json!({"impact": "1", "category": "inquiry", "work_notes": ""});
        let mut dropped = not_applied(sent.as_object().unwrap(), stored.as_object().unwrap());
        dropped.sort();
        assert_eq!(dropped, ["category", "u_unknown"]);
    }

    #[test]
    fn numbers_and_changes() {
        assert!(is_number("INC0010001"));
        assert!(is_number("SCTASK0010001"));
        assert!(!is_number("0010001"));
        assert!(!is_number("INC"));
        assert!(!is_number("inc0010001"));
        assert!(TicketChanges::default().validate().is_err());
        let changes = TicketChanges {
            priority: Some(Priority::Critical),
            description: Some("more".into()),
            ..Default::default()
        };
        assert!(changes.validate().is_ok());
        let columns = changes.to_columns(None);
        assert_eq!(columns["impact"], "1");
        assert_eq!(columns["urgency"], "1");
        assert_eq!(columns["description"], "more");
    }

    #[test]
    fn record_identity_and_link() {
        let instance = InstanceUrl::parse("dev1").unwrap();
        let result = json!({"sys_id": "0123456789abcdef0123456789abcdef", "number": "INC0010001"});
        let record = TicketRecord::from_result(
            &TicketKind::Incident,
            &instance,
            result.as_object().unwrap(),
        )
        .unwrap();
        assert_eq!(record.number, "INC0010001");
        assert_eq!(record.table, "incident");
        assert_eq!(
            record.link,
            "https://dev1.service-now.com/nav_to.do?uri=incident.do%3Fsys_id%3D0123456789abcdef0123456789abcdef"
        );
        let bad = json!({"sys_id": "", "number": "INC0010001"});
        assert!(
            TicketRecord::from_result(&TicketKind::Incident, &instance, bad.as_object().unwrap())
                .is_err()
        );
    }
}
