//! What a platform embeds to run a ticketing provider component (this workspace's is
//! ServiceNow's): the engine and the component loaded once (from a path or bytes the caller
//! gives), one sandboxed instance per tenant, and the egress policy that confines each tenant
//! to the origin of the address its settings name. The host knows the provider only through
//! the contract: its settings form (`describe`) says which field is that address.

pub mod address;
mod artifact_cache;
mod budget;
pub mod capacity;
mod deadline;
mod egress;
mod host;
mod names;
pub mod sandbox;
mod secret;
mod tenant_log;
mod trust;
mod turns;
mod unread;

pub use artifact_cache::{CacheLoad, CacheOutcome};
pub use capacity::MapCountTooLow;
pub use host::{Host, Tenant};
pub use sandbox::{SandboxLimits, TenantBound};
pub use secret::Secret;
pub use tenant_log::{LogEntry, LogEvent, TenantLog, level_name, printable};
pub use trust::Resolve;

mod bindings {
    wasmtime::component::bindgen!({
        path: "../../wit",
        world: "provider",
        exports: { default: async },
        // Credentials cross in a type of the host's own, whose `Debug` hides them.
        with: { "cxm:ticketing/secrets": crate::secret::wit },
        additional_derives: [PartialEq],
    });
}

/// The contract's types, as the platform sees them.
pub mod api {
    pub use crate::bindings::cxm::ticketing::types::*;

    impl Setting {
        /// A text, address or choice value.
        pub fn text(key: impl Into<String>, value: impl Into<String>) -> Self {
            Self {
                key: key.into(),
                value: SettingValue::Text(value.into()),
            }
        }

        pub fn ticket_categories(key: impl Into<String>, rows: Vec<TicketCategory>) -> Self {
            Self {
                key: key.into(),
                value: SettingValue::TicketCategories(rows),
            }
        }
    }

    impl TicketCategory {
        pub fn new(
            event_category: impl Into<String>,
            kind: impl Into<String>,
            enabled: bool,
        ) -> Self {
            Self {
                event_category: event_category.into(),
                kind: kind.into(),
                enabled,
            }
        }
    }

    /// The records of the component's `log` interface.
    pub mod log {
        pub use crate::bindings::cxm::ticketing::log::{Exchange, Level};
    }
}
