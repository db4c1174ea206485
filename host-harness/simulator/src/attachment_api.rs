//! The Attachment API (docs/servicenow/attachments.md): `/api/now[/v1]/attachment`. Uploads of raw
//! bytes (`POST …/file`), their metadata in `sys_attachment` (also readable through the Table API),
//! downloads, listing by encoded query, and deletion.

use std::collections::HashMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::faults::Faults;
use crate::query::Query;
use crate::reply::Reply;
use crate::request::RecordedRequest;
use crate::schema::{self, ATTACHMENT_TABLE};
use crate::server::State;
use crate::store::{Row, string_row, text};
use crate::table_api::{
    acl_refused, not_found, simulator_lacks, unknown_resource, unsupported_query,
};

const PREFIXES: &[&str] = &["/api/now/attachment", "/api/now/v1/attachment"];

/// docs/servicenow/attachments.md: the documented default of `sysparm_limit` for listing
/// attachments.
const DEFAULT_LIMIT: usize = 1000;

/// docs/servicenow/attachments.md: what a PDI reported as `chunk_size_bytes`.
const CHUNK_SIZE: &str = "700000";

/// The content of stored attachments, by sys_id.
pub(crate) type Files = HashMap<String, Vec<u8>>;

/// An attachment as the instance holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub sys_id: String,
    pub table_name: String,
    pub table_sys_id: String,
    pub file_name: String,
    /// The Content-Type it was uploaded with.
    pub content_type: String,
    pub content: Vec<u8>,
    /// SHA-256 of the content, 64 lowercase hex digits.
    pub hash: String,
    pub sys_created_by: String,
    pub sys_created_on: String,
}

/// The stored attachments whose metadata `keep` accepts, oldest first.
pub(crate) fn stored(state: &State, keep: impl Fn(&Row) -> bool) -> Vec<Attachment> {
    let Some(table) = state.store.table(ATTACHMENT_TABLE) else {
        return Vec::new();
    };
    table
        .rows()
        .iter()
        .filter(|row| keep(row))
        .map(|row| {
            let field = |name: &str| text(row, name).to_string();
            Attachment {
                sys_id: field("sys_id"),
                table_name: field("table_name"),
                table_sys_id: field("table_sys_id"),
                file_name: field("file_name"),
                content_type: field("content_type"),
                content: state
                    .files
                    .get(text(row, "sys_id"))
                    .cloned()
                    .unwrap_or_default(),
                hash: field("hash"),
                sys_created_by: field("sys_created_by"),
                sys_created_on: field("sys_created_on"),
            }
        })
        .collect()
}

