//! How many tenants a host holds: a host sized for more than Linux lets the process map
//! (`vm.max_map_count`) is refused when it is made, with an error that names the setting;
//! a full host refuses one tenant more and says why.

use ticketing_host::api::CreateOutcome;
use ticketing_host::capacity::{self, MAPPINGS_PER_TENANT};
use ticketing_host::{Host, MapCountTooLow, SandboxLimits};

use support::{configured, limits, open, settings, ticket};

#[cfg(target_os = "linux")]
#[test]
fn a_host_too_big_for_vm_max_map_count_is_refused_up_front() {
    let max = capacity::max_map_count().expect("Linux says its vm.max_map_count");
    // More tenants than the whole setting could map, whatever it is on this machine.
    let tenants = u32::try_from(max / MAPPINGS_PER_TENANT + 1).unwrap_or(u32::MAX);
    let too_big = SandboxLimits {
        max_tenants: tenants,
        ..limits()
    };
    let error = match Host::from_file(component_artifact::component_path(), too_big) {
        Ok(_) => panic!("a host for {tenants} tenants under vm.max_map_count = {max}"),
        Err(error) => error,
    };
    let refused = error
        .downcast_ref::<MapCountTooLow>()
        .unwrap_or_else(|| panic!("not the map count error: {error:#}"));
    assert_eq!(refused.max_tenants, tenants);
    assert_eq!(refused.max_map_count, max);
    assert!(refused.max_map_count_needed() > max);
    assert!(refused.tenants_that_fit < tenants);
    let message = format!("{error:#}");
    assert!(message.contains("vm.max_map_count"), "{message}");
    assert!(
        message.contains(&refused.max_map_count_needed().to_string()),
        "{message}"
    );
}

#[tokio::test]
async fn a_full_host_refuses_one_tenant_more_and_says_why() {
    let host = support::host_with(SandboxLimits {
        max_tenants: 1,
        ..limits()
    });
    let slots = 1 + 16; // the tenants, 1% and 16 more for tenants being rebuilt
    let mut tenants = Vec::new();
    for i in 0..slots {
        tenants.push(host.tenant(format!("t{i}")).await.expect("a slot is free"));
    }
    let error = match host.tenant("one too many").await {
        Ok(_) => panic!("a tenant past the pool"),
        Err(error) => format!("{error:#}"),
    };
    assert!(error.contains("max_tenants = 1"), "{error}");
    // A tenant dropped gives its slot back.
    tenants.pop();
    host.tenant("in its place").await.expect("the freed slot");
}

#[tokio::test]
async fn a_tenant_keeps_no_host_resource_of_a_finished_request() {
    let sim = support::instance().await;
    // Fewer host resources than the requests below: one left behind by each request (the
    // options wasi-http hands over with it) would fill the table and trap.
    let host = support::host().with_limits(SandboxLimits {
        max_host_resources: 64,
        ..limits()
    });
    let mut tenant = configured(&host, "frugal", &sim, &settings(&sim)).await;
    for i in 0..100 {
        open(&mut tenant, "cost-optimization", &format!("event {i}")).await;
    }
}

#[tokio::test]
async fn a_tenant_past_its_host_resources_traps_and_is_rebuilt() {
    let sim = support::instance().await;
    let host = support::host().with_limits(SandboxLimits {
        max_host_resources: 2,
        ..limits()
    });
    let mut tenant = configured(&host, "greedy", &sim, &settings(&sim)).await;
    // A request takes more than two at once (request, headers, body, its stream, ...).
    let error = tenant
        .create_ticket(&ticket("cost-optimization", "too much"))
        .await
        .expect_err("the cap holds");
    assert!(format!("{error:#}").contains("trapped"), "{error:#}");
    // Rebuilt with its settings: the origin stays, and the next call is answered by a
    // configured instance (a paused category is skipped, no request needed), not a
    // fresh one that says it is not configured.
    assert_eq!(tenant.allowed_origin(), Some(sim.base_url().as_str()));
    let outcome = tenant
        .create_ticket(&ticket("paused", "after the trap"))
        .await
        .expect("no trap: the rebuilt tenant answers")
        .expect("a configured tenant skips a paused category");
    assert!(
        matches!(&outcome, CreateOutcome::Skipped(why) if why.contains("paused")),
        "{outcome:?}"
    );
}
