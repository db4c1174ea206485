//! What one tenant's instance may touch: outbound HTTP only to its own ServiceNow origin, with
//! bounded timeouts, a capped memory, and a clock the host controls.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http::Method;
use http_body_util::Full;
use instance_address::origin_of;
use wasmtime::StoreContextMut;
use wasmtime::component::{Linker, Resource, ResourceTable};
use wasmtime::{StoreLimits, StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::{HostMonotonicClock, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::p2::bindings::http::{outgoing_handler, types};
use wasmtime_wasi_http::p2::types::HostOutgoingRequest;
use wasmtime_wasi_http::{
    Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks,
    WasiHttpView,
};

use crate::address::Network;
use crate::bindings::cxm::ticketing::log::Level;
use crate::budget::Budget;
use crate::egress::{self, ClientPolicy, TenantClient};
use crate::proxy::Proxy;
use crate::tenant_log::TenantLog;
use crate::trust::{ClientIdentity, Resolve};
use rustls::RootCertStore;

/// The sandbox policy applied to every tenant of a [`crate::Host`].
///
/// Egress rules, whatever the fields say: a tenant reaches only its own instance's origin
/// (scheme, host, port), with GET, POST and PATCH only (the methods the component uses);
/// redirects are never followed (a 3xx reaches the component as an answer); and no
/// tenant reaches loopback, private, link-local, unique-local, multicast, unspecified,
/// documentation, benchmarking, shared (CGNAT) or reserved addresses, nor a cloud metadata
/// service, in any IPv4-in-IPv6 form (see [`crate::address`]). IP literals are refused when
/// the tenant configures; names are resolved by the host when it connects, every address
/// is checked, and the connection goes to the checked address.
#[derive(Clone, Debug)]
pub struct SandboxLimits {
    /// Upper bound for connect, first-byte and between-bytes timeouts of each request; the
    /// guest's own choices are clamped to it (wasi-http defaults to 600 s otherwise).
    pub http_timeout: Duration,
    /// Linear memory one tenant may grow to.
    pub memory_bytes: usize,
    /// How long one call into a tenant may take, HTTP included (default 60 s: a create that
    /// looks up, inserts and looks again, each with its retries, on a slow instance); past
    /// it the call is stopped and the tenant rebuilt.
    pub call_timeout: Duration,
    /// How much time one call may spend running guest code, not counting its waits on the
    /// network (default 2 s; the component's heaviest call runs for milliseconds). Counted
    /// in epoch ticks (`epoch_tick`), so a guest that spins is stopped this soon, not at
    /// `call_timeout`; past it the call traps and the tenant is rebuilt.
    pub max_guest_cpu: Duration,
    /// Lets tenants reach loopback and private addresses (10/8, 172.16/12, 192.168/16,
    /// fc00::/7, 100.64/10): an explicit allowance for a simulator on this machine or an
    /// instance behind a private proxy. Still only the tenant's own origin; link-local and
    /// metadata addresses stay closed. Default false.
    pub allow_private_network: bool,
    /// Largest request body a tenant may send (default 4 MiB, the component's attachment
    /// cap: a file travels as the raw body of one request); a larger one fails that request
    /// with wasi-http's `HttpRequestBodySize`. The host holds a request's body in its memory
    /// while it sends it, so this bounds that too; keep it well below `memory_bytes`, which a
    /// file passed to `Tenant::attach_file` must also fit in.
    pub max_request_body: u64,
    /// Largest answer body a tenant may receive (default 4 MiB), announced by
    /// Content-Length or counted while it streams; a larger one fails that request with
    /// `HttpResponseBodySize`. The tenant's next call is unaffected.
    pub max_response_body: u64,
    /// How long an idle keep-alive connection of a tenant stays open (default 60 s, below
    /// the idle timeouts of ServiceNow's load balancers).
    pub idle_connection_timeout: Duration,
    /// How many tenants (live instances) the host's engine holds at once (default 1000):
    /// the pooling allocator reserves that many slots when the [`crate::Host`] is made
    /// (address space, not memory), and [`crate::Host::tenant`] fails past it. Read when
    /// the host is created; `Host::with_limits` keeps the engine's. Each slot costs
    /// memory mappings, which Linux caps per process (`vm.max_map_count`, 65,530 by
    /// default, enough for about 10,600 tenants): a host sized for more than the setting
    /// allows is refused when it is made ([`crate::MapCountTooLow`] names the value it
    /// needs; [`crate::capacity`] has the figures).
    pub max_tenants: u32,
    /// How often the engine's epoch advances (default 10 ms): a running guest yields to the
    /// host at every tick, which is what lets a call's deadline stop even a guest that spins
    /// without waiting on I/O. Read when the host is created.
    pub epoch_tick: Duration,
    /// Most host resources (requests, bodies, streams, fields, futures) one tenant may hold
    /// at once (default 1,000; the component holds a handful per request in flight). Each
    /// is host memory, so this bounds what a tenant can pin; past it the call traps and
    /// the tenant is rebuilt, like any trap.
    pub max_host_resources: usize,
    /// Largest header collection (`fields`) a tenant may build, in wasmtime-wasi-http's
    /// measure of its memory (default 16 KiB; a ServiceNow request's headers take well under
    /// 1 KiB). Past it the call traps (wasmtime-wasi-http's answer) and the tenant is
    /// rebuilt. With `max_host_resources`, bounds the headers a tenant can hold: 16 MiB by
    /// default.
    pub max_field_section_bytes: usize,
    /// Requests one tenant may have under way at once (default 4; the component sends one
    /// at a time): from handing the request to the host until its answer is read to the
    /// end or dropped. Past it a request fails at once with `connection-limit-reached`.
    /// Each holds at most one connection, so a tenant's open connections are at most this
    /// plus the one kept idle.
    pub max_requests_in_flight: usize,
    /// Request body bytes the host buffers for one tenant at once, over all its requests
    /// under way (default 8 MiB, two of the largest request bodies). A request whose body
    /// would pass it fails with `HTTP-request-body-size`; a body's bytes are given back
    /// when the request is on the wire.
    pub max_buffered_request_bytes: u64,
    /// Private networks the platform admits (empty by default): an address in one may be
    /// loopback, private, unique-local or shared, as with `allow_private_network` but only
    /// there (an on-premise instance's network, not the platform's own). Metadata and
    /// link-local addresses stay closed whatever is admitted.
    pub allowed_networks: Vec<Network>,
    /// Host names the platform admits on a private network (empty by default): a name here
    /// may resolve to loopback, private, unique-local or shared addresses (an on-premise
    /// instance's name in the platform's internal DNS). Compared without regard to case;
    /// metadata and link-local addresses stay closed.
    pub allowed_hosts: Vec<String>,
    /// Names the host resolves itself, like curl's `--resolve` (empty by default): a tenant's
    /// connection to a pinned host and port goes to the pinned address, which the address
    /// rules still check (a private one needs `allow_private_network`).
    pub resolve: Vec<Resolve>,
    /// The platform's HTTP proxy (none by default): tenants connect through a `CONNECT`
    /// tunnel to the checked address of their instance, except to its `no_proxy` names.
    pub proxy: Option<Proxy>,
    /// Trust the operating system's roots too, beside the webpki ones (default false): for a
    /// platform whose network re-signs TLS with a CA installed on its hosts. Read when the
    /// host is made; a system store that yields no root fails that.
    pub os_roots: bool,
    /// Certificates (DER) every tenant's TLS trusts as roots beside the webpki ones: an
    /// on-premise instance's private CA (empty by default). Read when the host is made or
    /// given new limits; one that is not a usable root fails that.
    pub extra_roots: Vec<Vec<u8>>,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        Self {
            http_timeout: Duration::from_secs(30),
            memory_bytes: 32 << 20,
            call_timeout: Duration::from_secs(60),
            max_guest_cpu: Duration::from_secs(2),
            allow_private_network: false,
            max_request_body: 4 << 20,
            max_response_body: 4 << 20,
            idle_connection_timeout: Duration::from_secs(60),
            max_tenants: 1000,
            epoch_tick: Duration::from_millis(10),
            max_host_resources: 1_000,
            max_field_section_bytes: 16 << 10,
            max_requests_in_flight: 4,
            max_buffered_request_bytes: 8 << 20,
            allowed_networks: Vec::new(),
            allowed_hosts: Vec::new(),
            resolve: Vec::new(),
            proxy: None,
            os_roots: false,
            extra_roots: Vec::new(),
        }
    }
}

/// The most one tenant can take from the host under a [`SandboxLimits`] (README, "What one
/// tenant can take from the host").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TenantBound {
    /// Its linear memory.
    pub linear_memory: u64,
    /// Request body bytes buffered for it at once.
    pub buffered_request_bytes: u64,
    /// Header collections it can hold, in wasmtime-wasi-http's measure.
    pub header_bytes: u64,
    /// Sockets (and so descriptors) open for it: its requests under way and the idle one.
    pub sockets: usize,
    /// Guest CPU one call may use.
    pub cpu_per_call: Duration,
}

