//! JSON, as much as the component reads and writes: ServiceNow's answers parsed into a
//! [`Value`], the few shapes it needs read out of that, and the string-to-string objects it
//! sends. Written here instead of serde and serde_json, which were a quarter of the component.
//!
//! Errors keep serde_json's words, so that what an admin or a log sees did not change: a
//! syntax error is serde_json's, at the same line and column (the unit tests hold this against
//! serde_json itself); a value of the wrong shape is told as serde tells it ("invalid type:
//! integer `5`, expected a string", "missing field `sys_id`"), from the parsed value, so
//! without a line and column. Where serde's derive and this differ, on answers ServiceNow does
//! not send: a number is named as written (serde re-formats floats), a number too large for
//! an `f64` is not refused while it is not read, a repeated key keeps its last value (as in
//! serde_json's `Value`), and an array is never read as a record.

mod parse;
mod read;
mod value;
mod write;

pub use parse::parse;
pub use read::*;
pub use value::{Error, Object, Value};
pub use write::write_object;
