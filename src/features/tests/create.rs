//! create-ticket through the provider: routing, deduplication by correlation id, races, lost
//! answers and outages.

use crate::primitives::prelude::*;

use crate::features::provider::Provider;
use crate::features::tests::fixture::*;
use crate::primitives::clock::ManualClock;
use crate::primitives::error::ErrorKind;
use crate::primitives::http::{Method, TransportError};
use crate::primitives::ids::AssignmentGroup;
use crate::servicenow::rows::sys_id;
use crate::servicenow::ticket::{CreateOutcome, TicketRef};
use crate::servicenow::ticket_kind::TicketKind;
use crate::servicenow::ticket_write::Ticket;
use crate::settings::validated::{ClosedMatch, TicketCategory};
use crate::test_support::transport::*;
use serde_json::Value;

#[test]
fn skipped_categories_send_nothing() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    for category in ["paused", "unknown"] {
        let mut t = ticket();
        t.event_category = category.into();
        assert!(matches!(
            p.create_ticket(t).unwrap(),
            CreateOutcome::Skipped(_)
        ));
    }
    assert!(transport.sent().is_empty());
}

#[test]
fn group_names_are_resolved_once() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    let found = format!(r#"{{"result":[{{"sys_id":"{GROUP}","name":"Cloud Ops"}}]}}"#);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, &found)
        .push_json(201, CREATED)
        .push_json(201, CREATED);
    for _ in 0..2 {
        let mut t = ticket();
        t.assignment_group = AssignmentGroup::parse("Cloud Ops");
        p.create_ticket(t).unwrap();
    }
    assert_eq!(count(&transport, "sys_user_group"), 1);
    let body = sent_json(&transport, 3);
    assert_eq!(body["assignment_group"], GROUP);
}

#[test]
fn missing_or_ambiguous_groups_fail_clearly() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, r#"{"result":[]}"#);
    let mut t = ticket();
    t.assignment_group = AssignmentGroup::parse("Nope");
    let err = p.create_ticket(t.clone()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(err.message.contains("\"Nope\" does not exist"));

    let two = format!(
        r#"{{"result":[{{"sys_id":"{GROUP}","name":"Nope"}},{{"sys_id":"{}","name":"Nope"}}]}}"#,
        "f".repeat(32)
    );
    transport.push_json(200, &two);
    let err = p.create_ticket(t).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidTicket);
    assert!(err.message.contains("several groups"));
}

#[test]
fn not_configured_and_bad_configure_keep_state() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = Provider::new(&transport, &clock);
    assert_eq!(
        p.create_ticket(ticket()).unwrap_err().kind,
        ErrorKind::NotConfigured
    );
    p.configure(raw()).unwrap();
    let mut bad = raw();
    bad.instance = "http://evil.example.com".into();
    assert!(p.configure(bad).is_err());
    assert_eq!(
        p.settings().unwrap().instance.as_str(),
        "https://dev1.service-now.com"
    );
}

#[test]
fn an_open_match_gets_a_work_note_not_a_duplicate() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, OPEN)
        .push_json(
            200,
            r#"{"result":{"sys_id":"0123456789abcdef0123456789abcdef"}}"#,
        );
    let outcome = p.create_ticket(correlated()).unwrap();
    assert!(matches!(outcome, CreateOutcome::Existing(r) if r.number == "INC0010001"));
    let sent = transport.sent();
    assert!(
        sent[1]
            .url
            .contains("correlation_id%3Dc-1%5Ecorrelation_display%3DCloud+ex+Machina")
    );
    // The look-up answers no status: it does not ask the instance for labels.
    assert!(
        !sent[1].url.contains("sysparm_display_value"),
        "{}",
        sent[1].url
    );
    assert_eq!(sent[2].method, Method::Patch);
    let note: Value = serde_json::from_slice(&sent[2].body).unwrap();
    assert!(
        note["work_notes"]
            .as_str()
            .unwrap()
            .contains("saw this event again")
    );
}

