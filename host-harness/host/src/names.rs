//! The contract's names for its enums, as they appear in the WIT: what logs, JSON output and
//! a platform's own records should say. A test holds each list to `wit/ticketing.wit`.

use crate::api::log::Level;
use crate::api::{Capability, CheckStatus, ErrorKind, FieldKind, Priority};

impl ErrorKind {
    /// Every ErrorKind, in the WIT's order.
    pub const ALL: [ErrorKind; 20] = [
        ErrorKind::InvalidSettings,
        ErrorKind::NotConfigured,
        ErrorKind::InvalidTicket,
        ErrorKind::InvalidCursor,
        ErrorKind::Unreachable,
        ErrorKind::BlockedByHost,
        ErrorKind::ServiceAsleep,
        ErrorKind::NotTheService,
        ErrorKind::CredentialsRefused,
        ErrorKind::ServiceAccountMissing,
        ErrorKind::NotAuthenticated,
        ErrorKind::MissingAuthScope,
        ErrorKind::Forbidden,
        ErrorKind::RejectedByPolicy,
        ErrorKind::UnknownTicketKind,
        ErrorKind::NotFound,
        ErrorKind::BadRequest,
        ErrorKind::RateLimited,
        ErrorKind::ServiceUnavailable,
        ErrorKind::UnexpectedResponse,
    ];

    /// Its name in the WIT (`kebab-case`).
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidSettings => "invalid-settings",
            ErrorKind::NotConfigured => "not-configured",
            ErrorKind::InvalidTicket => "invalid-ticket",
            ErrorKind::InvalidCursor => "invalid-cursor",
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::BlockedByHost => "blocked-by-host",
            ErrorKind::ServiceAsleep => "service-asleep",
            ErrorKind::NotTheService => "not-the-service",
            ErrorKind::CredentialsRefused => "credentials-refused",
            ErrorKind::ServiceAccountMissing => "service-account-missing",
            ErrorKind::NotAuthenticated => "not-authenticated",
            ErrorKind::MissingAuthScope => "missing-auth-scope",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::RejectedByPolicy => "rejected-by-policy",
            ErrorKind::UnknownTicketKind => "unknown-ticket-kind",
            ErrorKind::NotFound => "not-found",
            ErrorKind::BadRequest => "bad-request",
            ErrorKind::RateLimited => "rate-limited",
            ErrorKind::ServiceUnavailable => "service-unavailable",
            ErrorKind::UnexpectedResponse => "unexpected-response",
        }
    }
}

impl CheckStatus {
    /// Its name in the WIT (`kebab-case`).
    pub fn name(self) -> &'static str {
        match self {
            CheckStatus::Passed => "passed",
            CheckStatus::Failed => "failed",
            CheckStatus::Skipped => "skipped",
        }
    }
}

impl Priority {
    /// Every Priority, in the WIT's order.
    pub const ALL: [Priority; 5] = [
        Priority::Critical,
        Priority::High,
        Priority::Moderate,
        Priority::Low,
        Priority::Planning,
    ];

    /// Its name in the WIT (`kebab-case`).
    pub fn name(self) -> &'static str {
        match self {
            Priority::Critical => "critical",
            Priority::High => "high",
            Priority::Moderate => "moderate",
            Priority::Low => "low",
            Priority::Planning => "planning",
        }
    }
}

impl Capability {
    /// Every Capability, in the WIT's order.
    pub const ALL: [Capability; 9] = [
        Capability::TestConnection,
        Capability::CreateTicket,
        Capability::GetTicket,
        Capability::UpdateTicket,
        Capability::AddComment,
        Capability::ResolveTicket,
        Capability::ResolveByCorrelation,
        Capability::ChangesSince,
        Capability::AttachFile,
    ];

    /// Its name in the WIT (`kebab-case`).
    pub fn name(self) -> &'static str {
        match self {
            Capability::TestConnection => "test-connection",
            Capability::CreateTicket => "create-ticket",
            Capability::GetTicket => "get-ticket",
            Capability::UpdateTicket => "update-ticket",
            Capability::AddComment => "add-comment",
            Capability::ResolveTicket => "resolve-ticket",
            Capability::ResolveByCorrelation => "resolve-by-correlation",
            Capability::ChangesSince => "changes-since",
            Capability::AttachFile => "attach-file",
        }
    }
}

impl FieldKind {
    /// Every FieldKind, in the WIT's order.
    pub const ALL: [FieldKind; 8] = [
        FieldKind::Text,
        FieldKind::Address,
        FieldKind::Secret,
        FieldKind::Choice,
        FieldKind::AuthMethod,
        FieldKind::TextList,
        FieldKind::Flag,
        FieldKind::TicketCategories,
    ];

    /// Its name in the WIT (`kebab-case`).
    pub fn name(self) -> &'static str {
        match self {
            FieldKind::Text => "text",
            FieldKind::Address => "address",
            FieldKind::Secret => "secret",
            FieldKind::Choice => "choice",
            FieldKind::AuthMethod => "auth-method",
            FieldKind::TextList => "text-list",
            FieldKind::Flag => "flag",
            FieldKind::TicketCategories => "ticket-categories",
        }
    }
}

/// The WIT name of a log level.
pub fn level_name(level: Level) -> &'static str {
    match level {
        Level::Debug => "debug",
        Level::Info => "info",
        Level::Warn => "warn",
        Level::Error => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cases of the WIT `enum` called `name`, in order.
    fn wit_enum(name: &str) -> Vec<&'static str> {
        let wit = include_str!("../../../wit/ticketing.wit");
        let start = wit
            .find(&format!("enum {name} {{"))
            .unwrap_or_else(|| panic!("no enum {name} in the WIT"));
        let body = &wit[start..];
        let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap()];
        body.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("//"))
            .map(|line| line.trim_end_matches(','))
            .collect()
    }

    #[test]
    fn names_are_the_wits() {
        let errors: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(errors, wit_enum("error-kind"));
        let statuses: Vec<&str> = [
            CheckStatus::Passed,
            CheckStatus::Failed,
            CheckStatus::Skipped,
        ]
        .iter()
        .map(|s| s.name())
        .collect();
        assert_eq!(statuses, wit_enum("check-status"));
        let priorities: Vec<&str> = Priority::ALL.iter().map(|p| p.name()).collect();
        assert_eq!(priorities, wit_enum("priority"));
        let capabilities: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(capabilities, wit_enum("capability"));
        let kinds: Vec<&str> = FieldKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(kinds, wit_enum("field-kind"));
        let levels = [Level::Debug, Level::Info, Level::Warn, Level::Error];
        let levels: Vec<&str> = levels.into_iter().map(level_name).collect();
        assert_eq!(levels, wit_enum("level"));
    }
}
