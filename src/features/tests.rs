use crate::primitives::prelude::*;

use crate::features::attachments::Attachment;
use crate::features::diagnosis::{CheckId, CheckStatus};
use crate::features::lifecycle::{CommentKind, Resolution, ResolveOutcome, UpdateResult};
use crate::features::provider::Provider;
use crate::primitives::clock::ManualClock;
use crate::primitives::error::{Error, ErrorKind};
use crate::primitives::http::{Method, TransportError};
use crate::primitives::ids::{AssignmentGroup, Name, SysId, TicketNumber};
use crate::servicenow::auth::AuthMethod;
use crate::servicenow::rows::sys_id;
use crate::servicenow::ticket::{CreateOutcome, Ticket, TicketChanges, TicketId, TicketRef};
use crate::servicenow::ticket_kind::{Priority, TicketKind};
use crate::settings::validated::{ClosedMatch, TicketCategory};
use crate::settings::validated::{RawSettings, Settings};
use crate::test_support::transport::*;
use core::time::Duration;
use serde_json::Value;

const GROUP: &str = "287ebd7da9fe198100f92cc8d1d2154e";
const CREATED: &str =
    r#"{"result":{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001"}}"#;

fn raw() -> RawSettings {
    RawSettings {
        default_priority: Some(Priority::Low),
        ticket_categories: vec![
            TicketCategory {
                event_category: "cost".into(),
                kind: TicketKind::Incident,
                enabled: true,
            },
            TicketCategory {
                event_category: "paused".into(),
                kind: TicketKind::Incident,
                enabled: false,
            },
        ],
        unlisted_category_kind: None,
        on_closed_match: ClosedMatch::OpenNew,
        ..RawSettings::bare("dev1", "id", "secret")
    }
}

fn ticket() -> Ticket {
    Ticket {
        event_category: "cost".into(),
        title: "Idle VM".into(),
        description: "".into(),
        priority: None,
        assignment_group: None,
        correlation_id: None,
        extra_fields: vec![],
    }
}

fn provider<'a>(
    transport: &'a ScriptedTransport,
    clock: &'a ManualClock,
) -> Provider<&'a ScriptedTransport, &'a ManualClock> {
    let mut provider = Provider::new(transport, clock);
    provider.configure(raw()).unwrap();
    provider
}

/// The JSON body of the `index`-th request sent.
fn sent_json(transport: &ScriptedTransport, index: usize) -> Value {
    serde_json::from_slice(&transport.sent()[index].body).expect("a JSON body")
}

fn count(transport: &ScriptedTransport, path: &str) -> usize {
    transport
        .sent()
        .iter()
        .filter(|r| r.url.contains(path))
        .count()
}

#[test]
fn n_tickets_cost_one_token() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport.push_json(200, TOKEN_OK);
    for _ in 0..3 {
        transport.push_json(201, CREATED);
    }
    for _ in 0..3 {
        let outcome = p.create_ticket(ticket()).unwrap();
        assert!(matches!(outcome, CreateOutcome::Created(w) if w.ticket.number == "INC0010001"));
    }
    assert_eq!(count(&transport, "/oauth_token.do"), 1);
    // The default priority (low) went out as impact 2, urgency 3.
    let body = sent_json(&transport, 1);
    assert_eq!(
        (&body["impact"], &body["urgency"]),
        (&"2".into(), &"3".into())
    );
}

#[test]
fn expired_token_is_replaced_before_use() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(201, CREATED)
        .push_json(200, TOKEN_OK)
        .push_json(201, CREATED);
    p.create_ticket(ticket()).unwrap();
    clock.advance(Duration::from_secs(1800));
    p.create_ticket(ticket()).unwrap();
    assert_eq!(count(&transport, "/oauth_token.do"), 2);
    assert_eq!(transport.remaining(), 0);
}

