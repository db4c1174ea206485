//! Tickets as ServiceNow stores them and as the platform keeps them: a reference by number or
//! sys_id, the row read, the record and details handed back, and create's outcomes (what is
//! written is `ticket_write`'s).

use crate::primitives::prelude::*;

use crate::primitives::error::{Error, Result};
use crate::primitives::ids::{Name, SysId, TicketNumber};
use crate::servicenow::cloud_resource::ConfigurationItem;
use crate::servicenow::not_applied::NotApplied;
use crate::servicenow::rows::{Choice, choice, flag, row, sys_id, text};
use crate::servicenow::state_model;
use crate::servicenow::ticket_kind::TicketKind;
use instance_address::InstanceUrl;

/// What this integration writes to `correlation_display`, so its tickets can be told apart.
pub const CORRELATION_DISPLAY: &str = "Cloud ex Machina";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketRecord {
    pub kind: TicketKind,
    pub sys_id: SysId,
    /// The human number; the sys_id for tables without a number column.
    pub number: String,
    pub link: String,
}

/// A ticket the provider wrote, the CI it linked, and what ServiceNow did not store as sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenTicket {
    pub ticket: TicketRecord,
    pub configuration_item: Option<ConfigurationItem>,
    pub not_applied: Vec<NotApplied>,
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
    /// A ticket's columns as the provider reads them, with display values for the state's
    /// label. Only `sys_id` is required; a column that is absent reads as empty (`active` as
    /// true: tables without it count as active).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct TicketRow with display_values {
        pub sys_id: SysId = sys_id => required,
        pub number: String = text => or_default,
        pub state: Choice = choice => or_default,
        pub active: bool = flag => or(true),
        pub priority: String = text => or_default,
        pub impact: String = text => or_default,
        pub urgency: String = text => or_default,
        pub assignment_group: String = text => or_default,
        pub short_description: String = text => or_default,
        pub correlation_id: String = text => or_default,
        pub correlation_display: String = text => or_default,
        /// A reference: the CI's sys_id, and its name as the display value.
        pub cmdb_ci: Choice = choice => or_default,
    }
}

impl TicketRow {
    /// Whether the ticket needs nothing more (its table's done states, or inactive).
    pub fn is_done(&self, table: &Name) -> bool {
        state_model::is_done(table, &self.state.value, self.active)
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
    pub configuration_item: Option<ConfigurationItem>,
}

impl TicketDetails {
    pub fn from_row(kind: &TicketKind, instance: &InstanceUrl, row: &TicketRow) -> Self {
        Self {
            ticket: TicketRecord::from_row(kind, instance, row),
            state_label: state_model::label(kind.table(), &row.state),
            state: row.state.value.clone(),
            done: row.is_done(kind.table()),
            active: row.active,
            priority: row.priority.clone(),
            impact: row.impact.clone(),
            urgency: row.urgency.clone(),
            assignment_group: row.assignment_group.clone(),
            short_description: row.short_description.clone(),
            correlation_id: row.correlation_id.clone(),
            configuration_item: ConfigurationItem::from_reference(&row.cmdb_ci),
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
    use crate::primitives::ids::query_value_problem;
    use crate::primitives::json;
    use crate::servicenow::rows::Row;
    use crate::test_support::instance::dev1;
    use crate::test_support::json::parsed;
    use proptest::prelude::*;
    use serde_json::json;

    fn read_row(value: serde_json::Value) -> Result<TicketRow, json::Error> {
        TicketRow::from_json(&parsed(value))
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

    #[test]
    fn rows_read_with_display_values_read_every_column_from_its_value() {
        // sysparm_display_value=all with sysparm_exclude_reference_link=true: every column a
        // pair, a reference's display value its record's name.
        let row = read_row(json!({
            "sys_id": {"display_value": "0123456789abcdef0123456789abcdef",
                       "value": "0123456789abcdef0123456789abcdef"},
            "number": {"display_value": "INC0010001", "value": "INC0010001"},
            "state": {"display_value": "Awaiting Vendor", "value": "100"},
            "active": {"display_value": "wahr", "value": "true"},
            "priority": {"display_value": "3 - Moderate", "value": "3"},
            "assignment_group": {"display_value": "Cloud Operations",
                                 "value": "6b1f2e3d4c5b6a798897a6b5c4d3e2f1"},
            "correlation_display": {"display_value": "Cloud ex Machina",
                                    "value": "Cloud ex Machina"},
        }))
        .unwrap();
        assert_eq!(row.sys_id.as_str(), "0123456789abcdef0123456789abcdef");
        assert_eq!(
            (row.number.as_str(), row.priority.as_str()),
            ("INC0010001", "3")
        );
        assert_eq!(
            (
                row.state.value.as_str(),
                row.state.label.as_str(),
                row.active
            ),
            ("100", "Awaiting Vendor", true)
        );
        assert_eq!(row.assignment_group, "6b1f2e3d4c5b6a798897a6b5c4d3e2f1");
        let details = TicketDetails::from_row(&TicketKind::Incident, dev1(), &row);
        assert_eq!(
            (details.state_label.as_str(), details.done),
            ("Awaiting Vendor", false)
        );
        // The same ticket inactive: done, whatever the state.
        let mut inactive = row.clone();
        inactive.active = false;
        assert!(TicketDetails::from_row(&TicketKind::Incident, dev1(), &inactive).done);
        // Without display values (or an empty one) the built-in label stands in.
        let plain =
            read_row(json!({"sys_id": "0123456789abcdef0123456789abcdef", "state": "6"})).unwrap();
        assert_eq!(plain.state.label, "");
        let details = TicketDetails::from_row(&TicketKind::Incident, dev1(), &plain);
        assert_eq!(
            (details.state_label.as_str(), details.done),
            ("Resolved", true)
        );
        let german = read_row(json!({
            "sys_id": "0123456789abcdef0123456789abcdef",
            "state": {"display_value": "Gelöst", "value": "6"},
        }))
        .unwrap();
        let details = TicketDetails::from_row(&TicketKind::Incident, dev1(), &german);
        assert_eq!(
            (details.state.as_str(), details.state_label.as_str()),
            ("6", "Gelöst")
        );
        assert!(details.done);
        // A value that is not what it should be is refused as before, pair or not.
        for bad in [
            json!({"sys_id": {"display_value": "x", "value": "../sys_user"}}),
            json!({"sys_id": "0123456789abcdef0123456789abcdef",
                   "active": {"display_value": "true", "value": "maybe"}}),
            json!({"sys_id": "0123456789abcdef0123456789abcdef",
                   "state": {"display_value": 6, "value": "6"}}),
        ] {
            assert!(read_row(bad.clone()).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn ids_accepted_are_safe_in_paths_and_queries(text in ".{0,40}") {
            if let Ok(reference) = TicketRef::parse(TicketKind::Incident, &text) {
                let id = match &reference.id {
                    crate::servicenow::ticket::TicketId::SysId(id) => id.as_str().to_string(),
                    crate::servicenow::ticket::TicketId::Number(number) => number.as_str().to_string(),
                };
                prop_assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id:?}");
            }
            if let Some(number) = TicketNumber::parse(&text) {
                prop_assert!(query_value_problem(number.as_str()).is_none());
            }
            if let Some(name) = Name::parse(&text) {
                prop_assert!(name.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
            }
        }
    }
}
