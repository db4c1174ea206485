//! The token cache: one token for many tickets, replaced when it expires or is refused.

use std::time::Duration;

use ticketing_host::api::ErrorKind;

use support::{create_error, open, setup, table_calls};

#[tokio::test]
async fn n_tickets_cost_one_token_request() {
    let (sim, mut tenant) = setup().await;
    for i in 0..5 {
        open(&mut tenant, "cost-optimization", &format!("event {i}")).await;
    }
    assert_eq!(sim.token_requests(), 1);
    assert_eq!(table_calls(&sim, "POST").len(), 5);
    let numbers: Vec<_> = sim
        .records("incident")
        .iter()
        .map(|r| r["number"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        numbers,
        [
            "INC0010001",
            "INC0010002",
            "INC0010003",
            "INC0010004",
            "INC0010005"
        ]
    );
}

#[tokio::test]
async fn an_expired_token_is_replaced_before_use() {
    let (sim, mut tenant) = setup().await;
    open(&mut tenant, "cost-optimization", "one").await;
    // Half an hour passes on both sides: the cached token is past its lifetime.
    sim.advance_clock(Duration::from_secs(1800));
    tenant.advance_clock(Duration::from_secs(1800));
    open(&mut tenant, "cost-optimization", "two").await;
    assert_eq!(sim.token_requests(), 2);
    // Replaced before use: after the first ticket came a token request, then the second
    // ticket, and no refused attempt in between.
    let after_first: Vec<String> = sim
        .requests()
        .iter()
        .skip_while(|r| r.path != "/api/now/table/incident")
        .skip(1)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        after_first,
        ["POST /oauth_token.do", "POST /api/now/table/incident"]
    );
}

#[tokio::test]
async fn a_token_revoked_early_gets_one_retry() {
    let (sim, mut tenant) = setup().await;
    open(&mut tenant, "cost-optimization", "one").await;
    // The instance drops its tokens while the tenant still trusts its cached one.
    sim.expire_all_tokens();
    open(&mut tenant, "cost-optimization", "two").await;
    assert_eq!(sim.token_requests(), 2);
    assert_eq!(
        table_calls(&sim, "POST").len(),
        3,
        "one refused, then the retry"
    );
    assert_eq!(sim.records("incident").len(), 2);
}

#[tokio::test]
async fn a_401_is_retried_once_and_only_once() {
    let (sim, mut tenant) = setup().await;
    sim.update_faults(|f| f.reject_tokens = true);
    let error = create_error(&mut tenant).await;
    assert_eq!(error.kind, ErrorKind::NotAuthenticated);
    assert_eq!(error.http_status, Some(401));
    assert_eq!(sim.token_requests(), 2);
    assert_eq!(table_calls(&sim, "POST").len(), 2);
    // Once the instance accepts tokens again, the same instance carries on.
    sim.update_faults(|f| f.reject_tokens = false);
    open(&mut tenant, "cost-optimization", "y").await;
}
