//! Test Connection as a diagnosis: each check stands for a setup step and is one function
//! here, so the first one that fails names what the admin got wrong.

use crate::primitives::prelude::*;

use crate::features::diagnosis::{CheckId, Checklist, ConnectionReport, Outcome};
use crate::primitives::clock::Clock;
use crate::primitives::error::{Error, ErrorKind, Result};
use crate::primitives::guide;
use crate::primitives::http::Transport;
use crate::primitives::ids::{Name, SysId};
use crate::servicenow::attachment::AttachmentApi;
use crate::servicenow::auth::Authorization;
use crate::servicenow::cmdb::CMDB_CI;
use crate::servicenow::oauth::{Grant, request_token};
use crate::servicenow::query::Query;
use crate::servicenow::request::Rest;
use crate::servicenow::rows::{row, sys_id};
use crate::servicenow::table::TableApi;
use crate::servicenow::ticket_kind::TicketKind;
use crate::settings::validated::{RawSettings, Settings};

use crate::features::facts::InstanceFacts;
use crate::features::groups;
use crate::features::import_writes;
use crate::features::session::Session;
use crate::features::standard_changes;

row! {
    /// The cheapest proof that a table can be read: one row's sys_id.
    struct IdRow {
        /// Read to prove the row is a record; never used.
        #[allow(dead_code)]
        sys_id: SysId = sys_id => required,
    }
}

/// Test Connection on values not saved yet (the guide's order: Test Connection, then
/// Save). The checks run with the candidate's settings and a token and caches of their
/// own; afterwards the settings in force, their token and caches are as they were.
pub fn test_candidate<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    candidate: Result<RawSettings>,
) -> ConnectionReport {
    match candidate.and_then(Settings::validate) {
        Ok(settings) => session.with_candidate(Some(settings), test_connection),
        Err(error) => {
            let mut list = Checklist::default();
            list.gate::<()>(CheckId::Settings, Err(error));
            list.finish()
        }
    }
}

pub fn test_connection<T: Transport, C: Clock>(session: &mut Session<T, C>) -> ConnectionReport {
    let mut checklist = Checklist::default();
    run_checks(session, &mut checklist);
    checklist.finish()
}

/// Runs the checks in order; returns early (`None`) where a failure stops the run.
fn run_checks<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    list: &mut Checklist,
) -> Option<()> {
    let settings = list.gate(CheckId::Settings, check_settings(session))?;
    // What was cached proves nothing about the setup as it is now.
    session.forget_tokens();
    *session.facts() = InstanceFacts::default();
    let tables = tables_to_check(&settings);
    let (auth, first) = match settings.credentials.fixed_authorization() {
        // One token request answers two questions: does the instance answer as
        // ServiceNow, and does it grant a token.
        None => {
            let grant = request_token(
                &session.retrying(),
                &settings.token_url,
                &settings.credentials,
            );
            list.gate(CheckId::Instance, check_instance(&grant))?;
            let token = list.gate(CheckId::Token, check_token(session, &settings, grant))?;
            (token, None)
        }
        // No token: the first table read answers whether the instance is ServiceNow, and
        // is the Table API check's read too.
        Some(fixed) => {
            let first = read_one(session, &settings, fixed, &tables[0]);
            list.gate(CheckId::Instance, check_instance_by_read(&first))?;
            list.record(
                CheckId::Token,
                Outcome::Skipped(format!(
                    "{} needs no OAuth token: the credentials go with each request",
                    settings.credentials.who()
                )),
            );
            (fixed.clone(), Some(first))
        }
    };
    let read = |table: &Name| read_one(session, &settings, &auth, table);
    let first = first.unwrap_or_else(|| read(&tables[0]));
    list.gate(CheckId::TableApi, check_table_api(&first))?;
    let refused: Vec<(&Name, Error)> = core::iter::once((&tables[0], first))
        .chain(tables[1..].iter().map(|table| (table, read(table))))
        .filter_map(|(table, read)| read.err().map(|error| (table, error)))
        .collect();
    list.record(CheckId::TableAccess, check_table_access(&tables, refused));
    list.record(
        CheckId::AttachmentApi,
        check_attachment_api(session, &settings, &auth),
    );
    list.record(
        CheckId::ChangeApi,
        standard_changes::check(session, &settings, &auth),
    );
    list.record(
        CheckId::AssignmentGroup,
        check_assignment_group(session, &settings),
    );
    list.record(
        CheckId::ImportSet,
        import_writes::check_staging_tables(&settings, |table| {
            read_one(session, &settings, &auth, table)
        }),
    );
    list.record(CheckId::Cmdb, check_cmdb(session, &settings, &auth));
    Some(())
}

