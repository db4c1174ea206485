//! `host-harness bench`: the figures that matter for a platform running many tenants,
//! measured against the simulator on loopback, in one process run. Prints one line per
//! figure (name, value, unit), or JSON with `--json`; asserts nothing.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use component_artifact::COMPONENT_PATH;
use servicenow_simulator::{RecordedRequest, Simulator};
use ticketing_host::api::{CreateOutcome, Setting, SettingValue, Ticket, TicketCategory};
use ticketing_host::{CacheOutcome, Host, SandboxLimits, Secret, Tenant, capacity};

pub struct Options {
    pub tenants: Vec<usize>,
    pub hibernated: usize,
    pub tickets: usize,
    pub instantiations: usize,
    pub concurrent: usize,
    pub seconds: f64,
    pub epoch_tick: Duration,
    pub json: bool,
}

struct Figure {
    name: String,
    value: f64,
    unit: &'static str,
}

#[derive(Default)]
struct Figures {
    list: Vec<Figure>,
    json: bool,
}

impl Figures {
    fn add(&mut self, name: impl Into<String>, value: f64, unit: &'static str) {
        let figure = Figure {
            name: name.into(),
            value,
            unit,
        };
        if !self.json {
            let value = if figure.value.fract() == 0.0 || figure.value.abs() >= 100.0 {
                format!("{:.0}", figure.value)
            } else {
                format!("{:.2}", figure.value)
            };
            println!("{:<48} {:>14} {}", figure.name, value, figure.unit);
        }
        self.list.push(figure);
    }

    fn note(&self, text: &str) {
        if self.json {
            eprintln!("{text}");
        } else {
            println!("# {text}");
        }
    }
}

