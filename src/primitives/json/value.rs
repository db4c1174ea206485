//! The parsed JSON value, and the errors of reading one.

use crate::primitives::prelude::*;

use core::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Value>),
    Object(Object),
}

/// A number as it was written; it is only ever read as a `u64` or shown in a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Number(pub(super) String);

/// An object's members as written. A key written twice counts once, with its last value, as
/// in serde_json's `Value`: lookups search from the end. (The component looks up a few known
/// keys per object, so a scan costs less than sorting would, in time and in code.)
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Object(pub(super) Vec<(String, Value)>);

impl Object {
    pub(super) fn position(&self, key: &str) -> Option<usize> {
        self.0.iter().rposition(|(k, _)| k == key)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.position(key).map(|at| &self.0[at].1)
    }

    /// Every member's value, to change in place.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Value> {
        self.0.iter_mut().map(|(_, value)| value)
    }

    /// The key's (last) value, taken out of the object, which goes.
    pub fn take(self, key: &str) -> Option<Value> {
        self.0
            .into_iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Why a body is not the JSON asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// Not JSON: serde_json's words for what is wrong, and where.
    Syntax {
        what: &'static str,
        line: usize,
        column: usize,
    },
    /// JSON, but not of the shape asked for.
    Shape(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Syntax { what, line, column } => {
                write!(f, "{what} at line {line} column {column}")
            }
            Error::Shape(message) => f.write_str(message),
        }
    }
}

impl Number {
    /// The number as written (`-5`, `-5.0`, `3e2`).
    pub fn as_written(&self) -> &str {
        &self.0
    }

    /// An integer without fraction or exponent: serde's "integer", else "floating point".
    pub(super) fn is_integer(&self) -> bool {
        !self.0.contains(['.', 'e', 'E'])
            && (self.0.parse::<u64>().is_ok() || self.0.parse::<i64>().is_ok_and(|n| n < 0))
    }
}

impl fmt::Display for Value {
    /// serde_json's name for a value in "invalid type" and "invalid value".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "boolean `{b}`"),
            Value::Number(n) if n.is_integer() => write!(f, "integer `{}`", n.0),
            Value::Number(n) => write!(f, "floating point `{}`", n.0),
            Value::String(s) => write!(f, "string {s:?}"),
            Value::Array(_) => f.write_str("sequence"),
            Value::Object(_) => f.write_str("map"),
        }
    }
}
