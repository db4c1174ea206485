//! The Change Management API's unit tests, over the scripted transport: both answer shapes on
//! record, its refusals, and hostile answers.

use super::*;
use crate::test_support::answers::json_value;
use crate::test_support::instance::dev1_rest;
use crate::test_support::json::parsed;
use crate::test_support::transport::*;
use proptest::prelude::*;
use serde_json::json;

const TEMPLATE_ID: &str = "92b8544047810200e90d87e8dee490b0";
const CHANGE_ID: &str = "0123456789abcdef0123456789abcdef";

fn api(transport: &ScriptedTransport) -> ChangeApi<'_, ScriptedTransport> {
    ChangeApi(dev1_rest(transport))
}

fn token() -> Authorization {
    Authorization::bearer("tok-9")
}

fn api_error(status: u16, message: &str, detail: Option<&str>) -> Response {
    json(
        status,
        &json!({"error": {"message": message, "detail": detail}, "status": "failure"}).to_string(),
    )
}

fn sent_columns() -> Columns {
    let mut columns = Columns::default();
    columns
        .set("short_description", "Restart i-0abc")
        .set("impact", "3")
        .set("correlation_id", "opp-1")
        .set("no_such_field", "x");
    columns
}

/// The recorded shape (demisto/content's fixture): an object, typed values, dates with a
/// third key, `__meta` inside.
fn recorded() -> serde_json::Value {
    json!({"result": {
        "sys_id": {"display_value": CHANGE_ID, "value": CHANGE_ID},
        "number": {"display_value": "CHG0031889", "value": "CHG0031889"},
        "state": {"display_value": "New", "value": -5.0},
        "impact": {"display_value": "3 - Low", "value": 3.0},
        "active": {"display_value": "true", "value": true},
        "short_description": {"display_value": "Restart i-0abc", "value": "Restart i-0abc"},
        "correlation_id": {"display_value": "opp-1", "value": "opp-1"},
        "sys_created_on": {"display_value": "06/01/2022 04:12:43", "value": "2022-01-06 12:12:43",
                           "display_value_internal": "2022-01-06 04:12:43"},
        "__meta": {"ignoredFields": ["no_such_field"]}
    }})
}

/// The documented shape: an array of one, every value a string, `sys_id` a plain string.
fn documented() -> serde_json::Value {
    json!({"result": [{
        "sys_id": CHANGE_ID,
        "number": {"display_value": "CHG0031889", "value": "CHG0031889"},
        "state": {"display_value": "New", "value": "-5"},
        "impact": {"display_value": "3 - Low", "value": "3"},
        "active": {"display_value": "true", "value": "true"},
        "short_description": {"display_value": "Restart i-0abc", "value": "Restart i-0abc"},
        "correlation_id": {"display_value": "opp-1", "value": "opp-1"},
        "__meta": {"ignoredFields": ["no_such_field"]}
    }]})
}

