//! `attach-file`: a file from disk attached to a ticket, and the refusals.

use servicenow_simulator::Simulator;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn attach_file_uploads_a_file_from_disk() {
    let sim = Simulator::start().await.unwrap();
    let dir = TempDir::new("cli-attach");
    let off = dir.file("off.toml", &config(&sim, &sim.client_secret()));
    let attachments = format!("{}attachments = true\n", config(&sim, &sim.client_secret()));
    let good = dir.file("good.toml", &attachments);
    let (ok, out) = run_with(&good, &create_ticket("Idle VM"));
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
