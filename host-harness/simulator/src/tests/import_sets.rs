//! The Import Set API: rows loaded into a staging table and transformed into incidents, each row
//! status (inserted, updated, ignored, skipped, error), the answer's exact shape, reading a row's
//! result again, the asynchronous mode, and the refusals.

use serde_json::{Map, Value, json};

use super::*;

const STAGING: &str = "u_cxm_ticket_import";
const IMPORT: &str = "/api/now/import/u_cxm_ticket_import";
const ACL_INSERT: &str = r#"{"error":{"message":"Operation Failed","detail":"ACL Exception Insert Failed due to security constraints"},"status":"failure"}"#;

/// The map an integration's staging table would have: coalescing on the correlation id.
fn ticket_map(name: &str) -> TransformMap {
    TransformMap::new(name, "incident")
        .coalesce("u_correlation_id", "correlation_id")
        .field("u_short_description", "short_description")
        .field("u_impact", "impact")
        .field("u_urgency", "urgency")
        .field("u_assignment_group", "assignment_group")
        .field("u_state", "state")
        .field("u_work_notes", "work_notes")
}

/// A simulator with the staging table and its map, and a token of the integration user, who holds
/// `import_set_loader`.
async fn loader(map: TransformMap) -> (Simulator, String) {
    let sim = Simulator::start().await.unwrap();
    sim.add_import_set(STAGING, map);
    assert!(sim.update_user(DEFAULT_USER_NAME, |u| {
        u.roles.push("import_set_loader".into())
    }));
    let t = token(&sim).await;
    (sim, t)
}

async fn load(sim: &Simulator, t: &str, body: Value) -> Answer {
    api(sim, t, "POST", IMPORT, &body.to_string()).await
}

/// The answer's only result element.
fn only_result(answer: &Answer) -> Value {
    assert_eq!(answer.status, 201, "{}", answer.body);
    let result = answer.json()["result"].clone();
    assert_eq!(result.as_array().map(Vec::len), Some(1), "{}", answer.body);
    result[0].clone()
}

fn staging_rows(sim: &Simulator) -> Vec<Map<String, Value>> {
    sim.records(STAGING)
}

#[tokio::test]
async fn a_row_inserts_an_incident_in_the_documented_shape() {
    let (sim, t) = loader(ticket_map("CXM tickets")).await;
    let body = json!({
        "u_correlation_id": "opp-1",
        "u_short_description": "Idle VM",
        "u_impact": "1",
        "u_urgency": 2,
        "u_assignment_group": "Cloud Operations",
        "u_work_notes": "opened by the integration",
        "u_bogus": "dropped"
    });
    let answer = load(&sim, &t, body.clone()).await;
    let sys_id = only_result(&answer)["sys_id"].as_str().unwrap().to_string();
    let link = format!("{}/api/now/table/incident/{sys_id}", sim.base_url());
    assert_eq!(
        answer.body,
        format!(
            r#"{{"import_set":"ISET0010001","staging_table":"{STAGING}","result":[{{"transform_map":"CXM tickets","table":"incident","display_name":"number","display_value":"INC0010001","record_link":"{link}","status":"inserted","sys_id":"{sys_id}"}}]}}"#
        )
    );
    let sent = sim.requests().pop().unwrap();
    assert_eq!((sent.method.as_str(), sent.path.as_str()), ("POST", IMPORT));
    assert_eq!(sent.json_body(), Some(body));

    // The Table API reads what the transform wrote, as a Table API write would have left it.
    let read = api(
        &sim,
        &t,
        "GET",
        &format!("/api/now/table/incident/{sys_id}?sysparm_exclude_reference_link=true"),
        "",
    )
    .await;
    let incident = read.json()["result"].clone();
    assert_eq!(incident["correlation_id"], "opp-1");
    assert_eq!(incident["assignment_group"], CLOUD_OPERATIONS_GROUP_ID);
    assert_eq!(
        (&incident["urgency"], &incident["priority"]),
        (&json!("2"), &json!("2"))
    );
    assert_eq!(incident["sys_created_by"], DEFAULT_USER_NAME);
    assert_eq!(incident["sys_created_on"], sim.now());
    let journal = sim.journal("incident", &sys_id);
    assert_eq!(journal.len(), 1);
    assert_eq!(
        (
            journal[0].value.as_str(),
            journal[0].sys_created_by.as_str()
        ),
        ("opened by the integration", DEFAULT_USER_NAME)
    );

    // The staging row keeps what was sent, as text, and what became of it.
    let row = &staging_rows(&sim)[0];
    assert_eq!(
        (&row["u_correlation_id"], &row["u_urgency"]),
        (&json!("opp-1"), &json!("2"))
    );
    assert!(row.get("u_bogus").is_none());
    assert_eq!(row["sys_import_state"], "inserted");
    assert_eq!(row["sys_target_table"], "incident");
    assert_eq!(row["sys_target_sys_id"], sys_id.as_str());
    assert_eq!(row["sys_transform_map"], "CXM tickets");
}

