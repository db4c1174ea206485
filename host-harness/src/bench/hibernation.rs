//! Hibernation: many configured tenants held without an instance on a host sized for the
//! run's live ones, what each costs, and what waking one costs against a warm call.

use std::time::{Duration, Instant};

use anyhow::Result;
use servicenow_simulator::Simulator;
use ticketing_host::Tenant;

use super::Bench;
use super::memory::per_tenant_memory;
use super::process::{self, Usage};
use super::report::{Figures, Target, median, per_tenant, us};
use super::traffic::{Counts, create};

/// Figures for `count` hibernating tenants on a host sized for `live` tenants at once, not
/// for all of them: what each costs, and what waking one costs (see [`waking`]).
pub(super) async fn hibernated(
    figures: &mut Figures,
    bench: &Bench,
    count: usize,
    live: usize,
) -> Result<()> {
    let limits = bench.limits(live)?;
    let live = limits.max_tenants;
    let host = bench.host(limits)?;
    process::release_free_heap();
    let before = Usage::now();
    let started = Instant::now();
    let mut sleeping: Vec<Tenant> = Vec::with_capacity(count);
    for i in 0..count {
        let mut tenant = bench.configured(&host, format!("sleeper-{i}")).await?;
        tenant.hibernate().await;
        sleeping.push(tenant);
    }
    let took = started.elapsed();
    let after = Usage::now();
    figures.add(
        format!("hibernating tenants held ({count} asked, host for {live} live)"),
        sleeping.len() as f64,
        "tenants",
    );
    let what = format!("hibernating tenant ({count})");
    per_tenant_memory(figures, &what, count, [after, before], None);
    if let Some(each) = per_tenant(after.mappings, before.mappings, count) {
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
    let sample = count.min(live as usize / 2).max(1);
    let woken = sleeping.drain(..sample).collect();
    waking(figures, &bench.simulator, woken).await
}

/// What a wake costs: each tenant creates a ticket (it gets a token and a connection) and
/// hibernates again, as a platform's tenant that went idle; then a create-ticket on each
/// (it makes and configures an instance first), then a second pass of create-ticket on the
/// same tenants, now warm: the two p50s, their ratio, and what the simulator saw per call
/// in each pass.
async fn waking(
    figures: &mut Figures,
    simulator: &Simulator,
    mut tenants: Vec<Tenant>,
) -> Result<()> {
    let sample = tenants.len();
    pass(simulator, &mut tenants).await?;
    for tenant in &mut tenants {
        tenant.hibernate().await;
    }
    let (woken, wake_counts) = pass(simulator, &mut tenants).await?;
    let (warm, warm_counts) = pass(simulator, &mut tenants).await?;
    let (woken, warm) = (us(woken), us(warm));
    figures.add(
        format!("create-ticket waking a hibernating tenant, p50 of {sample}"),
        woken,
        "µs",
    );
    figures.add("create-ticket on the same tenants, warm, p50", warm, "µs");
    figures.target(
        "ratio waking / warm create-ticket (p50)",
        woken / warm.max(f64::EPSILON),
        "x",
        Target::AtMost(1.5),
    );
    let per = |n: usize| n as f64 / sample.max(1) as f64;
    figures.add(
        "HTTP requests per wake",
        per(wake_counts.requests),
        "requests",
    );
    figures.add(
        "token requests per wake",
        per(wake_counts.tokens),
        "requests",
    );
    figures.add(
        "new TCP connections per wake",
        per(wake_counts.connections),
        "connections",
    );
    figures.add(
        "token requests per warm create after it",
        per(warm_counts.tokens),
        "requests",
    );
    figures.add(
        "new TCP connections per warm create after it",
        per(warm_counts.connections),
        "connections",
    );
    Ok(())
}

/// One create-ticket on each tenant in turn: the median time, and what the simulator saw.
async fn pass(simulator: &Simulator, tenants: &mut [Tenant]) -> Result<(Duration, Counts)> {
    let mut times = Vec::with_capacity(tenants.len());
    let before = Counts::of(simulator);
    for (i, tenant) in tenants.iter_mut().enumerate() {
        let started = Instant::now();
        create(tenant, i).await?;
        times.push(started.elapsed());
    }
    let mut counts = Counts::default();
    counts.add(before, Counts::of(simulator));
    Ok((median(&mut times), counts))
}
