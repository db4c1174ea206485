//! Answers as a hostile or broken instance might give them, for property tests.

use proptest::prelude::*;
use serde_json::Value;

use crate::primitives::http::Response;
use crate::primitives::prelude::*;
use crate::test_support::transport::ScriptedTransport;

/// An answer as a hostile or broken instance might give it.
pub fn any_response() -> impl Strategy<Value = Response> {
    let content_type = prop_oneof![
        Just("application/json"),
        Just("text/html"),
        Just("application/json; charset=utf-8"),
        Just(""),
    ];
    let body = prop_oneof![
        any::<Vec<u8>>(),
        ".*".prop_map(String::into_bytes),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        json_value().prop_map(|v| serde_json::json!({ "result": v }).to_string().into_bytes()),
        json_value().prop_map(|v| {
            serde_json::json!({ "result": [v], "error": {"message": "x"} })
                .to_string()
                .into_bytes()
        }),
    ];
    (
        100u16..600,
        content_type,
        body,
        proptest::option::of("[0-9]{0,12}"),
    )
        .prop_map(|(status, content_type, body, retry_after)| {
            let mut headers = vec![("content-type".to_string(), content_type.to_string())];
            if let Some(seconds) = retry_after {
                headers.push(("retry-after".into(), seconds));
            }
            Response {
                status,
                headers,
                body,
            }
        })
}

pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        ".*".prop_map(Value::from),
        "[0-9a-f]{32}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("sys_id".to_string()),
                    Just("number".to_string()),
                    Just("state".to_string()),
                    Just("active".to_string()),
                    Just("access_token".to_string()),
                    Just("expires_in".to_string()),
                    Just("error".to_string()),
                    ".{0,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A transport that answers `responses`, in order.
pub fn scripted(responses: &[Response]) -> ScriptedTransport {
    let transport = ScriptedTransport::default();
    for response in responses {
        transport.push(Ok(response.clone()));
    }
    transport
}
