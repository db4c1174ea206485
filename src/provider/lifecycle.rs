//! After create: read, update, comment on and resolve a ticket.

use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::http::Transport;
use crate::settings::{Route, TicketKind};
use crate::state_model;
use crate::table_api::{Record, column};
use crate::ticket::{TicketChanges, TicketDetails, TicketRef, not_applied};

use super::{GroupSource, Provider};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateResult {
    pub ticket: TicketDetails,
    pub not_applied: Vec<String>,
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

impl<T: Transport, C: Clock> Provider<T, C> {
    pub fn get_ticket(&mut self, reference: &TicketRef) -> Result<TicketDetails> {
        let record = self.find(reference)?;
        self.details(&reference.kind, &record)
    }

    pub fn update_ticket(
        &mut self,
        reference: &TicketRef,
        changes: &TicketChanges,
    ) -> Result<UpdateResult> {
        self.configured()?;
        changes.validate()?;
        let group = match changes.assignment_group.as_deref().map(str::trim) {
            Some(group) if !group.is_empty() => {
                Some(self.resolve_group(group, GroupSource::Update)?)
            }
            _ => None,
        };
        let columns = changes.to_columns(group.as_deref());
        let sys_id = column(&self.find(reference)?, "sys_id").to_string();
        let table = reference.kind.table();
        let stored = self.authorized(|api, token| api.update(token, table, &sys_id, &columns))?;
        Ok(UpdateResult {
            ticket: self.details(&reference.kind, &stored)?,
            not_applied: not_applied(&columns, &stored),
        })
    }

    pub fn add_comment(
        &mut self,
        reference: &TicketRef,
        kind: CommentKind,
        comment: &str,
    ) -> Result<()> {
        self.configured()?;
        if comment.trim().is_empty() {
            return Err(Error::invalid_ticket("the comment is empty"));
        }
        let sys_id = column(&self.find(reference)?, "sys_id").to_string();
        let column = match kind {
            CommentKind::WorkNote => "work_notes",
            CommentKind::CustomerVisible => "comments",
        };
        let mut columns = Record::new();
        columns.insert(column.into(), comment.into());
        let table = reference.kind.table();
        self.authorized(|api, token| api.update(token, table, &sys_id, &columns))?;
        Ok(())
    }

    /// Resolves an incident or closes a change request. A ticket that is not there or is
    /// done already is reported as such, not as a failure.
    pub fn resolve_ticket(
        &mut self,
        reference: &TicketRef,
        resolution: &Resolution,
    ) -> Result<ResolveOutcome> {
        self.configured()?;
        let record = match self.find(reference) {
            Ok(record) => record,
            Err(error) if error.kind == ErrorKind::NotFound => {
                return Ok(ResolveOutcome::NotFound(error.message));
            }
            Err(error) => return Err(error),
        };
        self.resolve_record(&reference.kind, &record, resolution)
    }

    /// Resolves the ticket this integration opened for an event, when the event recovers.
    pub fn resolve_by_correlation(
        &mut self,
        event_category: &str,
        correlation_id: &str,
        resolution: &Resolution,
    ) -> Result<ResolveOutcome> {
        let settings = self.configured()?;
        let correlation_id = correlation_id.trim();
        if correlation_id.is_empty() {
            return Err(Error::invalid_ticket("the correlation id is empty"));
        }
        let kind = match settings.route(event_category) {
            Route::Ticket(kind) => kind.clone(),
            Route::Skip(why) => return Ok(ResolveOutcome::NotFound(why)),
        };
        let table = kind.table();
        let matches = self.find_by_correlation(table, correlation_id)?;
        let open = matches.iter().find(|r| !state_model::is_done(table, r));
        match (open, matches.first()) {
            (Some(record), _) => self.resolve_record(&kind, record, resolution),
            (None, Some(done)) => Ok(ResolveOutcome::AlreadyResolved(self.details(&kind, done)?)),
            (None, None) => Ok(ResolveOutcome::NotFound(format!(
                "no {table} record of this integration has the correlation id {correlation_id:?}"
            ))),
        }
    }

    fn resolve_record(
        &mut self,
        kind: &TicketKind,
        record: &Record,
        resolution: &Resolution,
    ) -> Result<ResolveOutcome> {
        let table = kind.table();
        if state_model::is_done(table, record) {
            return Ok(ResolveOutcome::AlreadyResolved(self.details(kind, record)?));
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
        let close_code = self.close_code(table, resolution.close_code.trim())?;
        // State, close code and notes in one call: a state change alone is refused by the
        // data policy (facts §3.2).
        let mut columns = Record::new();
        columns.insert("state".into(), resolve_to.into());
        columns.insert("close_code".into(), close_code.into());
        columns.insert("close_notes".into(), resolution.close_notes.clone().into());
        let sys_id = column(record, "sys_id").to_string();
        let stored = self.authorized(|api, token| api.update(token, table, &sys_id, &columns))?;
        if column(&stored, "state") != resolve_to {
            return Err(Error::unexpected(format!(
                "ServiceNow kept {} in state {:?}; not applied: {}",
                column(&stored, "number"),
                column(&stored, "state"),
                not_applied(&columns, &stored).join(", ")
            )));
        }
        Ok(ResolveOutcome::Resolved(self.details(kind, &stored)?))
    }

    /// The close code as the instance stores it, checked against the table's current choices
    /// (`sys_choice`), since ServiceNow silently drops an unknown one and then refuses the
    /// resolution for lacking it. A label is accepted for its value.
    fn close_code(&mut self, table: &str, wanted: &str) -> Result<String> {
        let choices = self.close_code_choices(table)?;
        if let Some((value, _)) = choices
            .iter()
            .find(|(value, label)| value == wanted || label.eq_ignore_ascii_case(wanted))
        {
            return Ok(value.clone());
        }
        let valid: Vec<&str> = choices.iter().map(|(v, _)| v.as_str()).collect();
        Err(Error::invalid_ticket(format!(
            "{wanted:?} is not a close code of {table} on this instance; use one of: {}",
            valid.join(", ")
        )))
    }

    fn close_code_choices(&mut self, table: &str) -> Result<Vec<(String, String)>> {
        if let Some(choices) = self.close_codes.get(table) {
            return Ok(choices.clone());
        }
        let query = format!("name={table}^element=close_code^inactive=false");
        let read = self.select("sys_choice", &query, "value,label,name,element", "100");
        let listed: Vec<(String, String)> = match read {
            Ok(rows) => rows
                .iter()
                .filter(|r| column(r, "name") == table && column(r, "element") == "close_code")
                .map(|r| {
                    (
                        column(r, "value").to_string(),
                        column(r, "label").to_string(),
                    )
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
                .map(|code| (code.to_string(), code.to_string()))
                .collect()
        } else {
            listed
        };
        self.close_codes.insert(table.to_string(), choices.clone());
        Ok(choices)
    }

    fn details(&self, kind: &TicketKind, record: &Record) -> Result<TicketDetails> {
        TicketDetails::from_result(kind, &self.configured()?.instance, record)
    }
}
