//! ServiceNow's Import Set API (docs/servicenow/import-sets.md): one row posted to a staging
//! table (`POST /api/now/import/{staging_table}`), transformed at once by the staging table's
//! transform maps into the ticket; and what the answer's elements say the transform did. The
//! answer decides, not the HTTP status: a transform's refusal rides inside a 2xx
//! (docs/servicenow/import-sets.md#answer).

use crate::primitives::prelude::*;

use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::guide;
use crate::primitives::http::{Method, Transport};
use crate::primitives::ids::{Name, SysId};
use crate::primitives::json::{self, Value};
use crate::primitives::text::{quoted, server_text};
use crate::servicenow::auth::Authorization;
use crate::servicenow::request::Rest;
use crate::servicenow::rows::{Columns, Row, row, text};

/// A staging column is the ticket's column with this in front: a custom staging table's
/// columns start with `u_` (docs/servicenow/import-sets.md#bodies).
pub const COLUMN_PREFIX: &str = "u_";

/// One instance's Import Set API, as the integration user.
pub struct ImportSetApi<'a, T>(pub Rest<'a, T>);

/// What the transform did for the ticket table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transformed {
    /// A new record.
    Inserted,
    /// The record the row coalesced onto.
    Updated,
    /// Nothing written: no field value changed, or a script ignored the row.
    Ignored,
}

/// The record the row became, as the answer names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Landed {
    pub status: Transformed,
    /// The ticket table's record; none when a script ignored the row (the element then names
    /// the staging row).
    pub sys_id: Option<SysId>,
    /// The transform's `status_message` (`No field values changed`), cleaned; often empty.
    pub message: String,
}

row! {
    /// One element of the answer's `result`: what one transform map did with the row. Every
    /// key is the instance's: read leniently, used only once checked.
    struct Element {
        transform_map: String = text => or_default,
        table: String = text => or_default,
        sys_id: String = text => or_default,
        status: String = text => or_default,
        status_message: String = text => or_default,
        error_message: String = text => or_default,
    }
}

impl Element {
    fn writes(&self) -> bool {
        matches!(self.status.as_str(), "inserted" | "updated")
    }

    /// What the transform said: its error message, else its status message; cleaned and
    /// bounded.
    fn said(&self) -> String {
        let said = if self.error_message.trim().is_empty() {
            &self.status_message
        } else {
            &self.error_message
        };
        server_text(said)
    }

    fn map(&self) -> String {
        quoted(&self.transform_map, 64)
    }
}

impl<T: Transport> ImportSetApi<'_, T> {
    /// `POST /api/now/import/{staging}`: loads one row, the `columns` each under its staging
    /// column (`u_` in front) as flat JSON of strings, and answers what the transform did for
    /// the ticket table `target`. `repeatable`: sending the row twice does no harm (it
    /// coalesces and appends no journal entry), so the transport may repeat it.
    pub fn load(
        &self,
        auth: &Authorization,
        staging: &Name,
        target: &Name,
        columns: &Columns,
        repeatable: bool,
    ) -> Result<Landed> {
        let what = format!("loading a row into the staging table {staging}");
        let staged: Vec<(String, &str)> = columns
            .iter()
            .map(|(column, value)| (format!("{COLUMN_PREFIX}{column}"), value))
            .collect();
        let body = json::write_object(staged.iter().map(|(k, v)| (k.as_str(), *v)));
        let rest = self.0;
        let url = self.0.instance.join(&format!("/api/now/import/{staging}"));
        let request = rest
            .request(Method::Post, url, auth)
            .header("content-type", "application/json")
            .body(body)
            .idempotent(repeatable);
        let result = rest
            .send_lenient(auth, &request, &what)
            .map_err(|error| refused(error, staging))?;
        land(&result, staging, target, &what)
    }
}

/// An HTTP refusal of the staging table, in the Import Set API's terms
/// (docs/servicenow/import-sets.md#security, #errors).
fn refused(error: Error, staging: &Name) -> Error {
    let lower = error.message.to_ascii_lowercase();
    match error.kind {
        ErrorKind::Forbidden => error.with_remedy(guide::IMPORT_SET_ROLES),
        ErrorKind::MissingAuthScope => error.with_remedy(guide::IMPORT_SET_SCOPE),
        ErrorKind::UnknownTicketKind | ErrorKind::NotFound => unknown_staging(error, staging),
        ErrorKind::BadRequest if lower.contains("invalid staging table") => {
            unknown_staging(error, staging)
        }
        _ => error,
    }
}

