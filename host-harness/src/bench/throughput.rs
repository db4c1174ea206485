//! Throughput: many tenants at once across the runtime's worker threads, against as many
//! native clients, at each count of [`counts`]. The sides take turns, [`WINDOWS`] windows
//! each (component, native, component, native, …), so that a change in the shared machine's
//! load falls on both; each side's rate is the median of its windows, and the CPU time the
//! process spent per ticket is read around each window.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use servicenow_simulator::{RecordedRequest, Simulator};
use ticketing_host::{Host, Tenant};

use super::Bench;
use super::native::NativeClient;
use super::process;
use super::report::{Figures, Target, us};
use super::traffic::{Counts, create, futures_join};

/// Windows per side at each tenant count.
const WINDOWS: usize = 5;

/// The tenant counts measured whatever `--concurrent` says; it adds a count of its own.
const COUNTS: [usize; 2] = [100, 1000];

/// The tenant counts a run measures: [`COUNTS`] and `concurrent`, smallest first.
pub(super) fn counts(concurrent: usize) -> Vec<usize> {
    let mut counts = COUNTS.to_vec();
    counts.push(concurrent);
    counts.sort_unstable();
    counts.dedup();
    counts
}

/// One side's client: a tenant creating tickets, or a native client sending the POST.
trait Sender: Send + 'static {
    fn once(&mut self, i: usize) -> impl Future<Output = Result<()>> + Send;
}

impl Sender for Tenant {
    fn once(&mut self, i: usize) -> impl Future<Output = Result<()>> + Send {
        create(self, i)
    }
}

impl Sender for NativeClient {
    async fn once(&mut self, _: usize) -> Result<()> {
        std::hint::black_box(self.send().await?);
        Ok(())
    }
}

/// What one side did in one window.
struct Run {
    tickets: u64,
    elapsed: Duration,
    counts: Counts,
    /// CPU time (user and system) of the whole process during the window.
    cpu: Option<Duration>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.tickets as f64 / self.elapsed.as_secs_f64()
    }
}

/// One side's windows.
#[derive(Default)]
struct Side(Vec<Run>);

impl Side {
    fn median_rate(&self) -> f64 {
        let mut rates: Vec<f64> = self.0.iter().map(Run::rate).collect();
        rates.sort_by(f64::total_cmp);
        rates.get(rates.len() / 2).copied().unwrap_or(0.0)
    }

    fn tickets(&self) -> f64 {
        self.0.iter().map(|r| r.tickets).sum::<u64>().max(1) as f64
    }

    /// What the simulator saw per ticket, over every window.
    fn per_ticket(&self, count: fn(&Counts) -> usize) -> f64 {
        self.0.iter().map(|r| count(&r.counts)).sum::<usize>() as f64 / self.tickets()
    }

    /// The process's CPU time per ticket over every window, where it was read.
    fn cpu_per_ticket(&self) -> Option<Duration> {
        let total: Option<Duration> = self.0.iter().map(|r| r.cpu).sum();
        total.map(|cpu| cpu.div_f64(self.tickets()))
    }
}

/// The throughput figures at each of `counts` tenants (and as many native clients sending
/// `template`), each window `window` long.
pub(super) async fn measure(
    figures: &mut Figures,
    bench: &Bench,
    host: &Host,
    template: &RecordedRequest,
    counts: &[usize],
    window: Duration,
) -> Result<()> {
    figures.note(&format!(
        "throughput: {WINDOWS} alternating windows of {} s per side at each count; CPU per \
         ticket is the whole process's (getrusage), the simulator's share of both sides \
         included",
        window.as_secs_f64()
    ));
    for &k in counts {
        let (component, native) = alternate(bench, host, template, k, window).await?;
        report(figures, k, &component, &native);
    }
    Ok(())
}

