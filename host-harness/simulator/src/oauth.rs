//! `POST /oauth_token.do`: the client credentials grant
//! (docs/servicenow/auth.md#oauth-client-credentials), the password grant and the refresh grant
//! (docs/servicenow/auth.md#password-grant-and-refresh); and the tokens they issue, which REST
//! calls present (docs/servicenow/auth.md#oauth-client-credentials).

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;

use crate::auth::USERACCOUNT_SCOPE;
use crate::ids::Ids;
use crate::instance::Release;
use crate::reply::Reply;
use crate::request::RecordedRequest;
use crate::server::State;

/// docs/servicenow/auth.md#oauth-client-credentials: the default Access Token Lifespan.
pub(crate) const DEFAULT_LIFESPAN_SECS: u64 = 1800;
/// docs/servicenow/auth.md#password-grant-and-refresh: the default Refresh Token Lifespan (100
/// days).
pub(crate) const DEFAULT_REFRESH_LIFESPAN_SECS: u64 = 8_640_000;

/// docs/servicenow/auth.md#password-grant-and-refresh: tokens are 86-character base64url strings
/// (KB0778194).
const TOKEN_LENGTH: usize = 86;

/// The OAuth Application Registry entry of the guide (step 4).
pub(crate) struct OAuthApp {
    pub client_id: String,
    pub client_secret: String,
    /// The `oauth_entity` sys_id, named by the "integration user" error.
    pub entity_id: String,
    /// The OAuth Application User: who client credentials tokens act as
    /// (docs/servicenow/auth.md#oauth-client-credentials).
    pub user: String,
}

/// An issued access token: who it acts as, its scope, and when (in simulated time since
/// the epoch) it expires.
pub(crate) struct Access {
    pub user: String,
    pub scope: String,
    expires: Duration,
}

/// An issued refresh token (docs/servicenow/auth.md#password-grant-and-refresh): whose, for which
/// client, until when, and the access token last issued with it.
struct Refresh {
    client_id: String,
    user: String,
    expires: Duration,
    access: String,
}

/// Issued access and refresh tokens (`oauth_credential`).
pub(crate) struct Tokens {
    ids: Ids,
    issued: HashMap<String, Access>,
    refreshes: HashMap<String, Refresh>,
    pub lifespan_secs: u64,
    pub refresh_lifespan_secs: u64,
}

impl Tokens {
    pub(crate) fn new(ids: Ids) -> Tokens {
        Tokens {
            ids,
            issued: HashMap::new(),
            refreshes: HashMap::new(),
            lifespan_secs: DEFAULT_LIFESPAN_SECS,
            refresh_lifespan_secs: DEFAULT_REFRESH_LIFESPAN_SECS,
        }
    }

    /// docs/servicenow/auth.md#password-grant-and-refresh: the access and refresh token of a
    /// password grant. A repeat grant while the client's token for this user lives returns that
    /// same token, and the refresh token with it, both expiries pushed out (KB0791140). [I] Once
    /// the access token has expired, a live refresh token is still the one returned, with a new
    /// access token.
    fn password_grant(&mut self, client_id: &str, user: &str, now: Duration) -> (String, String) {
        self.refreshes.retain(|_, r| r.expires > now);
        let refresh_expires = now + Duration::from_secs(self.refresh_lifespan_secs);
        let access_expires = now + Duration::from_secs(self.lifespan_secs);
        let existing = self
            .refreshes
            .iter()
            .find(|(_, r)| r.client_id == client_id && r.user == user)
            .map(|(token, r)| (token.clone(), r.access.clone()));
        let Some((refresh, access)) = existing else {
            let access = self.issue(now, user, USERACCOUNT_SCOPE);
            let refresh = self.ids.opaque(TOKEN_LENGTH);
            let record = Refresh {
                client_id: client_id.to_string(),
                user: user.to_string(),
                expires: refresh_expires,
                access: access.clone(),
            };
            self.refreshes.insert(refresh.clone(), record);
            return (access, refresh);
        };
        let access = match self.issued.get_mut(&access).filter(|a| now < a.expires) {
            Some(live) => {
                live.expires = access_expires;
                access
            }
            None => self.issue(now, user, USERACCOUNT_SCOPE),
        };
        if let Some(record) = self.refreshes.get_mut(&refresh) {
            record.expires = refresh_expires;
            record.access = access.clone();
        }
        (access, refresh)
    }

    /// The user of a live refresh token issued to this client.
    fn refresh_owner(&self, client_id: &str, refresh: &str, now: Duration) -> Option<String> {
        self.refreshes
            .get(refresh)
            .filter(|r| r.client_id == client_id && now < r.expires)
            .map(|r| r.user.clone())
    }

    /// docs/servicenow/auth.md#password-grant-and-refresh: a new access token; the refresh token is
    /// not rotated and its expiry does not move ([R] snpro.dev). [I] The access token it replaces
    /// keeps working until it expires.
    fn refresh(&mut self, refresh: &str, user: &str, now: Duration) -> String {
        let access = self.issue(now, user, USERACCOUNT_SCOPE);
        if let Some(record) = self.refreshes.get_mut(refresh) {
            record.access = access.clone();
        }
        access
    }

