//! changes-since against a model: a seeded random sequence of what happens to tickets in
//! ServiceNow (the integration's creates, comments and resolutions; agents' edits, comments,
//! work notes, resolutions and tickets of their own; bursts wider than a page) and of clock
//! moves of 0, 1, 2, 5, 60 and 3,600 seconds, with polls at random points, all against the
//! simulator on a frozen clock that the test moves. After every poll (drained while `more`),
//! what the platform was handed is checked against the simulator's own records:
//! - every change of the integration's tickets since it was last handed out is listed once
//!   its second has settled, at its latest state;
//! - nothing is listed that did not change since it was last handed out, and never a ticket
//!   the integration did not open;
//! - a listed ticket carries every comment and work note by others written up to its update
//!   and not handed out before (one may come twice, by id), and never one of the
//!   integration's own.
//!
//! `CHANGES_MODEL_SEEDS` runs other seeds (`7` for seeds 1 to 7, or `100..164`), and
//! `CHANGES_MODEL_OPS` a longer sequence; `--nocapture` prints what each seed checked.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::{Map, Value, json};
use servicenow_simulator::{AGENT_USER_NAME, DEFAULT_USER_NAME, JournalField, Simulator};
use ticketing_host::Tenant;
use ticketing_host::api::{CommentKind, Resolution, TicketChange, TicketRecord};

use support::{incident, open, setup};

/// The seeds CI runs.
const SEEDS: std::ops::Range<u64> = 1..11;
/// Operations per seed in CI.
const OPS: usize = 200;
/// How far past its second a write is settled: the component's `SETTLE_SECONDS` plus the
/// second itself.
const SETTLED_AFTER: u64 = 2;

/// xorshift64*: a few lines, the same sequence on every machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// One of the integration's tickets, as the platform knows it.
struct Known {
    table: &'static str,
    /// When it stood as last handed out (the start's baseline before that), in seconds of
    /// the test's clock.
    reported: u64,
}

#[derive(Default, Debug)]
struct Tally {
    ops: usize,
    polls: usize,
    pages: usize,
    changes: usize,
    comments: usize,
    comments_again: usize,
    unsettled: usize,
}

struct Model {
    sim: Simulator,
    tenant: Tenant,
    rng: Rng,
    cursor: String,
    /// Seconds since the test began, on the simulator's frozen clock.
    now: u64,
    /// Each second the clock stood at, as the simulator stamps it.
    seconds: HashMap<String, u64>,
    ours: HashMap<String, Known>,
    /// Incidents of ours not resolved yet.
    open_incidents: Vec<String>,
    agents: Vec<String>,
    /// Journal entries (sys_id) handed out, or written before the cursor began.
    delivered: HashSet<String>,
    tally: Tally,
    titles: usize,
}

fn fields(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap_or_default()
}

fn text<'a>(row: &'a Map<String, Value>, column: &str) -> &'a str {
    row.get(column).and_then(Value::as_str).unwrap_or("")
}

impl Model {
    async fn start(seed: u64) -> Self {
        let (sim, tenant) = setup().await;
        sim.freeze_clock();
        let mut model = Self {
            seconds: HashMap::from([(sim.now(), 0)]),
            sim,
            tenant,
            rng: Rng::new(seed),
            cursor: String::new(),
            now: 0,
            ours: HashMap::new(),
            open_incidents: Vec::new(),
            agents: Vec::new(),
            delivered: HashSet::new(),
            tally: Tally::default(),
            titles: 0,
        };
        // Some history before the platform first asks.
        for _ in 0..3 {
            model.create().await;
        }
        model.tick(1);
        model.agent_comment();
        model.tick(3);
        model.create().await;
        model.begin().await;
        model
    }

    /// The first call, without a cursor: from then on, every change must come. What was
    /// written before the first second the instance may still be writing counts as handed
    /// out; from that second on, it must come.
    async fn begin(&mut self) {
        let page = self
            .tenant
            .changes_since(None)
            .await
            .expect("no trap")
            .expect("a fresh cursor");
        assert!(page.changes.is_empty() && !page.more);
        self.cursor = page.cursor;
        let present = self.now.saturating_sub(SETTLED_AFTER - 1);
        for (id, known) in self.ours.iter_mut() {
            let updated = self.seconds[text(&find(&self.sim, known.table, id), "sys_updated_on")];
            known.reported = if updated < present {
                updated
            } else {
                present.saturating_sub(1)
            };
        }
        for entry in self.sim.records("sys_journal_field") {
            self.delivered.insert(text(&entry, "sys_id").to_string());
        }
    }

    fn tick(&mut self, seconds: u64) {
        if seconds > 0 {
            self.sim.advance_clock(Duration::from_secs(seconds));
            self.now += seconds;
            self.seconds.insert(self.sim.now(), self.now);
        }
    }

