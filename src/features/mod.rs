//! What the platform asks of the provider, one module a call: `connection` is Test
//! Connection, `create` opens tickets (with deduplication), `lifecycle` manages them
//! afterwards, `attachments` attaches files to them, `changes_since` tells what changed on them
//! since the platform last asked; `session` holds what they share.

pub mod attachments;
pub mod changes_since;
pub mod connection;
pub mod create;
pub mod diagnosis;
pub mod groups;
pub mod lifecycle;
pub mod session;
#[cfg(test)]
mod tests;
