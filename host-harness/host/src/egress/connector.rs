//! Resolving a tenant's destination, checking every address against the host's rules
//! ([`crate::address`]), and connecting to a checked one (directly or through the
//! platform's proxy), then TLS for https: so a second lookup cannot rebind the name.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http::Uri;
use http::uri::Scheme;
use tokio::net::TcpStream;

use super::connect_failure::ConnectFailure;
use super::stream::Stream;
use super::tls::{self, ClientTls};
use crate::address::{self, Network, Rule};
use crate::api::log::Level;
use crate::proxy::{Proxy, TunnelFailure};
use crate::tenant_log::TenantLog;
use crate::trust::Resolve;

/// Resolve, check every address, connect to a checked one, then TLS for https.
pub(super) struct Connector {
    pub(super) allow_private_network: bool,
    /// Private networks the platform admits.
    pub(super) allowed_networks: Vec<Network>,
    /// Names the platform admits on a private network.
    pub(super) allowed_hosts: Vec<String>,
    /// For an https origin: its configuration, and its verifier.
    pub(super) tls: Option<ClientTls>,
    /// Names the platform resolves itself.
    pub(super) resolve: Vec<Resolve>,
    /// The platform's proxy.
    pub(super) proxy: Option<Proxy>,
    pub(super) denied: Arc<AtomicU64>,
    pub(super) log: TenantLog,
}

impl Connector {
    /// A connection to `uri`'s host and port, made within `within`.
    pub(super) async fn connect(
        &self,
        uri: &Uri,
        within: Duration,
    ) -> Result<Stream, ConnectFailure> {
        let host = uri.host().ok_or(ConnectFailure::InvalidUri)?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let https = uri.scheme() == Some(&Scheme::HTTPS);
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let within = within.max(Duration::from_millis(1));
        let connect = async {
            let addresses = self.checked_addresses(&host, port).await?;
            let tcp = match self.proxy.as_ref().filter(|proxy| proxy.applies_to(&host)) {
                Some(proxy) => self.tunnel_any(proxy, &addresses).await?,
                None => connect_any(&addresses).await?,
            };
            if !https {
                return Ok(Stream::Plain(tcp));
            }
            // The client's origin is http: an https URL is not its own.
            let client_tls = self.tls.clone().ok_or(ConnectFailure::InvalidUri)?;
            let tls = tls::handshake(client_tls, &host, tcp, &self.log).await?;
            Ok(Stream::Tls(Box::new(tls)))
        };
        tokio::time::timeout(within, connect)
            .await
            .map_err(|_| ConnectFailure::Timeout)?
    }

    /// Every address the host resolves to, each checked; one refused address refuses all
    /// (a name that mixes public and internal addresses is not a ServiceNow instance).
    async fn checked_addresses(
        &self,
        host: &str,
        port: u16,
    ) -> Result<Vec<SocketAddr>, ConnectFailure> {
        let pinned = Resolve::find(&self.resolve, host, port);
        let addresses: Vec<SocketAddr> = match pinned.ok_or(()).or_else(|()| host.parse()) {
            Ok(ip) => vec![SocketAddr::new(ip, port)],
            Err(_) => tokio::net::lookup_host((host, port))
                .await
                .map_err(|e| ConnectFailure::Dns(dns_reason(&e)))?
                .collect(),
        };
        if addresses.is_empty() {
            return Err(ConnectFailure::NotFound);
        }
        for address in &addresses {
            let admitted_name = self
                .allowed_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(host));
            let rule = address::refusal_admitting(
                address.ip(),
                self.allow_private_network || admitted_name,
                &self.allowed_networks,
            );
            if let Some(rule) = rule {
                self.refuse(host, rule);
                return Err(ConnectFailure::Denied);
            }
        }
        Ok(addresses)
    }

    /// A tunnel through `proxy` to one of the checked `addresses`.
    async fn tunnel_any(
        &self,
        proxy: &Proxy,
        addresses: &[SocketAddr],
    ) -> Result<TcpStream, ConnectFailure> {
        let mut last = ConnectFailure::NotFound;
        for address in addresses {
            match proxy.tunnel(*address).await {
                Ok(stream) => return Ok(stream),
                Err(failure) => {
                    let why = match failure {
                        TunnelFailure::Unreachable => "could not be reached".to_string(),
                        TunnelFailure::Refused(407) => {
                            "wants credentials (407): give them in SandboxLimits::proxy, the \
                             CLI's --proxy http://user:password@host:port"
                                .to_string()
                        }
                        TunnelFailure::Refused(status) => {
                            format!("refused the tunnel to {address} (status {status})")
                        }
                    };
                    self.log.host_note(
                        Level::Warn,
                        &format!("the platform's proxy {} {why}", proxy.address),
                    );
                    last = ConnectFailure::Unreachable;
                }
            }
        }
        Err(last)
    }

    fn refuse(&self, host: &str, rule: Rule) {
        self.denied.fetch_add(1, Ordering::Relaxed);
        self.log.host_note(
            Level::Warn,
            &format!(
                "the platform refused to connect to {host}: it resolves to an address under \
                 host rule \"{rule}\"; tenants may not reach such addresses"
            ),
        );
    }
}

