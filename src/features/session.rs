//! One tenant's ServiceNow provider: the settings, the token cache and the calls the platform
//! makes. Generic over the transport and the clock so it unit-tests natively.
//!
//! `connection` is Test Connection, `create` opens tickets (with deduplication), `lifecycle`
//! manages them afterwards, `attachments` attaches files to them, `changes` tells what changed
//! on them since the platform last asked; this file holds what they share.

use crate::primitives::prelude::*;

use crate::primitives::clock::Clock;
use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::http::Transport;
use crate::primitives::ids::{Name, SysId};
use crate::primitives::json::{self, Value};
use crate::primitives::log::Level;
use crate::primitives::log::{Log, NoLog};
use crate::servicenow::auth::Authorization;
use crate::servicenow::oauth::{TokenCache, refresh_token, request_token};
use crate::servicenow::query::Query;
use crate::servicenow::retry::{RetryPolicy, Retrying};
use crate::servicenow::rows::{Columns, Row, Stored, parse_row};
use crate::servicenow::table::{Page, PageEnd, TableApi};
use crate::servicenow::ticket::{CORRELATION_DISPLAY, TicketId, TicketRef, TicketRow};
use crate::servicenow::ticket_kind::TicketKind;
use crate::settings::validated::{RawSettings, Settings};

use crate::features::groups::GroupCache;
use crate::features::lifecycle::CloseCodeCache;

pub struct Provider<T, C> {
    pub(super) transport: T,
    pub(super) clock: C,
    pub(super) retry: RetryPolicy,
    pub(super) log: Box<dyn Log>,
    pub(super) settings: Option<Settings>,
    pub(super) tokens: TokenCache,
    pub(super) groups: GroupCache,
    pub(super) close_codes: CloseCodeCache,
}

/// A Table API call made by [`Provider::authorized`], which keeps its answer itself.
type TableCall<'c, T, C> =
    dyn FnMut(&TableApi<'_, Retrying<'_, T, C>>, &Authorization) -> Result<()> + 'c;

impl<T: Transport, C: Clock> Provider<T, C> {
    pub fn new(transport: T, clock: C) -> Self {
        Self {
            transport,
            clock,
            retry: RetryPolicy::default(),
            log: Box::new(NoLog),
            settings: None,
            tokens: TokenCache::default(),
            groups: GroupCache::default(),
            close_codes: CloseCodeCache::default(),
        }
    }

    /// Where the provider reports its exchanges with ServiceNow.
    pub fn with_log(mut self, log: Box<dyn Log>) -> Self {
        self.log = log;
        self
    }

