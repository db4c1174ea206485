//! Memory: what many configured tenants take, alive and idle or hibernating (no instance),
//! each count on a host sized for it (the pool is reserved when the host is made).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;
use ticketing_host::{Host, Tenant};

use super::Bench;
use super::process::{self, Usage};
use super::report::{Figures, median, per_tenant, us};
use super::traffic::create;

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
    let (live, failure) = configure_up_to(bench, &host, count).await;
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

/// Up to `count` configured tenants of `host`, and what stopped them short of it.
async fn configure_up_to(
    bench: &Bench,
    host: &Host,
    count: usize,
) -> (Vec<Tenant>, Option<anyhow::Error>) {
    let mut live: Vec<Tenant> = Vec::with_capacity(count);
    for i in 0..count {
        match bench.configured(host, format!("tenant-{i}")).await {
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
        let per = |after, before| per_tenant(after, before, reached);
        let rss = per(after.resident_kib, before.resident_kib);
        let private = per(after.private_kib, before.private_kib);
        if let Some(each) = rss {
            figures.add(
                format!("RSS per idle configured tenant ({count})"),
                each,
                "KiB",
            );
        }
        if let Some(each) = private {
            figures.add(
                format!("private memory per idle configured tenant ({count})"),
                each,
                "KiB",
            );
        }
        if let Some(each) = rss.zip(private).map(|(rss, private)| rss - private) {
            figures.add(
                format!("of which shared page cache (data image) ({count})"),
                each,
                "KiB",
            );
        }
        // Not in RSS, but the kernel's memory all the same: each tenant's memory, stack
        // and tables sit in their own pages of page tables.
        if let Some(each) = per(after.page_tables_kib, before.page_tables_kib) {
            figures.add(
                format!("page tables per idle configured tenant ({count})"),
                each,
                "KiB",
            );
        }
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

/// Figures for `count` hibernating tenants on a host sized for `live` tenants at once, not
/// for all of them: what each costs, and what the first call after waking costs against
/// the next one.
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
        tenant.hibernate();
        sleeping.push(tenant);
    }
    let took = started.elapsed();
    let after = Usage::now();
    figures.add(
        format!("hibernating tenants held ({count} asked, host for {live} live)"),
        sleeping.len() as f64,
        "tenants",
    );
    let per = |after, before| per_tenant(after, before, count);
    if let Some(each) = per(after.resident_kib, before.resident_kib) {
        figures.add(format!("RSS per hibernating tenant ({count})"), each, "KiB");
    }
    if let Some(each) = per(after.private_kib, before.private_kib) {
        figures.add(
            format!("private memory per hibernating tenant ({count})"),
            each,
            "KiB",
        );
    }
    if let Some(each) = per(after.mappings, before.mappings) {
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
    waking(figures, sleeping.drain(..sample)).await
}

/// The first call after waking makes and configures an instance and asks for a token; the
/// second is a warm tenant's.
async fn waking(
    figures: &mut Figures,
    tenants: impl ExactSizeIterator<Item = Tenant>,
) -> Result<()> {
    let sample = tenants.len();
    let (mut first, mut second) = (Vec::with_capacity(sample), Vec::with_capacity(sample));
    let mut awake = Vec::with_capacity(sample);
    for (i, mut tenant) in tenants.enumerate() {
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
