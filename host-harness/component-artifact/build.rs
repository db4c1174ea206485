//! Builds the ServiceNow component for wasm32-wasip2 and hands its path to this crate as
//! `SERVICENOW_COMPONENT`, so `cargo run` and `cargo test` need no separate step (the pattern
//! of wasmtime's `crates/test-programs/artifacts/build.rs`).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    // host-harness/component-artifact → the workspace root, which is the component's package.
    let root = manifest_dir
        .ancestors()
        .nth(2)
        .expect("component-artifact sits in host-harness/ of the workspace")
        .to_path_buf();
    for watched in [
        "src",
        "wit",
        "Cargo.toml",
        "Cargo.lock",
        // The component's link flags (its stack size) live there.
        ".cargo/config.toml",
        "host-harness/instance-address",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    ensure_target_installed();

    // Its own target dir: building into the outer one would wait forever on cargo's lock.
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let target_dir = shared_target_dir(&out_dir).join("component");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--release",
            "-p",
            "servicenow-ticketing",
            "--target",
            TARGET,
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        // The outer build's flags are for the host, not for the guest.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        // Under `cargo clippy` the outer build wraps rustc in clippy; the guest is linted by
        // its own clippy run, and its build here must not fail on the host's lint settings.
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CLIPPY_ARGS")
        .output()
        .expect("could not run cargo to build the component");
    if !output.status.success() {
        panic!(
            "building the ServiceNow component for {TARGET} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let wasm = target_dir
        .join(TARGET)
        .join("release")
        .join("servicenow_ticketing.wasm");
    assert!(
        wasm.exists(),
        "the component build wrote no {}",
        wasm.display()
    );
    println!("cargo:rustc-env=SERVICENOW_COMPONENT={}", wasm.display());
}

/// `<target>/<profile>/build/<pkg>-<hash>/out` → `<target>`, so debug and release builds of
/// the hosts share one component build; anything else falls back to OUT_DIR.
fn shared_target_dir(out_dir: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .nth(4)
        .filter(|dir| {
            out_dir
                .ancestors()
                .nth(2)
                .is_some_and(|b| b.ends_with("build"))
                && dir.is_dir()
        })
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out_dir.to_path_buf())
}

/// rustup installs a toolchain file's targets only together with the toolchain, so a machine
/// that already had the toolchain lacks wasm32-wasip2: add it rather than fail obscurely.
fn ensure_target_installed() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if sysroot.is_some_and(|s| s.join("lib/rustlib").join(TARGET).is_dir()) {
        return;
    }
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", TARGET]);
    if let Some(toolchain) = env::var_os("RUSTUP_TOOLCHAIN") {
        rustup.arg("--toolchain").arg(toolchain);
    }
    match rustup.status() {
        Ok(status) if status.success() => {}
        _ => panic!(
            "the {TARGET} target is not installed and `rustup target add {TARGET}` failed; \
             install it and build again"
        ),
    }
}
