//! The contract's types, as the platform sees them.

pub use crate::bindings::cxm::ticketing::types::*;

impl Setting {
    /// A text, address or choice value.
    pub fn text(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: SettingValue::Text(value.into()),
        }
    }

    /// A flag value: yes or no.
    pub fn flag(key: impl Into<String>, on: bool) -> Self {
        Self {
            key: key.into(),
            value: SettingValue::Flag(on),
        }
    }

    /// A ticket-categories value: the routing table of the settings form.
    pub fn ticket_categories(key: impl Into<String>, rows: Vec<TicketCategory>) -> Self {
        Self {
            key: key.into(),
            value: SettingValue::TicketCategories(rows),
        }
    }
}

impl Ticket {
    /// A ticket for an event of `event_category`: no description, priority, group,
    /// correlation id, extra field or resource, each set with struct update syntax where wanted.
    pub fn new(event_category: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            event_category: event_category.into(),
            title: title.into(),
            description: String::new(),
            priority: None,
            assignment_group: None,
            correlation_id: None,
            extra_fields: Vec::new(),
            resource: None,
            affected_resources: Vec::new(),
        }
    }
}

impl TicketCategory {
    /// A route: events of `event_category` become tickets of `kind`, when enabled.
    pub fn new(event_category: impl Into<String>, kind: impl Into<String>, enabled: bool) -> Self {
        Self {
            event_category: event_category.into(),
            kind: kind.into(),
            enabled,
            template: None,
        }
    }

    /// The same route, its tickets opened from a template (by name or id).
    pub fn from_template(mut self, template: impl Into<String>) -> Self {
        self.template = Some(template.into());
        self
    }
}

/// The records of the component's `log` interface.
pub mod log {
    pub use crate::bindings::cxm::ticketing::log::{Exchange, Level};
}
