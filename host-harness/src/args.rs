//! The command line: the commands and their arguments, as clap parses them.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use ticketing_host::api::{CloudResource, Field, Resolution, Ticket, TicketChanges, TicketRef};

use crate::{bench, poll_changes, settings_file};

mod settings;

pub use settings::SettingsArgs;

#[derive(Parser)]
#[command(
    version,
    about = "Runs the ServiceNow ticketing component the way the platform does"
)]
pub struct Cli {
    /// Print the host's events to stderr as they happen (each call, request, refusal and
    /// rebuild, with the tenant's id), and after the command the tenant's log: each exchange
    /// with ServiceNow the component reported, its notes, and the requests the host refused.
    #[arg(short, long, global = true)]
    pub verbose: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
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
    CreateTicket(CreateTicketArgs),
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
    UpdateTicket(UpdateTicketArgs),
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
    Changes(ChangesArgs),
    /// Measures what a platform with many tenants cares about: component size, compile and
    /// load time, tenant start-up and memory, create-ticket latency and throughput through
    /// the component against a native client (against the simulator, in this process).
    Bench(BenchArgs),
    /// Runs the ServiceNow simulator in the foreground for manual tries.
    Simulator(SimulatorArgs),
}

#[derive(clap::Args)]
pub struct CreateTicketArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// The event category; the settings' ticket categories decide what it becomes.
    #[arg(long)]
    pub category: String,
    /// The ticket's short description.
    #[arg(long)]
    pub title: String,
    #[arg(long, default_value = "")]
    pub description: String,
    /// critical, high, moderate, low or planning.
    #[arg(long, value_parser = settings_file::parse_priority)]
    pub priority: Option<ticketing_host::api::Priority>,
    /// A sys_user_group name or sys_id.
    #[arg(long)]
    pub assignment_group: Option<String>,
    /// The platform's id for the event (correlation_id).
    #[arg(long)]
    pub correlation_id: Option<String>,
    /// Any other column, as name=value; repeatable.
    #[arg(long = "field", value_parser = parse_field)]
    pub fields: Vec<Field>,
    #[command(flatten)]
    pub resource: ResourceArgs,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct UpdateTicketArgs {
    #[command(flatten)]
    pub ticket: TicketArgs,
    /// critical, high, moderate, low or planning (written as impact and urgency).
    #[arg(long, value_parser = settings_file::parse_priority)]
    pub priority: Option<ticketing_host::api::Priority>,
    /// A sys_user_group name or sys_id.
    #[arg(long)]
    pub assignment_group: Option<String>,
    /// The ticket's title (short description).
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
    /// Any other column, as name=value; repeatable.
    #[arg(long = "field", value_parser = parse_field)]
    pub fields: Vec<Field>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

impl CreateTicketArgs {
    /// The ticket these arguments describe.
    pub fn ticket(self) -> Ticket {
        Ticket {
            event_category: self.category,
            title: self.title,
            description: self.description,
            priority: self.priority,
            assignment_group: self.assignment_group,
            correlation_id: self.correlation_id,
            extra_fields: self.fields,
            resource: self.resource.resource(),
            affected_resources: self.resource.affected,
        }
    }
}

/// The cloud resource an event is about; with `link_configuration_items` on, the ticket is
/// linked to its CI.
#[derive(clap::Args)]
pub struct ResourceArgs {
    /// The cloud's id for the resource: an EC2 instance id, an ARN, an Azure resource id.
    #[arg(long)]
    pub resource_id: Option<String>,
    /// Its cloud: aws, azure or gcp.
    #[arg(long, default_value = "aws", requires = "resource_id")]
    pub provider: String,
    /// The account, subscription or project it belongs to.
    #[arg(long, default_value = "", requires = "resource_id")]
    pub account: String,
    /// Its region (eu-west-1).
    #[arg(long, default_value = "", requires = "resource_id")]
    pub region: String,
    /// Its name as people know it; found by name within its account and region when its id
    /// is not in the CMDB.
    #[arg(long, default_value = "", requires = "resource_id")]
    pub resource_name: String,
    /// A further affected resource, as provider:account:region:id; repeatable.
    #[arg(long = "affected", value_parser = parse_resource)]
    pub affected: Vec<CloudResource>,
}

impl ResourceArgs {
    fn resource(&self) -> Option<CloudResource> {
        self.resource_id.as_ref().map(|id| CloudResource {
            provider: self.provider.clone(),
            account: self.account.clone(),
            region: self.region.clone(),
            resource_id: id.clone(),
            display_name: self.resource_name.clone(),
        })
    }
}

/// `provider:account:region:id`; the id may itself hold colons (an ARN).
fn parse_resource(text: &str) -> Result<CloudResource, String> {
    let mut parts = text.splitn(4, ':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(provider), Some(account), Some(region), Some(id)) if !id.is_empty() => {
            Ok(CloudResource {
                provider: provider.into(),
                account: account.into(),
                region: region.into(),
                resource_id: id.into(),
                display_name: String::new(),
            })
        }
        _ => Err(format!(
            "{text:?} is not provider:account:region:id (aws:123456789012:eu-west-1:i-0abc)"
        )),
    }
}

