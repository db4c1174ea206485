//! create-ticket through the Change Management API: standard changes from a category's
//! template, normal changes with the setting, and create's deduplication and lost-answer
//! recovery around them.

use crate::primitives::prelude::*;

use crate::features::tests::fixture::*;
use crate::primitives::error::ErrorKind;
use crate::primitives::guide;
use crate::primitives::http::{Method, TransportError};
use crate::primitives::ids::{ChangeTemplate, SysId};
use crate::servicenow::change_api::IGNORED;
use crate::servicenow::ticket::CreateOutcome;
use crate::servicenow::ticket_kind::TicketKind;
use crate::servicenow::ticket_write::Ticket;
use crate::settings::key;
use crate::settings::validated::{RawSettings, TicketCategory};
use crate::test_support::transport::*;
use serde_json::json;

const TEMPLATE: &str = "92b8544047810200e90d87e8dee490b0";
const NEWER_TEMPLATE: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const CHANGE: &str = "0123456789abcdef0123456789abcdef";

/// [`raw`] with `restart` events opened from the template "Restart a VM" and `change` events
/// as change requests without one; the Change Management API setting as given.
fn settings(change_management_api: bool) -> RawSettings {
    let mut raw = raw();
    raw.ticket_categories.push(TicketCategory {
        event_category: "restart".into(),
        kind: TicketKind::ChangeRequest,
        enabled: true,
        template: Some(ChangeTemplate::Name("Restart a VM".into())),
    });
    raw.ticket_categories.push(TicketCategory {
        event_category: "change".into(),
        kind: TicketKind::ChangeRequest,
        enabled: true,
        template: None,
    });
    raw.writes.change_management_api = change_management_api;
    raw
}

fn restart() -> Ticket {
    Ticket {
        event_category: "restart".into(),
        title: "Restart i-0abc".into(),
        description: "i-0abc stopped answering health checks".into(),
        ..ticket()
    }
}

fn templates(ids: &[&str]) -> String {
    let rows: Vec<_> = ids
        .iter()
        .map(|id| {
            json!({"sys_id": {"value": id, "display_value": id},
                         "name": {"value": "Restart a VM", "display_value": "Restart a VM"},
                         "active": {"value": "true", "display_value": "true"}})
        })
        .collect();
    json!({ "result": rows }).to_string()
}

/// A created change in the recorded shape, `ignored` in `__meta.ignoredFields`.
fn created(ignored: &[&str]) -> String {
    json!({"result": {
        "sys_id": {"value": CHANGE, "display_value": CHANGE},
        "number": {"value": "CHG0030001", "display_value": "CHG0030001"},
        "state": {"value": -5.0, "display_value": "New"},
        "short_description": {"value": "Restart i-0abc", "display_value": "Restart i-0abc"},
        "correlation_display": {"value": "Cloud ex Machina", "display_value": "Cloud ex Machina"},
        "impact": {"value": 2.0, "display_value": "2 - Medium"},
        "urgency": {"value": 3.0, "display_value": "3 - Low"},
        "__meta": {"ignoredFields": ignored}
    }})
    .to_string()
}

fn paths(transport: &ScriptedTransport) -> Vec<String> {
    transport
        .sent()
        .iter()
        .skip(1)
        .map(|r| format!("{} {}", r.method.as_str(), r.path()))
        .collect()
}

fn standard(id: &str) -> String {
    format!("POST /api/sn_chg_rest/change/standard/{id}")
}

const LOOKUP: &str = "GET /api/sn_chg_rest/change/standard/template";

#[test]
fn a_category_with_a_template_opens_a_standard_change() {
    scripted!(transport, p, settings(false));
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, &templates(&[TEMPLATE]))
        .push_json(200, &created(&[]))
        .push_json(200, &created(&[]));
    for _ in 0..2 {
        let CreateOutcome::Created(written) = p.create_ticket(restart()).unwrap() else {
            panic!("not created")
        };
        assert_eq!(written.ticket.kind, TicketKind::ChangeRequest);
        assert_eq!(written.ticket.number, "CHG0030001");
        assert_eq!(written.ticket.sys_id.as_str(), CHANGE);
        assert!(written.ticket.link.contains("change_request.do"));
        assert!(written.not_applied.is_empty(), "{:?}", written.not_applied);
    }
    // The name is looked up once; the template owns the description: it is a work note.
    assert_eq!(
        paths(&transport),
        [LOOKUP.into(), standard(TEMPLATE), standard(TEMPLATE)]
    );
    let body = sent_json(&transport, 2);
    assert_eq!(body["short_description"], "Restart i-0abc");
    assert_eq!(body["work_notes"], "i-0abc stopped answering health checks");
    assert_eq!(body["correlation_display"], "Cloud ex Machina");
    assert_eq!(
        (body["impact"].clone(), body["urgency"].clone()),
        ("2".into(), "3".into())
    );
    assert!(body.get("description").is_none(), "{body}");
}

