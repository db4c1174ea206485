//! Test Connection as a diagnosis: each check stands for a setup step, so the first one that
//! fails names what the admin got wrong.

use crate::clock::Clock;
use crate::diagnosis::{Checklist, ConnectionReport};
use crate::error::{Error, ErrorKind, Result};
use crate::guide;
use crate::http::Transport;
use crate::oauth::request_token;
use crate::table_api::{TableApi, column};
use crate::ticket::is_sys_id;

use super::{Provider, escape};

const CHECKS: &[&str] = &[
    "settings",
    "instance",
    "token",
    "table api",
    "table access",
    "assignment group",
];

impl<T: Transport, C: Clock> Provider<T, C> {
    pub fn test_connection(&mut self) -> ConnectionReport {
        let mut checks = Checklist::new(CHECKS);
        let Some(settings) = self.settings.clone() else {
            return checks.fail(&Error::not_configured());
        };
        let mut tables = settings.routed_tables();
        if tables.is_empty() {
            // Nothing routed yet: the incident table is what most setups start with.
            tables.push("incident");
        }
        checks.pass(format!(
            "instance {}, client ID {}, tickets go to {}",
            settings.instance.as_str(),
            settings.client_id,
            tables.join(", ")
        ));

        // One token request answers two questions: does the instance answer as ServiceNow,
        // and does it grant a token. Always a fresh one: a cached token proves nothing about
        // the credentials as they are now.
        self.tokens.clear();
        let token = match request_token(&self.transport, &settings) {
            Ok(grant) => {
                checks.pass("the instance answered the token endpoint as ServiceNow does");
                checks.pass(format!(
                    "ServiceNow granted an access token valid for {} s",
                    grant.expires_in.as_secs()
                ));
                self.tokens.store(grant, self.clock.now()).clone()
            }
            Err(error) if answered_as_servicenow(&error) => {
                let status = error
                    .http_status
                    .map(|s| format!(" (HTTP {s})"))
                    .unwrap_or_default();
                checks.pass(format!("the instance answered the token endpoint{status}"));
                return checks.fail(&error);
            }
            Err(error) => return checks.fail(&error),
        };

        let api = TableApi {
            transport: &self.transport,
            instance: &settings.instance,
        };
        let read = |table: &str| {
            api.query(
                &token,
                table,
                &[("sysparm_limit", "1"), ("sysparm_fields", "sys_id")],
            )
            .map(|_| ())
        };
        let first = read(tables[0]);
        match &first {
            Err(error) if !about_the_table(error) => return checks.fail(error),
            _ => checks.pass("the Table API accepted the token"),
        }
        let mut refused: Vec<(&str, Error)> = Vec::new();
        if let Err(error) = first {
            refused.push((tables[0], error));
        }
        for table in &tables[1..] {
            if let Err(error) = read(table) {
                refused.push((table, error));
            }
        }
        match refused.as_slice() {
            [] => checks.pass(format!(
                "the integration user can read {}",
                tables.join(", ")
            )),
            [(_, first), ..] => {
                let listed: Vec<String> =
                    refused.iter().map(|(t, e)| format!("{t}: {e}")).collect();
                let mut error = Error::new(
                    first.kind,
                    format!("the integration user cannot read {}", listed.join("; ")),
                );
                error.remedy = first.remedy;
                checks.fail_and_continue(&error);
            }
        }

        match settings.default_assignment_group.as_deref() {
            None => checks.skip("no default assignment group is set"),
            Some(group) => match self.check_group(group) {
                Ok(found) => checks.pass(found),
                Err(error) => checks.fail_and_continue(&error),
            },
        }
        checks.finish()
    }

    /// The default group exists, exactly once.
    fn check_group(&mut self, group: &str) -> Result<String> {
        let missing = |what: String| {
            Error::new(ErrorKind::NotFound, what).with_remedy(guide::ASSIGNMENT_GROUP)
        };
        if is_sys_id(group) {
            let found = self
                .authorized(|api, token| api.get(token, "sys_user_group", group, "sys_id,name"));
            return match found {
                Ok(row) => Ok(format!(
                    "the group {:?} ({group}) exists",
                    column(&row, "name")
                )),
                Err(error) if error.kind == ErrorKind::NotFound => Err(missing(format!(
                    "no sys_user_group record has the sys_id {group}"
                ))),
                Err(error) => Err(error),
            };
        }
        let named = self.groups_named(group, "5")?;
        match named.as_slice() {
            [(sys_id, _)] => {
                self.groups.insert(group.to_string(), sys_id.clone());
                Ok(format!("the group {group:?} exists ({sys_id})"))
            }
            [] => {
                let similar = self.groups_like(group)?;
                let hint = if similar.is_empty() {
                    String::new()
                } else {
                    format!("; similar names: {}", similar.join(", "))
                };
                Err(missing(format!(
                    "no group in sys_user_group is named {group:?}{hint}"
                )))
            }
            several => {
                let ids: Vec<&str> = several.iter().map(|(id, _)| id.as_str()).collect();
                Err(Error::new(
                    ErrorKind::InvalidSettings,
                    format!(
                        "{} groups are named {group:?} ({}): set the default assignment group \
                         by sys_id",
                        several.len(),
                        ids.join(", ")
                    ),
                )
                .with_remedy(guide::ASSIGNMENT_GROUP))
            }
        }
    }

    /// Group names sharing the longest word of `group`, to suggest what the admin meant
    /// ("Cloud Ops" finds "Cloud Operations").
    fn groups_like(&mut self, group: &str) -> Result<Vec<String>> {
        let word = group
            .split_whitespace()
            .max_by_key(|w| w.len())
            .unwrap_or(group);
        let query = format!("nameLIKE{}", escape(word));
        let rows = self.select("sys_user_group", &query, "name", "5")?;
        Ok(rows.iter().map(|r| column(r, "name").to_string()).collect())
    }
}

/// The token endpoint answered, as ServiceNow and not as a web page: the instance check
/// passed and the failure is the token's.
fn answered_as_servicenow(error: &Error) -> bool {
    matches!(
        error.kind,
        ErrorKind::TokenDenied | ErrorKind::OAuthUserMissing | ErrorKind::UnexpectedResponse
    )
}

/// A failure about one table (roles, ACL, a table that does not exist), not about the token.
fn about_the_table(error: &Error) -> bool {
    matches!(
        error.kind,
        ErrorKind::Forbidden | ErrorKind::InvalidTable | ErrorKind::NotFound
    )
}
