//! Conversions between the WIT types and the domain's.

use crate::primitives::prelude::*;

use crate::adapters::bindings::cxm::ticketing::types as wit;
use crate::features::attachments::Attachment;
use crate::features::diagnosis::{CheckStatus, ConnectionReport, with_check_statuses};
use crate::features::lifecycle::{CommentKind, Resolution, ResolveOutcome, UpdateResult};
use crate::primitives::error::{Error, ErrorKind, with_error_kinds};
use crate::primitives::ids::AssignmentGroup;
use crate::servicenow::cloud_resource::{CloudResource, ConfigurationItem, ResourceInput};
use crate::servicenow::not_applied::NotApplied;
use crate::servicenow::ticket::{
    CreateOutcome, TicketDetails, TicketRecord, TicketRef, WrittenTicket,
};
use crate::servicenow::ticket_change::{ChangesPage, Comment, TicketChange};
use crate::servicenow::ticket_kind::{Priority, TicketKind, with_priorities};
use crate::servicenow::ticket_write::{Ticket, TicketChanges};
use crate::settings::fields::{self, FieldKind, with_field_kinds};
use crate::settings::form::{self, CategoryValue, Value, Values};

pub fn describe() -> wit::ProviderInfo {
    let choices = |choices: &[fields::Choice]| {
        choices
            .iter()
            .map(|c| wit::Choice {
                value: c.value.into(),
                label: c.label.into(),
                help: c.help.map(Into::into),
            })
            .collect()
    };
    wit::ProviderInfo {
        name: "ServiceNow".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        capabilities: vec![
            wit::Capability::TestConnection,
            wit::Capability::CreateTicket,
            wit::Capability::GetTicket,
            wit::Capability::UpdateTicket,
            wit::Capability::AddComment,
            wit::Capability::ResolveTicket,
            wit::Capability::ResolveByCorrelation,
            wit::Capability::ChangesSince,
            wit::Capability::AttachFile,
        ],
        ticket_kinds: choices(fields::TICKET_KINDS),
        other_ticket_kinds: true,
        settings: fields::FIELDS
            .iter()
            .map(|f| wit::SettingField {
                key: f.key.into(),
                label: f.label.into(),
                help: f.help.into(),
                kind: f.kind.into(),
                required: f.required,
                default: f.default.map(Into::into),
                choices: choices(f.choices),
                auth_methods: f.auth_methods.iter().map(|m| (*m).into()).collect(),
            })
            .collect(),
    }
}

pub fn values(settings: Vec<wit::Setting>, secrets: Vec<wit::Secret>) -> Values {
    Values {
        settings: settings
            .into_iter()
            .map(|s| (s.key, s.value.into()))
            .collect(),
        secrets: secrets.into_iter().map(|s| (s.key, s.value)).collect(),
    }
}

impl From<wit::SettingValue> for Value {
    fn from(value: wit::SettingValue) -> Self {
        match value {
            wit::SettingValue::Text(text) => Value::Text(text),
            wit::SettingValue::TextList(list) => Value::TextList(list),
            wit::SettingValue::Flag(flag) => Value::Flag(flag),
            wit::SettingValue::TicketCategories(rows) => Value::TicketCategories(
                rows.into_iter()
                    .map(|c| CategoryValue {
                        event_category: c.event_category,
                        kind: c.kind,
                        enabled: c.enabled,
                        template: c.template,
                    })
                    .collect(),
            ),
        }
    }
}

/// The priority scale both ways, from its one list.
macro_rules! wit_priority {
    ($($priority:ident = $number:literal, $impact_urgency:expr, $form:literal, $label:literal;)*) => {
        impl From<wit::Priority> for Priority {
            fn from(p: wit::Priority) -> Self {
                match p {
                    $(wit::Priority::$priority => Priority::$priority,)*
                }
            }
        }

        impl From<Priority> for wit::Priority {
            fn from(p: Priority) -> Self {
                match p {
                    $(Priority::$priority => wit::Priority::$priority,)*
                }
            }
        }
    };
}

with_priorities!(wit_priority);

/// ServiceNow's derived priority on the platform's scale.
fn priority(value: &str) -> Option<wit::Priority> {
    Priority::from_servicenow(value).map(Into::into)
}

impl From<wit::CommentKind> for CommentKind {
    fn from(kind: wit::CommentKind) -> Self {
        match kind {
            wit::CommentKind::Internal => CommentKind::WorkNote,
            wit::CommentKind::Public => CommentKind::CustomerVisible,
        }
    }
}

/// The platform's ticket, its resources checked where they enter.
pub fn ticket(t: wit::Ticket) -> Result<Ticket, wit::Error> {
    let resource = t.resource.map(cloud_resource).transpose()?;
    let mut affected_resources = Vec::new();
    for r in t.affected_resources {
        affected_resources.push(cloud_resource(r)?);
    }
    Ok(Ticket {
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
        resource,
        affected_resources,
    })
}

fn cloud_resource(r: wit::CloudResource) -> Result<CloudResource, Error> {
    CloudResource::parse(ResourceInput {
        provider: r.provider,
        account: r.account,
        region: r.region,
        resource_id: r.resource_id,
        display_name: r.display_name,
    })
}

fn configuration_item(item: Option<ConfigurationItem>) -> Option<wit::ConfigurationItem> {
    item.map(|c| wit::ConfigurationItem {
        id: c.sys_id.as_str().to_string(),
        name: c.name,
    })
}

fn not_applied(list: Vec<NotApplied>) -> Vec<wit::NotApplied> {
    list.into_iter()
        .map(|n| wit::NotApplied {
            field: n.field,
            reason: n.reason,
        })
        .collect()
}