    async fn create(&mut self) {
        self.titles += 1;
        let (category, table) = match self.rng.below(4) {
            0 => ("maintenance", "change_request"),
            _ => ("cost-optimization", "incident"),
        };
        let record = open(
            &mut self.tenant,
            category,
            &format!("Event {}", self.titles),
        )
        .await;
        if table == "incident" {
            self.open_incidents.push(record.id.clone());
        }
        self.ours.insert(record.id, Known { table, reported: 0 });
    }

    fn some_ticket(&mut self) -> Option<(&'static str, String)> {
        let mut ids: Vec<&String> = self.ours.keys().collect();
        ids.sort();
        let id = (*self.rng.pick(&ids)?).clone();
        Some((self.ours[&id].table, id))
    }

    fn agent_edit(&mut self) {
        if let Some((table, id)) = self.some_ticket() {
            self.edit(table, &id);
        }
    }

    fn edit(&mut self, table: &str, id: &str) {
        let change = match self.rng.below(2) {
            0 => json!({"assignment_group": "Network"}),
            _ => json!({"description": format!("edited at {}", self.now)}),
        };
        self.sim
            .agent_update(table, id, fields(change), AGENT_USER_NAME)
            .expect("the agent's edit");
    }

    fn agent_comment(&mut self) {
        let Some((table, id)) = self.some_ticket() else {
            return;
        };
        let field = match self.rng.below(2) {
            0 => JournalField::Comments,
            _ => JournalField::WorkNotes,
        };
        let said = format!("agent note at {}", self.now);
        self.sim
            .agent_comment(table, &id, field, &said, AGENT_USER_NAME)
            .expect("the agent's comment");
    }

    async fn own_comment(&mut self) {
        let Some(id) = self.rng.pick(&self.open_incidents).cloned() else {
            return;
        };
        let kind = match self.rng.below(2) {
            0 => CommentKind::Public,
            _ => CommentKind::Internal,
        };
        let said = format!("integration note at {}", self.now);
        self.tenant
            .add_comment(&incident(&id), kind, &said)
            .await
            .expect("no trap")
            .expect("the integration's comment");
    }

    async fn resolve(&mut self) {
        let Some(index) =
            (!self.open_incidents.is_empty()).then(|| self.rng.below(self.open_incidents.len()))
        else {
            return;
        };
        let id = self.open_incidents.swap_remove(index);
        if self.rng.below(2) == 0 {
            let resolution = Resolution {
                code: "Solution provided".into(),
                notes: "Rightsized".into(),
            };
            self.tenant
                .resolve_ticket(&incident(&id), &resolution)
                .await
                .expect("no trap")
                .expect("the integration resolves it");
        } else {
            let resolved = json!({
                "state": "6", "close_code": "Solution provided", "close_notes": "Done",
            });
            self.sim
                .agent_update("incident", &id, fields(resolved), AGENT_USER_NAME)
                .expect("the agent resolves it");
        }
    }

    fn agents_ticket(&mut self) {
        if self.rng.below(2) == 0 || self.agents.is_empty() {
            let row = self.sim.insert_record(
                "incident",
                fields(json!({"short_description": format!("printer jam {}", self.now)})),
            );
            self.agents.push(text(&row, "sys_id").to_string());
        } else if let Some(id) = self.rng.pick(&self.agents).cloned() {
            self.edit("incident", &id);
        }
    }

