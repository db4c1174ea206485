//! What the built component asks of its sandbox.

use ticketing_host::api::{
    Candidate, CheckStatus, ErrorKind, FieldKind, ProviderInfo, Setting, SettingField,
    SettingValue, Ticket, TicketCategory,
};
use ticketing_host::{Host, Secret};

use support::{client_secret, configured, create, host, open, secret, settings, setup};

#[test]
fn imports_only_http_and_what_std_needs() {
    let imports = host().component_imports();
    assert!(
        imports
            .iter()
            .any(|i| i.starts_with("wasi:http/outgoing-handler@")),
        "{imports:?}"
    );
    for import in &imports {
        assert!(
            !import.starts_with("wasi:filesystem") && !import.starts_with("wasi:sockets"),
            "the component imports {import}"
        );
        let allowed = [
            "wasi:http/",
            "wasi:io/",
            "wasi:clocks/",
            "wasi:cli/",
            "wasi:random/",
            "cxm:ticketing/types@",
            "cxm:ticketing/secrets@",
            "cxm:ticketing/log@",
        ];
        assert!(
            allowed.iter().any(|p| import.starts_with(p)),
            "unexpected import {import}"
        );
    }
}

/// A platform may hold the component as bytes rather than a file.
#[tokio::test]
async fn the_component_loads_from_bytes_too() {
    let bytes = std::fs::read(component_artifact::component_path()).unwrap();
    let loaded = Host::from_bytes(&bytes, support::limits()).unwrap();
    assert_eq!(loaded.component_imports(), host().component_imports());
    let sim = support::instance().await;
    let tenant = configured(&loaded, "from-bytes", &sim, &settings(&sim)).await;
    assert_eq!(tenant.allowed_origin(), Some(sim.base_url().as_str()));
}

/// The values a platform sends for what the admin typed by label: each typed field by key,
/// secrets apart; one ticket category of the first kind; every other field that applies is
/// optional.
fn fill_in(
    info: &ProviderInfo,
    typed: &[(&str, String)],
    kind: &str,
    applies: &dyn Fn(&&SettingField) -> bool,
) -> (Vec<Setting>, Vec<Secret>) {
    let mut settings = Vec::new();
    let mut secrets = Vec::new();
    for field in &info.settings {
        match (
            field.kind,
            typed.iter().find(|(label, _)| *label == field.label),
        ) {
            (FieldKind::Secret, Some((_, value))) => secrets.push(Secret::new(&field.key, value)),
            (_, Some((_, value))) => settings.push(Setting::text(&field.key, value)),
            (FieldKind::TicketCategories, None) => settings.push(Setting {
                key: field.key.clone(),
                value: SettingValue::TicketCategories(vec![TicketCategory::new(
                    "cost-optimization",
                    kind,
                    true,
                )]),
            }),
            (_, None) => assert!(
                !field.required || !applies(&field),
                "{} is required",
                field.label
            ),
        }
    }
    (settings, secrets)
}

/// Configuring a fresh tenant without `field` is refused, naming its key.
async fn assert_a_missing_field_is_named(
    field: &SettingField,
    settings: &[Setting],
    secrets: &[Secret],
) {
    let settings: Vec<Setting> = settings
        .iter()
        .filter(|s| s.key != field.key)
        .cloned()
        .collect();
    let secrets: Vec<Secret> = secrets
        .iter()
        .filter(|s| s.key() != field.key)
        .cloned()
        .collect();
    let mut fresh = host().tenant("unaware-2").await.unwrap();
    let error = fresh
        .configure(&settings, &secrets)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidSettings);
    assert_eq!(
        error.field.as_deref(),
        Some(field.key.as_str()),
        "{}",
        error.message
    );
}

