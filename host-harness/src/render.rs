//! How the CLI shows results: a checklist and sentences for people, JSON for machines.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::api::{
    CheckStatus, ConnectionReport, CreateOutcome, Error, ErrorKind, TicketKind, TicketRecord,
};

pub fn report(report: &ConnectionReport) -> String {
    let width = report
        .checks
        .iter()
        .map(|c| c.name.len())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for check in &report.checks {
        let mark = match check.status {
            CheckStatus::Passed => '✓',
            CheckStatus::Failed => '✗',
            CheckStatus::Skipped => '–',
        };
        let _ = writeln!(out, "  {mark} {:width$}  {}", check.name, check.detail);
        if let Some(remedy) = &check.remedy {
            let _ = writeln!(out, "      → {remedy}");
        }
    }
    out
}

pub fn report_passed(report: &ConnectionReport) -> bool {
    report
        .checks
        .iter()
        .all(|c| c.status == CheckStatus::Passed)
}

pub fn report_json(report: &ConnectionReport) -> Value {
    json!({
        "passed": report_passed(report),
        "checks": report.checks.iter().map(|c| json!({
            "name": c.name,
            "status": match c.status {
                CheckStatus::Passed => "passed",
                CheckStatus::Failed => "failed",
                CheckStatus::Skipped => "skipped",
            },
            "detail": c.detail,
            "remedy": c.remedy,
        })).collect::<Vec<_>>(),
    })
}

pub fn kind(kind: &TicketKind) -> String {
    match kind {
        TicketKind::Incident => "incident".into(),
        TicketKind::ChangeRequest => "change request".into(),
        TicketKind::Problem => "problem".into(),
        TicketKind::Table(table) => format!("{table} record"),
    }
}

pub fn outcome(outcome: &CreateOutcome) -> String {
    match outcome {
        CreateOutcome::Created(record) => format!(
            "Created {} {}\n  {}",
            kind(&record.kind),
            record.number,
            record.link
        ),
        CreateOutcome::Skipped(why) => format!("No ticket: {why}"),
    }
}

fn record_json(record: &TicketRecord) -> Value {
    json!({
        "kind": kind(&record.kind),
        "table": record.table,
        "sys_id": record.sys_id,
        "number": record.number,
        "link": record.link,
    })
}

pub fn outcome_json(outcome: &CreateOutcome) -> Value {
    match outcome {
        CreateOutcome::Created(record) => json!({"created": record_json(record)}),
        CreateOutcome::Skipped(why) => json!({"skipped": why}),
    }
}

pub fn error_kind(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSettings => "invalid-settings",
        ErrorKind::NotConfigured => "not-configured",
        ErrorKind::InvalidTicket => "invalid-ticket",
        ErrorKind::Unreachable => "unreachable",
        ErrorKind::BlockedByHost => "blocked-by-host",
        ErrorKind::InstanceHibernating => "instance-hibernating",
        ErrorKind::NotServicenow => "not-servicenow",
        ErrorKind::TokenDenied => "token-denied",
        ErrorKind::OauthUserMissing => "oauth-user-missing",
        ErrorKind::NotAuthenticated => "not-authenticated",
        ErrorKind::MissingAuthScope => "missing-auth-scope",
        ErrorKind::Forbidden => "forbidden",
        ErrorKind::InvalidTable => "invalid-table",
        ErrorKind::NotFound => "not-found",
        ErrorKind::BadRequest => "bad-request",
        ErrorKind::RateLimited => "rate-limited",
        ErrorKind::ServiceUnavailable => "service-unavailable",
        ErrorKind::UnexpectedResponse => "unexpected-response",
    }
}

pub fn error(error: &Error) -> String {
    let mut out = format!("Error ({}): {}", error_kind(error.kind), error.message);
    if let Some(status) = error.http_status {
        let _ = write!(out, " [HTTP {status}]");
    }
    if let Some(seconds) = error.retry_after_seconds {
        let _ = write!(out, "\n  Retry after {seconds} s.");
    }
    if let Some(remedy) = &error.remedy {
        let _ = write!(out, "\n  → {remedy}");
    }
    out
}

pub fn error_json(error: &Error) -> Value {
    json!({
        "error": {
            "kind": error_kind(error.kind),
            "message": error.message,
            "remedy": error.remedy,
            "http_status": error.http_status,
            "retry_after_seconds": error.retry_after_seconds,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Check;

    #[test]
    fn checklist_marks_and_remedies() {
        let r = ConnectionReport {
            checks: vec![
                Check {
                    name: "settings".into(),
                    status: CheckStatus::Passed,
                    detail: "ok".into(),
                    remedy: None,
                },
                Check {
                    name: "token".into(),
                    status: CheckStatus::Failed,
                    detail: "refused".into(),
                    remedy: Some("enable it".into()),
                },
                Check {
                    name: "table api".into(),
                    status: CheckStatus::Skipped,
                    detail: "not run".into(),
                    remedy: None,
                },
            ],
        };
        let text = report(&r);
        assert!(text.contains("✓ settings"));
        assert!(text.contains("✗ token"));
        assert!(text.contains("→ enable it"));
        assert!(text.contains("– table api"));
        assert!(!report_passed(&r));
        assert_eq!(report_json(&r)["checks"][1]["status"], "failed");
    }
}
