//! The admin's settings: validated once at configure time, so every later call can trust them.

use crate::primitives::prelude::*;

use core::fmt;

use crate::primitives::error::{Error, Result};
use crate::primitives::guide;
use crate::primitives::ids::{AssignmentGroup, ChangeTemplate, Name};
use crate::primitives::secret::Secret;
use crate::primitives::sorted_map::SortedMap;
use crate::servicenow::auth::{AuthMethod, Credentials};
use crate::servicenow::ticket_kind::{Priority, TicketKind};
use crate::settings::key;
use crate::settings::writes::Writes;
use instance_address::InstanceUrl;

/// What create-ticket does when the only ticket with the event's correlation id is closed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClosedMatch {
    /// Open a new ticket that names the closed one.
    #[default]
    OpenNew,
    /// Reopen the closed ticket.
    Reopen,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketCategory {
    pub event_category: String,
    pub kind: TicketKind,
    pub enabled: bool,
    /// The standard change template its change requests are opened from.
    pub template: Option<ChangeTemplate>,
}

/// The settings as typed by the admin, before validation.
#[derive(Clone, PartialEq, Eq)]
pub struct RawSettings {
    pub instance: String,
    pub auth_method: AuthMethod,
    /// Each method reads only its own credentials; the others may hold anything.
    pub client_id: String,
    pub client_secret: String,
    pub username: String,
    pub password: String,
    pub api_key: String,
    pub default_assignment_group: Option<AssignmentGroup>,
    pub default_priority: Option<Priority>,
    pub ticket_categories: Vec<TicketCategory>,
    pub unlisted_category_kind: Option<TicketKind>,
    pub on_closed_match: ClosedMatch,
    /// Whether the integration attaches files; Test Connection then checks the Attachment
    /// API too.
    pub attachments: bool,
    pub writes: Writes,
}

impl RawSettings {
    /// Only what is required: no group, no default priority, no categories.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn bare(instance: &str, client_id: &str, secret: &str) -> Self {
        Self {
            instance: instance.into(),
            auth_method: AuthMethod::ClientCredentials,
            client_id: client_id.into(),
            client_secret: secret.into(),
            username: String::new(),
            password: String::new(),
            api_key: String::new(),
            default_assignment_group: None,
            default_priority: None,
            ticket_categories: vec![],
            unlisted_category_kind: None,
            on_closed_match: ClosedMatch::OpenNew,
            attachments: false,
            writes: Writes::default(),
        }
    }
}

/// Whether an error about `raw` shows its secret: the message is compared with the one the
/// same settings get with another secret, so text that merely happens to contain the secret
/// (a word of the message, the instance's host) does not count. For tests and fuzzing.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn error_shows_secret(raw: &RawSettings, error: &Error) -> bool {
    // Another secret of the same shape (its spaces and control characters where they were),
    // so the same checks fail for it.
    let same_shape = |secret: &str| -> String {
        secret
            .chars()
            .map(|c| {
                if c.is_whitespace() || c.is_control() {
                    c
                } else {
                    'Q'
                }
            })
            .collect()
    };
    let secrets: [fn(&mut RawSettings) -> &mut String; 3] = [
        |r| &mut r.client_secret,
        |r| &mut r.password,
        |r| &mut r.api_key,
    ];
    secrets.into_iter().any(|field| {
        let secret = field(&mut raw.clone()).clone();
        if secret.chars().count() < 4 || !error.message.contains(&secret) {
            return false;
        }
        let mut other = raw.clone();
        *field(&mut other) = same_shape(&secret);
        match Settings::validate(other) {
            Err(again) => !again.message.contains(&secret),
            Ok(_) => true,
        }
    })
}

