//! What an HTTP answer from "the instance" really is: the ServiceNow API, or a page that only looks
//! like success (a hibernating developer instance answers 200 with HTML,
//! docs/servicenow/availability.md#hibernating-instances).

use crate::primitives::prelude::*;

use crate::primitives::error::{Error, ErrorKind};
use crate::primitives::guide;
use crate::primitives::http::{Response, TransportError};
use crate::primitives::json::{self, Value};
use crate::primitives::text::server_text;
use crate::servicenow::auth::Authorization;
use crate::servicenow::error_body::ErrorBody;

/// Fails unless the answer is JSON. Checked before the status, because the HTML pages that
/// stand in for the API come with 200.
pub fn require_json(response: &Response, what: &str) -> Result<(), Error> {
    if response.looks_like_json() {
        return Ok(());
    }
    let body = String::from_utf8_lossy(&response.body).to_ascii_lowercase();
    let error = if body.contains("hibernat") {
        Error::new(
            ErrorKind::ServiceAsleep,
            format!(
                "{what}: the developer instance is hibernating and answered with its wake-up page"
            ),
        )
        .with_remedy(guide::HIBERNATING)
    } else if response.status >= 500 {
        return Err(server_error(response, what));
    } else {
        let kind = response.header("content-type").unwrap_or("no content type");
        Error::new(
            ErrorKind::NotTheService,
            format!(
                "{what}: the address answered with {kind} instead of the ServiceNow REST API's JSON"
            ),
        )
        .with_remedy(guide::NOT_SERVICENOW)
    };
    Err(error.with_status(response.status))
}

/// What ServiceNow said about a failure, when it said something: the Table API's
/// `error.message` and `error.detail`, or OAuth's `error` and `error_description`.
pub fn servicenow_message(response: &Response) -> Option<String> {
    let body = json::parse(&response.body).ok()?;
    let Value::Object(object) = &body else {
        return None;
    };
    let said = match object.get("error")? {
        table @ Value::Object(_) => ErrorBody::from_json(table).ok()?.said()?,
        Value::String(error) => {
            let description = match object.get("error_description") {
                Some(description) => json::optional_string(description).ok()?,
                None => None,
            };
            match description {
                Some(description) => format!("{error}/{description}"),
                None => error.clone(),
            }
        }
        _ => return None,
    };
    Some(server_text(&said))
}

/// 5xx, whatever the body: the instance is down or overloaded.
pub fn server_error(response: &Response, what: &str) -> Error {
    Error::new(
        ErrorKind::ServiceUnavailable,
        format!("{what}: the instance is unavailable"),
    )
    .with_status(response.status)
    .with_retry_after(response.retry_after())
    .with_remedy(guide::UNAVAILABLE)
}

/// No (whole) HTTP answer.
pub fn transport_error(error: TransportError, what: &str) -> Error {
    match error {
        TransportError::Denied => Error::new(
            ErrorKind::BlockedByHost,
            format!(
                "{what}: the platform's sandbox refused the request: the address is not one this \
                 tenant may reach (another origin, or an internal or loopback address)"
            ),
        ),
        TransportError::Unreachable(why) => Error::new(
            ErrorKind::Unreachable,
            format!("{what}: the instance could not be reached ({why})"),
        )
        .with_remedy(guide::UNREACHABLE),
        TransportError::Interrupted(why) => Error::new(
            ErrorKind::Unreachable,
            format!("{what}: no answer came back ({why})"),
        )
        .with_remedy(guide::UNREACHABLE),
        TransportError::RequestTooLarge => Error::new(
            ErrorKind::InvalidTicket,
            format!("{what}: the request is larger than the platform's sandbox lets out"),
        ),
        TransportError::AnswerTooLarge => Error::new(
            ErrorKind::UnexpectedResponse,
            format!("{what}: the answer is larger than the platform's sandbox lets in"),
        ),
    }
}

/// A non-2xx JSON answer, mapped to what an admin or the platform can act on
/// (docs/servicenow/table-api.md#errors).
pub fn failure(response: &Response, auth: &Authorization, what: &str) -> Error {
    let status = response.status;
    let body = ErrorBody::of_failure(&response.body);
    let said = body
        .as_ref()
        .map(ErrorBody::describe)
        .unwrap_or_else(|| format!("HTTP {status}"));
    let error = match status {
        401 => auth.refused(what, &said),
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
        // A securely scoped OAuth application reaching an API outside its scopes (facts
        // docs/servicenow/attachments.md); the caller knows which API it was and names its remedy.
        403 if body
            .as_ref()
            .is_some_and(|b| b.mentions("access to unscoped api is not allowed")) =>
        {
            Error::new(
                ErrorKind::MissingAuthScope,
                format!("{what}: the token's auth scopes do not cover this API ({said})"),
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
            Error::new(ErrorKind::UnknownTicketKind, format!("{what}: {said}"))
                .with_remedy(guide::INVALID_TABLE)
        }
        429 => Error::new(
            ErrorKind::RateLimited,
            format!("{what}: ServiceNow's rate limit was hit ({said})"),
        )
        .with_retry_after(response.retry_after())
        .with_remedy(guide::RATE_LIMITED),
        500.. => return server_error(response, what),
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
    use crate::primitives::text::server_text;
    use crate::test_support::transport::{HIBERNATING, html, json};
    use proptest::prelude::*;

    #[test]
    fn servicenow_messages_from_either_envelope() {
        let table = json(
            403,
            r#"{"error":{"message":"Operation Failed","detail":"ACL\nException"},"status":"failure"}"#,
        );
        assert_eq!(
            servicenow_message(&table).as_deref(),
            Some("Operation Failed: ACL Exception")
        );
        let oauth = json(
            401,
            r#"{"error_description":"access_denied","error":"server_error"}"#,
        );
        assert_eq!(
            servicenow_message(&oauth).as_deref(),
            Some("server_error/access_denied")
        );
        assert_eq!(servicenow_message(&html(503, "<html/>")), None);
    }

    #[test]
    fn json_passes() {
        assert!(require_json(&json(201, "{}"), "x").is_ok());
    }

    #[test]
    fn hibernation_page_is_named() {
        let err = require_json(&html(200, HIBERNATING), "creating a ticket").unwrap_err();
        assert_eq!(err.kind, ErrorKind::ServiceAsleep);
        assert_eq!(err.http_status, Some(200));
        assert_eq!(err.remedy, Some(guide::HIBERNATING));
    }

    #[test]
    fn other_html_is_not_servicenow() {
        let err = require_json(&html(200, "<html><title>Sign in</title></html>"), "x").unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotTheService);
        assert!(err.message.contains("text/html"));
    }

    #[test]
    fn html_503_is_unavailable() {
        let err = require_json(&html(503, "<html>down</html>"), "x").unwrap_err();
        assert_eq!(err.kind, ErrorKind::ServiceUnavailable);
    }

    #[test]
    fn json_body_without_content_type_still_counts() {
        let response = Response {
            status: 200,
            headers: vec![],
            body: b" {\"result\":[]}".to_vec(),
        };
        assert!(require_json(&response, "x").is_ok());
    }

    proptest! {
        #[test]
        fn servicenow_messages_are_printable_and_bounded(text in ".*", body in any::<Vec<u8>>()) {
            let cleaned = server_text(&text);
            prop_assert!(!cleaned.chars().any(char::is_control));
            prop_assert!(cleaned.chars().count() <= 301);
            let response = Response { status: 400, headers: vec![], body };
            if let Some(said) = servicenow_message(&response) {
                prop_assert!(!said.chars().any(char::is_control));
            }
        }
    }
}