#[test]
fn a_401_is_retried_once_with_a_fresh_token() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(401, NOT_AUTHENTICATED)
        .push_json(200, TOKEN_OK)
        .push_json(201, CREATED);
    assert!(p.create_ticket(ticket()).is_ok());
    assert_eq!(count(&transport, "/oauth_token.do"), 2);
}

#[test]
fn a_second_401_is_an_error_not_a_loop() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(401, NOT_AUTHENTICATED)
        .push_json(200, TOKEN_OK)
        .push_json(401, NOT_AUTHENTICATED);
    let err = p.create_ticket(ticket()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotAuthenticated);
    assert_eq!(transport.sent().len(), 4);
}

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
fn test_connection_passes_then_reports_failures_in_order() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, r#"{"result":[]}"#);
    let report = p.test_connection();
    assert!(report.passed, "{report:?}");
    let statuses: Vec<_> = report.checks.iter().map(|c| c.status).collect();
    use CheckStatus::*;
    assert_eq!(
        statuses,
        [Passed, Passed, Passed, Passed, Passed, Skipped, Skipped]
    );
    assert_eq!(report.checks[5].id, CheckId::AttachmentApi);
    assert_eq!(
        report.checks[5].detail,
        "attachments are off in the settings"
    );
    assert_eq!(report.checks[6].id, CheckId::AssignmentGroup);
    let read = &transport.sent()[1];
    assert_eq!(read.method, Method::Get);
    assert!(read.url.contains("/api/now/table/incident?"));

    transport.push_json(401, TOKEN_DENIED);
    let report = p.test_connection();
    let statuses: Vec<_> = report.checks.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [Passed, Passed, Failed, Skipped, Skipped, Skipped, Skipped]
    );
    assert!(!report.passed);
    assert_eq!(report.checks[2].id, CheckId::Token);
    assert!(report.checks[2].remedy.unwrap().text.contains("Active"));

    transport.push(Ok(html(200, HIBERNATING)));
    let report = p.test_connection();
    assert_eq!(report.checks[1].status, Failed);
    assert!(report.checks[1].detail.contains("hibernating"));
}

const OPEN: &str = r#"{"result":[{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001","state":"2","active":"true","correlation_id":"c-1","correlation_display":"Cloud ex Machina"}]}"#;
const CLOSED: &str = r#"{"result":[{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001","state":"7","active":"false","correlation_id":"c-1","correlation_display":"Cloud ex Machina"}]}"#;