#[test]
fn a_closed_match_opens_a_new_ticket_or_reopens() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, CLOSED)
        .push_json(201, CREATED)
        .push_json(200, OPEN);
    assert!(matches!(
        p.create_ticket(correlated()).unwrap(),
        CreateOutcome::Created(_)
    ));
    let body = sent_json(&transport, 2);
    assert!(
        body["description"]
            .as_str()
            .unwrap()
            .starts_with("Follows INC0010001")
    );

    let mut reopen = raw();
    reopen.on_closed_match = ClosedMatch::Reopen;
    p.configure(reopen).unwrap();
    transport.push_json(200, CLOSED).push_json(
        200,
        r#"{"result":{"sys_id":"0123456789abcdef0123456789abcdef","state":"2"}}"#,
    );
    assert!(
        matches!(p.create_ticket(correlated()).unwrap(), CreateOutcome::Reopened(r) if r.number == "INC0010001")
    );
    let patch = sent_json(&transport, 5);
    assert_eq!(patch["state"], "2");
}

/// Two rows for one correlation id, newest first as the lookup asks: `newer` and `older`,
/// each `(sys_id character, number, state)`, in `table`.
fn raced(table: &str, newer: (char, &str, &str), older: (char, &str, &str)) -> String {
    let row = |(c, number, state): (char, &str, &str)| {
        serde_json::json!({
            "sys_id": c.to_string().repeat(32), "number": number, "state": state,
            "active": "true", "correlation_id": "c-1",
            "correlation_display": "Cloud ex Machina", "sys_class_name": table,
        })
    };
    serde_json::json!({ "result": [row(newer), row(older)] }).to_string()
}

/// One record as the Table API answers a write: sys_id character, number, and state if any.
fn written(c: char, number: &str, state: Option<&str>) -> String {
    let mut row = serde_json::json!({ "sys_id": c.to_string().repeat(32), "number": number });
    if let Some(state) = state {
        row["state"] = state.into();
    }
    serde_json::json!({ "result": row }).to_string()
}

/// A provider whose next create of [`raced_event`] (routed to `kind`) finds no ticket, then
/// inserts the record `mine` (sys_id character, number): the start of a race.
fn racing<'a>(
    transport: &'a ScriptedTransport,
    clock: &'a ManualClock,
    kind: TicketKind,
    mine: (char, &str),
) -> Provider<&'a ScriptedTransport, &'a ManualClock> {
    let mut settings = raw();
    settings.ticket_categories.push(TicketCategory {
        event_category: "raced".into(),
        kind,
        enabled: true,
        template: None,
    });
    let mut p = Provider::new(transport, clock);
    p.configure(settings).unwrap();
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, r#"{"result":[]}"#)
        .push_json(201, &written(mine.0, mine.1, None));
    p
}

fn raced_event() -> Ticket {
    let mut t = correlated();
    t.event_category = "raced".into();
    t
}

