//! How the CLI shows results: a checklist and sentences for people, JSON for machines.

use std::fmt::Write;

use serde_json::{Value, json};

mod tenant_log;
pub use tenant_log::log;
/// Text from the component (and through it, from the instance) as the terminal gets it:
/// no control character (an escape sequence could rewrite the screen), no direction
/// override, no line of its own.
pub use ticketing_host::printable;

use ticketing_host::api::{
    Attachment, ChangesPage, CheckStatus, CommentKind, ConfigurationItem, ConnectionReport,
    CreateOutcome, Error, NotApplied, ProviderInfo, ResolveOutcome, TicketChange, TicketDetails,
    TicketRecord, UpdateResult,
};

/// A check's name for people: "table access" for `table-access`.
fn check_label(id: &str) -> String {
    printable(&id.replace('-', " "))
}

pub fn report(report: &ConnectionReport) -> String {
    let labels: Vec<String> = report.checks.iter().map(|c| check_label(&c.id)).collect();
    let width = labels.iter().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for (check, label) in report.checks.iter().zip(&labels) {
        let mark = match check.status {
            CheckStatus::Passed => '✓',
            CheckStatus::Failed => '✗',
            CheckStatus::Skipped => '–',
        };
        let _ = writeln!(out, "  {mark} {label:width$}  {}", printable(&check.detail));
        if let Some(remedy) = &check.remedy {
            let _ = writeln!(out, "      → {}", printable(remedy));
        }
        if let Some(step) = &check.guide_step {
            let _ = writeln!(out, "        (setup guide: {})", printable(step));
        }
    }
    let verdict = if report.passed {
        "Test Connection passed"
    } else {
        "Test Connection failed"
    };
    let _ = writeln!(out, "  {verdict}");
    out
}

/// The report as the contract has it: the component's verdict and each check by id.
pub fn report_json(report: &ConnectionReport) -> Value {
    json!({
        "passed": report.passed,
        "checks": report.checks.iter().map(|c| json!({
            "id": c.id,
            "label": c.label,
            "status": c.status.name(),
            "detail": c.detail,
            "remedy": c.remedy,
            "guide_step": c.guide_step,
        })).collect::<Vec<_>>(),
    })
}

/// A ticket kind for people: "change request" for `change_request`, "u_finding record" for
/// another table.
pub fn kind(kind: &str) -> String {
    match kind {
        "incident" | "problem" => kind.into(),
        "change_request" => "change request".into(),
        table => format!("{} record", printable(table)),
    }
}

pub fn not_applied(fields: &[NotApplied]) -> String {
    let mut out = String::new();
    for field in fields {
        let _ = write!(
            out,
            "\n  Not applied: {}: {}",
            printable(&field.field),
            printable(&field.reason)
        );
    }
    out
}

fn not_applied_json(fields: &[NotApplied]) -> Value {
    fields
        .iter()
        .map(|f| json!({"field": f.field, "reason": f.reason}))
        .collect()
}

/// The configuration item line: linked, or nothing.
pub fn configuration_item(item: Option<&ConfigurationItem>) -> String {
    item.map_or_else(String::new, |ci| {
        format!(
            "\n  Configuration item: {} ({})",
            printable(&ci.name),
            printable(&ci.id)
        )
    })
}

fn configuration_item_json(item: Option<&ConfigurationItem>) -> Value {
    item.map_or(Value::Null, |ci| json!({"id": ci.id, "name": ci.name}))
}

pub fn outcome(outcome: &CreateOutcome) -> String {
    match outcome {
        CreateOutcome::Created(written) => format!(
            "Created {} {}\n  {}{}{}",
            kind(&written.ticket.kind),
            printable(&written.ticket.display_id),
            printable(&written.ticket.link),
            configuration_item(written.configuration_item.as_ref()),
            not_applied(&written.not_applied)
        ),
        CreateOutcome::Existing(record) => format!(
            "Already open: {} {} carries this correlation id; added a work note to it\n  {}",
            kind(&record.kind),
            printable(&record.display_id),
            printable(&record.link)
        ),
        CreateOutcome::Reopened(record) => format!(
            "Reopened {} {} for the recurring event\n  {}",
            kind(&record.kind),
            printable(&record.display_id),
            printable(&record.link)
        ),
        CreateOutcome::Skipped(why) => format!("No ticket: {}", printable(why)),
    }
}

