//! The wasm-only glue: the WIT bindings, the exports that call the features, conversions
//! between the WIT types and the domain's, and the host's side of the seams (`wasi:http`, the
//! clocks, the log import), plus the runtime a `no_std` component needs.

mod bindings;
mod clock;
mod convert;
mod exports;
mod host_log;
#[cfg(not(any(test, feature = "fuzzing")))]
mod runtime;
mod transport;
