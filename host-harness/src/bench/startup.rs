//! Start-up: the component that ships, its compile into a fresh cache, and loading the
//! compiled artifact as every later process does (the CLI's host: a few tenants).

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};

use component_artifact::COMPONENT_PATH;
use ticketing_host::{CacheOutcome, Host, SandboxLimits};

use super::report::{Figures, median, ms};

/// Loads from the cache this many times for the load figures.
const LOADS: usize = 30;

/// The component's size, its compile into `cache` (emptied first), and its loads from it.
pub(super) fn measure(figures: &mut Figures, cache: &Path) -> Result<()> {
    component_size(figures)?;
    let _ = std::fs::remove_dir_all(cache);
    let cli_limits = SandboxLimits {
        allow_private_network: true,
        max_tenants: 16,
        ..SandboxLimits::default()
    };
    compile(figures, cache, &cli_limits)?;
    load(figures, cache, &cli_limits)
}

fn component_size(figures: &mut Figures) -> Result<()> {
    let size = std::fs::metadata(COMPONENT_PATH)?.len();
    figures.add("component size", size as f64, "bytes");
    if component_artifact::optimized() {
        figures.note(&format!(
            "component optimised by {}",
            component_artifact::WASM_OPT
        ));
    } else {
        figures.note("component NOT optimised by wasm-opt: not the size that ships");
    }
    Ok(())
}

fn compile(figures: &mut Figures, cache: &Path, limits: &SandboxLimits) -> Result<()> {
    let (_, load) = Host::load_cached(Path::new(COMPONENT_PATH), cache, limits.clone())?;
    if load.outcome != CacheOutcome::Compiled {
        bail!(
            "expected a compile into an empty cache, got {:?}",
            load.outcome
        );
    }
    figures.add(
        "compile component",
        ms(load.compile_time.unwrap_or_default()),
        "ms",
    );
    let artifact_size = std::fs::metadata(&load.artifact)?.len();
    figures.add("precompiled artifact size", artifact_size as f64, "bytes");
    Ok(())
}

fn load(figures: &mut Figures, cache: &Path, limits: &SandboxLimits) -> Result<()> {
    let (mut loads, mut keys, mut starts) = (vec![], vec![], vec![]);
    for _ in 0..LOADS {
        let started = Instant::now();
        let (host, load) = Host::load_cached(Path::new(COMPONENT_PATH), cache, limits.clone())?;
        starts.push(started.elapsed());
        if load.outcome != CacheOutcome::Loaded {
            bail!(
                "expected the cached artifact to load, got {:?}",
                load.outcome
            );
        }
        loads.push(load.load_time.unwrap_or_default());
        keys.push(load.key_time);
        drop(host);
    }
    figures.add(
        "load precompiled artifact (median)",
        ms(median(&mut loads)),
        "ms",
    );
    figures.add(
        "cache key: read + hash component (median)",
        ms(median(&mut keys)),
        "ms",
    );
    figures.add(
        "host ready from cache (median)",
        ms(median(&mut starts)),
        "ms",
    );
    Ok(())
}
