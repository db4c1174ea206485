//! One tenant's ServiceNow provider: the settings, the token cache and the calls the platform
//! makes. Generic over the transport and the clock so it unit-tests natively.

use std::collections::HashMap;

use serde_json::Value;

use crate::clock::Clock;
use crate::diagnosis::{Checklist, ConnectionReport};
use crate::error::{Error, ErrorKind, Result};
use crate::guide;
use crate::http::Transport;
use crate::oauth::{AccessToken, TokenCache, request_token};
use crate::settings::{RawSettings, Route, Settings};
use crate::table_api::TableApi;
use crate::ticket::{CreateOutcome, Ticket, TicketRecord, is_sys_id};

const CHECKS: &[&str] = &["settings", "token", "table api"];

pub struct Provider<T, C> {
    transport: T,
    clock: C,
    settings: Option<Settings>,
    tokens: TokenCache,
    /// `sys_user_group` names already resolved to sys_ids, so each costs one lookup.
    groups: HashMap<String, String>,
}

impl<T: Transport, C: Clock> Provider<T, C> {
    pub fn new(transport: T, clock: C) -> Self {
        Self {
            transport,
            clock,
            settings: None,
            tokens: TokenCache::default(),
            groups: HashMap::new(),
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
        }
        self.settings = Some(settings);
        Ok(())
    }

    pub fn settings(&self) -> Option<&Settings> {
        self.settings.as_ref()
    }

    /// The setup guide's Test Connection: a fresh token, then one authenticated Table API read.
    pub fn test_connection(&mut self) -> ConnectionReport {
        let mut checks = Checklist::new(CHECKS);
        let Some(settings) = &self.settings else {
            return checks.fail(&Error::not_configured());
        };
        checks.pass(format!(
            "instance {}, client ID {}",
            settings.instance.as_str(),
            settings.client_id
        ));

        // Always a fresh token: a cached one would prove nothing about the current credentials.
        self.tokens.clear();
        let token = match request_token(&self.transport, settings) {
            Ok(grant) => {
                let lifetime = grant.expires_in.as_secs();
                checks.pass(format!(
                    "ServiceNow granted an access token valid for {lifetime} s"
                ));
                self.tokens.store(grant, self.clock.now()).clone()
            }
            Err(error) => return checks.fail(&error),
        };

        let table = settings
            .routed_tables()
            .first()
            .copied()
            .unwrap_or("incident");
        let api = TableApi {
            transport: &self.transport,
            instance: &settings.instance,
        };
        match api.query(
            &token,
            table,
            &[("sysparm_limit", "1"), ("sysparm_fields", "sys_id")],
        ) {
            Ok(_) => checks.pass(format!("the Table API answered a read of {table}")),
            Err(error) => return checks.fail(&error),
        }
        checks.finish()
    }

    /// Opens a ticket for an event, or says why none was opened.
    pub fn create_ticket(&mut self, ticket: Ticket) -> Result<CreateOutcome> {
        let settings = self.settings.as_ref().ok_or_else(Error::not_configured)?;
        ticket.validate()?;
        let kind = match settings.route(&ticket.event_category) {
            Route::Ticket(kind) => kind.clone(),
            Route::Skip(why) => return Ok(CreateOutcome::Skipped(why)),
        };
        let instance = settings.instance.clone();
        let priority = ticket.priority.or(settings.default_priority);
        let group = match ticket.assignment_group.as_deref().map(str::trim) {
            Some(group) if !group.is_empty() => Some(self.resolve_group(group, "ticket's")?),
            _ => match settings.default_assignment_group.clone() {
                Some(group) => Some(self.resolve_group(&group, "default")?),
                None => None,
            },
        };
        let columns = ticket.to_columns(priority, group.as_deref());
        let table = kind.table();
        let result = self.authorized(|api, token| api.insert(token, table, &columns))?;
        TicketRecord::from_result(&kind, &instance, &result).map(CreateOutcome::Created)
    }