fn dns_reason(error: &std::io::Error) -> String {
    // getaddrinfo's words, without the name (the guest knows which name it asked for).
    let text = error.to_string();
    if text.contains("failed to lookup address information") {
        "the name does not resolve".into()
    } else {
        text
    }
}

async fn connect_any(addresses: &[SocketAddr]) -> Result<TcpStream, ConnectFailure> {
    let mut last = ConnectFailure::NotFound;
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(error) => {
                last = match error.kind() {
                    std::io::ErrorKind::ConnectionRefused => ConnectFailure::Refused,
                    std::io::ErrorKind::TimedOut => ConnectFailure::Timeout,
                    _ => ConnectFailure::Unreachable,
                };
            }
        }
    }
    Err(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connector(allow_private_network: bool, log: TenantLog) -> Connector {
        Connector {
            allow_private_network,
            allowed_networks: Vec::new(),
            allowed_hosts: Vec::new(),
            tls: Some({
                let (config, verifier) =
                    tls::tls_config(crate::trust::roots(&[]).unwrap(), None).unwrap();
                (Arc::new(config), verifier)
            }),
            resolve: Vec::new(),
            proxy: None,
            denied: Arc::new(AtomicU64::new(0)),
            log,
        }
    }

    #[tokio::test]
    async fn names_and_literals_are_checked_before_connecting() {
        let log = TenantLog::default();
        let strict = connector(false, log.clone());
        for host in [
            "localhost",
            "127.0.0.1",
            "::1",
            "169.254.169.254",
            "::ffff:10.0.0.5",
        ] {
            let refused = strict.checked_addresses(host, 80).await.unwrap_err();
            assert_eq!(refused, ConnectFailure::Denied, "{host}");
        }
        assert_eq!(strict.denied.load(Ordering::Relaxed), 5);
        assert_eq!(log.entries().len(), 5);
        let allowed = connector(true, TenantLog::default());
        let addresses = allowed.checked_addresses("localhost", 80).await.unwrap();
        assert!(
            addresses.iter().all(|a| a.ip().is_loopback()),
            "{addresses:?}"
        );
        let metadata = allowed.checked_addresses("169.254.169.254", 80).await;
        assert_eq!(metadata.unwrap_err(), ConnectFailure::Denied);
    }

    #[tokio::test]
    async fn a_refused_destination_is_never_connected_to() {
        // Something listens here; the strict connector must not even knock.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let uri: Uri = format!("http://127.0.0.1:{port}/").parse().unwrap();
        let failure = connector(false, TenantLog::default())
            .connect(&uri, Duration::from_secs(5))
            .await
            .err()
            .unwrap();
        assert_eq!(failure, ConnectFailure::Denied);
        // A connection made on loopback would be waiting in the accept queue by now.
        let accepted = listener.accept();
        assert!(
            matches!(&accepted, Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "the host connected to a refused address: {accepted:?}"
        );
    }
}
