//! The path a real tenant takes: HTTPS to a host name, here an instance whose certificate a
//! private CA signed (as an on-premise instance's often is), reached through the host's own
//! resolution of that name (`SandboxLimits::resolve`, curl's `--resolve`).

use std::net::{IpAddr, Ipv4Addr};

use servicenow_simulator::{BadCertificate, Simulator};
use ticketing_host::{ClientCertificate, Host, Proxy, Resolve, SandboxLimits, TenantTls};

use support::{ConnectProxy, configured, create_error, host, limits, open, settings};

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

/// The host's notes in the tenant's log.
fn host_notes(tenant: &ticketing_host::Tenant) -> String {
    tenant
        .log()
        .into_iter()
        .filter_map(|entry| match entry.event {
            ticketing_host::LogEvent::Host(note) => Some(note),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Each certificate the platform must refuse: nothing is sent; the error says the certificate
/// is not trusted and what may cause it, and the tenant's log says which cause it is, with
/// what to do (the guest learns only `wasi:http`'s code, which carries no detail).
#[tokio::test]
async fn each_certificate_refused_is_named_in_the_tenants_log() {
    let cases = [
        (
            None,
            false,
            "the untrusted issuer is \"ServiceNow simulator test CA\"",
        ),
        (Some(BadCertificate::Expired), true, "has expired"),
        (
            Some(BadCertificate::ForAnotherName),
            true,
            "for another name",
        ),
    ];
    for (bad, trust_ca, says) in cases {
        let sim = Simulator::start_tls_with(NAME, bad)
            .await
            .expect("simulator starts");
        let roots = match trust_ca {
            true => vec![Simulator::test_ca().expect("its CA").0],
            false => Vec::new(),
        };
        let host = resolving(&sim, roots);
        let mut tenant = configured(&host, "untrusted", &sim, &settings(&sim)).await;
        let error = create_error(&mut tenant).await;
        assert!(
            error.message.contains("TLS certificate is not trusted"),
            "{bad:?}: {}",
            error.message
        );
        assert!(
            error.message.contains("log for this tenant"),
            "{}",
            error.message
        );
        let notes = host_notes(&tenant);
        assert!(notes.contains(says), "{bad:?}: {notes}");
        assert!(sim.requests().is_empty(), "{:?}", sim.requests());
        let report = tenant.test_connection().await.expect("no trap");
        assert!(!report.passed);
        assert!(
            format!("{report:?}").contains("TLS certificate is not trusted"),
            "Test Connection names it: {report:?}"
        );
    }
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

/// The platform's proxy: the tenant's connection goes through a `CONNECT` tunnel to the
/// address the host resolved and checked (never to the name, which the proxy could resolve
/// elsewhere), TLS runs through it to the instance, and the names in `no_proxy` go direct.
#[tokio::test]
async fn a_ticket_goes_through_the_platforms_proxy() {
    let sim = Simulator::start_tls(NAME).await.expect("simulator starts");
    let proxy = ConnectProxy::start(None).await;
    let through = |no_proxy: Vec<String>| {
        host().with_limits(SandboxLimits {
            proxy: Some(Proxy {
                no_proxy,
                ..proxy.address.parse().unwrap()
            }),
            ..limits()
        })
    };
    let host = through(Vec::new());
    let mut tenant = configured(&host, "proxied", &sim, &settings(&sim)).await;
    open(
        &mut tenant,
        "cost-optimization",
        "Idle VM through the proxy",
    )
    .await;
    let targets = proxy.targets();
    assert!(!targets.is_empty());
    assert!(
        targets
            .iter()
            .all(|t| *t == format!("127.0.0.1:{}", sim.port())),
        "{targets:?}"
    );

    let direct = through(vec![format!(".{}", NAME.split_once('.').unwrap().1)]);
    let mut tenant = configured(&direct, "direct", &sim, &settings(&sim)).await;
    let before = proxy.targets().len();
    open(
        &mut tenant,
        "cost-optimization",
        "Idle VM not through the proxy",
    )
    .await;
    assert_eq!(proxy.targets().len(), before, "no_proxy goes direct");
}

/// A proxy that wants credentials: without them the tenant's log says so (407) and nothing
/// reaches the instance; with them the ticket goes through.
#[tokio::test]
async fn a_proxy_that_wants_credentials_gets_them() {
    let sim = Simulator::start_tls(NAME).await.expect("simulator starts");
    // base64("svc:pa55")
    let proxy = ConnectProxy::start(Some("c3ZjOnBhNTU=")).await;
    let with = |credentials: &str| {
        host().with_limits(SandboxLimits {
            proxy: Some(
                format!("http://{credentials}{}", proxy.address)
                    .parse()
                    .unwrap(),
            ),
            ..limits()
        })
    };
    let anonymous = with("");
    let mut tenant = configured(&anonymous, "anonymous", &sim, &settings(&sim)).await;
    create_error(&mut tenant).await;
    let notes = host_notes(&tenant);
    assert!(notes.contains("wants credentials (407)"), "{notes}");
    assert!(!notes.contains("pa55"));
    assert!(sim.requests().is_empty());

    let signed = with("svc:pa55@");
    let mut tenant = configured(&signed, "signed", &sim, &settings(&sim)).await;
    open(&mut tenant, "cost-optimization", "Idle VM").await;
}

/// An instance that requires mutual TLS, as ServiceNow offers for inbound REST: the tenant
/// the platform gave a client certificate reaches it; one without is refused in the
/// handshake, and the tenant's log says so. Another tenant's trust is its own: a private CA
/// given to one tenant is not trusted by the next.
#[tokio::test]
async fn a_tenant_with_its_client_certificate_reaches_an_instance_requiring_it() {
    let sim = Simulator::start_mutual_tls(NAME)
        .await
        .expect("simulator starts");
    let (chain, key) = Simulator::client_certificate("cxm-tenant-acme").expect("a client cert");
    let (ca, _) = Simulator::test_ca().expect("its CA");
    // A host that trusts no extra root: the CA is the tenant's own.
    let host = resolving(&sim, Vec::new());
    let mut tenant = configured(&host, "acme", &sim, &settings(&sim)).await;
    tenant
        .set_tls(&TenantTls {
            extra_roots: vec![ca],
            client_certificate: Some(ClientCertificate { chain, key }),
        })
        .expect("a usable identity");
    open(&mut tenant, "cost-optimization", "Idle VM over mutual TLS").await;
    assert_eq!(sim.records("incident").len(), 1);

    let mut other = configured(&host, "globex", &sim, &settings(&sim)).await;
    create_error(&mut other).await;
    assert!(
        host_notes(&other).contains("does not trust"),
        "{}",
        host_notes(&other)
    );
    let (ca, _) = Simulator::test_ca().expect("its CA");
    other
        .set_tls(&TenantTls {
            extra_roots: vec![ca],
            client_certificate: None,
        })
        .unwrap();
    create_error(&mut other).await;
    assert_eq!(
        sim.records("incident").len(),
        1,
        "no certificate, no ticket"
    );

    let garbage = TenantTls {
        extra_roots: Vec::new(),
        client_certificate: Some(ClientCertificate {
            chain: vec![b"not a certificate".to_vec()],
            key: b"not a key".to_vec(),
        }),
    };
    assert!(other.set_tls(&garbage).is_err());
    assert!(!format!("{garbage:?}").contains("not a key"), "{garbage:?}");
}

/// A server that offers only an old TLS version answers the platform's hello with
/// `protocol_version`: the handshake fails, nothing is sent, and the tenant's log says the
/// instance must be upgraded.
#[tokio::test]
async fn an_instance_on_an_old_tls_version_is_named() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut hello = [0u8; 512];
            let _ = socket.read(&mut hello).await;
            // A TLS 1.0 record: a fatal protocol_version alert.
            let _ = socket
                .write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])
                .await;
        }
    });
    let sim = support::instance().await;
    let form = support::Form {
        instance: format!("https://{NAME}:{port}"),
        ..settings(&sim)
    };
    let mut tenant = configured(host(), "old-tls", &sim, &form).await;
    let error = create_error(&mut tenant).await;
    assert!(
        error.message.contains("TLS handshake failed"),
        "{}",
        error.message
    );
    let notes = host_notes(&tenant);
    assert!(
        notes.contains("no TLS version the platform accepts"),
        "{notes}"
    );
}

/// A name the platform admits on its private network: the instance's name may resolve to a
/// private address (here loopback) without opening private networks to every name.
#[tokio::test]
async fn an_admitted_name_may_resolve_to_a_private_address() {
    let sim = Simulator::start_tls(NAME).await.expect("simulator starts");
    let pinned = |allowed_hosts: Vec<String>| {
        host().with_limits(SandboxLimits {
            allow_private_network: false,
            allowed_hosts,
            ..limits()
        })
    };
    let admitted = pinned(vec![NAME.to_uppercase()]);
    let mut tenant = configured(&admitted, "admitted", &sim, &settings(&sim)).await;
    open(
        &mut tenant,
        "cost-optimization",
        "Idle VM on an admitted name",
    )
    .await;

    let other = pinned(vec!["another.example.test".into()]);
    let mut tenant = configured(&other, "not-admitted", &sim, &settings(&sim)).await;
    let error = create_error(&mut tenant).await;
    assert_eq!(
        error.kind,
        ticketing_host::api::ErrorKind::BlockedByHost,
        "{error:?}"
    );
}
