//! The host's own send path for a tenant's outbound requests: one kept-alive HTTP/1.1
//! connection per tenant (and per origin), made by a connector that resolves the name, checks
//! every address against the host's rules ([`crate::address`]), and connects to the checked
//! address, so a second lookup cannot rebind it. TLS is rustls with the webpki roots and the
//! host name as SNI; each tenant's client has its own TLS configuration, hence its own session
//! cache. Request and response bodies are capped, and the connect, first-byte and
//! between-bytes timeouts hold for kept connections too.
//!
//! The connection is driven by whoever waits on it (the request while its answer's head is
//! awaited, then the answer's body while the guest reads it) rather than by a task of its own:
//! a ticket then costs no hand-over between tasks (and threads) for the request, the answer
//! and each piece of the body. A connection nobody waits on sits idle in the tenant's slot,
//! which a small task per tenant empties once it has been idle for the idle timeout.

use std::future::{Future, poll_fn};
use std::net::{IpAddr, SocketAddr};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use http::uri::{PathAndQuery, Scheme};
use http::{Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use wasmtime_wasi_http::{Error as HttpError, WasiBody};

use crate::address::{self, Network, Rule};
use crate::bindings::cxm::ticketing::log::Level;
use crate::budget::{Cancellation, Slot};
use crate::deadline::Deadline;
use crate::issuer::NamingVerifier;
use crate::proxy::{Proxy, TunnelFailure};
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

/// What the clones of one tenant's client share.
struct Shared {
    connector: Connector,
    idle_timeout: Duration,
    max_response_body: u64,
    /// What the tenant's requests reuse while none is under way.
    kept: Mutex<Kept>,
}

/// One HTTP/1.1 connection: the handle to send on, and the connection itself, which makes
/// progress only when polled.
struct Conn {
    sender: http1::SendRequest<Full<Bytes>>,
    driver: http1::Connection<TokioIo<Stream>, Full<Bytes>>,
    /// The connection has ended (closed, failed): it is not polled again, nor kept.
    ended: bool,
}

impl Conn {
    /// Lets the connection make progress (write the request, read the answer into its body,
    /// notice a close); true once it has ended.
    fn drive(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.ended && Pin::new(&mut self.driver).poll(cx).is_ready() {
            self.ended = true;
        }
        self.ended
    }
}

/// What a request takes for its time and hands back when its answer has been read.
#[derive(Default)]
struct Kept {
    /// The kept connection while no request uses it. A tenant sends one request at a time,
    /// so one is enough.
    idle: Option<Idle>,
    /// The first-byte and between-bytes deadline, moved forward for each request.
    deadline: Option<Deadline>,
    /// The task that closes the idle connection runs. It ends once nothing is kept, so an
    /// idle tenant has no task and no timer.
    reaping: bool,
}

struct Idle {
    conn: Conn,
    since: Instant,
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
                idle_timeout: policy.idle_timeout,
                max_response_body: policy.max_response_body,
                kept: Mutex::default(),
            }),
        })
    }

    pub fn origin(&self) -> &str {
        &self.origin
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
        connect: Duration,
        first_byte: Duration,
        between_bytes: Duration,
    ) -> Result<Response<WasiBody>, HttpError> {
        let target = request.uri().clone();
        // On the wire an HTTP/1.1 request names the path only (the absolute form is for
        // proxies); the Host header, which wasi-http set, names the origin.
        let path = request
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        *request.uri_mut() = Uri::from(path);

        let (idle, mut deadline) = self.shared.take();
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
        let shared = self.shared.clone();
        Ok(response.map(|incoming| {
            let body = CappedBody::new(incoming, conn, deadline, shared, between_bytes, slot);
            Watched::new(body, between_bytes, cancellation).boxed_unsync()
        }))
    }
}

/// A request the connection closed on before sending it.
struct Unsent(Request<Full<Bytes>>);

