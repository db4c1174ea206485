//! Builds the ServiceNow component for wasm32-wasip2 and hands its path to this crate as
//! `SERVICENOW_COMPONENT`, so `cargo run` and `cargo test` need no separate step (the pattern
//! of wasmtime's `crates/test-programs/artifacts/build.rs`).
//!
//! The component is made in three steps (size/README.md, "How the component is made"):
//! 1. the core module: the crate linked by `wasm-component-ld` with `--skip-wit-component`,
//!    so it stops before wrapping (the module keeps the component type that wit-bindgen
//!    embeds);
//! 2. `wasm-opt` on it ([`PASSES`]), from the binaryen pinned in `binaryen/package-lock.json` and
//!    installed beside it by [`INSTALL_WASM_OPT`] (binaryen reads core modules only, not
//!    components), run on Node;
//! 3. the module wrapped as a component by `wit-component`'s `ComponentEncoder`, as
//!    `wasm-component-ld` does, and the component's `component-name` section (debug names of
//!    its instances and shims) left out.
//!
//! The build needs no network and changes no toolchain: it uses the wasm-opt that is
//! installed, and fails with the command to run when the `wasm32-wasip2` target is missing.
//! `SERVICENOW_WASM_OPT` chooses step 2: unset, it runs when the pinned wasm-opt is installed
//! and the build warns when it is not; `required` (CI) fails instead; `off` skips it. Whether
//! it ran is exported as `SERVICENOW_COMPONENT_WASM_OPT` (the binaryen version, or empty).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";
const CRATE: &str = "servicenow_ticketing";

/// The command, run from the workspace root, that installs the pinned wasm-opt where this
/// script looks for it (`binaryen/node_modules/`, git-ignored).
const INSTALL_WASM_OPT: &str = "npm ci --prefix host-harness/component-artifact/binaryen";

/// What `wasm32-wasip2` code uses with Rust's default target features (the module's
/// `target_features` section, which the stripped build drops): binaryen is told exactly
/// these, so it neither refuses the module nor brings in a feature a host may lack.
const FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-call-indirect-overlong",
    "--enable-multivalue",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-reference-types",
    "--enable-sign-ext",
];

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
        "instance-address",
        // The pin and what `npm ci` installs beside it: installing wasm-opt (or removing it)
        // builds the component again.
        "host-harness/component-artifact/binaryen",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=SERVICENOW_WASM_OPT");

    let mode = WasmOptMode::from_env();
    require_target_installed();

    // Its own target dir: building into the outer one would wait forever on cargo's lock.
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
    let target_dir = shared_target_dir(&out_dir).join("component");
    let core = build_core_module(&root, &target_dir);

    let optimized = mode.optimize(&manifest_dir.join("binaryen"), &core);
    let (module, wasm_opt) = match &optimized {
        Some((module, version)) => (module.as_slice(), version.as_str()),
        None => (core.as_slice(), ""),
    };

    let component = wrap(module);
    // An unoptimised component has a path of its own: a build that optimises and one that
    // cannot, sharing this target dir, do not overwrite each other's.
    let wasm = match optimized {
        Some(_) => target_dir.join(format!("{CRATE}.wasm")),
        None => target_dir.join("unoptimized").join(format!("{CRATE}.wasm")),
    };
    write_atomically(&wasm, &component);
    println!("cargo:rustc-env=SERVICENOW_COMPONENT={}", wasm.display());
    println!("cargo:rustc-env=SERVICENOW_COMPONENT_WASM_OPT={wasm_opt}");
    println!("cargo:rustc-env=SERVICENOW_INSTALL_WASM_OPT={INSTALL_WASM_OPT}");

    if env::var_os("CARGO_FEATURE_HOSTILE_GUEST").is_some() {
        println!(
            "cargo:rerun-if-changed={}",
            root.join("tests/hostile-guest").display()
        );
        let guest = build_hostile_guest(&root, &target_dir);
        println!("cargo:rustc-env=HOSTILE_GUEST={}", guest.display());
    }
}

