//! What changed on this integration's tickets since the platform last asked (issue 9 §3):
//! the cursor the platform keeps between polls, the keyset order it stands for (facts §16:
//! `sys_updated_on` has whole seconds and ties are common, so the order is
//! (`sys_updated_on`, `sys_id`)), the merge of each table's page into one page, oldest
//! first, and which journal entries a change carries.
//!
//! The cursor is opaque to the platform but comes back from it: it is parsed as hostile
//! input, and nothing in it reaches a request unchecked (its tables are only those the
//! settings route to; its times and sys_ids are validated types).
//!
//! What the keyset alone cannot see: a write committed after a poll read its table, stamped
//! with the second of the last record that poll handed out and with a smaller sys_id, would
//! sort behind the cursor. So a poll hands out only the records of seconds that are over on
//! the instance's own clock (the answer's `Date` header) by [`SETTLE_SECONDS`], and the
//! cursor stops before the rest: they come with a later poll, once their second can get no
//! more writes. Without a `Date` (a proxy that drops it), nothing is held back.

use crate::prelude::*;

use core::fmt;

use crate::error::{Error, ErrorKind, Result};
use crate::guide;
use crate::ids::{Name, SysId};
use crate::json::{self, Value};
use crate::table_api::Query;
use crate::ticket::TicketRecord;

/// A time as ServiceNow stores it: UTC `YYYY-MM-DD HH:MM:SS` (facts §16), checked to be a
/// real one. In that shape text order is time order.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(String);

impl Timestamp {
    pub fn parse(text: &str) -> Option<Self> {
        let shape = text.len() == 19
            && text.bytes().enumerate().all(|(i, b)| match i {
                4 | 7 => b == b'-',
                10 => b == b' ',
                13 | 16 => b == b':',
                _ => b.is_ascii_digit(),
            });
        if !shape {
            return None;
        }
        let number = |range| digits(text, range);
        let (year, month, day) = (number(0..4), number(5..7), number(8..10));
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        let valid = year >= 1970
            && (1..=days).contains(&day)
            && number(11..13) < 24
            && number(14..16) < 60
            && number(17..19) < 60;
        valid.then(|| Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The instance's clock as an answer's `Date` header gives it: RFC 9110's IMF-fixdate
    /// (`Sun, 06 Nov 1994 08:49:37 GMT`), the one form a server may send; `None` for
    /// anything else.
    pub fn from_http_date(text: &str) -> Option<Self> {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        const NUMBERS: [&str; 12] = [
            "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12",
        ];
        let part = |range| text.get(range);
        if text.len() != 29 || part(3..5)? != ", " || part(25..29)? != " GMT" {
            return None;
        }
        let month = MONTHS.iter().position(|m| Some(*m) == part(8..11))?;
        let mut iso = String::with_capacity(19);
        iso.push_str(part(12..16)?);
        iso.push('-');
        iso.push_str(NUMBERS[month]);
        iso.push('-');
        iso.push_str(part(5..7)?);
        iso.push(' ');
        iso.push_str(part(17..25)?);
        (part(7..8)? == " " && part(11..12)? == " " && part(16..17)? == " ")
            .then(|| Self::parse(&iso))
            .flatten()
    }

    /// Seconds since the Unix epoch (the time was checked to be one from 1970 on).
    fn unix_seconds(&self) -> u64 {
        let number = |range| digits(&self.0, range);
        let (year, month, day) = (number(0..4), number(5..7), number(8..10));
        // Howard Hinnant's `days_from_civil`: years counted from March, so that the leap
        // day is the last of its year.
        let year = if month <= 2 { year - 1 } else { year };
        let (era, year_of_era) = (year / 400, year % 400);
        let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        let days = era * 146_097 + day_of_era - 719_468;
        days * 86_400 + number(11..13) * 3600 + number(14..16) * 60 + number(17..19)
    }

    /// `YYYYMMDDHHMMSS`: the cursor's spelling, without the space and separators.
    fn compact(&self) -> String {
        self.0.chars().filter(char::is_ascii_digit).collect()
    }

    fn from_compact(digits: &str) -> Option<Self> {
        if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Self::parse(&format!(
            "{}-{}-{} {}:{}:{}",
            &digits[0..4],
            &digits[4..6],
            &digits[6..8],
            &digits[8..10],
            &digits[10..12],
            &digits[12..14]
        ))
    }
}

/// The number written in `text[range]`, whose bytes were checked to be ASCII digits.
fn digits(text: &str, range: core::ops::Range<usize>) -> u64 {
    text.as_bytes()[range]
        .iter()
        .fold(0, |n, b| n * 10 + u64::from(b - b'0'))
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A column holding a time.
pub fn timestamp(value: &Value) -> Result<Timestamp, json::Error> {
    let text = json::string(value)?;
    Timestamp::parse(&text)
        .ok_or_else(|| json::invalid_value(value, "a UTC time as \"YYYY-MM-DD HH:MM:SS\""))
}

/// Where a table was read up to: before everything, just before a second (every record
/// updated in it or later is ahead), or the last (time, sys_id) handed out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Position {
    Start,
    /// A fresh cursor starts here, at the second of the table's newest record: the records
    /// of that second are handed out (once more) rather than a record updated later in the
    /// same second, with a smaller sys_id, being missed for good.
    From(Timestamp),
    At(Timestamp, SysId),
}

impl Position {
    /// The keyset order: by time, then sys_id; `Start` before all, `From(t)` before every
    /// record of second `t`.
    fn key(&self) -> (Option<&Timestamp>, Option<&SysId>) {
        match self {
            Position::Start => (None, None),
            Position::From(time) => (Some(time), None),
            Position::At(time, sys_id) => (Some(time), Some(sys_id)),
        }
    }
}

impl PartialOrd for Position {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Position {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.key().cmp(&other.key())
    }
}

impl Position {
    /// The records after this position, in keyset order (facts §16):
    /// `T=t^sys_id>LAST^NQT>t^ORDERBYT^ORDERBYsys_id`, with `conditions` on each side of the
    /// `^NQ`, since a new query starts again from nothing.
    pub fn query_after(&self, conditions: impl Fn() -> Query, time_column: &str) -> Query {
        let query = match self {
            Position::Start => conditions(),
            Position::From(time) => conditions().at_or_after(time_column, time.as_str()),
            Position::At(time, sys_id) => conditions()
                .eq(time_column, time.as_str())
                .after("sys_id", sys_id.as_str())
                .or_else(conditions().after(time_column, time.as_str())),
        };
        query.order_by(time_column).order_by("sys_id")
    }

    /// The time of the position; none before everything.
    pub fn time(&self) -> Option<&Timestamp> {
        match self {
            Position::Start => None,
            Position::From(time) | Position::At(time, _) => Some(time),
        }
    }
}

/// The longest cursor accepted; one issued for many tables stays far below it.
const CURSOR_MAX: usize = 8192;
/// The most tables a cursor names.
const CURSOR_TABLES_MAX: usize = 64;
/// The cursor format's version, its first part.
const CURSOR_VERSION: &str = "v1";

/// The platform's place in each table: `v1~incident=20260102030405.<sys_id>~u_x=start`.
/// Opaque to the platform, which only stores it and hands it back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    tables: Vec<(Name, Position)>,
}

impl Cursor {
    pub fn new(tables: Vec<(Name, Position)>) -> Self {
        Self { tables }
    }