impl fmt::Debug for RawSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawSettings")
            .field("instance", &self.instance)
            .field("auth_method", &self.auth_method)
            .field("client_id", &self.client_id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// [`InstanceUrl::parse`], refusing as invalid settings with the guide's remedy.
pub fn parse_instance(input: &str) -> Result<InstanceUrl> {
    InstanceUrl::parse(input).map_err(|e| {
        Error::invalid_settings(e.to_string())
            .with_remedy(guide::INSTANCE_ADDRESS)
            .with_field(key::INSTANCE)
    })
}

/// Settings that passed validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub instance: InstanceUrl,
    /// `{instance}/oauth_token.do`, made once at configure.
    pub token_url: String,
    pub credentials: Credentials,
    pub default_assignment_group: Option<AssignmentGroup>,
    pub default_priority: Option<Priority>,
    pub ticket_categories: Vec<TicketCategory>,
    pub unlisted_category_kind: Option<TicketKind>,
    pub on_closed_match: ClosedMatch,
    /// Whether the integration attaches files; Test Connection then checks the Attachment
    /// API too.
    pub attachments: bool,
    pub writes: Writes,
}

/// Where an event category leads: a kind of ticket, opened from the category's standard change
/// template when it names one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    Ticket(&'a TicketKind, Option<&'a ChangeTemplate>),
    Skip(String),
}

impl Settings {
    /// Whom an access token belongs to: the token endpoint that granted it (so the instance)
    /// and the credentials it was granted for. A token is used only while both stay the same.
    pub fn token_owner(&self) -> (&str, &Credentials) {
        (&self.token_url, &self.credentials)
    }

    pub fn validate(raw: RawSettings) -> Result<Self> {
        let instance = parse_instance(&raw.instance)?;
        let credentials = credentials(&raw)?;
        if let Some(group) = &raw.default_assignment_group {
            check_default_group(group)?;
        }
        let ticket_categories = validate_categories(raw.ticket_categories)?;
        // Changes from a template, and all changes with the Change Management API on, are
        // written through that API whatever the write path: they need no staging table.
        let through_change_api = |kind: &TicketKind| {
            raw.writes.change_management_api && *kind == TicketKind::ChangeRequest
        };
        let routed = ticket_categories
            .iter()
            .filter(|c| c.enabled && c.template.is_none())
            .map(|c| &c.kind)
            .chain(raw.unlisted_category_kind.as_ref())
            .filter(|kind| !through_change_api(kind));
        raw.writes.check_kinds(routed)?;
        Ok(Self {
            token_url: instance.join("/oauth_token.do"),
            instance,
            credentials,
            default_assignment_group: raw.default_assignment_group,
            default_priority: raw.default_priority,
            ticket_categories,
            unlisted_category_kind: raw.unlisted_category_kind,
            on_closed_match: raw.on_closed_match,
            attachments: raw.attachments,
            writes: raw.writes,
        })
    }

    /// Whether, and as what, an event of this category becomes a ticket.
    pub fn route(&self, event_category: &str) -> Route<'_> {
        match self
            .ticket_categories
            .iter()
            .find(|c| c.event_category == event_category)
        {
            Some(c) if c.enabled => Route::Ticket(&c.kind, c.template.as_ref()),
            Some(_) => Route::Skip(format!(
                "the event category {event_category:?} is disabled in the ticket categories"
            )),
            None => match &self.unlisted_category_kind {
                Some(kind) => Route::Ticket(kind, None),
                None => Route::Skip(format!(
                    "the event category {event_category:?} is not in the ticket categories"
                )),
            },
        }
    }

    /// Every table some category can lead to, each once, in settings order.
    pub fn routed_tables(&self) -> Vec<&Name> {
        let mut tables: Vec<&Name> = Vec::new();
        let kinds = self
            .ticket_categories
            .iter()
            .filter(|c| c.enabled)
            .map(|c| &c.kind)
            .chain(self.unlisted_category_kind.as_ref());
        for kind in kinds {
            if !tables.contains(&kind.table()) {
                tables.push(kind.table());
            }
        }
        tables
    }
}