/// `k` warm tenants and `k` warm native clients, taking turns for [`WINDOWS`] windows each.
async fn alternate(
    bench: &Bench,
    host: &Host,
    template: &RecordedRequest,
    k: usize,
    window: Duration,
) -> Result<(Side, Side)> {
    let simulator = &bench.simulator;
    let mut tenants = Vec::with_capacity(k);
    for i in 0..k {
        tenants.push(bench.configured(host, format!("busy-{i}")).await?);
    }
    let mut clients = (0..k)
        .map(|_| NativeClient::new(simulator, template))
        .collect::<Result<Vec<_>>>()?;
    // Warm: every tenant gets its token and its connection, every client its connection.
    tenants = run_each(tenants, || true).await?;
    clients = run_each(clients, || true).await?;
    let (mut component, mut native) = (Side::default(), Side::default());
    for _ in 0..WINDOWS {
        let run;
        (tenants, run) = timed(simulator, tenants, window).await?;
        component.0.push(run);
        let run;
        (clients, run) = timed(simulator, clients, window).await?;
        native.0.push(run);
    }
    Ok((component, native))
}

/// Every sender at once, each sending until `done` says so after a send (at least one).
async fn run_each<S: Sender>(
    senders: Vec<S>,
    done: impl Fn() -> bool + Clone + Send + 'static,
) -> Result<Vec<S>> {
    futures_join(senders.into_iter().map(|mut sender| {
        let done = done.clone();
        async move {
            let mut i = 0;
            loop {
                sender.once(i).await?;
                i += 1;
                if done() {
                    return Ok(sender);
                }
            }
        }
    }))
    .await
}

/// One window: every sender sending until `window` is over; what they sent, what the
/// simulator saw, and the process's CPU time meanwhile.
async fn timed<S: Sender>(
    simulator: &Simulator,
    senders: Vec<S>,
    window: Duration,
) -> Result<(Vec<S>, Run)> {
    simulator.clear_requests();
    let before = Counts::of(simulator);
    let count = Arc::new(AtomicU64::new(0));
    let cpu_before = process::cpu_time();
    let started = Instant::now();
    let deadline = started + window;
    let counted = count.clone();
    let senders = run_each(senders, move || {
        counted.fetch_add(1, Ordering::Relaxed);
        Instant::now() >= deadline
    })
    .await?;
    let elapsed = started.elapsed();
    let cpu = process::cpu_time()
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    let mut counts = Counts::default();
    counts.add(before, Counts::of(simulator));
    simulator.clear_requests();
    let run = Run {
        tickets: count.load(Ordering::Relaxed),
        elapsed,
        counts,
        cpu,
    };
    Ok((senders, run))
}

/// The figures at `k` tenants.
fn report(figures: &mut Figures, k: usize, component: &Side, native: &Side) {
    let (component_rate, native_rate) = (component.median_rate(), native.median_rate());
    figures.add(
        format!("throughput via component, {k} tenants, median"),
        component_rate,
        "tickets/s",
    );
    figures.add(
        format!("throughput native, {k} clients, median"),
        native_rate,
        "tickets/s",
    );
    figures.target(
        format!("throughput ratio of medians, {k} tenants"),
        component_rate / native_rate,
        "x",
        Target::AtLeast(0.8),
    );
    let ratios: Vec<f64> = component
        .0
        .iter()
        .zip(&native.0)
        .map(|(c, n)| c.rate() / n.rate())
        .collect();
    let lowest = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let highest = ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    figures.add(format!("  window ratios, {k} tenants, lowest"), lowest, "x");
    figures.add(
        format!("  window ratios, {k} tenants, highest"),
        highest,
        "x",
    );
    for (side, run) in [("component", component), ("native", native)] {
        if let Some(cpu) = run.cpu_per_ticket() {
            figures.add(
                format!("CPU per ticket, {side}, {k} at once"),
                us(cpu),
                "µs",
            );
        }
    }
    figures.add(
        format!("HTTP requests per ticket (component, {k} tenants)"),
        component.per_ticket(|c| c.requests),
        "requests",
    );
    figures.add(
        format!("new TCP connections per ticket (component, {k})"),
        component.per_ticket(|c| c.connections),
        "connections",
    );
    figures.add(
        format!("new TCP connections per ticket (native, {k})"),
        native.per_ticket(|c| c.connections),
        "connections",
    );
}
