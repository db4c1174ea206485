//! Creates and updates written through an import set staging table instead of the Table API
//! (docs/servicenow/import-sets.md#what-the-product-does): the row is the columns the Table
//! API write would send, each under its `u_` staging column, and the staging table's transform
//! map writes the ticket, coalescing on `u_correlation_id`. The answer's elements decide; the
//! ticket is then read back through the Table API, as a Table API write answers it. Finding
//! tickets, work notes, comments, reopening, resolving and changes-since stay on the Table API.

use crate::primitives::prelude::*;

use crate::features::diagnosis::Outcome;
use crate::primitives::clock::Clock;
use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::guide;
use crate::primitives::http::Transport;
use crate::primitives::ids::{Name, SysId};
use crate::primitives::log::Level;
use crate::servicenow::import_set::{Landed, Transformed};
use crate::servicenow::rows::{Columns, Row, Stored, parse_stored};
use crate::servicenow::ticket::{TicketRecord, TicketRow};
use crate::servicenow::ticket_kind::TicketKind;
use crate::servicenow::ticket_write::Ticket;
use crate::settings::key;
use crate::settings::validated::Settings;
use crate::settings::writes::WritePath;

use crate::features::groups;
use crate::features::session::Session;

/// What a create through the import set came to.
pub enum ImportCreate {
    /// The transform inserted the ticket; as stored.
    Created(Box<Stored<TicketRow>>),
    /// The transform coalesced onto an open ticket the look-up before did not see (another
    /// worker's, at the same moment): that ticket is the event's.
    Existing(TicketRecord),
}

/// The staging table tickets of `kind` are written through, when writes go through import
/// sets (configure refuses a routed kind without one).
pub fn staging_table<T: Transport, C: Clock>(
    session: &Session<T, C>,
    kind: &TicketKind,
) -> Option<Name> {
    session.settings()?.writes.staging_table(kind).cloned()
}

/// Refuses, before anything is sent, a create the transform cannot coalesce: without a
/// correlation id it would skip the row, or insert a ticket no later call can find again.
pub fn check_create(staging: &Name, kind: &TicketKind, ticket: &Ticket) -> Result<()> {
    if ticket.correlation_id.is_some() {
        return Ok(());
    }
    Err(Error::invalid_ticket(format!(
        "the ticket has no correlation id: tickets of kind {} are written through the import \
         set {staging}, whose transform map finds the ticket by u_correlation_id; give the \
         ticket a correlation id",
        kind.table()
    )))
}

/// Creates the ticket through `staging`. `follows`: the closed ticket with the same
/// correlation id that could not be reopened (its table has no state to reopen to).
pub fn create<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    kind: &TicketKind,
    staging: &Name,
    columns: &Columns,
    follows: Option<&str>,
) -> Result<ImportCreate> {
    let table = kind.table();
    if let Some(number) = follows {
        return Err(Error::invalid_ticket(format!(
            "{number}, closed, has the event's correlation id: the transform map of {staging} \
             coalesces on it and would update the closed ticket instead of opening a new one, \
             and {table} records have no state to reopen them to; close the event's ticket \
             chain in ServiceNow or give the event a new correlation id"
        )));
    }
    let (landed, recovered) = match load(session, staging, table, columns, false) {
        Ok(landed) => (landed, false),
        Err(lost) if lost.outcome_unknown => {
            (recover(session, staging, table, columns, lost)?, true)
        }
        Err(error) => return Err(error),
    };
    let sys_id = match (&landed.status, &landed.sys_id, recovered) {
        (Transformed::Inserted, Some(sys_id), _) => sys_id,
        // Loaded again after a lost answer: the first load's ticket.
        (_, Some(sys_id), true) => sys_id,
        (Transformed::Updated, Some(sys_id), false) => {
            return coalesced(session, kind, sys_id, columns);
        }
        _ => {
            return Err(Error::new(
                ErrorKind::RejectedByPolicy,
                format!(
                    "the transform map of {staging} ignored the row: no {table} record was \
                     created ({})",
                    said(&landed)
                ),
            )
            .with_remedy(guide::TRANSFORM_REFUSED));
        }
    };
    let stored = read_target::<TicketRow, _, _>(session, table, sys_id, columns)?;
    groups::forget_group_if_refused(session, columns, &stored);
    Ok(ImportCreate::Created(Box::new(stored)))
}

/// The create's row coalesced onto an existing record: an open one is the event's ticket; a
/// closed one was updated instead of a new ticket opened.
fn coalesced<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    kind: &TicketKind,
    sys_id: &SysId,
    columns: &Columns,
) -> Result<ImportCreate> {
    let table = kind.table();
    let stored = read_target::<TicketRow, _, _>(session, table, sys_id, columns)?;
    let instance = session.configured()?.instance.clone();
    let record = TicketRecord::from_row(kind, &instance, &stored.row);
    if stored.row.is_done(table) {
        return Err(Error::new(
            ErrorKind::RejectedByPolicy,
            format!(
                "the transform updated {}, which is closed, instead of opening a new {table} \
                 record: its map coalesces on a closed ticket with the event's correlation id",
                record.number
            ),
        )
        .with_remedy(guide::TRANSFORM_REFUSED));
    }
    session.log().note(
        Level::Info,
        &format!(
            "the transform updated {}, open, instead of creating a ticket: it is the event's",
            record.number
        ),
    );
    Ok(ImportCreate::Existing(record))
}

