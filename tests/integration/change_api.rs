//! Change requests through the Change Management API (docs/servicenow/change-management.md):
//! standard changes from a category's template, by name and by sys_id, in both answer shapes;
//! normal changes with the setting; the API's refusals with their remedies, in create and in
//! Test Connection; and create's deduplication and lost-answer recovery around them.

use serde_json::{Map, Value, json};
use servicenow_simulator::{ChangeAnswerShape, DEFAULT_USER_NAME, Simulator};
use ticketing_host::api::{CheckStatus, ConnectionReport, CreateOutcome, ErrorKind, Field, Ticket};

use support::{
    Form, category, configure_ok, create_outcome, create_written, refused, settings, setup, ticket,
};

const TEMPLATE: &str = "Restart a cloud VM";

/// The template the simulator offers: the plans and description are its own.
fn template_fields() -> Map<String, Value> {
    json!({
        "short_description": "Restart a cloud VM",
        "description": "Restart the VM from its cloud console.",
        "implementation_plan": "Stop the VM, then start it.",
        "backout_plan": "Start it again.",
        "test_plan": "It answers its health check.",
        "category": "Hardware",
    })
    .as_object()
    .cloned()
    .unwrap()
}

/// The default settings and a `restart` category opened from `template`.
fn with_template(sim: &Simulator, template: &str) -> Form {
    let mut form = settings(sim);
    form.ticket_categories
        .push(category("restart", "change_request", true).from_template(template));
    form
}

/// The default settings with the Change Management API setting as given.
fn with_api(sim: &Simulator, on: bool) -> Form {
    settings(sim).with_flag("change_management_api", on)
}

fn restart(correlation_id: Option<&str>) -> Ticket {
    Ticket {
        correlation_id: correlation_id.map(Into::into),
        description: "i-0abc stopped answering its health check".into(),
        ..ticket("restart", "Restart i-0abc")
    }
}

/// The stored change_request record.
fn change(sim: &Simulator, sys_id: &str) -> Map<String, Value> {
    sim.records("change_request")
        .into_iter()
        .find(|r| r["sys_id"] == sys_id)
        .expect("the change is stored")
}

fn text<'a>(record: &'a Map<String, Value>, column: &str) -> &'a str {
    record.get(column).and_then(Value::as_str).unwrap_or("")
}

fn api_calls(sim: &Simulator) -> Vec<String> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/sn_chg_rest/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn change_check(report: &ConnectionReport) -> &ticketing_host::api::Check {
    report
        .checks
        .iter()
        .find(|c| c.id == "change-api")
        .expect("a change-api check")
}

#[tokio::test]
async fn a_standard_change_from_a_template_named_carries_its_fields_and_the_tickets() {
    let (sim, mut tenant) = setup().await;
    let template_id = sim.insert_standard_change_template(TEMPLATE, template_fields());
    configure_ok(&mut tenant, &sim, &with_template(&sim, TEMPLATE)).await;
    let mut t = restart(None);
    t.priority = Some(ticketing_host::api::Priority::High);
    let written = create_written(&mut tenant, &t).await;
    assert!(written.not_applied.is_empty(), "{:?}", written.not_applied);
    assert_eq!(written.ticket.kind, "change_request");
    assert!(written.ticket.display_id.starts_with("CHG"), "{written:?}");
    assert!(written.ticket.link.contains("change_request.do"));

    let record = change(&sim, &written.ticket.id);
    // The template's fields...
    assert_eq!(text(&record, "type"), "standard");
    assert_eq!(text(&record, "approval"), "approved");
    assert_eq!(
        text(&record, "implementation_plan"),
        "Stop the VM, then start it."
    );
    assert_eq!(
        text(&record, "description"),
        "Restart the VM from its cloud console."
    );
    assert_eq!(text(&record, "category"), "Hardware");
    // ...and the ticket's: its title, priority, and the description as a work note.
    assert_eq!(text(&record, "short_description"), "Restart i-0abc");
    assert_eq!(
        (text(&record, "impact"), text(&record, "urgency")),
        ("1", "2")
    );
    assert_eq!(text(&record, "correlation_display"), "Cloud ex Machina");
    let notes = sim.journal("change_request", &written.ticket.id);
    assert!(
        notes
            .iter()
            .any(|n| n.element == "work_notes"
                && n.value == "i-0abc stopped answering its health check"),
        "{notes:?}"
    );
    assert_eq!(
        api_calls(&sim),
        [
            "GET /api/sn_chg_rest/change/standard/template".to_string(),
            format!("POST /api/sn_chg_rest/change/standard/{template_id}"),
        ]
    );

    // A second change: the name's sys_id is remembered.
    create_written(&mut tenant, &restart(None)).await;
    assert_eq!(api_calls(&sim).len(), 3);
}

