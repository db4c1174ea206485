//! How the integration signs in to the instance. The guide's way is OAuth client
//! credentials, which only Washington DC (2024) and later grant; "if you're running an earlier
//! version, you'll need to upgrade ServiceNow or use an alternative authentication method":
//! the OAuth password grant, Basic authentication as the integration user, or (Washington DC
//! and later) a REST API key (docs/servicenow/auth.md). Whatever the method, a Table API request is
//! authorized by one header.

use crate::primitives::prelude::*;

use core::fmt;

use crate::primitives::error::{Error, ErrorKind};
use crate::primitives::guide;
use crate::primitives::secret::Secret;

/// The methods, by their value in the settings form.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthMethod {
    /// OAuth 2.0 client credentials (`grant_type=client_credentials`): the guide's.
    #[default]
    ClientCredentials,
    /// OAuth 2.0 password grant: the OAuth application's client id and secret plus the
    /// integration user's name and password; refreshed with its refresh token.
    Password,
    /// HTTP Basic authentication as the integration user, on every request.
    Basic,
    /// A REST API key (`x-sn-apikey`) on every request.
    ApiKey,
}

impl AuthMethod {
    pub const ALL: [AuthMethod; 4] = [
        AuthMethod::ClientCredentials,
        AuthMethod::Password,
        AuthMethod::Basic,
        AuthMethod::ApiKey,
    ];

    /// The value in the settings form.
    pub fn key(self) -> &'static str {
        match self {
            AuthMethod::ClientCredentials => "client_credentials",
            AuthMethod::Password => "password",
            AuthMethod::Basic => "basic",
            AuthMethod::ApiKey => "api_key",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.key() == key)
    }
}

/// The credentials of the method in force; `Debug` never shows a secret.
#[derive(Clone, PartialEq, Eq, Hash)]
// `ClientCredentials` is the OAuth grant's own name.
#[allow(clippy::enum_variant_names)]
pub enum Credentials {
    ClientCredentials {
        client_id: String,
        client_secret: Secret,
    },
    Password {
        client_id: String,
        client_secret: Secret,
        username: String,
        password: Secret,
    },
    Basic {
        username: String,
        password: Secret,
        /// `Basic <base64 of user:password>`, made once at configure.
        authorization: Authorization,
    },
    ApiKey {
        key: Authorization,
    },
}

impl Credentials {
    pub fn basic(username: &str, password: &Secret) -> Self {
        let pair = format!("{username}:{}", password.expose());
        Credentials::Basic {
            username: username.to_string(),
            password: password.clone(),
            authorization: Authorization {
                presents: Presents::UserPassword,
                name: "authorization",
                value: format!("Basic {}", base64(pair.as_bytes())),
            },
        }
    }

    pub fn api_key(key: &Secret) -> Self {
        Credentials::ApiKey {
            key: Authorization {
                presents: Presents::ApiKey,
                name: "x-sn-apikey",
                value: key.expose().to_string(),
            },
        }
    }

    /// Who signs in, for Test Connection's detail; never a secret.
    pub fn who(&self) -> String {
        match self {
            Credentials::ClientCredentials { client_id, .. } => {
                format!("OAuth client credentials, client ID {client_id}")
            }
            Credentials::Password {
                client_id,
                username,
                ..
            } => format!("OAuth password grant as user {username}, client ID {client_id}"),
            Credentials::Basic { username, .. } => {
                format!("Basic authentication as user {username}")
            }
            Credentials::ApiKey { .. } => "a REST API key".into(),
        }
    }

    /// The user the integration signs in as, when the settings name one (password grant,
    /// Basic); client credentials act as the OAuth Application User and an API key as its
    /// key's user, which only the instance knows.
    pub fn user_name(&self) -> Option<&str> {
        match self {
            Credentials::Password { username, .. } | Credentials::Basic { username, .. } => {
                Some(username)
            }
            Credentials::ClientCredentials { .. } | Credentials::ApiKey { .. } => None,
        }
    }

    /// The header every request carries, for the methods that need no token.
    pub fn fixed_authorization(&self) -> Option<&Authorization> {
        match self {
            Credentials::Basic { authorization, .. } => Some(authorization),
            Credentials::ApiKey { key } => Some(key),
            _ => None,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({})", self.who())
    }
}

/// What authorizes one request: a header name and its value, and what it presents.
/// `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Authorization {
    presents: Presents,
    name: &'static str,
    value: String,
}

