//! The host confines each tenant to its own instance.

use std::time::Duration;

use servicenow_simulator::Simulator;
use ticketing_host::SandboxLimits;
use ticketing_host::api::ErrorKind;

use support::{
    configured, create, create_error, host, host_with, limits, open, settings, setup, ticket,
};

#[tokio::test]
async fn a_tenant_reaches_only_its_own_instance() {
    let (sim, mut tenant) = setup().await;
    let other = Simulator::start().await.unwrap();
    tenant.set_allowed_origin(Some(other.base_url()));
    let error = create_error(&mut tenant).await;
    assert_eq!(error.kind, ErrorKind::BlockedByHost, "{error:?}");
    assert_eq!(tenant.denied_requests(), 1);
    assert!(sim.requests().is_empty() && other.requests().is_empty());

    // The refusal broke nothing: allowed again, the same instance works.
    tenant.set_allowed_origin(Some(sim.base_url()));
    open(&mut tenant, "cost-optimization", "y").await;
}

#[tokio::test]
async fn tenants_are_isolated() {
    let (sim_a, mut a) = setup().await;
    let sim_b = Simulator::start().await.unwrap();
    let mut b = configured(host(), "b", &sim_b, &settings(&sim_b)).await;
    assert_ne!(a.allowed_origin(), b.allowed_origin());
    open(&mut a, "cost-optimization", "for a").await;
    open(&mut b, "cost-optimization", "for b").await;
    // Each tenant's token and tickets went to its own instance only.
    assert_eq!((sim_a.token_requests(), sim_b.token_requests()), (1, 1));
    assert_eq!(sim_a.records("incident")[0]["short_description"], "for a");
    assert_eq!(sim_b.records("incident")[0]["short_description"], "for b");
}

#[tokio::test]
async fn a_trap_costs_one_call_not_the_tenant() {
    let (sim, mut tenant) = setup().await;
    // Larger than the tenant's memory cap: the component cannot even receive it.
    let mut huge = ticket("cost-optimization", "huge");
    huge.description = "x".repeat(48 << 20);
    let trap = tenant.create_ticket(&huge).await.unwrap_err();
    assert!(format!("{trap:#}").contains("trapped"), "{trap:#}");
    // The tenant was rebuilt with its settings: the next call works as before.
    assert_eq!(tenant.allowed_origin(), Some(sim.base_url().as_str()));
    open(&mut tenant, "cost-optimization", "after").await;
    assert_eq!(sim.records("incident").len(), 1);
}

/// A tenant of a host with its own limits, configured for a fresh simulator that stalls
/// every answer for 5 s.
async fn stalled_tenant(limits: SandboxLimits) -> (Simulator, ticketing_host::Tenant) {
    let host = host_with(limits);
    let sim = Simulator::start().await.unwrap();
    let tenant = configured(&host, "slow", &sim, &settings(&sim)).await;
    sim.update_faults(|f| f.stall = Some(Duration::from_secs(5)));
    (sim, tenant)
}

#[tokio::test]
async fn a_stalled_instance_costs_the_hosts_timeout_not_a_hung_tenant() {
    // A per-request timeout this short keeps the test from waiting the default 30 s.
    let (sim, mut tenant) = stalled_tenant(SandboxLimits {
        http_timeout: Duration::from_millis(300),
        ..support::limits()
    })
    .await;
    let error = create_error(&mut tenant).await;
    assert_eq!(error.kind, ErrorKind::Unreachable, "{error:?}");
    assert!(
        error.message.contains("did not answer in time"),
        "{}",
        error.message
    );
    sim.update_faults(|f| f.stall = None);
    open(&mut tenant, "cost-optimization", "y").await;
}

#[tokio::test]
async fn a_call_past_its_deadline_is_stopped_and_the_tenant_rebuilt() {
    let (sim, mut tenant) = stalled_tenant(SandboxLimits {
        call_timeout: Duration::from_millis(500),
        ..support::limits()
    })
    .await;
    let stopped = tenant
        .create_ticket(&ticket("cost-optimization", "x"))
        .await
        .unwrap_err();
    assert!(format!("{stopped:#}").contains("deadline"), "{stopped:#}");
    sim.update_faults(|f| f.stall = None);
    assert_eq!(tenant.allowed_origin(), Some(sim.base_url().as_str()));
    open(&mut tenant, "cost-optimization", "y").await;
}

/// The component's allocator reuses what it frees: a tenant lives for months, and its calls
/// together allocate far more than its memory cap.
#[tokio::test]
async fn a_long_lived_tenant_reuses_its_memory() {
    let sim = Simulator::start().await.unwrap();
    // The shared host's compiled component, its tenants held to 2 MiB (the store's
    // limiter enforces a lower cap than the engine's).
    let host = host().with_limits(SandboxLimits {
        memory_bytes: 2 << 20,
        ..limits()
    });
    let mut tenant = configured(&host, "long-lived", &sim, &settings(&sim)).await;
    // Each call holds the description several times (the ticket, the request body, the
    // answer and its parse): 100 calls allocate over 20 MiB in all.
    let description = "x".repeat(64 << 10);
    for i in 0..100 {
        let mut t = ticket("cost-optimization", &format!("ticket {i}"));
        t.description = description.clone();
        // No trap: freed memory is reused.
        create(&mut tenant, &t).await;
    }
    assert_eq!(sim.records("incident").len(), 100);
}