impl From<TicketRecord> for wit::TicketRecord {
    fn from(r: TicketRecord) -> Self {
        wit::TicketRecord {
            kind: r.kind.table().to_string(),
            id: r.sys_id.as_str().to_string(),
            display_id: r.number,
            link: r.link,
        }
    }
}

impl From<WrittenTicket> for wit::WrittenTicket {
    fn from(w: WrittenTicket) -> Self {
        wit::WrittenTicket {
            ticket: w.ticket.into(),
            configuration_item: configuration_item(w.configuration_item),
            not_applied: not_applied(w.not_applied),
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

pub fn ticket_ref(r: wit::TicketRef) -> Result<TicketRef, wit::Error> {
    let kind: TicketKind = form::ticket_kind(&r.kind).ok_or_else(|| {
        Error::invalid_ticket(format!(
            "the ticket kind {:?} is not incident, change_request, problem or a ServiceNow \
             table name",
            r.kind
        ))
    })?;
    Ok(TicketRef::parse(kind, &r.id)?)
}

impl From<TicketDetails> for wit::TicketDetails {
    fn from(d: TicketDetails) -> Self {
        let fields = d
            .shown_fields()
            .into_iter()
            .map(|(name, value)| wit::Field {
                name: name.into(),
                value,
            })
            .collect();
        wit::TicketDetails {
            ticket: d.ticket.into(),
            status: wit::TicketStatus {
                value: d.state,
                label: d.state_label,
                done: d.done,
            },
            priority: priority(&d.priority),
            assignment_group: d.assignment_group,
            title: d.short_description,
            correlation_id: d.correlation_id,
            configuration_item: configuration_item(d.configuration_item),
            fields,
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
            short_description: c.title,
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
            not_applied: not_applied(u.not_applied),
        }
    }
}

impl From<wit::Resolution> for Resolution {
    fn from(r: wit::Resolution) -> Self {
        Resolution {
            close_code: r.code,
            close_notes: r.notes,
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

impl From<Attachment> for wit::Attachment {
    fn from(a: Attachment) -> Self {
        wit::Attachment {
            id: a.sys_id.as_str().to_string(),
            file_name: a.file_name,
            content_type: a.content_type,
            size_bytes: a.size_bytes,
            link: a.link,
        }
    }
}

impl From<ChangesPage> for wit::ChangesPage {
    fn from(page: ChangesPage) -> Self {
        wit::ChangesPage {
            changes: page.changes.into_iter().map(Into::into).collect(),
            cursor: page.cursor,
            more: page.more,
        }
    }
}

impl From<TicketChange> for wit::TicketChange {
    fn from(c: TicketChange) -> Self {
        wit::TicketChange {
            ticket: c.ticket.into(),
            updated_at: c.updated_at.as_str().to_string(),
            updated_by: c.updated_by,
            status: wit::TicketStatus {
                value: c.state,
                label: c.state_label,
                done: c.done,
            },
            priority: priority(&c.priority),
            assignment_group: c.assignment_group,
            configuration_item: configuration_item(c.configuration_item),
            comments: c.comments.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<Comment> for wit::Comment {
    fn from(c: Comment) -> Self {
        wit::Comment {
            id: c.id.as_str().to_string(),
            kind: if c.internal {
                wit::CommentKind::Internal
            } else {
                wit::CommentKind::Public
            },
            author: c.author,
            created_at: c.created_at.as_str().to_string(),
            text: c.text,
        }
    }
}

macro_rules! wit_field_kind {
    ($($kind:ident),*) => {
        impl From<FieldKind> for wit::FieldKind {
            fn from(kind: FieldKind) -> Self {
                match kind {
                    $(FieldKind::$kind => wit::FieldKind::$kind,)*
                }
            }
        }
    };
}

with_field_kinds!(wit_field_kind);

macro_rules! wit_check_status {
    ($($status:ident),*) => {
        impl From<CheckStatus> for wit::CheckStatus {
            fn from(status: CheckStatus) -> Self {
                match status {
                    $(CheckStatus::$status => wit::CheckStatus::$status,)*
                }
            }
        }
    };
}

with_check_statuses!(wit_check_status);

impl From<ConnectionReport> for wit::ConnectionReport {
    fn from(report: ConnectionReport) -> Self {
        wit::ConnectionReport {
            passed: report.passed,
            checks: report
                .checks
                .into_iter()
                .map(|c| wit::Check {
                    id: c.id.key().into(),
                    label: c.id.label().into(),
                    status: c.status.into(),
                    detail: c.detail,
                    remedy: c.remedy.map(|r| r.text.to_string()),
                    guide_step: c.remedy.and_then(|r| r.step).map(str::to_string),
                })
                .collect(),
        }
    }
}

/// The contract's error kinds, from the one list of them.
macro_rules! wit_error_kind {
    ($($kind:ident = $wit:literal,)*) => {
        impl From<ErrorKind> for wit::ErrorKind {
            fn from(kind: ErrorKind) -> Self {
                match kind {
                    $(ErrorKind::$kind => wit::ErrorKind::$kind,)*
                }
            }
        }
    };
}

with_error_kinds!(wit_error_kind);

impl From<Error> for wit::Error {
    fn from(e: Error) -> Self {
        wit::Error {
            kind: e.kind.into(),
            message: e.message,
            field: e.field.map(Into::into),
            remedy: e.remedy.map(|r| r.text.to_string()),
            guide_step: e.remedy.and_then(|r| r.step).map(str::to_string),
            http_status: e.http_status,
            retry_after_seconds: e.retry_after_seconds,
        }
    }
}
