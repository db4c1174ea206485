//! Memory: what many live, configured tenants take, fresh or after each has created 250
//! tickets, each count on a host sized for it (the pool is reserved when the host is made).
//! Readings and method: docs/performance.md, "How memory is measured".

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use ticketing_host::{Host, Tenant};

use super::outside::OutsideSimulator;
use super::process::{self, Usage};
use super::report::{Figures, Target, per_tenant, us};
use super::traffic::create;
use super::{Bench, Readiness};

/// The PSS a live, configured tenant that has not been called yet should stay within.
const FRESH_PSS_KIB: f64 = 40.0;

/// The PSS a live tenant should stay within once it has created [`WORKED_TICKETS`]: a wasm
/// heap never shrinks, so this is the steady state a platform lives with.
const WORKED_PSS_KIB: f64 = 64.0;

/// Tickets each tenant creates for the worked-tenant figures.
const WORKED_TICKETS: usize = 250;

/// Figures for `count` live, configured, idle tenants on a host sized for them.
pub(super) async fn idle(figures: &mut Figures, bench: &Bench, count: usize) -> Result<()> {
    let maps_before_host = process::mappings();
    let host = match bench.host(bench.limits(count)?) {
        Ok(host) => host,
        Err(e) => {
            figures.note(&format!("{count} tenants: no host sized for them: {e:#}"));
            figures.add(format!("tenants alive ({count} asked)"), 0.0, "tenants");
            return Ok(());
        }
    };
    process::release_free_heap();
    let before = Usage::now();
    let started = Instant::now();
    let (live, failure) = configure_up_to(&bench.ready, &host, count).await;
    let took = started.elapsed();
    let after = Usage::now();
    keep_smaps(count);
    if let Some(e) = failure {
        let reached = live.len();
        figures.note(&format!("{count} tenants: stopped at {reached}: {e:#}"));
    }
    let growth = Growth {
        count,
        reached: live.len(),
        maps_before_host,
        before,
        after,
        took,
    };
    growth.report(figures);
    drop(live);
    Ok(())
}

/// Up to `count` tenants of `host` made `ready`, and what stopped them short of it.
async fn configure_up_to(
    ready: &Readiness,
    host: &Host,
    count: usize,
) -> (Vec<Tenant>, Option<anyhow::Error>) {
    let mut live: Vec<Tenant> = Vec::with_capacity(count);
    for i in 0..count {
        match ready.configured(host, format!("tenant-{i}")).await {
            Ok(tenant) => live.push(tenant),
            Err(e) => return (live, Some(e)),
        }
    }
    (live, None)
}

/// Where the resident memory is: `BENCH_SMAPS_DIR=dir` keeps /proc/self/smaps with the
/// tenants alive, for a look at what each kind of mapping holds.
fn keep_smaps(count: usize) {
    if let Some(dir) = std::env::var_os("BENCH_SMAPS_DIR") {
        let to = Path::new(&dir).join(format!("smaps-{count}.txt"));
        let _ = std::fs::copy("/proc/self/smaps", to);
    }
}

/// What `reached` of `count` idle tenants added to the process.
struct Growth {
    count: usize,
    reached: usize,
    maps_before_host: Option<u64>,
    before: Usage,
    after: Usage,
    took: Duration,
}

impl Growth {
    fn report(&self, figures: &mut Figures) {
        let Self {
            count,
            reached,
            before,
            after,
            ..
        } = *self;
        figures.add(
            format!("tenants alive ({count} asked)"),
            reached as f64,
            "tenants",
        );
        let what = format!("idle configured tenant ({count})");
        per_tenant_memory(
            figures,
            &what,
            reached,
            [after, before],
            Some(FRESH_PSS_KIB),
        );
        let per = |after, before| per_tenant(after, before, reached);
        if let Some(each) = per(after.mappings, self.maps_before_host) {
            figures.add(
                format!("memory mappings per tenant, its pool slot included ({count})"),
                each,
                "mappings",
            );
        }
        if let Some(each) = per(after.mappings, before.mappings) {
            figures.add(
                format!("memory mappings per tenant, once live ({count})"),
                each,
                "mappings",
            );
        }
        figures.add(
            format!("new tenant + configure, mean ({count})"),
            us(self.took / reached.max(1) as u32),
            "µs",
        );
    }
}

/// Memory per tenant, what `n` tenants make of the difference between `with` and
/// `without` them: PSS (held to `pss_target`, where there is one), RSS, private memory, the difference (pages
/// shared with the page cache: the artifact's data image, in every tenant's RSS and once
/// in the process's PSS), and page tables (`VmPTE`).
pub(super) fn per_tenant_memory(
    figures: &mut Figures,
    what: &str,
    n: usize,
    [with, without]: [Usage; 2],
    pss_target: Option<f64>,
) {
    let per = |with, without| per_tenant(with, without, n);
    if let Some(each) = per(with.proportional_kib, without.proportional_kib) {
        let name = format!("PSS per {what}");
        match pss_target {
            Some(bound) => figures.target(name, each, "KiB", Target::AtMost(bound)),
            None => figures.add(name, each, "KiB"),
        }
    }
    let rss = per(with.resident_kib, without.resident_kib);
    let private = per(with.private_kib, without.private_kib);
    if let Some(each) = rss {
        figures.add(format!("RSS per {what}"), each, "KiB");
    }
    if let Some(each) = private {
        figures.add(format!("private memory per {what}"), each, "KiB");
    }
    if let Some(each) = rss.zip(private).map(|(rss, private)| rss - private) {
        figures.add(
            format!("of which shared with the page cache, {what}"),
            each,
            "KiB",
        );
    }
    // Not in RSS nor PSS, but the kernel's memory all the same: each tenant's memory,
    // stack and tables sit in their own pages of page tables.
    if let Some(each) = per(with.page_tables_kib, without.page_tables_kib) {
        figures.add(format!("page tables per {what}"), each, "KiB");
    }
}

/// Figures for `count` live tenants that have each created [`WORKED_TICKETS`] tickets, on
/// a host sized for them, against a simulator in a process of its own: it keeps every ticket
/// and request, and its end of each kept connection, which are not the tenants' to count.
/// The tenants' share is what this process grew by from when their host was made.
pub(super) async fn worked(figures: &mut Figures, bench: &Bench, count: usize) -> Result<()> {
    let outside = OutsideSimulator::start()?;
    let host = match bench.host(bench.limits(count)?) {
        Ok(host) => host,
        Err(e) => {
            figures.note(&format!(
                "{count} worked tenants: no host sized for them: {e:#}"
            ));
            return Ok(());
        }
    };
    process::release_free_heap();
    let host_only = Usage::now();
    let (mut live, failure) = configure_up_to(&outside.ready, &host, count).await;
    if let Some(e) = failure {
        figures.note(&format!("worked tenants: stopped at {}: {e:#}", live.len()));
        return Ok(());
    }
    let started = Instant::now();
    for tenant in &mut live {
        for i in 0..WORKED_TICKETS {
            create(tenant, i).await?;
        }
    }
    let took = started.elapsed();
    process::release_free_heap();
    let with = Usage::now();
    let what = format!("tenant after {WORKED_TICKETS} tickets ({count})");
    per_tenant_memory(
        figures,
        &what,
        count,
        [with, host_only],
        Some(WORKED_PSS_KIB),
    );
    figures.add(
        format!("create-ticket while working, mean ({count})"),
        us(took / (count * WORKED_TICKETS).max(1) as u32),
        "µs",
    );
    Ok(())
}
