//! After create, through the provider: resolve, update, lookups, and the tables a caller may
//! touch.

use crate::primitives::prelude::*;

use crate::features::lifecycle::{Resolution, ResolveOutcome};
use crate::features::tests::fixture::*;
use crate::primitives::clock::ManualClock;
use crate::primitives::error::ErrorKind;
use crate::primitives::ids::{AssignmentGroup, Name, SysId, TicketNumber};
use crate::servicenow::rows::sys_id;
use crate::servicenow::ticket::{TicketId, TicketRef};
use crate::servicenow::ticket_kind::{Priority, TicketKind};
use crate::servicenow::ticket_write::TicketChanges;
use crate::test_support::transport::*;

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
    let fields: Vec<&str> = result
        .not_applied
        .iter()
        .map(|n| n.field.as_str())
        .collect();
    assert_eq!(fields, ["category"]);
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
