//! Managing a ticket after creating it: read, update, comment, resolve, dedupe.

use serde_json::json;
use servicenow_simulator::Canned;
use ticketing_host::api::{
    CommentKind, CreateOutcome, ErrorKind, Field, Priority, Resolution, ResolveOutcome,
    TicketChanges, TicketRef,
};

use support::{
    category, close_on_instance, configure_ok, configured, create, field, host, incident, open,
    settings, setup, table_calls, ticket,
};

fn resolution(code: &str) -> Resolution {
    Resolution {
        code: code.into(),
        notes: "Rightsized the VM.".into(),
    }
}

fn correlated(id: &str) -> ticketing_host::api::Ticket {
    let mut t = ticket("cost-optimization", "Idle VM");
    t.correlation_id = Some(id.into());
    t
}

#[tokio::test]
async fn get_by_number_or_sys_id() {
    let (sim, mut tenant) = setup().await;
    let mut t = ticket("cost-optimization", "Idle VM");
    t.priority = Some(Priority::Critical);
    let record = create(&mut tenant, &t).await;
    for id in [record.display_id.clone(), record.id.clone()] {
        let details = tenant.get_ticket(&incident(&id)).await.unwrap().unwrap();
        assert_eq!(details.ticket, record);
        assert_eq!(
            (details.status.value.as_str(), details.status.label.as_str()),
            ("1", "New")
        );
        assert_eq!(details.priority, Some(Priority::Critical));
        assert_eq!(field(&details, "priority"), "1");
        assert_eq!(field(&details, "active"), "true");
        assert_eq!(details.title, "Idle VM");
        assert!(details.ticket.link.starts_with(&sim.base_url()));
    }
    let error = tenant
        .get_ticket(&incident("INC0099999"))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::NotFound);
    let error = tenant
        .get_ticket(&incident("not a ticket"))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidTicket);
}

#[tokio::test]
async fn update_writes_impact_urgency_and_reports_fields_that_did_not_stick() {
    let (sim, mut tenant) = setup().await;
    let record = open(&mut tenant, "cost-optimization", "x").await;
    let changes = TicketChanges {
        priority: Some(Priority::High),
        assignment_group: Some("Network".into()),
        title: None,
        description: Some("Now with numbers.".into()),
        extra_fields: vec![Field {
            name: "u_not_a_column".into(),
            value: "1".into(),
        }],
    };
    let result = tenant
        .update_ticket(&incident(&record.display_id), &changes)
        .await
        .unwrap()
        .unwrap();
    let [not_applied] = result.not_applied.as_slice() else {
        panic!("one field not applied: {:?}", result.not_applied)
    };
    assert_eq!(not_applied.field, "u_not_a_column");
    assert!(
        not_applied.reason.contains("no such column"),
        "{}",
        not_applied.reason
    );
    assert_eq!(result.ticket.priority, Some(Priority::High));
    let patch = table_calls(&sim, "PATCH").pop().unwrap();
    assert_eq!(patch.path, format!("/api/now/table/incident/{}", record.id));
    let body = patch.json_body().unwrap();
    assert_eq!(
        (body["impact"].as_str(), body["urgency"].as_str()),
        (Some("1"), Some("2"))
    );
    assert!(body.get("priority").is_none());
    let network = sim
        .records("sys_user_group")
        .into_iter()
        .find(|g| g["name"] == "Network")
        .unwrap();
    assert_eq!(
        result.ticket.assignment_group,
        network["sys_id"].as_str().unwrap()
    );
}

/// State is the provider's to set, with the close fields ServiceNow's data policy wants
/// alongside: an extra field cannot set it.
#[tokio::test]
async fn state_is_not_an_extra_field() {
    let (sim, mut tenant) = setup().await;
    let record = open(&mut tenant, "cost-optimization", "x").await;
    let changes = TicketChanges {
        priority: None,
        assignment_group: None,
        title: None,
        description: None,
        extra_fields: vec![Field {
            name: "state".into(),
            value: "6".into(),
        }],
    };
    let error = tenant
        .update_ticket(&incident(&record.display_id), &changes)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidTicket, "{error:?}");
    assert!(
        error.message.contains("resolve the ticket"),
        "{}",
        error.message
    );
    assert!(table_calls(&sim, "PATCH").is_empty());
}

