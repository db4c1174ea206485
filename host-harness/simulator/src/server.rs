//! The HTTP side: one axum fallback handler that records every request, then routes it by
//! hand so that unknown paths, wrong methods and faults get ServiceNow's own answers.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State as AxumState};
use axum::response::Response;
use axum::serve::ListenerExt;
use tokio::sync::oneshot;

use crate::apikeys::ApiKeys;
use crate::attachment_api::{self, Files};
use crate::auth::{self, Caller};
use crate::change_api::{self, ChangeSettings};
use crate::clock::Clock;
use crate::faults::{self, Faults, Oversized, RestApi};
use crate::ids::Ids;
use crate::import_set_api;
use crate::import_sets::ImportSets;
use crate::instance::{Properties, Release};
use crate::oauth::{self, OAuthApp, Tokens};
use crate::reply::Reply;
use crate::request::RecordedRequest;
use crate::store::Store;
use crate::users::{DEFAULT_USER_NAME, Users};
use crate::{DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, table_api};

/// docs/servicenow/table-api.md#endpoints: the instance rejects REST payloads over 10 MB.
const MAX_PAYLOAD: usize = 10_485_760;

const TABLE_PREFIXES: &[&str] = &[
    "/api/now/table/",
    "/api/now/v1/table/",
    "/api/now/v2/table/",
];

/// Everything the simulated instance holds.
pub(crate) struct State {
    pub clock: Clock,
    pub release: Release,
    pub properties: Properties,
    pub app: OAuthApp,
    pub tokens: Tokens,
    pub users: Users,
    pub api_keys: ApiKeys,
    pub faults: Faults,
    pub requests: Vec<RecordedRequest>,
    pub token_requests: usize,
    /// TCP connections accepted so far.
    pub connections: usize,
    pub store: Store,
    /// The content of attachments; their metadata is in `store`.
    pub files: Files,
    /// Session cookies and transaction ids.
    pub ids: Ids,
    /// The Change Management API's setup.
    pub change: ChangeSettings,
    /// Staging tables, transform maps and loaded rows (docs/servicenow/import-sets.md).
    pub imports: ImportSets,
}

pub(crate) struct Shared {
    pub base_url: String,
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn new(base_url: String) -> Shared {
        let clock = Clock::new();
        let mut ids = Ids::seeded();
        let app = OAuthApp {
            client_id: DEFAULT_CLIENT_ID.to_string(),
            client_secret: DEFAULT_CLIENT_SECRET.to_string(),
            entity_id: ids.sys_id(),
            user: DEFAULT_USER_NAME.to_string(),
        };
        let mut store = Store::new(Ids::seeded(), &clock.timestamp());
        change_api::install(&mut store);
        Shared {
            base_url,
            state: Mutex::new(State {
                clock,
                release: Release::default(),
                properties: Properties::default(),
                app,
                tokens: Tokens::new(ids),
                users: Users::seeded(Ids::seeded()),
                api_keys: ApiKeys::new(Ids::seeded()),
                faults: Faults::default(),
                requests: Vec::new(),
                token_requests: 0,
                connections: 0,
                store,
                files: Files::new(),
                ids: Ids::seeded(),
                change: ChangeSettings::default(),
                imports: ImportSets::default(),
            }),
        }
    }

    /// Never held across an await. A panic elsewhere must not wedge the simulator, so a
    /// poisoned lock is taken over.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Serves until `stop` fires or its sender is dropped, then closes gracefully.
pub(crate) async fn serve<L>(listener: L, shared: Arc<Shared>, stop: oneshot::Receiver<()>)
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    let counter = shared.clone();
    let listener = listener.tap_io(move |_| counter.lock().connections += 1);
    let router = Router::new().fallback(handle).with_state(shared);
    let _ = axum::serve(listener, router)
        .with_graceful_shutdown(async {
            let _ = stop.await;
        })
        .await;
}

async fn handle(AxumState(shared): AxumState<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // An upload is bounded by the attachment size limit, anything else by the REST one.
    // (the attachment limit in bytes and in MB, read once)
    let upload = attachment_api::is_upload(parts.method.as_str(), parts.uri.path()).then(|| {
        let properties = &shared.lock().properties;
        (
            properties.attachment_max_bytes(),
            properties.attachment_max_size_mb,
        )
    });
    let limit = upload.map_or(MAX_PAYLOAD, |(bytes, _)| bytes);
    // Chunked bodies without a content-length are fine: the body is read to its end.
    let (body, unreadable) = match to_bytes(body, limit).await {
        Ok(bytes) => (bytes, None),
        Err(error) => {
            let reply = match upload {
                Some((_, max_mb)) if over_limit(&error) => oversized_upload(&parts, max_mb),
                _ => unreadable_body(&error, &parts),
            };
            (Bytes::new(), Some(reply))
        }
    };
    let request = RecordedRequest::new(&parts, &body);
    let stall = shared.lock().faults.stall;
    if let Some(delay) = stall {
        tokio::time::sleep(delay).await;
    }
    let reply = {
        let mut state = shared.lock();
        if request.method == "POST" && request.path == "/oauth_token.do" {
            state.token_requests += 1;
        }
        state.requests.push(request.clone());
        // In front of the instance, like the other front-door faults: nothing is stored.
        if let Some(oversized) = state.faults.oversized_answer {
            return oversized_answer(oversized);
        }
        let date = state.clock.http_date();
        route(&mut state, &shared.base_url, &request, &body, unreadable).header("date", date)
    };
    reply.into_response()
}

