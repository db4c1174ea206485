//! changes-since: this integration's tickets updated after the platform's cursor, and the
//! comments and work notes others added to them. The cursor, the keyset order, the merge
//! and where a table's marks move are `crate::servicenow::cursor`; this file holds the calls.

use crate::primitives::prelude::*;

use crate::primitives::clock::Clock;
use crate::primitives::error::{Error, Result};
use crate::primitives::http::Transport;
use crate::primitives::ids::{Name, SysId};
use crate::primitives::time::{Timestamp, timestamp};
use crate::servicenow::cloud_resource::ConfigurationItem;
use crate::servicenow::cursor::{Cursor, Mark, Position, TableOutcome};
use crate::servicenow::keyset::{
    Keyed, TablePage, check_order, first_unsettled, hold_back_unsettled, is_new_entry, merge,
};
use crate::servicenow::query::Query;
use crate::servicenow::rows::{Choice, JOURNAL_COLUMNS, choice, flag, row, sys_id, text, time};
use crate::servicenow::state_model;
use crate::servicenow::table::Page;
use crate::servicenow::ticket::{CORRELATION_DISPLAY, TicketRecord};
use crate::servicenow::ticket_change::{ChangesPage, Comment, TicketChange};
use crate::servicenow::ticket_kind::TicketKind;

use crate::features::session::Session;

/// Tickets handed out per call, whatever the number of tables.
pub(super) const TICKETS_PER_PAGE: usize = 50;
/// Journal entries read per request.
pub(super) const JOURNAL_PAGE: u32 = 200;
/// Journal requests per call for a page of tickets; past it the page is cut (see
/// [`journal_for`]).
pub(super) const JOURNAL_PAGES: usize = 10;
/// Journal requests for one ticket whose entries alone overflow [`JOURNAL_PAGES`]: it must
/// go out whole for the cursor to move, so it may read more, but not without end.
const ONE_TICKET_JOURNAL_PAGES: usize = 50;

static JOURNAL: Name = Name::known("sys_journal_field");

row! {
    /// A ticket as changes-since reads it, with display values for the state's label.
    #[derive(Debug)]
    struct ChangeRow with display_values {
        sys_id: SysId = sys_id => required,
        number: String = text => or_default,
        state: Choice = choice => or_default,
        /// Absent on tables without the column, which then count as active.
        active: bool = flag => or(true),
        priority: String = text => or_default,
        assignment_group: String = text => or_default,
        sys_updated_on: Timestamp = time => required,
        sys_updated_by: String = text => or_default,
        sys_created_by: String = text => or_default,
        correlation_display: String = text => or_default,
        /// A reference: the CI's sys_id, and its name as the display value.
        cmdb_ci: Choice = choice => or_default,
    }
}

impl Keyed for ChangeRow {
    fn time(&self) -> &Timestamp {
        &self.sys_updated_on
    }
    fn sys_id(&self) -> &SysId {
        &self.sys_id
    }
}

row! {
    /// A `sys_journal_field` row as captured (docs/servicenow/polling.md): `name` is the table,
    /// `element_id` the record, `element` the journal column. The table has no `sys_updated_on`:
    /// rows never change, so they are read in (`sys_created_on`, `sys_id`) order.
    #[derive(Debug)]
    struct JournalRow {
        sys_id: SysId = sys_id => required,
        sys_created_on: Timestamp = timestamp => required,
        sys_created_by: String = text => or_default,
        name: String = text => or_default,
        element_id: String = text => or_default,
        element: String = text => or_default,
        value: String = text => or_default,
    }
}

impl Keyed for JournalRow {
    fn time(&self) -> &Timestamp {
        &self.sys_created_on
    }
    fn sys_id(&self) -> &SysId {
        &self.sys_id
    }
}

/// Journal entries read for a page of tickets.
struct Journal {
    entries: Vec<JournalRow>,
    /// Reading stopped with entries left: every entry written before this time was read,
    /// later ones may not have been.
    complete_before: Option<Timestamp>,
}

