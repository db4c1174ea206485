//! `simulator`: started by a script, stopped with its standard input.

use std::process::Command;
use std::time::Duration;

use crate::support::*;

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
    // It starts with one standard change template, named with its sys_id.
    assert_eq!(
        started["standard_change_template"]["name"],
        "Restart a cloud VM"
    );
    assert_eq!(
        started["standard_change_template"]["sys_id"]
            .as_str()
            .map(str::len),
        Some(32)
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
