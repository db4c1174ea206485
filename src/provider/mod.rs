//! One tenant's ServiceNow provider: the settings, the token cache and the calls the platform
//! makes. Generic over the transport and the clock so it unit-tests natively.
//!
//! `connection` is Test Connection, `create` opens tickets (with deduplication), `lifecycle`
//! manages them afterwards; this file holds what they share.

mod connection;
mod create;
mod lifecycle;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

pub use lifecycle::{CommentKind, Resolution, ResolveOutcome, UpdateResult};

use crate::clock::Clock;
use crate::error::{Error, ErrorKind, Result};
use crate::guide;
use crate::http::Transport;
use crate::oauth::{AccessToken, TokenCache, request_token};
use crate::settings::{RawSettings, Settings, is_servicenow_name};
use crate::table_api::{Record, TableApi, column};
use crate::ticket::{CORRELATION_DISPLAY, DETAIL_COLUMNS, TicketRef, is_number, is_sys_id};

pub struct Provider<T, C> {
    transport: T,
    clock: C,
    settings: Option<Settings>,
    tokens: TokenCache,
    /// `sys_user_group` names already resolved to sys_ids, so each costs one lookup.
    groups: HashMap<String, String>,
    /// Each table's close codes as the instance lists them, read once.
    close_codes: HashMap<String, Vec<(String, String)>>,
}

impl<T: Transport, C: Clock> Provider<T, C> {
    pub fn new(transport: T, clock: C) -> Self {
        Self {
            transport,
            clock,
            settings: None,
            tokens: TokenCache::default(),
            groups: HashMap::new(),
            close_codes: HashMap::new(),
        }
    }

    /// Validates and stores the settings; on error the previous ones stay in force.
    pub fn configure(&mut self, raw: RawSettings) -> Result<()> {
        let settings = Settings::validate(raw)?;
        let same_identity = self.settings.as_ref().is_some_and(|old| {
            old.instance == settings.instance
                && old.client_id == settings.client_id
                && old.client_secret == settings.client_secret
        });
        if !same_identity {
            // Another instance or OAuth app: what was cached belongs to the old one.
            self.tokens.clear();
            self.groups.clear();
            self.close_codes.clear();
        }
        self.settings = Some(settings);
        Ok(())
    }

    pub fn settings(&self) -> Option<&Settings> {
        self.settings.as_ref()
    }

    fn configured(&self) -> Result<&Settings> {
        self.settings.as_ref().ok_or_else(Error::not_configured)
    }