/// One routed table as a poll read it.
struct TableRead {
    table: Name,
    from: Mark,
    /// The settled records it answered (all of them go to the merge).
    rows: usize,
    /// It answered every record after the position: no more waited behind the page, and
    /// it did not answer an empty page that claims more (rows the integration user may not
    /// read, which hold no ticket of this integration's).
    all_answered: bool,
    /// The first second not yet settled when it answered; none without a `Date`.
    unsettled: Option<Timestamp>,
    /// This integration's tickets it answered in seconds not yet settled.
    held: Vec<SysId>,
}

/// This integration's tickets, whatever else a query asks.
fn ours() -> Query {
    Query::default().eq("correlation_display", CORRELATION_DISPLAY)
}

/// ServiceNow drops a condition on a column the table lacks: only rows that say so are this
/// integration's. The others still move the cursor past them.
fn is_ours(row: &ChangeRow) -> bool {
    row.correlation_display == CORRELATION_DISPLAY
}

/// This integration's tickets in the tables the settings route to, updated after the
/// cursor, oldest first, at most [`TICKETS_PER_PAGE`]; with the comments and work
/// notes others added since. No cursor (or an empty one) starts from now.
pub fn changes_since<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    cursor: Option<&str>,
) -> Result<ChangesPage> {
    let settings = session.configured()?;
    let tables: Vec<Name> = settings.routed_tables().into_iter().cloned().collect();
    let integration_user = settings.credentials.user_name().map(str::to_string);
    let Some(given) = Cursor::parse(cursor.unwrap_or_default())? else {
        let mut now = Vec::with_capacity(tables.len());
        for table in tables {
            let mark = now_mark(session, &table)?;
            now.push((table, mark));
        }
        return Ok(ChangesPage {
            changes: Vec::new(),
            cursor: Cursor::new(now).encode(),
            more: false,
        });
    };
    let mut reads = Vec::with_capacity(tables.len());
    let mut pages = Vec::with_capacity(tables.len());
    for table in tables {
        // A table the settings route to since the cursor was issued starts from now.
        let from = match given.mark(&table) {
            Some(mark) => mark.clone(),
            None => now_mark(session, &table)?,
        };
        let (read, page) = read_table(session, table, from)?;
        reads.push(read);
        pages.push(page);
    }
    let merged = merge(pages, TICKETS_PER_PAGE)?;
    let mut taken = merged.taken;
    let mut more = merged.more;
    let journal = journal_of_page(session, &reads, &mut taken, &mut more)?;
    let mut marks = Vec::with_capacity(reads.len());
    for (index, read) in reads.iter().enumerate() {
        marks.push((read.table.clone(), next_mark(session, index, read, &taken)?));
    }
    let changes = hand_out(session, &reads, taken, journal.entries, integration_user)?;
    Ok(ChangesPage {
        changes,
        cursor: Cursor::new(marks).encode(),
        more,
    })
}

/// One table's records after `from`, the settled ones as a page for the merge.
fn read_table<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    table: Name,
    from: Mark,
) -> Result<(TableRead, TablePage<ChangeRow>)> {
    let query = from.position.query_after(ours, "sys_updated_on");
    let mut page: Page<ChangeRow> = session.select_page(&table, &query, TICKETS_PER_PAGE as u32)?;
    let all_answered = !page.end.more || page.rows.is_empty();
    let unsettled = page.end.date.as_ref().map(first_unsettled);
    let mut held = Vec::new();
    if let Some(unsettled) = &unsettled {
        let unsettled_rows = hold_back_unsettled(&mut page.rows, unsettled);
        // What is held back is newer than the rest of the table: nothing more waits.
        page.end.more &= unsettled_rows.is_empty();
        for row in unsettled_rows {
            if is_ours(&row) {
                held.push(row.sys_id);
            }
        }
    }
    let read = TableRead {
        table: table.clone(),
        from: from.clone(),
        rows: page.rows.len(),
        all_answered,
        unsettled,
        held,
    };
    let page = TablePage {
        table,
        from: from.position,
        rows: page.rows,
        more: page.end.more,
    };
    Ok((read, page))
}