    /// A `sys_user_group` sys_id for a group given by sys_id or by exact name.
    fn resolve_group(&mut self, group: &str, whose: &str) -> Result<String> {
        if is_sys_id(group) {
            return Ok(group.to_string());
        }
        if let Some(sys_id) = self.groups.get(group) {
            return Ok(sys_id.clone());
        }
        // `^` separates encoded-query terms; ServiceNow reads `^^` as a literal one.
        let query = format!("name={}", group.replace('^', "^^"));
        let rows = self.authorized(|api, token| {
            api.query(
                token,
                "sys_user_group",
                &[
                    ("sysparm_query", &query),
                    ("sysparm_fields", "sys_id,name"),
                    // Names are not unique: ask for two to notice ambiguity (facts §4).
                    ("sysparm_limit", "2"),
                ],
            )
        })?;
        // An ignored query term would match every group: trust only exact names.
        let ids: Vec<&str> = rows
            .iter()
            .filter(|row| row.get("name").and_then(Value::as_str) == Some(group))
            .filter_map(|row| row.get("sys_id").and_then(Value::as_str))
            .collect();
        match ids.as_slice() {
            [sys_id] => {
                self.groups.insert(group.to_string(), sys_id.to_string());
                Ok(sys_id.to_string())
            }
            [] => Err(Error::new(
                ErrorKind::NotFound,
                format!("the {whose} assignment group {group:?} does not exist in sys_user_group"),
            )
            .with_remedy(guide::ASSIGNMENT_GROUP)),
            _ => Err(Error::new(
                if whose == "default" {
                    ErrorKind::InvalidSettings
                } else {
                    ErrorKind::InvalidTicket
                },
                format!(
                    "several groups in sys_user_group are named {group:?}: give the {whose} \
                     assignment group by its sys_id"
                ),
            )
            .with_remedy(guide::ASSIGNMENT_GROUP)),
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::diagnosis::CheckStatus;
    use crate::http::Method;
    use crate::http::testing::*;
    use crate::settings::{Priority, TicketCategory, TicketKind};
    use std::time::Duration;

    const GROUP: &str = "287ebd7da9fe198100f92cc8d1d2154e";
    const CREATED: &str =
        r#"{"result":{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001"}}"#;

    fn raw() -> RawSettings {
        RawSettings {
            instance: "dev1".into(),
            client_id: "id".into(),
            client_secret: "secret".into(),
            default_assignment_group: None,
            default_priority: Some(Priority::Low),
            ticket_categories: vec![
                TicketCategory {
                    event_category: "cost".into(),
                    kind: TicketKind::Incident,
                    enabled: true,
                },
                TicketCategory {
                    event_category: "paused".into(),
                    kind: TicketKind::Incident,
                    enabled: false,
                },
            ],
            unlisted_category_kind: None,
        }
    }

    fn ticket() -> Ticket {
        Ticket {
            event_category: "cost".into(),
            title: "Idle VM".into(),
            description: "".into(),
            priority: None,
            assignment_group: None,
            correlation_id: None,
            extra_fields: vec![],
        }
    }

    fn provider<'a>(
        transport: &'a ScriptedTransport,
        clock: &'a ManualClock,
    ) -> Provider<&'a ScriptedTransport, &'a ManualClock> {
        let mut provider = Provider::new(transport, clock);
        provider.configure(raw()).unwrap();
        provider
    }

    fn count(transport: &ScriptedTransport, path: &str) -> usize {
        transport
            .sent()
            .iter()
            .filter(|r| r.url.contains(path))
            .count()
    }

    #[test]
    fn n_tickets_cost_one_token() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = provider(&transport, &clock);
        transport.push_json(200, TOKEN_OK);
        for _ in 0..3 {
            transport.push_json(201, CREATED);
        }
        for _ in 0..3 {
            let outcome = p.create_ticket(ticket()).unwrap();
            assert!(matches!(outcome, CreateOutcome::Created(r) if r.number == "INC0010001"));
        }
        assert_eq!(count(&transport, "/oauth_token.do"), 1);
        // The default priority (low) went out as impact 2, urgency 3.
        let body: Value = serde_json::from_slice(&transport.sent()[1].body).unwrap();
        assert_eq!(
            (&body["impact"], &body["urgency"]),
            (&"2".into(), &"3".into())
        );
    }

