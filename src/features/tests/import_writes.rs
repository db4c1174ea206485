//! Creates and updates through an import set staging table, over the scripted transport:
//! what is refused before anything is sent, the row posted, the record read back, a lost
//! answer loaded again, and Test Connection's import-set check.

use crate::primitives::prelude::*;

use crate::features::diagnosis::{CheckId, CheckStatus};
use crate::features::tests::fixture::*;
use crate::primitives::error::ErrorKind;
use crate::primitives::guide;
use crate::primitives::http::Method;
use crate::primitives::ids::Name;
use crate::servicenow::ticket::{CreateOutcome, TicketRef};
use crate::servicenow::ticket_kind::TicketKind;
use crate::servicenow::ticket_write::TicketChanges;
use crate::settings::key;
use crate::settings::validated::RawSettings;
use crate::settings::writes::{StagingTable, WritePath, Writes};
use crate::test_support::transport::*;
use serde_json::json;

const SYS_ID: &str = "0123456789abcdef0123456789abcdef";

/// [`raw`] with incidents written through the staging table `u_cxm_incident_import`.
fn importing() -> RawSettings {
    let mut raw = raw();
    raw.writes = Writes {
        write_path: WritePath::ImportSet(vec![StagingTable {
            kind: TicketKind::Incident,
            table: Name::parse("u_cxm_incident_import").unwrap(),
        }]),
        ..Writes::default()
    };
    raw
}

fn loaded(status: &str) -> String {
    json!({"import_set": "ISET0010001", "staging_table": "u_cxm_incident_import",
        "result": [{"transform_map": "CXM", "table": "incident", "status": status, "sys_id": SYS_ID}]})
    .to_string()
}

fn stored(state: &str, short: &str) -> String {
    json!({"result": {"sys_id": SYS_ID, "number": "INC0010001", "state": state, "active": "true",
        "short_description": short, "description": "", "impact": "3", "urgency": "3",
        "correlation_id": "c-1", "correlation_display": "Cloud ex Machina"}})
    .to_string()
}

#[test]
fn a_create_without_correlation_id_is_refused_before_anything_is_sent() {
    scripted!(transport, p, importing());
    let error = p.create_ticket(ticket()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidTicket);
    assert!(
        error.message.contains("no correlation id"),
        "{}",
        error.message
    );
    assert!(transport.sent().is_empty());
}

#[test]
fn a_create_posts_the_row_and_reads_the_ticket_back() {
    scripted!(transport, p, importing());
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, NONE)
        .push_json(201, &loaded("inserted"))
        .push_json(200, &stored("1", "Idle VM"))
        .push_json(200, OPEN);
    let CreateOutcome::Created(written) = p.create_ticket(correlated()).unwrap() else {
        panic!("not created")
    };
    assert_eq!(written.ticket.number, "INC0010001");
    // The record read back kept the impact the transform left: not applied, as sent.
    let fields: Vec<&str> = written
        .not_applied
        .iter()
        .map(|n| n.field.as_str())
        .collect();
    assert_eq!(fields, ["impact"], "{:?}", written.not_applied);
    let sent = transport.sent();
    assert_eq!(sent[2].method, Method::Post);
    assert!(
        sent[2]
            .url
            .ends_with("/api/now/import/u_cxm_incident_import")
    );
    let body = sent_json(&transport, 2);
    assert_eq!(body["u_correlation_id"], "c-1");
    assert_eq!(body["u_short_description"], "Idle VM");
    assert_eq!(body["u_correlation_display"], "Cloud ex Machina");
    assert!(body.get("short_description").is_none());
    assert_eq!(sent[3].method, Method::Get);
    assert!(
        sent[3]
            .url
            .contains(&format!("/api/now/table/incident/{SYS_ID}?"))
    );
    assert!(
        sent[3].url.contains("correlation_display"),
        "{}",
        sent[3].url
    );
    assert_eq!(count(&transport, "/api/now/table/incident?"), 2);
}

