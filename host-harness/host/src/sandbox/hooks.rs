//! The wasi-http hook through which every request a tenant sends passes: the guard admits it
//! or refuses it, and an admitted one goes out through the tenant's own client under the
//! sandbox's timeouts, its body capped and its answer watched; every request under way
//! stops when the tenant's requests are cancelled.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;
use http_body_util::Full;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

use super::guard::{Admission, OutboundGuard};
use crate::budget::{Cancellation, Slot};
use crate::egress::{self, TenantClient, Timeouts};
use crate::observe;

/// How long the host waits for the guest to finish writing a refused request's body.
const REFUSED_BODY_WAIT: Duration = Duration::from_secs(5);

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

type Sent = Result<(http::Response<WasiBody>, IoFuture), HttpError>;

impl WasiHttpHooks for OutboundGuard {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: IoFuture,
    ) -> Box<dyn Future<Output = Sent> + Send> {
        _ = fut;
        let admitted = match self.admit(request.method(), request.uri()) {
            Admission::Full => return Box::new(async { Err(HttpError::ConnectionLimitReached) }),
            Admission::Refused => None,
            Admission::Admitted { client, slot } => Some((client, slot)),
        };
        let cap = self.limits.http_timeout;
        let outgoing = Outgoing {
            timeouts: clamped(options.unwrap_or_default(), cap),
            body_wait: cap,
            max_request_body: self.limits.max_request_body,
        };
        let recorded = admitted.is_some().then(|| Recorded {
            tenant: self.tenant.clone(),
            method: request.method().clone(),
            path: request.uri().path().to_string(),
        });
        let cancellation = self.budget.cancellation();
        let exchange = exchange(request, admitted, outgoing, self.budget.cancellation());
        // The request runs on wasi-http's task: its events go where the call's do, inside
        // the call's span.
        let request =
            tracing::Instrument::in_current_span(cancellable(exchange, cancellation, recorded));
        Box::new(tracing::instrument::WithSubscriber::with_current_subscriber(request))
    }
}

/// The guest's timeouts for a request, each clamped to the sandbox's `cap` (its default).
fn clamped(options: RequestOptions, cap: Duration) -> Timeouts {
    let clamp = |t: Option<Duration>| t.map_or(cap, |t| t.min(cap));
    Timeouts {
        connect: clamp(options.connect_timeout),
        first_byte: clamp(options.first_byte_timeout),
        between_bytes: clamp(options.between_bytes_timeout),
    }
}

/// What the sandbox allows an admitted request.
struct Outgoing {
    timeouts: Timeouts,
    /// How long the guest may take to write the request's body.
    body_wait: Duration,
    max_request_body: u64,
}

/// Sends an admitted request through its client; a refused one (`admitted` none) is denied
/// once the guest has written its body.
async fn exchange(
    request: http::Request<WasiBody>,
    admitted: Option<(Option<Result<TenantClient, HttpError>>, Slot)>,
    outgoing: Outgoing,
    answer_cancellation: Cancellation,
) -> Sent {
    let (parts, body) = request.into_parts();
    let (client, mut slot) = match admitted {
        Some((Some(client), slot)) => (client?, slot),
        _ => {
            // The guest writes the body after handing over the request: take it first, or
            // the refusal reaches the guest as a closed stream instead of a denial.
            egress::drain(body, REFUSED_BODY_WAIT.min(outgoing.body_wait)).await;
            return Err(HttpError::HttpRequestDenied);
        }
    };
    let body = egress::take_body(
        body,
        outgoing.max_request_body,
        &mut slot,
        outgoing.body_wait,
    )
    .await?;
    let request = http::Request::from_parts(parts, Full::new(body));
    let response = client
        .send(request, slot, answer_cancellation, outgoing.timeouts)
        .await?;
    Ok((response, Box::new(async { Ok(()) }) as IoFuture))
}

/// `exchange`, stopped when the tenant's requests are cancelled, and told to the platform
/// when it was admitted.
async fn cancellable(
    exchange: impl Future<Output = Sent>,
    mut cancellation: Cancellation,
    recorded: Option<Recorded>,
) -> Sent {
    let started = Instant::now();
    let sent = tokio::select! {
        sent = exchange => sent,
        () = cancellation.cancelled() => Err(HttpError::HttpRequestDenied),
    };
    if let Some(recorded) = recorded {
        let answer = match &sent {
            Ok((response, _)) => Ok(response.status().as_u16()),
            Err(error) => Err(error_label(error)),
        };
        let took = started.elapsed();
        observe::request(
            &recorded.tenant,
            recorded.method.as_str(),
            &recorded.path,
            answer,
            took,
        );
    }
    sent
}

/// What the platform is told of an admitted request: whose, and its method and path.
struct Recorded {
    tenant: Arc<str>,
    method: Method,
    path: String,
}

