//! The settings form this provider describes (`describe`): its fields, their kinds, choices
//! and defaults, in the order the platform shows them.

use crate::servicenow::ticket_kind::with_priorities;
use crate::settings::key;

/// The kinds of the form's fields, said once (the WIT `field-kind` has the same cases):
/// hands the list to the macro `$then`, which declares [`FieldKind`] here and converts it to
/// the WIT type in the adapters.
macro_rules! with_field_kinds {
    ($then:path) => {
        $then! { Text, Address, Secret, Choice, AuthMethod, TextList, TicketCategories, Flag }
    };
}
pub(crate) use with_field_kinds;

macro_rules! declare_field_kind {
    ($($kind:ident),*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum FieldKind {
            $($kind,)*
        }
    };
}

with_field_kinds!(declare_field_kind);

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

macro_rules! priority_choices {
    ($($priority:ident = $number:literal, $impact_urgency:expr, $form:literal, $label:literal;)*) => {
        const PRIORITIES: &[Choice] = &[$(choice($form, $label),)*];
    };
}

with_priorities!(priority_choices);

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

const WRITE_PATHS: &[Choice] = &[
    Choice {
        value: "table_api",
        label: "Table API",
        help: Some("Creates and updates write the ticket tables directly."),
    },
    Choice {
        value: "import_set",
        label: "Import Set",
        help: Some(
            "Creates and updates post a row to a staging table, and your transform map \
             writes the ticket, coalescing on the correlation id: tickets without one are \
             refused.",
        ),
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
        help: "What happens to an event whose only earlier ticket is closed. Tickets written \
               through an import set are always reopened: its transform map would update the \
               closed ticket anyway.",
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
    Field {
        key: key::LINK_CONFIGURATION_ITEMS,
        label: "Link Configuration Items",
        help: "Link each ticket to the CMDB configuration item of the cloud resource its event \
               is about (found by the resource's id, or by name within its account and \
               region). A resource not found is named in the ticket's outcome; the ticket is \
               created all the same. When on, Test Connection also checks that the \
               integration user can read the CMDB (a CMDB read role, or itil).",
        kind: FieldKind::Flag,
        default: Some("false"),
        ..FIELD
    },
    Field {
        key: key::CHANGE_MANAGEMENT_API,
        label: "Change Management API",
        help: "Open change requests through the Change Management API (sn_chg_rest), so that \
               ServiceNow applies its change models. Categories with a standard change \
               template always go through it. Needs Change Management's REST API on the \
               instance and the itil (or change_manager) role.",
        kind: FieldKind::Flag,
        default: Some("false"),
        ..FIELD
    },
    Field {
        key: key::WRITE_PATH,
        label: "Write Tickets Through",
        help: "How creates and updates reach ServiceNow. Reads, comments, resolving and \
               polling for changes always use the Table API.",
        kind: FieldKind::Choice,
        default: Some("table_api"),
        choices: WRITE_PATHS,
        ..FIELD
    },
    Field {
        key: key::IMPORT_SET_TABLES,
        label: "Import Set Staging Tables",
        help: "For writes through an import set: one line per kind of ticket, \
               kind=staging table (incident=u_cxm_incident_import). Each staging table's \
               columns are the ticket's columns with u_ in front, and its transform map \
               coalesces on u_correlation_id.",
        kind: FieldKind::TextList,
        ..FIELD
    },
];

pub fn field(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::prelude::*;

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
}