/// Another worker created a ticket for the same event at the same moment: the one this call
/// made is newer, so it is closed as the older one's duplicate, in its kind's own terms,
/// and the call answers the older one; the older one is never touched.
#[test]
fn a_create_that_raced_another_closes_its_own_duplicate() {
    let clock = ManualClock::default();
    for (kind, number, older, closed) in [
        (TicketKind::Incident, "INC0010002", "INC0010001", "6"),
        (TicketKind::ChangeRequest, "CHG0030002", "CHG0030001", "4"),
    ] {
        let transport = ScriptedTransport::default();
        let table = kind.table().as_str().to_string();
        let mut p = racing(&transport, &clock, kind.clone(), ('b', number));
        transport
            .push_json(200, &raced(&table, ('b', number, "1"), ('a', older, "1")))
            .push_json(200, &written('b', number, Some(closed)));
        let outcome = p.create_ticket(raced_event()).unwrap();
        assert!(
            matches!(&outcome, CreateOutcome::Existing(r) if r.number == older),
            "{outcome:?}"
        );
        let sent = transport.sent();
        assert_eq!(sent.len(), 5);
        assert!(
            sent[3]
                .url
                .contains("ORDERBYDESCsys_created_on%5EORDERBYDESCnumber"),
            "{}",
            sent[3].url
        );
        assert_eq!(sent[4].method, Method::Patch);
        assert!(
            sent[4].url.contains(&"b".repeat(32)),
            "only its own ticket: {}",
            sent[4].url
        );
        let close = sent_json(&transport, 4);
        assert_eq!(close["state"], closed);
        let note = close["work_notes"].as_str().unwrap();
        assert!(note.contains(&format!("Duplicate of {older}")), "{note}");
        match kind {
            TicketKind::Incident => {
                assert_eq!(close["close_code"], "Duplicate");
                assert!(close["close_notes"].as_str().unwrap().contains(older));
            }
            _ => assert!(close.get("close_code").is_none(), "{close}"),
        }
    }
}

/// The racer whose ticket is the oldest keeps it and touches nothing; a ticket that cannot
/// be closed through the Table API (a problem) keeps a work note naming the oldest.
#[test]
fn the_oldest_of_a_race_is_kept_and_a_problem_is_only_noted() {
    let clock = ManualClock::default();
    let transport = ScriptedTransport::default();
    let mut p = racing(
        &transport,
        &clock,
        TicketKind::Incident,
        ('a', "INC0010001"),
    );
    let newer_elsewhere = raced(
        "incident",
        ('b', "INC0010002", "1"),
        ('a', "INC0010001", "1"),
    );
    transport.push_json(200, &newer_elsewhere);
    let outcome = p.create_ticket(raced_event()).unwrap();
    assert!(matches!(&outcome, CreateOutcome::Created(w) if w.ticket.number == "INC0010001"));
    assert_eq!(transport.sent().len(), 4, "nothing closed");

    let transport = ScriptedTransport::default();
    let mut p = racing(&transport, &clock, TicketKind::Problem, ('b', "PRB0040002"));
    transport
        .push_json(
            200,
            &raced(
                "problem",
                ('b', "PRB0040002", "101"),
                ('a', "PRB0040001", "101"),
            ),
        )
        .push_json(200, &written('b', "PRB0040002", Some("101")));
    let outcome = p.create_ticket(raced_event()).unwrap();
    assert!(matches!(&outcome, CreateOutcome::Existing(r) if r.number == "PRB0040001"));
    let note = sent_json(&transport, 4);
    assert!(note.get("state").is_none(), "{note}");
    let note = note["work_notes"].as_str().unwrap();
    assert!(note.contains("Duplicate of PRB0040001"), "{note}");
}

#[test]
fn a_row_that_is_not_a_record_is_a_clear_error() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(
            201,
            r#"{"result":{"sys_id":"../../sys_user","number":"INC0010001"}}"#,
        )
        .push_json(201, r#"{"result":{"number":"INC0010001"}}"#)
        .push_json(
            201,
            r#"{"result":{"sys_id":"0123456789abcdef0123456789abcdef","state":7}}"#,
        );
    for expected in [
        "32 lower-case hex",
        "missing field `sys_id`",
        "invalid type: integer `7`",
    ] {
        let err = p.create_ticket(ticket()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::UnexpectedResponse);
        assert!(
            err.message.contains(expected),
            "{} / {expected}",
            err.message
        );
    }
}

fn methods(transport: &ScriptedTransport) -> Vec<Method> {
    transport.sent().iter().map(|r| r.method).collect()
}