    /// Every refresh token stops working (expired, or revoked by an admin).
    pub(crate) fn expire_refreshes(&mut self) {
        self.refreshes.clear();
    }

    fn issue(&mut self, now: Duration, user: &str, scope: &str) -> String {
        self.issued.retain(|_, access| access.expires > now);
        let token = self.ids.opaque(TOKEN_LENGTH);
        let access = Access {
            user: user.to_string(),
            scope: scope.to_string(),
            expires: now + Duration::from_secs(self.lifespan_secs),
        };
        self.issued.insert(token.clone(), access);
        token
    }

    /// The live token's grant, if it is one.
    pub(crate) fn lookup(&self, token: &str, now: Duration) -> Option<&Access> {
        self.issued.get(token).filter(|access| now < access.expires)
    }

    #[cfg(test)]
    fn is_valid(&self, token: &str, now: Duration) -> bool {
        self.lookup(token, now).is_some()
    }

    pub(crate) fn expire_all(&mut self) {
        self.issued.clear();
    }
}

/// docs/servicenow/auth.md#oauth-client-credentials: no refresh_token for client credentials; the
/// key order of a real answer.
#[derive(Serialize)]
struct Granted<'a> {
    access_token: &'a str,
    scope: &'a str,
    token_type: &'static str,
    expires_in: u64,
}

/// docs/servicenow/auth.md#password-grant-and-refresh: the password and refresh grants' answer, in
/// KB0778194's key order.
#[derive(Serialize)]
struct GrantedWithRefresh<'a> {
    access_token: &'a str,
    refresh_token: &'a str,
    scope: &'a str,
    token_type: &'static str,
    expires_in: u64,
}

/// docs/servicenow/auth.md#token-errors: the one answer for almost every failure, with the RFC
/// fields used back to front.
#[derive(Serialize)]
struct Denied {
    error_description: &'static str,
    error: &'static str,
}

/// docs/servicenow/auth.md#token-errors: the one failure with its own body.
#[derive(Serialize)]
struct UserMissing {
    error: &'static str,
    error_description: String,
}

pub(crate) fn token_endpoint(state: &mut State, request: &RecordedRequest) -> Reply {
    if request.method != "POST" {
        // [I] not captured; the endpoint only takes POSTs.
        return denied().header("allow", "POST");
    }
    let form = Form(request.form_pairs());
    // The form wins; otherwise HTTP Basic (docs/servicenow/auth.md#oauth-client-credentials, "Send
    // Client Credentials As").
    let credentials = match (form.field("client_id"), form.field("client_secret")) {
        (Some(id), Some(secret)) => Some((id.to_string(), secret.to_string())),
        _ => request.header("authorization").and_then(basic_header),
    };
    let app = &state.app;
    let authentic =
        credentials.is_some_and(|(id, secret)| id == app.client_id && secret == app.client_secret);
    if !authentic || state.faults.application_inactive {
        return denied();
    }
    match form.field("grant_type") {
        Some("client_credentials") => client_credentials(state, &form),
        Some("password") => password(state, &form),
        Some("refresh_token") => refresh(state, &form),
        // docs/servicenow/auth.md#token-errors: [I] no `unsupported_grant_type` has ever been seen;
        // the generic 401.
        _ => denied(),
    }
}

/// A form-encoded body.
struct Form(Vec<(String, String)>);