/// The chosen method's credentials, each checked as pasted.
fn credentials(raw: &RawSettings) -> Result<Credentials> {
    let client = || -> Result<(String, Secret)> {
        Ok((
            credential(key::CLIENT_ID, "Client ID", &raw.client_id)?.to_string(),
            Secret::new(credential(
                key::CLIENT_SECRET,
                "Client Secret",
                &raw.client_secret,
            )?),
        ))
    };
    let user = || -> Result<(String, Secret)> {
        Ok((
            credential(key::USERNAME, "User Name", &raw.username)?.to_string(),
            Secret::new(credential(key::PASSWORD, "Password", &raw.password)?),
        ))
    };
    Ok(match raw.auth_method {
        AuthMethod::ClientCredentials => {
            let (client_id, client_secret) = client()?;
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            }
        }
        AuthMethod::Password => {
            let (client_id, client_secret) = client()?;
            let (username, password) = user()?;
            Credentials::Password {
                client_id,
                client_secret,
                username,
                password,
            }
        }
        AuthMethod::Basic => {
            let (username, password) = user()?;
            if username.contains(':') {
                // Basic authentication cannot carry a user name with a colon (RFC 7617).
                return Err(Error::invalid_settings(
                    "the User Name contains a colon, which Basic authentication cannot send",
                )
                .with_field(key::USERNAME));
            }
            Credentials::basic(&username, &password)
        }
        AuthMethod::ApiKey => Credentials::api_key(&Secret::new(credential(
            key::API_KEY,
            "API Key",
            &raw.api_key,
        )?)),
    })
}

/// A credential as pasted: not empty, no stray space or control character. `what` is its
/// name in the guide, `field` its key in the form.
pub fn credential<'a>(field: &'static str, what: &str, value: &'a str) -> Result<&'a str> {
    let refuse = |problem: &str, remedy| {
        Err(Error::invalid_settings(format!("the {what} {problem}"))
            .with_remedy(remedy)
            .with_field(field))
    };
    if value.trim().is_empty() {
        return refuse("is empty", guide::ENTER_SETTINGS);
    }
    if value.trim() != value {
        // The guide's first troubleshooting point: a pasted value with a stray space.
        return refuse(
            "has leading or trailing whitespace",
            guide::COPY_CREDENTIALS,
        );
    }
    if value.chars().any(char::is_control) {
        return refuse("contains a control character", guide::COPY_CREDENTIALS);
    }
    Ok(value)
}

/// The default assignment group must be usable in a query.
pub fn check_default_group(group: &AssignmentGroup) -> Result<()> {
    match group.problem() {
        Some(problem) => Err(Error::invalid_settings(format!(
            "the default assignment group {problem}"
        ))
        .with_remedy(guide::ASSIGNMENT_GROUP)
        .with_field(key::DEFAULT_ASSIGNMENT_GROUP)),
        None => Ok(()),
    }
}

