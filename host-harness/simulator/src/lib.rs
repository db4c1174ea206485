//! A ServiceNow instance on loopback: a real HTTP/1.1 server answering the OAuth 2.0
//! token endpoint (client credentials, password and refresh grants), the Table API and
//! the Attachment API the way a real instance does, errors included
//! (`/work/shared/docs/servicenow-api.md`, cited here as §n), with fault switches for the
//! misconfigurations of the setup guide. REST calls get in with a bearer token, Basic
//! auth as a user or a REST API key, and act as that user.
//!
//! Where the facts are silent the simulator infers; each such behaviour is marked [I]
//! where it is implemented, and listed here.
//!
//! # Inferred behaviours
//!
//! Authentication:
//! - The password grant answers a wrong password, a locked-out user and an inactive user
//!   with the generic 401 `access_denied`/`server_error` (§21.1); a wrong password there
//!   counts toward the lockout like any password sign-in.
//! - A repeat password grant after the access token expired returns the live refresh
//!   token (expiry pushed out) with a new access token; a refresh leaves the access token
//!   it replaces working until it expires.
//! - A refresh grant for a user who can no longer sign in (inactive, locked, "Password
//!   needs reset") gets the generic 401.
//! - `grant_type=client_credentials` before Washington DC gets the generic 401 (§21.3);
//!   so does an unknown `grant_type`.
//! - An OAuth Application User that names no user gets the 400 `unauthorized_client` of
//!   an unset one ([R] §1.3); an inactive, locked or reset-flagged one the generic 401.
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
//! - A wrong, inactive or expired `x-sn-apikey`, a key on an API without an access policy
//!   for it, and any key before Washington DC: the same 401 (§21.2). Key tokens are 32
//!   URL-safe characters. Scopes are not checked for keys.
//! - With `Authorization` and `x-sn-apikey` both present, `Authorization` decides.
//!
//! Display values:
//! - With `sysparm_display_value=true` or `all`, states show their state model's labels and
//!   priority its `N - Name` label (ServiceNow's incident state model and priority lookup
//!   documentation); impact and urgency show `N - High/Medium/Low` the same way [I]; other
//!   columns show their value as it is.
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
//! - An upload over `com.glide.attachment.max_size` is 400 "Attachment size exceeds the
//!   maximum" (§21.4), answered before authentication as the REST payload limit is; the
//!   10 MB REST payload limit does not apply to uploads.
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

mod agent;
mod apikeys;
mod attachment;
mod auth;
mod clock;
mod faults;
mod ids;
mod instance;
mod oauth;
mod query;
mod render;
mod reply;
mod request;
mod schema;
mod server;
mod store;
mod table;
#[cfg(test)]
mod tests;
mod tls;
mod users;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use agent::JournalField;
pub use attachment::Attachment;
pub use faults::{Canned, Faults, Oversized, RestApi};
pub use instance::{Properties, Release};
pub use request::{JournalEntry, RecordedRequest};
pub use store::CLOUD_OPERATIONS_GROUP_ID;
pub use tls::BadCertificate;
pub use users::{AGENT_USER_NAME, DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD, User};

