//! Cloud resources in the CMDB (docs/servicenow/cmdb.md): CIs found by their cloud ids through the
//! Table API, parent classes listing their children, retired and ambiguous matches, a ticket's
//! `cmdb_ci` and affected CIs, and the CMDB read fault.

use serde_json::{Value, json};

use super::*;

/// A Table API path with its query string percent-encoded (`^`, spaces).
fn path(table: &str, params: &[(&str, &str)]) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    format!("/api/now/table/{table}?{query}")
}

const LOOKUP_FIELDS: &str =
    "sys_id,name,object_id,vm_inst_id,state,install_status,operational_status,sys_class_name";

async fn get(sim: &Simulator, t: &str, target: &str) -> Value {
    let answer = api(sim, t, "GET", target, "").await;
    assert_eq!(answer.status, 200, "{target}: {}", answer.body);
    answer.json()["result"].clone()
}

/// The `name`s of a list's rows.
fn names(result: &Value) -> Vec<&str> {
    result
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["name"].as_str().unwrap())
        .collect()
}

fn seed(sim: &Simulator) -> (String, String, String) {
    let ec2 = CloudCi::aws_vm("web-01", "i-0abc123")
        .account("123456789012")
        .region("us-east-1")
        .tag("team", "payments");
    let ec2 = sim.insert_cloud_ci(ec2).unwrap();
    let azure = CloudCi::azure_vm(
        "api-vm",
        "/subscriptions/0000/resourceGroups/prod/providers/Microsoft.Compute/virtualMachines/api-vm",
        "7d1e0f52-0000-4a4b-9c9d-123456789abc",
    )
    .resource_group("prod")
    .region("westeurope");
    let azure = sim.insert_cloud_ci(azure).unwrap();
    let arn = "arn:aws:rds:us-east-1:123456789012:db:orders";
    let db = CloudCi::new("cmdb_ci_cloud_database", "orders", arn).account("123456789012");
    let db = sim.insert_cloud_ci(db).unwrap();
    (ec2, azure, db)
}

#[tokio::test]
async fn a_vm_is_found_by_each_of_its_ids() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let (ec2, azure, _) = seed(&sim);
    let by_id = |query: &str| {
        path(
            "cmdb_ci_vm_instance",
            &[
                ("sysparm_query", query),
                ("sysparm_fields", LOOKUP_FIELDS),
                ("sysparm_exclude_reference_link", "true"),
                ("sysparm_limit", "2"),
            ],
        )
    };
    let found = get(
        &sim,
        &t,
        &by_id("object_id=i-0abc123^ORvm_inst_id=i-0abc123"),
    )
    .await;
    assert_eq!(
        found,
        json!([{"sys_id": ec2, "name": "web-01", "object_id": "i-0abc123",
            "vm_inst_id": "i-0abc123", "state": "on", "install_status": "1",
            "operational_status": "1", "sys_class_name": "cmdb_ci_vm_instance"}])
    );
    let vm_id = "7d1e0f52-0000-4a4b-9c9d-123456789abc";
    let found = get(&sim, &t, &by_id(&format!("vm_inst_id={vm_id}"))).await;
    assert_eq!(found[0]["sys_id"], azure.as_str());
    let found = get(&sim, &t, &by_id("object_idLIKEvirtualMachines/api-vm")).await;
    assert_eq!(names(&found), ["api-vm"]);
    let found = get(&sim, &t, &by_id("name=web-01")).await;
    assert_eq!(found[0]["sys_id"], ec2.as_str());
    // Values are case-sensitive (docs/servicenow/table-api.md#query-parameters).
    assert_eq!(
        get(&sim, &t, &by_id("object_id=I-0ABC123")).await,
        json!([])
    );
    assert_eq!(
        get(&sim, &t, &by_id("object_id=i-0nothere")).await,
        json!([])
    );
}

