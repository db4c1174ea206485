//! `describe`: the settings form, for people and as JSON.

use crate::support::*;

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
