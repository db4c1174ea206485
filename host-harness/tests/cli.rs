//! The CLI as a person runs it: every line it prints, on stdout and stderr, is free of the
//! client secret and of the access tokens, whatever went wrong.

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Duration;

use servicenow_simulator::{Faults, Simulator};

const CLI: &str = env!("CARGO_BIN_EXE_host-harness");

/// Runs the CLI with these arguments; answers its exit status and all it printed.
fn run(args: &[&str]) -> (bool, String) {
    let output = Command::new(CLI)
        .args(args)
        .env_remove("SERVICENOW_CLIENT_SECRET")
        // A proxy of the machine's is not the test's.
        .env_remove("HTTPS_PROXY")
        .env_remove("NO_PROXY")
        .output()
        .expect("the CLI runs");
    let mut printed = String::from_utf8_lossy(&output.stdout).into_owned();
    printed.push_str(&String::from_utf8_lossy(&output.stderr));
    (output.status.success(), printed)
}

/// Runs the CLI with these arguments on the settings file `config`, with the allowance a
/// loopback simulator needs.
fn run_with(config: &str, args: &[&str]) -> (bool, String) {
    let mut all = args.to_vec();
    all.extend(["--config", config, "--allow-private-network"]);
    run(&all)
}

/// Asserts the exit status of a run and keeps what it printed.
#[track_caller]
fn expect(printed: &mut String, ok: bool, (success, out): (bool, String)) {
    assert_eq!(success, ok, "{out}");
    printed.push_str(&out);
}

