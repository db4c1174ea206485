//! A tenant: one sandboxed instance of the component, kept across calls because the token
//! cache lives inside it, and the API a platform calls on it.
//!
//! `lifecycle` makes and rebuilds the instance; `hibernation` gives it back while the tenant
//! is idle and makes it again, handing what the provider wants kept to the next one
//! (`carried`); `guest_call` is one call into it; `settings` and `tickets` are the
//! contract's calls; `controls` is what the platform sets and reads between calls; `address_setting` is the host's own reading of
//! the address a tenant's settings name.

mod address_setting;
mod carried;
mod controls;
mod guest_call;
mod hibernation;
mod host_error;
mod lifecycle;
mod settings;
mod tickets;

pub use lifecycle::Tenant;
