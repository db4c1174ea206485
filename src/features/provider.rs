//! One tenant's provider: its session with the instance, and each call of the contract handed
//! to the feature that answers it. The exports hold one; the tests drive one.

use crate::primitives::prelude::*;

use crate::features::attachments::{self, Attachment};
use crate::features::changes_since;
use crate::features::connection;
use crate::features::create;
use crate::features::diagnosis::ConnectionReport;
use crate::features::lifecycle::{self, CommentKind, Resolution, ResolveOutcome, UpdateResult};
use crate::features::session::Session;
use crate::primitives::clock::Clock;
use crate::primitives::error::Result;
use crate::primitives::http::Transport;
use crate::primitives::log::Log;
use crate::servicenow::ticket::{CreateOutcome, TicketDetails, TicketRef};
use crate::servicenow::ticket_change::ChangesPage;
use crate::servicenow::ticket_write::{Ticket, TicketChanges};
use crate::settings::validated::{RawSettings, Settings};

pub struct Provider<T, C> {
    session: Session<T, C>,
}

impl<T: Transport, C: Clock> Provider<T, C> {
    pub fn new(transport: T, clock: C) -> Self {
        Self {
            session: Session::new(transport, clock),
        }
    }

    /// Where the provider reports its exchanges with ServiceNow.
    pub fn with_log(self, log: Box<dyn Log>) -> Self {
        Self {
            session: self.session.with_log(log),
        }
    }

    /// Validates and stores the settings; on error the previous ones stay in force.
    pub fn configure(&mut self, raw: RawSettings) -> Result<()> {
        self.session.configure(raw)
    }

    /// The settings in force, if configured.
    pub fn settings(&self) -> Option<&Settings> {
        self.session.settings()
    }

    /// What the next instance of this tenant takes back (see `docs/contract.md`).
    pub fn hibernate(&self) -> Vec<u8> {
        self.session.carry_token()
    }

    /// Takes back what an earlier instance's [`Provider::hibernate`] gave, when still good.
    pub fn resume(&mut self, carried: &[u8]) {
        self.session.resume_token(carried);
    }

    pub fn test_connection(&mut self) -> ConnectionReport {
        connection::test_connection(&mut self.session)
    }

    pub fn test_candidate(&mut self, candidate: Result<RawSettings>) -> ConnectionReport {
        connection::test_candidate(&mut self.session, candidate)
    }

    pub fn create_ticket(&mut self, ticket: Ticket) -> Result<CreateOutcome> {
        create::create_ticket(&mut self.session, ticket)
    }

    pub fn get_ticket(&mut self, reference: &TicketRef) -> Result<TicketDetails> {
        lifecycle::get_ticket(&mut self.session, reference)
    }

    pub fn update_ticket(
        &mut self,
        reference: &TicketRef,
        changes: &TicketChanges,
    ) -> Result<UpdateResult> {
        lifecycle::update_ticket(&mut self.session, reference, changes)
    }

    pub fn add_comment(
        &mut self,
        reference: &TicketRef,
        kind: CommentKind,
        comment: &str,
    ) -> Result<()> {
        lifecycle::add_comment(&mut self.session, reference, kind, comment)
    }

    pub fn resolve_ticket(
        &mut self,
        reference: &TicketRef,
        resolution: &Resolution,
    ) -> Result<ResolveOutcome> {
        lifecycle::resolve_ticket(&mut self.session, reference, resolution)
    }

    pub fn resolve_by_correlation(
        &mut self,
        event_category: &str,
        correlation_id: &str,
        resolution: &Resolution,
    ) -> Result<ResolveOutcome> {
        lifecycle::resolve_by_correlation(
            &mut self.session,
            event_category,
            correlation_id,
            resolution,
        )
    }

    pub fn changes_since(&mut self, cursor: Option<&str>) -> Result<ChangesPage> {
        changes_since::changes_since(&mut self.session, cursor)
    }

    pub fn attach_file(
        &mut self,
        reference: &TicketRef,
        file_name: &str,
        content_type: &str,
        content: &[u8],
    ) -> Result<Attachment> {
        attachments::attach_file(
            &mut self.session,
            reference,
            file_name,
            content_type,
            content,
        )
    }
}
