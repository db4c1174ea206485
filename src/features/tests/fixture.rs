//! What the provider's tests share: settings, a ticket, a provider over the scripted
//! transport, and looks at what was sent.

use crate::primitives::prelude::*;

use crate::features::diagnosis::{Check, CheckId, ConnectionReport};
use crate::features::provider::Provider;
use crate::primitives::clock::ManualClock;
use crate::servicenow::auth::AuthMethod;
use crate::servicenow::rows::sys_id;
use crate::servicenow::ticket_kind::{Priority, TicketKind};
use crate::servicenow::ticket_write::Ticket;
use crate::settings::validated::{ClosedMatch, TicketCategory};
use crate::settings::validated::{RawSettings, Settings};
use crate::test_support::transport::*;
use serde_json::Value;

pub(super) const GROUP: &str = "287ebd7da9fe198100f92cc8d1d2154e";

pub(super) const CREATED: &str =
    r#"{"result":{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001"}}"#;

pub(super) fn raw() -> RawSettings {
    RawSettings {
        default_priority: Some(Priority::Low),
        ticket_categories: vec![
            TicketCategory {
                event_category: "cost".into(),
                kind: TicketKind::Incident,
                enabled: true,
                template: None,
            },
            TicketCategory {
                event_category: "paused".into(),
                kind: TicketKind::Incident,
                enabled: false,
                template: None,
            },
        ],
        unlisted_category_kind: None,
        on_closed_match: ClosedMatch::OpenNew,
        ..RawSettings::bare("dev1", "id", "secret")
    }
}

pub(super) fn ticket() -> Ticket {
    Ticket {
        event_category: "cost".into(),
        title: "Idle VM".into(),
        description: "".into(),
        priority: None,
        assignment_group: None,
        correlation_id: None,
        extra_fields: vec![],
        resource: None,
        affected_resources: vec![],
    }
}

/// A provider configured with [`raw`].
pub(super) fn provider<'a>(
    transport: &'a ScriptedTransport,
    clock: &'a ManualClock,
) -> Provider<&'a ScriptedTransport, &'a ManualClock> {
    crate::test_support::provider::provider(transport, clock, raw())
}

/// `let`s a scripted transport named `$transport` and a provider `$p` configured with
/// `$settings` over it and a manual clock, for the rest of the enclosing block.
macro_rules! scripted {
    ($transport:ident, $p:ident, $settings:expr) => {
        let $transport = crate::test_support::transport::ScriptedTransport::default();
        let clock = crate::primitives::clock::ManualClock::default();
        let mut $p = crate::test_support::provider::provider(&$transport, &clock, $settings);
    };
}
pub(super) use scripted;

/// The check `id` of a Test Connection report.
pub(super) fn report_check(report: &ConnectionReport, id: CheckId) -> &Check {
    report
        .checks
        .iter()
        .find(|c| c.id == id)
        .expect("the report has the check")
}

/// The JSON body of the `index`-th request sent.
pub(super) fn sent_json(transport: &ScriptedTransport, index: usize) -> Value {
    serde_json::from_slice(&transport.sent()[index].body).expect("a JSON body")
}

pub(super) fn count(transport: &ScriptedTransport, path: &str) -> usize {
    transport
        .sent()
        .iter()
        .filter(|r| r.url.contains(path))
        .count()
}

/// A query's answer that found nothing.
pub(super) const NONE: &str = r#"{"result":[]}"#;

pub(super) const OPEN: &str = r#"{"result":[{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001","state":"2","active":"true","correlation_id":"c-1","correlation_display":"Cloud ex Machina"}]}"#;

pub(super) const CLOSED: &str = r#"{"result":[{"sys_id":"0123456789abcdef0123456789abcdef","number":"INC0010001","state":"7","active":"false","correlation_id":"c-1","correlation_display":"Cloud ex Machina"}]}"#;

pub(super) fn correlated() -> Ticket {
    let mut t = ticket();
    t.correlation_id = Some("c-1".into());
    t
}

/// Settings for another way in: `method` with its own credentials.
pub(super) fn with_method(method: AuthMethod) -> RawSettings {
    RawSettings {
        auth_method: method,
        username: "cxm_integration".into(),
        password: "pa55-word".into(),
        api_key: "key-0123456789abcdef".into(),
        ..raw()
    }
}
