//! The component's log of its exchanges with ServiceNow, as the host keeps it for the admin.

use ticketing_host::api::log::{Exchange, Level};
use ticketing_host::{LogEvent, Tenant};

use support::{open, setup};

fn exchanges(tenant: &Tenant) -> Vec<Exchange> {
    tenant
        .log()
        .into_iter()
        .filter_map(|entry| match entry.event {
            LogEvent::Exchange(exchange) => Some(exchange),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn every_exchange_is_logged_without_query_values() {
    let (sim, mut tenant) = setup().await;
    open(&mut tenant, "cost-optimization", "logged").await;
    let logged: Vec<(String, String, Option<u16>, u32)> = exchanges(&tenant)
        .into_iter()
        .map(|e| (e.method, e.path, e.status, e.attempt))
        .collect();
    assert_eq!(
        logged,
        [
            ("POST".into(), "/oauth_token.do".into(), Some(200), 1),
            (
                "POST".into(),
                "/api/now/table/incident".into(),
                Some(201),
                1
            ),
        ]
    );
    // The requests themselves named this plugin to the instance's transaction log.
    for request in sim.requests() {
        let agent = request.header("user-agent").unwrap_or_default();
        assert!(agent.starts_with("cxm-servicenow-ticketing/"), "{agent:?}");
    }
}

#[tokio::test]
async fn retries_and_refusals_are_in_the_log_with_servicenows_message() {
    let (sim, mut tenant) = setup().await;
    sim.update_faults(|f| f.rate_limited_calls = 1);
    open(&mut tenant, "cost-optimization", "after a wait").await;
    let logged = exchanges(&tenant);
    let limited = logged
        .iter()
        .find(|e| e.status == Some(429))
        .expect("the 429 is logged");
    assert_eq!(limited.attempt, 1);
    assert!(
        limited
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("Rate limit of 10 requests per hour"),
        "{limited:?}"
    );
    assert!(
        logged
            .iter()
            .any(|e| e.status == Some(201) && e.attempt == 2)
    );
    let waits: Vec<(Level, String)> = tenant
        .log()
        .into_iter()
        .filter_map(|entry| match entry.event {
            LogEvent::Note(note) => Some((entry.level, note)),
            _ => None,
        })
        .collect();
    assert!(
        waits
            .iter()
            .any(|(_, note)| note.contains("/api/now/table/incident: trying again in 1000 ms")),
        "{waits:?}"
    );
}