fn correlated() -> Ticket {
    let mut t = ticket();
    t.correlation_id = Some("c-1".into());
    t
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
fn resolve_validates_close_codes_and_sends_all_in_one_call() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    let reference = TicketRef {
        kind: TicketKind::Incident,
        id: TicketId::Number(TicketNumber::parse("INC0010001").unwrap()),
    };
    let choices = r#"{"result":[{"name":"incident","element":"close_code","value":"Solution provided","label":"Solution provided"}]}"#;
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, OPEN)
        .push_json(200, choices);
    let bad = Resolution {
        close_code: "Fixed".into(),
        close_notes: "done".into(),
    };
    let err = p.resolve_ticket(&reference, &bad).unwrap_err();
    assert!(
        err.message.contains("use one of: Solution provided"),
        "{}",
        err.message
    );

    transport
        .push_json(200, OPEN)
        .push_json(200, r#"{"result":{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001","state":"6"}}"#);
    let good = Resolution {
        close_code: "solution provided".into(),
        close_notes: "done".into(),
    };
    let outcome = p.resolve_ticket(&reference, &good).unwrap();
    assert!(matches!(outcome, ResolveOutcome::Resolved(d) if d.state_label == "Resolved"));
    let patch = sent_json(&transport, transport.sent().len() - 1);
    assert_eq!(
        (patch["state"].as_str(), patch["close_code"].as_str()),
        (Some("6"), Some("Solution provided"))
    );
    assert_eq!(patch["close_notes"], "done");

    // Already resolved: reported, nothing written.
    transport.push_json(200, CLOSED);
    assert!(matches!(
        p.resolve_ticket(&reference, &good).unwrap(),
        ResolveOutcome::AlreadyResolved(_)
    ));
    // Not there: reported, not a failure.
    transport.push_json(200, r#"{"result":[]}"#);
    assert!(matches!(
        p.resolve_ticket(&reference, &good).unwrap(),
        ResolveOutcome::NotFound(_)
    ));
    assert_eq!(transport.remaining(), 0);
}

#[test]
fn update_reports_columns_that_did_not_stick() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    let reference = TicketRef {
        kind: TicketKind::Incident,
        id: TicketId::SysId(SysId::parse("0123456789abcdef0123456789abcdef").unwrap()),
    };
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, r#"{"result":{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001"}}"#)
        .push_json(200, r#"{"result":{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001","impact":"1","urgency":"1","category":"inquiry"}}"#);
    let changes = TicketChanges {
        priority: Some(Priority::Critical),
        extra_fields: vec![("category".into(), "bogus".into())],
        ..Default::default()
    };
    let result = p.update_ticket(&reference, &changes).unwrap();
    assert_eq!(result.not_applied, ["category"]);
    assert!(
        transport.sent()[1]
            .url
            .contains("/incident/0123456789abcdef0123456789abcdef?")
    );
}

#[test]
fn bad_references_are_refused_where_they_are_parsed() {
    for bad in [
        "12; DROP",
        "INC1^ORactive=true",
        "",
        "0123456789abcdef0123456789abcdeg",
    ] {
        let err = TicketRef::parse(TicketKind::Incident, bad).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidTicket, "{bad:?}");
    }
    assert!(Name::parse("../x").is_none());
    let by_number = TicketRef::parse(TicketKind::Incident, " INC0010001 ").unwrap();
    assert_eq!(
        by_number.id,
        TicketId::Number(TicketNumber::parse("INC0010001").unwrap())
    );
}

#[test]
fn a_number_lookup_trusts_only_the_exact_number() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    // An instance that ignored the query term answers with some other record.
    let other =
        r#"{"result":[{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0099999"}]}"#;
    transport.push_json(200, TOKEN_OK).push_json(200, other);
    let reference = TicketRef::parse(TicketKind::Incident, "INC0010001").unwrap();
    let err = p.get_ticket(&reference).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotFound);
    assert!(
        transport.sent()[1]
            .url
            .contains("sysparm_query=number%3DINC0010001")
    );
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
    assert!(written.not_applied.contains(&"correlation_id".to_string()));
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

/// Creates a ticket for the group "Cloud Ops", answering the lookup when one is made.
fn create_for_cloud_ops(
    p: &mut Provider<&ScriptedTransport, &ManualClock>,
    transport: &ScriptedTransport,
    lookup: bool,
    stored_group: &str,
) -> CreateOutcome {
    if lookup {
        let found = format!(r#"{{"result":[{{"sys_id":"{GROUP}","name":"Cloud Ops"}}]}}"#);
        transport.push_json(200, &found);
    }
    transport.push_json(
        201,
        &format!(
            r#"{{"result":{{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001","assignment_group":"{stored_group}"}}}}"#
        ),
    );
    let mut t = ticket();
    t.assignment_group = AssignmentGroup::parse("Cloud Ops");
    p.create_ticket(t).unwrap()
}

#[test]
fn group_lookups_expire_and_a_new_configure_drops_them() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport.push_json(200, TOKEN_OK);
    create_for_cloud_ops(&mut p, &transport, true, GROUP);
    create_for_cloud_ops(&mut p, &transport, false, GROUP);
    assert_eq!(count(&transport, "sys_user_group"), 1);

    // Still within the token's lifespan, past the cache's.
    clock.advance(crate::primitives::cache::INSTANCE_FACTS_TTL);
    create_for_cloud_ops(&mut p, &transport, true, GROUP);
    assert_eq!(count(&transport, "sys_user_group"), 2);

    // The admin saves the same settings again (say, after fixing the group on the instance).
    p.configure(raw()).unwrap();
    create_for_cloud_ops(&mut p, &transport, true, GROUP);
    assert_eq!(count(&transport, "sys_user_group"), 3);
    assert_eq!(transport.remaining(), 0);
}

