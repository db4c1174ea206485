//! A ServiceNow ticketing provider, shipped as a WebAssembly component.
//!
//! The ServiceNow logic (settings, OAuth, Table API, ticket mapping) is plain Rust over the
//! [`http::Transport`] seam and unit-tests natively; `bindings` (the WIT glue) and
//! `waki_transport` (the `wasi:http` side) exist only in the wasm build.

pub mod answer;
pub mod clock;
pub mod diagnosis;
pub mod error;
pub mod guide;
pub mod http;
pub mod oauth;
pub mod provider;
pub mod settings;
pub mod state_model;
pub mod table_api;
pub mod ticket;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod waki_transport;
