//! `host-harness`: run the ServiceNow component the way the platform does.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use ticketing_host::api::{
    CommentKind, Error as ProviderError, ErrorKind, Field, Resolution, Ticket, TicketChanges,
    TicketRef,
};
use ticketing_host::{
    ClientCertificate, Host, Network, Proxy, Resolve, SandboxLimits, Tenant, TenantTls,
};

mod attachment;
mod bench;
mod demo;
mod poll_changes;
mod render;
mod settings_file;

#[derive(Parser)]
#[command(
    version,
    about = "Runs the ServiceNow ticketing component the way the platform does"
)]
struct Cli {
    /// Print the host's events to stderr as they happen (each call, request, refusal and
    /// rebuild, with the tenant's id), and after the command the tenant's log: each exchange
    /// with ServiceNow the component reported, its notes, and the requests the host refused.
    #[arg(short, long, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Starts the built-in ServiceNow simulator, creates a tenant, tests the connection and
    /// opens an incident and a change request, telling what happens.
    Demo,
    /// Prints the provider's description: its calls, ticket kinds and settings form (the
    /// keys a settings file takes).
    Describe {
        /// Print it as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Runs Test Connection against an instance described by a settings file.
    TestConnection {
        #[command(flatten)]
        settings: SettingsArgs,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Opens a ticket for an event on an instance described by a settings file.
    CreateTicket {
        #[command(flatten)]
        settings: SettingsArgs,
        /// The event category; the settings' ticket categories decide what it becomes.
        #[arg(long)]
        category: String,
        /// The ticket's short description.
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        /// critical, high, moderate, low or planning.
        #[arg(long, value_parser = settings_file::parse_priority)]
        priority: Option<ticketing_host::api::Priority>,
        /// A sys_user_group name or sys_id.
        #[arg(long)]
        assignment_group: Option<String>,
        /// The platform's id for the event (correlation_id).
        #[arg(long)]
        correlation_id: Option<String>,
        /// Any other column, as name=value; repeatable.
        #[arg(long = "field", value_parser = parse_field)]
        fields: Vec<Field>,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Shows a ticket: state, priority, assignment group, link.
    GetTicket {
        #[command(flatten)]
        ticket: TicketArgs,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Changes a ticket's priority, group, descriptions or other fields, and reports any
    /// field ServiceNow did not store as sent.
    UpdateTicket {
        #[command(flatten)]
        ticket: TicketArgs,
        /// critical, high, moderate, low or planning (written as impact and urgency).
        #[arg(long, value_parser = settings_file::parse_priority)]
        priority: Option<ticketing_host::api::Priority>,
        /// A sys_user_group name or sys_id.
        #[arg(long)]
        assignment_group: Option<String>,
        /// The ticket's title (short description).
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// Any other column, as name=value; repeatable.
        #[arg(long = "field", value_parser = parse_field)]
        fields: Vec<Field>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Adds a work note (internal), or with --customer-visible an additional comment.
    AddComment {
        #[command(flatten)]
        ticket: TicketArgs,
        /// The note's text.
        #[arg(long)]
        text: String,
        /// Write a customer-visible additional comment instead of an internal work note.
        #[arg(long)]
        customer_visible: bool,
    },
    /// Resolves an incident or closes a change request, with close code and notes.
    ResolveTicket {
        #[command(flatten)]
        ticket: TicketArgs,
        #[command(flatten)]
        resolution: ResolutionArgs,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Resolves the ticket an event opened, found by its correlation id.
    ResolveEvent {
        #[command(flatten)]
        settings: SettingsArgs,
        /// The event's category, which decides the table to look in.
        #[arg(long)]
        category: String,
        /// The platform's id for the event, as given when the ticket was created.
        #[arg(long)]
        correlation_id: String,
        #[command(flatten)]
        resolution: ResolutionArgs,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Attaches a file (a cost report, a graph) to a ticket through the Attachment API.
    AttachFile {
        #[command(flatten)]
        ticket: TicketArgs,
        /// The file to attach; the attachment takes its name.
        #[arg(long)]
        file: PathBuf,
        /// Its media type (text/csv, image/png); without it, guessed from the file's
        /// extension, application/octet-stream when unknown.
        #[arg(long)]
        content_type: Option<String>,
        /// Print the attachment as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Prints what changed on the integration's tickets in ServiceNow (state, priority,
    /// group, others' comments) since a cursor, and the cursor to resume from. Without
    /// --since it starts from now.
    Changes {
        #[command(flatten)]
        settings: SettingsArgs,
        /// Where to resume: the cursor a previous run printed.
        #[arg(long)]
        since: Option<String>,
        /// Keep polling at --interval until Ctrl-C, printing changes as they arrive.
        #[arg(long)]
        follow: bool,
        /// Seconds between polls with --follow.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        interval: u64,
        /// Print each page as one JSON line, and the last cursor as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Measures what a platform with many tenants cares about: component size, compile and
    /// load time, tenant start-up and memory, create-ticket latency and throughput through
    /// the component against a native client (against the simulator, in this process).
    Bench {
        /// Tenant counts to hold alive at once for the memory figure (comma-separated).
        #[arg(long, value_delimiter = ',', default_value = "10000,50000")]
        tenants: Vec<usize>,
        /// Configured tenants to hold hibernating (no instance; see `Tenant::hibernate`) on a
        /// host sized for the run's live ones (`--concurrent`, `--instantiations`); 0 skips it.
        #[arg(long, default_value_t = 50_000)]
        hibernated: usize,
        /// Tickets one tenant creates (and the native client sends) for the latency figure.
        #[arg(long, default_value_t = 2000)]
        tickets: usize,
        /// Instantiations measured for the instantiate figures.
        #[arg(long, default_value_t = 1000)]
        instantiations: usize,
        /// Tenants issuing tickets at once for the throughput figure.
        #[arg(long, default_value_t = 1000)]
        concurrent: usize,
        /// Seconds each throughput run lasts.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
        /// The engine's epoch tick for the timing figures, in milliseconds (how often a
        /// running guest yields; the host's default is 10).
        #[arg(long, default_value_t = 10.0)]
        epoch_tick_ms: f64,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Runs the ServiceNow simulator in the foreground for manual tries.
    Simulator {
        /// Port on 127.0.0.1; 0 picks a free one.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Print the base URL, client ID and client secret as one line of JSON (for a
        /// script that starts the simulator).
        #[arg(long)]
        json: bool,
        /// Stop when standard input closes, as well as on Ctrl-C: a supervising process
        /// keeps a pipe open, and the simulator never outlives it, however it ends.
        #[arg(long)]
        until_stdin_closes: bool,
        /// Speak HTTPS as this name (or address) on a free port, with a certificate from a
        /// test CA made now; `--json` then gives the CA as `ca_pem` for the client to trust.
        #[arg(long, value_name = "NAME")]
        tls: Option<String>,
    },
}

#[derive(clap::Args)]
struct SettingsArgs {
    /// TOML or JSON settings file, keyed as `describe` lists the settings (instance,
    /// client_id, client_secret, ...); a secret may come from the environment instead
    /// (SERVICENOW_CLIENT_SECRET for client_secret).
    #[arg(long)]
    config: PathBuf,
    /// Let the tenant reach an instance on a loopback or private address (a simulator on
    /// this machine, a proxy on the internal network). Without it the host refuses them;
    /// metadata and link-local addresses stay refused either way.
    #[arg(long)]
    allow_private_network: bool,
    /// Let the tenant reach this private network only (a CIDR such as 10.20.0.0/16, or one
    /// address); repeatable. Metadata and link-local addresses stay refused.
    #[arg(long = "allow-network", value_name = "CIDR")]
    allow_networks: Vec<Network>,
    /// Resolve HOST on PORT (`*` for any) to ADDR, as curl's --resolve; the address rules
    /// still apply to ADDR. Repeatable.
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDR")]
    resolve: Vec<Resolve>,
    /// Trust the CA certificates in this PEM file beside the public roots (an on-premise
    /// instance's private CA), as curl's --cacert.
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// Trust the operating system's CA store too, as curl's --ca-native.
    #[arg(long)]
    ca_native: bool,
    /// Connect through this HTTP proxy (`http://[user:password@]host:port`), as curl's
    /// --proxy; the tunnel goes to the instance's checked address.
    #[arg(long, value_name = "URL", env = "HTTPS_PROXY", hide_env_values = true)]
    proxy: Option<Proxy>,
    /// Names to reach without the proxy, comma-separated (`.corp.example` for its
    /// subdomains, `*` for all), as curl's --noproxy.
    #[arg(long, value_name = "LIST", env = "NO_PROXY", value_delimiter = ',')]
    noproxy: Vec<String>,
    /// The client certificate (PEM, with its chain) the tenant presents to an instance that
    /// requires mutual TLS, as curl's --cert; its key comes with --key.
    #[arg(long, value_name = "FILE", requires = "key")]
    cert: Option<PathBuf>,
    /// The client certificate's private key (PKCS#8 PEM), as curl's --key.
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
}

impl SettingsArgs {
    /// The tenant's client certificate, when --cert and --key give one.
    fn client_certificate(&self) -> Result<Option<ClientCertificate>> {
        let (Some(cert), Some(key)) = (&self.cert, &self.key) else {
            return Ok(None);
        };
        let mut chain = Vec::new();
        for certificate in CertificateDer::pem_file_iter(cert)
            .with_context(|| format!("reading --cert {}", cert.display()))?
        {
            chain.push(
                certificate
                    .with_context(|| format!("reading --cert {}", cert.display()))?
                    .to_vec(),
            );
        }
        let key = PrivatePkcs8KeyDer::from_pem_file(key)
            .with_context(|| format!("reading --key {} (a PKCS#8 PEM key)", key.display()))?;
        Ok(Some(ClientCertificate {
            chain,
            key: key.secret_pkcs8_der().to_vec(),
        }))
    }

    /// The host's policy these arguments ask for.
    fn limits(&self) -> Result<SandboxLimits> {
        let mut extra_roots = Vec::new();
        if let Some(file) = &self.cacert {
            for certificate in CertificateDer::pem_file_iter(file)
                .with_context(|| format!("reading --cacert {}", file.display()))?
            {
                let certificate =
                    certificate.with_context(|| format!("reading --cacert {}", file.display()))?;
                extra_roots.push(certificate.to_vec());
            }
            if extra_roots.is_empty() {
                anyhow::bail!("--cacert {} holds no certificate", file.display());
            }
        }
        Ok(SandboxLimits {
            allow_private_network: self.allow_private_network,
            allowed_networks: self.allow_networks.clone(),
            resolve: self.resolve.clone(),
            os_roots: self.ca_native,
            proxy: self.proxy.clone().map(|proxy| Proxy {
                no_proxy: self.noproxy.clone(),
                ..proxy
            }),
            extra_roots,
            ..SandboxLimits::default()
        })
    }
}

#[derive(clap::Args)]
struct TicketArgs {
    #[command(flatten)]
    settings: SettingsArgs,
    /// incident, change_request, problem, or another table's name.
    #[arg(long, default_value = "incident")]
    kind: String,
    /// The ticket's number (INC0010001) or sys_id.
    #[arg(long)]
    id: String,
}

impl TicketArgs {
    fn reference(&self) -> TicketRef {
        TicketRef {
            kind: self.kind.clone(),
            id: self.id.clone(),
        }
    }
}

#[derive(clap::Args)]
struct ResolutionArgs {
    /// A close code of the table (incidents: "Solution provided", ...; changes: successful, ...).
    #[arg(long)]
    close_code: String,
    /// What was done; ServiceNow requires it to resolve.
    #[arg(long)]
    close_notes: String,
}

impl ResolutionArgs {
    fn resolution(&self) -> Resolution {
        Resolution {
            code: self.close_code.clone(),
            notes: self.close_notes.clone(),
        }
    }
}

fn parse_field(text: &str) -> Result<Field, String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected name=value, got {text:?}"))?;
    Ok(Field {
        name: name.trim().to_string(),
        value: value.to_string(),
    })
}

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
        // The host's `tracing` events; never a secret, a query or a body (ticketing-host's
        // `observe`).
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
    match cli.command {
        Command::Demo => demo::run(verbose).await,
        Command::Describe { json } => {
            let info = built_host(false)?.describe().await?;
            if json {
                println!("{:#}", render::describe_json(&info));
            } else {
                print!("{}", render::describe(&info));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            tenants,
            hibernated,
            tickets,
            instantiations,
            concurrent,
            seconds,
            epoch_tick_ms,
            json,
        } => {
            bench::run(bench::Options {
                tenants,
                hibernated,
                tickets: tickets.max(1),
                instantiations: instantiations.max(1),
                concurrent: concurrent.max(1),
                seconds: seconds.max(0.1),
                epoch_tick: std::time::Duration::from_secs_f64(epoch_tick_ms.max(0.1) / 1e3),
                json,
            })
            .await
        }
        Command::Simulator {
            port,
            json,
            until_stdin_closes,
            tls,
        } => {
            let simulator = match &tls {
                Some(name) => servicenow_simulator::Simulator::start_tls(name).await?,
                None => {
                    servicenow_simulator::Simulator::start_on(([127, 0, 0, 1], port).into()).await?
                }
            };
            if json {
                let started = serde_json::json!({
                    "ca_pem": simulator.ca_pem(),
                    "base_url": simulator.base_url(),
                    "client_id": simulator.client_id(),
                    "client_secret": simulator.client_secret(),
                    "username": servicenow_simulator::DEFAULT_USER_NAME,
                    "password": servicenow_simulator::DEFAULT_USER_PASSWORD,
                });
                println!("{started}");
            } else {
                println!("ServiceNow simulator listening on {}", simulator.base_url());
                println!("  client_id     = {}", simulator.client_id());
                println!("  client_secret = {}", simulator.client_secret());
                println!(
                    "  username      = {}    (password grant, Basic)",
                    servicenow_simulator::DEFAULT_USER_NAME
                );
                println!(
                    "  password      = {}",
                    servicenow_simulator::DEFAULT_USER_PASSWORD
                );
                println!("Press Ctrl-C to stop.");
            }
            if until_stdin_closes {
                tokio::select! {
                    stopped = tokio::signal::ctrl_c() => stopped?,
                    _ = stdin_closed() => {}
                }
            } else {
                tokio::signal::ctrl_c().await?;
            }
            simulator.shutdown().await;
            Ok(ExitCode::SUCCESS)
        }
        command => {
            let settings = command
                .settings()
                .context("this command takes no settings")?;
            let mut tenant = configured_tenant(settings, verbose).await?;
            let result = tenant_command(command, &mut tenant).await;
            if verbose {
                eprint!("{}", render::log(&tenant.log()));
            }
            result
        }
    }
}

impl Command {
    /// The settings file of the commands that run against a configured tenant.
    fn settings(&self) -> Option<&SettingsArgs> {
        match self {
            Command::TestConnection { settings, .. }
            | Command::CreateTicket { settings, .. }
            | Command::ResolveEvent { settings, .. }
            | Command::Changes { settings, .. } => Some(settings),
            Command::GetTicket { ticket, .. }
            | Command::UpdateTicket { ticket, .. }
            | Command::AddComment { ticket, .. }
            | Command::ResolveTicket { ticket, .. }
            | Command::AttachFile { ticket, .. } => Some(&ticket.settings),
            Command::Demo
            | Command::Describe { .. }
            | Command::Bench { .. }
            | Command::Simulator { .. } => None,
        }
    }
}

/// Resolves when standard input reaches its end (or fails). The read runs on a thread of its
/// own, not the runtime's blocking pool, so that it never holds up the runtime's shutdown.
fn stdin_closed() -> tokio::sync::oneshot::Receiver<()> {
    let (closed, receiver) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        let _ = closed.send(());
    });
    receiver
}

/// The commands that call a configured tenant.
async fn tenant_command(command: Command, tenant: &mut Tenant) -> Result<ExitCode> {
    match command {
        Command::Demo
        | Command::Describe { .. }
        | Command::Bench { .. }
        | Command::Simulator { .. } => {
            anyhow::bail!("this command does not run against a tenant")
        }
        Command::TestConnection { json, .. } => {
            let report = tenant.test_connection().await?;
            if json {
                println!("{:#}", render::report_json(&report));
            } else {
                println!("Test Connection");
                print!("{}", render::report(&report));
            }
            Ok(exit_code(report.passed))
        }
        Command::Changes {
            since,
            follow,
            interval,
            json,
            ..
        } => {
            let options = poll_changes::Options {
                since,
                follow,
                interval: std::time::Duration::from_secs(interval),
                json,
            };
            poll_changes::run(tenant, options).await
        }
        Command::AttachFile {
            ticket,
            file,
            content_type,
            json,
        } => {
            let (name, content) = attachment::read(&file)?;
            let content_type = content_type.unwrap_or_else(|| attachment::guess_type(&file));
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
        Command::GetTicket { ticket, json } => {
            let result = tenant.get_ticket(&ticket.reference()).await?;
            Ok(show(result, json, render::details, render::details_json))
        }
        Command::UpdateTicket {
            ticket,
            priority,
            assignment_group,
            title,
            description,
            fields,
            json,
        } => {
            let changes = TicketChanges {
                priority,
                assignment_group,
                title,
                description,
                extra_fields: fields,
            };
            let result = tenant.update_ticket(&ticket.reference(), &changes).await?;
            Ok(show(result, json, render::update, render::update_json))
        }
        Command::AddComment {
            ticket,
            text,
            customer_visible,
        } => {
            let kind = if customer_visible {
                CommentKind::Public
            } else {
                CommentKind::Internal
            };
            let result = tenant.add_comment(&ticket.reference(), kind, &text).await?;
            let said = |_: &()| format!("Added to {}", ticket.id);
            Ok(show(result, false, said, |_: &()| serde_json::Value::Null))
        }
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
        Command::CreateTicket {
            category,
            title,
            description,
            priority,
            assignment_group,
            correlation_id,
            fields,
            json,
            ..
        } => {
            let ticket = Ticket {
                event_category: category,
                title,
                description,
                priority,
                assignment_group,
                correlation_id,
                extra_fields: fields,
            };
            Ok(show(
                tenant.create_ticket(&ticket).await?,
                json,
                render::outcome,
                render::outcome_json,
            ))
        }
    }
}

async fn configured_tenant(args: &SettingsArgs, verbose: bool) -> Result<Tenant> {
    let host = built_host_with(args.limits()?)?;
    let mut tenant = host.tenant("cli").await?;
    if let Some(client_certificate) = args.client_certificate()? {
        tenant.set_tls(&TenantTls {
            extra_roots: Vec::new(),
            client_certificate: Some(client_certificate),
        })?;
    }
    let (settings, secrets) = settings_file::load(&args.config, &*tenant.describe().await?)?;
    if let Err(error) = tenant.configure(&settings, &secrets).await? {
        if verbose {
            eprint!("{}", render::log(&tenant.log()));
        }
        let mut text = render::error(&error);
        if error.kind == ErrorKind::BlockedByHost && !args.allow_private_network {
            text.push_str(
                "\n(an instance on this machine or a private network needs --allow-private-network)",
            );
        }
        return Err(anyhow::anyhow!(text)).context("the settings were refused");
    }
    Ok(tenant)
}

/// A host for the component this workspace built, with the default limits sized for a few
/// tenants; loopback and private addresses only when asked for (`--allow-private-network`,
/// the demo). The compiled component comes from the artifact cache (see [`cache_dir`]), so
/// only the first call after a build of the component or of this CLI compiles it.
fn built_host(allow_private_network: bool) -> Result<Host> {
    built_host_with(SandboxLimits {
        allow_private_network,
        ..SandboxLimits::default()
    })
}

/// The built component under `limits`, for a CLI's handful of tenants.
fn built_host_with(limits: SandboxLimits) -> Result<Host> {
    let limits = SandboxLimits {
        max_tenants: 16,
        ..limits
    };
    let component = component_artifact::component_path();
    match cache_dir() {
        Some(dir) => Host::from_file_cached(component, &dir, limits),
        None => Host::from_file(component, limits),
    }
}

/// Where the CLI keeps compiled components: `$XDG_CACHE_HOME/servicenow-ticketing`, else
/// `$HOME/.cache/servicenow-ticketing`; none (compile every time) without either.
pub(crate) fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|dir| !dir.is_empty())
                .map(|home| PathBuf::from(home).join(".cache"))
        })?;
    Some(base.join("servicenow-ticketing"))
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

fn exit_code(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
