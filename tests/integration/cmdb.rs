//! The ticket's cloud resource linked as its configuration item (docs/servicenow/cmdb.md): found
//! by its id or by name within its account and region, retired and ambiguous CIs never linked,
//! the CMDB refused or hidden, affected resources as `task_ci` rows, lookups cached, and no
//! CMDB request when the setting is off.

use std::time::Duration;

use servicenow_simulator::{CloudCi, CmdbRead, RecordedRequest, Simulator};
use ticketing_host::Tenant;
use ticketing_host::api::{CheckStatus, CloudResource, ConfigurationItem, Ticket, WrittenTicket};

use support::{configure_ok, create_written, incident, settings, setup, table_calls, ticket};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";

/// The CMDB requests a call sent: lookups of CIs and relationships, and `task_ci` links.
fn cmdb_calls(sim: &Simulator) -> Vec<RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/now/table/cmdb") || r.path.ends_with("/task_ci"))
        .collect()
}

/// Configures `tenant` with the default settings and `link_configuration_items` as given.
async fn link_cis(tenant: &mut Tenant, sim: &Simulator, on: bool) {
    configure_ok(
        tenant,
        sim,
        &settings(sim).with_flag("link_configuration_items", on),
    )
    .await;
}

/// A simulator and a tenant linking CIs, with no request recorded yet.
async fn linking() -> (Simulator, Tenant) {
    let (sim, mut tenant) = setup().await;
    link_cis(&mut tenant, &sim, true).await;
    sim.clear_requests();
    (sim, tenant)
}

fn aws(id: &str, name: &str) -> CloudResource {
    CloudResource {
        provider: "aws".into(),
        account: ACCOUNT.into(),
        region: REGION.into(),
        resource_id: id.into(),
        display_name: name.into(),
    }
}

fn about(resource: CloudResource) -> Ticket {
    Ticket {
        resource: Some(resource),
        ..ticket("cost-optimization", "Idle VM")
    }
}

fn item(sys_id: &str, name: &str) -> Option<ConfigurationItem> {
    Some(ConfigurationItem {
        id: sys_id.into(),
        name: name.into(),
    })
}

/// The `cmdb_ci` the instance stored on the incident.
fn stored_ci(sim: &Simulator, sys_id: &str) -> String {
    let rows = sim.records("incident");
    let row = rows
        .iter()
        .find(|row| row["sys_id"] == sys_id)
        .expect("the incident");
    row["cmdb_ci"].as_str().unwrap_or_default().to_string()
}

/// The one not-applied entry, for `field`.
fn reason<'a>(written: &'a WrittenTicket, field: &str) -> &'a str {
    assert_eq!(written.not_applied.len(), 1, "{:?}", written.not_applied);
    assert_eq!(written.not_applied[0].field, field);
    &written.not_applied[0].reason
}

