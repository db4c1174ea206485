//! OAuth 2.0 against `/oauth_token.do`: the client credentials grant
//! (docs/servicenow/auth.md#oauth-client-credentials), the password grant and its refresh
//! (docs/servicenow/auth.md#password-grant-and-refresh), and the per-instance token cache: N
//! tickets cost one token request, not N.

use crate::primitives::prelude::*;

mod carried;

use core::fmt;
use core::time::Duration;

use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::guide;
use crate::primitives::http::{Method, Request, Transport, USER_AGENT};
use crate::primitives::json::{self, Fields};
use crate::primitives::text::server_text;
use crate::servicenow::answer;
use crate::servicenow::auth::{Authorization, Credentials};

/// Refresh this long before ServiceNow's expiry, as PySNC and the ansible collection do
/// (docs/servicenow/auth.md#oauth-client-credentials), so a token never dies in flight.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// ServiceNow's default Access Token Lifespan (docs/servicenow/auth.md#oauth-client-credentials),
/// assumed when none is given.
const DEFAULT_LIFESPAN: Duration = Duration::from_secs(1800);

/// A longer lifespan than a day is not believed: the token is renewed daily at least, and
/// no arithmetic on an absurd `expires_in` can overflow.
const MAX_LIFESPAN: Duration = Duration::from_secs(24 * 60 * 60);

/// An OAuth access token. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(String);

impl AccessToken {
    #[cfg(test)]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The header it becomes on a Table API request: `Authorization: Bearer <token>`.
    pub fn to_authorization(&self) -> Authorization {
        Authorization::bearer(&self.0)
    }
}

/// The password grant's refresh token: renews the access token without the password.
/// `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken(String);

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RefreshToken(<redacted>)")
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(<redacted>)")
    }
}

/// What the token endpoint granted.
#[derive(Debug)]
pub struct Grant {
    pub token: AccessToken,
    pub expires_in: Duration,
    /// The password grant's; a refresh answers the same one again
    /// (docs/servicenow/auth.md#password-grant-and-refresh).
    pub refresh: Option<RefreshToken>,
}

/// A granted token: `{"access_token": …, "expires_in": …}`, with a `refresh_token` for
/// the password grant.
struct TokenBody {
    access_token: String,
    expires_in: Option<u64>,
    refresh_token: Option<String>,
}

impl TokenBody {
    fn parse(body: &[u8]) -> Result<Self, json::Error> {
        let value = json::parse(body)?;
        let mut fields = Fields::of(&value, "struct TokenBody")?;
        let access_token = fields.get("access_token", json::string);
        let expires_in = fields.get("expires_in", json::optional_u64).flatten();
        let refresh_token = fields.get("refresh_token", json::optional_string).flatten();
        fields.finish()?;
        Ok(Self {
            access_token: access_token.ok_or_else(|| json::missing_field("access_token"))?,
            expires_in,
            refresh_token,
        })
    }
}

/// A refusal: `{"error": …, "error_description": …}`.
struct TokenErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

impl TokenErrorBody {
    fn parse(body: &[u8]) -> Option<Self> {
        let value = json::parse(body).ok()?;
        let mut fields = Fields::of(&value, "struct TokenErrorBody").ok()?;
        let error = fields.get("error", json::optional_string).flatten();
        let error_description = fields
            .get("error_description", json::optional_string)
            .flatten();
        fields.finish().ok()?;
        Some(Self {
            error,
            error_description,
        })
    }
}

/// `POST {instance}/oauth_token.do` with the credentials in the form body, the Application
/// Registry's default "Send Client Credentials As": the client credentials grant, or the
/// password grant as the integration user. Basic and API key need no token: asking for one
/// is a bug, answered as invalid settings.
pub fn request_token(
    transport: &impl Transport,
    token_url: &str,
    credentials: &Credentials,
) -> Result<Grant> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    let denied = match credentials {
        Credentials::ClientCredentials {
            client_id,
            client_secret,
        } => {
            form.append_pair("grant_type", "client_credentials")
                .append_pair("client_id", client_id)
                .append_pair("client_secret", client_secret.expose());
            guide::TOKEN_DENIED
        }
        Credentials::Password {
            client_id,
            client_secret,
            username,
            password,
        } => {
            form.append_pair("grant_type", "password")
                .append_pair("client_id", client_id)
                .append_pair("client_secret", client_secret.expose())
                .append_pair("username", username)
                .append_pair("password", password.expose());
            guide::PASSWORD_DENIED
        }
        other => {
            return Err(Error::invalid_settings(format!(
                "{} asks for no OAuth token",
                other.who()
            )));
        }
    };
    token_request(transport, token_url, form.finish(), denied)
}

