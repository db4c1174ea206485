//! docs/servicenow/polling.md: what a client polling for changes sees: update stamps, a keyset
//! cursor over (sys_updated_on, sys_id), the paging headers, and the journal table.

use serde_json::{Map, Value, json};

use super::*;

fn rows(answer: &Answer) -> Vec<Value> {
    answer.json()["result"].as_array().unwrap().clone()
}

fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .map(|r| r["sys_id"].as_str().unwrap().to_string())
        .collect()
}

/// Percent-encodes an encoded query for a URL.
fn q(encoded: &str) -> String {
    url::form_urlencoded::byte_serialize(encoded.as_bytes()).collect()
}

/// GET the rows of `table` that match the encoded query `encoded` (percent-encoded here),
/// with `extra` parameters after it.
async fn list(sim: &Simulator, t: &str, table: &str, encoded: &str, extra: &str) -> Answer {
    let target = format!("/api/now/table/{table}?sysparm_query={}{extra}", q(encoded));
    api(sim, t, "GET", &target, "").await
}

async fn create(sim: &Simulator, t: &str, body: Value) -> Value {
    let answer = api(sim, t, "POST", "/api/now/table/incident", &body.to_string()).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    answer.json()["result"].clone()
}

/// Every answer carries the instance's clock, the one that stamps its records, so that a
/// poller can tell which seconds are over.
#[tokio::test]
async fn answers_carry_the_instances_clock_in_their_date_header() {
    let sim = Simulator::start().await.unwrap();
    sim.freeze_clock();
    sim.advance_clock(Duration::from_secs(3600));
    let t = token(&sim).await;
    let record = create(&sim, &t, json!({"short_description": "dated"})).await;
    let answer = api(
        &sim,
        &t,
        "GET",
        "/api/now/table/incident?sysparm_limit=1",
        "",
    )
    .await;
    let dates: Vec<&(String, String)> = answer
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("date"))
        .collect();
    assert_eq!(
        dates.len(),
        1,
        "one Date, not the server library's too: {dates:?}"
    );
    let date = dates[0].1.clone();
    let stamped = record["sys_updated_on"].as_str().unwrap();
    // "Thu, 26 Nov 2026 15:52:13 GMT" against "2026-11-26 15:52:13".
    let parsed = as_timestamp(&date);
    assert_eq!(parsed, stamped, "{date}");
    let missing = api(&sim, &t, "GET", "/api/now/table/no_such_table", "").await;
    assert!(missing.header("date").is_some());
}

/// `Sun, 06 Nov 1994 08:49:37 GMT` as `1994-11-06 08:49:37`.
fn as_timestamp(date: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = date.split(' ').collect();
    assert_eq!((parts.len(), parts[5]), (6, "GMT"), "{date}");
    let month = MONTHS.iter().position(|m| *m == parts[2]).unwrap() + 1;
    format!("{}-{month:02}-{} {}", parts[3], parts[1], parts[4])
}

#[tokio::test]
async fn a_keyset_cursor_pages_through_ties() {
    let sim = Simulator::start().await.unwrap();
    sim.freeze_clock();
    let t = token(&sim).await;
    let start = sim.now();
    sim.advance_clock(Duration::from_secs(1));
    let tie = sim.now();
    for i in 0..3 {
        create(&sim, &t, json!({"short_description": format!("tie {i}")})).await;
    }
    sim.advance_clock(Duration::from_secs(1));
    let later = create(&sim, &t, json!({"short_description": "later"})).await;
    assert_eq!(
        (&later["sys_updated_by"], &later["sys_created_by"]),
        (&json!("cxm_integration"), &json!("cxm_integration"))
    );
    assert_ne!(later["sys_updated_on"], json!(tie));

    let order = "^ORDERBYsys_updated_on^ORDERBYsys_id";
    let first = list(
        &sim,
        &t,
        "incident",
        &format!("sys_updated_on>{start}{order}"),
        "&sysparm_limit=2",
    )
    .await;
    assert_eq!(first.header("x-total-count"), Some("4"));
    let page = rows(&first);
    assert_eq!(page.len(), 2);
    assert!(page.iter().all(|r| r["sys_updated_on"] == json!(tie)));
    let seen = ids(&page);
    assert!(seen[0] < seen[1], "ordered by sys_id within the second");

    // Resume after the last row seen: the rest of its second, then everything later.
    let cursor = format!(
        "sys_updated_on={tie}^sys_id>{}^NQsys_updated_on>{tie}{order}",
        seen[1]
    );
    let next = list(&sim, &t, "incident", &cursor, "&sysparm_limit=2").await;
    let page = rows(&next);
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["sys_updated_on"], json!(tie));
    assert!(page[0]["sys_id"].as_str().unwrap() > seen[1].as_str());
    assert_eq!(page[1]["sys_id"], later["sys_id"]);

    // An update moves a record to the end of the cursor's order, stamped with its writer.
    sim.advance_clock(Duration::from_secs(1));
    let id = seen[0].clone();
    let human = sim
        .update_record("incident", &id, fields(json!({"urgency": "1"})))
        .unwrap();
    assert_eq!(human["sys_updated_by"], "admin");
    assert_eq!(human["sys_updated_on"], json!(sim.now()));
    let by_others = list(
        &sim,
        &t,
        "incident",
        &format!("sys_updated_on>{tie}^sys_updated_by!=cxm_integration{order}"),
        "",
    )
    .await;
    assert_eq!(ids(&rows(&by_others)), [id]);
}

