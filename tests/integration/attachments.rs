//! attach-file: the platform's evidence attached to a ticket through the Attachment API
//! (docs/servicenow/attachments.md), through the built component, the host's request cap and the
//! simulator.

use servicenow_simulator::Simulator;
use sha2::{Digest, Sha256};
use ticketing_host::api::{CheckStatus, ErrorKind};
use ticketing_host::{SandboxLimits, Tenant};

use support::{attachments_on, configure_ok, configured, host, incident, limits, open, setup};

/// The component's cap, which the host's default request cap lets through.
const CAP: usize = 4 << 20;

/// Bytes that are not text: every value, in no simple order.
fn binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7919 % 251) as u8).collect()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A simulator and a tenant configured for it, attachments on.
async fn attaching() -> (Simulator, Tenant) {
    let sim = support::instance().await;
    let tenant = configured(host(), "test-tenant", &sim, &attachments_on(&sim)).await;
    (sim, tenant)
}

fn attachment_posts(sim: &Simulator) -> usize {
    sim.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.starts_with("/api/now/attachment"))
        .count()
}

#[tokio::test]
async fn a_file_lands_on_the_ticket_with_its_bytes_and_hash() {
    let (sim, mut tenant) = attaching().await;
    let record = open(&mut tenant, "cost-optimization", "Idle VM").await;
    let content = binary(100_000);
    let attachment = tenant
        .attach_file(
            &incident(&record.display_id),
            "cost report 2026-01.png",
            "image/png",
            &content,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(attachment.file_name, "cost report 2026-01.png");
    assert_eq!(attachment.content_type, "image/png");
    assert_eq!(attachment.size_bytes, content.len() as u64);
    assert_eq!(
        attachment.link,
        format!(
            "{}/sys_attachment.do?sys_id={}",
            sim.base_url(),
            attachment.id
        )
    );

    let stored = sim.attachments("incident", &record.id);
    assert_eq!(stored.len(), 1);
    let stored = &stored[0];
    assert_eq!(stored.sys_id, attachment.id);
    assert_eq!(stored.content, content, "the bytes as sent");
    assert_eq!(stored.hash, sha256(&content));
    assert_eq!(stored.content_type, "image/png");
    assert_eq!(stored.file_name, "cost report 2026-01.png");
    assert_eq!(
        stored.sys_created_by,
        servicenow_simulator::DEFAULT_USER_NAME
    );
}

/// A file of exactly the cap goes through the host's default request cap.
#[tokio::test]
async fn a_file_at_the_cap_is_attached() {
    let (sim, mut tenant) = attaching().await;
    let record = open(&mut tenant, "cost-optimization", "Big report").await;
    let content = binary(CAP);
    let attachment = tenant
        .attach_file(&incident(&record.id), "costs.csv", "text/csv", &content)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(attachment.size_bytes, CAP as u64);
    assert_eq!(
        sim.attachments("incident", &record.id)[0].hash,
        sha256(&content)
    );
}

/// Over the cap: refused before anything is sent, by the component under a host that would
/// let it out, by the host itself under the default policy; the tenant works on.
#[tokio::test]
async fn a_file_over_the_cap_is_refused_before_sending() {
    let sim = support::instance().await;
    let roomy = host().with_limits(SandboxLimits {
        max_request_body: 8 << 20,
        ..limits()
    });
    let mut tenant = configured(&roomy, "roomy", &sim, &attachments_on(&sim)).await;
    let record = open(&mut tenant, "cost-optimization", "Idle VM").await;
    sim.clear_requests();
    let over = binary(CAP + 1);
    let error = tenant
        .attach_file(&incident(&record.id), "costs.csv", "text/csv", &over)
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidTicket);
    assert!(
        error
            .message
            .contains("4194305 bytes, more than the 4194304 bytes (4 MiB) an attachment may be"),
        "{}",
        error.message
    );
    assert!(sim.requests().is_empty(), "nothing was sent");

    let (sim, mut tenant) = attaching().await;
    let record = open(&mut tenant, "cost-optimization", "Idle VM").await;
    sim.clear_requests();
    let error = tenant
        .attach_file(
            &incident(&record.id),
            "costs.csv",
            "text/csv",
            &binary(5 << 20),
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidTicket);
    assert!(error.message.contains("sandbox"), "{}", error.message);
    assert!(sim.requests().is_empty());
    assert!(sim.attachments("incident", &record.id).is_empty());
    still_attaches(&mut tenant, &record.id).await;
}

async fn still_attaches(tenant: &mut Tenant, id: &str) {
    tenant
        .attach_file(&incident(id), "after.txt", "text/plain", b"still here")
        .await
        .unwrap()
        .expect("the tenant works on");
}

