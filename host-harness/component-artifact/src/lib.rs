//! The ServiceNow ticketing component, built for wasm32-wasip2 by this crate's `build.rs`.
//! The path is a build machine's: the CLI's and the tests' default, not something a platform
//! embedding `ticketing-host` ships with.

use std::path::Path;

/// The built component (`servicenow_ticketing.wasm`).
pub const COMPONENT_PATH: &str = env!("SERVICENOW_COMPONENT");

/// [`COMPONENT_PATH`] as a path.
pub fn component_path() -> &'static Path {
    Path::new(COMPONENT_PATH)
}
