//! The instance's own state labels: a state an admin added, the labels in another language,
//! as display values show them.

use serde_json::json;

use super::*;

#[tokio::test]
async fn added_states_and_translations_show_as_display_values() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    sim.add_state_choice("incident", "100", "Awaiting Vendor")
        .unwrap();
    sim.add_closing_state_choice("incident", "101", "Closed by Vendor")
        .unwrap();
    let created = api(
        &sim,
        &t,
        "POST",
        "/api/now/table/incident",
        r#"{"short_description":"Idle VM"}"#,
    )
    .await;
    let sys_id = created.json()["result"]["sys_id"]
        .as_str()
        .unwrap()
        .to_string();
    let moved = sim.agent_update(
        "incident",
        &sys_id,
        fields(json!({"state": "100"})),
        AGENT_USER_NAME,
    );
    assert_eq!(
        moved.unwrap()["state"],
        "100",
        "an added state is a valid choice"
    );
    let read = |display: &'static str| {
        let path = format!(
            "/api/now/table/incident/{sys_id}?sysparm_exclude_reference_link=true&sysparm_fields=state,active,sys_updated_on&sysparm_display_value={display}"
        );
        let (sim, t) = (sim.clone(), t.clone());
        async move { api(&sim, &t, "GET", &path, "").await.json()["result"].clone() }
    };
    let both = read("all").await;
    assert_eq!(
        both["state"],
        json!({"display_value": "Awaiting Vendor", "value": "100"})
    );
    assert_eq!(both["active"]["value"], "true");
    let updated = both["sys_updated_on"]["value"].as_str().unwrap();
    assert_ne!(
        both["sys_updated_on"]["display_value"], updated,
        "the user's format"
    );
    assert_eq!(read("true").await["state"], "Awaiting Vendor");
    assert_eq!(read("false").await["state"], "100");

    sim.agent_update(
        "incident",
        &sys_id,
        fields(json!({"state": "101"})),
        AGENT_USER_NAME,
    )
    .unwrap();
    let closed = read("all").await;
    assert_eq!(closed["state"]["display_value"], "Closed by Vendor");
    assert_eq!(closed["active"]["value"], "false", "a closing state closes");

    sim.translate_state_choice("incident", "101", "de", "Vom Lieferanten geschlossen")
        .unwrap();
    assert_eq!(
        read("all").await["state"]["display_value"],
        "Closed by Vendor",
        "still English"
    );
    sim.set_language("de");
    assert_eq!(
        read("all").await["state"]["display_value"],
        "Vom Lieferanten geschlossen"
    );
    sim.set_language("fr");
    assert_eq!(
        read("all").await["state"]["display_value"],
        "Closed by Vendor",
        "no translation: English"
    );

    let choices = sim.records("sys_choice");
    let states: Vec<_> = choices
        .iter()
        .filter(|c| c["element"] == "state")
        .map(|c| (c["value"].clone(), c["language"].clone()))
        .collect();
    assert_eq!(
        states,
        [
            (json!("100"), json!("en")),
            (json!("101"), json!("en")),
            (json!("101"), json!("de"))
        ]
    );
}

#[tokio::test]
async fn state_choices_go_to_task_tables_once() {
    let sim = Simulator::start().await.unwrap();
    assert!(
        sim.add_state_choice("sys_user_group", "100", "Busy")
            .unwrap_err()
            .contains("not a task table")
    );
    assert!(
        sim.add_state_choice("incident", "6", "Done")
            .unwrap_err()
            .contains("already has the state 6")
    );
    sim.add_state_choice("problem", "110", "Awaiting Vendor")
        .unwrap();
    assert!(
        sim.add_closing_state_choice("problem", "110", "Again")
            .is_err()
    );
    assert!(
        sim.translate_state_choice("u_custom", "6", "de", "Gelöst")
            .is_err()
    );
    // Another table's added state is no choice here: dropped, as any invalid choice.
    let incident = sim.insert_record("incident", fields(json!({"short_description": "x"})));
    let sys_id = incident["sys_id"].as_str().unwrap();
    let kept = sim
        .update_record("incident", sys_id, fields(json!({"state": "110"})))
        .unwrap();
    assert_eq!(kept["state"], "1");
}
