//! `POST /oauth_token.do`, the client credentials grant (§1), and the bearer check the
//! Table API runs on every call (§1.4).

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;

use crate::faults::Faults;
use crate::ids::Ids;
use crate::reply::Reply;
use crate::request::RecordedRequest;

/// §1.2: the default Access Token Lifespan.
pub(crate) const DEFAULT_LIFESPAN_SECS: u64 = 1800;

/// The OAuth Application Registry entry of the guide (step 4).
pub(crate) struct OAuthApp {
    pub client_id: String,
    pub client_secret: String,
    /// The `oauth_entity` sys_id, named by the "integration user" error.
    pub entity_id: String,
}

/// Issued access tokens and when (in simulated time since the epoch) each expires.
pub(crate) struct Tokens {
    ids: Ids,
    issued: HashMap<String, Duration>,
    pub lifespan_secs: u64,
}

impl Tokens {
    pub(crate) fn new(ids: Ids) -> Tokens {
        Tokens {
            ids,
            issued: HashMap::new(),
            lifespan_secs: DEFAULT_LIFESPAN_SECS,
        }
    }

    fn issue(&mut self, now: Duration) -> String {
        self.issued.retain(|_, expires| *expires > now);
        let token = self.ids.opaque(64);
        let expires = now + Duration::from_secs(self.lifespan_secs);
        self.issued.insert(token.clone(), expires);
        token
    }

    pub(crate) fn is_valid(&self, token: &str, now: Duration) -> bool {
        self.issued.get(token).is_some_and(|expires| now < *expires)
    }

    pub(crate) fn expire_all(&mut self) {
        self.issued.clear();
    }
}

/// §1.2: no refresh_token for client credentials; the key order of a real answer.
#[derive(Serialize)]
struct Granted<'a> {
    access_token: &'a str,
    scope: &'a str,
    token_type: &'static str,
    expires_in: u64,
}

/// §1.3: the one answer for almost every failure, with the RFC fields used back to front.
#[derive(Serialize)]
struct Denied {
    error_description: &'static str,
    error: &'static str,
}

/// §1.3: the one failure with its own body.
#[derive(Serialize)]
struct UserMissing {
    error: &'static str,
    error_description: String,
}

pub(crate) fn token_endpoint(
    request: &RecordedRequest,
    app: &OAuthApp,
    faults: &Faults,
    tokens: &mut Tokens,
    now: Duration,
) -> Reply {
    if request.method != "POST" {
        // [I] not captured; the endpoint only takes POSTs.
        return denied().header("allow", "POST");
    }
    let form = request.form_pairs();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if field("grant_type") != Some("client_credentials") {
        return denied();
    }
    // The form wins; otherwise HTTP Basic (§1.1, "Send Client Credentials As").
    let credentials = match (field("client_id"), field("client_secret")) {
        (Some(id), Some(secret)) => Some((id.to_string(), secret.to_string())),
        _ => request.header("authorization").and_then(basic_credentials),
    };
    let authentic =
        credentials.is_some_and(|(id, secret)| id == app.client_id && secret == app.client_secret);
    if !authentic || faults.grant_disabled || faults.application_inactive {
        return denied();
    }
    if faults.oauth_user_missing {
        let body = UserMissing {
            error: "unauthorized_client",
            error_description: format!(
                "Received client_credentials grant_type request however integration user is not configured for OAuth:{}",
                app.entity_id
            ),
        };
        return Reply::json(400, &body);
    }
    let token = tokens.issue(now);
    let granted = Granted {
        access_token: &token,
        // §1.2: the requested scope is echoed, "" when none was asked for.
        scope: field("scope").unwrap_or(""),
        token_type: "Bearer",
        // §1.2: a fresh token reports one second less than its lifespan.
        expires_in: tokens.lifespan_secs.saturating_sub(1),
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

/// The token of an `Authorization: Bearer …` header.
pub(crate) fn bearer(request: &RecordedRequest) -> Option<&str> {
    let value = request.header("authorization")?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

fn basic_credentials(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
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
    fn basic_and_bearer_headers() {
        assert_eq!(
            basic_credentials("Basic aWQ6c2VjcmV0"),
            Some(("id".into(), "secret".into()))
        );
        assert_eq!(basic_credentials("Bearer aWQ6c2VjcmV0"), None);
        let mut request = RecordedRequest {
            method: "GET".into(),
            path: "/".into(),
            query: None,
            headers: vec![("authorization".into(), "bearer abc".into())],
            body: String::new(),
        };
        assert_eq!(bearer(&request), Some("abc"));
        request.headers[0].1 = "Bearer ".into();
        assert_eq!(bearer(&request), None);
    }

    #[test]
    fn tokens_expire_with_simulated_time() {
        let mut tokens = Tokens::new(Ids::seeded());
        let t0 = Duration::from_secs(1_000_000);
        let token = tokens.issue(t0);
        assert!(token.len() >= 40);
        assert!(tokens.is_valid(&token, t0 + Duration::from_secs(1799)));
        assert!(!tokens.is_valid(&token, t0 + Duration::from_secs(1800)));
        let other = tokens.issue(t0);
        tokens.expire_all();
        assert!(!tokens.is_valid(&other, t0));
    }
}