#[tokio::test]
async fn the_correlation_id_coalesces_into_an_update_then_an_unchanged_row_is_ignored() {
    let (sim, t) = loader(ticket_map("CXM tickets")).await;
    sim.freeze_clock();
    let first = load(
        &sim,
        &t,
        json!({"u_correlation_id": "opp-2", "u_short_description": "Idle VM"}),
    )
    .await;
    let sys_id = only_result(&first)["sys_id"].clone();

    sim.advance_clock(Duration::from_secs(60));
    // Coalescing ignores case; empty values do not clear the target.
    let body = json!({"u_correlation_id": "OPP-2", "u_short_description": "Idle VM, still", "u_urgency": ""});
    let second = only_result(&load(&sim, &t, body.clone()).await);
    assert_eq!(
        (&second["status"], &second["sys_id"]),
        (&json!("updated"), &sys_id)
    );
    assert_eq!(second["display_value"], "INC0010001");
    let incidents = sim.records("incident");
    assert_eq!(incidents.len(), 1);
    assert_eq!(incidents[0]["short_description"], "Idle VM, still");
    assert_eq!(incidents[0]["urgency"], "3");
    assert_eq!(incidents[0]["sys_updated_on"], sim.now());
    assert_eq!(incidents[0]["sys_mod_count"], "1");

    sim.advance_clock(Duration::from_secs(60));
    let third = load(&sim, &t, body).await;
    let ignored = only_result(&third);
    assert_eq!(
        ignored,
        json!({
            "transform_map": "CXM tickets", "table": "incident", "display_name": "number",
            "display_value": "INC0010001",
            "record_link": format!("{}/api/now/table/incident/{}", sim.base_url(), sys_id.as_str().unwrap()),
            "status": "ignored", "sys_id": sys_id, "status_message": "No field values changed"
        })
    );
    assert_eq!(sim.records("incident")[0]["sys_mod_count"], "1");
    assert_eq!(third.json()["import_set"], "ISET0010001");
    assert_eq!(
        staging_rows(&sim)[2]["sys_import_state_comment"],
        "No field values changed"
    );

    // After midnight the next row lands in a new import set.
    sim.advance_clock(Duration::from_secs(86_400));
    let t = token(&sim).await;
    let next = load(&sim, &t, json!({"u_correlation_id": "opp-3"})).await;
    assert_eq!(next.json()["import_set"], "ISET0010002");
}

#[tokio::test]
async fn a_row_without_its_coalesce_value_is_skipped() {
    let (sim, t) = loader(ticket_map("CXM tickets")).await;
    let answer = load(&sim, &t, json!({"u_short_description": "no correlation"})).await;
    let staged = staging_rows(&sim)[0]["sys_id"].clone();
    assert_eq!(
        only_result(&answer),
        json!({"transform_map": "CXM tickets", "table": STAGING, "status": "skipped", "sys_id": staged})
    );
    assert!(sim.records("incident").is_empty());
    assert_eq!(staging_rows(&sim)[0]["sys_import_state"], "skipped");
}

#[tokio::test]
async fn scripts_force_ignored_skipped_and_error_rows() {
    let error = "Unable to resolve target record, coalesce values not present: [Script]";
    let (sim, t) = loader(ticket_map("errors").script(TransformScript::Error(error.into()))).await;
    let answer = load(&sim, &t, json!({"u_correlation_id": "opp-4"})).await;
    // An error element names no target, and the HTTP status still says 201.
    assert_eq!(answer.status, 201);
    assert_eq!(
        answer.json()["result"],
        json!([{"transform_map": "errors", "status": "error", "status_message": error, "error_message": error}])
    );
    assert_eq!(staging_rows(&sim)[0]["sys_import_state"], "error");

    for (staging, script, status) in [
        ("u_ignored", TransformScript::Ignore, "ignored"),
        ("u_skipped", TransformScript::Skip, "skipped"),
    ] {
        sim.add_import_set(staging, ticket_map(staging).script(script));
        let path = format!("/api/now/import/{staging}");
        let body = json!({"u_correlation_id": "opp-4"}).to_string();
        let answer = api(&sim, &t, "POST", &path, &body).await;
        let result = only_result(&answer);
        assert_eq!(
            (&result["status"], &result["table"]),
            (&json!(status), &json!(staging))
        );
        assert_eq!(result["sys_id"], sim.records(staging)[0]["sys_id"]);
    }
    assert!(sim.records("incident").is_empty());
}

