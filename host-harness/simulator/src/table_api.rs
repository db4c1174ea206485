//! The Table API (docs/servicenow/table-api.md#endpoints):
//! `/api/now[/v1|/v2]/table/{table}[/{sys_id}]`.

use serde_json::{Value, json};
use url::form_urlencoded;

use crate::auth::Caller;
use crate::faults::{CmdbRead, Faults, RATE_LIMIT_PER_HOUR};
use crate::query::Query;
use crate::render::{DisplayMode, RenderOptions, render};
use crate::reply::Reply;
use crate::request::RecordedRequest;
use crate::server::State;
use crate::store::{Row, Table, Write, WriteError, project};

/// docs/servicenow/table-api.md#query-parameters: `sysparm_limit` defaults to 10000.
const DEFAULT_LIMIT: usize = 10_000;

/// docs/servicenow/availability.md#rate-limits: the sys_id of the rate-limit rule named in
/// `X-RateLimit-Rule`.
const RATE_LIMIT_RULE_ID: &str = "7a1c6c2f1b5e3010a5e2ddb6ec4bcb3f";

/// Answers an authenticated Table API request; `rest` is the path after `…/table/`.
pub(crate) fn handle(
    state: &mut State,
    base_url: &str,
    request: &RecordedRequest,
    rest: &str,
    caller: &Caller,
) -> Reply {
    if let Err(reply) = admit(state, caller) {
        return reply;
    }
    if state.faults.rate_limited_calls > 0 {
        state.faults.rate_limited_calls -= 1;
        return rate_limited(state.clock.now().as_secs(), 1);
    }
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let (table, sys_id) = match segments.as_slice() {
        [table] => (*table, None),
        [table, sys_id] => (*table, Some(*sys_id)),
        _ => return unknown_resource(),
    };
    let call = Call {
        request,
        params: request.query_pairs(),
        base_url,
        table,
        caller,
    };
    let reply = match (method(request), sys_id) {
        ("GET" | "HEAD", None) => call.list(state),
        ("GET" | "HEAD", Some(id)) => call.read(state, id),
        ("POST", None) => call.create(state),
        ("PUT" | "PATCH", Some(id)) => call.update(state, id),
        ("DELETE", Some(id)) => call.delete(state, id),
        (_, None) => method_not_supported("GET, HEAD, POST"),
        (_, Some(_)) => method_not_supported("GET, HEAD, PUT, PATCH, DELETE"),
    };
    // docs/servicenow/table-api.md#endpoints: `X-no-response-body: true` suppresses the body of a
    // successful write.
    let quiet = request
        .header("x-no-response-body")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if quiet && (200..300).contains(&reply.status()) {
        reply.without_body()
    } else {
        reply
    }
}

/// The checks that apply to an authenticated caller before any table is touched.
pub(crate) fn admit(state: &State, caller: &Caller) -> Result<(), Reply> {
    let now = state.clock.now();
    if state.faults.auth_scope_missing && caller.scope_checked() {
        // docs/servicenow/table-api.md#errors,
        // docs/servicenow/availability.md#hibernating-instances: the token mints fine but lacks the
        // REST API Auth Scope (OAuth tokens only; `useraccount` passes).
        return Err(Reply::error(
            403,
            "User Not Authorized",
            Some("Missing required api access scope: cxm_api_access"),
        ));
    }
    if let Some(retry_after) = state.faults.rate_limit {
        return Err(rate_limited(now.as_secs(), retry_after));
    }
    Ok(())
}

/// docs/servicenow/availability.md#rate-limits: a rate-limit rule fired: 429 with the rule headers
/// and Retry-After.
fn rate_limited(now_secs: u64, retry_after: u64) -> Reply {
    let reset = now_secs + retry_after;
    let detail =
        format!("Rate limit of {RATE_LIMIT_PER_HOUR} requests per hour for Table API exceeded");
    Reply::error(429, "Rate limit exceeded", Some(&detail))
        .header("retry-after", retry_after.to_string())
        .header("x-ratelimit-limit", RATE_LIMIT_PER_HOUR.to_string())
        .header("x-ratelimit-reset", reset.to_string())
        .header("x-ratelimit-rule", RATE_LIMIT_RULE_ID)
}

/// docs/servicenow/table-api.md#endpoints: `X-HTTP-Method-Override` lets a POST stand for another
/// method.
fn method(request: &RecordedRequest) -> &str {
    match request.header("x-http-method-override") {
        Some(m) if request.method == "POST" => match m.trim().to_ascii_uppercase().as_str() {
            "GET" => "GET",
            "PUT" => "PUT",
            "PATCH" => "PATCH",
            "DELETE" => "DELETE",
            _ => "POST",
        },
        _ => &request.method,
    }
}

