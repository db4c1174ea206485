//! The precompiled artifact cache: compiled once per component, wasmtime and engine
//! configuration; a changed key compiles again; a bad file is replaced, never fatal.

use std::path::{Path, PathBuf};

use ticketing_host::{CacheOutcome, Host, SandboxLimits};

use support::{configured, limits, open, settings};

/// An empty directory of this test's own.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "ticketing-cache-test-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn component() -> &'static Path {
    component_artifact::component_path()
}

/// The files in `dir`, by name.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn compiles_once_then_every_host_loads_the_artifact() {
    let dir = fresh_dir("once");
    let (_, first) = Host::load_cached(component(), &dir, limits()).unwrap();
    assert_eq!(first.outcome, CacheOutcome::Compiled);
    assert!(first.compile_time.is_some());
    assert!(first.artifact.is_file());

    let (host, second) = Host::load_cached(component(), &dir, limits()).unwrap();
    assert_eq!(second.outcome, CacheOutcome::Loaded);
    assert_eq!(second.compile_time, None, "nothing compiled");
    assert_eq!(second.artifact, first.artifact);
    // One artifact, no temporary file left behind.
    assert_eq!(files(&dir).len(), 1, "{:?}", files(&dir));
    assert!(files(&dir)[0].ends_with(".cwasm"));

    // The loaded component is the component: a tenant works end to end.
    let sim = support::instance().await;
    let mut tenant = configured(&host, "cached", &sim, &settings(&sim)).await;
    open(&mut tenant, "cost-optimization", "from the cache").await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A custom section appended: other bytes, the same behaviour.
fn with_custom_section(bytes: &[u8], payload: &[u8]) -> Vec<u8> {
    let name = b"cache-test";
    let mut section = vec![name.len() as u8];
    section.extend_from_slice(name);
    section.extend_from_slice(payload);
    assert!(section.len() < 128, "one-byte LEB128 size");
    let mut out = bytes.to_vec();
    out.push(0); // custom section id
    out.push(section.len() as u8);
    out.extend(section);
    out
}

#[test]
fn a_changed_component_or_engine_configuration_compiles_again() {
    let dir = fresh_dir("key");
    let (_, original) = Host::load_cached(component(), &dir, limits()).unwrap();
    assert_eq!(original.outcome, CacheOutcome::Compiled);

    // Another version of the component (here: one more custom section).
    let changed = dir.join("changed.wasm");
    let bytes = std::fs::read(component()).unwrap();
    std::fs::write(&changed, with_custom_section(&bytes, b"v2")).unwrap();
    let (_, other) = Host::load_cached(&changed, &dir, limits()).unwrap();
    assert_eq!(other.outcome, CacheOutcome::Compiled);
    assert_ne!(other.artifact, original.artifact);
    let (_, again) = Host::load_cached(&changed, &dir, limits()).unwrap();
    assert_eq!(again.outcome, CacheOutcome::Loaded);
    assert_eq!(again.artifact, other.artifact);

    // Another engine configuration (a smaller memory cap changes the memory layout the
    // code was compiled for): another key.
    let smaller = SandboxLimits {
        memory_bytes: 16 << 20,
        ..limits()
    };
    let (_, reconfigured) = Host::load_cached(component(), &dir, smaller).unwrap();
    assert_eq!(reconfigured.outcome, CacheOutcome::Compiled);
    assert_ne!(reconfigured.artifact, original.artifact);

    // The original is still there and still loads.
    let (_, back) = Host::load_cached(component(), &dir, limits()).unwrap();
    assert_eq!(back.outcome, CacheOutcome::Loaded);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_corrupt_or_truncated_artifact_is_compiled_again_not_fatal() {
    let dir = fresh_dir("corrupt");
    let (_, first) = Host::load_cached(component(), &dir, limits()).unwrap();
    let good = std::fs::read(&first.artifact).unwrap();

    for bad in [
        b"not an artifact".to_vec(),
        good[..good.len() / 2].to_vec(),
        Vec::new(),
    ] {
        std::fs::write(&first.artifact, &bad).unwrap();
        let (host, load) = Host::load_cached(component(), &dir, limits()).unwrap();
        assert_eq!(load.outcome, CacheOutcome::RecompiledInvalid);
        assert_eq!(load.artifact, first.artifact);
        // The host works, and the next one loads the rewritten artifact.
        host.tenant("after-corruption").await.unwrap();
        let (_, next) = Host::load_cached(component(), &dir, limits()).unwrap();
        assert_eq!(next.outcome, CacheOutcome::Loaded);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_unwritable_cache_still_gives_a_working_host() {
    // A file where the directory should be: nothing can be written under it.
    let blocker = fresh_dir("blocked");
    std::fs::write(&blocker, b"a file, not a directory").unwrap();
    let (host, load) = Host::load_cached(component(), &blocker.join("cache"), limits()).unwrap();
    assert!(
        matches!(load.outcome, CacheOutcome::CompiledNotWritten(_)),
        "{:?}",
        load.outcome
    );
    host.tenant("uncached").await.unwrap();
    let _ = std::fs::remove_file(&blocker);
}