/// The cheapest read of a table: one row's sys_id.
fn read_one<T: Transport, C: Clock>(
    session: &Session<T, C>,
    settings: &Settings,
    auth: &Authorization,
    table: &Name,
) -> Result<()> {
    let transport = session.retrying();
    let api = TableApi(Rest {
        transport: &transport,
        instance: &settings.instance,
    });
    api.query::<IdRow>(auth, table, &Query::default(), 1)
        .map(|_| ())
}

/// Settings: configured, and what is in force.
fn check_settings<T: Transport, C: Clock>(session: &Session<T, C>) -> Result<(Settings, String)> {
    let settings = session.configured()?.clone();
    let tables: Vec<String> = tables_to_check(&settings)
        .iter()
        .map(Name::to_string)
        .collect();
    let mut detail = format!(
        "instance {}, {}, tickets go to {}",
        settings.instance.as_str(),
        settings.credentials.who(),
        tables.join(", ")
    );
    // An address pasted from the browser was taken as its instance: say so.
    if let Some(note) = settings.instance.note() {
        detail.push_str(&format!(" ({note})"));
    }
    Ok((settings, detail))
}

/// Token: ServiceNow granted one; it is kept for the checks that follow and the next call.
fn check_token<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    settings: &Settings,
    grant: Result<Grant>,
) -> Result<(Authorization, String)> {
    let grant = grant?;
    let detail = format!(
        "ServiceNow granted an access token valid for {} s{} ({})",
        grant.expires_in.as_secs(),
        if grant.refresh.is_some() {
            ", and a refresh token"
        } else {
            ""
        },
        settings.credentials.who()
    );
    Ok((session.store_token(grant), detail))
}

/// Attachment API: when attachments are on, its cheapest read lets the credentials in
/// (the auth scope of guide step 3 for an OAuth application that is securely scoped; an
/// API key's access policy).
fn check_attachment_api<T: Transport, C: Clock>(
    session: &Session<T, C>,
    settings: &Settings,
    auth: &Authorization,
) -> Outcome {
    if !settings.attachments {
        return Outcome::Skipped("attachments are off in the settings".into());
    }
    let transport = session.retrying();
    let api = AttachmentApi(Rest {
        transport: &transport,
        instance: &settings.instance,
    });
    match api.list_one_attachment(auth) {
        Ok(()) => Outcome::Passed("the Attachment API accepted the credentials".into()),
        Err(error) => Outcome::Failed(error),
    }
}

/// CMDB: when configuration items are linked, one `cmdb_ci` row can be read. An empty answer
/// passes: an empty CMDB and one hidden by row ACLs look the same
/// (docs/servicenow/cmdb.md#access).
fn check_cmdb<T: Transport, C: Clock>(
    session: &Session<T, C>,
    settings: &Settings,
    auth: &Authorization,
) -> Outcome {
    if !settings.writes.link_configuration_items {
        return Outcome::Skipped("linking configuration items is off in the settings".into());
    }
    let transport = session.retrying();
    let api = TableApi(Rest {
        transport: &transport,
        instance: &settings.instance,
    });
    match api.query::<IdRow>(auth, &CMDB_CI, &Query::default(), 1) {
        Ok(rows) if rows.is_empty() => Outcome::Passed(format!(
            "the integration user may read {CMDB_CI} but sees no configuration item in it: \
             the CMDB is empty, or access rules hide its rows, and then no CI is found"
        )),
        Ok(_) => Outcome::Passed(format!("the integration user can read {CMDB_CI}")),
        Err(error) if error.kind == ErrorKind::Forbidden => {
            let mut error = error;
            error.message = format!(
                "the integration user may not read the CMDB: {}",
                error.message
            );
            Outcome::Failed(error.with_remedy(guide::CMDB_READ))
        }
        Err(error) => Outcome::Failed(error),
    }
}

