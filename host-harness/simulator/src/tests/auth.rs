//! The ways in besides client credentials (docs/servicenow/auth.md): Basic auth as a user, REST API
//! keys, the password and refresh grants, and what the instance's release and properties change.

use serde_json::{Value, json};

use super::*;

async fn as_user(
    sim: &Simulator,
    authorization: &str,
    method: &str,
    target: &str,
    body: &str,
) -> Answer {
    let headers = [
        ("authorization", authorization),
        ("accept", "application/json"),
        ("content-type", "application/json"),
    ];
    send(sim, method, target, &headers, body).await
}

async fn with_key(sim: &Simulator, key: &str, method: &str, target: &str, body: &str) -> Answer {
    let headers = [
        ("x-sn-apikey", key),
        ("accept", "application/json"),
        ("content-type", "application/json"),
    ];
    send(sim, method, target, &headers, body).await
}

async fn oauth(sim: &Simulator, form: &str) -> Answer {
    send(sim, "POST", "/oauth_token.do", &[FORM], form).await
}

fn password_form(sim: &Simulator, user: &str, password: &str) -> String {
    format!(
        "grant_type=password&client_id={}&client_secret={}&username={user}&password={password}",
        sim.client_id(),
        sim.client_secret()
    )
}

fn refresh_form(sim: &Simulator, refresh: &str) -> String {
    format!(
        "grant_type=refresh_token&client_id={}&client_secret={}&refresh_token={refresh}",
        sim.client_id(),
        sim.client_secret()
    )
}

fn assert_not_authenticated(answer: &Answer, message: &str) {
    let expected = format!(
        r#"{{"error":{{"message":"{message}","detail":"Required to provide Auth information"}},"status":"failure"}}"#
    );
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (401, expected.as_str())
    );
    assert_eq!(
        answer.header("www-authenticate"),
        Some(r#"BASIC realm="Service-now""#)
    );
    assert_eq!(answer.header("x-is-logged-in"), None);
}

fn created_by(answer: &Answer) -> Value {
    answer.json()["result"]["sys_created_by"].clone()
}

const INCIDENTS: &str = "/api/now/table/incident";

#[tokio::test]
async fn basic_auth_acts_as_the_user_and_signs_in_like_an_instance() {
    let sim = Simulator::start().await.unwrap();
    let auth = basic(DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD);
    let answer = as_user(&sim, &auth, "GET", INCIDENTS, "").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("x-is-logged-in"), Some("true"));
    let transaction = answer.header("x-transaction-id").unwrap();
    assert!(transaction.len() == 12 && transaction.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        answer.header("server-timing"),
        Some("sem_wait;dur=0, sesh_wait;dur=0")
    );
    let cookie = answer.header("set-cookie").unwrap();
    let session = cookie
        .strip_prefix("glide_session_store=")
        .and_then(|c| c.split(';').next())
        .unwrap();
    assert!(session.len() == 32 && !session.bytes().any(|b| b.is_ascii_lowercase()));

    let agent = basic(AGENT_USER_NAME, "agent");
    let answer = as_user(
        &sim,
        &agent,
        "POST",
        INCIDENTS,
        r#"{"short_description":"x"}"#,
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let result = &answer.json()["result"];
    assert_eq!(result["sys_created_by"], AGENT_USER_NAME);
    assert_eq!(result["sys_updated_by"], AGENT_USER_NAME);
    assert_eq!(
        result["opened_by"]["value"],
        json!(sim.user_sys_id(AGENT_USER_NAME).unwrap())
    );
}

#[tokio::test]
async fn basic_auth_failures_look_alike_and_lock_the_account() {
    let sim = Simulator::start().await.unwrap();
    sim.freeze_clock();
    let t = token(&sim).await;
    let wrong = basic(DEFAULT_USER_NAME, "wrong");
    for auth in [
        wrong.clone(),
        basic("nobody", "x"),
        "Basic !!!".to_string(),
        "Negotiate abc".to_string(),
    ] {
        let answer = as_user(&sim, &auth, "GET", INCIDENTS, "").await;
        assert_not_authenticated(&answer, "User Not Authenticated");
    }
    assert_eq!(sim.user(DEFAULT_USER_NAME).unwrap().failed_attempts, 1);
    for _ in 0..4 {
        as_user(&sim, &wrong, "GET", INCIDENTS, "").await;
    }
    let user = sim.user(DEFAULT_USER_NAME).unwrap();
    assert!(user.locked_out, "{user:?}");
    let right = basic(DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD);
    let answer = as_user(&sim, &right, "GET", INCIDENTS, "").await;
    assert_not_authenticated(&answer, "User Not Authenticated");
    // A client credentials token acts as the same account: locked out too.
    assert_eq!(api(&sim, &t, "GET", INCIDENTS, "").await.status, 401);

    // "SNC User Lockout Check with Auto Unlock": 15 minutes later it works again.
    sim.advance_clock(Duration::from_secs(15 * 60));
    assert_eq!(
        as_user(&sim, &right, "GET", INCIDENTS, "").await.status,
        200
    );
    assert_eq!(sim.user(DEFAULT_USER_NAME).unwrap().failed_attempts, 0);

    sim.update_properties(|p| p.max_unlock_attempts = 1);
    as_user(&sim, &wrong, "GET", INCIDENTS, "").await;
    assert!(sim.user(DEFAULT_USER_NAME).unwrap().locked_out);
    assert!(sim.update_user(DEFAULT_USER_NAME, |u| {
        u.locked_out = false;
        u.failed_attempts = 0;
        u.active = false;
    }));
    let answer = as_user(&sim, &right, "GET", INCIDENTS, "").await;
    assert_not_authenticated(&answer, "User Not Authenticated");
    sim.update_user(DEFAULT_USER_NAME, |u| {
        u.active = true;
        u.password_needs_reset = true;
    });
    assert_eq!(
        as_user(&sim, &right, "GET", INCIDENTS, "").await.status,
        401
    );
}

