//! What the native client does with a create's answer, as the component does with it: the
//! answer parsed, its `result` read into the same typed row the component reads for a created
//! ticket (`src/servicenow/ticket.rs`, `TicketRow`), the record handed back (kind, sys_id,
//! number, link) and the columns sent compared with those stored (the not-applied list,
//! `src/servicenow/not_applied.rs`).

use anyhow::{Context, Result, bail};
use serde_json::{Map, Value};

/// Journal columns always read back empty: never compared (docs/servicenow/records.md#incident).
const JOURNAL_COLUMNS: &[&str] = &["work_notes", "comments"];

/// A choice or reference column: the value stored, and its display value where the answer
/// had one.
#[allow(dead_code)]
#[derive(Debug, Default)]
pub(in crate::bench) struct Choice {
    pub(in crate::bench) value: String,
    pub(in crate::bench) label: String,
}

/// A created ticket's columns as the component reads them: only `sys_id` is required; an
/// absent column reads as empty (`active` as true). Read and kept, as the component reads
/// them, though a create hands back only the record made from them.
#[allow(dead_code)]
#[derive(Debug)]
pub(in crate::bench) struct TicketRow {
    pub(in crate::bench) sys_id: String,
    pub(in crate::bench) number: String,
    pub(in crate::bench) state: Choice,
    pub(in crate::bench) active: bool,
    pub(in crate::bench) priority: String,
    pub(in crate::bench) impact: String,
    pub(in crate::bench) urgency: String,
    pub(in crate::bench) assignment_group: String,
    pub(in crate::bench) short_description: String,
    pub(in crate::bench) correlation_id: String,
    pub(in crate::bench) correlation_display: String,
    pub(in crate::bench) cmdb_ci: Choice,
}

/// The ticket the component hands back for a create.
#[derive(Debug)]
pub(in crate::bench) struct Created {
    pub(in crate::bench) kind: String,
    pub(in crate::bench) sys_id: String,
    pub(in crate::bench) number: String,
    pub(in crate::bench) link: String,
    /// Each column sent but not stored as sent, and why.
    pub(in crate::bench) not_applied: Vec<(String, String)>,
    #[allow(dead_code)]
    pub(in crate::bench) row: TicketRow,
}

/// What the native client sent: the table, the columns, and the instance the link points
/// into.
pub(in crate::bench) struct Sent {
    pub(in crate::bench) table: String,
    pub(in crate::bench) instance: String,
    pub(in crate::bench) columns: Vec<(String, String)>,
}

impl Sent {
    /// The table from a Table API path (`/api/now/table/{table}`), the columns from the JSON
    /// object sent.
    pub(in crate::bench) fn new(instance: &str, path: &str, body: &[u8]) -> Result<Self> {
        let table = path
            .strip_prefix("/api/now/table/")
            .context("the create request is not a Table API insert")?;
        let Value::Object(sent) = serde_json::from_slice(body)? else {
            bail!("the create request's body is not a JSON object");
        };
        let columns = sent
            .into_iter()
            .map(|(name, value)| match value {
                Value::String(text) => Ok((name, text)),
                other => bail!("column {name} was sent as {other}, not text"),
            })
            .collect::<Result<_>>()?;
        Ok(Self {
            table: table.to_string(),
            instance: instance.trim_end_matches('/').to_string(),
            columns,
        })
    }

    /// The created ticket from the answer's body.
    pub(in crate::bench) fn created(&self, body: &[u8]) -> Result<Created> {
        let mut answer: Value = serde_json::from_slice(body)?;
        let Some(Value::Object(stored)) = answer.get_mut("result").map(Value::take) else {
            bail!("the answer has no result object");
        };
        let row = TicketRow::read(&stored)?;
        let number = match row.number.as_str() {
            "" => row.sys_id.clone(),
            number => number.to_string(),
        };
        Ok(Created {
            kind: self.table.clone(),
            link: self.link(&row.sys_id),
            sys_id: row.sys_id.clone(),
            number,
            not_applied: self.not_applied(&stored),
            row,
        })
    }

