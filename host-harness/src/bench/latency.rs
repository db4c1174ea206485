//! create-ticket latency: one warm tenant against a native keep-alive client sending the
//! same POST to the same simulator, interleaved in rounds; first on the thread that blocks
//! on the whole bench, then on a runtime worker.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use servicenow_simulator::{RecordedRequest, Simulator};
use ticketing_host::{Host, Tenant};

use super::Bench;
use super::native::NativeClient;
use super::report::{Figures, Target, median, pick, us};
use super::traffic::{Counts, create};

/// Calls made on each side before timing: the token and the connection warm.
const WARM_UP: usize = 20;

/// Creates a ticket and sends its POST this many times a round, on each side in turn.
const ROUND: usize = 100;

/// The latency figures for `tickets` creates; gives back the component's create request,
/// the native clients' template.
pub(super) async fn measure(
    figures: &mut Figures,
    bench: &Bench,
    host: &Host,
    tickets: usize,
) -> Result<RecordedRequest> {
    let mut tenant = bench.configured(host, "latency").await?;
    for i in 0..WARM_UP {
        create(&mut tenant, i).await?;
    }
    let simulator = &bench.simulator;
    let template = simulator
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "POST" && r.path.starts_with("/api/now/table/"))
        .context("the component's create request was not recorded")?;
    let native = NativeClient::new(simulator, &template);
    for _ in 0..WARM_UP {
        native.send().await?;
    }
    // First on the thread that blocks on the whole bench (not one of the runtime's workers:
    // every task it wakes runs on another thread), then on a worker thread, as a platform
    // calls its tenants from its tasks and as the throughput runs do.
    let mut rounds = latency_rounds(tenant, native, simulator.clone(), tickets).await?;
    rounds.report_blocking(figures, tickets);
    let on_worker = tokio::spawn(latency_rounds(
        rounds.tenant,
        rounds.native,
        simulator.clone(),
        tickets,
    ));
    let mut worker = on_worker.await??;
    worker.report_worker(figures);
    // What the simulator saw per ticket, in the first run.
    per_ticket(figures, rounds.component_counts, "component, warm", tickets);
    per_ticket(figures, rounds.native_counts, "native", tickets);
    Ok(template)
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
/// interleaved in rounds, each timed, and what the simulator saw for each side.
async fn latency_rounds(
    mut tenant: Tenant,
    native: NativeClient,
    simulator: Arc<Simulator>,
    tickets: usize,
) -> Result<Rounds> {
    let (mut component_times, mut native_times) = (vec![], vec![]);
    let mut component_counts = Counts::default();
    let mut native_counts = Counts::default();
    let mut done = 0;
    while done < tickets {
        let batch = ROUND.min(tickets - done);
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

impl Rounds {
    /// The rounds run on the thread that blocks on the bench.
    fn report_blocking(&mut self, figures: &mut Figures, tickets: usize) {
        let component_p50 = median(&mut self.component_times);
        let native_p50 = median(&mut self.native_times);
        figures.add(
            format!("create-ticket via component, p50 of {tickets}"),
            us(component_p50),
            "µs",
        );
        figures.add(
            "create-ticket via component, p95",
            us(pick(&self.component_times, 0.95)),
            "µs",
        );
        figures.add(
            format!("same POST, native client, p50 of {tickets}"),
            us(native_p50),
            "µs",
        );
        figures.add(
            "same POST, native client, p95",
            us(pick(&self.native_times, 0.95)),
            "µs",
        );
        figures.add(
            "latency ratio component / native (p50)",
            component_p50.as_secs_f64() / native_p50.as_secs_f64(),
            "x",
        );
    }

    /// The rounds run on a runtime worker.
    fn report_worker(&mut self, figures: &mut Figures) {
        let component_p50 = median(&mut self.component_times);
        let native_p50 = median(&mut self.native_times);
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
        figures.target(
            "latency ratio on a worker thread (p50)",
            component_p50.as_secs_f64() / native_p50.as_secs_f64(),
            "x",
            Target::AtMost(1.3),
        );
    }
}

/// What the simulator saw per ticket on one `side` of the latency run.
fn per_ticket(figures: &mut Figures, counts: Counts, side: &str, tickets: usize) {
    figures.target(
        format!("HTTP requests per ticket ({side})"),
        counts.requests as f64 / tickets as f64,
        "requests",
        Target::AtMost(1.0),
    );
    figures.target(
        format!("new TCP connections per ticket ({side})"),
        counts.connections as f64 / tickets as f64,
        "connections",
        Target::AtMost(0.0),
    );
}
