//! Start-up: the component that ships, its compile into a fresh cache, and loading the
//! compiled artifact as every later process does (the CLI's host: a few tenants).

use std::path::Path;
use std::time::Instant;

use anyhow::{Result, bail};

use component_artifact::COMPONENT_PATH;
use ticketing_host::{CacheOutcome, Host, SandboxLimits, capacity};

use super::process;
use super::report::{Figures, median, ms};

/// Loads from the cache this many times for the load figures.
const LOADS: usize = 30;

/// The tenant slots a platform's host is sized for.
const PLATFORM_TENANTS: u32 = 50_000;

/// Platform hosts made (and dropped) for its figures.
const PLATFORM_HOSTS: usize = 5;

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
    load(figures, cache, &cli_limits)?;
    platform_host(figures, cache)
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

/// The time to make a platform's host, sized for [`PLATFORM_TENANTS`] slots (its pool
/// reserved, the stack pool's guard pages made), from the cached artifact; and to drop it.
/// Where `vm.max_map_count` does not allow that many, sized for the most it allows.
fn platform_host(figures: &mut Figures, cache: &Path) -> Result<()> {
    let fits = capacity::max_map_count()
        .map(|max| capacity::max_tenants_for(max, process::mappings().unwrap_or(0)));
    let tenants = fits.map_or(PLATFORM_TENANTS, |fits| fits.min(PLATFORM_TENANTS));
    if tenants < PLATFORM_TENANTS {
        figures.note(&format!(
            "vm.max_map_count allows a host for {tenants} tenants at most: the platform \
             host's figures are for {tenants} slots, not {PLATFORM_TENANTS}"
        ));
    }
    let limits = SandboxLimits {
        allow_private_network: true,
        max_tenants: tenants,
        ..SandboxLimits::default()
    };
    let (mut makes, mut drops) = (vec![], vec![]);
    for _ in 0..PLATFORM_HOSTS {
        let started = Instant::now();
        let (host, _) = Host::load_cached(Path::new(COMPONENT_PATH), cache, limits.clone())?;
        makes.push(started.elapsed());
        let started = Instant::now();
        drop(host);
        drops.push(started.elapsed());
    }
    figures.add(
        format!("host ready from cache, {tenants} slots (median of {PLATFORM_HOSTS})"),
        ms(median(&mut makes)),
        "ms",
    );
    figures.add(
        format!("drop that host (median of {PLATFORM_HOSTS})"),
        ms(median(&mut drops)),
        "ms",
    );
    Ok(())
}