/// A field of the ticket's `fields`, empty when absent.
fn field<'a>(d: &'a TicketDetails, name: &str) -> &'a str {
    d.fields
        .iter()
        .find(|f| f.name == name)
        .map_or("", |f| f.value.as_str())
}

pub fn details(d: &TicketDetails) -> String {
    format!(
        "{} {}: {}\n  state {} ({}{}), priority {}, impact {}, urgency {}, assignment group {}\n  {}{}",
        kind(&d.ticket.kind),
        printable(&d.ticket.display_id),
        printable(&d.title),
        printable(&d.status.label),
        printable(&d.status.value),
        if d.status.done { ", done" } else { "" },
        printable(or_none(field(d, "priority"))),
        printable(or_none(field(d, "impact"))),
        printable(or_none(field(d, "urgency"))),
        printable(or_none(&d.assignment_group)),
        printable(&d.ticket.link),
        configuration_item(d.configuration_item.as_ref())
    )
}

fn or_none(value: &str) -> &str {
    if value.is_empty() { "none" } else { value }
}

pub fn details_json(d: &TicketDetails) -> Value {
    json!({
        "ticket": record_json(&d.ticket),
        "status": {"value": d.status.value, "label": d.status.label, "done": d.status.done},
        "priority": d.priority.map(|p| p.name()),
        "assignment_group": d.assignment_group,
        "title": d.title,
        "correlation_id": d.correlation_id,
        "configuration_item": configuration_item_json(d.configuration_item.as_ref()),
        "fields": d.fields.iter().map(|f| (f.name.clone(), Value::from(f.value.clone())))
            .collect::<serde_json::Map<_, _>>(),
    })
}

pub fn update(result: &UpdateResult) -> String {
    format!(
        "Updated {}{}",
        details(&result.ticket),
        not_applied(&result.not_applied)
    )
}

pub fn update_json(result: &UpdateResult) -> Value {
    json!({"ticket": details_json(&result.ticket), "not_applied": not_applied_json(&result.not_applied)})
}

pub fn resolve(outcome: &ResolveOutcome) -> String {
    match outcome {
        ResolveOutcome::Resolved(d) => format!("Resolved {}", details(d)),
        ResolveOutcome::AlreadyResolved(d) => {
            format!("Nothing to do, already done: {}", details(d))
        }
        ResolveOutcome::NotFound(why) => format!("Nothing to resolve: {}", printable(why)),
    }
}

pub fn resolve_json(outcome: &ResolveOutcome) -> Value {
    match outcome {
        ResolveOutcome::Resolved(d) => json!({"resolved": details_json(d)}),
        ResolveOutcome::AlreadyResolved(d) => json!({"already_resolved": details_json(d)}),
        ResolveOutcome::NotFound(why) => json!({"not_found": why}),
    }
}

pub fn attachment(a: &Attachment) -> String {
    format!(
        "Attached {} ({} bytes, {})\n  {}",
        printable(&a.file_name),
        a.size_bytes,
        printable(&a.content_type),
        printable(&a.link)
    )
}

pub fn attachment_json(a: &Attachment) -> Value {
    json!({"attachment": {
        "id": a.id,
        "file_name": a.file_name,
        "content_type": a.content_type,
        "size_bytes": a.size_bytes,
        "link": a.link,
    }})
}