impl Form {
    fn field(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// docs/servicenow/auth.md#oauth-client-credentials: the grant of the guide, acting as the OAuth
/// Application User.
fn client_credentials(state: &mut State, form: &Form) -> Reply {
    // docs/servicenow/auth.md#client-credentials-before-washington-dc: no such grant before
    // Washington DC ([I] the same generic 401), and none while its system property is off.
    if state.release == Release::BeforeWashingtonDC || state.faults.grant_disabled {
        return denied();
    }
    let app_user = state.app.user.clone();
    // docs/servicenow/auth.md#token-errors: no OAuth Application User, or [R] one that names no
    // user.
    if state.faults.oauth_user_missing || state.users.get(&app_user).is_none() {
        let body = UserMissing {
            error: "unauthorized_client",
            error_description: format!(
                "Received client_credentials grant_type request however integration user is not configured for OAuth:{}",
                state.app.entity_id
            ),
        };
        return Reply::json(400, &body);
    }
    // docs/servicenow/auth.md#oauth-client-credentials [R]: the user must be active, not locked,
    // not flagged "Password needs reset".
    if !may_sign_in(state, &app_user) {
        return denied();
    }
    let now = state.clock.now();
    let scope = form.field("scope").unwrap_or("");
    let token = state.tokens.issue(now, &app_user, scope);
    let granted = Granted {
        access_token: &token,
        // docs/servicenow/auth.md#oauth-client-credentials: the requested scope is echoed, "" when
        // none was asked for.
        scope,
        token_type: "Bearer",
        // docs/servicenow/auth.md#oauth-client-credentials: a fresh token reports one second less
        // than its lifespan.
        expires_in: state.tokens.lifespan_secs.saturating_sub(1),
    };
    Reply::json(200, &granted)
}

/// docs/servicenow/auth.md#password-grant-and-refresh: the resource owner password grant. A wrong
/// password counts toward the lockout like any other password sign-in ([I]); every refusal is the
/// generic 401 ([I] for a wrong password, a locked or an inactive user; [R] for "Password needs
/// reset").
fn password(state: &mut State, form: &Form) -> Reply {
    let (Some(user), Some(password)) = (form.field("username"), form.field("password")) else {
        return denied();
    };
    let now = state.clock.now();
    if state
        .users
        .sign_in(user, password, now, &state.properties)
        .is_err()
    {
        return denied();
    }
    let client_id = state.app.client_id.clone();
    let (access, refresh) = state.tokens.password_grant(&client_id, user, now);
    let lifespan = state.tokens.lifespan_secs;
    granted_with_refresh(&access, &refresh, lifespan)
}

/// docs/servicenow/auth.md#password-grant-and-refresh: a new access token for a live refresh token,
/// which comes back unchanged.
fn refresh(state: &mut State, form: &Form) -> Reply {
    let Some(refresh) = form.field("refresh_token") else {
        return denied();
    };
    let now = state.clock.now();
    let client_id = state.app.client_id.clone();
    let Some(user) = state.tokens.refresh_owner(&client_id, refresh, now) else {
        // docs/servicenow/auth.md#password-grant-and-refresh: expired, revoked or unknown: the
        // generic 401.
        return denied();
    };
    // [I] a user who can no longer sign in gets no new token either.
    if !may_sign_in(state, &user) {
        return denied();
    }
    let access = state.tokens.refresh(refresh, &user, now);
    let lifespan = state.tokens.lifespan_secs;
    granted_with_refresh(&access, refresh, lifespan)
}

fn may_sign_in(state: &mut State, user: &str) -> bool {
    let now = state.clock.now();
    state.users.may_sign_in(user, now, &state.properties)
}

fn granted_with_refresh(access: &str, refresh: &str, lifespan_secs: u64) -> Reply {
    let granted = GrantedWithRefresh {
        access_token: access,
        refresh_token: refresh,
        // docs/servicenow/auth.md#password-grant-and-refresh: the password grant's scope "is always
        // useraccount".
        scope: USERACCOUNT_SCOPE,
        token_type: "Bearer",
        expires_in: lifespan_secs.saturating_sub(1),
    };
    Reply::json(200, &granted)
}

fn denied() -> Reply {
    Reply::json(
        401,
        &Denied {
            error_description: "access_denied",
            error: "server_error",
        },
    )
}

fn basic_header(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    basic_credentials(encoded)
}

/// The name and password (or client id and secret) of HTTP Basic credentials.
pub(crate) fn basic_credentials(encoded: &str) -> Option<(String, String)> {
    let decoded = String::from_utf8(decode_base64(encoded.trim())?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// Standard base64 (RFC 4648), padding optional.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    fn sextet(c: u8) -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        }))
    }
    let digits = text.trim_end_matches('=').as_bytes();
    if digits.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let mut bits = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            bits |= sextet(*c)? << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(decode_base64("aWQ6c2VjcmV0").unwrap(), b"id:secret");
        assert_eq!(decode_base64("YQ==").unwrap(), b"a");
        assert_eq!(decode_base64("YWI").unwrap(), b"ab");
        assert_eq!(decode_base64("").unwrap(), b"");
        assert_eq!(decode_base64("Y"), None);
        assert_eq!(decode_base64("a*bc"), None);
    }

    #[test]
    fn basic_headers() {
        assert_eq!(
            basic_header("Basic aWQ6c2VjcmV0"),
            Some(("id".into(), "secret".into()))
        );
        assert_eq!(basic_header("Bearer aWQ6c2VjcmV0"), None);
        assert_eq!(basic_credentials("bm8tY29sb24"), None);
    }

    #[test]
    fn tokens_expire_with_simulated_time() {
        let mut tokens = Tokens::new(Ids::seeded());
        let t0 = Duration::from_secs(1_000_000);
        let token = tokens.issue(t0, "cxm_integration", "");
        assert_eq!(token.len(), 86);
        assert_eq!(tokens.lookup(&token, t0).unwrap().user, "cxm_integration");
        assert!(tokens.is_valid(&token, t0 + Duration::from_secs(1799)));
        assert!(!tokens.is_valid(&token, t0 + Duration::from_secs(1800)));
        let other = tokens.issue(t0, "cxm_integration", "");
        tokens.expire_all();
        assert!(!tokens.is_valid(&other, t0));
    }
}
