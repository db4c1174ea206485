//! TLS for a tenant's connections: a configuration of its own for each tenant client (the
//! roots the tenant trusts, its client certificate, its own session cache), the handshake,
//! and what a failed handshake means, for the guest (a code) and for the admin (words).

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use wasmtime_wasi_http::Error as HttpError;

use super::connect_failure::ConnectFailure;
use crate::api::log::Level;
use crate::issuer::NamingVerifier;
use crate::tenant_log::TenantLog;
use crate::trust::ClientIdentity;

/// A client's TLS: its configuration, and its verifier, which names the issuer of a
/// certificate it refused.
pub(super) type ClientTls = (Arc<rustls::ClientConfig>, Arc<NamingVerifier>);

/// Session tickets a tenant client keeps: one server's worth (rustls keeps up to 8 TLS 1.3
/// tickets a server), since a client talks to its one origin. rustls's default, 256, sizes
/// a cache for 32 servers up front, in every tenant that has connected.
const TLS_SESSIONS: usize = 8;

/// A TLS configuration of its own for each tenant client (sessions are never shared), on
/// the webpki roots and the ring provider, both made once.
pub(crate) fn tls_config(
    roots: Arc<rustls::RootCertStore>,
    client_identity: Option<&ClientIdentity>,
) -> Result<(rustls::ClientConfig, Arc<NamingVerifier>), HttpError> {
    static PROVIDER: OnceLock<Arc<rustls::crypto::CryptoProvider>> = OnceLock::new();
    let provider = PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()));
    let failed = |e: &dyn std::fmt::Display| {
        HttpError::InternalError(Some(format!("TLS configuration: {e}")))
    };
    let webpki =
        rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
            .build()
            .map_err(|e| failed(&e))?;
    let verifier = Arc::new(NamingVerifier::new(webpki));
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| failed(&e))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone());
    let mut config = match client_identity {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain.clone(), key.clone_key())
            .map_err(|e| failed(&e))?,
        None => builder.with_no_client_auth(),
    };
    config.resumption = rustls::client::Resumption::in_memory_sessions(TLS_SESSIONS);
    Ok((config, verifier))
}

/// TLS with `host` over `tcp`. A failed handshake is logged for the platform, with the
/// issuer the platform does not trust when that is why.
pub(super) async fn handshake(
    (config, verifier): ClientTls,
    host: &str,
    tcp: TcpStream,
    log: &TenantLog,
) -> Result<TlsStream<TcpStream>, ConnectFailure> {
    let name = match host.parse::<IpAddr>() {
        Ok(ip) => ServerName::from(ip),
        Err(_) => ServerName::try_from(host.to_string()).map_err(|_| ConnectFailure::InvalidUri)?,
    };
    TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| {
            let failure = tls_failure(&e);
            // The guest learns only wasi:http's code; the platform learns why.
            let mut why = tls_reason(&e);
            if let Some(issuer) = verifier.take_refused_issuer() {
                why.push_str(&format!("; the untrusted issuer is \"{issuer}\""));
            }
            log.host_note(Level::Warn, &format!("TLS with {host}: {why}"));
            tracing::warn!(host, why, "TLS handshake failed");
            failure
        })
}

fn tls_failure(error: &std::io::Error) -> ConnectFailure {
    let rustls_error = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match rustls_error {
        Some(rustls::Error::InvalidCertificate(_)) => ConnectFailure::TlsCertificate,
        Some(rustls::Error::AlertReceived(alert)) => {
            ConnectFailure::TlsAlert(Some(u8::from(*alert)), format!("{alert:?}"))
        }
        Some(_) => ConnectFailure::TlsProtocol,
        None => ConnectFailure::TlsProtocol,
    }
}

/// Why a TLS handshake failed, in words an admin acts on (`wasi:http` gives the guest only
/// a code with no detail).
fn tls_reason(error: &std::io::Error) -> String {
    use rustls::CertificateError as Certificate;
    let rustls_error = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let Some(rustls_error) = rustls_error else {
        return format!("the connection failed during the handshake ({error})");
    };
    match rustls_error {
        rustls::Error::InvalidCertificate(certificate) => match certificate {
            Certificate::UnknownIssuer => "its certificate was issued by a CA the platform does \
                 not trust: an on-premise instance's private CA must be given to the platform \
                 (SandboxLimits::extra_roots, the CLI's --cacert)"
                .into(),
            Certificate::Expired | Certificate::ExpiredContext { .. } => {
                "its certificate has expired: the instance's administrators must renew it".into()
            }
            Certificate::NotValidYet | Certificate::NotValidYetContext { .. } => {
                "its certificate is not valid yet (a clock set wrong on one side)".into()
            }
            Certificate::NotValidForName | Certificate::NotValidForNameContext { .. } => {
                "its certificate is for another name than the instance address: check the \
                 address, or the instance's certificate"
                    .into()
            }
            other => format!("its certificate was refused ({other:?})"),
        },
        rustls::Error::PeerIncompatible(why) => format!(
            "it offers no TLS version or cipher the platform accepts (TLS 1.2 and 1.3): \
             {why:?}"
        ),
        rustls::Error::AlertReceived(rustls::AlertDescription::ProtocolVersion) => {
            "it offers no TLS version the platform accepts (TLS 1.2 and 1.3): an instance (or \
             its proxy) on TLS 1.0 or 1.1 must be upgraded"
                .into()
        }
        rustls::Error::AlertReceived(alert) => format!("it ended the handshake ({alert:?})"),
        other => format!("the handshake failed ({other})"),
    }
}
