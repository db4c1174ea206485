//! ServiceNow's Change Management API (`/api/sn_chg_rest/change/…`,
//! docs/servicenow/change-management.md): standard change templates looked up by name or sys_id,
//! and change requests created from a template or as normal changes. It speaks the Table API's
//! envelopes ([`Rest`]), words its own refusals ([`failure`]), and answers a created change in
//! either of the two shapes on record ([`parse_created`]), read into the same row a Table API
//! insert gives.

use crate::primitives::prelude::*;

use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::guide;
use crate::primitives::http::{Method, Response, Transport};
use crate::primitives::ids::{ChangeTemplate, SysId};
use crate::primitives::json::{self, Value};
use crate::servicenow::answer;
use crate::servicenow::auth::Authorization;
use crate::servicenow::error_body::ErrorBody;
use crate::servicenow::not_applied::{NotApplied, not_applied as compared};
use crate::servicenow::query::Query;
use crate::servicenow::request::Rest;
use crate::servicenow::rows::{Columns, Row, Stored, flag, parse_stored, row, sys_id, text};
use crate::servicenow::ticket::TicketRow;

const TEMPLATES: &str = "/api/sn_chg_rest/change/standard/template";

/// Two: a name given to two templates is noticed, and refused.
const TEMPLATE_MATCHES: &str = "2";

/// Why a field the API named in `__meta.ignoredFields` was not applied.
pub const IGNORED: &str = "the Change Management API ignored it: not in the template, or read-only";

row! {
    /// A standard change template as the list endpoint answers it: every field a
    /// `{value, display_value}` pair, `sys_id` a pair or a plain string.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct TemplateRow {
        pub sys_id: SysId = sys_id => required,
        pub name: String = text => or_default,
        pub active: bool = flag => or(true),
    }
}

/// A change the API created: the row as a Table API insert reads it, and the fields the API
/// said it ignored (`__meta.ignoredFields`).
#[derive(Debug)]
pub struct CreatedChange {
    pub stored: Stored<TicketRow>,
    pub ignored: Vec<String>,
}

/// One instance's Change Management API, as the integration user.
pub struct ChangeApi<'a, T>(pub Rest<'a, T>);

impl<T: Transport> ChangeApi<'_, T> {
    /// `GET …/change/standard/template?sysparm_query=active=true^name=<name>&sysparm_limit=2`
    /// (or `^sys_id=<id>`): the active templates that are exactly `template`, at most two. An
    /// encoded query's unknown terms are ignored by the instance, so the answer is filtered
    /// again here.
    pub fn templates(
        &self,
        auth: &Authorization,
        template: &ChangeTemplate,
    ) -> Result<Vec<TemplateRow>> {
        let query = Query::default().eq("active", "true");
        let query = match template {
            ChangeTemplate::SysId(id) => query.eq("sys_id", id.as_str()),
            ChangeTemplate::Name(name) => query.eq("name", name),
        };
        let encoded = query.checked()?;
        let url = self.0.url(
            TEMPLATES,
            &[
                ("sysparm_query", encoded.as_str()),
                ("sysparm_limit", TEMPLATE_MATCHES),
            ],
        );
        let what = format!("looking up the standard change template {template}");
        let result = self.get(auth, url, &what)?;
        let mut rows = Vec::new();
        json::each(&result, &mut |value| {
            let row = TemplateRow::from_json(value)?;
            let same = match template {
                ChangeTemplate::SysId(id) => row.sys_id == *id,
                ChangeTemplate::Name(name) => row.name == *name,
            };
            if same && row.active {
                rows.push(row);
            }
            Ok(())
        })
        .map_err(|e| {
            Error::unexpected(format!(
                "{what}: the result is not a list of templates: {e}"
            ))
        })?;
        Ok(rows)
    }

    /// `GET …/change/standard/template?sysparm_limit=1`: the cheapest proof that the API is
    /// there and lets the integration user in.
    pub fn reachable(&self, auth: &Authorization) -> Result<()> {
        let url = self.0.url(TEMPLATES, &[("sysparm_limit", "1")]);
        let what = "listing standard change templates";
        match self.get(auth, url, what)? {
            Value::Array(_) => Ok(()),
            _ => Err(Error::unexpected(format!(
                "{what}: the result is not a list of templates"
            ))),
        }
    }

    /// `POST …/change/standard/{template}`: one standard change from the template, `columns`
    /// overriding its values where the API lets them.
    pub fn create_standard(
        &self,
        auth: &Authorization,
        template: &SysId,
        columns: &Columns,
    ) -> Result<CreatedChange> {
        let path = format!("/api/sn_chg_rest/change/standard/{template}");
        let what = format!("creating a standard change from the template {template}");
        self.create(auth, &path, columns, &what)
    }

    /// `POST …/change/normal`: one normal change from the instance's default normal change.
    pub fn create_normal(&self, auth: &Authorization, columns: &Columns) -> Result<CreatedChange> {
        let what = "creating a normal change through the Change Management API";
        self.create(auth, "/api/sn_chg_rest/change/normal", columns, what)
    }

    fn create(
        &self,
        auth: &Authorization,
        path: &str,
        columns: &Columns,
        what: &str,
    ) -> Result<CreatedChange> {
        let url = self.0.url(path, &[]);
        // Never repeated blindly: a second try would create a second change.
        let request = self
            .0
            .request(Method::Post, url, auth)
            .header("content-type", "application/json")
            .body(json::write_object(columns.iter()))
            .idempotent(false);
        let answered = self.0.send_as(auth, &request, what, failure)?;
        parse_created(answered.result, what)
    }

    fn get(&self, auth: &Authorization, url: String, what: &str) -> Result<Value> {
        let rest = self.0;
        let request = rest.request(Method::Get, url, auth);
        Ok(rest.send_as(auth, &request, what, failure)?.result)
    }
}

