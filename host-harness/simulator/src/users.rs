//! The instance's users (`sys_user`) as far as signing in goes: passwords, the flags that stop a
//! sign-in, the lockout after failed attempts (docs/servicenow/auth.md#password-grant-and-refresh,
//! docs/servicenow/auth.md#basic-authentication), and the sys_id a record's `opened_by` points at.

use std::fmt;
use std::time::Duration;

use crate::ids::Ids;
use crate::instance::Properties;

/// The integration's service account of the guide (step 2): the OAuth Application User of
/// the simulated OAuth application, and the user Basic auth and the password grant sign in
/// as by default.
pub const DEFAULT_USER_NAME: &str = "cxm_integration";
/// Its password.
pub const DEFAULT_USER_PASSWORD: &str = "sim-password-0123456789";
/// A support agent (a user of ServiceNow's demo data) who works tickets in the UI.
pub const AGENT_USER_NAME: &str = "beth.anglin";
/// Who the server-side helpers write as.
pub(crate) const ADMIN_USER: &str = "admin";

/// The seeded users' sys_ids. The admin's is the one every instance has; the integration
/// user's is the `opened_by` of records it opens.
const SEED: &[(&str, &str)] = &[
    (ADMIN_USER, "6816f79cc0a8016401c5a33be04be441"),
    (DEFAULT_USER_NAME, "5137153cc611227c000bbd1bd8cd2005"),
    (AGENT_USER_NAME, "46d44a23a9fe19810012d100cca80666"),
];

/// A `sys_user` record, the fields that decide whether it may sign in.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub user_name: String,
    pub password: String,
    pub active: bool,
    /// Set by the lockout after failed attempts, or by an admin.
    pub locked_out: bool,
    /// Failed password sign-ins since the last good one (`failed_attempts`).
    pub failed_attempts: u32,
    /// "Web service access only": no UI login; exempt from the Basic auth restriction.
    pub web_service_access_only: bool,
    /// "Password needs reset": blocks the password grant
    /// (docs/servicenow/auth.md#password-grant-and-refresh) and, [I], Basic auth.
    pub password_needs_reset: bool,
    pub roles: Vec<String>,
}

/// Passwords stay out of test output.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("user_name", &self.user_name)
            .field("active", &self.active)
            .field("locked_out", &self.locked_out)
            .field("failed_attempts", &self.failed_attempts)
            .field("web_service_access_only", &self.web_service_access_only)
            .field("password_needs_reset", &self.password_needs_reset)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

impl User {
    /// An active interactive user without roles.
    pub fn new(user_name: &str, password: &str) -> User {
        User {
            user_name: user_name.to_string(),
            password: password.to_string(),
            active: true,
            locked_out: false,
            failed_attempts: 0,
            web_service_access_only: false,
            password_needs_reset: false,
            roles: Vec::new(),
        }
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    fn with_roles(mut self, roles: &[&str]) -> User {
        self.roles = roles.iter().map(|r| r.to_string()).collect();
        self
    }
}

/// Why a sign-in failed. The instance answers all of them alike; tests and log lines
/// may tell them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Denial {
    UnknownUser,
    WrongPassword,
    LockedOut,
    Inactive,
    PasswordNeedsReset,
}

struct Account {
    user: User,
    sys_id: String,
    /// When the lockout locked it (simulated time); `None` for a lock set by hand.
    locked_at: Option<Duration>,
}

pub(crate) struct Users {
    accounts: Vec<Account>,
    ids: Ids,
}

impl Users {
    /// admin, the integration user of the guide (Web service access only, roles `itil` and
    /// `rest_service`) and an agent with `itil`.
    pub(crate) fn seeded(ids: Ids) -> Users {
        let admin = User::new(ADMIN_USER, "admin").with_roles(&["admin"]);
        let integration = User {
            web_service_access_only: true,
            ..User::new(DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD)
                .with_roles(&["itil", "rest_service"])
        };
        let agent = User::new(AGENT_USER_NAME, "agent").with_roles(&["itil"]);
        let accounts = [admin, integration, agent]
            .into_iter()
            .zip(SEED)
            .map(|(user, (_, sys_id))| Account {
                user,
                sys_id: sys_id.to_string(),
                locked_at: None,
            })
            .collect();
        Users { accounts, ids }
    }

