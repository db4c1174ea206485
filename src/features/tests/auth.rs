//! The provider's credentials: one token for many calls, renewed once on a 401, the password
//! grant's refresh, Basic and API keys.

use crate::primitives::prelude::*;

use crate::features::provider::Provider;
use crate::features::tests::fixture::*;
use crate::primitives::clock::ManualClock;
use crate::primitives::error::ErrorKind;
use crate::servicenow::auth::AuthMethod;
use crate::servicenow::ticket::CreateOutcome;
use crate::settings::validated::Settings;
use crate::test_support::transport::*;
use core::time::Duration;

#[test]
fn n_tickets_cost_one_token() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport.push_json(200, TOKEN_OK);
    for _ in 0..3 {
        transport.push_json(201, CREATED);
    }
    for _ in 0..3 {
        let outcome = p.create_ticket(ticket()).unwrap();
        assert!(matches!(outcome, CreateOutcome::Created(w) if w.ticket.number == "INC0010001"));
    }
    assert_eq!(count(&transport, "/oauth_token.do"), 1);
    // The default priority (low) went out as impact 2, urgency 3.
    let body = sent_json(&transport, 1);
    assert_eq!(
        (&body["impact"], &body["urgency"]),
        (&"2".into(), &"3".into())
    );
}

#[test]
fn expired_token_is_replaced_before_use() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(201, CREATED)
        .push_json(200, TOKEN_OK)
        .push_json(201, CREATED);
    p.create_ticket(ticket()).unwrap();
    clock.advance(Duration::from_secs(1800));
    p.create_ticket(ticket()).unwrap();
    assert_eq!(count(&transport, "/oauth_token.do"), 2);
    assert_eq!(transport.remaining(), 0);
}

#[test]
fn a_401_is_retried_once_with_a_fresh_token() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(401, NOT_AUTHENTICATED)
        .push_json(200, TOKEN_OK)
        .push_json(201, CREATED);
    assert!(p.create_ticket(ticket()).is_ok());
    assert_eq!(count(&transport, "/oauth_token.do"), 2);
}

#[test]
fn a_second_401_is_an_error_not_a_loop() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = provider(&transport, &clock);
    transport
        .push_json(200, TOKEN_OK)
        .push_json(401, NOT_AUTHENTICATED)
        .push_json(200, TOKEN_OK)
        .push_json(401, NOT_AUTHENTICATED);
    let err = p.create_ticket(ticket()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NotAuthenticated);
    assert_eq!(transport.sent().len(), 4);
}

const PASSWORD_TOKEN: &str = r#"{"access_token":"acc-1","refresh_token":"ref-1","scope":"useraccount","token_type":"Bearer","expires_in":1799}"#;

const REFRESHED: &str = r#"{"access_token":"acc-2","refresh_token":"ref-1","scope":"useraccount","token_type":"Bearer","expires_in":1799}"#;

fn form(request: &crate::primitives::http::Request) -> Vec<(String, String)> {
    form_urlencoded::parse(&request.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// An access token the Table API refuses is renewed with the refresh token, which outlives
/// it, not with the password.
#[test]
fn a_refused_access_token_is_renewed_by_the_refresh_token() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = Provider::new(&transport, &clock);
    p.configure(with_method(AuthMethod::Password)).unwrap();
    transport
        .push_json(200, PASSWORD_TOKEN)
        .push_json(401, NOT_AUTHENTICATED)
        .push_json(200, REFRESHED)
        .push_json(201, CREATED);
    p.create_ticket(ticket()).unwrap();
    assert_eq!(transport.remaining(), 0);
    let sent = transport.sent();
    assert!(form(&sent[2]).contains(&("grant_type".into(), "refresh_token".into())));
    assert_eq!(sent[3].header_value("authorization"), Some("Bearer acc-2"));
}

#[test]
fn the_password_grant_refreshes_and_falls_back_to_the_password() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = Provider::new(&transport, &clock);
    p.configure(with_method(AuthMethod::Password)).unwrap();
    transport
        .push_json(200, PASSWORD_TOKEN)
        .push_json(201, CREATED)
        // The access token expired: the refresh token renews it.
        .push_json(200, REFRESHED)
        .push_json(201, CREATED)
        // Expired again, and the refresh token is refused: the password signs in anew.
        .push_json(401, TOKEN_DENIED)
        .push_json(200, PASSWORD_TOKEN)
        .push_json(201, CREATED);
    p.create_ticket(ticket()).unwrap();
    clock.advance(Duration::from_secs(1800));
    p.create_ticket(ticket()).unwrap();
    clock.advance(Duration::from_secs(1800));
    p.create_ticket(ticket()).unwrap();
    assert_eq!(transport.remaining(), 0);

    let sent = transport.sent();
    let grant = form(&sent[0]);
    assert!(grant.contains(&("grant_type".into(), "password".into())));
    assert!(grant.contains(&("username".into(), "cxm_integration".into())));
    assert!(grant.contains(&("password".into(), "pa55-word".into())));
    assert_eq!(sent[1].header_value("authorization"), Some("Bearer acc-1"));
    let refresh = form(&sent[2]);
    assert!(refresh.contains(&("grant_type".into(), "refresh_token".into())));
    assert!(refresh.contains(&("refresh_token".into(), "ref-1".into())));
    assert!(!refresh.iter().any(|(k, _)| k == "password"));
    assert_eq!(sent[3].header_value("authorization"), Some("Bearer acc-2"));
    assert!(form(&sent[5]).contains(&("grant_type".into(), "password".into())));
    for request in &sent {
        let shown = format!("{request:?}");
        assert!(
            !shown.contains("pa55") && !shown.contains("ref-1"),
            "{shown}"
        );
    }
}