    /// The transport as every ServiceNow call uses it: retried where that is safe, logged.
    pub(super) fn retrying(&self) -> Retrying<'_, T, C> {
        Retrying {
            transport: &self.transport,
            clock: &self.clock,
            policy: &self.retry,
            log: self.log.as_ref(),
        }
    }

    /// Validates and stores the settings; on error the previous ones stay in force.
    pub fn configure(&mut self, raw: RawSettings) -> Result<()> {
        let settings = Settings::validate(raw)?;
        let same_identity = self.settings.as_ref().is_some_and(|old| {
            old.instance == settings.instance && old.credentials == settings.credentials
        });
        if !same_identity {
            // Another instance, app or user: the token belongs to the old one.
            self.tokens.clear();
        }
        // An admin saving settings again has often just fixed something on the instance.
        self.groups.clear();
        self.close_codes.clear();
        self.settings = Some(settings);
        Ok(())
    }

    /// The settings in force, if configured.
    pub fn settings(&self) -> Option<&Settings> {
        self.settings.as_ref()
    }

    pub(super) fn configured(&self) -> Result<&Settings> {
        self.settings.as_ref().ok_or_else(Error::not_configured)
    }

    /// Runs a Table API call, authorized as the method in force says. With a token, a 401
    /// gets one fresh token and one retry, never a loop: a token can be revoked or expire
    /// early on the instance's side. Basic and API key credentials have nothing to renew:
    /// their 401 is the credentials' refusal.
    pub(super) fn authorized<R>(
        &mut self,
        call: impl Fn(&TableApi<'_, Retrying<'_, T, C>>, &Authorization) -> Result<R>,
    ) -> Result<R> {
        // The loop is compiled once, not once per caller: each caller's closure only keeps
        // its answer.
        let mut answer = None;
        self.authorized_once(&mut |api, auth| {
            answer = Some(call(api, auth)?);
            Ok(())
        })?;
        // Never `None`: `authorized_once` is `Ok` only when the call was.
        answer.ok_or_else(|| Error::unexpected("no answer".to_string()))
    }

    pub(super) fn authorized_once(&mut self, call: &mut TableCall<'_, T, C>) -> Result<()> {
        let mut refused_before = false;
        loop {
            let auth = self.authorization()?;
            match self.call_with(&auth, &mut *call) {
                // Only a token's 401 is `not-authenticated`: Basic and API key credentials
                // refused are `credentials-refused`, with nothing to renew.
                Err(error) if error.kind == ErrorKind::NotAuthenticated => {
                    if refused_before {
                        return Err(error);
                    }
                    self.tokens.forget_access_token();
                    refused_before = true;
                }
                other => return other,
            }
        }
    }

    /// What authorizes the next request: the header Basic and API key credentials carry
    /// always, or a valid access token (cached, refreshed, or granted anew).
    pub(super) fn authorization(&mut self) -> Result<Authorization> {
        let settings = self.configured()?;
        if let Some(fixed) = settings.credentials.fixed_authorization() {
            return Ok(fixed.clone());
        }
        let now = self.clock.now();
        if let Some(token) = self.tokens.valid_at(now) {
            return Ok(token.to_authorization());
        }
        let grant = match self.tokens.refresh_token() {
            Some(refresh) => match refresh_token(
                &self.retrying(),
                &settings.token_url,
                &settings.credentials,
                refresh,
            ) {
                Ok(grant) => grant,
                Err(error) if error.kind == ErrorKind::CredentialsRefused => {
                    // Expired (100 days by default) or revoked: sign in with the password.
                    self.log.note(
                        Level::Info,
                        "ServiceNow refused the refresh token; asking for a new token with \
                         the password",
                    );
                    self.tokens.forget_refresh_token();
                    {
                        let settings = self.configured()?;
                        request_token(&self.retrying(), &settings.token_url, &settings.credentials)?
                    }
                }
                Err(error) => return Err(error),
            },
            None => request_token(&self.retrying(), &settings.token_url, &settings.credentials)?,
        };
        Ok(self.tokens.store(grant, now).to_authorization())
    }

    pub(super) fn call_with(
        &self,
        auth: &Authorization,
        call: &mut TableCall<'_, T, C>,
    ) -> Result<()> {
        let transport = self.retrying();
        let api = TableApi {
            transport: &transport,
            instance: &self.configured()?.instance,
        };
        call(&api, auth)
    }

    /// At most `limit` rows of `table` matching an encoded query.
    pub(super) fn select<R: Row>(
        &mut self,
        table: &Name,
        query: &Query,
        limit: u32,
    ) -> Result<Vec<R>> {
        Ok(self.select_page(table, query, limit)?.rows)
    }

    /// One page of `table`'s rows matching an encoded query, and whether more match.
    pub(super) fn select_page<R: Row>(
        &mut self,
        table: &Name,
        query: &Query,
        limit: u32,
    ) -> Result<Page<R>> {
        let mut rows = Vec::new();
        let end = self.select_each(table, query, R::COLUMNS, limit, &mut |value| {
            rows.push(R::from_json(value)?);
            Ok(())
        })?;
        Ok(Page { rows, end })
    }

    /// [`Provider::select_page`] with each record handed to `row`, compiled once for every
    /// row type; answers whether more records match, and the instance's clock.
    pub(super) fn select_each(
        &mut self,
        table: &Name,
        query: &Query,
        columns: &[&str],
        limit: u32,
        row: &mut dyn FnMut(&Value) -> Result<(), json::Error>,
    ) -> Result<PageEnd> {
        let mut end = PageEnd::default();
        self.authorized_once(&mut |api, auth| {
            end = api.each_row(auth, table, query, columns, limit, &mut *row)?;
            Ok(())
        })?;
        Ok(end)
    }

    /// One record of `table`, with `R`'s columns.
    pub(super) fn get<R: Row>(&mut self, table: &Name, sys_id: &SysId) -> Result<R> {
        let (result, what) = self.get_result(table, sys_id, R::COLUMNS)?;
        parse_row(result, &what)
    }

    /// The request of [`Provider::get`], compiled once for every row type.
    pub(super) fn get_result(
        &mut self,
        table: &Name,
        sys_id: &SysId,
        columns: &[&str],
    ) -> Result<(Value, String)> {
        self.authorized(|api, token| api.get_result(token, table, sys_id, columns))
    }

    /// Reads a ticket named by number or sys_id, in a table this tenant may touch.
    pub(super) fn find(&mut self, reference: &TicketRef) -> Result<TicketRow> {
        let table = reference.kind.table();
        self.may_touch(table)?;
        match &reference.id {
            TicketId::SysId(sys_id) => self.get(table, sys_id),
            TicketId::Number(number) => {
                let rows: Vec<TicketRow> =
                    self.select(table, &Query::default().number(number), 1)?;
                // ServiceNow drops query terms it does not understand: check what came back.
                rows.into_iter()
                    .find(|row| row.number == number.as_str())
                    .ok_or_else(|| {
                        Error::new(
                            ErrorKind::NotFound,
                            format!("no {table} record has the number {number}"),
                        )
                    })
            }
        }
    }

    /// A caller reaches the tables the settings route tickets to, and the three kinds the
    /// contract names; not `sys_user` or any other table the integration user can read.
    pub(super) fn may_touch(&self, table: &Name) -> Result<()> {
        let settings = self.configured()?;
        let named = [
            TicketKind::Incident,
            TicketKind::ChangeRequest,
            TicketKind::Problem,
        ];
        if named.iter().any(|kind| kind.table() == table)
            || settings.routed_tables().contains(&table)
        {
            return Ok(());
        }
        Err(Error::invalid_ticket(format!(
            "{table} is not a table this integration's ticket categories route to"
        )))
    }

    /// This integration's tickets in `table` with the correlation id, newest first (by
    /// creation, then number).
    pub(super) fn find_by_correlation(
        &mut self,
        table: &Name,
        correlation_id: &str,
    ) -> Result<Vec<TicketRow>> {
        let query = Query::default()
            .eq("correlation_id", correlation_id)
            .eq("correlation_display", CORRELATION_DISPLAY)
            .order_by_desc("sys_created_on")
            .order_by_desc("number");
        let rows: Vec<TicketRow> = self.select(table, &query, 10)?;
        Ok(rows
            .into_iter()
            .filter(|row| row.is_ours_for(correlation_id))
            .collect())
    }

    /// Writes `columns` to an existing record and answers it as stored.
    pub(super) fn patch(
        &mut self,
        table: &Name,
        sys_id: &SysId,
        columns: &Columns,
    ) -> Result<Stored<TicketRow>> {
        let stored = self.authorized(|api, token| api.update(token, table, sys_id, columns))?;
        self.forget_group_if_refused(columns, &stored);
        Ok(stored)
    }
}

/// The event's ticket among `matches` (newest first, as [`Provider::find_by_correlation`]
/// answers them): the oldest open one, by creation and then number, so that every worker
/// that raced to create it settles on the same one.
pub(super) fn oldest_open<'a>(matches: &'a [TicketRow], table: &Name) -> Option<&'a TicketRow> {
    matches.iter().rev().find(|row| !row.is_done(table))
}
