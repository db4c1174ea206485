//! How the simulated instance is set up beyond its data: the release it runs and the
//! system properties that change how it authenticates and what it accepts.

use std::time::Duration;

/// The instance's release, as far as this integration can tell the difference.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Release {
    /// Vancouver and earlier. The client credentials grant for inbound OAuth and REST API keys
    /// arrived in Washington DC (docs/servicenow/auth.md#api-keys,
    /// docs/servicenow/auth.md#client-credentials-before-washington-dc): here the token endpoint
    /// answers `grant_type=client_credentials` with its generic 401
    /// (docs/servicenow/auth.md#client-credentials-before-washington-dc, [I]: no capture), and an
    /// `x-sn-apikey` header is not looked at, so the request is simply unauthenticated.
    BeforeWashingtonDC,
    /// Washington DC (2024) and later: every way in the simulator knows.
    #[default]
    WashingtonDCOrLater,
}

/// System properties, by their ServiceNow names. The client credentials property
/// (`glide.oauth.inbound.client.credential.grant_type.enabled`) is the fault
/// [`crate::Faults::grant_disabled`], as it always was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Properties {
    /// `glide.user.max_unlock_attempts` (fallback 5): failed password sign-ins before the lockout
    /// script action locks the account (docs/servicenow/auth.md#basic-authentication). The account
    /// locks on the failure that reaches this count ([I]: "after a specified number of failed login
    /// attempts" does not say whether the count is reached or passed). 0 turns the lockout off.
    pub max_unlock_attempts: u32,
    /// `glide.user.unlock_timeout_in_mins` (default 15) of "SNC User Lockout Check with
    /// Auto Unlock", the script action active on zBooted instances since Kingston: a lock
    /// the lockout set is lifted this long after it was set. `None`: the plain "SNC User
    /// Lockout Check", whose locks stay until an admin lifts them. A lock a test sets by
    /// hand ([`crate::Simulator::update_user`]) never lifts itself.
    pub unlock_timeout: Option<Duration>,
    /// `glide.authenticate.basic_auth.restriction.enforce` (default false here): Basic
    /// authentication is refused to accounts that are neither "Web service access only" nor hold
    /// the role `snc_basic_auth_api_access` (docs/servicenow/auth.md#basic-authentication; the
    /// exemptions are from the Australia docs page "Basic authentication restriction").
    pub basic_auth_restriction: bool,
    /// `com.glide.attachment.max_size` in MB (default 1024, docs/servicenow/attachments.md).
    pub attachment_max_size_mb: u64,
}

impl Default for Properties {
    fn default() -> Self {
        Properties {
            max_unlock_attempts: 5,
            unlock_timeout: Some(Duration::from_secs(15 * 60)),
            basic_auth_restriction: false,
            attachment_max_size_mb: 1024,
        }
    }
}

impl Properties {
    /// The attachment size limit in bytes.
    pub(crate) fn attachment_max_bytes(&self) -> usize {
        let bytes = self.attachment_max_size_mb.saturating_mul(1024 * 1024);
        usize::try_from(bytes).unwrap_or(usize::MAX)
    }
}
