//! The sandbox policy a platform sets for every tenant of a host, and the most it lets one
//! tenant take.

use std::time::Duration;

use crate::address::Network;
use crate::proxy::Proxy;
use crate::trust::Resolve;

/// The sandbox policy applied to every tenant of a `Host`.
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
    /// the pooling allocator reserves that many slots when the `Host` is made (address
    /// space, not memory), and `Host::tenant` fails past it. Read when the host is created;
    /// `Host::with_limits` keeps the engine's. Each slot costs memory mappings, which Linux
    /// caps per process (`vm.max_map_count`, 65,530 by default, enough for about 10,600
    /// tenants): a host sized for more than the setting allows is refused when it is made
    /// ([`crate::capacity::MapCountTooLow`] names the value it needs; [`crate::capacity`]
    /// has the figures).
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