/// The row's answer was lost (a proxy's 502 after the row was loaded): the row is loaded
/// again, which coalesces onto the ticket the first load made, if it made one.
fn recover<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    staging: &Name,
    table: &Name,
    columns: &Columns,
    lost: Error,
) -> Result<Landed> {
    session.log().note(
        Level::Info,
        &format!(
            "the answer to the row loaded into {staging} was lost: loading it again, which \
             coalesces onto the ticket if the first load made one"
        ),
    );
    load(session, staging, table, columns, false).map_err(|_| {
        lost.with_note(
            "the ticket may have been created; creating it again with the same correlation \
             id coalesces onto it instead of duplicating it",
        )
    })
}

/// Updates the ticket `row` through `staging`: the changed columns and the ticket's
/// correlation id, on which the transform map finds it.
pub fn update<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    kind: &TicketKind,
    staging: &Name,
    row: &TicketRow,
    columns: &Columns,
) -> Result<Stored<TicketRow>> {
    let table = kind.table();
    let name = if row.number.is_empty() {
        row.sys_id.as_str()
    } else {
        row.number.as_str()
    };
    if row.correlation_id.is_empty() {
        return Err(Error::invalid_ticket(format!(
            "{name} has no correlation id: tickets of kind {table} are updated through the \
             import set {staging}, whose transform map finds the ticket by u_correlation_id, \
             so this one cannot be updated by the integration"
        )));
    }
    let mut row_columns = columns.clone();
    row_columns.set("correlation_id", row.correlation_id.as_str());
    if !row.correlation_display.is_empty() {
        row_columns.set("correlation_display", row.correlation_display.as_str());
    }
    let repeatable = !columns.appends_journal();
    let landed = load(session, staging, table, &row_columns, repeatable)?;
    match (landed.status, &landed.sys_id) {
        (Transformed::Inserted, Some(other)) => {
            return Err(Error::unexpected(format!(
                "the transform map of {staging} inserted a new {table} record {other} instead \
                 of updating {name}: it does not coalesce u_correlation_id onto correlation_id"
            ))
            .with_remedy(guide::TRANSFORM_MAP));
        }
        (_, Some(other)) if *other != row.sys_id => {
            return Err(Error::unexpected(format!(
                "the transform map of {staging} updated {table} record {other} instead of \
                 {name}: another ticket has the same correlation id {:?}",
                row.correlation_id
            ))
            .with_remedy(guide::TRANSFORM_MAP));
        }
        _ => {}
    }
    let stored = read_target::<TicketRow, _, _>(session, table, &row.sys_id, columns)?;
    groups::forget_group_if_refused(session, columns, &stored);
    Ok(stored)
}

fn load<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    staging: &Name,
    table: &Name,
    columns: &Columns,
    repeatable: bool,
) -> Result<Landed> {
    session
        .authorized(|api, token| api.imports.load(token, staging, table, columns, repeatable))
        .map_err(|error| match error.remedy {
            Some(remedy) if remedy == guide::STAGING_TABLE => {
                error.with_field(key::IMPORT_SET_TABLES)
            }
            _ => error,
        })
}

/// The record the transform wrote, read back through the Table API in one GET: the row's
/// columns and the columns sent, so that the not-applied report sees what the transform
/// did not map.
fn read_target<R: Row, T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    table: &Name,
    sys_id: &SysId,
    sent: &Columns,
) -> Result<Stored<R>> {
    let names = sent.read_back(R::COLUMNS);
    let (result, what) =
        session.get_result(table, sys_id, (names.as_slice(), R::DISPLAY_VALUES))?;
    parse_stored(result, &what)
}

fn said(landed: &Landed) -> &str {
    if landed.message.is_empty() {
        "no message"
    } else {
        &landed.message
    }
}

/// Test Connection's `import-set` check: each staging table exists and the integration user
/// can read it, one row at most (`read`). Loading a row would create a ticket, so the
/// transform map and write access are left to the first ticket.
pub fn check_staging_tables(settings: &Settings, read: impl Fn(&Name) -> Result<()>) -> Outcome {
    let WritePath::ImportSet(tables) = &settings.writes.write_path else {
        return Outcome::Skipped("tickets are written through the Table API".into());
    };
    let mut read_ones = Vec::new();
    for staging in tables {
        let (kind, table) = (staging.kind.table(), &staging.table);
        if let Err(error) = read(table) {
            return Outcome::Failed(staging_refused(error, table, kind));
        }
        read_ones.push(format!("{table} (for {kind})"));
    }
    Outcome::Passed(format!(
        "the integration user can read the staging tables {}; the transform map and write \
         access are checked by the first ticket",
        read_ones.join(", ")
    ))
}

/// A staging table's read refused, in the terms of the import set setup.
fn staging_refused(error: Error, table: &Name, kind: &Name) -> Error {
    let (kind_of_error, remedy, why) = match error.kind {
        ErrorKind::UnknownTicketKind | ErrorKind::NotFound | ErrorKind::BadRequest => (
            ErrorKind::BadRequest,
            guide::STAGING_TABLE,
            "does not exist on this instance",
        ),
        ErrorKind::Forbidden => (
            ErrorKind::Forbidden,
            guide::IMPORT_SET_ROLES,
            "cannot be read by the integration user",
        ),
        _ => return error,
    };
    let mut refused = Error::new(
        kind_of_error,
        format!(
            "the staging table {table} for {kind} tickets {why} ({})",
            error.message
        ),
    )
    .with_remedy(remedy);
    refused.http_status = error.http_status;
    if kind_of_error == ErrorKind::BadRequest {
        refused = refused.with_field(key::IMPORT_SET_TABLES);
    }
    refused
}