#[tokio::test]
async fn updates_only_ignores_rows_that_would_insert() {
    let map = ticket_map("updates only").script(TransformScript::IgnoreInserts);
    let (sim, t) = loader(map).await;
    let new = load(
        &sim,
        &t,
        json!({"u_correlation_id": "opp-5", "u_short_description": "x"}),
    )
    .await;
    assert_eq!(only_result(&new)["status"], "ignored");
    assert!(sim.records("incident").is_empty());

    let existing = sim.insert_record("incident", fields(json!({"correlation_id": "opp-5"})));
    let update = load(
        &sim,
        &t,
        json!({"u_correlation_id": "opp-5", "u_short_description": "x"}),
    )
    .await;
    let result = only_result(&update);
    assert_eq!(
        (&result["status"], &result["sys_id"]),
        (&json!("updated"), &existing["sys_id"])
    );
}

#[tokio::test]
async fn failures_inside_the_transform_are_error_rows_of_a_2xx() {
    let (sim, t) = loader(ticket_map("CXM tickets")).await;
    // The close data policy: resolving needs the close fields.
    let answer = load(
        &sim,
        &t,
        json!({"u_correlation_id": "opp-6", "u_state": "6"}),
    )
    .await;
    let result = only_result(&answer);
    assert_eq!(result["status"], "error");
    assert_eq!(
        result["error_message"],
        "Data Policy Exception: \n The following fields are mandatory: Resolution code, Resolution notes"
    );
    assert!(result.get("sys_id").is_none() && result.get("table").is_none());

    // A target-table ACL refusal, with the POST's status set to 200.
    sim.set_import_post_status(200);
    sim.update_faults(|f| f.acl_deny_insert.push("incident".into()));
    let answer = load(&sim, &t, json!({"u_correlation_id": "opp-6"})).await;
    assert_eq!(answer.status, 200);
    let result = &answer.json()["result"][0];
    assert_eq!(result["status"], "error");
    assert_eq!(
        result["error_message"],
        "ACL Exception Insert Failed due to security constraints"
    );
    assert!(sim.records("incident").is_empty());
    assert_eq!(staging_rows(&sim).len(), 2, "both rows were stored");
}

#[tokio::test]
async fn each_transform_map_gives_its_own_result() {
    let (sim, t) = loader(ticket_map("incidents")).await;
    sim.add_import_set(
        STAGING,
        TransformMap::new("problems", "problem").field("u_short_description", "short_description"),
    );
    let answer = load(
        &sim,
        &t,
        json!({"u_correlation_id": "opp-7", "u_short_description": "VM"}),
    )
    .await;
    assert_eq!(answer.status, 201);
    let result = answer.json()["result"].clone();
    let summary: Vec<(Value, Value, Value)> = result
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["transform_map"].clone(),
                r["table"].clone(),
                r["status"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (json!("incidents"), json!("incident"), json!("inserted")),
            (json!("problems"), json!("problem"), json!("inserted")),
        ]
    );
    assert_eq!(sim.records("problem")[0]["short_description"], "VM");
}

#[tokio::test]
async fn a_staging_row_result_is_read_again_until_the_cleanup() {
    let (sim, t) = loader(ticket_map("CXM tickets")).await;
    let posted = load(&sim, &t, json!({"u_correlation_id": "opp-8"})).await;
    let staged = staging_rows(&sim)[0]["sys_id"]
        .as_str()
        .unwrap()
        .to_string();
    let target = only_result(&posted)["sys_id"].as_str().unwrap().to_string();
    let path = format!("{IMPORT}/{staged}");
    let read = api(&sim, &t, "GET", &path, "").await;
    assert_eq!(
        (read.status, read.body.as_str()),
        (200, posted.body.as_str())
    );

    // The target's sys_id is not a staging row; another staging table does not hold it.
    let wrong = api(&sim, &t, "GET", &format!("{IMPORT}/{target}"), "").await;
    assert_eq!(wrong.status, 404);
    sim.add_staging_table("u_other", &["u_x"]);
    let other = api(
        &sim,
        &t,
        "GET",
        &format!("/api/now/import/u_other/{staged}"),
        "",
    )
    .await;
    assert_eq!(other.status, 404);

    // The Import Set Deleter removes rows older than seven days.
    sim.advance_clock(Duration::from_secs(7 * 86_400 + 1));
    let t = token(&sim).await;
    let gone = api(&sim, &t, "GET", &path, "").await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        gone.body,
        r#"{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}"#
    );
    assert!(staging_rows(&sim).is_empty());
    assert_eq!(sim.records("incident").len(), 1, "the target stays");
}

