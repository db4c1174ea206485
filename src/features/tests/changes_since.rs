//! changes-since through a session: the cursor, the keyset order across tables, settling,
//! and the comments a change carries.

use crate::primitives::prelude::*;

use crate::features::changes_since::*;
use crate::features::session::Session;
use crate::features::tests::changes_fixture::*;
use crate::primitives::clock::ManualClock;
use crate::primitives::error::ErrorKind;
use crate::primitives::ids::Name;
use crate::servicenow::auth::AuthMethod;
use crate::servicenow::ticket::CORRELATION_DISPLAY;
use crate::servicenow::ticket_change::{ChangesPage, TicketChange};
use crate::servicenow::ticket_kind::TicketKind;
use crate::test_support::session::{cost_incidents, session};
use crate::test_support::transport::*;
use serde_json::{Value, json};

/// A fresh cursor marks the present on the instance's clock: the first second not yet
/// settled, whatever the newest record is (weeks old, or none).
#[test]
fn no_cursor_starts_from_the_present_on_the_instances_clock() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut raw = cost_incidents();
    raw.unlisted_category_kind = Some(TicketKind::Table(Name::known("u_cost_finding")));
    let mut p = session(&transport, &clock, raw);
    let old = [json!({"sys_id": id('c'), "sys_updated_on": "2025-11-02 03:04:05"})];
    let now = "Fri, 02 Jan 2026 03:04:12 GMT";
    transport
        .push_json(200, TOKEN_OK)
        .push(Ok(dated(&old, true, now)))
        .push(Ok(dated(&[], false, now)));
    for cursor in [None, Some("")] {
        let page = changes_since(&mut p, cursor).unwrap();
        assert!(page.changes.is_empty() && !page.more);
        assert_eq!(
            page.cursor,
            "v2~incident=20260102030411/20260102030411\
             ~u_cost_finding=20260102030411/20260102030411"
        );
        if cursor.is_none() {
            transport
                .push(Ok(dated(&old, false, now)))
                .push(Ok(dated(&[], false, now)));
        }
    }
    let sent = transport.sent();
    assert_eq!(
        query_of(&sent[1]),
        "ORDERBYDESCsys_updated_on^ORDERBYDESCsys_id"
    );
    assert!(sent[1].url.contains("sysparm_limit=1"), "{}", sent[1].url);
    assert!(sent[2].url.contains("/api/now/table/u_cost_finding?"));

    // Without the instance's clock (a proxy dropped `Date`): just after the newest
    // record, and before everything in an empty table.
    transport
        .push(Ok(page(&old, false)))
        .push(Ok(page(&[], false)));
    let page = changes_since(&mut p, None).unwrap();
    assert_eq!(
        page.cursor,
        format!(
            "v2~incident=20251102030405.{}/20251102030405~u_cost_finding=start/start",
            id('c')
        )
    );
}

/// A poll from a cursor in the middle of three tickets (one not this integration's), with
/// comments and work notes before, at and after them.
fn poll_with_comments(transport: &ScriptedTransport) -> ChangesPage {
    let clock = ManualClock::default();
    let mut p = session(transport, &clock, cost_incidents());
    let tickets = [
        ticket('b', "INC0010002", "2026-01-02 03:04:05", true),
        ticket('c', "INC0010003", "2026-01-02 03:04:06", false),
        ticket('d', "INC0010004", "2026-01-02 03:04:07", true),
    ];
    let entries = [
        // Before the cursor: handed out with an earlier change.
        entry('1', 'b', "comments", AGENT, "2026-01-02 03:04:03", "old"),
        entry(
            '2',
            'b',
            "comments",
            AGENT,
            "2026-01-02 03:04:05",
            "Rebooted",
        ),
        entry(
            '3',
            'b',
            "work_notes",
            INTEGRATION,
            "2026-01-02 03:04:05",
            "ours",
        ),
        entry(
            '4',
            'd',
            "work_notes",
            AGENT,
            "2026-01-02 03:04:06",
            "Looking",
        ),
        // After the update read: the next change of 'd' carries it.
        entry('5', 'd', "comments", AGENT, "2026-01-02 03:04:08", "later"),
    ];
    transport
        .push_json(200, TOKEN_OK)
        .push(Ok(page(&tickets, false)))
        .push(Ok(page(&entries, false)));
    let cursor = cursor_at("2026-01-02 03:04:04", 'a');
    changes_since(&mut p, Some(&cursor)).unwrap()
}