#[tokio::test]
async fn a_template_by_sys_id_in_the_documented_shape_reports_what_it_ignored() {
    let (sim, mut tenant) = setup().await;
    let template_id = sim.insert_standard_change_template(TEMPLATE, template_fields());
    sim.set_change_answer_shape(ChangeAnswerShape::Documented);
    configure_ok(&mut tenant, &sim, &with_template(&sim, &template_id)).await;
    let mut t = restart(None);
    let field = |name: &str, value: &str| Field {
        name: name.into(),
        value: value.into(),
    };
    t.extra_fields = vec![field("u_no_such_field", "x"), field("backout_plan", "ours")];
    let written = create_written(&mut tenant, &t).await;
    let mut not_applied: Vec<(&str, &str)> = written
        .not_applied
        .iter()
        .map(|n| (n.field.as_str(), n.reason.as_str()))
        .collect();
    not_applied.sort();
    let ignored = "the Change Management API ignored it: not in the template, or read-only";
    assert_eq!(
        not_applied,
        [("backout_plan", ignored), ("u_no_such_field", ignored)]
    );
    let record = change(&sim, &written.ticket.id);
    assert_eq!(text(&record, "backout_plan"), "Start it again.");
    assert_eq!(text(&record, "number"), written.ticket.display_id);
    // No look-up for a sys_id: the create itself says whether it is there.
    assert_eq!(
        api_calls(&sim),
        [format!(
            "POST /api/sn_chg_rest/change/standard/{template_id}"
        )]
    );
}

#[tokio::test]
async fn a_normal_change_goes_through_the_api_with_the_setting() {
    let (sim, mut tenant) = setup().await;
    for shape in [ChangeAnswerShape::Recorded, ChangeAnswerShape::Documented] {
        sim.set_change_answer_shape(shape);
        configure_ok(&mut tenant, &sim, &with_api(&sim, true)).await;
        let written = create_written(&mut tenant, &ticket("maintenance", "Patch the fleet")).await;
        assert!(written.not_applied.is_empty(), "{:?}", written.not_applied);
        let record = change(&sim, &written.ticket.id);
        assert_eq!(text(&record, "type"), "normal");
        assert_eq!(text(&record, "description"), "Patch the fleet: details");
        assert_eq!(text(&record, "number"), written.ticket.display_id);
    }
    assert_eq!(api_calls(&sim), ["POST /api/sn_chg_rest/change/normal"; 2]);

    // Off: the Table API, as before.
    configure_ok(&mut tenant, &sim, &with_api(&sim, false)).await;
    create_written(&mut tenant, &ticket("maintenance", "Patch again")).await;
    assert_eq!(api_calls(&sim).len(), 2);
}

#[tokio::test]
async fn the_same_event_finds_its_standard_change_and_a_lost_answer_makes_none_twice() {
    let (sim, mut tenant) = setup().await;
    sim.insert_standard_change_template(TEMPLATE, template_fields());
    configure_ok(&mut tenant, &sim, &with_template(&sim, TEMPLATE)).await;
    let first = create_written(&mut tenant, &restart(Some("vm-restart-1"))).await;
    let again = create_outcome(&mut tenant, &restart(Some("vm-restart-1"))).await;
    assert!(
        matches!(&again, CreateOutcome::Existing(record) if record.id == first.ticket.id),
        "{again:?}"
    );

    // The change is made, its answer lost: the look-up by correlation id finds it.
    sim.update_faults(|f| f.lost_insert_answers = 1);
    let lost = create_written(&mut tenant, &restart(Some("vm-restart-2"))).await;
    assert!(lost.not_applied.is_empty(), "{:?}", lost.not_applied);
    let made: Vec<_> = sim
        .records("change_request")
        .into_iter()
        .filter(|r| r["correlation_id"] == "vm-restart-2")
        .collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(text(&made[0], "sys_id"), lost.ticket.id);
    assert_eq!(text(&made[0], "type"), "standard");
}

