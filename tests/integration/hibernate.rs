//! A hibernating tenant gives its instance back to the pool and keeps what the host holds;
//! its next call makes a new instance, configured as before.

use std::time::Duration;

use ticketing_host::SandboxLimits;
use ticketing_host::api::Candidate;

use support::{Form, configured, host, host_with, limits, open, secret, settings, setup, ticket};

#[tokio::test]
async fn a_hibernating_tenant_wakes_configured_on_its_next_call() {
    let (sim, mut tenant) = setup().await;
    open(&mut tenant, "cost-optimization", "before").await;
    let log_before = tenant.log().len();
    let origin = tenant.allowed_origin().map(str::to_string);

    tenant.hibernate().await;
    assert!(tenant.is_hibernating());
    // What the host holds stays: the origin, the log.
    assert_eq!(tenant.allowed_origin().map(str::to_string), origin);
    assert_eq!(tenant.log().len(), log_before);

    open(&mut tenant, "cost-optimization", "after").await;
    assert!(!tenant.is_hibernating());
    // The provider carried its token over: the woken instance asked for none.
    assert_eq!(sim.token_requests(), 1);
    assert!(tenant.log().len() > log_before);
}

#[tokio::test]
async fn a_carried_token_past_its_renewal_is_not_used() {
    let sim = support::instance().await;
    // Two seconds, of which the provider keeps one.
    sim.set_token_lifespan(2);
    let mut tenant = configured(host(), "short-lived", &sim, &settings(&sim)).await;
    open(&mut tenant, "cost-optimization", "before").await;
    tenant.hibernate().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    open(&mut tenant, "cost-optimization", "after").await;
    assert_eq!(sim.token_requests(), 2);
}

#[tokio::test]
async fn a_carried_token_is_not_used_under_other_credentials() {
    let (sim, mut tenant) = setup().await;
    open(&mut tenant, "cost-optimization", "before").await;
    tenant.hibernate().await;
    // The instance's application was replaced by another while the tenant slept.
    sim.set_credentials("other-client", "other-secret");
    let form = Form {
        client_id: "other-client".into(),
        ..settings(&sim)
    };
    tenant
        .configure(&form.values(), &support::client_secret("other-secret"))
        .await
        .expect("no trap")
        .expect("valid settings");
    open(&mut tenant, "cost-optimization", "after").await;
    assert_eq!(sim.token_requests(), 2);
}

#[tokio::test]
async fn a_tenant_suspended_while_hibernating_stays_cut_off() {
    let (sim, mut tenant) = setup().await;
    tenant.hibernate().await;
    tenant.suspend();
    assert!(tenant.is_suspended());
    let before = sim.requests().len();
    let outcome = tenant
        .create_ticket(&ticket("cost-optimization", "cut off"))
        .await
        .unwrap();
    assert!(outcome.is_err(), "{outcome:?}");
    assert_eq!(sim.requests().len(), before, "nothing reached the instance");
    assert!(tenant.denied_requests() > 0);
    tenant.resume();
    tenant.hibernate().await;
    open(&mut tenant, "cost-optimization", "resumed").await;
}

#[tokio::test]
async fn hibernating_tenants_hold_no_pool_slot() {
    let sim = support::instance().await;
    let host = support::host_with(SandboxLimits {
        max_tenants: 1,
        ..limits()
    });
    let slots = 1 + 16; // the tenants, 1% and 16 more for tenants being rebuilt
    let mut sleeping = Vec::new();
    for i in 0..slots * 2 {
        let mut tenant = configured(&host, &format!("t{i}"), &sim, &settings(&sim)).await;
        tenant.hibernate().await;
        sleeping.push(tenant);
    }
    // The pool is the live tenants' only: fill it, and a sleeping one cannot wake.
    let mut awake = Vec::new();
    for i in 0..slots {
        awake.push(host.tenant(format!("awake{i}")).await.expect("a free slot"));
    }
    let error = sleeping[0]
        .create_ticket(&ticket("cost-optimization", "no room"))
        .await
        .expect_err("the pool is full");
    assert!(
        format!("{error:#}").contains("max_tenants = 1"),
        "{error:#}"
    );
    assert!(sleeping[0].is_hibernating());
    // Nor can one wake to test a candidate: the candidate's address stays closed to it.
    let origin = sleeping[1].allowed_origin().map(str::to_string);
    let elsewhere = Form {
        instance: "dev99999".into(),
        ..settings(&sim)
    };
    let candidate = Candidate {
        settings: elsewhere.values(),
        secrets: secret(&sim),
    };
    sleeping[1]
        .test_candidate(&candidate)
        .await
        .expect_err("the pool is full");
    assert_eq!(sleeping[1].allowed_origin().map(str::to_string), origin);
    // A slot given back is a slot to wake in.
    awake.pop();
    open(&mut sleeping[0], "cost-optimization", "room again").await;
}

/// A tenant that worked, hibernated and woke, under an idle timeout of `idle`, `asleep`
/// after hibernating: the new connections its wake opened.
async fn connections_of_a_wake(idle: Duration, asleep: Duration) -> usize {
    let sim = support::instance().await;
    let host = host_with(SandboxLimits {
        idle_connection_timeout: idle,
        ..limits()
    });
    let mut tenant = configured(&host, "sleeper", &sim, &settings(&sim)).await;
    open(&mut tenant, "cost-optimization", "before").await;
    tenant.hibernate().await;
    tokio::time::sleep(asleep).await;
    let before = sim.connections();
    open(&mut tenant, "cost-optimization", "after").await;
    sim.connections() - before
}

#[tokio::test]
async fn a_wake_within_the_idle_timeout_sends_on_the_kept_connection() {
    let connections = connections_of_a_wake(Duration::from_secs(60), Duration::ZERO).await;
    assert_eq!(connections, 0);
}

#[tokio::test]
async fn a_wake_after_the_idle_timeout_opens_a_new_connection() {
    let idle = Duration::from_millis(200);
    let connections = connections_of_a_wake(idle, idle * 4).await;
    assert_eq!(connections, 1);
}