/// The Change Management API's refusals (docs/servicenow/change-management.md#errors): the API
/// missing, its roles missing, its auth scope missing, a template or change not found, and its
/// server-side failures with what the instance said; the rest as the Table API's.
pub fn failure(response: &Response, auth: &Authorization, what: &str) -> Error {
    let status = response.status;
    let body = ErrorBody::of_failure(&response.body);
    let mentions = |text: &str| body.as_ref().is_some_and(|b| b.mentions(text));
    let said = body
        .as_ref()
        .map_or_else(|| format!("HTTP {status}"), ErrorBody::describe);
    let error = match status {
        400 if mentions("requested uri does not represent any resource") => Error::new(
            ErrorKind::NotFound,
            format!(
                "{what}: the instance has no Change Management REST API (sn_chg_rest) ({said})"
            ),
        )
        .with_remedy(guide::CHANGE_API_PLUGIN),
        403 if mentions("api access scope") || mentions("unscoped api") => {
            return answer::failure(response, auth, what).with_remedy(guide::CHANGE_SCOPE);
        }
        403 if mentions("user not authorized") || mentions("acl") => Error::new(
            ErrorKind::Forbidden,
            format!(
                "{what}: the integration user lacks the Change Management API's roles ({said})"
            ),
        )
        .with_remedy(guide::CHANGE_ROLES),
        404 => Error::new(ErrorKind::NotFound, format!("{what}: {said}")),
        500.. => Error::new(
            ErrorKind::ServiceUnavailable,
            format!("{what}: the Change Management API failed ({said})"),
        )
        .with_retry_after(response.retry_after())
        .with_remedy(guide::CHANGE_API_FAILED),
        _ => return answer::failure(response, auth, what),
    };
    error.with_status(status)
}

/// A create's `result` (docs/servicenow/change-management.md#answers): an object, or an array
/// of one; each value a `{value, display_value[, display_value_internal]}` pair or plain,
/// typed (`-5`, `-5.0`, `true`) or a string; `__meta.ignoredFields` inside it. Read into the
/// row and stored columns a Table API insert gives, every value as the string the Table API
/// would show.
pub fn parse_created(result: Value, what: &str) -> Result<CreatedChange> {
    let record = match result {
        Value::Array(mut items) if items.len() == 1 => items.pop().unwrap_or(Value::Null),
        other => other,
    };
    let Value::Object(mut record) = record else {
        return Err(Error::unexpected(format!(
            "{what}: the result is not one change record"
        )));
    };
    let ignored = ignored_fields(record.get("__meta"));
    for value in record.values_mut() {
        match value {
            Value::Object(pair) => pair.values_mut().for_each(as_text),
            plain => as_text(plain),
        }
    }
    Ok(CreatedChange {
        stored: parse_stored(Value::Object(record), what)?,
        ignored,
    })
}

/// A typed value as the string the Table API gives for it: `-5.0` and `-5` as `"-5"`, `true`
/// as `"true"`; anything else as it is.
fn as_text(value: &mut Value) {
    let text = match value {
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => {
            let written = number.as_written();
            match written.split_once('.') {
                Some((whole, zeros)) if !zeros.is_empty() && zeros.bytes().all(|b| b == b'0') => {
                    whole.to_string()
                }
                _ => written.to_string(),
            }
        }
        _ => return,
    };
    *value = Value::String(text);
}

/// `__meta.ignoredFields`' names; anything else in it is not a field name and is passed over.
fn ignored_fields(meta: Option<&Value>) -> Vec<String> {
    let mut names = Vec::new();
    if let Some(Value::Object(meta)) = meta
        && let Some(Value::Array(fields)) = meta.get("ignoredFields")
    {
        for field in fields {
            if let Value::String(name) = field {
                names.push(name.clone());
            }
        }
    }
    names
}

/// What the create did not store as sent: the fields the API said it ignored, then the
/// others whose stored value differs (as a Table API insert is compared). Only fields that
/// were sent are named, so an answer cannot name more than the request held.
pub fn not_applied(sent: &Columns, created: &CreatedChange) -> Vec<NotApplied> {
    let mut ignored = Vec::new();
    let mut kept = Columns::default();
    for (name, value) in sent.iter() {
        if created.ignored.iter().any(|i| i == name) {
            ignored.push(NotApplied::new(name, IGNORED));
        } else {
            kept.set(name, value);
        }
    }
    ignored.extend(compared(&kept, &created.stored.columns));
    ignored
}

#[cfg(test)]
mod tests;