#[test]
fn a_poll_asks_for_its_keyset_page_and_the_journal_of_its_tickets() {
    let transport = ScriptedTransport::default();
    poll_with_comments(&transport);
    let sent = transport.sent();
    let ours = format!("correlation_display={CORRELATION_DISPLAY}");
    assert_eq!(
        query_of(&sent[1]),
        format!(
            "{ours}^sys_updated_on=2026-01-02 03:04:04^sys_id>{a}\
             ^NQ{ours}^sys_updated_on>2026-01-02 03:04:04\
             ^ORDERBYsys_updated_on^ORDERBYsys_id",
            a = id('a')
        )
    );
    assert!(sent[1].url.contains("sysparm_limit=50"));
    assert!(sent[2].url.contains("/api/now/table/sys_journal_field?"));
    assert_eq!(
        query_of(&sent[2]),
        format!(
            "element_idIN{b},{d}^elementINwork_notes,comments\
             ^sys_created_on>=2026-01-02 03:04:04^ORDERBYsys_created_on^ORDERBYsys_id",
            b = id('b'),
            d = id('d')
        )
    );
}

#[test]
fn changes_carry_the_state_and_only_new_comments_by_others() {
    let transport = ScriptedTransport::default();
    let page = poll_with_comments(&transport);
    let numbers: Vec<&str> = page
        .changes
        .iter()
        .map(|c| c.ticket.number.as_str())
        .collect();
    assert_eq!(
        numbers,
        ["INC0010002", "INC0010004"],
        "not 'c', which is not ours"
    );
    let first = &page.changes[0];
    assert_eq!(
        (first.state.as_str(), first.state_label.as_str(), first.done),
        ("6", "Resolved", true)
    );
    assert_eq!(
        (first.updated_by.as_str(), first.priority.as_str()),
        (AGENT, "2")
    );
    assert_eq!(first.assignment_group, id('9'));
    assert!(first.ticket.link.contains(&id('b')));
    let texts = |change: &TicketChange| -> Vec<(String, bool, String)> {
        change
            .comments
            .iter()
            .map(|c| (c.text.clone(), c.internal, c.author.clone()))
            .collect()
    };
    assert_eq!(texts(first), [("Rebooted".into(), false, AGENT.into())]);
    assert_eq!(
        texts(&page.changes[1]),
        [("Looking".into(), true, AGENT.into())]
    );
    assert_eq!(page.changes[1].comments[0].id.as_str(), id('4'));
    // The cursor moves past every row read, 'c' too.
    assert_eq!(page.cursor, cursor_at("2026-01-02 03:04:07", 'd'));
    assert!(!page.more);
}

