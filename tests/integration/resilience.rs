//! ServiceNow's ordinary failures, survived: rate limits and outages are waited out within
//! bounds, a lost create is never duplicated, and answers that are not what they claim are
//! specific errors. After each, the same tenant serves the next call.

use std::time::Duration;

use servicenow_simulator::{Canned, Simulator};
use ticketing_host::Tenant;
use ticketing_host::api::{CreateOutcome, ErrorKind, Ticket, TicketRef};

use support::{create, open, setup, table_calls, ticket};

fn correlated(id: &str) -> Ticket {
    let mut t = ticket("cost-optimization", "Idle VM");
    t.correlation_id = Some(id.into());
    t
}

fn incidents_with(sim: &Simulator, correlation_id: &str) -> usize {
    sim.records("incident")
        .iter()
        .filter(|r| r["correlation_id"] == correlation_id)
        .count()
}

async fn error_of(tenant: &mut Tenant, ticket: &Ticket) -> ticketing_host::api::Error {
    tenant.create_ticket(ticket).await.unwrap().unwrap_err()
}

#[tokio::test]
async fn a_rate_limit_that_lifts_is_waited_out() {
    let (sim, mut tenant) = setup().await;
    sim.update_faults(|f| f.rate_limited_calls = 2);
    let record = open(&mut tenant, "cost-optimization", "after the limit").await;
    assert_eq!(
        table_calls(&sim, "POST").len(),
        3,
        "two refused, one stored"
    );
    assert_eq!(sim.records("incident").len(), 1);
    assert!(record.display_id.starts_with("INC"));
}

#[tokio::test]
async fn a_rate_limit_for_the_hour_is_the_platforms_to_wait() {
    let (sim, mut tenant) = setup().await;
    sim.update_faults(|f| f.rate_limit = Some(3600));
    let error = error_of(&mut tenant, &ticket("cost-optimization", "x")).await;
    assert_eq!(error.kind, ErrorKind::RateLimited);
    assert_eq!(error.retry_after_seconds, Some(3600));
    assert_eq!(error.http_status, Some(429));
    // Not waited for, not hammered: one try.
    assert_eq!(table_calls(&sim, "POST").len(), 1);
    sim.update_faults(|f| f.rate_limit = None);
    open(&mut tenant, "cost-optimization", "later").await;
}

#[tokio::test]
async fn reads_wait_out_a_short_outage() {
    let (sim, mut tenant) = setup().await;
    let record = open(&mut tenant, "cost-optimization", "x").await;
    sim.update_faults(|f| f.unavailable_calls = 2);
    let reference = TicketRef {
        kind: record.kind.clone(),
        id: record.display_id.clone(),
    };
    let details = tenant.get_ticket(&reference).await.unwrap().unwrap();
    assert_eq!(details.ticket.id, record.id);
    assert_eq!(sim.faults().unavailable_calls, 0);
}

#[tokio::test]
async fn a_lost_create_answer_with_a_correlation_id_makes_one_ticket() {
    let (sim, mut tenant) = setup().await;
    sim.update_faults(|f| f.lost_insert_answers = 1);
    let written = create(&mut tenant, &correlated("opp-lost")).await;
    assert_eq!(incidents_with(&sim, "opp-lost"), 1);
    assert_eq!(
        table_calls(&sim, "POST").len(),
        1,
        "the POST was not repeated"
    );
    // The platform retrying the event finds the same ticket.
    let again = tenant
        .create_ticket(&correlated("opp-lost"))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(again, CreateOutcome::Existing(r) if r.id == written.id));
    assert_eq!(incidents_with(&sim, "opp-lost"), 1);
}

#[tokio::test]
async fn a_create_refused_before_it_ran_is_created_once_the_instance_is_back() {
    let (sim, mut tenant) = setup().await;
    open(&mut tenant, "cost-optimization", "warm the token").await;
    // The create meets the 503; the lookup after it finds nothing and the create is sent again.
    sim.update_faults(|f| f.unavailable_calls = 1);
    create(&mut tenant, &correlated("opp-503")).await;
    assert_eq!(incidents_with(&sim, "opp-503"), 1);
}

#[tokio::test]
async fn a_lost_create_answer_without_correlation_id_is_not_repeated() {
    let (sim, mut tenant) = setup().await;
    sim.update_faults(|f| f.lost_insert_answers = 1);
    let error = error_of(&mut tenant, &ticket("cost-optimization", "once")).await;
    assert_eq!(error.kind, ErrorKind::ServiceUnavailable);
    assert_eq!(error.http_status, Some(502));
    assert!(
        error.message.contains("may have been created"),
        "{}",
        error.message
    );
    assert_eq!(table_calls(&sim, "POST").len(), 1);
    assert_eq!(sim.records("incident").len(), 1, "it was stored, once");
    open(&mut tenant, "cost-optimization", "next").await;
}