    /// A cursor the platform handed back; `None` for an empty one (start from now).
    pub fn parse(text: &str) -> Result<Option<Self>> {
        if text.is_empty() {
            return Ok(None);
        }
        let refuse = |why: String| Err(invalid_cursor(text, &why));
        if text.len() > CURSOR_MAX {
            return refuse(format!(
                "it is {} bytes long, more than the {CURSOR_MAX} of any cursor issued",
                text.len()
            ));
        }
        let mut parts = text.split('~');
        if parts.next() != Some(CURSOR_VERSION) {
            return refuse(format!("it does not start with {CURSOR_VERSION:?}"));
        }
        let mut tables: Vec<(Name, Position)> = Vec::new();
        for part in parts {
            if tables.len() == CURSOR_TABLES_MAX {
                return refuse(format!("it names more than {CURSOR_TABLES_MAX} tables"));
            }
            let Some((table, position)) = part.split_once('=') else {
                return refuse("a part has no \"table=position\"".into());
            };
            let Some(table) = Name::parse(table) else {
                return refuse("a part does not start with a table name".into());
            };
            if tables.iter().any(|(seen, _)| *seen == table) {
                return refuse(format!("it names the table {table} twice"));
            }
            let position = match position.split_once('.') {
                None if position == "start" => Position::Start,
                None => match Timestamp::from_compact(position) {
                    Some(time) => Position::From(time),
                    None => {
                        return refuse(format!(
                            "the position for {table} is neither \"start\" nor a time and a \
                             sys_id"
                        ));
                    }
                },
                Some((time, sys_id)) => {
                    let Some(time) = Timestamp::from_compact(time) else {
                        return refuse(format!(
                            "the time for {table} is not a time as YYYYMMDDHHMMSS"
                        ));
                    };
                    let Some(sys_id) = SysId::parse(sys_id) else {
                        return refuse(format!("the record for {table} is not a sys_id"));
                    };
                    Position::At(time, sys_id)
                }
            };
            tables.push((table, position));
        }
        Ok(Some(Self { tables }))
    }