#[test]
fn a_standard_change_is_read_from_either_shape() {
    for answer in [recorded(), documented()] {
        let transport = ScriptedTransport::default();
        transport.push_json(200, &answer.to_string());
        let template = SysId::parse(TEMPLATE_ID).unwrap();
        let created = api(&transport)
            .create_standard(&token(), &template, &sent_columns())
            .unwrap();
        let row = &created.stored.row;
        assert_eq!(
            (row.number.as_str(), row.sys_id.as_str()),
            ("CHG0031889", CHANGE_ID)
        );
        assert_eq!(
            (row.state.value.as_str(), row.state.label.as_str()),
            ("-5", "New")
        );
        assert_eq!(row.impact, "3");
        assert!(row.active);
        assert_eq!(created.ignored, ["no_such_field"]);
        // Only the ignored field is not applied: "3" was stored as 3.0, which is "3".
        assert_eq!(
            not_applied(&sent_columns(), &created),
            [NotApplied::new("no_such_field", IGNORED)]
        );
        let sent = &transport.sent()[0];
        assert_eq!(sent.method, Method::Post);
        assert_eq!(
            sent.url,
            format!("https://dev1.service-now.com/api/sn_chg_rest/change/standard/{TEMPLATE_ID}?")
        );
        assert!(!sent.idempotent);
        let body = String::from_utf8(sent.body.clone()).unwrap();
        assert!(
            body.contains(r#""short_description":"Restart i-0abc""#),
            "{body}"
        );
    }
}

#[test]
fn a_normal_change_posts_to_normal_and_names_what_differs() {
    let transport = ScriptedTransport::default();
    let mut answer = recorded();
    answer["result"]["impact"] = json!({"display_value": "1 - High", "value": 1});
    answer["result"]["__meta"] = json!({"ignoredFields": ["not_sent", 7, null]});
    transport.push_json(200, &answer.to_string());
    let created = api(&transport)
        .create_normal(&token(), &sent_columns())
        .unwrap();
    assert!(
        transport.sent()[0]
            .url
            .ends_with("/api/sn_chg_rest/change/normal?")
    );
    let missed = not_applied(&sent_columns(), &created);
    let fields: Vec<&str> = missed.iter().map(|n| n.field.as_str()).collect();
    // A name the API lists that was not sent is nobody's business; impact was changed.
    assert_eq!(fields, ["impact", "no_such_field"]);
    assert!(missed[0].reason.contains("stored \"1\" instead of \"3\""));
}

#[test]
fn typed_values_read_as_the_table_api_shows_them() {
    let read = |text: &str| {
        let mut value = crate::primitives::json::parse(text.as_bytes()).unwrap();
        as_text(&mut value);
        value
    };
    let string = |s: &str| Value::String(s.into());
    assert_eq!(read("-5.0"), string("-5"));
    assert_eq!(read("-5"), string("-5"));
    assert_eq!(read("3.00"), string("3"));
    assert_eq!(read("3.5"), string("3.5"));
    assert_eq!(read("1e2"), string("1e2"));
    assert_eq!(read("true"), string("true"));
    assert_eq!(read("\"-5\""), string("-5"));
    assert_eq!(read("null"), Value::Null);
}

#[test]
fn templates_are_looked_up_by_exact_name_or_sys_id() {
    let transport = ScriptedTransport::default();
    // The instance ignored the name term: only the exact, active name counts.
    let other = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let inactive = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    transport.push_json(
        200,
        &json!({"result": [
            {"sys_id": {"value": TEMPLATE_ID, "display_value": TEMPLATE_ID},
             "name": {"value": "Restart a VM", "display_value": "Restart a VM"},
             "active": {"value": "true", "display_value": "true"}},
            {"sys_id": {"value": other, "display_value": other},
             "name": {"value": "Restart a VM (old)", "display_value": "Restart a VM (old)"}},
            {"sys_id": {"value": inactive, "display_value": inactive},
             "name": {"value": "Restart a VM", "display_value": "Restart a VM"},
             "active": {"value": "false", "display_value": "false"}}
        ]})
        .to_string(),
    );
    let found = api(&transport)
        .templates(&token(), &ChangeTemplate::Name("Restart a VM".into()))
        .unwrap();
    let ids: Vec<&str> = found.iter().map(|t| t.sys_id.as_str()).collect();
    assert_eq!(ids, [TEMPLATE_ID]);
    let url = &transport.sent()[0].url;
    assert!(
        url.ends_with(
            "/api/sn_chg_rest/change/standard/template?\
             sysparm_query=active%3Dtrue%5Ename%3DRestart+a+VM&sysparm_limit=2"
        ),
        "{url}"
    );

    // By sys_id, the documented single-template shape: a plain sys_id.
    transport.push_json(
        200,
        &json!({"result": [{"sys_id": TEMPLATE_ID, "name": "Restart a VM"}]}).to_string(),
    );
    let by_id = ChangeTemplate::SysId(SysId::parse(TEMPLATE_ID).unwrap());
    let found = api(&transport).templates(&token(), &by_id).unwrap();
    assert_eq!(found.len(), 1);
    assert!(transport.sent()[1].url.contains(&format!(
        "sysparm_query=active%3Dtrue%5Esys_id%3D{TEMPLATE_ID}"
    )));
}

#[test]
fn a_name_that_would_widen_the_query_is_refused_before_sending() {
    let transport = ScriptedTransport::default();
    let error = api(&transport)
        .templates(&token(), &ChangeTemplate::Name("x^ORname!=y".into()))
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidTicket);
    assert!(transport.sent().is_empty());
}

