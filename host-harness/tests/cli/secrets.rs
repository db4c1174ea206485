//! Nothing the CLI prints holds the client secret or an access token, whatever went wrong.

use servicenow_simulator::{Faults, Simulator};

use crate::support::*;

/// The client secret of the settings file that has it wrong.
const WRONG_SECRET: &str = "wrong-secret-77e1";

#[tokio::test(flavor = "multi_thread")]
async fn nothing_the_cli_prints_holds_a_secret_or_a_token() {
    let (sim, dir, good) = simulator_with_settings("cli-scan").await;
    let secret = sim.client_secret();
    let wrong = dir.file("wrong.toml", &config(&sim, WRONG_SECRET));
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
    succeeding_runs(printed, &good);
    expect(printed, false, run_with(&wrong, &["-v", "test-connection"]));
    expect(printed, false, run_with(&broken, &["test-connection"]));
    expect(printed, false, run_with(&password, &["test-connection"]));
    refused_runs(printed, &sim, &good);
    assert_nothing_secret(printed, &sim, &secret);
}

/// What the CLI prints when all goes well, verbose or as JSON.
fn succeeding_runs(printed: &mut String, good: &str) {
    expect(printed, true, run_with(good, &["-v", "test-connection"]));
    expect(
        printed,
        true,
        run_with(good, &["test-connection", "--json"]),
    );
    expect(
        printed,
        true,
        run_with(
            good,
            &[
                &["-v"][..],
                &create_ticket("scan"),
                &["--correlation-id", "scan-1"],
            ]
            .concat(),
        ),
    );
    expect(
        printed,
        true,
        run_with(good, &["-v", "get-ticket", "--id", "INC0010001"]),
    );
    expect(
        printed,
        true,
        run_with(
            good,
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
}

/// What the host refuses (a loopback instance without the allowance) and the instance
/// refuses (its tokens).
fn refused_runs(printed: &mut String, sim: &Simulator, good: &str) {
    // Refused by the host: a real tenant may not reach the loopback simulator.
    expect(
        printed,
        false,
        run(&["-v", "test-connection", "--config", good]),
    );
    sim.set_faults(Faults {
        reject_tokens: true,
        ..Faults::default()
    });
    expect(
        printed,
        false,
        run_with(good, &[&["-v"][..], &create_ticket("refused")].concat()),
    );
}

/// No access token the simulator issued, nor either secret, nor a raw control character in
/// what was printed.
fn assert_nothing_secret(printed: &str, sim: &Simulator, secret: &str) {
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
        .map(String::as_str)
        .chain([secret, WRONG_SECRET])
    {
        assert!(
            !printed.contains(needle),
            "the CLI printed {needle:?}:\n{printed}"
        );
    }
    assert!(
        !printed.chars().any(|c| c.is_control() && c != '\n'),
        "a raw control character was printed"
    );
}