impl SandboxLimits {
    /// The most one tenant can take from the host under these limits.
    pub fn tenant_bound(&self) -> TenantBound {
        TenantBound {
            linear_memory: self.memory_bytes as u64,
            buffered_request_bytes: self.max_buffered_request_bytes,
            header_bytes: (self.max_host_resources as u64)
                .saturating_mul(self.max_field_section_bytes as u64),
            sockets: self.max_requests_in_flight.saturating_add(1),
            cpu_per_call: self.max_guest_cpu,
        }
    }
}

/// How long the host waits for the guest to finish writing a refused request's body.
const REFUSED_BODY_WAIT: Duration = Duration::from_secs(5);

/// The wasi-http hook that confines a tenant to its instance, and sends what it allows
/// through the tenant's own client and its kept connection.
pub struct OutboundGuard {
    /// The origin the tenant's settings name (set by a successful configure).
    pub(crate) allowed_origin: Option<String>,
    /// Cut off by the platform: nothing goes out, whatever the origin, until it resumes.
    pub(crate) suspended: bool,
    limits: SandboxLimits,
    denied: Arc<AtomicU64>,
    log: TenantLog,
    client: Option<TenantClient>,
    /// What the tenant's requests hold of the host, across its instances.
    budget: Arc<Budget>,
    /// The roots its TLS trusts (the host's, and the tenant's own).
    roots: Arc<RootCertStore>,
    /// The certificate it presents, for mutual TLS.
    client_identity: Option<Arc<ClientIdentity>>,
    /// The tenant's id, for what the host tells the platform (`observe`).
    tenant: Arc<str>,
}

