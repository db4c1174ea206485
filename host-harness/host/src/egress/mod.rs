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
//! which a small task per tenant empties once it has been idle for the idle timeout. A
//! hibernating tenant's client is `parked` there until then, so a wake within the idle timeout
//! finds its connection.
//!
//! `client` sends a request (the sandbox hands it over with its body taken by
//! `request_body`) on the connection its `pool` keeps, or on a new one from the `connector`
//! (its failures in `connect_failure`, its TLS in `tls`, its bytes a `stream`); `conn` drives
//! that connection, and the answer's body is a `capped_body`.

mod capped_body;
mod client;
mod conn;
mod connect_failure;
mod connector;
mod parked;
mod pool;
mod request_body;
mod stream;
mod tls;

pub(crate) use client::{ClientPolicy, TenantClient, Timeouts};
pub(crate) use parked::ParkedClient;
pub(crate) use request_body::{drain, take_body};
pub(crate) use tls::tls_config;
