//! Creates and updates written through an import set staging table
//! (docs/servicenow/import-sets.md#what-the-product-does): the row posted, the transform's
//! answer read element by element, the ticket read back; each way the setup can be wrong
//! comes back as an error with the transform's words and a remedy; Test Connection reads the
//! staging tables.

use serde_json::Value;
use servicenow_simulator::{
    DEFAULT_USER_NAME, Faults, ImportSetMode, RecordedRequest, Simulator, TransformMap,
    TransformScript,
};
use ticketing_host::Tenant;
use ticketing_host::api::{
    CheckStatus, CreateOutcome, ErrorKind, Priority, Setting, SettingValue, Ticket, TicketChanges,
};

use support::{
    Form, category, close_on_instance, configured, create_outcome, create_written, host, incident,
    instance, refused, settings, ticket,
};

const STAGING: &str = "u_cxm_incident_import";

/// Cost optimization incidents, written through `staging`.
fn form(sim: &Simulator, staging: &str) -> Form {
    Form {
        ticket_categories: vec![category("cost-optimization", "incident", true)],
        ..settings(sim)
    }
    .with(Setting::text("write_path", "import_set"))
    .with(Setting {
        key: "import_set_tables".into(),
        value: SettingValue::TextList(vec![format!("incident={staging}")]),
    })
}

/// A simulator whose staging table has `map` (none: no staging table at all), the integration
/// user allowed to load rows, and a tenant writing through it.
async fn importing(map: Option<TransformMap>) -> (Simulator, Tenant) {
    let sim = instance().await;
    if let Some(map) = map {
        sim.add_import_set(STAGING, map);
    }
    sim.update_user(DEFAULT_USER_NAME, |u| {
        u.roles.push("import_set_loader".into())
    });
    let tenant = tenant_for(&sim, STAGING).await;
    (sim, tenant)
}

async fn tenant_for(sim: &Simulator, staging: &str) -> Tenant {
    configured(host(), "importing", sim, &form(sim, staging)).await
}

fn event(correlation_id: &str) -> Ticket {
    let mut t = ticket("cost-optimization", "Idle VM i-0abc");
    t.correlation_id = Some(correlation_id.into());
    t.priority = Some(Priority::High);
    t
}

fn import_posts(sim: &Simulator) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/api/now/import/"))
        .collect()
}

fn table_writes(sim: &Simulator) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/now/table/") && r.method != "GET")
        .collect()
}

#[tokio::test]
async fn a_create_posts_one_row_and_the_transform_writes_the_incident() {
    let (sim, mut tenant) = importing(Some(TransformMap::cxm_incidents())).await;
    let written = create_written(&mut tenant, &event("opp-42")).await;
    assert!(written.not_applied.is_empty(), "{:?}", written.not_applied);
    assert_eq!(written.ticket.display_id, "INC0010001");
    let posts = import_posts(&sim);
    assert_eq!(posts.len(), 1);
    assert_eq!(posts[0].path, format!("/api/now/import/{STAGING}"));
    let row = posts[0].json_body().unwrap();
    assert_eq!(row["u_correlation_id"], "opp-42");
    assert_eq!(row["u_short_description"], "Idle VM i-0abc");
    assert_eq!(row["u_impact"], "1");
    assert!(
        row.as_object().unwrap().keys().all(|k| k.starts_with("u_")),
        "{row}"
    );
    assert!(table_writes(&sim).is_empty(), "{:?}", table_writes(&sim));
    let incidents = sim.records("incident");
    let stored = incidents
        .iter()
        .find(|r| r["sys_id"] == written.ticket.id.as_str())
        .expect("the incident");
    assert_eq!(stored["short_description"], "Idle VM i-0abc");
    assert_eq!(stored["correlation_id"], "opp-42");
    assert_eq!(stored["priority"], "2");
    assert_eq!(sim.records(STAGING).len(), 1, "the staging row is kept");

    // The same event again finds the open ticket: a work note, no second row.
    let again = create_outcome(&mut tenant, &event("opp-42")).await;
    assert!(
        matches!(&again, CreateOutcome::Existing(record) if record.id == written.ticket.id),
        "{again:?}"
    );
    assert_eq!(import_posts(&sim).len(), 1);
}

#[tokio::test]
async fn a_map_that_drops_fields_shows_in_not_applied() {
    let map = TransformMap::new("CXM incidents", "incident")
        .coalesce("u_correlation_id", "correlation_id")
        .field("u_correlation_display", "correlation_display")
        .field("u_short_description", "short_description");
    let (_sim, mut tenant) = importing(Some(map)).await;
    let written = create_written(&mut tenant, &event("opp-7")).await;
    let fields: Vec<&str> = written
        .not_applied
        .iter()
        .map(|n| n.field.as_str())
        .collect();
    assert_eq!(
        fields,
        ["description", "impact", "urgency"],
        "{:?}",
        written.not_applied
    );
}

