//! Starting and stopping a simulator, over HTTP or HTTPS (its test CA, client
//! certificates for mutual TLS), and where it listens.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::server::{self, Shared};
use crate::tls::{self, BadCertificate};
use crate::{Inner, Simulator};

impl Simulator {
    /// Starts on a free loopback port.
    pub async fn start() -> anyhow::Result<Simulator> {
        Simulator::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    pub async fn start_on(addr: SocketAddr) -> anyhow::Result<Simulator> {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the ServiceNow simulator to {addr}"))?;
        let mut local = listener.local_addr()?;
        if local.ip().is_unspecified() {
            local.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        let shared = Arc::new(Shared::new(format!("http://{local}")));
        let (stop, stopped) = oneshot::channel();
        let server = tokio::spawn(server::serve(listener, shared.clone(), stopped));
        Ok(Simulator {
            inner: Arc::new(Inner {
                shared,
                ca: None,
                stop: Mutex::new(Some(stop)),
                server: Mutex::new(Some(server)),
            }),
        })
    }

    /// Starts on a free loopback port speaking HTTPS as `name` (a host name such as
    /// `dev12345.service-now.test`), with a certificate signed by this process's test CA
    /// ([`Simulator::test_ca`]); the certificate also names `localhost` and 127.0.0.1. Its
    /// base URL is `https://NAME:PORT`: a client resolves NAME to 127.0.0.1 itself (the
    /// host's `resolve`, curl's `--resolve`).
    pub async fn start_tls(name: &str) -> anyhow::Result<Simulator> {
        Simulator::start_tls_with(name, None).await
    }

    /// [`Simulator::start_tls`] with a certificate a client must refuse, or none.
    pub async fn start_tls_with(
        name: &str,
        bad: Option<BadCertificate>,
    ) -> anyhow::Result<Simulator> {
        Simulator::serve_tls(name, bad, false).await
    }

    /// [`Simulator::start_tls`] requiring mutual TLS: a client certificate the test CA
    /// signed ([`Simulator::client_certificate`]).
    pub async fn start_mutual_tls(name: &str) -> anyhow::Result<Simulator> {
        Simulator::serve_tls(name, None, true).await
    }

    /// A client certificate the test CA signed for `name`: its chain and PKCS#8 key, DER.
    pub fn client_certificate(name: &str) -> anyhow::Result<(Vec<Vec<u8>>, Vec<u8>)> {
        let made = tls::client_certificate(name)?;
        Ok((made.chain_der, made.key_der))
    }

    /// The same as PEM files hold them: the certificate, and its PKCS#8 key.
    pub fn client_certificate_pem(name: &str) -> anyhow::Result<(String, String)> {
        let made = tls::client_certificate(name)?;
        Ok((made.cert_pem, made.key_pem))
    }

    async fn serve_tls(
        name: &str,
        bad: Option<BadCertificate>,
        client_auth: bool,
    ) -> anyhow::Result<Simulator> {
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let tcp = TcpListener::bind(addr)
            .await
            .with_context(|| format!("binding the ServiceNow simulator to {addr}"))?;
        let port = tcp.local_addr()?.port();
        let acceptor = tls::acceptor(name, bad, client_auth)?;
        let ca = tls::test_ca_certificate()?;
        let shared = Arc::new(Shared::new(format!("https://{name}:{port}")));
        let (stop, stopped) = oneshot::channel();
        let listener = tls::TlsListener { tcp, acceptor };
        let server = tokio::spawn(server::serve(listener, shared.clone(), stopped));
        Ok(Simulator {
            inner: Arc::new(Inner {
                shared,
                ca: Some(ca),
                stop: Mutex::new(Some(stop)),
                server: Mutex::new(Some(server)),
            }),
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        let base = &self.inner.shared.base_url;
        base.rsplit(':')
            .next()
            .and_then(|port| port.parse().ok())
            .unwrap_or(0)
    }

    /// The CA that signs every HTTPS simulator of this process (DER, PEM): what a client
    /// trusts to reach them.
    pub fn test_ca() -> anyhow::Result<(Vec<u8>, String)> {
        tls::test_ca_certificate()
    }

    /// The test CA of an HTTPS simulator (DER); none for plain HTTP.
    pub fn ca_der(&self) -> Option<Vec<u8>> {
        self.inner.ca.as_ref().map(|(der, _)| der.clone())
    }

    /// The same CA, PEM (what `--cacert` and `NODE_EXTRA_CA_CERTS` read).
    pub fn ca_pem(&self) -> Option<String> {
        self.inner.ca.as_ref().map(|(_, pem)| pem.clone())
    }

    /// "http://127.0.0.1:PORT" (or "https://NAME:PORT", see [`Simulator::start_tls`]), no
    /// trailing slash.
    pub fn base_url(&self) -> String {
        self.inner.shared.base_url.clone()
    }

    /// Stops the server and waits (briefly) for open connections to close.
    pub async fn shutdown(self) {
        self.stop();
        let server = self
            .inner
            .server
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(mut server) = server
            && tokio::time::timeout(Duration::from_secs(5), &mut server)
                .await
                .is_err()
        {
            // A client holding a request open must not hang the caller.
            server.abort();
        }
    }

    fn stop(&self) {
        let stop = self
            .inner
            .stop
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(stop) = stop {
            let _ = stop.send(());
        }
    }
}
