//! HTTPS for the simulator, as a real instance (or an on-premise one behind a private CA)
//! serves it: a test CA made once per process, a certificate it signs for the instance's
//! name (and for `localhost` and 127.0.0.1, for clients that cannot resolve the name), and a
//! listener that completes each TLS handshake before the HTTP server sees the connection.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The test CA of this process: made once, so that a host may trust every simulator a test
/// run starts. Its certificate (DER, PEM) and what signs with it.
struct TestCa {
    der: Vec<u8>,
    pem: String,
    issuer: rcgen::Issuer<'static, KeyPair>,
}

fn test_ca() -> anyhow::Result<&'static TestCa> {
    static CA: OnceLock<TestCa> = OnceLock::new();
    if let Some(ca) = CA.get() {
        return Ok(ca);
    }
    let key = KeyPair::generate().context("a CA key")?;
    let mut params = CertificateParams::new(Vec::<String>::new()).context("CA parameters")?;
    params
        .distinguished_name
        .push(DnType::CommonName, "ServiceNow simulator test CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let cert = params.self_signed(&key).context("the CA certificate")?;
    let ca = TestCa {
        der: cert.der().to_vec(),
        pem: cert.pem(),
        issuer: rcgen::Issuer::new(params, key),
    };
    Ok(CA.get_or_init(|| ca))
}

/// The test CA's certificate, DER and PEM.
pub(crate) fn test_ca_certificate() -> anyhow::Result<(Vec<u8>, String)> {
    let ca = test_ca()?;
    Ok((ca.der.clone(), ca.pem.clone()))
}

/// A client certificate the test CA signed for `name`: its chain and its PKCS#8 key, DER and
/// PEM.
pub(crate) struct ClientCertificate {
    pub chain_der: Vec<Vec<u8>>,
    pub key_der: Vec<u8>,
    pub cert_pem: String,
    pub key_pem: String,
}

pub(crate) fn client_certificate(name: &str) -> anyhow::Result<ClientCertificate> {
    let issuer = &test_ca()?.issuer;
    let key = KeyPair::generate().context("a client key")?;
    let mut params =
        CertificateParams::new(Vec::<String>::new()).context("client certificate parameters")?;
    params.distinguished_name.push(DnType::CommonName, name);
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params
        .signed_by(&key, issuer)
        .context("the client certificate")?;
    Ok(ClientCertificate {
        chain_der: vec![cert.der().to_vec()],
        key_der: key.serialize_der(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

/// A certificate a client must refuse, for its TLS failure tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadCertificate {
    /// Signed by the test CA, but expired a year ago.
    Expired,
    /// Signed by the test CA, for another name (and not for localhost or 127.0.0.1).
    ForAnotherName,
}

/// A TLS acceptor with a certificate for `name` (plus `localhost` and 127.0.0.1) signed by
/// the test CA, or the `bad` one; requiring a client certificate when `client_auth`.
pub(crate) fn acceptor(
    name: &str,
    bad: Option<BadCertificate>,
    client_auth: bool,
) -> anyhow::Result<TlsAcceptor> {
    let issuer = &test_ca()?.issuer;

    let server_key = KeyPair::generate().context("a server key")?;
    let names = match bad {
        Some(BadCertificate::ForAnotherName) => vec!["another.example.test".to_string()],
        // An address is named by the IP SAN added below.
        _ if name.parse::<IpAddr>().is_ok() => vec!["localhost".into()],
        _ => vec![name.to_string(), "localhost".into()],
    };
    let mut server = CertificateParams::new(names).context("server certificate parameters")?;
    if bad != Some(BadCertificate::ForAnotherName) {
        server
            .subject_alt_names
            .push(rcgen::SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    }
    if bad == Some(BadCertificate::Expired) {
        server.not_before = rcgen::date_time_ymd(2020, 1, 1);
        server.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    server.distinguished_name.push(DnType::CommonName, name);
    let server_cert = server
        .signed_by(&server_key, issuer)
        .context("the server certificate")?;

    let chain = vec![CertificateDer::from(server_cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .context("TLS versions")?;
    let builder = match client_auth {
        // Mutual TLS, as ServiceNow offers for inbound REST: a client certificate the
        // test CA signed is required.
        true => {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(CertificateDer::from(test_ca()?.der.clone()))
                .context("the test CA as a client root")?;
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .context("the client certificate verifier")?;
            builder.with_client_cert_verifier(verifier)
        }
        false => builder.with_no_client_auth(),
    };
    let config = builder
        .with_single_cert(chain, key)
        .context("the server certificate and key")?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts TCP connections and completes their TLS handshakes; a handshake that fails (a
/// client that does not trust the CA, say) drops that connection and the next is accepted.
pub(crate) struct TlsListener {
    pub tcp: TcpListener,
    pub acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