    /// Where `table` was read up to, if the cursor names it.
    pub fn position(&self, table: &Name) -> Option<&Position> {
        self.tables
            .iter()
            .find(|(name, _)| name == table)
            .map(|(_, position)| position)
    }

    pub fn encode(&self) -> String {
        let mut text = CURSOR_VERSION.to_string();
        for (table, position) in &self.tables {
            text.push('~');
            text.push_str(table.as_str());
            text.push('=');
            match position {
                Position::Start => text.push_str("start"),
                Position::From(time) => text.push_str(&time.compact()),
                Position::At(time, sys_id) => {
                    text.push_str(&time.compact());
                    text.push('.');
                    text.push_str(sys_id.as_str());
                }
            }
        }
        text
    }
}

/// A cursor refused, showing no more of it than a person needs to recognise it.
fn invalid_cursor(text: &str, why: &str) -> Error {
    Error::new(
        ErrorKind::InvalidCursor,
        format!(
            "the changes cursor {} is not one this provider issued: {why}",
            crate::answer::quoted(text, 40)
        ),
    )
    .with_remedy(guide::NEW_CURSOR)
}

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
        // An empty page that claims more (rows the integration user may not read, counted
        // before ACLs: facts §2.2) cannot move the cursor; asking again at once would spin.
        more |= page.more && !page.rows.is_empty();
        all.extend(page.rows.into_iter().map(|row| (index, row)));
    }
    // Across tables the order is by time; a tie between tables by sys_id, then by table.
    // Insertion: a few pages of at most a page each, every one in order already (and no
    // sort from `core` to carry for it).
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

/// Drops the records (in keyset order) of the seconds not yet settled at `now`, the
/// instance's clock when it answered: they come with a later poll. Answers whether any
/// were held back.
pub fn hold_back_unsettled<R: Keyed>(rows: &mut Vec<R>, now: &Timestamp) -> bool {
    let now = now.unix_seconds();
    let settled = rows
        .iter()
        .take_while(|row| row.time().unix_seconds() + 1 + SETTLE_SECONDS <= now)
        .count();
    let held = settled < rows.len();
    rows.truncate(settled);
    held
}

/// Where each table stands after handing out `taken`: its last record there, or where it
/// was (`from`, by table index).
pub fn advanced<R: Keyed>(
    from: &[(Name, Position)],
    taken: &[(usize, R)],
) -> Vec<(Name, Position)> {
    let mut positions = from.to_vec();
    for (index, row) in taken {
        positions[*index].1 = row.position();
    }
    positions
}

fn describe(position: &Position) -> String {
    match position {
        Position::Start => "the start".into(),
        Position::From(time) => format!("the start of {time}"),
        Position::At(time, sys_id) => format!("{time} {sys_id}"),
    }
}

/// Whether a journal entry written at `written` on the ticket `ticket` is new to a change
/// read from `from` whose record was last updated at `updated`. Writing an entry updates
/// its ticket, so an entry stands where its ticket stood when it was written: the entries
/// the platform has seen are those at or before the position it had read up to. Entries
/// after the ticket's update as read belong to a later change of it.
pub fn is_new_entry(
    written: &Timestamp,
    ticket: &SysId,
    from: &Position,
    updated: &Timestamp,
) -> bool {
    let at = Position::At(written.clone(), ticket.clone());
    at > *from && written <= updated
}

/// A comment or work note someone other than the integration added.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub id: SysId,
    /// True for a work note (internal), false for an additional comment (public).
    pub internal: bool,
    pub author: String,
    pub created_at: Timestamp,
    pub text: String,
}