    pub(crate) fn get(&self, user_name: &str) -> Option<&User> {
        self.account(user_name).map(|a| &a.user)
    }

    pub(crate) fn sys_id(&self, user_name: &str) -> Option<&str> {
        self.account(user_name).map(|a| a.sys_id.as_str())
    }

    /// Adds the user, or replaces the one of that name (which keeps its sys_id).
    pub(crate) fn put(&mut self, user: User) {
        match self.account_mut(&user.user_name) {
            Some(account) => {
                account.locked_at = None;
                account.user = user;
            }
            None => {
                let sys_id = self.ids.sys_id();
                self.accounts.push(Account {
                    user,
                    sys_id,
                    locked_at: None,
                });
            }
        }
    }

    /// Changes a user as an admin would; false if there is none of that name. A lock set
    /// here is an admin's: it never lifts itself.
    pub(crate) fn update(&mut self, user_name: &str, change: impl FnOnce(&mut User)) -> bool {
        let Some(account) = self.account_mut(user_name) else {
            return false;
        };
        change(&mut account.user);
        account.locked_at = None;
        true
    }

    /// A password sign-in (Basic auth, the password grant), with the lockout's
    /// bookkeeping: a wrong password counts, the count's limit locks the account, a good
    /// sign-in clears the count ("SNC User Clear").
    pub(crate) fn sign_in(
        &mut self,
        user_name: &str,
        password: &str,
        now: Duration,
        properties: &Properties,
    ) -> Result<(), Denial> {
        let account = self.account_mut(user_name).ok_or(Denial::UnknownUser)?;
        account.auto_unlock(now, properties);
        let user = &mut account.user;
        if user.locked_out {
            return Err(Denial::LockedOut);
        }
        if !user.active {
            return Err(Denial::Inactive);
        }
        if user.password != password {
            user.failed_attempts += 1;
            let limit = properties.max_unlock_attempts;
            if limit > 0 && user.failed_attempts >= limit {
                user.locked_out = true;
                account.locked_at = Some(now);
            }
            return Err(Denial::WrongPassword);
        }
        if user.password_needs_reset {
            return Err(Denial::PasswordNeedsReset);
        }
        user.failed_attempts = 0;
        Ok(())
    }

    /// Whether this user may be granted a token without a password (the client credentials
    /// grant's application user, a refresh): one who may act and is not flagged "Password
    /// needs reset" (docs/servicenow/auth.md#oauth-client-credentials [R]).
    pub(crate) fn may_sign_in(
        &mut self,
        user_name: &str,
        now: Duration,
        properties: &Properties,
    ) -> bool {
        let needs_reset = self.get(user_name).is_some_and(|u| u.password_needs_reset);
        !needs_reset && self.may_act(user_name, now, properties)
    }

    /// Whether a token or key may still act as this user: [I] an inactive or locked-out
    /// account's sessions stop working, as its sign-ins do.
    pub(crate) fn may_act(
        &mut self,
        user_name: &str,
        now: Duration,
        properties: &Properties,
    ) -> bool {
        let Some(account) = self.account_mut(user_name) else {
            return false;
        };
        account.auto_unlock(now, properties);
        account.user.active && !account.user.locked_out
    }

    fn account(&self, user_name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.user.user_name == user_name)
    }

    fn account_mut(&mut self, user_name: &str) -> Option<&mut Account> {
        self.accounts
            .iter_mut()
            .find(|a| a.user.user_name == user_name)
    }
}

