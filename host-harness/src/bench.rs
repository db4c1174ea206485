//! `host-harness bench`: the figures that matter for a platform running many tenants,
//! measured against the simulator on loopback. Prints figures; asserts nothing.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use component_artifact::COMPONENT_PATH;
use servicenow_simulator::Simulator;
use ticketing_host::api::{
    ClosedMatch, CreateOutcome, Settings, Ticket, TicketCategory, TicketKind,
};
use ticketing_host::{ClientSecret, Tenant};

pub async fn run(tenants: usize, tickets: usize) -> Result<ExitCode> {
    let size = std::fs::metadata(COMPONENT_PATH)?.len();
    println!("component                     {size} bytes ({COMPONENT_PATH})");

    let started = Instant::now();
    // The simulator listens on loopback: an explicit allowance of this host's policy.
    let host = crate::built_host(true)?;
    println!(
        "load + compile component      {:.0} ms",
        ms(started.elapsed())
    );

    let simulator = Simulator::start().await?;
    let settings = settings(&simulator);
    let secret = ClientSecret::new(simulator.client_secret());

    // Tenants: instantiate and configure, then what each costs in resident memory.
    let rss_before = resident_kib();
    let started = Instant::now();
    let mut live: Vec<Tenant> = Vec::with_capacity(tenants);
    for i in 0..tenants {
        let mut tenant = host.tenant(format!("tenant-{i}")).await?;
        if let Err(e) = tenant.configure(&settings, &secret).await? {
            bail!("configure failed: {}", e.message);
        }
        live.push(tenant);
    }
    let per_tenant = started.elapsed() / tenants.max(1) as u32;
    println!(
        "new tenant + configure        {:.1} µs each ({tenants} tenants)",
        us(per_tenant)
    );
    if let (Some(before), Some(after)) = (rss_before, resident_kib()) {
        let each = after.saturating_sub(before) as f64 / tenants.max(1) as f64;
        println!("resident memory per tenant    {each:.0} KiB (idle, configured)");
    }

    // One tenant, many tickets: latency through the component, and the token reuse.
    let tenant = &mut live[0];
    let before_tokens = simulator.token_requests();
    let mut latencies = Vec::with_capacity(tickets);
    for i in 0..tickets {
        let ticket = Ticket {
            event_category: "cost-optimization".into(),
            title: format!("bench event {i}"),
            description: String::new(),
            priority: None,
            assignment_group: None,
            correlation_id: None,
            extra_fields: vec![],
        };
        let started = Instant::now();
        match tenant.create_ticket(&ticket).await? {
            Ok(CreateOutcome::Created(_)) => {}
            other => bail!("create-ticket did not create: {other:?}"),
        }
        latencies.push(started.elapsed());
    }
    latencies.sort();
    let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    println!(
        "create-ticket (warm tenant)   p50 {:.0} µs, p95 {:.0} µs ({tickets} tickets)",
        us(pick(0.5)),
        us(pick(0.95))
    );
    println!(
        "token requests                {} for {tickets} tickets",
        simulator.token_requests() - before_tokens
    );
    simulator.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

fn settings(simulator: &Simulator) -> Settings {
    Settings {
        instance: simulator.base_url(),
        client_id: simulator.client_id(),
        default_assignment_group: None,
        default_priority: None,
        ticket_categories: vec![TicketCategory {
            event_category: "cost-optimization".into(),
            kind: TicketKind::Incident,
            enabled: true,
        }],
        unlisted_category_kind: None,
        on_closed_match: ClosedMatch::OpenNew,
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Resident set size from /proc (Linux); None elsewhere.
fn resident_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}