#[tokio::test]
async fn cmdb_ci_lists_every_class_with_its_own_columns() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let (ec2, _, db) = seed(&sim);
    let arn = "arn:aws:rds:us-east-1:123456789012:db:orders";
    let query = format!("object_id=i-0abc123^ORobject_id={arn}^ORDERBYname");
    let found = get(&sim, &t, &path("cmdb_ci", &[("sysparm_query", &query)])).await;
    assert_eq!(names(&found), ["orders", "web-01"]);
    assert_eq!(found[0]["sys_class_name"], "cmdb_ci_cloud_database");
    assert_eq!(found[1]["sys_class_name"], "cmdb_ci_vm_instance");
    assert!(found[1].get("vm_inst_id").is_none(), "{}", found[1]);
    assert!(found[1].get("install_status").is_some());
    // One record through its parent class; the class shows its label.
    let one = get(
        &sim,
        &t,
        &format!("/api/now/table/cmdb_ci/{ec2}?sysparm_display_value=true"),
    )
    .await;
    assert_eq!(one["sys_class_name"], "Virtual Machine Instance");
    assert_eq!(one["install_status"], "Installed");
    let one = get(&sim, &t, &format!("/api/now/table/cmdb_ci_vm_object/{ec2}")).await;
    assert_eq!(one["state"], "on");
    let missing = api(
        &sim,
        &t,
        "GET",
        &format!("/api/now/table/cmdb_ci_vm_instance/{db}"),
        "",
    )
    .await;
    assert_eq!(missing.status, 404, "a database is not a VM");
    let vms = path(
        "cmdb_ci",
        &[(
            "sysparm_query",
            "sys_class_nameINSTANCEOFcmdb_ci_vm_object^ORDERBYname",
        )],
    );
    assert_eq!(names(&get(&sim, &t, &vms).await), ["api-vm", "web-01"]);
    // vm_inst_id is not a cmdb_ci column: the instance ignores that part and matches every CI.
    let all = get(
        &sim,
        &t,
        &path("cmdb_ci", &[("sysparm_query", "vm_inst_id=i-0abc123")]),
    )
    .await;
    assert!(all.as_array().unwrap().len() > 3, "{all}");
}

#[tokio::test]
async fn retired_cis_are_filtered_by_install_status() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let old = sim
        .insert_cloud_ci(CloudCi::aws_vm("web-01", "i-0old").retired())
        .unwrap();
    let live = sim
        .insert_cloud_ci(CloudCi::aws_vm("web-01", "i-0new"))
        .unwrap();
    let list = |query: &str| {
        path(
            "cmdb_ci_vm_instance",
            &[("sysparm_query", query), ("sysparm_display_value", "all")],
        )
    };
    let both = get(&sim, &t, &list("name=web-01")).await;
    assert_eq!(both.as_array().unwrap().len(), 2);
    assert_eq!(
        both[0]["install_status"],
        json!({"display_value": "Retired", "value": INSTALL_STATUS_RETIRED})
    );
    assert_eq!(both[0]["state"]["display_value"], "Terminated");
    assert_eq!(both[0]["sys_id"]["value"], old.as_str());
    let current = get(&sim, &t, &list("name=web-01^install_status!=7")).await;
    assert_eq!(current.as_array().unwrap().len(), 1);
    assert_eq!(current[0]["sys_id"]["value"], live.as_str());
    let retired = get(&sim, &t, &list("object_id=i-0old^install_status!=7")).await;
    assert_eq!(retired, json!([]));
}

