//! A tenant's client for its origin: what it needs from the sandbox policy, and how it sends
//! one request on the kept connection (or a new one) under the request's timeouts.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use http::uri::PathAndQuery;
use http::{Request, Response, Uri};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

use super::capped_body::CappedBody;
use super::conn::{Conn, Unsent, exchange};
use super::connector::Connector;
use super::pool::Pool;
use super::tls::tls_config;
use crate::address::Network;
use crate::budget::{Cancellation, Slot};
use crate::proxy::Proxy;
use crate::tenant_log::TenantLog;
use crate::trust::{ClientIdentity, Resolve};
use crate::unread::Watched;

/// What one tenant's client needs from the sandbox policy.
#[derive(Clone)]
pub(crate) struct ClientPolicy {
    pub allow_private_network: bool,
    pub allowed_networks: Vec<Network>,
    pub allowed_hosts: Vec<String>,
    pub idle_timeout: Duration,
    pub max_response_body: u64,
    pub resolve: Vec<Resolve>,
    pub proxy: Option<Proxy>,
    pub roots: Arc<rustls::RootCertStore>,
    pub client_identity: Option<Arc<ClientIdentity>>,
}

/// A tenant's client for one origin. Clones share the kept connection (a request's clone
/// costs two reference counts).
#[derive(Clone)]
pub(crate) struct TenantClient {
    origin: Arc<str>,
    shared: Arc<Shared>,
}

/// A request's timeouts, each already clamped by the sandbox.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timeouts {
    /// For a new connection: resolving, connecting, TLS.
    pub connect: Duration,
    /// From then on, for the answer's head.
    pub first_byte: Duration,
    /// Between two pieces of the answer's body.
    pub between_bytes: Duration,
}

/// What the clones of one tenant's client share.
struct Shared {
    connector: Connector,
    max_response_body: u64,
    /// The connection the tenant's requests reuse while none is under way.
    pool: Arc<Pool>,
}