struct Call<'a> {
    request: &'a RecordedRequest,
    params: Vec<(String, String)>,
    base_url: &'a str,
    table: &'a str,
    caller: &'a Caller,
}

impl Call<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn flag(&self, name: &str) -> bool {
        self.param(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }

    fn lookup<'s>(&self, state: &'s State) -> Result<&'s Table, Reply> {
        state
            .store
            .table(self.table)
            .ok_or_else(|| invalid_table(self.table))
    }

    fn denied(&self, tables: &[String]) -> bool {
        Faults::denies(tables, self.table)
    }

    /// docs/servicenow/cmdb.md#access: what the CMDB read fault does to this table.
    fn cmdb_read(&self, state: &State) -> CmdbRead {
        if crate::cmdb::is_cmdb_table(self.table) {
            state.faults.cmdb_read
        } else {
            CmdbRead::Granted
        }
    }

    fn render_options(&self, table: &Table) -> RenderOptions<'_> {
        let display = match self.param("sysparm_display_value") {
            Some(v) if v.eq_ignore_ascii_case("true") => DisplayMode::Display,
            Some(v) if v.eq_ignore_ascii_case("all") => DisplayMode::Both,
            _ => DisplayMode::Raw,
        };
        // docs/servicenow/table-api.md#query-parameters: invalid field names in sysparm_fields are
        // ignored.
        let fields: Vec<String> = self
            .param("sysparm_fields")
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|f| table.has_column(f))
            .map(str::to_string)
            .collect();
        RenderOptions {
            base_url: self.base_url,
            table: self.table,
            display,
            exclude_reference_link: self.flag("sysparm_exclude_reference_link"),
            fields: (!fields.is_empty()).then_some(fields),
        }
    }

    /// A row as this table shows it: a child class's row with this table's columns only.
    fn render_one(&self, state: &State, row: &Row) -> Value {
        match state.store.table(self.table) {
            Some(table) => render(
                &project(row, &state.store, self.table),
                &state.store,
                &self.render_options(table),
            ),
            None => Value::Object(row.clone()),
        }
    }

    fn list(&self, state: &State) -> Reply {
        let table = match self.lookup(state) {
            Ok(table) => table,
            Err(reply) => return reply,
        };
        if self.denied(&state.faults.acl_deny_read) || self.cmdb_read(state) == CmdbRead::Refused {
            return read_denied();
        }
        // docs/servicenow/table-api.md#query-parameters: sysparm_query, or else name=value pairs;
        // unknown fields are ignored.
        let query = match self.param("sysparm_query") {
            Some(encoded) => Query::parse(encoded),
            None => Query::from_pairs(self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        };
        let store = &state.store;
        if let Some(what) = query.unfollowed_walk(store, self.table) {
            return unsupported_query(&what);
        }
        let query =
            query.without_unknown_fields(|f| table.has_column(f) || store.walks(self.table, f));
        if let Some(what) = query.unsupported(crate::schema::is_date_time) {
            return unsupported_query(&what);
        }
        // docs/servicenow/cmdb.md#classes: a parent table lists its children's rows too.
        let rows = query.walked_rows(store, self.table);
        let mut hits: Vec<&Row> = rows
            .iter()
            .map(|r| &**r)
            .filter(|r| query.matches(r))
            .collect();
        query.sort(&mut hits);
        let total = hits.len();
        if self.cmdb_read(state) == CmdbRead::RowsHidden {
            hits.clear();
        }
        let offset = self.number("sysparm_offset").unwrap_or(0);
        let limit = self.number("sysparm_limit").unwrap_or(DEFAULT_LIMIT);
        let options = self.render_options(table);
        let result: Vec<Value> = hits
            .iter()
            .skip(offset)
            .take(limit)
            .map(|row| {
                render(
                    &project(row, &state.store, self.table),
                    &state.store,
                    &options,
                )
            })
            .collect();
        // docs/servicenow/table-api.md#endpoints: v2 answers an empty result with 200 and [].
        let mut reply = Reply::json(200, &json!({ "result": result }));
        if !self.flag("sysparm_no_count") {
            reply = reply.header("x-total-count", total.to_string());
        }
        if !self.flag("sysparm_suppress_pagination_header") && limit > 0 {
            reply = reply.header("link", self.link_header(offset, limit, total));
        }
        reply
    }

    fn number(&self, name: &str) -> Option<usize> {
        self.param(name)?.trim().parse().ok()
    }

    /// docs/servicenow/table-api.md#endpoints, docs/servicenow/polling.md: the `Link` header as
    /// captured: first, prev (even on the first page, at offset − limit, so -1 there with a limit
    /// of 1), next (not on the last page), last; joined by a bare comma, every request parameter
    /// echoed.
    fn link_header(&self, offset: usize, limit: usize, total: usize) -> String {
        let page = |offset: i128, rel: &str| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &self.params {
                if k != "sysparm_offset" && k != "sysparm_limit" {
                    query.append_pair(k, v);
                }
            }
            query.append_pair("sysparm_limit", &limit.to_string());
            query.append_pair("sysparm_offset", &offset.to_string());
            format!(
                "<{}{}?{}>;rel=\"{rel}\"",
                self.base_url,
                self.request.path,
                query.finish()
            )
        };
        let (offset, limit, total) = (offset as i128, limit as i128, total as i128);
        let last = (total - 1).max(0) / limit * limit;
        let mut links = vec![page(0, "first"), page(offset - limit, "prev")];
        if offset + limit < total {
            links.push(page(offset + limit, "next"));
        }
        links.push(page(last, "last"));
        links.join(",")
    }

    fn read(&self, state: &State, sys_id: &str) -> Reply {
        if let Err(reply) = self.lookup(state) {
            return reply;
        }
        let access = self.cmdb_read(state);
        if self.denied(&state.faults.acl_deny_read) || access == CmdbRead::Refused {
            return read_denied();
        }
        match state.store.find_in(self.table, sys_id) {
            Some((_, row)) if access != CmdbRead::RowsHidden => {
                Reply::json(200, &json!({ "result": self.render_one(state, row) }))
            }
            _ => not_found(),
        }
    }

    fn create(&self, state: &mut State) -> Reply {
        if let Err(reply) = self.lookup(state) {
            return reply;
        }
        let input = match parse_body(&self.request.body) {
            Ok(input) => input,
            Err(reply) => return reply,
        };
        if self.denied(&state.faults.acl_deny_insert) {
            return acl_refused("Insert");
        }
        let now = state.clock.timestamp();
        let user_id = self.user_id(state);
        let write = self.write(&now, user_id.as_deref());
        match state.store.insert(self.table, &input, &write) {
            Ok(_) if state.faults.lost_insert_answers > 0 => {
                state.faults.lost_insert_answers -= 1;
                Reply::html(502, crate::faults::BAD_GATEWAY_PAGE)
            }
            Ok(row) => {
                let sys_id = row.get("sys_id").and_then(Value::as_str).unwrap_or("");
                // docs/servicenow/table-api.md#endpoints: 201 with the new record's URL.
                let location = format!("{}/api/now/table/{}/{sys_id}", self.base_url, self.table);
                Reply::json(201, &json!({ "result": self.render_one(state, &row) }))
                    .header("location", location)
            }
            Err(error) => write_error(error, self.table, "Insert"),
        }
    }

    fn update(&self, state: &mut State, sys_id: &str) -> Reply {
        let table = match self.lookup(state) {
            Ok(table) => table,
            Err(reply) => return reply,
        };
        let input = match parse_body(&self.request.body) {
            Ok(input) => input,
            Err(reply) => return reply,
        };
        // docs/servicenow/cmdb.md#classes: a record is updated through a parent table too, with
        // the parent's columns only.
        let Some(class) = state.store.class_of(self.table, sys_id).map(str::to_string) else {
            return not_found();
        };
        let mut input = input;
        input.retain(|column, _| table.has_column(column));
        if self.denied(&state.faults.acl_deny_update) {
            return acl_refused("Update");
        }
        let now = state.clock.timestamp();
        let user_id = self.user_id(state);
        let write = self.write(&now, user_id.as_deref());
        match state.store.update(&class, sys_id, &input, &write) {
            Ok(row) => Reply::json(200, &json!({ "result": self.render_one(state, &row) })),
            Err(error) => write_error(error, self.table, "Update"),
        }
    }

    fn delete(&self, state: &mut State, sys_id: &str) -> Reply {
        if let Err(reply) = self.lookup(state) {
            return reply;
        }
        let class = state.store.class_of(self.table, sys_id).map(str::to_string);
        match state
            .store
            .delete(class.as_deref().unwrap_or(self.table), sys_id)
        {
            // docs/servicenow/table-api.md#endpoints: 204 without a body.
            Ok(()) => Reply::empty(204),
            Err(error) => write_error(error, self.table, "Delete"),
        }
    }

    /// Writes are made as the caller: its user_name in the sys_ fields and journal
    /// entries, its sys_id in `opened_by`.
    fn write<'n>(&'n self, now: &'n str, user_id: Option<&'n str>) -> Write<'n> {
        Write {
            now,
            user: &self.caller.user,
            user_id,
            input_display_value: self.flag("sysparm_input_display_value"),
            data_policy: true,
        }
    }

    fn user_id(&self, state: &State) -> Option<String> {
        state.users.sys_id(&self.caller.user).map(str::to_string)
    }
}

