//! The configuration items of a ticket's cloud resources: looked up in the CMDB when the
//! admin turned `link_configuration_items` on, in the order docs/servicenow/cmdb.md#finding-a-ci
//! gives, cached like groups; the ticket's own CI sent as `cmdb_ci` with the insert, each
//! affected resource's linked by a `task_ci` row after it. What could not be linked is
//! reported in `not-applied`, never as an error: the ticket matters more than its link.

use crate::primitives::prelude::*;

use crate::primitives::clock::Clock;
use crate::primitives::error::{Error, ErrorKind};
use crate::primitives::http::Transport;
use crate::primitives::ids::SysId;
use crate::primitives::json::Object;
use crate::primitives::text::quoted;
use crate::servicenow::cloud_resource::{CloudResource, ConfigurationItem};
use crate::servicenow::cmdb::{self, CiRow, Found, Lookup, ParentRow, TASK_CI, TaskCiRow};
use crate::servicenow::not_applied::{NotApplied, not_applied};
use crate::servicenow::rows::{Columns, Row};
use crate::servicenow::ticket::{CreateOutcome, TicketRecord, WrittenTicket};
use crate::servicenow::ticket_write::Ticket;

use crate::features::session::Session;

/// The CIs found for a ticket before it is written, and what could not be found.
#[derive(Default)]
pub struct Links {
    /// The ticket's own resource's CI, sent as `cmdb_ci`.
    primary: Option<ConfigurationItem>,
    /// The affected resources' CIs, each linked by a `task_ci` row.
    affected: Vec<ConfigurationItem>,
    not_applied: Vec<NotApplied>,
}

/// Looks up the ticket's resources when the setting is on, and sets `cmdb_ci` to the CI of
/// its own resource when there is one (unless the platform already gave `cmdb_ci`).
pub fn look_up<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    ticket: &Ticket,
    columns: &mut Columns,
) -> Links {
    let mut links = Links::default();
    if !session
        .settings()
        .is_some_and(|s| s.writes.link_configuration_items)
    {
        return links;
    }
    if let Some(resource) = &ticket.resource
        && columns.get("cmdb_ci").is_none()
    {
        match find(session, resource) {
            Ok(ci) => {
                columns.set("cmdb_ci", ci.sys_id.as_str());
                links.primary = Some(ci);
            }
            Err(reason) => links.not_applied.push(NotApplied::new("cmdb_ci", reason)),
        }
    }
    for resource in &ticket.affected_resources {
        match find(session, resource) {
            Ok(ci) if links.affected.contains(&ci) => {}
            Ok(ci) => links.affected.push(ci),
            Err(reason) => links.not_applied.push(NotApplied::new("task_ci", reason)),
        }
    }
    links
}

impl Links {
    /// The ticket as written: the CI it is linked to if ServiceNow stored it as sent, and what
    /// was not applied (the lookups' reasons first, then the columns not stored as sent).
    pub fn written(&self, ticket: TicketRecord, sent: &Columns, stored: &Object) -> WrittenTicket {
        let mut configuration_item = self.primary.clone();
        let mut entries = self.not_applied.clone();
        for mut entry in not_applied(sent, stored) {
            if let Some(ci) = self.primary.as_ref().filter(|_| entry.field == "cmdb_ci") {
                configuration_item = None;
                entry.reason = format!(
                    "the CI {} ({}) found in the CMDB is not linked: {}",
                    quoted(&ci.name, 64),
                    ci.sys_id,
                    entry.reason
                );
            }
            entries.push(entry);
        }
        WrittenTicket {
            ticket,
            configuration_item,
            not_applied: entries,
        }
    }
}

/// Links a created ticket to the affected resources' CIs, one `task_ci` row each; a link
/// not made is added to its `not-applied`.
pub fn link_affected<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    outcome: CreateOutcome,
    links: &Links,
) -> CreateOutcome {
    let CreateOutcome::Created(mut written) = outcome else {
        return outcome;
    };
    for ci in &links.affected {
        let mut columns = Columns::default();
        columns
            .set("task", written.ticket.sys_id.as_str())
            .set("ci_item", ci.sys_id.as_str());
        let linked = session
            .authorized(|api, token| api.table.insert::<TaskCiRow>(token, &TASK_CI, &columns));
        let why = match linked {
            Ok(stored) if stored.row.ci_item == ci.sys_id.as_str() => continue,
            Ok(stored) => format!(
                "ServiceNow stored the task_ci row with ci_item {} instead",
                quoted(&stored.row.ci_item, 64)
            ),
            Err(error) => error.message,
        };
        written.not_applied.push(NotApplied::new(
            "task_ci",
            format!(
                "the affected CI {} ({}) is not linked: {why}",
                quoted(&ci.name, 64),
                ci.sys_id
            ),
        ));
    }
    CreateOutcome::Created(written)
}

