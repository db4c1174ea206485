//! The platform's HTTP proxy: a tenant's connection goes through an HTTP `CONNECT` tunnel when
//! the platform names a proxy and the instance is not one of its `no_proxy` names.
//!
//! The address rules hold through the proxy: the host resolves the instance's name and checks
//! every address first, as for a direct connection, and asks the proxy for a tunnel to the
//! checked address itself (`CONNECT 203.0.113.7:443`), never to the name, so the proxy cannot
//! resolve it to somewhere else. TLS then runs through the tunnel to the instance, with the
//! instance's name: the proxy sees neither the requests nor the credentials.

use std::net::SocketAddr;
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An HTTP proxy the host's tenants connect through.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    /// Its `host:port`.
    pub address: String,
    /// Proxy Basic authentication, user and password; never shown by `Debug`.
    pub basic: Option<(String, String)>,
    /// Names connected to directly, as curl's `NO_PROXY`: a name, a `.suffix` (or a bare
    /// suffix) matching its subdomains, or `*` for every name.
    pub no_proxy: Vec<String>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("address", &self.address)
            .field("basic", &self.basic.as_ref().map(|(user, _)| user))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

impl Proxy {
    /// Whether a connection to `host` goes through the proxy.
    pub fn applies_to(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        !self.no_proxy.iter().any(|rule| {
            let rule = rule.trim().trim_start_matches('.').to_ascii_lowercase();
            rule == "*"
                || (!rule.is_empty() && (host == rule || host.ends_with(&format!(".{rule}"))))
        })
    }

    /// A TCP stream to `target` through the proxy: connected, tunnel granted.
    pub(crate) async fn tunnel(&self, target: SocketAddr) -> Result<TcpStream, TunnelFailure> {
        let mut stream = TcpStream::connect(self.address.as_str())
            .await
            .map_err(|_| TunnelFailure::Unreachable)?;
        let _ = stream.set_nodelay(true);
        let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
        if let Some((user, password)) = &self.basic {
            let credentials = STANDARD.encode(format!("{user}:{password}"));
            request.push_str(&format!("Proxy-Authorization: Basic {credentials}\r\n"));
        }
        request.push_str("\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|_| TunnelFailure::Unreachable)?;
        // The proxy's answer head, read a byte at a time so that nothing of the tunnel is
        // taken; at most 8 KiB.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if head.len() > 8192 || stream.read(&mut byte).await.unwrap_or(0) == 0 {
                return Err(TunnelFailure::Refused(0));
            }
            head.push(byte[0]);
        }
        let status = std::str::from_utf8(&head)
            .ok()
            .and_then(|head| head.split_whitespace().nth(1))
            .and_then(|code| code.parse::<u16>().ok())
            .unwrap_or(0);
        match status {
            200..=299 => Ok(stream),
            status => Err(TunnelFailure::Refused(status)),
        }
    }
}

/// Why no tunnel was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TunnelFailure {
    /// The proxy could not be reached.
    Unreachable,
    /// The proxy answered with this status (0: not HTTP), 407 when it wants credentials.
    Refused(u16),
}

impl FromStr for Proxy {
    type Err = String;

    /// `http://[user:password@]host:port` (the scheme may be left out), as curl's `--proxy`
    /// and `HTTPS_PROXY` give it.
    fn from_str(text: &str) -> Result<Self, String> {
        let usage = || {
            format!(
                "{:?} is not a proxy as http://[user:password@]host:port",
                text
            )
        };
        let rest = text.strip_prefix("http://").unwrap_or(text);
        let rest = rest.trim_end_matches('/');
        let (basic, address) = match rest.rsplit_once('@') {
            Some((credentials, address)) => {
                let (user, password) = credentials.split_once(':').ok_or_else(usage)?;
                (Some((user.to_string(), password.to_string())), address)
            }
            None => (None, rest),
        };
        let (host, port) = address.rsplit_once(':').ok_or_else(usage)?;
        if host.is_empty() || port.parse::<u16>().is_err() || rest.contains("://") {
            return Err(usage());
        }
        Ok(Self {
            address: address.to_string(),
            basic,
            no_proxy: Vec::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_reads_as_curl_gives_it_and_hides_its_password() {
        let proxy: Proxy = "http://svc:pa55@proxy.corp:3128".parse().unwrap();
        assert_eq!(proxy.address, "proxy.corp:3128");
        assert_eq!(proxy.basic, Some(("svc".into(), "pa55".into())));
        assert!(!format!("{proxy:?}").contains("pa55"));
        let bare: Proxy = "10.0.0.1:8080".parse().unwrap();
        assert_eq!((bare.address.as_str(), bare.basic), ("10.0.0.1:8080", None));
        for bad in ["http://proxy", "socks5://p:1080", "http://user@p:1", ":80"] {
            assert!(bad.parse::<Proxy>().is_err(), "{bad}");
        }
    }

    #[test]
    fn no_proxy_matches_names_and_their_subdomains() {
        let proxy = Proxy {
            no_proxy: vec![".corp.example".into(), "dev1.service-now.com".into()],
            ..Proxy::from_str("p:1").unwrap()
        };
        assert!(!proxy.applies_to("sn.corp.example"));
        assert!(!proxy.applies_to("corp.example"));
        assert!(!proxy.applies_to("DEV1.service-now.com"));
        assert!(proxy.applies_to("dev2.service-now.com"));
        assert!(proxy.applies_to("notcorp.example"));
        let none = Proxy {
            no_proxy: vec!["*".into()],
            ..Proxy::from_str("p:1").unwrap()
        };
        assert!(!none.applies_to("anything"));
    }
}