#[test]
fn refusals_name_their_remedy() {
    let template = SysId::parse(TEMPLATE_ID).unwrap();
    let cases = [
        (
            api_error(400, "Requested URI does not represent any resource", None),
            ErrorKind::NotFound,
            Some(guide::CHANGE_API_PLUGIN),
            "no Change Management REST API",
        ),
        (
            api_error(
                403,
                "User Not Authorized",
                Some("Failed API level ACL Validation"),
            ),
            ErrorKind::Forbidden,
            Some(guide::CHANGE_ROLES),
            "lacks the Change Management API's roles",
        ),
        (
            api_error(
                403,
                "User Not Authorized",
                Some("Missing required api access scope: cxm_api_access"),
            ),
            ErrorKind::MissingAuthScope,
            Some(guide::CHANGE_SCOPE),
            "scope",
        ),
        (
            api_error(
                404,
                "No Record found",
                Some("The specified standard change template couldn't be found"),
            ),
            ErrorKind::NotFound,
            None,
            "couldn't be found",
        ),
        (
            api_error(500, "Internal Server Error", Some("Data Policy Exception")),
            ErrorKind::ServiceUnavailable,
            Some(guide::CHANGE_API_FAILED),
            "Data Policy Exception",
        ),
        (
            api_error(400, "Exception while reading request", Some("bad")),
            ErrorKind::BadRequest,
            None,
            "Exception while reading request",
        ),
    ];
    for (answer, kind, remedy, says) in cases {
        let transport = ScriptedTransport::default();
        let status = answer.status;
        transport.push(Ok(answer));
        let error = api(&transport)
            .create_standard(&token(), &template, &sent_columns())
            .unwrap_err();
        assert_eq!(error.kind, kind, "{error:?}");
        assert_eq!(error.remedy, remedy, "{error:?}");
        assert_eq!(error.http_status, Some(status));
        assert!(error.message.contains(says), "{}", error.message);
        // A create refused before it ran is certain; a 500 may have run midway.
        assert_eq!(error.outcome_unknown, status == 500, "{error:?}");
    }
}

#[test]
fn the_servers_message_is_bounded_and_printable() {
    let transport = ScriptedTransport::default();
    let long = format!("line one\nline two {}", "x".repeat(5000));
    transport.push(Ok(api_error(500, "Internal Server Error", Some(&long))));
    let error = api(&transport)
        .create_normal(&token(), &sent_columns())
        .unwrap_err();
    assert!(error.message.len() < 600, "{}", error.message.len());
    assert!(!error.message.chars().any(char::is_control));
}

#[test]
fn answers_that_are_not_one_change_are_refused() {
    for result in [
        json!([]),
        json!([{"sys_id": CHANGE_ID}, {"sys_id": CHANGE_ID}]),
        json!("CHG0000001"),
        json!({"number": "CHG0000001"}),
        json!({"sys_id": "../../sys_user"}),
        json!({"sys_id": {"value": 7}}),
    ] {
        let error = parse_created(parsed(result.clone()), "creating").unwrap_err();
        assert_eq!(error.kind, ErrorKind::UnexpectedResponse, "{result}");
    }
}

proptest! {
    #[test]
    fn any_result_reads_or_is_refused_without_panicking(result in json_value()) {
        if let Ok(created) = parse_created(parsed(result), "creating") {
            let _ = not_applied(&sent_columns(), &created);
        }
    }

    #[test]
    fn any_answer_is_a_change_or_an_error(answer in crate::test_support::answers::any_response()) {
        let transport = ScriptedTransport::default();
        transport.push(Ok(answer));
        if let Err(error) = api(&transport).create_normal(&token(), &sent_columns()) {
            prop_assert!(!error.message.chars().any(char::is_control));
        }
    }
}