/// Answers that are not what they claim: each a specific error, never a trap, never a
/// success; the tenant works on the next call.
#[tokio::test]
async fn answers_that_are_not_what_they_claim() {
    let (sim, mut tenant) = setup().await;
    let table = "/api/now/table/incident";
    let token = "/oauth_token.do";
    let html = |path: &str, status, body: &str| Canned {
        path: path.into(),
        status,
        content_type: "text/html",
        body: body.into(),
    };
    let cases = [
        (
            html(table, 200, "<html><title>Sign in</title></html>"),
            ErrorKind::NotTheService,
            "text/html",
        ),
        (
            Canned::json(table, 201, r#"{"result":{"sys_id":"0123456789abcdef0123"#),
            ErrorKind::UnexpectedResponse,
            "not a Table API result: EOF",
        ),
        (
            Canned::json(
                table,
                200,
                r#"{"result":{},"error":{"message":"Transaction cancelled: maximum execution time exceeded","detail":""},"status":"failure"}"#,
            ),
            ErrorKind::UnexpectedResponse,
            "maximum execution time exceeded",
        ),
        (
            Canned::json(table, 201, ""),
            ErrorKind::UnexpectedResponse,
            "not a Table API result: EOF",
        ),
        (
            Canned::json(table, 201, r#"{"result":{"number":"INC0010009"}}"#),
            ErrorKind::UnexpectedResponse,
            "missing field `sys_id`",
        ),
        (
            Canned::json(table, 201, r#"{"result":{"sys_id":"../../sys_user"}}"#),
            ErrorKind::UnexpectedResponse,
            "32 lower-case hex",
        ),
        (
            Canned::json(token, 200, r#"{"token_type":"Bearer"}"#),
            ErrorKind::UnexpectedResponse,
            "missing field `access_token`",
        ),
        (
            Canned::json(token, 200, r#"{"access_token":"t","expires_in":"soon"}"#),
            ErrorKind::UnexpectedResponse,
            "invalid type: string \"soon\"",
        ),
    ];
    for (canned, kind, says) in cases {
        sim.expire_all_tokens();
        sim.update_faults(|f| f.canned = vec![canned.clone()]);
        let error = error_of(&mut tenant, &ticket("cost-optimization", "x")).await;
        assert_eq!(error.kind, kind, "{canned:?}: {error:?}");
        assert!(
            error.message.contains(says),
            "{canned:?}: {}",
            error.message
        );
        assert_eq!(sim.faults().canned, vec![], "the canned answer was used");
    }
    // Without expires_in, ServiceNow's default lifespan is assumed; an absurd one is capped.
    for grant in [
        r#"{"access_token":"tok-a","token_type":"Bearer"}"#,
        r#"{"access_token":"tok-b","expires_in":18446744073709551615}"#,
    ] {
        // Past any lifespan the tenant may hold, so it asks for a token and gets this grant.
        tenant.advance_clock(Duration::from_secs(2 * 24 * 60 * 60));
        sim.update_faults(|f| f.canned = vec![Canned::json(token, 200, grant)]);
        // The instance does not know these tokens: one 401, a fresh token, then it works.
        open(&mut tenant, "cost-optimization", "after an odd grant").await;
        assert_eq!(sim.faults().canned, vec![], "the grant was given");
    }
    open(&mut tenant, "cost-optimization", "still fine").await;
}

/// JSON nested as deep as serde_json parses (128 levels) and deeper, in arrays and in
/// objects, in a Table API answer and in an error answer: never a trap (the component's
/// stack is 64 KiB, `.cargo/config.toml`), and the tenant works on the next call.
#[tokio::test]
async fn deeply_nested_answers_do_not_exhaust_the_stack() {
    let (sim, mut tenant) = setup().await;
    let table = "/api/now/table/incident";
    let arrays = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let objects = |depth: usize| format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
    for depth in [120, 126, 127, 128, 129, 1000] {
        for nested in [arrays(depth), objects(depth)] {
            for (status, body) in [
                (
                    201,
                    format!(
                        r#"{{"result":{{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001","x":{nested}}}}}"#
                    ),
                ),
                (201, format!(r#"{{"result":{nested}}}"#)),
                (
                    400,
                    format!(r#"{{"error":{{"message":{nested}}},"status":"failure"}}"#),
                ),
                (200, nested.clone()),
            ] {
                sim.update_faults(|f| f.canned = vec![Canned::json(table, status, &body)]);
                let answer = tenant
                    .create_ticket(&ticket("cost-optimization", "deep"))
                    .await;
                assert!(
                    answer.is_ok(),
                    "depth {depth}, {status}: trapped: {answer:?}"
                );
            }
        }
    }
    sim.update_faults(|f| f.canned = vec![]);
    open(&mut tenant, "cost-optimization", "after deep answers").await;
}