/// Two VMs share a name in two accounts: a lookup by name finds both (limit 2 shows the
/// ambiguity); the account's datacenter and the relationships tell them apart.
#[tokio::test]
async fn ambiguous_names_are_told_apart_by_account() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let prod = CloudCi::aws_vm("web-01", "i-0prod")
        .account("111111111111")
        .region("us-east-1");
    let prod = sim.insert_cloud_ci(prod).unwrap();
    let test = CloudCi::aws_vm("web-01", "i-0test")
        .account("222222222222")
        .region("us-east-1");
    sim.insert_cloud_ci(test).unwrap();
    let by_name = path(
        "cmdb_ci_vm_instance",
        &[
            ("sysparm_query", "name=web-01^install_status!=7"),
            ("sysparm_limit", "2"),
        ],
    );
    let answer = api(&sim, &t, "GET", &by_name, "").await;
    assert_eq!(answer.json()["result"].as_array().unwrap().len(), 2);
    assert_eq!(answer.header("x-total-count"), Some("2"));

    let fields = ("sysparm_exclude_reference_link", "true");
    let account = path(
        "cmdb_ci_cloud_service_account",
        &[("sysparm_query", "account_id=111111111111"), fields],
    );
    let account = get(&sim, &t, &account).await[0]["sys_id"].clone();
    let regions = path(
        "cmdb_ci_aws_datacenter",
        &[("sysparm_query", "region=us-east-1"), fields],
    );
    assert_eq!(
        get(&sim, &t, &regions).await.as_array().unwrap().len(),
        2,
        "one per account"
    );
    let hosted = format!(
        "child={}^type={HOSTED_ON_REL_TYPE_ID}",
        account.as_str().unwrap()
    );
    let datacenter = get(
        &sim,
        &t,
        &path("cmdb_rel_ci", &[("sysparm_query", &hosted), fields]),
    )
    .await;
    let datacenter = datacenter[0]["parent"].as_str().unwrap().to_string();
    let on_it = format!("child={datacenter}^type={HOSTED_ON_REL_TYPE_ID}");
    let vms = get(
        &sim,
        &t,
        &path("cmdb_rel_ci", &[("sysparm_query", &on_it), fields]),
    )
    .await;
    assert_eq!(vms.as_array().unwrap().len(), 1);
    assert_eq!(vms[0]["parent"], prod.as_str());
    // The relationship shows its type and CIs by name.
    let shown = path(
        "cmdb_rel_ci",
        &[("sysparm_query", &on_it), ("sysparm_display_value", "true")],
    );
    let shown = get(&sim, &t, &shown).await;
    assert_eq!(shown[0]["type"]["display_value"], "Hosted on::Hosts");
    assert_eq!(shown[0]["parent"]["display_value"], "web-01");
    assert_eq!(shown[0]["child"]["display_value"], "us-east-1");
}

#[tokio::test]
async fn a_ticket_names_its_ci_by_sys_id() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let (ec2, _, db) = seed(&sim);
    let body = json!({"short_description": "Idle VM", "cmdb_ci": ec2}).to_string();
    let answer = api(&sim, &t, "POST", "/api/now/table/incident", &body).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let incident = answer.json()["result"].clone();
    assert_eq!(
        incident["cmdb_ci"],
        json!({"link": format!("{}/api/now/table/cmdb_ci/{ec2}", sim.base_url()), "value": ec2})
    );
    let id = incident["sys_id"].as_str().unwrap().to_string();
    let read = format!(
        "/api/now/table/incident/{id}?sysparm_fields=cmdb_ci&sysparm_display_value=all&sysparm_exclude_reference_link=true"
    );
    assert_eq!(
        get(&sim, &t, &read).await["cmdb_ci"],
        json!({"display_value": "web-01", "value": ec2})
    );
    // A change request and a problem take a CI of any class.
    for table in ["change_request", "problem"] {
        let body = json!({"short_description": "x", "cmdb_ci": db}).to_string();
        let answer = api(&sim, &t, "POST", &format!("/api/now/table/{table}"), &body).await;
        assert_eq!(
            answer.json()["result"]["cmdb_ci"]["value"],
            db.as_str(),
            "{table}"
        );
    }
    // A sys_id that is no CI does not stick; a name does with input display values.
    let patch = format!("/api/now/table/incident/{id}");
    let answer = api(
        &sim,
        &t,
        "PATCH",
        &patch,
        r#"{"cmdb_ci":"0123456789abcdef0123456789abcdef"}"#,
    )
    .await;
    assert_eq!(answer.json()["result"]["cmdb_ci"], "");
    let by_name =
        format!("{patch}?sysparm_input_display_value=true&sysparm_exclude_reference_link=true");
    let answer = api(&sim, &t, "PATCH", &by_name, r#"{"cmdb_ci":"orders"}"#).await;
    assert_eq!(answer.json()["result"]["cmdb_ci"], db.as_str());
}

