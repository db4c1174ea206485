//! HTTPS for the simulator, as a real instance (or an on-premise one behind a private CA)
//! serves it: a CA made when the simulator starts, a certificate it signs for the instance's
//! name (and for `localhost` and 127.0.0.1, for clients that cannot resolve the name), and a
//! listener that completes each TLS handshake before the HTTP server sees the connection.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use anyhow::Context;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A test CA and the server certificate it signed.
pub(crate) struct Certificates {
    /// The CA's certificate, DER: what a client must trust.
    pub ca_der: Vec<u8>,
    /// The same, PEM.
    pub ca_pem: String,
    pub acceptor: TlsAcceptor,
}

impl Certificates {
    /// A new CA, and a certificate for `name` (plus `localhost` and 127.0.0.1) signed by it.
    pub(crate) fn new(name: &str) -> anyhow::Result<Self> {
        let ca_key = KeyPair::generate().context("a CA key")?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).context("CA parameters")?;
        ca.distinguished_name
            .push(DnType::CommonName, "ServiceNow simulator test CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).context("the CA certificate")?;
        let issuer = rcgen::Issuer::new(ca, ca_key);

        let server_key = KeyPair::generate().context("a server key")?;
        let mut server = CertificateParams::new(vec![name.to_string(), "localhost".into()])
            .context("server certificate parameters")?;
        server
            .subject_alt_names
            .push(rcgen::SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        server.distinguished_name.push(DnType::CommonName, name);
        let server_cert = server
            .signed_by(&server_key, &issuer)
            .context("the server certificate")?;

        let chain = vec![CertificateDer::from(server_cert.der().to_vec())];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .context("TLS versions")?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .context("the server certificate and key")?;
        Ok(Self {
            ca_der: ca_cert.der().to_vec(),
            ca_pem: ca_cert.pem(),
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }
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