/// Names that are paths or hide what they are, and types that are not media types.
#[tokio::test]
async fn bad_names_and_types_are_refused_before_sending() {
    let (sim, mut tenant) = attaching().await;
    let record = open(&mut tenant, "cost-optimization", "Idle VM").await;
    sim.clear_requests();
    for (name, content_type, says) in [
        ("../../etc/passwd", "text/plain", "path separator"),
        ("C:\\reports\\costs.csv", "text/csv", "path separator"),
        ("costs\n.csv", "text/csv", "control character"),
        ("invoice\u{202E}fdp.exe", "application/pdf", "reorders"),
        ("", "text/csv", "is empty"),
        ("costs.csv", "csv", "not a media type"),
        ("costs.csv", "text/csv\r\nX-Injected: 1", "not a media type"),
    ] {
        let error = tenant
            .attach_file(&incident(&record.id), name, content_type, b"a,b\n")
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!(error.kind, ErrorKind::InvalidTicket, "{name:?}");
        assert!(error.message.contains(says), "{} / {says}", error.message);
        assert!(!error.message.chars().any(char::is_control), "{name:?}");
    }
    let error = tenant
        .attach_file(&incident(&record.id), "empty.csv", "text/csv", b"")
        .await
        .unwrap()
        .unwrap_err();
    assert!(error.message.contains("empty"), "{}", error.message);
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
}

/// A securely scoped OAuth application without the Attachment API in its scopes: the
/// guide's remedy for additional APIs, and no attachment.
#[tokio::test]
async fn the_scope_403_names_the_guides_remedy() {
    let (sim, mut tenant) = attaching().await;
    let record = open(&mut tenant, "cost-optimization", "Idle VM").await;
    sim.update_faults(|f| f.attachment_api_unscoped = true);
    let error = tenant
        .attach_file(
            &incident(&record.display_id),
            "costs.csv",
            "text/csv",
            b"a,b\n",
        )
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::MissingAuthScope);
    assert_eq!(error.http_status, Some(403));
    assert!(
        error
            .message
            .contains("Access to unscoped api is not allowed"),
        "{}",
        error.message
    );
    let remedy = error.remedy.unwrap();
    assert!(
        remedy.contains(
            "If you need access to additional APIs (e.g., Import API, Attachment API), create \
             additional scopes as needed"
        ),
        "{remedy}"
    );
    assert_eq!(
        error.guide_step.as_deref(),
        Some("ServiceNow Step 3: Create an API Authentication Scope")
    );
    assert_eq!(attachment_posts(&sim), 1, "not repeated");
    assert!(sim.attachments("incident", &record.id).is_empty());
}

/// Test Connection checks the Attachment API when the settings turn attachments on, after
/// table access and before the assignment group.
#[tokio::test]
async fn test_connection_checks_the_attachment_api_when_attachments_are_on() {
    let (sim, mut tenant) = setup().await;
    let report = tenant.test_connection().await.unwrap();
    let check = &report.checks[5];
    assert_eq!(
        (check.id.as_str(), check.status),
        ("attachment-api", CheckStatus::Skipped)
    );
    assert_eq!(check.detail, "attachments are off in the settings");
    // Off, a file is refused by the setting's name, before anything is sent.
    let record = open(&mut tenant, "cost-optimization", "Idle VM").await;
    sim.clear_requests();
    let error = tenant
        .attach_file(&incident(&record.id), "costs.csv", "text/csv", b"a,b\n")
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::InvalidSettings);
    assert_eq!(error.field.as_deref(), Some("attachments"));
    assert!(error.remedy.is_some());
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());

    configure_ok(&mut tenant, &sim, &attachments_on(&sim)).await;
    let report = tenant.test_connection().await.unwrap();
    assert!(report.passed, "{report:#?}");
    let ids: Vec<&str> = report.checks.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        &ids[4..],
        [
            "table-access",
            "attachment-api",
            "change-api",
            "assignment-group",
            "import-set",
            "cmdb"
        ]
    );
    assert_eq!(report.checks[5].status, CheckStatus::Passed);
    assert!(
        sim.requests()
            .iter()
            .any(|r| r.method == "GET" && r.path == "/api/now/attachment")
    );

    sim.update_faults(|f| f.attachment_api_unscoped = true);
    let report = tenant.test_connection().await.unwrap();
    assert!(!report.passed);
    let check = &report.checks[5];
    assert_eq!(check.status, CheckStatus::Failed);
    assert!(
        check
            .remedy
            .as_deref()
            .unwrap()
            .contains("create additional scopes as needed"),
        "{check:?}"
    );
    assert_eq!(report.checks[4].status, CheckStatus::Passed, "table access");
    assert_eq!(
        report.checks[7].status,
        CheckStatus::Skipped,
        "no default group"
    );
}