/// A directory of the test's own, removed with what it holds when the test ends.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// The path of `name` in the directory.
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }

    /// Writes `contents` to `name` in the directory; answers its path.
    fn file(&self, name: &str, contents: &str) -> String {
        let path = self.path(name);
        std::fs::write(&path, contents).unwrap();
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A CLI the test started, killed and reaped if the test ends (or fails) before it exits.
struct KillOnDrop(Child);

impl Deref for KillOnDrop {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for KillOnDrop {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

/// Fails the test, with what the CLI wrote to stderr, once it has exited.
#[track_caller]
fn assert_running(child: &mut Child) {
    if let Some(status) = child.try_wait().unwrap() {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
        }
        panic!("the CLI exited ({status}): {stderr}");
    }
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
    let dir = TempDir::new("cli-scan");
    let secret = sim.client_secret();
    let good = dir.file("good.toml", &config(&sim, &secret));
    let wrong = dir.file("wrong.toml", &config(&sim, "wrong-secret-77e1"));
    let broken = dir.file(
        "broken.toml",
        &format!(
            "{}oops = \n",
            config(&sim, &secret).replace("client_id = ", "client_id = 7 # ")
        ),
    );
    let password = dir.file(
        "password.toml",
        &config(&sim, &secret).replace(
            &format!("instance = \"{}\"", sim.base_url()),
            &format!("instance = \"https://admin:{secret}@dev1.service-now.com\""),
        ),
    );

    let printed = &mut String::new();
    expect(printed, true, run_with(&good, &["-v", "test-connection"]));
    expect(
        printed,
        true,
        run_with(&good, &["test-connection", "--json"]),
    );
    expect(
        printed,
        true,
        run_with(
            &good,
            &[
                "-v",
                "create-ticket",
                "--category",
                "cost-optimization",
                "--title",
                "scan",
                "--correlation-id",
                "scan-1",
            ],
        ),
    );
    expect(
        printed,
        true,
        run_with(&good, &["-v", "get-ticket", "--id", "INC0010001"]),
    );
    expect(
        printed,
        true,
        run_with(
            &good,
            &[
                "resolve-ticket",
                "--id",
                "INC0010001",
                "--close-code",
                "Solution provided",
                "--close-notes",
                "done",
            ],
        ),
    );
    expect(printed, false, run_with(&wrong, &["-v", "test-connection"]));
    expect(printed, false, run_with(&broken, &["test-connection"]));
    expect(printed, false, run_with(&password, &["test-connection"]));
    // Refused by the host: a real tenant may not reach the loopback simulator.
    expect(
        printed,
        false,
        run(&["-v", "test-connection", "--config", &good]),
    );
    sim.set_faults(Faults {
        reject_tokens: true,
        ..Faults::default()
    });
    expect(
        printed,
        false,
        run_with(
            &good,
            &[
                "-v",
                "create-ticket",
                "--category",
                "cost-optimization",
                "--title",
                "refused",
            ],
        ),
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
    let dir = TempDir::new("cli-changes");
    let good = dir.file("good.toml", &config(&sim, &sim.client_secret()));

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
    let (ok, out) = run_with(
        &good,
        &[
            "create-ticket",
            "--category",
            "cost-optimization",
            "--title",
            "Idle VM",
        ],
    );
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
    use std::sync::mpsc::RecvTimeoutError;
    use std::time::Instant;

    let sim = Simulator::start().await.unwrap();
    sim.freeze_clock();
    let dir = TempDir::new("cli-follow");
    let good = dir.file("good.toml", &config(&sim, &sim.client_secret()));
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
    // The first poll has run once the tenant is up: wait for the instance to hear from it.
    let deadline = Instant::now() + Duration::from_secs(120);
    while !sim
        .requests()
        .iter()
        .any(|r| r.path == "/api/now/table/incident")
    {
        assert_running(&mut child);
        assert!(Instant::now() < deadline, "the CLI never polled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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
    let deadline = Instant::now() + Duration::from_secs(30);
    let line = loop {
        match seen.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => break line,
            Err(RecvTimeoutError::Timeout) => {
                assert_running(&mut child);
                assert!(
                    Instant::now() < deadline,
                    "the change is printed as it arrives"
                );
            }
            Err(RecvTimeoutError::Disconnected) => {
                assert_running(&mut child);
                panic!("the CLI closed its stdout");
            }
        }
    };
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

/// A script starts the simulator, reads where it listens from one line of JSON, and the
/// simulator stops when the script's end of its standard input closes.
#[test]
fn a_script_starts_the_simulator_and_it_stops_with_its_stdin() {
    use std::io::BufRead;
    use std::process::Stdio;

    let mut child = KillOnDrop(
        Command::new(CLI)
            .args(["simulator", "--port", "0", "--json", "--until-stdin-closes"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the CLI runs"),
    );
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
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the simulator still runs with its stdin closed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn attach_file_uploads_a_file_from_disk() {
    let sim = Simulator::start().await.unwrap();
    let dir = TempDir::new("cli-attach");
    let off = dir.file("off.toml", &config(&sim, &sim.client_secret()));
    let attachments = format!("{}attachments = true\n", config(&sim, &sim.client_secret()));
    let good = dir.file("good.toml", &attachments);
    let (ok, out) = run_with(
        &good,
        &[
            "create-ticket",
            "--category",
            "cost-optimization",
            "--title",
            "Idle VM",
        ],
    );
    assert!(ok, "{out}");
    let report = dir.file("cost report.csv", "vm,cost\ni-0abc,42\n");

    let (ok, out) = run_with(
        &good,
        &["attach-file", "--id", "INC0010001", "--file", &report],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains("Attached cost report.csv (18 bytes, text/csv)"),
        "{out}"
    );
    let (ok, out) = run_with(
        &good,
        &[
            "attach-file",
            "--id",
            "INC0010001",
            "--file",
            &report,
            "--content-type",
            "text/plain",
            "--json",
        ],
    );
    assert!(ok, "{out}");
    let answer: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(answer["attachment"]["content_type"], "text/plain");
    assert_eq!(answer["attachment"]["size_bytes"], 18);
    let incident = sim.records("incident").pop().unwrap();
    let stored = sim.attachments("incident", incident["sys_id"].as_str().unwrap());
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0].content, b"vm,cost\ni-0abc,42\n");
    assert_eq!(stored[0].content_type, "text/csv");

    let (ok, out) = run_with(
        &good,
        &[
            "attach-file",
            "--id",
            "INC0010001",
            "--file",
            &report,
            "--content-type",
            "csv",
        ],
    );
    assert!(!ok && out.contains("Error (invalid-ticket)"), "{out}");
    let missing = dir.path("missing.csv");
    let (ok, out) = run_with(
        &good,
        &["attach-file", "--id", "INC0010001", "--file", &missing],
    );
    assert!(!ok && out.contains("missing.csv"), "{out}");

    // The admin's Attachments setting off: refused by the setting's name.
    let (ok, out) = run_with(
        &off,
        &["attach-file", "--id", "INC0010001", "--file", &report],
    );
    assert!(!ok && out.contains("Error (invalid-settings)"), "{out}");
    assert!(out.contains("attachments are off"), "{out}");
}

/// An HTTPS simulator as an on-premise instance named `name`, with what the CLI needs to
/// reach it: its settings file and its CA's PEM file in a directory of the test's own.
struct OnPremise {
    sim: Simulator,
    dir: TempDir,
    settings: String,
    cacert: String,
    resolve: String,
}

impl OnPremise {
    fn new(sim: Simulator, name: &str) -> Self {
        let dir = TempDir::new(&format!("cli-{name}"));
        let settings = dir.file("settings.toml", &config(&sim, &sim.client_secret()));
        let cacert = dir.file("ca.pem", &Simulator::test_ca().unwrap().1);
        Self {
            resolve: format!("{name}:*:127.0.0.1"),
            sim,
            dir,
            settings,
            cacert,
        }
    }

    /// create-ticket's arguments to reach it: the settings, its name pinned to loopback, and
    /// that one network admitted; `extra` after them.
    fn create<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "create-ticket",
            "--config",
            &self.settings,
            "--resolve",
            &self.resolve,
            "--allow-network",
            "127.0.0.0/8",
            "--category",
            "cost-optimization",
            "--title",
            "Idle VM on premise",
        ];
        args.extend(extra);
        args
    }
}

/// The path of an on-premise instance, with curl's options: HTTPS to a name the platform
/// pins (`--resolve`), a private CA it trusts (`--cacert`), and one private network admitted
/// (`--allow-network`) instead of all of them. Without the CA the certificate is refused.
#[tokio::test(flavor = "multi_thread")]
async fn an_on_premise_instance_with_curls_options() {
    const NAME: &str = "sn.corp.example.test";
    let at = OnPremise::new(Simulator::start_tls(NAME).await.unwrap(), NAME);
    let (ok, out) = run(&at.create(&["--cacert", &at.cacert]));
    assert!(ok, "{out}");
    assert!(out.contains("INC0010001"), "{out}");
    let (ok, out) = run(&at.create(&[]));
    assert!(!ok);
    assert!(out.contains("TLS certificate is not trusted"), "{out}");
    let (ok, out) = run(&at.create(&["--cacert", &at.settings]));
    assert!(!ok);
    assert!(out.contains("holds no certificate"), "{out}");
    assert_eq!(at.sim.records("incident").len(), 1);
}

/// An instance that requires mutual TLS: curl's --cert and --key give the tenant its client
/// certificate; without them the handshake is refused.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_certificate_with_curls_options() {
    const NAME: &str = "mtls.corp.example.test";
    let at = OnPremise::new(Simulator::start_mutual_tls(NAME).await.unwrap(), NAME);
    let (cert, key) = Simulator::client_certificate_pem("cxm-cli").unwrap();
    let cert = at.dir.file("client.pem", &cert);
    let key = at.dir.file("client.key", &key);
    let (ok, out) = run(&at.create(&["--cacert", &at.cacert]));
    assert!(!ok, "no client certificate: {out}");
    let (ok, out) = run(&at.create(&["--cacert", &at.cacert, "--cert", &cert, "--key", &key]));
    assert!(ok, "{out}");
    assert!(!out.contains("PRIVATE KEY"), "{out}");
    assert_eq!(at.sim.records("incident").len(), 1);
}