/// A record stamped in a second the instance's clock has not yet left behind waits: a
/// write in flight in that second, with a smaller sys_id, would otherwise sort behind
/// the cursor and never come.
#[test]
fn records_of_a_second_not_yet_settled_wait_for_a_later_poll() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = session(&transport, &clock, cost_incidents());
    let dated = |rows: &[Value], date: &str| dated(rows, true, date);
    let numbers = |page: &ChangesPage| -> Vec<String> {
        page.changes
            .iter()
            .map(|c| c.ticket.number.clone())
            .collect()
    };
    transport
        .push_json(200, TOKEN_OK)
        .push(Ok(dated(
            &[
                ticket('b', "INC0010002", "2026-01-02 03:04:04", true),
                ticket('c', "INC0010003", "2026-01-02 03:04:05", true),
            ],
            "Fri, 02 Jan 2026 03:04:06 GMT",
        )))
        .push(Ok(page(&[], false)));
    let first = changes_since(&mut p, Some(&cursor_at("2026-01-02 03:04:00", 'a'))).unwrap();
    assert_eq!(numbers(&first), ["INC0010002"]);
    assert!(
        !first.more,
        "what waits is newer than the instance's clock allows"
    );
    // The page was full: tickets behind it were not seen, and their comments may be
    // older than any seen, so the floor stays.
    assert_eq!(
        first.cursor,
        cursor_with("2026-01-02 03:04:04", 'b', "2026-01-02 03:04:00")
    );
    assert_eq!(
        transport.sent().len(),
        3,
        "no journal read for what was held back"
    );

    // Meanwhile 'a', with a smaller sys_id than 'c', committed in 03:04:05 too.
    transport
        .push(Ok(dated(
            &[
                ticket('a', "INC0010001", "2026-01-02 03:04:05", true),
                ticket('c', "INC0010003", "2026-01-02 03:04:05", true),
            ],
            "Fri, 02 Jan 2026 03:04:07 GMT",
        )))
        .push(Ok(page(&[], false)));
    let second = changes_since(&mut p, Some(&first.cursor)).unwrap();
    assert_eq!(numbers(&second), ["INC0010001", "INC0010003"]);
    assert!(second.more, "the table says more");

    // A Date that is not one is no clock: nothing is held back.
    transport
        .push(Ok(dated(
            &[ticket('d', "INC0010004", "2026-01-02 03:04:08", true)],
            "yesterday",
        )))
        .push(Ok(page(&[], false)));
    let third = changes_since(&mut p, Some(&second.cursor)).unwrap();
    assert_eq!(numbers(&third), ["INC0010004"]);
}

/// An agent comments on A, then changes B, then A again: a poll in the second after
/// hands out B and holds A back. A's comment is older than B, so the floor stays at it,
/// and A comes with its comment.
#[test]
fn a_ticket_held_back_keeps_its_comments_from_before_the_position() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = session(&transport, &clock, cost_incidents());
    let comment = entry(
        '1',
        'a',
        "comments",
        AGENT,
        "2026-01-02 03:04:10",
        "Rebooted",
    );
    transport
        .push_json(200, TOKEN_OK)
        .push(Ok(dated(
            &[
                ticket('b', "INC0010002", "2026-01-02 03:04:11", true),
                ticket('a', "INC0010001", "2026-01-02 03:04:12", true),
            ],
            false,
            "Fri, 02 Jan 2026 03:04:13 GMT",
        )))
        .push(Ok(page(&[], false)))
        .push(Ok(page(std::slice::from_ref(&comment), false)));
    let first = changes_since(&mut p, Some(&cursor_at("2026-01-02 03:04:00", 'f'))).unwrap();
    let numbers: Vec<&str> = first
        .changes
        .iter()
        .map(|c| c.ticket.number.as_str())
        .collect();
    assert_eq!(numbers, ["INC0010002"]);
    assert_eq!(
        first.cursor,
        cursor_with("2026-01-02 03:04:11", 'b', "2026-01-02 03:04:10")
    );

    transport
        .push(Ok(dated(
            &[ticket('a', "INC0010001", "2026-01-02 03:04:12", true)],
            false,
            "Fri, 02 Jan 2026 03:04:15 GMT",
        )))
        .push(Ok(page(&[comment], false)));
    let second = changes_since(&mut p, Some(&first.cursor)).unwrap();
    assert_eq!(second.changes.len(), 1);
    let texts: Vec<&str> = second.changes[0]
        .comments
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(texts, ["Rebooted"]);
    assert!(query_of(&transport.sent()[5]).contains("sys_created_on>=2026-01-02 03:04:10"));
    assert_eq!(
        second.cursor,
        cursor_with("2026-01-02 03:04:12", 'a', "2026-01-02 03:04:14")
    );
}

