//! The settings form this provider describes (`describe`), and the admin's values, given by
//! key as a platform that knows nothing of ServiceNow holds them, mapped onto [`RawSettings`].
//! Every refusal names the field's key, so the platform can mark it in its dialog.

use crate::primitives::prelude::*;

use crate::primitives::sorted_map::SortedMap;

use crate::primitives::error::{Error, Result};
use crate::primitives::ids::AssignmentGroup;
use crate::servicenow::auth::{AuthMethod, Credentials};
use crate::servicenow::ticket_kind::{Priority, TicketKind};
use crate::settings::key::{self, invalid};
use crate::settings::validated::{self, ClosedMatch, RawSettings, Settings, TicketCategory};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Address,
    Secret,
    Choice,
    AuthMethod,
    TicketCategories,
    Flag,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub help: Option<&'static str>,
}

const fn choice(value: &'static str, label: &'static str) -> Choice {
    Choice {
        value,
        label,
        help: None,
    }
}

/// One field of the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub help: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    pub default: Option<&'static str>,
    pub choices: &'static [Choice],
    /// The auth methods it belongs to; empty: all of them.
    pub auth_methods: &'static [&'static str],
}

const FIELD: Field = Field {
    key: "",
    label: "",
    help: "",
    kind: FieldKind::Text,
    required: false,
    default: None,
    choices: &[],
    auth_methods: &[],
};

/// The kinds of ticket named in the form; any other ServiceNow table may be named too.
pub const TICKET_KINDS: &[Choice] = &[
    Choice {
        value: "incident",
        label: "Incident",
        help: Some("An unplanned interruption or reduction in quality of a service."),
    },
    Choice {
        value: "change_request",
        label: "Change Request",
        help: Some("A planned change, for example a cost-optimisation action."),
    },
    Choice {
        value: "problem",
        label: "Problem",
        help: Some("The cause of one or more incidents."),
    },
];

const PRIORITIES: &[Choice] = &[
    choice("critical", "1 - Critical"),
    choice("high", "2 - High"),
    choice("moderate", "3 - Moderate"),
    choice("low", "4 - Low"),
    choice("planning", "5 - Planning"),
];

const AUTH_METHODS: &[Choice] = &[
    Choice {
        value: "client_credentials",
        label: "OAuth 2.0 Client Credentials",
        help: Some(
            "The setup guide's method: an OAuth application with Default Grant Type Client \
             Credentials. Washington DC (2024) or later.",
        ),
    },
    Choice {
        value: "password",
        label: "OAuth 2.0 Password Grant",
        help: Some(
            "For instances before Washington DC: an OAuth application plus the integration \
             user's name and password.",
        ),
    },
    Choice {
        value: "basic",
        label: "Basic Authentication",
        help: Some("The integration user's name and password on every request."),
    },
    Choice {
        value: "api_key",
        label: "REST API Key",
        help: Some(
            "A REST API Key (x-sn-apikey) with a REST API Access Policy for the Table API. \
             Washington DC or later.",
        ),
    },
];

const OAUTH: &[&str] = &["client_credentials", "password"];
const USER: &[&str] = &["password", "basic"];

const CLOSED_MATCHES: &[Choice] = &[
    Choice {
        value: "open_new",
        label: "Open a new ticket",
        help: Some("The new ticket names the closed one."),
    },
    Choice {
        value: "reopen",
        label: "Reopen the closed ticket",
        help: Some("Reopens it and adds a work note."),
    },
];

