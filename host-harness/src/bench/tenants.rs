//! One tenant: what the sandbox lets it take at most, and what starting it costs
//! (instantiating from `InstancePre`, then configuring).

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use ticketing_host::Host;
use ticketing_host::api::SettingValue;

use super::Bench;
use super::report::{Figures, Target, median, mib, us};

/// What the sandbox lets one tenant take at most, whatever its component does.
pub(super) fn worst_case(figures: &mut Figures, host: &Host) {
    let bound = host.limits().tenant_bound();
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
}

/// Timings of `n` tenants each: instantiate, configure, configure again, the least guest
/// call (each tenant in a fresh slot, the ones before it kept alive), and dropping a
/// tenant to instantiate into its warm slot.
pub(super) async fn instantiation(
    figures: &mut Figures,
    bench: &Bench,
    host: &Host,
    n: usize,
) -> Result<()> {
    let mut times = Times::with_capacity(n);
    let mut live = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        let mut tenant = host.tenant(format!("tenant-{i}")).await?;
        let instantiated = started.elapsed();
        bench.configure(&mut tenant).await?;
        times.instantiate.push(instantiated);
        times.with_configure.push(started.elapsed());
        live.push(tenant);
    }
    // Where configure's share goes: the same call on a tenant that has run it once (its
    // pages touched), and a guest call that does next to nothing (one value checked).
    let instance_value = SettingValue::Text("dev12345".into());
    for tenant in &mut live {
        let started = Instant::now();
        bench.configure(tenant).await?;
        times.configure_again.push(started.elapsed());
        let started = Instant::now();
        if let Err(e) = tenant.validate_field("instance", &instance_value).await? {
            bail!("validate-field failed: {}", e.message);
        }
        times.least_call.push(started.elapsed());
    }
    drop(live);
    // The same into a warm slot: each new tenant takes the slot the one before it held,
    // and the time includes dropping that one (its store, and the pool resetting the
    // slot), as a platform pays both when it replaces a tenant.
    let mut holder = host.tenant("tenant-warm").await?;
    for i in 0..n {
        let started = Instant::now();
        drop(holder);
        holder = host.tenant(format!("tenant-{i}")).await?;
        times.reused.push(started.elapsed());
    }
    drop(holder);
    times.report(figures, n);
    Ok(())
}

/// What [`instantiation`] timed, one entry a tenant.
struct Times {
    instantiate: Vec<Duration>,
    with_configure: Vec<Duration>,
    configure_again: Vec<Duration>,
    least_call: Vec<Duration>,
    reused: Vec<Duration>,
}

impl Times {
    fn with_capacity(n: usize) -> Self {
        Self {
            instantiate: Vec::with_capacity(n),
            with_configure: Vec::with_capacity(n),
            configure_again: Vec::with_capacity(n),
            least_call: Vec::with_capacity(n),
            reused: Vec::with_capacity(n),
        }
    }

    fn report(mut self, figures: &mut Figures, n: usize) {
        figures.add(
            format!("drop a tenant + instantiate into its slot (median of {n})"),
            us(median(&mut self.reused)),
            "µs",
        );
        figures.add(
            format!("instantiate (median of {n})"),
            us(median(&mut self.instantiate)),
            "µs",
        );
        figures.target(
            format!("instantiate + configure (median of {n})"),
            us(median(&mut self.with_configure)),
            "µs",
            Target::AtMost(40.0),
        );
        figures.add(
            format!("configure again, same tenant (median of {n})"),
            us(median(&mut self.configure_again)),
            "µs",
        );
        figures.add(
            format!("validate-field, the least guest call (median of {n})"),
            us(median(&mut self.least_call)),
            "µs",
        );
    }
}
