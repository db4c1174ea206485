//! A tenant's tickets: the contract's calls on them, one call into the instance each.

use anyhow::Result;

use super::guest_call::guest_call;
use super::host_error::host_error;
use super::lifecycle::Tenant;
use crate::api::log::Level;
use crate::api::{
    Attachment, ChangesPage, CommentKind, CreateOutcome, Error as ProviderError, ErrorKind,
    Resolution, ResolveOutcome, Ticket, TicketChanges, TicketDetails, TicketRef, UpdateResult,
};

impl Tenant {
    /// Opens a ticket for an event. Creates of this tenant with the same correlation id take
    /// turns across every instance of this host, so the second finds the first's ticket.
    pub async fn create_ticket(
        &mut self,
        ticket: &Ticket,
    ) -> Result<Result<CreateOutcome, ProviderError>> {
        let correlation_id = ticket.correlation_id.as_deref().map(str::trim);
        let _turn = match correlation_id {
            Some(id) if !id.is_empty() => Some(self.host.create_turn(&self.id, id).await),
            _ => None,
        };
        guest_call!(self, call_create_ticket(ticket))
    }

    /// A ticket as it stands in the ticketing system, by its id or display id.
    pub async fn get_ticket(
        &mut self,
        ticket: &TicketRef,
    ) -> Result<Result<TicketDetails, ProviderError>> {
        guest_call!(self, call_get_ticket(ticket))
    }

    /// Changes a ticket's priority, team, title, description or other fields; the answer
    /// names what the ticketing system did not store as sent.
    pub async fn update_ticket(
        &mut self,
        ticket: &TicketRef,
        changes: &TicketChanges,
    ) -> Result<Result<UpdateResult, ProviderError>> {
        guest_call!(self, call_update_ticket(ticket, changes))
    }

    /// Adds a comment: internal (for the support team) or public.
    pub async fn add_comment(
        &mut self,
        ticket: &TicketRef,
        kind: CommentKind,
        text: &str,
    ) -> Result<Result<(), ProviderError>> {
        guest_call!(self, call_add_comment(ticket, kind, text))
    }

    /// Resolves (or closes) a ticket with a resolution code and notes; one that is done
    /// already, or not there, is said so, not an error.
    pub async fn resolve_ticket(
        &mut self,
        ticket: &TicketRef,
        resolution: &Resolution,
    ) -> Result<Result<ResolveOutcome, ProviderError>> {
        guest_call!(self, call_resolve_ticket(ticket, resolution))
    }

    /// Resolves the ticket this integration opened for an event, found by its category and
    /// correlation id, when the event recovers.
    pub async fn resolve_by_correlation(
        &mut self,
        event_category: &str,
        correlation_id: &str,
        resolution: &Resolution,
    ) -> Result<Result<ResolveOutcome, ProviderError>> {
        guest_call!(
            self,
            call_resolve_by_correlation(event_category, correlation_id, resolution)
        )
    }

    /// This integration's tickets changed after `cursor` (none: start from now), a page at a
    /// time; call again with the page's cursor, at once while `more` is true. The platform
    /// stores the cursor as given.
    pub async fn changes_since(
        &mut self,
        cursor: Option<&str>,
    ) -> Result<Result<ChangesPage, ProviderError>> {
        guest_call!(self, call_changes_since(cursor))
    }

    /// Attaches a file to a ticket. A file larger than this host lets a tenant send in one
    /// request (`SandboxLimits::max_request_body`) is refused here, before it is copied into
    /// the tenant's memory (where a file larger than that memory would trap the call); the
    /// component refuses what is over its own cap before sending.
    pub async fn attach_file(
        &mut self,
        ticket: &TicketRef,
        file_name: &str,
        content_type: &str,
        content: &[u8],
    ) -> Result<Result<Attachment, ProviderError>> {
        let cap = self.host.limits().max_request_body;
        if content.len() as u64 > cap {
            let message = format!(
                "the file is {} bytes, more than the {cap} bytes the platform's sandbox lets \
                 a tenant send in one request",
                content.len()
            );
            let refused = host_error(ErrorKind::InvalidTicket, message, None, None);
            self.log.host_note(Level::Warn, &refused.message);
            return Ok(Err(refused));
        }
        guest_call!(
            self,
            call_attach_file(ticket, file_name, content_type, content)
        )
    }
}