#[tokio::test]
async fn creates_without_a_correlation_id_are_refused_before_anything_is_sent() {
    let (sim, mut tenant) = importing(Some(TransformMap::cxm_incidents())).await;
    sim.clear_requests();
    let error = refused(&mut tenant, &ticket("cost-optimization", "Idle VM")).await;
    assert_eq!(error.kind, ErrorKind::InvalidTicket);
    assert!(
        error.message.contains("no correlation id"),
        "{}",
        error.message
    );
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
}

#[tokio::test]
async fn an_update_posts_the_changes_with_the_correlation_id() {
    let (sim, mut tenant) = importing(Some(TransformMap::cxm_incidents())).await;
    let record = support::create(&mut tenant, &event("opp-42")).await;
    sim.clear_requests();
    let changes = TicketChanges {
        priority: None,
        assignment_group: None,
        title: Some("Idle VM i-0abc, still idle".into()),
        description: None,
        extra_fields: vec![],
    };
    let updated = tenant
        .update_ticket(&incident(&record.display_id), &changes)
        .await
        .unwrap()
        .unwrap();
    assert!(updated.not_applied.is_empty(), "{:?}", updated.not_applied);
    assert_eq!(updated.ticket.title, "Idle VM i-0abc, still idle");
    let posts = import_posts(&sim);
    assert_eq!(posts.len(), 1);
    let row = posts[0].json_body().unwrap();
    assert_eq!(row["u_correlation_id"], "opp-42");
    assert_eq!(row["u_short_description"], "Idle VM i-0abc, still idle");
    assert_eq!(row.get("u_impact"), None);
    assert!(table_writes(&sim).is_empty(), "{:?}", table_writes(&sim));
    let stored = sim.records("incident");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["short_description"], "Idle VM i-0abc, still idle");

    // The same change again: the transform changes nothing ("ignored"), which is fine.
    let again = tenant
        .update_ticket(&incident(&record.display_id), &changes)
        .await
        .unwrap();
    assert!(again.is_ok(), "{again:?}");
}

#[tokio::test]
async fn a_ticket_without_correlation_id_cannot_be_updated_through_the_import_set() {
    let (sim, mut tenant) = importing(Some(TransformMap::cxm_incidents())).await;
    let mut lone = serde_json::Map::new();
    lone.insert("short_description".into(), Value::from("Opened by hand"));
    let made = sim.insert_record("incident", lone);
    let number = made["number"].as_str().unwrap().to_string();
    let changes = TicketChanges {
        priority: Some(Priority::Low),
        assignment_group: None,
        title: None,
        description: None,
        extra_fields: vec![],
    };
    let error = tenant
        .update_ticket(&incident(&number), &changes)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidTicket);
    assert!(
        error.message.contains("has no correlation id"),
        "{}",
        error.message
    );
    assert!(import_posts(&sim).is_empty());
}

#[tokio::test]
async fn a_closed_ticket_for_the_event_is_reopened_not_overwritten() {
    let (sim, mut tenant) = importing(Some(TransformMap::cxm_incidents())).await;
    let first = support::create(&mut tenant, &event("opp-42")).await;
    close_on_instance(&sim, &first.id, "6");
    let again = create_outcome(&mut tenant, &event("opp-42")).await;
    assert!(
        matches!(&again, CreateOutcome::Reopened(record) if record.id == first.id),
        "{again:?}"
    );
    assert_eq!(import_posts(&sim).len(), 1, "no second row");
    assert_eq!(sim.records("incident").len(), 1);
}

#[tokio::test]
async fn each_transform_failure_comes_back_with_its_message() {
    let cases = [
        (
            TransformScript::Error("Missing CI for the VM".into()),
            "refused the row: Missing CI for the VM",
        ),
        (TransformScript::Skip, "skipped the row"),
        (TransformScript::Ignore, "ignored the row"),
        (TransformScript::IgnoreInserts, "ignored the row"),
    ];
    for (script, expected) in cases {
        let (sim, mut tenant) =
            importing(Some(TransformMap::cxm_incidents().script(script.clone()))).await;
        let error = refused(&mut tenant, &event("opp-42")).await;
        assert_eq!(
            error.kind,
            ErrorKind::RejectedByPolicy,
            "{script:?}: {error:?}"
        );
        assert!(
            error.message.contains(expected),
            "{script:?}: {}",
            error.message
        );
        assert!(
            error.remedy.as_deref().unwrap().contains("transform"),
            "{error:?}"
        );
        assert!(sim.records("incident").is_empty(), "{script:?}");
    }
}

