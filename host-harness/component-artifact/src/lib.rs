//! The ServiceNow ticketing component, built for wasm32-wasip2 by this crate's `build.rs`.
//! The path is a build machine's: the CLI's and the tests' default, not something a platform
//! embedding `ticketing-host` ships with.

use std::path::Path;

/// The built component (`servicenow_ticketing.wasm`).
pub const COMPONENT_PATH: &str = env!("SERVICENOW_COMPONENT");

/// The size the shipped component must stay within (issue 8: 256 KiB).
pub const SIZE_BUDGET: u64 = 262_144;

/// [`COMPONENT_PATH`] as a path.
pub fn component_path() -> &'static Path {
    Path::new(COMPONENT_PATH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_component_fits_its_size_budget() {
        let size = std::fs::metadata(component_path()).unwrap().len();
        assert!(
            size <= SIZE_BUDGET,
            "the component is {size} bytes, over its budget of {SIZE_BUDGET} \
             (host-harness/component-artifact/size/README.md)"
        );
    }
}
