//! ServiceNow's Table API (`/api/now/table/{table}`, facts §2): requests, the `{"result":…}`
//! envelope and the `{"error":{message,detail},"status":"failure"}` envelope.

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::answer;
use crate::error::{Error, ErrorKind, Result};
use crate::guide;
use crate::http::{Method, Request, Response, Transport};
use crate::oauth::AccessToken;
use crate::settings::InstanceUrl;

/// A ServiceNow row: column name to value (every value a string on the wire).
pub type Record = Map<String, Value>;

/// A column's value as ServiceNow sends it, a string; "" when absent.
pub fn column<'a>(record: &'a Record, name: &str) -> &'a str {
    record.get(name).and_then(Value::as_str).unwrap_or("")
}

/// One Table API call's target.
pub struct TableApi<'a, T> {
    pub transport: &'a T,
    pub instance: &'a InstanceUrl,
}

impl<T: Transport> TableApi<'_, T> {
    /// `POST /api/now/table/{table}`: one new record; answers the record as stored.
    pub fn insert(&self, token: &AccessToken, table: &str, fields: &Record) -> Result<Record> {
        let what = format!("creating a record in {table}");
        self.write(Method::Post, token, table, None, fields, &what)
    }

    /// `GET /api/now/table/{table}/{sys_id}`: one record, with only `fields` when given.
    pub fn get(
        &self,
        token: &AccessToken,
        table: &str,
        sys_id: &str,
        fields: &str,
    ) -> Result<Record> {
        let params = [
            ("sysparm_exclude_reference_link", "true"),
            ("sysparm_fields", fields),
        ];
        let request = self.request(Method::Get, self.url(table, Some(sys_id), &params), token);
        let what = format!("reading {table} record {sys_id}");
        single(self.send(&request, &what)?, &what)
    }

    /// `PATCH /api/now/table/{table}/{sys_id}`: changes only the given columns; answers the
    /// whole record as stored.
    pub fn update(
        &self,
        token: &AccessToken,
        table: &str,
        sys_id: &str,
        fields: &Record,
    ) -> Result<Record> {
        let what = format!("updating {table} record {sys_id}");
        self.write(Method::Patch, token, table, Some(sys_id), fields, &what)
    }

    fn write(
        &self,
        method: Method,
        token: &AccessToken,
        table: &str,
        sys_id: Option<&str>,
        fields: &Record,
        what: &str,
    ) -> Result<Record> {
        let url = self.url(table, sys_id, &[("sysparm_exclude_reference_link", "true")]);
        let body = serde_json::to_vec(fields).map_err(|e| Error::invalid_ticket(e.to_string()))?;
        let request = self
            .request(method, url, token)
            .header("content-type", "application/json")
            .body(body);
        single(self.send(&request, what)?, what)
    }

    /// `GET /api/now/table/{table}?sysparm_query=…`: the matching records.
    pub fn query(
        &self,
        token: &AccessToken,
        table: &str,
        params: &[(&str, &str)],
    ) -> Result<Vec<Record>> {
        let mut all = vec![("sysparm_exclude_reference_link", "true")];
        all.extend_from_slice(params);
        let request = self.request(Method::Get, self.url(table, None, &all), token);
        let what = format!("reading {table}");
        let value = self.send(&request, &what)?;
        match value {
            Value::Array(rows) => rows
                .into_iter()
                .map(|row| match row {
                    Value::Object(record) => Ok(record),
                    _ => Err(Error::unexpected(format!(
                        "{what}: a result row is not an object"
                    ))),
                })
                .collect(),
            _ => Err(Error::unexpected(format!(
                "{what}: the result is not a list"
            ))),
        }
    }

    fn url(&self, table: &str, sys_id: Option<&str>, params: &[(&str, &str)]) -> String {
        let mut path = format!("/api/now/table/{table}");
        if let Some(sys_id) = sys_id {
            path.push('/');
            path.push_str(sys_id);
        }
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        format!("{}?{query}", self.instance.join(&path))
    }

    fn request(&self, method: Method, url: String, token: &AccessToken) -> Request {
        Request::new(method, url)
            .header("accept", "application/json")
            .header("authorization", format!("Bearer {}", token.expose()))
    }

    /// Sends and unwraps the `result` of a successful answer, or turns the answer into an error.
    fn send(&self, request: &Request, what: &str) -> Result<Value> {
        let response = self
            .transport
            .send(request)
            .map_err(|e| answer::transport_error(e, what))?;
        answer::require_json(&response, what)?;
        if !response.is_success() {
            return Err(failure(&response, what));
        }
        let envelope: Envelope = serde_json::from_slice(&response.body).map_err(|_| {
            Error::unexpected(format!("{what}: the answer is not a Table API result"))
                .with_status(response.status)
        })?;
        // A transaction-quota timeout answers 200 with a partial result *and* an error (§5).
        if let Some(error) = envelope.error {
            return Err(Error::unexpected(format!(
                "{what}: ServiceNow cut the answer short: {}",
                error.describe()
            ))
            .with_status(response.status));
        }
        envelope.result.ok_or_else(|| {
            Error::unexpected(format!("{what}: the answer has no result"))
                .with_status(response.status)
        })
    }
}

