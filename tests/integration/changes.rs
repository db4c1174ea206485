//! changes-since: what support agents did to this integration's tickets in ServiceNow, as the
//! platform polls for it (docs/servicenow/polling.md), through the built component and the
//! simulator's journal, update stamps and keyset queries.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Map, Value, json};
use servicenow_simulator::{AGENT_USER_NAME, DEFAULT_USER_NAME, JournalField, Simulator};
use ticketing_host::Tenant;
use ticketing_host::api::{ChangesPage, CommentKind, ErrorKind, TicketChange};

use support::{incident, open, setup};

async fn changes(tenant: &mut Tenant, cursor: Option<&str>) -> ChangesPage {
    tenant
        .changes_since(cursor)
        .await
        .expect("no trap")
        .expect("changes")
}

/// Polls from `cursor` while more waits: every change in order, and the last cursor.
async fn drain(tenant: &mut Tenant, cursor: &str) -> (Vec<TicketChange>, String, usize) {
    let mut all = Vec::new();
    let mut cursor = cursor.to_string();
    let mut calls = 0;
    loop {
        let page = changes(tenant, Some(&cursor)).await;
        calls += 1;
        all.extend(page.changes);
        cursor = page.cursor;
        if !page.more {
            return (all, cursor, calls);
        }
        assert!(calls < 20, "more never ends");
    }
}

