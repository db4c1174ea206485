//! `host-harness demo`: the whole path on the built-in simulator, told in sentences.

use std::process::ExitCode;

use anyhow::{Result, bail};
use serde_json::Value;

use servicenow_simulator::{
    AGENT_USER_NAME, CloudCi, DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD, Release, Simulator,
};
use std::net::Ipv4Addr;

use ticketing_host::api::{
    CloudResource, CreateOutcome, Priority, Resolution, Setting, Ticket, TicketCategory,
    TicketRecord,
};
use ticketing_host::{Host, Resolve, SandboxLimits, Secret, Tenant};

use crate::render;

/// The name the demo's simulators answer as over HTTPS.
const DEMO_INSTANCE: &str = "dev12345.service-now.test";

/// The cloud account and region of the demo's resources.
const ACCOUNT: &str = "123456789012";
const REGION: &str = "eu-west-1";

/// The standard change template the maintenance category opens its changes from.
const TEMPLATE: &str = "Resize a cloud database";

pub async fn run(verbose: bool) -> Result<ExitCode> {
    let simulator = Simulator::start_tls(DEMO_INSTANCE).await?;
    introduce(&simulator);
    seed_cmdb_and_templates(&simulator)?;
    let host = demo_host()?;
    let settings = settings(&simulator);
    let secret = [Secret::new("client_secret", simulator.client_secret())];
    let mut tenant = host.tenant("acme-corp").await?;
    configure(&mut tenant, &settings, &secret).await?;
    test_connection(&mut tenant).await?;

    let events = events();
    create_tickets(&simulator, &mut tenant, &events).await?;
    println!("The idle-VM event fires again (same correlation id):");
    match tenant.create_ticket(&events[0]).await? {
        Ok(outcome) => println!("  {}\n", render::outcome(&outcome)),
        Err(error) => bail!("repeating the event failed: {}", render::error(&error)),
    }
    let incident = first_created(&simulator, "incident")?;
    let change = first_created(&simulator, "change_request")?;
    changes_and_attachments(&simulator, &mut tenant, &incident, &change).await?;
    resolve_by_correlation(&mut tenant, &events[0]).await?;

    let careless = setup_mistakes(&host, &simulator, &settings, &secret).await?;
    older_instance(&host).await?;

    if verbose {
        eprintln!("\nThe log of tenant \"{}\":", tenant.id());
        eprint!("{}", render::log(&tenant.log()));
        eprintln!("The log of tenant \"{}\":", careless.id());
        eprint!("{}", render::log(&careless.log()));
    }
    simulator.shutdown().await;
    Ok(ExitCode::SUCCESS)
}

/// What the demo talks to, and how the host reaches it.
fn introduce(simulator: &Simulator) {
    println!("ServiceNow simulator listening on {}", simulator.base_url());
    println!("(it stands in for https://<subdomain>.service-now.com, errors included)");
    println!(
        "(the host resolves {DEMO_INSTANCE} to 127.0.0.1 and trusts the simulator's test CA, \
         as a platform pins and trusts an on-premise instance)\n"
    );
}

/// What the customer's instance already holds: the idle VM as Discovery recorded it in the
/// CMDB, and the standard change template its change board approved.
fn seed_cmdb_and_templates(simulator: &Simulator) -> Result<()> {
    simulator
        .insert_cloud_ci(
            CloudCi::aws_vm("web-prod-07", "i-0abc123")
                .account(ACCOUNT)
                .region(REGION),
        )
        .map_err(|why| anyhow::anyhow!(why))?;
    let template = serde_json::json!({
        "short_description": TEMPLATE,
        "description": "Change the instance class of a managed database in its maintenance window.",
        "implementation_plan": "Modify the instance class; apply in the maintenance window.",
        "backout_plan": "Modify the instance class back.",
        "test_plan": "The application's health checks pass against the database.",
    });
    simulator.insert_standard_change_template(
        TEMPLATE,
        template.as_object().cloned().unwrap_or_default(),
    );
    println!(
        "Its CMDB holds the VM web-prod-07 (i-0abc123, account {ACCOUNT}, {REGION}), and its \
         change board approved the standard change template \"{TEMPLATE}\".\n"
    );
    Ok(())
}

/// The simulator listens on loopback: an explicit allowance of this host's policy, with
/// its name pinned there and its CA trusted.
fn demo_host() -> Result<Host> {
    let (ca, _) = Simulator::test_ca()?;
    crate::cli_host::built_host_with(SandboxLimits {
        allow_private_network: true,
        resolve: vec![Resolve {
            host: DEMO_INSTANCE.into(),
            port: 0,
            address: Ipv4Addr::LOCALHOST.into(),
        }],
        extra_roots: vec![ca],
        ..SandboxLimits::default()
    })
}