/// One JSON object. docs/servicenow/table-api.md#endpoints: only one record per request; the rest
/// of an array is ignored.
pub(crate) fn parse_body(body: &str) -> Result<Row, Reply> {
    let unreadable =
        |detail: &str| Reply::error(400, "Exception while reading request", Some(detail));
    if body.trim().is_empty() {
        // [I] the exact wording for an empty body is not captured.
        return Err(unreadable("Empty request body"));
    }
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(row)) => Ok(row),
        Ok(Value::Array(items)) => match items.into_iter().next() {
            Some(Value::Object(row)) => Ok(row),
            _ => Err(unreadable("Request body must be a JSON object")),
        },
        Ok(_) => Err(unreadable("Request body must be a JSON object")),
        // docs/servicenow/table-api.md#errors: the message is known, the parse-error detail is [I].
        Err(e) => Err(unreadable(&format!("Invalid JSON: {e}"))),
    }
}

fn write_error(error: WriteError, table: &str, operation: &str) -> Reply {
    match error {
        WriteError::UnknownTable => invalid_table(table),
        WriteError::NotFound => not_found(),
        // sys_choice is read-only for the integration user: an ACL refusal.
        WriteError::ReadOnly => acl_refused(operation),
        WriteError::DataPolicy(detail) => Reply::error(403, "Operation Failed", Some(&detail)),
    }
}

