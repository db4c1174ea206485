//! The Change Management API: standard change templates listed, standard changes created from
//! them in both answer shapes, normal and emergency changes, and its refusals.

use serde_json::{Value, json};

use super::*;

const TEMPLATES: &str = "/api/sn_chg_rest/change/standard/template";

/// Three templates: two active, one not. Returns the first one's sys_id.
fn seed(sim: &Simulator) -> String {
    let switch = sim.insert_standard_change_template(
        "Add network switch to datacenter cabinet",
        fields(json!({
            "short_description": "Add network switch to cabinet",
            "description": "Adding a new network switch to a datacenter cabinet",
            "implementation_plan": "-- Rack the switch\r\n-- Connect it",
            "backout_plan": "-- Remove the switch",
            "test_plan": "-- Ping it",
            "assignment_group": CLOUD_OPERATIONS_GROUP_ID,
            "risk": "4",
            "no_such_column": "dropped"
        })),
    );
    sim.insert_standard_change_template(
        "Rightsize an instance",
        fields(json!({"short_description": "Rightsize an EC2 instance", "category": "Cloud"})),
    );
    let old = sim.insert_standard_change_template(
        "Retired template",
        fields(json!({"short_description": "Old"})),
    );
    assert!(sim.set_standard_change_template_active(&old, false));
    assert!(!sim.set_standard_change_template_active("0123", false));
    switch
}