/// The settings as the platform's dialog holds them: by the keys of the form the
/// component describes (`host-harness describe`).
fn settings(simulator: &Simulator) -> Vec<Setting> {
    vec![
        Setting::text("instance", simulator.base_url()),
        Setting::text("client_id", simulator.client_id()),
        Setting::text("default_assignment_group", "Cloud Operations"),
        Setting::text("default_priority", "moderate"),
        Setting::ticket_categories(
            "ticket_categories",
            vec![
                TicketCategory::new("cost-optimization", "incident", true),
                TicketCategory::new("system-issue", "incident", true),
                TicketCategory::new("maintenance", "change_request", true).from_template(TEMPLATE),
            ],
        ),
        // Each ticket is linked to its cloud resource's configuration item.
        Setting::flag("link_configuration_items", true),
        // Test Connection then checks the Attachment API too.
        Setting::flag("attachments", true),
    ]
}

async fn configure(tenant: &mut Tenant, settings: &[Setting], secret: &[Secret]) -> Result<()> {
    if let Err(error) = tenant.configure(settings, secret).await? {
        bail!(
            "configuring the demo tenant failed: {}",
            render::error(&error)
        );
    }
    println!(
        "Tenant \"{}\" configured: default group \"Cloud Operations\", default priority moderate.",
        tenant.id()
    );
    println!(
        "Its sandbox lets it reach {} and nothing else.\n",
        tenant.allowed_origin().unwrap_or("nothing")
    );
    Ok(())
}

async fn test_connection(tenant: &mut Tenant) -> Result<()> {
    println!("Test Connection");
    let report = tenant.test_connection().await?;
    print!("{}", render::report(&report));
    if !report.passed {
        bail!("Test Connection failed against the simulator");
    }
    println!();
    Ok(())
}

/// The platform's events: one for an incident, one for a change request, and one of a
/// category that opens no ticket.
fn events() -> [Ticket; 3] {
    [
        Ticket {
            description: "CPU below 2% for 30 days. Suggested action: stop or downsize.".into(),
            priority: Some(Priority::High),
            correlation_id: Some("opportunity-7f3a".into()),
            resource: Some(resource("i-0abc123", "web-prod-07")),
            ..Ticket::new(
                "cost-optimization",
                "Idle VM i-0abc123 in eu-west-1 costs $412/month",
            )
        },
        Ticket {
            description: "Approved rightsizing, planned for the weekend window.".into(),
            correlation_id: Some("workflow-19".into()),
            resource: Some(resource(
                "arn:aws:rds:eu-west-1:123456789012:db:db-prod-2",
                "db-prod-2",
            )),
            ..Ticket::new("maintenance", "Resize database db-prod-2 to r6g.large")
        },
        Ticket::new("marketing-digest", "Weekly savings digest"),
    ]
}

/// An AWS resource of the demo's account and region.
fn resource(id: &str, name: &str) -> CloudResource {
    CloudResource {
        provider: "aws".into(),
        account: ACCOUNT.into(),
        region: REGION.into(),
        resource_id: id.into(),
        display_name: name.into(),
    }
}

/// Each event through create-ticket, and what ServiceNow stored for it.
async fn create_tickets(
    simulator: &Simulator,
    tenant: &mut Tenant,
    events: &[Ticket],
) -> Result<()> {
    let mut created = 0;
    for event in events {
        println!("Event \"{}\": {}", event.event_category, event.title);
        match tenant.create_ticket(event).await? {
            Ok(CreateOutcome::Created(written)) => {
                created += 1;
                let record = &written.ticket;
                println!(
                    "  Created {} {}",
                    render::kind(&record.kind),
                    record.display_id
                );
                println!("  {}", record.link);
                println!("  ServiceNow stored: {}", stored(simulator, record));
                println!(
                    "{}{}",
                    render::configuration_item(written.configuration_item.as_ref()),
                    render::not_applied(&written.not_applied)
                );
            }
            Ok(other) => println!("  {}", render::outcome(&other)),
            Err(error) => bail!("creating a ticket failed: {}", render::error(&error)),
        }
        println!();
    }
    println!(
        "Token requests: {} for {created} tickets and the connection test's read \
         (the tenant's instance caches its token).\n",
        simulator.token_requests()
    );
    Ok(())
}

