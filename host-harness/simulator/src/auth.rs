//! Who a REST call is made as: a bearer token (docs/servicenow/auth.md#oauth-client-credentials),
//! Basic auth as a user (docs/servicenow/auth.md#basic-authentication) or a REST API key
//! (docs/servicenow/auth.md#api-keys). Every REST path authenticates first; the answer to a failure
//! is the same 401 whichever way was tried, so a client cannot tell a wrong password from an
//! unknown user. A signed-in call's answer carries the session headers of
//! docs/servicenow/auth.md#basic-authentication.

use crate::faults::RestApi;
use crate::instance::Release;
use crate::oauth;
use crate::reply::Reply;
use crate::request::RecordedRequest;
use crate::server::State;

/// docs/servicenow/auth.md#basic-authentication: the role that exempts an account from the Basic
/// auth restriction.
pub(crate) const BASIC_AUTH_ROLE: &str = "snc_basic_auth_api_access";

/// docs/servicenow/auth.md#oauth-client-credentials, docs/servicenow/attachments.md: the scope of
/// the password grant, which passes every auth scope check.
pub(crate) const USERACCOUNT_SCOPE: &str = "useraccount";

/// The user a call acts as, and how it got in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Caller {
    pub user: String,
    pub via: Via,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Via {
    /// A bearer token and the scope it was granted.
    OAuth {
        scope: String,
    },
    Basic,
    ApiKey,
}

impl Caller {
    /// docs/servicenow/availability.md#hibernating-instances, docs/servicenow/attachments.md: REST
    /// API auth scopes apply to OAuth tokens only, and a `useraccount` token passes them all.
    pub(crate) fn scope_checked(&self) -> bool {
        match &self.via {
            Via::OAuth { scope } => !scope.split(' ').any(|s| s == USERACCOUNT_SCOPE),
            Via::Basic | Via::ApiKey => false,
        }
    }
}

/// Authenticates a REST call to `api` (`None`: a path that names no API).
pub(crate) fn authenticate(
    state: &mut State,
    request: &RecordedRequest,
    api: Option<RestApi>,
) -> Result<Caller, Reply> {
    if let Some(value) = request.header("authorization") {
        let (scheme, credentials) = value.trim().split_once(' ').unwrap_or((value, ""));
        return if scheme.eq_ignore_ascii_case("bearer") {
            bearer(state, credentials.trim())
        } else if scheme.eq_ignore_ascii_case("basic") {
            basic(state, credentials.trim())
        } else {
            Err(not_authenticated())
        };
    }
    match api_key(request) {
        Some(key) if accepts_api_keys(state, api) => by_api_key(state, &key),
        // docs/servicenow/auth.md#api-keys: without the plugin or an access policy for this API the
        // header means nothing, and the call is simply unauthenticated.
        _ => Err(not_authenticated()),
    }
}

fn bearer(state: &mut State, token: &str) -> Result<Caller, Reply> {
    let now = state.clock.now();
    let access = state
        .tokens
        .lookup(token, now)
        .filter(|_| !state.faults.reject_tokens)
        .ok_or_else(not_authenticated)?;
    let caller = Caller {
        user: access.user.clone(),
        via: Via::OAuth {
            scope: access.scope.clone(),
        },
    };
    acting(state, caller)
}

fn basic(state: &mut State, encoded: &str) -> Result<Caller, Reply> {
    let (user_name, password) = oauth::basic_credentials(encoded).ok_or_else(not_authenticated)?;
    let now = state.clock.now();
    state
        .users
        .sign_in(&user_name, &password, now, &state.properties)
        .map_err(|_| not_authenticated())?;
    if state.properties.basic_auth_restriction {
        let exempt = state
            .users
            .get(&user_name)
            .is_some_and(|u| u.web_service_access_only || u.has_role(BASIC_AUTH_ROLE));
        if !exempt {
            // docs/servicenow/table-api.md#errors, docs/servicenow/auth.md#basic-authentication:
            // "denied basic-auth API call for interactive-login user".
            return Err(unauthenticated("User is not authenticated"));
        }
    }
    Ok(Caller {
        user: user_name,
        via: Via::Basic,
    })
}

fn by_api_key(state: &mut State, key: &str) -> Result<Caller, Reply> {
    let now = state.clock.now();
    let user = state
        .api_keys
        .user(key, now)
        .ok_or_else(not_authenticated)?;
    let caller = Caller {
        user: user.to_string(),
        via: Via::ApiKey,
    };
    acting(state, caller)
}

/// A token or key acts as its user only while that user may sign in.
fn acting(state: &mut State, caller: Caller) -> Result<Caller, Reply> {
    let now = state.clock.now();
    if state.users.may_act(&caller.user, now, &state.properties) {
        Ok(caller)
    } else {
        Err(not_authenticated())
    }
}

/// docs/servicenow/auth.md#api-keys: the header, or the query parameter of the same name.
fn api_key(request: &RecordedRequest) -> Option<String> {
    request
        .header("x-sn-apikey")
        .map(str::to_string)
        .or_else(|| request.query_param("x-sn-apikey"))
        .filter(|k| !k.trim().is_empty())
}

fn accepts_api_keys(state: &State, api: Option<RestApi>) -> bool {
    state.release == Release::WashingtonDCOrLater
        && api.is_some_and(|api| !state.faults.api_key_policy_missing.contains(&api))
}

/// docs/servicenow/table-api.md#errors, docs/servicenow/auth.md#basic-authentication: the captured
/// answer to missing or wrong credentials of any kind.
pub(crate) fn not_authenticated() -> Reply {
    unauthenticated("User Not Authenticated")
}

/// docs/servicenow/auth.md#basic-authentication: the 401 carries the Basic challenge whatever was
/// tried: [I] for bearer tokens and keys, whose 401s were captured without their headers.
fn unauthenticated(message: &str) -> Reply {
    Reply::error(401, message, Some("Required to provide Auth information"))
        .header("www-authenticate", "BASIC realm=\"Service-now\"")
}

/// docs/servicenow/auth.md#basic-authentication: what a signed-in call's answer carries, as
/// captured from Basic-auth calls ([I] that tokens and keys get the same).
pub(crate) fn session_headers(reply: Reply, session: &str, transaction: &str) -> Reply {
    reply
        .header("x-is-logged-in", "true")
        .header("x-transaction-id", transaction)
        .header("server-timing", "sem_wait;dur=0, sesh_wait;dur=0")
        .header(
            "set-cookie",
            format!("glide_session_store={session}; Max-Age=1800; Path=/; HttpOnly"),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oauth(scope: &str) -> Caller {
        Caller {
            user: "u".into(),
            via: Via::OAuth {
                scope: scope.into(),
            },
        }
    }

    #[test]
    fn only_oauth_tokens_without_useraccount_meet_scope_checks() {
        assert!(oauth("").scope_checked());
        assert!(oauth("incident_read").scope_checked());
        assert!(!oauth("useraccount").scope_checked());
        assert!(!oauth("incident_read useraccount").scope_checked());
        let basic = Caller {
            user: "u".into(),
            via: Via::Basic,
        };
        assert!(!basic.scope_checked());
    }

    #[test]
    fn the_401_carries_the_basic_challenge() {
        let reply = not_authenticated();
        assert_eq!(reply.status(), 401);
        assert_eq!(
            reply.header_value("www-authenticate"),
            Some("BASIC realm=\"Service-now\"")
        );
    }
}
