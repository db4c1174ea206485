//! After create: read, update, comment on and resolve a ticket.

use crate::primitives::prelude::*;

use crate::features::facts::CloseCode;
use crate::primitives::clock::Clock;
use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::http::Transport;
use crate::primitives::ids::Name;
use crate::servicenow::not_applied::{NotApplied, not_applied};
use crate::servicenow::query::Query;
use crate::servicenow::rows::{Columns, row, text};
use crate::servicenow::state_model;
use crate::servicenow::ticket::{TicketDetails, TicketRef, TicketRow};
use crate::servicenow::ticket_kind::TicketKind;
use crate::servicenow::ticket_write::{TicketChanges, check_correlation_id};
use crate::settings::validated::Route;

use crate::features::groups::{self, GroupSource};
use crate::features::import_writes;
use crate::features::session::Session;
use crate::features::tickets::{self, Labels, oldest_open};

static SYS_CHOICE: Name = Name::known("sys_choice");

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateResult {
    pub ticket: TicketDetails,
    pub not_applied: Vec<NotApplied>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommentKind {
    /// Internal (`work_notes`).
    WorkNote,
    /// Visible to the caller (`comments`).
    CustomerVisible,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    pub close_code: String,
    pub close_notes: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResolveOutcome {
    Resolved(TicketDetails),
    AlreadyResolved(TicketDetails),
    NotFound(String),
}

row! {
    /// One `sys_choice` row of a table's `close_code` column.
    struct ChoiceRow {
        value: String = text => or_default,
        label: String = text => or_default,
        name: String = text => or_default,
        element: String = text => or_default,
    }
}

pub fn get_ticket<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    reference: &TicketRef,
) -> Result<TicketDetails> {
    let row = tickets::find(session, reference)?;
    details(session, &reference.kind, &row)
}

pub fn update_ticket<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    reference: &TicketRef,
    changes: &TicketChanges,
) -> Result<UpdateResult> {
    session.configured()?;
    changes.validate()?;
    let group = match &changes.assignment_group {
        Some(group) => Some(groups::resolve_group(session, group, GroupSource::Update)?),
        None => None,
    };
    let columns = changes.to_columns(group.as_ref());
    let row = tickets::find(session, reference)?;
    let stored = match import_writes::staging_table(session, &reference.kind) {
        Some(staging) => import_writes::update(session, &reference.kind, &staging, &row, &columns)?,
        None => tickets::patch(session, reference.kind.table(), &row.sys_id, &columns)?,
    };
    Ok(UpdateResult {
        ticket: details(session, &reference.kind, &stored.row)?,
        not_applied: not_applied(&columns, &stored.columns),
    })
}

pub fn add_comment<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    reference: &TicketRef,
    kind: CommentKind,
    comment: &str,
) -> Result<()> {
    session.configured()?;
    if comment.trim().is_empty() {
        return Err(Error::invalid_ticket("the comment is empty"));
    }
    let sys_id = tickets::find(session, reference)?.sys_id;
    let journal = match kind {
        CommentKind::WorkNote => "work_notes",
        CommentKind::CustomerVisible => "comments",
    };
    let mut columns = Columns::default();
    columns.set(journal, comment);
    tickets::patch(session, reference.kind.table(), &sys_id, &columns)?;
    Ok(())
}

/// Resolves an incident or closes a change request. A ticket that is not there or is
/// done already is reported as such, not as a failure.
pub fn resolve_ticket<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    reference: &TicketRef,
    resolution: &Resolution,
) -> Result<ResolveOutcome> {
    session.configured()?;
    let row = match tickets::find(session, reference) {
        Ok(row) => row,
        Err(error) if error.kind == ErrorKind::NotFound => {
            return Ok(ResolveOutcome::NotFound(error.message));
        }
        Err(error) => return Err(error),
    };
    resolve_row(session, &reference.kind, &row, resolution)
}

/// Resolves the ticket this integration opened for an event, when the event recovers.
pub fn resolve_by_correlation<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    event_category: &str,
    correlation_id: &str,
    resolution: &Resolution,
) -> Result<ResolveOutcome> {
    let settings = session.configured()?;
    let correlation_id = correlation_id.trim();
    if correlation_id.is_empty() {
        return Err(Error::invalid_ticket("the correlation id is empty"));
    }
    check_correlation_id(correlation_id)?;
    let kind = match settings.route(event_category) {
        Route::Ticket(kind, _) => kind.clone(),
        Route::Skip(why) => return Ok(ResolveOutcome::NotFound(why)),
    };
    let table = kind.table();
    let matches = tickets::find_by_correlation(session, table, correlation_id, Labels::Read)?;
    let open = oldest_open(&matches, table);
    match (open, matches.first()) {
        (Some(row), _) => resolve_row(session, &kind, row, resolution),
        (None, Some(done)) => Ok(ResolveOutcome::AlreadyResolved(details(
            session, &kind, done,
        )?)),
        (None, None) => Ok(ResolveOutcome::NotFound(format!(
            "no {table} record of this integration has the correlation id {correlation_id:?}"
        ))),
    }
}