/// The resource's CI, from the cache while its entry lasts; found and not found are cached,
/// a failed lookup (a 403 among them) is not.
fn find<T: Transport, C: Clock>(session: &mut Session<T, C>, resource: &CloudResource) -> Found {
    let key = format!(
        "{:?}\n{}\n{}\n{}\n{}",
        resource.cloud,
        resource.account,
        resource.region,
        resource.resource_id,
        resource.display_name
    );
    let now = session.now();
    if let Some(known) = session.facts().configuration_items.get(&key, now) {
        return known.clone();
    }
    match search(session, resource) {
        Ok(found) => {
            let now = session.now();
            session
                .facts()
                .configuration_items
                .insert(key, found.clone(), now);
            found
        }
        Err(error) => Err(failed(resource, &error)),
    }
}

/// Why no CI could be looked up: the instance refused or failed.
fn failed(resource: &CloudResource, error: &Error) -> String {
    let what = described(resource);
    if error.kind == ErrorKind::Forbidden {
        format!(
            "could not look up the CI of {what}: the integration user may not read the CMDB: \
             grant a CMDB read role or itil ({})",
            error.message
        )
    } else {
        format!("could not look up the CI of {what}: {}", error.message)
    }
}

/// The resource, for the reasons an admin reads.
fn described(resource: &CloudResource) -> String {
    let mut what = format!(
        "the {:?} resource {}",
        resource.cloud,
        quoted(&resource.resource_id, 128)
    )
    .to_lowercase();
    if !resource.display_name.is_empty() {
        what.push_str(&format!(" ({})", quoted(&resource.display_name, 64)));
    }
    what
}

/// The lookups in order: by id, then by name within account and region.
fn search<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    resource: &CloudResource,
) -> Result<Found, Error> {
    let by_id = cmdb::by_id(resource);
    let rows: Vec<CiRow> = select(session, &by_id)?;
    if let Some(found) = decided(resource, &by_id.said, rows.into_iter().map(ci_of).collect()) {
        return Ok(found);
    }
    let mut tried = vec![by_id.said];
    if let Some(found) = by_name(session, resource, &mut tried)? {
        return Ok(found);
    }
    Ok(Err(format!(
        "no CI in the CMDB for {}: looked for {}. Retired CIs (install_status 7) are not \
         linked, and CIs hidden from the integration user by ACLs look absent",
        described(resource),
        join(&tried, ", then ")
    )))
}

/// One row is the CI, two an ambiguity, none nothing decided yet.
fn decided(resource: &CloudResource, said: &str, mut cis: Vec<ConfigurationItem>) -> Option<Found> {
    cis.dedup_by(|a, b| a.sys_id == b.sys_id);
    match cis.as_slice() {
        [] => None,
        [ci] => Some(Ok(ci.clone())),
        several => {
            let ids: Vec<String> = several
                .iter()
                .map(|ci| format!("{} ({})", quoted(&ci.name, 64), ci.sys_id))
                .collect();
            Some(Err(format!(
                "two CIs match {}: {} ({}); nothing is linked: give the CI's sys_id as the \
                 extra field cmdb_ci",
                described(resource),
                said,
                join(&ids, ", ")
            )))
        }
    }
}