/// `Faults::oversized_answer`: filler bytes of the size asked for, labelled JSON, sent with
/// its Content-Length or chunked in 64 KiB pieces.
fn oversized_answer(oversized: Oversized) -> Response {
    let filler = Filler {
        left: oversized.bytes,
        announced: oversized.announced,
    };
    let mut response = Response::new(Body::new(filler));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(crate::reply::JSON),
    );
    response
}

struct Filler {
    left: usize,
    announced: bool,
}

impl http_body::Body for Filler {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        if self.left == 0 {
            return std::task::Poll::Ready(None);
        }
        let n = self.left.min(64 << 10);
        self.left -= n;
        let chunk = Bytes::from(vec![b'x'; n]);
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(chunk))))
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> http_body::SizeHint {
        if self.announced {
            http_body::SizeHint::with_exact(self.left as u64)
        } else {
            http_body::SizeHint::default()
        }
    }
}

/// docs/servicenow/table-api.md#endpoints: the instance's answer to an oversized payload; any other
/// read failure gets the same message with a plainer detail.
fn unreadable_body(error: &axum::Error, parts: &http::request::Parts) -> Reply {
    let detail = if over_limit(error) {
        let length = content_length(parts).unwrap_or("unknown");
        format!(
            "Rejected large REST payload with content-length = {length} bytes. Max allowed: {MAX_PAYLOAD} bytes."
        )
    } else {
        "Unable to read the request body".to_string()
    };
    Reply::error(400, "Exception while reading request", Some(&detail))
}

/// An upload past `com.glide.attachment.max_size`.
fn oversized_upload(parts: &http::request::Parts, max_mb: u64) -> Reply {
    attachment_api::too_large(content_length(parts).unwrap_or("more than that"), max_mb)
}

/// The body was longer than the limit it was read with.
fn over_limit(error: &axum::Error) -> bool {
    std::error::Error::source(error)
        .is_some_and(|source| source.is::<http_body_util::LengthLimitError>())
}

fn content_length(parts: &http::request::Parts) -> Option<&str> {
    parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
}

fn route(
    state: &mut State,
    base_url: &str,
    request: &RecordedRequest,
    body: &[u8],
    unreadable: Option<Reply>,
) -> Reply {
    if let Some(reply) = faults::canned(&mut state.faults, &request.path) {
        return reply;
    }
    if let Some(reply) = faults::front_door(&mut state.faults) {
        return reply;
    }
    if let Some(reply) = unreadable {
        return reply;
    }
    let path = request.path.as_str();
    if path == "/oauth_token.do" {
        return oauth::token_endpoint(state, request);
    }
    if let Some(rest) = TABLE_PREFIXES.iter().find_map(|p| path.strip_prefix(p)) {
        return signed_in(state, request, Some(RestApi::Table), |state, caller| {
            table_api::handle(state, base_url, request, rest, caller)
        });
    }
    if let Some(rest) = attachment_api::api_path(path) {
        return signed_in(
            state,
            request,
            Some(RestApi::Attachment),
            |state, caller| attachment_api::handle(state, base_url, request, body, rest, caller),
        );
    }
    if let Some(rest) = change_api::api_path(path) {
        let api = Some(RestApi::ChangeManagement);
        return signed_in(state, request, api, |state, caller| {
            change_api::handle(state, request, rest, caller)
        });
    }
    if let Some(rest) = import_set_api::api_path(path) {
        return signed_in(state, request, Some(RestApi::ImportSet), |state, caller| {
            import_set_api::handle(state, base_url, request, rest, caller)
        });
    }
    if path == "/api" || path.starts_with("/api/") {
        // Authentication comes first on every REST path, known or not.
        return signed_in(
            state,
            request,
            None,
            |state, caller| match table_api::admit(state, caller) {
                Ok(()) => table_api::unknown_resource(),
                Err(reply) => reply,
            },
        );
    }
    // [I] Outside the REST API a real instance serves its UI; a base URL with a stray
    // path prefix lands here, and HTML tells the client this is not the API.
    Reply::html(404, NOT_FOUND_PAGE)
}

/// Authenticates a REST call, answers it as its caller, and marks the answer with the
/// session it ran in.
fn signed_in(
    state: &mut State,
    request: &RecordedRequest,
    api: Option<RestApi>,
    answer: impl FnOnce(&mut State, &Caller) -> Reply,
) -> Reply {
    match auth::authenticate(state, request, api) {
        Ok(caller) => {
            let reply = answer(state, &caller);
            // docs/servicenow/auth.md#basic-authentication: a 32-hex-uppercase session id and a
            // 12-hex transaction id.
            let session = state.ids.sys_id().to_uppercase();
            let transaction = state.ids.sys_id()[..12].to_string();
            auth::session_headers(reply, &session, &transaction)
        }
        Err(reply) => reply,
    }
}

const NOT_FOUND_PAGE: &str = "<html><head><title>Page not found</title></head><body><p>The page you are looking for could not be found.</p></body></html>\n";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn oversized_payloads_are_rejected_and_recorded() {
        let shared = Arc::new(Shared::new("http://127.0.0.1:1".into()));
        let body = vec![b'x'; MAX_PAYLOAD + 1];
        let request = http::Request::post("/api/now/table/incident")
            .header("content-length", body.len())
            .body(Body::from(body))
            .unwrap();
        let response = handle(AxumState(shared.clone()), request).await;
        assert_eq!(response.status(), 400);
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            text.contains("Rejected large REST payload with content-length = 10485761 bytes"),
            "{text}"
        );
        assert_eq!(shared.lock().requests.len(), 1);
    }
}