#[test]
fn a_group_reference_emptied_by_servicenow_is_forgotten_and_reported() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport.push_json(200, TOKEN_OK);
    // The group was deleted after it was looked up: ServiceNow empties the reference.
    let outcome = create_for_cloud_ops(&mut p, &transport, true, "");
    let CreateOutcome::Created(written) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        written
            .not_applied
            .contains(&"assignment_group".to_string())
    );
    // So the next ticket for that group asks the instance again.
    create_for_cloud_ops(&mut p, &transport, true, GROUP);
    assert_eq!(count(&transport, "sys_user_group"), 2);
}

#[test]
fn callers_touch_only_routed_tables_and_what_the_provider_does_not_own() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    let sys_user = TicketRef::parse(
        TicketKind::Table(Name::known("sys_user")),
        "0123456789abcdef0123456789abcdef",
    )
    .unwrap();
    let err = p.get_ticket(&sys_user).unwrap_err();
    assert_eq!(err.kind, ErrorKind::InvalidTicket);
    assert!(
        err.message.contains("sys_user is not a table"),
        "{}",
        err.message
    );
    let resolution = Resolution {
        close_code: "Solution provided".into(),
        close_notes: "x".into(),
    };
    assert_eq!(
        p.resolve_ticket(&sys_user, &resolution).unwrap_err().kind,
        ErrorKind::InvalidTicket
    );

    for (field, says) in [("state", "resolve the ticket"), ("active", "system field")] {
        let mut t = ticket();
        t.extra_fields = vec![(field.into(), "7".into())];
        let err = p.create_ticket(t).unwrap_err();
        assert!(err.message.contains(says), "{field}: {}", err.message);
    }
    for id in ["c-1^ORactive=true", "javascript:gs.getUserID()"] {
        let mut t = correlated();
        t.correlation_id = Some(id.into());
        assert_eq!(
            p.create_ticket(t).unwrap_err().kind,
            ErrorKind::InvalidTicket
        );
        let err = p
            .resolve_by_correlation("cost", id, &resolution)
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidTicket, "{id}");
    }
    let mut t = ticket();
    t.assignment_group = AssignmentGroup::parse("Ops^NQname!=x");
    assert_eq!(
        p.create_ticket(t).unwrap_err().kind,
        ErrorKind::InvalidTicket
    );
    let mut bad = raw();
    bad.default_assignment_group = AssignmentGroup::parse("javascript:1");
    assert_eq!(
        p.configure(bad).unwrap_err().kind,
        ErrorKind::InvalidSettings
    );
    assert!(
        transport.sent().is_empty(),
        "nothing was sent for any of it"
    );
}

#[test]
fn a_browser_address_is_taken_as_its_instance_and_test_connection_says_so() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = Provider::new(&transport, &clock);
    let mut settings = raw();
    settings.instance = "https://dev1.service-now.com/now/nav/ui/home".into();
    p.configure(settings).unwrap();
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, r#"{"result":[]}"#);
    let report = p.test_connection();
    assert!(report.passed, "{report:?}");
    let detail = &report.checks[0].detail;
    assert!(
        detail.contains("instance https://dev1.service-now.com,"),
        "{detail}"
    );
    assert!(detail.contains("/now/nav/ui/home"), "{detail}");
    assert!(
        transport.sent()[0]
            .url
            .starts_with("https://dev1.service-now.com/oauth_token.do")
    );
}

/// Settings for another way in: `method` with its own credentials.
fn with_method(method: AuthMethod) -> RawSettings {
    RawSettings {
        auth_method: method,
        username: "cxm_integration".into(),
        password: "pa55-word".into(),
        api_key: "key-0123456789abcdef".into(),
        ..raw()
    }
}

