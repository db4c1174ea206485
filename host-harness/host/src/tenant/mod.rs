//! A tenant: one sandboxed instance of the component, kept across calls because the token
//! cache lives inside it, and the API a platform calls on it.
//!
//! `lifecycle` makes, rebuilds, hibernates and wakes the instance; `guest_call` is one call
//! into it; `settings` and `tickets` are the contract's calls; `controls` is what the
//! platform sets and reads between calls; `address_setting` is the host's own reading of
//! the address a tenant's settings name.

mod address_setting;
mod controls;
mod guest_call;
mod host_error;
mod lifecycle;
mod settings;
mod tickets;

pub use lifecycle::Tenant;