/// The form, in the order of the setup guide's dialog ("Enter ServiceNow Configuration",
/// then the additional settings).
pub const FIELDS: &[Field] = &[
    Field {
        key: key::INSTANCE,
        label: "Subdomain",
        help: "Your ServiceNow instance subdomain (e.g., dev12345 for dev12345.service-now.com). \
               For ServiceNow.com instances: Enter only the subdomain (e.g., dev12345). For \
               on-premise instances: Enter your full instance URL.",
        kind: FieldKind::Address,
        required: true,
        ..FIELD
    },
    Field {
        key: key::AUTH_METHOD,
        label: "Authentication",
        help: "How the integration signs in. Client Credentials grant type is only available in \
               ServiceNow Washington DC release (2024) or later; earlier instances use the \
               password grant or Basic authentication.",
        kind: FieldKind::AuthMethod,
        default: Some("client_credentials"),
        choices: AUTH_METHODS,
        ..FIELD
    },
    Field {
        key: key::CLIENT_ID,
        label: "Client ID",
        help: "The Client ID from the OAuth application you created.",
        required: true,
        auth_methods: OAUTH,
        ..FIELD
    },
    Field {
        key: key::CLIENT_SECRET,
        label: "Client Secret",
        help: "The Client Secret from the OAuth application.",
        kind: FieldKind::Secret,
        required: true,
        auth_methods: OAUTH,
        ..FIELD
    },
    Field {
        key: key::USERNAME,
        label: "User Name",
        help: "The integration user's User ID (e.g., cxm_integration), with the rest_service \
               and itil roles.",
        required: true,
        auth_methods: USER,
        ..FIELD
    },
    Field {
        key: key::PASSWORD,
        label: "Password",
        help: "The integration user's password.",
        kind: FieldKind::Secret,
        required: true,
        auth_methods: USER,
        ..FIELD
    },
    Field {
        key: key::API_KEY,
        label: "API Key",
        help: "The Token of the REST API Key record (System Web Services > API Access \
               Policies > REST API Key).",
        kind: FieldKind::Secret,
        required: true,
        auth_methods: &["api_key"],
        ..FIELD
    },
    Field {
        key: key::DEFAULT_ASSIGNMENT_GROUP,
        label: "Default Assignment Group",
        help: "The ServiceNow group that will receive automated tickets (its name or sys_id).",
        ..FIELD
    },
    Field {
        key: key::DEFAULT_PRIORITY,
        label: "Default Priority",
        help: "The default priority level for created tickets.",
        kind: FieldKind::Choice,
        choices: PRIORITIES,
        ..FIELD
    },
    Field {
        key: key::TICKET_CATEGORIES,
        label: "Ticket Categories",
        help: "Configure which types of events should create ServiceNow tickets, and of which \
               kind (incident, change_request, problem, or any table name).",
        kind: FieldKind::TicketCategories,
        ..FIELD
    },
    Field {
        key: key::UNLISTED_CATEGORY_KIND,
        label: "Other Event Categories",
        help: "The kind of ticket for events whose category is not listed above; empty skips \
               them.",
        kind: FieldKind::Choice,
        choices: TICKET_KINDS,
        ..FIELD
    },
    Field {
        key: key::ON_CLOSED_MATCH,
        label: "When the Matching Ticket Is Closed",
        help: "What happens to an event whose only earlier ticket is closed.",
        kind: FieldKind::Choice,
        default: Some("open_new"),
        choices: CLOSED_MATCHES,
        ..FIELD
    },
    Field {
        key: key::ATTACHMENTS,
        label: "Attachments",
        help: "Attach the platform's evidence (cost reports, graphs) to tickets through the \
               Attachment API; when off, no file is attached. When on, Test Connection also \
               checks that API's auth scope: \
               \"If you need access to additional APIs (e.g., Import API, Attachment API), \
               create additional scopes as needed.\"",
        kind: FieldKind::Flag,
        default: Some("false"),
        ..FIELD
    },
];

fn field(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

/// A value as the platform gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    TextList(Vec<String>),
    Flag(bool),
    TicketCategories(Vec<CategoryValue>),
}

/// A row of the ticket categories, its kind still a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CategoryValue {
    pub event_category: String,
    pub kind: String,
    pub enabled: bool,
}

/// The admin's values by key, and the secrets apart.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Values {
    pub settings: Vec<(String, Value)>,
    pub secrets: Vec<(String, String)>,
}

