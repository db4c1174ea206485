//! After create: read, update, comment on and resolve a ticket.

use crate::primitives::prelude::*;

use crate::primitives::cache::Expiring;
use crate::primitives::clock::Clock;
use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::http::Transport;
use crate::primitives::ids::Name;
use crate::primitives::json::{self, Fields, Value};
use crate::servicenow::query::Query;
use crate::servicenow::rows::{Columns, Row, text};
use crate::servicenow::state_model;
use crate::servicenow::ticket::{
    TicketChanges, TicketDetails, TicketRef, TicketRow, check_correlation_id, not_applied,
};
use crate::servicenow::ticket_kind::TicketKind;
use crate::settings::validated::Route;

use crate::features::groups::GroupSource;
use crate::features::session::{Provider, oldest_open};

static SYS_CHOICE: Name = Name::known("sys_choice");

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

/// One `sys_choice` row of a table's `close_code` column.
struct ChoiceRow {
    name: String,
    element: String,
    value: String,
    label: String,
}

impl Row for ChoiceRow {
    const COLUMNS: &'static [&'static str] = &["value", "label", "name", "element"];

    fn from_json(value: &Value) -> Result<Self, json::Error> {
        let mut fields = Fields::of(value, "struct ChoiceRow")?;
        let mut column = |name| fields.get(name, text).unwrap_or_default();
        let row = Self {
            name: column("name"),
            element: column("element"),
            value: column("value"),
            label: column("label"),
        };
        fields.finish()?;
        Ok(row)
    }
}

/// A close code: the value ServiceNow stores, and the label its form shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct CloseCode {
    value: String,
    label: String,
}

/// Each table's close codes as the instance lists them, read once while the entry lasts.
pub(super) type CloseCodeCache = Expiring<Name, Vec<CloseCode>>;

impl<T: Transport, C: Clock> Provider<T, C> {
    pub fn get_ticket(&mut self, reference: &TicketRef) -> Result<TicketDetails> {
        let row = self.find(reference)?;
        self.details(&reference.kind, &row)
    }

    pub fn update_ticket(
        &mut self,
        reference: &TicketRef,
        changes: &TicketChanges,
    ) -> Result<UpdateResult> {
        self.configured()?;
        changes.validate()?;
        let group = match &changes.assignment_group {
            Some(group) => Some(self.resolve_group(group, GroupSource::Update)?),
            None => None,
        };
        let columns = changes.to_columns(group.as_ref());
        let sys_id = self.find(reference)?.sys_id;
        let stored = self.patch(reference.kind.table(), &sys_id, &columns)?;
        Ok(UpdateResult {
            ticket: self.details(&reference.kind, &stored.row)?,
            not_applied: not_applied(&columns, &stored.columns),
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
        let sys_id = self.find(reference)?.sys_id;
        let journal = match kind {
            CommentKind::WorkNote => "work_notes",
            CommentKind::CustomerVisible => "comments",
        };
        let mut columns = Columns::default();
        columns.set(journal, comment);
        self.patch(reference.kind.table(), &sys_id, &columns)?;
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
        let row = match self.find(reference) {
            Ok(row) => row,
            Err(error) if error.kind == ErrorKind::NotFound => {
                return Ok(ResolveOutcome::NotFound(error.message));
            }
            Err(error) => return Err(error),
        };
        self.resolve_row(&reference.kind, &row, resolution)
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
        check_correlation_id(correlation_id)?;
        let kind = match settings.route(event_category) {
            Route::Ticket(kind) => kind.clone(),
            Route::Skip(why) => return Ok(ResolveOutcome::NotFound(why)),
        };
        let table = kind.table();
        let matches = self.find_by_correlation(table, correlation_id)?;
        let open = oldest_open(&matches, table);
        match (open, matches.first()) {
            (Some(row), _) => self.resolve_row(&kind, row, resolution),
            (None, Some(done)) => Ok(ResolveOutcome::AlreadyResolved(self.details(&kind, done)?)),
            (None, None) => Ok(ResolveOutcome::NotFound(format!(
                "no {table} record of this integration has the correlation id {correlation_id:?}"
            ))),
        }
    }

    fn resolve_row(
        &mut self,
        kind: &TicketKind,
        row: &TicketRow,
        resolution: &Resolution,
    ) -> Result<ResolveOutcome> {
        let table = kind.table();
        if row.is_done(table) {
            return Ok(ResolveOutcome::AlreadyResolved(self.details(kind, row)?));
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
        let mut columns = Columns::default();
        columns
            .set("state", resolve_to)
            .set("close_code", close_code)
            .set("close_notes", resolution.close_notes.as_str());
        let stored = self.patch(table, &row.sys_id, &columns)?;
        if stored.row.state != resolve_to {
            return Err(Error::unexpected(format!(
                "ServiceNow kept {} in state {:?}; not applied: {}",
                stored.row.number,
                stored.row.state,
                join(&not_applied(&columns, &stored.columns), ", ")
            )));
        }
        Ok(ResolveOutcome::Resolved(self.details(kind, &stored.row)?))
    }

    /// The close code as the instance stores it, checked against the table's current choices
    /// (`sys_choice`), since ServiceNow silently drops an unknown one and then refuses the
    /// resolution for lacking it. A label is accepted for its value.
    fn close_code(&mut self, table: &Name, wanted: &str) -> Result<String> {
        let choices = self.close_code_choices(table)?;
        if let Some(code) = choices
            .iter()
            .find(|code| code.value == wanted || code.label.eq_ignore_ascii_case(wanted))
        {
            return Ok(code.value.clone());
        }
        let valid: Vec<&str> = choices.iter().map(|code| code.value.as_str()).collect();
        Err(Error::invalid_ticket(format!(
            "{wanted:?} is not a close code of {table} on this instance; use one of: {}",
            join(&valid, ", ")
        )))
    }

    fn close_code_choices(&mut self, table: &Name) -> Result<Vec<CloseCode>> {
        if let Some(choices) = self.close_codes.get(table, self.clock.now()) {
            return Ok(choices.clone());
        }
        let query = Query::default()
            .eq("name", table.as_str())
            .eq("element", "close_code")
            .eq("inactive", "false");
        let read = self.select::<ChoiceRow>(&SYS_CHOICE, &query, 100);
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
        self.close_codes
            .insert(table.clone(), choices.clone(), self.clock.now());
        Ok(choices)
    }

    fn details(&self, kind: &TicketKind, row: &TicketRow) -> Result<TicketDetails> {
        Ok(TicketDetails::from_row(
            kind,
            &self.configured()?.instance,
            row,
        ))
    }
}
