//! Other ways in (docs/servicenow/auth.md): instances before Washington DC, and the methods an
//! admin may pick instead of client credentials: the password grant, Basic authentication, a REST
//! API key. Each against the simulator, through the real component.

use std::time::Duration;

use servicenow_simulator::{DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD, Release, Simulator};
use ticketing_host::api::{CheckStatus, ConnectionReport, ErrorKind, Setting};
use ticketing_host::{Secret, Tenant};

use support::{create_error, host, open, secret, settings};

/// The settings of `method` for the simulator's integration user.
fn signing_in(sim: &Simulator, method: &str) -> (Vec<Setting>, Vec<Secret>) {
    let mut values = settings(sim).values();
    values.push(Setting::text("auth_method", method));
    let mut secrets = Vec::new();
    match method {
        "password" | "basic" => {
            values.push(Setting::text("username", DEFAULT_USER_NAME));
            secrets.push(Secret::new("password", DEFAULT_USER_PASSWORD));
            if method == "password" {
                secrets.extend(secret(sim));
            }
        }
        "api_key" => secrets.push(Secret::new("api_key", sim.add_api_key(DEFAULT_USER_NAME))),
        _ => secrets.extend(secret(sim)),
    }
    (values, secrets)
}

async fn configured(sim: &Simulator, method: &str) -> Tenant {
    let (values, secrets) = signing_in(sim, method);
    let mut tenant = host().tenant(method).await.unwrap();
    tenant.configure(&values, &secrets).await.unwrap().unwrap();
    tenant
}

fn check<'a>(report: &'a ConnectionReport, id: &str) -> &'a ticketing_host::api::Check {
    report.checks.iter().find(|c| c.id == id).unwrap()
}

fn grants(sim: &Simulator) -> Vec<String> {
    sim.requests()
        .iter()
        .filter(|r| r.path == "/oauth_token.do")
        .filter_map(|r| r.form_param("grant_type"))
        .collect()
}

#[tokio::test]
async fn before_washington_dc_client_credentials_fail_and_the_password_grant_works() {
    let sim = support::instance().await;
    sim.set_release(Release::BeforeWashingtonDC);

    let mut guide_way = configured(&sim, "client_credentials").await;
    let report = guide_way.test_connection().await.unwrap();
    let token = check(&report, "token");
    assert_eq!(token.status, CheckStatus::Failed);
    assert!(
        token.remedy.as_deref().unwrap().contains("Washington DC"),
        "{token:?}"
    );

    let mut tenant = configured(&sim, "password").await;
    let report = tenant.test_connection().await.unwrap();
    assert!(report.passed, "{report:#?}");
    assert!(check(&report, "token").detail.contains("refresh token"));
    open(&mut tenant, "cost-optimization", "still serving").await;

    // The access token expires: the refresh token renews it, without the password.
    sim.clear_requests();
    tenant.advance_clock(Duration::from_secs(1800));
    sim.advance_clock(Duration::from_secs(1800));
    open(&mut tenant, "cost-optimization", "still serving").await;
    assert_eq!(grants(&sim), ["refresh_token"]);

    // The refresh token expires too (100 days by default): the password signs in again.
    sim.clear_requests();
    sim.expire_refresh_tokens();
    tenant.advance_clock(Duration::from_secs(1800));
    sim.advance_clock(Duration::from_secs(1800));
    open(&mut tenant, "cost-optimization", "still serving").await;
    assert_eq!(grants(&sim), ["refresh_token", "password"]);
}

#[tokio::test]
async fn a_wrong_or_locked_user_gets_the_password_remedy() {
    let sim = support::instance().await;
    let (values, mut secrets) = signing_in(&sim, "password");
    secrets.retain(|s| s.key() != "password");
    secrets.push(Secret::new("password", "not-the-password"));
    let mut tenant = host().tenant("wrong-password").await.unwrap();
    tenant.configure(&values, &secrets).await.unwrap().unwrap();
    let error = create_error(&mut tenant).await;
    assert_eq!(error.kind, ErrorKind::CredentialsRefused);
    let remedy = error.remedy.unwrap();
    assert!(remedy.contains("Locked out") && remedy.contains("Password needs reset"));
    assert!(!error.message.contains("not-the-password"));
}