/// `grant_type=refresh_token`: a new access token for the password grant's refresh token.
/// A refused one (expired after 100 days by default, revoked) is `credentials-refused`, and
/// the caller signs in with the password again.
pub fn refresh_token(
    transport: &impl Transport,
    token_url: &str,
    credentials: &Credentials,
    refresh: &RefreshToken,
) -> Result<Grant> {
    let Credentials::Password {
        client_id,
        client_secret,
        ..
    } = credentials
    else {
        return Err(Error::invalid_settings(
            "only the password grant has a refresh token",
        ));
    };
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "refresh_token")
        .append_pair("client_id", client_id)
        .append_pair("client_secret", client_secret.expose())
        .append_pair("refresh_token", &refresh.0)
        .finish();
    token_request(transport, token_url, body, guide::PASSWORD_DENIED)
}

fn token_request(
    transport: &impl Transport,
    token_url: &str,
    body: String,
    denied: guide::Remedy,
) -> Result<Grant> {
    let request = Request::new(Method::Post, token_url.to_string())
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=UTF-8",
        )
        .header("accept", "application/json")
        .header("user-agent", USER_AGENT)
        .body(body.into_bytes())
        // A second token request does no harm: a lost answer is simply asked again.
        .idempotent(true);
    // An instance that echoes the secret in its error text must not get it into a message.
    grant_from(transport, &request, denied).map_err(|mut error| {
        error.message = request.redact(&error.message);
        error
    })
}

fn grant_from(
    transport: &impl Transport,
    request: &Request,
    denied: guide::Remedy,
) -> Result<Grant> {
    const WHAT: &str = "requesting an OAuth token";
    let response = transport
        .send(request)
        .map_err(|e| answer::transport_error(e, WHAT))?;
    answer::require_json(&response, WHAT)?;
    if response.is_success() {
        let body = TokenBody::parse(&response.body).map_err(|e| {
            Error::unexpected(format!(
                "{WHAT}: the token endpoint answered {} without a valid token: {e}",
                response.status
            ))
            .with_status(response.status)
        })?;
        if body.access_token.is_empty() {
            return Err(Error::unexpected(format!(
                "{WHAT}: the access_token is empty"
            )));
        }
        let expires_in = body.expires_in.map_or(DEFAULT_LIFESPAN, |secs| {
            Duration::from_secs(secs).min(MAX_LIFESPAN)
        });
        return Ok(Grant {
            token: AccessToken(body.access_token),
            expires_in,
            refresh: body
                .refresh_token
                .filter(|t| !t.is_empty())
                .map(RefreshToken),
        });
    }
    if response.status >= 500 {
        return Err(answer::server_error(&response, WHAT));
    }
    let body = TokenErrorBody::parse(&response.body);
    let code = body.as_ref().and_then(|b| b.error.as_deref()).unwrap_or("");
    let error = if code == "unauthorized_client" {
        // The one distinct answer (docs/servicenow/auth.md#token-errors): no OAuth Application User
        // on the app.
        Error::new(
            ErrorKind::ServiceAccountMissing,
            "the token endpoint answered unauthorized_client: the OAuth application has no \
             OAuth Application User",
        )
        .with_remedy(guide::OAUTH_USER_MISSING)
    } else {
        let said = body
            .as_ref()
            .map(|b| {
                server_text(&format!(
                    "{}/{}",
                    b.error.as_deref().unwrap_or("-"),
                    b.error_description.as_deref().unwrap_or("-")
                ))
            })
            .unwrap_or_else(|| "no error body".into());
        Error::new(
            ErrorKind::CredentialsRefused,
            format!("ServiceNow refused the credentials at the token endpoint ({said})"),
        )
        .with_remedy(denied)
    };
    Err(error.with_status(response.status))
}

/// The cached token of one tenant.
#[derive(Default, Debug)]
pub struct TokenCache {
    cached: Option<(AccessToken, Duration)>,
    /// Outlives its access token: renews it until ServiceNow refuses it.
    refresh: Option<RefreshToken>,
}

