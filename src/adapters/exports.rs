//! The component's exports: the tenant's state, and each call of the contract handed to the
//! provider.

use crate::primitives::prelude::*;

use core::cell::{RefCell, RefMut};

use crate::adapters::bindings::cxm::ticketing::types as wit;
use crate::adapters::bindings::exports::cxm::ticketing::ticketing_provider::Guest;
use crate::adapters::clock::SystemClock;
use crate::adapters::convert::{describe, ticket, ticket_ref, values};
use crate::adapters::host_log::HostLog;
use crate::adapters::transport::WasiHttpTransport;
use crate::features::provider::Provider;
use crate::settings::form;

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
    call(&mut tenant_provider())
}

/// The tenant's provider, made on the first call: one copy of that code, not one per export.
#[inline(never)]
fn tenant_provider() -> RefMut<'static, TenantProvider> {
    RefMut::map(PROVIDER.0.borrow_mut(), |state| {
        state.get_or_insert_with(|| {
            Provider::new(WasiHttpTransport, SystemClock::default()).with_log(Box::new(HostLog))
        })
    })
}

struct Component;

impl Guest for Component {
    fn describe() -> wit::ProviderInfo {
        describe()
    }

    fn validate_field(key: String, value: wit::SettingValue) -> Result<(), wit::Error> {
        Ok(form::validate_field(&key, value.into())?)
    }

    fn configure(settings: Vec<wit::Setting>, secrets: Vec<wit::Secret>) -> Result<(), wit::Error> {
        let values = values(settings, secrets);
        with_provider(|p| {
            let raw = form::raw_settings(values, p.settings())?;
            Ok(p.configure(raw)?)
        })
    }

    fn test_connection(candidate: Option<wit::Candidate>) -> wit::ConnectionReport {
        with_provider(|p| {
            match candidate {
                None => p.test_connection(),
                Some(c) => {
                    let raw = form::raw_settings(values(c.settings, c.secrets), p.settings());
                    p.test_candidate(raw)
                }
            }
            .into()
        })
    }

    fn create_ticket(new: wit::Ticket) -> Result<wit::CreateOutcome, wit::Error> {
        with_provider(|p| {
            p.create_ticket(ticket(new)?)
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
        with_provider(|p| {
            p.add_comment(&ticket_ref(ticket)?, kind.into(), &text)
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

    fn changes_since(cursor: Option<String>) -> Result<wit::ChangesPage, wit::Error> {
        with_provider(|p| {
            p.changes_since(cursor.as_deref())
                .map(Into::into)
                .map_err(Into::into)
        })
    }

    fn attach_file(
        ticket: wit::TicketRef,
        file_name: String,
        content_type: String,
        content: Vec<u8>,
    ) -> Result<wit::Attachment, wit::Error> {
        with_provider(|p| {
            p.attach_file(&ticket_ref(ticket)?, &file_name, &content_type, &content)
                .map(Into::into)
                .map_err(Into::into)
        })
    }

    fn hibernate() -> Vec<u8> {
        with_provider(|p| p.hibernate())
    }

    fn resume(carried: Vec<u8>) {
        with_provider(|p| p.resume(&carried));
    }
}

crate::adapters::bindings::export!(Component with_types_in crate::adapters::bindings);
