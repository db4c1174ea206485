//! The path a real tenant takes: HTTPS to a host name, here an instance whose certificate a
//! private CA signed (as an on-premise instance's often is), reached through the host's own
//! resolution of that name (`SandboxLimits::resolve`, curl's `--resolve`).

use std::net::{IpAddr, Ipv4Addr};

use servicenow_simulator::Simulator;
use ticketing_host::{Host, Resolve, SandboxLimits};

use support::{configured, create_error, host, limits, open, settings};

const NAME: &str = "dev12345.service-now.test";

/// A host that resolves the simulator's name to loopback and trusts `roots` beside webpki's.
fn resolving(sim: &Simulator, roots: Vec<Vec<u8>>) -> Host {
    host().with_limits(SandboxLimits {
        resolve: vec![Resolve {
            host: NAME.into(),
            port: sim.port(),
            address: IpAddr::V4(Ipv4Addr::LOCALHOST),
        }],
        extra_roots: roots,
        ..limits()
    })
}

#[tokio::test]
async fn a_ticket_goes_over_tls_to_an_instance_with_a_private_ca() {
    let sim = Simulator::start_tls(NAME).await.expect("simulator starts");
    assert!(sim.base_url().starts_with(&format!("https://{NAME}:")));
    let host = resolving(&sim, vec![sim.ca_der().expect("its CA")]);
    let mut tenant = configured(&host, "on-premise", &sim, &settings(&sim)).await;
    let report = tenant.test_connection().await.expect("no trap");
    assert!(report.passed, "{report:#?}");
    let record = open(&mut tenant, "cost-optimization", "Idle VM over TLS").await;
    assert!(
        record.link.starts_with(&format!("https://{NAME}:")),
        "{}",
        record.link
    );
    assert_eq!(sim.records("incident").len(), 1);
}

/// The same instance without its CA among the host's roots: nothing is sent, and the error
/// says the certificate is not trusted.
#[tokio::test]
async fn an_instance_whose_ca_the_platform_does_not_trust_is_refused() {
    let sim = Simulator::start_tls(NAME).await.expect("simulator starts");
    let host = resolving(&sim, Vec::new());
    let mut tenant = configured(&host, "untrusted", &sim, &settings(&sim)).await;
    let error = create_error(&mut tenant).await;
    assert!(
        error.message.contains("TLS certificate is not trusted"),
        "{}",
        error.message
    );
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
}

/// A root the platform gives that is not a certificate fails the host's tenants at once,
/// with what is wrong, rather than later in a handshake.
#[tokio::test]
async fn an_extra_root_that_is_not_a_certificate_is_refused() {
    let sim = Simulator::start_tls(NAME).await.expect("simulator starts");
    let host = resolving(&sim, vec![b"-----BEGIN nonsense".to_vec()]);
    let error = host.tenant("x").await.err().expect("no tenant");
    assert!(format!("{error:#}").contains("extra_roots[0]"), "{error:#}");
}
