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
use crate::primitives::text::quoted;
use crate::servicenow::cloud_resource::{CloudResource, ConfigurationItem};
use crate::servicenow::cmdb::{self, CmdbRow, Found, Lookup, TASK_CI};
use crate::servicenow::not_applied::NotApplied;
use crate::servicenow::rows::Columns;
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
    pub fn written(&self, ticket: TicketRecord, not_applied: Vec<NotApplied>) -> WrittenTicket {
        let mut configuration_item = self.primary.clone();
        let mut entries = self.not_applied.clone();
        for mut entry in not_applied {
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
        let linked =
            session.authorized(|api, token| api.table.insert::<CmdbRow>(token, &TASK_CI, &columns));
        let why = match linked {
            Ok(stored) => {
                let kept = stored.columns.get("ci_item").and_then(|v| v.as_str());
                if kept == Some(ci.sys_id.as_str()) {
                    continue;
                }
                format!(
                    "ServiceNow stored the task_ci row with ci_item {} instead",
                    quoted(kept.unwrap_or_default(), 64)
                )
            }
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
    let cloud = resource.cloud.name();
    let mut what = format!(
        "the {cloud} resource {}",
        quoted(&resource.resource_id, 128)
    );
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
    let rows = select(session, &by_id, cmdb::MATCHES)?;
    let cis = rows.iter().filter_map(CmdbRow::ci).collect();
    if let Some(found) = decided(resource, &by_id.said, cis) {
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
        tried.join(", then ")
    )))
}

/// One CI is the answer, two an ambiguity, none nothing decided yet.
fn decided(resource: &CloudResource, said: &str, cis: Vec<ConfigurationItem>) -> Option<Found> {
    let mut unique: Vec<ConfigurationItem> = Vec::new();
    for ci in cis {
        if !unique.iter().any(|u| u.sys_id == ci.sys_id) {
            unique.push(ci);
        }
    }
    match unique.as_slice() {
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
                ids.join(", ")
            )))
        }
    }
}

/// By name within the account (and region): the account CI, its datacenter for the region,
/// the CIs Hosted on it with the name. `tried` gets the steps when they found nothing.
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
    let rows = select(session, &lookup, cmdb::MATCHES)?;
    let mut hosts = unique(rows.iter().filter_map(CmdbRow::id));
    let mut steps = vec![lookup.said];
    if !hosts.is_empty() && !resource.region.is_empty() {
        let lookup = cmdb::datacenters_of(resource, &hosts);
        let rows = select(session, &lookup, cmdb::DATACENTERS)?;
        hosts = unique(rows.iter().filter_map(CmdbRow::parent));
        steps.push(lookup.said);
        if !hosts.is_empty() {
            let lookup = cmdb::datacenter_in_region(resource, &hosts);
            let rows = select(session, &lookup, cmdb::DATACENTERS)?;
            hosts = unique(rows.iter().filter_map(CmdbRow::id));
            steps.push(lookup.said);
        }
    }
    if hosts.is_empty() {
        tried.push(format!("by name: {} (none found)", steps.join(", ")));
        return Ok(None);
    }
    let lookup = cmdb::hosted_named(resource, &hosts);
    let rows = select(session, &lookup, cmdb::MATCHES)?;
    let cis = rows
        .iter()
        .filter_map(CmdbRow::parent)
        .map(|sys_id| ConfigurationItem {
            sys_id,
            name: resource.display_name.clone(),
        })
        .collect();
    steps.push(lookup.said);
    let said = format!("by name: {}", steps.join(", "));
    let found = decided(resource, &said, cis);
    if found.is_none() {
        tried.push(said);
    }
    Ok(found)
}

/// A lookup's first `limit` rows.
fn select<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    lookup: &Lookup,
    limit: u32,
) -> Result<Vec<CmdbRow>, Error> {
    session.select(lookup.table, &lookup.query, limit)
}

fn unique(ids: impl Iterator<Item = SysId>) -> Vec<SysId> {
    let mut out: Vec<SysId> = Vec::new();
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::json::{Object, Value};
    use crate::servicenow::not_applied::not_applied;
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
            not_applied(
                &sent,
                &stored(json!({"cmdb_ci": ci.sys_id.as_str(), "impact": "2"})),
            ),
        );
        assert_eq!(linked.configuration_item, Some(ci.clone()));
        assert!(linked.not_applied.is_empty());

        let dropped = links.written(
            record(),
            not_applied(&sent, &stored(json!({"cmdb_ci": "", "impact": "2"}))),
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
        let written = links.written(
            record(),
            not_applied(&sent, &stored(json!({"impact": "3"}))),
        );
        let fields: Vec<&str> = written
            .not_applied
            .iter()
            .map(|n| n.field.as_str())
            .collect();
        assert_eq!(fields, ["cmdb_ci", "impact"]);
    }
}