#[tokio::test]
async fn the_link_header_is_shaped_as_captured() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    for i in 0..3 {
        create(&sim, &t, json!({"short_description": format!("n{i}")})).await;
    }
    let base = format!("{}/api/now/table/incident", sim.base_url());
    let link = |query: &str| format!("<{base}?{query}>");
    let first = api(
        &sim,
        &t,
        "GET",
        "/api/now/table/incident?sysparm_limit=1&u_unknown=kept",
        "",
    )
    .await;
    assert_eq!(
        first.header("link").unwrap(),
        [
            format!(
                "{};rel=\"first\"",
                link("u_unknown=kept&sysparm_limit=1&sysparm_offset=0")
            ),
            format!(
                "{};rel=\"prev\"",
                link("u_unknown=kept&sysparm_limit=1&sysparm_offset=-1")
            ),
            format!(
                "{};rel=\"next\"",
                link("u_unknown=kept&sysparm_limit=1&sysparm_offset=1")
            ),
            format!(
                "{};rel=\"last\"",
                link("u_unknown=kept&sysparm_limit=1&sysparm_offset=2")
            ),
        ]
        .join(",")
    );
    assert_eq!(first.header("x-total-count"), Some("3"));
    let last = api(
        &sim,
        &t,
        "GET",
        "/api/now/table/incident?sysparm_limit=2&sysparm_offset=2",
        "",
    )
    .await;
    let header = last.header("link").unwrap();
    assert!(!header.contains("rel=\"next\""), "{header}");
    assert!(
        header.contains("sysparm_offset=0>;rel=\"prev\""),
        "{header}"
    );
    assert!(header.ends_with("sysparm_limit=2&sysparm_offset=2>;rel=\"last\""));
}

#[tokio::test]
async fn journal_entries_are_read_through_the_table_api() {
    let sim = Simulator::start().await.unwrap();
    sim.freeze_clock();
    let t = token(&sim).await;
    let incident = create(&sim, &t, json!({"work_notes": "opened"})).await;
    // Another incident's entry, which the query by element_id leaves out.
    create(&sim, &t, json!({"comments": "elsewhere"})).await;
    let id = incident["sys_id"].as_str().unwrap();
    sim.advance_clock(Duration::from_secs(1));
    let path = format!("/api/now/table/incident/{id}");
    let answer = api(&sim, &t, "PATCH", &path, r#"{"comments":"customer note"}"#).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["result"]["comments"], "");

    let query =
        format!("element_id={id}^elementINcomments,work_notes^name=incident^ORDERBYsys_created_on");
    let answer = list(&sim, &t, "sys_journal_field", &query, "").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let entries = rows(&answer);
    assert_eq!(entries.len(), 2);
    let mut keys: Vec<&str> = entries[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "element",
            "element_id",
            "name",
            "sys_created_by",
            "sys_created_on",
            "sys_id",
            "sys_tags",
            "value"
        ]
    );
    assert_eq!(
        (&entries[0]["element"], &entries[0]["value"]),
        (&json!("work_notes"), &json!("opened"))
    );
    assert_eq!(
        (&entries[1]["element"], &entries[1]["value"]),
        (&json!("comments"), &json!("customer note"))
    );
    assert_eq!(entries[1]["sys_created_by"], "cxm_integration");
    assert_eq!(entries[1]["sys_tags"], "");
    assert_eq!(entries[1]["sys_created_on"], json!(sim.now()));
    assert_eq!(
        sim.journal("incident", id)[1].sys_created_by,
        "cxm_integration"
    );

    // Polled by creation time: only what is newer than the cursor.
    let since = format!(
        "sys_created_on>{}^elementINcomments",
        incident["sys_created_on"].as_str().unwrap()
    );
    let answer = list(&sim, &t, "sys_journal_field", &since, "").await;
    assert_eq!(
        ids(&rows(&answer)),
        [entries[1]["sys_id"].as_str().unwrap()]
    );
}

