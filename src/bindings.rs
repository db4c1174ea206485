//! The WIT glue, and nothing else: converts between the generated types and the provider's.

use crate::prelude::*;

use core::cell::RefCell;

use crate::clock::SystemClock;
use crate::diagnosis::{CheckId, CheckStatus, ConnectionReport};
use crate::error::{Error, ErrorKind};
use crate::ids::{AssignmentGroup, Name};
use crate::log::{Exchange, Level, Log};
use crate::provider::{CommentKind, Provider, Resolution, ResolveOutcome, UpdateResult};
use crate::settings::{ClosedMatch, Priority, RawSettings, TicketCategory, TicketKind};
use crate::ticket::{
    CreateOutcome, Ticket, TicketChanges, TicketDetails, TicketRecord, TicketRef, WrittenTicket,
};
use crate::wasi_http_transport::WasiHttpTransport;

// The contract's world plus the `wasi:http` client imports (WASI 0.2 WIT in `wit/deps`), as
// a world of the component's own: the contract (`wit/ticketing.wit`) stays what hosts bind to.
wit_bindgen::generate!({
    path: "wit",
    inline: "
        package cxm:servicenow-component;

        world component {
            include cxm:ticketing/servicenow-provider@0.1.0;
            import wasi:http/outgoing-handler@0.2.2;
            import wasi:clocks/wall-clock@0.2.2;
        }
    ",
    world: "cxm:servicenow-component/component",
    generate_all,
});

use cxm::ticketing::log as host_log;
use cxm::ticketing::types as wit;
use exports::cxm::ticketing::ticketing_provider::Guest;

/// The tenant's provider. One instance serves one tenant and the host keeps it alive, so this
/// is the tenant's state; made on the first call.
static PROVIDER: TenantState = TenantState(RefCell::new(None));

type TenantProvider = Provider<WasiHttpTransport, SystemClock>;

struct TenantState(RefCell<Option<TenantProvider>>);

// SAFETY: `Sync` only lets the static exist. A wasm32-wasip2 component instance runs on one
// thread (no threads proposal, no shared memory), so the cell is never reached from two
// threads; a re-entrant call would find it borrowed and trap, as the thread-local did.
unsafe impl Sync for TenantState {}

fn with_provider<R>(call: impl FnOnce(&mut TenantProvider) -> R) -> R {
    let mut state = PROVIDER.0.borrow_mut();
    let provider = state.get_or_insert_with(|| {
        Provider::new(WasiHttpTransport, SystemClock::default()).with_log(Box::new(HostLog))
    });
    call(provider)
}

/// The host's `log` import.
struct HostLog;

impl Log for HostLog {
    fn exchange(&self, exchange: &Exchange) {
        let record = host_log::Exchange {
            method: exchange.method.to_string(),
            path: exchange.path.clone(),
            status: exchange.status,
            duration_ms: u32::try_from(exchange.duration.as_millis()).unwrap_or(u32::MAX),
            attempt: exchange.attempt,
            message: exchange.message.clone(),
        };
        host_log::report_exchange(level(exchange.level()), &record);
    }

    fn note(&self, level_: Level, message: &str) {
        host_log::note(level(level_), message);
    }
}

fn level(level: Level) -> host_log::Level {
    match level {
        Level::Debug => host_log::Level::Debug,
        Level::Info => host_log::Level::Info,
        Level::Warn => host_log::Level::Warn,
        Level::Error => host_log::Level::Error,
    }
}

struct Component;

impl Guest for Component {
    fn configure(settings: wit::Settings, client_secret: String) -> Result<(), wit::Error> {
        let raw = raw_settings(settings, client_secret)?;
        with_provider(|p| p.configure(raw).map_err(Into::into))
    }

    fn test_connection() -> wit::ConnectionReport {
        with_provider(|p| p.test_connection().into())
    }

    fn create_ticket(ticket: wit::Ticket) -> Result<wit::CreateOutcome, wit::Error> {
        with_provider(|p| {
            p.create_ticket(ticket.into())
                .map(Into::into)
                .map_err(Into::into)
        })
    }

