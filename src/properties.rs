//! Property tests: every parser of what ServiceNow or the platform sends holds up against
//! arbitrary input (no panic, a specific error or a well-formed value), and what is accepted
//! keeps the invariants the rest of the component relies on.

use crate::primitives::prelude::*;

use proptest::prelude::*;
use serde_json::Value;

use crate::primitives::clock::ManualClock;
use crate::primitives::error::ErrorKind;
use crate::primitives::http::{Method, Request, Response};
use crate::primitives::ids::{AssignmentGroup, Name, SysId, TicketNumber, query_value_problem};
use crate::primitives::log::NoLog;
use crate::primitives::text::server_text;
use crate::primitives::time::Timestamp;
use crate::servicenow::answer;
use crate::servicenow::attachment::Upload;
use crate::servicenow::auth::Authorization;
use crate::servicenow::cursor::Cursor;
use crate::servicenow::oauth::request_token;
use crate::servicenow::query::Query;
use crate::servicenow::retry::{RetryPolicy, Retrying};
use crate::servicenow::table::TableApi;
use crate::servicenow::ticket::{TicketRef, TicketRow};
use crate::servicenow::ticket_kind::TicketKind;
use crate::settings::validated::{RawSettings, Settings, TicketCategory, error_shows_secret};
use crate::test_support::transport::ScriptedTransport;

/// An answer as a hostile or broken instance might give it.
fn any_response() -> impl Strategy<Value = Response> {
    let content_type = prop_oneof![
        Just("application/json"),
        Just("text/html"),
        Just("application/json; charset=utf-8"),
        Just(""),
    ];
    let body = prop_oneof![
        any::<Vec<u8>>(),
        ".*".prop_map(String::into_bytes),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        json_value().prop_map(|v| serde_json::json!({ "result": v }).to_string().into_bytes()),
        json_value().prop_map(|v| {
            serde_json::json!({ "result": [v], "error": {"message": "x"} })
                .to_string()
                .into_bytes()
        }),
    ];
    (
        100u16..600,
        content_type,
        body,
        proptest::option::of("[0-9]{0,12}"),
    )
        .prop_map(|(status, content_type, body, retry_after)| {
            let mut headers = vec![("content-type".to_string(), content_type.to_string())];
            if let Some(seconds) = retry_after {
                headers.push(("retry-after".into(), seconds));
            }
            Response {
                status,
                headers,
                body,
            }
        })
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        ".*".prop_map(Value::from),
        "[0-9a-f]{32}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("sys_id".to_string()),
                    Just("number".to_string()),
                    Just("state".to_string()),
                    Just("active".to_string()),
                    Just("access_token".to_string()),
                    Just("expires_in".to_string()),
                    Just("error".to_string()),
                    ".{0,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn scripted(responses: &[Response]) -> ScriptedTransport {
    let transport = ScriptedTransport::default();
    for response in responses {
        transport.push(Ok(response.clone()));
    }
    transport
}

/// Cursors as the provider writes them, and near misses of them.
fn cursor_like() -> impl Strategy<Value = String> {
    let position = prop_oneof![
        Just("start".to_string()),
        "[0-9]{14}\\.[0-9a-f]{32}",
        "(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9])([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]\\.[0-9a-f]{32}",
        ".{0,50}",
    ];
    let floor = prop_oneof![
        Just(String::new()),
        Just("/start".to_string()),
        "/[0-9]{14}",
        "/(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9])([01][0-9]|2[0-3])[0-5][0-9][0-5][0-9]",
        ".{0,20}",
    ];
    let part = ("[a-z][a-z0-9_]{0,12}|.{0,6}", position, floor)
        .prop_map(|(t, p, f)| format!("~{t}={p}{f}"));
    (
        prop_oneof![Just("v1"), Just("v2"), Just(""), Just("v1 ")],
        proptest::collection::vec(part, 0..5),
    )
        .prop_map(|(version, parts)| format!("{version}{}", parts.concat()))
}

