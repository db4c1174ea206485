//! The Import Set API's unit tests, over the scripted transport: each element status, the
//! HTTP refusals in the API's terms, and hostile answers.

use super::*;
use crate::primitives::http::Request;
use crate::test_support::instance::dev1_rest;
use crate::test_support::transport::*;
use serde_json::json;

static STAGING: Name = Name::known("u_cxm_incident_import");
static INCIDENT: Name = Name::known("incident");
const SYS_ID: &str = "0123456789abcdef0123456789abcdef";

fn load(transport: &ScriptedTransport) -> Result<Landed> {
    let api = ImportSetApi(dev1_rest(transport));
    let mut columns = Columns::default();
    columns
        .set("short_description", "Idle VM")
        .set("correlation_id", "opp-42")
        .set("impact", "2");
    api.load(
        &Authorization::bearer("tok-9"),
        &STAGING,
        &INCIDENT,
        &columns,
        false,
    )
}

fn answer(status: u16, result: serde_json::Value) -> ScriptedTransport {
    let transport = ScriptedTransport::default();
    let body = json!({"import_set": "ISET0010001", "staging_table": "u_cxm_incident_import", "result": result});
    transport.push_json(status, &body.to_string());
    transport
}

fn element(status: &str) -> serde_json::Value {
    json!({
        "transform_map": "CXM tickets",
        "table": "incident",
        "display_name": "number",
        "display_value": "INC0010001",
        "status": status,
        "sys_id": SYS_ID,
    })
}

fn sent(transport: &ScriptedTransport) -> Request {
    transport.sent().remove(0)
}

#[test]
fn the_row_is_posted_flat_with_staging_columns_and_inserted_is_success() {
    for status in [201, 200] {
        let transport = answer(status, json!([element("inserted")]));
        let landed = load(&transport).unwrap();
        assert_eq!(landed.status, Transformed::Inserted);
        assert_eq!(landed.sys_id.unwrap().as_str(), SYS_ID);
        let request = sent(&transport);
        assert_eq!(request.method, Method::Post);
        assert_eq!(
            request.url,
            "https://dev1.service-now.com/api/now/import/u_cxm_incident_import"
        );
        assert!(!request.idempotent);
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            body,
            json!({"u_correlation_id": "opp-42", "u_impact": "2", "u_short_description": "Idle VM"})
        );
    }
}

#[test]
fn updated_and_ignored_name_the_target() {
    let landed = load(&answer(201, json!([element("updated")]))).unwrap();
    assert_eq!(landed.status, Transformed::Updated);
    let mut unchanged = element("ignored");
    unchanged["status_message"] = json!("No field values changed");
    let landed = load(&answer(201, json!([unchanged]))).unwrap();
    assert_eq!(landed.status, Transformed::Ignored);
    assert_eq!(landed.sys_id.unwrap().as_str(), SYS_ID);
    assert_eq!(landed.message, "No field values changed");
    // A script's ignore names the staging row, not a ticket.
    let mut scripted = element("ignored");
    scripted["table"] = json!("u_cxm_incident_import");
    let landed = load(&answer(201, json!([scripted]))).unwrap();
    assert_eq!((landed.status, landed.sys_id), (Transformed::Ignored, None));
}

#[test]
fn error_and_skipped_fail_with_the_transforms_message() {
    let error = json!({"transform_map": "CXM tickets", "status": "error",
        "error_message": "Unable to resolve target record, coalesce values not present: [Script]; Invalid table ",
        "status_message": "Unable to resolve target record"});
    let refused = load(&answer(201, json!([error]))).unwrap_err();
    assert_eq!(refused.kind, ErrorKind::RejectedByPolicy);
    assert_eq!(refused.remedy, Some(guide::TRANSFORM_REFUSED));
    assert!(
        refused
            .message
            .ends_with("the transform map \"CXM tickets\" refused the row: Unable to resolve target record, coalesce values not present: [Script]; Invalid table"),
        "{}",
        refused.message
    );
    let mut skipped = element("skipped");
    skipped["table"] = json!("u_cxm_incident_import");
    let refused = load(&answer(201, json!([skipped]))).unwrap_err();
    assert_eq!(refused.kind, ErrorKind::RejectedByPolicy);
    assert!(
        refused.message.contains("skipped the row"),
        "{}",
        refused.message
    );
    assert!(
        refused.message.ends_with("no message"),
        "{}",
        refused.message
    );
}

#[test]
fn one_map_refusing_fails_the_row_even_when_another_wrote() {
    let error = json!({"transform_map": "Audit", "status": "error", "error_message": "nope"});
    let refused = load(&answer(201, json!([element("inserted"), error]))).unwrap_err();
    assert!(refused.message.contains("\"Audit\" refused the row: nope"));
}

