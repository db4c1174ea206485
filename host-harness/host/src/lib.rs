//! What a platform embeds to run the ServiceNow ticketing component: the engine and the
//! component loaded once (from a path or bytes the caller gives), one sandboxed instance per
//! tenant, and the egress policy that confines each tenant to its own instance's origin.

pub mod address;
mod artifact_cache;
pub mod capacity;
mod deadline;
mod egress;
mod host;
mod names;
pub mod sandbox;
mod secret;
mod tenant_log;

pub use artifact_cache::{CacheLoad, CacheOutcome};
pub use capacity::MapCountTooLow;
pub use host::{Host, Tenant};
pub use sandbox::SandboxLimits;
pub use secret::ClientSecret;
pub use tenant_log::{LogEntry, LogEvent, TenantLog, level_name};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "servicenow-provider",
        exports: { default: async },
        additional_derives: [PartialEq],
    });
}

/// The contract's types, as the platform sees them.
pub mod api {
    pub use crate::bindings::cxm::ticketing::types::*;

    /// The records of the component's `log` interface.
    pub mod log {
        pub use crate::bindings::cxm::ticketing::log::{Exchange, Level};
    }
}