/// A data policy or business rule on the instance that refuses the resolution (one that
/// wants a field this integration does not know) is named as such.
#[tokio::test]
async fn a_resolution_the_data_policy_refuses_is_named() {
    let (sim, mut tenant) = setup().await;
    let record = open(&mut tenant, "cost-optimization", "x").await;
    let refusal = r#"{"error":{"message":"Operation Failed","detail":"Data Policy Exception: \n The following fields are mandatory: Caller"},"status":"failure"}"#;
    sim.update_faults(|f| {
        f.canned = vec![Canned::json(
            &format!("/api/now/table/incident/{}", record.id),
            403,
            refusal,
        )]
    });
    let error = tenant
        .resolve_ticket(
            &incident(&record.display_id),
            &resolution("Solution provided"),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::RejectedByPolicy, "{error:?}");
    assert!(
        error
            .message
            .contains("The following fields are mandatory: Caller"),
        "{}",
        error.message
    );
    assert!(
        !error.message.contains('\n'),
        "server text is made printable"
    );
}

#[tokio::test]
async fn comments_are_journal_entries() {
    let (sim, mut tenant) = setup().await;
    let record = open(&mut tenant, "cost-optimization", "x").await;
    let r = incident(&record.display_id);
    tenant
        .add_comment(&r, CommentKind::Internal, "internal detail")
        .await
        .unwrap()
        .unwrap();
    tenant
        .add_comment(&r, CommentKind::Public, "we are on it")
        .await
        .unwrap()
        .unwrap();
    let journal: Vec<(String, String)> = sim
        .journal("incident", &record.id)
        .into_iter()
        .map(|e| (e.element, e.value))
        .collect();
    assert_eq!(
        journal,
        [
            ("work_notes".to_string(), "internal detail".to_string()),
            ("comments".to_string(), "we are on it".to_string())
        ]
    );
    let error = tenant
        .add_comment(&r, CommentKind::Internal, "  ")
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidTicket);
}

#[tokio::test]
async fn resolve_sends_state_and_close_fields_together() {
    let (sim, mut tenant) = setup().await;
    let record = open(&mut tenant, "cost-optimization", "x").await;
    let r = incident(&record.display_id);

    let error = tenant
        .resolve_ticket(&r, &resolution("Fixed it"))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidTicket);
    assert!(
        error.message.contains("Solution provided"),
        "{}",
        error.message
    );
    assert!(
        table_calls(&sim, "PATCH").is_empty(),
        "nothing written for a bad close code"
    );

    match tenant
        .resolve_ticket(&r, &resolution("Solution provided"))
        .await
        .unwrap()
        .unwrap()
    {
        ResolveOutcome::Resolved(details) => {
            assert_eq!(
                (details.status.value.as_str(), details.status.label.as_str()),
                ("6", "Resolved")
            );
            assert_eq!(field(&details, "active"), "false");
            assert!(details.status.done);
        }
        other => panic!("{other:?}"),
    }
    let patches = table_calls(&sim, "PATCH");
    assert_eq!(patches.len(), 1);
    let body = patches[0].json_body().unwrap();
    assert_eq!(
        body,
        json!({"state": "6", "close_code": "Solution provided", "close_notes": "Rightsized the VM."})
    );

    assert!(matches!(
        tenant
            .resolve_ticket(&r, &resolution("Solution provided"))
            .await
            .unwrap()
            .unwrap(),
        ResolveOutcome::AlreadyResolved(_)
    ));
    assert!(matches!(
        tenant
            .resolve_ticket(&incident("INC0099999"), &resolution("Solution provided"))
            .await
            .unwrap()
            .unwrap(),
        ResolveOutcome::NotFound(_)
    ));
}

