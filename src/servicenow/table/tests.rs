//! The Table API's unit tests, over the scripted transport.

use super::*;
use crate::primitives::error::ErrorKind;
use crate::primitives::http::Response;
use crate::primitives::json::Fields;
use crate::servicenow::rows::{row, sys_id};
use crate::test_support::instance::dev1_rest;
use crate::test_support::transport::*;
use serde_json::json;

/// `dev1`'s Table API over the scripted transport.
fn api(transport: &ScriptedTransport) -> TableApi<'_, ScriptedTransport> {
    TableApi(dev1_rest(transport))
}

fn token() -> Authorization {
    Authorization::bearer("tok-9")
}

static INCIDENT: Name = Name::known("incident");

row! {
    #[derive(Debug)]
    struct NumberRow {
        sys_id: SysId = sys_id => required,
        number: String = json::string => required,
    }
}

const CREATED: &str =
    r#"{"result":{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001"}}"#;

fn api_error(status: u16, message: &str, detail: &str) -> Response {
    json(
        status,
        &json!({"error": {"message": message, "detail": detail}, "status": "failure"}).to_string(),
    )
}

#[test]
fn insert_posts_json_with_bearer() {
    let transport = ScriptedTransport::default();
    transport.push_json(201, CREATED);
    let api = api(&transport);
    let mut columns = Columns::default();
    columns
        .set("short_description", "disk full")
        .set("number", "INC0010001")
        .set("work_notes", "seen");
    let stored: Stored<NumberRow> = api.insert(&token(), &INCIDENT, &columns).unwrap();
    assert_eq!(stored.row.number, "INC0010001");
    assert_eq!(
        stored.row.sys_id.as_str(),
        "0123456789abcdef0123456789abcdef"
    );
    assert_eq!(
        stored.columns.get("number").and_then(Value::as_str),
        Some("INC0010001")
    );
    let sent = &transport.sent()[0];
    assert_eq!(
        sent.url,
        // The row's columns, then those written that it does not read; no journal column.
        "https://dev1.service-now.com/api/now/table/incident?sysparm_exclude_reference_link=true\
         &sysparm_fields=sys_id%2Cnumber%2Cshort_description"
    );
    assert_eq!(sent.header_value("authorization"), Some("Bearer tok-9"));
    assert_eq!(sent.header_value("accept"), Some("application/json"));
    assert_eq!(sent.header_value("content-type"), Some("application/json"));
    assert_eq!(
        sent.body,
        br#"{"number":"INC0010001","short_description":"disk full","work_notes":"seen"}"#
    );
}

#[test]
fn query_encodes_parameters() {
    let transport = ScriptedTransport::default();
    transport.push_json(
        200,
        &format!(
            r#"{{"result":[{{"sys_id":"{}","number":"1"}},{{"sys_id":"{}","number":"2"}}]}}"#,
            "a".repeat(32),
            "b".repeat(32)
        ),
    );
    let api = api(&transport);
    let query = Query::default()
        .eq("name", "Cloud Ops & EU")
        .order_by_desc("sys_created_on");
    let rows: Vec<NumberRow> = api
        .query(&token(), &Name::known("sys_user_group"), &query, 2)
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        query.checked().unwrap(),
        "name=Cloud Ops & EU^ORDERBYDESCsys_created_on"
    );
    assert!(transport.sent()[0].url.ends_with(
        "sys_user_group?sysparm_exclude_reference_link=true\
         &sysparm_query=name%3DCloud+Ops+%26+EU%5EORDERBYDESCsys_created_on\
         &sysparm_fields=sys_id%2Cnumber&sysparm_limit=2"
    ));
}

