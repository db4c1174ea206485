//! create-ticket: what is sent to ServiceNow and what comes back.

use ticketing_host::api::{CreateOutcome, ErrorKind, Field, Priority};

use support::{configure_ok, create, open, settings, setup, table_calls, ticket};

#[tokio::test]
async fn incident_carries_impact_urgency_group_and_correlation() {
    let (sim, mut tenant) = setup().await;
    let group_id = sim
        .records("sys_user_group")
        .into_iter()
        .find(|g| g["name"] == "Cloud Operations")
        .and_then(|g| g["sys_id"].as_str().map(str::to_string))
        .unwrap();
    let mut t = ticket("cost-optimization", "Idle VM i-0abc");
    t.priority = Some(Priority::High);
    t.assignment_group = Some("Cloud Operations".into());
    t.correlation_id = Some("opp-42".into());
    t.extra_fields = vec![Field {
        name: "category".into(),
        value: "software".into(),
    }];

    let record = create(&mut tenant, &t).await;
    assert_eq!(record.display_id, "INC0010001");
    assert_eq!(record.kind, "incident");
    assert_eq!(record.id.len(), 32);
    assert!(record.link.starts_with(&sim.base_url()));
    assert!(record.link.contains(&record.id));

    let posts = table_calls(&sim, "POST");
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].path, "/api/now/table/incident");
    assert_eq!(posts[0].header("content-type"), Some("application/json"));
    assert_eq!(posts[0].header("accept"), Some("application/json"));
    let body = posts[0].json_body().unwrap();
    assert_eq!(body["impact"], "1");
    assert_eq!(body["urgency"], "2");
    assert!(
        body.get("priority").is_none(),
        "priority is never written: {body}"
    );
    assert_eq!(body["assignment_group"], group_id.as_str());
    assert_eq!(body["correlation_id"], "opp-42");
    assert_eq!(body["short_description"], "Idle VM i-0abc");
    assert_eq!(body["category"], "software");

    // ServiceNow derived priority 2 (High) from impact 1 × urgency 2.
    let stored = sim.records("incident");
    assert_eq!(stored[0]["priority"], "2");
    assert_eq!(stored[0]["assignment_group"], group_id.as_str());
}

#[tokio::test]
async fn change_request_and_defaults() {
    let (sim, mut tenant) = setup().await;
    let mut s = settings(&sim);
    s.default_priority = Some("planning");
    s.default_assignment_group = Some("Network".into());
    configure_ok(&mut tenant, &sim, &s).await;

    let record = open(&mut tenant, "maintenance", "Resize db").await;
    assert_eq!(record.display_id, "CHG0030001");
    assert_eq!(record.kind, "change_request");
    let body = table_calls(&sim, "POST")[0].json_body().unwrap();
    assert_eq!(
        (body["impact"].as_str(), body["urgency"].as_str()),
        (Some("3"), Some("3"))
    );
    let network = sim
        .records("sys_user_group")
        .into_iter()
        .find(|g| g["name"] == "Network")
        .unwrap();
    assert_eq!(body["assignment_group"], network["sys_id"]);

    // The group name was looked up once, not per ticket.
    open(&mut tenant, "maintenance", "Resize db 2").await;
    let lookups = table_calls(&sim, "GET")
        .into_iter()
        .filter(|r| r.path.ends_with("/sys_user_group"))
        .count();
    assert_eq!(lookups, 1);
}

#[tokio::test]
async fn unrouted_events_are_skipped_without_traffic() {
    let (sim, mut tenant) = setup().await;
    for category in ["paused", "not-listed"] {
        match tenant
            .create_ticket(&ticket(category, "x"))
            .await
            .unwrap()
            .unwrap()
        {
            CreateOutcome::Skipped(why) => assert!(why.contains(category), "{why}"),
            other => panic!("{other:?}"),
        }
    }
    assert!(sim.requests().is_empty());
}

#[tokio::test]
async fn unknown_group_and_bad_ticket_are_clear_and_harmless() {
    let (sim, mut tenant) = setup().await;
    let mut t = ticket("cost-optimization", "x");
    t.assignment_group = Some("No Such Team".into());
    let error = tenant.create_ticket(&t).await.unwrap().unwrap_err();
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert!(error.message.contains("No Such Team"));

    let mut t = ticket("cost-optimization", "x");
    t.assignment_group = Some("Database".into());
    let error = tenant.create_ticket(&t).await.unwrap().unwrap_err();
    assert!(error.message.contains("several groups"), "{error:?}");

    let error = tenant
        .create_ticket(&ticket("cost-optimization", " "))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidTicket);

    assert!(table_calls(&sim, "POST").is_empty());
    open(&mut tenant, "cost-optimization", "fine").await;
}

#[tokio::test]
async fn the_secret_never_travels_in_a_url_or_an_answer() {
    let (sim, mut tenant) = setup().await;
    tenant.test_connection().await.unwrap();
    open(&mut tenant, "cost-optimization", "x").await;
    let secret = sim.client_secret();
    for request in sim.requests() {
        let url = format!(
            "{}?{}",
            request.path,
            request.query.clone().unwrap_or_default()
        );
        assert!(!url.contains(&secret), "secret in {url}");
        if request.path != "/oauth_token.do" {
            assert!(!request.body.contains(&secret));
        }
    }
    let token_request = sim
        .requests()
        .into_iter()
        .find(|r| r.path == "/oauth_token.do")
        .unwrap();
    assert_eq!(
        token_request.form_param("grant_type").as_deref(),
        Some("client_credentials")
    );
    assert_eq!(token_request.form_param("client_secret"), Some(secret));
}