impl TokenCache {
    /// A token valid at `now`, if one is cached.
    pub fn valid_at(&self, now: Duration) -> Option<&AccessToken> {
        match &self.cached {
            Some((token, refresh_at)) if now < *refresh_at => Some(token),
            _ => None,
        }
    }

    pub fn store(&mut self, grant: Grant, now: Duration) -> &AccessToken {
        // A very short lifespan would make the margin swallow it: keep at least half.
        let lifespan = grant.expires_in.min(MAX_LIFESPAN);
        let margin = EXPIRY_MARGIN.min(lifespan / 2);
        let refresh_at = now.saturating_add(lifespan - margin);
        if let Some(refresh) = grant.refresh {
            self.refresh = Some(refresh);
        }
        &self.cached.insert((grant.token, refresh_at)).0
    }

    /// The refresh token, if the grant gave one.
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh.as_ref()
    }

    /// Drops the refresh token (ServiceNow refused it); the access token stays until it
    /// expires or is cleared.
    pub fn forget_refresh_token(&mut self) {
        self.refresh = None;
    }

    /// Drops the access token (ServiceNow refused it: revoked, or expired early); a refresh
    /// token renews it.
    pub fn forget_access_token(&mut self) {
        self.cached = None;
    }

    pub fn clear(&mut self) {
        self.cached = None;
        self.refresh = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::secret::Secret;
    use crate::test_support::answers::{any_response, scripted};
    use crate::test_support::transport::*;
    use proptest::prelude::*;

    const TOKEN_URL: &str = "https://dev1.service-now.com/oauth_token.do";

    fn credentials() -> Credentials {
        Credentials::ClientCredentials {
            client_id: "the-id".into(),
            client_secret: Secret::new("p&ss=word secret"),
        }
    }

    #[test]
    fn posts_form_encoded_credentials() {
        let transport = ScriptedTransport::default();
        transport.push_json(200, TOKEN_OK);
        let grant = request_token(&transport, TOKEN_URL, &credentials()).unwrap();
        assert_eq!(grant.token.expose(), "tok-1");
        assert_eq!(grant.expires_in, Duration::from_secs(1799));
        let sent = &transport.sent()[0];
        assert_eq!(sent.method, Method::Post);
        assert_eq!(sent.url, "https://dev1.service-now.com/oauth_token.do");
        assert!(
            sent.header_value("content-type")
                .unwrap()
                .starts_with("application/x-www-form-urlencoded")
        );
        let body = String::from_utf8(sent.body.clone()).unwrap();
        assert_eq!(
            body,
            "grant_type=client_credentials&client_id=the-id&client_secret=p%26ss%3Dword+secret"
        );
        assert!(!sent.url.contains("secret"));
        assert!(!format!("{sent:?}").contains("p%26ss"));
        assert!(!format!("{grant:?}").contains("tok-1"));
    }

    #[test]
    fn an_instance_that_echoes_the_secret_does_not_get_it_into_the_error() {
        let transport = ScriptedTransport::default();
        transport.push_json(
            401,
            r#"{"error":"access_denied","error_description":"bad secret p&ss=word secret"}"#,
        );
        let err = request_token(&transport, TOKEN_URL, &credentials()).unwrap_err();
        assert!(!err.message.contains("p&ss=word secret"), "{}", err.message);
        assert!(err.message.contains("<redacted>"), "{}", err.message);
    }

    #[test]
    fn generic_401_lists_causes() {
        let transport = ScriptedTransport::default();
        transport.push_json(401, TOKEN_DENIED);
        let err = request_token(&transport, TOKEN_URL, &credentials()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::CredentialsRefused);
        assert_eq!(err.http_status, Some(401));
        assert!(err.message.contains("server_error/access_denied"));
        assert!(
            err.remedy
                .unwrap()
                .text
                .contains("glide.oauth.inbound.client.credential.grant_type.enabled")
        );
        assert!(!err.to_string().contains("p&ss"));
    }

    #[test]
    fn unauthorized_client_means_no_application_user() {
        let transport = ScriptedTransport::default();
        transport.push_json(
            400,
            r#"{"error":"unauthorized_client","error_description":"Received client_credentials grant_type request however integration user is not configured for OAuth:0123"}"#,
        );
        let err = request_token(&transport, TOKEN_URL, &credentials()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::ServiceAccountMissing);
        assert_eq!(err.remedy, Some(guide::OAUTH_USER_MISSING));
    }

    #[test]
    fn hibernating_token_endpoint_is_not_a_grant() {
        let transport = ScriptedTransport::default();
        transport.push(Ok(html(200, HIBERNATING)));
        let err = request_token(&transport, TOKEN_URL, &credentials()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::ServiceAsleep);
    }

    #[test]
    fn success_without_token_is_unexpected() {
        let transport = ScriptedTransport::default();
        transport.push_json(200, r#"{"token_type":"Bearer"}"#);
        let err = request_token(&transport, TOKEN_URL, &credentials()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::UnexpectedResponse);
    }

    #[test]
    fn an_absurd_lifespan_is_clamped_not_overflowed() {
        let transport = ScriptedTransport::default();
        transport.push_json(
            200,
            &format!(r#"{{"access_token":"t","expires_in":{}}}"#, u64::MAX),
        );
        let grant = request_token(&transport, TOKEN_URL, &credentials()).unwrap();
        assert_eq!(grant.expires_in, MAX_LIFESPAN);

        // Even a grant made by hand, and a clock far along, cannot overflow.
        let mut cache = TokenCache::default();
        let huge = Grant {
            token: AccessToken("t".into()),
            expires_in: Duration::MAX,
            refresh: None,
        };
        let late = Duration::MAX - Duration::from_secs(1);
        cache.store(huge, late);
        assert!(cache.valid_at(late).is_some());
        let day = Grant {
            token: AccessToken("t".into()),
            expires_in: Duration::from_secs(u64::MAX),
            refresh: None,
        };
        cache.store(day, Duration::ZERO);
        assert!(cache.valid_at(MAX_LIFESPAN).is_none());
    }

    #[test]
    fn a_malformed_grant_names_what_is_wrong() {
        let transport = ScriptedTransport::default();
        transport.push_json(200, r#"{"access_token":"t","expires_in":"soon"}"#);
        let err = request_token(&transport, TOKEN_URL, &credentials()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::UnexpectedResponse);
        assert!(err.message.contains("invalid type"), "{}", err.message);
    }

    #[test]
    fn cache_expires_before_servicenow_does() {
        let mut cache = TokenCache::default();
        let grant = Grant {
            token: AccessToken("t".into()),
            expires_in: Duration::from_secs(1799),
            refresh: None,
        };
        cache.store(grant, Duration::from_secs(100));
        assert!(cache.valid_at(Duration::from_secs(100 + 1738)).is_some());
        assert!(cache.valid_at(Duration::from_secs(100 + 1739)).is_none());
        cache.clear();
        assert!(cache.valid_at(Duration::from_secs(101)).is_none());
    }

    #[test]
    fn short_lifespans_keep_half() {
        let mut cache = TokenCache::default();
        let grant = Grant {
            token: AccessToken("t".into()),
            expires_in: Duration::from_secs(20),
            refresh: None,
        };
        cache.store(grant, Duration::ZERO);
        assert!(cache.valid_at(Duration::from_secs(9)).is_some());
        assert!(cache.valid_at(Duration::from_secs(10)).is_none());
    }

    proptest! {
        #[test]
        fn token_answers_never_panic_and_grant_only_a_token(response in any_response()) {
            let transport = scripted(&[response]);
            let credentials = Credentials::ClientCredentials {
                client_id: "id".into(),
                client_secret: Secret::new("Zk7-token-secret"),
            };
            match request_token(&transport, TOKEN_URL, &credentials) {
                Ok(grant) => {
                    prop_assert!(!grant.token.expose().is_empty());
                    prop_assert!(grant.expires_in <= core::time::Duration::from_secs(24 * 3600));
                }
                Err(error) => {
                    prop_assert!(!error.message.contains("Zk7-token-secret"));
                    prop_assert!(matches!(
                        error.kind,
                        ErrorKind::CredentialsRefused
                            | ErrorKind::ServiceAccountMissing
                            | ErrorKind::UnexpectedResponse
                            | ErrorKind::ServiceAsleep
                            | ErrorKind::NotTheService
                            | ErrorKind::ServiceUnavailable
                    ), "{:?}", error.kind);
                }
            }
        }
    }
}