#[test]
fn a_template_missing_or_named_twice_is_refused_naming_category_and_template() {
    scripted!(transport, p, settings(false));
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, &templates(&[]))
        .push_json(200, &templates(&[TEMPLATE, NEWER_TEMPLATE]));
    let error = p.create_ticket(restart()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert!(
        error
            .message
            .contains("no active standard change template named \"Restart a VM\"")
            && error.message.contains("\"restart\""),
        "{}",
        error.message
    );
    assert_eq!(error.remedy, Some(guide::CHANGE_TEMPLATE));
    assert_eq!(error.field, Some(key::TICKET_CATEGORIES));
    let error = p.create_ticket(restart()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidSettings);
    assert!(
        error
            .message
            .contains("two standard change templates are named")
    );
    assert!(error.message.contains("by its sys_id"));
    // Nothing was created.
    assert!(
        transport
            .sent()
            .iter()
            .all(|r| r.method != Method::Post || r.url.contains("oauth"))
    );
}

#[test]
fn a_template_by_sys_id_is_posted_at_once_and_a_404_names_it() {
    let mut raw = settings(false);
    raw.ticket_categories[2].template =
        Some(ChangeTemplate::SysId(SysId::parse(TEMPLATE).unwrap()));
    scripted!(transport, p, raw);
    let gone = r#"{"error":{"message":"No Record found","detail":"The specified standard change template couldn't be found"},"status":"failure"}"#;
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, &created(&[]))
        .push_json(404, gone);
    assert!(matches!(
        p.create_ticket(restart()).unwrap(),
        CreateOutcome::Created(_)
    ));
    let error = p.create_ticket(restart()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert!(
        error
            .message
            .contains(&format!("with the sys_id {TEMPLATE}")),
        "{}",
        error.message
    );
    assert!(error.message.contains("\"restart\""));
    assert_eq!(error.remedy, Some(guide::CHANGE_TEMPLATE));
    assert_eq!(paths(&transport), [standard(TEMPLATE), standard(TEMPLATE)]);
}

#[test]
fn a_cached_template_that_is_gone_is_looked_up_again_once() {
    scripted!(transport, p, settings(false));
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, &templates(&[TEMPLATE]))
        .push_json(200, &created(&[]))
        .push_json(
            404,
            r#"{"error":{"message":"No Record found","detail":null},"status":"failure"}"#,
        )
        .push_json(200, &templates(&[NEWER_TEMPLATE]))
        .push_json(200, &created(&[]));
    for _ in 0..2 {
        assert!(matches!(
            p.create_ticket(restart()).unwrap(),
            CreateOutcome::Created(_)
        ));
    }
    assert_eq!(
        paths(&transport),
        [
            LOOKUP.into(),
            standard(TEMPLATE),
            standard(TEMPLATE),
            LOOKUP.into(),
            standard(NEWER_TEMPLATE)
        ]
    );
}

#[test]
fn a_work_note_the_api_ignored_is_added_through_the_table_api() {
    scripted!(transport, p, settings(false));
    let mut t = restart();
    t.extra_fields = vec![("u_nope".into(), "x".into())];
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, &templates(&[TEMPLATE]))
        .push_json(200, &created(&["work_notes", "u_nope"]))
        .push_json(
            200,
            &format!(r#"{{"result":{{"sys_id":"{CHANGE}","work_notes":""}}}}"#),
        );
    let CreateOutcome::Created(written) = p.create_ticket(t).unwrap() else {
        panic!("not created")
    };
    assert_eq!(written.not_applied.len(), 1, "{:?}", written.not_applied);
    assert_eq!(
        (
            written.not_applied[0].field.as_str(),
            written.not_applied[0].reason.as_str()
        ),
        ("u_nope", IGNORED)
    );
    let patch = &transport.sent()[3];
    assert_eq!(patch.method, Method::Patch);
    assert_eq!(
        patch.path(),
        format!("/api/now/table/change_request/{CHANGE}")
    );
    assert_eq!(
        sent_json(&transport, 3)["work_notes"],
        "i-0abc stopped answering health checks"
    );
}

