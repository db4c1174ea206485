//! What one tenant's instance may touch: outbound HTTP only to its own ServiceNow origin, with
//! bounded timeouts, a capped memory, and a clock the host controls.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use instance_address::origin_of;
use wasmtime::component::ResourceTable;
use wasmtime::{StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{HostMonotonicClock, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{
    Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks,
    WasiHttpView,
};

/// Limits applied to every tenant.
#[derive(Clone, Debug)]
pub struct SandboxLimits {
    /// Upper bound for connect, first-byte and between-bytes timeouts of each request; the
    /// guest's own choices are clamped to it (wasi-http defaults to 600 s otherwise).
    pub http_timeout: Duration,
    /// Linear memory one tenant may grow to.
    pub memory_bytes: usize,
    /// How long one call into a tenant may take, HTTP included; past it the call is stopped
    /// and the tenant rebuilt.
    pub call_timeout: Duration,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        Self {
            http_timeout: Duration::from_secs(30),
            memory_bytes: 32 << 20,
            call_timeout: Duration::from_secs(120),
        }
    }
}

/// The wasi-http hook that confines a tenant to its instance.
pub struct OutboundGuard {
    pub(crate) allowed_origin: Option<String>,
    pub(crate) http_timeout: Duration,
    pub(crate) denied: u64,
}

impl WasiHttpHooks for OutboundGuard {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (
                        http::Response<WasiBody>,
                        Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                    ),
                    HttpError,
                >,
            > + Send,
    > {
        _ = fut;
        // Normalised as the tenant's allowed origin was (instance-address), so they compare.
        let target = origin_of(&request.uri().to_string());
        let allowed = target.is_some() && target == self.allowed_origin;
        if !allowed {
            self.denied += 1;
        }
        let cap = self.http_timeout;
        let clamp = |t: Option<Duration>| Some(t.map_or(cap, |t| t.min(cap)));
        let options = options.unwrap_or_default();
        let options = RequestOptions {
            connect_timeout: clamp(options.connect_timeout),
            first_byte_timeout: clamp(options.first_byte_timeout),
            between_bytes_timeout: clamp(options.between_bytes_timeout),
        };
        Box::new(async move {
            if !allowed {
                // The guest writes the body after handing over the request: take it first,
                // or the refusal reaches the guest as a closed stream instead of a denial.
                let body = request.into_body().collect();
                let _ = tokio::time::timeout(Duration::from_secs(5), body).await;
                return Err(HttpError::HttpRequestDenied);
            }
            let (response, io) =
                wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
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
    pub(crate) limits: StoreLimits,
}

impl TenantState {
    pub fn new(
        limits: &SandboxLimits,
        clock: &TenantClock,
        allowed_origin: Option<String>,
    ) -> Self {
        // No preopened directories, no inherited environment or stdio, no sockets: the
        // component's only way out is the guarded wasi-http.
        let wasi = WasiCtx::builder()
            .monotonic_clock(clock.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        Self {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            guard: OutboundGuard {
                allowed_origin,
                http_timeout: limits.http_timeout,
                denied: 0,
            },
            limits: StoreLimitsBuilder::new()
                .memory_size(limits.memory_bytes)
                .instances(8)
                .build(),
        }
    }
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

    #[test]
    fn clock_moves_forward_when_told() {
        let clock = TenantClock::default();
        let before = clock.now();
        clock.advance(Duration::from_secs(1800));
        assert!(clock.now() >= before + 1_800_000_000_000);
    }
}