/// The path after the API's prefix ("" for the API itself), if it is an Attachment API path.
pub(crate) fn api_path(path: &str) -> Option<&str> {
    PREFIXES
        .iter()
        .filter_map(|p| path.strip_prefix(p))
        .find(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Whether the request uploads a file, whose body the attachment size limit bounds instead of the
/// REST payload limit ([I] docs/servicenow/README.md#evidence-labels: whether the 10 MB REST limit
/// applies to uploads is not known; the simulator lets the attachment limit decide).
pub(crate) fn is_upload(method: &str, path: &str) -> bool {
    method == "POST" && api_path(path).is_some_and(|rest| segments(rest) == ["file"])
}

/// The path after the API's prefix, by segment; empty ones (`//`, a trailing `/`) dropped.
fn segments(rest: &str) -> Vec<&str> {
    rest.split('/').filter(|s| !s.is_empty()).collect()
}

/// Answers an authenticated Attachment API request; `rest` is the path after the prefix.
pub(crate) fn handle(
    state: &mut State,
    base_url: &str,
    request: &RecordedRequest,
    body: &[u8],
    rest: &str,
    caller: &Caller,
) -> Reply {
    if state.faults.attachment_api_unscoped && caller.scope_checked() {
        // docs/servicenow/attachments.md: a securely scoped OAuth application whose scopes leave
        // this API out.
        return Reply::error(
            403,
            "User Not Authorized",
            Some("Access to unscoped api is not allowed"),
        );
    }
    let segments = segments(rest);
    let method = request.method.as_str();
    match (method, segments.as_slice()) {
        ("POST", ["file"]) => upload(state, base_url, request, body, caller),
        ("GET" | "HEAD", []) => list(state, base_url, request),
        ("GET" | "HEAD", [id]) => metadata(state, base_url, id),
        ("GET" | "HEAD", [id, "file"]) => download(state, base_url, id),
        ("DELETE", [id]) => delete(state, id),
        ("POST", ["upload"]) => not_implemented("the multipart upload (POST …/attachment/upload)"),
        (_, [_, "attributes", ..]) => not_implemented("attachment attributes"),
        (_, [] | ["file"] | [_] | [_, "file"]) => Reply::error(405, "Method not Supported", None),
        _ => unknown_resource(),
    }
}

/// `POST …/file?table_name=&table_sys_id=&file_name=` with the raw bytes as the body.
fn upload(
    state: &mut State,
    base_url: &str,
    request: &RecordedRequest,
    body: &[u8],
    caller: &Caller,
) -> Reply {
    let params = request.query_pairs();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.trim().is_empty())
    };
    let (Some(table), Some(record), Some(file_name)) = (
        param("table_name"),
        param("table_sys_id"),
        param("file_name"),
    ) else {
        let missing = ["table_name", "table_sys_id", "file_name"]
            .into_iter()
            .find(|name| param(name).is_none())
            .unwrap_or("file_name");
        return missing_parameter(missing);
    };
    // docs/servicenow/attachments.md: "This header is mandatory to post file attachments."
    let Some(content_type) = request
        .header("content-type")
        .filter(|v| !v.trim().is_empty())
    else {
        return Reply::error(
            400,
            "Missing mandatory header",
            Some("Content-Type is mandatory to post file attachments"),
        );
    };
    // docs/servicenow/attachments.md: the caller must be able to read and write the record it
    // attaches to.
    let reachable = state
        .store
        .table(table)
        .and_then(|t| t.find(record))
        .is_some()
        && !Faults::denies(&state.faults.acl_deny_read, table)
        && !Faults::denies(&state.faults.acl_deny_update, table);
    if !reachable {
        return not_found();
    }
    if Faults::denies(&state.faults.acl_deny_insert, ATTACHMENT_TABLE) {
        return acl_refused("Insert");
    }
    // The server read the body within the attachment size limit (`is_upload`).
    let row = stored_row(
        state,
        caller,
        [table, record, file_name, content_type],
        body,
    );
    let sys_id = text(&row, "sys_id").to_string();
    state.store.put_system_row(ATTACHMENT_TABLE, row.clone());
    state.files.insert(sys_id.clone(), body.to_vec());
    // docs/servicenow/attachments.md: the upload's own answer still shows the file being processed.
    let mut answered = row;
    answered.insert("state".into(), "pending".into());
    answered.insert("sys_mod_count".into(), "0".into());
    let location = download_link(base_url, &sys_id);
    Reply::json(201, &json!({ "result": with_link(answered, base_url) }))
        .header("location", location)
}

/// The `sys_attachment` row of a new upload, as it stands once processed
/// (docs/servicenow/attachments.md: a later read shows `state` "available").
fn stored_row(state: &mut State, caller: &Caller, target: [&str; 4], body: &[u8]) -> Row {
    let [table, record, file_name, content_type] = target;
    let now = state.clock.timestamp();
    let size = body.len().to_string();
    let hash: String = Sha256::digest(body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    string_row([
        ("sys_id", state.ids.sys_id()),
        ("sys_created_on", now.clone()),
        ("sys_updated_on", now),
        ("sys_created_by", caller.user.clone()),
        ("sys_updated_by", caller.user.clone()),
        ("sys_mod_count", "1".into()),
        ("sys_tags", String::new()),
        ("table_name", table.into()),
        ("table_sys_id", record.into()),
        ("file_name", file_name.into()),
        ("content_type", content_type.into()),
        ("size_bytes", size.clone()),
        // [I] the simulator does not compress; a real instance reports gzip's size.
        ("size_compressed", size),
        ("compressed", "true".into()),
        ("average_image_color", String::new()),
        ("image_width", String::new()),
        ("image_height", String::new()),
        ("state", "available".into()),
        ("chunk_size_bytes", CHUNK_SIZE.into()),
        ("hash", hash),
    ])
}

/// `GET …/attachment?sysparm_query=…`: metadata of the attachments that match.
fn list(state: &State, base_url: &str, request: &RecordedRequest) -> Reply {
    let Some(table) = state.store.table(ATTACHMENT_TABLE) else {
        return unknown_resource();
    };
    let param = |name: &str| request.query_param(name);
    let query = Query::parse(&param("sysparm_query").unwrap_or_default())
        .without_unknown_fields(|f| table.has_column(f));
    if let Some(what) = query.unsupported(schema::is_date_time) {
        return unsupported_query(&what);
    }
    // [I] attachments of records the caller may not read are not listed.
    let mut hits: Vec<&Row> = table
        .rows()
        .iter()
        .filter(|r| query.matches(r))
        .filter(|r| !Faults::denies(&state.faults.acl_deny_read, text(r, "table_name")))
        .collect();
    query.sort(&mut hits);
    let total = hits.len();
    let number = |name: &str| param(name).and_then(|v| v.trim().parse::<usize>().ok());
    let result: Vec<Value> = hits
        .into_iter()
        .skip(number("sysparm_offset").unwrap_or(0))
        .take(number("sysparm_limit").unwrap_or(DEFAULT_LIMIT))
        .map(|row| with_link(row.clone(), base_url))
        .collect();
    // As the Table API counts its matches (`list` in table.rs).
    Reply::json(200, &json!({ "result": result })).header("x-total-count", total.to_string())
}

fn metadata(state: &State, base_url: &str, sys_id: &str) -> Reply {
    match find(state, sys_id) {
        Some(row) => Reply::json(200, &json!({ "result": with_link(row.clone(), base_url) })),
        None => not_found(),
    }
}

/// `GET …/{sys_id}/file`: the bytes, with the metadata and file name in headers
/// (docs/servicenow/attachments.md).
fn download(state: &State, base_url: &str, sys_id: &str) -> Reply {
    let (Some(row), Some(content)) = (find(state, sys_id), state.files.get(sys_id)) else {
        return not_found();
    };
    let file_name = text(row, "file_name");
    let metadata = serde_json::to_string(&with_link(row.clone(), base_url)).unwrap_or_default();
    Reply::bytes(200, text(row, "content_type"), content.clone())
        .header("x-attachment-metadata", ascii_json(&metadata))
        .header("content-disposition", content_disposition(file_name))
}

fn delete(state: &mut State, sys_id: &str) -> Reply {
    if !state.store.remove_system_row(ATTACHMENT_TABLE, sys_id) {
        return not_found();
    }
    state.files.remove(sys_id);
    Reply::empty(204)
}

fn find<'s>(state: &'s State, sys_id: &str) -> Option<&'s Row> {
    state.store.table(ATTACHMENT_TABLE)?.find(sys_id)
}