    /// `{instance}/nav_to.do?uri=<table>.do%3Fsys_id%3D<sys_id>`, the target
    /// form-urlencoded as the component encodes it.
    fn link(&self, sys_id: &str) -> String {
        let target = format!("{}.do?sys_id={sys_id}", self.table);
        let mut link = format!("{}/nav_to.do?uri=", self.instance);
        for byte in target.bytes() {
            match byte {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                    link.push(char::from(byte));
                }
                b' ' => link.push('+'),
                other => link.push_str(&format!("%{other:02X}")),
            }
        }
        link
    }

    /// The columns sent that the answer does not hold as sent, each with its reason.
    fn not_applied(&self, stored: &Map<String, Value>) -> Vec<(String, String)> {
        let mut not_applied = Vec::new();
        for (name, sent) in &self.columns {
            if JOURNAL_COLUMNS.contains(&name.as_str()) {
                continue;
            }
            let reason = match stored.get(name).map(raw) {
                None => "not stored: no such column, or a rule dropped it".to_string(),
                Some(Value::String(kept)) if kept == sent => continue,
                Some(Value::String(kept)) if kept.is_empty() => {
                    format!("stored empty instead of {sent:?}")
                }
                Some(Value::String(kept)) => format!("stored {kept:?} instead of {sent:?}"),
                Some(_) => "answered in a shape other than text".to_string(),
            };
            not_applied.push((name.clone(), reason));
        }
        not_applied
    }
}

impl TicketRow {
    fn read(stored: &Map<String, Value>) -> Result<Self> {
        let sys_id = text(stored, "sys_id")?;
        if sys_id.len() != 32
            || !sys_id
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            bail!("the stored sys_id {sys_id:?} is not 32 lower-case hex digits");
        }
        let active = match stored.get("active").map(raw) {
            None | Some(Value::Null) => true,
            Some(Value::Bool(active)) => *active,
            Some(Value::String(flag)) if flag == "true" || flag.is_empty() => true,
            Some(Value::String(flag)) if flag == "false" => false,
            Some(other) => bail!("active is {other}, not \"true\" or \"false\""),
        };
        Ok(Self {
            sys_id,
            number: text(stored, "number")?,
            state: choice(stored, "state")?,
            active,
            priority: text(stored, "priority")?,
            impact: text(stored, "impact")?,
            urgency: text(stored, "urgency")?,
            assignment_group: text(stored, "assignment_group")?,
            short_description: text(stored, "short_description")?,
            correlation_id: text(stored, "correlation_id")?,
            correlation_display: text(stored, "correlation_display")?,
            cmdb_ci: choice(stored, "cmdb_ci")?,
        })
    }
}

/// A column's value: as it is, or the `value` of a `{value, display_value}` pair.
fn raw(value: &Value) -> &Value {
    match value {
        Value::Object(pair) => pair.get("value").unwrap_or(value),
        _ => value,
    }
}

/// A text column; absent or `null` reads as empty.
fn text(stored: &Map<String, Value>, column: &str) -> Result<String> {
    match stored.get(column).map(raw) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(other) => bail!("{column} is {other}, not text"),
    }
}

/// A choice or reference column: its value, and its display value when it came as a pair.
fn choice(stored: &Map<String, Value>, column: &str) -> Result<Choice> {
    let label = match stored.get(column) {
        Some(Value::Object(pair)) => match pair.get("display_value") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(label)) => label.clone(),
            Some(other) => bail!("{column}'s display value is {other}, not text"),
        },
        _ => String::new(),
    };
    Ok(Choice {
        value: text(stored, column)?,
        label,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYS_ID: &str = "0123456789abcdef0123456789abcdef";

    fn sent() -> Sent {
        let body = br#"{"short_description":"disk full","impact":"2","work_notes":"hi","u_x":"1"}"#;
        Sent::new(
            "https://dev1.service-now.com/",
            "/api/now/table/incident",
            body,
        )
        .unwrap()
    }

    #[test]
    fn a_created_ticket_is_read_as_the_component_reads_it() {
        let answer = serde_json::json!({"result": {
            "sys_id": SYS_ID,
            "number": "INC0010001",
            "state": {"value": "1", "display_value": "New"},
            "active": "true",
            "short_description": "disk full",
            "impact": "3",
            "work_notes": "",
            "cmdb_ci": null,
        }});
        let created = sent().created(answer.to_string().as_bytes()).expect("read");
        assert_eq!(created.kind, "incident");
        assert_eq!(created.number, "INC0010001");
        assert_eq!(
            created.link,
            format!("https://dev1.service-now.com/nav_to.do?uri=incident.do%3Fsys_id%3D{SYS_ID}")
        );
        assert_eq!(
            (
                created.row.state.value.as_str(),
                created.row.state.label.as_str()
            ),
            ("1", "New")
        );
        assert!(created.row.active);
        let fields: Vec<&str> = created
            .not_applied
            .iter()
            .map(|(f, _)| f.as_str())
            .collect();
        assert_eq!(fields, ["impact", "u_x"]);
    }

    #[test]
    fn an_answer_without_a_valid_sys_id_is_refused() {
        for answer in [
            r#"{"result":{"number":"INC1"}}"#,
            r#"{"result":{"sys_id":"x"}}"#,
            "{}",
        ] {
            assert!(sent().created(answer.as_bytes()).is_err(), "{answer}");
        }
    }
}
