//! `changes`: what an agent did, the cursor to resume from, and `--follow` until Ctrl-C.

use std::process::{Child, Command};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use servicenow_simulator::Simulator;

use crate::support::*;

/// The last line `changes --json` printed: the cursor to resume from.
fn last_cursor(printed: &str) -> String {
    let line = printed.lines().rev().find(|l| l.starts_with('{')).unwrap();
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    value["cursor"].as_str().unwrap().to_string()
}

fn resolve_as_agent(sim: &Simulator, table: &str, sys_id: &str) {
    let fields = serde_json::json!({
        "state": "6", "close_code": "Solution provided", "close_notes": "Rightsized",
    });
    sim.agent_update(
        table,
        sys_id,
        fields.as_object().cloned().unwrap(),
        servicenow_simulator::AGENT_USER_NAME,
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn changes_shows_what_an_agent_did_and_resumes_from_its_cursor() {
    let (sim, _dir, good) = simulator_with_settings("cli-changes").await;
    sim.freeze_clock();

    let (ok, out) = run_with(&good, &["changes", "--json"]);
    assert!(ok, "{out}");
    let start = last_cursor(&out);
    assert!(start.starts_with("v2~incident="), "{start}");
    let (ok, out) = run_with(&good, &["changes"]);
    assert!(
        ok && out.contains("No changes.") && out.contains("--since v2~"),
        "{out}"
    );

    sim.advance_clock(Duration::from_secs(1));
    let (ok, out) = run_with(&good, &create_ticket("Idle VM"));
    assert!(ok, "{out}");
    let incident = sim.records("incident").pop().unwrap();
    let sys_id = incident["sys_id"].as_str().unwrap();
    sim.advance_clock(Duration::from_secs(1));
    sim.agent_comment(
        "incident",
        sys_id,
        servicenow_simulator::JournalField::Comments,
        "Rebooted \u{1b}[2J it",
        servicenow_simulator::AGENT_USER_NAME,
    )
    .unwrap();
    resolve_as_agent(&sim, "incident", sys_id);
    // A second's records are handed out once the instance's clock is a second past it.
    sim.advance_clock(Duration::from_secs(2));

    let (ok, out) = run_with(&good, &["changes", "--since", &start, "--json"]);
    assert!(ok, "{out}");
    let page: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let change = &page["changes"][0];
    assert_eq!(change["ticket"]["display_id"], "INC0010001");
    assert_eq!(change["status"]["done"], true);
    assert_eq!(change["comments"][0]["text"], "Rebooted \u{1b}[2J it");
    assert_eq!(change["comments"][0]["kind"], "public");
    let next = last_cursor(&out);
    assert_ne!(next, start);

    let (ok, out) = run_with(&good, &["changes", "--since", &start]);
    assert!(ok, "{out}");
    assert!(
        out.contains("incident INC0010001 Resolved (6, done)"),
        "{out}"
    );
    assert!(
        out.contains("comment by beth.anglin: Rebooted  [2J it"),
        "{out}"
    );
    assert!(
        !out.contains('\u{1b}'),
        "no escape sequence reaches the terminal"
    );

    let (ok, out) = run_with(&good, &["changes", "--since", &next]);
    assert!(ok && out.contains("No changes."), "{out}");
    let (ok, out) = run_with(&good, &["changes", "--since", "yesterday"]);
    assert!(!ok, "{out}");
    assert!(out.contains("Error (invalid-cursor)"), "{out}");
    assert!(out.contains("is not one this provider issued"), "{out}");
}

/// `--follow` prints a change as it arrives and stops cleanly on Ctrl-C (SIGINT), printing
/// the cursor to resume from.
#[tokio::test(flavor = "multi_thread")]
async fn changes_follow_stops_cleanly_on_ctrl_c() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let (sim, _dir, good) = simulator_with_settings("cli-follow").await;
    sim.freeze_clock();
    let mut child = KillOnDrop(
        Command::new(CLI)
            .args(["changes", "--config", &good])
            .args(["--allow-private-network", "--follow", "--interval", "1"])
            .env_remove("SERVICENOW_CLIENT_SECRET")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (lines, seen) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let _ = lines.send(line.unwrap());
        }
    });
    first_poll(&sim, &mut child).await;
    sim.advance_clock(Duration::from_secs(1));
    let opened = sim.insert_record(
        "incident",
        serde_json::json!({
            "short_description": "Idle VM",
            "correlation_display": "Cloud ex Machina",
        })
        .as_object()
        .cloned()
        .unwrap(),
    );
    resolve_as_agent(&sim, "incident", opened["sys_id"].as_str().unwrap());
    // A second's records are handed out once the instance's clock is a second past it.
    sim.advance_clock(Duration::from_secs(2));
    let line = next_line(&seen, &mut child);
    assert!(line.contains("Resolved (6, done)"), "{line}");

    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = child.wait().unwrap();
    reader.join().unwrap();
    let rest: Vec<String> = seen.try_iter().collect();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(exit.success(), "{exit:?} {stderr}");
    assert!(stderr.contains("Stopped."), "{stderr}");
    assert!(
        rest.iter().any(|l| l.starts_with("Cursor: v2~incident=")),
        "{rest:?}"
    );
}

/// Waits for the CLI's first poll: the tenant is up once the instance hears from it.
async fn first_poll(sim: &Simulator, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !sim
        .requests()
        .iter()
        .any(|r| r.path == "/api/now/table/incident")
    {
        assert_running(child);
        assert!(Instant::now() < deadline, "the CLI never polled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The next line the CLI prints, within 30 s, while it runs.
fn next_line(seen: &Receiver<String>, child: &mut Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match seen.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => return line,
            Err(RecvTimeoutError::Timeout) => {
                assert_running(child);
                assert!(
                    Instant::now() < deadline,
                    "the change is printed as it arrives"
                );
            }
            Err(RecvTimeoutError::Disconnected) => {
                assert_running(child);
                panic!("the CLI closed its stdout");
            }
        }
    }
}
