//! The contract's names for its enums, as they appear in the WIT: what logs, JSON output and
//! a platform's own records should say. A test holds each list to `wit/ticketing.wit`.

use crate::api::{CheckId, CheckStatus, ErrorKind};

impl ErrorKind {
    pub const ALL: [ErrorKind; 19] = [
        ErrorKind::InvalidSettings,
        ErrorKind::NotConfigured,
        ErrorKind::InvalidTicket,
        ErrorKind::Unreachable,
        ErrorKind::BlockedByHost,
        ErrorKind::InstanceHibernating,
        ErrorKind::NotServicenow,
        ErrorKind::TokenDenied,
        ErrorKind::OauthUserMissing,
        ErrorKind::NotAuthenticated,
        ErrorKind::MissingAuthScope,
        ErrorKind::Forbidden,
        ErrorKind::RejectedByPolicy,
        ErrorKind::InvalidTable,
        ErrorKind::NotFound,
        ErrorKind::BadRequest,
        ErrorKind::RateLimited,
        ErrorKind::ServiceUnavailable,
        ErrorKind::UnexpectedResponse,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidSettings => "invalid-settings",
            ErrorKind::NotConfigured => "not-configured",
            ErrorKind::InvalidTicket => "invalid-ticket",
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::BlockedByHost => "blocked-by-host",
            ErrorKind::InstanceHibernating => "instance-hibernating",
            ErrorKind::NotServicenow => "not-servicenow",
            ErrorKind::TokenDenied => "token-denied",
            ErrorKind::OauthUserMissing => "oauth-user-missing",
            ErrorKind::NotAuthenticated => "not-authenticated",
            ErrorKind::MissingAuthScope => "missing-auth-scope",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::RejectedByPolicy => "rejected-by-policy",
            ErrorKind::InvalidTable => "invalid-table",
            ErrorKind::NotFound => "not-found",
            ErrorKind::BadRequest => "bad-request",
            ErrorKind::RateLimited => "rate-limited",
            ErrorKind::ServiceUnavailable => "service-unavailable",
            ErrorKind::UnexpectedResponse => "unexpected-response",
        }
    }
}

impl CheckId {
    pub const ALL: [CheckId; 6] = [
        CheckId::Settings,
        CheckId::Instance,
        CheckId::Token,
        CheckId::TableApi,
        CheckId::TableAccess,
        CheckId::AssignmentGroup,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CheckId::Settings => "settings",
            CheckId::Instance => "instance",
            CheckId::Token => "token",
            CheckId::TableApi => "table-api",
            CheckId::TableAccess => "table-access",
            CheckId::AssignmentGroup => "assignment-group",
        }
    }
}

impl CheckStatus {
    pub fn name(self) -> &'static str {
        match self {
            CheckStatus::Passed => "passed",
            CheckStatus::Failed => "failed",
            CheckStatus::Skipped => "skipped",
        }
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
        let checks: Vec<&str> = CheckId::ALL.iter().map(|c| c.name()).collect();
        assert_eq!(checks, wit_enum("check-id"));
        let statuses: Vec<&str> = [
            CheckStatus::Passed,
            CheckStatus::Failed,
            CheckStatus::Skipped,
        ]
        .iter()
        .map(|s| s.name())
        .collect();
        assert_eq!(statuses, wit_enum("check-status"));
    }
}