/// Where "now" is in `table`, for a fresh cursor: the first second not yet settled on
/// the instance's clock, so that nothing before it is listed and nothing written from it
/// on is missed. Without the instance's clock (no `Date`), just after its newest record
/// (any record, not only this integration's), or before everything in an empty table.
fn now_mark<T: Transport, C: Clock>(session: &mut Session<T, C>, table: &Name) -> Result<Mark> {
    let query = Query::default()
        .order_by_desc("sys_updated_on")
        .order_by_desc("sys_id");
    // Read as the changes are, so that one reader serves both.
    let page: Page<ChangeRow> = session.select_page(table, &query, 1)?;
    let position = match &page.end.date {
        Some(now) => Position::From(first_unsettled(now)),
        None => page
            .rows
            .first()
            .map_or(Position::Start, |row| row.position()),
    };
    Ok(Mark::at(position))
}

/// The comments and work notes of this integration's tickets in `taken`. Too many for
/// one call: the tickets whose entries were all read are handed out, the rest come with
/// the next page (`more`).
fn journal_of_page<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    reads: &[TableRead],
    taken: &mut Vec<(usize, ChangeRow)>,
    more: &mut bool,
) -> Result<Journal> {
    let tickets: Vec<(&SysId, Option<&Timestamp>)> = taken
        .iter()
        .filter(|(_, row)| is_ours(row))
        .map(|(index, row)| (&row.sys_id, reads[*index].from.floor.as_ref()))
        .collect();
    let journal = journal_for(session, &tickets, JOURNAL_PAGES)?;
    let Some(before) = journal.complete_before.clone() else {
        return Ok(journal);
    };
    let cut = taken
        .iter()
        .position(|(_, row)| is_ours(row) && row.sys_updated_on >= before)
        .unwrap_or(taken.len());
    if cut == taken.len() {
        return Ok(journal);
    }
    if cut > 0 {
        taken.truncate(cut);
        *more = true;
        return Ok(journal);
    }
    // The first ticket's own entries overflow: it goes out alone, whole.
    *more |= taken.len() > 1;
    taken.truncate(1);
    let (index, row) = &taken[0];
    let one = [(&row.sys_id, reads[*index].from.floor.as_ref())];
    let journal = journal_for(session, &one, ONE_TICKET_JOURNAL_PAGES)?;
    if journal.complete_before.is_some() {
        return Err(Error::unexpected(format!(
            "reading the comments of {}: more than {} entries since the cursor; the \
             changes cannot be handed out whole",
            row.number,
            ONE_TICKET_JOURNAL_PAGES * JOURNAL_PAGE as usize
        )));
    }
    Ok(journal)
}

/// Where the table `reads[index]` stands once `taken` is handed out (see
/// [`TableOutcome::next`]).
fn next_mark<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    index: usize,
    read: &TableRead,
    taken: &[(usize, ChangeRow)],
) -> Result<Mark> {
    let mut handed_out = 0;
    let mut last = None;
    for (table, row) in taken {
        if *table == index {
            handed_out += 1;
            last = Some(row.position());
        }
    }
    // Tickets behind a full page, held back or not, were not seen: their comments may be
    // older than any seen.
    let whole = read.all_answered && handed_out == read.rows;
    let held_from = match whole && !read.held.is_empty() {
        true => first_entry(session, &read.held, read.from.floor.as_ref())?,
        false => None,
    };
    Ok(TableOutcome {
        from: &read.from,
        last,
        whole,
        unsettled: read.unsettled.as_ref(),
        held_from: held_from.as_ref(),
    }
    .next())
}

