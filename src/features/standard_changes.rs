//! Change requests through the Change Management API (docs/servicenow/change-management.md):
//! standard changes from the template a ticket category names, and, with the setting
//! `change_management_api` on, normal changes. Create routes here ([`change_write`]); finding
//! an earlier ticket, settling a race and recovering a lost answer stay create's, through the
//! Table API, since the changes land in `change_request` like any other.
//!
//! A standard change takes its description (and plans) from its template and ignores the one
//! sent, so the ticket's description is written as the change's first work note instead: sent
//! with the create, and added through the Table API if the API ignored that too.

use crate::primitives::prelude::*;

use crate::primitives::clock::Clock;
use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::guide;
use crate::primitives::http::Transport;
use crate::primitives::ids::{ChangeTemplate, SysId};
use crate::servicenow::auth::Authorization;
use crate::servicenow::change_api::{self, ChangeApi, CreatedChange, TemplateRow};
use crate::servicenow::not_applied::NotApplied;
use crate::servicenow::request::Rest;
use crate::servicenow::rows::{Columns, Stored};
use crate::servicenow::ticket::TicketRow;
use crate::servicenow::ticket_kind::TicketKind;
use crate::settings::key;
use crate::settings::validated::Settings;

use crate::features::diagnosis::Outcome;
use crate::features::groups;
use crate::features::session::Session;
use crate::features::tickets;

/// How a change request is opened through the Change Management API.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeWrite {
    /// From the standard change template its event category names.
    Standard {
        category: String,
        template: ChangeTemplate,
    },
    /// A normal change (the setting `change_management_api`).
    Normal,
}

/// Whether a ticket of `kind`, routed with the category's `template`, is opened through the
/// Change Management API, and how: every category with a template; other change requests
/// when the setting is on.
pub fn change_write(
    settings: &Settings,
    category: &str,
    kind: &TicketKind,
    template: Option<&ChangeTemplate>,
) -> Option<ChangeWrite> {
    match template {
        Some(template) => Some(ChangeWrite::Standard {
            category: category.to_string(),
            template: template.clone(),
        }),
        None if settings.writes.change_management_api && *kind == TicketKind::ChangeRequest => {
            Some(ChangeWrite::Normal)
        }
        None => None,
    }
}

/// Opens the change with `columns` (as create mapped the ticket); answers it as stored, and
/// what was not applied as sent.
pub fn create<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    write: &ChangeWrite,
    columns: &Columns,
) -> Result<(Stored<TicketRow>, Vec<NotApplied>)> {
    let (category, template) = match write {
        ChangeWrite::Normal => {
            let created =
                session.authorized(|api, auth| api.changes.create_normal(auth, columns))?;
            groups::forget_group_if_refused(session, columns, &created.stored);
            let not_applied = change_api::not_applied(columns, &created);
            return Ok((created.stored, not_applied));
        }
        ChangeWrite::Standard { category, template } => (category.as_str(), template),
    };
    let (body, note) = standard_body(columns);
    let created = create_standard(session, category, template, &body)?;
    groups::forget_group_if_refused(session, &body, &created.stored);
    let mut not_applied = change_api::not_applied(&body, &created);
    if created.ignored.iter().any(|f| f == "work_notes") {
        not_applied.retain(|n| n.field != "work_notes");
        if let Some(note) = note
            && let Err(error) = add_note(session, &created.stored.row.sys_id, note)
        {
            not_applied.push(NotApplied::new(
                "description",
                format!(
                    "a standard change takes its description from its template, and the \
                     work note that was to carry it could not be added: {}",
                    error.message
                ),
            ));
        }
    }
    Ok((created.stored, not_applied))
}

/// What a create through the API sends of `columns`.
pub fn sent(write: &ChangeWrite, columns: &Columns) -> Columns {
    match write {
        ChangeWrite::Normal => columns.clone(),
        ChangeWrite::Standard { .. } => standard_body(columns).0,
    }
}

/// The body of a standard change: `columns` without the description, which the template owns
/// and the API ignores (docs/servicenow/change-management.md#standard-changes); the description
/// becomes a work note instead. Answers the body and that note.
fn standard_body(columns: &Columns) -> (Columns, Option<&str>) {
    let mut body = Columns::default();
    let mut note = None;
    for (name, value) in columns.iter() {
        match name {
            "description" if !value.trim().is_empty() => note = Some(value),
            "description" => {}
            _ => {
                body.set(name, value);
            }
        }
    }
    if let Some(note) = note {
        body.set("work_notes", note);
    }
    (body, note)
}

/// The ticket's description as a work note, through the Table API.
fn add_note<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    change: &SysId,
    note: &str,
) -> Result<()> {
    let mut columns = Columns::default();
    columns.set("work_notes", note);
    let table = TicketKind::ChangeRequest.table();
    tickets::patch(session, table, change, &columns).map(drop)
}

/// `POST …/change/standard/{id}` with the template's sys_id. A name's sys_id may be cached: when
/// the instance no longer has it (404), the name is looked up again, once.
fn create_standard<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    category: &str,
    template: &ChangeTemplate,
    body: &Columns,
) -> Result<CreatedChange> {
    let (sys_id, cached) = template_sys_id(session, category, template)?;
    let post = |session: &mut Session<T, C>, sys_id: &SysId| {
        session.authorized(|api, auth| api.changes.create_standard(auth, sys_id, body))
    };
    let created = match post(session, &sys_id) {
        Err(error) if error.kind == ErrorKind::NotFound && cached => {
            session
                .facts()
                .change_templates
                .retain_values(|id| *id != sys_id);
            match template_sys_id(session, category, template)? {
                (fresh, _) if fresh != sys_id => post(session, &fresh),
                _ => Err(error),
            }
        }
        other => other,
    };
    created.map_err(|error| match error.kind {
        // The API is there (or this would be its own error): the template is not.
        ErrorKind::NotFound if error.remedy.is_none() => template_missing(
            category,
            template,
            "ServiceNow has no active template of that sys_id",
        ),
        _ => error,
    })
}

