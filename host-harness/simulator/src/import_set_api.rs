//! The Import Set API (docs/servicenow/import-sets.md#endpoints):
//! `POST /api/now[/v1|/v2]/import/{staging_table}` loads one row and transforms it at once;
//! `GET …/import/{staging_table}/{sys_id}` gives a staging row's transform results again.
//! `…/insertMultiple` is a real endpoint the simulator lacks.

use serde::Serialize;

use crate::auth::Caller;
use crate::faults::{BAD_GATEWAY_PAGE, Faults};
use crate::import_sets::transform::{self, Runner, Staged};
use crate::import_sets::{
    CLEANUP_AFTER_SECS, ImportSetMode, Loaded, RowResult, Staging, staging_input, system_write,
};
use crate::reply::Reply;
use crate::request::RecordedRequest;
use crate::server::State;
use crate::store::{Row, Write, text};
use crate::table_api::{
    acl_refused, admit, invalid_table, not_found, parse_body, simulator_lacks, unknown_resource,
};

const PREFIXES: &[&str] = &[
    "/api/now/import/",
    "/api/now/v1/import/",
    "/api/now/v2/import/",
];

/// The path after `…/import/`, if it is an Import Set API path.
pub(crate) fn api_path(path: &str) -> Option<&str> {
    PREFIXES.iter().find_map(|p| path.strip_prefix(p))
}

/// docs/servicenow/import-sets.md#answer: the synchronous answer, in the documented key order.
#[derive(Serialize)]
struct Answer<'a> {
    import_set: &'a str,
    staging_table: &'a str,
    result: &'a [RowResult],
}

/// Answers an authenticated Import Set API request; `rest` is the path after `…/import/`.
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
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    match (request.method.as_str(), segments.as_slice()) {
        ("POST", [table]) => insert(state, base_url, request, table, caller),
        ("POST", [_, "insertMultiple"]) => {
            simulator_lacks("Simulator: not implemented", "insertMultiple")
        }
        ("GET" | "HEAD", [table, sys_id]) => read(state, table, sys_id, caller),
        // [I] the Table API's answer to a wrong method.
        (_, [_]) => method_not_supported("POST"),
        (_, [_, _]) => method_not_supported("GET"),
        _ => unknown_resource(),
    }
}

fn method_not_supported(allow: &'static str) -> Reply {
    Reply::error(405, "Method not Supported", None).header("allow", allow)
}

/// The staging table, or the answer for a table that is none. [I] (not captured,
/// docs/servicenow/import-sets.md#errors): a table that does not exist gets the Table API's 400
/// `Invalid table`; a table that exists but is no import set table a 400 `Invalid staging table`.
fn staging<'s>(state: &'s State, table: &str) -> Result<&'s Staging, Reply> {
    if let Some(staging) = state.imports.stagings.get(table) {
        return Ok(staging);
    }
    if state.store.table(table).is_some() {
        let detail = format!("Table {table} is not an import set table");
        return Err(Reply::error(
            400,
            &format!("Invalid staging table {table}"),
            Some(&detail),
        ));
    }
    Err(invalid_table(table))
}

/// docs/servicenow/import-sets.md#security: the staging table's ACLs apply (the endpoint's own
/// ACL is off by default). [I] They ask for one of the staging table's roles; `admin` passes.
fn may_load(state: &State, staging: &Staging, caller: &Caller) -> bool {
    if staging.roles.is_empty() {
        return true;
    }
    state.users.get(&caller.user).is_some_and(|user| {
        user.has_role("admin") || staging.roles.iter().any(|role| user.has_role(role))
    })
}

