//! create-ticket: routing, defaults, and deduplication by correlation id.

use crate::primitives::prelude::*;

use crate::primitives::clock::Clock;
use crate::primitives::error::{Error, Result};
use crate::primitives::http::Transport;
use crate::primitives::ids::Name;
use crate::primitives::log::Level;
use crate::servicenow::not_applied::{NotApplied, not_applied};
use crate::servicenow::rows::{Columns, Stored};
use crate::servicenow::state_model;
use crate::servicenow::ticket::{CreateOutcome, TicketRecord, TicketRow, WrittenTicket};
use crate::servicenow::ticket_kind::TicketKind;
use crate::servicenow::ticket_write::Ticket;
use crate::settings::validated::{ClosedMatch, Route};

use crate::features::configuration_items;
use crate::features::groups::{self, GroupSource};
use crate::features::import_writes::{self, ImportCreate};
use crate::features::session::Session;
use crate::features::standard_changes::{self, ChangeWrite};
use crate::features::tickets::{self, Labels, oldest_open};

/// What this integration's earlier tickets for the event decide.
enum Earlier {
    /// One was open (or reopened): that is the answer.
    Handled(CreateOutcome),
    /// A new ticket is needed; it names the closed one it follows, if any.
    NewTicket { follows: Option<String> },
}

/// Opens a ticket for an event, or says why none was opened. With a correlation id, this
/// integration's active ticket for it gets a work note instead of a duplicate; the calls
/// of one instance run one at a time, so two creates for one id cannot both miss it, and
/// creates on other instances at the same moment are settled after the insert (see
/// [`settle_race`]).
pub fn create_ticket<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    ticket: Ticket,
) -> Result<CreateOutcome> {
    let settings = session.configured()?;
    ticket.validate()?;
    let (kind, via) = match settings.route(&ticket.event_category) {
        Route::Ticket(kind, template) => (
            kind.clone(),
            standard_changes::change_write(settings, &ticket.event_category, kind, template),
        ),
        Route::Skip(why) => return Ok(CreateOutcome::Skipped(why)),
    };
    // The write path, decided once: a change through the Change Management API (templates
    // apply only there, whatever the write path), else the kind's staging table, if any.
    let staging = match via {
        Some(_) => None,
        None => settings.writes.staging_table(&kind).cloned(),
    };
    if let Some(staging) = &staging {
        import_writes::check_create(staging, &kind, &ticket)?;
    }
    let instance = settings.instance.clone();
    let priority = ticket.priority.or(settings.default_priority);
    let default_group = settings.default_assignment_group.clone();

    let follows = match ticket.correlation_id.as_deref().map(str::trim) {
        Some(correlation_id) => {
            match earlier(session, &kind, correlation_id, &ticket, staging.is_some())? {
                Earlier::Handled(outcome) => return Ok(outcome),
                Earlier::NewTicket { follows } => follows,
            }
        }
        None => None,
    };
    let group = match (&ticket.assignment_group, default_group) {
        (Some(group), _) => Some(groups::resolve_group(session, group, GroupSource::Ticket)?),
        (None, Some(group)) => Some(groups::resolve_group(
            session,
            &group,
            GroupSource::DefaultSetting,
        )?),
        (None, None) => None,
    };
    let mut columns = ticket.to_columns(priority, group.as_ref());
    let links = configuration_items::look_up(session, &ticket, &mut columns);
    if let Some(number) = &follows {
        let description = format!(
            "Follows {number}, closed, which was opened for the same event.\n\n{}",
            columns.get("description").unwrap_or_default()
        );
        columns.set("description", description);
    }
    let (stored, not_applied) =
        match write_new(session, &kind, via, staging, &ticket, &columns, follows)? {
            Written::Stored(stored, not_applied) => (*stored, not_applied),
            Written::Existing(record) => return Ok(CreateOutcome::Existing(record)),
        };
    let record = TicketRecord::from_row(&kind, &instance, &stored.row);
    let created = links.written(record, not_applied);
    let outcome = match ticket.correlation_id.as_deref().map(str::trim) {
        Some(correlation_id) => settle_race(session, &kind, correlation_id, created)?,
        None => CreateOutcome::Created(created),
    };
    Ok(configuration_items::link_affected(session, outcome, &links))
}

/// What writing the new ticket gave.
enum Written {
    /// The stored row, and what it did not store as sent.
    Stored(Box<Stored<TicketRow>>, Vec<NotApplied>),
    /// An import set coalesced onto an open ticket of the event's: that is the answer.
    Existing(TicketRecord),
}