#[test]
fn the_configured_user_is_the_integration_for_basic_and_the_password_grant() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut raw = cost_incidents();
    raw.auth_method = AuthMethod::Basic;
    raw.username = "svc_cxm".into();
    raw.password = "pa55-word".into();
    let mut p = session(&transport, &clock, raw);
    let mut row = ticket('b', "INC0010002", "2026-01-02 03:04:05", true);
    // Opened by someone else, worked on by the integration's user.
    row["sys_created_by"] = json!(AGENT);
    transport.push(Ok(page(&[row], false))).push(Ok(page(
        &[
            entry(
                '1',
                'b',
                "comments",
                "svc_cxm",
                "2026-01-02 03:04:05",
                "ours",
            ),
            entry('2', 'b', "comments", AGENT, "2026-01-02 03:04:05", "theirs"),
        ],
        false,
    )));
    let page = changes_since(&mut p, Some(&cursor_at("2026-01-02 03:04:04", 'a'))).unwrap();
    let texts: Vec<&str> = page.changes[0]
        .comments
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(texts, ["theirs"]);
}

#[test]
fn a_full_page_says_more_and_the_next_starts_after_its_last() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = session(&transport, &clock, cost_incidents());
    // 50 tickets in the same second, more behind them.
    let tickets: Vec<Value> = (0..TICKETS_PER_PAGE)
        .map(|i| {
            let mut row = ticket('0', &format!("INC{i:07}"), "2026-01-02 03:04:05", true);
            row["sys_id"] = json!(format!("{i:032x}"));
            row
        })
        .collect();
    transport
        .push_json(200, TOKEN_OK)
        .push(Ok(page(&tickets, true)))
        .push(Ok(page(&[], false)));
    let first = changes_since(&mut p, Some(&cursor_at("2026-01-02 03:04:04", 'a'))).unwrap();
    assert_eq!(first.changes.len(), TICKETS_PER_PAGE);
    assert!(first.more);
    let last = format!("{:032x}", TICKETS_PER_PAGE - 1);
    // More waits: the floor stays where it was, for the tickets the page cut off.
    assert_eq!(
        first.cursor,
        format!("v2~incident=20260102030405.{last}/20260102030404")
    );
    transport.push(Ok(page(&[], false)));
    let second = changes_since(&mut p, Some(&first.cursor)).unwrap();
    assert!(second.changes.is_empty() && !second.more);
    assert_eq!(
        second.cursor,
        format!("v2~incident=20260102030405.{last}/20260102030405")
    );
    let query = query_of(&transport.sent()[3]);
    assert!(
        query.contains(&format!(
            "sys_updated_on=2026-01-02 03:04:05^sys_id>{last}^NQ"
        )),
        "{query}"
    );
}