#[tokio::test]
async fn queries_the_simulator_cannot_evaluate_fail_loudly() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    for query in [
        "sys_updated_on>javascript:gs.minutesAgoStart(5)",
        "sys_updated_onBETWEEN2025-01-01@2025-01-02",
        "sys_updated_on>2025-01-01T00:00:00Z",
    ] {
        let answer = list(&sim, &t, "incident", query, "").await;
        assert_eq!(answer.status, 500, "{query}");
        let detail = answer.json()["error"]["detail"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            detail.starts_with("The ServiceNow simulator does not implement"),
            "{detail}"
        );
    }
    // What a real instance ignores, the simulator ignores too.
    let answer = list(&sim, &t, "incident", "u_nopeBETWEEN1@2^stateFOO1", "").await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn an_agent_works_the_ticket_and_the_poll_sees_it() {
    let sim = Simulator::start().await.unwrap();
    sim.freeze_clock();
    let t = token(&sim).await;
    let incident = create(
        &sim,
        &t,
        json!({"short_description": "Idle VM", "correlation_display": "cxm"}),
    )
    .await;
    let id = incident["sys_id"].as_str().unwrap().to_string();
    let since = sim.now();
    sim.advance_clock(Duration::from_secs(5));
    agent_works_it(&sim, &id);
    the_poll_sees_it(&sim, &t, &id, &since).await;
}

/// The agent is refused by the data policy, reassigns, comments, then resolves.
fn agent_works_it(sim: &Simulator, id: &str) {
    // The data policy holds for agents too: nothing is written.
    let refused = sim.agent_update(
        "incident",
        id,
        fields(json!({"state": "6"})),
        AGENT_USER_NAME,
    );
    assert_eq!(
        refused.unwrap_err(),
        "Data Policy Exception: \n The following fields are mandatory: Resolution code, Resolution notes"
    );
    assert_eq!(sim.records("incident")[0]["sys_mod_count"], "0");
    assert!(
        sim.agent_update("incident", "missing", Map::new(), AGENT_USER_NAME)
            .is_err()
    );

    let reassigned = sim
        .agent_update(
            "incident",
            id,
            fields(json!({"assignment_group": "Network", "urgency": "1"})),
            AGENT_USER_NAME,
        )
        .unwrap();
    assert_eq!(
        reassigned["assignment_group"],
        "287ebd7da9fe198100f92cc8d1d2154e"
    );
    assert_eq!(reassigned["sys_updated_by"], AGENT_USER_NAME);
    assert_eq!(reassigned["sys_updated_on"], json!(sim.now()));
    sim.agent_comment(
        "incident",
        id,
        JournalField::Comments,
        "Looking into it",
        AGENT_USER_NAME,
    )
    .unwrap();
    sim.advance_clock(Duration::from_secs(1));
    let resolved = sim
        .agent_update(
            "incident",
            id,
            fields(json!({
                "state": "6",
                "close_code": "Solution provided",
                "close_notes": "Rightsized",
                "work_notes": "done"
            })),
            AGENT_USER_NAME,
        )
        .unwrap();
    assert_eq!(
        (&resolved["state"], &resolved["active"]),
        (&json!("6"), &json!("false"))
    );
    assert_eq!(resolved["sys_mod_count"], "3");
}

/// The integration's poll: its tickets changed by anyone else, then their journal.
async fn the_poll_sees_it(sim: &Simulator, t: &str, id: &str, since: &str) {
    let changed_since = format!(
        "correlation_display=cxm^sys_updated_on>{since}^sys_updated_by!=cxm_integration^ORDERBYsys_updated_on^ORDERBYsys_id"
    );
    let changed = list(sim, t, "incident", &changed_since, "").await;
    let changed = rows(&changed);
    assert_eq!(ids(&changed), [id]);
    assert_eq!(changed[0]["state"], "6");
    let by_others = format!(
        "element_idIN{id}^elementINcomments,work_notes^sys_created_by!=cxm_integration^ORDERBYsys_created_on"
    );
    let journal = list(sim, t, "sys_journal_field", &by_others, "").await;
    let entries: Vec<(Value, Value, Value)> = rows(&journal)
        .into_iter()
        .map(|e| {
            (
                e["element"].clone(),
                e["value"].clone(),
                e["sys_created_by"].clone(),
            )
        })
        .collect();
    assert_eq!(
        entries,
        [
            (
                json!("comments"),
                json!("Looking into it"),
                json!(AGENT_USER_NAME)
            ),
            (json!("work_notes"), json!("done"), json!(AGENT_USER_NAME)),
        ]
    );
}
