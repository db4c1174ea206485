//! create-ticket: routing, defaults, and deduplication by correlation id.

use crate::prelude::*;

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::http::Transport;
use crate::ids::Name;
use crate::log::Level;
use crate::settings::{ClosedMatch, Route, TicketKind};
use crate::state_model;
use crate::table_api::{Columns, Stored};
use crate::ticket::{CreateOutcome, Ticket, TicketRecord, TicketRow, WrittenTicket, not_applied};

use super::Provider;
use super::groups::GroupSource;

/// What this integration's earlier tickets for the event decide.
enum Earlier {
    /// One was open (or reopened): that is the answer.
    Handled(CreateOutcome),
    /// A new ticket is needed; it names the closed one it follows, if any.
    NewTicket { follows: Option<String> },
}

impl<T: Transport, C: Clock> Provider<T, C> {
    /// Opens a ticket for an event, or says why none was opened. With a correlation id, this
    /// integration's active ticket for it gets a work note instead of a duplicate; the calls
    /// of one instance run one at a time, so two creates for one id cannot both miss it.
    pub fn create_ticket(&mut self, ticket: Ticket) -> Result<CreateOutcome> {
        let settings = self.configured()?;
        ticket.validate()?;
        let kind = match settings.route(&ticket.event_category) {
            Route::Ticket(kind) => kind.clone(),
            Route::Skip(why) => return Ok(CreateOutcome::Skipped(why)),
        };
        let instance = settings.instance.clone();
        let priority = ticket.priority.or(settings.default_priority);
        let default_group = settings.default_assignment_group.clone();

        let follows = match ticket.correlation_id.as_deref().map(str::trim) {
            Some(correlation_id) => match self.earlier(&kind, correlation_id, &ticket)? {
                Earlier::Handled(outcome) => return Ok(outcome),
                Earlier::NewTicket { follows } => follows,
            },
            None => None,
        };
        let group = match (&ticket.assignment_group, default_group) {
            (Some(group), _) => Some(self.resolve_group(group, GroupSource::Ticket)?),
            (None, Some(group)) => Some(self.resolve_group(&group, GroupSource::DefaultSetting)?),
            (None, None) => None,
        };
        let mut columns = ticket.to_columns(priority, group.as_ref());
        if let Some(number) = follows {
            let description = format!(
                "Follows {number}, closed, which was opened for the same event.\n\n{}",
                columns.get("description").unwrap_or_default()
            );
            columns.set("description", description);
        }
        let table = kind.table();
        let stored = match self.insert(table, &columns) {
            Ok(stored) => stored,
            Err(lost) if lost.outcome_unknown => {
                let Some(correlation_id) = ticket.correlation_id.as_deref().map(str::trim) else {
                    return Err(lost.with_note(
                        "the ticket may have been created all the same: look for it in \
                         ServiceNow before creating it again",
                    ));
                };
                self.recover_lost_create(&kind, correlation_id, &columns, lost)?
            }
            Err(error) => return Err(error),
        };
        Ok(CreateOutcome::Created(WrittenTicket {
            ticket: TicketRecord::from_row(&kind, &instance, &stored.row),
            not_applied: not_applied(&columns, &stored.columns),
        }))
    }

    fn insert(&mut self, table: &Name, columns: &Columns) -> Result<Stored<TicketRow>> {
        let stored = self.authorized(|api, token| api.insert(token, table, columns))?;
        self.forget_group_if_refused(columns, &stored);
        Ok(stored)
    }

    /// The create's answer was lost, so the ticket may exist: look for it by its
    /// correlation id before creating it again, so that a retry cannot make a duplicate.
    fn recover_lost_create(
        &mut self,
        kind: &TicketKind,
        correlation_id: &str,
        columns: &Columns,
        lost: Error,
    ) -> Result<Stored<TicketRow>> {
        let table = kind.table();
        let Ok(found) = self.find_by_correlation(table, correlation_id) else {
            // Still no way to know: the first failure is the one to report.
            return Err(lost.with_note(
                "the ticket may have been created; creating it again with the same \
                 correlation id finds it instead of duplicating it",
            ));
        };
        if let Some(row) = found.into_iter().find(|row| !row.is_done(table)) {
            self.log.note(
                Level::Info,
                &format!(
                    "the lost create had been carried out: {table} {}",
                    row.sys_id
                ),
            );
            return self.authorized(|api, token| api.read_back(token, table, &row.sys_id));
        }
        self.log.note(
            Level::Info,
            &format!("the lost create had not been carried out: creating the {table} record again"),
        );
        self.insert(table, columns)
    }

    /// Looks for this integration's tickets with the correlation id: an open one gets a work
    /// note, a closed one is reopened or followed, as the settings say.
    fn earlier(
        &mut self,
        kind: &TicketKind,
        correlation_id: &str,
        ticket: &Ticket,
    ) -> Result<Earlier> {
        let table = kind.table();
        let settings = self.configured()?;
        let instance = settings.instance.clone();
        let reopen = settings.on_closed_match == ClosedMatch::Reopen;
        let matches = self.find_by_correlation(table, correlation_id)?;
        let (row, state) = match matches.iter().find(|row| !row.is_done(table)) {
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
        let stored = self.patch(table, &record.sys_id, &columns)?;
        match state {
            None => Ok(Earlier::Handled(CreateOutcome::Existing(record))),
            Some(state) if stored.row.state == state => {
                Ok(Earlier::Handled(CreateOutcome::Reopened(record)))
            }
            Some(_) => Err(Error::unexpected(format!(
                "ServiceNow did not reopen {}: its state stayed {:?}",
                record.number, stored.row.state
            ))),
        }
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
