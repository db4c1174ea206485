//! The store's business rules, write by write.

use super::*;
use serde_json::json;

const NOW: &str = "2025-01-02 03:04:05";

fn store() -> Store {
    Store::new(Ids::seeded(), NOW)
}

const INTEGRATION_USER: &str = crate::users::DEFAULT_USER_NAME;
const INTEGRATION_USER_ID: &str = "5137153cc611227c000bbd1bd8cd2005";

fn api() -> Write<'static> {
    Write {
        now: NOW,
        user: INTEGRATION_USER,
        user_id: Some(INTEGRATION_USER_ID),
        input_display_value: false,
        data_policy: true,
    }
}

fn input(value: Value) -> Row {
    value.as_object().cloned().unwrap()
}

/// The integration's update of incident `id` through the API.
fn update_incident(s: &mut Store, id: &str, fields: Value) -> Result<Row, WriteError> {
    s.update("incident", id, &input(fields), &api())
}

#[test]
fn insert_applies_defaults_and_numbers() {
    let mut s = store();
    let a = s
        .insert(
            "incident",
            &input(json!({"short_description": "x"})),
            &api(),
        )
        .unwrap();
    let b = s.insert("incident", &input(json!({})), &api()).unwrap();
    assert_eq!(a["number"], "INC0010001");
    assert_eq!(b["number"], "INC0010002");
    assert_eq!(a["state"], "1");
    assert_eq!(a["incident_state"], "1");
    assert_eq!(a["active"], "true");
    assert_eq!(
        (&a["impact"], &a["urgency"], &a["priority"]),
        (&json!("3"), &json!("3"), &json!("5"))
    );
    assert_eq!(a["sys_class_name"], "incident");
    assert_eq!(a["sys_created_by"], INTEGRATION_USER);
    assert_eq!(a["opened_by"], INTEGRATION_USER_ID);
    assert_eq!(a["sys_mod_count"], "0");
    assert_eq!(a["sys_created_on"], NOW);
    assert_eq!(a["close_code"], "");
    assert_eq!(a["sys_id"].as_str().unwrap().len(), 32);
    let change = s
        .insert("change_request", &input(json!({})), &api())
        .unwrap();
    assert_eq!(
        (&change["number"], &change["state"]),
        (&json!("CHG0030001"), &json!("-5"))
    );
    assert_eq!(change["priority"], "4", "change priorities stop at 4");
    let problem = s.insert("problem", &input(json!({})), &api()).unwrap();
    assert_eq!(
        (&problem["number"], &problem["state"]),
        (&json!("PRB0040001"), &json!("101"))
    );
    let task = s.insert("sc_task", &input(json!({})), &api()).unwrap();
    assert_eq!(task["number"], "SCTASK0010001");
    assert!(s.insert("nope", &input(json!({})), &api()).is_err());
    assert_eq!(
        s.insert("sys_choice", &input(json!({})), &api()),
        Err(WriteError::ReadOnly)
    );
}

#[test]
fn priority_is_computed_and_written_priority_ignored() {
    let mut s = store();
    let row = s
        .insert(
            "incident",
            &input(json!({"impact": 1, "urgency": "2", "priority": "5"})),
            &api(),
        )
        .unwrap();
    assert_eq!(
        (&row["impact"], &row["priority"]),
        (&json!("1"), &json!("2"))
    );
    let id = row["sys_id"].as_str().unwrap().to_string();
    let row = update_incident(&mut s, &id, json!({"urgency": "1"})).unwrap();
    assert_eq!(row["priority"], "1");
    s.set_low_low_priority(4);
    let row = s.insert("problem", &input(json!({})), &api()).unwrap();
    assert_eq!(row["priority"], "4");
}

#[test]
fn values_become_strings_and_unknown_fields_vanish() {
    let mut s = store();
    let row = s
        .insert(
            "incident",
            &input(json!({"u_custom": "x", "severity": 2, "hold_reason": null, "sys_id": "mine"})),
            &api(),
        )
        .unwrap();
    assert!(row.get("u_custom").is_none());
    assert_eq!(row["severity"], "2");
    assert_eq!(row["hold_reason"], "");
    assert_ne!(row["sys_id"], "mine");
}

#[test]
fn invalid_choices_are_dropped() {
    let mut s = store();
    let row = s
        .insert("incident", &input(json!({"state": "5", "impact": "0", "urgency": "2", "close_code": "Solved (Permanently)"})), &api())
        .unwrap();
    assert_eq!(
        (&row["state"], &row["impact"], &row["urgency"]),
        (&json!("1"), &json!("3"), &json!("2"))
    );
    assert_eq!(row["close_code"], "");
    let change = s
        .insert(
            "change_request",
            &input(json!({"state": "1", "close_code": "successful"})),
            &api(),
        )
        .unwrap();
    assert_eq!(
        (&change["state"], &change["close_code"]),
        (&json!("-5"), &json!("successful"))
    );
}

#[test]
fn group_references_must_resolve() {
    let mut s = store();
    let by_id = input(json!({"assignment_group": CLOUD_OPERATIONS_GROUP_ID}));
    assert_eq!(
        s.insert("incident", &by_id, &api()).unwrap()["assignment_group"],
        CLOUD_OPERATIONS_GROUP_ID
    );
    let by_name = input(json!({"assignment_group": "Cloud Operations"}));
    assert_eq!(
        s.insert("incident", &by_name, &api()).unwrap()["assignment_group"],
        ""
    );
    let display = Write {
        input_display_value: true,
        ..api()
    };
    assert_eq!(
        s.insert("incident", &by_name, &display).unwrap()["assignment_group"],
        CLOUD_OPERATIONS_GROUP_ID
    );
    let unknown = input(json!({"assignment_group": "No Such Team"}));
    assert_eq!(
        s.insert("incident", &unknown, &display).unwrap()["assignment_group"],
        ""
    );
    let added = s.add_group("Finance", NOW);
    assert_eq!(s.group_name(&added), Some("Finance"));
}