/// Sends `request` on `conn` and drives the connection until the answer's head is in.
async fn exchange(
    conn: &mut Conn,
    request: Request<Full<Bytes>>,
) -> Result<Result<Response<Incoming>, HttpError>, Unsent> {
    // The connection makes progress only when polled: this lets it take up what the last
    // answer left (its end, a close) and be ready for the next request.
    let ready = poll_fn(|cx| {
        let closed = conn.drive(cx);
        match conn.sender.poll_ready(cx) {
            Poll::Ready(Ok(())) if !closed => Poll::Ready(true),
            Poll::Ready(_) => Poll::Ready(false),
            Poll::Pending if closed => Poll::Ready(false),
            Poll::Pending => Poll::Pending,
        }
    })
    .await;
    if !ready {
        return Err(Unsent(request));
    }
    let mut answer = pin!(conn.sender.try_send_request(request));
    poll_fn(|cx| {
        // Writes the request, reads the answer's head (and what of the body came with it);
        // a connection that ended meanwhile has settled the answer, which says how.
        let ended = conn.drive(cx);
        match answer.as_mut().poll(cx) {
            Poll::Ready(Ok(response)) => Poll::Ready(Ok(Ok(response))),
            Poll::Ready(Err(mut failed)) => match failed.take_message() {
                Some(request) => Poll::Ready(Err(Unsent(request))),
                None => Poll::Ready(Ok(Err(hyper_error_code(failed.error())))),
            },
            Poll::Pending if ended => Poll::Ready(Ok(Err(HttpError::ConnectionTerminated))),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

impl Shared {
    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The kept connection, if it is still open and has not been idle too long, and the
    /// request deadline.
    fn take(&self) -> (Option<Conn>, Deadline) {
        let mut kept = self.kept();
        let deadline = kept.deadline.take().unwrap_or_default();
        let conn = kept
            .idle
            .take()
            .filter(|idle| idle.since.elapsed() < self.idle_timeout)
            .filter(|idle| !idle.conn.sender.is_closed())
            .map(|idle| idle.conn);
        (conn, deadline)
    }

    /// Keeps `conn` (when it may carry another request) and `deadline` for the next request.
    /// A connection is kept only where the task that closes it once idle runs: started here
    /// when none does, which needs a runtime to start in.
    fn keep(self: &Arc<Self>, conn: Option<Conn>, deadline: Deadline) {
        let mut kept = self.kept();
        kept.deadline = Some(deadline);
        kept.idle = None;
        let Some(conn) = conn else {
            return;
        };
        if !kept.reaping {
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return;
            };
            runtime.spawn(reap(Arc::downgrade(self), self.idle_timeout));
            kept.reaping = true;
        }
        kept.idle = Some(Idle {
            conn,
            since: Instant::now(),
        });
    }

    /// A new connection to the request's origin, within `within`.
    async fn connect(&self, target: &Uri, within: Duration) -> Result<Conn, HttpError> {
        let stream = self
            .connector
            .connect(target, within)
            .await
            .map_err(|failure| failure.to_http_error())?;
        let (sender, driver) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| hyper_error_code(&e))?;
        Ok(Conn {
            sender,
            driver,
            ended: false,
        })
    }
}

/// Closes the tenant's kept connection once it has been idle for `idle_timeout`; ends then,
/// when nothing is kept (a request holds the connection: it keeps it again, or not), or
/// with the tenant's client.
async fn reap(shared: Weak<Shared>, idle_timeout: Duration) {
    let mut next = Instant::now() + idle_timeout;
    loop {
        tokio::time::sleep_until(next).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let mut kept = shared.kept();
        match kept.idle.as_ref().map(|i| i.since + idle_timeout) {
            Some(expiry) if expiry > Instant::now() => next = expiry,
            _ => {
                kept.idle = None;
                kept.reaping = false;
                return;
            }
        }
    }
}

/// Takes a request body from the guest: at most `cap` bytes kept, the rest read and dropped
/// (so the guest finishes writing and sees the error on its response), all within `within`.
/// What is kept is held in `slot`, against the tenant's budget: past it, the rest is read and
/// dropped too, and the request fails.
pub(crate) async fn take_body(
    mut body: WasiBody,
    cap: u64,
    slot: &mut Slot,
    within: Duration,
) -> Result<Bytes, HttpError> {
    let read = async {
        let mut kept = Vec::new();
        let mut total: u64 = 0;
        let mut over_budget = false;
        while let Some(frame) = body.frame().await {
            if let Ok(data) = frame?.into_data() {
                total = total.saturating_add(data.len() as u64);
                over_budget = over_budget || !slot.hold(data.len() as u64);
                if total <= cap && !over_budget {
                    kept.extend_from_slice(&data);
                } else {
                    kept = Vec::new();
                }
            }
        }
        if total > cap || over_budget {
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

fn hyper_error_code(error: &hyper::Error) -> HttpError {
    if error.is_timeout() {
        HttpError::HttpResponseTimeout
    } else if error.is_parse() || error.is_parse_status() || error.is_user() {
        HttpError::HttpProtocolError
    } else {
        HttpError::ConnectionTerminated
    }
}

/// An answer's body, capped and with the between-bytes timeout. It drives its connection
/// while it is read and hands it back to the tenant once the answer has been read to its end;
/// a body dropped before that closes the connection (its unread rest would be the start of
/// the next answer).
struct CappedBody {
    inner: Incoming,
    conn: Option<Conn>,
    /// The request's share of its tenant's budget, given back with the answer's end.
    slot: Option<Slot>,
    deadline: Option<Deadline>,
    shared: Arc<Shared>,
    seen: u64,
    cap: u64,
    between: Duration,
    /// The deadline is armed only while waiting for data: data already in costs no timer.
    armed: bool,
    done: bool,
}

impl CappedBody {
    fn new(
        inner: Incoming,
        conn: Conn,
        deadline: Deadline,
        shared: Arc<Shared>,
        between: Duration,
        slot: Slot,
    ) -> Self {
        Self {
            inner,
            conn: Some(conn),
            slot: Some(slot),
            deadline: Some(deadline),
            cap: shared.max_response_body,
            shared,
            seen: 0,
            between,
            armed: false,
            done: false,
        }
    }

    /// The answer has been read to its end: its connection may carry the next request.
    fn finish(&mut self) {
        self.done = true;
        self.slot = None;
        let conn = self.conn.take().filter(|conn| !conn.ended);
        let deadline = self.deadline.take().unwrap_or_default();
        self.shared.keep(conn, deadline);
    }

    fn fail(&mut self, error: HttpError) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        self.done = true;
        self.conn = None;
        self.slot = None;
        Poll::Ready(Some(Err(error)))
    }
}

impl Drop for CappedBody {
    fn drop(&mut self) {
        // Nothing left to read (an empty answer, or one read to its announced length): the
        // connection is at the end of a message and may carry the next request.
        if !self.done && self.inner.is_end_stream() {
            self.finish();
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
        if let Some(conn) = this.conn.as_mut() {
            // Reads what has arrived into the body; an ended connection has said its last.
            conn.drive(cx);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.armed = false;
                if let Some(data) = frame.data_ref() {
                    this.seen = this.seen.saturating_add(data.len() as u64);
                    if this.seen > this.cap {
                        let seen = this.seen;
                        return this.fail(HttpError::HttpResponseBodySize(Some(seen)));
                    }
                }
                if this.inner.is_end_stream() {
                    this.finish();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                let code = if error.is_timeout() {
                    HttpError::HttpResponseTimeout
                } else {
                    HttpError::from(error)
                };
                this.fail(code)
            }
            Poll::Ready(None) => {
                this.finish();
                Poll::Ready(None)
            }
            Poll::Pending => {
                let deadline = this.deadline.get_or_insert_with(Deadline::default);
                if !this.armed {
                    this.armed = true;
                    deadline.arm(this.between);
                }
                if deadline.poll_passed(cx) {
                    return this.fail(HttpError::ConnectionReadTimeout);
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

/// Resolve, check every address, connect to a checked one, then TLS for https.
struct Connector {
    allow_private_network: bool,
    /// Private networks the platform admits.
    allowed_networks: Vec<Network>,
    /// Names the platform admits on a private network.
    allowed_hosts: Vec<String>,
    /// For an https origin: its configuration, and its verifier, which names the issuer of
    /// a certificate it refused.
    tls: Option<(Arc<rustls::ClientConfig>, Arc<NamingVerifier>)>,
    /// Names the platform resolves itself.
    resolve: Vec<Resolve>,
    /// The platform's proxy.
    proxy: Option<Proxy>,
    denied: Arc<AtomicU64>,
    log: TenantLog,
}

impl Connector {
    /// A connection to `uri`'s host and port, made within `within`.
    async fn connect(&self, uri: &Uri, within: Duration) -> Result<Stream, ConnectFailure> {
        let host = uri.host().ok_or(ConnectFailure::InvalidUri)?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let https = uri.scheme() == Some(&Scheme::HTTPS);
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let within = within.max(Duration::from_millis(1));
        let connect = async {
            let addresses = self.checked_addresses(&host, port).await?;
            let tcp = match self.proxy.as_ref().filter(|proxy| proxy.applies_to(&host)) {
                Some(proxy) => self.tunnel_any(proxy, &addresses).await?,
                None => connect_any(&addresses).await?,
            };
            if !https {
                return Ok(Stream::Plain(tcp));
            }
            let name = match host.parse::<IpAddr>() {
                Ok(ip) => ServerName::from(ip),
                Err(_) => {
                    ServerName::try_from(host.clone()).map_err(|_| ConnectFailure::InvalidUri)?
                }
            };
            // The client's origin is http: an https URL is not its own.
            let (config, verifier) = self.tls.clone().ok_or(ConnectFailure::InvalidUri)?;
            let tls = TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(|e| {
                    let failure = tls_failure(&e);
                    // The guest learns only wasi:http's code; the platform learns why.
                    let mut why = tls_reason(&e);
                    if let Some(issuer) = verifier.take_refused_issuer() {
                        why.push_str(&format!("; the untrusted issuer is \"{issuer}\""));
                    }
                    self.log
                        .host_note(Level::Warn, &format!("TLS with {host}: {why}"));
                    tracing::warn!(host, why, "TLS handshake failed");
                    failure
                })?;
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
        let pinned = Resolve::find(&self.resolve, host, port);
        let addresses: Vec<SocketAddr> = match pinned.ok_or(()).or_else(|()| host.parse()) {
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
            let admitted_name = self
                .allowed_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host));
            let rule = address::refusal_admitting(
                address.ip(),
                self.allow_private_network || admitted_name,
                &self.allowed_networks,
            );
            if let Some(rule) = rule {
                self.refuse(host, rule);
                return Err(ConnectFailure::Denied);
            }
        }
        Ok(addresses)
    }

    /// A tunnel through `proxy` to one of the checked `addresses`.
    async fn tunnel_any(
        &self,
        proxy: &Proxy,
        addresses: &[SocketAddr],
    ) -> Result<TcpStream, ConnectFailure> {
        let mut last = ConnectFailure::NotFound;
        for address in addresses {
            match proxy.tunnel(*address).await {
                Ok(stream) => return Ok(stream),
                Err(failure) => {
                    let why = match failure {
                        TunnelFailure::Unreachable => "could not be reached".to_string(),
                        TunnelFailure::Refused(407) => {
                            "wants credentials (407): give them in SandboxLimits::proxy, the \
                             CLI's --proxy http://user:password@host:port"
                                .to_string()
                        }
                        TunnelFailure::Refused(status) => {
                            format!("refused the tunnel to {address} (status {status})")
                        }
                    };
                    self.log.host_note(
                        Level::Warn,
                        &format!("the platform's proxy {} {why}", proxy.address),
                    );
                    last = ConnectFailure::Unreachable;
                }
            }
        }
        Err(last)
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

/// Why a TLS handshake failed, in words an admin acts on (`wasi:http` gives the guest only
/// a code with no detail).
fn tls_reason(error: &std::io::Error) -> String {
    use rustls::CertificateError as Certificate;
    let rustls_error = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let Some(rustls_error) = rustls_error else {
        return format!("the connection failed during the handshake ({error})");
    };
    match rustls_error {
        rustls::Error::InvalidCertificate(certificate) => match certificate {
            Certificate::UnknownIssuer => "its certificate was issued by a CA the platform does \
                 not trust: an on-premise instance's private CA must be given to the platform \
                 (SandboxLimits::extra_roots, the CLI's --cacert)"
                .into(),
            Certificate::Expired | Certificate::ExpiredContext { .. } => {
                "its certificate has expired: the instance's administrators must renew it".into()
            }
            Certificate::NotValidYet | Certificate::NotValidYetContext { .. } => {
                "its certificate is not valid yet (a clock set wrong on one side)".into()
            }
            Certificate::NotValidForName | Certificate::NotValidForNameContext { .. } => {
                "its certificate is for another name than the instance address: check the \
                 address, or the instance's certificate"
                    .into()
            }
            other => format!("its certificate was refused ({other:?})"),
        },
        rustls::Error::PeerIncompatible(why) => format!(
            "it offers no TLS version or cipher the platform accepts (TLS 1.2 and 1.3): \
             {why:?}"
        ),
        rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion) => {
            "it offers no TLS version the platform accepts (TLS 1.2 and 1.3): an instance (or \
             its proxy) on TLS 1.0 or 1.1 must be upgraded"
                .into()
        }
        rustls::Error::AlertReceived(alert) => format!("it ended the handshake ({alert:?})"),
        other => format!("the handshake failed ({other})"),
    }
}

/// Session tickets a tenant client keeps: one server's worth (rustls keeps up to 8 TLS 1.3
/// tickets a server), since a client talks to its one origin. rustls's default, 256, sizes
/// a cache for 32 servers up front, in every tenant that has connected.
const TLS_SESSIONS: usize = 8;

/// A TLS configuration of its own for each tenant client (sessions are never shared), on
/// the webpki roots and the ring provider, both made once.
pub(crate) fn tls_config(
    roots: Arc<rustls::RootCertStore>,
    client_identity: Option<&ClientIdentity>,
) -> Result<(rustls::ClientConfig, Arc<NamingVerifier>), HttpError> {
    static PROVIDER: OnceLock<Arc<rustls::crypto::CryptoProvider>> = OnceLock::new();
    let provider = PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()));
    let failed = |e: &dyn std::fmt::Display| {
        HttpError::InternalError(Some(format!("TLS configuration: {e}")))
    };
    let webpki =
        rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| failed(&e))?;
    let verifier = Arc::new(NamingVerifier::new(webpki));
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| failed(&e))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone());
    let mut config = match client_identity {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain.clone(), key.clone_key())
            .map_err(|e| failed(&e))?,
        None => builder.with_no_client_auth(),
    };
    config.resumption = rustls::client::Resumption::in_memory_sessions(TLS_SESSIONS);
    Ok((config, verifier))
}

/// A connection: plain TCP for http, rustls over TCP for https.
enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
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
    use crate::budget::Budget;

    fn body(bytes: usize) -> WasiBody {
        Full::new(Bytes::from(vec![b'x'; bytes]))
            .map_err(|never| match never {})
            .boxed_unsync()
    }

    #[derive(Clone, Copy, PartialEq)]
    enum Serve {
        KeepAlive,
        /// Closes each connection after one answer.
        Close,
        /// Sends the head and half the body, then nothing more.
        StallMidBody,
        /// Answers with an empty body.
        Empty,
    }

    /// A plain HTTP/1.1 server on loopback answering every request with `ok`, as `serve`
    /// says. Counts the connections it accepts.
    async fn server(serve: Serve) -> (u16, Arc<AtomicU64>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicU64::new(0));
        let counter = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while socket.read(&mut byte).await.unwrap_or(0) == 1 {
                        head.push(byte[0]);
                        if !head.ends_with(b"\r\n\r\n") {
                            continue;
                        }
                        head.clear();
                        let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        let empty = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
                        let answer = match serve {
                            Serve::StallMidBody => &answer[..answer.len() - 1],
                            Serve::Empty => &empty[..],
                            _ => &answer[..],
                        };
                        if socket.write_all(answer).await.is_err() || serve == Serve::Close {
                            return;
                        }
                        if serve == Serve::StallMidBody {
                            tokio::time::sleep(Duration::from_secs(30)).await;
                        }
                    }
                });
            }
        });
        (port, accepted)
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
            .send(request, slot(), cancellation(), second, second, second)
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
            .send(request, slot(), cancellation(), second, second, second)
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
        let (port, accepted) = server(Serve::KeepAlive).await;
        let client = client(Duration::from_secs(60));
        for _ in 0..3 {
            get(&client, port, true).await;
        }
        assert_eq!(accepted.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_kept_connection_the_server_closed_is_replaced() {
        let (port, accepted) = server(Serve::Close).await;
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
        let (port, accepted) = server(Serve::KeepAlive).await;
        let client = client(Duration::from_millis(100));
        get(&client, port, true).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            client.shared.kept().idle.is_none(),
            "the idle connection is still kept"
        );
        assert!(
            !client.shared.kept().reaping,
            "the task that closed it ended with nothing kept"
        );
        get(&client, port, true).await;
        assert_eq!(accepted.load(Ordering::Relaxed), 2);
        assert!(
            client.shared.kept().reaping,
            "the next kept connection has its task again"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(client.shared.kept().idle.is_none());
    }

    #[tokio::test]
    async fn an_empty_answer_left_unread_keeps_its_connection() {
        let (port, accepted) = server(Serve::Empty).await;
        let client = client(Duration::from_secs(60));
        for _ in 0..3 {
            get(&client, port, false).await;
        }
        assert_eq!(accepted.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn an_answer_not_read_to_its_end_does_not_leave_its_connection_kept() {
        let (port, accepted) = server(Serve::KeepAlive).await;
        let client = client(Duration::from_secs(60));
        get(&client, port, false).await;
        get(&client, port, true).await;
        assert_eq!(accepted.load(Ordering::Relaxed), 2);
    }

    #[tokio::test]
    async fn an_answer_that_stalls_mid_body_fails_after_the_between_bytes_timeout() {
        let (port, _) = server(Serve::StallMidBody).await;
        let client = client(Duration::from_secs(60));
        let request = Request::get(format!("http://127.0.0.1:{port}/x"))
            .header(http::header::HOST, format!("127.0.0.1:{port}"))
            .body(Full::new(Bytes::new()))
            .unwrap();
        let (second, between) = (Duration::from_secs(5), Duration::from_millis(100));
        let response = client
            .send(request, slot(), cancellation(), second, second, between)
            .await
            .unwrap();
        // Without the between-bytes timeout this would wait for the server's 30 s.
        let error = response.into_body().collect().await.unwrap_err();
        assert!(
            matches!(error, HttpError::ConnectionReadTimeout),
            "{error:?}"
        );
        assert!(client.shared.kept().idle.is_none());
    }

    /// A request's share of a budget roomy enough for any test.
    fn slot() -> Slot {
        Budget::new(8, 1 << 30).admit().unwrap()
    }

    /// A cancellation that never comes (its budget is gone).
    fn cancellation() -> Cancellation {
        Budget::new(1, 1).cancellation()
    }

    #[tokio::test]
    async fn request_bodies_are_capped() {
        let within = Duration::from_secs(5);
        let kept = take_body(body(1000), 1000, &mut slot(), within)
            .await
            .unwrap();
        assert_eq!(kept.len(), 1000);
        let error = take_body(body(1001), 1000, &mut slot(), within)
            .await
            .unwrap_err();
        assert!(
            matches!(error, HttpError::HttpRequestBodySize(Some(1001))),
            "{error:?}"
        );
    }

    /// The bodies of one tenant's requests share its budget: a body that would pass it
    /// fails, and the bytes come back once the first request's are given back.
    #[tokio::test]
    async fn request_bodies_together_stay_within_the_tenants_budget() {
        let within = Duration::from_secs(5);
        let budget = Budget::new(4, 1500);
        let mut first = budget.admit().unwrap();
        take_body(body(1000), 4096, &mut first, within)
            .await
            .unwrap();
        let mut second = budget.admit().unwrap();
        let error = take_body(body(600), 4096, &mut second, within)
            .await
            .unwrap_err();
        assert!(
            matches!(error, HttpError::HttpRequestBodySize(_)),
            "{error:?}"
        );
        assert_eq!(budget.buffered(), 1000, "the refused body holds nothing");
        first.release_bytes();
        take_body(body(600), 4096, &mut second, within)
            .await
            .unwrap();
        assert_eq!(budget.buffered(), 600);
        drop((first, second));
        assert_eq!((budget.in_flight(), budget.buffered()), (0, 0));
    }

    fn connector(allow_private_network: bool, log: TenantLog) -> Connector {
        Connector {
            allow_private_network,
            allowed_networks: Vec::new(),
            allowed_hosts: Vec::new(),
            tls: Some({
                let (config, verifier) =
                    tls_config(crate::trust::roots(&[]).unwrap(), None).unwrap();
                (Arc::new(config), verifier)
            }),
            resolve: Vec::new(),
            proxy: None,
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
            .connect(&uri, Duration::from_secs(5))
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