use server::Shared;
use store::Write;
use users::ADMIN_USER;

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
    /// Starts on a free loopback port.
    pub async fn start() -> anyhow::Result<Simulator> {
        Simulator::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    pub async fn start_on(addr: SocketAddr) -> anyhow::Result<Simulator> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the ServiceNow simulator to {addr}"))?;
        let mut local = listener.local_addr()?;
        if local.ip().is_unspecified() {
            local.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        let shared = Arc::new(Shared::new(format!("http://{local}")));
        let (stop, stopped) = oneshot::channel();
        let server = tokio::spawn(server::serve(listener, shared.clone(), stopped));
        Ok(Simulator {
            inner: Arc::new(Inner {
                shared,
                ca: None,
                stop: Mutex::new(Some(stop)),
                server: Mutex::new(Some(server)),
            }),
        })
    }

    /// Starts on a free loopback port speaking HTTPS as `name` (a host name such as
    /// `dev12345.service-now.test`), with a certificate signed by this process's test CA
    /// ([`Simulator::test_ca`]); the certificate also names `localhost` and 127.0.0.1. Its
    /// base URL is `https://NAME:PORT`: a client resolves NAME to 127.0.0.1 itself (the
    /// host's `resolve`, curl's `--resolve`).
    pub async fn start_tls(name: &str) -> anyhow::Result<Simulator> {
        Simulator::start_tls_with(name, None).await
    }

    /// [`Simulator::start_tls`] with a certificate a client must refuse, or none.
    pub async fn start_tls_with(
        name: &str,
        bad: Option<BadCertificate>,
    ) -> anyhow::Result<Simulator> {
        Simulator::serve_tls(name, bad, false).await
    }

    /// [`Simulator::start_tls`] requiring mutual TLS: a client certificate the test CA
    /// signed ([`Simulator::client_certificate`]).
    pub async fn start_mutual_tls(name: &str) -> anyhow::Result<Simulator> {
        Simulator::serve_tls(name, None, true).await
    }

    /// A client certificate the test CA signed for `name`: its chain and PKCS#8 key, DER.
    pub fn client_certificate(name: &str) -> anyhow::Result<(Vec<Vec<u8>>, Vec<u8>)> {
        let made = tls::client_certificate(name)?;
        Ok((made.chain_der, made.key_der))
    }

    /// The same as PEM files hold them: the certificate, and its PKCS#8 key.
    pub fn client_certificate_pem(name: &str) -> anyhow::Result<(String, String)> {
        let made = tls::client_certificate(name)?;
        Ok((made.cert_pem, made.key_pem))
    }

    async fn serve_tls(
        name: &str,
        bad: Option<BadCertificate>,
        client_auth: bool,
    ) -> anyhow::Result<Simulator> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let tcp = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the ServiceNow simulator to {addr}"))?;
        let port = tcp.local_addr()?.port();
        let acceptor = tls::acceptor(name, bad, client_auth)?;
        let ca = tls::test_ca_certificate()?;
        let shared = Arc::new(Shared::new(format!("https://{name}:{port}")));
        let (stop, stopped) = oneshot::channel();
        let listener = tls::TlsListener { tcp, acceptor };
        let server = tokio::spawn(server::serve(listener, shared.clone(), stopped));
        Ok(Simulator {
            inner: Arc::new(Inner {
                shared,
                ca: Some(ca),
                stop: Mutex::new(Some(stop)),
                server: Mutex::new(Some(server)),
            }),
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        let base = &self.inner.shared.base_url;
        base.rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .unwrap_or(0)
    }

    /// The CA that signs every HTTPS simulator of this process (DER, PEM): what a client
    /// trusts to reach them.
    pub fn test_ca() -> anyhow::Result<(Vec<u8>, String)> {
        tls::test_ca_certificate()
    }

    /// The test CA of an HTTPS simulator (DER); none for plain HTTP.
    pub fn ca_der(&self) -> Option<Vec<u8>> {
        self.inner.ca.as_ref().map(|(der, _)| der.clone())
    }

    /// The same CA, PEM (what `--cacert` and `NODE_EXTRA_CA_CERTS` read).
    pub fn ca_pem(&self) -> Option<String> {
        self.inner.ca.as_ref().map(|(_, pem)| pem.clone())
    }

    /// "http://127.0.0.1:PORT" (or "https://NAME:PORT", see [`Simulator::start_tls`]), no
    /// trailing slash.
    pub fn base_url(&self) -> String {
        self.inner.shared.base_url.clone()
    }

    pub fn client_id(&self) -> String {
        self.state().app.client_id.clone()
    }

    pub fn client_secret(&self) -> String {
        self.state().app.client_secret.clone()
    }

    /// Replaces the OAuth application's credentials (e.g. a regenerated secret).
    pub fn set_credentials(&self, client_id: &str, client_secret: &str) {
        let mut state = self.state();
        state.app.client_id = client_id.to_string();
        state.app.client_secret = client_secret.to_string();
    }

    /// The Access Token Lifespan for tokens issued from now on (default 1800 s).
    pub fn set_token_lifespan(&self, secs: u64) {
        self.state().tokens.lifespan_secs = secs;
    }

    /// Moves simulated time forward: tokens expire and timestamps move by it.
    pub fn advance_clock(&self, by: Duration) {
        self.state().clock.advance(by);
    }

    /// Stops the simulated clock: from now on only [`Simulator::advance_clock`] moves it,
    /// so writes land in known seconds (several in one, as after a bulk update: §16).
    pub fn freeze_clock(&self) {
        self.state().clock.freeze();
    }

    /// The simulated time as the instance writes it: UTC "YYYY-MM-DD HH:MM:SS" (§16).
    pub fn now(&self) -> String {
        self.state().clock.timestamp()
    }

    /// Every access token issued so far stops working now (e.g. revoked by an admin).
    /// Refresh tokens live on ([`Simulator::expire_refresh_tokens`] ends those), so a
    /// password-grant client can refresh.
    pub fn expire_all_tokens(&self) {
        self.state().tokens.expire_all();
    }

    /// The refresh token lifespan for password grants from now on (default 8,640,000 s,
    /// 100 days: §11). Refreshing does not extend a refresh token; a repeat password grant
    /// does.
    pub fn set_refresh_token_lifespan(&self, secs: u64) {
        self.state().tokens.refresh_lifespan_secs = secs;
    }

    /// Every refresh token issued so far stops working (expired, or revoked by an admin):
    /// a refresh grant gets the generic 401 and the client must sign in with the password
    /// again. Access tokens are left alone ([`Simulator::expire_all_tokens`] ends those).
    pub fn expire_refresh_tokens(&self) {
        self.state().tokens.expire_refreshes();
    }

    /// The OAuth Application User client credentials tokens act as (default
    /// [`DEFAULT_USER_NAME`]). A name no user has makes the grant fail as an unset one
    /// does (400 `unauthorized_client`, §1.3).
    pub fn set_application_user(&self, user_name: &str) {
        self.state().app.user = user_name.to_string();
    }

    /// The release the instance runs (default [`Release::WashingtonDCOrLater`]).
    pub fn set_release(&self, release: Release) {
        self.state().release = release;
    }

    /// Changes the system properties in force (see [`Properties`] for the defaults).
    pub fn update_properties(&self, change: impl FnOnce(&mut Properties)) {
        change(&mut self.state().properties);
    }

    /// A user as the instance holds it now: `locked_out` and `failed_attempts` show what
    /// failed sign-ins did. Seeded: `admin`, [`DEFAULT_USER_NAME`] (Web service access
    /// only, roles `itil` and `rest_service`, password [`DEFAULT_USER_PASSWORD`]) and
    /// [`AGENT_USER_NAME`] (`itil`).
    pub fn user(&self, user_name: &str) -> Option<User> {
        self.state().users.get(user_name).cloned()
    }

    /// The user's sys_id (what `opened_by` holds on records it opens).
    pub fn user_sys_id(&self, user_name: &str) -> Option<String> {
        self.state().users.sys_id(user_name).map(str::to_string)
    }

    /// Adds a user, or replaces the one of that name (keeping its sys_id).
    pub fn add_user(&self, user: User) {
        self.state().users.put(user);
    }

    /// Changes a user as an admin would (deactivate, lock or unlock, set a password, flag
    /// "Password needs reset", grant roles); false if there is no such user. A lock set
    /// here never lifts itself.
    pub fn update_user(&self, user_name: &str, change: impl FnOnce(&mut User)) -> bool {
        self.state().users.update(user_name, change)
    }

    /// A new active REST API key acting as the user, without expiry; returns its token
    /// (the `x-sn-apikey` value). Keys work on [`Release::WashingtonDCOrLater`] only.
    pub fn add_api_key(&self, user_name: &str) -> String {
        self.state().api_keys.create(user_name, None)
    }

    /// A new key that expires `after` from now (simulated time).
    pub fn add_api_key_expiring(&self, user_name: &str, after: Duration) -> String {
        let mut state = self.state();
        let expires = state.clock.now() + after;
        state.api_keys.create(user_name, Some(expires))
    }

    /// Ticks or clears the key's Active box; false if there is no such key.
    pub fn set_api_key_active(&self, token: &str, active: bool) -> bool {
        self.state().api_keys.set_active(token, active)
    }

    /// The key's expiry passes now; false if there is no such key.
    pub fn expire_api_key(&self, token: &str) -> bool {
        let mut state = self.state();
        let now = state.clock.now();
        state.api_keys.set_expiry(token, Some(now))
    }

    /// §3.2: the priority the lookup gives impact 3 × urgency 3 (default 5 - Planning;
    /// some instances use 4 - Low).
    pub fn set_priority_3x3(&self, priority: u8) {
        self.state().store.set_low_low_priority(priority);
    }

    pub fn faults(&self) -> Faults {
        self.state().faults.clone()
    }

    pub fn set_faults(&self, faults: Faults) {
        self.state().faults = faults;
    }

    pub fn update_faults(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut self.state().faults);
    }

    /// Every request received, in order, faulted ones included.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    /// Forgets the recorded requests (the token request count is kept).
    pub fn clear_requests(&self) {
        self.state().requests.clear();
    }

    /// How many `POST /oauth_token.do` were received, answered or not.
    pub fn token_requests(&self) -> usize {
        self.state().token_requests
    }

    /// How many TCP connections the simulator accepted: a client that keeps its
    /// connections alive opens few.
    pub fn connections(&self) -> usize {
        self.state().connections
    }

    /// The sys_id of the `oauth_entity` the "integration user is not configured" error names.
    pub fn oauth_entity_id(&self) -> String {
        self.state().app.entity_id.clone()
    }

    /// The stored rows of a table, oldest first; empty for an unknown table.
    pub fn records(&self, table: &str) -> Vec<Map<String, Value>> {
        self.state()
            .store
            .table(table)
            .map(|t| t.rows().to_vec())
            .unwrap_or_default()
    }

    /// The comments and work notes of a record, oldest first.
    pub fn journal(&self, table: &str, sys_id: &str) -> Vec<JournalEntry> {
        let field = |row: &Map<String, Value>, name: &str| {
            row.get(name)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        self.records(schema::JOURNAL_TABLE)
            .iter()
            .filter(|r| field(r, "name") == table && field(r, "element_id") == sys_id)
            .map(|r| JournalEntry {
                element: field(r, "element"),
                value: field(r, "value"),
                sys_created_on: field(r, "sys_created_on"),
                sys_created_by: field(r, "sys_created_by"),
            })
            .collect()
    }

    /// The attachments of a record, oldest first.
    pub fn attachments(&self, table: &str, sys_id: &str) -> Vec<Attachment> {
        let state = self.state();
        attachment::stored(&state, |row| {
            row.get("table_name").and_then(Value::as_str) == Some(table)
                && row.get("table_sys_id").and_then(Value::as_str) == Some(sys_id)
        })
    }

    /// One attachment by its own sys_id.
    pub fn attachment(&self, attachment_sys_id: &str) -> Option<Attachment> {
        let state = self.state();
        attachment::stored(&state, |row| {
            row.get("sys_id").and_then(Value::as_str) == Some(attachment_sys_id)
        })
        .pop()
    }

    /// Adds an active `sys_user_group` and returns its sys_id.
    pub fn add_group(&self, name: &str) -> String {
        let mut state = self.state();
        let now = state.clock.timestamp();
        state.store.add_group(name, &now)
    }

    /// Inserts a row as a server-side script would: the same defaults, numbering, choice
    /// checks and priority lookup as a POST, but no data policy (those only guard UI and
    /// web-service writes). Inserting into a table the simulator does not know creates it,
    /// with the given fields as its columns.
    pub fn insert_record(&self, table: &str, fields: Map<String, Value>) -> Map<String, Value> {
        let mut state = self.state();
        let now = state.clock.timestamp();
        state
            .store
            .ensure_columns(table, fields.keys().map(String::as_str));
        let write = server_side(&now);
        match state.store.insert(table, &fields, &write) {
            Ok(row) => row,
            // Read-only tables (sys_choice, sys_attachment) refuse inserts; nothing was stored.
            Err(_) => Map::new(),
        }
    }

    /// Updates a row as a person in the UI would after a ticket was raised (e.g. resolving
    /// it); `None` if there is no such record. No data policy applies, as for inserts.
    pub fn update_record(
        &self,
        table: &str,
        sys_id: &str,
        fields: Map<String, Value>,
    ) -> Option<Map<String, Value>> {
        let mut state = self.state();
        let now = state.clock.timestamp();
        state
            .store
            .update(table, sys_id, &fields, &server_side(&now))
            .ok()
    }

    /// Updates a record as `as_user` would in the UI (resolve, reassign, change the
    /// priority, comment): `sys_updated_by` is that user, `sys_updated_on` the simulated
    /// clock, `sys_mod_count` goes up, group names resolve to sys_ids, `comments` and
    /// `work_notes` become journal entries by that user, and the data policy applies
    /// (resolving an incident needs `close_code` and `close_notes`). The error is the
    /// instance's message; nothing is written then.
    pub fn agent_update(
        &self,
        table: &str,
        sys_id: &str,
        fields: Map<String, Value>,
        as_user: &str,
    ) -> Result<Map<String, Value>, String> {
        agent::update(&mut self.state(), table, sys_id, &fields, as_user)
    }

    /// Adds a comment or work note to a record as `as_user` would in the UI (an update of
    /// the record, so it moves `sys_updated_on` too).
    pub fn agent_comment(
        &self,
        table: &str,
        sys_id: &str,
        field: JournalField,
        text: &str,
        as_user: &str,
    ) -> Result<Map<String, Value>, String> {
        let mut fields = Map::new();
        fields.insert(field.column().to_string(), Value::String(text.to_string()));
        self.agent_update(table, sys_id, fields, as_user)
    }

    /// Stops the server and waits (briefly) for open connections to close.
    pub async fn shutdown(self) {
        self.stop();
        let server = self
            .inner
            .server
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(mut server) = server
            && tokio::time::timeout(Duration::from_secs(5), &mut server)
                .await
                .is_err()
        {
            // A client holding a request open must not hang the caller.
            server.abort();
        }
    }

    fn stop(&self) {
        let stop = self
            .inner
            .stop
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, server::State> {
        self.inner.shared.lock()
    }
}

fn server_side(now: &str) -> Write<'_> {
    Write {
        now,
        user: ADMIN_USER,
        user_id: None,
        input_display_value: true,
        data_policy: false,
    }
}