/// Every row names an event category, each category once; names are trimmed.
pub fn validate_categories(categories: Vec<TicketCategory>) -> Result<Vec<TicketCategory>> {
    let invalid =
        |message: String| Error::invalid_settings(message).with_field(key::TICKET_CATEGORIES);
    let mut seen = SortedMap::default();
    let mut valid = Vec::with_capacity(categories.len());
    for category in categories {
        let name = category.event_category.trim();
        if name.is_empty() {
            return Err(invalid(
                "a ticket category has an empty event category".into(),
            ));
        }
        if !seen.insert(name.to_string(), ()) {
            return Err(invalid(format!(
                "the event category {name:?} is listed twice in the ticket categories"
            )));
        }
        if let Some(template) = &category.template {
            if category.kind != TicketKind::ChangeRequest {
                return Err(invalid(format!(
                    "the event category {name:?} names a standard change template, but its \
                     tickets are {}: only change requests are opened from templates",
                    category.kind.table()
                )));
            }
            if let Some(problem) = template.problem() {
                return Err(invalid(format!(
                    "the standard change template of the event category {name:?} {problem}"
                )));
            }
        }
        valid.push(TicketCategory {
            event_category: name.to_string(),
            ..category
        });
    }
    Ok(valid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::error::ErrorKind;
    use crate::primitives::ids::AssignmentGroup;
    use proptest::prelude::*;

    fn raw(instance: &str) -> RawSettings {
        RawSettings {
            ticket_categories: vec![TicketCategory {
                event_category: "cost".into(),
                kind: TicketKind::Incident,
                enabled: true,
                template: None,
            }],
            ..RawSettings::bare(instance, "id", "s3cret-value")
        }
    }

    #[test]
    fn bad_instances_are_invalid_settings_with_the_guides_remedy() {
        let err = Settings::validate(raw("http://dev1.service-now.com")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidSettings);
        assert_eq!(
            err.message,
            "the instance URL \"http://dev1.service-now.com\" uses http: ServiceNow must be \
             reached over https"
        );
        assert_eq!(err.remedy, Some(guide::INSTANCE_ADDRESS));
        for bad in ["", "dev 123", "https://user:pw@x.example.com"] {
            let err = parse_instance(bad).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidSettings, "{bad:?}");
            assert_eq!(err.remedy, Some(guide::INSTANCE_ADDRESS), "{bad:?}");
        }
        let ok = Settings::validate(raw(" dev12345 ")).unwrap();
        assert_eq!(ok.instance.as_str(), "https://dev12345.service-now.com");
    }

    #[test]
    fn credentials_with_spaces_are_flagged_without_echoing_them() {
        let mut settings = raw("dev1");
        settings.client_secret = "s3cret-value ".into();
        let err = Settings::validate(settings).unwrap_err();
        assert!(
            err.message
                .contains("Client Secret has leading or trailing whitespace")
        );
        assert!(!err.message.contains("s3cret"));
        assert_eq!(err.remedy, Some(guide::COPY_CREDENTIALS));

        let mut settings = raw("dev1");
        settings.client_id = "".into();
        let err = Settings::validate(settings).unwrap_err();
        assert!(err.message.contains("Client ID is empty"));
    }

    #[test]
    fn secret_never_shows_in_debug() {
        let settings = Settings::validate(raw("dev1")).unwrap();
        assert!(!format!("{settings:?}").contains("s3cret"));
        assert!(!format!("{:?}", raw("dev1")).contains("s3cret"));
    }

    #[test]
    fn categories_route_or_skip() {
        let mut r = raw("dev1");
        r.ticket_categories.push(TicketCategory {
            event_category: "change".into(),
            kind: TicketKind::ChangeRequest,
            enabled: false,
            template: None,
        });
        let settings = Settings::validate(r.clone()).unwrap();
        assert_eq!(
            settings.route("cost"),
            Route::Ticket(&TicketKind::Incident, None)
        );
        assert!(matches!(settings.route("change"), Route::Skip(why) if why.contains("disabled")));
        assert!(matches!(settings.route("other"), Route::Skip(why) if why.contains("not in")));
        assert_eq!(
            settings.routed_tables(),
            [&TicketKind::Incident.table().clone()]
        );

        r.unlisted_category_kind = Some(TicketKind::Table(Name::known("sc_task")));
        let settings = Settings::validate(r).unwrap();
        assert_eq!(
            settings.route("other"),
            Route::Ticket(&TicketKind::Table(Name::known("sc_task")), None)
        );
        let tables: Vec<&str> = settings
            .routed_tables()
            .iter()
            .map(|t| t.as_str())
            .collect();
        assert_eq!(tables, ["incident", "sc_task"]);
    }

    #[test]
    fn a_category_routes_with_its_template() {
        let mut r = raw("dev1");
        let template = ChangeTemplate::Name("Restart a VM".into());
        r.ticket_categories.push(TicketCategory {
            event_category: "restart".into(),
            kind: TicketKind::ChangeRequest,
            enabled: true,
            template: Some(template.clone()),
        });
        let settings = Settings::validate(r).unwrap();
        assert_eq!(
            settings.route("restart"),
            Route::Ticket(&TicketKind::ChangeRequest, Some(&template))
        );
    }

    #[test]
    fn bad_categories_are_rejected() {
        let mut r = raw("dev1");
        r.ticket_categories.push(r.ticket_categories[0].clone());
        assert!(
            Settings::validate(r)
                .unwrap_err()
                .message
                .contains("listed twice")
        );
    }

    proptest! {
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
                .map(|(event_category, enabled)| TicketCategory { event_category, kind: TicketKind::Incident, enabled, template: None })
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
}
