//! A ServiceNow ticketing provider, shipped as a WebAssembly component.
//!
//! The ServiceNow logic (settings, OAuth, Table API, ticket mapping) is plain Rust over the
//! [`http::Transport`] seam and unit-tests natively; `bindings` (the WIT glue) and
//! `wasi_http_transport` (the `wasi:http` side) exist only in the wasm build. Nothing here is a
//! Rust API: the component's interface is its WIT.

// Natively this crate is built for its unit tests only; the glue that calls the provider is
// wasm-only, so what the tests leave unused is not dead there (the wasm build checks that).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code, unused_imports))]

mod answer;
mod auth;
mod cache;
mod changes;
mod clock;
mod diagnosis;
mod error;
mod form;
mod guide;
mod http;
mod ids;
mod log;
mod oauth;
mod provider;
mod retry;
mod settings;
mod state_model;
mod table_api;
mod ticket;

#[cfg(test)]
mod properties;

#[cfg(feature = "fuzzing")]
pub mod fuzzing;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod wasi_http_transport;