#[tokio::test]
async fn an_asynchronous_import_set_transforms_later() {
    let (sim, t) = loader(ticket_map("CXM tickets")).await;
    assert!(sim.set_import_set_mode(STAGING, ImportSetMode::Asynchronous));
    let answer = load(&sim, &t, json!({"u_correlation_id": "opp-9"})).await;
    let staged = staging_rows(&sim)[0]["sys_id"]
        .as_str()
        .unwrap()
        .to_string();
    let link = format!("{}/api/now/table/{STAGING}/{staged}", sim.base_url());
    assert_eq!(
        only_result(&answer),
        json!({"transform_map": "CXM tickets", "table": STAGING, "record_link": link, "status": "inserted", "sys_id": staged})
    );
    assert!(sim.records("incident").is_empty());
    assert_eq!(staging_rows(&sim)[0]["sys_import_state"], "pending");

    assert_eq!(sim.transform_pending_imports(STAGING), 1);
    assert_eq!(sim.transform_pending_imports(STAGING), 0);
    let incident = sim.records("incident")[0].clone();
    assert_eq!(incident["sys_created_by"], "admin");
    let read = api(&sim, &t, "GET", &format!("{IMPORT}/{staged}"), "").await;
    let result = read.json()["result"][0].clone();
    assert_eq!(
        (&result["status"], &result["sys_id"]),
        (&json!("inserted"), &incident["sys_id"])
    );
}

#[tokio::test]
async fn a_staging_table_without_a_transform_map_only_stores_the_row() {
    let sim = Simulator::start().await.unwrap();
    sim.add_staging_table(STAGING, &["u_correlation_id"]);
    assert!(sim.set_import_set_roles(STAGING, &[]));
    let t = token(&sim).await;
    let answer = load(&sim, &t, json!({"u_correlation_id": "opp-10"})).await;
    assert_eq!(answer.status, 201);
    assert_eq!(
        answer.json(),
        json!({"import_set": "ISET0010001", "staging_table": STAGING, "result": []})
    );
    assert_eq!(staging_rows(&sim)[0]["sys_import_state"], "pending");
    assert_eq!(staging_rows(&sim)[0]["u_correlation_id"], "opp-10");
}

#[tokio::test]
async fn loading_needs_an_import_role_or_the_acl() {
    let sim = Simulator::start().await.unwrap();
    sim.add_import_set(STAGING, ticket_map("CXM tickets"));
    let t = token(&sim).await;
    let body = json!({"u_correlation_id": "opp-11"});
    let refused = load(&sim, &t, body.clone()).await;
    assert_eq!((refused.status, refused.body.as_str()), (403, ACL_INSERT));
    let read = api(
        &sim,
        &t,
        "GET",
        &format!("{IMPORT}/0123456789abcdef0123456789abcdef"),
        "",
    )
    .await;
    assert_eq!(read.status, 403);
    assert!(staging_rows(&sim).is_empty() && sim.records("incident").is_empty());

    sim.update_user(DEFAULT_USER_NAME, |u| u.roles.push("import_admin".into()));
    assert_eq!(load(&sim, &t, body.clone()).await.status, 201);
    // An ACL refusal on the staging table itself is the same 403.
    sim.update_faults(|f| f.acl_deny_insert.push(STAGING.into()));
    let refused = load(&sim, &t, body.clone()).await;
    assert_eq!((refused.status, refused.body.as_str()), (403, ACL_INSERT));
    // Basic auth as admin passes every ACL but the fault's.
    sim.update_faults(|f| f.acl_deny_insert.clear());
    sim.update_user(DEFAULT_USER_NAME, |u| u.roles.clear());
    let admin = basic("admin", "admin");
    let headers = [
        ("authorization", admin.as_str()),
        ("content-type", "application/json"),
    ];
    let answer = send(&sim, "POST", IMPORT, &headers, &body.to_string()).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
}

