//! The admin's settings: validated once at configure time, so every later call can trust them.

use std::collections::HashSet;
use std::fmt;

use url::{Host, Url};

use crate::error::{Error, Result};
use crate::guide;
use crate::ids::{AssignmentGroup, Name};

/// ServiceNow's priority scale (facts §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Priority {
    Critical,
    High,
    Moderate,
    Low,
    Planning,
}

impl Priority {
    /// The (impact, urgency) pair that the default Priority Lookup matrix turns into this
    /// priority. ServiceNow derives `priority` itself and ignores a written one.
    pub fn impact_urgency(self) -> (&'static str, &'static str) {
        match self {
            Priority::Critical => ("1", "1"),
            Priority::High => ("1", "2"),
            Priority::Moderate => ("2", "2"),
            Priority::Low => ("2", "3"),
            Priority::Planning => ("3", "3"),
        }
    }
}

/// What a ticket becomes in ServiceNow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TicketKind {
    Incident,
    ChangeRequest,
    Problem,
    Table(Name),
}

static INCIDENT: Name = Name::known("incident");
static CHANGE_REQUEST: Name = Name::known("change_request");
static PROBLEM: Name = Name::known("problem");

impl TicketKind {
    pub fn table(&self) -> &Name {
        match self {
            TicketKind::Incident => &INCIDENT,
            TicketKind::ChangeRequest => &CHANGE_REQUEST,
            TicketKind::Problem => &PROBLEM,
            TicketKind::Table(name) => name,
        }
    }
}

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
}

/// The settings as typed by the admin, before validation.
#[derive(Clone, PartialEq, Eq)]
pub struct RawSettings {
    pub instance: String,
    pub client_id: String,
    pub client_secret: String,
    pub default_assignment_group: Option<AssignmentGroup>,
    pub default_priority: Option<Priority>,
    pub ticket_categories: Vec<TicketCategory>,
    pub unlisted_category_kind: Option<TicketKind>,
    pub on_closed_match: ClosedMatch,
}

impl fmt::Debug for RawSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawSettings")
            .field("instance", &self.instance)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// A client secret. It is only ever written into the token request body.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The base address of a ServiceNow instance: scheme, host, optional port and path prefix
/// (a proxy may add one, facts §7), without a trailing slash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceUrl(Url);

impl InstanceUrl {
    /// Accepts what the admin may type: `dev12345`, `dev12345.service-now.com`, or a full URL.
    pub fn parse(input: &str) -> Result<Self> {
        let input = input.trim();
        let invalid =
            |why: String| Error::invalid_settings(why).with_remedy(guide::INSTANCE_ADDRESS);
        if input.is_empty() {
            return Err(invalid("the instance is empty".into()));
        }
        let text = if input.contains("://") {
            input.to_string()
        } else if is_subdomain(input) {
            format!("https://{}.service-now.com", input.to_ascii_lowercase())
        } else if input.contains('.') && !input.contains(['/', '?', '#', '@', ' ']) {
            // A host name typed without its scheme: ServiceNow is https.
            format!("https://{input}")
        } else {
            return Err(invalid(format!(
                "the instance {input:?} is neither a subdomain such as dev12345 nor a URL"
            )));
        };
        let url = Url::parse(&text)
            .map_err(|e| invalid(format!("the instance URL {input:?} is not valid: {e}")))?;
        let host = url
            .host()
            .ok_or_else(|| invalid(format!("the instance URL {input:?} has no host")))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => {
                return Err(invalid(format!(
                    "the instance URL {input:?} uses http: ServiceNow must be reached over https"
                )));
            }
            other => {
                return Err(invalid(format!(
                    "the instance URL {input:?} has scheme {other:?}; use https"
                )));
            }
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "the instance URL must not carry a user name or password; enter the client \
                 credentials in their own fields"
                    .into(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(format!(
                "the instance URL {input:?} must not have a query or fragment"
            )));
        }
        let mut url = url;
        let path = url.path().trim_end_matches('/').to_string();
        url.set_path(&path);
        Ok(Self(url))
    }

    /// `https://dev12345.service-now.com` or with a path prefix; never ends with `/`.
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// scheme://host[:port], what the host's sandbox allows this tenant to reach.
    pub fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }

    /// An absolute URL under the instance, `path` starting with `/`.
    pub fn join(&self, path: &str) -> String {
        format!("{}{}", self.as_str(), path)
    }
}

fn is_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Settings that passed validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub instance: InstanceUrl,
    pub client_id: String,
    pub client_secret: Secret,
    pub default_assignment_group: Option<AssignmentGroup>,
    pub default_priority: Option<Priority>,
    pub ticket_categories: Vec<TicketCategory>,
    pub unlisted_category_kind: Option<TicketKind>,
    pub on_closed_match: ClosedMatch,
}

/// Where an event category leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    Ticket(&'a TicketKind),
    Skip(String),
}

