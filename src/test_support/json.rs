//! JSON written with serde_json's `json!`, as the component reads it.

use crate::primitives::json::{self, Value};
use crate::primitives::prelude::*;

/// A value written with `json!`, as the component reads it.
pub fn parsed(value: serde_json::Value) -> Value {
    json::parse(value.to_string().as_bytes()).unwrap()
}
