//! The admin's values of the settings form ([`fields`](crate::settings::fields)), given by
//! key as a platform that knows nothing of ServiceNow holds them, mapped onto [`RawSettings`].
//! Every refusal names the field's key, so the platform can mark it in its dialog.

use crate::primitives::prelude::*;

use crate::primitives::sorted_map::SortedMap;

use crate::primitives::error::{Error, Result};
use crate::primitives::ids::{AssignmentGroup, ChangeTemplate};
use crate::servicenow::auth::{AuthMethod, Credentials};
use crate::servicenow::ticket_kind::{Priority, TicketKind, with_priorities};
use crate::settings::fields::{FIELDS, Field, FieldKind, field};
use crate::settings::key::{self, invalid};
use crate::settings::validated::{self, ClosedMatch, RawSettings, Settings, TicketCategory};
use crate::settings::writes::{self, WritePath, Writes};

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
    /// A standard change template, by name or sys_id; blank is none.
    pub template: Option<String>,
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
            FIELDS.iter().map(|f| f.key).collect::<Vec<_>>().join(", ")
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

fn text_list(field: &'static Field, value: Value) -> Result<Vec<String>> {
    match value {
        Value::TextList(lines) => Ok(lines),
        _ => Err(invalid(
            field.key,
            format!("the {} take a list of lines", field.label),
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
                    field
                        .choices
                        .iter()
                        .map(|c| c.value)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
}

macro_rules! priority_of_choice {
    ($($priority:ident = $number:literal, $impact_urgency:expr, $form:literal, $label:literal;)*) => {
        /// The priority chosen in the form (one of its choices: anything else is the middle).
        fn priority(value: &str) -> Priority {
            match value {
                $($form => Priority::$priority,)*
                _ => Priority::Moderate,
            }
        }
    };
}

with_priorities!(priority_of_choice);

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
                template: row.template.as_deref().and_then(ChangeTemplate::parse),
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
    let mut given = Given {
        settings: by_key(values.settings, false)?,
        secrets: by_key(values.secrets, true)?,
        in_force,
    };
    let instance = required(
        key::INSTANCE,
        given
            .take(key::INSTANCE)
            .map(|(f, v)| text(f, v))
            .transpose()?,
    )?;
    let auth_method = match given.take(key::AUTH_METHOD) {
        Some((f, v)) => choice_of(f, v)?
            .and_then(AuthMethod::parse)
            .unwrap_or_default(),
        None => AuthMethod::default(),
    };
    let client_id = given.credential(key::CLIENT_ID, auth_method)?;
    let username = given.credential(key::USERNAME, auth_method)?;
    let client_secret = given.secret(key::CLIENT_SECRET, auth_method)?;
    let password = given.secret(key::PASSWORD, auth_method)?;
    let api_key = given.secret(key::API_KEY, auth_method)?;
    let default_assignment_group = match given.take(key::DEFAULT_ASSIGNMENT_GROUP) {
        Some((f, v)) => group(f, v)?,
        None => None,
    };
    let default_priority = match given.take(key::DEFAULT_PRIORITY) {
        Some((f, v)) => choice_of(f, v)?.map(priority),
        None => None,
    };
    let ticket_categories = match given.take(key::TICKET_CATEGORIES) {
        Some((f, v)) => categories(f, v)?,
        None => Vec::new(),
    };
    let unlisted_category_kind = match given.take(key::UNLISTED_CATEGORY_KIND) {
        Some((f, v)) => unlisted_kind(f, v)?,
        None => None,
    };
    let on_closed_match = match given.take(key::ON_CLOSED_MATCH) {
        Some((f, v)) => match choice_of(f, v)? {
            Some("reopen") => ClosedMatch::Reopen,
            _ => ClosedMatch::OpenNew,
        },
        None => ClosedMatch::OpenNew,
    };
    let attachments = match given.take(key::ATTACHMENTS) {
        Some((f, v)) => flag(f, v)?,
        None => false,
    };
    let writes = writes(&mut given)?;
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
        writes,
    })
}

/// The write settings: CI links, the Change Management API, and the write path.
fn writes(given: &mut Given<'_>) -> Result<Writes> {
    let mut flag_of = |key| match given.take(key) {
        Some((f, v)) => flag(f, v),
        None => Ok(false),
    };
    let link_configuration_items = flag_of(key::LINK_CONFIGURATION_ITEMS)?;
    let change_management_api = flag_of(key::CHANGE_MANAGEMENT_API)?;
    let through_import_sets = match given.take(key::WRITE_PATH) {
        Some((f, v)) => choice_of(f, v)? == Some("import_set"),
        None => false,
    };
    let staging = match given.take(key::IMPORT_SET_TABLES) {
        Some((f, v)) => writes::staging_tables(&text_list(f, v)?)?,
        None => Vec::new(),
    };
    Ok(Writes {
        link_configuration_items,
        change_management_api,
        write_path: if through_import_sets {
            WritePath::ImportSet(staging)
        } else {
            WritePath::TableApi
        },
    })
}

/// The values the platform sent, by the form's keys, each taken once as it is read.
struct Given<'s> {
    settings: SortedMap<&'static str, Value>,
    secrets: SortedMap<&'static str, String>,
    /// The settings in force: a secret not sent again keeps its value.
    in_force: Option<&'s Settings>,
}

impl Given<'_> {
    fn take(&mut self, key: &'static str) -> Option<(&'static Field, Value)> {
        self.settings
            .remove(key)
            .map(|v| (field(key).expect("in the form"), v))
    }

    /// A credential field: required by the method it belongs to; another method's is not
    /// read.
    fn credential(&mut self, key: &'static str, method: AuthMethod) -> Result<String> {
        let value = self.take(key).map(|(f, v)| text(f, v)).transpose()?;
        if applies(key, method) {
            required(key, value)
        } else {
            Ok(String::new())
        }
    }

    /// A secret field: as sent, else the one in force; required by its method.
    fn secret(&mut self, key: &'static str, method: AuthMethod) -> Result<String> {
        let value = self.secrets.remove(key).or_else(|| {
            self.in_force
                .and_then(|s| secret_in_force(&s.credentials, key))
                .map(str::to_string)
        });
        if applies(key, method) {
            required(key, value)
        } else {
            Ok(String::new())
        }
    }
}

/// The values by the form's keys: unknown keys, a secret given as a setting (or the other way
/// round), and a key given twice are refused.
fn by_key<V>(pairs: Vec<(String, V)>, secret: bool) -> Result<SortedMap<&'static str, V>> {
    let mut by_key = SortedMap::default();
    for (key, value) in pairs {
        let field = known(&key, secret)?;
        if !by_key.insert(field.key, value) {
            return Err(invalid(
                field.key,
                format!("{:?} is given twice", field.key),
            ));
        }
    }
    Ok(by_key)
}

/// Whether a field is read for the authentication method: its own fields and the common ones.
fn applies(key: &str, method: AuthMethod) -> bool {
    field(key).is_some_and(|f| f.auth_methods.is_empty() || f.auth_methods.contains(&method.key()))
}

fn required(key: &'static str, value: Option<String>) -> Result<String> {
    value.ok_or_else(|| {
        let field = field(key).expect("in the form");
        invalid(key, format!("the {} is required", field.label))
            .with_remedy(crate::primitives::guide::ENTER_SETTINGS)
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
        key::ATTACHMENTS | key::LINK_CONFIGURATION_ITEMS | key::CHANGE_MANAGEMENT_API => {
            flag(field, value).map(drop)
        }
        key::IMPORT_SET_TABLES => writes::staging_tables(&text_list(field, value)?).map(drop),
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
mod tests;
