//! The server itself: front-door faults that answer every path, and stopping it.

use serde_json::json;
use tokio::net::TcpStream;

use super::*;

#[tokio::test]
async fn front_door_faults_answer_every_path_and_are_recorded() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    sim.clear_requests();
    sim.set_faults(Faults {
        hibernating: true,
        ..Faults::default()
    });
    for (method, path) in [
        ("POST", "/oauth_token.do"),
        ("POST", "/api/now/table/incident"),
        ("GET", "/"),
    ] {
        let answer = api(&sim, &t, method, path, "{}").await;
        assert_eq!(answer.status, 200);
        assert!(
            answer
                .header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
        assert!(
            answer
                .body
                .contains("<title>Instance Hibernating page</title>")
        );
    }
    sim.set_faults(Faults {
        login_page: true,
        ..Faults::default()
    });
    let answer = api(&sim, &t, "GET", "/api/now/table/incident", "").await;
    assert_eq!(answer.status, 200);
    assert!(answer.body.contains("<html") && !answer.body.contains("hibernat"));
    sim.set_faults(Faults {
        unavailable: true,
        ..Faults::default()
    });
    let answer = api(&sim, &t, "POST", "/oauth_token.do", "").await;
    assert_eq!(answer.status, 503);
    assert!(!answer.header("content-type").unwrap().contains("json"));

    let recorded = sim.requests();
    assert_eq!(recorded.len(), 5);
    assert_eq!(sim.request_count(), 5);
    assert_eq!(recorded[1].path, "/api/now/table/incident");
    assert_eq!(
        recorded[1].header("authorization"),
        Some(format!("Bearer {t}").as_str())
    );
    assert_eq!(recorded[1].json_body(), Some(json!({})));
    assert_eq!(sim.token_requests(), 3);
    assert!(sim.records("incident").is_empty());
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let sim = Simulator::start().await.unwrap();
    let address = address(&sim);
    let clone = sim.clone();
    drop(clone);
    assert!(
        TcpStream::connect(&address).await.is_ok(),
        "a clone's drop leaves it running"
    );
    sim.shutdown().await;
    assert!(TcpStream::connect(&address).await.is_err());

    let sim = Simulator::start().await.unwrap();
    let address = super::tests::address(&sim);
    drop(sim);
    let mut closed = false;
    for _ in 0..50 {
        if TcpStream::connect(&address).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(closed, "dropping the last handle stops the server");
}