/// docs/servicenow/table-api.md#errors: an unknown table is a 400, not a 404.
pub(crate) fn invalid_table(table: &str) -> Reply {
    Reply::error(
        400,
        &format!("Invalid table {table}"),
        Some(&format!("Table {table} does not exist")),
    )
}

/// docs/servicenow/table-api.md#errors: not found and hidden by ACL look the same (the Attachment
/// API answers the same, docs/servicenow/attachments.md [I]).
pub(crate) fn not_found() -> Reply {
    Reply::error(
        404,
        "No Record found",
        Some("Record doesn't exist or ACL restricts the record retrieval"),
    )
}

/// docs/servicenow/table-api.md#errors: the read ACL answer carries a null detail.
fn read_denied() -> Reply {
    Reply::error(403, "Insufficient rights to query records", None)
}

/// docs/servicenow/table-api.md#errors: "ACL Exception Insert Failed due to security constraints"
/// and its siblings.
pub(crate) fn acl_refused(operation: &str) -> Reply {
    let detail = format!("ACL Exception {operation} Failed due to security constraints");
    Reply::error(403, "Operation Failed", Some(&detail))
}

/// docs/servicenow/table-api.md#errors: [R] the message a mock uses; the detail is not captured.
fn method_not_supported(allow: &'static str) -> Reply {
    Reply::error(405, "Method not Supported", None).header("allow", allow)
}

/// Not ServiceNow's answer: the query uses real syntax the simulator does not evaluate
/// (see `query.rs`). A 500 with the reason, so the test that sent it fails and says why,
/// instead of the simulator matching rows a real instance would not.
pub(crate) fn unsupported_query(what: &str) -> Reply {
    simulator_lacks("Simulator: unsupported encoded query", what)
}

/// Not ServiceNow's answer: a 500 saying what the simulator does not implement.
pub(crate) fn simulator_lacks(message: &str, what: &str) -> Reply {
    let detail = format!("The ServiceNow simulator does not implement {what}");
    Reply::error(500, message, Some(&detail))
}

/// docs/servicenow/table-api.md#errors: a path under /api that names no API.
pub(crate) fn unknown_resource() -> Reply {
    Reply::error(400, "Requested URI does not represent any resource", None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_must_be_one_json_object() {
        assert!(parse_body(r#"{"a":"b"}"#).is_ok());
        assert_eq!(parse_body(r#"[{"a":"b"},{"c":"d"}]"#).unwrap().len(), 1);
        for bad in ["", "  ", "{", "[]", "\"x\"", "{\"a\":}"] {
            assert_eq!(parse_body(bad).unwrap_err().status(), 400, "{bad:?}");
        }
    }
}