/// What an [`Authorization`] presents to the instance, which says what a 401 to it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Presents {
    /// An OAuth access token: it can expire or be revoked early, and a fresh one may do.
    AccessToken,
    /// Basic authentication: the user's name and password, on every request.
    UserPassword,
    /// A REST API key, on every request.
    ApiKey,
}

impl Authorization {
    /// `Authorization: Bearer <token>`.
    pub fn bearer(token: &str) -> Self {
        Self {
            presents: Presents::AccessToken,
            name: "authorization",
            value: format!("Bearer {token}"),
        }
    }

    /// A REST API key, which each API admits by an access policy of its own.
    pub fn is_api_key(&self) -> bool {
        self.presents == Presents::ApiKey
    }

    /// ServiceNow's 401 to a request this authorized, in the words of what it presented: an
    /// access token it no longer takes (`not-authenticated`: the caller gets a fresh one), or
    /// Basic or API key credentials refused (`credentials-refused`: nothing to renew), each
    /// with its method's remedy. `said` is ServiceNow's own message, made printable.
    pub fn refused(&self, what: &str, said: &str) -> Error {
        let (kind, presented, remedy) = match self.presents {
            Presents::AccessToken => (
                ErrorKind::NotAuthenticated,
                "the access token",
                guide::TOKEN_REFUSED,
            ),
            Presents::UserPassword => (
                ErrorKind::CredentialsRefused,
                "the credentials",
                guide::BASIC_DENIED,
            ),
            Presents::ApiKey => (
                ErrorKind::CredentialsRefused,
                "the credentials",
                guide::API_KEY_DENIED,
            ),
        };
        Error::new(
            kind,
            format!("{what}: ServiceNow refused {presented} ({said})"),
        )
        .with_remedy(remedy)
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Debug for Authorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Authorization({}: <redacted>)", self.name)
    }
}

/// Standard base64 with padding (RFC 4648 section 4), as Basic authentication wants it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> shift & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 401 means what the request presented: a token to renew, or credentials refused.
    #[test]
    fn a_refusal_is_worded_for_what_was_presented() {
        let said = "User Not Authenticated: Required to provide Auth information";
        let password = Secret::new("pa55-word");
        let cases = [
            (
                Authorization::bearer("tok-9"),
                ErrorKind::NotAuthenticated,
                "ServiceNow refused the access token",
                guide::TOKEN_REFUSED,
            ),
            (
                Credentials::basic("svc_cxm", &password)
                    .fixed_authorization()
                    .unwrap()
                    .clone(),
                ErrorKind::CredentialsRefused,
                "ServiceNow refused the credentials",
                guide::BASIC_DENIED,
            ),
            (
                Credentials::api_key(&Secret::new("k3y-value"))
                    .fixed_authorization()
                    .unwrap()
                    .clone(),
                ErrorKind::CredentialsRefused,
                "ServiceNow refused the credentials",
                guide::API_KEY_DENIED,
            ),
        ];
        for (auth, kind, words, remedy) in cases {
            let error = auth.refused("reading incident", said);
            assert_eq!(error.kind, kind, "{auth:?}");
            assert_eq!(error.message, format!("reading incident: {words} ({said})"));
            assert_eq!(error.remedy, Some(remedy));
            assert!(!error.message.contains(auth.value()));
        }
    }

    #[test]
    fn base64_as_rfc_4648_has_it() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            (
                "cxm_integration:p@ss wörd",
                "Y3htX2ludGVncmF0aW9uOnBAc3Mgd8O2cmQ=",
            ),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
    }

    #[test]
    fn methods_by_key_and_nothing_secret_in_debug() {
        for method in AuthMethod::ALL {
            assert_eq!(AuthMethod::parse(method.key()), Some(method));
        }
        assert_eq!(AuthMethod::parse("oauth"), None);
        let basic = Credentials::basic("cxm", &Secret::new("hunter2-pw"));
        let key = Credentials::api_key(&Secret::new("key-0123456789"));
        for shown in [format!("{basic:?}"), format!("{key:?}")] {
            assert!(
                !shown.contains("hunter2") && !shown.contains("0123456789"),
                "{shown}"
            );
        }
        assert_eq!(
            basic.fixed_authorization().unwrap().value(),
            "Basic Y3htOmh1bnRlcjItcHc="
        );
        assert_eq!(key.fixed_authorization().unwrap().name(), "x-sn-apikey");
    }
}
