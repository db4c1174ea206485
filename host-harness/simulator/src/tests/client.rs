//! The tests' HTTP client: raw HTTP/1.1 over a TCP connection, as dumb as possible, and the
//! requests most tests start with (a token, an API call).

use serde_json::{Map, Value};
use std::io::{Read, Write as _};

use crate::Simulator;

pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: String,
}

impl Answer {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

pub(super) fn address(sim: &Simulator) -> String {
    sim.base_url().trim_start_matches("http://").to_string()
}

/// An answer whose body is kept as bytes (attachments).
pub(super) struct RawAnswer {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Vec<u8>,
}

impl RawAnswer {
    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends raw bytes and reads the answer to the end (the request asks to close). Plain
/// blocking std I/O on a blocking thread: a client as dumb as possible.
pub(super) async fn exchange_raw(sim: &Simulator, raw: &[u8]) -> RawAnswer {
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

pub(super) async fn exchange(sim: &Simulator, raw: &[u8]) -> Answer {
    let answer = exchange_raw(sim, raw).await;
    Answer {
        status: answer.status,
        headers: answer.headers,
        body: String::from_utf8(answer.body).unwrap(),
    }
}

pub(super) fn dechunk(mut body: &[u8]) -> Vec<u8> {
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

pub(super) async fn send(
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
pub(super) fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64(&format!("{user}:{password}")))
}

/// Standard base64 with padding, for Basic credentials.
pub(super) fn base64(text: &str) -> String {
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

pub(super) const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

pub(super) fn grant(sim: &Simulator) -> String {
    format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        sim.client_id(),
        sim.client_secret()
    )
}

pub(super) async fn token(sim: &Simulator) -> String {
    let answer = send(sim, "POST", "/oauth_token.do", &[FORM], &grant(sim)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.json()["access_token"].as_str().unwrap().to_string()
}

pub(super) async fn api(
    sim: &Simulator,
    token: &str,
    method: &str,
    target: &str,
    body: &str,
) -> Answer {
    let auth = format!("Bearer {token}");
    let headers = [
        ("authorization", auth.as_str()),
        ("accept", "application/json"),
        ("content-type", "application/json"),
    ];
    send(sim, method, target, &headers, body).await
}

pub(super) const GENERIC_DENIAL: &str =
    r#"{"error_description":"access_denied","error":"server_error"}"#;
pub(super) const NOT_AUTHENTICATED: &str = r#"{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#;

/// A JSON object's fields, as the simulator's server-side and agent writes take them.
pub(super) fn fields(object: Value) -> Map<String, Value> {
    object.as_object().cloned().unwrap()
}
