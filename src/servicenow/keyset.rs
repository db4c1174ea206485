//! The keyset order of a table's records, (time, sys_id): each table's page checked to be in
//! it, the pages merged into one, oldest first, and the records of seconds not yet settled on
//! the instance's clock held back for a later poll (see [`crate::servicenow::cursor`]).

use crate::primitives::prelude::*;

use crate::primitives::error::{Error, Result};
use crate::primitives::ids::{Name, SysId};
use crate::primitives::time::Timestamp;
use crate::servicenow::cursor::Position;

/// A record's place in its table's keyset order: its time (`sys_updated_on` for tickets,
/// `sys_created_on` for journal entries, which never change) and its sys_id.
pub trait Keyed {
    fn time(&self) -> &Timestamp;
    fn sys_id(&self) -> &SysId;

    fn position(&self) -> Position {
        Position::At(self.time().clone(), self.sys_id().clone())
    }
}

/// Checks that `rows` come in keyset order after `from`, as asked, and answers the last
/// one's position (`from` when there is none). An instance that answered otherwise dropped
/// part of the query, and going on could skip or repeat records.
pub fn check_order<R: Keyed>(what: &str, from: &Position, rows: &[R]) -> Result<Position> {
    let mut last = from.clone();
    for row in rows {
        let position = row.position();
        if position <= last {
            return Err(Error::unexpected(format!(
                "{what}: ServiceNow answered {} out of the order asked for ({} after {})",
                row.sys_id(),
                row.time(),
                describe(&last)
            )));
        }
        last = position;
    }
    Ok(last)
}

/// One table's records after `from`, as the instance answered them.
pub struct TablePage<R> {
    pub table: Name,
    pub from: Position,
    pub rows: Vec<R>,
    /// The instance has more after these.
    pub more: bool,
}

/// The oldest records of all tables, at most `limit`.
pub struct Merged<R> {
    /// (index of its table in the pages, record), oldest first.
    pub taken: Vec<(usize, R)>,
    /// Records wait that this page did not take.
    pub more: bool,
}

/// Merges the tables' pages into one, oldest first (see [`check_order`] for what each
/// table's records must be).
pub fn merge<R: Keyed>(pages: Vec<TablePage<R>>, limit: usize) -> Result<Merged<R>> {
    let mut more = false;
    let mut all: Vec<(usize, R)> = Vec::new();
    for (index, page) in pages.into_iter().enumerate() {
        let what = format!("reading the changes of {}", page.table);
        check_order(&what, &page.from, &page.rows)?;
        // An empty page that claims more (rows the integration user may not read, counted before
        // ACLs: docs/servicenow/table-api.md#query-parameters) cannot move the cursor; asking again
        // at once would spin.
        more |= page.more && !page.rows.is_empty();
        all.extend(page.rows.into_iter().map(|row| (index, row)));
    }
    // Across tables the order is by time; a tie between tables by sys_id, then by table.
    // By insertion (a few pages, each in order already): `sort_unstable_by` would cost the
    // component 1.5 KB, and the rest of the size budget went on plainer code elsewhere.
    fn key<R: Keyed>((table, row): &(usize, R)) -> (&Timestamp, &SysId, usize) {
        (row.time(), row.sys_id(), *table)
    }
    for next in 1..all.len() {
        let mut at = next;
        while at > 0 && key(&all[at - 1]) > key(&all[at]) {
            all.swap(at - 1, at);
            at -= 1;
        }
    }
    if all.len() > limit {
        all.truncate(limit);
        more = true;
    }
    Ok(Merged { taken: all, more })
}

/// How long past the end of a second its records wait before they are handed out. A record
/// is stamped when its write starts and becomes visible when the write commits, so a poll
/// in the very second of a write, or just after it, may see some of that second's records
/// and not the others.
pub const SETTLE_SECONDS: u64 = 1;

/// The first second whose records are not settled at `clock`, the instance's clock (see
/// [`SETTLE_SECONDS`]): that second and later ones may still get writes.
pub fn first_unsettled(clock: &Timestamp) -> Timestamp {
    clock.seconds_earlier(SETTLE_SECONDS)
}