#[tokio::test]
async fn the_basic_auth_restriction_spares_web_service_accounts_and_the_role() {
    let sim = Simulator::start().await.unwrap();
    sim.update_properties(|p| p.basic_auth_restriction = true);
    let agent = basic(AGENT_USER_NAME, "agent");
    let answer = as_user(&sim, &agent, "GET", INCIDENTS, "").await;
    assert_not_authenticated(&answer, "User is not authenticated");
    let admin = basic("admin", "admin");
    assert_eq!(
        as_user(&sim, &admin, "GET", INCIDENTS, "").await.status,
        401
    );
    let service = basic(DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD);
    assert_eq!(
        as_user(&sim, &service, "GET", INCIDENTS, "").await.status,
        200
    );
    sim.update_user(AGENT_USER_NAME, |u| {
        u.roles.push("snc_basic_auth_api_access".into())
    });
    assert_eq!(
        as_user(&sim, &agent, "GET", INCIDENTS, "").await.status,
        200
    );
    sim.update_properties(|p| p.basic_auth_restriction = false);
    assert_eq!(
        as_user(&sim, &admin, "GET", INCIDENTS, "").await.status,
        200
    );
    // A wrong password is still a wrong password, whatever the restriction.
    sim.update_properties(|p| p.basic_auth_restriction = true);
    let wrong = basic(DEFAULT_USER_NAME, "wrong");
    let answer = as_user(&sim, &wrong, "GET", INCIDENTS, "").await;
    assert_not_authenticated(&answer, "User Not Authenticated");
}

#[tokio::test]
async fn api_keys_act_as_their_user_while_active_and_unexpired() {
    let sim = Simulator::start().await.unwrap();
    sim.freeze_clock();
    let key = sim.add_api_key(DEFAULT_USER_NAME);
    let answer = with_key(&sim, &key, "POST", INCIDENTS, "{}").await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(created_by(&answer), DEFAULT_USER_NAME);
    assert_eq!(answer.header("x-is-logged-in"), Some("true"));
    // docs/servicenow/auth.md#api-keys: the query parameter works as well as the header.
    let by_param = send(
        &sim,
        "GET",
        &format!("{INCIDENTS}?x-sn-apikey={key}"),
        &[("accept", "application/json")],
        "",
    )
    .await;
    assert_eq!(by_param.status, 200);

    let answer = with_key(&sim, "not-a-key", "GET", INCIDENTS, "").await;
    assert_not_authenticated(&answer, "User Not Authenticated");
    assert!(sim.set_api_key_active(&key, false));
    assert_not_authenticated(
        &with_key(&sim, &key, "GET", INCIDENTS, "").await,
        "User Not Authenticated",
    );
    sim.set_api_key_active(&key, true);
    assert!(sim.expire_api_key(&key));
    assert_eq!(with_key(&sim, &key, "GET", INCIDENTS, "").await.status, 401);

    let expiring = sim.add_api_key_expiring(AGENT_USER_NAME, Duration::from_secs(60));
    let answer = with_key(&sim, &expiring, "POST", INCIDENTS, "{}").await;
    assert_eq!(created_by(&answer), AGENT_USER_NAME);
    sim.advance_clock(Duration::from_secs(60));
    assert_eq!(
        with_key(&sim, &expiring, "GET", INCIDENTS, "").await.status,
        401
    );

    let key = sim.add_api_key(DEFAULT_USER_NAME);
    sim.update_faults(|f| f.api_key_policy_missing = vec![RestApi::Table]);
    assert_eq!(with_key(&sim, &key, "GET", INCIDENTS, "").await.status, 401);
    sim.set_faults(Faults::default());
    sim.update_user(DEFAULT_USER_NAME, |u| u.active = false);
    assert_eq!(with_key(&sim, &key, "GET", INCIDENTS, "").await.status, 401);
    sim.update_user(DEFAULT_USER_NAME, |u| u.active = true);
    assert_eq!(with_key(&sim, &key, "GET", INCIDENTS, "").await.status, 200);
    // docs/servicenow/auth.md#api-keys: no API keys before Washington DC.
    sim.set_release(Release::BeforeWashingtonDC);
    let answer = with_key(&sim, &key, "GET", INCIDENTS, "").await;
    assert_not_authenticated(&answer, "User Not Authenticated");
}