fn fields(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn resolve(sim: &Simulator, sys_id: &str) {
    sim.agent_update(
        "incident",
        sys_id,
        fields(json!({
            "state": "6",
            "close_code": "Solution provided",
            "close_notes": "Rightsized the VM",
        })),
        AGENT_USER_NAME,
    )
    .expect("the agent resolves it");
}

/// An agent moves the incident to the Network group.
fn reassign(sim: &Simulator, sys_id: &str) {
    sim.agent_update(
        "incident",
        sys_id,
        fields(json!({"assignment_group": "Network"})),
        AGENT_USER_NAME,
    )
    .expect("the agent reassigns it");
}

/// A simulator whose clock moves only when told, so that writes land in known seconds.
async fn frozen() -> (Simulator, Tenant) {
    let (sim, tenant) = setup().await;
    sim.freeze_clock();
    (sim, tenant)
}

/// Moves the instance's clock past the settling time of the writes so far: a poll hands out
/// only the records of seconds that are over on the instance's clock by a second (the
/// component's `SETTLE_SECONDS`), which is what a poller a few seconds later sees.
fn settle(sim: &Simulator) {
    sim.advance_clock(Duration::from_secs(2));
}

/// A support agent comments on the ticket, adds a work note a second later, and resolves it;
/// the time of the resolution.
fn agent_comments_and_resolves(sim: &Simulator, sys_id: &str) -> String {
    sim.advance_clock(Duration::from_secs(1));
    sim.agent_comment(
        "incident",
        sys_id,
        JournalField::Comments,
        "Rebooted the VM; watching it",
        AGENT_USER_NAME,
    )
    .unwrap();
    sim.advance_clock(Duration::from_secs(1));
    sim.agent_comment(
        "incident",
        sys_id,
        JournalField::WorkNotes,
        "Rightsizing to t3.small",
        AGENT_USER_NAME,
    )
    .unwrap();
    resolve(sim, sys_id);
    sim.now()
}

/// The change carries the agent's comment and work note of [`agent_comments_and_resolves`],
/// each as the instance's journal holds it, and not the integration's own work note.
fn assert_the_agents_comments_came(sim: &Simulator, change: &TicketChange) {
    let said: Vec<(&str, CommentKind, &str)> = change
        .comments
        .iter()
        .map(|c| (c.text.as_str(), c.kind, c.author.as_str()))
        .collect();
    assert_eq!(
        said,
        [
            (
                "Rebooted the VM; watching it",
                CommentKind::Public,
                AGENT_USER_NAME
            ),
            (
                "Rightsizing to t3.small",
                CommentKind::Internal,
                AGENT_USER_NAME
            ),
        ],
        "the integration's own work note is not among them"
    );
    let journal = sim.journal("incident", &change.ticket.id);
    for comment in &change.comments {
        assert_eq!(comment.id.len(), 32);
        assert!(
            journal
                .iter()
                .any(|e| e.value == comment.text && e.sys_created_on == comment.created_at),
            "{comment:?}"
        );
    }
}

#[tokio::test]
async fn a_ticket_worked_in_servicenow_shows_up_resolved_with_the_agents_comment() {
    let (sim, mut tenant) = frozen().await;
    let start = changes(&mut tenant, None).await;
    assert!(start.changes.is_empty() && !start.more, "{start:?}");

    sim.advance_clock(Duration::from_secs(1));
    let record = open(&mut tenant, "cost-optimization", "Idle VM i-0abc").await;
    tenant
        .add_comment(
            &incident(&record.display_id),
            CommentKind::Internal,
            "Opened by the platform",
        )
        .await
        .unwrap()
        .unwrap();
    // Someone else's incident, not this integration's.
    sim.insert_record(
        "incident",
        fields(json!({"short_description": "printer jam"})),
    );
    let resolved_at = agent_comments_and_resolves(&sim, &record.id);

    // In the very second of the agent's work, the instance may still be writing it.
    let early = changes(&mut tenant, Some(&start.cursor)).await;
    assert!(early.changes.is_empty(), "{:#?}", early.changes);
    settle(&sim);
    // From the early poll's cursor: what it held back comes whole, comments included.
    let page = changes(&mut tenant, Some(&early.cursor)).await;
    assert!(!page.more);
    assert_eq!(page.changes.len(), 1, "{:#?}", page.changes);
    let change = &page.changes[0];
    assert_eq!(change.ticket, record);
    assert_eq!(
        (change.status.value.as_str(), change.status.label.as_str()),
        ("6", "Resolved")
    );
    assert!(change.status.done);
    assert_eq!(change.updated_by, AGENT_USER_NAME);
    assert_eq!(change.updated_at, resolved_at);
    assert_the_agents_comments_came(&sim, change);

    // Asked again from there: nothing new.
    let again = changes(&mut tenant, Some(&page.cursor)).await;
    assert!(again.changes.is_empty() && !again.more);
    assert_eq!(again.cursor, page.cursor);

    // The integration's own comment later: the ticket changed, by the integration, and no
    // comment of its own comes back to it.
    sim.advance_clock(Duration::from_secs(1));
    tenant
        .add_comment(&incident(&record.display_id), CommentKind::Public, "Thanks")
        .await
        .unwrap()
        .unwrap();
    settle(&sim);
    let own = changes(&mut tenant, Some(&page.cursor)).await;
    assert_eq!(own.changes.len(), 1);
    assert_eq!(own.changes[0].updated_by, DEFAULT_USER_NAME);
    assert!(own.changes[0].comments.is_empty(), "{:?}", own.changes[0]);
}

/// 60 tickets written in the same second, read 50 a call: the page boundary falls inside
/// the second, and every ticket comes once, in (time, sys_id) order. Then two updates in one
/// second, to a ticket before and one after the last cursor's sys_id.
#[tokio::test]
async fn a_page_boundary_inside_one_second_loses_and_repeats_nothing() {
    let (sim, mut tenant) = frozen().await;
    let start = changes(&mut tenant, None).await;
    sim.advance_clock(Duration::from_secs(1));
    let mut opened = HashSet::new();
    for i in 0..60 {
        let record = open(&mut tenant, "cost-optimization", &format!("VM {i}")).await;
        opened.insert(record.id);
    }
    settle(&sim);

    let first = changes(&mut tenant, Some(&start.cursor)).await;
    assert_eq!(first.changes.len(), 50);
    assert!(first.more, "ten more wait");
    let (rest, cursor, calls) = drain(&mut tenant, &first.cursor).await;
    assert_eq!(calls, 1);
    assert_eq!(rest.len(), 10);
    let all: Vec<&TicketChange> = first.changes.iter().chain(&rest).collect();
    let seen: HashSet<String> = all.iter().map(|c| c.ticket.id.clone()).collect();
    assert_eq!(seen, opened, "each ticket once");
    let order: Vec<(&str, &str)> = all
        .iter()
        .map(|c| (c.updated_at.as_str(), c.ticket.id.as_str()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "oldest first, ties by sys_id");

    // Two agent updates in one second, on either side of the cursor's last sys_id.
    let mut ids: Vec<&String> = opened.iter().collect();
    ids.sort();
    let (low, high) = (ids[0].clone(), ids[ids.len() - 1].clone());
    sim.advance_clock(Duration::from_secs(1));
    for id in [&high, &low] {
        reassign(&sim, id);
    }
    settle(&sim);
    let (updated, _, _) = drain(&mut tenant, &cursor).await;
    let updated: Vec<&str> = updated.iter().map(|c| c.ticket.id.as_str()).collect();
    assert_eq!(updated, [low.as_str(), high.as_str()]);
}

/// The write the keyset alone would lose: a poll reads a second in which a ticket with a
/// larger sys_id was updated, and then one with a smaller sys_id is updated in that same
/// second. Its record sorts behind the last one handed out, so it must not have been handed
/// out before the second was over.
#[tokio::test]
async fn a_write_later_in_the_second_of_a_poll_is_not_lost() {
    let (sim, mut tenant) = frozen().await;
    let mut ids = Vec::new();
    for i in 0..2 {
        ids.push(
            open(&mut tenant, "cost-optimization", &format!("VM {i}"))
                .await
                .id,
        );
    }
    ids.sort();
    let start = changes(&mut tenant, None).await;
    settle(&sim);
    let opened = changes(&mut tenant, Some(&start.cursor)).await;
    assert_eq!(opened.changes.len(), 2, "{:#?}", opened.changes);

    sim.advance_clock(Duration::from_secs(1));
    let (low, high) = (&ids[0], &ids[1]);
    reassign(&sim, high);
    let during = changes(&mut tenant, Some(&opened.cursor)).await;
    assert!(during.changes.is_empty(), "{:#?}", during.changes);
    reassign(&sim, low);
    sim.advance_clock(Duration::from_secs(1));
    let just_after = changes(&mut tenant, Some(&during.cursor)).await;
    assert!(just_after.changes.is_empty(), "{:#?}", just_after.changes);
    sim.advance_clock(Duration::from_secs(1));
    let (updated, _, _) = drain(&mut tenant, &just_after.cursor).await;
    let updated: Vec<&str> = updated.iter().map(|c| c.ticket.id.as_str()).collect();
    assert_eq!(updated, [low.as_str(), high.as_str()]);
}

/// The first call starts from now: what happened before is not listed, what happens after
/// is, with only the comments written after.
#[tokio::test]
async fn a_fresh_cursor_starts_from_now() {
    let (sim, mut tenant) = frozen().await;
    let record = open(&mut tenant, "cost-optimization", "Idle VM").await;
    sim.advance_clock(Duration::from_secs(1));
    sim.agent_comment(
        "incident",
        &record.id,
        JournalField::Comments,
        "before the platform asked",
        AGENT_USER_NAME,
    )
    .unwrap();
    resolve(&sim, &record.id);
    settle(&sim);

    for cursor in [None, Some("")] {
        let start = changes(&mut tenant, cursor).await;
        assert!(start.changes.is_empty() && !start.more);
        let nothing = changes(&mut tenant, Some(&start.cursor)).await;
        assert!(nothing.changes.is_empty(), "{:?}", nothing.changes);
    }
    let start = changes(&mut tenant, None).await;
    sim.advance_clock(Duration::from_secs(1));
    sim.agent_comment(
        "incident",
        &record.id,
        JournalField::Comments,
        "after",
        AGENT_USER_NAME,
    )
    .unwrap();
    settle(&sim);
    let page = changes(&mut tenant, Some(&start.cursor)).await;
    assert_eq!(page.changes.len(), 1);
    let texts: Vec<&str> = page.changes[0]
        .comments
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(texts, ["after"]);
}

/// The contract's "starts from now" on the service's clock: two incidents created together,
/// the cursor asked for five seconds later, then an agent changes only the first. The
/// second, untouched since before the cursor, is not listed.
#[tokio::test]
async fn a_fresh_cursor_marks_the_present_not_the_newest_records_second() {
    let (sim, mut tenant) = frozen().await;
    let first = open(&mut tenant, "cost-optimization", "Idle VM 1").await;
    let second = open(&mut tenant, "cost-optimization", "Idle VM 2").await;
    sim.advance_clock(Duration::from_secs(5));
    let start = changes(&mut tenant, None).await;
    sim.advance_clock(Duration::from_secs(5));
    reassign(&sim, &first.id);
    settle(&sim);
    let (listed, _, _) = drain(&mut tenant, &start.cursor).await;
    let ids: Vec<&str> = listed.iter().map(|c| c.ticket.id.as_str()).collect();
    assert_eq!(ids, [first.id.as_str()], "not {}", second.display_id);
}

/// Two incidents whose opening was handed out; then, a second apart, an agent comments on A,
/// changes B, and changes A again. A poll right after hands out B and holds A back (its
/// second is not over); A's comment, older than B's change, still comes with A.
#[tokio::test]
async fn a_comment_on_a_ticket_held_back_by_a_poll_is_not_lost() {
    let (sim, mut tenant) = frozen().await;
    let start = changes(&mut tenant, None).await;
    let a = open(&mut tenant, "cost-optimization", "Idle VM A").await;
    let b = open(&mut tenant, "cost-optimization", "Idle VM B").await;
    settle(&sim);
    let (opened, cursor, _) = drain(&mut tenant, &start.cursor).await;
    assert_eq!(opened.len(), 2);

    sim.advance_clock(Duration::from_secs(1));
    sim.agent_comment(
        "incident",
        &a.id,
        JournalField::Comments,
        "Rebooted; watching it",
        AGENT_USER_NAME,
    )
    .unwrap();
    sim.advance_clock(Duration::from_secs(1));
    reassign(&sim, &b.id);
    sim.advance_clock(Duration::from_secs(1));
    reassign(&sim, &a.id);
    sim.advance_clock(Duration::from_secs(1));
    let (first, cursor, _) = drain(&mut tenant, &cursor).await;
    let ids: Vec<&str> = first.iter().map(|c| c.ticket.id.as_str()).collect();
    assert_eq!(ids, [b.id.as_str()], "A waits for its second to settle");

    sim.advance_clock(Duration::from_secs(2));
    let (later, _, _) = drain(&mut tenant, &cursor).await;
    assert_eq!(later.len(), 1, "{later:#?}");
    assert_eq!(later[0].ticket.id, a.id);
    let texts: Vec<&str> = later[0].comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["Rebooted; watching it"]);
}

/// 51 incidents whose opening was handed out; then, a second apart, an agent comments on A
/// (the first), changes the 50 others, and changes A. Answers A's sys_id and the cursor
/// from before the agent's work.
async fn a_comment_then_fifty_changes(sim: &Simulator, tenant: &mut Tenant) -> (String, String) {
    let start = changes(tenant, None).await;
    let mut ids = Vec::new();
    for i in 0..51 {
        ids.push(
            open(tenant, "cost-optimization", &format!("VM {i}"))
                .await
                .id,
        );
    }
    settle(sim);
    let (opened, cursor, _) = drain(tenant, &start.cursor).await;
    assert_eq!(opened.len(), 51);

    let a = ids[0].clone();
    sim.advance_clock(Duration::from_secs(1));
    sim.agent_comment(
        "incident",
        &a,
        JournalField::WorkNotes,
        "Found the owner",
        AGENT_USER_NAME,
    )
    .unwrap();
    sim.advance_clock(Duration::from_secs(1));
    for id in &ids[1..] {
        reassign(sim, id);
    }
    sim.advance_clock(Duration::from_secs(1));
    reassign(sim, &a);
    (a, cursor)
}

fn texts(change: &TicketChange) -> Vec<&str> {
    change.comments.iter().map(|c| c.text.as_str()).collect()
}

/// The same without any timing: the first page holds the 50 others and says more; the
/// second holds A, with the comment.
#[tokio::test]
async fn a_comment_on_a_ticket_cut_off_by_a_page_is_not_lost() {
    let (sim, mut tenant) = frozen().await;
    let (a, cursor) = a_comment_then_fifty_changes(&sim, &mut tenant).await;
    settle(&sim);

    let first = changes(&mut tenant, Some(&cursor)).await;
    assert_eq!(first.changes.len(), 50);
    assert!(first.more);
    assert!(first.changes.iter().all(|c| c.ticket.id != a));
    let second = changes(&mut tenant, Some(&first.cursor)).await;
    assert_eq!(second.changes.len(), 1, "{:#?}", second.changes);
    assert_eq!(second.changes[0].ticket.id, a);
    assert_eq!(texts(&second.changes[0]), ["Found the owner"]);
}

/// The same, polled while the page's own tickets are still being written: the first page is
/// all held back and says more. Behind it waits A, whose comment is older than every ticket
/// the poll saw; the floor must stay for it.
#[tokio::test]
async fn a_comment_behind_a_page_held_back_whole_is_not_lost() {
    let (sim, mut tenant) = frozen().await;
    let (a, cursor) = a_comment_then_fifty_changes(&sim, &mut tenant).await;
    let early = changes(&mut tenant, Some(&cursor)).await;
    assert!(early.changes.is_empty() && !early.more, "{early:?}");

    settle(&sim);
    let (later, _, _) = drain(&mut tenant, &early.cursor).await;
    assert_eq!(later.len(), 51);
    assert_eq!(later[50].ticket.id, a);
    assert_eq!(texts(&later[50]), ["Found the owner"]);
}

/// Incidents and change requests (the tables the categories route to) in one page, by time.
#[tokio::test]
async fn every_routed_table_comes_in_one_page_oldest_first() {
    let (sim, mut tenant) = frozen().await;
    let start = changes(&mut tenant, None).await;
    sim.advance_clock(Duration::from_secs(1));
    let change = open(&mut tenant, "maintenance", "Resize the cluster").await;
    sim.advance_clock(Duration::from_secs(1));
    let incident = open(&mut tenant, "cost-optimization", "Idle VM").await;
    sim.advance_clock(Duration::from_secs(1));
    sim.agent_comment(
        "change_request",
        &change.id,
        JournalField::WorkNotes,
        "Scheduled for Sunday",
        AGENT_USER_NAME,
    )
    .unwrap();
    settle(&sim);

    let page = changes(&mut tenant, Some(&start.cursor)).await;
    let kinds: Vec<(&str, &str)> = page
        .changes
        .iter()
        .map(|c| (c.ticket.kind.as_str(), c.ticket.id.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("incident", incident.id.as_str()),
            ("change_request", change.id.as_str())
        ]
    );
    assert_eq!(page.changes[1].comments[0].text, "Scheduled for Sunday");
    assert_eq!(page.changes[1].comments[0].kind, CommentKind::Internal);
    assert!(!page.changes[1].status.done);
}

/// A cursor the provider did not issue is refused by name, before anything is sent, and
/// the tenant goes on working.
#[tokio::test]
async fn a_garbage_cursor_is_refused_clearly() {
    let (sim, mut tenant) = setup().await;
    let start = changes(&mut tenant, None).await;
    sim.clear_requests();
    let sys_id = "a".repeat(32);
    for garbage in [
        "garbage".to_string(),
        "v1~incident=20269999999999.".to_string() + &sys_id,
        format!("v1~incident=20260101000000.{sys_id}^NQactive=true"),
        format!("v1~incident=20260101000000.{sys_id}\u{1b}[2J"),
        "v1~incident=start~incident=start".into(),
        "x".repeat(100_000),
    ] {
        let error = tenant
            .changes_since(Some(&garbage))
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidCursor, "{garbage:.60}");
        assert!(
            error.message.contains("is not one this provider issued"),
            "{}",
            error.message
        );
        assert!(!error.message.chars().any(char::is_control));
        assert!(error.message.len() < 400);
        assert!(error.remedy.is_some());
    }
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
    let page = changes(&mut tenant, Some(&start.cursor)).await;
    assert!(page.changes.is_empty());
}