/// Writes the new ticket the way the settings say: a change through the Change Management
/// API when `via` says so (templates apply only there, whatever the write path), else through
/// the kind's import set staging table if it has one, else a Table API insert. A write whose
/// answer was lost is looked for by the correlation id before it is tried again.
fn write_new<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    kind: &TicketKind,
    via: Option<ChangeWrite>,
    staging: Option<Name>,
    ticket: &Ticket,
    columns: &Columns,
    follows: Option<String>,
) -> Result<Written> {
    if let Some(staging) = staging {
        return Ok(
            match import_writes::create(session, kind, &staging, columns, follows.as_deref())? {
                ImportCreate::Created(stored) => {
                    let not_applied = not_applied(columns, &stored.columns);
                    Written::Stored(stored, not_applied)
                }
                ImportCreate::Existing(record) => Written::Existing(record),
            },
        );
    }
    let (stored, not_applied) = match insert(session, via.as_ref(), kind.table(), columns) {
        Ok(inserted) => inserted,
        Err(lost) if lost.outcome_unknown => {
            let Some(correlation_id) = ticket.correlation_id.as_deref().map(str::trim) else {
                return Err(lost.with_note(
                    "the ticket may have been created all the same: look for it in \
                     ServiceNow before creating it again",
                ));
            };
            recover_lost_create(session, (kind, via.as_ref()), correlation_id, columns, lost)?
        }
        Err(error) => return Err(error),
    };
    Ok(Written::Stored(Box::new(stored), not_applied))
}

/// Another worker may have created a ticket for the same event at the same moment: the
/// lookup before the insert takes no lock, and ServiceNow has no unique key on the
/// correlation id. So, after the insert, look again: the oldest open ticket is the
/// event's (see [`oldest_open`]); the one this call made, if newer, is closed as its
/// duplicate, and the answer is the oldest, as existing. Every racer answers the same
/// ticket, and none closes a ticket it did not make.
fn settle_race<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    kind: &TicketKind,
    correlation_id: &str,
    created: WrittenTicket,
) -> Result<CreateOutcome> {
    let table = kind.table();
    let matches = match tickets::find_by_correlation(session, table, correlation_id, Labels::Skip) {
        Ok(matches) => matches,
        Err(error) => {
            session.log().note(
                Level::Warn,
                &format!(
                    "created {}, but could not look again for a ticket another worker \
                     opened for the same event at the same moment: {}",
                    created.ticket.number, error.message
                ),
            );
            return Ok(CreateOutcome::Created(created));
        }
    };
    let oldest = match oldest_open(&matches, table) {
        Some(oldest) if oldest.sys_id != created.ticket.sys_id => oldest,
        _ => return Ok(CreateOutcome::Created(created)),
    };
    let instance = session.configured()?.instance.clone();
    let oldest = TicketRecord::from_row(kind, &instance, oldest);
    close_as_duplicate(session, table, &created.ticket, &oldest);
    Ok(CreateOutcome::Existing(oldest))
}

/// Closes `duplicate`, which this call made, as a duplicate of `original` in its table's
/// own terms, with a work note naming `original`. Where that fails or the table has no
/// such terms, the ticket keeps the note and the log says it is still open.
fn close_as_duplicate<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    table: &Name,
    duplicate: &TicketRecord,
    original: &TicketRecord,
) {
    let note = format!(
        "Duplicate of {}: another worker opened it for the same event at the same moment. \
         {} carries the event; this one was closed by Cloud ex Machina.",
        original.number, original.number
    );
    let mut columns = Columns::default();
    columns.set("work_notes", note.as_str());
    let close = state_model::for_table(table).and_then(|model| model.duplicate.as_ref());
    if let Some(close) = close {
        columns.set("state", close.state);
        if let Some(code) = close.close_code {
            columns
                .set("close_code", code)
                .set("close_notes", note.as_str());
        }
    }
    let closed = match (
        close,
        tickets::patch(session, table, &duplicate.sys_id, &columns),
    ) {
        (Some(_), Ok(stored)) if stored.row.is_done(table) => Ok(()),
        (_, Ok(_)) => Err(format!(
            "{table} records cannot be closed through the Table API: it has a work note \
             naming {}",
            original.number
        )),
        (_, Err(error)) => Err(error.message),
    };
    match closed {
        Ok(()) => session.log().note(
            Level::Info,
            &format!(
                "{} was opened at the same moment as {} for the same event: closed it as \
                 a duplicate",
                duplicate.number, original.number
            ),
        ),
        Err(why) => session.log().note(
            Level::Warn,
            &format!(
                "{} was opened at the same moment as {} for the same event and is still \
                 open: {why}",
                duplicate.number, original.number
            ),
        ),
    }
}