#[test]
fn a_lost_answer_loads_the_row_again_and_it_coalesces() {
    scripted!(transport, p, importing());
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, NONE)
        .push(Ok(html(502, "<html>Bad Gateway</html>")))
        .push_json(201, &loaded("ignored"))
        .push_json(200, &stored("1", "Idle VM"))
        .push_json(200, OPEN);
    let outcome = p.create_ticket(correlated()).unwrap();
    assert!(matches!(outcome, CreateOutcome::Created(_)), "{outcome:?}");
    assert_eq!(count(&transport, "/api/now/import/"), 2);
}

#[test]
fn ignored_creates_fail_and_updated_closed_tickets_are_named() {
    scripted!(transport, p, importing());
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, NONE)
        .push_json(201, &loaded("ignored"));
    let error = p.create_ticket(correlated()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::RejectedByPolicy);
    assert_eq!(error.remedy, Some(guide::TRANSFORM_REFUSED));
    transport
        .push_json(200, NONE)
        .push_json(201, &loaded("updated"))
        .push_json(200, &stored("7", "Idle VM"));
    let error = p.create_ticket(correlated()).unwrap_err();
    assert!(
        error.message.contains("which is closed"),
        "{}",
        error.message
    );
}

#[test]
fn updates_post_the_changes_with_the_correlation_id() {
    scripted!(transport, p, importing());
    let reference = TicketRef::parse(TicketKind::Incident, SYS_ID).unwrap();
    let changes = TicketChanges {
        short_description: Some("Idle VM, still".into()),
        ..TicketChanges::default()
    };
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, &stored("2", "Idle VM"))
        .push_json(201, &loaded("updated"))
        .push_json(200, &stored("2", "Idle VM, still"));
    let updated = p.update_ticket(&reference, &changes).unwrap();
    assert!(updated.not_applied.is_empty(), "{:?}", updated.not_applied);
    assert_eq!(updated.ticket.short_description, "Idle VM, still");
    let body = sent_json(&transport, 2);
    assert_eq!(
        body,
        json!({"u_correlation_display": "Cloud ex Machina", "u_correlation_id": "c-1",
            "u_short_description": "Idle VM, still"})
    );
    assert!(transport.sent()[2].idempotent);

    // A ticket without a correlation id cannot be found by the transform.
    let lone = json!({"result": {"sys_id": SYS_ID, "number": "INC0010001", "state": "2"}});
    transport.push_json(200, &lone.to_string());
    let error = p.update_ticket(&reference, &changes).unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidTicket);
    assert!(error.message.contains("INC0010001 has no correlation id"));
    assert_eq!(count(&transport, "/api/now/import/"), 1);
}

#[test]
fn an_unknown_staging_table_names_the_setting() {
    scripted!(transport, p, importing());
    let invalid = r#"{"error":{"message":"Invalid table u_cxm_incident_import","detail":null},"status":"failure"}"#;
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, NONE)
        .push_json(400, invalid);
    let error = p.create_ticket(correlated()).unwrap_err();
    assert_eq!(error.kind, ErrorKind::BadRequest);
    assert_eq!(error.field, Some(key::IMPORT_SET_TABLES));
    assert_eq!(error.remedy, Some(guide::STAGING_TABLE));
}

#[test]
fn test_connection_reads_each_staging_table() {
    scripted!(transport, p, importing());
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, NONE)
        .push_json(200, NONE);
    let report = p.test_connection();
    assert!(report.passed, "{report:?}");
    let check = report_check(&report, CheckId::ImportSet);
    assert_eq!(
        (check.id, check.status),
        (CheckId::ImportSet, CheckStatus::Passed)
    );
    assert!(
        check
            .detail
            .contains("u_cxm_incident_import (for incident)")
    );
    assert!(check.detail.contains("checked by the first ticket"));
    assert!(
        transport.sent()[2]
            .url
            .contains("/api/now/table/u_cxm_incident_import?")
    );

    let forbidden =
        r#"{"error":{"message":"Operation Failed","detail":"ACL Exception"},"status":"failure"}"#;
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, NONE)
        .push_json(403, forbidden);
    let report = p.test_connection();
    let check = report_check(&report, CheckId::ImportSet);
    assert_eq!(check.status, CheckStatus::Failed);
    assert_eq!(check.remedy, Some(guide::IMPORT_SET_ROLES));
    assert!(check.detail.contains("cannot be read"), "{}", check.detail);
}