async fn resolve_by_correlation(tenant: &mut Tenant, event: &Ticket) -> Result<()> {
    println!("The VM is stopped, so the event recovers; its ticket is resolved by correlation id:");
    let resolution = Resolution {
        code: "Solution provided".into(),
        notes: "The idle VM was stopped by the owner.".into(),
    };
    let correlation_id = event.correlation_id.as_deref().unwrap_or_default();
    match tenant
        .resolve_by_correlation(&event.event_category, correlation_id, &resolution)
        .await?
    {
        Ok(outcome) => println!("  {}\n", render::resolve(&outcome).replace('\n', "\n  ")),
        Err(error) => bail!("resolving failed: {}", render::error(&error)),
    }
    Ok(())
}

/// What an admin sees when a step of the setup guide went wrong; gives back the tenant
/// that made the mistakes.
async fn setup_mistakes(
    host: &Host,
    simulator: &Simulator,
    settings: &[Setting],
    secret: &[Secret],
) -> Result<Tenant> {
    println!("What an admin sees when a step of the setup guide went wrong:");
    let mut careless = host.tenant("careless-corp").await?;
    let pasted = [Secret::new(
        "client_secret",
        format!("{} ", simulator.client_secret()),
    )];
    match careless.configure(settings, &pasted).await? {
        Err(error) => println!(
            "- secret pasted with a trailing space:\n  {}",
            indent(&render::error(&error))
        ),
        Ok(()) => bail!("a secret with a trailing space was accepted"),
    }
    let mut metadata = settings.to_vec();
    metadata[0] = Setting::text("instance", "https://169.254.169.254");
    match careless.configure(&metadata, secret).await? {
        Err(error) => println!(
            "- instance pointed at the cloud metadata service:\n  {}",
            indent(&render::error(&error))
        ),
        Ok(()) => bail!("the host let a tenant configure the metadata service"),
    }
    let wrong = [Secret::new("client_secret", "not-the-secret")];
    if let Err(error) = careless.configure(settings, &wrong).await? {
        bail!("configuring failed: {}", render::error(&error));
    }
    let report = careless.test_connection().await?;
    println!("- wrong client secret, Test Connection:");
    print!("{}", indent(&render::report(&report)));
    Ok(careless)
}

/// The sys_id of the first record of `table` (what the demo opened there).
fn first_created(simulator: &Simulator, table: &str) -> Result<String> {
    simulator
        .records(table)
        .first()
        .and_then(|row| row.get("sys_id").and_then(Value::as_str))
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("the demo opened no {table} record"))
}

/// The platform attaches its evidence, a support agent works the tickets in ServiceNow, and
/// the platform's poll (changes-since) tells it what happened.
async fn changes_and_attachments(
    simulator: &Simulator,
    tenant: &mut Tenant,
    incident: &str,
    change: &str,
) -> Result<()> {
    // Simulated time from here on, so that the agent's work lands in later seconds than
    // the platform's first poll, as it would in life.
    simulator.freeze_clock();
    println!("The platform starts polling for changes (changes-since without a cursor: from now):");
    let start = match tenant.changes_since(None).await? {
        Ok(page) => page,
        Err(error) => bail!("changes-since failed: {}", render::error(&error)),
    };
    println!(
        "  cursor {}
",
        start.cursor
    );

    attach_evidence(tenant, incident).await?;

    println!("A support agent ({AGENT_USER_NAME}) works the tickets in ServiceNow:");
    simulator.advance_clock(std::time::Duration::from_secs(60));
    let agent = |table: &str, sys_id: &str, fields: Value| {
        simulator
            .agent_update(
                table,
                sys_id,
                fields.as_object().cloned().unwrap_or_default(),
                AGENT_USER_NAME,
            )
            .map_err(|error| anyhow::anyhow!("the agent's update failed: {error}"))
    };
    agent(
        "change_request",
        change,
        serde_json::json!({"work_notes": "Scheduled for Sunday 02:00 UTC."}),
    )?;
    simulator.advance_clock(std::time::Duration::from_secs(60));
    agent(
        "incident",
        incident,
        serde_json::json!({
            "comments": "Owner confirmed; the VM is stopped.",
            "state": "6",
            "close_code": "Solution provided",
            "close_notes": "Stopped the idle VM.",
        }),
    )?;
    println!("  a work note on the change request, then the incident resolved with a comment\n");
    // changes-since hands out a second's records once the instance's clock is a second past
    // it (a write may still be landing in it): a poll a few seconds later, as in life.
    simulator.advance_clock(std::time::Duration::from_secs(5));

    println!("The platform polls again from its cursor:");
    match tenant.changes_since(Some(&start.cursor)).await? {
        Ok(page) => {
            for change in &page.changes {
                println!("  {}", render::change(change).replace('\n', "\n  "));
            }
            println!("  cursor {} (more: {})\n", page.cursor, page.more);
        }
        Err(error) => bail!("changes-since failed: {}", render::error(&error)),
    }
    Ok(())
}

