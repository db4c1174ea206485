//! The settings form's unit tests: values mapped onto the settings, and each refusal.

use super::*;
use crate::primitives::error::ErrorKind;

fn text(key: &str, value: &str) -> (String, Value) {
    (key.into(), Value::Text(value.into()))
}

fn values() -> Values {
    Values {
        settings: vec![
            text(key::INSTANCE, "dev12345"),
            text(key::CLIENT_ID, "id"),
            (
                key::TICKET_CATEGORIES.into(),
                Value::TicketCategories(vec![
                    CategoryValue {
                        event_category: "cost".into(),
                        kind: "incident".into(),
                        enabled: true,
                        template: None,
                    },
                    CategoryValue {
                        event_category: "finding".into(),
                        kind: "u_cost_finding".into(),
                        enabled: false,
                        template: None,
                    },
                ]),
            ),
            text(key::DEFAULT_PRIORITY, "high"),
            text(key::ON_CLOSED_MATCH, "reopen"),
        ],
        secrets: vec![(key::CLIENT_SECRET.into(), "s3cret-value".into())],
    }
}

#[test]
fn values_map_onto_the_settings() {
    let raw = raw_settings(values(), None).unwrap();
    assert_eq!(raw.instance, "dev12345");
    assert_eq!(raw.client_secret, "s3cret-value");
    assert_eq!(raw.default_priority, Some(Priority::High));
    assert_eq!(raw.on_closed_match, ClosedMatch::Reopen);
    assert_eq!(raw.ticket_categories[0].kind, TicketKind::Incident);
    assert_eq!(
        raw.ticket_categories[1].kind,
        TicketKind::Table(crate::primitives::ids::Name::known("u_cost_finding"))
    );
    Settings::validate(raw).unwrap();
}

#[test]
fn errors_name_the_field() {
    type Change = fn(&mut Values);
    let cases: [(Change, &str, &str); 6] = [
        (
            |v| v.settings.retain(|(k, _)| k != "instance"),
            "instance",
            "Subdomain is required",
        ),
        (
            |v| v.secrets.clear(),
            "client_secret",
            "Client Secret is required",
        ),
        (
            |v| v.settings.push(text(key::DEFAULT_PRIORITY, "urgent")),
            "default_priority",
            "given twice",
        ),
        (
            |v| v.settings[3] = text(key::DEFAULT_PRIORITY, "urgent"),
            "default_priority",
            "\"urgent\" is not one of: critical, high, moderate, low, planning",
        ),
        (
            |v| v.settings.push((key::CLIENT_ID.into(), Value::Flag(true))),
            "client_id",
            "",
        ),
        (
            |v| v.secrets.push((key::INSTANCE.into(), "x".into())),
            "instance",
            "is a setting, not a secret",
        ),
    ];
    for (change, field, words) in cases {
        let mut v = values();
        change(&mut v);
        let err = raw_settings(v, None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidSettings);
        assert_eq!(err.field, Some(field), "{}", err.message);
        assert!(err.message.contains(words), "{}", err.message);
    }
    let mut v = values();
    v.settings.push(text("client_secret_typo", "x"));
    let err = raw_settings(v, None).unwrap_err();
    assert_eq!(err.field, None);
    assert!(
        err.message
            .contains("\"client_secret_typo\" is not a setting")
    );
}

#[test]
fn a_missing_secret_is_the_one_in_force() {
    let in_force = Settings::validate(raw_settings(values(), None).unwrap()).unwrap();
    let mut v = values();
    v.secrets.clear();
    let raw = raw_settings(v, Some(&in_force)).unwrap();
    assert_eq!(raw.client_secret, "s3cret-value");
}

#[test]
fn validate_field_checks_one_value() {
    let ok = |k: &str, v: &str| validate_field(k, Value::Text(v.into()));
    ok(key::INSTANCE, "dev12345").unwrap();
    assert_eq!(
        ok(key::INSTANCE, "http://dev1.service-now.com")
            .unwrap_err()
            .field,
        Some("instance")
    );
    assert!(
        ok(key::CLIENT_ID, " id")
            .unwrap_err()
            .message
            .contains("whitespace")
    );
    let err = ok(key::CLIENT_SECRET, "s3cret ").unwrap_err();
    assert!(!err.message.contains("s3cret"));
    ok(key::DEFAULT_ASSIGNMENT_GROUP, "").unwrap();
    assert!(ok(key::DEFAULT_ASSIGNMENT_GROUP, "a^b").is_err());
    assert!(ok(key::UNLISTED_CATEGORY_KIND, "Not A Table").is_err());
    ok(key::UNLISTED_CATEGORY_KIND, "sc_task").unwrap();
    assert!(ok(key::ON_CLOSED_MATCH, "maybe").is_err());
    assert!(ok("nope", "x").is_err());
}

