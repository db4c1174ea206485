//! The Table API's error envelope, `{"error":{message,detail},"status":"failure"}`.

use crate::primitives::prelude::*;

use crate::primitives::json::{self, Fields, Value};
use crate::primitives::text::server_text;

/// The Table API's `{"error": {message, detail}}`.
pub struct ErrorBody {
    pub message: Option<String>,
    pub detail: Option<String>,
}

impl ErrorBody {
    pub fn from_json(value: &Value) -> Result<Self, json::Error> {
        let mut fields = Fields::of(value, "struct ErrorBody")?;
        let message = fields.get("message", json::optional_string);
        let detail = fields.get("detail", json::optional_string);
        fields.finish()?;
        Ok(Self {
            message: message.flatten(),
            detail: detail.flatten(),
        })
    }

    /// `Option<ErrorBody>`.
    pub fn optional(value: &Value) -> Result<Option<Self>, json::Error> {
        match value {
            Value::Null => Ok(None),
            other => Self::from_json(other).map(Some),
        }
    }

    /// The `error` of a failed answer's body, if it has one.
    pub fn of_failure(body: &[u8]) -> Option<Self> {
        let value = json::parse(body).ok()?;
        let mut fields = Fields::of(&value, "struct ErrorEnvelope").ok()?;
        let error = fields.get("error", Self::from_json);
        fields.finish().ok()?;
        error
    }

    /// What ServiceNow said, as it said it: the message, and the detail after it.
    pub(crate) fn said(&self) -> Option<String> {
        Some(match (self.message.as_deref(), self.detail.as_deref()) {
            (Some(m), Some(d)) if !d.trim().is_empty() => format!("{m}: {d}"),
            (Some(m), _) => m.to_string(),
            (None, Some(d)) => d.to_string(),
            (None, None) => return None,
        })
    }

    /// What ServiceNow said, fit for an error message ([`server_text`]).
    pub fn describe(&self) -> String {
        server_text(&self.said().unwrap_or_else(|| "no message".into()))
    }

    pub fn mentions(&self, needle: &str) -> bool {
        let needle = needle.to_ascii_lowercase();
        [&self.message, &self.detail]
            .into_iter()
            .flatten()
            .any(|text| text.to_ascii_lowercase().contains(&needle))
    }
}