    fn get_ticket(ticket: wit::TicketRef) -> Result<wit::TicketDetails, wit::Error> {
        with_provider(|p| {
            p.get_ticket(&ticket_ref(ticket)?)
                .map(Into::into)
                .map_err(Into::into)
        })
    }

    fn update_ticket(
        ticket: wit::TicketRef,
        changes: wit::TicketChanges,
    ) -> Result<wit::UpdateResult, wit::Error> {
        with_provider(|p| {
            p.update_ticket(&ticket_ref(ticket)?, &changes.into())
                .map(Into::into)
                .map_err(Into::into)
        })
    }

    fn add_comment(
        ticket: wit::TicketRef,
        kind: wit::CommentKind,
        text: String,
    ) -> Result<(), wit::Error> {
        let kind = match kind {
            wit::CommentKind::WorkNote => CommentKind::WorkNote,
            wit::CommentKind::CustomerVisible => CommentKind::CustomerVisible,
        };
        with_provider(|p| {
            p.add_comment(&ticket_ref(ticket)?, kind, &text)
                .map_err(Into::into)
        })
    }

    fn resolve_ticket(
        ticket: wit::TicketRef,
        resolution: wit::Resolution,
    ) -> Result<wit::ResolveOutcome, wit::Error> {
        with_provider(|p| {
            p.resolve_ticket(&ticket_ref(ticket)?, &resolution.into())
                .map(Into::into)
                .map_err(Into::into)
        })
    }

    fn resolve_by_correlation(
        event_category: String,
        correlation_id: String,
        resolution: wit::Resolution,
    ) -> Result<wit::ResolveOutcome, wit::Error> {
        with_provider(|p| {
            p.resolve_by_correlation(&event_category, &correlation_id, &resolution.into())
                .map(Into::into)
                .map_err(Into::into)
        })
    }
}

export!(Component);

impl From<wit::Priority> for Priority {
    fn from(p: wit::Priority) -> Self {
        match p {
            wit::Priority::Critical => Priority::Critical,
            wit::Priority::High => Priority::High,
            wit::Priority::Moderate => Priority::Moderate,
            wit::Priority::Low => Priority::Low,
            wit::Priority::Planning => Priority::Planning,
        }
    }
}

/// A kind as the platform gives it; a table name that ServiceNow would not have is `Err`
/// with the name, for the caller to say where it came from.
fn ticket_kind(kind: wit::TicketKind) -> Result<TicketKind, String> {
    Ok(match kind {
        wit::TicketKind::Incident => TicketKind::Incident,
        wit::TicketKind::ChangeRequest => TicketKind::ChangeRequest,
        wit::TicketKind::Problem => TicketKind::Problem,
        wit::TicketKind::Table(name) => TicketKind::Table(Name::parse(&name).ok_or(name)?),
    })
}

fn not_a_table(name: &str, whose: &str) -> String {
    format!(
        "the table {name:?} for {whose} is not a ServiceNow table name \
         (lower-case letters, digits and underscores)"
    )
}

impl From<TicketKind> for wit::TicketKind {
    fn from(kind: TicketKind) -> Self {
        match kind {
            TicketKind::Incident => wit::TicketKind::Incident,
            TicketKind::ChangeRequest => wit::TicketKind::ChangeRequest,
            TicketKind::Problem => wit::TicketKind::Problem,
            TicketKind::Table(name) => wit::TicketKind::Table(name.as_str().to_string()),
        }
    }
}