/// The platform attaches its cost report to the incident.
async fn attach_evidence(tenant: &mut Tenant, incident: &str) -> Result<()> {
    println!("The platform attaches its evidence to the incident:");
    let reference = ticketing_host::api::TicketRef {
        kind: "incident".into(),
        id: incident.into(),
    };
    let report = b"instance,region,cpu_avg_30d,monthly_cost_usd\ni-0abc123,eu-west-1,1.7%,412\n";
    match tenant
        .attach_file(&reference, "idle-vm-i-0abc123.csv", "text/csv", report)
        .await?
    {
        Ok(attachment) => println!(
            "  {}\n",
            render::attachment(&attachment).replace('\n', "\n  ")
        ),
        Err(error) => bail!("attaching failed: {}", render::error(&error)),
    }
    Ok(())
}

/// An instance before Washington DC: no client credentials grant, so the admin picks the
/// password grant (or Basic) in the same dialog.
async fn older_instance(host: &Host) -> Result<()> {
    let older = Simulator::start_tls(DEMO_INSTANCE).await?;
    older.set_release(Release::BeforeWashingtonDC);
    println!(
        "\nAn instance before Washington DC (simulated at {}):",
        older.base_url()
    );
    let mut tenant = host.tenant("legacy-corp").await?;
    let mut settings = vec![
        Setting::text("instance", older.base_url()),
        Setting::text("client_id", older.client_id()),
        Setting::ticket_categories(
            "ticket_categories",
            vec![TicketCategory::new("cost-optimization", "incident", true)],
        ),
    ];
    let client_secret = Secret::new("client_secret", older.client_secret());
    if let Err(error) = tenant
        .configure(&settings, std::slice::from_ref(&client_secret))
        .await?
    {
        bail!("configuring failed: {}", render::error(&error));
    }
    let report = tenant.test_connection().await?;
    println!("- with the guide's client credentials, Test Connection:");
    print!("{}", indent(&render::report(&report)));
    if report.passed {
        bail!("client credentials worked on an instance before Washington DC");
    }

    settings.push(Setting::text("auth_method", "password"));
    settings.push(Setting::text("username", DEFAULT_USER_NAME));
    let password = Secret::new("password", DEFAULT_USER_PASSWORD);
    if let Err(error) = tenant
        .configure(&settings, &[client_secret, password])
        .await?
    {
        bail!(
            "configuring the password grant failed: {}",
            render::error(&error)
        );
    }
    let report = tenant.test_connection().await?;
    println!("- with the OAuth password grant as {DEFAULT_USER_NAME}, Test Connection:");
    print!("{}", indent(&render::report(&report)));
    if !report.passed {
        bail!("the password grant failed against the simulator");
    }
    let event = Ticket {
        description: "Unattached for 60 days.".into(),
        ..Ticket::new(
            "cost-optimization",
            "Unattached volume vol-0def costs $38/month",
        )
    };
    match tenant.create_ticket(&event).await? {
        Ok(outcome) => println!("  {}", render::outcome(&outcome).replace('\n', "\n  ")),
        Err(error) => bail!("creating a ticket failed: {}", render::error(&error)),
    }
    older.shutdown().await;
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("  {line}\n"))
        .collect::<String>()
        .trim_end()
        .to_string()
        + "\n"
}

/// What the simulator holds for the record: the priority it derived and the group's name.
fn stored(simulator: &Simulator, record: &TicketRecord) -> String {
    let rows = simulator.records(&record.kind);
    let Some(row) = rows.iter().find(|r| r["sys_id"] == record.id.as_str()) else {
        return "(record not found in the simulator)".into();
    };
    let field = |name: &str| {
        row.get(name)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let group_id = field("assignment_group");
    let group = simulator
        .records("sys_user_group")
        .into_iter()
        .find(|g| g["sys_id"] == group_id.as_str())
        .and_then(|g| g.get("name").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_else(|| "none".into());
    let template = match field("std_change_producer_version") {
        version if version.is_empty() => String::new(),
        _ => format!(", a standard change from \"{TEMPLATE}\" with its plans"),
    };
    format!(
        "priority {} (from impact {} × urgency {}), assignment group {group}, correlation_id \
         {}{template}",
        field("priority"),
        field("impact"),
        field("urgency"),
        field("correlation_id"),
    )
}
