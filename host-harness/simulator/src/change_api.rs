//! The Change Management API (docs/servicenow/change-management.md):
//! `/api/sn_chg_rest[/v1|/v2]/change/…`. Lists standard change templates and creates standard
//! changes from them, and normal and emergency changes; the records land in `change_request`, so
//! the Table API reads them back. Other real endpoints of the API answer 500 "does not implement".

mod answer;
mod templates;

use serde_json::{Map, Value, json};

use crate::Simulator;
use crate::auth::Caller;
use crate::query::Query;
use crate::reply::Reply;
use crate::request::RecordedRequest;
use crate::schema::READ_ONLY_COLUMNS;
use crate::server::State;
use crate::store::{Row, Write, WriteError};
use crate::table_api::{self, simulator_lacks, unknown_resource};

pub use answer::ChangeAnswerShape;
use answer::Kind;
use templates::TEMPLATE_TABLE;
pub(crate) use templates::install;

const PREFIX: &str = "/api/sn_chg_rest/";

/// docs/servicenow/change-management.md#listing-templates: `sysparm_limit` defaults to 500.
const DEFAULT_LIMIT: usize = 500;

/// docs/servicenow/change-management.md#roles: who may read, and who may create.
const READ_ROLES: &[&str] = &["change_manager", "itil", "sn_change_read", "admin"];
const WRITE_ROLES: &[&str] = &["change_manager", "itil", "admin"];

/// docs/servicenow/change-management.md#standard-changes: fields a standard change takes from
/// its template only; a caller's value is ignored.
const TEMPLATE_ONLY: &[&str] = &[
    "description",
    "backout_plan",
    "test_plan",
    "implementation_plan",
];

/// Columns the API sets itself ([I]: read-only to the caller, like the system columns).
const API_COLUMNS: &[&str] = &["type", "std_change_producer_version", "approval"];

/// How the instance's Change Management is set up.
#[derive(Clone, Debug)]
pub(crate) struct ChangeSettings {
    /// The Change Management API is there (`false`: as on an instance without the plugin).
    pub installed: bool,
    pub shape: ChangeAnswerShape,
}

impl Default for ChangeSettings {
    fn default() -> Self {
        ChangeSettings {
            installed: true,
            shape: ChangeAnswerShape::default(),
        }
    }
}

/// The part of the path after `/api/sn_chg_rest/` and its optional version, if it is one.
pub(crate) fn api_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(PREFIX)?;
    // docs/servicenow/change-management.md#endpoints: `{api_version}` is e.g. v1 or v2.
    Some(
        rest.strip_prefix("v1/")
            .or_else(|| rest.strip_prefix("v2/"))
            .unwrap_or(rest),
    )
}

/// Answers an authenticated Change Management API request; `rest` is from [`api_path`].
pub(crate) fn handle(
    state: &mut State,
    request: &RecordedRequest,
    rest: &str,
    caller: &Caller,
) -> Reply {
    if !state.change.installed {
        // docs/servicenow/change-management.md#errors: [I] without the plugin the path names no
        // resource, as for any missing scripted REST API.
        return unknown_resource();
    }
    if let Err(reply) = table_api::admit(state, caller) {
        return reply;
    }
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let method = request.method.as_str();
    let route = match (method, segments.as_slice()) {
        ("GET", ["change", "standard", "template"]) => Route::Templates,
        ("GET", ["change", "standard", "template", id]) => Route::Template(id),
        ("POST", ["change", "standard", id]) => Route::Standard(id),
        ("POST", ["change", "normal"]) => Route::Create("normal"),
        ("POST", ["change", "emergency"]) => Route::Create("emergency"),
        (_, ["change", ..]) => {
            let what = format!("{method} {PREFIX}{rest}");
            return simulator_lacks("Simulator: unsupported Change Management API call", &what);
        }
        _ => return unknown_resource(),
    };
    let roles = if method == "GET" {
        READ_ROLES
    } else {
        WRITE_ROLES
    };
    if !has_any_role(state, caller, roles) {
        // docs/servicenow/change-management.md#errors: [I] the answer of other ACL-protected
        // scripted REST APIs.
        return Reply::error(
            403,
            "User Not Authorized",
            Some("Failed API level ACL Validation"),
        );
    }
    let call = Call { request, caller };
    match route {
        Route::Templates => call.templates(state),
        Route::Template(id) => call.template(state, id),
        Route::Standard(id) => call.standard(state, id),
        Route::Create(kind) => call.create(state, kind),
    }
}

