//! The provider's tests, call by call, by what they exercise.

mod auth;
mod changes_fixture;
mod changes_since;
mod connection;
mod create;
mod fixture;
mod groups;
mod import_writes;
mod lifecycle;
mod standard_changes;