impl OutboundGuard {
    pub(crate) fn new(
        limits: &SandboxLimits,
        roots: Arc<RootCertStore>,
        tenant: Arc<str>,
        log: TenantLog,
    ) -> Self {
        Self {
            allowed_origin: None,
            suspended: false,
            limits: limits.clone(),
            denied: Arc::new(AtomicU64::new(0)),
            log,
            client: None,
            budget: Budget::new(
                limits.max_requests_in_flight,
                limits.max_buffered_request_bytes,
            ),
            roots,
            client_identity: None,
            tenant,
        }
    }

    /// The same guard for a rebuilt instance: origin, suspension, counters, log and client.
    pub(crate) fn carry_over(&self) -> Self {
        Self {
            allowed_origin: self.allowed_origin.clone(),
            suspended: self.suspended,
            limits: self.limits.clone(),
            denied: self.denied.clone(),
            log: self.log.clone(),
            client: self.client.clone(),
            budget: self.budget.clone(),
            roots: self.roots.clone(),
            client_identity: self.client_identity.clone(),
            tenant: self.tenant.clone(),
        }
    }

    /// The same guard for a hibernating tenant: as [`OutboundGuard::carry_over`], without
    /// the pooled client (its idle connections and TLS state go with the instance).
    pub(crate) fn carry_over_idle(&self) -> Self {
        Self {
            client: None,
            ..self.carry_over()
        }
    }

