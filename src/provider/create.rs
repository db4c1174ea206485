//! create-ticket: routing, defaults, and deduplication by correlation id.

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::http::Transport;
use crate::settings::{ClosedMatch, Route};
use crate::state_model;
use crate::table_api::Record;
use crate::ticket::{CreateOutcome, Ticket, TicketRecord, WrittenTicket, not_applied};

use super::{Provider, text};

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
        let on_closed_match = settings.on_closed_match;
        let table = kind.table();

        let mut follows = None;
        if let Some(correlation_id) = ticket.correlation_id.as_deref().map(str::trim) {
            let matches = self.find_by_correlation(table, correlation_id)?;
            if let Some(open) = matches.iter().find(|r| !state_model::is_done(table, r)) {
                let record = TicketRecord::from_result(&kind, &instance, open)?;
                let mut note = Record::new();
                note.insert("work_notes".into(), recurrence_note(&ticket).into());
                self.authorized(|api, token| api.update(token, table, &record.sys_id, &note))?;
                return Ok(CreateOutcome::Existing(record));
            }
            if let Some(closed) = matches.first() {
                let reopen_to = state_model::for_table(table).and_then(|m| m.reopen_to);
                match (on_closed_match, reopen_to) {
                    (ClosedMatch::Reopen, Some(state)) => {
                        let record = TicketRecord::from_result(&kind, &instance, closed)?;
                        let mut columns = Record::new();
                        columns.insert("state".into(), state.into());
                        columns.insert("work_notes".into(), recurrence_note(&ticket).into());
                        let stored = self.authorized(|api, token| {
                            api.update(token, table, &record.sys_id, &columns)
                        })?;
                        if text(&stored, "state") != state {
                            return Err(Error::unexpected(format!(
                                "ServiceNow did not reopen {}: its state stayed {:?}",
                                record.number,
                                text(&stored, "state")
                            )));
                        }
                        return Ok(CreateOutcome::Reopened(record));
                    }
                    _ => follows = Some(text(closed, "number").to_string()),
                }
            }
        }

        let priority = ticket.priority.or(self.configured()?.default_priority);
        let group = match ticket.assignment_group.as_deref().map(str::trim) {
            Some(group) if !group.is_empty() => Some(self.resolve_group(group, "ticket's")?),
            _ => match self.configured()?.default_assignment_group.clone() {
                Some(group) => Some(self.resolve_group(&group, "default")?),
                None => None,
            },
        };
        let mut columns = ticket.to_columns(priority, group.as_deref());
        if let Some(number) = follows {
            let description = format!(
                "Follows {number}, closed, which was opened for the same event.\n\n{}",
                text(&columns, "description")
            );
            columns.insert("description".into(), description.into());
        }
        let stored = self.authorized(|api, token| api.insert(token, table, &columns))?;
        Ok(CreateOutcome::Created(WrittenTicket {
            ticket: TicketRecord::from_result(&kind, &instance, &stored)?,
            not_applied: not_applied(&columns, &stored),
        }))
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