fn insert(
    state: &mut State,
    base_url: &str,
    request: &RecordedRequest,
    table: &str,
    caller: &Caller,
) -> Reply {
    let staging = match staging(state, table) {
        Ok(staging) => staging,
        Err(reply) => return reply,
    };
    if request
        .header("content-type")
        .is_some_and(|t| t.to_ascii_lowercase().contains("xml"))
    {
        // docs/servicenow/import-sets.md#endpoints: real, but not simulated.
        return simulator_lacks("Simulator: not implemented", "XML bodies");
    }
    let body = match parse_body(&request.body) {
        Ok(body) => body,
        Err(reply) => return reply,
    };
    // docs/servicenow/import-sets.md#security: [I] the Table API's 403 for an insert the ACL
    // refuses.
    if !may_load(state, staging, caller) || Faults::denies(&state.faults.acl_deny_insert, table) {
        return acl_refused("Insert");
    }
    let input = staging_input(staging, &body);
    let (maps, mode) = (staging.maps.clone(), staging.mode);
    let now_secs = state.clock.now().as_secs();
    let (import_set, set_sys_id) = open_set(state, table, now_secs);
    let Some(values) = store_row(state, table, &input, &set_sys_id, &caller.user) else {
        return invalid_table(table);
    };
    let sys_id = text(&values, "sys_id").to_string();
    let row = Staged {
        table,
        sys_id: &sys_id,
        values: &values,
    };
    // docs/servicenow/import-sets.md#errors: without a transform map the row is stored, not
    // transformed ([I] the answer: an empty `result`).
    let pending = mode == ImportSetMode::Asynchronous || maps.is_empty();
    let results = if mode == ImportSetMode::Asynchronous {
        maps.iter()
            .map(|map| RowResult::deferred(map, &row, base_url))
            .collect()
    } else {
        let runner = Runner {
            base_url,
            user: &caller.user,
        };
        transform::transform_row(state, &row, &runner)
    };
    let answer = Answer {
        import_set: &import_set,
        staging_table: table,
        result: &results,
    };
    // docs/servicenow/import-sets.md#endpoints: 201 (or 200) whatever the rows' statuses: the
    // status, not the HTTP code, tells what the transform did.
    let reply = Reply::json(state.imports.post_status, &answer);
    let loaded = Loaded {
        staging_table: table.to_string(),
        import_set,
        loaded_at: now_secs,
        results,
        pending,
    };
    state.imports.rows.insert(sys_id, loaded);
    if state.faults.lost_insert_answers > 0 {
        // The row was loaded and transformed; its answer is lost on the way back.
        state.faults.lost_insert_answers -= 1;
        return Reply::html(502, BAD_GATEWAY_PAGE);
    }
    reply
}

/// The number and sys_id of the staging table's open import set.
fn open_set(state: &mut State, table: &str, now_secs: u64) -> (String, String) {
    let ids = &mut state.ids;
    let set = state.imports.open_set(table, now_secs, || ids.sys_id());
    (set.number.clone(), set.sys_id.clone())
}

/// Stores the staging row (state `pending` until a transform runs) as the caller.
fn store_row(
    state: &mut State,
    table: &str,
    input: &Row,
    set_sys_id: &str,
    user: &str,
) -> Option<Row> {
    let mut fields = input.clone();
    fields.insert("sys_import_set".into(), set_sys_id.into());
    fields.insert("sys_import_state".into(), "pending".into());
    let now = state.clock.timestamp();
    let write = Write {
        user,
        ..system_write(&now)
    };
    state.store.insert(table, &fields, &write).ok()
}

/// `GET …/import/{table}/{sys_id}`: the row's results as the POST gave them (or as the
/// asynchronous transform left them).
fn read(state: &mut State, table: &str, sys_id: &str, caller: &Caller) -> Reply {
    let staging = match staging(state, table) {
        Ok(staging) => staging,
        Err(reply) => return reply,
    };
    // docs/servicenow/import-sets.md#security: [I] reading needs what loading needs; the Table
    // API's read refusal.
    if !may_load(state, staging, caller) || Faults::denies(&state.faults.acl_deny_read, table) {
        return Reply::error(403, "Insufficient rights to query records", None);
    }
    let now_secs = state.clock.now().as_secs();
    let expired = match state.imports.rows.get(sys_id) {
        Some(loaded) if loaded.staging_table == table => {
            now_secs.saturating_sub(loaded.loaded_at) > CLEANUP_AFTER_SECS
        }
        // docs/servicenow/import-sets.md#endpoints: 404 once the result no longer exists.
        _ => return not_found(),
    };
    if expired {
        // docs/servicenow/import-sets.md#endpoints: the Import Set Deleter has removed it.
        state.imports.rows.remove(sys_id);
        state.store.remove_system_row(table, sys_id);
        return not_found();
    }
    let Some(loaded) = state.imports.rows.get(sys_id) else {
        return not_found();
    };
    let answer = Answer {
        import_set: &loaded.import_set,
        staging_table: table,
        result: &loaded.results,
    };
    Reply::json(200, &answer)
}
