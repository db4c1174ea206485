//! What a test sets on the instance as its admin would: the OAuth application and its
//! tokens, users and REST API keys, the release and system properties, the priority
//! lookup, the simulated clock, and the fault switches.

use std::time::Duration;

use crate::Simulator;
use crate::faults::Faults;
use crate::instance::{Properties, Release};
use crate::users::User;

impl Simulator {
    pub fn client_id(&self) -> String {
        self.state().app.client_id.clone()
    }

    pub fn client_secret(&self) -> String {
        self.state().app.client_secret.clone()
    }

    /// Replaces the OAuth application's credentials (e.g. a regenerated secret).
    pub fn set_credentials(&self, client_id: &str, client_secret: &str) {
        let mut state = self.state();
        state.app.client_id = client_id.to_string();
        state.app.client_secret = client_secret.to_string();
    }

    /// The Access Token Lifespan for tokens issued from now on (default 1800 s).
    pub fn set_token_lifespan(&self, secs: u64) {
        self.state().tokens.lifespan_secs = secs;
    }

    /// Moves simulated time forward: tokens expire and timestamps move by it.
    pub fn advance_clock(&self, by: Duration) {
        self.state().clock.advance(by);
    }

    /// Stops the simulated clock: from now on only [`Simulator::advance_clock`] moves it, so writes
    /// land in known seconds (several in one, as after a bulk update: docs/servicenow/polling.md).
    pub fn freeze_clock(&self) {
        self.state().clock.freeze();
    }

    /// The simulated time as the instance writes it: UTC "YYYY-MM-DD HH:MM:SS"
    /// (docs/servicenow/polling.md).
    pub fn now(&self) -> String {
        self.state().clock.timestamp()
    }

    /// Every access token issued so far stops working now (e.g. revoked by an admin).
    /// Refresh tokens live on ([`Simulator::expire_refresh_tokens`] ends those), so a
    /// password-grant client can refresh.
    pub fn expire_all_tokens(&self) {
        self.state().tokens.expire_all();
    }

    /// The refresh token lifespan for password grants from now on (default 8,640,000 s, 100 days:
    /// docs/servicenow/auth.md#password-grant-and-refresh). Refreshing does not extend a refresh
    /// token; a repeat password grant does.
    pub fn set_refresh_token_lifespan(&self, secs: u64) {
        self.state().tokens.refresh_lifespan_secs = secs;
    }

    /// Every refresh token issued so far stops working (expired, or revoked by an admin):
    /// a refresh grant gets the generic 401 and the client must sign in with the password
    /// again. Access tokens are left alone ([`Simulator::expire_all_tokens`] ends those).
    pub fn expire_refresh_tokens(&self) {
        self.state().tokens.expire_refreshes();
    }

    /// The OAuth Application User client credentials tokens act as (default
    /// [`DEFAULT_USER_NAME`](crate::DEFAULT_USER_NAME)). A name no user has makes the grant fail as
    /// an unset one does (400 `unauthorized_client`, docs/servicenow/auth.md#token-errors).
    pub fn set_application_user(&self, user_name: &str) {
        self.state().app.user = user_name.to_string();
    }

    /// The release the instance runs (default [`Release::WashingtonDCOrLater`]).
    pub fn set_release(&self, release: Release) {
        self.state().release = release;
    }

    /// Changes the system properties in force (see [`Properties`] for the defaults).
    pub fn update_properties(&self, change: impl FnOnce(&mut Properties)) {
        change(&mut self.state().properties);
    }

    /// A user as the instance holds it now: `locked_out` and `failed_attempts` show what failed
    /// sign-ins did. Seeded: `admin`, [`DEFAULT_USER_NAME`](crate::DEFAULT_USER_NAME) (Web service
    /// access only, roles `itil` and `rest_service`, password
    /// [`DEFAULT_USER_PASSWORD`](crate::DEFAULT_USER_PASSWORD)) and
    /// [`AGENT_USER_NAME`](crate::AGENT_USER_NAME) (`itil`).
    pub fn user(&self, user_name: &str) -> Option<User> {
        self.state().users.get(user_name).cloned()
    }

    /// The user's sys_id (what `opened_by` holds on records it opens).
    pub fn user_sys_id(&self, user_name: &str) -> Option<String> {
        self.state().users.sys_id(user_name).map(str::to_string)
    }

    /// Adds a user, or replaces the one of that name (keeping its sys_id).
    pub fn add_user(&self, user: User) {
        self.state().users.put(user);
    }

    /// Changes a user as an admin would (deactivate, lock or unlock, set a password, flag
    /// "Password needs reset", grant roles); false if there is no such user. A lock set
    /// here never lifts itself.
    pub fn update_user(&self, user_name: &str, change: impl FnOnce(&mut User)) -> bool {
        self.state().users.update(user_name, change)
    }

    /// A new active REST API key acting as the user, without expiry; returns its token
    /// (the `x-sn-apikey` value). Keys work on [`Release::WashingtonDCOrLater`] only.
    pub fn add_api_key(&self, user_name: &str) -> String {
        self.state().api_keys.create(user_name, None)
    }

    /// A new key that expires `after` from now (simulated time).
    pub fn add_api_key_expiring(&self, user_name: &str, after: Duration) -> String {
        let mut state = self.state();
        let expires = state.clock.now() + after;
        state.api_keys.create(user_name, Some(expires))
    }

    /// Ticks or clears the key's Active box; false if there is no such key.
    pub fn set_api_key_active(&self, token: &str, active: bool) -> bool {
        self.state().api_keys.set_active(token, active)
    }

    /// The key's expiry passes now; false if there is no such key.
    pub fn expire_api_key(&self, token: &str) -> bool {
        let mut state = self.state();
        let now = state.clock.now();
        state.api_keys.set_expiry(token, Some(now))
    }

    /// docs/servicenow/records.md#incident: the priority the lookup gives impact 3 × urgency 3
    /// (default 5 - Planning; some instances use 4 - Low).
    pub fn set_priority_3x3(&self, priority: u8) {
        self.state().store.set_low_low_priority(priority);
    }

    pub fn faults(&self) -> Faults {
        self.state().faults.clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        self.state().faults = faults;
    }

    pub fn update_faults(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut self.state().faults);
    }

    /// The sys_id of the `oauth_entity` the "integration user is not configured" error names.
    pub fn oauth_entity_id(&self) -> String {
        self.state().app.entity_id.clone()
    }
}
