//! End-to-end: the simulator over real TCP, spoken to with raw HTTP/1.1.

mod attachments;
mod auth;
mod polling;

use serde_json::{Value, json};
use std::io::{Read, Write as _};

use tokio::net::TcpStream;

use super::*;

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

fn address(sim: &Simulator) -> String {
    sim.base_url().trim_start_matches("http://").to_string()
}

/// An answer whose body is kept as bytes (attachments).
struct RawAnswer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawAnswer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends raw bytes and reads the answer to the end (the request asks to close). Plain
/// blocking std I/O on a blocking thread: a client as dumb as possible.
async fn exchange_raw(sim: &Simulator, raw: &[u8]) -> RawAnswer {
    let (address, raw) = (address(sim), raw.to_vec());
    let bytes = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(address).unwrap();
        stream.write_all(&raw).unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).unwrap();
        bytes
    })
    .await
    .unwrap();
    let split = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(bytes[..split].to_vec()).unwrap();
    let body = &bytes[split + 4..];
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    RawAnswer {
        status,
        headers,
        body,
    }
}

async fn exchange(sim: &Simulator, raw: &[u8]) -> Answer {
    let answer = exchange_raw(sim, raw).await;
    Answer {
        status: answer.status,
        headers: answer.headers,
        body: String::from_utf8(answer.body).unwrap(),
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..end]).unwrap();
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        let rest = &body[end + 2..];
        out.extend_from_slice(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

async fn send(
    sim: &Simulator,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Answer {
    let mut raw = format!(
        "{method} {target} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncontent-length: {}\r\n",
        address(sim),
        body.len()
    );
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str("\r\n");
    raw.push_str(body);
    exchange(sim, raw.as_bytes()).await
}

/// An `Authorization: Basic …` value.
fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64(&format!("{user}:{password}")))
}

/// Standard base64 with padding, for Basic credentials.
fn base64(text: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let bits = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

fn grant(sim: &Simulator) -> String {
    format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        sim.client_id(),
        sim.client_secret()
    )
}