    /// Runs a Table API call with a valid token. A 401 gets one fresh token and one retry,
    /// never a loop: a token can be revoked or expire early on the instance's side.
    fn authorized<R>(
        &mut self,
        call: impl Fn(&TableApi<'_, T>, &AccessToken) -> Result<R>,
    ) -> Result<R> {
        let settings = self.settings.as_ref().ok_or_else(Error::not_configured)?;
        let api = TableApi {
            transport: &self.transport,
            instance: &settings.instance,
        };
        let now = self.clock.now();
        let token = match self.tokens.valid_at(now) {
            Some(token) => token.clone(),
            None => {
                let grant = request_token(&self.transport, settings)?;
                self.tokens.store(grant, now).clone()
            }
        };
        match call(&api, &token) {
            Err(error) if error.kind == ErrorKind::NotAuthenticated => {
                self.tokens.clear();
                let grant = request_token(&self.transport, settings)?;
                let token = self.tokens.store(grant, self.clock.now()).clone();
                call(&api, &token)
            }
            other => other,
        }
    }

    /// Records of `table` matching an encoded query, with only `fields`.
    fn select(
        &mut self,
        table: &str,
        query: &str,
        fields: &str,
        limit: &str,
    ) -> Result<Vec<Record>> {
        self.authorized(|api, token| {
            api.query(
                token,
                table,
                &[
                    ("sysparm_query", query),
                    ("sysparm_fields", fields),
                    ("sysparm_limit", limit),
                ],
            )
        })
    }

    /// `sys_user_group` rows whose name is exactly `name`, as (sys_id, name).
    fn groups_named(&mut self, name: &str, limit: &str) -> Result<Vec<(String, String)>> {
        let query = format!("name={}", escape(name));
        let rows = self.select("sys_user_group", &query, "sys_id,name", limit)?;
        // An ignored query term would match every group: trust only exact names.
        Ok(rows
            .iter()
            .filter(|row| column(row, "name") == name)
            .map(|row| (column(row, "sys_id").to_string(), name.to_string()))
            .collect())
    }

    /// A `sys_user_group` sys_id for a group given by sys_id or by exact name.
    fn resolve_group(&mut self, group: &str, source: GroupSource) -> Result<String> {
        if is_sys_id(group) {
            return Ok(group.to_string());
        }
        if let Some(sys_id) = self.groups.get(group) {
            return Ok(sys_id.clone());
        }
        // Names are not unique: ask for two to notice ambiguity (facts §4).
        match self.groups_named(group, "2")?.as_slice() {
            [(sys_id, _)] => {
                self.groups.insert(group.to_string(), sys_id.clone());
                Ok(sys_id.clone())
            }
            [] => Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "the {} assignment group {group:?} does not exist in sys_user_group",
                    source.whose()
                ),
            )
            .with_remedy(guide::ASSIGNMENT_GROUP)),
            _ => Err(Error::new(
                source.ambiguity_kind(),
                format!(
                    "several groups in sys_user_group are named {group:?}: give the {} \
                     assignment group by its sys_id",
                    source.whose()
                ),
            )
            .with_remedy(guide::ASSIGNMENT_GROUP)),
        }
    }

    /// Reads a ticket named by number or sys_id.
    fn find(&mut self, reference: &TicketRef) -> Result<Record> {
        let table = reference.kind.table();
        if !is_servicenow_name(table) {
            return Err(Error::invalid_ticket(format!(
                "{table:?} is not a ServiceNow table name"
            )));
        }
        let id = reference.id.trim();
        if is_sys_id(id) {
            return self.authorized(|api, token| api.get(token, table, id, DETAIL_COLUMNS));
        }
        if !is_number(id) {
            return Err(Error::invalid_ticket(format!(
                "{id:?} is neither a ticket number such as INC0010001 nor a 32-hex sys_id"
            )));
        }
        let rows = self.select(table, &format!("number={id}"), DETAIL_COLUMNS, "1")?;
        rows.into_iter()
            .find(|row| column(row, "number") == id)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("no {table} record has the number {id}"),
                )
            })
    }

    /// This integration's tickets in `table` with the correlation id, newest first.
    fn find_by_correlation(&mut self, table: &str, correlation_id: &str) -> Result<Vec<Record>> {
        let query = format!(
            "correlation_id={}^correlation_display={CORRELATION_DISPLAY}^ORDERBYDESCsys_created_on",
            escape(correlation_id)
        );
        let rows = self.select(table, &query, DETAIL_COLUMNS, "10")?;
        // ServiceNow drops query terms it does not understand: check what came back.
        Ok(rows
            .into_iter()
            .filter(|row| {
                column(row, "correlation_id") == correlation_id
                    && column(row, "correlation_display") == CORRELATION_DISPLAY
            })
            .collect())
    }
}

/// Where an assignment group came from: it decides whose mistake an ambiguous name is.
#[derive(Clone, Copy)]
enum GroupSource {
    Ticket,
    DefaultSetting,
    Update,
}

impl GroupSource {
    fn whose(self) -> &'static str {
        match self {
            GroupSource::Ticket => "ticket's",
            GroupSource::DefaultSetting => "default",
            GroupSource::Update => "new",
        }
    }

    fn ambiguity_kind(self) -> ErrorKind {
        match self {
            GroupSource::DefaultSetting => ErrorKind::InvalidSettings,
            GroupSource::Ticket | GroupSource::Update => ErrorKind::InvalidTicket,
        }
    }
}

/// A value inside an encoded query: `^` separates terms, ServiceNow reads `^^` as a literal one.
fn escape(value: &str) -> String {
    value.replace('^', "^^")
}