impl core::fmt::Debug for Values {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let secrets: Vec<&str> = self.secrets.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Values")
            .field("settings", &self.settings)
            .field("secrets (keys only)", &secrets)
            .finish()
    }
}

/// The form's field for a key the platform sent; unknown keys are refused by name (a typo in
/// a settings file must not silently drop a setting).
fn known(key: &str, secret: bool) -> Result<&'static Field> {
    match field(key) {
        Some(f) if (f.kind == FieldKind::Secret) == secret => Ok(f),
        Some(f) if secret => Err(invalid(
            f.key,
            format!(
                "{:?} is a setting, not a secret: send it with the settings",
                f.key
            ),
        )),
        Some(f) => Err(invalid(
            f.key,
            format!(
                "{:?} is a secret: send it with the secrets, apart from the settings",
                f.key
            ),
        )),
        None => Err(Error::invalid_settings(format!(
            "{} is not a setting of the ServiceNow provider (its settings: {})",
            quoted(key),
            join(&FIELDS.iter().map(|f| f.key).collect::<Vec<_>>(), ", ")
        ))),
    }
}

/// A key or value from the platform in a message: quoted, cut, printable.
fn quoted(text: &str) -> String {
    crate::primitives::text::quoted(text, 64)
}

fn text(field: &'static Field, value: Value) -> Result<String> {
    match value {
        Value::Text(text) => Ok(text),
        _ => Err(invalid(
            field.key,
            format!("the {} takes text", field.label),
        )),
    }
}

fn flag(field: &'static Field, value: Value) -> Result<bool> {
    match value {
        Value::Flag(flag) => Ok(flag),
        _ => Err(invalid(
            field.key,
            format!("the {} setting takes yes or no (a flag)", field.label),
        )),
    }
}

/// Text, with nothing but spaces meaning "not given".
fn optional_text(field: &'static Field, value: Value) -> Result<Option<String>> {
    let text = text(field, value)?;
    Ok((!text.trim().is_empty()).then_some(text))
}

