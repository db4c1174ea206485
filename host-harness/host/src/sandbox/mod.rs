//! What one tenant's instance may touch: outbound HTTP only to its own ServiceNow origin, with
//! bounded timeouts, a capped memory, and a clock the host controls.
//!
//! The policy (`limits`) becomes wasmtime's configuration here: the engine and its pool
//! (`engine`), the linker (`linker`), and each tenant's store with its CPU budget (`state`)
//! and clock (`clock`). Every request the tenant sends passes the guard (`guard`) through
//! the wasi-http hook (`hooks`), which sends what it allows through the egress client.

mod clock;
mod engine;
mod guard;
mod hooks;
mod limits;
mod linker;
mod state;

pub use clock::TenantClock;
pub use guard::OutboundGuard;
pub use limits::{SandboxLimits, TenantBound};
pub use state::TenantState;

pub(crate) use engine::new_engine;
pub(crate) use linker::new_linker;
pub(crate) use state::new_store;
