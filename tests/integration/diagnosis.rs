//! Test Connection as a diagnosis: one simulator fault, one failed check with its remedy.

use servicenow_simulator::Faults;
use ticketing_host::api::CheckStatus::{Failed, Passed, Skipped};
use ticketing_host::api::{Check, CheckStatus, ConnectionReport};

use support::{category, client_secret, configure_ok, offline_tenant, settings, setup};

/// The component's checks, by the ids it reports, in the order they run.
const CHECKS: [&str; 10] = [
    "settings",
    "instance",
    "token",
    "table-api",
    "table-access",
    "attachment-api",
    "change-api",
    "assignment-group",
    "import-set",
    "cmdb",
];

fn statuses(report: &ConnectionReport) -> Vec<CheckStatus> {
    report.checks.iter().map(|c| c.status).collect()
}

fn failed(report: &ConnectionReport) -> &Check {
    report
        .checks
        .iter()
        .find(|c| c.status == Failed)
        .unwrap_or_else(|| panic!("no check failed: {report:?}"))
}

/// Check `at` failed with a remedy, every check before it passed, the checks after it ended
/// as `after` says, and the report's verdict is a failure.
fn assert_fails_at(report: &ConnectionReport, at: &str, after: &[CheckStatus]) {
    let ids: Vec<&str> = report.checks.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, CHECKS, "every check once, in order");
    assert!(report.checks.iter().all(|c| !c.label.is_empty()));
    let position = CHECKS.iter().position(|id| *id == at).unwrap();
    // Attachments are off and no category names a change template in these settings: those
    // checks have nothing to do.
    let mut expected: Vec<CheckStatus> = CHECKS[..position]
        .iter()
        .map(|id| {
            if *id == "attachment-api" || *id == "change-api" {
                Skipped
            } else {
                Passed
            }
        })
        .collect();
    expected.push(Failed);
    expected.extend_from_slice(after);
    assert_eq!(statuses(report), expected, "{at:?}: {report:#?}");
    assert!(!report.passed, "{report:#?}");
    let check = &report.checks[position];
    assert!(check.remedy.is_some(), "{check:?}");
}

/// Check `at` failed, and everything after it depends on it, so was skipped.
fn assert_stops_at(report: &ConnectionReport, at: &str) {
    let position = CHECKS.iter().position(|id| *id == at).unwrap();
    assert_fails_at(report, at, &vec![Skipped; CHECKS.len() - position - 1]);
    for check in &report.checks[position + 1..] {
        let expected = format!("not run: \"{}\" failed", at.replace('-', " "));
        assert_eq!(check.detail, expected);
    }
}

async fn diagnose(fault: impl FnOnce(&mut Faults)) -> ConnectionReport {
    let (sim, mut tenant) = setup().await;
    sim.update_faults(fault);
    tenant.test_connection().await.unwrap()
}

#[tokio::test]
async fn a_healthy_setup_passes_every_check() {
    let (sim, mut tenant) = setup().await;
    let mut s = settings(&sim);
    s.default_assignment_group = Some("Cloud Operations".into());
    configure_ok(&mut tenant, &sim, &s).await;
    let report = tenant.test_connection().await.unwrap();
    assert_eq!(
        statuses(&report),
        [
            Passed, Passed, Passed, Passed, Passed, Skipped, Skipped, Passed, Skipped, Skipped
        ],
        "{report:#?}"
    );
    assert!(report.passed);
    assert!(report.checks[4].detail.contains("incident, change_request"));
}

#[tokio::test]
async fn no_default_group_skips_that_check_without_failing() {
    let (_sim, mut tenant) = setup().await;
    let report = tenant.test_connection().await.unwrap();
    assert_eq!(
        statuses(&report),
        [
            Passed, Passed, Passed, Passed, Passed, Skipped, Skipped, Skipped, Skipped, Skipped
        ]
    );
    assert_eq!(
        report.checks[7].detail,
        "no default assignment group is set"
    );
    assert!(
        report.passed,
        "a skipped check is not a failure: {report:#?}"
    );
}

#[tokio::test]
async fn hibernating_instance_fails_the_instance_check() {
    let report = diagnose(|f| f.hibernating = true).await;
    assert_stops_at(&report, "instance");
    assert!(failed(&report).detail.contains("hibernating"));
    assert!(failed(&report).remedy.as_deref().unwrap().contains("wake"));
}

#[tokio::test]
async fn a_login_page_is_named_as_such() {
    let report = diagnose(|f| f.login_page = true).await;
    assert_stops_at(&report, "instance");
    assert!(
        failed(&report)
            .detail
            .contains("instead of the ServiceNow REST API")
    );
}

#[tokio::test]
async fn an_unreachable_instance_fails_the_instance_check() {
    let report = offline_tenant().await.test_connection().await.unwrap();
    assert_stops_at(&report, "instance");
    assert!(failed(&report).detail.contains("could not be reached"));
}

#[tokio::test]
async fn token_failures_list_the_causes_in_the_guides_order() {
    for fault in [
        (|f: &mut Faults| f.grant_disabled = true) as fn(&mut Faults),
        |f| f.application_inactive = true,
    ] {
        let report = diagnose(fault).await;
        assert_stops_at(&report, "token");
        let remedy = failed(&report).remedy.as_deref().unwrap();
        let property = remedy.find("grant_type.enabled").unwrap();
        let active = remedy.find("Active").unwrap();
        let user = remedy.find("OAuth Application User").unwrap();
        assert!(property < active && active < user, "{remedy}");
        assert!(
            failed(&report)
                .guide_step
                .as_deref()
                .unwrap()
                .contains("Step 1")
        );
    }
}