fn resolve_row<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    kind: &TicketKind,
    row: &TicketRow,
    resolution: &Resolution,
) -> Result<ResolveOutcome> {
    let table = kind.table();
    if row.is_done(table) {
        return Ok(ResolveOutcome::AlreadyResolved(details(
            session, kind, row,
        )?));
    }
    let Some(resolve_to) = state_model::for_table(table).and_then(|m| m.resolve_to) else {
        return Err(Error::invalid_ticket(format!(
            "{table} records cannot be resolved through the Table API; \
             incidents and change requests can"
        )));
    };
    if resolution.close_notes.trim().is_empty() {
        return Err(Error::invalid_ticket(
            "the close notes are empty: ServiceNow requires them to resolve",
        ));
    }
    let close_code = close_code(session, table, resolution.close_code.trim())?;
    // State, close code and notes in one call: a state change alone is refused by the
    // data policy (docs/servicenow/records.md#incident).
    let mut columns = Columns::default();
    columns
        .set("state", resolve_to)
        .set("close_code", close_code)
        .set("close_notes", resolution.close_notes.as_str());
    let stored = tickets::patch(session, table, &row.sys_id, &columns)?;
    if stored.row.state.value != resolve_to {
        return Err(Error::unexpected(format!(
            "ServiceNow kept {} in state {:?}; not applied: {}",
            stored.row.number,
            stored.row.state.value,
            not_applied(&columns, &stored.columns)
                .iter()
                .map(|n| n.field.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(ResolveOutcome::Resolved(details(
        session,
        kind,
        &stored.row,
    )?))
}

/// The close code as the instance stores it, checked against the table's current choices
/// (`sys_choice`), since ServiceNow silently drops an unknown one and then refuses the
/// resolution for lacking it. A label is accepted for its value.
fn close_code<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    table: &Name,
    wanted: &str,
) -> Result<String> {
    let choices = close_code_choices(session, table)?;
    if let Some(code) = choices
        .iter()
        .find(|code| code.value == wanted || code.label.eq_ignore_ascii_case(wanted))
    {
        return Ok(code.value.clone());
    }
    let valid: Vec<&str> = choices.iter().map(|code| code.value.as_str()).collect();
    Err(Error::invalid_ticket(format!(
        "{wanted:?} is not a close code of {table} on this instance; use one of: {}",
        valid.join(", ")
    )))
}

fn close_code_choices<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    table: &Name,
) -> Result<Vec<CloseCode>> {
    let now = session.now();
    if let Some(choices) = session.facts().close_codes.get(table, now) {
        return Ok(choices.clone());
    }
    let query = Query::default()
        .eq("name", table.as_str())
        .eq("element", "close_code")
        .eq("inactive", "false");
    let read = session.select::<ChoiceRow>(&SYS_CHOICE, &query, 100);
    let listed: Vec<CloseCode> = match read {
        Ok(rows) => rows
            .into_iter()
            .filter(|row| row.name == table.as_str() && row.element == "close_code")
            .map(|row| CloseCode {
                value: row.value,
                label: row.label,
            })
            .collect(),
        // The integration user may not read sys_choice: fall back to the release's list.
        Err(error) if matches!(error.kind, ErrorKind::Forbidden | ErrorKind::NotFound) => {
            Vec::new()
        }
        Err(error) => return Err(error),
    };
    let choices = if listed.is_empty() {
        state_model::for_table(table)
            .map(|m| m.close_codes)
            .unwrap_or_default()
            .iter()
            .map(|code| CloseCode {
                value: code.to_string(),
                label: code.to_string(),
            })
            .collect()
    } else {
        listed
    };
    let now = session.now();
    session
        .facts()
        .close_codes
        .insert(table.clone(), choices.clone(), now);
    Ok(choices)
}

fn details<T: Transport, C: Clock>(
    session: &Session<T, C>,
    kind: &TicketKind,
    row: &TicketRow,
) -> Result<TicketDetails> {
    Ok(TicketDetails::from_row(
        kind,
        &session.configured()?.instance,
        row,
    ))
}