/// What `SERVICENOW_WASM_OPT` asks of step 2.
#[derive(Clone, Copy, PartialEq)]
enum WasmOptMode {
    /// Unset: optimise when the pinned wasm-opt is installed, warn when it is not.
    IfInstalled,
    /// `required`: a build that cannot optimise fails.
    Required,
    /// `off`: never optimise (to measure the unoptimised size).
    Off,
}

impl WasmOptMode {
    fn from_env() -> WasmOptMode {
        match env::var("SERVICENOW_WASM_OPT").as_deref() {
            Err(env::VarError::NotPresent) | Ok("") => WasmOptMode::IfInstalled,
            Ok("required") => WasmOptMode::Required,
            Ok("off") => WasmOptMode::Off,
            other => panic!(
                "SERVICENOW_WASM_OPT is {other:?}: leave it unset, or set it to `required` or `off`"
            ),
        }
    }

    /// Step 2 as this mode says: the optimised module and the wasm-opt that made it, or
    /// `None` to ship the module as it is.
    fn optimize(self, pin: &Path, core: &[u8]) -> Option<(Vec<u8>, String)> {
        if self == WasmOptMode::Off {
            println!("cargo:warning=SERVICENOW_WASM_OPT=off: the component is not optimised");
            return None;
        }
        match WasmOpt::installed(pin) {
            Ok(wasm_opt) => Some(wasm_opt.optimize(core)),
            Err(why) if self == WasmOptMode::Required => panic!(
                "SERVICENOW_WASM_OPT=required, but wasm-opt cannot run: {why}. Install the \
                 pinned wasm-opt from the repository's root with `{INSTALL_WASM_OPT}`"
            ),
            Err(why) => {
                println!(
                    "cargo:warning=the component is NOT optimised by wasm-opt, so it is some \
                     15% larger than the one that ships and its size test fails: {why}. \
                     Install the pinned wasm-opt from the repository's root with \
                     `{INSTALL_WASM_OPT}` (Node.js and npm), or set \
                     SERVICENOW_WASM_OPT=required to make this an error"
                );
                None
            }
        }
    }
}