fn unknown_staging(error: Error, staging: &Name) -> Error {
    let mut unknown = Error::new(
        ErrorKind::BadRequest,
        format!(
            "{}; {staging} is not an import set staging table on this instance",
            error.message
        ),
    )
    .with_remedy(guide::STAGING_TABLE);
    unknown.http_status = error.http_status;
    unknown
}

/// What the answer's `result` says the transform did for `target`: every element must have
/// inserted, updated or ignored the row; one that wrote must have written `target`.
fn land(result: &Value, staging: &Name, target: &Name, what: &str) -> Result<Landed> {
    let mut elements = Vec::new();
    if *result != Value::Null {
        json::each(result, &mut |element| {
            elements.push(Element::from_json(element)?);
            Ok(())
        })
        .map_err(|e| {
            Error::unexpected(format!(
                "{what}: the result is not a list of transform results: {e}"
            ))
        })?;
    }
    if elements.is_empty() {
        return Err(Error::unexpected(format!(
            "{what}: ServiceNow stored the row but transformed it into nothing: {staging} has \
             no transform map, or its import sets are asynchronous"
        ))
        .with_remedy(guide::TRANSFORM_MAP));
    }
    let known = |e: &&Element| e.writes() || e.status == "ignored";
    if let Some(refusal) = elements.iter().find(|e| !known(e)) {
        return Err(transform_refusal(refusal, what));
    }
    let on_target = |e: &&Element| e.table == target.as_str();
    if let Some(written) = elements.iter().filter(|e| e.writes()).find(on_target) {
        let status = if written.status == "inserted" {
            Transformed::Inserted
        } else {
            Transformed::Updated
        };
        return Ok(Landed {
            status,
            sys_id: Some(target_id(written, what)?),
            message: written.said(),
        });
    }
    if let Some(elsewhere) = elements.iter().find(|e| e.writes()) {
        return Err(written_elsewhere(elsewhere, staging, target, what));
    }
    // Every map ignored the row.
    let ignored = elements.iter().find(on_target).unwrap_or(&elements[0]);
    Ok(Landed {
        status: Transformed::Ignored,
        sys_id: on_target(&ignored)
            .then(|| SysId::parse(&ignored.sys_id))
            .flatten(),
        message: ignored.said(),
    })
}

fn target_id(element: &Element, what: &str) -> Result<SysId> {
    SysId::parse(&element.sys_id).ok_or_else(|| {
        Error::unexpected(format!(
            "{what}: the transform map {} names no valid record: {}",
            element.map(),
            quoted(&element.sys_id, 40)
        ))
    })
}

/// A `skipped`, `error` or unknown element.
fn transform_refusal(element: &Element, what: &str) -> Error {
    let said = match element.said() {
        said if said.is_empty() => "no message".to_string(),
        said => said,
    };
    let map = element.map();
    let (kind, message) = match element.status.as_str() {
        "error" => (
            ErrorKind::RejectedByPolicy,
            format!("{what}: the transform map {map} refused the row: {said}"),
        ),
        "skipped" => (
            ErrorKind::RejectedByPolicy,
            format!(
                "{what}: the transform map {map} skipped the row (its coalesce values were \
                 missing, or a script skipped it): {said}"
            ),
        ),
        other => (
            ErrorKind::UnexpectedResponse,
            format!(
                "{what}: the transform map {map} answered the status {}: {said}",
                quoted(other, 32)
            ),
        ),
    };
    Error::new(kind, message).with_remedy(guide::TRANSFORM_REFUSED)
}

/// A row written, but not into the ticket table: the staging row itself (an asynchronous
/// import set, docs/servicenow/import-sets.md#synchronous-and-asynchronous) or a map onto
/// another table.
fn written_elsewhere(element: &Element, staging: &Name, target: &Name, what: &str) -> Error {
    let message = if element.table == staging.as_str() {
        format!(
            "{what}: the row waits in {staging} for a transform that has not run: its import \
             set is asynchronous, so no ticket was written yet"
        )
    } else {
        format!(
            "{what}: the transform map {} wrote to {}, not to {target}",
            element.map(),
            quoted(&element.table, 80)
        )
    };
    Error::unexpected(message).with_remedy(guide::TRANSFORM_MAP)
}

#[cfg(test)]
mod tests;