#[test]
fn a_lost_create_answer_is_looked_for_before_creating_again() {
    use Method::*;
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, r#"{"result":[]}"#)
        .push(Ok(html(502, "<html>bad gateway</html>")))
        .push_json(200, OPEN)
        .push_json(200, r#"{"result":{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001","short_description":"Idle VM"}}"#)
        .push_json(200, OPEN);
    let outcome = p.create_ticket(correlated()).unwrap();
    let CreateOutcome::Created(written) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(written.ticket.number, "INC0010001");
    // The POST was not repeated: the lookup found what it had stored.
    assert_eq!(methods(&transport), [Post, Get, Post, Get, Get, Get]);
    assert!(
        written
            .not_applied
            .iter()
            .any(|n| n.field == "correlation_id"),
        "{:?}",
        written.not_applied
    );
    assert_eq!(transport.remaining(), 0);
}

#[test]
fn a_lost_create_that_did_not_happen_is_created_once_more() {
    use Method::*;
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, r#"{"result":[]}"#)
        .push(Err(TransportError::Interrupted("connection reset".into())))
        .push_json(200, r#"{"result":[]}"#)
        .push_json(201, CREATED)
        .push_json(200, OPEN);
    assert!(matches!(
        p.create_ticket(correlated()).unwrap(),
        CreateOutcome::Created(_)
    ));
    assert_eq!(methods(&transport), [Post, Get, Post, Get, Post, Get]);
    assert_eq!(transport.remaining(), 0);
}

#[test]
fn a_lost_create_without_correlation_id_is_not_repeated() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push(Ok(html(504, "<html>gateway timeout</html>")));
    let err = p.create_ticket(ticket()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::ServiceUnavailable);
    assert!(
        err.message.contains("may have been created"),
        "{}",
        err.message
    );
    assert_eq!(count(&transport, "/api/now/table/incident"), 1);
    assert!(clock.slept().is_empty());
}

#[test]
fn reads_survive_an_outage_and_a_rate_limit_within_bounds() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    let mut limited = json(
        429,
        r#"{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 10 requests per hour for Table API exceeded"},"status":"failure"}"#,
    );
    limited.headers.push(("retry-after".into(), "1".into()));
    transport
        .push_json(200, TOKEN_OK)
        .push(Ok(html(503, "<html>down</html>")))
        .push(Ok(limited.clone()))
        .push_json(200, OPEN);
    let reference = TicketRef::parse(TicketKind::Incident, "INC0010001").unwrap();
    assert_eq!(p.get_ticket(&reference).unwrap().state, "2");
    assert_eq!(clock.slept().len(), 2);

    // A limit that lifts only in an hour is the platform's to wait for.
    limited.headers[1].1 = "3600".into();
    transport.push(Ok(limited));
    let err = p.get_ticket(&reference).unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimited);
    assert_eq!(err.retry_after_seconds, Some(3600));
    assert_eq!(clock.slept().len(), 2);
}

#[test]
fn a_written_column_the_answer_lacks_is_not_applied() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    // ServiceNow answers a write with the `sysparm_fields` asked for that it has
    // (docs/servicenow/table-api.md#query-parameters): an answer without the written columns
    // is one whose table lacks them.
    transport.push_json(200, TOKEN_OK).push_json(201, CREATED);
    let CreateOutcome::Created(written) = p.create_ticket(ticket()).unwrap() else {
        panic!("not created")
    };
    let post = &transport.sent()[1];
    let Value::Object(body) = sent_json(&transport, 1) else {
        panic!("an object")
    };
    let fields = post.url.split("sysparm_fields=").nth(1).unwrap_or_default();
    let fields: Vec<&str> = fields
        .split('&')
        .next()
        .unwrap_or_default()
        .split("%2C")
        .collect();
    let not_applied: Vec<&str> = written
        .not_applied
        .iter()
        .map(|n| n.field.as_str())
        .collect();
    let sent: Vec<&str> = body.keys().map(String::as_str).collect();
    assert!(!sent.is_empty());
    for column in &sent {
        assert!(
            fields.contains(column),
            "{column} not asked for: {}",
            post.url
        );
    }
    assert_eq!(not_applied, sent);
    assert!(written.not_applied[0].reason.contains("no such column"));
}
