//! The commands that call a configured tenant: one provider call each, its answer printed
//! for people or, with `--json`, for machines.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use ticketing_host::Tenant;
use ticketing_host::api::{CommentKind, Error as ProviderError};

use crate::args::{Command, TicketArgs};
use crate::{file_to_attach, poll_changes, render};

/// Runs `command` against `tenant`.
pub async fn run(command: Command, tenant: &mut Tenant) -> Result<ExitCode> {
    match command {
        Command::Demo | Command::Describe { .. } | Command::Bench(_) | Command::Simulator(_) => {
            anyhow::bail!("this command does not run against a tenant")
        }
        Command::TestConnection { json, .. } => test_connection(tenant, json).await,
        Command::Changes(args) => poll_changes::run(tenant, args.options()).await,
        Command::AttachFile {
            ticket,
            file,
            content_type,
            json,
        } => attach_file(tenant, &ticket, &file, content_type, json).await,
        Command::GetTicket { ticket, json } => {
            let result = tenant.get_ticket(&ticket.reference()).await?;
            Ok(show(result, json, render::details, render::details_json))
        }
        Command::UpdateTicket(args) => {
            let reference = args.ticket.reference();
            let json = args.json;
            let result = tenant.update_ticket(&reference, &args.changes()).await?;
            Ok(show(result, json, render::update, render::update_json))
        }
        Command::AddComment {
            ticket,
            text,
            customer_visible,
        } => add_comment(tenant, &ticket, &text, customer_visible).await,
        Command::ResolveTicket {
            ticket,
            resolution,
            json,
        } => {
            let result = tenant
                .resolve_ticket(&ticket.reference(), &resolution.resolution())
                .await?;
            Ok(show(result, json, render::resolve, render::resolve_json))
        }
        Command::ResolveEvent {
            category,
            correlation_id,
            resolution,
            json,
            ..
        } => {
            let result = tenant
                .resolve_by_correlation(&category, &correlation_id, &resolution.resolution())
                .await?;
            Ok(show(result, json, render::resolve, render::resolve_json))
        }
        Command::CreateTicket(args) => {
            let json = args.json;
            let result = tenant.create_ticket(&args.ticket()).await?;
            Ok(show(result, json, render::outcome, render::outcome_json))
        }
    }
}

async fn test_connection(tenant: &mut Tenant, json: bool) -> Result<ExitCode> {
    let report = tenant.test_connection().await?;
    if json {
        println!("{:#}", render::report_json(&report));
    } else {
        println!("Test Connection");
        print!("{}", render::report(&report));
    }
    Ok(if report.passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn attach_file(
    tenant: &mut Tenant,
    ticket: &TicketArgs,
    file: &Path,
    content_type: Option<String>,
    json: bool,
) -> Result<ExitCode> {
    let (name, content) = file_to_attach::read(file)?;
    let content_type = content_type.unwrap_or_else(|| file_to_attach::guess_type(file));
    let result = tenant
        .attach_file(&ticket.reference(), &name, &content_type, &content)
        .await?;
    Ok(show(
        result,
        json,
        render::attachment,
        render::attachment_json,
    ))
}

async fn add_comment(
    tenant: &mut Tenant,
    ticket: &TicketArgs,
    text: &str,
    customer_visible: bool,
) -> Result<ExitCode> {
    let kind = if customer_visible {
        CommentKind::Public
    } else {
        CommentKind::Internal
    };
    let result = tenant.add_comment(&ticket.reference(), kind, text).await?;
    let said = |_: &()| format!("Added to {}", ticket.id);
    Ok(show(result, false, said, |_: &()| serde_json::Value::Null))
}

/// Prints a provider answer for people or machines; an error exits non-zero.
fn show<T>(
    result: Result<T, ProviderError>,
    json: bool,
    text: impl Fn(&T) -> String,
    machine: impl Fn(&T) -> serde_json::Value,
) -> ExitCode {
    match (result, json) {
        (Ok(value), false) => println!("{}", text(&value)),
        (Ok(value), true) => println!("{:#}", machine(&value)),
        (Err(error), false) => {
            eprintln!("{}", render::error(&error));
            return ExitCode::FAILURE;
        }
        (Err(error), true) => {
            println!("{:#}", render::error_json(&error));
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
