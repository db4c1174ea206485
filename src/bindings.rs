//! The WIT glue, and nothing else: converts between the generated types and the provider's.

use std::cell::RefCell;

use crate::clock::SystemClock;
use crate::diagnosis::{CheckStatus, ConnectionReport};
use crate::error::{Error, ErrorKind};
use crate::provider::Provider;
use crate::settings::{Priority, RawSettings, TicketCategory, TicketKind};
use crate::ticket::{CreateOutcome, Ticket, TicketRecord};
use crate::waki_transport::WakiTransport;

wit_bindgen::generate!({
    path: "wit",
    world: "servicenow-provider",
});

use cxm::ticketing::types as wit;
use exports::cxm::ticketing::ticketing_provider::Guest;

thread_local! {
    // One instance serves one tenant; the host keeps it alive, so this is the tenant's state.
    static PROVIDER: RefCell<Provider<WakiTransport, SystemClock>> =
        RefCell::new(Provider::new(WakiTransport, SystemClock::default()));
}

struct Component;

impl Guest for Component {
    fn configure(settings: wit::Settings, client_secret: String) -> Result<(), wit::Error> {
        let raw = raw_settings(settings, client_secret);
        PROVIDER.with_borrow_mut(|p| p.configure(raw).map_err(Into::into))
    }

    fn test_connection() -> wit::ConnectionReport {
        PROVIDER.with_borrow_mut(|p| p.test_connection().into())
    }

    fn create_ticket(ticket: wit::Ticket) -> Result<wit::CreateOutcome, wit::Error> {
        PROVIDER.with_borrow_mut(|p| {
            p.create_ticket(ticket.into())
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

impl From<wit::TicketKind> for TicketKind {
    fn from(kind: wit::TicketKind) -> Self {
        match kind {
            wit::TicketKind::Incident => TicketKind::Incident,
            wit::TicketKind::ChangeRequest => TicketKind::ChangeRequest,
            wit::TicketKind::Problem => TicketKind::Problem,
            wit::TicketKind::Table(name) => TicketKind::Table(name),
        }
    }
}

impl From<TicketKind> for wit::TicketKind {
    fn from(kind: TicketKind) -> Self {
        match kind {
            TicketKind::Incident => wit::TicketKind::Incident,
            TicketKind::ChangeRequest => wit::TicketKind::ChangeRequest,
            TicketKind::Problem => wit::TicketKind::Problem,
            TicketKind::Table(name) => wit::TicketKind::Table(name),
        }
    }
}

fn raw_settings(s: wit::Settings, client_secret: String) -> RawSettings {
    RawSettings {
        instance: s.instance,
        client_id: s.client_id,
        client_secret,
        default_assignment_group: s.default_assignment_group,
        default_priority: s.default_priority.map(Into::into),
        ticket_categories: s
            .ticket_categories
            .into_iter()
            .map(|c| TicketCategory {
                event_category: c.event_category,
                kind: c.kind.into(),
                enabled: c.enabled,
            })
            .collect(),
        unlisted_category_kind: s.unlisted_category_kind.map(Into::into),
    }
}

impl From<wit::Ticket> for Ticket {
    fn from(t: wit::Ticket) -> Self {
        Ticket {
            event_category: t.event_category,
            title: t.title,
            description: t.description,
            priority: t.priority.map(Into::into),
            assignment_group: t.assignment_group,
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
            kind: r.kind.into(),
            table: r.table,
            sys_id: r.sys_id,
            number: r.number,
            link: r.link,
        }
    }
}

impl From<CreateOutcome> for wit::CreateOutcome {
    fn from(outcome: CreateOutcome) -> Self {
        match outcome {
            CreateOutcome::Created(record) => wit::CreateOutcome::Created(record.into()),
            CreateOutcome::Skipped(why) => wit::CreateOutcome::Skipped(why),
        }
    }
}

impl From<ConnectionReport> for wit::ConnectionReport {
    fn from(report: ConnectionReport) -> Self {
        wit::ConnectionReport {
            checks: report
                .checks
                .into_iter()
                .map(|c| wit::Check {
                    name: c.name.to_string(),
                    status: match c.status {
                        CheckStatus::Passed => wit::CheckStatus::Passed,
                        CheckStatus::Failed => wit::CheckStatus::Failed,
                        CheckStatus::Skipped => wit::CheckStatus::Skipped,
                    },
                    detail: c.detail,
                    remedy: c.remedy.map(str::to_string),
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
                ErrorKind::InvalidTable => wit::ErrorKind::InvalidTable,
                ErrorKind::NotFound => wit::ErrorKind::NotFound,
                ErrorKind::BadRequest => wit::ErrorKind::BadRequest,
                ErrorKind::RateLimited => wit::ErrorKind::RateLimited,
                ErrorKind::ServiceUnavailable => wit::ErrorKind::ServiceUnavailable,
                ErrorKind::UnexpectedResponse => wit::ErrorKind::UnexpectedResponse,
            },
            message: e.message,
            remedy: e.remedy.map(str::to_string),
            http_status: e.http_status,
            retry_after_seconds: e.retry_after_seconds,
        }
    }
}