/// A value that could widen the query or run on the instance makes the whole query
/// refused before anything is sent, on whichever side of a `^NQ` it stands.
#[test]
fn values_that_would_change_a_query_are_refused_not_sent() {
    let cases = [
        (
            Query::default().eq("name", "Ops^ORactive=true"),
            "the value for name contains ^",
        ),
        (
            Query::default()
                .eq("name", "x")
                .or_else(Query::default().eq("correlation_id", "javascript:gs.getUserID()")),
            "the value for correlation_id starts with javascript:",
        ),
        (
            Query::default().like("name", "a\nb"),
            "the value for name contains a control character",
        ),
        (
            Query::default().one_of("element_id", &["a", "b,c"]),
            "contains a comma",
        ),
        (
            Query::default().one_of("element_id", &[]),
            "the list of values for element_id is empty",
        ),
        (
            Query::default().eq("Name^OR", "x"),
            "is not a ServiceNow column name",
        ),
        (
            Query::default().order_by("sys_id^NQactive"),
            "is not a ServiceNow column name",
        ),
    ];
    for (query, says) in cases {
        let error = query.checked().unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidTicket);
        assert!(error.message.contains(says), "{} / {says}", error.message);
        let transport = ScriptedTransport::default();
        let api = api(&transport);
        let refused = api.query::<NumberRow>(&token(), &INCIDENT, &query, 1);
        assert_eq!(refused.unwrap_err().message, error.message);
        assert!(transport.sent().is_empty(), "{says}");
    }
}

/// `more` comes from the `Link` header as captured (docs/servicenow/polling.md); without the
/// header, a full page may have more behind it.
#[test]
fn a_page_says_whether_more_records_wait() {
    let two = format!(
        r#"{{"result":[{{"sys_id":"{}","number":"1"}},{{"sys_id":"{}","number":"2"}}]}}"#,
        "a".repeat(32),
        "b".repeat(32)
    );
    let link = |rels: &[&str]| {
        rels.iter()
            .map(|rel| {
                format!("<https://h/api/now/table/incident?sysparm_fields=a,b>;rel=\"{rel}\"")
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let cases = [
        (Some(link(&["first", "prev", "next", "last"])), 5, true),
        (Some(link(&["first", "prev", "last"])), 2, false),
        (None, 2, true),
        (None, 3, false),
    ];
    for (header, limit, more) in cases {
        let transport = ScriptedTransport::default();
        let mut response = json(200, &two);
        if let Some(header) = &header {
            response.headers.push(("link".into(), header.clone()));
        }
        transport.push(Ok(response));
        let api = api(&transport);
        let mut rows = 0;
        let end = api
            .each_row(
                &token(),
                &INCIDENT,
                &Query::default(),
                (NumberRow::COLUMNS, false),
                limit,
                &mut |_| {
                    rows += 1;
                    Ok(())
                },
            )
            .unwrap();
        assert_eq!(rows, 2);
        assert_eq!(end.more, more, "{header:?} limit {limit}");
    }
}

#[test]
fn error_envelopes_map_to_kinds() {
    let cases = [
        (
            api_error(
                401,
                "User Not Authenticated",
                "Required to provide Auth information",
            ),
            ErrorKind::NotAuthenticated,
        ),
        (
            api_error(
                403,
                "User Not Authorized",
                "Missing required api access scope: cxm_api_access",
            ),
            ErrorKind::MissingAuthScope,
        ),
        (
            api_error(
                403,
                "Operation Failed",
                "ACL Exception Insert Failed due to security constraints",
            ),
            ErrorKind::Forbidden,
        ),
        (
            api_error(
                403,
                "Operation Failed",
                "Data Policy Exception: \n The following fields are mandatory: Resolution code",
            ),
            ErrorKind::RejectedByPolicy,
        ),
        (
            api_error(
                404,
                "No Record found",
                "Record doesn't exist or ACL restricts the record retrieval",
            ),
            ErrorKind::NotFound,
        ),
        (
            api_error(400, "Invalid table u_nope", "Table u_nope does not exist"),
            ErrorKind::UnknownTicketKind,
        ),
        (
            api_error(400, "Exception while reading request", "bad json"),
            ErrorKind::BadRequest,
        ),
        (
            api_error(503, "Service Unavailable", ""),
            ErrorKind::ServiceUnavailable,
        ),
    ];
    for (response, kind) in cases {
        let transport = ScriptedTransport::default();
        let status = response.status;
        transport.push(Ok(response));
        let api = api(&transport);
        let err = api
            .insert::<NumberRow>(&token(), &INCIDENT, &Columns::default())
            .unwrap_err();
        assert_eq!(err.kind, kind, "{status}");
        assert_eq!(err.http_status, Some(status));
        assert!(!err.to_string().contains("tok-9"));
    }
}

#[test]
fn rate_limit_carries_retry_after() {
    let transport = ScriptedTransport::default();
    let mut response = api_error(
        429,
        "Rate limit exceeded",
        "Rate limit of 10 requests per hour for Table API exceeded",
    );
    response.headers.push(("retry-after".into(), "42".into()));
    transport.push(Ok(response));
    let api = api(&transport);
    let err = api
        .query::<NumberRow>(&token(), &INCIDENT, &Query::default(), 1)
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::RateLimited);
    assert_eq!(err.retry_after_seconds, Some(42));
    assert!(err.message.contains("10 requests per hour"));
}

#[test]
fn quota_truncated_200_is_an_error() {
    let transport = ScriptedTransport::default();
    transport.push_json(
        200,
        r#"{"result":[{"sys_id":"1"}],"error":{"detail":"","message":"Transaction cancelled: maximum execution time exceeded"},"status":"failure"}"#,
    );
    let api = api(&transport);
    let err = api
        .query::<NumberRow>(&token(), &INCIDENT, &Query::default(), 1)
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::UnexpectedResponse);
    assert!(err.message.contains("maximum execution time"));
}

#[test]
fn hibernating_201_is_not_success() {
    let transport = ScriptedTransport::default();
    transport.push(Ok(html(201, HIBERNATING)));
    let api = api(&transport);
    let err = api
        .insert::<NumberRow>(&token(), &INCIDENT, &Columns::default())
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::ServiceAsleep);
    assert_eq!(err.http_status, Some(201));
}

