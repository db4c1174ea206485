//! What a platform embeds to run the ServiceNow ticketing component: the engine and the
//! component loaded once (from a path or bytes the caller gives), one sandboxed instance per
//! tenant, and the egress policy that confines each tenant to its own instance's origin.

mod host;
mod names;
pub mod sandbox;
mod secret;

pub use host::{Host, Tenant};
pub use sandbox::SandboxLimits;
pub use secret::ClientSecret;

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
}
