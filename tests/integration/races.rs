//! One event, several workers at once: a platform that outgrows one process runs several,
//! and at-least-once delivery can hand the same event to two of them at the same moment.
//! However many race, one ticket stays open for the event once they return.

use std::time::Duration;

use serde_json::{Map, Value};
use servicenow_simulator::Simulator;
use ticketing_host::Tenant;
use ticketing_host::api::{CreateOutcome, TicketRecord};

use support::{configured, host, settings, ticket};

const RACERS: usize = 4;
const EVENT: &str = "evt-idle-vm-i-0abc";

/// The record every outcome names: the created ticket, or the existing one answered.
fn named(outcome: &CreateOutcome) -> &TicketRecord {
    match outcome {
        CreateOutcome::Created(written) => &written.ticket,
        CreateOutcome::Existing(record) => record,
        other => panic!("neither created nor existing: {other:?}"),
    }
}

fn text<'a>(row: &'a Map<String, Value>, column: &str) -> &'a str {
    row.get(column).and_then(Value::as_str).unwrap_or("")
}

/// `tenants` create the same event's ticket all at once; each answers with its tenant.
async fn race(tenants: Vec<Tenant>) -> Vec<CreateOutcome> {
    let mut event = ticket("cost-optimization", "Idle VM i-0abc");
    event.correlation_id = Some(EVENT.into());
    let tasks: Vec<_> = tenants
        .into_iter()
        .map(|mut tenant| {
            let event = event.clone();
            tokio::spawn(async move {
                tenant
                    .create_ticket(&event)
                    .await
                    .expect("no trap")
                    .expect("a ticket for the event")
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.expect("the racer finished"));
    }
    outcomes
}

/// The incidents carrying the event's correlation id, oldest first.
fn event_incidents(sim: &Simulator) -> Vec<Map<String, Value>> {
    sim.records("incident")
        .into_iter()
        .filter(|row| text(row, "correlation_id") == EVENT)
        .collect()
}

/// Workers in separate processes share no lock: each tenant here is its own (another id), as
/// another process's would be. Every answer takes a second, so all of them look before any
/// inserts, and all insert. Once they return: one open incident, the oldest; each of the
/// others closed as its duplicate, with the `Duplicate` close code and a note naming it; every
/// racer answered with the open one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_workers_leave_one_open_ticket_and_close_their_duplicates() {
    let sim = support::instance().await;
    let form = settings(&sim);
    let mut tenants = Vec::new();
    for i in 0..RACERS {
        tenants.push(configured(host(), &format!("worker-{i}"), &sim, &form).await);
    }
    sim.freeze_clock();
    sim.update_faults(|faults| faults.stall = Some(Duration::from_secs(1)));
    let outcomes = race(tenants).await;
    sim.update_faults(|faults| faults.stall = None);

    let incidents = event_incidents(&sim);
    assert_eq!(
        incidents.len(),
        RACERS,
        "each racer inserted: {incidents:#?}"
    );
    let open: Vec<&Map<String, Value>> = incidents
        .iter()
        .filter(|row| text(row, "active") == "true")
        .collect();
    assert_eq!(open.len(), 1, "{incidents:#?}");
    let survivor = open[0];
    assert_eq!(
        text(survivor, "number"),
        text(&incidents[0], "number"),
        "the oldest stays open"
    );
    for row in incidents.iter().filter(|row| text(row, "active") != "true") {
        assert_eq!(text(row, "state"), "6", "{row:#?}");
        assert_eq!(text(row, "close_code"), "Duplicate");
        assert!(text(row, "close_notes").contains(text(survivor, "number")));
        let notes = sim.journal("incident", text(row, "sys_id"));
        assert!(
            notes
                .iter()
                .any(|n| n.element == "work_notes" && n.value.contains(text(survivor, "number"))),
            "{notes:?}"
        );
    }
    assert!(
        sim.journal("incident", text(survivor, "sys_id")).is_empty(),
        "nobody wrote to the ticket that carries the event"
    );
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, CreateOutcome::Created(_)))
        .count();
    assert_eq!(created, 1, "{outcomes:#?}");
    for outcome in &outcomes {
        assert_eq!(named(outcome).id, text(survivor, "sys_id"), "{outcome:?}");
    }
}

/// Instances of one tenant in one host take turns for one correlation id: the first creates,
/// the others find its ticket. No duplicate is ever made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_of_one_tenant_in_one_host_take_turns() {
    let sim = support::instance().await;
    let form = settings(&sim);
    let mut tenants = Vec::new();
    for _ in 0..RACERS {
        tenants.push(configured(host(), "one-tenant", &sim, &form).await);
    }
    sim.update_faults(|faults| faults.stall = Some(Duration::from_millis(300)));
    let outcomes = race(tenants).await;
    sim.update_faults(|faults| faults.stall = None);

    assert_eq!(event_incidents(&sim).len(), 1);
    let created = outcomes
        .iter()
        .filter(|o| matches!(o, CreateOutcome::Created(_)))
        .count();
    assert_eq!(created, 1, "{outcomes:#?}");
    let first = named(&outcomes[0]).id.clone();
    assert!(outcomes.iter().all(|o| named(o).id == first));
}