/// Assignment group: the default one exists, exactly once.
fn check_assignment_group<T: Transport, C: Clock>(
    session: &mut Session<T, C>,
    settings: &Settings,
) -> Outcome {
    match &settings.default_assignment_group {
        None => Outcome::Skipped("no default assignment group is set".into()),
        Some(group) => match groups::verify_group(session, group) {
            Ok(found) => Outcome::Passed(found),
            Err(error) => Outcome::Failed(error),
        },
    }
}

/// The tables the ticket categories route to; the incident table when nothing is routed
/// yet, since that is what most setups start with.
fn tables_to_check(settings: &Settings) -> Vec<Name> {
    let mut tables = Vec::new();
    for table in settings.routed_tables() {
        tables.push(table.clone());
    }
    if tables.is_empty() {
        tables.push(TicketKind::Incident.table().clone());
    }
    tables
}

/// Instance: the token endpoint answered as ServiceNow, whatever it said about the
/// credentials; a web page or no answer at all fails here.
fn check_instance(grant: &Result<Grant>) -> Result<((), String)> {
    match grant {
        Ok(_) => Ok((
            (),
            "the instance answered the token endpoint as ServiceNow does".into(),
        )),
        Err(error) if answered_as_servicenow(error) => {
            let status = error
                .http_status
                .map(|s| format!(" (HTTP {s})"))
                .unwrap_or_default();
            Ok((
                (),
                format!("the instance answered the token endpoint{status}"),
            ))
        }
        Err(error) => Err(error.clone()),
    }
}

/// Instance, without a token: the first table read was answered as ServiceNow does (the
/// table, or a refusal in ServiceNow's JSON); a web page or no answer at all fails here.
fn check_instance_by_read(first: &Result<()>) -> Result<((), String)> {
    match first {
        Ok(()) => Ok((
            (),
            "the instance answered the Table API as ServiceNow does".into(),
        )),
        Err(error) if answered_as_servicenow(error) || about_the_table(error) => {
            let status = error
                .http_status
                .map(|s| format!(" (HTTP {s})"))
                .unwrap_or_default();
            Ok(((), format!("the instance answered the Table API{status}")))
        }
        Err(error) => Err(error.clone()),
    }
}

/// Table access: every routed table can be read (roles, ACLs, tables that do not exist).
fn check_table_access(tables: &[Name], refused: Vec<(&Name, Error)>) -> Outcome {
    let Some((_, first)) = refused.first() else {
        let names: Vec<&str> = tables.iter().map(Name::as_str).collect();
        return Outcome::Passed(format!(
            "the integration user can read {}",
            names.join(", ")
        ));
    };
    let listed: Vec<String> = refused.iter().map(|(t, e)| format!("{t}: {e}")).collect();
    let mut error = Error::new(
        first.kind,
        format!("the integration user cannot read {}", listed.join("; ")),
    );
    error.remedy = first.remedy;
    Outcome::Failed(error)
}

/// The token endpoint answered, as ServiceNow and not as a web page: the instance check
/// passed and the failure is the token's.
fn answered_as_servicenow(error: &Error) -> bool {
    matches!(
        error.kind,
        ErrorKind::CredentialsRefused
            | ErrorKind::ServiceAccountMissing
            | ErrorKind::NotAuthenticated
            | ErrorKind::MissingAuthScope
            | ErrorKind::UnexpectedResponse
    )
}

/// Table API: the first table read was not refused for the credentials' sake (a refusal
/// about the table itself is table access's to report).
fn check_table_api(first: &Result<()>) -> Result<((), String)> {
    match first {
        Err(error) if !about_the_table(error) => Err(error.clone()),
        _ => Ok(((), "the Table API accepted the credentials".into())),
    }
}

/// A failure about one table (roles, ACL, a table that does not exist), not about the token.
fn about_the_table(error: &Error) -> bool {
    matches!(
        error.kind,
        ErrorKind::Forbidden | ErrorKind::UnknownTicketKind | ErrorKind::NotFound
    )
}
