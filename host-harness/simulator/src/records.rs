//! What the instance holds and received, as a test reads it, and writes made outside the
//! REST API: by a server-side script, or by a person in the UI.

use serde_json::{Map, Value};

use crate::Simulator;
use crate::agent::{self, JournalField};
use crate::attachment_api::{self, Attachment};
use crate::request::{JournalEntry, RecordedRequest};
use crate::schema;
use crate::store::Write;
use crate::users::ADMIN_USER;

impl Simulator {
    /// Every request received, in order, faulted ones included.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state().requests.clone()
    }

    /// How many requests are recorded, without copying them.
    pub fn request_count(&self) -> usize {
        self.state().requests.len()
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
        attachment_api::stored(&state, |row| {
            row.get("table_name").and_then(Value::as_str) == Some(table)
                && row.get("table_sys_id").and_then(Value::as_str) == Some(sys_id)
        })
    }

    /// One attachment by its own sys_id.
    pub fn attachment(&self, attachment_sys_id: &str) -> Option<Attachment> {
        let state = self.state();
        attachment_api::stored(&state, |row| {
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
