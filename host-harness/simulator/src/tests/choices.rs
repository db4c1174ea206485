//! The instance's own state labels: a state an admin added, the labels in another language,
//! as display values show them.

use serde_json::{Map, Value, json};

use super::*;

/// An incident's state, active flag and update time, read with `sysparm_display_value`.
async fn read(sim: &Simulator, t: &str, sys_id: &str, display: &str) -> Value {
    let path = format!(
        "/api/now/table/incident/{sys_id}?sysparm_exclude_reference_link=true&sysparm_fields=state,active,sys_updated_on&sysparm_display_value={display}"
    );
    api(sim, t, "GET", &path, "").await.json()["result"].clone()
}

/// A new incident's sys_id, and a token.
async fn an_incident(sim: &Simulator) -> (String, String) {
    let t = token(sim).await;
    let created = api(
        sim,
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
    (sys_id, t)
}

fn move_to(sim: &Simulator, sys_id: &str, state: &str) -> Map<String, Value> {
    sim.agent_update(
        "incident",
        sys_id,
        fields(json!({"state": state})),
        AGENT_USER_NAME,
    )
    .expect("a valid state")
}

#[tokio::test]
async fn added_states_show_as_display_values() {
    let sim = Simulator::start().await.unwrap();
    sim.add_state_choice("incident", "100", "Awaiting Vendor")
        .unwrap();
    sim.add_closing_state_choice("incident", "101", "Closed by Vendor")
        .unwrap();
    let (sys_id, t) = an_incident(&sim).await;
    assert_eq!(
        move_to(&sim, &sys_id, "100")["state"],
        "100",
        "an added state is a choice"
    );
    let both = read(&sim, &t, &sys_id, "all").await;
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
    assert_eq!(
        read(&sim, &t, &sys_id, "true").await["state"],
        "Awaiting Vendor"
    );
    assert_eq!(read(&sim, &t, &sys_id, "false").await["state"], "100");
    move_to(&sim, &sys_id, "101");
    let closed = read(&sim, &t, &sys_id, "all").await;
    assert_eq!(closed["state"]["display_value"], "Closed by Vendor");
    assert_eq!(closed["active"]["value"], "false", "a closing state closes");
}

#[tokio::test]
async fn translated_states_show_in_the_instances_language() {
    let sim = Simulator::start().await.unwrap();
    sim.add_closing_state_choice("incident", "101", "Closed by Vendor")
        .unwrap();
    let (sys_id, t) = an_incident(&sim).await;
    move_to(&sim, &sys_id, "101");
    let label = |sim: Simulator, t: String, sys_id: String| async move {
        read(&sim, &t, &sys_id, "all").await["state"]["display_value"].clone()
    };
    let shown = || label(sim.clone(), t.clone(), sys_id.clone());
    sim.translate_state_choice("incident", "101", "de", "Vom Lieferanten geschlossen")
        .unwrap();
    assert_eq!(shown().await, "Closed by Vendor", "still English");
    sim.set_language("de");
    assert_eq!(shown().await, "Vom Lieferanten geschlossen");
    sim.set_language("fr");
    assert_eq!(shown().await, "Closed by Vendor", "no translation: English");
    let choices = sim.records("sys_choice");
    let states: Vec<_> = choices
        .iter()
        .filter(|c| c["element"] == "state")
        .map(|c| (c["value"].clone(), c["language"].clone()))
        .collect();
    assert_eq!(
        states,
        [(json!("101"), json!("en")), (json!("101"), json!("de"))]
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