/// One change for people: where the ticket stands now, then each comment added since.
pub fn change(c: &TicketChange) -> String {
    let mut out = format!(
        "{} {} {} ({}{}), priority {}, assignment group {}; updated {} by {}\n  {}",
        kind(&c.ticket.kind),
        printable(&c.ticket.display_id),
        printable(&c.status.label),
        printable(&c.status.value),
        if c.status.done { ", done" } else { "" },
        c.priority.map_or("none", |p| p.name()),
        printable(or_none(&c.assignment_group)),
        printable(&c.updated_at),
        printable(&c.updated_by),
        printable(&c.ticket.link)
    );
    out.push_str(&configuration_item(c.configuration_item.as_ref()));
    for comment in &c.comments {
        let what = match comment.kind {
            CommentKind::Internal => "work note",
            CommentKind::Public => "comment",
        };
        let _ = write!(
            out,
            "\n  {} {} by {}: {}",
            printable(&comment.created_at),
            what,
            printable(&comment.author),
            printable(&comment.text)
        );
    }
    out
}

pub fn changes_json(page: &ChangesPage) -> Value {
    json!({
        "changes": page.changes.iter().map(|c| json!({
            "ticket": record_json(&c.ticket),
            "updated_at": c.updated_at,
            "updated_by": c.updated_by,
            "status": {"value": c.status.value, "label": c.status.label, "done": c.status.done},
            "priority": c.priority.map(|p| p.name()),
            "assignment_group": c.assignment_group,
            "configuration_item": configuration_item_json(c.configuration_item.as_ref()),
            "comments": c.comments.iter().map(|comment| json!({
                "id": comment.id,
                "kind": match comment.kind {
                    CommentKind::Internal => "internal",
                    CommentKind::Public => "public",
                },
                "author": comment.author,
                "created_at": comment.created_at,
                "text": comment.text,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "cursor": page.cursor,
        "more": page.more,
    })
}

fn record_json(record: &TicketRecord) -> Value {
    json!({
        "kind": record.kind,
        "id": record.id,
        "display_id": record.display_id,
        "link": record.link,
    })
}

pub fn outcome_json(outcome: &CreateOutcome) -> Value {
    match outcome {
        CreateOutcome::Created(w) => {
            json!({
                "created": record_json(&w.ticket),
                "configuration_item": configuration_item_json(w.configuration_item.as_ref()),
                "not_applied": not_applied_json(&w.not_applied),
            })
        }
        CreateOutcome::Existing(record) => json!({"existing": record_json(record)}),
        CreateOutcome::Reopened(record) => json!({"reopened": record_json(record)}),
        CreateOutcome::Skipped(why) => json!({"skipped": why}),
    }
}

pub fn error(error: &Error) -> String {
    let mut out = format!(
        "Error ({}): {}",
        error.kind.name(),
        printable(&error.message)
    );
    if let Some(status) = error.http_status {
        let _ = write!(out, " [HTTP {status}]");
    }
    if let Some(field) = &error.field {
        let _ = write!(out, "\n  Setting: {}", printable(field));
    }
    if let Some(seconds) = error.retry_after_seconds {
        let _ = write!(out, "\n  Retry after {seconds} s.");
    }
    if let Some(remedy) = &error.remedy {
        let _ = write!(out, "\n  → {}", printable(remedy));
    }
    if let Some(step) = &error.guide_step {
        let _ = write!(out, "\n    (setup guide: {})", printable(step));
    }
    out
}

pub fn error_json(error: &Error) -> Value {
    json!({
        "error": {
            "kind": error.kind.name(),
            "message": error.message,
            "field": error.field,
            "remedy": error.remedy,
            "guide_step": error.guide_step,
            "http_status": error.http_status,
            "retry_after_seconds": error.retry_after_seconds,
        }
    })
}

/// The provider's description for people: its calls, kinds and settings form.
pub fn describe(info: &ProviderInfo) -> String {
    let mut out = format!(
        "{} provider {}\n",
        printable(&info.name),
        printable(&info.version)
    );
    let calls: Vec<String> = info
        .capabilities
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    let _ = writeln!(out, "  Calls: {}", calls.join(", "));
    let kinds: Vec<String> = info
        .ticket_kinds
        .iter()
        .map(|k| printable(&k.value))
        .collect();
    let _ = writeln!(
        out,
        "  Ticket kinds: {}{}",
        kinds.join(", "),
        if info.other_ticket_kinds {
            ", or any other it checks"
        } else {
            ""
        }
    );
    out.push_str("  Settings (settings file keys):\n");
    for f in &info.settings {
        let mut traits = vec![f.kind.name().to_string()];
        if f.required {
            traits.push("required".into());
        }
        if let Some(default) = &f.default {
            traits.push(format!("default {}", printable(default)));
        }
        if !f.auth_methods.is_empty() {
            traits.push(format!("for {}", printable(&f.auth_methods.join(", "))));
        }
        let _ = writeln!(
            out,
            "    {} ({}): {}",
            printable(&f.key),
            traits.join(", "),
            printable(&f.label)
        );
        let _ = writeln!(out, "        {}", printable(&f.help));
        if !f.choices.is_empty() {
            let choices: Vec<String> = f
                .choices
                .iter()
                .map(|c| format!("{} ({})", printable(&c.value), printable(&c.label)))
                .collect();
            let _ = writeln!(out, "        one of: {}", choices.join(", "));
        }
    }
    out
}

pub fn describe_json(info: &ProviderInfo) -> Value {
    let choices = |choices: &[ticketing_host::api::Choice]| {
        choices
            .iter()
            .map(|c| json!({"value": c.value, "label": c.label, "help": c.help}))
            .collect::<Vec<_>>()
    };
    json!({
        "name": info.name,
        "version": info.version,
        "capabilities": info.capabilities.iter()
            .map(|c| c.name()).collect::<Vec<_>>(),
        "ticket_kinds": choices(&info.ticket_kinds),
        "other_ticket_kinds": info.other_ticket_kinds,
        "settings": info.settings.iter().map(|f| json!({
            "key": f.key,
            "label": f.label,
            "help": f.help,
            "kind": f.kind.name(),
            "required": f.required,
            "default": f.default,
            "choices": choices(&f.choices),
            "auth_methods": f.auth_methods,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ticketing_host::api::Check;

    #[test]
    fn guest_text_reaches_the_terminal_without_control_characters() {
        let error = Error {
            kind: ticketing_host::api::ErrorKind::BadRequest,
            message: "bad\u{1b}[2J\nforged line\r".into(),
            field: None,
            remedy: Some("fix\u{7}".into()),
            guide_step: None,
            http_status: Some(400),
            retry_after_seconds: None,
        };
        let text = super::error(&error);
        assert!(!text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{7}'));
        assert_eq!(text.lines().count(), 2, "{text}");
    }

    #[test]
    fn checklist_marks_and_remedies() {
        let r = ConnectionReport {
            passed: false,
            checks: vec![
                Check {
                    id: "settings".into(),
                    label: "The settings are complete".into(),
                    status: CheckStatus::Passed,
                    detail: "ok".into(),
                    remedy: None,
                    guide_step: None,
                },
                Check {
                    id: "token".into(),
                    label: "ServiceNow grants an OAuth token".into(),
                    status: CheckStatus::Failed,
                    detail: "refused".into(),
                    remedy: Some("enable it".into()),
                    guide_step: Some("ServiceNow Step 1".into()),
                },
                Check {
                    id: "table-api".into(),
                    label: "The Table API accepts the token".into(),
                    status: CheckStatus::Skipped,
                    detail: "not run".into(),
                    remedy: None,
                    guide_step: None,
                },
            ],
        };
        let text = report(&r);
        assert!(text.contains("✓ settings"));
        assert!(text.contains("✗ token"));
        assert!(text.contains("→ enable it"));
        assert!(text.contains("(setup guide: ServiceNow Step 1)"));
        assert!(text.contains("– table api"));
        assert!(text.contains("Test Connection failed"));
        let json = report_json(&r);
        assert_eq!(json["passed"], false);
        assert_eq!(json["checks"][1]["status"], "failed");
        assert_eq!(json["checks"][2]["id"], "table-api");
    }
}
