//! Rows of ServiceNow's tables as the component reads and writes them: the typed view of a
//! row (its columns and its reader), a row as stored after a write, the columns of a write,
//! and the readers of ServiceNow's column values.

use crate::primitives::prelude::*;

use crate::primitives::error::{Error, Result};
use crate::primitives::ids::SysId;
use crate::primitives::json::{self, Object, Value};
use crate::primitives::sorted_map::SortedMap;
use crate::primitives::time::{Timestamp, timestamp};

/// A typed view of a table's rows: the columns it is read from (`sysparm_fields`), and how.
pub trait Row: Sized {
    const COLUMNS: &'static [&'static str];
    /// Read with `sysparm_display_value=all`: every column comes as `{"display_value",
    /// "value"}`, so that a choice column brings the label the instance shows
    /// (docs/servicenow/table-api.md#display-values).
    const DISPLAY_VALUES: bool;

    /// Reads a row from a record, with serde's words for what is wrong (see [`json`]).
    fn from_json(value: &Value) -> Result<Self, json::Error>;
}

/// A row read without display values, whatever its type asks for: for the reads that answer
/// no status, which need no label and should not make the instance work one out
/// (docs/servicenow/table-api.md#display-values).
pub struct Plain<R>(pub R);

impl<R: Row> Row for Plain<R> {
    const COLUMNS: &'static [&'static str] = R::COLUMNS;
    const DISPLAY_VALUES: bool = false;

    fn from_json(value: &Value) -> Result<Self, json::Error> {
        R::from_json(value).map(Plain)
    }
}

/// A row type said once: its struct, its columns (`sysparm_fields`, in the order given) and
/// its reader. Each field names the reader of its column and what an absent or unreadable
/// value becomes: `required` (an error), `or_default`, or `or(value)`. `with display_values`
/// after the name reads it with the display values ([`Row::DISPLAY_VALUES`]).
///
/// ```ignore
/// row! {
///     struct GroupRow {
///         sys_id: SysId = sys_id => required,
///         name: String = text => or_default,
///     }
/// }
/// ```
macro_rules! row {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident $(with $display:ident)? {
            $($(#[$field_meta:meta])* $field_vis:vis $field:ident: $ty:ty
                = $reader:expr => $how:ident $(($default:expr))?,)*
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $($(#[$field_meta])* $field_vis $field: $ty,)*
        }

        impl $crate::servicenow::rows::Row for $name {
            const COLUMNS: &'static [&'static str] = &[$(stringify!($field),)*];
            const DISPLAY_VALUES: bool = $crate::servicenow::rows::row!(@display $($display)?);

            fn from_json(
                value: &$crate::primitives::json::Value,
            ) -> Result<Self, $crate::primitives::json::Error> {
                let mut fields =
                    $crate::primitives::json::Fields::of(value, concat!("struct ", stringify!($name)))?;
                $(let $field = $crate::servicenow::rows::row!(@read fields, $field, $reader, $how);)*
                fields.finish()?;
                Ok(Self {
                    $($field: $crate::servicenow::rows::row!(@take $field, $how $(($default))?),)*
                })
            }
        }
    };
    (@display) => {
        false
    };
    (@display display_values) => {
        true
    };
    (@read $fields:ident, $field:ident, $reader:expr, or_default) => {
        $crate::servicenow::rows::or_default(&mut $fields, stringify!($field), $reader)
    };
    (@read $fields:ident, $field:ident, $reader:expr, $how:ident) => {
        $fields.get(stringify!($field), $reader)
    };
    (@take $field:ident, required) => {
        $field.ok_or_else(|| $crate::primitives::json::missing_field(stringify!($field)))?
    };
    (@take $field:ident, or_default) => {
        $field
    };
    (@take $field:ident, or($default:expr)) => {
        $field.unwrap_or($default)
    };
}
pub(crate) use row;

/// A column read with `read`, or `T`'s default when it is absent or unreadable: one copy for
/// every row type that reads its columns so, not one per column.
pub fn or_default<'a, T: Default>(
    fields: &mut json::Fields<'a>,
    key: &'a str,
    read: fn(&Value) -> Result<T, json::Error>,
) -> T {
    fields.get(key, read).unwrap_or_default()
}