#[tokio::test]
async fn affected_cis_are_task_ci_rows() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let (ec2, azure, _) = seed(&sim);
    let incident = sim.insert_record("incident", fields(json!({"short_description": "x"})));
    let task = incident["sys_id"].as_str().unwrap().to_string();
    let body = json!({"task": task, "ci_item": ec2}).to_string();
    let answer = api(&sim, &t, "POST", "/api/now/table/task_ci", &body).await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(
        answer.json()["result"]["task"],
        json!({"link": format!("{}/api/now/table/task/{task}", sim.base_url()), "value": task})
    );
    sim.link_affected_ci(&task, &azure);
    let list = path(
        "task_ci",
        &[
            ("sysparm_query", &format!("task={task}")),
            ("sysparm_display_value", "true"),
            ("sysparm_exclude_reference_link", "true"),
        ],
    );
    let rows = get(&sim, &t, &list).await;
    let shown: Vec<(&Value, &Value)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (&r["task"], &r["ci_item"]))
        .collect();
    assert_eq!(
        shown,
        [
            (&json!("INC0010001"), &json!("web-01")),
            (&json!("INC0010001"), &json!("api-vm"))
        ]
    );
    let by_ci = path("task_ci", &[("sysparm_query", &format!("ci_item={ec2}"))]);
    assert_eq!(get(&sim, &t, &by_ci).await.as_array().unwrap().len(), 1);
    // The link of `task` leads to the ticket through the task table.
    let through_task = get(
        &sim,
        &t,
        &format!("/api/now/table/task/{task}?sysparm_fields=number,sys_class_name"),
    )
    .await;
    assert_eq!(
        through_task,
        json!({"number": "INC0010001", "sys_class_name": "incident"})
    );
    // A CI that does not exist does not stick.
    let body = json!({"task": task, "ci_item": "nope"}).to_string();
    let answer = api(&sim, &t, "POST", "/api/now/table/task_ci", &body).await;
    assert_eq!(answer.json()["result"]["ci_item"], "");
}

#[tokio::test]
async fn without_cmdb_read_access_queries_are_refused_or_come_back_empty() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let (ec2, _, _) = seed(&sim);
    let lookup = path(
        "cmdb_ci_vm_instance",
        &[("sysparm_query", "object_id=i-0abc123")],
    );
    let one = format!("/api/now/table/cmdb_ci/{ec2}");
    sim.update_faults(|f| f.cmdb_read = CmdbRead::Refused);
    for target in [lookup.as_str(), one.as_str(), "/api/now/table/cmdb_rel_ci"] {
        let answer = api(&sim, &t, "GET", target, "").await;
        assert_eq!(answer.status, 403, "{target}");
        assert_eq!(
            answer.body,
            r#"{"error":{"message":"Insufficient rights to query records","detail":null},"status":"failure"}"#
        );
    }
    // Tickets and their affected CIs stay readable.
    assert_eq!(get(&sim, &t, "/api/now/table/task_ci").await, json!([]));

    sim.update_faults(|f| f.cmdb_read = CmdbRead::RowsHidden);
    let answer = api(&sim, &t, "GET", &lookup, "").await;
    assert_eq!((answer.status, answer.json()), (200, json!({"result": []})));
    assert_eq!(answer.header("x-total-count"), Some("1"));
    let answer = api(&sim, &t, "GET", &one, "").await;
    assert_eq!(answer.status, 404);

    sim.update_faults(|f| f.cmdb_read = CmdbRead::Granted);
    assert_eq!(get(&sim, &t, &lookup).await[0]["sys_id"], ec2.as_str());
}

#[tokio::test]
async fn seeding_refuses_a_class_that_is_no_ci() {
    let sim = Simulator::start().await.unwrap();
    let error = sim
        .insert_cloud_ci(CloudCi::new("incident", "x", "y"))
        .unwrap_err();
    assert_eq!(error, "incident is not a configuration item class");
    assert!(
        sim.insert_cloud_ci(CloudCi::new("cmdb_ci_nope", "x", "y"))
            .is_err()
    );
    // The account and its datacenter are made once and shared.
    for id in ["i-1", "i-2"] {
        let vm = CloudCi::aws_vm(id, id).account("123").region("eu-west-1");
        sim.insert_cloud_ci(vm).unwrap();
    }
    assert_eq!(sim.records("cmdb_ci_cloud_service_account").len(), 1);
    assert_eq!(sim.records("cmdb_ci_aws_datacenter").len(), 1);
    assert_eq!(sim.records("cmdb_rel_ci").len(), 3);
}

