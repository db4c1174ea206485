//! ServiceNow's failure answers become typed errors with the guide's remedy.

use servicenow_simulator::Faults;
use ticketing_host::api::ErrorKind;

use support::{configure_ok, create_error, offline_tenant, open, settings, setup};

#[tokio::test]
async fn each_failure_has_its_kind() {
    let (sim, mut tenant) = setup().await;
    /// A fault, the error kind it must produce, and the HTTP status behind it.
    type Case = (fn(&mut Faults), ErrorKind, Option<u16>);
    let cases: [Case; 7] = [
        (
            |f| f.hibernating = true,
            ErrorKind::ServiceAsleep,
            Some(200),
        ),
        (|f| f.login_page = true, ErrorKind::NotTheService, Some(200)),
        (
            |f| f.grant_disabled = true,
            ErrorKind::CredentialsRefused,
            Some(401),
        ),
        (
            |f| f.oauth_user_missing = true,
            ErrorKind::ServiceAccountMissing,
            Some(400),
        ),
        (
            |f| f.acl_deny_insert = vec!["incident".into()],
            ErrorKind::Forbidden,
            Some(403),
        ),
        (
            |f| f.rate_limit = Some(42),
            ErrorKind::RateLimited,
            Some(429),
        ),
        (
            |f| f.unavailable = true,
            ErrorKind::ServiceUnavailable,
            Some(503),
        ),
    ];
    for (fault, kind, status) in cases {
        sim.set_faults(Default::default());
        // A fresh token each round, so token faults are seen.
        configure_ok(&mut tenant, &sim, &settings(&sim)).await;
        sim.expire_all_tokens();
        sim.update_faults(fault);
        let error = create_error(&mut tenant).await;
        assert_eq!(error.kind, kind, "{error:?}");
        assert_eq!(error.http_status, status, "{error:?}");
        assert!(error.remedy.is_some(), "{error:?}");
        assert!(!error.message.contains(&sim.client_secret()));
        if kind == ErrorKind::RateLimited {
            assert_eq!(error.retry_after_seconds, Some(42));
        }
    }
    // After all that, the same tenant still creates tickets.
    sim.set_faults(Default::default());
    open(&mut tenant, "cost-optimization", "fine").await;
}

#[tokio::test]
async fn an_unreachable_instance_is_named_as_such() {
    let mut tenant = offline_tenant().await;
    let error = create_error(&mut tenant).await;
    assert_eq!(error.kind, ErrorKind::Unreachable, "{error:?}");
    assert!(error.remedy.as_deref().unwrap().contains("accessible"));
}