#[tokio::test]
async fn no_transform_map_or_an_asynchronous_set_names_the_transform_map() {
    let sim = instance().await;
    sim.add_staging_table(STAGING, &["u_correlation_id", "u_short_description"]);
    sim.update_user(DEFAULT_USER_NAME, |u| {
        u.roles.push("import_set_loader".into())
    });
    let mut tenant = tenant_for(&sim, STAGING).await;
    let error = refused(&mut tenant, &event("opp-42")).await;
    assert_eq!(error.kind, ErrorKind::UnexpectedResponse);
    assert!(
        error.message.contains("no transform map"),
        "{}",
        error.message
    );
    assert!(error.remedy.as_deref().unwrap().contains("transform map"));

    let (sim, mut tenant) = importing(Some(TransformMap::cxm_incidents())).await;
    assert!(sim.set_import_set_mode(STAGING, ImportSetMode::Asynchronous));
    let error = refused(&mut tenant, &event("opp-42")).await;
    assert!(error.message.contains("asynchronous"), "{}", error.message);
    assert!(error.remedy.as_deref().unwrap().contains("synchronous"));
}

#[tokio::test]
async fn a_missing_role_is_forbidden_with_the_import_roles() {
    let sim = instance().await;
    sim.add_import_set(STAGING, TransformMap::cxm_incidents());
    let mut tenant = tenant_for(&sim, STAGING).await;
    let error = refused(&mut tenant, &event("opp-42")).await;
    assert_eq!(error.kind, ErrorKind::Forbidden);
    assert_eq!(error.http_status, Some(403));
    assert!(
        error
            .remedy
            .as_deref()
            .unwrap()
            .contains("import_set_loader")
    );
}

#[tokio::test]
async fn an_unknown_staging_table_names_the_setting() {
    let (sim, _) = importing(Some(TransformMap::cxm_incidents())).await;
    for staging in ["u_no_such_import", "incident"] {
        let mut tenant = tenant_for(&sim, staging).await;
        let error = refused(&mut tenant, &event("opp-42")).await;
        assert_eq!(error.kind, ErrorKind::BadRequest, "{staging}: {error:?}");
        assert_eq!(error.field.as_deref(), Some("import_set_tables"));
        assert!(error.message.contains("not an import set staging table"));
        assert!(
            error
                .remedy
                .as_deref()
                .unwrap()
                .contains("Import Set Staging Tables")
        );
    }
}

#[tokio::test]
async fn a_lost_answer_is_loaded_again_and_coalesces() {
    let (sim, mut tenant) = importing(Some(TransformMap::cxm_incidents())).await;
    sim.update_faults(|f| f.lost_insert_answers = 1);
    let outcome = create_outcome(&mut tenant, &event("opp-42")).await;
    assert!(matches!(outcome, CreateOutcome::Created(_)), "{outcome:?}");
    assert_eq!(import_posts(&sim).len(), 2, "loaded again");
    assert_eq!(sim.records("incident").len(), 1, "no duplicate");
    assert_eq!(sim.faults(), Faults::default());
}

#[tokio::test]
async fn a_200_answer_counts_as_a_201() {
    let (sim, mut tenant) = importing(Some(TransformMap::cxm_incidents())).await;
    sim.set_import_post_status(200);
    let outcome = create_outcome(&mut tenant, &event("opp-42")).await;
    assert!(matches!(outcome, CreateOutcome::Created(_)), "{outcome:?}");
}

#[tokio::test]
async fn test_connection_reads_the_staging_tables() {
    let (sim, mut tenant) = importing(Some(TransformMap::cxm_incidents())).await;
    let report = tenant.test_connection().await.unwrap();
    assert!(report.passed, "{report:#?}");
    let check = report.checks.iter().find(|c| c.id == "import-set").unwrap();
    assert_eq!(
        (check.id.as_str(), check.status),
        ("import-set", CheckStatus::Passed)
    );
    assert!(
        check.detail.contains("checked by the first ticket"),
        "{}",
        check.detail
    );
    assert!(
        import_posts(&sim).is_empty(),
        "Test Connection writes nothing"
    );

    sim.update_faults(|f| f.acl_deny_read = vec![STAGING.into()]);
    let report = tenant.test_connection().await.unwrap();
    let check = report.checks.iter().find(|c| c.id == "import-set").unwrap();
    assert_eq!(check.status, CheckStatus::Failed, "{check:?}");
    assert!(
        check
            .remedy
            .as_deref()
            .unwrap()
            .contains("import_set_loader")
    );
    sim.update_faults(|f| f.acl_deny_read.clear());

    let mut tenant = tenant_for(&sim, "u_no_such_import").await;
    let report = tenant.test_connection().await.unwrap();
    assert!(!report.passed);
    let check = report.checks.iter().find(|c| c.id == "import-set").unwrap();
    assert_eq!(check.status, CheckStatus::Failed, "{check:?}");
    assert!(
        check.detail.contains("u_no_such_import"),
        "{}",
        check.detail
    );
    assert!(
        check
            .remedy
            .as_deref()
            .unwrap()
            .contains("Import Set Staging Tables")
    );
}