pub async fn run(options: Options) -> Result<ExitCode> {
    let mut figures = Figures {
        json: options.json,
        ..Figures::default()
    };
    let machine = machine();
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
            capacity::max_tenants_for(max, mappings().unwrap_or(0))
        ));
    }

    // 1. The component that ships.
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

    // 2. Compile once into a fresh cache, then load the artifact as every later process
    //    does (the CLI's host: a few tenants).
    let cache = std::env::temp_dir().join(format!("servicenow-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let component = Path::new(COMPONENT_PATH);
    let cli_limits = SandboxLimits {
        allow_private_network: true,
        max_tenants: 16,
        ..SandboxLimits::default()
    };
    let (_, load) = Host::load_cached(component, &cache, cli_limits.clone())?;
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
    let (mut loads, mut keys, mut starts) = (vec![], vec![], vec![]);
    for _ in 0..30 {
        let started = Instant::now();
        let (host, load) = Host::load_cached(component, &cache, cli_limits.clone())?;
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

    // Shared with the task the latency rounds run in.
    let simulator = Arc::new(Simulator::start().await?);
    let settings = settings(&simulator);
    let secret = [Secret::new("client_secret", simulator.client_secret())];

    // The platform's host for the timing figures: sized for this run's tenants at once.
    let limits = |tenants: usize| -> Result<SandboxLimits> {
        Ok(SandboxLimits {
            allow_private_network: true,
            max_tenants: u32::try_from(tenants)?,
            epoch_tick: options.epoch_tick,
            ..SandboxLimits::default()
        })
    };
    let most = options.instantiations.max(options.concurrent) + 16;
    let (host, _) = Host::load_cached(component, &cache, limits(most)?)?;
    // What the sandbox lets one tenant take at most, whatever its component does.
    let bound = host.limits().tenant_bound();
    let mib = |bytes: u64| bytes as f64 / f64::from(1 << 20);
    figures.add(
        "worst case per tenant: linear memory",
        mib(bound.linear_memory),
        "MiB",
    );
    figures.add(
        "worst case per tenant: request bytes buffered",
        mib(bound.buffered_request_bytes),
        "MiB",
    );
    figures.add(
        "worst case per tenant: header collections",
        mib(bound.header_bytes),
        "MiB",
    );
    figures.add(
        "worst case per tenant: sockets",
        bound.sockets as f64,
        "open",
    );
    figures.add(
        "worst case per tenant: guest CPU per call",
        bound.cpu_per_call.as_secs_f64(),
        "s",
    );

    // 3. Instantiate from InstancePre, then configure.
    let mut instantiate = Vec::with_capacity(options.instantiations);
    let mut with_configure = Vec::with_capacity(options.instantiations);
    let mut live = Vec::with_capacity(options.instantiations);
    for i in 0..options.instantiations {
        let started = Instant::now();
        let mut tenant = host.tenant(format!("tenant-{i}")).await?;
        let instantiated = started.elapsed();
        if let Err(e) = tenant.configure(&settings, &secret).await? {
            bail!("configure failed: {}", e.message);
        }
        instantiate.push(instantiated);
        with_configure.push(started.elapsed());
        live.push(tenant);
    }
    // Where configure's share goes: the same call on a tenant that has run it once (its
    // pages touched), and a guest call that does next to nothing (one value checked).
    let mut configure_again = Vec::with_capacity(live.len());
    let mut least_call = Vec::with_capacity(live.len());
    let instance_value = SettingValue::Text("dev12345".into());
    for tenant in &mut live {
        let started = Instant::now();
        if let Err(e) = tenant.configure(&settings, &secret).await? {
            bail!("configure failed: {}", e.message);
        }
        configure_again.push(started.elapsed());
        let started = Instant::now();
        if let Err(e) = tenant.validate_field("instance", &instance_value).await? {
            bail!("validate-field failed: {}", e.message);
        }
        least_call.push(started.elapsed());
    }
    drop(live);
    // The same, when each tenant is dropped before the next: the pool hands back a warm
    // slot whose pages are already there.
    let mut reused = Vec::with_capacity(options.instantiations);
    for i in 0..options.instantiations {
        let started = Instant::now();
        let tenant = host.tenant(format!("tenant-{i}")).await?;
        reused.push(started.elapsed());
        drop(tenant);
    }
    let n = options.instantiations;
    figures.add(
        format!("instantiate, warm slot, tenant dropped (median of {n})"),
        us(median(&mut reused)),
        "µs",
    );
    figures.add(
        format!("instantiate (median of {n})"),
        us(median(&mut instantiate)),
        "µs",
    );
    figures.add(
        format!("instantiate + configure (median of {n})"),
        us(median(&mut with_configure)),
        "µs",
    );
    figures.add(
        format!("configure again, same tenant (median of {n})"),
        us(median(&mut configure_again)),
        "µs",
    );
    figures.add(
        format!("validate-field, the least guest call (median of {n})"),
        us(median(&mut least_call)),
        "µs",
    );

    // 4. Resident memory per live, configured, idle tenant, each count on a host sized for
    //    it (the pool is reserved when the host is made); the timing host is set aside
    //    meanwhile, so that its pool's mappings do not count against the big ones.
    drop(host);
    for &count in &options.tenants {
        let maps_before_host = mappings();
        let host = match Host::load_cached(component, &cache, limits(count)?) {
            Ok((host, _)) => host,
            Err(e) => {
                figures.note(&format!("{count} tenants: no host sized for them: {e:#}"));
                figures.add(format!("tenants alive ({count} asked)"), 0.0, "tenants");
                continue;
            }
        };
        release_free_heap();
        let (rss_before, maps_before, private_before) = (resident_kib(), mappings(), private_kib());
        let page_tables_before = page_tables_kib();
        let started = Instant::now();
        let mut live: Vec<Tenant> = Vec::with_capacity(count);
        let mut failure = None;
        for i in 0..count {
            let made = async {
                let mut tenant = host.tenant(format!("tenant-{i}")).await?;
                match tenant.configure(&settings, &secret).await? {
                    Ok(()) => anyhow::Ok(tenant),
                    Err(e) => bail!("configure failed: {}", e.message),
                }
            };
            match made.await {
                Ok(tenant) => live.push(tenant),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let took = started.elapsed();
        let reached = live.len();
        let (rss_after, maps_after, private_after) = (resident_kib(), mappings(), private_kib());
        let page_tables_after = page_tables_kib();
        // Where the resident memory is: `BENCH_SMAPS_DIR=dir` keeps /proc/self/smaps
        // with the tenants alive, for a look at what each kind of mapping holds.
        if let Some(dir) = std::env::var_os("BENCH_SMAPS_DIR") {
            let to = Path::new(&dir).join(format!("smaps-{count}.txt"));
            let _ = std::fs::copy("/proc/self/smaps", to);
        }
        if let Some(e) = failure {
            figures.note(&format!("{count} tenants: stopped at {reached}: {e:#}"));
        }
        figures.add(
            format!("tenants alive ({count} asked)"),
            reached as f64,
            "tenants",
        );
        let per = |after: Option<u64>, before: Option<u64>| {
            after
                .zip(before)
                .map(|(a, b)| a.saturating_sub(b) as f64 / reached.max(1) as f64)
        };
        if let Some(each) = per(rss_after, rss_before) {
            figures.add(
                format!("RSS per idle configured tenant ({count})"),
                each,
                "KiB",
            );
        }
        if let Some(each) = per(private_after, private_before) {
            figures.add(
                format!("private memory per idle configured tenant ({count})"),
                each,
                "KiB",
            );
        }
        if let Some(each) = per(rss_after, rss_before)
            .zip(per(private_after, private_before))
            .map(|(rss, private)| rss - private)
        {
            figures.add(
                format!("of which shared page cache (data image) ({count})"),
                each,
                "KiB",
            );
        }
        // Not in RSS, but the kernel's memory all the same: each tenant's memory, stack
        // and tables sit in their own pages of page tables.
        if let Some(each) = per(page_tables_after, page_tables_before) {
            figures.add(
                format!("page tables per idle configured tenant ({count})"),
                each,
                "KiB",
            );
        }
        if let Some(each) = per(maps_after, maps_before_host) {
            figures.add(
                format!("memory mappings per tenant, its pool slot included ({count})"),
                each,
                "mappings",
            );
        }
        if let Some(each) = per(maps_after, maps_before) {
            figures.add(
                format!("memory mappings per tenant, once live ({count})"),
                each,
                "mappings",
            );
        }
        figures.add(
            format!("new tenant + configure, mean ({count})"),
            us(took / reached.max(1) as u32),
            "µs",
        );
        drop(live);
    }

    // 4b. Tenants that hibernate (no instance): configured, then given back to the pool,
    //     on a host sized for the tenants live at once, not for all of them.
    if options.hibernated > 0 {
        hibernated(
            &mut figures,
            options.hibernated,
            &cache,
            limits(most)?,
            &settings,
            &secret,
        )
        .await?;
    }

    let (host, _) = Host::load_cached(component, &cache, limits(most)?)?;

    // 5. create-ticket: one warm tenant against a native keep-alive client sending the
    //    same POST to the same simulator, interleaved in rounds.
    let mut tenant = host.tenant("latency").await?;
    if let Err(e) = tenant.configure(&settings, &secret).await? {
        bail!("configure failed: {}", e.message);
    }
    for i in 0..20 {
        create(&mut tenant, i).await?; // token and connection warm
    }
    let template = simulator
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "POST" && r.path.starts_with("/api/now/table/"))
        .context("the component's create request was not recorded")?;
    let native = NativeClient::new(&simulator, &template);
    for _ in 0..20 {
        native.send().await?;
    }
    // First on the thread that blocks on the whole bench (not one of the runtime's workers:
    // every task it wakes runs on another thread), then on a worker thread, as a platform
    // calls its tenants from its tasks and as the throughput runs do.
    let tickets = options.tickets;
    let Rounds {
        tenant,
        native,
        mut component_times,
        mut native_times,
        component_counts,
        native_counts,
    } = latency_rounds(tenant, native, simulator.clone(), tickets).await?;
    let component_p50 = median(&mut component_times);
    let native_p50 = median(&mut native_times);
    figures.add(
        format!("create-ticket via component, p50 of {tickets}"),
        us(component_p50),
        "µs",
    );
    figures.add(
        "create-ticket via component, p95",
        us(pick(&component_times, 0.95)),
        "µs",
    );
    figures.add(
        format!("same POST, native client, p50 of {tickets}"),
        us(native_p50),
        "µs",
    );
    figures.add(
        "same POST, native client, p95",
        us(pick(&native_times, 0.95)),
        "µs",
    );
    figures.add(
        "latency ratio component / native (p50)",
        component_p50.as_secs_f64() / native_p50.as_secs_f64(),
        "x",
    );
    let on_worker = tokio::spawn(latency_rounds(tenant, native, simulator.clone(), tickets));
    let Rounds {
        tenant,
        component_times: mut worker_component,
        native_times: mut worker_native,
        ..
    } = on_worker.await??;
    let (component_p50, native_p50) = (median(&mut worker_component), median(&mut worker_native));
    figures.add(
        "create-ticket via component, on a worker, p50",
        us(component_p50),
        "µs",
    );
    figures.add(
        "same POST, native client, on a worker, p50",
        us(native_p50),
        "µs",
    );
    figures.add(
        "latency ratio on a worker thread (p50)",
        component_p50.as_secs_f64() / native_p50.as_secs_f64(),
        "x",
    );
    // 7 (latency run). What the simulator saw per ticket.
    figures.add(
        "HTTP requests per ticket (component, warm)",
        component_counts.requests as f64 / tickets as f64,
        "requests",
    );
    figures.add(
        "new TCP connections per ticket (component, warm)",
        component_counts.connections as f64 / tickets as f64,
        "connections",
    );
    figures.add(
        "HTTP requests per ticket (native)",
        native_counts.requests as f64 / tickets as f64,
        "requests",
    );
    figures.add(
        "new TCP connections per ticket (native)",
        native_counts.connections as f64 / tickets as f64,
        "connections",
    );
    drop(tenant);

    // 6. Throughput: many tenants at once across the runtime's worker threads.
    let k = options.concurrent;
    let window = Duration::from_secs_f64(options.seconds);
    let mut tenants = Vec::with_capacity(k);
    for i in 0..k {
        let mut tenant = host.tenant(format!("busy-{i}")).await?;
        if let Err(e) = tenant.configure(&settings, &secret).await? {
            bail!("configure failed: {}", e.message);
        }
        tenants.push(tenant);
    }
    // Warm: every tenant gets its token and its connection.
    let warmed = futures_join(
        tenants
            .into_iter()
            .map(|mut tenant| async move { create(&mut tenant, 0).await.map(|()| tenant) }),
    )
    .await?;
    simulator.clear_requests();
    let before = Counts::of(&simulator);
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + window;
    let started = Instant::now();
    let _ = futures_join(warmed.into_iter().map(|mut tenant| {
        let count = count.clone();
        async move {
            let mut i = 1;
            while Instant::now() < deadline {
                create(&mut tenant, i).await?;
                count.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            anyhow::Ok(())
        }
    }))
    .await?;
    let elapsed = started.elapsed();
    let component_tickets = count.load(Ordering::Relaxed);
    let mut busy = Counts::default();
    busy.add(before, Counts::of(&simulator));
    simulator.clear_requests();
    let component_rate = component_tickets as f64 / elapsed.as_secs_f64();

    let clients: Vec<NativeClient> = (0..k)
        .map(|_| NativeClient::new(&simulator, &template))
        .collect();
    let clients = futures_join(
        clients
            .into_iter()
            .map(|client| async move { client.send().await.map(|()| client) }),
    )
    .await?;
    simulator.clear_requests();
    let native_before = Counts::of(&simulator);
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + window;
    let started = Instant::now();
    let _ = futures_join(clients.into_iter().map(|client| {
        let count = count.clone();
        async move {
            while Instant::now() < deadline {
                client.send().await?;
                count.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(())
        }
    }))
    .await?;
    let native_elapsed = started.elapsed();
    let native_tickets = count.load(Ordering::Relaxed);
    let mut native_busy = Counts::default();
    native_busy.add(native_before, Counts::of(&simulator));
    simulator.clear_requests();
    let native_rate = native_tickets as f64 / native_elapsed.as_secs_f64();
    figures.add(
        format!("throughput via component ({k} tenants)"),
        component_rate,
        "tickets/s",
    );
    figures.add(
        format!("throughput native ({k} clients)"),
        native_rate,
        "tickets/s",
    );
    figures.add(
        "throughput ratio component / native",
        component_rate / native_rate,
        "x",
    );
    figures.add(
        "HTTP requests per ticket (component, throughput)",
        busy.requests as f64 / component_tickets.max(1) as f64,
        "requests",
    );
    figures.add(
        "new TCP connections per ticket (component, throughput)",
        busy.connections as f64 / component_tickets.max(1) as f64,
        "connections",
    );
    figures.add(
        "new TCP connections per ticket (native, throughput)",
        native_busy.connections as f64 / native_tickets.max(1) as f64,
        "connections",
    );

    if let Ok(simulator) = Arc::try_unwrap(simulator) {
        simulator.shutdown().await;
    }
    let _ = std::fs::remove_dir_all(&cache);
    if options.json {
        let list: Vec<_> = figures
            .list
            .iter()
            .map(|f| serde_json::json!({"name": f.name, "value": f.value, "unit": f.unit}))
            .collect();
        println!(
            "{:#}",
            serde_json::json!({"machine": machine, "figures": list})
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Figures for `count` hibernating tenants on a host sized by `limits`: what each costs,
/// and what the first call after waking costs against the next one.
async fn hibernated(
    figures: &mut Figures,
    count: usize,
    cache: &Path,
    limits: SandboxLimits,
    settings: &[Setting],
    secret: &[Secret],
) -> Result<()> {
    let live = limits.max_tenants;
    let (host, _) = Host::load_cached(Path::new(COMPONENT_PATH), cache, limits)?;
    release_free_heap();
    let (rss_before, maps_before, private_before) = (resident_kib(), mappings(), private_kib());
    let started = Instant::now();
    let mut sleeping: Vec<Tenant> = Vec::with_capacity(count);
    for i in 0..count {
        let mut tenant = host.tenant(format!("sleeper-{i}")).await?;
        if let Err(e) = tenant.configure(settings, secret).await? {
            bail!("configure failed: {}", e.message);
        }
        tenant.hibernate();
        sleeping.push(tenant);
    }
    let took = started.elapsed();
    let (rss_after, maps_after, private_after) = (resident_kib(), mappings(), private_kib());
    figures.add(
        format!("hibernating tenants held ({count} asked, host for {live} live)"),
        sleeping.len() as f64,
        "tenants",
    );
    let per = |after: Option<u64>, before: Option<u64>| {
        after
            .zip(before)
            .map(|(a, b)| a.saturating_sub(b) as f64 / count as f64)
    };
    if let Some(each) = per(rss_after, rss_before) {
        figures.add(format!("RSS per hibernating tenant ({count})"), each, "KiB");
    }
    if let Some(each) = per(private_after, private_before) {
        figures.add(
            format!("private memory per hibernating tenant ({count})"),
            each,
            "KiB",
        );
    }
    if let Some(each) = per(maps_after, maps_before) {
        figures.add(
            format!("memory mappings per hibernating tenant ({count})"),
            each,
            "mappings",
        );
    }
    figures.add(
        format!("new tenant + configure + hibernate, mean ({count})"),
        us(took / count as u32),
        "µs",
    );
    // The first call after waking makes and configures an instance and asks for a token;
    // the second is a warm tenant's.
    let sample = count.min(live as usize / 2).max(1);
    let (mut first, mut second) = (Vec::with_capacity(sample), Vec::with_capacity(sample));
    let mut awake = Vec::with_capacity(sample);
    for (i, mut tenant) in sleeping.drain(..sample).enumerate() {
        let started = Instant::now();
        create(&mut tenant, i).await?;
        first.push(started.elapsed());
        let started = Instant::now();
        create(&mut tenant, i).await?;
        second.push(started.elapsed());
        awake.push(tenant);
    }
    figures.add(
        format!("create-ticket waking a hibernating tenant, p50 of {sample}"),
        us(median(&mut first)),
        "µs",
    );
    figures.add(
        "create-ticket on it right after, p50",
        us(median(&mut second)),
        "µs",
    );
    Ok(())
}

/// What the latency rounds measured.
struct Rounds {
    tenant: Tenant,
    native: NativeClient,
    component_times: Vec<Duration>,
    native_times: Vec<Duration>,
    component_counts: Counts,
    native_counts: Counts,
}

/// `tickets` creates through the component and as many POSTs by the native client,
/// interleaved in rounds of 100, each timed, and what the simulator saw for each side.
async fn latency_rounds(
    mut tenant: Tenant,
    native: NativeClient,
    simulator: Arc<Simulator>,
    tickets: usize,
) -> Result<Rounds> {
    let (mut component_times, mut native_times) = (vec![], vec![]);
    let mut component_counts = Counts::default();
    let mut native_counts = Counts::default();
    let round = 100;
    let mut done = 0;
    while done < tickets {
        let batch = round.min(tickets - done);
        let before = Counts::of(&simulator);
        for i in 0..batch {
            let started = Instant::now();
            create(&mut tenant, done + i).await?;
            component_times.push(started.elapsed());
        }
        component_counts.add(before, Counts::of(&simulator));
        simulator.clear_requests();
        let before = Counts::of(&simulator);
        for _ in 0..batch {
            let started = Instant::now();
            native.send().await?;
            native_times.push(started.elapsed());
        }
        native_counts.add(before, Counts::of(&simulator));
        simulator.clear_requests();
        done += batch;
    }
    Ok(Rounds {
        tenant,
        native,
        component_times,
        native_times,
        component_counts,
        native_counts,
    })
}

/// Runs the futures on the runtime's worker threads and waits for all; the first error
/// wins.
async fn futures_join<T, F>(futures: impl Iterator<Item = F>) -> Result<Vec<T>>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await??);
    }
    Ok(out)
}

async fn create(tenant: &mut Tenant, i: usize) -> Result<()> {
    let ticket = Ticket {
        event_category: "cost-optimization".into(),
        title: format!("bench event {i}"),
        description: String::new(),
        priority: None,
        assignment_group: None,
        correlation_id: None,
        extra_fields: vec![],
    };
    match tenant.create_ticket(&ticket).await? {
        Ok(CreateOutcome::Created(_)) => Ok(()),
        other => bail!("create-ticket did not create: {other:?}"),
    }
}

/// The same POST the component sends (its method, path, query, headers and body), from a
/// plain hyper keep-alive client in this process.
struct NativeClient {
    client: Client<HttpConnector, Full<Bytes>>,
    request: http::request::Builder,
    body: Bytes,
}

impl NativeClient {
    fn new(simulator: &Simulator, template: &RecordedRequest) -> Self {
        let client = Client::builder(TokioExecutor::new()).build_http();
        let mut uri = format!("{}{}", simulator.base_url(), template.path);
        if let Some(query) = &template.query {
            uri.push('?');
            uri.push_str(query);
        }
        let mut request = http::Request::builder()
            .method(template.method.as_str())
            .uri(uri);
        for (name, value) in &template.headers {
            if !matches!(
                name.as_str(),
                "host" | "content-length" | "transfer-encoding" | "connection"
            ) {
                request = request.header(name.as_str(), value.as_str());
            }
        }
        Self {
            client,
            request,
            body: Bytes::from(template.body.clone()),
        }
    }

    async fn send(&self) -> Result<()> {
        let mut request = http::Request::builder()
            .method(self.request.method_ref().cloned().unwrap_or_default())
            .uri(self.request.uri_ref().cloned().unwrap_or_default());
        if let Some(headers) = self.request.headers_ref() {
            for (name, value) in headers {
                request = request.header(name, value);
            }
        }
        let request = request.body(Full::new(self.body.clone()))?;
        let response = self.client.request(request).await?;
        let status = response.status();
        let _body = response.into_body().collect().await?.to_bytes();
        if status.as_u16() != 201 {
            bail!("native POST answered {status}");
        }
        Ok(())
    }
}

#[derive(Default, Clone, Copy)]
struct Counts {
    requests: usize,
    connections: usize,
}

impl Counts {
    fn of(simulator: &Simulator) -> Self {
        Self {
            requests: simulator.requests().len(),
            connections: simulator.connections(),
        }
    }

    fn add(&mut self, before: Counts, after: Counts) {
        self.requests += after.requests.saturating_sub(before.requests);
        self.connections += after.connections.saturating_sub(before.connections);
    }
}

fn settings(simulator: &Simulator) -> Vec<Setting> {
    vec![
        Setting::text("instance", simulator.base_url()),
        Setting::text("client_id", simulator.client_id()),
        Setting::ticket_categories(
            "ticket_categories",
            vec![TicketCategory::new("cost-optimization", "incident", true)],
        ),
    ]
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    pick(times, 0.5)
}

/// A quantile of sorted times.
fn pick(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * q) as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Hands the heap's free pages back to the system (glibc's `malloc_trim`), so that memory
/// the earlier figures freed is not reused unseen by the tenants measured next: their
/// growth in RSS is then all theirs.
fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: glibc's malloc_trim takes no pointer and may be called at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Resident set size from /proc (Linux); None elsewhere.
fn resident_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

/// Memory only this process holds (private clean + dirty pages, from smaps_rollup): RSS
/// without the pages it shares with the page cache, such as the artifact's data image
/// that every tenant's memory maps copy-on-write.
fn private_kib() -> Option<u64> {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").ok()?;
    let mut total = 0;
    for line in rollup.lines() {
        if line.starts_with("Private_Clean:") || line.starts_with("Private_Dirty:") {
            total += line.split_whitespace().nth(1)?.parse::<u64>().ok()?;
        }
    }
    Some(total)
}

/// How many memory mappings the process has (Linux allows `vm.max_map_count`).
fn mappings() -> Option<u64> {
    capacity::mappings_in_use()
}

/// The process's page tables (`VmPTE`), which RSS does not count.
fn page_tables_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmPTE:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The machine the figures come from.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_string())
        .unwrap_or_default();
    format!(
        "{cpu}, {cores} cores, Linux {kernel}, {}",
        std::env::consts::ARCH
    )
}
