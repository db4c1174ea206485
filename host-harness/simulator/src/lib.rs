//! A ServiceNow instance on loopback: a real HTTP/1.1 server answering the OAuth 2.0
//! token endpoint (client credentials, password and refresh grants), the Table API, the
//! Attachment API and part of the Change Management API the way a real instance does, errors
//! included (docs/servicenow/, whose sections the comments cite), with fault switches for the
//! misconfigurations of the setup guide. REST calls get in with a bearer token, Basic
//! auth as a user or a REST API key, and act as that user.
//!
//! Where the facts are silent the simulator infers; each such behaviour is marked [I]
//! where it is implemented, and listed here.
//!
//! # Inferred behaviours
//!
//! Authentication:
//! - The password grant answers a wrong password, a locked-out user and an inactive user with the
//!   generic 401 `access_denied`/`server_error` (docs/servicenow/README.md#evidence-labels); a
//!   wrong password there counts toward the lockout like any password sign-in.
//! - A repeat password grant after the access token expired returns the live refresh
//!   token (expiry pushed out) with a new access token; a refresh leaves the access token
//!   it replaces working until it expires.
//! - A refresh grant for a user who can no longer sign in (inactive, locked, "Password
//!   needs reset") gets the generic 401.
//! - `grant_type=client_credentials` before Washington DC gets the generic 401
//!   (docs/servicenow/README.md#evidence-labels); so does an unknown `grant_type`.
//! - An OAuth Application User that names no user gets the 400 `unauthorized_client` of an unset
//!   one ([R] docs/servicenow/auth.md#token-errors); an inactive, locked or reset-flagged one the
//!   generic 401.
//! - The lockout locks on the failure that reaches `glide.user.max_unlock_attempts`
//!   (5); a locked account's failed sign-ins do not count further; auto unlock (15 min)
//!   is on, as on zBooted instances since Kingston. "Password needs reset" refuses Basic
//!   auth as it refuses the password grant.
//! - Tokens and API keys of a user who became inactive or locked stop working (401).
//! - Every REST 401 is the captured `User Not Authenticated` body with
//!   `WWW-Authenticate: BASIC realm="Service-now"`, for bearer tokens and API keys too.
//! - Signed-in answers carry the captured session headers (`X-Is-Logged-In: true`,
//!   `X-Transaction-ID`, `Server-Timing`, a `glide_session_store` cookie) whichever way
//!   the call got in.
//! - A wrong, inactive or expired `x-sn-apikey`, a key on an API without an access policy for it,
//!   and any key before Washington DC: the same 401 (docs/servicenow/README.md#evidence-labels).
//!   Key tokens are 32 URL-safe characters. Scopes are not checked for keys.
//! - With `Authorization` and `x-sn-apikey` both present, `Authorization` decides.
//!
//! Display values:
//! - With `sysparm_display_value=true` or `all`, states show their state model's labels and
//!   priority its `N - Name` label (ServiceNow's incident state model and priority lookup
//!   documentation); impact and urgency show `N - High/Medium/Low` the same way [I]; other
//!   columns show their value as it is. A state an admin added
//!   ([`Simulator::add_state_choice`]) shows its label; with [`Simulator::set_language`], the
//!   states translated into that language ([`Simulator::translate_state_choice`]) show their
//!   translation and the others their English label; the language is the instance's, for
//!   every user. An added state keeps the record active unless it was added as a closing state.
//! - Date-time columns display in the format `dd/MM/yyyy HH:mm:ss` of the documented example,
//!   with the user's time zone kept at UTC; journal columns display as stored ("").
//! - The Attachment API's list counts its matches in `X-Total-Count`, as the Table API does.
//!
//! Queries and polling:
//! - Real encoded-query syntax the simulator does not evaluate (`BETWEEN`, `RELATIVE*`,
//!   `javascript:` values, `RLQUERY`, …) and a date-time column compared with something
//!   that is not `YYYY-MM-DD[ HH:MM:SS]` answer 500 naming what was not understood: not
//!   ServiceNow's answer, a loud failure for tests. Parts a real instance ignores
//!   (unknown fields, unknown operators) are still ignored.
//! - `Link`'s `prev` is offset − limit on every page (the capture shows -1 with a limit
//!   of 1 on page one).
//! - Every answer's `Date` is the simulated clock, the one that stamps `sys_updated_on`
//!   and `sys_created_on` (RFC 9110 has an origin server with a clock send it; that a
//!   real instance's is in step with its record stamps is inferred).
//!
//! Attachments:
//! - A missing `table_name`, `table_sys_id` or `file_name` is 400 "Missing mandatory
//!   parameter" naming it; a missing Content-Type is 400 "Missing mandatory header". The
//!   statuses are documented, the bodies are not.
//! - A record that does not exist, a table that does not exist, or a record the caller
//!   may not read or write: 404 with the Table API's "No Record found" body. A
//!   `sys_attachment` insert ACL refusal: 403 "ACL Exception Insert Failed".
//! - An upload over `com.glide.attachment.max_size` is 400 "Attachment size exceeds the maximum"
//!   (docs/servicenow/README.md#evidence-labels), answered before authentication as the REST
//!   payload limit is; the 10 MB REST payload limit does not apply to uploads.
//! - The upload's answer shows `state` "pending" and `sys_mod_count` "0"; later reads
//!   show "available" and "1". `compressed` is "true" and `size_compressed` equals
//!   `size_bytes` (nothing is compressed). The Content-Type is stored as sent.
//! - Listing leaves out attachments of tables the caller may not read;
//!   `sys_attachment` is read-only through the Table API.
//! - `Content-Disposition`'s quoted file name has quotes, backslashes and non-ASCII
//!   replaced by `_` (the `filename*` form keeps them, percent-encoded); the
//!   `x-attachment-metadata` JSON escapes non-ASCII.
//! - The multipart upload (`POST …/attachment/upload`) and attachment attributes answer
//!   500 "does not implement": real endpoints the simulator lacks.
//!
//! Change Management API (docs/servicenow/change-management.md#in-the-simulator):
//! - Without the API installed, `/api/sn_chg_rest/…` answers (after authentication) 400
//!   "Requested URI does not represent any resource", as a missing scripted API was seen to.
//! - A caller without `change_manager`, `itil` or `admin` (or `sn_change_read` for a GET) gets
//!   403 "User Not Authorized" / "Failed API level ACL Validation".
//! - An unknown or inactive template id is 404 "No Record found" with a detail naming it; a bad
//!   JSON body is the Table API's 400; a data policy refusing the insert is a 500.
//! - Template values live in the template's `sys_template` as `field=value^…^EQ`; a caller's
//!   field is taken when `change_request` has the column (the documentation's "fields that do not
//!   exist in the template" read as the change's table), body over query parameter.
//! - The recorded answer shape types `state`, `impact`, `urgency`, `priority`, `risk`,
//!   `sys_mod_count` as numbers (`-5.0`) and `active` as a boolean, and gives date-time fields a
//!   `display_value_internal` equal to the value (a UTC user with the system date format). A
//!   single template (`GET …/template/{id}`) is an object in that shape, an array of one in the
//!   documented one. Template lists are strings in both.
//! - Templates are listed by name unless `order` or an ORDERBY says otherwise; `textSearch` is a
//!   case-insensitive substring match on any field. Normal and emergency changes get `approval`
//!   "not requested". Other endpoints of the API answer 500 "does not implement".
//!
//! Import sets (docs/servicenow/import-sets.md#in-the-simulator, which lists them all):
//! - A single-row POST that stored its row answers 201 whatever the rows' statuses
//!   ([`Simulator::set_import_post_status`] makes it 200); an unknown staging table is the
//!   Table API's 400 `Invalid table`, an existing table that is no staging table 400
//!   `Invalid staging table`; no transform map gives an empty `result`.
//! - Loading (and reading a result) needs one of [`IMPORT_SET_ROLES`] or `admin`, else the Table
//!   API's 403 "ACL Exception Insert Failed"; an ACL refusal, a data policy or a missing table
//!   inside the transform is an `error` row whose `status_message` repeats its `error_message`.
//! - A row that wrote no target (`skipped`, `ignored` by a script) names the staging table and
//!   row; the asynchronous answer says `inserted` for the staging row. Empty source values do
//!   not clear target fields; reference fields resolve by display value; the transform writes as
//!   the caller (the asynchronous job as `admin`).
//! - Nested JSON values are stored as Java's map text (`{a=b}`); unknown keys are dropped;
//!   `insertMultiple` and XML bodies answer 500 "does not implement".
//!
//! CMDB (docs/servicenow/cmdb.md, the full list in `cmdb.rs`):
//! - Classes without a documented parent extend `cmdb_ci`; a parent table shows its children's
//!   rows with its own columns; account and region are CIs linked by `cmdb_rel_ci`, the dependent
//!   CI as `parent`.
//! - A reference to a record that does not exist is stored as "" (as for groups).
//! - Which of 403 and hidden rows a missing CMDB role gives is a fault switch (`CmdbRead`).
//! - Encoded queries follow a dot-walk one reference deep; a deeper one answers 500 (as the
//!   unsupported syntax above does).