fn raw_settings(s: wit::Settings, client_secret: String) -> Result<RawSettings, wit::Error> {
    let invalid = |message: String| wit::Error::from(Error::invalid_settings(message));
    let mut ticket_categories = Vec::with_capacity(s.ticket_categories.len());
    for c in s.ticket_categories {
        let kind = ticket_kind(c.kind)
            .map_err(|name| invalid(not_a_table(&name, &format!("{:?}", c.event_category))))?;
        ticket_categories.push(TicketCategory {
            event_category: c.event_category,
            kind,
            enabled: c.enabled,
        });
    }
    let unlisted_category_kind = s
        .unlisted_category_kind
        .map(ticket_kind)
        .transpose()
        .map_err(|name| invalid(not_a_table(&name, "unlisted categories")))?;
    Ok(RawSettings {
        instance: s.instance,
        client_id: s.client_id,
        client_secret,
        default_assignment_group: s
            .default_assignment_group
            .as_deref()
            .and_then(AssignmentGroup::parse),
        default_priority: s.default_priority.map(Into::into),
        ticket_categories,
        unlisted_category_kind,
        on_closed_match: match s.on_closed_match {
            wit::ClosedMatch::OpenNew => ClosedMatch::OpenNew,
            wit::ClosedMatch::Reopen => ClosedMatch::Reopen,
        },
    })
}

impl From<wit::Ticket> for Ticket {
    fn from(t: wit::Ticket) -> Self {
        Ticket {
            event_category: t.event_category,
            title: t.title,
            description: t.description,
            priority: t.priority.map(Into::into),
            assignment_group: t
                .assignment_group
                .as_deref()
                .and_then(AssignmentGroup::parse),
            correlation_id: t.correlation_id,
            extra_fields: t
                .extra_fields
                .into_iter()
                .map(|f| (f.name, f.value))
                .collect(),
        }
    }
}

impl From<TicketRecord> for wit::TicketRecord {
    fn from(r: TicketRecord) -> Self {
        wit::TicketRecord {
            table: r.kind.table().to_string(),
            kind: r.kind.into(),
            sys_id: r.sys_id.as_str().to_string(),
            number: r.number,
            link: r.link,
        }
    }
}

impl From<WrittenTicket> for wit::WrittenTicket {
    fn from(w: WrittenTicket) -> Self {
        wit::WrittenTicket {
            ticket: w.ticket.into(),
            not_applied: w.not_applied,
        }
    }
}

impl From<CreateOutcome> for wit::CreateOutcome {
    fn from(outcome: CreateOutcome) -> Self {
        match outcome {
            CreateOutcome::Created(written) => wit::CreateOutcome::Created(written.into()),
            CreateOutcome::Existing(record) => wit::CreateOutcome::Existing(record.into()),
            CreateOutcome::Reopened(record) => wit::CreateOutcome::Reopened(record.into()),
            CreateOutcome::Skipped(why) => wit::CreateOutcome::Skipped(why),
        }
    }
}

fn ticket_ref(r: wit::TicketRef) -> Result<TicketRef, wit::Error> {
    let kind = ticket_kind(r.kind).map_err(|name| {
        Error::invalid_ticket(format!("{name:?} is not a ServiceNow table name"))
    })?;
    Ok(TicketRef::parse(kind, &r.id)?)
}

impl From<TicketDetails> for wit::TicketDetails {
    fn from(d: TicketDetails) -> Self {
        wit::TicketDetails {
            ticket: d.ticket.into(),
            state: d.state,
            state_label: d.state_label,
            active: d.active,
            priority: d.priority,
            impact: d.impact,
            urgency: d.urgency,
            assignment_group: d.assignment_group,
            short_description: d.short_description,
            correlation_id: d.correlation_id,
        }
    }
}

impl From<wit::TicketChanges> for TicketChanges {
    fn from(c: wit::TicketChanges) -> Self {
        TicketChanges {
            priority: c.priority.map(Into::into),
            assignment_group: c
                .assignment_group
                .as_deref()
                .and_then(AssignmentGroup::parse),
            short_description: c.short_description,
            description: c.description,
            extra_fields: c
                .extra_fields
                .into_iter()
                .map(|f| (f.name, f.value))
                .collect(),
        }
    }
}

impl From<UpdateResult> for wit::UpdateResult {
    fn from(u: UpdateResult) -> Self {
        wit::UpdateResult {
            ticket: u.ticket.into(),
            not_applied: u.not_applied,
        }
    }
}