#[tokio::test]
async fn a_missing_application_user_is_recognised() {
    let report = diagnose(|f| f.oauth_user_missing = true).await;
    assert_stops_at(&report, "token");
    assert!(failed(&report).detail.contains("unauthorized_client"));
    assert!(
        failed(&report)
            .remedy
            .as_deref()
            .unwrap()
            .starts_with("Set the OAuth Application User")
    );
    assert!(
        failed(&report)
            .guide_step
            .as_deref()
            .unwrap()
            .contains("Step 4")
    );
}

#[tokio::test]
async fn a_missing_auth_scope_fails_the_table_api_check() {
    let report = diagnose(|f| f.auth_scope_missing = true).await;
    assert_stops_at(&report, "table-api");
    assert!(
        failed(&report)
            .detail
            .contains("Missing required api access scope")
    );
    assert!(
        failed(&report)
            .guide_step
            .as_deref()
            .unwrap()
            .contains("Step 3")
    );
}

#[tokio::test]
async fn a_refused_token_fails_the_table_api_check() {
    let report = diagnose(|f| f.reject_tokens = true).await;
    assert_stops_at(&report, "table-api");
}

#[tokio::test]
async fn missing_read_access_names_the_table_and_the_roles() {
    let (sim, mut tenant) = setup().await;
    let mut s = settings(&sim);
    s.default_assignment_group = Some("Cloud Operations".into());
    configure_ok(&mut tenant, &sim, &s).await;
    sim.update_faults(|f| f.acl_deny_read = vec!["change_request".into()]);
    let report = tenant.test_connection().await.unwrap();
    // The group check does not need those tables, so it still ran.
    assert_fails_at(
        &report,
        "table-access",
        &[Skipped, Skipped, Passed, Skipped, Skipped],
    );
    let check = failed(&report);
    assert!(
        check.detail.contains("change_request") && !check.detail.contains("incident:"),
        "{check:?}"
    );
    assert!(check.remedy.as_deref().unwrap().contains("itil"));
}

#[tokio::test]
async fn a_table_that_does_not_exist_is_named() {
    let (sim, mut tenant) = setup().await;
    let mut s = settings(&sim);
    s.ticket_categories
        .push(category("finding", "u_cost_finding", true));
    configure_ok(&mut tenant, &sim, &s).await;
    let report = tenant.test_connection().await.unwrap();
    // No default group is set: that check had nothing to do.
    assert_fails_at(
        &report,
        "table-access",
        &[Skipped, Skipped, Skipped, Skipped, Skipped],
    );
    assert!(failed(&report).detail.contains("u_cost_finding"));
    assert!(
        failed(&report)
            .remedy
            .as_deref()
            .unwrap()
            .contains("ticket categories")
    );
}

#[tokio::test]
async fn the_default_group_must_exist_exactly_once() {
    let (sim, mut tenant) = setup().await;
    let database: Vec<String> = sim
        .records("sys_user_group")
        .into_iter()
        .filter(|g| g["name"] == "Database")
        .map(|g| g["sys_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        database.len(),
        2,
        "the simulator seeds two groups named Database"
    );
    let cases = [
        ("Database", database[0].clone()),
        ("Cloud Ops", "Cloud Operations".to_string()),
        (
            "0123456789abcdef0123456789abcdef",
            "0123456789abcdef0123456789abcdef".to_string(),
        ),
    ];
    for (group, expected) in cases {
        let mut s = settings(&sim);
        s.default_assignment_group = Some(group.to_string());
        configure_ok(&mut tenant, &sim, &s).await;
        let report = tenant.test_connection().await.unwrap();
        assert_fails_at(&report, "assignment-group", &[Skipped, Skipped]);
        assert!(
            failed(&report).detail.contains(&expected),
            "{group}: {:?}",
            failed(&report)
        );
    }
}

#[tokio::test]
async fn reads_every_routed_table_with_the_granted_token() {
    let (sim, mut tenant) = setup().await;
    let report = tenant.test_connection().await.unwrap();
    assert!(
        !report.checks.iter().any(|c| c.status == Failed),
        "{report:?}"
    );
    assert_eq!(sim.token_requests(), 1);
    let reads: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    let paths: Vec<&str> = reads.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/api/now/table/incident", "/api/now/table/change_request"]
    );
    assert!(
        reads
            .iter()
            .all(|r| r.header("authorization").unwrap().starts_with("Bearer "))
    );
}

#[tokio::test]
async fn wrong_secret_fails_the_token_check_and_skips_the_rest() {
    let (sim, mut tenant) = setup().await;
    tenant
        .configure(&settings(&sim).values(), &client_secret("wrong"))
        .await
        .unwrap()
        .unwrap();
    let report = tenant.test_connection().await.unwrap();
    assert_stops_at(&report, "token");
    let remedy = report.checks[2].remedy.as_deref().unwrap();
    assert!(remedy.contains("glide.oauth.inbound.client.credential.grant_type.enabled"));
    assert!(report.checks[2].detail.contains("access_denied"));
}
