//! Errors as the platform sees them: a machine-readable kind, a message for a person, and the
//! remedy from the setup guide. Nothing here ever holds a secret or a token.

use crate::primitives::prelude::*;

use core::fmt;

use crate::primitives::guide::{self, Remedy};

/// The contract's error kinds, said once: each variant and its name in the WIT `error-kind`
/// (see `wit/ticketing.wit` for what each means). Hands the list to the macro `$then`, which
/// declares [`ErrorKind`] here and converts it to the WIT type in the adapters.
macro_rules! with_error_kinds {
    ($then:path) => {
        $then! {
            InvalidSettings = "invalid-settings",
            NotConfigured = "not-configured",
            InvalidTicket = "invalid-ticket",
            InvalidCursor = "invalid-cursor",
            Unreachable = "unreachable",
            BlockedByHost = "blocked-by-host",
            ServiceAsleep = "service-asleep",
            NotTheService = "not-the-service",
            CredentialsRefused = "credentials-refused",
            ServiceAccountMissing = "service-account-missing",
            NotAuthenticated = "not-authenticated",
            MissingAuthScope = "missing-auth-scope",
            Forbidden = "forbidden",
            RejectedByPolicy = "rejected-by-policy",
            UnknownTicketKind = "unknown-ticket-kind",
            NotFound = "not-found",
            BadRequest = "bad-request",
            RateLimited = "rate-limited",
            ServiceUnavailable = "service-unavailable",
            UnexpectedResponse = "unexpected-response",
        }
    };
}
pub(crate) use with_error_kinds;

macro_rules! declare_error_kind {
    ($($kind:ident = $wit:literal,)*) => {
        /// Mirrors the WIT `error-kind`; a test holds the two lists equal, name for name and
        /// in order.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum ErrorKind {
            $($kind,)*
        }

        /// The list and the names exist for the test that holds them to the WIT.
        #[cfg(test)]
        impl ErrorKind {
            pub const ALL: &[ErrorKind] = &[$(ErrorKind::$kind,)*];

            /// The name in the WIT contract.
            pub fn wit_name(self) -> &'static str {
                match self {
                    $(ErrorKind::$kind => $wit,)*
                }
            }
        }
    };
}

with_error_kinds!(declare_error_kind);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// The setting at fault, by its key in the settings form (`settings::fields::FIELDS`).
    pub field: Option<&'static str>,
    pub remedy: Option<Remedy>,
    pub http_status: Option<u16>,
    pub retry_after_seconds: Option<u32>,
    /// The write this error answers may have been carried out all the same (its answer was
    /// lost, or the instance failed midway): repeating it blindly could do it twice. Stays
    /// inside the component; the message says so.
    pub outcome_unknown: bool,
}

pub type Result<T, E = Error> = core::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            field: None,
            remedy: None,
            http_status: None,
            retry_after_seconds: None,
            outcome_unknown: false,
        }
    }

    pub fn with_remedy(mut self, remedy: Remedy) -> Self {
        self.remedy = Some(remedy);
        self
    }

    /// Names the setting the admin should look at.
    pub fn with_field(mut self, key: &'static str) -> Self {
        self.field = Some(key);
        self
    }

    pub fn with_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub fn with_retry_after(mut self, seconds: Option<u32>) -> Self {
        self.retry_after_seconds = seconds;
        self
    }

    /// Adds what the platform should know to the message.
    pub fn with_note(mut self, note: &str) -> Self {
        self.message = format!("{}; {note}", self.message);
        self
    }

    pub fn invalid_settings(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidSettings, message)
    }

    pub fn invalid_ticket(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidTicket, message)
    }

    pub fn not_configured() -> Self {
        Self::new(
            ErrorKind::NotConfigured,
            "the ServiceNow integration is not configured yet",
        )
        .with_remedy(guide::ENTER_SETTINGS)
    }

    pub fn unexpected(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::UnexpectedResponse, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(status) = self.http_status {
            write!(f, " (HTTP {status})")?;
        }
        if let Some(seconds) = self.retry_after_seconds {
            write!(f, "; retry after {seconds} s")?;
        }
        Ok(())
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The cases of a WIT `enum` or `variant` named `name`, in order.
    pub(crate) fn wit_cases(kind: &str, name: &str) -> Vec<String> {
        let wit = include_str!("../../wit/ticketing.wit");
        let start = wit
            .find(&format!("{kind} {name} {{"))
            .unwrap_or_else(|| panic!("no {kind} {name} in the WIT"));
        let body = &wit[start..];
        let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap()];
        body.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with("//"))
            .map(|line| line.trim_end_matches(',').to_string())
            .collect()
    }

    #[test]
    fn error_kinds_match_the_wit_contract() {
        let ours: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.wit_name()).collect();
        assert_eq!(ours, wit_cases("enum", "error-kind"));
    }
}