mod agent;
mod apikeys;
mod attachment_api;
mod auth;
mod change_api;
mod choices;
mod clock;
mod cmdb;
mod controls;
mod faults;
mod ids;
mod import_set_api;
mod import_sets;
mod instance;
mod oauth;
mod query;
mod records;
mod render;
mod reply;
mod request;
mod running;
mod schema;
mod server;
mod store;
mod table_api;
#[cfg(test)]
mod tests;
mod tls;
mod users;

use std::fmt;
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use agent::JournalField;
pub use attachment_api::Attachment;
pub use change_api::ChangeAnswerShape;
pub use cmdb::seed::{Cloud, CloudCi};
pub use cmdb::{CONTAINS_REL_TYPE_ID, HOSTED_ON_REL_TYPE_ID, INSTALL_STATUS_RETIRED};
pub use faults::{Canned, CmdbRead, Faults, Oversized, RestApi};
pub use import_sets::{FieldMap, IMPORT_SET_ROLES, ImportSetMode, TransformMap, TransformScript};
pub use instance::{Properties, Release};
pub use request::{JournalEntry, RecordedRequest};
pub use store::CLOUD_OPERATIONS_GROUP_ID;
pub use tls::BadCertificate;
pub use users::{AGENT_USER_NAME, DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD, User};

use server::Shared;

/// The client ID of the simulated OAuth application (32 hex, like a real one).
pub const DEFAULT_CLIENT_ID: &str = "c1a2b3c4d5e6f708192a3b4c5d6e7f80";
/// Its client secret.
pub const DEFAULT_CLIENT_SECRET: &str = "sim-secret-0123456789";

/// A running simulated instance. Clones share it; it stops when the last clone is dropped
/// or on [`Simulator::shutdown`].
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    shared: Arc<Shared>,
    /// The test CA's certificate (DER, PEM) of an HTTPS simulator.
    ca: Option<(Vec<u8>, String)>,
    /// Dropping the sender (with the last handle) also stops the server.
    stop: Mutex<Option<oneshot::Sender<()>>>,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.inner.shared.base_url)
            .finish_non_exhaustive()
    }
}

impl Simulator {
    fn state(&self) -> std::sync::MutexGuard<'_, server::State> {
        self.inner.shared.lock()
    }
}
