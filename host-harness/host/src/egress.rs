//! The host's own send path for a tenant's outbound requests: one pooled keep-alive client
//! per tenant (and per origin), whose connector resolves the name, checks every address
//! against the host's rules ([`crate::address`]), and connects to the checked address, so a
//! second lookup cannot rebind it. TLS is rustls with the webpki roots and the host name as
//! SNI; each tenant's client has its own TLS configuration, hence its own session cache.
//! Request and response bodies are capped, and the connect, first-byte and between-bytes
//! timeouts hold for pooled connections too.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use http::uri::Scheme;
use http::{Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsConnector;
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

use crate::address::{self, Rule};
use crate::bindings::cxm::ticketing::log::Level;
use crate::tenant_log::TenantLog;

/// Idle keep-alive connections one tenant keeps; its calls are sequential, so a few suffice.
const MAX_IDLE_PER_TENANT: usize = 4;

/// What one tenant's client needs from the sandbox policy.
#[derive(Clone)]
pub(crate) struct ClientPolicy {
    pub allow_private_network: bool,
    pub idle_timeout: Duration,
    pub max_response_body: u64,
}

/// A tenant's pooled client for one origin. Clones share the pool.
#[derive(Clone)]
pub(crate) struct TenantClient {
    origin: String,
    client: Client<Connector, Full<Bytes>>,
    /// The connect timeout of the request being sent (a tenant sends one at a time).
    connect_timeout: Arc<AtomicU64>,
    max_response_body: u64,
}

impl TenantClient {
    pub fn new(
        origin: &str,
        policy: &ClientPolicy,
        denied: Arc<AtomicU64>,
        log: TenantLog,
    ) -> Result<Self, HttpError> {
        let connect_timeout = Arc::new(AtomicU64::new(0));
        let connector = Connector {
            allow_private_network: policy.allow_private_network,
            connect_timeout: connect_timeout.clone(),
            tls: Arc::new(tls_config()?),
            denied,
            log,
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(policy.idle_timeout)
            .pool_timer(TokioTimer::new())
            .pool_max_idle_per_host(MAX_IDLE_PER_TENANT)
            .build(connector);
        Ok(Self {
            origin: origin.to_string(),
            client,
            connect_timeout,
            max_response_body: policy.max_response_body,
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Sends one request whose body the caller has already taken in full. Waits at most
    /// `connect` for a new connection (a pooled one is reused at once) and `first_byte` for
    /// the answer's head; the answer's body then fails with `ConnectionReadTimeout` when
    /// `between_bytes` passes without data, and with `HttpResponseBodySize` past the cap.
    pub async fn send(
        &self,
        request: Request<Full<Bytes>>,
        connect: Duration,
        first_byte: Duration,
        between_bytes: Duration,
    ) -> Result<Response<WasiBody>, HttpError> {
        let millis = u64::try_from(connect.as_millis()).unwrap_or(u64::MAX);
        self.connect_timeout.store(millis.max(1), Ordering::Relaxed);
        let response = tokio::time::timeout(first_byte, self.client.request(request))
            .await
            .map_err(|_| HttpError::ConnectionReadTimeout)?
            .map_err(|e| client_error(&e))?;
        let announced = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(length) = announced.filter(|&length| length > self.max_response_body) {
            // Dropping the response closes its connection: it never returns to the pool.
            return Err(HttpError::HttpResponseBodySize(Some(length)));
        }
        let cap = self.max_response_body;
        Ok(response.map(|incoming| CappedBody::new(incoming, cap, between_bytes).boxed_unsync()))
    }
}

/// Takes a request body from the guest: at most `cap` bytes kept, the rest read and dropped
/// (so the guest finishes writing and sees the error on its response), all within `within`.
pub(crate) async fn take_body(
    mut body: WasiBody,
    cap: u64,
    within: Duration,
) -> Result<Bytes, HttpError> {
    let read = async {
        let mut kept = Vec::new();
        let mut total: u64 = 0;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data() {
                total = total.saturating_add(data.len() as u64);
                if total <= cap {
                    kept.extend_from_slice(&data);
                }
            }
        }
        if total > cap {
            return Err(HttpError::HttpRequestBodySize(Some(total)));
        }
        Ok(Bytes::from(kept))
    };
    tokio::time::timeout(within, read)
        .await
        .map_err(|_| HttpError::ConnectionWriteTimeout)?
}

/// Whatever the guest still writes of a refused request's body, read and dropped.
pub(crate) async fn drain(body: WasiBody, within: Duration) {
    let _ = tokio::time::timeout(within, body.collect()).await;
}

/// Maps a failure of the pooled client to the wasi-http error the guest sees.
fn client_error(error: &hyper_util::client::legacy::Error) -> HttpError {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(failure) = e.downcast_ref::<ConnectFailure>() {
            return failure.to_http_error();
        }
        if let Some(hyper_error) = e.downcast_ref::<hyper::Error>() {
            return hyper_error_code(hyper_error);
        }
        cause = e.source();
    }
    HttpError::InternalError(Some(error.to_string()))
}

fn hyper_error_code(error: &hyper::Error) -> HttpError {
    if error.is_timeout() {
        HttpError::HttpResponseTimeout
    } else if error.is_parse() || error.is_parse_status() || error.is_user() {
        HttpError::HttpProtocolError
    } else {
        HttpError::ConnectionTerminated
    }
}

/// An answer's body, capped and with the between-bytes timeout.
struct CappedBody {
    inner: Incoming,
    seen: u64,
    cap: u64,
    between: Duration,
    idle: Pin<Box<Sleep>>,
    done: bool,
}

impl CappedBody {
    fn new(inner: Incoming, cap: u64, between: Duration) -> Self {
        Self {
            inner,
            seen: 0,
            cap,
            between,
            idle: Box::pin(tokio::time::sleep(between)),
            done: false,
        }
    }
}

impl Body for CappedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.seen = this.seen.saturating_add(data.len() as u64);
                    if this.seen > this.cap {
                        this.done = true;
                        return Poll::Ready(Some(Err(HttpError::HttpResponseBodySize(Some(
                            this.seen,
                        )))));
                    }
                }
                let next = Instant::now() + this.between;
                this.idle.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                this.done = true;
                let code = if error.is_timeout() {
                    HttpError::HttpResponseTimeout
                } else {
                    HttpError::from(error)
                };
                Poll::Ready(Some(Err(code)))
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => {
                if this.idle.as_mut().poll(cx).is_ready() {
                    this.done = true;
                    return Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Why a connection was not made; `Denied` says nothing about the destination's ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ConnectFailure {
    Denied,
    InvalidUri,
    Dns(String),
    NotFound,
    Refused,
    Timeout,
    Unreachable,
    TlsCertificate,
    TlsAlert(Option<u8>, String),
    TlsProtocol,
}

impl ConnectFailure {
    fn to_http_error(&self) -> HttpError {
        match self {
            ConnectFailure::Denied => HttpError::HttpRequestDenied,
            ConnectFailure::InvalidUri => HttpError::HttpRequestUriInvalid,
            ConnectFailure::Dns(why) => HttpError::DnsError {
                rcode: Some(why.clone()),
                info_code: None,
            },
            ConnectFailure::NotFound => HttpError::DestinationNotFound,
            ConnectFailure::Refused => HttpError::ConnectionRefused,
            ConnectFailure::Timeout => HttpError::ConnectionTimeout,
            ConnectFailure::Unreachable => HttpError::DestinationUnavailable,
            ConnectFailure::TlsCertificate => HttpError::TlsCertificateError,
            ConnectFailure::TlsAlert(id, message) => HttpError::TlsAlertReceived {
                alert_id: *id,
                alert_message: Some(message.clone()),
            },
            ConnectFailure::TlsProtocol => HttpError::TlsProtocolError,
        }
    }
}

impl fmt::Display for ConnectFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_http_error())
    }
}