#[tokio::test]
async fn an_idle_ec2_vm_is_found_by_its_instance_id_and_read_back_with_the_ticket() {
    let (sim, mut tenant) = linking().await;
    sim.freeze_clock();
    let start = tenant.changes_since(None).await.unwrap().unwrap().cursor;
    sim.advance_clock(Duration::from_secs(1));
    let vm = CloudCi::aws_vm("web-01", "i-0abc123")
        .account(ACCOUNT)
        .region(REGION);
    let ci = sim.insert_cloud_ci(vm).unwrap();
    sim.clear_requests();

    let w = create_written(&mut tenant, &about(aws("i-0abc123", "web-01"))).await;
    assert_eq!(w.configuration_item, item(&ci, "web-01"));
    assert!(w.not_applied.is_empty(), "{:?}", w.not_applied);
    assert_eq!(stored_ci(&sim, &w.ticket.id), ci);
    let lookups = cmdb_calls(&sim);
    assert_eq!(lookups.len(), 1, "found by its id: {lookups:?}");
    assert_eq!(lookups[0].path, "/api/now/table/cmdb_ci_vm_instance");
    let query = lookups[0].query.as_deref().unwrap_or_default();
    assert!(query.contains("sysparm_limit=2"), "{query}");
    assert!(query.contains("install_status%21%3D7"), "{query}");
    let posts = table_calls(&sim, "POST");
    assert_eq!(posts.len(), 1);
    assert!(posts[0].body.contains(&format!("\"cmdb_ci\":\"{ci}\"")));

    // get-ticket and changes-since carry the CI.
    let details = tenant
        .get_ticket(&incident(&w.ticket.display_id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(details.configuration_item, item(&ci, "web-01"));
    sim.advance_clock(Duration::from_secs(2));
    let page = tenant.changes_since(Some(&start)).await.unwrap().unwrap();
    assert_eq!(page.changes.len(), 1, "{page:?}");
    assert_eq!(page.changes[0].configuration_item, item(&ci, "web-01"));

    // The second ticket for the same resource asks the CMDB nothing: one request to create.
    sim.clear_requests();
    let again = create_written(&mut tenant, &about(aws("i-0abc123", "web-01"))).await;
    assert_eq!(again.configuration_item, item(&ci, "web-01"));
    assert!(cmdb_calls(&sim).is_empty(), "{:?}", cmdb_calls(&sim));
    let sent: Vec<String> = sim.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(sent, ["/api/now/table/incident"]);
}

#[tokio::test]
async fn an_azure_vm_is_found_by_its_resource_id() {
    let (sim, mut tenant) = linking().await;
    let arm = "/subscriptions/0000/resourceGroups/prod/providers/Microsoft.Compute/virtualMachines/api-vm";
    let vm = CloudCi::azure_vm("api-vm", arm, "7d1e0f52-0000-4a4b-9c9d-123456789abc")
        .resource_group("prod")
        .region("westeurope");
    let ci = sim.insert_cloud_ci(vm).unwrap();
    let resource = CloudResource {
        provider: "azure".into(),
        account: "0000".into(),
        region: "westeurope".into(),
        resource_id: arm.into(),
        display_name: "api-vm".into(),
    };
    let w = create_written(&mut tenant, &about(resource)).await;
    assert_eq!(w.configuration_item, item(&ci, "api-vm"));
    assert_eq!(stored_ci(&sim, &w.ticket.id), ci);
}

#[tokio::test]
async fn a_resource_is_found_by_name_within_its_account_and_region_only() {
    let (sim, mut tenant) = linking().await;
    // Discovery recorded another id; the same name lives in another account too.
    let ours = CloudCi::aws_vm("batch-07", "i-0recorded")
        .account(ACCOUNT)
        .region(REGION);
    let ours = sim.insert_cloud_ci(ours).unwrap();
    let theirs = CloudCi::aws_vm("batch-07", "i-0theirs")
        .account("999999999999")
        .region(REGION);
    sim.insert_cloud_ci(theirs).unwrap();
    let elsewhere = CloudCi::aws_vm("batch-07", "i-0west")
        .account(ACCOUNT)
        .region("us-west-2");
    sim.insert_cloud_ci(elsewhere).unwrap();

    let w = create_written(&mut tenant, &about(aws("i-0unknown", "batch-07"))).await;
    assert_eq!(w.configuration_item, item(&ours, "batch-07"));
    assert!(w.not_applied.is_empty(), "{:?}", w.not_applied);
    let lookups: Vec<String> = cmdb_calls(&sim).iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        lookups,
        [
            "/api/now/table/cmdb_ci_vm_instance",
            "/api/now/table/cmdb_ci_cloud_service_account",
            "/api/now/table/cmdb_rel_ci",
            "/api/now/table/cmdb_ci_aws_datacenter",
            "/api/now/table/cmdb_rel_ci",
        ]
    );

    // Not in the CMDB at all: the ticket says which lookups found nothing.
    let w = create_written(&mut tenant, &about(aws("i-0nowhere", "nobody"))).await;
    assert_eq!(w.configuration_item, None);
    let why = reason(&w, "cmdb_ci");
    assert!(why.contains("no CI in the CMDB"), "{why}");
    assert!(why.contains("\"i-0nowhere\""), "{why}");
    assert!(why.contains("vm_inst_id"), "{why}");
    assert!(why.contains("named \"nobody\""), "{why}");
    assert_eq!(stored_ci(&sim, &w.ticket.id), "");
}

#[tokio::test]
async fn a_retired_ci_is_skipped_and_the_live_one_found() {
    let (sim, mut tenant) = linking().await;
    let old = CloudCi::aws_vm("web-old", "i-0reused")
        .account(ACCOUNT)
        .region(REGION)
        .retired();
    sim.insert_cloud_ci(old).unwrap();
    let live = CloudCi::aws_vm("web-new", "i-0reused")
        .account(ACCOUNT)
        .region(REGION);
    let live = sim.insert_cloud_ci(live).unwrap();
    let w = create_written(&mut tenant, &about(aws("i-0reused", ""))).await;
    assert_eq!(w.configuration_item, item(&live, "web-new"));
}

#[tokio::test]
async fn two_matching_cis_link_nothing_and_say_so() {
    let (sim, mut tenant) = linking().await;
    let mut ids = Vec::new();
    for name in ["web-a", "web-b"] {
        let vm = CloudCi::aws_vm(name, "i-0twice")
            .account(ACCOUNT)
            .region(REGION);
        ids.push(sim.insert_cloud_ci(vm).unwrap());
    }
    let w = create_written(&mut tenant, &about(aws("i-0twice", "web-a"))).await;
    assert_eq!(w.configuration_item, None);
    let why = reason(&w, "cmdb_ci");
    assert!(why.starts_with("two CIs match"), "{why}");
    assert!(ids.iter().all(|id| why.contains(id.as_str())), "{why}");
    assert_eq!(stored_ci(&sim, &w.ticket.id), "");
}

#[tokio::test]
async fn a_cmdb_refused_still_creates_the_ticket_and_names_the_role() {
    let (sim, mut tenant) = linking().await;
    let vm = CloudCi::aws_vm("web-01", "i-0abc123")
        .account(ACCOUNT)
        .region(REGION);
    sim.insert_cloud_ci(vm).unwrap();
    sim.update_faults(|f| f.cmdb_read = CmdbRead::Refused);
    for _ in 0..2 {
        sim.clear_requests();
        let w = create_written(&mut tenant, &about(aws("i-0abc123", "web-01"))).await;
        assert_eq!(w.configuration_item, None);
        let why = reason(&w, "cmdb_ci");
        assert!(
            why.contains("may not read the CMDB: grant a CMDB read role or itil"),
            "{why}"
        );
        // A refusal is not remembered as absence: the next create asks again.
        assert_eq!(cmdb_calls(&sim).len(), 1);
    }

    let report = tenant.test_connection().await.unwrap();
    let check = report.checks.iter().find(|c| c.id == "cmdb").unwrap();
    assert_eq!(check.status, CheckStatus::Failed, "{check:?}");
    assert_eq!(check.label, "The integration user can read the CMDB");
    let remedy = check.remedy.as_ref().expect("a remedy");
    assert!(
        remedy.contains("cmdb_read") && remedy.contains("itil"),
        "{remedy}"
    );
    assert!(!report.passed);
}

#[tokio::test]
async fn cis_hidden_by_acls_are_not_found_and_the_check_passes_seeing_none() {
    let (sim, mut tenant) = linking().await;
    let vm = CloudCi::aws_vm("web-01", "i-0abc123")
        .account(ACCOUNT)
        .region(REGION);
    sim.insert_cloud_ci(vm).unwrap();
    sim.update_faults(|f| f.cmdb_read = CmdbRead::RowsHidden);
    let w = create_written(&mut tenant, &about(aws("i-0abc123", "web-01"))).await;
    assert_eq!(w.configuration_item, None);
    assert!(reason(&w, "cmdb_ci").contains("no CI in the CMDB"));

    let report = tenant.test_connection().await.unwrap();
    let check = report.checks.iter().find(|c| c.id == "cmdb").unwrap();
    assert_eq!(check.status, CheckStatus::Passed, "{check:?}");
    assert!(
        check.detail.contains("sees no configuration item"),
        "{check:?}"
    );
    assert!(report.passed, "{report:#?}");
}

#[tokio::test]
async fn affected_resources_are_linked_as_task_ci_rows() {
    let (sim, mut tenant) = linking().await;
    let mut cis = Vec::new();
    for (name, id) in [("web-01", "i-01"), ("web-02", "i-02")] {
        let vm = CloudCi::aws_vm(name, id).account(ACCOUNT).region(REGION);
        cis.push(sim.insert_cloud_ci(vm).unwrap());
    }
    let ticket = Ticket {
        affected_resources: vec![
            aws("i-01", "web-01"),
            aws("i-02", "web-02"),
            aws("i-09", ""),
        ],
        ..about(aws("i-01", "web-01"))
    };
    let w = create_written(&mut tenant, &ticket).await;
    assert_eq!(w.configuration_item, item(&cis[0], "web-01"));
    let why = reason(&w, "task_ci");
    assert!(why.contains("\"i-09\""), "{why}");
    let mut linked: Vec<String> = sim
        .records("task_ci")
        .iter()
        .filter(|row| row["task"] == w.ticket.id.as_str())
        .map(|row| row["ci_item"].as_str().unwrap_or_default().to_string())
        .collect();
    linked.sort();
    let mut expected = cis.clone();
    expected.sort();
    assert_eq!(linked, expected);
}

#[tokio::test]
async fn no_cmdb_request_when_the_setting_is_off_or_no_resource_is_named() {
    let (sim, mut tenant) = setup().await;
    let vm = CloudCi::aws_vm("web-01", "i-0abc123")
        .account(ACCOUNT)
        .region(REGION);
    sim.insert_cloud_ci(vm).unwrap();
    sim.clear_requests();
    let named = Ticket {
        affected_resources: vec![aws("i-0abc123", "web-01")],
        ..about(aws("i-0abc123", "web-01"))
    };
    let w = create_written(&mut tenant, &named).await;
    assert_eq!(w.configuration_item, None);
    assert!(w.not_applied.is_empty(), "{:?}", w.not_applied);
    assert!(cmdb_calls(&sim).is_empty(), "{:?}", cmdb_calls(&sim));
    let report = tenant.test_connection().await.unwrap();
    let check = report.checks.iter().find(|c| c.id == "cmdb").unwrap();
    assert_eq!(check.status, CheckStatus::Skipped);

    link_cis(&mut tenant, &sim, true).await;
    sim.clear_requests();
    let w = create_written(&mut tenant, &ticket("cost-optimization", "No resource")).await;
    assert!(w.not_applied.is_empty(), "{:?}", w.not_applied);
    assert!(cmdb_calls(&sim).is_empty(), "{:?}", cmdb_calls(&sim));
}