    pub(crate) fn denied(&self) -> u64 {
        self.denied.load(Ordering::Relaxed)
    }

    /// The tenant's requests under way, and the request body bytes the host holds for them.
    pub(crate) fn in_flight(&self) -> (usize, u64) {
        (self.budget.in_flight(), self.budget.buffered())
    }

    /// Cuts the tenant off: its requests under way and answers unread are dropped, its
    /// connections closed.
    pub(crate) fn suspend(&mut self) {
        self.suspended = true;
        self.cancel_requests();
    }

    /// The tenant's own trust and client certificate, in force from its next connection;
    /// what it had under way stops.
    pub(crate) fn set_tls(
        &mut self,
        roots: Arc<RootCertStore>,
        client_identity: Option<Arc<ClientIdentity>>,
    ) {
        self.roots = roots;
        self.client_identity = client_identity;
        self.cancel_requests();
    }

    /// Drops the tenant's requests under way and answers unread, and closes its idle
    /// connection: nothing it asked for before leaves afterwards.
    pub(crate) fn cancel_requests(&mut self) {
        self.budget.cancel_all();
        self.client = None;
    }

    /// Why the request may not go out, if it may not: a label for the platform's metrics,
    /// and the words for the tenant's log.
    fn refusal(&self, method: &Method, target: Option<&str>) -> Option<(&'static str, String)> {
        if self.suspended {
            return Some((
                "suspended",
                "the tenant is suspended by the platform".into(),
            ));
        }
        let target = target.unwrap_or("an address without a host");
        if self.allowed_origin.as_deref() != Some(target) {
            let why = format!(
                "{target} is not this tenant's instance ({})",
                self.allowed_origin.as_deref().unwrap_or("none configured")
            );
            return Some(("origin", why));
        }
        if !matches!(*method, Method::GET | Method::POST | Method::PATCH) {
            let why = format!("the method {method} is not one the component uses");
            return Some(("method", why));
        }
        None
    }

    /// The tenant's client for `origin`: one per tenant and origin, made on first use.
    fn client_for(&mut self, origin: &str) -> Result<TenantClient, HttpError> {
        if let Some(client) = self.client.as_ref().filter(|c| c.origin() == origin) {
            return Ok(client.clone());
        }
        let policy = ClientPolicy {
            allow_private_network: self.limits.allow_private_network,
            allowed_networks: self.limits.allowed_networks.clone(),
            allowed_hosts: self.limits.allowed_hosts.clone(),
            idle_timeout: self.limits.idle_connection_timeout,
            max_response_body: self.limits.max_response_body,
            resolve: self.limits.resolve.clone(),
            proxy: self.limits.proxy.clone(),
            roots: self.roots.clone(),
            client_identity: self.client_identity.clone(),
        };
        let client = TenantClient::new(origin, &policy, self.denied.clone(), self.log.clone())?;
        self.client = Some(client.clone());
        Ok(client)
    }
}

type IoFuture = Box<dyn Future<Output = Result<(), HttpError>> + Send>;