#[test]
fn a_method_reads_and_requires_only_its_own_fields() {
    let basic = || Values {
        settings: vec![
            text(key::INSTANCE, "dev12345"),
            text(key::AUTH_METHOD, "basic"),
            text(key::USERNAME, "cxm_integration"),
        ],
        secrets: vec![(key::PASSWORD.into(), "pa55-word".into())],
    };
    let raw = raw_settings(basic(), None).unwrap();
    assert_eq!(raw.auth_method, AuthMethod::Basic);
    assert_eq!(
        (raw.username.as_str(), raw.password.as_str()),
        ("cxm_integration", "pa55-word")
    );
    assert!(raw.client_id.is_empty());
    Settings::validate(raw).unwrap();

    let mut v = basic();
    v.secrets.clear();
    let err = raw_settings(v, None).unwrap_err();
    assert_eq!(err.field, Some(key::PASSWORD));
    assert!(
        err.message.contains("Password is required"),
        "{}",
        err.message
    );

    let mut v = basic();
    v.settings[1] = text(key::AUTH_METHOD, "kerberos");
    assert_eq!(
        raw_settings(v, None).unwrap_err().field,
        Some(key::AUTH_METHOD)
    );

    // The admin switches to an API key: the key is what is required now.
    let v = Values {
        settings: vec![
            text(key::INSTANCE, "dev12345"),
            text(key::AUTH_METHOD, "api_key"),
        ],
        secrets: vec![],
    };
    assert_eq!(raw_settings(v, None).unwrap_err().field, Some(key::API_KEY));
}

#[test]
fn secrets_stay_out_of_debug() {
    assert!(!format!("{:?}", values()).contains("s3cret"));
}

#[test]
fn the_write_settings_map_and_are_checked_against_the_categories() {
    let with = |extra: Vec<(String, Value)>| {
        let mut given = values();
        given.settings.extend(extra);
        raw_settings(given, None).and_then(Settings::validate)
    };
    let defaults = with(vec![]).unwrap();
    assert_eq!(defaults.writes, Writes::default());

    let flags = with(vec![
        (key::LINK_CONFIGURATION_ITEMS.into(), Value::Flag(true)),
        (key::CHANGE_MANAGEMENT_API.into(), Value::Flag(true)),
    ])
    .unwrap();
    assert!(flags.writes.link_configuration_items && flags.writes.change_management_api);

    let staging = |lines: &[&str]| {
        (
            key::IMPORT_SET_TABLES.into(),
            Value::TextList(lines.iter().map(|l| (*l).to_string()).collect()),
        )
    };
    let import = with(vec![
        text(key::WRITE_PATH, "import_set"),
        staging(&["incident=u_cxm_incident_import"]),
    ])
    .unwrap();
    assert_eq!(
        import
            .writes
            .staging_table(&TicketKind::Incident)
            .map(|t| t.as_str()),
        Some("u_cxm_incident_import")
    );
    // The enabled category's kind has no staging table.
    let error = with(vec![
        text(key::WRITE_PATH, "import_set"),
        staging(&["problem=u_cxm_problem_import"]),
    ])
    .unwrap_err();
    assert_eq!(error.field, Some(key::IMPORT_SET_TABLES));
    assert!(
        error.message.contains("incident=<staging table>"),
        "{}",
        error.message
    );
    // The Table API ignores the list, but a malformed one is still refused.
    let error = with(vec![staging(&["incident"])]).unwrap_err();
    assert_eq!(error.field, Some(key::IMPORT_SET_TABLES));
    let error = with(vec![text(key::IMPORT_SET_TABLES, "incident=x")]).unwrap_err();
    assert!(error.message.contains("list of lines"), "{}", error.message);
    for (key, value) in [
        (key::LINK_CONFIGURATION_ITEMS, Value::Flag(true)),
        (key::WRITE_PATH, Value::Text("import_set".into())),
        (
            key::IMPORT_SET_TABLES,
            Value::TextList(vec!["incident=u_x".into()]),
        ),
    ] {
        assert_eq!(validate_field(key, value), Ok(()), "{key}");
    }
    let error = validate_field(key::IMPORT_SET_TABLES, Value::TextList(vec!["x".into()]));
    assert!(error.is_err());
}

#[test]
fn changes_through_the_change_management_api_need_no_staging_table() {
    let mut given = values();
    given.settings.push(text(key::WRITE_PATH, "import_set"));
    given.settings.push((
        key::IMPORT_SET_TABLES.into(),
        Value::TextList(vec!["incident=u_cxm_incident_import".into()]),
    ));
    let with_template = |template: Option<&str>, api: bool| {
        let mut given = given.clone();
        let Value::TicketCategories(rows) = &mut given.settings[2].1 else {
            panic!("the categories are the third setting")
        };
        rows.push(CategoryValue {
            event_category: "resize".into(),
            kind: "change_request".into(),
            enabled: true,
            template: template.map(Into::into),
        });
        given
            .settings
            .push((key::CHANGE_MANAGEMENT_API.into(), Value::Flag(api)));
        raw_settings(given, None).and_then(Settings::validate)
    };
    assert!(with_template(Some("Resize a cloud database"), false).is_ok());
    assert!(with_template(None, true).is_ok());
    let error = with_template(None, false).unwrap_err();
    assert!(
        error.message.contains("change_request=<staging table>"),
        "{}",
        error.message
    );
}