#[tokio::test]
async fn basic_authentication_skips_the_token_and_names_its_own_remedies() {
    let sim = support::instance().await;
    sim.set_release(Release::BeforeWashingtonDC);
    let mut tenant = configured(&sim, "basic").await;
    let report = tenant.test_connection().await.unwrap();
    assert!(report.passed, "{report:#?}");
    assert_eq!(check(&report, "token").status, CheckStatus::Skipped);
    open(&mut tenant, "cost-optimization", "still serving").await;
    assert!(grants(&sim).is_empty(), "Basic asks for no token");
    let table_call = sim
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with("/api/now/table/"))
        .unwrap();
    assert!(
        table_call
            .header("authorization")
            .unwrap()
            .starts_with("Basic ")
    );

    // The Basic auth restriction, without the role: refused with the restriction's remedy.
    sim.update_properties(|p| p.basic_auth_restriction = true);
    sim.update_user(DEFAULT_USER_NAME, |u| u.web_service_access_only = false);
    let report = tenant.test_connection().await.unwrap();
    let table_api = check(&report, "table-api");
    assert_eq!(table_api.status, CheckStatus::Failed, "{report:#?}");
    assert!(
        table_api
            .remedy
            .as_deref()
            .unwrap()
            .contains("snc_basic_auth_api_access")
    );
    sim.update_user(DEFAULT_USER_NAME, |u| {
        u.roles.push("snc_basic_auth_api_access".into())
    });
    assert!(tenant.test_connection().await.unwrap().passed);

    // A locked-out user is refused even with the right password; the error says how to
    // unlock it, and never shows the password.
    sim.update_user(DEFAULT_USER_NAME, |u| u.locked_out = true);
    let error = create_error(&mut tenant).await;
    assert_eq!(error.kind, ErrorKind::CredentialsRefused);
    assert!(error.remedy.as_deref().unwrap().contains("Locked out"));
    assert!(!format!("{error:?}").contains(DEFAULT_USER_PASSWORD));
    for entry in tenant.log() {
        assert!(!format!("{entry:?}").contains(DEFAULT_USER_PASSWORD));
    }
}

#[tokio::test]
async fn a_rest_api_key_works_until_it_is_deactivated() {
    let sim = support::instance().await;
    let (values, secrets) = signing_in(&sim, "api_key");
    let key = secrets[0].expose().to_string();
    let mut tenant = host().tenant("key").await.unwrap();
    tenant.configure(&values, &secrets).await.unwrap().unwrap();
    let report = tenant.test_connection().await.unwrap();
    assert!(report.passed, "{report:#?}");
    assert_eq!(check(&report, "token").status, CheckStatus::Skipped);
    open(&mut tenant, "cost-optimization", "still serving").await;

    sim.set_api_key_active(&key, false);
    let error = create_error(&mut tenant).await;
    assert_eq!(error.kind, ErrorKind::CredentialsRefused);
    assert!(
        error
            .remedy
            .as_deref()
            .unwrap()
            .contains("REST API Key record is Active")
    );
    assert!(!format!("{error:?}").contains(&key));
}

/// A secret the admin does not type again is the one in force: switching from Basic to
/// the password grant needs only the OAuth application's credentials.
#[tokio::test]
async fn switching_methods_keeps_the_secrets_in_force() {
    let sim = support::instance().await;
    let mut tenant = configured(&sim, "basic").await;
    let (values, _) = signing_in(&sim, "password");
    tenant
        .configure(&values, &secret(&sim))
        .await
        .unwrap()
        .unwrap();
    let report = tenant.test_connection().await.unwrap();
    assert!(report.passed, "{report:#?}");
    assert_eq!(grants(&sim), ["password"]);
}