/// Takes the records (in keyset order) of the seconds from `unsettled` on out of `rows` (see
/// [`first_unsettled`]) and answers them: they come with a later poll.
pub fn hold_back_unsettled<R: Keyed>(rows: &mut Vec<R>, unsettled: &Timestamp) -> Vec<R> {
    let settled = rows.iter().take_while(|row| row.time() < unsettled).count();
    rows.split_off(settled)
}

/// Whether a journal entry written at `written` is new to a change of its ticket read at `updated`,
/// in a table whose journal floor is `floor` (see [`Mark`](crate::servicenow::cursor::Mark)).
/// Entries after the ticket's update as read belong to a later change of it.
pub fn is_new_entry(written: &Timestamp, floor: Option<&Timestamp>, updated: &Timestamp) -> bool {
    floor.is_none_or(|floor| written >= floor) && written <= updated
}

fn describe(position: &Position) -> String {
    match position {
        Position::Start => "the start".into(),
        Position::From(time) => format!("the start of {time}"),
        Position::At(time, sys_id) => format!("{time} {sys_id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::error::ErrorKind;
    use crate::test_support::values::{id, ts};

    #[derive(Clone, Debug, PartialEq)]
    struct Row(Timestamp, SysId);

    impl Keyed for Row {
        fn time(&self) -> &Timestamp {
            &self.0
        }
        fn sys_id(&self) -> &SysId {
            &self.1
        }
    }

    fn row(time: &str, c: char) -> Row {
        Row(ts(time), id(c))
    }

    fn page(table: &'static str, from: Position, rows: Vec<Row>, more: bool) -> TablePage<Row> {
        TablePage {
            table: Name::known(table),
            from,
            rows,
            more,
        }
    }

    /// Where each table stands after handing out `taken`: its last record there, or where it
    /// was (`from`, by table index).
    fn advanced(from: &[(Name, Position)], taken: &[(usize, Row)]) -> Vec<(Name, Position)> {
        let mut positions = from.to_vec();
        for (index, row) in taken {
            positions[*index].1 = row.position();
        }
        positions
    }

    fn froms(pages: &[TablePage<Row>]) -> Vec<(Name, Position)> {
        pages
            .iter()
            .map(|p| (p.table.clone(), p.from.clone()))
            .collect()
    }

    /// A record is handed out once the instance's clock is a whole second past the end of
    /// the second it was stamped in; the rest, newer, wait.
    #[test]
    fn the_records_of_seconds_not_yet_settled_are_held_back() {
        let rows = || {
            vec![
                row("2026-01-01 23:59:57", 'c'),
                row("2026-01-01 23:59:58", 'a'),
                row("2026-01-01 23:59:58", 'b'),
                row("2026-01-01 23:59:59", 'a'),
                row("2026-01-02 00:00:00", 'a'),
            ]
        };
        for (now, kept) in [
            ("2026-01-02 00:00:01", 4),
            ("2026-01-02 00:00:00", 3),
            ("2026-01-01 23:59:59", 1),
            ("2026-01-01 23:59:58", 0),
            ("2026-01-01 00:00:00", 0),
            ("2026-01-02 00:00:02", 5),
        ] {
            let mut settled = rows();
            let held = hold_back_unsettled(&mut settled, &first_unsettled(&ts(now)));
            assert_eq!(settled, rows()[..kept], "at {now}");
            assert_eq!(held, rows()[kept..], "at {now}");
        }
    }

    #[test]
    fn pages_merge_oldest_first_and_each_table_moves_to_its_last_taken() {
        let incidents = page(
            "incident",
            Position::Start,
            vec![
                row("2026-01-01 00:00:01", 'b'),
                row("2026-01-01 00:00:03", 'a'),
            ],
            false,
        );
        let changes = page(
            "change_request",
            Position::At(ts("2026-01-01 00:00:00"), id('f')),
            vec![
                row("2026-01-01 00:00:01", 'c'),
                row("2026-01-01 00:00:02", 'd'),
            ],
            false,
        );
        let pages = vec![incidents, changes];
        let from = froms(&pages);
        let merged = merge(pages, 3).unwrap();
        let taken: Vec<(usize, char)> = merged
            .taken
            .iter()
            .map(|(t, r)| (*t, r.1.as_str().chars().next().unwrap()))
            .collect();
        assert_eq!(taken, [(0, 'b'), (1, 'c'), (1, 'd')]);
        assert!(merged.more, "one incident waits");
        assert_eq!(
            advanced(&from, &merged.taken),
            [
                (
                    Name::known("incident"),
                    Position::At(ts("2026-01-01 00:00:01"), id('b'))
                ),
                (
                    Name::known("change_request"),
                    Position::At(ts("2026-01-01 00:00:02"), id('d'))
                ),
            ]
        );

        // Nothing new: every table stays where it was, and nothing waits.
        let at = Position::At(ts("2026-01-01 00:00:05"), id('e'));
        let pages = vec![page("incident", at.clone(), vec![], false)];
        let from = froms(&pages);
        let merged = merge(pages, 50).unwrap();
        assert!(merged.taken.is_empty() && !merged.more);
        assert_eq!(advanced(&from, &merged.taken)[0].1, at);

        // The instance said more records match than it sent.
        let one = vec![row("2026-01-01 00:00:01", 'a')];
        let merged = merge(vec![page("incident", Position::Start, one, true)], 50).unwrap();
        assert!(merged.more);
        // An empty page that claims more cannot move the cursor: not "more", or the
        // platform would ask again at once, for ever.
        let merged = merge(vec![page("incident", Position::Start, vec![], true)], 50).unwrap();
        assert!(!merged.more);
    }

    #[test]
    fn records_out_of_the_order_asked_for_are_refused() {
        let from = Position::At(ts("2026-01-01 00:00:05"), id('b'));
        for rows in [
            vec![row("2026-01-01 00:00:05", 'a')],
            vec![row("2026-01-01 00:00:05", 'b')],
            vec![row("2026-01-01 00:00:04", 'f')],
            vec![
                row("2026-01-01 00:00:07", 'c'),
                row("2026-01-01 00:00:06", 'd'),
            ],
            vec![
                row("2026-01-01 00:00:07", 'c'),
                row("2026-01-01 00:00:07", 'c'),
            ],
        ] {
            let error = merge(vec![page("incident", from.clone(), rows, false)], 50)
                .err()
                .expect("refused");
            assert_eq!(error.kind, ErrorKind::UnexpectedResponse);
            assert!(
                error.message.contains("out of the order"),
                "{}",
                error.message
            );
        }
    }

    /// Two updates in one second and a page boundary between them: the second page
    /// starts right after the first one's last record, and nothing is seen twice.
    #[test]
    fn ties_across_a_page_boundary_are_neither_lost_nor_repeated() {
        let tie = "2026-01-01 00:00:01";
        let all = [row(tie, 'a'), row(tie, 'b'), row(tie, 'c')];
        let pages = vec![page("incident", Position::Start, all[..2].to_vec(), true)];
        let from = froms(&pages);
        let first = merge(pages, 2).unwrap();
        let after = advanced(&from, &first.taken)[0].1.clone();
        assert_eq!(after, Position::At(ts(tie), id('b')));
        // What the instance answers to the keyset query from there.
        let rest: Vec<Row> = all
            .iter()
            .filter(|r| r.position() > after)
            .cloned()
            .collect();
        assert_eq!(rest, [row(tie, 'c')]);
        let second = merge(vec![page("incident", after, rest, false)], 2).unwrap();
        assert_eq!(second.taken.len(), 1);
        assert!(!second.more);
    }

    #[test]
    fn an_entry_is_new_from_the_floor_to_the_update_read() {
        let t = |s: &str| ts(&format!("2026-01-01 00:00:0{s}"));
        let floor = t("5");
        assert!(is_new_entry(&t("5"), Some(&floor), &t("7")));
        assert!(is_new_entry(&t("7"), Some(&floor), &t("7")));
        assert!(!is_new_entry(&t("4"), Some(&floor), &t("7")));
        // Written after the update as read: the next change of the ticket carries it.
        assert!(!is_new_entry(&t("8"), Some(&floor), &t("7")));
        assert!(is_new_entry(&t("1"), None, &t("7")));
    }
}
