//! The arguments that say where the tenant's instance is and how to reach it: its settings
//! file, and the host's network and TLS policy (as curl's options).

use std::path::PathBuf;

use anyhow::{Context, Result};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivatePkcs8KeyDer};
use ticketing_host::{ClientCertificate, Network, Proxy, Resolve, SandboxLimits};

#[derive(clap::Args)]
pub struct SettingsArgs {
    /// TOML or JSON settings file, keyed as `describe` lists the settings (instance,
    /// client_id, client_secret, ...); a secret may come from the environment instead
    /// (SERVICENOW_CLIENT_SECRET for client_secret).
    #[arg(long)]
    pub config: PathBuf,
    /// Let the tenant reach an instance on a loopback or private address (a simulator on
    /// this machine, a proxy on the internal network). Without it the host refuses them;
    /// metadata and link-local addresses stay refused either way.
    #[arg(long)]
    pub allow_private_network: bool,
    /// Let the tenant reach this private network only (a CIDR such as 10.20.0.0/16, or one
    /// address); repeatable. Metadata and link-local addresses stay refused.
    #[arg(long = "allow-network", value_name = "CIDR")]
    pub allow_networks: Vec<Network>,
    /// Resolve HOST on PORT (`*` for any) to ADDR, as curl's --resolve; the address rules
    /// still apply to ADDR. Repeatable.
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<Resolve>,
    /// Trust the CA certificates in this PEM file beside the public roots (an on-premise
    /// instance's private CA), as curl's --cacert.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Trust the operating system's CA store too, as curl's --ca-native.
    #[arg(long)]
    pub ca_native: bool,
    /// Connect through this HTTP proxy (`http://[user:password@]host:port`), as curl's
    /// --proxy; the tunnel goes to the instance's checked address.
    #[arg(long, value_name = "URL", env = "HTTPS_PROXY", hide_env_values = true)]
    pub proxy: Option<Proxy>,
    /// Names to reach without the proxy, comma-separated (`.corp.example` for its
    /// subdomains, `*` for all), as curl's --noproxy.
    #[arg(long, value_name = "LIST", env = "NO_PROXY", value_delimiter = ',')]
    pub noproxy: Vec<String>,
    /// The client certificate (PEM, with its chain) the tenant presents to an instance that
    /// requires mutual TLS, as curl's --cert; its key comes with --key.
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PKCS#8 PEM), as curl's --key.
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
}

impl SettingsArgs {
    /// The tenant's client certificate, when --cert and --key give one.
    pub fn client_certificate(&self) -> Result<Option<ClientCertificate>> {
        let (Some(cert), Some(key)) = (&self.cert, &self.key) else {
            return Ok(None);
        };
        let mut chain = Vec::new();
        for certificate in CertificateDer::pem_file_iter(cert)
            .with_context(|| format!("reading --cert {}", cert.display()))?
        {
            chain.push(
                certificate
                    .with_context(|| format!("reading --cert {}", cert.display()))?
                    .to_vec(),
            );
        }
        let key = PrivatePkcs8KeyDer::from_pem_file(key)
            .with_context(|| format!("reading --key {} (a PKCS#8 PEM key)", key.display()))?;
        Ok(Some(ClientCertificate {
            chain,
            key: key.secret_pkcs8_der().to_vec(),
        }))
    }

    /// The host's policy these arguments ask for.
    pub fn limits(&self) -> Result<SandboxLimits> {
        let mut extra_roots = Vec::new();
        if let Some(file) = &self.cacert {
            for certificate in CertificateDer::pem_file_iter(file)
                .with_context(|| format!("reading --cacert {}", file.display()))?
            {
                let certificate =
                    certificate.with_context(|| format!("reading --cacert {}", file.display()))?;
                extra_roots.push(certificate.to_vec());
            }
            if extra_roots.is_empty() {
                anyhow::bail!("--cacert {} holds no certificate", file.display());
            }
        }
        Ok(SandboxLimits {
            allow_private_network: self.allow_private_network,
            allowed_networks: self.allow_networks.clone(),
            resolve: self.resolve.clone(),
            os_roots: self.ca_native,
            proxy: self.proxy.clone().map(|proxy| Proxy {
                no_proxy: self.noproxy.clone(),
                ..proxy
            }),
            extra_roots,
            ..SandboxLimits::default()
        })
    }
}