    /// An agent works through up to 60 tickets at once: more than a page.
    fn burst(&mut self) {
        let mut ids: Vec<(String, &'static str)> = self
            .ours
            .iter()
            .map(|(id, known)| (id.clone(), known.table))
            .collect();
        ids.sort();
        for (id, table) in ids.into_iter().take(60) {
            if self.rng.below(3) == 0 {
                self.sim
                    .agent_comment(table, &id, JournalField::Comments, "bulk", AGENT_USER_NAME)
                    .expect("the agent's comment");
            } else {
                self.edit(table, &id);
            }
        }
    }

    async fn step(&mut self) {
        self.tally.ops += 1;
        match self.rng.below(100) {
            0..15 => self.create().await,
            15..18 => {
                for _ in 0..20 {
                    self.create().await;
                }
            }
            18..32 => self.agent_edit(),
            32..47 => self.agent_comment(),
            47..53 => self.own_comment().await,
            53..60 => self.resolve().await,
            60..68 => self.agents_ticket(),
            68..72 => {
                self.burst();
                // Polled at once, the burst's own page is still being written.
                if self.rng.below(2) == 0 {
                    self.poll().await;
                }
            }
            72..87 => {
                let seconds = [0, 1, 1, 2, 2, 5, 60, 3600];
                let by = *self.rng.pick(&seconds).unwrap_or(&1);
                self.tick(by);
            }
            _ => self.poll().await,
        }
    }

    /// Polls while more waits, then checks what came against the simulator.
    async fn poll(&mut self) {
        self.tally.polls += 1;
        let mut listed: Vec<TicketChange> = Vec::new();
        for pages in 1.. {
            assert!(pages <= 40, "more never ends");
            let page = self
                .tenant
                .changes_since(Some(&self.cursor))
                .await
                .expect("no trap")
                .unwrap_or_else(|error| panic!("changes-since: {error:?}"));
            self.tally.pages += 1;
            listed.extend(page.changes);
            self.cursor = page.cursor;
            if !page.more {
                break;
            }
        }
        let journal = self.sim.records("sys_journal_field");
        for change in &listed {
            self.check_change(change, &journal);
        }
        self.check_nothing_missing();
    }

    fn check_change(&mut self, change: &TicketChange, journal: &[Map<String, Value>]) {
        let TicketRecord { id, display_id, .. } = &change.ticket;
        let Some(known) = self.ours.get(id) else {
            panic!("{display_id} is not the integration's: {change:#?}");
        };
        let row = find(&self.sim, known.table, id);
        assert_eq!(
            text(&row, "sys_updated_on"),
            change.updated_at,
            "{display_id}"
        );
        assert_eq!(text(&row, "state"), change.status.value, "{display_id}");
        let updated = self.seconds[&change.updated_at];
        assert!(
            updated > known.reported,
            "{display_id} did not change since it was handed out at {}s: {change:#?}",
            known.reported
        );
        assert!(
            updated + SETTLED_AFTER <= self.now,
            "{display_id} is not settled"
        );
        let its_entries: Vec<&Map<String, Value>> = journal
            .iter()
            .filter(|e| text(e, "element_id") == id && text(e, "name") == known.table)
            .collect();
        for comment in &change.comments {
            let entry = its_entries
                .iter()
                .find(|e| text(e, "sys_id") == comment.id)
                .unwrap_or_else(|| panic!("{display_id}: {comment:?} is not its entry"));
            assert_ne!(comment.author, DEFAULT_USER_NAME, "the integration's own");
            assert_eq!(text(entry, "sys_created_by"), comment.author);
            assert_eq!(text(entry, "value"), comment.text);
            assert!(comment.created_at <= change.updated_at, "{comment:?}");
            self.tally.comments += 1;
            if !self.delivered.insert(comment.id.clone()) {
                self.tally.comments_again += 1;
            }
        }
        for entry in its_entries {
            let by_others = text(entry, "sys_created_by") != DEFAULT_USER_NAME;
            if by_others && text(entry, "sys_created_on") <= change.updated_at.as_str() {
                assert!(
                    self.delivered.contains(text(entry, "sys_id")),
                    "{display_id} at {} came without {:?} written at {}",
                    change.updated_at,
                    text(entry, "value"),
                    text(entry, "sys_created_on")
                );
            }
        }
        self.tally.changes += 1;
        if let Some(known) = self.ours.get_mut(id) {
            known.reported = updated;
        }
    }

    /// Every ticket of ours that changed since it was handed out, in a second now settled,
    /// was listed.
    fn check_nothing_missing(&mut self) {
        for (id, known) in &self.ours {
            let row = find(&self.sim, known.table, id);
            let updated = self.seconds[text(&row, "sys_updated_on")];
            if updated <= known.reported {
                continue;
            }
            assert!(
                updated + SETTLED_AFTER > self.now,
                "{} {} changed at {updated}s, settled at {}s, and was not listed",
                known.table,
                text(&row, "number"),
                self.now
            );
            self.tally.unsettled += 1;
        }
    }
}

fn find(sim: &Simulator, table: &str, sys_id: &str) -> Map<String, Value> {
    sim.records(table)
        .into_iter()
        .find(|row| text(row, "sys_id") == sys_id)
        .unwrap_or_else(|| panic!("no {table} {sys_id}"))
}

fn seeds() -> Vec<u64> {
    match std::env::var("CHANGES_MODEL_SEEDS") {
        Err(_) => SEEDS.collect(),
        Ok(given) => match given.split_once("..") {
            Some((from, to)) => {
                (from.parse().expect("a seed")..to.parse().expect("a seed")).collect()
            }
            None => (1..=given.parse().expect("a number of seeds")).collect(),
        },
    }
}

#[tokio::test]
async fn changes_since_hands_out_every_change_and_comment_once_settled() {
    let ops = std::env::var("CHANGES_MODEL_OPS")
        .map(|n| n.parse().expect("a number of operations"))
        .unwrap_or(OPS);
    let mut total = Tally::default();
    for seed in seeds() {
        let mut model = Model::start(seed).await;
        for _ in 0..ops {
            model.step().await;
        }
        // Last, everything settles and is handed out.
        model.tick(SETTLED_AFTER);
        model.poll().await;
        let tally = &model.tally;
        println!("seed {seed}: {tally:?}");
        total.ops += tally.ops;
        total.polls += tally.polls;
        total.pages += tally.pages;
        total.changes += tally.changes;
        total.comments += tally.comments;
        total.comments_again += tally.comments_again;
        total.unsettled += tally.unsettled;
        model.sim.shutdown().await;
    }
    println!("all seeds: {total:?}");
}
