//! A platform's host for many tenants, in one file: the component loaded once, each tenant a
//! sandboxed instance with its own settings, the platform's egress policy (a name it pins,
//! a private CA it trusts, loopback allowed for the simulator), the bound it puts on every
//! tenant, and each tenant's log. Run with `cargo run -p ticketing-host --example
//! many_tenants [TENANTS]`.

use std::net::Ipv4Addr;

use servicenow_simulator::Simulator;
use ticketing_host::api::{CreateOutcome, Setting, Ticket, TicketCategory};
use ticketing_host::{Host, Resolve, SandboxLimits, Secret};

const INSTANCE: &str = "dev12345.service-now.test";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let tenants: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(20);
    // A ServiceNow instance on loopback, speaking HTTPS as INSTANCE with a private CA.
    let instance = Simulator::start_tls(INSTANCE).await?;
    let (ca, _) = Simulator::test_ca()?;

    // The platform's policy: what every tenant may reach and take.
    let limits = SandboxLimits {
        max_tenants: u32::try_from(tenants)? + 8,
        allow_private_network: true,
        resolve: vec![Resolve {
            host: INSTANCE.into(),
            port: 0,
            address: Ipv4Addr::LOCALHOST.into(),
        }],
        extra_roots: vec![ca],
        ..SandboxLimits::default()
    };
    let bound = limits.tenant_bound();
    println!(
        "each tenant: at most {} MiB of memory, {} MiB of request bodies, {} sockets, {:?} of CPU a call",
        bound.linear_memory >> 20,
        bound.buffered_request_bytes >> 20,
        bound.sockets,
        bound.cpu_per_call
    );
    let host = Host::from_file(component_artifact::component_path(), limits)?;

    // One instance per tenant, each configured with its own settings, by the keys of the
    // form the component describes.
    let settings = vec![
        Setting::text("instance", instance.base_url()),
        Setting::text("client_id", instance.client_id()),
        Setting::ticket_categories(
            "ticket_categories",
            vec![TicketCategory::new("cost-optimization", "incident", true)],
        ),
    ];
    let secrets = [Secret::new("client_secret", instance.client_secret())];
    let mut live = Vec::with_capacity(tenants);
    for i in 0..tenants {
        let mut tenant = host.tenant(format!("tenant-{i}")).await?;
        if let Err(refused) = tenant.configure(&settings, &secrets).await? {
            anyhow::bail!("tenant-{i}: {}", refused.message);
        }
        let event = Ticket {
            description: "Stopped for 14 days".into(),
            correlation_id: Some(format!("opportunity-{i}")),
            ..Ticket::new("cost-optimization", format!("Idle VM i-{i:04x}"))
        };
        match tenant.create_ticket(&event).await? {
            Ok(CreateOutcome::Created(written)) => {
                println!("{}: {}", tenant.id(), written.ticket.display_id);
            }
            Ok(other) => println!("{}: {other:?}", tenant.id()),
            Err(error) => println!("{}: {}", tenant.id(), error.message),
        }
        live.push(tenant);
    }

    // A quiet tenant gives its instance back to the pool; its next call makes one again.
    for tenant in live.iter_mut().skip(1) {
        tenant.hibernate().await;
    }
    let first = &live[0];
    println!("{} logged {} entries, last:", first.id(), first.log().len());
    if let Some(entry) = first.log().last() {
        println!("  {entry:?}");
    }
    Ok(())
}
