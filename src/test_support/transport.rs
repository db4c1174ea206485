//! The scripted transport every unit test talks to ServiceNow through: answers pushed in
//! order, requests kept for the test to look at; and the answers tests push most.

use crate::primitives::http::{Request, Response, Transport, TransportError};
use crate::primitives::prelude::*;
use alloc::collections::VecDeque;
use core::cell::RefCell;

#[derive(Default)]
pub struct ScriptedTransport {
    answers: RefCell<VecDeque<Result<Response, TransportError>>>,
    sent: RefCell<Vec<Request>>,
}

impl ScriptedTransport {
    pub fn push(&self, answer: Result<Response, TransportError>) -> &Self {
        self.answers.borrow_mut().push_back(answer);
        self
    }

    pub fn push_json(&self, status: u16, body: &str) -> &Self {
        self.push(Ok(json(status, body)))
    }

    pub fn sent(&self) -> Vec<Request> {
        self.sent.borrow().clone()
    }

    pub fn remaining(&self) -> usize {
        self.answers.borrow().len()
    }
}

impl Transport for ScriptedTransport {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        self.sent.borrow_mut().push(request.clone());
        self.answers.borrow_mut().pop_front().unwrap_or_else(|| {
            Err(TransportError::Interrupted(format!(
                "script exhausted at {} {}",
                request.method.as_str(),
                request.url
            )))
        })
    }
}

pub fn json(status: u16, body: &str) -> Response {
    Response {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: body.as_bytes().to_vec(),
    }
}

pub fn html(status: u16, body: &str) -> Response {
    Response {
        status,
        headers: vec![("content-type".into(), "text/html".into())],
        body: body.as_bytes().to_vec(),
    }
}

pub const TOKEN_OK: &str =
    r#"{"access_token":"tok-1","scope":"","token_type":"Bearer","expires_in":1799}"#;
pub const TOKEN_DENIED: &str = r#"{"error_description":"access_denied","error":"server_error"}"#;
pub const NOT_AUTHENTICATED: &str = r#"{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#;
pub const HIBERNATING: &str = "<html><head><title>Instance Hibernating page</title></head>\
    <body class=\"instance-hibernating-page\"><h1>Your instance is hibernating</h1></body></html>";
