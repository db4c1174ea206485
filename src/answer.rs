//! What an HTTP answer from "the instance" really is: the ServiceNow API, or a page that only
//! looks like success (a hibernating developer instance answers 200 with HTML, facts §6).

use crate::error::{Error, ErrorKind};
use crate::guide;
use crate::http::{Response, TransportError};

/// Fails unless the answer is JSON. Checked before the status, because the HTML pages that
/// stand in for the API come with 200.
pub fn require_json(response: &Response, what: &str) -> Result<(), Error> {
    if response.looks_like_json() {
        return Ok(());
    }
    let body = String::from_utf8_lossy(&response.body).to_ascii_lowercase();
    let error = if body.contains("hibernat") {
        Error::new(
            ErrorKind::InstanceHibernating,
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
            ErrorKind::NotServiceNow,
            format!(
                "{what}: the address answered with {kind} instead of the ServiceNow REST API's JSON"
            ),
        )
        .with_remedy(guide::NOT_SERVICENOW)
    };
    Err(error.with_status(response.status))
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

/// No HTTP answer at all.
pub fn transport_error(error: TransportError, what: &str) -> Error {
    match error {
        TransportError::Denied => Error::new(
            ErrorKind::BlockedByHost,
            format!(
                "{what}: the platform's sandbox refused the request: it leaves the configured instance"
            ),
        ),
        TransportError::Unreachable(why) => Error::new(
            ErrorKind::Unreachable,
            format!("{what}: the instance could not be reached ({why})"),
        )
        .with_remedy(guide::UNREACHABLE),
        TransportError::Other(why) => Error::new(
            ErrorKind::Unreachable,
            format!("{what}: the request failed ({why})"),
        )
        .with_remedy(guide::UNREACHABLE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::testing::{HIBERNATING, html, json};

    #[test]
    fn json_passes() {
        assert!(require_json(&json(201, "{}"), "x").is_ok());
    }

    #[test]
    fn hibernation_page_is_named() {
        let err = require_json(&html(200, HIBERNATING), "creating a ticket").unwrap_err();
        assert_eq!(err.kind, ErrorKind::InstanceHibernating);
        assert_eq!(err.http_status, Some(200));
        assert_eq!(err.remedy, Some(guide::HIBERNATING));
    }

    #[test]
    fn other_html_is_not_servicenow() {
        let err = require_json(&html(200, "<html><title>Sign in</title></html>"), "x").unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotServiceNow);
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
}