#[tokio::test]
async fn change_requests_close_with_their_own_codes() {
    let (_sim, mut tenant) = setup().await;
    let record = open(&mut tenant, "maintenance", "Resize").await;
    let r = TicketRef {
        kind: "change_request".into(),
        id: record.display_id.clone(),
    };
    let error = tenant
        .resolve_ticket(&r, &resolution("Solution provided"))
        .await
        .unwrap()
        .unwrap_err();
    assert!(
        error.message.contains("successful_issues"),
        "{}",
        error.message
    );
    match tenant
        .resolve_ticket(&r, &resolution("successful"))
        .await
        .unwrap()
        .unwrap()
    {
        ResolveOutcome::Resolved(details) => assert_eq!(details.status.label, "Closed"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_repeated_event_adds_a_work_note_instead_of_a_duplicate() {
    let (sim, mut tenant) = setup().await;
    let first = create(&mut tenant, &correlated("opp-1")).await;
    match tenant
        .create_ticket(&correlated("opp-1"))
        .await
        .unwrap()
        .unwrap()
    {
        CreateOutcome::Existing(record) => assert_eq!(record, first),
        other => panic!("{other:?}"),
    }
    assert_eq!(sim.records("incident").len(), 1);
    let notes = sim.journal("incident", &first.id);
    assert_eq!(notes.len(), 1);
    assert!(notes[0].value.contains("saw this event again"));
    // Another correlation id is another ticket.
    create(&mut tenant, &correlated("opp-2")).await;
    assert_eq!(sim.records("incident").len(), 2);
}

/// The host serialises calls per instance (`&mut Tenant`), so what a platform can really hit
/// is one tenant's settings on two instances: a ticket one of them created must be what the
/// other finds and returns, not a second ticket.
#[tokio::test]
async fn two_instances_of_one_tenant_find_each_others_ticket() {
    let (sim, mut first) = setup().await;
    let mut second = configured(host(), "test-tenant", &sim, &settings(&sim)).await;
    let made = create(&mut first, &correlated("opp-9")).await;
    match second
        .create_ticket(&correlated("opp-9"))
        .await
        .unwrap()
        .unwrap()
    {
        CreateOutcome::Existing(record) => assert_eq!(record, made),
        other => panic!("the second instance did not find the first one's ticket: {other:?}"),
    }
    assert_eq!(sim.records("incident").len(), 1);
    assert_eq!(sim.journal("incident", &made.id).len(), 1);
}

#[tokio::test]
async fn a_closed_match_opens_a_new_ticket_that_names_it() {
    let (sim, mut tenant) = setup().await;
    let first = create(&mut tenant, &correlated("opp-3")).await;
    // Someone resolves it on the instance.
    close_on_instance(&sim, &first.id, "7");
    let second = create(&mut tenant, &correlated("opp-3")).await;
    assert_ne!(second.id, first.id);
    let stored = sim
        .records("incident")
        .into_iter()
        .find(|r| r["sys_id"] == second.id.as_str())
        .unwrap();
    assert!(
        stored["description"]
            .as_str()
            .unwrap()
            .starts_with(&format!("Follows {}", first.display_id))
    );
}

#[tokio::test]
async fn a_closed_match_can_be_reopened_instead() {
    let (sim, mut tenant) = setup().await;
    let mut s = settings(&sim);
    s.on_closed_match = Some("reopen");
    configure_ok(&mut tenant, &sim, &s).await;
    let first = create(&mut tenant, &correlated("opp-4")).await;
    close_on_instance(&sim, &first.id, "6");
    match tenant
        .create_ticket(&correlated("opp-4"))
        .await
        .unwrap()
        .unwrap()
    {
        CreateOutcome::Reopened(record) => assert_eq!(record.id, first.id),
        other => panic!("{other:?}"),
    }
    let details = tenant
        .get_ticket(&incident(&first.display_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(details.status.label, "In Progress");
    assert_eq!(field(&details, "active"), "true");
    assert_eq!(sim.records("incident").len(), 1);
}

async fn resolve(tenant: &mut ticketing_host::Tenant, correlation_id: &str) -> ResolveOutcome {
    tenant
        .resolve_by_correlation(
            "cost-optimization",
            correlation_id,
            &resolution("Solution provided"),
        )
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_recovered_event_resolves_its_ticket_by_correlation_id() {
    let (_sim, mut tenant) = setup().await;
    let first = create(&mut tenant, &correlated("opp-5")).await;
    match resolve(&mut tenant, "opp-5").await {
        ResolveOutcome::Resolved(details) => {
            assert_eq!(details.ticket.display_id, first.display_id)
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        resolve(&mut tenant, "opp-5").await,
        ResolveOutcome::AlreadyResolved(_)
    ));
    assert!(matches!(
        resolve(&mut tenant, "never-seen").await,
        ResolveOutcome::NotFound(_)
    ));
}

#[tokio::test]
async fn problems_cannot_be_resolved_through_the_table_api() {
    let (sim, mut tenant) = setup().await;
    let mut s = settings(&sim);
    s.ticket_categories
        .push(category("root-cause", "problem", true));
    configure_ok(&mut tenant, &sim, &s).await;
    let problem = create(&mut tenant, &ticket("root-cause", "Recurring disk alerts")).await;
    assert!(problem.display_id.starts_with("PRB"), "{problem:?}");
    let r = TicketRef {
        kind: "problem".into(),
        id: problem.display_id.clone(),
    };
    sim.clear_requests();
    let error = tenant
        .resolve_ticket(&r, &resolution("Solution provided"))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidTicket, "{error:?}");
    assert!(
        error
            .message
            .contains("problem records cannot be resolved through the Table API"),
        "{}",
        error.message
    );
    // Refused before any write: the problem is as it was created.
    assert!(table_calls(&sim, "PATCH").is_empty());
    assert!(table_calls(&sim, "PUT").is_empty());
    let stored = sim.records("problem");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["state"], "101");
}