/// By name within the account (and region): the account CI, its datacenter for the region,
/// the CIs Hosted on it with the name. `tried` gets each step that found nothing.
fn by_name<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    resource: &CloudResource,
    tried: &mut Vec<String>,
) -> Result<Option<Found>, Error> {
    if resource.display_name.is_empty() || resource.account.is_empty() {
        tried.push("not by name: that needs the resource's display name and account".into());
        return Ok(None);
    }
    let lookup = cmdb::accounts(resource);
    let mut hosts = sys_ids(
        select::<CiRow>(session, &lookup)?
            .into_iter()
            .map(|r| r.sys_id),
    );
    let mut steps = vec![lookup.said];
    if !hosts.is_empty() && !resource.region.is_empty() {
        let lookup = cmdb::datacenters_of(resource, &hosts);
        let rows: Vec<ParentRow> =
            session.select(lookup.table, &lookup.query, cmdb::DATACENTERS)?;
        hosts = sys_ids(rows.iter().filter_map(|r| SysId::parse(&r.parent)));
        steps.push(lookup.said);
        if !hosts.is_empty() {
            let lookup = cmdb::datacenter_in_region(resource, &hosts);
            let rows: Vec<CiRow> =
                session.select(lookup.table, &lookup.query, cmdb::DATACENTERS)?;
            hosts = sys_ids(rows.into_iter().map(|r| r.sys_id));
            steps.push(lookup.said);
        }
    }
    if hosts.is_empty() {
        tried.push(format!("by name: {} (none found)", join(&steps, ", ")));
        return Ok(None);
    }
    let lookup = cmdb::hosted_named(resource, &hosts);
    let rows: Vec<ParentRow> = select(session, &lookup)?;
    let cis = rows
        .iter()
        .filter_map(|r| SysId::parse(&r.parent))
        .map(|sys_id| ConfigurationItem {
            sys_id,
            name: resource.display_name.clone(),
        })
        .collect();
    steps.push(lookup.said);
    let said = format!("by name: {}", join(&steps, ", "));
    let found = decided(resource, &said, cis);
    if found.is_none() {
        tried.push(said);
    }
    Ok(found)
}

/// A lookup's first two rows.
fn select<R: Row>(
    session: &mut Session<impl Transport, impl Clock>,
    lookup: &Lookup,
) -> Result<Vec<R>, Error> {
    session.select(lookup.table, &lookup.query, cmdb::MATCHES)
}

fn ci_of(row: CiRow) -> ConfigurationItem {
    let name = if row.name.is_empty() {
        row.sys_id.as_str().to_string()
    } else {
        row.name
    };
    ConfigurationItem {
        sys_id: row.sys_id,
        name,
    }
}

fn sys_ids(ids: impl Iterator<Item = SysId>) -> Vec<SysId> {
    let mut ids: Vec<SysId> = ids.collect();
    ids.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    ids.dedup();
    ids
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::json::Value;
    use crate::servicenow::ticket_kind::TicketKind;
    use crate::test_support::json::parsed;
    use serde_json::json;

    fn record() -> TicketRecord {
        TicketRecord {
            kind: TicketKind::Incident,
            sys_id: SysId::parse(&"1".repeat(32)).unwrap(),
            number: "INC0010001".into(),
            link: String::new(),
        }
    }

    fn stored(value: serde_json::Value) -> Object {
        let Value::Object(stored) = parsed(value) else {
            panic!("an object")
        };
        stored
    }

    #[test]
    fn a_ci_the_insert_did_not_store_is_reported_once_and_not_claimed() {
        let ci = ConfigurationItem {
            sys_id: SysId::parse(&"c".repeat(32)).unwrap(),
            name: "web-01".into(),
        };
        let links = Links {
            primary: Some(ci.clone()),
            ..Links::default()
        };
        let mut sent = Columns::default();
        sent.set("cmdb_ci", ci.sys_id.as_str()).set("impact", "2");
        let linked = links.written(
            record(),
            &sent,
            &stored(json!({"cmdb_ci": ci.sys_id.as_str(), "impact": "2"})),
        );
        assert_eq!(linked.configuration_item, Some(ci.clone()));
        assert!(linked.not_applied.is_empty());

        let dropped = links.written(
            record(),
            &sent,
            &stored(json!({"cmdb_ci": "", "impact": "2"})),
        );
        assert_eq!(dropped.configuration_item, None);
        assert_eq!(dropped.not_applied.len(), 1, "{:?}", dropped.not_applied);
        let reason = &dropped.not_applied[0].reason;
        assert!(
            reason.starts_with(&format!(
                "the CI \"web-01\" ({}) found in the CMDB is not linked: ServiceNow stored an \
                 empty value",
                ci.sys_id
            )),
            "{reason}"
        );
    }

    #[test]
    fn lookups_not_made_come_first() {
        let links = Links {
            not_applied: vec![NotApplied::new("cmdb_ci", "two CIs match")],
            ..Links::default()
        };
        let mut sent = Columns::default();
        sent.set("impact", "9");
        let written = links.written(record(), &sent, &stored(json!({"impact": "3"})));
        let fields: Vec<&str> = written
            .not_applied
            .iter()
            .map(|n| n.field.as_str())
            .collect();
        assert_eq!(fields, ["cmdb_ci", "impact"]);
    }
}
