//! The Table API: records created, read, resolved and journalled; lists filtered, paged
//! and counted; and its errors in ServiceNow's envelope.

use serde_json::{Map, Value, json};

use super::*;

#[tokio::test]
async fn incidents_are_created_read_resolved_and_journalled() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let sys_id = create_an_incident(&sim, &t).await;
    let path = format!("/api/now/table/incident/{sys_id}");
    let read = api(&sim, &t, "GET", &format!("{path}?sysparm_exclude_reference_link=true&sysparm_fields=number,assignment_group,bogus"), "").await;
    assert_eq!(
        read.json(),
        json!({"result": {"number": "INC0010001", "assignment_group": CLOUD_OPERATIONS_GROUP_ID}})
    );

    resolve_it(&sim, &t, &path, &sys_id).await;
    work_it_server_side(&sim, &sys_id);
    missing_and_deleted(&sim, &t, &path).await;
}

/// POST an incident: what ServiceNow computes, references and drops; its sys_id.
async fn create_an_incident(sim: &Simulator, t: &str) -> String {
    let body = json!({
        "short_description": "Idle VM",
        "impact": "1",
        "urgency": 2,
        "priority": "5",
        "assignment_group": CLOUD_OPERATIONS_GROUP_ID,
        "correlation_id": "opp-42",
        "work_notes": "opened by the integration",
        "u_unknown": "ignored"
    });
    let answer = api(sim, t, "POST", "/api/now/table/incident", &body.to_string()).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let result = answer.json()["result"].clone();
    let sys_id = result["sys_id"].as_str().unwrap().to_string();
    assert_eq!(
        answer.header("location"),
        Some(format!("{}/api/now/table/incident/{sys_id}", sim.base_url()).as_str())
    );
    assert_eq!(result["number"], "INC0010001");
    assert_eq!(
        (&result["priority"], &result["urgency"], &result["state"]),
        (&json!("2"), &json!("2"), &json!("1"))
    );
    assert_eq!(
        result["assignment_group"],
        json!({"link": format!("{}/api/now/table/sys_user_group/{CLOUD_OPERATIONS_GROUP_ID}", sim.base_url()), "value": CLOUD_OPERATIONS_GROUP_ID})
    );
    assert_eq!(result["work_notes"], "");
    assert!(result.get("u_unknown").is_none());
    assert_eq!(
        sim.records("incident")[0]["assignment_group"],
        CLOUD_OPERATIONS_GROUP_ID
    );

    sys_id
}

/// Resolving without the close fields trips the data policy and changes nothing; with them
/// the incident resolves and the comment lands in the journal.
async fn resolve_it(sim: &Simulator, t: &str, path: &str, sys_id: &str) {
    let answer = api(
        sim,
        t,
        "PATCH",
        path,
        r#"{"state":"6","close_notes":"done"}"#,
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.body,
        r#"{"error":{"message":"Operation Failed","detail":"Data Policy Exception: \n The following fields are mandatory: Resolution code"},"status":"failure"}"#
    );
    assert_eq!(sim.records("incident")[0]["state"], "1");
    let answer = api(
        sim,
        t,
        "PUT",
        path,
        r#"{"state":"6","close_code":"Solution provided","close_notes":"done","comments":"fixed"}"#,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let result = &answer.json()["result"];
    assert_eq!(
        (
            &result["active"],
            &result["sys_mod_count"],
            &result["comments"]
        ),
        (&json!("false"), &json!("1"), &json!(""))
    );
    let journal: Vec<(String, String)> = sim
        .journal("incident", sys_id)
        .into_iter()
        .map(|e| (e.element, e.value))
        .collect();
    assert_eq!(
        journal,
        [
            ("work_notes".into(), "opened by the integration".into()),
            ("comments".into(), "fixed".into())
        ]
    );
}

/// Server-side helpers, as a person working the ticket.
fn work_it_server_side(sim: &Simulator, sys_id: &str) {
    let human = sim
        .update_record("incident", sys_id, fields(json!({"state": "7"})))
        .unwrap();
    assert_eq!(human["closed_at"].as_str().unwrap().len(), 19);
    assert!(sim.update_record("incident", "0000", Map::new()).is_none());
    let inserted = sim.insert_record(
        "incident",
        fields(json!({"short_description": "by hand", "assignment_group": "Network"})),
    );
    assert_eq!(inserted["number"], "INC0010002");
    assert_eq!(
        inserted["assignment_group"],
        "287ebd7da9fe198100f92cc8d1d2154e"
    );
}

/// A record that does not exist is 404; a delete answers 204.
async fn missing_and_deleted(sim: &Simulator, t: &str, path: &str) {
    let missing = api(
        sim,
        t,
        "GET",
        "/api/now/table/incident/0123456789abcdef0123456789abcdef",
        "",
    )
    .await;
    assert_eq!(
        (missing.status, missing.body.as_str()),
        (
            404,
            r#"{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}"#
        )
    );
    let patch_missing = api(sim, t, "PATCH", "/api/now/table/incident/nope", "{}").await;
    assert_eq!(patch_missing.status, 404);
    let deleted = api(sim, t, "DELETE", path, "").await;
    assert_eq!((deleted.status, deleted.body.as_str()), (204, ""));
    assert_eq!(sim.records("incident").len(), 1);
}

#[tokio::test]
async fn lists_filter_page_and_count() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    groups_filtered(&sim, &t).await;
    choices_read_only(&sim, &t).await;
    incidents_paged(&sim, &t).await;
}