#[tokio::test]
async fn the_password_grant_reuses_its_token_and_refreshes_without_rotating() {
    let sim = Simulator::start().await.unwrap();
    sim.freeze_clock();
    let (access, refresh) = first_grant(&sim).await;
    repeat_grant(&sim, &access, &refresh).await;
    refresh_grant(&sim, &access, &refresh).await;
    refused_refreshes(&sim, &refresh).await;
}

/// The password grant: an access and a refresh token, acting as the user; both tokens.
async fn first_grant(sim: &Simulator) -> (String, String) {
    let answer = oauth(
        sim,
        &password_form(sim, DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer.body.starts_with(r#"{"access_token":""#));
    let body = answer.json();
    let access = body["access_token"].as_str().unwrap().to_string();
    let refresh = body["refresh_token"].as_str().unwrap().to_string();
    for token in [&access, &refresh] {
        assert_eq!(token.len(), 86);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }
    assert_eq!(
        (&body["scope"], &body["token_type"], &body["expires_in"]),
        (&json!("useraccount"), &json!("Bearer"), &json!(1799))
    );
    let created = api(sim, &access, "POST", INCIDENTS, "{}").await;
    assert_eq!(created_by(&created), DEFAULT_USER_NAME);
    (access, refresh)
}

/// A repeat grant while the token lives: the same tokens, the expiry pushed out.
async fn repeat_grant(sim: &Simulator, access: &str, refresh: &str) {
    sim.advance_clock(Duration::from_secs(1000));
    let again = oauth(
        sim,
        &password_form(sim, DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD),
    )
    .await;
    let body = again.json();
    assert_eq!(
        (
            body["access_token"].as_str(),
            body["refresh_token"].as_str()
        ),
        (Some(access), Some(refresh))
    );
    assert_eq!(body["expires_in"], 1799);
    sim.advance_clock(Duration::from_secs(1000));
    assert_eq!(api(sim, access, "GET", INCIDENTS, "").await.status, 200);
}

/// Refresh: a new access token, the same refresh token back.
async fn refresh_grant(sim: &Simulator, access: &str, refresh: &str) {
    let refreshed = oauth(sim, &refresh_form(sim, refresh)).await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let body = refreshed.json();
    let new_access = body["access_token"].as_str().unwrap().to_string();
    assert_ne!(new_access, access);
    assert_eq!(body["refresh_token"].as_str(), Some(refresh));
    assert_eq!(body["scope"], "useraccount");
    assert_eq!(
        api(sim, &new_access, "GET", INCIDENTS, "").await.status,
        200
    );
}

/// Refresh tokens refused: another client's, none, revoked, expired.
async fn refused_refreshes(sim: &Simulator, refresh: &str) {
    // A refresh token of another client, or none at all, is refused.
    for form in [
        refresh_form(sim, "not-a-refresh-token"),
        refresh_form(sim, refresh).replace(&sim.client_secret(), "wrong"),
        format!(
            "grant_type=refresh_token&client_id={}&client_secret={}",
            sim.client_id(),
            sim.client_secret()
        ),
    ] {
        let answer = oauth(sim, &form).await;
        assert_eq!((answer.status, answer.body.as_str()), (401, GENERIC_DENIAL));
    }

    // Revoked (or expired) refresh tokens: the generic 401; the password still works.
    sim.expire_refresh_tokens();
    let answer = oauth(sim, &refresh_form(sim, refresh)).await;
    assert_eq!((answer.status, answer.body.as_str()), (401, GENERIC_DENIAL));
    sim.set_refresh_token_lifespan(60);
    let answer = oauth(
        sim,
        &password_form(sim, DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD),
    )
    .await;
    let refresh = answer.json()["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(oauth(sim, &refresh_form(sim, &refresh)).await.status, 200);
    sim.advance_clock(Duration::from_secs(60));
    let answer = oauth(sim, &refresh_form(sim, &refresh)).await;
    assert_eq!((answer.status, answer.body.as_str()), (401, GENERIC_DENIAL));
}

#[tokio::test]
async fn password_grant_refusals_are_the_generic_401() {
    let sim = Simulator::start().await.unwrap();
    let wrong = password_form(&sim, DEFAULT_USER_NAME, "wrong");
    let answer = oauth(&sim, &wrong).await;
    assert_eq!((answer.status, answer.body.as_str()), (401, GENERIC_DENIAL));
    assert_eq!(sim.user(DEFAULT_USER_NAME).unwrap().failed_attempts, 1);
    let right = password_form(&sim, DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD);
    type Change = fn(&mut User);
    let cases: [(&str, Change); 3] = [
        ("locked", |u| u.locked_out = true),
        ("inactive", |u| u.active = false),
        ("reset", |u| u.password_needs_reset = true),
    ];
    for (case, change) in cases {
        sim.update_user(DEFAULT_USER_NAME, change);
        let answer = oauth(&sim, &right).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (401, GENERIC_DENIAL),
            "{case}"
        );
        sim.add_user(User {
            web_service_access_only: true,
            roles: vec!["itil".into(), "rest_service".into()],
            ..User::new(DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD)
        });
    }
    let no_user = right.replace("&username=cxm_integration", "");
    assert_eq!(oauth(&sim, &no_user).await.status, 401);
    let bad_client = right.replace(&sim.client_secret(), "wrong");
    assert_eq!(oauth(&sim, &bad_client).await.status, 401);
    sim.update_faults(|f| f.application_inactive = true);
    assert_eq!(oauth(&sim, &right).await.status, 401);
    // Not the client credentials property's business.
    sim.set_faults(Faults {
        grant_disabled: true,
        ..Faults::default()
    });
    assert_eq!(oauth(&sim, &right).await.status, 200);
}

#[tokio::test]
async fn before_washington_dc_only_the_password_grant_mints() {
    let sim = Simulator::start().await.unwrap();
    sim.set_release(Release::BeforeWashingtonDC);
    let answer = oauth(&sim, &grant(&sim)).await;
    assert_eq!((answer.status, answer.body.as_str()), (401, GENERIC_DENIAL));
    let answer = oauth(
        &sim,
        &password_form(&sim, DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD),
    )
    .await;
    assert_eq!(answer.status, 200);
    let basic = basic(DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD);
    assert_eq!(
        as_user(&sim, &basic, "GET", INCIDENTS, "").await.status,
        200
    );
}

#[tokio::test]
async fn client_credentials_act_as_the_application_user() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let answer = api(&sim, &t, "POST", INCIDENTS, "{}").await;
    assert_eq!(created_by(&answer), DEFAULT_USER_NAME);
    assert_eq!(answer.header("x-is-logged-in"), Some("true"));
    // Deactivating the user ends its tokens' sessions and stops new ones.
    sim.update_user(DEFAULT_USER_NAME, |u| u.active = false);
    assert_not_authenticated(
        &api(&sim, &t, "GET", INCIDENTS, "").await,
        "User Not Authenticated",
    );
    let answer = oauth(&sim, &grant(&sim)).await;
    assert_eq!((answer.status, answer.body.as_str()), (401, GENERIC_DENIAL));
    sim.update_user(DEFAULT_USER_NAME, |u| u.active = true);

    sim.set_application_user(AGENT_USER_NAME);
    let t = token(&sim).await;
    assert_eq!(
        created_by(&api(&sim, &t, "POST", INCIDENTS, "{}").await),
        AGENT_USER_NAME
    );
    sim.set_application_user("no.such.user");
    let answer = oauth(&sim, &grant(&sim)).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.json()["error"], "unauthorized_client");
}

#[tokio::test]
async fn auth_scopes_bind_oauth_tokens_only_and_useraccount_passes() {
    let sim = Simulator::start().await.unwrap();
    sim.update_faults(|f| f.auth_scope_missing = true);
    let unscoped = token(&sim).await;
    assert_eq!(api(&sim, &unscoped, "GET", INCIDENTS, "").await.status, 403);
    let scoped = oauth(&sim, &format!("{}&scope=useraccount", grant(&sim))).await;
    let scoped = scoped.json()["access_token"].as_str().unwrap().to_string();
    assert_eq!(api(&sim, &scoped, "GET", INCIDENTS, "").await.status, 200);
    let password = oauth(
        &sim,
        &password_form(&sim, DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD),
    )
    .await;
    let password = password.json()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(api(&sim, &password, "GET", INCIDENTS, "").await.status, 200);
    let basic = basic(DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD);
    assert_eq!(
        as_user(&sim, &basic, "GET", INCIDENTS, "").await.status,
        200
    );
    let key = sim.add_api_key(DEFAULT_USER_NAME);
    assert_eq!(with_key(&sim, &key, "GET", INCIDENTS, "").await.status, 200);
}