impl WasiHttpHooks for OutboundGuard {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: IoFuture,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, IoFuture), HttpError>> + Send>
    {
        _ = fut;
        // Normalised as the tenant's allowed origin was (instance-address), so they compare.
        let target = origin_of(&request.uri().to_string());
        let refusal = self.refusal(request.method(), target.as_deref());
        let client = match (&refusal, target) {
            (None, Some(origin)) => Some(self.client_for(&origin)),
            _ => None,
        };
        let slot = match refusal {
            Some(_) => None,
            None => match self.budget.admit() {
                Some(slot) => Some(slot),
                None => {
                    crate::observe::refused(&self.tenant, "in-flight");
                    self.log.host_note(
                        Level::Warn,
                        &format!(
                            "the platform refused a request: the tenant has {} under way, \
                             its most (SandboxLimits::max_requests_in_flight)",
                            self.limits.max_requests_in_flight
                        ),
                    );
                    return Box::new(async { Err(HttpError::ConnectionLimitReached) });
                }
            },
        };
        if let Some((reason, why)) = &refusal {
            crate::observe::refused(&self.tenant, reason);
            self.denied.fetch_add(1, Ordering::Relaxed);
            self.log.host_note(
                Level::Warn,
                &format!("the platform refused a request: {why}"),
            );
        }
        let cap = self.limits.http_timeout;
        let clamp = |t: Option<Duration>| t.map_or(cap, |t| t.min(cap));
        let options = options.unwrap_or_default();
        let connect = clamp(options.connect_timeout);
        let first_byte = clamp(options.first_byte_timeout);
        let between_bytes = clamp(options.between_bytes_timeout);
        let max_request_body = self.limits.max_request_body;
        let (tenant, method, path) = (
            self.tenant.clone(),
            request.method().clone(),
            request.uri().path().to_string(),
        );
        let admitted = slot.is_some();
        let mut cancellation = self.budget.cancellation();
        let answer_cancellation = self.budget.cancellation();
        let exchange = async move {
            let (parts, body) = request.into_parts();
            let (client, mut slot) = match (client, slot) {
                (Some(client), Some(slot)) => (client?, slot),
                _ => {
                    // The guest writes the body after handing over the request: take it
                    // first, or the refusal reaches the guest as a closed stream instead
                    // of a denial.
                    egress::drain(body, REFUSED_BODY_WAIT.min(cap)).await;
                    return Err(HttpError::HttpRequestDenied);
                }
            };
            let body = egress::take_body(body, max_request_body, &mut slot, cap).await?;
            let request = http::Request::from_parts(parts, Full::new(body));
            let response = client
                .send(
                    request,
                    slot,
                    answer_cancellation,
                    connect,
                    first_byte,
                    between_bytes,
                )
                .await?;
            Ok((response, Box::new(async { Ok(()) }) as IoFuture))
        };
        // The request runs on wasi-http's task: its events go where the call's do, inside
        // the call's span.
        let request = tracing::Instrument::in_current_span(async move {
            let started = std::time::Instant::now();
            let sent = tokio::select! {
                sent = exchange => sent,
                () = cancellation.cancelled() => Err(HttpError::HttpRequestDenied),
            };
            if admitted {
                let answer = match &sent {
                    Ok((response, _)) => Ok(response.status().as_u16()),
                    Err(error) => Err(error_label(error)),
                };
                let took = started.elapsed();
                crate::observe::request(&tenant, method.as_str(), &path, answer, took);
            }
            sent
        });
        Box::new(tracing::instrument::WithSubscriber::with_current_subscriber(request))
    }
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

/// Monotonic time as the tenant sees it: real time plus an offset the host can push forward,
/// so tests can let a token expire without waiting half an hour.
#[derive(Clone)]
pub struct TenantClock {
    start: Instant,
    offset_nanos: Arc<AtomicU64>,
}

impl Default for TenantClock {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            offset_nanos: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl TenantClock {
    /// Moves the tenant's clock forward by `by` (a test lets a token expire).
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.offset_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

impl HostMonotonicClock for TenantClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        let real = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        real.saturating_add(self.offset_nanos.load(Ordering::Relaxed))
    }
}