impl Account {
    /// "SNC User Lockout Check with Auto Unlock": the lockout's own lock lifts after the
    /// timeout, and the count starts again.
    fn auto_unlock(&mut self, now: Duration, properties: &Properties) {
        let (Some(at), Some(timeout)) = (self.locked_at, properties.unlock_timeout) else {
            return;
        };
        if now >= at + timeout {
            self.user.locked_out = false;
            self.user.failed_attempts = 0;
            self.locked_at = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Duration = Duration::from_secs(1_700_000_000);

    fn users() -> Users {
        Users::seeded(Ids::seeded())
    }

    #[test]
    fn seeded_users_follow_the_guide() {
        let users = users();
        let integration = users.get(DEFAULT_USER_NAME).unwrap();
        assert!(integration.web_service_access_only && integration.active);
        assert!(integration.has_role("itil") && integration.has_role("rest_service"));
        assert_eq!(
            users.sys_id(DEFAULT_USER_NAME),
            Some("5137153cc611227c000bbd1bd8cd2005")
        );
        assert!(users.get(AGENT_USER_NAME).unwrap().has_role("itil"));
        assert!(!format!("{integration:?}").contains(DEFAULT_USER_PASSWORD));
    }

    #[test]
    fn five_failures_lock_and_the_right_password_then_fails_too() {
        let mut users = users();
        let props = Properties::default();
        let name = DEFAULT_USER_NAME;
        for attempt in 1..=4 {
            assert_eq!(
                users.sign_in(name, "wrong", T0, &props),
                Err(Denial::WrongPassword)
            );
            assert_eq!(users.get(name).unwrap().failed_attempts, attempt);
        }
        // A good sign-in clears the count.
        assert_eq!(
            users.sign_in(name, DEFAULT_USER_PASSWORD, T0, &props),
            Ok(())
        );
        assert_eq!(users.get(name).unwrap().failed_attempts, 0);
        for _ in 0..5 {
            assert_eq!(
                users.sign_in(name, "wrong", T0, &props),
                Err(Denial::WrongPassword)
            );
        }
        assert!(users.get(name).unwrap().locked_out);
        assert_eq!(
            users.sign_in(name, DEFAULT_USER_PASSWORD, T0, &props),
            Err(Denial::LockedOut)
        );
        assert!(!users.may_act(name, T0, &props));
        // Auto unlock after the timeout.
        let later = T0 + Duration::from_secs(15 * 60);
        assert_eq!(
            users.sign_in(name, DEFAULT_USER_PASSWORD, later, &props),
            Ok(())
        );
    }

    #[test]
    fn without_auto_unlock_or_when_locked_by_hand_the_lock_stays() {
        let mut users = users();
        let props = Properties {
            unlock_timeout: None,
            max_unlock_attempts: 2,
            ..Properties::default()
        };
        let name = AGENT_USER_NAME;
        let _ = users.sign_in(name, "x", T0, &props);
        assert!(!users.get(name).unwrap().locked_out);
        let _ = users.sign_in(name, "x", T0, &props);
        assert!(users.get(name).unwrap().locked_out);
        let much_later = T0 + Duration::from_secs(86_400);
        assert_eq!(
            users.sign_in(name, "agent", much_later, &props),
            Err(Denial::LockedOut)
        );
        assert!(users.update(name, |u| u.locked_out = false));
        assert_eq!(users.sign_in(name, "agent", much_later, &props), Ok(()));
        assert!(users.update(name, |u| u.locked_out = true));
        let defaults = Properties::default();
        assert_eq!(
            users.sign_in(name, "agent", much_later * 2, &defaults),
            Err(Denial::LockedOut)
        );
    }

    #[test]
    fn inactive_unknown_and_reset_users_are_refused() {
        let mut users = users();
        let props = Properties::default();
        assert_eq!(
            users.sign_in("nobody", "x", T0, &props),
            Err(Denial::UnknownUser)
        );
        users.update(AGENT_USER_NAME, |u| u.password_needs_reset = true);
        assert_eq!(
            users.sign_in(AGENT_USER_NAME, "agent", T0, &props),
            Err(Denial::PasswordNeedsReset)
        );
        users.update(AGENT_USER_NAME, |u| u.active = false);
        assert_eq!(
            users.sign_in(AGENT_USER_NAME, "agent", T0, &props),
            Err(Denial::Inactive)
        );
        assert!(!users.may_act(AGENT_USER_NAME, T0, &props));
        assert!(!users.may_act("nobody", T0, &props));
        users.put(User::new("fred", "pw"));
        assert_eq!(users.sign_in("fred", "pw", T0, &props), Ok(()));
        assert_eq!(users.sys_id("fred").map(str::len), Some(32));
        let id = users.sys_id("fred").unwrap().to_string();
        users.put(User::new("fred", "new"));
        assert_eq!(users.sys_id("fred"), Some(id.as_str()));
    }
}
