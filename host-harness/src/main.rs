//! `host-harness`: run the ServiceNow component the way the platform does.

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

mod args;
mod bench;
mod calls;
mod cli_host;
mod demo;
mod file_to_attach;
mod poll_changes;
mod render;
mod serve_simulator;
mod settings_file;

use args::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("host-harness: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let verbose = cli.verbose;
    if verbose {
        trace_host_events();
    }
    match cli.command {
        Command::Demo => demo::run(verbose).await,
        Command::Describe { json } => {
            let info = cli_host::built_host(false)?.describe().await?;
            if json {
                println!("{:#}", render::describe_json(&info));
            } else {
                print!("{}", render::describe(&info));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(args) => bench::run(args.options()).await,
        Command::Simulator(args) => serve_simulator::run(args).await,
        command => {
            let settings = command
                .settings()
                .context("this command takes no settings")?;
            let mut tenant = cli_host::configured_tenant(settings, verbose).await?;
            let result = calls::run(command, &mut tenant).await;
            if verbose {
                eprint!("{}", render::log(&tenant.log()));
            }
            result
        }
    }
}

/// `-v`: the host's `tracing` events on stderr; never a secret, a query or a body
/// (ticketing-host's `observe`).
fn trace_host_events() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let host_only = tracing_subscriber::filter::Targets::new()
        .with_target("ticketing_host", tracing::Level::DEBUG);
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::DEBUG)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .finish()
        .with(host_only)
        .init();
}
