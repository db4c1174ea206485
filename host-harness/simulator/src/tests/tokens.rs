//! The OAuth token endpoint's client credentials grant, and the Table API refusing a
//! missing, wrong or expired token.

use serde_json::json;

use super::*;

#[tokio::test]
async fn token_endpoint_grants_and_denies() {
    let sim = Simulator::start().await.unwrap();
    assert_eq!(sim.client_id(), DEFAULT_CLIENT_ID);
    grants(&sim).await;
    denials(&sim).await;
    new_credentials_and_what_was_recorded(&sim).await;
    sim.shutdown().await;
}

/// The client credentials grant: its answer, a scope, credentials in a Basic header, and a
/// chunked body.
async fn grants(sim: &Simulator) {
    let answer = send(sim, "POST", "/oauth_token.do", &[FORM], &grant(sim)).await;
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body = answer.json();
    assert!(body["access_token"].as_str().unwrap().len() >= 40);
    assert_eq!(
        (&body["scope"], &body["token_type"], &body["expires_in"]),
        (&json!(""), &json!("Bearer"), &json!(1799))
    );
    assert!(body.get("refresh_token").is_none());
    assert!(answer.body.starts_with(r#"{"access_token":"#));

    let scoped = format!("{}&scope=useraccount", grant(sim));
    let answer = send(sim, "POST", "/oauth_token.do", &[FORM], &scoped).await;
    assert_eq!(answer.json()["scope"], "useraccount");

    // Credentials in a Basic header: "c1a2…:sim-secret-0123456789".
    let basic = "Basic YzFhMmIzYzRkNWU2ZjcwODE5MmEzYjRjNWQ2ZTdmODA6c2ltLXNlY3JldC0wMTIzNDU2Nzg5";
    let answer = send(
        sim,
        "POST",
        "/oauth_token.do",
        &[FORM, ("authorization", basic)],
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    // A chunked body without content-length, as the component's client sends it.
    let form = grant(sim);
    let raw = format!(
        "POST /oauth_token.do HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/x-www-form-urlencoded\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{form}\r\n0\r\n\r\n",
        form.len()
    );
    assert_eq!(exchange(sim, raw.as_bytes()).await.status, 200);
}

/// Wrong credentials, a disabled grant or application, and an application user missing.
async fn denials(sim: &Simulator) {
    for bad in [
        "grant_type=client_credentials&client_id=c1a2b3c4d5e6f708192a3b4c5d6e7f80&client_secret=wrong".to_string(),
        "grant_type=password&client_id=c1a2b3c4d5e6f708192a3b4c5d6e7f80&client_secret=sim-secret-0123456789".to_string(),
        "grant_type=client_credentials".to_string(),
        String::new(),
    ] {
        let answer = send(sim, "POST", "/oauth_token.do", &[FORM], &bad).await;
        assert_eq!((answer.status, answer.body.as_str()), (401, GENERIC_DENIAL), "{bad}");
    }
    for fault in [
        Faults {
            grant_disabled: true,
            ..Faults::default()
        },
        Faults {
            application_inactive: true,
            ..Faults::default()
        },
    ] {
        sim.set_faults(fault);
        let answer = send(sim, "POST", "/oauth_token.do", &[FORM], &grant(sim)).await;
        assert_eq!((answer.status, answer.body.as_str()), (401, GENERIC_DENIAL));
    }

    sim.set_faults(Faults {
        oauth_user_missing: true,
        ..Faults::default()
    });
    let answer = send(sim, "POST", "/oauth_token.do", &[FORM], &grant(sim)).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.body,
        format!(
            r#"{{"error":"unauthorized_client","error_description":"Received client_credentials grant_type request however integration user is not configured for OAuth:{}"}}"#,
            sim.oauth_entity_id()
        )
    );
    assert_eq!(sim.oauth_entity_id().len(), 32);
}

/// Regenerated credentials work; every token request was recorded as sent.
async fn new_credentials_and_what_was_recorded(sim: &Simulator) {
    sim.set_credentials("other", "s3cret");
    sim.set_faults(Faults::default());
    let answer = send(
        sim,
        "POST",
        "/oauth_token.do",
        &[FORM],
        "grant_type=client_credentials&client_id=other&client_secret=s3cret",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(sim.token_requests(), 12);
    let recorded = sim.requests();
    assert_eq!(
        recorded[0].form_param("client_secret").as_deref(),
        Some(DEFAULT_CLIENT_SECRET)
    );
    assert_eq!(
        recorded[3].body,
        grant(sim)
            .replace("other", DEFAULT_CLIENT_ID)
            .replace("s3cret", DEFAULT_CLIENT_SECRET)
    );
}

#[tokio::test]
async fn the_table_api_needs_a_live_token() {
    let sim = Simulator::start().await.unwrap();
    let answer = send(&sim, "GET", "/api/now/table/incident", &[], "").await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (401, NOT_AUTHENTICATED)
    );
    let answer = api(&sim, "not-a-token", "GET", "/api/now/table/incident", "").await;
    assert_eq!(answer.status, 401);

    // Frozen, so that only the advances below age the token.
    sim.freeze_clock();
    let t = token(&sim).await;
    assert_eq!(
        api(&sim, &t, "GET", "/api/now/table/incident", "")
            .await
            .status,
        200
    );
    sim.advance_clock(Duration::from_secs(1799));
    assert_eq!(
        api(&sim, &t, "GET", "/api/now/v2/table/incident", "")
            .await
            .status,
        200
    );
    sim.advance_clock(Duration::from_secs(1));
    let answer = api(&sim, &t, "GET", "/api/now/table/incident", "").await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (401, NOT_AUTHENTICATED)
    );

    let t = token(&sim).await;
    sim.expire_all_tokens();
    assert_eq!(
        api(&sim, &t, "GET", "/api/now/table/incident", "")
            .await
            .status,
        401
    );

    let t = token(&sim).await;
    sim.update_faults(|f| f.reject_tokens = true);
    assert_eq!(
        api(&sim, &t, "GET", "/api/now/table/incident", "")
            .await
            .status,
        401
    );
    sim.set_faults(Faults::default());

    sim.set_token_lifespan(60);
    let answer = send(&sim, "POST", "/oauth_token.do", &[FORM], &grant(&sim)).await;
    assert_eq!(answer.json()["expires_in"], 59);
}