#[derive(Deserialize)]
struct Envelope {
    result: Option<Value>,
    error: Option<ErrorBody>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    message: Option<String>,
    detail: Option<String>,
}

impl ErrorBody {
    fn describe(&self) -> String {
        match (self.message.as_deref(), self.detail.as_deref()) {
            (Some(m), Some(d)) if !d.is_empty() => format!("{m}: {d}"),
            (Some(m), _) => m.to_string(),
            (None, Some(d)) => d.to_string(),
            (None, None) => "no message".into(),
        }
    }

    fn mentions(&self, needle: &str) -> bool {
        let needle = needle.to_ascii_lowercase();
        [&self.message, &self.detail]
            .into_iter()
            .flatten()
            .any(|text| text.to_ascii_lowercase().contains(&needle))
    }
}

fn single(value: Value, what: &str) -> Result<Record> {
    match value {
        Value::Object(record) => Ok(record),
        _ => Err(Error::unexpected(format!(
            "{what}: the result is not a record"
        ))),
    }
}

/// A non-2xx JSON answer, mapped to what an admin or the platform can act on (facts §2.5).
fn failure(response: &Response, what: &str) -> Error {
    let status = response.status;
    let body = serde_json::from_slice::<ErrorEnvelope>(&response.body)
        .ok()
        .map(|e| e.error);
    let said = body
        .as_ref()
        .map(ErrorBody::describe)
        .unwrap_or_else(|| format!("HTTP {status}"));
    let error = match status {
        401 => Error::new(
            ErrorKind::NotAuthenticated,
            format!("{what}: ServiceNow refused the access token ({said})"),
        )
        .with_remedy(guide::TOKEN_REFUSED),
        403 if body
            .as_ref()
            .is_some_and(|b| b.mentions("missing required api access scope")) =>
        {
            Error::new(
                ErrorKind::MissingAuthScope,
                format!("{what}: the token lacks the REST API Auth Scope ({said})"),
            )
            .with_remedy(guide::AUTH_SCOPE)
        }
        403 if body.as_ref().is_some_and(|b| b.mentions("data policy")) => Error::new(
            ErrorKind::RejectedByPolicy,
            format!("{what}: ServiceNow's data policy refused the change ({said})"),
        )
        .with_remedy(guide::DATA_POLICY),
        403 => Error::new(
            ErrorKind::Forbidden,
            format!("{what}: ServiceNow refused ({said})"),
        )
        .with_remedy(guide::ROLES),
        404 => Error::new(ErrorKind::NotFound, format!("{what}: {said}")),
        400 if body.as_ref().is_some_and(|b| b.mentions("invalid table")) => {
            Error::new(ErrorKind::InvalidTable, format!("{what}: {said}"))
                .with_remedy(guide::INVALID_TABLE)
        }
        429 => Error::new(
            ErrorKind::RateLimited,
            format!("{what}: ServiceNow's rate limit was hit ({said})"),
        )
        .with_retry_after(response.retry_after())
        .with_remedy(guide::RATE_LIMITED),
        500.. => return answer::server_error(response, what),
        _ => Error::new(
            ErrorKind::BadRequest,
            format!("{what}: ServiceNow rejected the request ({said})"),
        ),
    };
    error.with_status(status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::testing::*;
    use serde_json::json;

    fn instance() -> InstanceUrl {
        InstanceUrl::parse("dev1").unwrap()
    }

    fn token() -> AccessToken {
        AccessToken::for_tests("tok-9")
    }

    fn api_error(status: u16, message: &str, detail: &str) -> Response {
        json(
            status,
            &json!({"error": {"message": message, "detail": detail}, "status": "failure"})
                .to_string(),
        )
    }

    #[test]
    fn insert_posts_json_with_bearer() {
        let transport = ScriptedTransport::default();
        transport.push_json(201, r#"{"result":{"sys_id":"abc","number":"INC0010001"}}"#);
        let instance = instance();
        let api = TableApi {
            transport: &transport,
            instance: &instance,
        };
        let mut fields = Record::new();
        fields.insert("short_description".into(), json!("disk full"));
        let record = api.insert(&token(), "incident", &fields).unwrap();
        assert_eq!(record["number"], "INC0010001");
        let sent = &transport.sent()[0];
        assert_eq!(
            sent.url,
            "https://dev1.service-now.com/api/now/table/incident?sysparm_exclude_reference_link=true"
        );
        assert_eq!(sent.header_value("authorization"), Some("Bearer tok-9"));
        assert_eq!(sent.header_value("accept"), Some("application/json"));
        assert_eq!(sent.header_value("content-type"), Some("application/json"));
        assert_eq!(sent.body, br#"{"short_description":"disk full"}"#);
    }

    #[test]
    fn query_encodes_parameters() {
        let transport = ScriptedTransport::default();
        transport.push_json(200, r#"{"result":[{"sys_id":"1"},{"sys_id":"2"}]}"#);
        let instance = instance();
        let api = TableApi {
            transport: &transport,
            instance: &instance,
        };
        let rows = api
            .query(
                &token(),
                "sys_user_group",
                &[
                    ("sysparm_query", "name=Cloud Ops&x"),
                    ("sysparm_limit", "2"),
                ],
            )
            .unwrap();
        assert_eq!(rows.len(), 2);
        assert!(transport.sent()[0].url.ends_with(
            "sys_user_group?sysparm_exclude_reference_link=true&sysparm_query=name%3DCloud+Ops%26x&sysparm_limit=2"
        ));
    }

    #[test]
    fn error_envelopes_map_to_kinds() {
        let cases = [
            (
                api_error(
                    401,
                    "User Not Authenticated",
                    "Required to provide Auth information",
                ),
                ErrorKind::NotAuthenticated,
            ),
            (
                api_error(
                    403,
                    "User Not Authorized",
                    "Missing required api access scope: cxm_api_access",
                ),
                ErrorKind::MissingAuthScope,
            ),
            (
                api_error(
                    403,
                    "Operation Failed",
                    "ACL Exception Insert Failed due to security constraints",
                ),
                ErrorKind::Forbidden,
            ),
            (
                api_error(
                    403,
                    "Operation Failed",
                    "Data Policy Exception: \n The following fields are mandatory: Resolution code",
                ),
                ErrorKind::RejectedByPolicy,
            ),
            (
                api_error(
                    404,
                    "No Record found",
                    "Record doesn't exist or ACL restricts the record retrieval",
                ),
                ErrorKind::NotFound,
            ),
            (
                api_error(400, "Invalid table u_nope", "Table u_nope does not exist"),
                ErrorKind::InvalidTable,
            ),
            (
                api_error(400, "Exception while reading request", "bad json"),
                ErrorKind::BadRequest,
            ),
            (
                api_error(503, "Service Unavailable", ""),
                ErrorKind::ServiceUnavailable,
            ),
        ];
        let instance = instance();
        for (response, kind) in cases {
            let transport = ScriptedTransport::default();
            let status = response.status;
            transport.push(Ok(response));
            let api = TableApi {
                transport: &transport,
                instance: &instance,
            };
            let err = api
                .insert(&token(), "incident", &Record::new())
                .unwrap_err();
            assert_eq!(err.kind, kind, "{status}");
            assert_eq!(err.http_status, Some(status));
            assert!(!err.to_string().contains("tok-9"));
        }
    }

    #[test]
    fn rate_limit_carries_retry_after() {
        let transport = ScriptedTransport::default();
        let mut response = api_error(
            429,
            "Rate limit exceeded",
            "Rate limit of 10 requests per hour for Table API exceeded",
        );
        response.headers.push(("retry-after".into(), "42".into()));
        transport.push(Ok(response));
        let instance = instance();
        let api = TableApi {
            transport: &transport,
            instance: &instance,
        };
        let err = api.query(&token(), "incident", &[]).unwrap_err();
        assert_eq!(err.kind, ErrorKind::RateLimited);
        assert_eq!(err.retry_after_seconds, Some(42));
        assert!(err.message.contains("10 requests per hour"));
    }

    #[test]
    fn quota_truncated_200_is_an_error() {
        let transport = ScriptedTransport::default();
        transport.push_json(
            200,
            r#"{"result":[{"sys_id":"1"}],"error":{"detail":"","message":"Transaction cancelled: maximum execution time exceeded"},"status":"failure"}"#,
        );
        let instance = instance();
        let api = TableApi {
            transport: &transport,
            instance: &instance,
        };
        let err = api.query(&token(), "incident", &[]).unwrap_err();
        assert_eq!(err.kind, ErrorKind::UnexpectedResponse);
        assert!(err.message.contains("maximum execution time"));
    }

    #[test]
    fn hibernating_201_is_not_success() {
        let transport = ScriptedTransport::default();
        transport.push(Ok(html(200, HIBERNATING)));
        let instance = instance();
        let api = TableApi {
            transport: &transport,
            instance: &instance,
        };
        let err = api
            .insert(&token(), "incident", &Record::new())
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InstanceHibernating);
    }
}