#[test]
fn a_refused_password_grant_names_the_user_checks() {
    let transport = ScriptedTransport::default();
    let clock = ManualClock::default();
    let mut p = Provider::new(&transport, &clock);
    p.configure(with_method(AuthMethod::Password)).unwrap();
    transport.push_json(401, TOKEN_DENIED);
    let err = p.create_ticket(ticket()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::CredentialsRefused);
    assert_eq!(err.remedy, Some(crate::primitives::guide::PASSWORD_DENIED));
    assert!(err.remedy.unwrap().text.contains("Locked out"));
}

#[test]
fn basic_and_api_key_send_their_header_and_no_token_request() {
    for (method, header, value) in [
        (
            AuthMethod::Basic,
            "authorization",
            "Basic Y3htX2ludGVncmF0aW9uOnBhNTUtd29yZA==",
        ),
        (AuthMethod::ApiKey, "x-sn-apikey", "key-0123456789abcdef"),
    ] {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = Provider::new(&transport, &clock);
        p.configure(with_method(method)).unwrap();
        transport.push_json(201, CREATED);
        p.create_ticket(ticket()).unwrap();
        let sent = transport.sent();
        assert_eq!(sent.len(), 1, "{method:?}");
        assert_eq!(sent[0].header_value(header), Some(value), "{method:?}");
        // An instance echoing the credentials back gets them blotted out of messages.
        let secret = value.trim_start_matches("Basic ");
        let echoed = sent[0].redact(&format!("echo {secret}"));
        assert_eq!(echoed, "echo <redacted>", "{method:?}");
    }
}

#[test]
fn a_401_for_basic_or_an_api_key_is_the_credentials_refusal_not_a_retry() {
    for (method, remedy) in [
        (AuthMethod::Basic, crate::primitives::guide::BASIC_DENIED),
        (AuthMethod::ApiKey, crate::primitives::guide::API_KEY_DENIED),
    ] {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = Provider::new(&transport, &clock);
        p.configure(with_method(method)).unwrap();
        transport.push_json(401, NOT_AUTHENTICATED);
        let err = p.create_ticket(ticket()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::CredentialsRefused, "{method:?}");
        assert_eq!(err.remedy, Some(remedy));
        assert!(
            err.message.contains("refused the credentials"),
            "{}",
            err.message
        );
        assert_eq!(transport.sent().len(), 1, "no retry, no token request");
    }
}

#[test]
fn each_method_requires_its_own_credentials_only() {
    let mut basic = with_method(AuthMethod::Basic);
    basic.client_id = String::new();
    basic.client_secret = String::new();
    Settings::validate(basic.clone()).unwrap();
    basic.password = String::new();
    let err = Settings::validate(basic).unwrap_err();
    assert_eq!(err.field, Some("password"));
    let mut key = with_method(AuthMethod::ApiKey);
    key.api_key = " key".into();
    let err = Settings::validate(key).unwrap_err();
    assert_eq!(err.field, Some("api_key"));
    assert!(
        err.message
            .contains("API Key has leading or trailing whitespace")
    );
    let mut colon = with_method(AuthMethod::Basic);
    colon.username = "domain:user".into();
    assert_eq!(
        Settings::validate(colon).unwrap_err().field,
        Some("username")
    );
}
