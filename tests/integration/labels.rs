//! Status labels as the instance shows them (docs/servicenow/table-api.md#display-values): a
//! state an admin added, an instance in another language, a state nobody knows, through
//! get-ticket, update, resolve and changes-since.

use std::time::Duration;

use serde_json::{Map, Value, json};
use servicenow_simulator::{AGENT_USER_NAME, Simulator};
use ticketing_host::Tenant;
use ticketing_host::api::{
    Resolution, ResolveOutcome, TicketChange, TicketChanges, TicketRef, TicketStatus,
};

use support::{category, configure_ok, incident, open, settings, setup, table_calls};

fn fields(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn status(value: &str, label: &str, done: bool) -> TicketStatus {
    TicketStatus {
        value: value.into(),
        label: label.into(),
        done,
    }
}

/// A simulator whose clock moves only when told, a tenant, and a changes cursor at now.
async fn polling() -> (Simulator, Tenant, String) {
    let (sim, mut tenant) = setup().await;
    sim.freeze_clock();
    let start = tenant.changes_since(None).await.unwrap().unwrap();
    sim.advance_clock(Duration::from_secs(1));
    (sim, tenant, start.cursor)
}

/// What changed after `cursor`, once the writes so far have settled; the next cursor.
async fn changed(
    sim: &Simulator,
    tenant: &mut Tenant,
    cursor: &str,
) -> (Vec<TicketChange>, String) {
    sim.advance_clock(Duration::from_secs(2));
    let page = tenant.changes_since(Some(cursor)).await.unwrap().unwrap();
    assert!(!page.more, "{page:?}");
    (page.changes, page.cursor)
}

async fn status_of(tenant: &mut Tenant, ticket: &TicketRef) -> TicketStatus {
    tenant.get_ticket(ticket).await.unwrap().unwrap().status
}

#[tokio::test]
async fn a_state_an_admin_added_reads_with_its_label_done_once_inactive() {
    let (sim, mut tenant, cursor) = polling().await;
    sim.add_state_choice("incident", "100", "Awaiting Vendor")
        .unwrap();
    let record = open(&mut tenant, "cost-optimization", "Idle VM").await;
    let ticket = incident(&record.display_id);
    sim.agent_update(
        "incident",
        &record.id,
        fields(json!({"state": "100"})),
        AGENT_USER_NAME,
    )
    .expect("the agent moves it to the new state");
    let waiting = status("100", "Awaiting Vendor", false);
    assert_eq!(status_of(&mut tenant, &ticket).await, waiting);
    let (seen, cursor) = changed(&sim, &mut tenant, &cursor).await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].status, waiting);
    let changes = TicketChanges {
        priority: None,
        assignment_group: None,
        title: Some("Idle VM, vendor asked".into()),
        description: None,
        extra_fields: vec![],
    };
    let updated = tenant
        .update_ticket(&ticket, &changes)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(updated.ticket.status, waiting, "the update's outcome too");

    // A script closes it without leaving the state: inactive is done.
    sim.advance_clock(Duration::from_secs(1));
    sim.update_record("incident", &record.id, fields(json!({"active": "false"})))
        .unwrap();
    let closed = status("100", "Awaiting Vendor", true);
    assert_eq!(status_of(&mut tenant, &ticket).await, closed);
    let (seen, _) = changed(&sim, &mut tenant, &cursor).await;
    assert_eq!(seen.last().map(|c| &c.status), Some(&closed), "{seen:?}");

    // The reads that build a status ask for display values; create's insert does not.
    let gets = table_calls(&sim, "GET");
    assert!(
        gets.iter()
            .filter(|r| r.path.starts_with("/api/now/table/incident"))
            .all(|r| r.query_param("sysparm_display_value").as_deref() == Some("all"))
    );
    for r in table_calls(&sim, "PATCH") {
        assert_eq!(
            r.query_param("sysparm_display_value").as_deref(),
            Some("all")
        );
    }
    for r in table_calls(&sim, "POST") {
        assert_eq!(r.query_param("sysparm_display_value"), None);
    }
}

#[tokio::test]
async fn a_german_instance_reads_resolved_as_geloest() {
    let (sim, mut tenant, cursor) = polling().await;
    sim.translate_state_choice("incident", "6", "de", "Gelöst")
        .unwrap();
    sim.set_language("de");
    let record = open(&mut tenant, "cost-optimization", "Idle VM").await;
    let ticket = incident(&record.display_id);
    // An untranslated state shows in English, as the instance shows it.
    assert_eq!(
        status_of(&mut tenant, &ticket).await,
        status("1", "New", false)
    );
    let resolution = Resolution {
        code: "Solution provided".into(),
        notes: "Rightsized the VM.".into(),
    };
    let outcome = tenant
        .resolve_ticket(&ticket, &resolution)
        .await
        .unwrap()
        .unwrap();
    let resolved = status("6", "Gelöst", true);
    match outcome {
        ResolveOutcome::Resolved(details) => assert_eq!(details.status, resolved),
        other => panic!("{other:?}"),
    }
    assert_eq!(status_of(&mut tenant, &ticket).await, resolved);
    match tenant
        .resolve_ticket(&ticket, &resolution)
        .await
        .unwrap()
        .unwrap()
    {
        ResolveOutcome::AlreadyResolved(details) => assert_eq!(details.status, resolved),
        other => panic!("{other:?}"),
    }
    let (seen, _) = changed(&sim, &mut tenant, &cursor).await;
    assert_eq!(seen.last().map(|c| &c.status), Some(&resolved), "{seen:?}");
    // The dates under display values are in the user's format: the cursor still reads them.
    assert_eq!(
        seen.last().unwrap().updated_at,
        sim.records("incident")[0]["sys_updated_on"]
    );
}

#[tokio::test]
async fn a_state_unknown_to_both_is_done_when_inactive() {
    let (sim, mut tenant) = setup().await;
    let mut form = settings(&sim);
    form.ticket_categories
        .push(category("finding", "u_cost_finding", true));
    configure_ok(&mut tenant, &sim, &form).await;
    let row = sim.insert_record(
        "u_cost_finding",
        fields(json!({"state": "42", "active": "false", "short_description": "Idle VM"})),
    );
    let ticket = TicketRef {
        kind: "u_cost_finding".into(),
        id: row["sys_id"].as_str().unwrap().into(),
    };
    // No choice and no built-in model: the instance shows the value as it is.
    assert_eq!(
        status_of(&mut tenant, &ticket).await,
        status("42", "42", true)
    );
    sim.update_record(
        "u_cost_finding",
        &ticket.id,
        fields(json!({"active": "true"})),
    )
    .unwrap();
    assert_eq!(
        status_of(&mut tenant, &ticket).await,
        status("42", "42", false)
    );
}