impl StdError for ConnectFailure {}

/// Resolve, check every address, connect to a checked one, then TLS for https.
#[derive(Clone)]
struct Connector {
    allow_private_network: bool,
    connect_timeout: Arc<AtomicU64>,
    tls: Arc<rustls::ClientConfig>,
    denied: Arc<AtomicU64>,
    log: TenantLog,
}

impl tower_service::Service<Uri> for Connector {
    type Response = TokioIo<Stream>;
    type Error = ConnectFailure;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connector = self.clone();
        Box::pin(async move { connector.connect(uri).await.map(TokioIo::new) })
    }
}

impl Connector {
    async fn connect(self, uri: Uri) -> Result<Stream, ConnectFailure> {
        let host = uri.host().ok_or(ConnectFailure::InvalidUri)?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let https = uri.scheme() == Some(&Scheme::HTTPS);
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let within = Duration::from_millis(self.connect_timeout.load(Ordering::Relaxed).max(1));
        let connect = async {
            let addresses = self.checked_addresses(&host, port).await?;
            let tcp = connect_any(&addresses).await?;
            if !https {
                return Ok(Stream::Plain(tcp));
            }
            let name = match host.parse::<IpAddr>() {
                Ok(ip) => ServerName::from(ip),
                Err(_) => {
                    ServerName::try_from(host.clone()).map_err(|_| ConnectFailure::InvalidUri)?
                }
            };
            let tls = TlsConnector::from(self.tls.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| tls_failure(&e))?;
            Ok(Stream::Tls(Box::new(tls)))
        };
        tokio::time::timeout(within, connect)
            .await
            .map_err(|_| ConnectFailure::Timeout)?
    }

