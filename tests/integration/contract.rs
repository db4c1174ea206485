//! What the built component asks of its sandbox.

use servicenow_simulator::Simulator;
use ticketing_host::Host;

use support::{host, secret, settings};

#[test]
fn imports_only_http_and_what_std_needs() {
    let imports = host().component_imports();
    assert!(
        imports
            .iter()
            .any(|i| i.starts_with("wasi:http/outgoing-handler@")),
        "{imports:?}"
    );
    for import in &imports {
        assert!(
            !import.starts_with("wasi:filesystem") && !import.starts_with("wasi:sockets"),
            "the component imports {import}"
        );
        let allowed = [
            "wasi:http/",
            "wasi:io/",
            "wasi:clocks/",
            "wasi:cli/",
            "wasi:random/",
            "cxm:ticketing/types@",
            "cxm:ticketing/log@",
        ];
        assert!(
            allowed.iter().any(|p| import.starts_with(p)),
            "unexpected import {import}"
        );
    }
}

/// A platform may hold the component as bytes rather than a file.
#[tokio::test]
async fn the_component_loads_from_bytes_too() {
    let bytes = std::fs::read(component_artifact::component_path()).unwrap();
    let loaded = Host::from_bytes(&bytes, support::limits()).unwrap();
    assert_eq!(loaded.component_imports(), host().component_imports());
    let sim = Simulator::start().await.unwrap();
    let mut tenant = loaded.tenant("from-bytes").await.unwrap();
    tenant
        .configure(&settings(&sim), &secret(&sim))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tenant.allowed_origin(), Some(sim.base_url().as_str()));
}