enum Route<'a> {
    Templates,
    Template(&'a str),
    Standard(&'a str),
    Create(&'static str),
}

fn has_any_role(state: &State, caller: &Caller, roles: &[&str]) -> bool {
    state
        .users
        .get(&caller.user)
        .is_some_and(|user| roles.iter().any(|role| user.has_role(role)))
}

struct Call<'a> {
    request: &'a RecordedRequest,
    caller: &'a Caller,
}

impl Call<'_> {
    /// docs/servicenow/change-management.md#listing-templates: `sysparm_query` or name=value
    /// pairs, `order`, `sysparm_limit`, `sysparm_offset`, `textSearch`.
    fn templates(&self, state: &State) -> Reply {
        let Some(table) = state.store.table(TEMPLATE_TABLE) else {
            return Reply::json(200, &json!({ "result": [] }));
        };
        let params = self.request.query_pairs();
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let filters = params
            .iter()
            .filter(|(k, _)| k != "order" && k != "textSearch")
            .map(|(k, v)| (k.as_str(), v.as_str()));
        let query = match param("sysparm_query") {
            Some(encoded) => Query::parse(encoded),
            None => Query::from_pairs(filters),
        }
        .without_unknown_fields(|f| table.has_column(f));
        if let Some(what) = query.unsupported(crate::schema::is_date_time) {
            return table_api::unsupported_query(&what);
        }
        let search = param("textSearch").map(str::to_lowercase);
        let mut hits: Vec<&Row> = table
            .rows()
            .iter()
            .filter(|row| query.matches(row))
            .filter(|row| search.as_deref().is_none_or(|s| text_search(row, s)))
            .collect();
        // [I] templates have no number: the default order is by name; `order` then the
        // query's ORDERBY decide (stable sorts, the last one first in rank).
        let order = param("order")
            .filter(|f| table.has_column(f))
            .unwrap_or("name");
        Query::parse(&format!("ORDERBY{order}")).sort(&mut hits);
        query.sort(&mut hits);
        let number = |name: &str| param(name).and_then(|v| v.trim().parse::<usize>().ok());
        let offset = number("sysparm_offset").unwrap_or(0);
        let limit = number("sysparm_limit").unwrap_or(DEFAULT_LIMIT);
        let result: Vec<Value> = hits
            .iter()
            .skip(offset)
            .take(limit)
            .map(|row| answer::template(row, &state.store))
            .collect();
        Reply::json(200, &json!({ "result": result }))
    }

    /// docs/servicenow/change-management.md#listing-templates: one template by sys_id; the
    /// documented sample is an array of one with `sys_id` a plain string.
    fn template(&self, state: &State, sys_id: &str) -> Reply {
        let Some(row) = state
            .store
            .table(TEMPLATE_TABLE)
            .and_then(|t| t.find(sys_id))
        else {
            return not_found("standard change template", sys_id);
        };
        let mut record = answer::template(row, &state.store);
        match state.change.shape {
            ChangeAnswerShape::Documented => {
                record["sys_id"] = json!(sys_id);
                Reply::json(200, &json!({ "result": [record] }))
            }
            ChangeAnswerShape::Recorded => Reply::json(200, &json!({ "result": record })),
        }
    }

    /// docs/servicenow/change-management.md#standard-changes: a change of type standard with the
    /// template's values, then the caller's.
    fn standard(&self, state: &mut State, template_id: &str) -> Reply {
        let Some(template) = templates::active_template(&state.store, template_id) else {
            return not_found("standard change template", template_id);
        };
        let fields = match self.fields() {
            Ok(fields) => fields,
            Err(reply) => return reply,
        };
        let mut input = Row::new();
        for (column, value) in template.values {
            input.insert(column, Value::String(value));
        }
        let ignored = self.take(state, &fields, TEMPLATE_ONLY, &mut input);
        input.insert("type".into(), json!("standard"));
        // docs/servicenow/change-management.md#standard-changes: pre-approved.
        input.insert("approval".into(), json!("approved"));
        input.insert(
            "std_change_producer_version".into(),
            json!(template.version_id),
        );
        self.insert(state, &input, Kind::Standard, &ignored)
    }

    /// docs/servicenow/change-management.md#normal-and-emergency-changes.
    fn create(&self, state: &mut State, kind: &str) -> Reply {
        let fields = match self.fields() {
            Ok(fields) => fields,
            Err(reply) => return reply,
        };
        let mut input = Row::new();
        let ignored = self.take(state, &fields, &[], &mut input);
        input.insert("type".into(), json!(kind));
        // [I] the default of a change that was not yet sent for approval.
        input.insert("approval".into(), json!("not requested"));
        self.insert(state, &input, Kind::NormalOrEmergency, &ignored)
    }

    /// The caller's fields: name=value query parameters (as the documentation's samples send
    /// them), then the JSON body's ([I]: the body wins over a parameter of the same name).
    fn fields(&self) -> Result<Map<String, Value>, Reply> {
        let mut fields: Map<String, Value> = self
            .request
            .query_pairs()
            .into_iter()
            .filter(|(k, _)| !k.starts_with("sysparm_") && k != "x-sn-apikey")
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let body = self.request.body.trim();
        if body.is_empty() {
            return Ok(fields);
        }
        // [I] the wording of a bad body is the Table API's.
        let unreadable =
            |detail: &str| Reply::error(400, "Exception while reading request", Some(detail));
        match serde_json::from_str::<Value>(body) {
            Ok(Value::Object(object)) => {
                fields.extend(object);
                Ok(fields)
            }
            Ok(_) => Err(unreadable("Request body must be a JSON object")),
            Err(e) => Err(unreadable(&format!("Invalid JSON: {e}"))),
        }
    }

    /// Moves the fields a caller may set into `input`; returns the names of the others, the
    /// answer's `__meta.ignoredFields`.
    fn take(
        &self,
        state: &State,
        fields: &Map<String, Value>,
        template_only: &[&str],
        input: &mut Row,
    ) -> Vec<String> {
        let table = state.store.table("change_request");
        let mut ignored = Vec::new();
        for (column, value) in fields {
            let settable = table.is_some_and(|t| t.has_column(column))
                && !READ_ONLY_COLUMNS.contains(&column.as_str())
                && !API_COLUMNS.contains(&column.as_str())
                && !template_only.contains(&column.as_str());
            if settable {
                input.insert(column.clone(), value.clone());
            } else {
                ignored.push(column.clone());
            }
        }
        ignored
    }

    fn insert(&self, state: &mut State, input: &Row, kind: Kind, ignored: &[String]) -> Reply {
        let now = state.clock.timestamp();
        let user_id = state.users.sys_id(&self.caller.user).map(str::to_string);
        let write = Write {
            now: &now,
            user: &self.caller.user,
            user_id: user_id.as_deref(),
            input_display_value: self
                .request
                .query_param("sysparm_input_display_value")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            data_policy: true,
        };
        match state.store.insert("change_request", input, &write) {
            // The change was made; its answer is lost on the way back, as for the Table API.
            Ok(_) if state.faults.lost_insert_answers > 0 => {
                state.faults.lost_insert_answers -= 1;
                Reply::html(502, crate::faults::BAD_GATEWAY_PAGE)
            }
            // docs/servicenow/change-management.md#standard-changes: 200, not 201.
            Ok(row) => {
                let body = answer::created(&row, &state.store, state.change.shape, kind, ignored);
                Reply::json(200, &body)
            }
            // docs/servicenow/change-management.md#errors: a server-side failure (a data policy
            // refusing the write) is a 500 [I].
            Err(WriteError::DataPolicy(detail)) => {
                Reply::error(500, "Internal Server Error", Some(&detail))
            }
            Err(error) => {
                let detail = format!("{error:?}");
                Reply::error(500, "Internal Server Error", Some(&detail))
            }
        }
    }
}

/// Whether any field of the row contains the (lowercase) search text: [I] a stand-in for
/// full-text search.
fn text_search(row: &Row, search: &str) -> bool {
    row.values()
        .filter_map(Value::as_str)
        .any(|v| v.to_lowercase().contains(search))
}

/// docs/servicenow/change-management.md#errors: the status is documented, the body [I].
fn not_found(what: &str, sys_id: &str) -> Reply {
    let detail = format!("The specified {what} couldn't be found: {sys_id}");
    Reply::error(404, "No Record found", Some(&detail))
}

impl Simulator {
    /// Whether the Change Management API is installed (default true). Without it every
    /// `/api/sn_chg_rest/…` path answers, once authenticated, 400 "Requested URI does not
    /// represent any resource" ([I], docs/servicenow/change-management.md#errors).
    pub fn set_change_management_installed(&self, installed: bool) {
        self.state().change.installed = installed;
    }

    /// Which answer shape the Change Management API's create endpoints give (default
    /// [`ChangeAnswerShape::Recorded`]).
    pub fn set_change_answer_shape(&self, shape: ChangeAnswerShape) {
        self.state().change.shape = shape;
    }
}
