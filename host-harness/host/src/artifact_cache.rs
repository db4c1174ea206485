//! The compiled component, cached on disk: compiled once per host and component version,
//! then loaded (memory-mapped) by every later process.
//!
//! An artifact's file name is its key: SHA-256 over the component's bytes, the wasmtime
//! version and the engine's configuration as wasmtime hashes it for compatibility
//! (`Engine::precompile_compatibility_hash`, which covers the compilation settings, the
//! memory layout and the target). A changed component, another wasmtime or another engine
//! configuration is another file, so a stale or foreign artifact is never looked at. Files
//! are written to a temporary name and renamed into place, so a reader sees a whole
//! artifact or none; a file that does not load (truncated, garbage, wrong version) is
//! removed and the component compiled again.
//!
//! The directory must be as trusted as the host binary: wasmtime runs a loaded artifact's
//! machine code as it is (this is why `Component::deserialize_file` is `unsafe`).

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// What loading through the cache did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CacheOutcome {
    /// A valid artifact was on disk and was loaded; nothing was compiled.
    Loaded,
    /// No artifact for this key: compiled, and the artifact written.
    Compiled,
    /// An artifact for this key was there but did not load (it was removed): compiled and
    /// written again.
    RecompiledInvalid,
    /// Compiled, but the artifact could not be written (the reason); the host works.
    CompiledNotWritten(String),
}

/// How a host got its compiled component from the cache.
#[derive(Clone, Debug)]
pub struct CacheLoad {
    /// What the cache did: loaded, compiled and stored, or compiled without storing.
    pub outcome: CacheOutcome,
    /// The artifact's path (its name is the key).
    pub artifact: PathBuf,
    /// Reading the component and computing the key.
    pub key_time: Duration,
    /// Deserializing the artifact (successful or not), if one was there.
    pub load_time: Option<Duration>,
    /// Compiling the component, if it was compiled.
    pub compile_time: Option<Duration>,
}

/// Bumped when this module changes what it writes.
const FORMAT: &str = "ticketing-host artifact cache v1";

/// The key of `component` for `engine`: hex SHA-256.
pub(crate) fn key(engine: &Engine, component: &[u8]) -> String {
    struct Sha(Sha256);
    impl Hasher for Sha {
        fn finish(&self) -> u64 {
            0 // unused: the digest is what counts
        }
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
    }
    let mut sha = Sha(Sha256::new());
    sha.write(FORMAT.as_bytes());
    sha.write(concat!("wasmtime ", "48.0.8").as_bytes());
    engine.precompile_compatibility_hash().hash(&mut sha);
    sha.write(&(component.len() as u64).to_le_bytes());
    sha.write(component);
    let digest = sha.0.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The component at `path`, from `cache_dir` when a valid artifact is there, otherwise
/// compiled and written there for the next time.
pub(crate) fn load_or_compile(
    engine: &Engine,
    path: &Path,
    cache_dir: &Path,
) -> Result<(Component, CacheLoad)> {
    let started = Instant::now();
    let bytes =
        fs::read(path).with_context(|| format!("reading the component {}", path.display()))?;
    let artifact = cache_dir.join(format!("{}.cwasm", key(engine, &bytes)));
    let key_time = started.elapsed();

    let mut load_time = None;
    let mut invalid = false;
    if artifact.is_file() {
        let started = Instant::now();
        // SAFETY: the cache directory is trusted like the host binary (see the module
        // doc); its files are only ever written whole (temp file + rename) by this module,
        // under a name that binds them to this component, wasmtime and engine
        // configuration; wasmtime checks its own version and configuration again.
        let loaded = unsafe { Component::deserialize_file(engine, &artifact) };
        load_time = Some(started.elapsed());
        match loaded {
            Ok(component) => {
                let load = CacheLoad {
                    outcome: CacheOutcome::Loaded,
                    artifact,
                    key_time,
                    load_time,
                    compile_time: None,
                };
                return Ok((component, load));
            }
            Err(_) => {
                invalid = true;
                let _ = fs::remove_file(&artifact);
            }
        }
    }

    let started = Instant::now();
    let component = Component::new(engine, &bytes)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("compiling the component {}", path.display()))?;
    let compile_time = Some(started.elapsed());
    let outcome = match write_atomically(&component, &artifact) {
        Ok(()) if invalid => CacheOutcome::RecompiledInvalid,
        Ok(()) => CacheOutcome::Compiled,
        Err(e) => CacheOutcome::CompiledNotWritten(format!("{e:#}")),
    };
    let load = CacheLoad {
        outcome,
        artifact,
        key_time,
        load_time,
        compile_time,
    };
    Ok((component, load))
}

fn write_atomically(component: &Component, artifact: &Path) -> Result<()> {
    let dir = artifact.parent().context("the artifact has no directory")?;
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let serialized = component.serialize().map_err(anyhow::Error::from)?;
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let temp = artifact.with_extension(format!("tmp-{}-{nanos}", std::process::id()));
    let written = (|| -> Result<()> {
        let mut file = fs::File::create(&temp)?;
        file.write_all(&serialized)?;
        file.sync_all()?;
        fs::rename(&temp, artifact)?;
        Ok(())
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.with_context(|| format!("writing {}", artifact.display()))
}