/// The hostile guest of the host's tests (`tests/hostile-guest`), built as the wasm32-wasip2
/// target builds any cdylib: a component, linked and wrapped by `wasm-component-ld`.
fn build_hostile_guest(root: &Path, target_dir: &Path) -> PathBuf {
    let output = guest_cargo(root)
        .args([
            "build",
            "--release",
            "-p",
            "hostile-guest",
            "--target",
            TARGET,
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .output()
        .expect("could not run cargo to build the hostile guest");
    if !output.status.success() {
        panic!(
            "building the hostile guest for {TARGET} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    target_dir
        .join(TARGET)
        .join("release")
        .join("hostile_guest.wasm")
}

/// cargo, run from the workspace root for a guest: none of the outer build's settings that
/// are for the host.
fn guest_cargo(root: &Path) -> Command {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        // The outer build's flags are for the host, not for the guest.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        // Under `cargo clippy` the outer build wraps rustc in clippy; the guest is linted by
        // its own clippy run, and its build here must not fail on the host's lint settings.
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CLIPPY_ARGS");
    command
}

/// Step 1: the core module, linked but not wrapped. `cargo rustc` adds the linker flag to
/// the crate's own link only, on top of the target's flags in `.cargo/config.toml`.
/// `--crate-type cdylib` alone, because with the `rlib` the manifest also lists (for the fuzz
/// targets) rustc silently skips the profile's `lto = true` for every crate type
/// (rust-lang/rust#51009, rust-lang/cargo#9672): the module came out 34 KB larger.
fn build_core_module(root: &Path, target_dir: &Path) -> Vec<u8> {
    let output = guest_cargo(root)
        .args([
            "rustc",
            "--release",
            "-p",
            "servicenow-ticketing",
            "--lib",
            "--crate-type",
            "cdylib",
            "--target",
            TARGET,
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .args(["--", "-C", "link-arg=--skip-wit-component"])
        .output()
        .expect("could not run cargo to build the component");
    if !output.status.success() {
        panic!(
            "building the ServiceNow component for {TARGET} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let module = target_dir
        .join(TARGET)
        .join("release")
        .join(format!("{CRATE}.wasm"));
    let bytes = fs::read(&module)
        .unwrap_or_else(|e| panic!("the component build wrote no {}: {e}", module.display()));
    assert!(
        wasmparser::Parser::is_core_wasm(&bytes),
        "{} is not a core module: was --skip-wit-component ignored?",
        module.display()
    );
    bytes
}

/// The pinned wasm-opt, as `npm ci` installed it beside its lock file.
struct WasmOpt {
    path: PathBuf,
    /// What `wasm-opt --version` answers (`wasm-opt version 132 (version_132)`).
    version: String,
}

impl WasmOpt {
    /// The wasm-opt installed in `pin/node_modules`, if it is the version the lock file pins.
    fn installed(pin: &Path) -> Result<WasmOpt, Unavailable> {
        // The pin is part of the repository: without it the checkout itself is broken.
        let lock = pin.join("package-lock.json");
        let pinned = fs::read_to_string(&lock)
            .ok()
            .and_then(|lock| pinned_version(&lock, "node_modules/binaryen"))
            .unwrap_or_else(|| panic!("{} pins no `node_modules/binaryen`", lock.display()));
        let package = pin.join("node_modules/binaryen/package.json");
        let Ok(installed) = fs::read_to_string(&package) else {
            return Err(Unavailable::NotInstalled { pinned });
        };
        let installed = package_version(&installed);
        if installed.as_ref() != Some(&pinned) {
            return Err(Unavailable::OtherVersion { installed, pinned });
        }
        let path = pin.join("node_modules/binaryen/bin/wasm-opt");
        let output = Command::new("node")
            .arg(&path)
            .arg("--version")
            .output()
            .map_err(|e| Unavailable::NodeFailed(format!("node did not start ({e})")))?;
        let version = String::from_utf8_lossy(&output.stdout).trim().to_string();
        if !output.status.success() || !version.starts_with("wasm-opt version") {
            return Err(Unavailable::NodeFailed(format!(
                "{} --version answered {version:?}",
                path.display()
            )));
        }
        Ok(WasmOpt { path, version })
    }

    /// Step 2: `wasm-opt` with [`PASSES`]; the component type section wit-bindgen embedded is kept, as
    /// binaryen keeps custom sections. A module binaryen refuses is a build error, whatever
    /// the mode: it means the features above no longer match what rustc emits.
    fn optimize(&self, module: &[u8]) -> (Vec<u8>, String) {
        let dir = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));
        let (input, output) = (dir.join("core.wasm"), dir.join("core.opt.wasm"));
        fs::write(&input, module)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", input.display()));
        let run = Command::new("node")
            .arg(&self.path)
            .args(PASSES)
            .args(FEATURES)
            .arg(&input)
            .arg("-o")
            .arg(&output)
            .output()
            .unwrap_or_else(|e| panic!("node did not start to run wasm-opt ({e})"));
        if !run.status.success() {
            panic!(
                "wasm-opt failed on the component's core module:\n{}",
                String::from_utf8_lossy(&run.stderr)
            );
        }
        let optimized = fs::read(&output)
            .unwrap_or_else(|e| panic!("wasm-opt wrote no {}: {e}", output.display()));
        (optimized, format!("{} {}", self.version, PASSES.join(" ")))
    }
}

/// wasm-opt's passes: `-Oz`, then the control flow flattened and rebuilt by the relooper
/// and `-Oz` again, which finds about 2.9 K more to fold than `-Oz` alone (binaryen 132;
/// host-harness/component-artifact/size/README.md).
const PASSES: &[&str] = &["-Oz", "--flatten", "--rereloop", "-Oz"];

/// Why the pinned wasm-opt cannot run.
enum Unavailable {
    /// `npm ci` has not installed it.
    NotInstalled { pinned: String },
    /// Another binaryen is installed than the lock file pins (an `npm install` of another).
    OtherVersion {
        installed: Option<String>,
        pinned: String,
    },
    /// Node.js is missing, or wasm-opt did not answer as it should.
    NodeFailed(String),
}

impl std::fmt::Display for Unavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unavailable::NotInstalled { pinned } => write!(f, "binaryen {pinned} is not installed"),
            Unavailable::OtherVersion { installed, pinned } => write!(
                f,
                "the installed binaryen is {}, the lock file pins {pinned}",
                installed.as_deref().unwrap_or("of no version")
            ),
            Unavailable::NodeFailed(why) => f.write_str(why),
        }
    }
}

/// The `version` of the package at `key` (`node_modules/binaryen`) in an npm lock file's
/// `packages` (lockfileVersion 2 or 3).
fn pinned_version(lock: &str, key: &str) -> Option<String> {
    let lock: serde_json::Value = serde_json::from_str(lock).ok()?;
    Some(lock["packages"][key]["version"].as_str()?.to_string())
}

/// A package.json's `version`.
fn package_version(package: &str) -> Option<String> {
    let package: serde_json::Value = serde_json::from_str(package).ok()?;
    Some(package["version"].as_str()?.to_string())
}

/// Step 3: the component, as `wasm-component-ld` makes it (no WASI preview 1 adapter: the
/// module imports none), without its `component-name` section.
fn wrap(module: &[u8]) -> Vec<u8> {
    let mut encoder = wit_component::ComponentEncoder::default();
    encoder.validate(true);
    encoder
        .module(module)
        .unwrap_or_else(|e| panic!("the core module cannot be made a component: {e:?}"));
    let component = encoder
        .encode()
        .unwrap_or_else(|e| panic!("encoding the component failed: {e:?}"));
    without_component_names(&component)
}

/// The component's top-level sections less its `component-name` custom section, which only
/// names its instances and shims for debugging (the core module's names are stripped too).
fn without_component_names(component: &[u8]) -> Vec<u8> {
    let mut kept = component[..8].to_vec();
    let mut rest = &component[8..];
    while let Some((&id, after_id)) = rest.split_first() {
        let (size, after_size) = leb128_u32(after_id);
        let (payload, next) = after_size.split_at(size);
        let section = &rest[..rest.len() - next.len()];
        let is_names = id == 0 && {
            let (len, name) = leb128_u32(payload);
            &name[..len] == b"component-name"
        };
        if !is_names {
            kept.extend_from_slice(section);
        }
        rest = next;
    }
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(&kept)
        .unwrap_or_else(|e| panic!("the component without its names is not valid: {e}"));
    kept
}

fn leb128_u32(bytes: &[u8]) -> (usize, &[u8]) {
    let mut value = 0usize;
    for (i, byte) in bytes.iter().enumerate().take(5) {
        value |= usize::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return (value, &bytes[i + 1..]);
        }
    }
    panic!("a malformed section size in the component");
}

/// Written beside and renamed into place: a reader never sees half a component, and the
/// file cargo's build of the core module left (hard-linked into its deps) is not touched.
fn write_atomically(path: &Path, bytes: &[u8]) {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    }
    let temp = path.with_extension(format!("wasm.{}", std::process::id()));
    fs::write(&temp, bytes).unwrap_or_else(|e| panic!("cannot write {}: {e}", temp.display()));
    fs::rename(&temp, path).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
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

/// The `wasm32-wasip2` standard library, which `rust-toolchain.toml` brings with the toolchain
/// it installs; a toolchain installed before (or without rustup) may lack it. The build only
/// says so: it changes no toolchain.
fn require_target_installed() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let Some(sysroot) = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
    else {
        // No answer to ask: the component's build below fails in its own words if need be.
        return;
    };
    if !sysroot.join("lib/rustlib").join(TARGET).is_dir() {
        panic!(
            "the {TARGET} target is not installed for this toolchain ({}): install it with \
             `rustup target add {TARGET}` and build again",
            sysroot.display()
        );
    }
}