/// The changes of this integration's tickets in `taken`, each with the entries of
/// `entries` that are new to it.
fn hand_out<T: Transport, C: Clock>(
    session: &Session<T, C>,
    reads: &[TableRead],
    taken: Vec<(usize, ChangeRow)>,
    mut entries: Vec<JournalRow>,
    integration_user: Option<String>,
) -> Result<Vec<TicketChange>> {
    let instance = &session.configured()?.instance;
    let mut changes = Vec::with_capacity(taken.len());
    for (index, row) in taken {
        if !is_ours(&row) {
            continue;
        }
        let TableRead { table, from, .. } = &reads[index];
        let integration = integration_user.as_deref().unwrap_or(&row.sys_created_by);
        // Each entry is one ticket's: it leaves the list with the ticket's change.
        let mut comments = Vec::new();
        let mut rest = Vec::with_capacity(entries.len());
        for entry in entries {
            let its = entry.element_id == row.sys_id.as_str() && entry.name == table.as_str();
            if !its {
                rest.push(entry);
            } else if JOURNAL_COLUMNS.contains(&entry.element.as_str())
                && entry.sys_created_by != integration
                && is_new_entry(
                    &entry.sys_created_on,
                    from.floor.as_ref(),
                    &row.sys_updated_on,
                )
            {
                comments.push(Comment {
                    internal: entry.element == "work_notes",
                    id: entry.sys_id,
                    author: entry.sys_created_by,
                    created_at: entry.sys_created_on,
                    text: entry.value,
                });
            }
        }
        entries = rest;
        let kind = TicketKind::for_table(table);
        changes.push(TicketChange {
            ticket: TicketRecord::identify(&kind, instance, &row.sys_id, &row.number),
            state_label: state_model::label(table, &row.state),
            done: state_model::is_done(table, &row.state.value, row.active),
            updated_at: row.sys_updated_on,
            updated_by: row.sys_updated_by,
            state: row.state.value,
            priority: row.priority,
            assignment_group: row.assignment_group,
            configuration_item: ConfigurationItem::from_reference(&row.cmdb_ci),
            comments,
        });
    }
    Ok(changes)
}

/// When the first comment or work note, from `floor` on, was written to one of
/// `tickets` (held back by a poll): the table's floor may not pass it.
fn first_entry<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    tickets: &[SysId],
    floor: Option<&Timestamp>,
) -> Result<Option<Timestamp>> {
    let ids: Vec<&str> = tickets.iter().map(SysId::as_str).collect();
    let mut query = Query::default()
        .one_of("element_id", &ids)
        .one_of("element", JOURNAL_COLUMNS);
    if let Some(floor) = floor {
        query = query.at_or_after("sys_created_on", floor.as_str());
    }
    let query = query.order_by("sys_created_on").order_by("sys_id");
    let page: Page<JournalRow> = session.select_page(&JOURNAL, &query, 1)?;
    Ok(page.rows.into_iter().next().map(|row| row.sys_created_on))
}

/// The comments and work notes of `tickets` (each with its table's journal floor),
/// oldest first, at most `max_pages` requests of them.
fn journal_for<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    tickets: &[(&SysId, Option<&Timestamp>)],
    max_pages: usize,
) -> Result<Journal> {
    let mut journal = Journal {
        entries: Vec::new(),
        complete_before: None,
    };
    if tickets.is_empty() {
        return Ok(journal);
    }
    let ids: Vec<&str> = tickets.iter().map(|(id, _)| id.as_str()).collect();
    // Entries before every ticket's floor were handed out already.
    let mut since = tickets[0].1;
    for (_, floor) in tickets {
        since = since.min(*floor);
    }
    let conditions = || {
        let query = Query::default()
            .one_of("element_id", &ids)
            .one_of("element", JOURNAL_COLUMNS);
        match since {
            Some(time) => query.at_or_after("sys_created_on", time.as_str()),
            None => query,
        }
    };
    let mut read = Position::Start;
    for _ in 0..max_pages {
        let query = read.query_after(conditions, "sys_created_on");
        let page: Page<JournalRow> = session.select_page(&JOURNAL, &query, JOURNAL_PAGE)?;
        read = check_order("reading the comments", &read, &page.rows)?;
        let last_page = !page.end.more || page.rows.is_empty();
        journal.entries.extend(page.rows);
        if last_page {
            return Ok(journal);
        }
    }
    journal.complete_before = read.time().cloned();
    Ok(journal)
}