/// A platform that knows nothing of ServiceNow: it draws the form `describe` gives, the admin
/// fills it in by the labels they see, and the platform sends the values by key.
#[tokio::test]
async fn an_unaware_platform_drives_it_through_describe_and_generic_values() {
    let sim = support::instance().await;
    let mut tenant = host().tenant("unaware").await.unwrap();
    let info = tenant.describe().await.unwrap();
    assert_eq!(info.name, "ServiceNow");
    assert!(info.other_ticket_kinds);
    let kind = info.ticket_kinds[0].value.clone();

    // What the admin typed, by the label on the screen.
    let typed = [
        ("Subdomain", sim.base_url()),
        ("Client ID", sim.client_id()),
        ("Client Secret", sim.client_secret()),
    ];
    // The fields that apply: those of the sign-in method in force (its default here).
    let method = info
        .settings
        .iter()
        .find(|f| f.kind == FieldKind::AuthMethod)
        .and_then(|f| f.default.clone())
        .expect("a default way to sign in");
    let applies = |f: &&SettingField| f.auth_methods.is_empty() || f.auth_methods.contains(&method);
    let (settings, secrets) = fill_in(&info, &typed, &kind, &applies);
    assert_eq!((settings.len(), secrets.len()), (3, 1));
    tenant
        .configure(&settings, &secrets)
        .await
        .unwrap()
        .unwrap();
    assert!(tenant.test_connection().await.unwrap().passed);
    let written = create(
        &mut tenant,
        &Ticket {
            description: "i-0abc has been idle for 14 days".into(),
            ..Ticket::new("cost-optimization", "Idle VM")
        },
    )
    .await;
    assert_eq!(written.kind, kind);

    // Each required field left out is named by key, for the platform to mark.
    for field in info.settings.iter().filter(|f| f.required).filter(applies) {
        assert_a_missing_field_is_named(field, &settings, &secrets).await;
    }
}

#[tokio::test]
async fn validate_field_answers_as_the_admin_types() {
    let mut tenant = host().tenant("typing").await.unwrap();
    let text = |v: &str| SettingValue::Text(v.into());
    let ok = tenant
        .validate_field("instance", &text("dev12345"))
        .await
        .unwrap();
    assert_eq!(ok, Ok(()));
    let cases = [
        ("instance", text("http://dev1.service-now.com"), "https"),
        ("client_id", text("abc "), "whitespace"),
        ("client_secret", text(" s3cret-typed"), "whitespace"),
        ("default_priority", text("urgent"), "not one of"),
        ("ticket_categories", text("incident"), "list of rows"),
        (
            "unlisted_category_kind",
            text("Not A Table"),
            "ServiceNow table name",
        ),
    ];
    for (key, value, words) in cases {
        let error = tenant
            .validate_field(key, &value)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidSettings, "{key}");
        assert_eq!(error.field.as_deref(), Some(key));
        assert!(error.message.contains(words), "{key}: {}", error.message);
        assert!(!error.message.contains("s3cret-typed"));
    }
    let error = tenant
        .validate_field("colour", &text("red"))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        error.message.contains("\"colour\" is not a setting"),
        "{}",
        error.message
    );
}

/// The guide's order is Test Connection, then Save: the candidate is tested while the
/// settings in force keep serving, and nothing of the candidate stays behind.
#[tokio::test]
async fn test_connection_on_candidate_values_leaves_the_settings_in_force() {
    let (sim, mut tenant) = setup().await;
    open(&mut tenant, "cost-optimization", "still serving").await;
    let tokens_before = sim.token_requests();

    // A rotated secret, mistyped: the token check fails, the tenant is unharmed.
    let candidate = Candidate {
        settings: settings(&sim).values(),
        secrets: client_secret("rotated-but-wrong"),
    };
    let report = tenant.test_candidate(&candidate).await.unwrap().unwrap();
    assert!(!report.passed);
    let token = report.checks.iter().find(|c| c.id == "token").unwrap();
    assert_eq!(token.status, CheckStatus::Failed);
    open(&mut tenant, "cost-optimization", "still serving").await;

    // Another instance altogether, with no secret given: the one in force is used there,
    // and the tenant may reach that instance only for the test.
    let other = support::instance().await;
    other.set_credentials(&sim.client_id(), &sim.client_secret());
    let mut form = settings(&other);
    form.client_id = sim.client_id();
    let candidate = Candidate {
        settings: form.values(),
        secrets: vec![],
    };
    let report = tenant.test_candidate(&candidate).await.unwrap().unwrap();
    assert!(report.passed, "{report:#?}");
    assert_eq!(other.token_requests(), 1);
    assert_eq!(tenant.allowed_origin(), Some(sim.base_url().as_str()));
    let tokens_now = sim.token_requests();
    open(&mut tenant, "cost-optimization", "still serving").await;
    // The cached token in force survived both tests: no new grant for the next ticket.
    assert_eq!(sim.token_requests(), tokens_now);
    // The one grant in between was the wrong candidate secret's, refused.
    assert_eq!(tokens_now, tokens_before + 1);
    assert!(other.records("incident").is_empty());

    // An address the host refuses is the host's answer, before the component runs.
    let mut form = settings(&sim);
    form.instance = "https://169.254.169.254".into();
    let refused = tenant
        .test_candidate(&Candidate {
            settings: form.values(),
            secrets: secret(&sim),
        })
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(refused.kind, ErrorKind::BlockedByHost);
}
