//! What the platform asks of the provider, one module a call, each a set of functions over a
//! [`session::Session`]: `connection` is Test Connection, `create` opens tickets (with
//! deduplication), `lifecycle` manages them afterwards, `attachments` attaches files to them,
//! `changes_since` tells what changed on them since the platform last asked. `provider` holds
//! a tenant's session and hands each call to its feature.

pub mod attachments;
pub mod changes_since;
pub mod configuration_items;
pub mod connection;
pub mod create;
pub mod diagnosis;
pub mod facts;
pub mod groups;
pub mod import_writes;
pub mod lifecycle;
pub mod provider;
pub mod session;
pub mod standard_changes;
#[cfg(test)]
mod tests;
pub mod tickets;