/// Too many journal entries for one call: the tickets whose entries were all read go
/// out, the others wait for the next page; a ticket whose entries alone overflow is
/// read on its own.
#[test]
fn a_journal_too_long_for_one_call_cuts_the_page() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = session(&transport, &clock, cost_incidents());
    let tickets = [
        ticket('b', "INC0010002", "2026-01-02 03:04:05", true),
        ticket('d', "INC0010004", "2026-01-02 03:05:00", true),
    ];
    transport
        .push_json(200, TOKEN_OK)
        .push(Ok(page(&tickets, false)));
    // Every journal page is one entry and says more: the cap stops at 03:04:10.
    for i in 0..JOURNAL_PAGES {
        let at = format!("2026-01-02 03:04:{:02}", i + 1);
        let c = char::from_digit(i as u32, 16).unwrap();
        transport.push(Ok(page(
            &[entry(c, 'b', "comments", AGENT, &at, "x")],
            true,
        )));
    }
    let cursor = cursor_at("2026-01-02 03:04:00", 'a');
    let page = changes_since(&mut p, Some(&cursor)).unwrap();
    assert_eq!(page.changes.len(), 1);
    assert_eq!(page.changes[0].ticket.number, "INC0010002");
    assert_eq!(
        page.changes[0].comments.len(),
        5,
        "up to its update at 03:04:05"
    );
    assert!(page.more);
    assert_eq!(
        page.cursor,
        cursor_with("2026-01-02 03:04:05", 'b', "2026-01-02 03:04:00")
    );

    // Now the first ticket itself has more entries than the cap: read on its own.
    let transport = ScriptedTransport::default();
    let mut p = session(&transport, &clock, cost_incidents());
    transport
        .push_json(200, TOKEN_OK)
        .push(Ok(self::page(&tickets[1..], false)));
    for round in 0..2 {
        for i in 0..JOURNAL_PAGES {
            let at = format!("2026-01-02 03:04:{:02}", round * 20 + i + 1);
            let c = char::from_digit(i as u32, 16).unwrap();
            let last = round == 1 && i == JOURNAL_PAGES - 1;
            transport.push(Ok(self::page(
                &[entry(c, 'd', "comments", AGENT, &at, "x")],
                !last,
            )));
        }
    }
    let page = changes_since(&mut p, Some(&cursor)).unwrap();
    assert_eq!(page.changes.len(), 1);
    assert_eq!(page.changes[0].comments.len(), JOURNAL_PAGES);
    assert!(!page.more, "the one ticket went out whole: nothing waits");
    assert_eq!(transport.remaining(), 0);
    let alone = query_of(&transport.sent()[2 + JOURNAL_PAGES]);
    assert!(
        alone.starts_with(&format!("element_idIN{}^", id('d'))),
        "{alone}"
    );
}

#[test]
fn an_answer_out_of_the_order_asked_for_is_an_error_not_a_skip() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = session(&transport, &clock, cost_incidents());
    // The instance ignored the keyset: a record from before the cursor came back.
    transport.push_json(200, TOKEN_OK).push(Ok(page(
        &[ticket('b', "INC0010002", "2026-01-01 00:00:00", true)],
        false,
    )));
    let error = changes_since(&mut p, Some(&cursor_at("2026-01-02 03:04:04", 'a'))).unwrap_err();
    assert_eq!(error.kind, ErrorKind::UnexpectedResponse);
    assert!(
        error.message.contains("out of the order asked for"),
        "{}",
        error.message
    );
}

#[test]
fn a_garbage_cursor_is_refused_before_anything_is_sent() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = session(&transport, &clock, cost_incidents());
    for garbage in [
        "v1~incident=yesterday",
        "eyJ0IjoxfQ==",
        "v1~sys_user=start~sys_user=start",
    ] {
        let error = changes_since(&mut p, Some(garbage)).unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidCursor, "{garbage}");
    }
    assert!(transport.sent().is_empty());
    let mut unconfigured = Session::new(&transport, &clock);
    assert_eq!(
        changes_since(&mut unconfigured, None).unwrap_err().kind,
        ErrorKind::NotConfigured
    );
}

/// A table the cursor names but the settings no longer route to is not read; one they
/// route to since starts from now.
#[test]
fn the_cursor_reaches_only_the_tables_the_settings_route_to() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = session(&transport, &clock, cost_incidents());
    let cursor = format!(
        "v1~sys_user=20260102030405.{}~change_request=start",
        id('a')
    );
    transport
        .push_json(200, TOKEN_OK)
        .push(Ok(page(
            &[json!({"sys_id": id('e'), "sys_updated_on": "2026-01-03 00:00:00"})],
            false,
        )))
        .push(Ok(page(&[], false)));
    let page = changes_since(&mut p, Some(&cursor)).unwrap();
    let paths: Vec<String> = transport
        .sent()
        .iter()
        .map(|r| r.path().to_string())
        .collect();
    assert_eq!(
        paths,
        [
            "/oauth_token.do",
            "/api/now/table/incident",
            "/api/now/table/incident"
        ]
    );
    // A table routed since the cursor was issued starts from now: here, without the
    // instance's clock, just after its newest record.
    assert_eq!(
        page.cursor,
        format!("v2~incident=20260103000000.{}/20260103000000", id('e'))
    );
}
