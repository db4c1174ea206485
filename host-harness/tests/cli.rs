//! The CLI as a person runs it: every line it prints, on stdout and stderr, is free of the
//! client secret and of the access tokens, whatever went wrong.

use std::path::{Path, PathBuf};
use std::process::Command;

use servicenow_simulator::{Faults, Simulator};

const CLI: &str = env!("CARGO_BIN_EXE_host-harness");

/// Runs the CLI with these arguments; answers its exit status and all it printed.
fn run(args: &[&str]) -> (bool, String) {
    let output = Command::new(CLI)
        .args(args)
        .env_remove("SERVICENOW_CLIENT_SECRET")
        .output()
        .expect("the CLI runs");
    let mut printed = String::from_utf8_lossy(&output.stdout).into_owned();
    printed.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), printed)
}

fn settings_file(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn config(sim: &Simulator, secret: &str) -> String {
    format!(
        "instance = \"{}\"\nclient_id = \"{}\"\nclient_secret = \"{secret}\"\n\
         default_assignment_group = \"Cloud Operations\"\n\
         ticket_categories = [ {{ event_category = \"cost-optimization\", kind = \"incident\" }} ]\n",
        sim.base_url(),
        sim.client_id()
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_the_cli_prints_holds_a_secret_or_a_token() {
    let sim = Simulator::start().await.unwrap();
    let dir = std::env::temp_dir().join(format!("cli-scan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let secret = sim.client_secret();
    let good = settings_file(&dir, "good.toml", &config(&sim, &secret));
    let wrong = settings_file(&dir, "wrong.toml", &config(&sim, "wrong-secret-77e1"));
    let broken = settings_file(
        &dir,
        "broken.toml",
        &format!(
            "{}oops = \n",
            config(&sim, &secret).replace("client_id = ", "client_id = 7 # ")
        ),
    );
    let password = settings_file(
        &dir,
        "password.toml",
        &config(&sim, &secret).replace(
            &format!("instance = \"{}\"", sim.base_url()),
            &format!("instance = \"https://admin:{secret}@dev1.service-now.com\""),
        ),
    );
    let good = good.to_str().unwrap();
    let allow = "--allow-private-network";

    let mut printed = String::new();
    let mut expect = |ok: bool, args: &[&str]| {
        let (success, out) = run(args);
        assert_eq!(success, ok, "{args:?}: {out}");
        printed.push_str(&out);
    };
    expect(true, &["-v", "test-connection", "--config", good, allow]);
    expect(
        true,
        &["test-connection", "--config", good, allow, "--json"],
    );
    expect(
        true,
        &[
            "-v",
            "create-ticket",
            "--config",
            good,
            allow,
            "--category",
            "cost-optimization",
            "--title",
            "scan",
            "--correlation-id",
            "scan-1",
        ],
    );
    expect(
        true,
        &[
            "-v",
            "get-ticket",
            "--config",
            good,
            allow,
            "--id",
            "INC0010001",
        ],
    );
    expect(
        true,
        &[
            "resolve-ticket",
            "--config",
            good,
            allow,
            "--id",
            "INC0010001",
            "--close-code",
            "Solution provided",
            "--close-notes",
            "done",
        ],
    );
    let wrong = wrong.to_str().unwrap();
    expect(false, &["-v", "test-connection", "--config", wrong, allow]);
    expect(
        false,
        &[
            "test-connection",
            "--config",
            broken.to_str().unwrap(),
            allow,
        ],
    );
    expect(
        false,
        &[
            "test-connection",
            "--config",
            password.to_str().unwrap(),
            allow,
        ],
    );
    // Refused by the host: a real tenant may not reach the loopback simulator.
    expect(false, &["-v", "test-connection", "--config", good]);
    sim.set_faults(Faults {
        reject_tokens: true,
        ..Faults::default()
    });
    expect(
        false,
        &[
            "-v",
            "create-ticket",
            "--config",
            good,
            allow,
            "--category",
            "cost-optimization",
            "--title",
            "refused",
        ],
    );

    let tokens: Vec<String> = sim
        .requests()
        .iter()
        .filter_map(|r| r.header("authorization"))
        .filter_map(|h| h.strip_prefix("Bearer "))
        .map(str::to_string)
        .collect();
    assert!(!tokens.is_empty());
    for needle in tokens
        .iter()
        .chain([&secret, &"wrong-secret-77e1".to_string()])
    {
        assert!(
            !printed.contains(needle.as_str()),
            "the CLI printed {needle:?}:\n{printed}"
        );
    }
    assert!(
        !printed.chars().any(|c| c.is_control() && c != '\n'),
        "a raw control character was printed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `describe` prints the form a settings file fills in, for people and as JSON.
#[test]
fn describe_prints_the_settings_form() {
    let (ok, printed) = run(&["describe"]);
    assert!(ok, "{printed}");
    assert!(printed.contains("ServiceNow provider"), "{printed}");
    assert!(
        printed.contains(
            "client_secret (secret, required, for client_credentials, password): Client Secret"
        ),
        "{printed}"
    );
    assert!(
        printed.contains("Enter only the subdomain (e.g., dev12345)"),
        "{printed}"
    );

    let (ok, printed) = run(&["describe", "--json"]);
    assert!(ok, "{printed}");
    let info: serde_json::Value = serde_json::from_str(&printed).expect("JSON");
    let keys: Vec<&str> = info["settings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    for key in [
        "instance",
        "auth_method",
        "client_id",
        "client_secret",
        "username",
        "password",
        "api_key",
    ] {
        assert!(keys.contains(&key), "{key}: {keys:?}");
    }
    assert_eq!(info["settings"][0]["kind"], "address");
    let password = &info["settings"][keys.iter().position(|k| *k == "password").unwrap()];
    assert_eq!(password["kind"], "secret");
    assert_eq!(
        password["auth_methods"],
        serde_json::json!(["password", "basic"])
    );
    assert!(
        info["capabilities"]
            .as_array()
            .unwrap()
            .contains(&"create-ticket".into())
    );
}

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
    let sim = Simulator::start().await.unwrap();
    sim.freeze_clock();
    let dir = std::env::temp_dir().join(format!("cli-changes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = settings_file(&dir, "good.toml", &config(&sim, &sim.client_secret()));
    let good = good.to_str().unwrap();
    let allow = "--allow-private-network";

    let (ok, out) = run(&["changes", "--config", good, allow, "--json"]);
    assert!(ok, "{out}");
    let start = last_cursor(&out);
    assert!(start.starts_with("v1~incident="), "{start}");
    let (ok, out) = run(&["changes", "--config", good, allow]);
    assert!(
        ok && out.contains("No changes.") && out.contains("--since v1~"),
        "{out}"
    );

    sim.advance_clock(std::time::Duration::from_secs(1));
    let (ok, out) = run(&[
        "create-ticket",
        "--config",
        good,
        allow,
        "--category",
        "cost-optimization",
        "--title",
        "Idle VM",
    ]);
    assert!(ok, "{out}");
    let incident = sim.records("incident").pop().unwrap();
    let sys_id = incident["sys_id"].as_str().unwrap();
    sim.advance_clock(std::time::Duration::from_secs(1));
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
    sim.advance_clock(std::time::Duration::from_secs(2));

    let (ok, out) = run(&[
        "changes", "--config", good, allow, "--since", &start, "--json",
    ]);
    assert!(ok, "{out}");
    let page: serde_json::Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    let change = &page["changes"][0];
    assert_eq!(change["ticket"]["display_id"], "INC0010001");
    assert_eq!(change["status"]["done"], true);
    assert_eq!(change["comments"][0]["text"], "Rebooted \u{1b}[2J it");
    assert_eq!(change["comments"][0]["kind"], "public");
    let next = last_cursor(&out);
    assert_ne!(next, start);

    let (ok, out) = run(&["changes", "--config", good, allow, "--since", &start]);
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

    let (ok, out) = run(&["changes", "--config", good, allow, "--since", &next]);
    assert!(ok && out.contains("No changes."), "{out}");
    let (ok, out) = run(&["changes", "--config", good, allow, "--since", "yesterday"]);
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

    let sim = Simulator::start().await.unwrap();
    let dir = std::env::temp_dir().join(format!("cli-follow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = settings_file(&dir, "good.toml", &config(&sim, &sim.client_secret()));
    let mut child = Command::new(CLI)
        .args(["changes", "--config", good.to_str().unwrap()])
        .args(["--allow-private-network", "--follow", "--interval", "1"])
        .env_remove("SERVICENOW_CLIENT_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, seen) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let _ = lines.send(line.unwrap());
        }
    });
    // The first poll has run once the tenant is up: wait for the instance to hear from it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while !sim
        .requests()
        .iter()
        .any(|r| r.path == "/api/now/table/incident")
    {
        assert!(std::time::Instant::now() < deadline, "the CLI never polled");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
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
    let line = seen
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the change is printed as it arrives");
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
        rest.iter().any(|l| l.starts_with("Cursor: v1~incident=")),
        "{rest:?}"
    );
}

/// A script starts the simulator, reads where it listens from one line of JSON, and the
/// simulator stops when the script's end of its standard input closes.
#[test]
fn a_script_starts_the_simulator_and_it_stops_with_its_stdin() {
    use std::io::BufRead;
    use std::process::Stdio;

    let mut child = Command::new(CLI)
        .args(["simulator", "--port", "0", "--json", "--until-stdin-closes"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the CLI runs");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let started: serde_json::Value = serde_json::from_str(&line).expect("one line of JSON");
    assert!(
        started["base_url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:"),
        "{line}"
    );
    assert_eq!(
        started["client_id"],
        servicenow_simulator::DEFAULT_CLIENT_ID
    );
    assert_eq!(
        started["client_secret"],
        servicenow_simulator::DEFAULT_CLIENT_SECRET
    );
    drop(child.stdin.take());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the simulator still runs with its stdin closed"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn attach_file_uploads_a_file_from_disk() {
    let sim = Simulator::start().await.unwrap();
    let dir = std::env::temp_dir().join(format!("cli-attach-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let off = settings_file(&dir, "off.toml", &config(&sim, &sim.client_secret()));
    let attachments = format!("{}attachments = true\n", config(&sim, &sim.client_secret()));
    let good = settings_file(&dir, "good.toml", &attachments);
    let good = good.to_str().unwrap();
    let allow = "--allow-private-network";
    let (ok, out) = run(&[
        "create-ticket",
        "--config",
        good,
        allow,
        "--category",
        "cost-optimization",
        "--title",
        "Idle VM",
    ]);
    assert!(ok, "{out}");
    let report = dir.join("cost report.csv");
    std::fs::write(&report, b"vm,cost\ni-0abc,42\n").unwrap();
    let report = report.to_str().unwrap();

    let (ok, out) = run(&[
        "attach-file",
        "--config",
        good,
        allow,
        "--id",
        "INC0010001",
        "--file",
        report,
    ]);
    assert!(ok, "{out}");
    assert!(
        out.contains("Attached cost report.csv (18 bytes, text/csv)"),
        "{out}"
    );
    let (ok, out) = run(&[
        "attach-file",
        "--config",
        good,
        allow,
        "--id",
        "INC0010001",
        "--file",
        report,
        "--content-type",
        "text/plain",
        "--json",
    ]);
    assert!(ok, "{out}");
    let answer: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["attachment"]["content_type"], "text/plain");
    assert_eq!(answer["attachment"]["size_bytes"], 18);
    let incident = sim.records("incident").pop().unwrap();
    let stored = sim.attachments("incident", incident["sys_id"].as_str().unwrap());
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].content, b"vm,cost\ni-0abc,42\n");
    assert_eq!(stored[0].content_type, "text/csv");

    let (ok, out) = run(&[
        "attach-file",
        "--config",
        good,
        allow,
        "--id",
        "INC0010001",
        "--file",
        report,
        "--content-type",
        "csv",
    ]);
    assert!(!ok && out.contains("Error (invalid-ticket)"), "{out}");
    let missing = dir.join("missing.csv");
    let (ok, out) = run(&[
        "attach-file",
        "--config",
        good,
        allow,
        "--id",
        "INC0010001",
        "--file",
        missing.to_str().unwrap(),
    ]);
    assert!(!ok && out.contains("missing.csv"), "{out}");

    // The admin's Attachments setting off: refused by the setting's name.
    let off = off.to_str().unwrap();
    let (ok, out) = run(&[
        "attach-file",
        "--config",
        off,
        allow,
        "--id",
        "INC0010001",
        "--file",
        report,
    ]);
    assert!(!ok && out.contains("Error (invalid-settings)"), "{out}");
    assert!(out.contains("attachments are off"), "{out}");
}
