//! The seam between the ServiceNow logic and the network. The component sends through
//! `wasi:http` (the adapters' transport); unit tests script answers (the test support's
//! scripted transport).

use crate::primitives::prelude::*;

use core::fmt;
use core::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
        }
    }
}

/// An outgoing request. `Debug` names only the method, URL and header names: the body of a
/// token request carries the client secret and the `Authorization` header the access token.
#[derive(Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
    /// Whether sending it twice does no more than sending it once: true for reads and for
    /// writes that set columns, false for inserts and journal entries.
    pub idempotent: bool,
}

impl Request {
    pub fn new(method: Method, url: String) -> Self {
        Self {
            idempotent: method != Method::Post,
            method,
            url,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// What this request carries that no message may show: the bearer token, the Basic
    /// credentials, the API key, and the secrets of a token request's form body. An instance
    /// that echoes them back in its error text must not get them into the platform's logs.
    pub fn sensitive_values(&self) -> Vec<String> {
        let credentials = self.headers.iter().filter_map(|(name, value)| match *name {
            "authorization" => value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("Basic ")),
            "x-sn-apikey" => Some(value.as_str()),
            _ => None,
        });
        // Only a token request's form carries secrets; an upload's megabytes are not one.
        let form = self.headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("content-type")
                && value.starts_with("application/x-www-form-urlencoded")
        });
        let secrets = form_urlencoded::parse(if form { &self.body } else { &[] })
            .filter(|(name, _)| matches!(&**name, "client_secret" | "password" | "refresh_token"))
            .map(|(_, value)| value.into_owned());
        credentials
            .map(ToString::to_string)
            .chain(secrets)
            // Shorter values would blot out ordinary words; ServiceNow's secrets and tokens
            // are far longer.
            .filter(|value| value.len() >= 6)
            .collect()
    }

    /// `text` with every sensitive value of this request blotted out.
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_string();
        for value in self.sensitive_values() {
            text = text.replace(&value, "<redacted>");
        }
        text
    }

    /// The URL's path, without the query: what a log may show.
    pub fn path(&self) -> &str {
        let after_scheme = self
            .url
            .split_once("://")
            .map_or(self.url.as_str(), |(_, r)| r);
        let path = after_scheme.find('/').map_or("/", |at| &after_scheme[at..]);
        path.split(['?', '#']).next().unwrap_or(path)
    }

    /// `https://host:port/path?query#fragment` → (`https`, `host:port`, `/path?query`): the
    /// parts `wasi:http` takes. The URL is always one this crate built from the settings.
    pub fn url_parts(&self) -> (&str, &str, &str) {
        let (scheme, rest) = self.url.split_once("://").unwrap_or(("https", &self.url));
        let rest = rest.split('#').next().unwrap_or(rest);
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        (scheme, authority, if path.is_empty() { "/" } else { path })
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn body(mut self, body: Vec<u8>) -> Self {
        self.body = body;
        self
    }

    #[cfg(test)]
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| *n).collect();
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &names)
            .field("body_len", &self.body.len())
            .finish()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// True when the answer claims to be JSON, or looks like it; ServiceNow's API always is, while
    /// hibernation, SSO and proxy pages are HTML
    /// (docs/servicenow/availability.md#hibernating-instances).
    pub fn looks_like_json(&self) -> bool {
        let declared = self
            .header("content-type")
            .map(|ct| ct.to_ascii_lowercase().contains("json"));
        let first = self.body.iter().find(|b| !b.is_ascii_whitespace());
        match declared {
            Some(true) => first != Some(&b'<'),
            _ => matches!(first, Some(b'{') | Some(b'[')),
        }
    }

    /// The `Retry-After` header in seconds, when it is the delta-seconds form ServiceNow sends.
    pub fn retry_after(&self) -> Option<u32> {
        self.header("retry-after")?.trim().parse().ok()
    }
}

/// Why a request got no (whole) HTTP answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportError {
    /// The host's sandbox refused the destination.
    Denied,
    /// Nothing was sent: DNS, connect or TLS failed; the reason in words.
    Unreachable(String),
    /// The request may have reached the instance, but its answer did not come back whole
    /// (the connection dropped, a timeout, or anything else the HTTP stack reported).
    Interrupted(String),
    /// The request is larger than the host lets out: it was not sent.
    RequestTooLarge,
    /// The answer is larger than the host lets in.
    AnswerTooLarge,
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportError::Denied => f.write_str("refused by the platform's sandbox"),
            TransportError::Unreachable(why) | TransportError::Interrupted(why) => f.write_str(why),
            TransportError::RequestTooLarge => f.write_str("the request is too large"),
            TransportError::AnswerTooLarge => f.write_str("the answer is too large"),
        }
    }
}

pub trait Transport {
    fn send(&self, request: &Request) -> Result<Response, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &T {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        (**self).send(request)
    }
}

/// Names this plugin in the instance's transaction log.
pub const USER_AGENT: &str = concat!("cxm-servicenow-ticketing/", env!("CARGO_PKG_VERSION"));

/// How long to wait for the instance to accept a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait for the first byte of an answer once the request is sent, and between two
/// bytes of it. The host clamps both (and the connect timeout) to its own limit.
pub const FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(30);
pub const BETWEEN_BYTES_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest answer the component reads, whatever the host lets in: far above any answer
/// it asks for, and a bound on its memory if a host sets none.
pub const MAX_ANSWER_BYTES: usize = 8 << 20;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parts(url: &str) -> (String, String, String) {
        let request = Request::new(Method::Get, url.to_string());
        let (scheme, authority, path) = request.url_parts();
        (scheme.into(), authority.into(), path.into())
    }

    #[test]
    fn a_request_url_splits_into_the_parts_wasi_http_takes() {
        let owned = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
        assert_eq!(
            parts("https://dev1.service-now.com/api/now/table/incident?a=b#x"),
            owned(
                "https",
                "dev1.service-now.com",
                "/api/now/table/incident?a=b"
            )
        );
        assert_eq!(
            parts("http://127.0.0.1:8080/oauth_token.do"),
            owned("http", "127.0.0.1:8080", "/oauth_token.do")
        );
        assert_eq!(parts("https://h:1"), owned("https", "h:1", "/"));
    }

    proptest! {
        #[test]
        fn request_paths_never_carry_the_query(path in "[a-z/_]{0,20}", query in ".{0,20}") {
            let request = Request::new(Method::Get, format!("https://dev1.service-now.com/{path}?{query}"));
            prop_assert!(!request.path().contains('?'));
            prop_assert!(request.path().starts_with('/'));
        }
    }
}