const PASSWORD_TOKEN: &str = r#"{"access_token":"acc-1","refresh_token":"ref-1","scope":"useraccount","token_type":"Bearer","expires_in":1799}"#;
const REFRESHED: &str = r#"{"access_token":"acc-2","refresh_token":"ref-1","scope":"useraccount","token_type":"Bearer","expires_in":1799}"#;

fn form(request: &crate::primitives::http::Request) -> Vec<(String, String)> {
    form_urlencoded::parse(&request.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// An access token the Table API refuses is renewed with the refresh token, which outlives
/// it, not with the password.
#[test]
fn a_refused_access_token_is_renewed_by_the_refresh_token() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = Provider::new(&transport, &clock);
    p.configure(with_method(AuthMethod::Password)).unwrap();
    transport
        .push_json(200, PASSWORD_TOKEN)
        .push_json(401, NOT_AUTHENTICATED)
        .push_json(200, REFRESHED)
        .push_json(201, CREATED);
    p.create_ticket(ticket()).unwrap();
    assert_eq!(transport.remaining(), 0);
    let sent = transport.sent();
    assert!(form(&sent[2]).contains(&("grant_type".into(), "refresh_token".into())));
    assert_eq!(sent[3].header_value("authorization"), Some("Bearer acc-2"));
}

#[test]
fn the_password_grant_refreshes_and_falls_back_to_the_password() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = Provider::new(&transport, &clock);
    p.configure(with_method(AuthMethod::Password)).unwrap();
    transport
        .push_json(200, PASSWORD_TOKEN)
        .push_json(201, CREATED)
        // The access token expired: the refresh token renews it.
        .push_json(200, REFRESHED)
        .push_json(201, CREATED)
        // Expired again, and the refresh token is refused: the password signs in anew.
        .push_json(401, TOKEN_DENIED)
        .push_json(200, PASSWORD_TOKEN)
        .push_json(201, CREATED);
    p.create_ticket(ticket()).unwrap();
    clock.advance(Duration::from_secs(1800));
    p.create_ticket(ticket()).unwrap();
    clock.advance(Duration::from_secs(1800));
    p.create_ticket(ticket()).unwrap();
    assert_eq!(transport.remaining(), 0);

    let sent = transport.sent();
    let grant = form(&sent[0]);
    assert!(grant.contains(&("grant_type".into(), "password".into())));
    assert!(grant.contains(&("username".into(), "cxm_integration".into())));
    assert!(grant.contains(&("password".into(), "pa55-word".into())));
    assert_eq!(sent[1].header_value("authorization"), Some("Bearer acc-1"));
    let refresh = form(&sent[2]);
    assert!(refresh.contains(&("grant_type".into(), "refresh_token".into())));
    assert!(refresh.contains(&("refresh_token".into(), "ref-1".into())));
    assert!(!refresh.iter().any(|(k, _)| k == "password"));
    assert_eq!(sent[3].header_value("authorization"), Some("Bearer acc-2"));
    assert!(form(&sent[5]).contains(&("grant_type".into(), "password".into())));
    for request in &sent {
        let shown = format!("{request:?}");
        assert!(
            !shown.contains("pa55") && !shown.contains("ref-1"),
            "{shown}"
        );
    }
}

#[test]
fn a_refused_password_grant_names_the_user_checks() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = Provider::new(&transport, &clock);
    p.configure(with_method(AuthMethod::Password)).unwrap();
    transport.push_json(401, TOKEN_DENIED);
    let err = p.create_ticket(ticket()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::CredentialsRefused);
    assert_eq!(err.remedy, Some(crate::primitives::guide::PASSWORD_DENIED));
    assert!(err.remedy.unwrap().text.contains("Locked out"));
}