fn download_link(base_url: &str, sys_id: &str) -> String {
    format!("{base_url}/api/now/attachment/{sys_id}/file")
}

/// docs/servicenow/attachments.md: the Attachment API adds `download_link` to the row's columns.
fn with_link(mut row: Row, base_url: &str) -> Value {
    let link = download_link(base_url, text(&row, "sys_id"));
    row.insert("download_link".into(), Value::String(link));
    Value::Object(row)
}

/// docs/servicenow/attachments.md: `attachment;filename="…";filename*=UTF-8''…`. The quoted form
/// keeps to printable ASCII ([I] how the instance writes other characters there is not captured).
fn content_disposition(file_name: &str) -> String {
    let quoted: String = file_name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    let encoded: String = file_name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment;filename=\"{quoted}\";filename*=UTF-8''{encoded}")
}

/// JSON with every non-ASCII character escaped, so that it fits in a header.
fn ascii_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

/// docs/servicenow/attachments.md: "one or more mandatory parameters were missing"; [I] the body is
/// not captured.
fn missing_parameter(name: &str) -> Reply {
    let detail = format!("Missing mandatory parameter: {name}");
    Reply::error(400, "Missing mandatory parameter", Some(&detail))
}

/// [I] docs/servicenow/README.md#evidence-labels: neither the status nor the body for an oversized
/// attachment is captured.
pub(crate) fn too_large(size: &str, max_mb: u64) -> Reply {
    let detail =
        format!("The attachment is {size} bytes; com.glide.attachment.max_size allows {max_mb} MB");
    Reply::error(400, "Attachment size exceeds the maximum", Some(&detail))
}

/// Not ServiceNow's answer: an endpoint the real API has and the simulator lacks.
fn not_implemented(what: &str) -> Reply {
    simulator_lacks("Simulator: unsupported endpoint", what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_paths() {
        assert_eq!(api_path("/api/now/attachment"), Some(""));
        assert_eq!(
            api_path("/api/now/v1/attachment/abc/file"),
            Some("/abc/file")
        );
        assert_eq!(api_path("/api/now/attachments"), None);
        assert_eq!(api_path("/api/now/table/incident"), None);
        assert!(is_upload("POST", "/api/now/attachment/file"));
        assert!(!is_upload("GET", "/api/now/attachment/file"));
        assert!(!is_upload("POST", "/api/now/attachment/upload"));
    }

    #[test]
    fn file_names_fit_in_headers() {
        assert_eq!(
            content_disposition("cost report.csv"),
            "attachment;filename=\"cost report.csv\";filename*=UTF-8''cost%20report.csv"
        );
        assert_eq!(
            content_disposition("é\"x"),
            "attachment;filename=\"__x\";filename*=UTF-8''%C3%A9%22x"
        );
        assert_eq!(
            ascii_json(r#"{"a":"é😀"}"#),
            r#"{"a":"\u00e9\ud83d\ude00"}"#
        );
    }
}
