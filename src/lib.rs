//! A ServiceNow ticketing provider, shipped as a WebAssembly component.
//!
//! Five layers, each using only the ones below it:
//! - `adapters` (wasm only): the WIT bindings and exports, conversions between the WIT
//!   types and the domain's, and the host's side of the seams (`wasi:http`, the clocks, the
//!   log import);
//! - `features`: what the platform asks (create, lifecycle, changes since, attachments,
//!   Test Connection), as functions over a session with the instance;
//! - `settings`: the platform's form and the validated settings;
//! - `servicenow`: ServiceNow's REST APIs (Table, Attachment, OAuth) and what their answers
//!   mean;
//! - `primitives`: JSON, ids, times, errors, the `Transport` seam and the `no_std` prelude.
//!
//! Everything below the adapters is plain Rust over the
//! `Transport` seam (`primitives::http`) and unit-tests natively. Nothing here is a
//! Rust API: the component's interface is its WIT.

// Natively this crate is built for its unit tests only; the glue that calls the provider is
// wasm-only, so what the tests leave unused is not dead there (the wasm build checks that).
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code, unused_imports))]
// No std in the component: std brings its own imports (wasi:cli, wall-clock, random), its
// panic and formatting machinery, and wasi-libc; the component needs none of them. Its unit
// tests, the fuzz targets and native builds link std as usual.
#![no_std]

extern crate alloc;
#[cfg(any(test, feature = "fuzzing", not(target_arch = "wasm32")))]
extern crate std;

#[cfg(target_arch = "wasm32")]
mod adapters;
mod features;
mod primitives;
mod servicenow;
mod settings;

#[cfg(test)]
mod test_support;

#[cfg(feature = "fuzzing")]
pub mod fuzzing;