fn names(answer: &Answer) -> Vec<String> {
    let result = answer.json()["result"].clone();
    let rows = result
        .as_array()
        .unwrap_or_else(|| panic!("{}", answer.body));
    rows.iter()
        .map(|t| t["name"]["value"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn templates_are_listed_filtered_and_paged() {
    let sim = Simulator::start().await.unwrap();
    let switch = seed(&sim);
    let t = token(&sim).await;
    let all = api(&sim, &t, "GET", TEMPLATES, "").await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert_eq!(names(&all).len(), 3);
    let first = &all.json()["result"][0];
    assert_eq!(
        first["sys_id"],
        json!({"display_value": switch, "value": switch})
    );
    assert_eq!(
        first["template"]["display_value"],
        "Add network switch to datacenter cabinet"
    );
    assert_eq!(first["template"]["value"].as_str().map(str::len), Some(32));

    let target = "/api/sn_chg_rest/v1/change/standard/template?sysparm_query=active%3Dtrue%5Ename%3DRightsize+an+instance";
    let by_name = api(&sim, &t, "GET", target, "").await;
    assert_eq!(names(&by_name), ["Rightsize an instance"]);
    let pairs = api(&sim, &t, "GET", &format!("{TEMPLATES}?active=true"), "").await;
    assert_eq!(names(&pairs).len(), 2);
    let paged = format!("{TEMPLATES}?sysparm_query=active%3Dtrue&sysparm_limit=1&sysparm_offset=1");
    assert_eq!(
        names(&api(&sim, &t, "GET", &paged, "").await),
        ["Rightsize an instance"]
    );
    let ordered = format!("{TEMPLATES}?sysparm_query=ORDERBYDESCname");
    assert_eq!(
        names(&api(&sim, &t, "GET", &ordered, "").await),
        [
            "Rightsize an instance",
            "Retired template",
            "Add network switch to datacenter cabinet"
        ]
    );
    // Text no sys_id can hold (they are hex digits only), in the template's short description
    // and not in its name.
    let search = format!("{TEMPLATES}?textSearch=an%20EC2");
    assert_eq!(
        names(&api(&sim, &t, "GET", &search, "").await),
        ["Rightsize an instance"]
    );

    let one = api(&sim, &t, "GET", &format!("{TEMPLATES}/{switch}"), "").await;
    assert_eq!(one.json()["result"]["sys_id"]["value"], switch.as_str());
    let missing = api(
        &sim,
        &t,
        "GET",
        &format!("{TEMPLATES}/{}", "0".repeat(32)),
        "",
    )
    .await;
    assert_eq!(missing.status, 404);
    // The Table API reads the same table, as some clients do.
    let table =
        "/api/now/table/std_change_record_producer?sysparm_query=sys_name%3DRightsize+an+instance";
    assert_eq!(
        api(&sim, &t, "GET", table, "").await.json()["result"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn a_standard_change_takes_the_template_values_and_the_callers() {
    let sim = Simulator::start().await.unwrap();
    let switch = seed(&sim);
    // The change's configuration item: a reference, so it must name a CI that exists.
    let ci = sim
        .insert_cloud_ci(crate::CloudCi::aws_vm("sw-42", "i-0abc42"))
        .unwrap();
    let t = token(&sim).await;
    sim.clear_requests();
    let body = json!({
        "short_description": "Add switch sw-42 to cabinet B7",
        "description": "not taken",
        "cmdb_ci": ci,
        "start_date": "2025-01-01 10:00:00",
        "no_such_field": "x",
        "number": "CHG9999999"
    });
    let target = format!("/api/sn_chg_rest/change/standard/{switch}");
    let answer = api(&sim, &t, "POST", &target, &body.to_string()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let result = answer.json()["result"].clone();
    assert!(result.is_object(), "the recorded shape: {}", answer.body);
    recorded_answer(&result);
    read_back(&sim, &t, &result, &ci).await;
    // What was sent is recorded.
    let sent = &sim.requests()[0];
    assert_eq!(
        (sent.method.as_str(), sent.path.as_str()),
        ("POST", target.as_str())
    );
    assert_eq!(sent.json_body(), Some(body));
}

/// The answer to the create: typed values, the template's and the caller's, what was ignored.
fn recorded_answer(result: &Value) {
    assert_eq!(
        result["state"],
        json!({"display_value": "New", "value": -5.0})
    );
    assert_eq!(
        result["active"],
        json!({"display_value": "true", "value": true})
    );
    assert_eq!(
        result["type"],
        json!({"display_value": "Standard", "value": "standard"})
    );
    assert_eq!(result["approval"]["value"], "approved");
    assert_eq!(result["risk"]["value"], json!(4.0));
    assert_eq!(result["number"]["value"], "CHG0030001");
    assert_eq!(
        result["std_change_producer_version"]["display_value"],
        "Add network switch to datacenter cabinet - 1"
    );
    assert_eq!(
        result["assignment_group"]["display_value"],
        "Cloud Operations"
    );
    assert_eq!(
        result["start_date"]["display_value_internal"],
        "2025-01-01 10:00:00"
    );
    assert_eq!(
        result["short_description"]["value"],
        "Add switch sw-42 to cabinet B7"
    );
    assert_eq!(
        result["description"]["value"],
        "Adding a new network switch to a datacenter cabinet"
    );
    let mut ignored: Vec<&str> = result["__meta"]["ignoredFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    ignored.sort_unstable();
    assert_eq!(ignored, ["description", "no_such_field", "number"]);
}

/// A later Table API read shows what the template gave.
async fn read_back(sim: &Simulator, t: &str, result: &Value, ci: &str) {
    let sys_id = result["sys_id"]["value"].as_str().unwrap();
    let read = api(
        sim,
        t,
        "GET",
        &format!("/api/now/table/change_request/{sys_id}?sysparm_exclude_reference_link=true"),
        "",
    )
    .await;
    let change = read.json()["result"].clone();
    assert_eq!(
        change["implementation_plan"],
        "-- Rack the switch\r\n-- Connect it"
    );
    assert_eq!(change["backout_plan"], "-- Remove the switch");
    assert_eq!(change["cmdb_ci"], ci);
    assert_eq!(change["type"], "standard");
    assert_eq!(
        change["opened_by"],
        sim.user_sys_id(DEFAULT_USER_NAME).unwrap().as_str()
    );
}

#[tokio::test]
async fn the_documented_shape_is_an_array_of_strings() {
    let sim = Simulator::start().await.unwrap();
    let switch = seed(&sim);
    sim.set_change_answer_shape(ChangeAnswerShape::Documented);
    let t = token(&sim).await;
    let target = format!("/api/sn_chg_rest/v1/change/standard/{switch}");
    let answer = api(&sim, &t, "POST", &target, "").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let records = answer.json()["result"].clone();
    assert_eq!(records.as_array().map(Vec::len), Some(1), "{}", answer.body);
    let record = &records[0];
    assert_eq!(
        record["state"],
        json!({"display_value": "New", "value": "-5"})
    );
    assert!(record["sys_id"]["value"].is_string());
    assert!(record["opened_at"].get("display_value_internal").is_none());
    assert_eq!(record["__meta"], json!({"ignoredFields": []}));

    let normal = api(&sim, &t, "POST", "/api/sn_chg_rest/change/normal", "{}").await;
    let record = &normal.json()["result"][0];
    assert!(
        record["sys_id"].is_string(),
        "a plain sys_id: {}",
        normal.body
    );
    assert_eq!(
        record["type"],
        json!({"display_value": "Normal", "value": "normal"})
    );
    let one = api(&sim, &t, "GET", &format!("{TEMPLATES}/{switch}"), "").await;
    assert_eq!(one.json()["result"][0]["sys_id"], switch.as_str());
}

#[tokio::test]
async fn normal_and_emergency_changes_start_new() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let target =
        "/api/sn_chg_rest/change/normal?short_description=Remove+server&no_such_field=something";
    let normal = api(&sim, &t, "POST", target, "").await;
    assert_eq!(normal.status, 200, "{}", normal.body);
    let result = normal.json()["result"].clone();
    assert_eq!(result["state"]["value"], json!(-5.0));
    assert_eq!(result["type"]["value"], "normal");
    assert_eq!(result["short_description"]["value"], "Remove server");
    assert_eq!(result["__meta"]["ignoredFields"], json!(["no_such_field"]));
    let body = json!({"short_description": "Reboot", "assignment_group": "Network"}).to_string();
    let target = "/api/sn_chg_rest/v2/change/emergency?sysparm_input_display_value=true";
    let emergency = api(&sim, &t, "POST", target, &body).await;
    let result = emergency.json()["result"].clone();
    assert_eq!(result["type"]["display_value"], "Emergency");
    assert_eq!(result["assignment_group"]["display_value"], "Network");
    let stored = sim.records("change_request");
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[1]["state"], "-5");
    // A data policy refusing the insert: a server-side failure, nothing stored.
    let closing = r#"{"state":"3","short_description":"closed at once"}"#;
    let refused = api(&sim, &t, "POST", "/api/sn_chg_rest/change/normal", closing).await;
    assert_eq!(refused.status, 500, "{}", refused.body);
    assert!(
        refused.body.contains("Close code, Close notes"),
        "{}",
        refused.body
    );
    assert_eq!(sim.records("change_request").len(), 2);
}

#[tokio::test]
async fn templates_that_are_unknown_or_inactive_are_not_found() {
    let sim = Simulator::start().await.unwrap();
    seed(&sim);
    let t = token(&sim).await;
    let inactive = api(&sim, &t, "GET", &format!("{TEMPLATES}?active=false"), "").await;
    let inactive = inactive.json()["result"][0]["sys_id"]["value"].clone();
    for id in [
        inactive.as_str().unwrap().to_string(),
        "0".repeat(32),
        "bogus".into(),
    ] {
        let target = format!("/api/sn_chg_rest/change/standard/{id}");
        let answer = api(&sim, &t, "POST", &target, "{}").await;
        assert_eq!(answer.status, 404, "{id}: {}", answer.body);
        assert_eq!(answer.json()["error"]["message"], "No Record found");
        assert_eq!(answer.json()["status"], "failure");
    }
    assert!(sim.records("change_request").is_empty());
}

#[tokio::test]
async fn refusals_come_in_the_envelope() {
    let sim = Simulator::start().await.unwrap();
    let switch = seed(&sim);
    let t = token(&sim).await;
    let target = format!("/api/sn_chg_rest/change/standard/{switch}");
    let bad = api(&sim, &t, "POST", &target, "{").await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json()["error"]["message"],
        "Exception while reading request"
    );
    let nobody = send(&sim, "GET", TEMPLATES, &[], "").await;
    assert_eq!(
        (nobody.status, nobody.body.as_str()),
        (401, NOT_AUTHENTICATED)
    );
    let lacking = send(
        &sim,
        "GET",
        "/api/sn_chg_rest/change/model",
        &[("authorization", &format!("Bearer {t}"))],
        "",
    )
    .await;
    assert_eq!(lacking.status, 500, "not implemented: {}", lacking.body);
    let nowhere = api(&sim, &t, "GET", "/api/sn_chg_rest/nothing", "").await;
    assert_eq!(nowhere.status, 400);

    // A user without a change role: 403, reads and writes.
    let mut reader = User::new("reader", "pw");
    reader.roles = vec!["sn_change_read".into()];
    sim.add_user(reader);
    sim.add_user(User::new("plain", "pw"));
    let as_reader = [("authorization", basic("reader", "pw"))];
    let as_reader: Vec<(&str, &str)> = as_reader.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(
        send(&sim, "GET", TEMPLATES, &as_reader, "").await.status,
        200
    );
    let denied = send(&sim, "POST", &target, &as_reader, "").await;
    assert_eq!(
        (denied.status, denied.body.as_str()),
        (
            403,
            r#"{"error":{"message":"User Not Authorized","detail":"Failed API level ACL Validation"},"status":"failure"}"#
        )
    );
    let plain = basic("plain", "pw");
    let as_plain = [("authorization", plain.as_str())];
    assert_eq!(
        send(&sim, "GET", TEMPLATES, &as_plain, "").await.status,
        403
    );

    // An API key gets in like a token.
    let key = sim.add_api_key(DEFAULT_USER_NAME);
    let by_key = send(&sim, "POST", &target, &[("x-sn-apikey", key.as_str())], "").await;
    assert_eq!(by_key.status, 200, "{}", by_key.body);

    // Without the plugin: authentication first, then no such resource.
    sim.set_change_management_installed(false);
    let gone = api(&sim, &t, "GET", TEMPLATES, "").await;
    assert_eq!(
        (gone.status, gone.body.as_str()),
        (
            400,
            r#"{"error":{"message":"Requested URI does not represent any resource","detail":null},"status":"failure"}"#
        )
    );
    assert_eq!(send(&sim, "GET", TEMPLATES, &[], "").await.status, 401);
}