impl UpdateTicketArgs {
    /// The changes these arguments ask for.
    pub fn changes(self) -> TicketChanges {
        TicketChanges {
            priority: self.priority,
            assignment_group: self.assignment_group,
            title: self.title,
            description: self.description,
            extra_fields: self.fields,
        }
    }
}

#[derive(clap::Args)]
pub struct ChangesArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Where to resume: the cursor a previous run printed.
    #[arg(long)]
    pub since: Option<String>,
    /// Keep polling at --interval until Ctrl-C, printing changes as they arrive.
    #[arg(long)]
    pub follow: bool,
    /// Seconds between polls with --follow.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub interval: u64,
    /// Print each page as one JSON line, and the last cursor as JSON.
    #[arg(long)]
    pub json: bool,
}

impl ChangesArgs {
    /// How `changes` polls.
    pub fn options(&self) -> poll_changes::Options {
        poll_changes::Options {
            since: self.since.clone(),
            follow: self.follow,
            interval: Duration::from_secs(self.interval),
            json: self.json,
        }
    }
}

#[derive(clap::Args)]
pub struct BenchArgs {
    /// Tenant counts to hold alive at once for the memory figure (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "10000,50000")]
    pub tenants: Vec<usize>,
    /// Configured tenants to hold hibernating (no instance; see `Tenant::hibernate`) on a
    /// host sized for the run's live ones (`--concurrent`, `--instantiations`); 0 skips it.
    #[arg(long, default_value_t = 50_000)]
    pub hibernated: usize,
    /// Live tenants that each create 250 tickets for the memory of a tenant that has
    /// worked, against a simulator in a process of its own; 0 skips it.
    #[arg(long, default_value_t = 200)]
    pub worked_tenants: usize,
    /// Tickets one tenant creates (and the native client sends) for the latency figure.
    #[arg(long, default_value_t = 2000)]
    pub tickets: usize,
    /// Instantiations measured for the instantiate figures.
    #[arg(long, default_value_t = 1000)]
    pub instantiations: usize,
    /// Tenants issuing tickets at once for the throughput figures: 100 and 1,000 are always
    /// measured, and this count too when it is neither.
    #[arg(long, default_value_t = 1000)]
    pub concurrent: usize,
    /// Seconds each throughput window lasts (five windows per side at each tenant count).
    #[arg(long, default_value_t = 3.0)]
    pub seconds: f64,
    /// The engine's epoch tick for the timing figures, in milliseconds (how often a
    /// running guest yields; the host's default is 10).
    #[arg(long, default_value_t = 10.0)]
    pub epoch_tick_ms: f64,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Only create `--tickets` warm tickets on this side, nothing measured: for counting
    /// instructions per ticket under callgrind.
    #[arg(long, value_enum)]
    pub only: Option<bench::Side>,
}

impl BenchArgs {
    /// The run these arguments ask for, each count at least one.
    pub fn options(self) -> bench::Options {
        bench::Options {
            tenants: self.tenants,
            hibernated: self.hibernated,
            worked_tenants: self.worked_tenants,
            tickets: self.tickets.max(1),
            instantiations: self.instantiations.max(1),
            concurrent: self.concurrent.max(1),
            seconds: self.seconds.max(0.1),
            epoch_tick: Duration::from_secs_f64(self.epoch_tick_ms.max(0.1) / 1e3),
            json: self.json,
            only: self.only,
        }
    }
}

