//! A ServiceNow instance on loopback: a real HTTP/1.1 server answering the OAuth 2.0
//! client credentials token endpoint and the Table API the way a real instance does,
//! errors included (`/work/shared/docs/servicenow-api.md`, cited here as §n), with fault
//! switches for the misconfigurations of the setup guide.

mod clock;
mod faults;
mod ids;
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

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{Canned, Faults, Oversized};
pub use request::{JournalEntry, RecordedRequest};
pub use store::CLOUD_OPERATIONS_GROUP_ID;

use server::Shared;
use store::{ADMIN_USER, Write};

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
                stop: Mutex::new(Some(stop)),
                server: Mutex::new(Some(server)),
            }),
        })
    }

    /// "http://127.0.0.1:PORT", no trailing slash.
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

    /// Every token issued so far stops working now (e.g. revoked by an admin).
    pub fn expire_all_tokens(&self) {
        self.state().tokens.expire_all();
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
            // Only sys_choice refuses inserts; nothing was stored.
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
        input_display_value: true,
        data_policy: false,
    }
}