/// The new record as stored, and what was not stored as sent: through the Table API, or
/// through the Change Management API where the category's template or the settings say so.
fn insert<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    via: Option<&ChangeWrite>,
    table: &Name,
    columns: &Columns,
) -> Result<(Stored<TicketRow>, Vec<NotApplied>)> {
    if let Some(via) = via {
        return standard_changes::create(session, via, columns);
    }
    let stored = session.authorized(|api, token| api.table.insert(token, table, columns))?;
    groups::forget_group_if_refused(session, columns, &stored);
    let not_applied = not_applied(columns, &stored.columns);
    Ok((stored, not_applied))
}

/// The create's answer was lost, so the ticket may exist: look for it by its
/// correlation id (through the Table API, whichever API created it) before creating it
/// again the same way, so that a retry cannot make a duplicate.
fn recover_lost_create<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    (kind, via): (&TicketKind, Option<&ChangeWrite>),
    correlation_id: &str,
    columns: &Columns,
    lost: Error,
) -> Result<(Stored<TicketRow>, Vec<NotApplied>)> {
    let table = kind.table();
    let Ok(found) = tickets::find_by_correlation(session, table, correlation_id, Labels::Skip)
    else {
        // Still no way to know: the first failure is the one to report.
        return Err(lost.with_note(
            "the ticket may have been created; creating it again with the same \
             correlation id finds it instead of duplicating it",
        ));
    };
    if let Some(row) = oldest_open(&found, table) {
        session.log().note(
            Level::Info,
            &format!(
                "the lost create had been carried out: {table} {}",
                row.sys_id
            ),
        );
        let stored: Stored<TicketRow> =
            session.authorized(|api, token| api.table.read_back(token, table, &row.sys_id))?;
        let sent = via.map_or_else(
            || columns.clone(),
            |via| standard_changes::sent(via, columns),
        );
        let not_applied = not_applied(&sent, &stored.columns);
        return Ok((stored, not_applied));
    }
    session.log().note(
        Level::Info,
        &format!("the lost create had not been carried out: creating the {table} record again"),
    );
    insert(session, via, table, columns)
}

/// Looks for this integration's tickets with the correlation id: an open one gets a work
/// note, a closed one is reopened or followed, as the settings say.
fn earlier<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    kind: &TicketKind,
    correlation_id: &str,
    ticket: &Ticket,
    through_import_set: bool,
) -> Result<Earlier> {
    let table = kind.table();
    let settings = session.configured()?;
    let instance = settings.instance.clone();
    // Through an import set a closed match is reopened whatever the setting says: the
    // transform would coalesce onto it, so a new ticket cannot follow it.
    let reopen = settings.on_closed_match == ClosedMatch::Reopen || through_import_set;
    let matches = tickets::find_by_correlation(session, table, correlation_id, Labels::Skip)?;
    let (row, state) = match oldest_open(&matches, table) {
        Some(open) => (open, None),
        None => match (
            matches.first(),
            state_model::for_table(table).and_then(|m| m.reopen_to),
        ) {
            (Some(closed), Some(state)) if reopen => (closed, Some(state)),
            (closed, _) => {
                let follows = closed.map(|c| TicketRecord::from_row(kind, &instance, c).number);
                return Ok(Earlier::NewTicket { follows });
            }
        },
    };
    let record = TicketRecord::from_row(kind, &instance, row);
    let mut columns = Columns::default();
    columns.set("work_notes", recurrence_note(ticket));
    if let Some(state) = state {
        columns.set("state", state);
    }
    let stored = tickets::patch(session, table, &record.sys_id, &columns)?;
    match state {
        None => Ok(Earlier::Handled(CreateOutcome::Existing(record))),
        Some(state) if stored.row.state.value == state => {
            Ok(Earlier::Handled(CreateOutcome::Reopened(record)))
        }
        Some(_) => Err(Error::unexpected(format!(
            "ServiceNow did not reopen {}: its state stayed {:?}",
            record.number, stored.row.state.value
        ))),
    }
}

fn recurrence_note(ticket: &Ticket) -> String {
    let mut note = format!(
        "Cloud ex Machina saw this event again: {}",
        ticket.title.trim()
    );
    if !ticket.description.is_empty() {
        note.push_str("\n\n");
        note.push_str(&ticket.description);
    }
    note
}
