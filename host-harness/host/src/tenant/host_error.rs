//! An error of the host's own, answered to the platform in the contract's error type.

use crate::api::{Error as ProviderError, ErrorKind};

/// The host's `kind` of error, saying `message`, on the settings form's `field` if any, with
/// what the admin can do about it; nothing the service said.
pub(super) fn host_error(
    kind: ErrorKind,
    message: String,
    field: Option<String>,
    remedy: Option<&str>,
) -> ProviderError {
    ProviderError {
        kind,
        message,
        field,
        remedy: remedy.map(str::to_string),
        guide_step: None,
        http_status: None,
        retry_after_seconds: None,
    }
}