#[tokio::test]
async fn the_import_set_api_authenticates_like_every_rest_path() {
    let (sim, _) = loader(ticket_map("CXM tickets")).await;
    let body = json!({"u_correlation_id": "opp-12"}).to_string();
    let anonymous = send(
        &sim,
        "POST",
        IMPORT,
        &[("content-type", "application/json")],
        &body,
    )
    .await;
    assert_eq!(
        (anonymous.status, anonymous.body.as_str()),
        (401, NOT_AUTHENTICATED)
    );
    let key = sim.add_api_key(DEFAULT_USER_NAME);
    let headers = [
        ("x-sn-apikey", key.as_str()),
        ("content-type", "application/json"),
    ];
    let path = "/api/now/v1/import/u_cxm_ticket_import";
    assert_eq!(send(&sim, "POST", path, &headers, &body).await.status, 201);
    sim.update_faults(|f| f.api_key_policy_missing.push(RestApi::ImportSet));
    assert_eq!(send(&sim, "POST", path, &headers, &body).await.status, 401);
    assert_eq!(staging_rows(&sim).len(), 1);
}

#[tokio::test]
async fn unknown_tables_bad_bodies_and_other_methods_are_refused() {
    let (sim, t) = loader(ticket_map("CXM tickets")).await;
    let unknown = api(&sim, &t, "POST", "/api/now/import/u_nothing", "{}").await;
    assert_eq!(
        (unknown.status, unknown.body.as_str()),
        (
            400,
            r#"{"error":{"message":"Invalid table u_nothing","detail":"Table u_nothing does not exist"},"status":"failure"}"#
        )
    );
    let not_staging = api(&sim, &t, "POST", "/api/now/import/incident", "{}").await;
    assert_eq!(
        (not_staging.status, not_staging.body.as_str()),
        (
            400,
            r#"{"error":{"message":"Invalid staging table incident","detail":"Table incident is not an import set table"},"status":"failure"}"#
        )
    );
    for bad in ["", "{", "\"text\""] {
        let answer = api(&sim, &t, "POST", IMPORT, bad).await;
        assert_eq!(answer.status, 400, "{bad:?}");
        assert_eq!(
            answer.json()["error"]["message"],
            "Exception while reading request"
        );
    }
    let get = api(&sim, &t, "GET", IMPORT, "").await;
    assert_eq!((get.status, get.header("allow")), (405, Some("POST")));
    let delete = api(&sim, &t, "DELETE", &format!("{IMPORT}/abc"), "").await;
    assert_eq!((delete.status, delete.header("allow")), (405, Some("GET")));
    let xml = [
        ("authorization", &*format!("Bearer {t}")),
        ("content-type", "application/xml"),
    ];
    let answer = send(&sim, "POST", IMPORT, &xml, "<u_x>1</u_x>").await;
    assert_eq!(answer.status, 500);
    assert!(
        answer.body.contains("does not implement XML bodies"),
        "{}",
        answer.body
    );
    let multiple = api(&sim, &t, "POST", &format!("{IMPORT}/insertMultiple"), "{}").await;
    assert_eq!(multiple.status, 500);
    assert!(
        multiple.body.contains("does not implement insertMultiple"),
        "{}",
        multiple.body
    );
    assert!(staging_rows(&sim).is_empty() && sim.records("incident").is_empty());
}

#[tokio::test]
async fn a_lost_answer_retried_coalesces_instead_of_duplicating() {
    let (sim, t) = loader(ticket_map("CXM tickets")).await;
    sim.update_faults(|f| f.lost_insert_answers = 1);
    let body = json!({"u_correlation_id": "opp-14", "u_short_description": "Idle VM"});
    let lost = load(&sim, &t, body.clone()).await;
    assert_eq!(lost.status, 502);
    assert_eq!(sim.records("incident").len(), 1, "the transform ran");
    let retried = only_result(&load(&sim, &t, body).await);
    assert_eq!(retried["status"], "ignored");
    assert_eq!(retried["sys_id"], sim.records("incident")[0]["sys_id"]);
    assert_eq!(sim.records("incident").len(), 1);
    assert_eq!(staging_rows(&sim).len(), 2);
}

#[tokio::test]
async fn nested_values_reach_the_staging_row_mangled() {
    let (sim, t) = loader(ticket_map("CXM tickets")).await;
    let body =
        json!({"u_correlation_id": "opp-13", "u_short_description": {"vm": "i-1", "cost": 3}});
    let result = only_result(&load(&sim, &t, body).await);
    assert_eq!(result["status"], "inserted");
    assert_eq!(
        staging_rows(&sim)[0]["u_short_description"],
        "{cost=3, vm=i-1}"
    );
    assert_eq!(
        sim.records("incident")[0]["short_description"],
        "{cost=3, vm=i-1}"
    );
}
