//! A session with one tenant's instance: its settings, its credentials and token cache, the
//! retrying transport every call goes through, and the single renewal of a token on a 401.
//! Generic over the transport and the clock so it unit-tests natively; the features are
//! functions over it.

use crate::primitives::prelude::*;

use crate::features::facts::InstanceFacts;
use crate::primitives::clock::Clock;
use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::fingerprint::fingerprint;
use crate::primitives::http::Transport;
use crate::primitives::ids::{Name, SysId};
use crate::primitives::json::{self, Value};
use crate::primitives::log::Level;
use crate::primitives::log::{Log, NoLog};
use crate::servicenow::attachment::AttachmentApi;
use crate::servicenow::auth::Authorization;
use crate::servicenow::change_api::ChangeApi;
use crate::servicenow::import_set::ImportSetApi;
use crate::servicenow::oauth::{Grant, TokenCache, refresh_token, request_token};
use crate::servicenow::query::Query;
use crate::servicenow::request::Rest;
use crate::servicenow::retry::{RetryPolicy, Retrying};
use crate::servicenow::rows::{Row, parse_row};
use crate::servicenow::table::{Page, PageEnd, TableApi};
use crate::settings::validated::{RawSettings, Settings};

pub struct Session<T, C> {
    transport: T,
    clock: C,
    retry: RetryPolicy,
    log: Box<dyn Log>,
    settings: Option<Settings>,
    tokens: TokenCache,
    facts: InstanceFacts,
}

/// The instance's APIs, as a call made by [`Session::authorized`] reaches them.
pub struct Apis<'a, T> {
    pub table: TableApi<'a, T>,
    pub attachments: AttachmentApi<'a, T>,
    pub imports: ImportSetApi<'a, T>,
    pub changes: ChangeApi<'a, T>,
}

/// A call made by [`Session::authorized`], which keeps its answer itself.
type ApiCall<'c, T, C> =
    dyn FnMut(&Apis<'_, Retrying<'_, T, C>>, &Authorization) -> Result<()> + 'c;

impl<T: Transport, C: Clock> Session<T, C> {
    pub fn new(transport: T, clock: C) -> Self {
        Self {
            transport,
            clock,
            retry: RetryPolicy::default(),
            log: Box::new(NoLog),
            settings: None,
            tokens: TokenCache::default(),
            facts: InstanceFacts::default(),
        }
    }

    /// Where the provider reports its exchanges with ServiceNow.
    pub fn with_log(mut self, log: Box<dyn Log>) -> Self {
        self.log = log;
        self
    }