#[tokio::test]
async fn the_api_missing_is_named_with_its_plugin_in_create_and_test_connection() {
    let (sim, mut tenant) = setup().await;
    sim.insert_standard_change_template(TEMPLATE, template_fields());
    sim.set_change_management_installed(false);
    configure_ok(&mut tenant, &sim, &with_template(&sim, TEMPLATE)).await;
    let error = refused(&mut tenant, &restart(None)).await;
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert!(
        error.message.contains("no Change Management REST API"),
        "{error:?}"
    );
    assert!(
        error
            .remedy
            .as_deref()
            .unwrap_or("")
            .contains("com.snc.change_management")
    );

    let report = tenant.test_connection().await.unwrap();
    assert!(!report.passed);
    let check = change_check(&report);
    assert_eq!(check.status, CheckStatus::Failed);
    assert_eq!(
        check.label,
        "The Change Management API and its templates are there"
    );
    assert!(
        check
            .remedy
            .as_deref()
            .unwrap_or("")
            .contains("Change Management - Core")
    );
    // The checks before it passed: only this one is at fault.
    for other in report.checks.iter().filter(|c| c.id != "change-api") {
        assert_ne!(other.status, CheckStatus::Failed, "{other:?}");
    }
}

#[tokio::test]
async fn a_missing_role_is_forbidden_naming_the_roles() {
    let (sim, mut tenant) = setup().await;
    sim.insert_standard_change_template(TEMPLATE, template_fields());
    sim.update_user(DEFAULT_USER_NAME, |user| {
        user.roles = vec!["rest_service".into()];
    });
    configure_ok(&mut tenant, &sim, &with_template(&sim, TEMPLATE)).await;
    let error = refused(&mut tenant, &restart(None)).await;
    assert_eq!(error.kind, ErrorKind::Forbidden);
    assert_eq!(error.http_status, Some(403));
    let remedy = error.remedy.unwrap_or_default();
    assert!(
        remedy.contains("itil") && remedy.contains("sn_change_read"),
        "{remedy}"
    );
    let report = tenant.test_connection().await.unwrap();
    let check = change_check(&report);
    assert_eq!(check.status, CheckStatus::Failed, "{check:?}");
    assert!(
        check
            .remedy
            .as_deref()
            .unwrap_or("")
            .contains("change_manager")
    );
}

#[tokio::test]
async fn a_template_missing_or_inactive_names_category_and_template() {
    let (sim, mut tenant) = setup().await;
    let template_id = sim.insert_standard_change_template(TEMPLATE, template_fields());
    sim.set_standard_change_template_active(&template_id, false);
    configure_ok(&mut tenant, &sim, &with_template(&sim, TEMPLATE)).await;
    let error = refused(&mut tenant, &restart(None)).await;
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert!(
        error.message.contains("\"Restart a cloud VM\"") && error.message.contains("\"restart\""),
        "{error:?}"
    );
    assert_eq!(error.field.as_deref(), Some("ticket_categories"));
    assert!(sim.records("change_request").is_empty());
    let report = tenant.test_connection().await.unwrap();
    let check = change_check(&report);
    assert_eq!(check.status, CheckStatus::Failed);
    assert!(check.detail.contains("\"restart\""), "{check:?}");
    assert!(check.remedy.is_some());

    // By sys_id, the create's 404 says the same.
    configure_ok(&mut tenant, &sim, &with_template(&sim, &template_id)).await;
    let error = refused(&mut tenant, &restart(None)).await;
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert!(error.message.contains(&template_id), "{error:?}");
    assert!(error.message.contains("\"restart\""), "{error:?}");

    // Active again: the check passes and names it.
    sim.set_standard_change_template_active(&template_id, true);
    let report = tenant.test_connection().await.unwrap();
    let check = change_check(&report);
    assert_eq!(check.status, CheckStatus::Passed, "{check:?}");
    assert!(check.detail.contains(&template_id));
    assert!(report.passed, "{report:#?}");
}