impl TenantClient {
    pub fn new(
        origin: &str,
        policy: &ClientPolicy,
        denied: Arc<AtomicU64>,
        log: TenantLog,
    ) -> Result<Self, HttpError> {
        let connector = Connector {
            allow_private_network: policy.allow_private_network,
            allowed_networks: policy.allowed_networks.clone(),
            allowed_hosts: policy.allowed_hosts.clone(),
            // A client serves one origin: only an https one needs a TLS configuration.
            tls: match origin.starts_with("https:") {
                true => {
                    let (config, verifier) =
                        tls_config(policy.roots.clone(), policy.client_identity.as_deref())?;
                    Some((Arc::new(config), verifier))
                }
                false => None,
            },
            resolve: policy.resolve.clone(),
            proxy: policy.proxy.clone(),
            denied,
            log,
        };
        Ok(Self {
            origin: origin.into(),
            shared: Arc::new(Shared {
                connector,
                max_response_body: policy.max_response_body,
                pool: Pool::new(policy.idle_timeout),
            }),
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The pool that keeps its connection.
    pub(super) fn pool(&self) -> &Arc<Pool> {
        &self.shared.pool
    }

    /// Sends one request whose body the caller has already taken in full, on the kept
    /// connection when there is a usable one. Waits at most `connect` for a new connection
    /// and `first_byte` from then on for the answer's head; the answer's body then fails
    /// with `ConnectionReadTimeout` when `between_bytes` passes without data, and with
    /// `HttpResponseBodySize` past the cap.
    pub async fn send(
        &self,
        mut request: Request<Full<Bytes>>,
        mut slot: Slot,
        cancellation: Cancellation,
        timeouts: Timeouts,
    ) -> Result<Response<WasiBody>, HttpError> {
        let Timeouts {
            connect,
            first_byte,
            between_bytes,
        } = timeouts;
        let target = request.uri().clone();
        // On the wire an HTTP/1.1 request names the path only (the absolute form is for
        // proxies); the Host header, which wasi-http set, names the origin.
        let path = request
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        *request.uri_mut() = Uri::from(path);

        let (idle, mut deadline) = self.shared.pool.take();
        let mut conn = match idle {
            Some(conn) => conn,
            None => self.shared.connect(&target, connect).await?,
        };
        let sent = deadline
            .within(first_byte, exchange(&mut conn, request))
            .await;
        let response = match sent.ok_or(HttpError::ConnectionReadTimeout)? {
            Ok(response) => response,
            // The kept connection had closed before the request went out on it: nothing was
            // sent, so the request goes out once more on a new connection.
            Err(Unsent(request)) => {
                conn = self.shared.connect(&target, connect).await?;
                let sent = deadline
                    .within(first_byte, exchange(&mut conn, request))
                    .await;
                match sent.ok_or(HttpError::ConnectionReadTimeout)? {
                    Ok(response) => response,
                    Err(Unsent(_)) => return Err(HttpError::ConnectionTerminated),
                }
            }
        }?;
        // The body went out with the request.
        slot.release_bytes();
        let announced = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(length) = announced.filter(|&length| length > self.shared.max_response_body) {
            // Dropping the connection with the answer closes it: it is never kept.
            return Err(HttpError::HttpResponseBodySize(Some(length)));
        }
        let (pool, cap) = (self.shared.pool.clone(), self.shared.max_response_body);
        Ok(response.map(|incoming| {
            let body = CappedBody::new(incoming, conn, deadline, pool, cap, between_bytes, slot);
            Watched::new(body, between_bytes, cancellation).boxed_unsync()
        }))
    }
}

impl Shared {
    /// A new connection to the request's origin, within `within`.
    async fn connect(&self, target: &Uri, within: Duration) -> Result<Conn, HttpError> {
        let stream = self
            .connector
            .connect(target, within)
            .await
            .map_err(|failure| failure.to_http_error())?;
        Conn::handshake(stream).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use crate::egress::ParkedClient;
    use crate::test_servers::{self, Serve};

    /// Timeouts of `within` for the connection and the answer's head, `between` between
    /// pieces of its body.
    fn timeouts(within: Duration, between: Duration) -> Timeouts {
        Timeouts {
            connect: within,
            first_byte: within,
            between_bytes: between,
        }
    }

    fn client(idle_timeout: Duration) -> TenantClient {
        let policy = ClientPolicy {
            allow_private_network: true,
            allowed_networks: Vec::new(),
            allowed_hosts: Vec::new(),
            idle_timeout,
            max_response_body: 1 << 20,
            resolve: Vec::new(),
            proxy: None,
            roots: crate::trust::roots(&[]).unwrap(),
            client_identity: None,
        };
        let denied = Arc::new(AtomicU64::new(0));
        TenantClient::new("http://127.0.0.1", &policy, denied, TenantLog::default()).unwrap()
    }

    /// Sends a GET and reads the answer's body when `read` says so.
    async fn get(client: &TenantClient, port: u16, read: bool) {
        let request = Request::get(format!("http://127.0.0.1:{port}/x"))
            .header(http::header::HOST, format!("127.0.0.1:{port}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let second = Duration::from_secs(5);
        let response = client
            .send(
                request,
                Slot::roomy(),
                Cancellation::never(),
                timeouts(second, second),
            )
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        if read {
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(&body[..], b"ok");
        }
    }

    /// The first bytes a client for `origin` sends to a server on loopback that reads
    /// three and hangs up, and what the client's request came to.
    async fn first_bytes(origin: &str) -> ([u8; 3], Result<Response<WasiBody>, HttpError>) {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = [0u8; 3];
            socket.read_exact(&mut head).await.unwrap();
            head
        });
        let policy = ClientPolicy {
            allow_private_network: true,
            allowed_networks: Vec::new(),
            allowed_hosts: Vec::new(),
            idle_timeout: Duration::from_secs(60),
            max_response_body: 1 << 20,
            resolve: Vec::new(),
            proxy: None,
            roots: crate::trust::roots(&[]).unwrap(),
            client_identity: None,
        };
        let origin = format!("{origin}:{port}");
        let denied = Arc::new(AtomicU64::new(0));
        let client = TenantClient::new(&origin, &policy, denied, TenantLog::default()).unwrap();
        let request = Request::get(format!("{origin}/x"))
            .header(http::header::HOST, format!("127.0.0.1:{port}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let second = Duration::from_secs(5);
        let answer = client
            .send(
                request,
                Slot::roomy(),
                Cancellation::never(),
                timeouts(second, second),
            )
            .await;
        (server.await.unwrap(), answer)
    }

    /// A client for an https origin opens with a TLS handshake (and has the TLS
    /// configuration only it needs); one for an http origin speaks HTTP.
    #[tokio::test]
    async fn an_https_origin_is_spoken_to_in_tls_and_an_http_one_in_plain_http() {
        let (head, answer) = first_bytes("https://127.0.0.1").await;
        assert_eq!(head, [0x16, 0x03, 0x01], "a TLS handshake record");
        assert!(answer.is_err(), "the server hung up mid-handshake");
        let (head, answer) = first_bytes("http://127.0.0.1").await;
        assert_eq!(&head, b"GET");
        assert!(answer.is_err());
    }

    #[tokio::test]
    async fn requests_travel_on_the_kept_connection() {
        let (port, accepted) = test_servers::answering(Serve::KeepAlive).await;
        let client = client(Duration::from_secs(60));
        for _ in 0..3 {
            get(&client, port, true).await;
        }
        assert_eq!(accepted.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_kept_connection_the_server_closed_is_replaced() {
        let (port, accepted) = test_servers::answering(Serve::Close).await;
        let client = client(Duration::from_secs(60));
        for _ in 0..3 {
            get(&client, port, true).await;
            // Lets the server's close arrive before the next request.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(accepted.load(Ordering::Relaxed), 3);
    }

    #[tokio::test]
    async fn a_connection_idle_past_the_idle_timeout_is_not_used_again() {
        let (port, accepted) = test_servers::answering(Serve::KeepAlive).await;
        let client = client(Duration::from_millis(100));
        get(&client, port, true).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !client.shared.pool.has_idle(),
            "the idle connection is still kept"
        );
        assert!(
            !client.shared.pool.is_reaping(),
            "the task that closed it ended with nothing kept"
        );
        get(&client, port, true).await;
        assert_eq!(accepted.load(Ordering::Relaxed), 2);
        assert!(
            client.shared.pool.is_reaping(),
            "the next kept connection has its task again"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!client.shared.pool.has_idle());
    }

    /// A parked client is kept while its connection idles, and let go of with it; one with no
    /// idle connection is not parked at all.
    #[tokio::test]
    async fn a_parked_client_lasts_as_long_as_its_idle_connection() {
        let (port, accepted) = test_servers::answering(Serve::KeepAlive).await;
        assert!(ParkedClient::park(client(Duration::from_secs(60))).is_none());
        let sleeper = client(Duration::from_millis(200));
        get(&sleeper, port, true).await;
        let pool = Arc::downgrade(&sleeper.shared.pool);
        let parked = ParkedClient::park(sleeper).expect("an idle connection to keep");
        let woken = parked.client().expect("parked while the connection idles");
        get(&woken, port, true).await;
        assert_eq!(accepted.load(Ordering::Relaxed), 1, "the kept connection");
        drop(woken);
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(
            parked.client().is_none(),
            "let go of once the connection idled out"
        );
        assert!(pool.upgrade().is_none(), "nothing of the client is left");
    }

    #[tokio::test]
    async fn an_empty_answer_left_unread_keeps_its_connection() {
        let (port, accepted) = test_servers::answering(Serve::Empty).await;
        let client = client(Duration::from_secs(60));
        for _ in 0..3 {
            get(&client, port, false).await;
        }
        assert_eq!(accepted.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn an_answer_not_read_to_its_end_does_not_leave_its_connection_kept() {
        let (port, accepted) = test_servers::answering(Serve::KeepAlive).await;
        let client = client(Duration::from_secs(60));
        get(&client, port, false).await;
        get(&client, port, true).await;
        assert_eq!(accepted.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn an_answer_that_stalls_mid_body_fails_after_the_between_bytes_timeout() {
        let (port, _) = test_servers::answering(Serve::StallMidBody).await;
        let client = client(Duration::from_secs(60));
        let request = Request::get(format!("http://127.0.0.1:{port}/x"))
            .header(http::header::HOST, format!("127.0.0.1:{port}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let (second, between) = (Duration::from_secs(5), Duration::from_millis(100));
        let response = client
            .send(
                request,
                Slot::roomy(),
                Cancellation::never(),
                timeouts(second, between),
            )
            .await
            .unwrap();
        // Without the between-bytes timeout this would wait for the server's 30 s.
        let error = response.into_body().collect().await.unwrap_err();
        assert!(
            matches!(error, HttpError::ConnectionReadTimeout),
            "{error:?}"
        );
        assert!(!client.shared.pool.has_idle());
    }
}