    #[test]
    fn expired_token_is_replaced_before_use() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = provider(&transport, &clock);
        transport
            .push_json(200, TOKEN_OK)
            .push_json(201, CREATED)
            .push_json(200, TOKEN_OK)
            .push_json(201, CREATED);
        p.create_ticket(ticket()).unwrap();
        clock.advance(Duration::from_secs(1800));
        p.create_ticket(ticket()).unwrap();
        assert_eq!(count(&transport, "/oauth_token.do"), 2);
        assert_eq!(transport.remaining(), 0);
    }

    #[test]
    fn a_401_is_retried_once_with_a_fresh_token() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = provider(&transport, &clock);
        transport
            .push_json(200, TOKEN_OK)
            .push_json(401, NOT_AUTHENTICATED)
            .push_json(200, TOKEN_OK)
            .push_json(201, CREATED);
        assert!(p.create_ticket(ticket()).is_ok());
        assert_eq!(count(&transport, "/oauth_token.do"), 2);
    }

    #[test]
    fn a_second_401_is_an_error_not_a_loop() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = provider(&transport, &clock);
        transport
            .push_json(200, TOKEN_OK)
            .push_json(401, NOT_AUTHENTICATED)
            .push_json(200, TOKEN_OK)
            .push_json(401, NOT_AUTHENTICATED);
        let err = p.create_ticket(ticket()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotAuthenticated);
        assert_eq!(transport.sent().len(), 4);
    }

    #[test]
    fn skipped_categories_send_nothing() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = provider(&transport, &clock);
        for category in ["paused", "unknown"] {
            let mut t = ticket();
            t.event_category = category.into();
            assert!(matches!(
                p.create_ticket(t).unwrap(),
                CreateOutcome::Skipped(_)
            ));
        }
        assert!(transport.sent().is_empty());
    }

    #[test]
    fn group_names_are_resolved_once() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = provider(&transport, &clock);
        let found = format!(r#"{{"result":[{{"sys_id":"{GROUP}","name":"Cloud Ops"}}]}}"#);
        transport
            .push_json(200, TOKEN_OK)
            .push_json(200, &found)
            .push_json(201, CREATED)
            .push_json(201, CREATED);
        for _ in 0..2 {
            let mut t = ticket();
            t.assignment_group = Some("Cloud Ops".into());
            p.create_ticket(t).unwrap();
        }
        assert_eq!(count(&transport, "sys_user_group"), 1);
        let body: Value = serde_json::from_slice(&transport.sent()[3].body).unwrap();
        assert_eq!(body["assignment_group"], GROUP);
    }

    #[test]
    fn missing_or_ambiguous_groups_fail_clearly() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = provider(&transport, &clock);
        transport
            .push_json(200, TOKEN_OK)
            .push_json(200, r#"{"result":[]}"#);
        let mut t = ticket();
        t.assignment_group = Some("Nope".into());
        let err = p.create_ticket(t.clone()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);
        assert!(err.message.contains("\"Nope\" does not exist"));

        let two = format!(
            r#"{{"result":[{{"sys_id":"{GROUP}","name":"Nope"}},{{"sys_id":"{}","name":"Nope"}}]}}"#,
            "f".repeat(32)
        );
        transport.push_json(200, &two);
        let err = p.create_ticket(t).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidTicket);
        assert!(err.message.contains("several groups"));
    }

    #[test]
    fn not_configured_and_bad_configure_keep_state() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = Provider::new(&transport, &clock);
        assert_eq!(
            p.create_ticket(ticket()).unwrap_err().kind,
            ErrorKind::NotConfigured
        );
        p.configure(raw()).unwrap();
        let mut bad = raw();
        bad.instance = "http://evil.example.com".into();
        assert!(p.configure(bad).is_err());
        assert_eq!(
            p.settings().unwrap().instance.as_str(),
            "https://dev1.service-now.com"
        );
    }

    #[test]
    fn test_connection_passes_then_reports_failures_in_order() {
        let transport = ScriptedTransport::default();
        let clock = ManualClock::default();
        let mut p = provider(&transport, &clock);
        transport
            .push_json(200, TOKEN_OK)
            .push_json(200, r#"{"result":[]}"#);
        let report = p.test_connection();
        assert!(report.passed(), "{report:?}");
        let read = &transport.sent()[1];
        assert_eq!(read.method, Method::Get);
        assert!(read.url.contains("/api/now/table/incident?"));

        transport.push_json(401, TOKEN_DENIED);
        let report = p.test_connection();
        let statuses: Vec<_> = report.checks.iter().map(|c| c.status).collect();
        assert_eq!(
            statuses,
            [
                CheckStatus::Passed,
                CheckStatus::Failed,
                CheckStatus::Skipped
            ]
        );
        assert!(report.checks[1].remedy.unwrap().contains("Active"));
    }
}
