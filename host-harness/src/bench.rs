//! `host-harness bench`: the figures that matter for a platform running many tenants,
//! measured against the simulator on loopback, in one process run. Prints one line per
//! figure (name, value, unit), or JSON with `--json`; asserts nothing.
//!
//! One module a phase, in the order they run: [`startup`] (the component, its compile and
//! its load, a platform's host), [`tenants`] (what one tenant may take, and starting one),
//! [`memory`] (many tenants alive, fresh or after work), [`hibernation`] (many tenants
//! without an instance, and waking one), [`latency`] and [`throughput`] (create-ticket through the
//! component against a [`native`] client).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};

use component_artifact::COMPONENT_PATH;
use servicenow_simulator::Simulator;
use ticketing_host::api::{Setting, TicketCategory};
use ticketing_host::{Host, SandboxLimits, Secret, Tenant, capacity};

mod hibernation;
mod instructions;
mod latency;
mod memory;
mod native;
mod outside;
mod process;
mod report;
mod startup;
mod tenants;
mod throughput;
mod traffic;

pub use instructions::Side;

use report::Figures;

pub struct Options {
    pub tenants: Vec<usize>,
    pub hibernated: usize,
    pub worked_tenants: usize,
    pub tickets: usize,
    pub instantiations: usize,
    pub concurrent: usize,
    pub seconds: f64,
    pub epoch_tick: Duration,
    pub json: bool,
    /// Only `tickets` warm creates on this side (see [`instructions`]).
    pub only: Option<Side>,
}

pub async fn run(options: Options) -> Result<ExitCode> {
    let mut figures = Figures::new(options.json);
    let machine = process::machine();
    note_machine(&figures, &machine, &options);

    let cache = std::env::temp_dir().join(format!("servicenow-bench-{}", std::process::id()));
    if let Some(side) = options.only {
        let bench = Bench::start(cache, options.epoch_tick).await?;
        instructions::only(&bench, side, options.tickets).await?;
        bench.finish().await;
        return Ok(ExitCode::SUCCESS);
    }
    startup::measure(&mut figures, &cache)?;
    let bench = Bench::start(cache, options.epoch_tick).await?;

    // The platform's host for the timing figures: sized for this run's tenants at once.
    let counts = throughput::counts(options.concurrent);
    let largest = counts.last().copied().unwrap_or(options.concurrent);
    let most = options.instantiations.max(largest) + 16;
    let host = bench.host(bench.limits(most)?)?;
    tenants::worst_case(&mut figures, &host);
    tenants::instantiation(&mut figures, &bench, &host, options.instantiations).await?;
    // The memory figures' hosts are sized for their own counts; the timing host is set
    // aside meanwhile, so that its pool's mappings do not count against the big ones.
    drop(host);
    for &count in &options.tenants {
        memory::idle(&mut figures, &bench, count).await?;
    }
    if options.worked_tenants > 0 {
        memory::worked(&mut figures, &bench, options.worked_tenants).await?;
    }
    if options.hibernated > 0 {
        hibernation::hibernated(&mut figures, &bench, options.hibernated, most).await?;
    }

    let host = bench.host(bench.limits(most)?)?;
    let template = latency::measure(&mut figures, &bench, &host, options.tickets).await?;
    let window = Duration::from_secs_f64(options.seconds);
    throughput::measure(&mut figures, &bench, &host, &template, &counts, window).await?;

    bench.finish().await;
    figures.finish(&machine);
    Ok(ExitCode::SUCCESS)
}

/// What the figures depend on besides the code: the machine, the epoch tick, and the
/// mappings the kernel allows.
fn note_machine(figures: &Figures, machine: &str, options: &Options) {
    figures.note(&format!("machine: {machine}"));
    figures.note(&format!(
        "epoch tick: {} ms",
        options.epoch_tick.as_secs_f64() * 1e3
    ));
    if let Some(max) = capacity::max_map_count() {
        // The tenant counts a host may be sized for depend on it: say what this run had.
        let raised = if max == capacity::DEFAULT_MAX_MAP_COUNT {
            "the default".to_string()
        } else {
            format!("not the default {}", capacity::DEFAULT_MAX_MAP_COUNT)
        };
        figures.note(&format!(
            "vm.max_map_count: {max} ({raised}); {} mappings per tenant slot, so a host \
             may be sized for {} tenants at most",
            capacity::MAPPINGS_PER_TENANT,
            capacity::max_tenants_for(max, process::mappings().unwrap_or(0))
        ));
    }
}

/// What every phase after start-up measures with: the compiled component's cache, the
/// simulator the tenants talk to, and the settings that make a tenant ready.
struct Bench {
    cache: PathBuf,
    /// Shared with the task the latency rounds run in.
    simulator: Arc<Simulator>,
    ready: Readiness,
    epoch_tick: Duration,
}

/// The settings and secret that make a bench tenant ready against one simulator.
struct Readiness {
    settings: Vec<Setting>,
    secret: [Secret; 1],
}

impl Readiness {
    /// For the simulator at `base_url`, as its OAuth client.
    fn new(base_url: String, client_id: String, client_secret: String) -> Self {
        Self {
            settings: vec![
                Setting::text("instance", base_url),
                Setting::text("client_id", client_id),
                Setting::ticket_categories(
                    "ticket_categories",
                    vec![TicketCategory::new("cost-optimization", "incident", true)],
                ),
            ],
            secret: [Secret::new("client_secret", client_secret)],
        }
    }

    /// Configures `tenant` with these settings.
    async fn configure(&self, tenant: &mut Tenant) -> Result<()> {
        if let Err(e) = tenant.configure(&self.settings, &self.secret).await? {
            bail!("configure failed: {}", e.message);
        }
        Ok(())
    }

    /// A new tenant of `host`, configured.
    async fn configured(&self, host: &Host, name: impl Into<String>) -> Result<Tenant> {
        let mut tenant = host.tenant(name).await?;
        self.configure(&mut tenant).await?;
        Ok(tenant)
    }
}

impl Bench {
    async fn start(cache: PathBuf, epoch_tick: Duration) -> Result<Self> {
        let simulator = Arc::new(Simulator::start().await?);
        let ready = Readiness::new(
            simulator.base_url(),
            simulator.client_id(),
            simulator.client_secret(),
        );
        Ok(Self {
            cache,
            simulator,
            ready,
            epoch_tick,
        })
    }

    /// The platform's limits for a host sized for `tenants` at once.
    fn limits(&self, tenants: usize) -> Result<SandboxLimits> {
        Ok(SandboxLimits {
            allow_private_network: true,
            max_tenants: u32::try_from(tenants)?,
            epoch_tick: self.epoch_tick,
            ..SandboxLimits::default()
        })
    }

    /// A host for the component, loaded from the bench's cache.
    fn host(&self, limits: SandboxLimits) -> Result<Host> {
        let (host, _) = Host::load_cached(Path::new(COMPONENT_PATH), &self.cache, limits)?;
        Ok(host)
    }

    /// Configures `tenant` with the bench's settings.
    async fn configure(&self, tenant: &mut Tenant) -> Result<()> {
        self.ready.configure(tenant).await
    }

    /// A new tenant of `host`, configured.
    async fn configured(&self, host: &Host, name: impl Into<String>) -> Result<Tenant> {
        self.ready.configured(host, name).await
    }

    async fn finish(self) {
        if let Ok(simulator) = Arc::try_unwrap(self.simulator) {
            simulator.shutdown().await;
        }
        let _ = std::fs::remove_dir_all(&self.cache);
    }
}