/// A request's failure as a metric label.
fn error_label(error: &HttpError) -> &'static str {
    match error {
        HttpError::HttpRequestDenied => "denied",
        HttpError::DnsTimeout | HttpError::DnsError { .. } | HttpError::DestinationNotFound => {
            "dns"
        }
        HttpError::ConnectionRefused => "refused",
        HttpError::ConnectionTimeout
        | HttpError::ConnectionReadTimeout
        | HttpError::ConnectionWriteTimeout
        | HttpError::HttpResponseTimeout => "timeout",
        HttpError::TlsProtocolError
        | HttpError::TlsCertificateError
        | HttpError::TlsAlertReceived { .. } => "tls",
        HttpError::HttpRequestBodySize(_) | HttpError::HttpResponseBodySize(_) => "too-large",
        HttpError::ConnectionLimitReached => "in-flight",
        _ => "connection",
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::sandbox::limits::SandboxLimits;
    use crate::test_servers::{self, Serve};

    /// The origin of a loopback server answering every request with `ok`, keeping
    /// connections open.
    async fn answering_server() -> String {
        let (port, _) = test_servers::answering(Serve::KeepAlive).await;
        format!("http://127.0.0.1:{port}")
    }

    async fn send(
        guard: &mut OutboundGuard,
        origin: &str,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        use http_body_util::BodyExt;
        let empty = http_body_util::Empty::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        let request = http::Request::get(format!("{origin}/api/now/table/incident"))
            .body(empty)
            .unwrap();
        let io: IoFuture = Box::new(async { Ok(()) });
        let sent = Box::into_pin(guard.send_request(request, None, io)).await;
        sent.map(|(response, _)| response)
    }

    /// A tenant has at most its requests under way; an answer it does not read holds its
    /// request's place (and connection) until read or dropped.
    #[tokio::test]
    async fn a_tenant_has_at_most_its_requests_under_way() {
        use http_body_util::BodyExt;
        let origin = answering_server().await;
        let limits = SandboxLimits {
            allow_private_network: true,
            max_requests_in_flight: 2,
            ..SandboxLimits::default()
        };
        let mut guard = OutboundGuard::for_test(&limits);
        guard.set_allowed_origin(Some(origin.clone()));
        let first = send(&mut guard, &origin).await.expect("one");
        let second = send(&mut guard, &origin).await.expect("two");
        assert_eq!(guard.in_flight().0, 2);
        let third = send(&mut guard, &origin).await.unwrap_err();
        assert!(
            matches!(third, HttpError::ConnectionLimitReached),
            "{third:?}"
        );

        let read = first.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(&read[..], b"ok");
        assert_eq!(
            guard.in_flight().0,
            1,
            "an answer read to its end gives its place back"
        );
        let fourth = send(&mut guard, &origin).await.expect("its turn");
        drop((second, fourth));
        assert_eq!(
            guard.in_flight(),
            (0, 0),
            "a dropped answer gives its place back"
        );
        // The budget is the tenant's, not the instance's.
        let rebuilt = guard.carry_over();
        let _held = [
            send(&mut guard, &origin).await.unwrap(),
            send(&mut guard, &origin).await.unwrap(),
        ];
        assert_eq!(rebuilt.in_flight().0, 2);
    }

    /// Answers left unread give their places (and connections) back after the between-bytes
    /// timeout, counted from when they arrived.
    #[tokio::test]
    async fn answers_left_unread_are_dropped_after_the_between_bytes_timeout() {
        let origin = answering_server().await;
        let limits = SandboxLimits {
            allow_private_network: true,
            max_requests_in_flight: 2,
            http_timeout: Duration::from_millis(200),
            ..SandboxLimits::default()
        };
        let mut guard = OutboundGuard::for_test(&limits);
        guard.set_allowed_origin(Some(origin.clone()));
        let _unread = [
            send(&mut guard, &origin).await.unwrap(),
            send(&mut guard, &origin).await.unwrap(),
        ];
        assert!(send(&mut guard, &origin).await.is_err());
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(guard.in_flight().0, 0);
        assert!(send(&mut guard, &origin).await.is_ok());
    }

    /// A request body whose writer never ends it.
    struct Unfinished;

    impl http_body::Body for Unfinished {
        type Data = hyper::body::Bytes;
        type Error = HttpError;
        fn poll_frame(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, HttpError>>> {
            std::task::Poll::Pending
        }
    }

    /// Suspending the tenant stops what it has under way: a request waiting for its answer
    /// fails at once, one whose body is still being written never leaves.
    #[tokio::test]
    async fn a_suspended_tenants_requests_under_way_stop() {
        use http_body_util::BodyExt;
        let (port, received) = test_servers::silent().await;
        let origin = format!("http://127.0.0.1:{port}");
        let limits = SandboxLimits {
            allow_private_network: true,
            ..SandboxLimits::default()
        };
        let mut guard = OutboundGuard::for_test(&limits);
        guard.set_allowed_origin(Some(origin.clone()));
        let empty = http_body_util::Empty::new()
            .map_err(|never| match never {})
            .boxed_unsync();
        let waiting = http::Request::get(format!("{origin}/a"))
            .body(empty)
            .unwrap();
        let io: IoFuture = Box::new(async { Ok(()) });
        let waiting = tokio::spawn(Box::into_pin(guard.send_request(waiting, None, io)));
        // A body the guest never finishes writing.
        let unfinished = Unfinished.boxed_unsync();
        let posting = http::Request::post(format!("{origin}/b"))
            .body(unfinished)
            .unwrap();
        let io: IoFuture = Box::new(async { Ok(()) });
        let posting = tokio::spawn(Box::into_pin(guard.send_request(posting, None, io)));
        tokio::time::sleep(Duration::from_millis(200)).await;
        let sent_before = received.load(Ordering::Relaxed);
        assert!(sent_before > 0, "the GET went out");
        assert_eq!(guard.in_flight().0, 2);

        guard.suspend();
        for request in [waiting, posting] {
            let result = tokio::time::timeout(Duration::from_secs(2), request)
                .await
                .expect("stopped at once")
                .unwrap();
            assert!(matches!(result, Err(HttpError::HttpRequestDenied)));
        }
        assert_eq!(guard.in_flight(), (0, 0));
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(
            received.load(Ordering::Relaxed),
            sent_before,
            "nothing left after"
        );
    }
}