#[derive(clap::Args)]
pub struct SimulatorArgs {
    /// Port on 127.0.0.1; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Print the base URL, client ID and client secret as one line of JSON (for a
    /// script that starts the simulator).
    #[arg(long)]
    pub json: bool,
    /// Stop when standard input closes, as well as on Ctrl-C: a supervising process
    /// keeps a pipe open, and the simulator never outlives it, however it ends.
    #[arg(long)]
    pub until_stdin_closes: bool,
    /// Speak HTTPS as this name (or address) on a free port, with a certificate from a
    /// test CA made now; `--json` then gives the CA as `ca_pem` for the client to trust.
    #[arg(long, value_name = "NAME")]
    pub tls: Option<String>,
    /// Seed the CMDB with an EC2 instance's CI, as Discovery would record it (its instance
    /// id in object_id and vm_inst_id); repeatable. `--json` gives each one's sys_id under
    /// `cloud_cis`, by name.
    #[arg(long = "seed-cloud-ci", value_name = "NAME=INSTANCE_ID", value_parser = parse_cloud_ci)]
    pub seed_cloud_cis: Vec<(String, String)>,
}

fn parse_cloud_ci(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, id)) if !name.is_empty() && !id.is_empty() => Ok((name.into(), id.into())),
        _ => Err(format!("{text:?} is not NAME=INSTANCE_ID")),
    }
}

#[derive(clap::Args)]
pub struct TicketArgs {
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// incident, change_request, problem, or another table's name.
    #[arg(long, default_value = "incident")]
    pub kind: String,
    /// The ticket's number (INC0010001) or sys_id.
    #[arg(long)]
    pub id: String,
}

impl TicketArgs {
    pub fn reference(&self) -> TicketRef {
        TicketRef {
            kind: self.kind.clone(),
            id: self.id.clone(),
        }
    }
}

#[derive(clap::Args)]
pub struct ResolutionArgs {
    /// A close code of the table (incidents: "Solution provided", ...; changes: successful, ...).
    #[arg(long)]
    pub close_code: String,
    /// What was done; ServiceNow requires it to resolve.
    #[arg(long)]
    pub close_notes: String,
}

impl ResolutionArgs {
    pub fn resolution(&self) -> Resolution {
        Resolution {
            code: self.close_code.clone(),
            notes: self.close_notes.clone(),
        }
    }
}

pub fn parse_field(text: &str) -> Result<Field, String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected name=value, got {text:?}"))?;
    Ok(Field {
        name: name.trim().to_string(),
        value: value.to_string(),
    })
}

impl Command {
    /// The settings file of the commands that run against a configured tenant.
    pub fn settings(&self) -> Option<&SettingsArgs> {
        match self {
            Command::TestConnection { settings, .. } | Command::ResolveEvent { settings, .. } => {
                Some(settings)
            }
            Command::CreateTicket(args) => Some(&args.settings),
            Command::UpdateTicket(args) => Some(&args.ticket.settings),
            Command::Changes(args) => Some(&args.settings),
            Command::GetTicket { ticket, .. }
            | Command::AddComment { ticket, .. }
            | Command::ResolveTicket { ticket, .. }
            | Command::AttachFile { ticket, .. } => Some(&ticket.settings),
            Command::Demo
            | Command::Describe { .. }
            | Command::Bench(_)
            | Command::Simulator(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_affected_resource_is_provider_account_region_id() {
        let arn =
            parse_resource("aws:123456789012:eu-west-1:arn:aws:rds:eu-west-1:1:db:x").unwrap();
        assert_eq!(
            (
                arn.provider.as_str(),
                arn.account.as_str(),
                arn.region.as_str()
            ),
            ("aws", "123456789012", "eu-west-1")
        );
        assert_eq!(arn.resource_id, "arn:aws:rds:eu-west-1:1:db:x");
        assert!(parse_resource("aws:1:eu-west-1").is_err());
        assert!(parse_resource("aws:1:eu-west-1:").is_err());
    }

    #[test]
    fn the_resource_flags_make_the_tickets_resource() {
        let cli = Cli::try_parse_from([
            "host-harness",
            "create-ticket",
            "--config",
            "s.toml",
            "--category",
            "cost",
            "--title",
            "Idle VM",
            "--resource-id",
            "i-0abc",
            "--account",
            "123456789012",
            "--region",
            "eu-west-1",
            "--affected",
            "aws:123456789012:eu-west-1:vol-1",
        ])
        .unwrap();
        let Command::CreateTicket(args) = cli.command else {
            panic!("create-ticket")
        };
        let ticket = args.ticket();
        let resource = ticket.resource.unwrap();
        assert_eq!(resource.provider, "aws");
        assert_eq!(resource.resource_id, "i-0abc");
        assert_eq!(ticket.affected_resources[0].resource_id, "vol-1");
        // The resource's details need its id.
        assert!(
            Cli::try_parse_from([
                "host-harness",
                "create-ticket",
                "--config",
                "s.toml",
                "--category",
                "c",
                "--title",
                "t",
                "--region",
                "eu-west-1",
            ])
            .is_err()
        );
    }
}
