//! create-ticket latency: one warm tenant against a native keep-alive client sending the
//! same POST to the same simulator and reading its answer as the component does,
//! interleaved in rounds; first on the thread that blocks on the whole bench, then on a
//! runtime worker. The worker's p50 ratio is the headline: a platform calls its tenants
//! from its tasks, on the runtime's workers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use servicenow_simulator::{RecordedRequest, Simulator};
use ticketing_host::api::WrittenTicket;
use ticketing_host::{Host, Tenant};

use super::Bench;
use super::native::{Created, NativeClient};
use super::report::{Figures, Target, median, pick, us};
use super::traffic::{Counts, create, created};

/// Calls made on each side before timing: the token and the connection warm.
pub(super) const WARM_UP: usize = 20;

/// Creates a ticket and sends its POST this many times a round, on each side in turn.
const ROUND: usize = 100;

/// A tenant of `host` configured and warmed up ([`WARM_UP`] creates), and the create request
/// it sent last: the native client's template.
pub(super) async fn warmed(
    bench: &Bench,
    host: &Host,
    name: &str,
) -> Result<(Tenant, RecordedRequest)> {
    let mut tenant = bench.configured(host, name).await?;
    for i in 0..WARM_UP {
        create(&mut tenant, i).await?;
    }
    let template = bench
        .simulator
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.method == "POST" && r.path.starts_with("/api/now/table/"))
        .context("the component's create request was not recorded")?;
    Ok((tenant, template))
}

/// The latency figures for `tickets` creates; gives back the component's create request,
/// the native clients' template.
pub(super) async fn measure(
    figures: &mut Figures,
    bench: &Bench,
    host: &Host,
    tickets: usize,
) -> Result<RecordedRequest> {
    let (mut tenant, template) = warmed(bench, host, "latency").await?;
    let simulator = &bench.simulator;
    let native = NativeClient::new(simulator, &template)?;
    for _ in 0..WARM_UP {
        native.send().await?;
    }
    same_ticket(&created(&mut tenant, WARM_UP).await?, &native.send().await?)?;
    // First on the thread that blocks on the whole bench (not one of the runtime's workers:
    // every task it wakes runs on another thread), then on a worker thread, as a platform
    // calls its tenants from its tasks and as the throughput runs do.
    let Rounds {
        tenant,
        native,
        times: mut blocking,
        component_counts,
        native_counts,
    } = latency_rounds(tenant, native, simulator.clone(), tickets).await?;
    let on_worker = tokio::spawn(latency_rounds(tenant, native, simulator.clone(), tickets));
    let mut worker = on_worker.await??;
    // The headline first, then the bench thread's figures.
    worker.times.report_worker(figures, tickets);
    blocking.report_blocking(figures);
    // What the simulator saw per ticket, in the first run.
    per_ticket(figures, component_counts, "component, warm", tickets, true);
    per_ticket(figures, native_counts, "native", tickets, false);
    Ok(template)
}

/// Whether the native client read the ticket the component read: the same kind, a link
/// made the same way, the same columns not applied.
fn same_ticket(component: &WrittenTicket, native: &Created) -> Result<()> {
    let (c, n) = (&component.ticket, native);
    let fields = |list: Vec<&str>| list.join(", ");
    let component_fields = fields(
        component
            .not_applied
            .iter()
            .map(|a| a.field.as_str())
            .collect(),
    );
    let native_fields = fields(n.not_applied.iter().map(|(f, _)| f.as_str()).collect());
    let same = c.kind == n.kind
        && c.link.replace(&c.id, "") == n.link.replace(&n.sys_id, "")
        && component_fields == native_fields;
    if !same {
        bail!(
            "the native client did not read the ticket the component read: component {} \
             {} (not applied: {component_fields}), native {} {} (not applied: {native_fields})",
            c.kind,
            c.link,
            n.kind,
            n.link
        );
    }
    Ok(())
}

/// What the latency rounds measured.
struct Rounds {
    tenant: Tenant,
    native: NativeClient,
    times: Times,
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
            std::hint::black_box(native.send().await?);
            native_times.push(started.elapsed());
        }
        native_counts.add(before, Counts::of(&simulator));
        simulator.clear_requests();
        done += batch;
    }
    Ok(Rounds {
        tenant,
        native,
        times: Times {
            component: component_times,
            native: native_times,
        },
        component_counts,
        native_counts,
    })
}

/// Each side's timings.
struct Times {
    component: Vec<Duration>,
    native: Vec<Duration>,
}

impl Times {
    /// The rounds run on a runtime worker, as a platform's tasks run: the headline.
    fn report_worker(&mut self, figures: &mut Figures, tickets: usize) {
        let component_p50 = median(&mut self.component);
        let native_p50 = median(&mut self.native);
        figures.target(
            "HEADLINE create-ticket p50 ratio, runtime worker",
            component_p50.as_secs_f64() / native_p50.as_secs_f64(),
            "x",
            Target::AtMost(1.3),
        );
        figures.add(
            format!("create-ticket via component, worker, p50 of {tickets}"),
            us(component_p50),
            "µs",
        );
        figures.add(
            "create-ticket via component, worker, p95",
            us(pick(&self.component, 0.95)),
            "µs",
        );
        figures.add(
            format!("same POST + answer read, native, worker, p50 of {tickets}"),
            us(native_p50),
            "µs",
        );
        figures.add(
            "same POST + answer read, native, worker, p95",
            us(pick(&self.native, 0.95)),
            "µs",
        );
    }

    /// The rounds run on the thread that blocks on the bench: every task it wakes runs on
    /// another thread, which a platform's tasks do not pay.
    fn report_blocking(&mut self, figures: &mut Figures) {
        let component_p50 = median(&mut self.component);
        let native_p50 = median(&mut self.native);
        figures.add(
            "create-ticket via component, bench thread, p50",
            us(component_p50),
            "µs",
        );
        figures.add(
            "same POST + answer read, native, bench thread, p50",
            us(native_p50),
            "µs",
        );
        figures.add(
            "p50 ratio, bench thread (not what a platform lives)",
            component_p50.as_secs_f64() / native_p50.as_secs_f64(),
            "x",
        );
    }
}

/// What the simulator saw per ticket on one `side` of the latency run.
/// What the simulator saw per ticket on one `side`; `held` holds it to one request and no new
/// connection per warm ticket (the component), else it is shown for comparison (native).
fn per_ticket(figures: &mut Figures, counts: Counts, side: &str, tickets: usize, held: bool) {
    let requests = counts.requests as f64 / tickets as f64;
    let connections = counts.connections as f64 / tickets as f64;
    let requests_name = format!("HTTP requests per ticket ({side})");
    let connections_name = format!("new TCP connections per ticket ({side})");
    if held {
        figures.target(requests_name, requests, "requests", Target::AtMost(1.0));
        figures.target(
            connections_name,
            connections,
            "connections",
            Target::AtMost(0.0),
        );
    } else {
        figures.add(requests_name, requests, "requests");
        figures.add(connections_name, connections, "connections");
    }
}
