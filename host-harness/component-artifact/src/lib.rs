//! The ServiceNow ticketing component, built for wasm32-wasip2 by this crate's `build.rs`.
//! The path is a build machine's: the CLI's and the tests' default, not something a platform
//! embedding `ticketing-host` ships with.

use std::path::Path;

/// The built component (`servicenow_ticketing.wasm`).
pub const COMPONENT_PATH: &str = env!("SERVICENOW_COMPONENT");

/// The wasm-opt that optimised the component's core module (`wasm-opt version 132
/// (version_132) -Oz`), or empty when the build could not run it (the pinned wasm-opt is
/// not installed: the build warned) or was told not to (`SERVICENOW_WASM_OPT=off`): then the
/// component is some 15% larger than the one that ships.
pub const WASM_OPT: &str = env!("SERVICENOW_COMPONENT_WASM_OPT");

/// How the pinned wasm-opt is installed, from the repository's root (the build script's).
pub const INSTALL_WASM_OPT: &str = env!("SERVICENOW_INSTALL_WASM_OPT");

/// The size the shipped component must stay within: 320 KiB (size/README.md). Code size is
/// compiled once per component version and its pages are shared by every tenant; what is per
/// tenant is the data segment and the heap, which the bench measures.
pub const SIZE_BUDGET: u64 = 327_680;

/// [`COMPONENT_PATH`] as a path.
pub fn component_path() -> &'static Path {
    Path::new(COMPONENT_PATH)
}

/// The hostile guest of the host's tests (`tests/hostile-guest`): a component that speaks
/// the contract and attacks the host that runs it.
#[cfg(feature = "hostile-guest")]
pub fn hostile_guest_path() -> &'static Path {
    Path::new(env!("HOSTILE_GUEST"))
}

/// Whether the component is the optimised one that ships.
pub fn optimized() -> bool {
    !WASM_OPT.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_component_fits_its_size_budget() {
        let size = std::fs::metadata(component_path()).unwrap().len();
        // The budget is the shipped component's, which wasm-opt made: a larger, unoptimised
        // one says nothing about it, and passing without checking would hide that.
        assert!(
            optimized(),
            "the component was not optimised by wasm-opt ({size} bytes), so its size budget \
             of {SIZE_BUDGET} bytes cannot be checked: install the pinned wasm-opt from the \
             repository's root with `{INSTALL_WASM_OPT}` and run the tests again, with \
             SERVICENOW_WASM_OPT unset or `required`"
        );
        assert!(
            size <= SIZE_BUDGET,
            "the component is {size} bytes, over its budget of {SIZE_BUDGET} \
             (host-harness/component-artifact/size/README.md)"
        );
    }
}
