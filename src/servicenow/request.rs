//! A request to the instance's REST API and what its answer means: the headers every request
//! carries, the `{"result":…}` envelope of a success, and the error a failure is
//! (docs/servicenow/table-api.md#endpoints). The Table API and the Attachment API both speak
//! through it.

use crate::primitives::prelude::*;

use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::http::{Method, Request, Response, Transport, TransportError, USER_AGENT};
use crate::primitives::json::{self, Fields, Value};
use crate::servicenow::answer::{self, failure};
use crate::servicenow::auth::Authorization;
use crate::servicenow::error_body::ErrorBody;
use instance_address::InstanceUrl;

/// One instance's REST API, as the integration user. Each API of the instance (Table,
/// Attachment, Import Set, Change Management) is this, with its own paths.
pub struct Rest<'a, T> {
    pub transport: &'a T,
    pub instance: &'a InstanceUrl,
}

// Two references: copied, whatever `T` is (a derive would ask `T: Copy`).
impl<T> Clone for Rest<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Rest<'_, T> {}

impl<T: Transport> Rest<'_, T> {
    /// `path` on the instance, with `params` encoded as its query.
    pub fn url(&self, path: &str, params: &[(&str, &str)]) -> String {
        // One string, the query encoded straight into it.
        let mut url = self.instance.join(path);
        url.push('?');
        let start = url.len();
        form_urlencoded::Serializer::for_suffix(url, start)
            .extend_pairs(params)
            .finish()
    }

    pub fn request(&self, method: Method, url: String, auth: &Authorization) -> Request {
        Request::new(method, url)
            .header("accept", "application/json")
            .header("user-agent", USER_AGENT)
            .header(auth.name(), auth.value())
    }

    /// Sends and unwraps the `result` of a successful answer, or turns the answer into an error.
    /// `auth` is what `request` carries: it words a 401.
    pub fn send(&self, auth: &Authorization, request: &Request, what: &str) -> Result<Answered> {
        self.exchange(auth, request, what, failure, true)
    }

    /// [`Rest::send`] for an answer that may lack its `result` (an import set row that nothing
    /// transformed, docs/servicenow/import-sets.md#answer): the `result` is then `null`.
    pub fn send_lenient(
        &self,
        auth: &Authorization,
        request: &Request,
        what: &str,
    ) -> Result<Value> {
        Ok(self.exchange(auth, request, what, failure, false)?.result)
    }

    /// [`Rest::send`] for an API that words its failures its own way: `failure` reads a
    /// non-2xx JSON answer (the Table API's reading is [`failure`]).
    pub fn send_as(
        &self,
        auth: &Authorization,
        request: &Request,
        what: &str,
        failure: Failure,
    ) -> Result<Answered> {
        self.exchange(auth, request, what, failure, true)
    }

    /// Sends `request` and reads its answer (`failure` words a non-2xx one; without
    /// `need_result`, a success without `result` is `null`); whichever step fails, its error
    /// leaves here redacted.
    fn exchange(
        &self,
        auth: &Authorization,
        request: &Request,
        what: &str,
        failure: Failure,
        need_result: bool,
    ) -> Result<Answered> {
        self.answer(auth, request, what, failure, need_result)
            .map_err(|mut error| {
                error.message = request.redact(&error.message);
                // A write whose answer was lost or that failed midway may have been carried out.
                if !request.idempotent && error.kind == ErrorKind::ServiceUnavailable {
                    error.outcome_unknown = true;
                }
                error
            })
    }

    /// One exchange's answer, its errors not yet redacted.
    fn answer(
        &self,
        auth: &Authorization,
        request: &Request,
        what: &str,
        failure: Failure,
        need_result: bool,
    ) -> Result<Answered> {
        let response = match self.transport.send(request) {
            Ok(response) => response,
            // Nothing was sent: the write certainly did not happen.
            Err(
                error @ (TransportError::Unreachable(_)
                | TransportError::Denied
                | TransportError::RequestTooLarge),
            ) => {
                return Err(answer::transport_error(error, what));
            }
            Err(error) => {
                let mut error = answer::transport_error(error, what);
                error.outcome_unknown = !request.idempotent;
                return Err(error);
            }
        };
        answer::require_json(&response, what)?;
        if !response.is_success() {
            return Err(failure(&response, auth, what));
        }
        let envelope = Envelope::parse(&response.body).map_err(|e| {
            Error::unexpected(format!("{what}: the answer is not a Table API result: {e}"))
                .with_status(response.status)
        })?;
        // A transaction-quota timeout answers 200 with a partial result *and* an error
        // (docs/servicenow/availability.md#rate-limits).
        if let Some(error) = envelope.error {
            return Err(Error::unexpected(format!(
                "{what}: ServiceNow cut the answer short: {}",
                error.describe()
            ))
            .with_status(response.status));
        }
        let result = match envelope.result {
            Some(result) => result,
            None if !need_result => Value::Null,
            None => {
                return Err(
                    Error::unexpected(format!("{what}: the answer has no result"))
                        .with_status(response.status),
                );
            }
        };
        Ok(Answered {
            result,
            link: response.header("link").map(ToString::to_string),
            date: response.header("date").map(ToString::to_string),
        })
    }
}

/// How an API reads a non-2xx JSON answer into the error it is, given what authorized the
/// request and what the call was.
pub type Failure = fn(&Response, &Authorization, &str) -> Error;

/// A successful answer: its `result`, and the paging and `Date` headers that came with it.
pub struct Answered {
    pub result: Value,
    pub link: Option<String>,
    /// The `Date` header, read only where a page asks for it.
    pub date: Option<String>,
}

/// `{"result": …}`, and the `error` of an answer cut short.
struct Envelope {
    result: Option<Value>,
    error: Option<ErrorBody>,
}

impl Envelope {
    fn parse(body: &[u8]) -> Result<Self, json::Error> {
        let value = json::parse(body)?;
        // `result` can be anything, so only `error` can be wrong.
        let mut fields = Fields::of(&value, "struct Envelope")?;
        let error = fields.get("error", ErrorBody::optional).flatten();
        fields.finish()?;
        let result = match value {
            Value::Object(object) => object.take("result"),
            _ => None,
        };
        Ok(Self {
            result: result.filter(|r| *r != Value::Null),
            error,
        })
    }
}