#[test]
fn nothing_transformed_names_the_transform_map() {
    for result in [json!([]), json!(null)] {
        let refused = load(&answer(201, result)).unwrap_err();
        assert_eq!(refused.kind, ErrorKind::UnexpectedResponse);
        assert_eq!(refused.remedy, Some(guide::TRANSFORM_MAP));
        assert!(
            refused.message.contains("no transform map"),
            "{}",
            refused.message
        );
    }
    let transport = ScriptedTransport::default();
    transport.push_json(201, r#"{"import_set":"ISET0010001"}"#);
    let refused = load(&transport).unwrap_err();
    assert_eq!(refused.remedy, Some(guide::TRANSFORM_MAP));
}

#[test]
fn an_asynchronous_import_set_is_named() {
    let mut waiting = element("inserted");
    waiting["table"] = json!("u_cxm_incident_import");
    let refused = load(&answer(201, json!([waiting]))).unwrap_err();
    assert_eq!(refused.remedy, Some(guide::TRANSFORM_MAP));
    assert!(
        refused.message.contains("asynchronous"),
        "{}",
        refused.message
    );
    let mut elsewhere = element("inserted");
    elsewhere["table"] = json!("problem");
    let refused = load(&answer(201, json!([elsewhere]))).unwrap_err();
    assert!(
        refused
            .message
            .contains("wrote to \"problem\", not to incident"),
        "{}",
        refused.message
    );
}

#[test]
fn refusals_over_http_speak_of_the_staging_table() {
    let refusal = |status: u16, message: &str| {
        let transport = ScriptedTransport::default();
        let body = json!({"error": {"message": message, "detail": "x"}, "status": "failure"});
        transport.push_json(status, &body.to_string());
        load(&transport).unwrap_err()
    };
    let forbidden = refusal(
        403,
        "ACL Exception Insert Failed due to security constraints",
    );
    assert_eq!(forbidden.kind, ErrorKind::Forbidden);
    assert_eq!(forbidden.remedy, Some(guide::IMPORT_SET_ROLES));
    for message in [
        "Invalid table u_cxm_incident_import",
        "Invalid staging table u_cxm_incident_import",
    ] {
        let unknown = refusal(400, message);
        assert_eq!(unknown.kind, ErrorKind::BadRequest, "{message}");
        assert_eq!(unknown.remedy, Some(guide::STAGING_TABLE));
        assert_eq!(unknown.http_status, Some(400));
        assert!(unknown.message.contains("not an import set staging table"));
    }
    let scope = refusal(403, "Access to unscoped api is not allowed");
    assert_eq!(scope.remedy, Some(guide::IMPORT_SET_SCOPE));
}

#[test]
fn a_lost_answer_leaves_the_outcome_unknown() {
    let transport = ScriptedTransport::default();
    transport.push(Ok(html(502, "<html>Bad Gateway</html>")));
    let lost = load(&transport).unwrap_err();
    assert_eq!(lost.kind, ErrorKind::ServiceUnavailable);
    assert!(lost.outcome_unknown);
}

#[test]
fn hostile_answers_are_bounded_and_checked() {
    let shouting = format!("evil\u{1b}[31m\n{}", "x".repeat(5000));
    let error = json!({"transform_map": "m\u{7}ap", "status": "error", "error_message": shouting});
    let refused = load(&answer(201, json!([error]))).unwrap_err();
    assert!(
        !refused.message.chars().any(char::is_control),
        "{}",
        refused.message
    );
    assert!(refused.message.chars().count() < 600);
    let unknown = load(&answer(201, json!([element("exploded\n")]))).unwrap_err();
    assert_eq!(unknown.kind, ErrorKind::UnexpectedResponse);
    assert!(
        unknown.message.contains("\"exploded\\n\""),
        "{}",
        unknown.message
    );
    let mut bad_id = element("inserted");
    bad_id["sys_id"] = json!("../sys_user");
    let refused = load(&answer(201, json!([bad_id]))).unwrap_err();
    assert!(refused.message.contains("names no valid record"));
    for result in [json!("inserted"), json!({"status": "inserted"}), json!([7])] {
        // Not a list of objects: no element is believed.
        let refused = load(&answer(201, result.clone())).unwrap_err();
        assert_eq!(refused.kind, ErrorKind::UnexpectedResponse, "{result}");
    }
    let odd = json!([{"status": "inserted", "table": 5, "sys_id": SYS_ID}]);
    let refused = load(&answer(201, odd)).unwrap_err();
    assert!(refused.message.contains("not a list of transform results"));
}