/// The template's `std_change_record_producer` sys_id, and whether it came from the cache: a
/// sys_id as it is (the create's 404 says when it is not there), a name looked up once while
/// the entry lasts.
fn template_sys_id<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    category: &str,
    template: &ChangeTemplate,
) -> Result<(SysId, bool)> {
    let name = match template {
        ChangeTemplate::SysId(sys_id) => return Ok((sys_id.clone(), false)),
        ChangeTemplate::Name(name) => name,
    };
    let now = session.now();
    if let Some(sys_id) = session.facts().change_templates.get(name, now) {
        return Ok((sys_id.clone(), true));
    }
    let rows = session.authorized(|api, auth| api.changes.templates(auth, template))?;
    let sys_id = the_one(category, template, &rows)?;
    let now = session.now();
    session
        .facts()
        .change_templates
        .insert(name.clone(), sys_id.clone(), now);
    Ok((sys_id, false))
}

/// The one active template of the look-up, or why there is not exactly one.
fn the_one(category: &str, template: &ChangeTemplate, rows: &[TemplateRow]) -> Result<SysId> {
    match rows {
        [one] => Ok(one.sys_id.clone()),
        [] => Err(template_missing(
            category,
            template,
            "ServiceNow has no active standard change template of that name",
        )),
        [first, second, ..] => Err(Error::invalid_settings(format!(
            "two standard change templates are named {template} ({}, {}): name the one the \
             event category {category:?} means by its sys_id",
            first.sys_id, second.sys_id
        ))
        .with_remedy(guide::CHANGE_TEMPLATE)
        .with_field(key::TICKET_CATEGORIES)),
    }
}

fn template_missing(category: &str, template: &ChangeTemplate, why: &str) -> Error {
    let what = match template {
        ChangeTemplate::SysId(_) => "with the sys_id",
        ChangeTemplate::Name(_) => "named",
    };
    Error::new(
        ErrorKind::NotFound,
        format!(
            "no active standard change template {what} {template}, which the event category \
             {category:?} names: {why}"
        ),
    )
    .with_remedy(guide::CHANGE_TEMPLATE)
    .with_field(key::TICKET_CATEGORIES)
}

/// Test Connection's question: when a category names a template or the setting is on, is the
/// API there for the integration user, and is every template named there, exactly once? One
/// look-up a template (a failure names each category and template at fault); with no template,
/// one listing. Creating a change needs more roles than listing (itil or change_manager): that
/// shows only on the first create.
pub fn check<T: Transport, C: Clock>(
    session: &Session<T, C>,
    settings: &Settings,
    auth: &Authorization,
) -> Outcome {
    let templated: Vec<(&str, &ChangeTemplate)> = settings
        .ticket_categories
        .iter()
        .filter(|c| c.enabled)
        .filter_map(|c| Some((c.event_category.as_str(), c.template.as_ref()?)))
        .collect();
    if templated.is_empty() && !settings.writes.change_management_api {
        return Outcome::Skipped(
            "no ticket category names a standard change template, and the Change Management \
             API setting is off"
                .into(),
        );
    }
    let transport = session.retrying();
    let api = ChangeApi(Rest {
        transport: &transport,
        instance: &settings.instance,
    });
    if templated.is_empty() {
        return match api.reachable(auth) {
            Ok(()) => Outcome::Passed(
                "the Change Management API lists standard change templates; normal changes go \
                 through it"
                    .into(),
            ),
            Err(error) => Outcome::Failed(error),
        };
    }
    let mut found = Vec::new();
    let mut missing: Vec<Error> = Vec::new();
    for (category, template) in templated {
        match api.templates(auth, template) {
            Ok(rows) => match the_one(category, template, &rows) {
                Ok(sys_id) => found.push(format!("{template} ({sys_id})")),
                Err(error) => missing.push(error),
            },
            // The API itself refused: every template would say the same.
            Err(error) => return Outcome::Failed(error),
        }
    }
    match missing.first() {
        None => Outcome::Passed(format!(
            "the Change Management API has the standard change templates {}",
            found.join(", ")
        )),
        Some(first) => {
            let messages: Vec<&str> = missing.iter().map(|e| e.message.as_str()).collect();
            let mut error = Error::new(first.kind, messages.join("; "));
            error.remedy = first.remedy;
            error.field = first.field;
            Outcome::Failed(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_standard_changes_description_becomes_a_work_note() {
        let mut columns = Columns::default();
        columns
            .set("short_description", "Restart i-0abc")
            .set("description", "idle for 14 days");
        let (body, note) = standard_body(&columns);
        assert_eq!(note, Some("idle for 14 days"));
        let sent: Vec<(&str, &str)> = body.iter().collect();
        assert_eq!(
            sent,
            [
                ("short_description", "Restart i-0abc"),
                ("work_notes", "idle for 14 days")
            ]
        );
        columns.set("description", "  ");
        let (body, note) = standard_body(&columns);
        assert_eq!((body.get("work_notes"), note), (None, None));
    }
}