impl Settings {
    pub fn validate(raw: RawSettings) -> Result<Self> {
        let instance = InstanceUrl::parse(&raw.instance)?;
        let client_id = credential("Client ID", &raw.client_id)?.to_string();
        let client_secret = Secret(credential("Client Secret", &raw.client_secret)?.to_string());
        let mut seen = HashSet::new();
        let mut ticket_categories = Vec::with_capacity(raw.ticket_categories.len());
        for category in raw.ticket_categories {
            let name = category.event_category.trim();
            if name.is_empty() {
                return Err(Error::invalid_settings(
                    "a ticket category has an empty event category",
                ));
            }
            if !seen.insert(name.to_string()) {
                return Err(Error::invalid_settings(format!(
                    "the event category {name:?} is listed twice in the ticket categories"
                )));
            }
            ticket_categories.push(TicketCategory {
                event_category: name.to_string(),
                ..category
            });
        }
        Ok(Self {
            instance,
            client_id,
            client_secret,
            default_assignment_group: raw.default_assignment_group,
            default_priority: raw.default_priority,
            ticket_categories,
            unlisted_category_kind: raw.unlisted_category_kind,
            on_closed_match: raw.on_closed_match,
        })
    }

    /// Whether, and as what, an event of this category becomes a ticket.
    pub fn route(&self, event_category: &str) -> Route<'_> {
        match self
            .ticket_categories
            .iter()
            .find(|c| c.event_category == event_category)
        {
            Some(c) if c.enabled => Route::Ticket(&c.kind),
            Some(_) => Route::Skip(format!(
                "the event category {event_category:?} is disabled in the ticket categories"
            )),
            None => match &self.unlisted_category_kind {
                Some(kind) => Route::Ticket(kind),
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

fn credential<'a>(what: &str, value: &'a str) -> Result<&'a str> {
    if value.trim().is_empty() {
        return Err(Error::invalid_settings(format!("the {what} is empty"))
            .with_remedy(guide::ENTER_SETTINGS));
    }
    if value.trim() != value {
        // The guide's first troubleshooting point: a pasted value with a stray space.
        return Err(Error::invalid_settings(format!(
            "the {what} has leading or trailing whitespace"
        ))
        .with_remedy(guide::COPY_CREDENTIALS));
    }
    if value.chars().any(char::is_control) {
        return Err(
            Error::invalid_settings(format!("the {what} contains a control character"))
                .with_remedy(guide::COPY_CREDENTIALS),
        );
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    pub(crate) fn raw(instance: &str) -> RawSettings {
        RawSettings {
            instance: instance.into(),
            client_id: "id".into(),
            client_secret: "s3cret-value".into(),
            default_assignment_group: None,
            default_priority: None,
            ticket_categories: vec![TicketCategory {
                event_category: "cost".into(),
                kind: TicketKind::Incident,
                enabled: true,
            }],
            unlisted_category_kind: None,
            on_closed_match: ClosedMatch::OpenNew,
        }
    }

    #[test]
    fn subdomain_becomes_service_now_com() {
        let url = InstanceUrl::parse(" dev12345 ").unwrap();
        assert_eq!(url.as_str(), "https://dev12345.service-now.com");
        assert_eq!(url.origin(), "https://dev12345.service-now.com");
    }

    #[test]
    fn full_urls_keep_host_port_and_prefix() {
        let fedramp = InstanceUrl::parse("https://agency.servicenowservices.com/").unwrap();
        assert_eq!(fedramp.as_str(), "https://agency.servicenowservices.com");
        let proxied = InstanceUrl::parse("https://proxy.example.com:8443/snow/").unwrap();
        assert_eq!(proxied.as_str(), "https://proxy.example.com:8443/snow");
        assert_eq!(proxied.origin(), "https://proxy.example.com:8443");
        assert_eq!(
            proxied.join("/oauth_token.do"),
            "https://proxy.example.com:8443/snow/oauth_token.do"
        );
        let bare_host = InstanceUrl::parse("dev1.service-now.com").unwrap();
        assert_eq!(bare_host.as_str(), "https://dev1.service-now.com");
    }

    #[test]
    fn http_only_to_loopback() {
        assert!(InstanceUrl::parse("http://127.0.0.1:8080").is_ok());
        assert!(InstanceUrl::parse("http://localhost:8080").is_ok());
        assert!(InstanceUrl::parse("http://[::1]:8080").is_ok());
        let err = InstanceUrl::parse("http://dev1.service-now.com").unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidSettings);
        assert!(err.message.contains("https"), "{}", err.message);
    }

    #[test]
    fn rejects_junk_instances() {
        for bad in [
            "",
            "   ",
            "ftp://x.example.com",
            "https://user:pw@x.example.com",
            "https://x.example.com/?a=b",
            "dev 123",
            "<dev123>",
        ] {
            let err = InstanceUrl::parse(bad).unwrap_err();
            assert_eq!(err.kind, ErrorKind::InvalidSettings, "{bad:?}");
            assert!(err.remedy.is_some());
        }
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
        });
        let settings = Settings::validate(r.clone()).unwrap();
        assert_eq!(settings.route("cost"), Route::Ticket(&TicketKind::Incident));
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
            Route::Ticket(&TicketKind::Table(Name::known("sc_task")))
        );
        let tables: Vec<&str> = settings
            .routed_tables()
            .iter()
            .map(|t| t.as_str())
            .collect();
        assert_eq!(tables, ["incident", "sc_task"]);
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
}
