//! Errors as the platform sees them: a machine-readable kind, a message for a person, and the
//! remedy from the setup guide. Nothing here ever holds a secret or a token.

use std::fmt;

use crate::guide::{self, Remedy};

/// Mirrors the WIT `error-kind`; see `wit/ticketing.wit` for what each means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidSettings,
    NotConfigured,
    InvalidTicket,
    Unreachable,
    BlockedByHost,
    InstanceHibernating,
    NotServiceNow,
    TokenDenied,
    OAuthUserMissing,
    NotAuthenticated,
    MissingAuthScope,
    Forbidden,
    RejectedByPolicy,
    InvalidTable,
    NotFound,
    BadRequest,
    RateLimited,
    ServiceUnavailable,
    UnexpectedResponse,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub remedy: Option<Remedy>,
    pub http_status: Option<u16>,
    pub retry_after_seconds: Option<u32>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            remedy: None,
            http_status: None,
            retry_after_seconds: None,
        }
    }

    pub fn with_remedy(mut self, remedy: Remedy) -> Self {
        self.remedy = Some(remedy);
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

impl std::error::Error for Error {}