#[test]
fn basic_and_api_key_send_their_header_and_no_token_request() {
    for (method, header, value) in [
        (
            AuthMethod::Basic,
            "authorization",
            "Basic Y3htX2ludGVncmF0aW9uOnBhNTUtd29yZA==",
        ),
        (AuthMethod::ApiKey, "x-sn-apikey", "key-0123456789abcdef"),
    ] {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = Provider::new(&transport, &clock);
        p.configure(with_method(method)).unwrap();
        transport.push_json(201, CREATED);
        p.create_ticket(ticket()).unwrap();
        let sent = transport.sent();
        assert_eq!(sent.len(), 1, "{method:?}");
        assert_eq!(sent[0].header_value(header), Some(value), "{method:?}");
        // An instance echoing the credentials back gets them blotted out of messages.
        let secret = value.trim_start_matches("Basic ");
        let echoed = sent[0].redact(&format!("echo {secret}"));
        assert_eq!(echoed, "echo <redacted>", "{method:?}");
    }
}

#[test]
fn a_401_for_basic_or_an_api_key_is_the_credentials_refusal_not_a_retry() {
    for (method, remedy) in [
        (AuthMethod::Basic, crate::primitives::guide::BASIC_DENIED),
        (AuthMethod::ApiKey, crate::primitives::guide::API_KEY_DENIED),
    ] {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = Provider::new(&transport, &clock);
        p.configure(with_method(method)).unwrap();
        transport.push_json(401, NOT_AUTHENTICATED);
        let err = p.create_ticket(ticket()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::CredentialsRefused, "{method:?}");
        assert_eq!(err.remedy, Some(remedy));
        assert!(
            err.message.contains("refused the credentials"),
            "{}",
            err.message
        );
        assert_eq!(transport.sent().len(), 1, "no retry, no token request");
    }
}

#[test]
fn test_connection_without_a_token_skips_the_token_check() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = Provider::new(&transport, &clock);
    p.configure(with_method(AuthMethod::Basic)).unwrap();
    // One read answers the instance check and the table API check.
    transport.push_json(200, r#"{"result":[]}"#);
    let report = p.test_connection();
    assert!(report.passed, "{report:#?}");
    let token = &report.checks[2];
    assert_eq!(
        (token.id, token.status),
        (CheckId::Token, CheckStatus::Skipped)
    );
    assert!(
        token
            .detail
            .contains("Basic authentication as user cxm_integration")
    );
    assert_eq!(count(&transport, "/oauth_token.do"), 0);

    // Wrong password: the instance answered as ServiceNow; the Table API check fails with
    // Basic's remedy.
    let transport = ScriptedTransport::default();
    let mut p = Provider::new(&transport, &clock);
    p.configure(with_method(AuthMethod::Basic)).unwrap();
    transport
        .push_json(401, NOT_AUTHENTICATED)
        .push_json(401, NOT_AUTHENTICATED);
    let report = p.test_connection();
    let statuses: Vec<CheckStatus> = report.checks.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            CheckStatus::Passed,
            CheckStatus::Passed,
            CheckStatus::Skipped,
            CheckStatus::Failed,
            CheckStatus::Skipped,
            CheckStatus::Skipped,
            CheckStatus::Skipped
        ]
    );
    assert_eq!(
        report.checks[3].remedy,
        Some(crate::primitives::guide::BASIC_DENIED)
    );
}

#[test]
fn each_method_requires_its_own_credentials_only() {
    let mut basic = with_method(AuthMethod::Basic);
    basic.client_id = String::new();
    basic.client_secret = String::new();
    Settings::validate(basic.clone()).unwrap();
    basic.password = String::new();
    let err = Settings::validate(basic).unwrap_err();
    assert_eq!(err.field, Some("password"));
    let mut key = with_method(AuthMethod::ApiKey);
    key.api_key = " key".into();
    let err = Settings::validate(key).unwrap_err();
    assert_eq!(err.field, Some("api_key"));
    assert!(
        err.message
            .contains("API Key has leading or trailing whitespace")
    );
    let mut colon = with_method(AuthMethod::Basic);
    colon.username = "domain:user".into();
    assert_eq!(
        Settings::validate(colon).unwrap_err().field,
        Some("username")
    );
}
