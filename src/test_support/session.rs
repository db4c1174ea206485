//! A session configured as most unit tests want it: one instance, client credentials, and
//! the `cost` events routed to incidents.

use crate::features::session::Session;
use crate::primitives::clock::ManualClock;
use crate::primitives::prelude::*;
use crate::servicenow::ticket_kind::TicketKind;
use crate::settings::validated::{RawSettings, TicketCategory};
use crate::test_support::transport::ScriptedTransport;

/// Client credentials on `dev1`, with `cost` events routed to incidents.
pub fn cost_incidents() -> RawSettings {
    RawSettings {
        ticket_categories: vec![TicketCategory {
            event_category: "cost".into(),
            kind: TicketKind::Incident,
            enabled: true,
            template: None,
        }],
        ..RawSettings::bare("dev1", "id", "secret")
    }
}

/// A session over the scripted transport and a manual clock, configured with `raw`.
pub fn session<'a>(
    transport: &'a ScriptedTransport,
    clock: &'a ManualClock,
    raw: RawSettings,
) -> Session<&'a ScriptedTransport, &'a ManualClock> {
    let mut session = Session::new(transport, clock);
    session.configure(raw).unwrap();
    session
}