fn chosen(field: &'static Field, value: &str) -> Result<&'static str> {
    field
        .choices
        .iter()
        .find(|c| c.value == value)
        .map(|c| c.value)
        .ok_or_else(|| {
            invalid(
                field.key,
                format!(
                    "the {} {} is not one of: {}",
                    field.label,
                    quoted(value),
                    join(
                        &field.choices.iter().map(|c| c.value).collect::<Vec<_>>(),
                        ", "
                    )
                ),
            )
        })
}

fn priority(value: &str) -> Priority {
    match value {
        "critical" => Priority::Critical,
        "high" => Priority::High,
        "low" => Priority::Low,
        "planning" => Priority::Planning,
        _ => Priority::Moderate,
    }
}

/// A ticket kind by name: one of the named kinds or any ServiceNow table name.
pub fn ticket_kind(name: &str) -> Option<TicketKind> {
    crate::primitives::ids::Name::parse(name).map(|table| TicketKind::for_table(&table))
}

fn not_a_table(key: &'static str, name: &str, whose: &str) -> Error {
    invalid(
        key,
        format!(
            "the ticket kind {} for {whose} is not incident, change_request, problem or a \
             ServiceNow table name (lower-case letters, digits and underscores)",
            quoted(name)
        ),
    )
}

fn categories(field: &'static Field, value: Value) -> Result<Vec<TicketCategory>> {
    let Value::TicketCategories(rows) = value else {
        return Err(invalid(
            field.key,
            format!("the {} take a list of rows", field.label),
        ));
    };
    let rows = rows
        .into_iter()
        .map(|row| {
            let kind = ticket_kind(&row.kind).ok_or_else(|| {
                not_a_table(
                    field.key,
                    &row.kind,
                    &format!("the event category {}", quoted(&row.event_category)),
                )
            })?;
            Ok(TicketCategory {
                event_category: row.event_category,
                kind,
                enabled: row.enabled,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    validated::validate_categories(rows)
}

/// The default assignment group, if one is given.
fn group(field: &'static Field, value: Value) -> Result<Option<AssignmentGroup>> {
    optional_text(field, value)?
        .map(|name| {
            AssignmentGroup::parse(&name)
                .ok_or_else(|| invalid(field.key, format!("the {} is empty", field.label)))
        })
        .transpose()
}

/// The kind of ticket for unlisted event categories, if one is given.
fn unlisted_kind(field: &'static Field, value: Value) -> Result<Option<TicketKind>> {
    optional_text(field, value)?
        .map(|name| {
            ticket_kind(&name)
                .ok_or_else(|| not_a_table(field.key, &name, "event categories not listed"))
        })
        .transpose()
}

/// One of the field's choices, if one is given.
fn choice_of(field: &'static Field, value: Value) -> Result<Option<&'static str>> {
    optional_text(field, value)?
        .map(|value| chosen(field, &value))
        .transpose()
}

/// The settings the values describe. A secret not given is `in_force`'s, if there is one
/// (the admin changed another field and left the secret as it was).
pub fn raw_settings(values: Values, in_force: Option<&Settings>) -> Result<RawSettings> {
    let mut given: SortedMap<&'static str, Value> = SortedMap::default();
    for (key, value) in values.settings {
        let field = known(&key, false)?;
        if !given.insert(field.key, value) {
            return Err(invalid(
                field.key,
                format!("{:?} is given twice", field.key),
            ));
        }
    }
    let mut secrets: SortedMap<&'static str, String> = SortedMap::default();
    for (key, value) in values.secrets {
        let field = known(&key, true)?;
        if !secrets.insert(field.key, value) {
            return Err(invalid(
                field.key,
                format!("{:?} is given twice", field.key),
            ));
        }
    }
    let mut take = |key: &'static str| {
        given
            .remove(key)
            .map(|v| (field(key).expect("in the form"), v))
    };

    let required = |key: &'static str, value: Option<String>| {
        value.ok_or_else(|| {
            let field = field(key).expect("in the form");
            invalid(key, format!("the {} is required", field.label))
                .with_remedy(crate::primitives::guide::ENTER_SETTINGS)
        })
    };
    let instance = required(
        key::INSTANCE,
        take(key::INSTANCE).map(|(f, v)| text(f, v)).transpose()?,
    )?;
    let auth_method = match take(key::AUTH_METHOD) {
        Some((f, v)) => choice_of(f, v)?
            .and_then(AuthMethod::parse)
            .unwrap_or_default(),
        None => AuthMethod::default(),
    };
    let applies = |key: &str| {
        field(key).is_some_and(|f| {
            f.auth_methods.is_empty() || f.auth_methods.contains(&auth_method.key())
        })
    };
    // The method's own fields are required; another method's are not read.
    let mut credential = |key: &'static str| -> Result<String> {
        let value = take(key).map(|(f, v)| text(f, v)).transpose()?;
        if applies(key) {
            required(key, value)
        } else {
            Ok(String::new())
        }
    };
    let client_id = credential(key::CLIENT_ID)?;
    let username = credential(key::USERNAME)?;
    let mut secret = |key: &'static str| -> Result<String> {
        let value = secrets.remove(key).or_else(|| {
            in_force
                .and_then(|s| secret_in_force(&s.credentials, key))
                .map(str::to_string)
        });
        if applies(key) {
            required(key, value)
        } else {
            Ok(String::new())
        }
    };
    let client_secret = secret(key::CLIENT_SECRET)?;
    let password = secret(key::PASSWORD)?;
    let api_key = secret(key::API_KEY)?;
    let default_assignment_group = match take(key::DEFAULT_ASSIGNMENT_GROUP) {
        Some((f, v)) => group(f, v)?,
        None => None,
    };
    let default_priority = match take(key::DEFAULT_PRIORITY) {
        Some((f, v)) => choice_of(f, v)?.map(priority),
        None => None,
    };
    let ticket_categories = match take(key::TICKET_CATEGORIES) {
        Some((f, v)) => categories(f, v)?,
        None => Vec::new(),
    };
    let unlisted_category_kind = match take(key::UNLISTED_CATEGORY_KIND) {
        Some((f, v)) => unlisted_kind(f, v)?,
        None => None,
    };
    let on_closed_match = match take(key::ON_CLOSED_MATCH) {
        Some((f, v)) => match choice_of(f, v)? {
            Some("reopen") => ClosedMatch::Reopen,
            _ => ClosedMatch::OpenNew,
        },
        None => ClosedMatch::OpenNew,
    };
    let attachments = match take(key::ATTACHMENTS) {
        Some((f, v)) => flag(f, v)?,
        None => false,
    };
    Ok(RawSettings {
        instance,
        auth_method,
        client_id,
        client_secret,
        username,
        password,
        api_key,
        default_assignment_group,
        default_priority,
        ticket_categories,
        unlisted_category_kind,
        on_closed_match,
        attachments,
    })
}

/// One value checked as the admin types it: the checks `configure` makes of that field
/// alone, without network.
pub fn validate_field(key: &str, value: Value) -> Result<()> {
    let field = field(key).ok_or_else(|| {
        Error::invalid_settings(format!(
            "{} is not a setting of the ServiceNow provider",
            quoted(key)
        ))
    })?;
    match field.key {
        key::INSTANCE => validated::parse_instance(&text(field, value)?).map(drop),
        key::CLIENT_ID | key::CLIENT_SECRET | key::USERNAME | key::PASSWORD | key::API_KEY => {
            validated::credential(field.key, field.label, &text(field, value)?).map(drop)
        }
        key::DEFAULT_ASSIGNMENT_GROUP => match group(field, value)? {
            Some(group) => validated::check_default_group(&group),
            None => Ok(()),
        },
        key::TICKET_CATEGORIES => categories(field, value).map(drop),
        key::ATTACHMENTS => flag(field, value).map(drop),
        key::UNLISTED_CATEGORY_KIND => unlisted_kind(field, value).map(drop),
        _ => choice_of(field, value).map(drop),
    }
}

/// The value in force of a secret field of the form, if this method has it.
fn secret_in_force<'a>(credentials: &'a Credentials, key: &str) -> Option<&'a str> {
    match (credentials, key) {
        (
            Credentials::ClientCredentials { client_secret, .. }
            | Credentials::Password { client_secret, .. },
            key::CLIENT_SECRET,
        ) => Some(client_secret.expose()),
        (
            Credentials::Password { password, .. } | Credentials::Basic { password, .. },
            key::PASSWORD,
        ) => Some(password.expose()),
        (Credentials::ApiKey { key }, key::API_KEY) => Some(key.value()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
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
                        },
                        CategoryValue {
                            event_category: "finding".into(),
                            kind: "u_cost_finding".into(),
                            enabled: false,
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
    fn the_form_is_consistent() {
        let mut keys: Vec<&str> = FIELDS.iter().map(|f| f.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), FIELDS.len(), "keys are unique");
        for f in FIELDS {
            let chooses = matches!(f.kind, FieldKind::Choice | FieldKind::AuthMethod);
            assert_eq!(chooses, !f.choices.is_empty(), "{}", f.key);
            match (f.kind, f.default) {
                (FieldKind::Flag, default) => {
                    assert!(matches!(default, Some("true" | "false")), "{}", f.key)
                }
                (_, Some(default)) => {
                    assert!(f.choices.iter().any(|c| c.value == default), "{}", f.key)
                }
                (_, None) => {}
            }
        }
        assert_eq!(
            FIELDS
                .iter()
                .filter(|f| f.kind == FieldKind::Address)
                .count(),
            1,
            "the host confines egress to the one address field"
        );
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
}