/// Everything a tenant's `Store` holds.
pub struct TenantState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    pub(crate) guard: OutboundGuard,
    pub(crate) log: TenantLog,
    pub(crate) limits: StoreLimits,
    /// Epoch ticks the current call has spent running guest code.
    pub(crate) cpu_ticks: u64,
}

impl TenantState {
    pub(crate) fn new(
        limits: &SandboxLimits,
        clock: &TenantClock,
        guard: OutboundGuard,
        log: TenantLog,
    ) -> Self {
        // No preopened directories, no inherited environment or stdio, no sockets: the
        // component's only way out is the guarded wasi-http.
        let wasi = WasiCtx::builder()
            .monotonic_clock(clock.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let mut table = ResourceTable::new();
        table.set_max_capacity(limits.max_host_resources);
        let mut http = WasiHttpCtx::new();
        http.set_field_size_limit(limits.max_field_section_bytes);
        Self {
            wasi,
            http,
            table,
            guard,
            log,
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes)
                .instances(crate::host::CORE_INSTANCES_PER_TENANT as usize)
                .build(),
            cpu_ticks: 0,
        }
    }
}

/// The epoch deadline of a tenant's store: at every tick that finds the guest running, it
/// yields to the host's other tasks and counts the tick against the call's CPU budget of
/// `budget` ticks; past it the call traps. A guest waiting on the network is not running, so
/// its waits cost it nothing.
pub(crate) fn cpu_budget(
    budget: u64,
) -> impl FnMut(StoreContextMut<'_, TenantState>) -> wasmtime::Result<UpdateDeadline> + Send + Sync
{
    move |mut store| {
        let ticks = &mut store.data_mut().cpu_ticks;
        *ticks += 1;
        if *ticks > budget {
            return Err(wasmtime::format_err!(
                "the call ran guest code for longer than SandboxLimits::max_guest_cpu allows"
            ));
        }
        Ok(UpdateDeadline::Yield(1))
    }
}

/// Where wasmtime-wasi-http 48 defines `wasi:http/outgoing-handler` (its WIT's version).
const OUTGOING_HANDLER: &str = "wasi:http/outgoing-handler@0.2.12";

/// Defines `wasi:http/outgoing-handler.handle` over wasmtime-wasi-http's own, which the
/// linker must already hold. wasi-http 0.2 hands the request's options to the host
/// (`own<request-options>`), but wasmtime-wasi-http 48 only reads them and leaves them in
/// the tenant's resource table: one entry for every request, as long as the tenant lives.
/// This is the same call followed by the delete that the ownership implies.
pub(crate) fn add_outgoing_handler_to_linker(
    linker: &mut Linker<TenantState>,
) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let defined = linker.instance(OUTGOING_HANDLER).and_then(|mut instance| {
        instance.func_wrap(
            "handle",
            |mut store: StoreContextMut<'_, TenantState>,
             (request, options): (
                Resource<HostOutgoingRequest>,
                Option<Resource<RequestOptions>>,
            )| {
                let mut view = store.data_mut().http();
                let options_rep = options.as_ref().map(Resource::rep);
                let result = outgoing_handler::Host::handle(&mut view, request, options);
                if let Some(rep) = options_rep {
                    // Already read by `handle` (it keeps a copy); a guest that passed a
                    // handle it does not own got its error from `handle` already.
                    let _ = view.table.delete(Resource::<RequestOptions>::new_own(rep));
                }
                let result = match result {
                    Ok(future) => Ok(future),
                    Err(e) => Err(types::Host::convert_error_code(&mut view, e)?),
                };
                Ok((result,))
            },
        )
    });
    linker.allow_shadowing(false);
    defined
}