    /// Every address the host resolves to, each checked; one refused address refuses all
    /// (a name that mixes public and internal addresses is not a ServiceNow instance).
    async fn checked_addresses(
        &self,
        host: &str,
        port: u16,
    ) -> Result<Vec<SocketAddr>, ConnectFailure> {
        let addresses: Vec<SocketAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| ConnectFailure::Dns(dns_reason(&e)))?
                .collect(),
        };
        if addresses.is_empty() {
            return Err(ConnectFailure::NotFound);
        }
        for address in &addresses {
            if let Some(rule) = address::refusal(address.ip(), self.allow_private_network) {
                self.refuse(host, rule);
                return Err(ConnectFailure::Denied);
            }
        }
        Ok(addresses)
    }

    fn refuse(&self, host: &str, rule: Rule) {
        self.denied.fetch_add(1, Ordering::Relaxed);
        self.log.host_note(
            Level::Warn,
            &format!(
                "the platform refused to connect to {host}: it resolves to an address under \
                 host rule \"{rule}\"; tenants may not reach such addresses"
            ),
        );
    }
}

fn dns_reason(error: &std::io::Error) -> String {
    // getaddrinfo's words, without the name (the guest knows which name it asked for).
    let text = error.to_string();
    if text.contains("failed to lookup address information") {
        "the name does not resolve".into()
    } else {
        text
    }
}

async fn connect_any(addresses: &[SocketAddr]) -> Result<TcpStream, ConnectFailure> {
    let mut last = ConnectFailure::NotFound;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(error) => {
                last = match error.kind() {
                    std::io::ErrorKind::ConnectionRefused => ConnectFailure::Refused,
                    std::io::ErrorKind::TimedOut => ConnectFailure::Timeout,
                    _ => ConnectFailure::Unreachable,
                };
            }
        }
    }
    Err(last)
}

fn tls_failure(error: &std::io::Error) -> ConnectFailure {
    let rustls_error = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match rustls_error {
        Some(rustls::Error::InvalidCertificate(_)) => ConnectFailure::TlsCertificate,
        Some(rustls::Error::AlertReceived(alert)) => {
            ConnectFailure::TlsAlert(Some(u8::from(*alert)), format!("{alert:?}"))
        }
        Some(_) => ConnectFailure::TlsProtocol,
        None => ConnectFailure::TlsProtocol,
    }
}

/// A TLS configuration of its own for each tenant client (sessions are never shared), on
/// the webpki roots, parsed once.
fn tls_config() -> Result<rustls::ClientConfig, HttpError> {
    static ROOTS: OnceLock<Arc<rustls::RootCertStore>> = OnceLock::new();
    let roots = ROOTS.get_or_init(|| {
        Arc::new(rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        })
    });
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| HttpError::InternalError(Some(format!("TLS configuration: {e}"))))?
        .with_root_certificates(roots.clone())
        .with_no_client_auth();
    Ok(config)
}

/// A connection: plain TCP for http, rustls over TCP for https.
enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Connection for Stream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Stream::Plain(s) => s.is_write_vectored(),
            Stream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(bytes: usize) -> WasiBody {
        Full::new(Bytes::from(vec![b'x'; bytes]))
            .map_err(|never| match never {})
            .boxed_unsync()
    }

    #[tokio::test]
    async fn request_bodies_are_capped() {
        let within = Duration::from_secs(5);
        let kept = take_body(body(1000), 1000, within).await.unwrap();
        assert_eq!(kept.len(), 1000);
        let error = take_body(body(1001), 1000, within).await.unwrap_err();
        assert!(
            matches!(error, HttpError::HttpRequestBodySize(Some(1001))),
            "{error:?}"
        );
    }

    fn connector(allow_private_network: bool, log: TenantLog) -> Connector {
        Connector {
            allow_private_network,
            connect_timeout: Arc::new(AtomicU64::new(5_000)),
            tls: Arc::new(tls_config().unwrap()),
            denied: Arc::new(AtomicU64::new(0)),
            log,
        }
    }

    #[tokio::test]
    async fn names_and_literals_are_checked_before_connecting() {
        let log = TenantLog::default();
        let strict = connector(false, log.clone());
        for host in [
            "localhost",
            "127.0.0.1",
            "::1",
            "169.254.169.254",
            "::ffff:10.0.0.5",
        ] {
            let refused = strict.checked_addresses(host, 80).await.unwrap_err();
            assert_eq!(refused, ConnectFailure::Denied, "{host}");
        }
        assert_eq!(strict.denied.load(Ordering::Relaxed), 5);
        assert_eq!(log.entries().len(), 5);
        let allowed = connector(true, TenantLog::default());
        let addresses = allowed.checked_addresses("localhost", 80).await.unwrap();
        assert!(
            addresses.iter().all(|a| a.ip().is_loopback()),
            "{addresses:?}"
        );
        let metadata = allowed.checked_addresses("169.254.169.254", 80).await;
        assert_eq!(metadata.unwrap_err(), ConnectFailure::Denied);
    }

    #[tokio::test]
    async fn a_refused_destination_is_never_connected_to() {
        // Something listens here; the strict connector must not even knock.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let uri: Uri = format!("http://127.0.0.1:{port}/").parse().unwrap();
        let failure = connector(false, TenantLog::default())
            .connect(uri)
            .await
            .err()
            .unwrap();
        assert_eq!(failure, ConnectFailure::Denied);
        // A connection made on loopback would be waiting in the accept queue by now.
        let accepted = listener.accept();
        assert!(
            matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "the host connected to a refused address: {accepted:?}"
        );
    }
}
