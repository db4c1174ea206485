//! The tickets a call names: found by number or sys_id, or by this integration's correlation
//! id, in the tables this tenant may touch; and written back.

use crate::primitives::prelude::*;

use crate::features::groups;
use crate::features::session::Session;
use crate::primitives::clock::Clock;
use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::http::Transport;
use crate::primitives::ids::{Name, SysId};
use crate::servicenow::query::Query;
use crate::servicenow::rows::{Columns, Plain, Stored};
use crate::servicenow::ticket::{CORRELATION_DISPLAY, TicketId, TicketRef, TicketRow};
use crate::servicenow::ticket_kind::TicketKind;

/// Reads a ticket named by number or sys_id, in a table this tenant may touch.
pub fn find<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    reference: &TicketRef,
) -> Result<TicketRow> {
    let table = reference.kind.table();
    may_touch(session, table)?;
    match &reference.id {
        TicketId::SysId(sys_id) => session.get(table, sys_id),
        TicketId::Number(number) => {
            let rows: Vec<TicketRow> =
                session.select(table, &Query::default().number(number), 1)?;
            // ServiceNow drops query terms it does not understand: check what came back.
            rows.into_iter()
                .find(|row| row.number == number.as_str())
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::NotFound,
                        format!("no {table} record has the number {number}"),
                    )
                })
        }
    }
}

/// A caller reaches the tables the settings route tickets to, and the three kinds the
/// contract names; not `sys_user` or any other table the integration user can read.
pub fn may_touch<T: Transport, C: Clock>(session: &Session<T, C>, table: &Name) -> Result<()> {
    let settings = session.configured()?;
    let named = [
        TicketKind::Incident,
        TicketKind::ChangeRequest,
        TicketKind::Problem,
    ];
    if named.iter().any(|kind| kind.table() == table) || settings.routed_tables().contains(&table) {
        return Ok(());
    }
    Err(Error::invalid_ticket(format!(
        "{table} is not a table this integration's ticket categories route to"
    )))
}

/// Whether a read brings each ticket's state label (`sysparm_display_value=all`): only the
/// reads whose answer shows a status need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Labels {
    Read,
    Skip,
}

/// This integration's tickets in `table` with the correlation id, newest first (by
/// creation, then number).
pub fn find_by_correlation<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    table: &Name,
    correlation_id: &str,
    labels: Labels,
) -> Result<Vec<TicketRow>> {
    let query = Query::default()
        .eq("correlation_id", correlation_id)
        .eq("correlation_display", CORRELATION_DISPLAY)
        .order_by_desc("sys_created_on")
        .order_by_desc("number");
    let rows: Vec<TicketRow> = match labels {
        Labels::Read => session.select(table, &query, 10)?,
        Labels::Skip => session
            .select::<Plain<TicketRow>>(table, &query, 10)?
            .into_iter()
            .map(|row| row.0)
            .collect(),
    };
    Ok(rows
        .into_iter()
        .filter(|row| row.is_ours_for(correlation_id))
        .collect())
}

/// Writes `columns` to an existing record and answers it as stored.
pub fn patch<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    table: &Name,
    sys_id: &SysId,
    columns: &Columns,
) -> Result<Stored<TicketRow>> {
    let stored =
        session.authorized(|api, token| api.table.update(token, table, sys_id, columns))?;
    groups::forget_group_if_refused(session, columns, &stored);
    Ok(stored)
}

/// The event's ticket among `matches` (newest first, as [`find_by_correlation`]
/// answers them): the oldest open one, by creation and then number, so that every worker
/// that raced to create it settles on the same one.
pub fn oldest_open<'a>(matches: &'a [TicketRow], table: &Name) -> Option<&'a TicketRow> {
    matches.iter().rev().find(|row| !row.is_done(table))
}