#[test]
fn data_policy_blocks_resolving_without_close_fields() {
    let mut s = store();
    let row = s.insert("incident", &input(json!({})), &api()).unwrap();
    let id = row["sys_id"].as_str().unwrap().to_string();
    let err = update_incident(&mut s, &id, json!({"state": "6"})).unwrap_err();
    assert_eq!(
        err,
        WriteError::DataPolicy(
            "Data Policy Exception: \n The following fields are mandatory: Resolution code, Resolution notes".into()
        )
    );
    let err = update_incident(
        &mut s,
        &id,
        json!({"state": "7", "close_code": "Duplicate", "work_notes": "x"}),
    )
    .unwrap_err();
    assert!(matches!(err, WriteError::DataPolicy(d) if d.ends_with("mandatory: Resolution notes")));
    // Refused writes change nothing, journal included.
    assert_eq!(
        s.table("incident").unwrap().find(&id).unwrap()["sys_mod_count"],
        "0"
    );
    assert!(s.table(JOURNAL_TABLE).unwrap().rows().is_empty());
    // An invalid close code is dropped and then trips the policy.
    let err = update_incident(
        &mut s,
        &id,
        json!({"state": "6", "close_code": "Fixed", "close_notes": "n"}),
    )
    .unwrap_err();
    assert!(matches!(err, WriteError::DataPolicy(d) if d.ends_with("mandatory: Resolution code")));
    let resolved = update_incident(
        &mut s,
        &id,
        json!({"state": "6", "close_code": "Solution provided", "close_notes": "done"}),
    )
    .unwrap();
    assert_eq!(
        (&resolved["active"], &resolved["resolved_at"]),
        (&json!("false"), &json!(NOW))
    );
    assert_eq!(resolved["sys_mod_count"], "1");
    let reopened = update_incident(&mut s, &id, json!({"state": "2"})).unwrap();
    assert_eq!(reopened["active"], "true");
    // Also on insert, and for changes.
    assert!(
        s.insert("incident", &input(json!({"state": "7"})), &api())
            .is_err()
    );
    let err = s
        .insert(
            "change_request",
            &input(json!({"state": "3", "close_code": "successful"})),
            &api(),
        )
        .unwrap_err();
    assert_eq!(
        err,
        WriteError::DataPolicy(
            "Data Policy Exception: \n The following fields are mandatory: Close notes".into()
        )
    );
    assert_eq!(s.table("incident").unwrap().rows().len(), 1);
    // Server-side writes are not subject to data policies.
    let server = Write {
        data_policy: false,
        user: crate::users::ADMIN_USER,
        ..api()
    };
    let closed = s
        .update("incident", &id, &input(json!({"state": "7"})), &server)
        .unwrap();
    assert_eq!(
        (&closed["active"], &closed["closed_at"]),
        (&json!("false"), &json!(NOW))
    );
}

#[test]
fn journal_fields_append_entries_and_read_back_empty() {
    let mut s = store();
    let row = s
        .insert(
            "incident",
            &input(json!({"work_notes": "first", "comments": "  "})),
            &api(),
        )
        .unwrap();
    assert_eq!(
        (&row["work_notes"], &row["comments"]),
        (&json!(""), &json!(""))
    );
    let id = row["sys_id"].as_str().unwrap().to_string();
    update_incident(&mut s, &id, json!({"comments": "hello"})).unwrap();
    let entries: Vec<(&str, &str, &str)> = s
        .table(JOURNAL_TABLE)
        .unwrap()
        .rows()
        .iter()
        .map(|r| (text(r, "element_id"), text(r, "element"), text(r, "value")))
        .collect();
    assert_eq!(
        entries,
        [
            (id.as_str(), "work_notes", "first"),
            (id.as_str(), "comments", "hello")
        ]
    );
    let stored = s.table("incident").unwrap().find(&id).unwrap();
    assert_eq!(stored["comments"], "");
}

#[test]
fn seeds_groups_and_close_code_choices() {
    let s = store();
    let groups = s.table(GROUP_TABLE).unwrap().rows();
    assert_eq!(groups.iter().filter(|g| g["name"] == "Database").count(), 2);
    assert_eq!(
        s.group_name(CLOUD_OPERATIONS_GROUP_ID),
        Some("Cloud Operations")
    );
    let choices = s.table(CHOICE_TABLE).unwrap().rows();
    assert_eq!(
        choices.len(),
        INCIDENT_CLOSE_CODES.len() + CHANGE_CLOSE_CODES.len()
    );
    assert!(
        choices
            .iter()
            .all(|c| c["element"] == "close_code" && c["inactive"] == "false")
    );
}

#[test]
fn server_side_tables_grow_columns() {
    let mut s = store();
    s.ensure_columns("sys_user", ["user_name"].into_iter());
    let write = Write {
        data_policy: false,
        ..api()
    };
    let row = s
        .insert(
            "sys_user",
            &input(json!({"user_name": "fred", "x": "y"})),
            &write,
        )
        .unwrap();
    assert_eq!(row["user_name"], "fred");
    assert!(row.get("x").is_none());
    assert!(s.delete("sys_user", text(&row, "sys_id")).is_ok());
    assert_eq!(s.delete("sys_user", "missing"), Err(WriteError::NotFound));
}
