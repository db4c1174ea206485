//! Test Connection through the provider.

use crate::primitives::prelude::*;

use crate::features::diagnosis::{CheckId, CheckStatus};
use crate::features::provider::Provider;
use crate::features::tests::fixture::*;
use crate::primitives::clock::ManualClock;
use crate::primitives::http::Method;
use crate::primitives::ids::AssignmentGroup;
use crate::servicenow::auth::AuthMethod;
use crate::test_support::transport::*;

#[test]
fn test_connection_passes_then_reports_failures_in_order() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, r#"{"result":[]}"#);
    let report = p.test_connection();
    assert!(report.passed, "{report:?}");
    let statuses: Vec<_> = report.checks.iter().map(|c| c.status).collect();
    use CheckStatus::*;
    assert_eq!(
        statuses,
        [
            Passed, Passed, Passed, Passed, Passed, Skipped, Skipped, Skipped, Skipped, Skipped
        ]
    );
    assert_eq!(report.checks[5].id, CheckId::AttachmentApi);
    assert_eq!(
        report.checks[5].detail,
        "attachments are off in the settings"
    );
    assert_eq!(report.checks[6].id, CheckId::ChangeApi);
    assert_eq!(report.checks[7].id, CheckId::AssignmentGroup);
    let read = &transport.sent()[1];
    assert_eq!(read.method, Method::Get);
    assert!(read.url.contains("/api/now/table/incident?"));

    transport.push_json(401, TOKEN_DENIED);
    let report = p.test_connection();
    let statuses: Vec<_> = report.checks.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            Passed, Passed, Failed, Skipped, Skipped, Skipped, Skipped, Skipped, Skipped, Skipped
        ]
    );
    assert!(!report.passed);
    assert_eq!(report.checks[2].id, CheckId::Token);
    assert!(report.checks[2].remedy.unwrap().text.contains("Active"));

    transport.push(Ok(html(200, HIBERNATING)));
    let report = p.test_connection();
    assert_eq!(report.checks[1].status, Failed);
    assert!(report.checks[1].detail.contains("hibernating"));
}

#[test]
fn a_browser_address_is_taken_as_its_instance_and_test_connection_says_so() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = Provider::new(&transport, &clock);
    let mut settings = raw();
    settings.instance = "https://dev1.service-now.com/now/nav/ui/home".into();
    p.configure(settings).unwrap();
    transport
        .push_json(200, TOKEN_OK)
        .push_json(200, r#"{"result":[]}"#);
    let report = p.test_connection();
    assert!(report.passed, "{report:?}");
    let detail = &report.checks[0].detail;
    assert!(
        detail.contains("instance https://dev1.service-now.com,"),
        "{detail}"
    );
    assert!(detail.contains("/now/nav/ui/home"), "{detail}");
    assert!(
        transport.sent()[0]
            .url
            .starts_with("https://dev1.service-now.com/oauth_token.do")
    );
}

#[test]
fn test_connection_without_a_token_skips_the_token_check() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = Provider::new(&transport, &clock);
    p.configure(with_method(AuthMethod::Basic)).unwrap();
    // One read answers the instance check and the table API check.
    transport.push_json(200, r#"{"result":[]}"#);
    let report = p.test_connection();
    assert!(report.passed, "{report:#?}");
    let token = &report.checks[2];
    assert_eq!(
        (token.id, token.status),
        (CheckId::Token, CheckStatus::Skipped)
    );
    assert!(
        token
            .detail
            .contains("Basic authentication as user cxm_integration")
    );
    assert_eq!(count(&transport, "/oauth_token.do"), 0);

    // Wrong password: the instance answered as ServiceNow; the Table API check fails with
    // Basic's remedy.
    let transport = ScriptedTransport::default();
    let mut p = Provider::new(&transport, &clock);
    p.configure(with_method(AuthMethod::Basic)).unwrap();
    transport
        .push_json(401, NOT_AUTHENTICATED)
        .push_json(401, NOT_AUTHENTICATED);
    let report = p.test_connection();
    let statuses: Vec<CheckStatus> = report.checks.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            CheckStatus::Passed,
            CheckStatus::Passed,
            CheckStatus::Skipped,
            CheckStatus::Failed,
            CheckStatus::Skipped,
            CheckStatus::Skipped,
            CheckStatus::Skipped,
            CheckStatus::Skipped,
            CheckStatus::Skipped,
            CheckStatus::Skipped
        ]
    );
    assert_eq!(
        report.checks[3].remedy,
        Some(crate::primitives::guide::BASIC_DENIED)
    );
}
