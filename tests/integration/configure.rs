//! configure: bad settings get a clear error, and the tenant keeps what it had.

use ticketing_host::api::{CheckStatus, ErrorKind};

use support::{category, client_secret, create_error, host, open, secret, settings, setup};

/// The good settings with one change.
fn with(good: &support::Form, change: impl FnOnce(&mut support::Form)) -> support::Form {
    let mut changed = good.clone();
    change(&mut changed);
    changed
}

#[tokio::test]
async fn bad_settings_are_refused_with_a_clear_error() {
    let (sim, mut tenant) = setup().await;
    let good = settings(&sim);
    let cases = [
        (
            with(&good, |s| s.instance = "http://dev1.service-now.com".into()),
            secret(&sim),
            "https",
            "instance",
        ),
        (
            with(&good, |s| s.instance = "".into()),
            secret(&sim),
            "instance is empty",
            "instance",
        ),
        (
            with(&good, |s| {
                s.instance = "https://user:pw@x.example.com".into()
            }),
            secret(&sim),
            "user name or password",
            "instance",
        ),
        (
            with(&good, |s| s.client_id = " ".into()),
            secret(&sim),
            "Client ID is empty",
            "client_id",
        ),
        (
            good.clone(),
            client_secret(format!("{} ", sim.client_secret())),
            "Client Secret has leading or trailing whitespace",
            "client_secret",
        ),
        (
            good.clone(),
            client_secret(""),
            "Client Secret is empty",
            "client_secret",
        ),
        (
            with(&good, |s| {
                s.ticket_categories.push(category("x", "bad table", true))
            }),
            secret(&sim),
            "or a ServiceNow table name",
            "ticket_categories",
        ),
        (
            with(&good, |s| {
                s.ticket_categories.push(s.ticket_categories[0].clone())
            }),
            secret(&sim),
            "listed twice",
            "ticket_categories",
        ),
    ];
    for (settings, secret, expected, field) in cases {
        let error = tenant
            .configure(&settings.values(), &secret)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidSettings, "{expected}");
        assert_eq!(error.field.as_deref(), Some(field), "{expected}");
        assert!(
            error.message.contains(expected),
            "{:?} should say {expected:?}",
            error.message
        );
        assert!(!error.message.contains(&sim.client_secret()));
    }
    // Nothing was broken: the earlier settings still work.
    assert_eq!(tenant.allowed_origin(), Some(sim.base_url().as_str()));
    open(&mut tenant, "cost-optimization", "still works").await;
}

#[tokio::test]
async fn calls_before_configure_say_so() {
    let mut tenant = host().tenant("fresh").await.unwrap();
    let error = create_error(&mut tenant).await;
    assert_eq!(error.kind, ErrorKind::NotConfigured);
    assert!(error.remedy.is_some());
    let report = tenant.test_connection().await.unwrap();
    assert_eq!(report.checks[0].id, "settings");
    assert_eq!(report.checks[0].status, CheckStatus::Failed);
    assert!(!report.passed);
    assert_eq!(tenant.allowed_origin(), None);
}