impl WasiView for TenantState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for TenantState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.guard,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A guard as the host makes one, under `limits`.
    fn guard_for(limits: &SandboxLimits) -> OutboundGuard {
        let roots = crate::trust::roots(&[]).unwrap();
        OutboundGuard::new(limits, roots, "tenant".into(), TenantLog::default())
    }

    fn guard(origin: &str) -> OutboundGuard {
        let mut guard = guard_for(&SandboxLimits::default());
        guard.allowed_origin = Some(origin.into());
        guard
    }

    #[test]
    fn only_the_components_methods_to_its_own_origin() {
        let origin = "https://dev1.service-now.com";
        let guard = guard(origin);
        for method in [Method::GET, Method::POST, Method::PATCH] {
            assert_eq!(guard.refusal(&method, Some(origin)), None, "{method}");
        }
        for method in [
            Method::PUT,
            Method::DELETE,
            Method::HEAD,
            Method::OPTIONS,
            Method::TRACE,
            Method::CONNECT,
        ] {
            assert!(guard.refusal(&method, Some(origin)).is_some(), "{method}");
        }
        for elsewhere in [
            Some("https://dev2.service-now.com"),
            Some("http://dev1.service-now.com"),
            Some("https://dev1.service-now.com:8443"),
            None,
        ] {
            assert!(
                guard.refusal(&Method::GET, elsewhere).is_some(),
                "{elsewhere:?}"
            );
        }
    }

    #[test]
    fn a_suspended_guard_refuses_everything_until_resumed() {
        let origin = "https://dev1.service-now.com";
        let mut guard = guard(origin);
        guard.suspend();
        assert!(guard.refusal(&Method::GET, Some(origin)).is_some());
        let rebuilt = guard.carry_over();
        assert!(rebuilt.refusal(&Method::GET, Some(origin)).is_some());
        guard.suspended = false;
        assert_eq!(guard.refusal(&Method::GET, Some(origin)), None);
    }

    /// A loopback server answering every request with `ok`, keeping connections open.
    async fn answering_server() -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while socket.read(&mut byte).await.unwrap_or(0) == 1 {
                        head.push(byte[0]);
                        if head.ends_with(b"\r\n\r\n") {
                            head.clear();
                            let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                            if socket.write_all(answer).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        origin
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
        let mut guard = guard_for(&limits);
        guard.allowed_origin = Some(origin.clone());
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
        let mut guard = guard_for(&limits);
        guard.allowed_origin = Some(origin.clone());
        let _unread = [
            send(&mut guard, &origin).await.unwrap(),
            send(&mut guard, &origin).await.unwrap(),
        ];
        assert!(send(&mut guard, &origin).await.is_err());
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(guard.in_flight().0, 0);
        assert!(send(&mut guard, &origin).await.is_ok());
    }

    /// A server that takes requests and never answers; counts the bytes it was sent.
    async fn silent_server() -> (String, Arc<AtomicU64>) {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let received = Arc::new(AtomicU64::new(0));
        let counter = received.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let mut buffer = [0u8; 1024];
                    while let Ok(n @ 1..) = socket.read(&mut buffer).await {
                        counter.fetch_add(n as u64, Ordering::Relaxed);
                    }
                });
            }
        });
        (origin, received)
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
        let (origin, received) = silent_server().await;
        let limits = SandboxLimits {
            allow_private_network: true,
            ..SandboxLimits::default()
        };
        let mut guard = guard_for(&limits);
        guard.allowed_origin = Some(origin.clone());
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

    #[test]
    fn the_defaults_bound_a_tenant_as_the_readme_says() {
        let bound = SandboxLimits::default().tenant_bound();
        assert_eq!(
            bound,
            TenantBound {
                linear_memory: 32 << 20,
                buffered_request_bytes: 8 << 20,
                header_bytes: 1000 * (16 << 10),
                sockets: 5,
                cpu_per_call: Duration::from_secs(2),
            }
        );
    }

    #[test]
    fn clock_moves_forward_when_told() {
        let clock = TenantClock::default();
        let before = clock.now();
        clock.advance(Duration::from_secs(1800));
        assert!(clock.now() >= before + 1_800_000_000_000);
    }
}