    /// The transport as every ServiceNow call uses it: retried where that is safe, logged.
    pub fn retrying(&self) -> Retrying<'_, T, C> {
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
        let same_identity = self
            .settings
            .as_ref()
            .is_some_and(|old| old.token_owner() == settings.token_owner());
        if !same_identity {
            // Another instance, app or user: the token belongs to the old one.
            self.tokens.clear();
        }
        // An admin saving settings again has often just fixed something on the instance.
        self.facts = InstanceFacts::default();
        self.settings = Some(settings);
        Ok(())
    }

    /// The settings in force, if configured.
    pub fn settings(&self) -> Option<&Settings> {
        self.settings.as_ref()
    }

    /// The settings in force, or the error of a call made before any.
    pub fn configured(&self) -> Result<&Settings> {
        self.settings.as_ref().ok_or_else(Error::not_configured)
    }

    /// The monotonic clock's reading.
    pub fn now(&self) -> core::time::Duration {
        self.clock.now()
    }

    /// Where the session reports its exchanges and what it notices.
    pub fn log(&self) -> &dyn Log {
        self.log.as_ref()
    }

    /// What the instance told this session and may change behind its back.
    pub fn facts(&mut self) -> &mut InstanceFacts {
        &mut self.facts
    }

    /// The token to hand the next instance (see `docs/contract.md`, `hibernate`), bound to
    /// the instance and credentials in force; empty without settings or a valid token.
    pub fn carry_token(&self) -> Vec<u8> {
        let Some(settings) = &self.settings else {
            return Vec::new();
        };
        let binding = fingerprint(&settings.token_owner());
        let (now, unix_now) = (self.clock.now(), self.clock.unix_now());
        self.tokens.carry(binding, now, unix_now)
    }

    /// Takes back what [`Session::carry_token`] made in an earlier instance, if it is for the
    /// settings in force and still valid; ignores anything else.
    pub fn resume_token(&mut self, carried: &[u8]) {
        if let Some(settings) = &self.settings {
            let binding = fingerprint(&settings.token_owner());
            let (now, unix_now) = (self.clock.now(), self.clock.unix_now());
            self.tokens.resume(carried, binding, now, unix_now);
        }
    }

    /// Drops the access and refresh tokens: the next call asks for new ones.
    pub fn forget_tokens(&mut self) {
        self.tokens.clear();
    }

    /// Keeps a token ServiceNow just granted for the calls that follow; answers what
    /// authorizes them.
    pub fn store_token(&mut self, grant: Grant) -> Authorization {
        let now = self.clock.now();
        self.tokens.store(grant, now).to_authorization()
    }

    /// Runs `call` with `settings` in force, and a token and facts of their own; afterwards
    /// the settings in force, their token and facts are as they were.
    pub fn with_candidate<R>(
        &mut self,
        settings: Option<Settings>,
        call: impl FnOnce(&mut Self) -> R,
    ) -> R {
        let in_force = (
            core::mem::replace(&mut self.settings, settings),
            core::mem::take(&mut self.tokens),
            core::mem::take(&mut self.facts),
        );
        let answer = call(self);
        (self.settings, self.tokens, self.facts) = in_force;
        answer
    }

    /// Runs a Table API call, authorized as the method in force says. With a token, a 401
    /// gets one fresh token and one retry, never a loop: a token can be revoked or expire
    /// early on the instance's side. Basic and API key credentials have nothing to renew:
    /// their 401 is the credentials' refusal.
    pub fn authorized<R>(
        &mut self,
        call: impl Fn(&Apis<'_, Retrying<'_, T, C>>, &Authorization) -> Result<R>,
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

    pub fn authorized_once(&mut self, call: &mut ApiCall<'_, T, C>) -> Result<()> {
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
    pub fn authorization(&mut self) -> Result<Authorization> {
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

    pub fn call_with(&self, auth: &Authorization, call: &mut ApiCall<'_, T, C>) -> Result<()> {
        let transport = self.retrying();
        let instance = &self.configured()?.instance;
        let rest = Rest {
            transport: &transport,
            instance,
        };
        let apis = Apis {
            table: TableApi(rest),
            attachments: AttachmentApi(rest),
            imports: ImportSetApi(rest),
            changes: ChangeApi(rest),
        };
        call(&apis, auth)
    }

    /// At most `limit` rows of `table` matching an encoded query.
    pub fn select<R: Row>(&mut self, table: &Name, query: &Query, limit: u32) -> Result<Vec<R>> {
        Ok(self.select_page(table, query, limit)?.rows)
    }

    /// One page of `table`'s rows matching an encoded query, and whether more match.
    pub fn select_page<R: Row>(
        &mut self,
        table: &Name,
        query: &Query,
        limit: u32,
    ) -> Result<Page<R>> {
        let mut rows = Vec::new();
        let columns = (R::COLUMNS, R::DISPLAY_VALUES);
        let end = self.select_each(table, query, columns, limit, &mut |value| {
            rows.push(R::from_json(value)?);
            Ok(())
        })?;
        Ok(Page { rows, end })
    }

    /// [`Session::select_page`] with each record handed to `row`, compiled once for every
    /// row type (`columns`: which, and whether with display values); answers whether more
    /// records match, and the instance's clock.
    pub fn select_each(
        &mut self,
        table: &Name,
        query: &Query,
        columns: (&[&str], bool),
        limit: u32,
        row: &mut dyn FnMut(&Value) -> Result<(), json::Error>,
    ) -> Result<PageEnd> {
        let mut end = PageEnd::default();
        self.authorized_once(&mut |api, auth| {
            end = api
                .table
                .each_row(auth, table, query, columns, limit, &mut *row)?;
            Ok(())
        })?;
        Ok(end)
    }

    /// One record of `table`, with `R`'s columns.
    pub fn get<R: Row>(&mut self, table: &Name, sys_id: &SysId) -> Result<R> {
        let (result, what) = self.get_result(table, sys_id, (R::COLUMNS, R::DISPLAY_VALUES))?;
        parse_row(result, &what)
    }

    /// The request of [`Session::get`], compiled once for every row type.
    pub fn get_result(
        &mut self,
        table: &Name,
        sys_id: &SysId,
        (columns, display_values): (&[&str], bool),
    ) -> Result<(Value, String)> {
        self.authorized(|api, token| {
            api.table
                .get_result(token, table, sys_id, columns, display_values)
        })
    }
}
