//! Throughput: many tenants at once across the runtime's worker threads, against as many
//! native clients, each side for the same window.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;
use servicenow_simulator::{RecordedRequest, Simulator};
use ticketing_host::Host;

use super::Bench;
use super::native::NativeClient;
use super::report::{Figures, Target};
use super::traffic::{Counts, create, futures_join};

/// What one side sent in its window.
struct Run {
    tickets: u64,
    elapsed: Duration,
    counts: Counts,
}

impl Run {
    fn rate(&self) -> f64 {
        self.tickets as f64 / self.elapsed.as_secs_f64()
    }

    /// What the simulator saw per ticket.
    fn per_ticket(&self, count: usize) -> f64 {
        count as f64 / self.tickets.max(1) as f64
    }
}

/// The throughput figures for `k` tenants, then `k` native clients sending `template`,
/// each for `window`.
pub(super) async fn measure(
    figures: &mut Figures,
    bench: &Bench,
    host: &Host,
    template: &RecordedRequest,
    k: usize,
    window: Duration,
) -> Result<()> {
    let component = through_component(bench, host, k, window).await?;
    let native = native(&bench.simulator, template, k, window).await?;
    let (component_rate, native_rate) = (component.rate(), native.rate());
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
    figures.target(
        format!("throughput ratio component / native, {k} tenants"),
        component_rate / native_rate,
        "x",
        Target::AtLeast(0.8),
    );
    figures.add(
        "HTTP requests per ticket (component, throughput)",
        component.per_ticket(component.counts.requests),
        "requests",
    );
    figures.add(
        "new TCP connections per ticket (component, throughput)",
        component.per_ticket(component.counts.connections),
        "connections",
    );
    figures.add(
        "new TCP connections per ticket (native, throughput)",
        native.per_ticket(native.counts.connections),
        "connections",
    );
    Ok(())
}

/// `k` configured tenants creating tickets for `window`.
async fn through_component(bench: &Bench, host: &Host, k: usize, window: Duration) -> Result<Run> {
    let mut tenants = Vec::with_capacity(k);
    for i in 0..k {
        tenants.push(bench.configured(host, format!("busy-{i}")).await?);
    }
    // Warm: every tenant gets its token and its connection.
    let warmed = futures_join(
        tenants
            .into_iter()
            .map(|mut tenant| async move { create(&mut tenant, 0).await.map(|()| tenant) }),
    )
    .await?;
    let simulator = &bench.simulator;
    simulator.clear_requests();
    let before = Counts::of(simulator);
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
    Ok(finish_run(simulator, &count, elapsed, before))
}

/// `k` native keep-alive clients sending `template` for `window`.
async fn native(
    simulator: &Simulator,
    template: &RecordedRequest,
    k: usize,
    window: Duration,
) -> Result<Run> {
    let clients: Vec<NativeClient> = (0..k)
        .map(|_| NativeClient::new(simulator, template))
        .collect();
    let clients = futures_join(
        clients
            .into_iter()
            .map(|client| async move { client.send().await.map(|()| client) }),
    )
    .await?;
    simulator.clear_requests();
    let before = Counts::of(simulator);
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
    let elapsed = started.elapsed();
    Ok(finish_run(simulator, &count, elapsed, before))
}

/// The run that ended: what it counted, and what the simulator saw since `before` (then
/// forgotten).
fn finish_run(simulator: &Simulator, count: &AtomicU64, elapsed: Duration, before: Counts) -> Run {
    let tickets = count.load(Ordering::Relaxed);
    let mut counts = Counts::default();
    counts.add(before, Counts::of(simulator));
    simulator.clear_requests();
    Run {
        tickets,
        elapsed,
        counts,
    }
}
