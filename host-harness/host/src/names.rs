//! The contract's names for its enums, as they appear in the WIT: what logs, JSON output and
//! a platform's own records should say. A test holds each list to `wit/ticketing.wit`.

use crate::api::log::Level;
use crate::api::{Capability, CheckStatus, ErrorKind, FieldKind, Priority};

/// `name()` for an enum of the contract, from its cases and their WIT names in the WIT's
/// order; with `all`, also `ALL`, every case in that order.
macro_rules! wit_names {
    ($enum:ident { $($case:ident => $name:literal,)* }) => {
        impl $enum {
            /// Its name in the WIT (`kebab-case`).
            pub fn name(self) -> &'static str {
                match self {
                    $($enum::$case => $name,)*
                }
            }
        }
    };
    (all $enum:ident { $($case:ident => $name:literal,)* }) => {
        impl $enum {
            #[doc = concat!("Every ", stringify!($enum), ", in the WIT's order.")]
            pub const ALL: [$enum; [$($name),*].len()] = [$($enum::$case),*];
        }
        wit_names!($enum { $($case => $name,)* });
    };
}

wit_names!(all ErrorKind {
    InvalidSettings => "invalid-settings",
    NotConfigured => "not-configured",
    InvalidTicket => "invalid-ticket",
    InvalidCursor => "invalid-cursor",
    Unreachable => "unreachable",
    BlockedByHost => "blocked-by-host",
    ServiceAsleep => "service-asleep",
    NotTheService => "not-the-service",
    CredentialsRefused => "credentials-refused",
    ServiceAccountMissing => "service-account-missing",
    NotAuthenticated => "not-authenticated",
    MissingAuthScope => "missing-auth-scope",
    Forbidden => "forbidden",
    RejectedByPolicy => "rejected-by-policy",
    UnknownTicketKind => "unknown-ticket-kind",
    NotFound => "not-found",
    BadRequest => "bad-request",
    RateLimited => "rate-limited",
    ServiceUnavailable => "service-unavailable",
    UnexpectedResponse => "unexpected-response",
});

wit_names!(CheckStatus {
    Passed => "passed",
    Failed => "failed",
    Skipped => "skipped",
});

wit_names!(all Priority {
    Critical => "critical",
    High => "high",
    Moderate => "moderate",
    Low => "low",
    Planning => "planning",
});

wit_names!(all Capability {
    TestConnection => "test-connection",
    CreateTicket => "create-ticket",
    GetTicket => "get-ticket",
    UpdateTicket => "update-ticket",
    AddComment => "add-comment",
    ResolveTicket => "resolve-ticket",
    ResolveByCorrelation => "resolve-by-correlation",
    ChangesSince => "changes-since",
    AttachFile => "attach-file",
});

wit_names!(all FieldKind {
    Text => "text",
    Address => "address",
    Secret => "secret",
    Choice => "choice",
    AuthMethod => "auth-method",
    TextList => "text-list",
    Flag => "flag",
    TicketCategories => "ticket-categories",
});

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
