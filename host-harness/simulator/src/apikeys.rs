//! REST API keys (docs/servicenow/auth.md#api-keys, Washington DC and later): a generated token
//! that acts as its user, sent in the `x-sn-apikey` header (or query parameter).

use std::time::Duration;

use crate::ids::Ids;

struct ApiKey {
    token: String,
    user: String,
    active: bool,
    /// Simulated time after which it stops working; `None`: never (an empty Expiry).
    expires: Option<Duration>,
}

pub(crate) struct ApiKeys {
    keys: Vec<ApiKey>,
    ids: Ids,
}

impl ApiKeys {
    pub(crate) fn new(ids: Ids) -> ApiKeys {
        ApiKeys {
            keys: Vec::new(),
            ids,
        }
    }

    /// A new active key for the user. [I] The token's format is not documented; 32
    /// URL-safe characters.
    pub(crate) fn create(&mut self, user: &str, expires: Option<Duration>) -> String {
        let token = self.ids.opaque(32);
        self.keys.push(ApiKey {
            token: token.clone(),
            user: user.to_string(),
            active: true,
            expires,
        });
        token
    }

    pub(crate) fn set_active(&mut self, token: &str, active: bool) -> bool {
        self.find(token).map(|k| k.active = active).is_some()
    }

    pub(crate) fn set_expiry(&mut self, token: &str, expires: Option<Duration>) -> bool {
        self.find(token).map(|k| k.expires = expires).is_some()
    }

    /// The user an active, unexpired key acts as.
    pub(crate) fn user(&self, token: &str, now: Duration) -> Option<&str> {
        self.keys
            .iter()
            .find(|k| k.token == token)
            .filter(|k| k.active && k.expires.is_none_or(|at| now < at))
            .map(|k| k.user.as_str())
    }

    fn find(&mut self, token: &str) -> Option<&mut ApiKey> {
        self.keys.iter_mut().find(|k| k.token == token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_active_unexpired_keys_act() {
        let mut keys = ApiKeys::new(Ids::seeded());
        let now = Duration::from_secs(1000);
        let key = keys.create("cxm_integration", None);
        assert_eq!(key.len(), 32);
        assert_eq!(keys.user(&key, now), Some("cxm_integration"));
        assert_eq!(keys.user("other", now), None);
        assert!(keys.set_active(&key, false));
        assert_eq!(keys.user(&key, now), None);
        keys.set_active(&key, true);
        assert!(keys.set_expiry(&key, Some(now)));
        assert_eq!(
            keys.user(&key, now - Duration::from_secs(1)),
            Some("cxm_integration")
        );
        assert_eq!(keys.user(&key, now), None);
        assert!(!keys.set_active("missing", true));
    }
}
