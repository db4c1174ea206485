//! What a platform embeds to run a ticketing provider component (this workspace's is
//! ServiceNow's): the engine and the component loaded once (from a path or bytes the caller
//! gives), one sandboxed instance per tenant, and the egress policy that confines each tenant
//! to the origin of the address its settings name. The host knows the provider only through
//! the contract: its settings form (`describe`) says which field is that address.
//!
//! ```no_run
//! use ticketing_host::api::{CreateOutcome, Setting, Ticket};
//! use ticketing_host::{Host, SandboxLimits, Secret};
//!
//! # async fn run() -> anyhow::Result<()> {
//! // Once per process: compile the component under the platform's policy.
//! let host = Host::from_file("servicenow_ticketing.wasm".as_ref(), SandboxLimits::default())?;
//! // Once per tenant: a sandboxed instance, configured by the keys of its settings form.
//! let mut tenant = host.tenant("acme-corp").await?;
//! let settings = [
//!     Setting::text("instance", "dev12345"),
//!     Setting::text("client_id", "c1a2b3c4d5e6f708192a3b4c5d6e7f80"),
//! ];
//! let secrets = [Secret::new("client_secret", "from the platform's vault")];
//! if let Err(refused) = tenant.configure(&settings, &secrets).await? {
//!     anyhow::bail!("{}: {}", refused.field.unwrap_or_default(), refused.message);
//! }
//! // Then one call per event.
//! let event = Ticket {
//!     description: "Stopped for 14 days".into(),
//!     correlation_id: Some("opportunity-42".into()),
//!     ..Ticket::new("cost-optimization", "Idle VM i-0abc")
//! };
//! if let Ok(CreateOutcome::Created(written)) = tenant.create_ticket(&event).await? {
//!     println!("opened {}", written.ticket.display_id);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! `examples/many_tenants.rs` runs many tenants with an egress policy and their logs.
//!
//! # Layers
//!
//! Each module imports only from the layers below it. On top is the API a platform calls:
//! `tenant` (a [`Tenant`]: its instance's lifecycle, the contract's calls, what the platform
//! controls between calls) over `host` (the [`Host`]: the component compiled once under a
//! [`SandboxLimits`] policy). In the middle, `sandbox` turns that policy into wasmtime (the
//! engine and its pool, the linker, a tenant's store, clock and CPU budget) and guards every
//! request a tenant sends (the wasi-http hook); under it, `egress` is the host's own send
//! path (a tenant's client, its kept connection, the connector that checks every address,
//! TLS, the capped bodies). At the bottom are the primitives, which import nothing above
//! them: the contract (`bindings`, `api`, `names`, `secret`), `tenant_log`, `printable`,
//! `observe`, `budget`, `unread`, `deadline`, `address`, `trust`, `issuer`, `proxy`,
//! `turns`, `capacity` and `artifact_cache`.

#![deny(missing_docs)]

pub mod address;
pub mod api;
mod artifact_cache;
// Generated from the contract; `wit/ticketing.wit` documents its types.
#[allow(missing_docs)]
mod bindings;
mod budget;
pub mod capacity;
mod deadline;
mod egress;
mod host;
mod issuer;
mod names;
mod observe;
mod printable;
mod proxy;
pub mod sandbox;
mod secret;
mod tenant;
mod tenant_log;
#[cfg(test)]
mod test_servers;
mod trust;
mod turns;
mod unread;

pub use address::Network;
pub use artifact_cache::{CacheLoad, CacheOutcome};
pub use capacity::MapCountTooLow;
pub use host::Host;
pub use names::level_name;
pub use printable::printable;
pub use proxy::Proxy;
pub use sandbox::{SandboxLimits, TenantBound};
pub use secret::Secret;
pub use tenant::Tenant;
pub use tenant_log::{LogEntry, LogEvent, TenantLog};
pub use trust::{ClientCertificate, Resolve, TenantTls};