#[test]
fn normal_changes_go_through_the_api_only_with_the_setting() {
    for on in [false, true] {
        scripted!(transport, p, settings(on));
        let answer = if on {
            created(&[])
        } else {
            format!(r#"{{"result":{{"sys_id":"{CHANGE}","number":"CHG0030001"}}}}"#)
        };
        transport.push_json(200, TOKEN_OK).push_json(200, &answer);
        let mut t = restart();
        t.event_category = "change".into();
        assert!(matches!(
            p.create_ticket(t).unwrap(),
            CreateOutcome::Created(_)
        ));
        let expected = if on {
            "POST /api/sn_chg_rest/change/normal"
        } else {
            "POST /api/now/table/change_request"
        };
        assert_eq!(paths(&transport), [expected]);
        // A normal change keeps its description.
        assert_eq!(
            sent_json(&transport, 1)["description"],
            "i-0abc stopped answering health checks"
        );
    }
}

const FOUND: &str = r#"{"result":[{"sys_id":"0123456789abcdef0123456789abcdef","number":"CHG0030001","state":"-5","active":"true","correlation_id":"c-1","correlation_display":"Cloud ex Machina"}]}"#;

#[test]
fn a_lost_standard_change_is_found_by_its_correlation_id_not_made_twice() {
    use Method::*;
    scripted!(transport, p, settings(false));
    let mut t = restart();
    t.correlation_id = Some("c-1".into());
    let read_back = format!(
        r#"{{"result":{{"sys_id":"{CHANGE}","number":"CHG0030001","short_description":"Restart i-0abc","impact":"2","urgency":"3","correlation_id":"c-1","correlation_display":"Cloud ex Machina","description":"the template's"}}}}"#
    );
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, NONE)
        .push_json(200, &templates(&[TEMPLATE]))
        .push(Ok(html(502, "<html>bad gateway</html>")))
        .push_json(200, FOUND)
        .push_json(200, &read_back)
        .push_json(200, FOUND);
    let CreateOutcome::Created(written) = p.create_ticket(t.clone()).unwrap() else {
        panic!("not created")
    };
    assert_eq!(written.ticket.number, "CHG0030001");
    // The template's description is not reported: the ticket's went to a work note.
    assert!(written.not_applied.is_empty(), "{:?}", written.not_applied);
    let methods: Vec<Method> = transport.sent().iter().map(|r| r.method).collect();
    assert_eq!(methods, [Post, Get, Get, Post, Get, Get, Get]);
    assert_eq!(transport.remaining(), 0);

    // Lost before it ran: made once more through the API, the template's id from the cache.
    transport
        .push_json(200, NONE)
        .push(Err(TransportError::Interrupted("connection reset".into())))
        .push_json(200, NONE)
        .push_json(200, &created(&[]))
        .push_json(200, FOUND);
    assert!(matches!(
        p.create_ticket(t).unwrap(),
        CreateOutcome::Created(_)
    ));
    let tail: Vec<String> = paths(&transport).into_iter().skip(6).collect();
    assert_eq!(
        tail,
        [
            "GET /api/now/table/change_request".to_string(),
            standard(TEMPLATE),
            "GET /api/now/table/change_request".into(),
            standard(TEMPLATE),
            "GET /api/now/table/change_request".into(),
        ]
    );
}

#[test]
fn the_api_missing_is_an_error_with_its_remedy() {
    scripted!(transport, p, settings(false));
    transport.push_json(200, TOKEN_OK).push_json(
        400,
        r#"{"error":{"message":"Requested URI does not represent any resource","detail":null},"status":"failure"}"#,
    );
    let error = p.create_ticket(restart()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert_eq!(error.remedy, Some(guide::CHANGE_API_PLUGIN));
    assert!(error.message.contains("no Change Management REST API"));
}

#[test]
fn test_connection_checks_every_template_a_category_names() {
    use crate::features::diagnosis::{CheckId, CheckStatus};
    let mut raw = settings(false);
    raw.ticket_categories.push(TicketCategory {
        event_category: "resize".into(),
        kind: TicketKind::ChangeRequest,
        enabled: true,
        template: Some(ChangeTemplate::Name("Resize a VM".into())),
    });
    scripted!(transport, p, raw);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, NONE)
        .push_json(200, NONE)
        .push_json(200, &templates(&[TEMPLATE]))
        .push_json(200, NONE);
    let report = p.test_connection();
    let check = report_check(&report, CheckId::ChangeApi);
    assert_eq!(check.status, CheckStatus::Failed, "{check:?}");
    assert!(check.detail.contains("\"Resize a VM\"") && check.detail.contains("\"resize\""));
    assert!(
        !check.detail.contains("\"Restart a VM\""),
        "{}",
        check.detail
    );
    assert_eq!(check.remedy, Some(guide::CHANGE_TEMPLATE));
    assert!(!report.passed);
    assert_eq!(transport.remaining(), 0);
}

#[test]
fn test_connection_skips_the_change_api_when_nothing_needs_it() {
    use crate::features::diagnosis::{CheckId, CheckStatus};
    scripted!(transport, p, raw());
    transport.push_json(200, TOKEN_OK).push_json(200, NONE);
    let report = p.test_connection();
    let check = report_check(&report, CheckId::ChangeApi);
    assert_eq!(check.status, CheckStatus::Skipped);
    assert!(report.passed);
}