/// A query, a field filter, no match, and an unknown field (ignored).
async fn groups_filtered(sim: &Simulator, t: &str) {
    let answer = api(sim, t, "GET", "/api/now/table/sys_user_group?sysparm_query=name%3DNetwork&sysparm_limit=2&sysparm_fields=sys_id,name&sysparm_exclude_reference_link=true", "").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("x-total-count"), Some("1"));
    assert_eq!(
        answer.json(),
        json!({"result": [{"sys_id": "287ebd7da9fe198100f92cc8d1d2154e", "name": "Network"}]})
    );

    let ambiguous = api(
        sim,
        t,
        "GET",
        "/api/now/table/sys_user_group?name=Database&sysparm_limit=2",
        "",
    )
    .await;
    assert_eq!(ambiguous.json()["result"].as_array().unwrap().len(), 2);
    let none = api(
        sim,
        t,
        "GET",
        "/api/now/table/sys_user_group?sysparm_query=name%3Dnetwork",
        "",
    )
    .await;
    assert_eq!((none.status, none.body.as_str()), (200, r#"{"result":[]}"#));
    // An unknown field is ignored, so every group matches.
    let all = api(
        sim,
        t,
        "GET",
        "/api/now/table/sys_user_group?sysparm_query=nmae%3DNetwork",
        "",
    )
    .await;
    assert_eq!(all.header("x-total-count"), Some("5"));
}

/// The close codes are sys_choice rows, readable and not writable.
async fn choices_read_only(sim: &Simulator, t: &str) {
    let choices = api(sim, t, "GET", "/api/now/table/sys_choice?sysparm_query=name%3Dincident%5Eelement%3Dclose_code%5Einactive%3Dfalse&sysparm_fields=value", "").await;
    let values: Vec<Value> = choices.json()["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].clone())
        .collect();
    assert_eq!(values.len(), 8);
    assert!(values.contains(&json!("Solution provided")));
    let refused = api(
        sim,
        t,
        "POST",
        "/api/now/table/sys_choice",
        r#"{"value":"x"}"#,
    )
    .await;
    assert_eq!(refused.status, 403);
}

/// A page of a filtered, ordered list: its count and its Link header.
async fn incidents_paged(sim: &Simulator, t: &str) {
    for i in 0..5 {
        let body = json!({"short_description": format!("event {i}"), "correlation_id": format!("c{}", i % 2)});
        assert_eq!(
            api(sim, t, "POST", "/api/now/table/incident", &body.to_string())
                .await
                .status,
            201
        );
    }
    let page = api(sim, t, "GET", "/api/now/table/incident?sysparm_query=correlation_id%3Dc0%5EORDERBYDESCnumber&sysparm_limit=2&sysparm_offset=1", "").await;
    assert_eq!(page.header("x-total-count"), Some("3"));
    let numbers: Vec<String> = page.json()["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(numbers, ["INC0010003", "INC0010001"]);
    let link = page.header("link").unwrap();
    assert!(
        link.contains(r#"rel="first""#)
            && link.contains(r#"rel="prev""#)
            && link.contains(r#"rel="last""#)
    );
    assert!(!link.contains(r#"rel="next""#));
}

#[tokio::test]
async fn table_api_errors_use_the_envelope() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    requests_it_cannot_serve(&sim, &t).await;
    acl_refusals(&sim, &t).await;
    scope_and_rate_limit(&sim, &t).await;
}

/// An unknown table or resource, a wrong method, a body that is not JSON.
async fn requests_it_cannot_serve(sim: &Simulator, t: &str) {
    let cases = [
        (
            "POST",
            "/api/now/table/u_nope",
            "{}",
            400,
            r#"{"error":{"message":"Invalid table u_nope","detail":"Table u_nope does not exist"},"status":"failure"}"#,
        ),
        (
            "GET",
            "/api/now/foo",
            "",
            400,
            r#"{"error":{"message":"Requested URI does not represent any resource","detail":null},"status":"failure"}"#,
        ),
        (
            "POST",
            "/api/now/table/incident/0123",
            "{}",
            405,
            r#"{"error":{"message":"Method not Supported","detail":null},"status":"failure"}"#,
        ),
    ];
    for (method, path, body, status, expected) in cases {
        let answer = api(sim, t, method, path, body).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (status, expected),
            "{method} {path}"
        );
    }
    let malformed = api(
        sim,
        t,
        "POST",
        "/api/now/table/incident",
        "{\"short_description\":",
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(
        malformed.json()["error"]["message"],
        "Exception while reading request"
    );
}

/// Access controls refusing an insert, a read and an update.
async fn acl_refusals(sim: &Simulator, t: &str) {
    sim.update_faults(|f| {
        f.acl_deny_insert = vec!["incident".into()];
        f.acl_deny_read = vec!["sys_user_group".into()];
    });
    let answer = api(sim, t, "POST", "/api/now/table/incident", "{}").await;
    assert_eq!(
        answer.body,
        r#"{"error":{"message":"Operation Failed","detail":"ACL Exception Insert Failed due to security constraints"},"status":"failure"}"#
    );
    let answer = api(sim, t, "GET", "/api/now/table/sys_user_group", "").await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            403,
            r#"{"error":{"message":"Insufficient rights to query records","detail":null},"status":"failure"}"#
        )
    );
    sim.set_faults(Faults::default());
    let created = api(sim, t, "POST", "/api/now/table/incident", "{}")
        .await
        .json();
    let path = format!(
        "/api/now/table/incident/{}",
        created["result"]["sys_id"].as_str().unwrap()
    );
    sim.update_faults(|f| f.acl_deny_update = vec!["incident".into()]);
    let answer = api(sim, t, "PATCH", &path, r#"{"urgency":"1"}"#).await;
    assert_eq!(
        (answer.status, answer.json()["error"]["detail"].as_str()),
        (
            403,
            Some("ACL Exception Update Failed due to security constraints")
        )
    );
}

/// A token without the API access scope, and the rate limit.
async fn scope_and_rate_limit(sim: &Simulator, t: &str) {
    sim.set_faults(Faults {
        auth_scope_missing: true,
        ..Faults::default()
    });
    let t2 = token(sim).await;
    let answer = api(sim, &t2, "GET", "/api/now/table/incident", "").await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            403,
            r#"{"error":{"message":"User Not Authorized","detail":"Missing required api access scope: cxm_api_access"},"status":"failure"}"#
        )
    );

    sim.set_faults(Faults {
        rate_limit: Some(42),
        ..Faults::default()
    });
    let answer = api(sim, t, "POST", "/api/now/table/incident", "{}").await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.header("retry-after"), Some("42"));
    assert_eq!(answer.header("x-ratelimit-limit"), Some("10"));
    assert!(
        answer
            .header("x-ratelimit-reset")
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    assert_eq!(answer.header("x-ratelimit-rule").map(str::len), Some(32));
    assert_eq!(
        answer.body,
        r#"{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 10 requests per hour for Table API exceeded"},"status":"failure"}"#
    );
}

/// docs/servicenow/table-api.md#query-parameters: a write answers with the `sysparm_fields`
/// asked for, an unknown one (a column written that the table lacks) left out.
#[tokio::test]
async fn writes_answer_the_fields_asked_for() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let body = json!({"short_description": "Idle VM", "u_unknown": "x"}).to_string();
    let fields = "sysparm_fields=sys_id,short_description,u_unknown";
    let path = format!("/api/now/table/incident?{fields}");
    let created = api(&sim, &t, "POST", &path, &body).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let result = created.json()["result"].clone();
    let keys: Vec<&str> = result
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 2, "{result}");
    assert_eq!(result["short_description"], "Idle VM");
    let sys_id = result["sys_id"].as_str().unwrap();
    let path = format!("/api/now/table/incident/{sys_id}?sysparm_fields=urgency");
    let updated = api(&sim, &t, "PATCH", &path, r#"{"urgency":"1"}"#).await;
    assert_eq!(updated.json(), json!({"result": {"urgency": "1"}}));
}