impl From<wit::Resolution> for Resolution {
    fn from(r: wit::Resolution) -> Self {
        Resolution {
            close_code: r.close_code,
            close_notes: r.close_notes,
        }
    }
}

impl From<ResolveOutcome> for wit::ResolveOutcome {
    fn from(outcome: ResolveOutcome) -> Self {
        match outcome {
            ResolveOutcome::Resolved(d) => wit::ResolveOutcome::Resolved(d.into()),
            ResolveOutcome::AlreadyResolved(d) => wit::ResolveOutcome::AlreadyResolved(d.into()),
            ResolveOutcome::NotFound(why) => wit::ResolveOutcome::NotFound(why),
        }
    }
}

impl From<ConnectionReport> for wit::ConnectionReport {
    fn from(report: ConnectionReport) -> Self {
        wit::ConnectionReport {
            passed: report.passed,
            checks: report
                .checks
                .into_iter()
                .map(|c| wit::Check {
                    id: match c.id {
                        CheckId::Settings => wit::CheckId::Settings,
                        CheckId::Instance => wit::CheckId::Instance,
                        CheckId::Token => wit::CheckId::Token,
                        CheckId::TableApi => wit::CheckId::TableApi,
                        CheckId::TableAccess => wit::CheckId::TableAccess,
                        CheckId::AssignmentGroup => wit::CheckId::AssignmentGroup,
                    },
                    status: match c.status {
                        CheckStatus::Passed => wit::CheckStatus::Passed,
                        CheckStatus::Failed => wit::CheckStatus::Failed,
                        CheckStatus::Skipped => wit::CheckStatus::Skipped,
                    },
                    detail: c.detail,
                    remedy: c.remedy.map(|r| r.text.to_string()),
                    guide_step: c.remedy.and_then(|r| r.step).map(str::to_string),
                })
                .collect(),
        }
    }
}

impl From<Error> for wit::Error {
    fn from(e: Error) -> Self {
        wit::Error {
            kind: match e.kind {
                ErrorKind::InvalidSettings => wit::ErrorKind::InvalidSettings,
                ErrorKind::NotConfigured => wit::ErrorKind::NotConfigured,
                ErrorKind::InvalidTicket => wit::ErrorKind::InvalidTicket,
                ErrorKind::Unreachable => wit::ErrorKind::Unreachable,
                ErrorKind::BlockedByHost => wit::ErrorKind::BlockedByHost,
                ErrorKind::InstanceHibernating => wit::ErrorKind::InstanceHibernating,
                ErrorKind::NotServiceNow => wit::ErrorKind::NotServicenow,
                ErrorKind::TokenDenied => wit::ErrorKind::TokenDenied,
                ErrorKind::OAuthUserMissing => wit::ErrorKind::OauthUserMissing,
                ErrorKind::NotAuthenticated => wit::ErrorKind::NotAuthenticated,
                ErrorKind::MissingAuthScope => wit::ErrorKind::MissingAuthScope,
                ErrorKind::Forbidden => wit::ErrorKind::Forbidden,
                ErrorKind::RejectedByPolicy => wit::ErrorKind::RejectedByPolicy,
                ErrorKind::InvalidTable => wit::ErrorKind::InvalidTable,
                ErrorKind::NotFound => wit::ErrorKind::NotFound,
                ErrorKind::BadRequest => wit::ErrorKind::BadRequest,
                ErrorKind::RateLimited => wit::ErrorKind::RateLimited,
                ErrorKind::ServiceUnavailable => wit::ErrorKind::ServiceUnavailable,
                ErrorKind::UnexpectedResponse => wit::ErrorKind::UnexpectedResponse,
            },
            message: e.message,
            remedy: e.remedy.map(|r| r.text.to_string()),
            guide_step: e.remedy.and_then(|r| r.step).map(str::to_string),
            http_status: e.http_status,
            retry_after_seconds: e.retry_after_seconds,
        }
    }
}
