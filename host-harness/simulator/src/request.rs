//! A request as the simulator received it, kept for tests to inspect.

use axum::http::request::Parts;
use url::form_urlencoded;

/// One HTTP request received by the simulator, recorded before it was answered.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    /// The path as sent (not percent-decoded), without the query.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Header names are lowercase; repeated headers appear once per value.
    pub headers: Vec<(String, String)>,
    /// The body as text (invalid UTF-8 replaced).
    pub body: String,
}

impl RecordedRequest {
    pub(crate) fn new(parts: &Parts, body: &[u8]) -> RecordedRequest {
        RecordedRequest {
            method: parts.method.as_str().to_string(),
            path: parts.uri.path().to_string(),
            query: parts.uri.query().map(str::to_string),
            headers: parts
                .headers
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_string(), value)
                })
                .collect(),
            body: String::from_utf8_lossy(body).into_owned(),
        }
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a query parameter, percent-decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        first(self.query_pairs(), name)
    }

    /// The first value of a form-encoded body parameter, percent-decoded.
    pub fn form_param(&self, name: &str) -> Option<String> {
        first(self.form_pairs(), name)
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json_body(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }

    pub(crate) fn query_pairs(&self) -> Vec<(String, String)> {
        decode(self.query.as_deref().unwrap_or(""))
    }

    pub(crate) fn form_pairs(&self) -> Vec<(String, String)> {
        decode(&self.body)
    }
}

fn decode(encoded: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(encoded.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn first(pairs: Vec<(String, String)>, name: &str) -> Option<String> {
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// One `sys_journal_field` entry (a comment or work note) of a record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JournalEntry {
    /// "work_notes" or "comments".
    pub element: String,
    pub value: String,
    pub sys_created_on: String,
    /// The user_name of whoever wrote it.
    pub sys_created_by: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            path: "/oauth_token.do".into(),
            query: Some("sysparm_query=name%3DNetwork%5Eactive%3Dtrue&x=a+b".into()),
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: "grant_type=client_credentials&client_secret=s%2B%26t".into(),
        }
    }

    #[test]
    fn parameters_are_decoded() {
        let r = request();
        assert_eq!(
            r.query_param("sysparm_query").as_deref(),
            Some("name=Network^active=true")
        );
        assert_eq!(r.query_param("x").as_deref(), Some("a b"));
        assert_eq!(r.query_param("missing"), None);
        assert_eq!(r.form_param("client_secret").as_deref(), Some("s+&t"));
        assert_eq!(
            r.header("Content-Type"),
            Some("application/x-www-form-urlencoded")
        );
        assert_eq!(r.json_body(), None);
    }
}