#[tokio::test]
async fn a_ci_is_updated_and_deleted_through_its_parent_class() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let (ec2, _, _) = seed(&sim);
    let through_parent = format!("/api/now/table/cmdb_ci/{ec2}");
    let body = r#"{"short_description":"front end","vm_inst_id":"i-0changed"}"#;
    let answer = api(&sim, &t, "PATCH", &through_parent, body).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.json()["result"]["short_description"], "front end");
    let stored = sim.records("cmdb_ci_vm_instance");
    let stored = stored.iter().find(|r| r["sys_id"] == ec2.as_str()).unwrap();
    assert_eq!(
        stored["vm_inst_id"], "i-0abc123",
        "not a cmdb_ci column: ignored"
    );
    assert_eq!(stored["sys_mod_count"], "1");
    let answer = api(&sim, &t, "DELETE", &through_parent, "").await;
    assert_eq!(answer.status, 204);
    let answer = api(
        &sim,
        &t,
        "GET",
        &format!("/api/now/table/cmdb_ci_vm_instance/{ec2}"),
        "",
    )
    .await;
    assert_eq!(answer.status, 404);
}

#[tokio::test]
async fn queries_walk_one_reference_deep() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let (_, _, db) = seed(&sim);
    let account = sim.records("cmdb_ci_cloud_service_account")[0]["sys_id"].clone();
    let account = account.as_str().unwrap();
    let on_account = |more: &str| {
        let query = format!("child={account}{more}");
        path(
            "cmdb_rel_ci",
            &[
                ("sysparm_query", &query),
                ("sysparm_exclude_reference_link", "true"),
            ],
        )
    };
    assert_eq!(
        get(&sim, &t, &on_account(""))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let datacenters = get(
        &sim,
        &t,
        &on_account("^parent.sys_class_name=cmdb_ci_aws_datacenter"),
    )
    .await;
    assert_eq!(datacenters.as_array().unwrap().len(), 1);
    assert!(
        datacenters[0].get("parent.sys_class_name").is_none(),
        "walked values are not columns"
    );
    // "us-east-1" after "orders".
    let sorted = get(&sim, &t, &on_account("^ORDERBYDESCparent.name")).await;
    assert_eq!(sorted[1]["parent"], db.as_str());
    let sorted = get(&sim, &t, &on_account("^ORDERBYparent.name")).await;
    assert_eq!(sorted[0]["parent"], db.as_str());

    let incident = sim.insert_record("incident", fields(json!({"short_description": "x"})));
    sim.link_affected_ci(incident["sys_id"].as_str().unwrap(), &db);
    let by_number = path("task_ci", &[("sysparm_query", "task.number=INC0010001")]);
    assert_eq!(get(&sim, &t, &by_number).await.as_array().unwrap().len(), 1);
    let other = path("task_ci", &[("sysparm_query", "task.number=INC0099999")]);
    assert_eq!(get(&sim, &t, &other).await, json!([]));
    // A tag found by its key and value, shown with its CI's name.
    let tags = path(
        "cmdb_key_value",
        &[
            ("sysparm_query", "key=team^value=payments"),
            ("sysparm_display_value", "true"),
        ],
    );
    let tags = get(&sim, &t, &tags).await;
    assert_eq!(tags.as_array().unwrap().len(), 1);
    assert_eq!(tags[0]["configuration_item"]["display_value"], "web-01");
    // Walks the simulator cannot follow are named, not ignored; an unknown head is ignored.
    for query in ["parent.parent_account.name=x", "type.bogus=x"] {
        let answer = api(
            &sim,
            &t,
            "GET",
            &path("cmdb_rel_ci", &[("sysparm_query", query)]),
            "",
        )
        .await;
        assert_eq!(answer.status, 500, "{query}");
        assert!(answer.body.contains("dot-walked"), "{}", answer.body);
    }
    let unknown = path(
        "cmdb_rel_ci",
        &[("sysparm_query", &format!("u_x.name=y^child={account}"))],
    );
    assert_eq!(get(&sim, &t, &unknown).await.as_array().unwrap().len(), 2);
}
