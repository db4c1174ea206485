//! What the simulator answers: a status, a few headers and a body, plus the Table API's error
//! envelope (docs/servicenow/table-api.md#errors), serialised with the key order a real instance
//! uses.

use axum::body::Body;
use axum::response::Response;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde::Serialize;

/// docs/servicenow/table-api.md#endpoints: the instance labels its JSON with a charset.
pub(crate) const JSON: &str = "application/json;charset=UTF-8";
pub(crate) const HTML: &str = "text/html;charset=UTF-8";

#[derive(Debug)]
pub(crate) struct Reply {
    status: StatusCode,
    headers: Vec<(&'static str, String)>,
    /// Content type and bytes.
    body: Option<(String, Vec<u8>)>,
}

/// docs/servicenow/table-api.md#errors: `{"error":{"message":…,"detail":…},"status":"failure"}`;
/// `detail` may be null.
#[derive(Serialize)]
struct Envelope<'a> {
    error: ErrorBody<'a>,
    status: &'static str,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    message: &'a str,
    detail: Option<&'a str>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: &impl Serialize) -> Reply {
        // Serialising plain maps and derived structs cannot fail; fall back to `{}` anyway.
        let text = serde_json::to_string(body).unwrap_or_else(|_| "{}".into());
        Reply::raw(status, JSON, text)
    }

    pub(crate) fn error(status: u16, message: &str, detail: Option<&str>) -> Reply {
        let envelope = Envelope {
            error: ErrorBody { message, detail },
            status: "failure",
        };
        Reply::json(status, &envelope)
    }

    pub(crate) fn html(status: u16, page: &str) -> Reply {
        Reply::raw(status, HTML, page.to_string())
    }

    pub(crate) fn raw(status: u16, content_type: &'static str, body: String) -> Reply {
        Reply::bytes(status, content_type, body.into_bytes())
    }

    /// A body of any type, such as an attachment's content.
    pub(crate) fn bytes(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: Vec::new(),
            body: Some((content_type.to_string(), body)),
        }
    }

    pub(crate) fn empty(status: u16) -> Reply {
        Reply {
            body: None,
            ..Reply::raw(status, JSON, String::new())
        }
    }

    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }

    /// docs/servicenow/table-api.md#endpoints: `X-no-response-body: true` keeps the status and
    /// headers but drops the body.
    pub(crate) fn without_body(mut self) -> Reply {
        self.body = None;
        self
    }

    pub(crate) fn status(&self) -> u16 {
        self.status.as_u16()
    }

    #[cfg(test)]
    pub(crate) fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                headers.append(name, value);
            }
        }
        if let Some((content_type, body)) = self.body {
            let content_type = HeaderValue::from_str(&content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            headers.insert(CONTENT_TYPE, content_type);
            *response.body_mut() = Body::from(body);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_keeps_the_instance_key_order_and_null_detail() {
        let envelope = Envelope {
            error: ErrorBody {
                message: "Insufficient rights to query records",
                detail: None,
            },
            status: "failure",
        };
        assert_eq!(
            serde_json::to_string(&envelope).unwrap(),
            r#"{"error":{"message":"Insufficient rights to query records","detail":null},"status":"failure"}"#
        );
    }
}