/// One of this integration's tickets that changed: where it stands now, and the comments
/// added since the platform last asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketChange {
    pub ticket: TicketRecord,
    pub updated_at: Timestamp,
    pub updated_by: String,
    pub state: String,
    pub state_label: String,
    pub done: bool,
    /// ServiceNow's priority value (`1` to `5`), as stored.
    pub priority: String,
    pub assignment_group: String,
    pub comments: Vec<Comment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangesPage {
    pub changes: Vec<TicketChange>,
    pub cursor: String,
    pub more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    fn id(c: char) -> SysId {
        SysId::parse(&c.to_string().repeat(32)).unwrap()
    }

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

    #[test]
    fn timestamps_are_real_utc_times() {
        assert_eq!(ts("2024-02-29 23:59:59").as_str(), "2024-02-29 23:59:59");
        for bad in [
            "",
            "2023-02-29 00:00:00",
            "2024-13-01 00:00:00",
            "2024-04-31 00:00:00",
            "2024-01-01 24:00:00",
            "2024-01-01 00:60:00",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00",
            "1969-12-31 23:59:59",
            "2024-01-01 00:00:00 ",
            "２０２４-01-01 00:00:00",
            "+024-01-01 00:00:00",
        ] {
            assert!(Timestamp::parse(bad).is_none(), "{bad:?}");
        }
        assert!(ts("2024-01-01 00:00:10") > ts("2024-01-01 00:00:09"));
        let time = ts("2026-01-02 03:04:05");
        assert_eq!(time.compact(), "20260102030405");
        assert_eq!(Timestamp::from_compact(&time.compact()), Some(time));
    }

    #[test]
    fn a_date_header_is_read_as_the_instances_clock() {
        for (date, time) in [
            ("Sun, 06 Nov 1994 08:49:37 GMT", "1994-11-06 08:49:37"),
            ("Thu, 26 Nov 2026 14:52:13 GMT", "2026-11-26 14:52:13"),
            ("Thu, 29 Feb 2024 23:59:59 GMT", "2024-02-29 23:59:59"),
            ("Fri, 01 Jan 1970 00:00:00 GMT", "1970-01-01 00:00:00"),
        ] {
            assert_eq!(Timestamp::from_http_date(date), Some(ts(time)), "{date}");
        }
        for bad in [
            "",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nox 1994 08:49:37 GMT",
            "Sun, 31 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT ",
            "Sun, 06 Nov 1994 8:49:37  GMT",
            "Sun, 06 Nov 1994 08:49:3é GMT",
            "Sun, 06 Nov 1994T08:49:37 GMT",
            "Sun,\u{a0}6 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(Timestamp::from_http_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn seconds_since_the_epoch_are_counted_across_leap_days_and_years() {
        for (time, seconds) in [
            ("1970-01-01 00:00:00", 0),
            ("1970-03-01 00:00:00", 59 * 86_400),
            ("2000-02-29 00:00:00", 951_782_400),
            ("2000-03-01 00:00:00", 951_868_800),
            ("2024-06-15 12:34:56", 1_718_454_896),
            ("2024-12-31 23:59:59", 1_735_689_599),
            ("2100-03-01 00:00:00", 4_107_542_400),
        ] {
            assert_eq!(ts(time).unix_seconds(), seconds, "{time}");
        }
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
            let mut held = rows();
            assert_eq!(
                hold_back_unsettled(&mut held, &ts(now)),
                kept < 5,
                "at {now}"
            );
            assert_eq!(held, rows()[..kept], "at {now}");
        }
    }

    #[test]
    fn a_second_comes_before_its_records_and_round_trips() {
        let second = Position::From(ts("2026-01-02 03:04:05"));
        assert!(second < Position::At(ts("2026-01-02 03:04:05"), id('0')));
        assert!(second > Position::At(ts("2026-01-02 03:04:04"), id('f')));
        assert!(Position::Start < second);
        let cursor = Cursor::new(vec![(Name::known("incident"), second.clone())]);
        assert_eq!(cursor.encode(), "v1~incident=20260102030405");
        let back = Cursor::parse(&cursor.encode()).unwrap().unwrap();
        assert_eq!(back.position(&Name::known("incident")), Some(&second));
        assert_eq!(
            second
                .query_after(Query::default, "sys_updated_on")
                .checked()
                .unwrap(),
            "sys_updated_on>=2026-01-02 03:04:05^ORDERBYsys_updated_on^ORDERBYsys_id"
        );
    }

    #[test]
    fn a_cursor_round_trips() {
        let cursor = Cursor::new(vec![
            (
                Name::known("incident"),
                Position::At(ts("2026-01-02 03:04:05"), id('a')),
            ),
            (Name::known("u_cost_finding"), Position::Start),
        ]);
        let text = cursor.encode();
        assert_eq!(
            text,
            format!(
                "v1~incident=20260102030405.{}~u_cost_finding=start",
                "a".repeat(32)
            )
        );
        assert_eq!(Cursor::parse(&text).unwrap(), Some(cursor.clone()));
        assert_eq!(
            cursor.position(&Name::known("u_cost_finding")),
            Some(&Position::Start)
        );
        assert_eq!(cursor.position(&Name::known("problem")), None);
        assert_eq!(Cursor::parse("").unwrap(), None);
        assert_eq!(Cursor::parse("v1").unwrap(), Some(Cursor::default()));
    }

    /// The cursor comes back from the platform: anything but one this provider issued is
    /// refused with what is wrong, shown cut and printable, never a panic.
    #[test]
    fn a_foreign_cursor_is_refused_clearly() {
        let sys_id = "a".repeat(32);
        let cases = [
            ("garbage".to_string(), "does not start with \"v1\""),
            ("v2~incident=start".into(), "does not start with \"v1\""),
            ("v1~incident".into(), "no \"table=position\""),
            (
                "v1~Incident=start".into(),
                "does not start with a table name",
            ),
            ("v1~incident=start~incident=start".into(), "twice"),
            ("v1~incident=now".into(), "neither \"start\""),
            (
                format!("v1~incident=20261302030405.{sys_id}"),
                "not a time as YYYYMMDDHHMMSS",
            ),
            (
                format!("v1~incident=2026010203040.{sys_id}"),
                "not a time as YYYYMMDDHHMMSS",
            ),
            (
                "v1~incident=20260102030405.../sys_user".into(),
                "not a sys_id",
            ),
            (
                format!("v1~incident=20260102030405.{sys_id}^NQactive=true"),
                "not a sys_id",
            ),
            ("v1~".into(), "no \"table=position\""),
            ("v1~incident=start\n".into(), "neither \"start\""),
            (
                format!(
                    "v1{}",
                    (0..65).map(|i| format!("~t{i}=start")).collect::<String>()
                ),
                "more than 64 tables",
            ),
            ("v1".to_string() + &"x".repeat(9000), "bytes long"),
        ];
        for (text, says) in cases {
            let error = Cursor::parse(&text).unwrap_err();
            assert_eq!(error.kind, ErrorKind::InvalidCursor, "{text:?}");
            assert!(error.message.contains(says), "{} / {says}", error.message);
            assert!(!error.message.chars().any(char::is_control), "{text:?}");
            assert!(error.message.len() < 300, "{}", error.message);
            assert_eq!(error.remedy, Some(guide::NEW_CURSOR));
        }
    }

    #[test]
    fn the_keyset_query_is_the_facts_one() {
        let ours = || Query::default().eq("correlation_display", "CxM");
        let from = Position::At(ts("2026-01-02 03:04:05"), id('a'));
        assert_eq!(
            from.query_after(ours, "sys_updated_on").checked().unwrap(),
            format!(
                "correlation_display=CxM^sys_updated_on=2026-01-02 03:04:05^sys_id>{}\
                 ^NQcorrelation_display=CxM^sys_updated_on>2026-01-02 03:04:05\
                 ^ORDERBYsys_updated_on^ORDERBYsys_id",
                "a".repeat(32)
            )
        );
        assert_eq!(
            Position::Start
                .query_after(ours, "sys_updated_on")
                .checked()
                .unwrap(),
            "correlation_display=CxM^ORDERBYsys_updated_on^ORDERBYsys_id"
        );
    }

    fn page(table: &'static str, from: Position, rows: Vec<Row>, more: bool) -> TablePage<Row> {
        TablePage {
            table: Name::known(table),
            from,
            rows,
            more,
        }
    }

    fn froms(pages: &[TablePage<Row>]) -> Vec<(Name, Position)> {
        pages
            .iter()
            .map(|p| (p.table.clone(), p.from.clone()))
            .collect()
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
    fn an_entry_is_new_when_written_after_the_position_and_by_the_update_read() {
        let t = |s: &str| ts(&format!("2026-01-01 00:00:0{s}"));
        let from = Position::At(t("5"), id('b'));
        // The ticket 'c' sorts after the position in its second: its entries of that
        // second were not handed out yet; the ticket 'a' was, up to that second.
        assert!(is_new_entry(&t("5"), &id('c'), &from, &t("7")));
        assert!(!is_new_entry(&t("5"), &id('a'), &from, &t("7")));
        assert!(!is_new_entry(&t("4"), &id('c'), &from, &t("7")));
        assert!(is_new_entry(&t("6"), &id('a'), &from, &t("7")));
        // Written after the update as read: the next change of the ticket carries it.
        assert!(!is_new_entry(&t("8"), &id('c'), &from, &t("7")));
        assert!(is_new_entry(&t("1"), &id('a'), &Position::Start, &t("7")));
    }
}
