//! `changes`: what changed on the integration's tickets, as a platform polling
//! `changes-since` sees it; with `--follow`, polled at an interval until Ctrl-C.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use ticketing_host::Tenant;
use ticketing_host::api::{ChangesPage, Error as ProviderError, ErrorKind};

use crate::render;

pub struct Options {
    pub since: Option<String>,
    pub follow: bool,
    pub interval: Duration,
    pub json: bool,
}

/// Polls, prints what arrives and, when it stops (at the end, on an error, on Ctrl-C), the
/// last cursor, so that the next run resumes where this one ended.
pub async fn run(tenant: &mut Tenant, options: Options) -> Result<ExitCode> {
    let mut cursor = options.since.clone();
    let mut printed = 0;
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        // Every page that waits, then (following) the interval.
        loop {
            let answer = tokio::select! {
                answer = tenant.changes_since(cursor.as_deref()) => answer?,
                _ = &mut interrupted => return Ok(stopped(&cursor, &options)),
            };
            match answer {
                Ok(page) => {
                    print_page(&page, options.json);
                    printed += page.changes.len();
                    let more = page.more;
                    cursor = Some(page.cursor);
                    if !more {
                        break;
                    }
                }
                Err(error) if options.follow && passing(&error) => {
                    eprintln!(
                        "{}\n  (trying again in {} s)",
                        render::error(&error),
                        options.interval.as_secs()
                    );
                    break;
                }
                Err(error) => {
                    if options.json {
                        println!("{}", render::error_json(&error));
                    } else {
                        eprintln!("{}", render::error(&error));
                    }
                    print_cursor(&cursor, options.json);
                    return Ok(ExitCode::FAILURE);
                }
            }
        }
        if !options.follow {
            if printed == 0 && !options.json {
                println!("No changes.");
            }
            print_cursor(&cursor, options.json);
            return Ok(ExitCode::SUCCESS);
        }
        tokio::select! {
            () = tokio::time::sleep(options.interval) => {}
            _ = &mut interrupted => return Ok(stopped(&cursor, &options)),
        }
    }
}

/// A failure the next poll may not meet: the instance busy, asleep or out of reach.
fn passing(error: &ProviderError) -> bool {
    matches!(
        error.kind,
        ErrorKind::RateLimited
            | ErrorKind::ServiceUnavailable
            | ErrorKind::Unreachable
            | ErrorKind::ServiceAsleep
    )
}

/// Ctrl-C: a clean stop, with where to resume. A call cut short handed nothing out, so the
/// cursor is the last one printed.
fn stopped(cursor: &Option<String>, options: &Options) -> ExitCode {
    if !options.json {
        eprintln!("Stopped.");
    }
    print_cursor(cursor, options.json);
    ExitCode::SUCCESS
}

fn print_page(page: &ChangesPage, json: bool) {
    if page.changes.is_empty() {
        return;
    }
    if json {
        // One line a page: each line holds the cursor to resume after it.
        println!("{}", render::changes_json(page));
    } else {
        for change in &page.changes {
            println!("{}", render::change(change));
        }
    }
}

fn print_cursor(cursor: &Option<String>, json: bool) {
    let Some(cursor) = cursor else { return };
    if json {
        println!("{}", serde_json::json!({ "cursor": cursor }));
    } else {
        println!("Cursor: {}", render::printable(cursor));
        println!("  (resume with --since {})", render::printable(cursor));
    }
}
