//! `host-harness simulator`: the ServiceNow simulator in the foreground, for manual tries and
//! for scripts that start it (the jco tests).

use std::process::ExitCode;

use anyhow::Result;
use anyhow::anyhow;
use servicenow_simulator::{
    CloudCi, DEFAULT_USER_NAME, DEFAULT_USER_PASSWORD, Simulator, TransformMap, TransformScript,
};

use crate::args::SimulatorArgs;

/// The name of the standard change template the simulator starts with.
const STANDARD_CHANGE_TEMPLATE: &str = "Restart a cloud VM";

/// Runs until Ctrl-C, or with `--until-stdin-closes` until standard input closes as well.
pub async fn run(args: SimulatorArgs) -> Result<ExitCode> {
    let simulator = match &args.tls {
        Some(name) => Simulator::start_tls(name).await?,
        None => Simulator::start_on(([127, 0, 0, 1], args.port).into()).await?,
    };
    seed_import_set(&simulator);
    // One standard change template, for the jco steps that open changes from a template
    // (docs/servicenow/change-management.md#standard-change-templates).
    let template_id = simulator.insert_standard_change_template(
        STANDARD_CHANGE_TEMPLATE,
        serde_json::json!({
            "short_description": "Restart a cloud VM",
            "description": "Restart the VM from its cloud console.",
            "implementation_plan": "Stop the VM, wait for it to stop, start it.",
            "backout_plan": "Start the VM again if it does not come back.",
            "test_plan": "The VM answers its health check.",
        })
        .as_object()
        .cloned()
        .unwrap_or_default(),
    );
    let mut cloud_cis = serde_json::Map::new();
    for (name, instance_id) in &args.seed_cloud_cis {
        let sys_id = simulator
            .insert_cloud_ci(CloudCi::aws_vm(name, instance_id))
            .map_err(|why| anyhow!(why))?;
        cloud_cis.insert(name.clone(), sys_id.into());
    }
    if args.json {
        let started = serde_json::json!({
            "cloud_cis": cloud_cis,
            "ca_pem": simulator.ca_pem(),
            "base_url": simulator.base_url(),
            "client_id": simulator.client_id(),
            "client_secret": simulator.client_secret(),
            "username": DEFAULT_USER_NAME,
            "password": DEFAULT_USER_PASSWORD,
            "standard_change_template": {"name": STANDARD_CHANGE_TEMPLATE, "sys_id": template_id},
        });
        println!("{started}");
    } else {
        println!("ServiceNow simulator listening on {}", simulator.base_url());
        println!("  client_id     = {}", simulator.client_id());
        println!("  client_secret = {}", simulator.client_secret());
        println!("  username      = {DEFAULT_USER_NAME}    (password grant, Basic)");
        println!("  password      = {DEFAULT_USER_PASSWORD}");
        println!("  standard change template \"{STANDARD_CHANGE_TEMPLATE}\" = {template_id}");
        for (name, sys_id) in &cloud_cis {
            println!("  CI {name} = {}", sys_id.as_str().unwrap_or_default());
        }
        println!("Press Ctrl-C to stop.");
    }
    if args.until_stdin_closes {
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

/// A staging table for incidents whose transform map writes every column the component sends,
/// coalescing on the correlation id, loadable by every user: what a script needs to write
/// tickets through an import set (docs/servicenow/import-sets.md#in-the-simulator). Beside it,
/// `u_cxm_refusing_import`, whose transform script refuses every row, as a customer's
/// validation does.
fn seed_import_set(simulator: &Simulator) {
    let map = TransformMap::cxm_incidents().field("u_assignment_group", "assignment_group");
    let refusing = TransformMap::cxm_incidents()
        .script(TransformScript::Error(REFUSING_TRANSFORM_MESSAGE.into()));
    for (staging, map) in [
        ("u_cxm_incident_import", map),
        ("u_cxm_refusing_import", refusing),
    ] {
        simulator.add_import_set(staging, map);
        simulator.set_import_set_roles(staging, &[]);
    }
}

/// What `u_cxm_refusing_import`'s transform says of every row.
const REFUSING_TRANSFORM_MESSAGE: &str = "Business service is mandatory for incidents from CXM";

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
