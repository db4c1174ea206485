//! The stand-in for the integration platform: the ServiceNow component loaded once, one
//! sandboxed instance per tenant, and a ServiceNow simulator to run it against.

mod host;
pub mod render;
pub mod sandbox;
mod secret;
pub mod settings_file;
pub mod simulator;

pub use host::{Host, Tenant};
pub use sandbox::SandboxLimits;
pub use secret::ClientSecret;

/// The component built by `build.rs` for wasm32-wasip2.
pub const COMPONENT_PATH: &str = env!("SERVICENOW_COMPONENT");

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        world: "servicenow-provider",
        exports: { default: async },
        additional_derives: [PartialEq],
    });
}

/// The contract's types, as the platform sees them.
pub mod api {
    pub use crate::bindings::cxm::ticketing::types::*;
}