/// A row as ServiceNow stored it after a write: the typed view, and every column as
/// answered, which only the not-applied report (sent against stored) reads.
#[derive(Debug)]
pub struct Stored<R> {
    pub row: R,
    pub columns: Object,
}

/// Journal columns append an entry on every write and always read back empty
/// (docs/servicenow/records.md#incident).
pub const JOURNAL_COLUMNS: &[&str] = &["work_notes", "comments"];

/// Columns to write; every value a string, as ServiceNow stores it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Columns(SortedMap<String, String>);

impl Columns {
    pub fn set(&mut self, column: &str, value: impl Into<String>) -> &mut Self {
        self.0.insert(column.to_string(), value.into());
        self
    }

    pub fn get(&self, column: &str) -> Option<&str> {
        self.0.get(column).map(String::as_str)
    }

    /// Whether writing these twice would add a journal entry twice.
    pub fn appends_journal(&self) -> bool {
        JOURNAL_COLUMNS.iter().any(|c| self.0.get(*c).is_some())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The columns to read back once these are written (a write's or its read-back's
    /// `sysparm_fields`): the row's, then those written that it does not read, since
    /// not-applied compares each written column with the one stored (a journal column is never
    /// compared, so not asked for). ServiceNow answers with only these
    /// (docs/servicenow/table-api.md#query-parameters), far fewer than a record's columns.
    pub fn read_back<'a>(&'a self, read: &[&'a str]) -> Vec<&'a str> {
        let mut names = read.to_vec();
        for (name, _) in self.iter() {
            if !read.contains(&name) && !JOURNAL_COLUMNS.contains(&name) {
                names.push(name);
            }
        }
        names
    }
}

/// A column's value as stored, whichever way it came: as it is, or, read with display values
/// (`sysparm_display_value=all`), the `value` of its `{"display_value", "value"}`. Data is
/// always read from there: a date's display value is in the user's format and time zone, a
/// reference's is the record's name (docs/servicenow/table-api.md#display-values).
pub fn raw(value: &Value) -> &Value {
    match value {
        Value::Object(pair) => pair.get("value").unwrap_or(value),
        _ => value,
    }
}

/// [`raw`], moved out instead of borrowed: no copy of the stored value.
fn into_raw(value: Value) -> Value {
    match value {
        Value::Object(pair) if pair.get("value").is_some() => {
            pair.take("value").unwrap_or(Value::Null)
        }
        plain => plain,
    }
}

/// A column's text; ServiceNow sends every value as a string, and `null` for some empties.
pub fn text(value: &Value) -> Result<String, json::Error> {
    json::optional_string(raw(value)).map(Option::unwrap_or_default)
}

/// A choice column (a ticket's state): the value stored, and the label the instance shows
/// for it, in its users' language, when it was read with display values (else empty).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

pub fn choice(value: &Value) -> Result<Choice, json::Error> {
    let label = match value {
        Value::Object(pair) => pair.get("display_value").map_or(Ok(String::new()), text)?,
        _ => String::new(),
    };
    Ok(Choice {
        value: text(value)?,
        label,
    })
}

/// A date-time column: its raw UTC value, never the display value.
pub fn time(value: &Value) -> Result<Timestamp, json::Error> {
    timestamp(raw(value))
}

/// ServiceNow's booleans are the strings "true" and "false".
pub fn flag(value: &Value) -> Result<bool, json::Error> {
    let value = raw(value);
    match value {
        Value::Bool(value) => Ok(*value),
        Value::String(text) => match text.as_str() {
            "true" | "" => Ok(true),
            "false" => Ok(false),
            _ => Err(json::invalid_value(value, "\"true\" or \"false\"")),
        },
        // The words of serde's untagged enum this replaced.
        _ => Err(json::Error::Shape(
            "data did not match any variant of untagged enum Flag".into(),
        )),
    }
}

/// A column holding a sys_id.
pub fn sys_id(value: &Value) -> Result<SysId, json::Error> {
    let value = raw(value);
    let text = json::string(value)?;
    SysId::parse(&text)
        .ok_or_else(|| json::invalid_value(value, "a sys_id (32 lower-case hex digits)"))
}

pub fn parse_stored<R: Row>(stored: Value, what: &str) -> Result<Stored<R>> {
    let row = R::from_json(&stored)
        .map_err(|e| Error::unexpected(format!("{what}: the stored record is not valid: {e}")))?;
    match stored {
        // The columns as stored, for the not-applied report to compare with what was sent.
        Value::Object(mut columns) => {
            for value in columns.values_mut() {
                *value = into_raw(core::mem::replace(value, Value::Null));
            }
            Ok(Stored { row, columns })
        }
        _ => Err(Error::unexpected(format!(
            "{what}: the result is not a record"
        ))),
    }
}

pub fn parse_row<R: Row>(result: Value, what: &str) -> Result<R> {
    R::from_json(&result)
        .map_err(|e| Error::unexpected(format!("{what}: the record is not valid: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::json::{
        Error, Fields, invalid_value, list, missing_field, optional_string, optional_u64, parse,
        string,
    };
    use proptest::prelude::*;
    use serde::Deserialize;

    #[test]
    fn sys_ids_read_from_json_only_when_valid() {
        let read = |text: &str| sys_id(&json::parse(text.as_bytes()).unwrap());
        let ok = read("\"0123456789abcdef0123456789abcdef\"").unwrap();
        assert_eq!(ok.as_str(), "0123456789abcdef0123456789abcdef");
        let err = read("\"../sys_user\"").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid value: string \"../sys_user\", expected a sys_id (32 lower-case hex digits)"
        );
        let err = read("7").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid type: integer `7`, expected a string"
        );
    }

    #[test]
    fn display_value_pairs_read_as_their_stored_value() {
        let read = |text: &str| json::parse(text.as_bytes()).unwrap();
        // A date's display value is in the user's format and time zone: never read.
        let date =
            read(r#"{"display_value": "06/01/2022 04:12:43", "value": "2022-01-06 12:12:43"}"#);
        assert_eq!(time(&date).unwrap().as_str(), "2022-01-06 12:12:43");
        assert!(time(&read(r#""2022-01-06 12:12:43""#)).is_ok());
        assert!(time(&read(r#"{"display_value": "06/01/2022 04:12:43"}"#)).is_err());
        let empty_reference = read(r#"{"display_value": "", "value": ""}"#);
        assert_eq!(text(&empty_reference).unwrap(), "");
        assert!(!flag(&read(r#"{"display_value": "falsch", "value": "false"}"#)).unwrap());
        let state = choice(&read(r#"{"display_value": "Gelöst", "value": "6"}"#)).unwrap();
        assert_eq!(
            (state.value.as_str(), state.label.as_str()),
            ("6", "Gelöst")
        );
        let bare = choice(&read(r#""6""#)).unwrap();
        assert_eq!((bare.value.as_str(), bare.label.as_str()), ("6", ""));
        // A written record's columns are kept as stored, for the not-applied report.
        struct Numbered;
        impl super::Row for Numbered {
            const COLUMNS: &'static [&'static str] = &["number"];
            const DISPLAY_VALUES: bool = true;
            fn from_json(_: &Value) -> Result<Self, Error> {
                Ok(Numbered)
            }
        }
        let stored: Stored<Numbered> = parse_stored(
            read(r#"{"number": {"display_value": "INC1", "value": "INC1"}, "work_notes": {"display_value": "2025-01-01 00:00:00 - admin (Work notes)\nhi", "value": ""}, "active": "true"}"#),
            "writing",
        )
        .unwrap();
        let column = |name| stored.columns.get(name).and_then(Value::as_str);
        assert_eq!(
            (column("number"), column("work_notes"), column("active")),
            (Some("INC1"), Some(""), Some("true"))
        );
    }

    // The readers against serde's derive, which the component used before: a row with every
    // kind of reader, on generated records.

    fn sys_id_reader(value: &Value) -> Result<String, Error> {
        let text = string(value)?;
        (text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then_some(text)
        .ok_or_else(|| invalid_value(value, "a sys_id (32 lower-case hex digits)"))
    }

    #[derive(Debug, PartialEq)]
    struct Row {
        sys_id: String,
        number: String,
        active: bool,
        note: Option<String>,
        expires_in: Option<u64>,
        tags: Vec<String>,
    }

    impl Row {
        fn read(value: &Value) -> Result<Self, Error> {
            let mut fields = Fields::of(value, "struct Twin")?;
            let sys_id = fields.get("sys_id", sys_id_reader);
            let number = fields
                .get("number", |v| {
                    optional_string(v).map(Option::unwrap_or_default)
                })
                .unwrap_or_default();
            let active = fields.get("active", flag).unwrap_or(true);
            let note = fields.get("note", optional_string).flatten();
            let expires_in = fields.get("expires_in", optional_u64).flatten();
            let tags = fields.get("tags", |v| list(v, string));
            fields.finish()?;
            Ok(Self {
                sys_id: sys_id.ok_or_else(|| missing_field("sys_id"))?,
                number,
                active,
                note,
                expires_in,
                tags: tags.ok_or_else(|| missing_field("tags"))?,
            })
        }
    }

    /// The same row as serde's derive reads it, the way the component's rows were written.
    #[derive(Debug, Deserialize)]
    struct Twin {
        #[serde(deserialize_with = "twin_sys_id")]
        sys_id: String,
        #[serde(default, deserialize_with = "twin_text")]
        number: String,
        #[serde(default = "twin_true", deserialize_with = "twin_flag")]
        active: bool,
        note: Option<String>,
        expires_in: Option<u64>,
        tags: Vec<String>,
    }

    fn twin_sys_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let text = String::deserialize(d)?;
        (text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| text.clone())
        .ok_or_else(|| {
            serde::de::Error::invalid_value(
                serde::de::Unexpected::Str(&text),
                &"a sys_id (32 lower-case hex digits)",
            )
        })
    }

    fn twin_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
    }

    fn twin_true() -> bool {
        true
    }

    fn twin_flag<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Flag {
            Bool(bool),
            Text(String),
        }
        match Flag::deserialize(d)? {
            Flag::Bool(value) => Ok(value),
            Flag::Text(text) => match text.as_str() {
                "true" | "" => Ok(true),
                "false" => Ok(false),
                _ => Err(serde::de::Error::invalid_value(
                    serde::de::Unexpected::Str(&text),
                    &"\"true\" or \"false\"",
                )),
            },
        }
    }

    /// Values of every type serde names, written so that serde_json names numbers as written.
    fn field_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::json!(null)),
            any::<bool>().prop_map(serde_json::Value::from),
            (-3i64..3).prop_map(serde_json::Value::from),
            Just(serde_json::json!(u64::MAX)),
            Just(serde_json::json!(1.5)),
            Just(serde_json::json!("0123456789abcdef0123456789abcdef")),
            Just(serde_json::json!("0123")),
            Just(serde_json::json!("true")),
            Just(serde_json::json!("false")),
            Just(serde_json::json!("")),
            Just(serde_json::json!("x\"y\u{1b}é")),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::from),
                proptest::collection::vec(("[a-z]{1,2}", inner), 0..2)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn record() -> impl Strategy<Value = serde_json::Value> {
        let key = prop_oneof![
            Just("sys_id"),
            Just("number"),
            Just("active"),
            Just("note"),
            Just("expires_in"),
            Just("tags"),
            Just("other"),
        ];
        prop_oneof![
            8 => proptest::collection::btree_map(key, field_value(), 0..7).prop_map(|m| {
                serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
            // Anything but an array, which serde's derive reads as a record by position.
            1 => field_value().prop_filter("not an array", |v| !v.is_array()),
        ]
    }

    proptest! {
        #[test]
        fn reads_records_as_serde_derive_does(record in record()) {
            let ours = Row::read(&parse(record.to_string().as_bytes()).unwrap());
            let theirs = serde_json::from_value::<Twin>(record.clone());
            match (ours, theirs) {
                (Ok(ours), Ok(theirs)) => {
                    prop_assert_eq!(
                        ours,
                        Row {
                            sys_id: theirs.sys_id,
                            number: theirs.number,
                            active: theirs.active,
                            note: theirs.note,
                            expires_in: theirs.expires_in,
                            tags: theirs.tags,
                        }
                    );
                }
                (Err(ours), Err(theirs)) => {
                    prop_assert_eq!(ours.to_string(), theirs.to_string(), "{}", record);
                }
                (ours, theirs) => prop_assert!(false, "{record}: {ours:?} / {theirs:?}"),
            }
        }
    }
}
