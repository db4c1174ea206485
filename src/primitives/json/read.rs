//! The shapes the component reads out of a [`Value`], with serde's words for a wrong one.

use crate::primitives::prelude::*;

use crate::primitives::json::value::{Error, Object, Value};

// What serde says of a value that is not what was expected.

pub fn invalid_type(found: &Value, expected: &str) -> Error {
    Error::Shape(format!("invalid type: {found}, expected {expected}"))
}

pub fn invalid_value(found: &Value, expected: &str) -> Error {
    Error::Shape(format!("invalid value: {found}, expected {expected}"))
}

pub fn missing_field(name: &str) -> Error {
    Error::Shape(format!("missing field `{name}`"))
}

// Readers of the shapes the component takes, each as serde reads the Rust type named.

/// `String`.
pub fn string(value: &Value) -> Result<String, Error> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(invalid_type(other, "a string")),
    }
}

/// `Option<String>`.
pub fn optional_string(value: &Value) -> Result<Option<String>, Error> {
    match value {
        Value::Null => Ok(None),
        other => string(other).map(Some),
    }
}

/// `Option<u64>`.
pub fn optional_u64(value: &Value) -> Result<Option<u64>, Error> {
    match value {
        Value::Null => Ok(None),
        Value::Number(n) if n.is_integer() => {
            n.0.parse()
                .map(Some)
                .map_err(|_| invalid_value(value, "u64"))
        }
        other => Err(invalid_type(other, "u64")),
    }
}

/// A `Vec` of what `item` reads (the component reads its lists through [`each`]).
#[cfg(test)]
pub fn list<T>(value: &Value, item: impl Fn(&Value) -> Result<T, Error>) -> Result<Vec<T>, Error> {
    let mut list = Vec::new();
    each(value, &mut |value| {
        list.push(item(value)?);
        Ok(())
    })?;
    Ok(list)
}

/// Hands each item of a list to `item`, as [`list`] reads them; answers how many there were.
/// Not generic, so that each item type adds only its own reading.
pub fn each(
    value: &Value,
    item: &mut dyn FnMut(&Value) -> Result<(), Error>,
) -> Result<usize, Error> {
    match value {
        Value::Array(items) => {
            for value in items {
                item(value)?;
            }
            Ok(items.len())
        }
        other => Err(invalid_type(other, "a sequence")),
    }
}

/// Reads a struct's fields from an object as serde's derive does: unknown keys ignored; of
/// the fields that fail, the first in key order is the error (serde_json's `Value` handed
/// them over sorted); then a missing field, in the struct's order (left to the caller).
pub struct Fields<'a> {
    object: &'a Object,
    failed: Option<(&'a str, Error)>,
}

impl<'a> Fields<'a> {
    /// `name` as serde names the struct: "struct TicketRow".
    pub fn of(value: &'a Value, name: &str) -> Result<Self, Error> {
        match value {
            Value::Object(object) => Ok(Self {
                object,
                failed: None,
            }),
            other => Err(invalid_type(other, name)),
        }
    }

    /// The field read by `read`, or `None` when it is absent or failed.
    pub fn get<T>(
        &mut self,
        key: &'a str,
        read: impl FnOnce(&Value) -> Result<T, Error>,
    ) -> Option<T> {
        match read(self.object.get(key)?) {
            Ok(value) => Some(value),
            Err(error) => {
                self.fail(key, error);
                None
            }
        }
    }

    /// Keeps `error` if it is the first failure in key order (once, not in every `get`).
    fn fail(&mut self, key: &'a str, error: Error) {
        if self.failed.as_ref().is_none_or(|(first, _)| key < *first) {
            self.failed = Some((key, error));
        }
    }

    /// The first failure, if any field failed.
    pub fn finish(self) -> Result<(), Error> {
        match self.failed {
            Some((_, error)) => Err(error),
            None => Ok(()),
        }
    }
}