async fn token(sim: &Simulator) -> String {
    let answer = send(sim, "POST", "/oauth_token.do", &[FORM], &grant(sim)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["access_token"].as_str().unwrap().to_string()
}

async fn api(sim: &Simulator, token: &str, method: &str, target: &str, body: &str) -> Answer {
    let auth = format!("Bearer {token}");
    let headers = [
        ("authorization", auth.as_str()),
        ("accept", "application/json"),
        ("content-type", "application/json"),
    ];
    send(sim, method, target, &headers, body).await
}

const GENERIC_DENIAL: &str = r#"{"error_description":"access_denied","error":"server_error"}"#;
const NOT_AUTHENTICATED: &str = r#"{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#;

#[tokio::test]
async fn token_endpoint_grants_and_denies() {
    let sim = Simulator::start().await.unwrap();
    assert_eq!(sim.client_id(), DEFAULT_CLIENT_ID);

    let answer = send(&sim, "POST", "/oauth_token.do", &[FORM], &grant(&sim)).await;
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let body = answer.json();
    assert!(body["access_token"].as_str().unwrap().len() >= 40);
    assert_eq!(
        (&body["scope"], &body["token_type"], &body["expires_in"]),
        (&json!(""), &json!("Bearer"), &json!(1799))
    );
    assert!(body.get("refresh_token").is_none());
    assert!(answer.body.starts_with(r#"{"access_token":"#));

    let scoped = format!("{}&scope=useraccount", grant(&sim));
    let answer = send(&sim, "POST", "/oauth_token.do", &[FORM], &scoped).await;
    assert_eq!(answer.json()["scope"], "useraccount");

    // Credentials in a Basic header: "c1a2…:sim-secret-0123456789".
    let basic = "Basic YzFhMmIzYzRkNWU2ZjcwODE5MmEzYjRjNWQ2ZTdmODA6c2ltLXNlY3JldC0wMTIzNDU2Nzg5";
    let answer = send(
        &sim,
        "POST",
        "/oauth_token.do",
        &[FORM, ("authorization", basic)],
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    // A chunked body without content-length, as the component's client sends it.
    let form = grant(&sim);
    let raw = format!(
        "POST /oauth_token.do HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/x-www-form-urlencoded\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{form}\r\n0\r\n\r\n",
        form.len()
    );
    assert_eq!(exchange(&sim, raw.as_bytes()).await.status, 200);

    for bad in [
        "grant_type=client_credentials&client_id=c1a2b3c4d5e6f708192a3b4c5d6e7f80&client_secret=wrong".to_string(),
        "grant_type=password&client_id=c1a2b3c4d5e6f708192a3b4c5d6e7f80&client_secret=sim-secret-0123456789".to_string(),
        "grant_type=client_credentials".to_string(),
        String::new(),
    ] {
        let answer = send(&sim, "POST", "/oauth_token.do", &[FORM], &bad).await;
        assert_eq!((answer.status, answer.body.as_str()), (401, GENERIC_DENIAL), "{bad}");
    }
    for fault in [
        Faults {
            grant_disabled: true,
            ..Faults::default()
        },
        Faults {
            application_inactive: true,
            ..Faults::default()
        },
    ] {
        sim.set_faults(fault);
        let answer = send(&sim, "POST", "/oauth_token.do", &[FORM], &grant(&sim)).await;
        assert_eq!((answer.status, answer.body.as_str()), (401, GENERIC_DENIAL));
    }

    sim.set_faults(Faults {
        oauth_user_missing: true,
        ..Faults::default()
    });
    let answer = send(&sim, "POST", "/oauth_token.do", &[FORM], &grant(&sim)).await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.body,
        format!(
            r#"{{"error":"unauthorized_client","error_description":"Received client_credentials grant_type request however integration user is not configured for OAuth:{}"}}"#,
            sim.oauth_entity_id()
        )
    );
    assert_eq!(sim.oauth_entity_id().len(), 32);

    sim.set_credentials("other", "s3cret");
    sim.set_faults(Faults::default());
    let answer = send(
        &sim,
        "POST",
        "/oauth_token.do",
        &[FORM],
        "grant_type=client_credentials&client_id=other&client_secret=s3cret",
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(sim.token_requests(), 12);
    let recorded = sim.requests();
    assert_eq!(
        recorded[0].form_param("client_secret").as_deref(),
        Some(DEFAULT_CLIENT_SECRET)
    );
    assert_eq!(
        recorded[3].body,
        grant(&sim)
            .replace("other", DEFAULT_CLIENT_ID)
            .replace("s3cret", DEFAULT_CLIENT_SECRET)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn the_table_api_needs_a_live_token() {
    let sim = Simulator::start().await.unwrap();
    let answer = send(&sim, "GET", "/api/now/table/incident", &[], "").await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (401, NOT_AUTHENTICATED)
    );
    let answer = api(&sim, "not-a-token", "GET", "/api/now/table/incident", "").await;
    assert_eq!(answer.status, 401);

    // Frozen, so that only the advances below age the token.
    sim.freeze_clock();
    let t = token(&sim).await;
    assert_eq!(
        api(&sim, &t, "GET", "/api/now/table/incident", "")
            .await
            .status,
        200
    );
    sim.advance_clock(Duration::from_secs(1799));
    assert_eq!(
        api(&sim, &t, "GET", "/api/now/v2/table/incident", "")
            .await
            .status,
        200
    );
    sim.advance_clock(Duration::from_secs(1));
    let answer = api(&sim, &t, "GET", "/api/now/table/incident", "").await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (401, NOT_AUTHENTICATED)
    );

    let t = token(&sim).await;
    sim.expire_all_tokens();
    assert_eq!(
        api(&sim, &t, "GET", "/api/now/table/incident", "")
            .await
            .status,
        401
    );

    let t = token(&sim).await;
    sim.update_faults(|f| f.reject_tokens = true);
    assert_eq!(
        api(&sim, &t, "GET", "/api/now/table/incident", "")
            .await
            .status,
        401
    );
    sim.set_faults(Faults::default());

    sim.set_token_lifespan(60);
    let answer = send(&sim, "POST", "/oauth_token.do", &[FORM], &grant(&sim)).await;
    assert_eq!(answer.json()["expires_in"], 59);
}

#[tokio::test]
async fn incidents_are_created_read_resolved_and_journalled() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let body = json!({
        "short_description": "Idle VM",
        "impact": "1",
        "urgency": 2,
        "priority": "5",
        "assignment_group": CLOUD_OPERATIONS_GROUP_ID,
        "correlation_id": "opp-42",
        "work_notes": "opened by the integration",
        "u_unknown": "ignored"
    });
    let answer = api(
        &sim,
        &t,
        "POST",
        "/api/now/table/incident",
        &body.to_string(),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    let result = answer.json()["result"].clone();
    let sys_id = result["sys_id"].as_str().unwrap().to_string();
    assert_eq!(
        answer.header("location"),
        Some(format!("{}/api/now/table/incident/{sys_id}", sim.base_url()).as_str())
    );
    assert_eq!(result["number"], "INC0010001");
    assert_eq!(
        (&result["priority"], &result["urgency"], &result["state"]),
        (&json!("2"), &json!("2"), &json!("1"))
    );
    assert_eq!(
        result["assignment_group"],
        json!({"link": format!("{}/api/now/table/sys_user_group/{CLOUD_OPERATIONS_GROUP_ID}", sim.base_url()), "value": CLOUD_OPERATIONS_GROUP_ID})
    );
    assert_eq!(result["work_notes"], "");
    assert!(result.get("u_unknown").is_none());
    assert_eq!(
        sim.records("incident")[0]["assignment_group"],
        CLOUD_OPERATIONS_GROUP_ID
    );

    let path = format!("/api/now/table/incident/{sys_id}");
    let read = api(&sim, &t, "GET", &format!("{path}?sysparm_exclude_reference_link=true&sysparm_fields=number,assignment_group,bogus"), "").await;
    assert_eq!(
        read.json(),
        json!({"result": {"number": "INC0010001", "assignment_group": CLOUD_OPERATIONS_GROUP_ID}})
    );

    // Resolving without the close fields trips the data policy and changes nothing.
    let answer = api(
        &sim,
        &t,
        "PATCH",
        &path,
        r#"{"state":"6","close_notes":"done"}"#,
    )
    .await;
    assert_eq!(answer.status, 403);
    assert_eq!(
        answer.body,
        r#"{"error":{"message":"Operation Failed","detail":"Data Policy Exception: \n The following fields are mandatory: Resolution code"},"status":"failure"}"#
    );
    assert_eq!(sim.records("incident")[0]["state"], "1");
    let answer = api(
        &sim,
        &t,
        "PUT",
        &path,
        r#"{"state":"6","close_code":"Solution provided","close_notes":"done","comments":"fixed"}"#,
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let result = &answer.json()["result"];
    assert_eq!(
        (
            &result["active"],
            &result["sys_mod_count"],
            &result["comments"]
        ),
        (&json!("false"), &json!("1"), &json!(""))
    );
    let journal: Vec<(String, String)> = sim
        .journal("incident", &sys_id)
        .into_iter()
        .map(|e| (e.element, e.value))
        .collect();
    assert_eq!(
        journal,
        [
            ("work_notes".into(), "opened by the integration".into()),
            ("comments".into(), "fixed".into())
        ]
    );

    // Server-side helpers, as a person working the ticket.
    let human = sim
        .update_record(
            "incident",
            &sys_id,
            json!({"state": "7"}).as_object().cloned().unwrap(),
        )
        .unwrap();
    assert_eq!(human["closed_at"].as_str().unwrap().len(), 19);
    assert!(sim.update_record("incident", "0000", Map::new()).is_none());
    let inserted = sim.insert_record(
        "incident",
        json!({"short_description": "by hand", "assignment_group": "Network"})
            .as_object()
            .cloned()
            .unwrap(),
    );
    assert_eq!(inserted["number"], "INC0010002");
    assert_eq!(
        inserted["assignment_group"],
        "287ebd7da9fe198100f92cc8d1d2154e"
    );

    let missing = api(
        &sim,
        &t,
        "GET",
        "/api/now/table/incident/0123456789abcdef0123456789abcdef",
        "",
    )
    .await;
    assert_eq!(
        (missing.status, missing.body.as_str()),
        (
            404,
            r#"{"error":{"message":"No Record found","detail":"Record doesn't exist or ACL restricts the record retrieval"},"status":"failure"}"#
        )
    );
    let patch_missing = api(&sim, &t, "PATCH", "/api/now/table/incident/nope", "{}").await;
    assert_eq!(patch_missing.status, 404);
    let deleted = api(&sim, &t, "DELETE", &path, "").await;
    assert_eq!((deleted.status, deleted.body.as_str()), (204, ""));
    assert_eq!(sim.records("incident").len(), 1);
}

#[tokio::test]
async fn lists_filter_page_and_count() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let answer = api(&sim, &t, "GET", "/api/now/table/sys_user_group?sysparm_query=name%3DNetwork&sysparm_limit=2&sysparm_fields=sys_id,name&sysparm_exclude_reference_link=true", "").await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("x-total-count"), Some("1"));
    assert_eq!(
        answer.json(),
        json!({"result": [{"sys_id": "287ebd7da9fe198100f92cc8d1d2154e", "name": "Network"}]})
    );

    let ambiguous = api(
        &sim,
        &t,
        "GET",
        "/api/now/table/sys_user_group?name=Database&sysparm_limit=2",
        "",
    )
    .await;
    assert_eq!(ambiguous.json()["result"].as_array().unwrap().len(), 2);
    let none = api(
        &sim,
        &t,
        "GET",
        "/api/now/table/sys_user_group?sysparm_query=name%3Dnetwork",
        "",
    )
    .await;
    assert_eq!((none.status, none.body.as_str()), (200, r#"{"result":[]}"#));
    // An unknown field is ignored, so every group matches.
    let all = api(
        &sim,
        &t,
        "GET",
        "/api/now/table/sys_user_group?sysparm_query=nmae%3DNetwork",
        "",
    )
    .await;
    assert_eq!(all.header("x-total-count"), Some("5"));

    let choices = api(&sim, &t, "GET", "/api/now/table/sys_choice?sysparm_query=name%3Dincident%5Eelement%3Dclose_code%5Einactive%3Dfalse&sysparm_fields=value", "").await;
    let values: Vec<Value> = choices.json()["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["value"].clone())
        .collect();
    assert_eq!(values.len(), 8);
    assert!(values.contains(&json!("Solution provided")));
    let refused = api(
        &sim,
        &t,
        "POST",
        "/api/now/table/sys_choice",
        r#"{"value":"x"}"#,
    )
    .await;
    assert_eq!(refused.status, 403);

    for i in 0..5 {
        let body = json!({"short_description": format!("event {i}"), "correlation_id": format!("c{}", i % 2)});
        assert_eq!(
            api(
                &sim,
                &t,
                "POST",
                "/api/now/table/incident",
                &body.to_string()
            )
            .await
            .status,
            201
        );
    }
    let page = api(&sim, &t, "GET", "/api/now/table/incident?sysparm_query=correlation_id%3Dc0%5EORDERBYDESCnumber&sysparm_limit=2&sysparm_offset=1", "").await;
    assert_eq!(page.header("x-total-count"), Some("3"));
    let numbers: Vec<String> = page.json()["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(numbers, ["INC0010003", "INC0010001"]);
    let link = page.header("link").unwrap();
    assert!(
        link.contains(r#"rel="first""#)
            && link.contains(r#"rel="prev""#)
            && link.contains(r#"rel="last""#)
    );
    assert!(!link.contains(r#"rel="next""#));
}

#[tokio::test]
async fn table_api_errors_use_the_envelope() {
    let sim = Simulator::start().await.unwrap();
    let t = token(&sim).await;
    let cases = [
        (
            "POST",
            "/api/now/table/u_nope",
            "{}",
            400,
            r#"{"error":{"message":"Invalid table u_nope","detail":"Table u_nope does not exist"},"status":"failure"}"#,
        ),
        (
            "GET",
            "/api/now/foo",
            "",
            400,
            r#"{"error":{"message":"Requested URI does not represent any resource","detail":null},"status":"failure"}"#,
        ),
        (
            "POST",
            "/api/now/table/incident/0123",
            "{}",
            405,
            r#"{"error":{"message":"Method not Supported","detail":null},"status":"failure"}"#,
        ),
    ];
    for (method, path, body, status, expected) in cases {
        let answer = api(&sim, &t, method, path, body).await;
        assert_eq!(
            (answer.status, answer.body.as_str()),
            (status, expected),
            "{method} {path}"
        );
    }
    let malformed = api(
        &sim,
        &t,
        "POST",
        "/api/now/table/incident",
        "{\"short_description\":",
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(
        malformed.json()["error"]["message"],
        "Exception while reading request"
    );

    sim.update_faults(|f| {
        f.acl_deny_insert = vec!["incident".into()];
        f.acl_deny_read = vec!["sys_user_group".into()];
    });
    let answer = api(&sim, &t, "POST", "/api/now/table/incident", "{}").await;
    assert_eq!(
        answer.body,
        r#"{"error":{"message":"Operation Failed","detail":"ACL Exception Insert Failed due to security constraints"},"status":"failure"}"#
    );
    let answer = api(&sim, &t, "GET", "/api/now/table/sys_user_group", "").await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            403,
            r#"{"error":{"message":"Insufficient rights to query records","detail":null},"status":"failure"}"#
        )
    );
    sim.set_faults(Faults::default());
    let created = api(&sim, &t, "POST", "/api/now/table/incident", "{}")
        .await
        .json();
    let path = format!(
        "/api/now/table/incident/{}",
        created["result"]["sys_id"].as_str().unwrap()
    );
    sim.update_faults(|f| f.acl_deny_update = vec!["incident".into()]);
    let answer = api(&sim, &t, "PATCH", &path, r#"{"urgency":"1"}"#).await;
    assert_eq!(
        (answer.status, answer.json()["error"]["detail"].as_str()),
        (
            403,
            Some("ACL Exception Update Failed due to security constraints")
        )
    );

    sim.set_faults(Faults {
        auth_scope_missing: true,
        ..Faults::default()
    });
    let t2 = token(&sim).await;
    let answer = api(&sim, &t2, "GET", "/api/now/table/incident", "").await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            403,
            r#"{"error":{"message":"User Not Authorized","detail":"Missing required api access scope: cxm_api_access"},"status":"failure"}"#
        )
    );

    sim.set_faults(Faults {
        rate_limit: Some(42),
        ..Faults::default()
    });
    let answer = api(&sim, &t, "POST", "/api/now/table/incident", "{}").await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.header("retry-after"), Some("42"));
    assert_eq!(answer.header("x-ratelimit-limit"), Some("10"));
    assert!(
        answer
            .header("x-ratelimit-reset")
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    assert_eq!(answer.header("x-ratelimit-rule").map(str::len), Some(32));
    assert_eq!(
        answer.body,
        r#"{"error":{"message":"Rate limit exceeded","detail":"Rate limit of 10 requests per hour for Table API exceeded"},"status":"failure"}"#
    );
}

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