/// What the Table API makes of answers that are not what was asked for.
mod answers {
    use super::*;
    use crate::primitives::error::ErrorKind;
    use crate::primitives::json::Fields;
    use crate::servicenow::rows::{row, sys_id};
    use crate::test_support::instance::dev1;
    use crate::test_support::transport::*;

    row! {
        #[derive(Debug)]
        struct IdRow {
            #[allow(dead_code)]
            sys_id: SysId = sys_id => required,
        }
    }

    /// Answers that are JSON but not what they claim: each a specific error naming what serde
    /// found wrong, never a success.
    #[test]
    fn malformed_results_keep_serdes_message() {
        let cases = [
            (
                r#"{"result":{"sys_id":"x"}}"#,
                "not a list of records: invalid type: map",
            ),
            (r#"{"result":[{"sys_id":5}]}"#, "invalid type: integer `5`"),
            (r#"{"result":[{}]}"#, "missing field `sys_id`"),
            (r#"{"result":[{"sys_id":"0123"}]}"#, "32 lower-case hex"),
            (
                r#"{"result":[{"sys_id":"0123"#,
                "not a Table API result: EOF",
            ),
            (r#"{"status":"success"}"#, "the answer has no result"),
        ];
        for (body, says) in cases {
            let transport = ScriptedTransport::default();
            transport.push_json(200, body);
            let api = TableApi(dev1_rest(&transport));
            let err = api
                .query::<IdRow>(
                    &Authorization::bearer("t"),
                    &Name::known("incident"),
                    &Query::default(),
                    1,
                )
                .unwrap_err();
            assert_eq!(err.kind, ErrorKind::UnexpectedResponse, "{body}");
            assert!(err.message.contains(says), "{} / {says}", err.message);
        }
    }
}