proptest! {
    /// The cursor comes back from the platform: whatever it holds, it is refused with a
    /// printable reason or it is exactly a cursor the provider writes.
    #[test]
    fn a_cursor_is_refused_or_is_one_the_provider_writes(text in prop_oneof![cursor_like(), ".{0,120}"]) {
        match Cursor::parse(&text) {
            // A cursor of the version before floors is written anew in the current one.
            Ok(Some(cursor)) if text.starts_with("v1") => {
                prop_assert!(cursor.encode().starts_with("v2"));
                prop_assert_eq!(Cursor::parse(&cursor.encode()).unwrap(), Some(cursor));
            }
            Ok(Some(cursor)) => prop_assert_eq!(cursor.encode(), text),
            Ok(None) => prop_assert!(text.is_empty()),
            Err(error) => {
                prop_assert_eq!(error.kind, ErrorKind::InvalidCursor);
                prop_assert!(!error.message.chars().any(char::is_control), "{}", error.message);
                prop_assert!(error.message.chars().count() < 300, "{}", error.message);
            }
        }
    }

    #[test]
    fn an_accepted_time_is_a_real_one(text in prop_oneof!["[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", ".{0,20}"]) {
        if let Some(time) = Timestamp::parse(&text) {
            prop_assert_eq!(time.as_str(), text.as_str());
            let month: u32 = text[5..7].parse().unwrap();
            let day: u32 = text[8..10].parse().unwrap();
            prop_assert!((1..=12).contains(&month) && (1..=31).contains(&day));
        }
    }

    /// Whatever the platform calls a file and its type, it is refused with a printable
    /// reason, or it is a name (no path, nothing that reorders or hides) and a media type
    /// that cannot end its header.
    #[test]
    fn an_accepted_file_is_a_name_with_a_media_type(name in ".{0,40}", content_type in prop_oneof!["[a-z]{1,8}/[a-z0-9.+-]{1,12}(; ?[a-z]{1,8}=[a-z0-9-]{1,8})?", ".{0,40}"]) {
        match Upload::new(&name, &content_type, b"x") {
            Ok(_) => {
                prop_assert!(!name.contains(['/', '\\']) && name != "." && name != "..");
                prop_assert!(!name.chars().any(char::is_control));
                let overrides = '\u{202A}'..='\u{202E}';
                prop_assert!(!name.chars().any(|c| overrides.contains(&c)), "{:?}", name);
                prop_assert!(content_type.contains('/'));
                prop_assert!(!content_type.chars().any(char::is_control));
            }
            Err(error) => {
                prop_assert_eq!(error.kind, ErrorKind::InvalidTicket);
                prop_assert!(!error.message.chars().any(char::is_control), "{}", error.message);
            }
        }
    }

    #[test]
    fn table_api_answers_never_panic_and_fail_specifically(responses in proptest::collection::vec(any_response(), 4)) {
        let transport = scripted(&responses);
        let clock = ManualClock::default();
        let policy = RetryPolicy::default();
        let retrying = Retrying { transport: &transport, clock: &&clock, policy: &policy, log: &NoLog };
        let instance = instance_address::InstanceUrl::parse("dev1").unwrap();
        let api = TableApi { transport: &retrying, instance: &instance };
        let token = Authorization::bearer("t");
        match api.query::<TicketRow>(&token, &Name::known("incident"), &Query::default(), 5) {
            Ok(rows) => {
                // Whatever was accepted holds valid ids.
                for row in rows {
                    prop_assert!(SysId::parse(row.sys_id.as_str()).is_some());
                }
            }
            Err(error) => {
                prop_assert!(!error.message.chars().any(char::is_control), "{}", error.message);
                prop_assert!(!error.message.contains("Bearer"));
                if let Some(status) = error.http_status {
                    prop_assert!((100..600).contains(&status));
                }
            }
        }
        // Bounded: never more tries than the policy allows.
        prop_assert!(transport.sent().len() <= policy.attempts as usize);
    }

    #[test]
    fn token_answers_never_panic_and_grant_only_a_token(response in any_response()) {
        let transport = scripted(&[response]);
        let settings =
            Settings::validate(RawSettings::bare("dev1", "id", "Zk7-token-secret")).unwrap();
        match request_token(&transport, &settings.token_url, &settings.credentials) {
            Ok(grant) => {
                prop_assert!(!grant.token.expose().is_empty());
                prop_assert!(grant.expires_in <= core::time::Duration::from_secs(24 * 3600));
            }
            Err(error) => {
                prop_assert!(!error.message.contains("Zk7-token-secret"));
                prop_assert!(matches!(
                    error.kind,
                    ErrorKind::CredentialsRefused
                        | ErrorKind::ServiceAccountMissing
                        | ErrorKind::UnexpectedResponse
                        | ErrorKind::ServiceAsleep
                        | ErrorKind::NotTheService
                        | ErrorKind::ServiceUnavailable
                ), "{:?}", error.kind);
            }
        }
    }

    #[test]
    fn servicenow_messages_are_printable_and_bounded(text in ".*", body in any::<Vec<u8>>()) {
        let cleaned = server_text(&text);
        prop_assert!(!cleaned.chars().any(char::is_control));
        prop_assert!(cleaned.chars().count() <= 301);
        let response = Response { status: 400, headers: vec![], body };
        if let Some(said) = answer::servicenow_message(&response) {
            prop_assert!(!said.chars().any(char::is_control));
        }
    }

    #[test]
    fn settings_validation_never_panics_and_keeps_its_promises(
        instance in ".{0,80}",
        client_id in ".{0,40}",
        secret in ".{0,40}",
        group in proptest::option::of(".{0,40}"),
        categories in proptest::collection::vec((".{0,12}", any::<bool>()), 0..4),
        method in proptest::sample::select(crate::servicenow::auth::AuthMethod::ALL.to_vec()),
    ) {
        let mut settings = RawSettings::bare(&instance, &client_id, &secret);
        // Every method's secret is the generated one, so each is held to not showing it.
        settings.auth_method = method;
        settings.username = client_id.clone();
        settings.password = secret.clone();
        settings.api_key = secret.clone();
        settings.default_assignment_group = group.as_deref().and_then(AssignmentGroup::parse);
        settings.ticket_categories = categories
            .into_iter()
            .map(|(event_category, enabled)| TicketCategory { event_category, kind: TicketKind::Incident, enabled })
            .collect();
        match Settings::validate(settings.clone()) {
            Ok(valid) => {
                if let crate::servicenow::auth::Credentials::ClientCredentials { client_id, .. } =
                    &valid.credentials
                {
                    prop_assert_eq!(client_id.trim(), client_id.as_str());
                    prop_assert!(!client_id.is_empty());
                }
                if let Some(group) = &valid.default_assignment_group {
                    prop_assert!(group.problem().is_none());
                }
                for category in &valid.ticket_categories {
                    prop_assert!(!category.event_category.is_empty());
                }
            }
            Err(error) => {
                prop_assert_eq!(error.kind, ErrorKind::InvalidSettings);
                prop_assert!(!error_shows_secret(&settings, &error), "{}", error.message);
            }
        }
    }

    #[test]
    fn ids_accepted_are_safe_in_paths_and_queries(text in ".{0,40}") {
        if let Ok(reference) = TicketRef::parse(TicketKind::Incident, &text) {
            let id = match &reference.id {
                crate::servicenow::ticket::TicketId::SysId(id) => id.as_str().to_string(),
                crate::servicenow::ticket::TicketId::Number(number) => number.as_str().to_string(),
            };
            prop_assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id:?}");
        }
        if let Some(number) = TicketNumber::parse(&text) {
            prop_assert!(query_value_problem(number.as_str()).is_none());
        }
        if let Some(name) = Name::parse(&text) {
            prop_assert!(name.as_str().bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
        }
    }

    #[test]
    fn an_accepted_query_value_adds_exactly_one_condition(value in ".{0,40}") {
        let query = Query::default().eq("correlation_id", &value).eq("correlation_display", "x");
        match query.checked() {
            Ok(encoded) => {
                prop_assert!(query_value_problem(&value).is_none());
                prop_assert_eq!(encoded.matches('^').count(), 1);
            }
            Err(_) => prop_assert!(query_value_problem(&value).is_some()),
        }
    }

    #[test]
    fn request_paths_never_carry_the_query(path in "[a-z/_]{0,20}", query in ".{0,20}") {
        let request = Request::new(Method::Get, format!("https://dev1.service-now.com/{path}?{query}"));
        prop_assert!(!request.path().contains('?'));
        prop_assert!(request.path().starts_with('/'));
    }
}

/// Found by fuzzing (`platform_input`): a "secret" that is a word of the error message itself
/// is not a leak; one that is shown because it is the secret is.
#[test]
fn a_secret_that_is_an_ordinary_word_is_not_a_leak() {
    let raw = RawSettings::bare("sz4\u{fffd}n44?/?%://", "", "nstance ");
    let error = Settings::validate(raw.clone()).unwrap_err();
    assert!(error.message.contains("nstance "));
    assert!(!error_shows_secret(&raw, &error));
    // Nor one that is a word of the message about its own shape.
    let raw = RawSettings::bare("dev1", "id", " Client ");
    let error = Settings::validate(raw.clone()).unwrap_err();
    assert!(error.message.contains(" Client "));
    assert!(!error_shows_secret(&raw, &error));
}
