//! What a tenant's TLS trusts, and where a name the platform pins resolves: the platform's
//! decisions, never a tenant setting's.

use std::net::IpAddr;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// The roots every tenant of a host trusts: the webpki roots (Mozilla's), the operating
/// system's when `os` (a platform whose proxy or network re-signs TLS puts its CA there),
/// plus `extra` (DER certificates: an on-premise instance's private CA). Made once per host
/// and shared by its tenants' clients. Asked for, the system's store must yield a root.
pub(crate) fn roots_with_os(extra: &[Vec<u8>], os: bool) -> anyhow::Result<Arc<RootCertStore>> {
    if !os {
        return roots(extra);
    }
    let loaded = rustls_native_certs::load_native_certs();
    if loaded.certs.is_empty() {
        anyhow::bail!(
            "SandboxLimits::os_roots: the operating system's trust store yielded no root{}",
            loaded
                .errors
                .first()
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        );
    }
    let mut store = RootCertStore::clone(&*roots(extra)?);
    // A system store may hold certificates rustls cannot use as roots; those are skipped.
    store.add_parsable_certificates(loaded.certs);
    Ok(Arc::new(store))
}

/// [`roots_with_os`] without the operating system's store.
pub(crate) fn roots(extra: &[Vec<u8>]) -> anyhow::Result<Arc<RootCertStore>> {
    static WEBPKI: OnceLock<Arc<RootCertStore>> = OnceLock::new();
    let webpki = WEBPKI.get_or_init(|| {
        Arc::new(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        })
    });
    if extra.is_empty() {
        return Ok(webpki.clone());
    }
    let mut store = RootCertStore::clone(webpki);
    for (index, der) in extra.iter().enumerate() {
        store
            .add(CertificateDer::from(der.clone()))
            .with_context(|| format!("SandboxLimits::extra_roots[{index}] is not a usable root"))?;
    }
    Ok(Arc::new(store))
}

/// What one tenant's TLS trusts and presents beyond the host's policy: the platform's
/// decision for that tenant, never a setting of the tenant's (`Tenant::set_tls`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct TenantTls {
    /// Certificates (DER) this tenant trusts as roots beside the host's: its on-premise
    /// instance's private CA.
    pub extra_roots: Vec<Vec<u8>>,
    /// The certificate this tenant presents, for an instance that requires mutual TLS.
    pub client_certificate: Option<ClientCertificate>,
}

impl std::fmt::Debug for TenantTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TenantTls")
            .field("extra_roots", &self.extra_roots.len())
            .field("client_certificate", &self.client_certificate.is_some())
            .finish()
    }
}

/// A client certificate: its chain (DER, the tenant's own first) and its private key (PKCS#8
/// DER), which `Debug` never shows.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCertificate {
    /// The certificate and the intermediates that lead to the instance's trusted CA.
    pub chain: Vec<Vec<u8>>,
    /// The private key, PKCS#8 DER.
    pub key: Vec<u8>,
}

impl std::fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

/// A client identity as rustls takes it.
pub(crate) type ClientIdentity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

impl ClientCertificate {
    pub(crate) fn identity(&self) -> ClientIdentity {
        let chain = self
            .chain
            .iter()
            .map(|der| CertificateDer::from(der.clone()))
            .collect();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone()));
        (chain, key)
    }
}

/// A name the host resolves itself, like curl's `--resolve HOST:PORT:ADDR`: a connection to
/// `host` on `port` (on any port when `port` is 0, curl's `*`) goes to `address`. The address
/// rules still apply to `address`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolve {
    /// The host name, compared without regard to case.
    pub host: String,
    /// The port; 0 for any.
    pub port: u16,
    /// Where connections to it go.
    pub address: IpAddr,
}

impl Resolve {
    /// The pinned address for `host` on `port`, if one of `pinned` names them.
    pub(crate) fn find(pinned: &[Resolve], host: &str, port: u16) -> Option<IpAddr> {
        pinned
            .iter()
            .find(|r| (r.port == port || r.port == 0) && r.host.eq_ignore_ascii_case(host))
            .map(|r| r.address)
    }
}

impl FromStr for Resolve {
    type Err = String;

    /// `HOST:PORT:ADDR`, the port a number or `*` (any), the address an IPv4 one or an IPv6
    /// one in brackets.
    fn from_str(text: &str) -> Result<Self, String> {
        let usage = || format!("{text:?} is not HOST:PORT:ADDR (dev1.example.com:443:10.0.0.5)");
        let (host, rest) = text.split_once(':').ok_or_else(usage)?;
        let (port, address) = rest.split_once(':').ok_or_else(usage)?;
        let address = address.trim_start_matches('[').trim_end_matches(']');
        let host = host.trim();
        if host.is_empty() {
            return Err(usage());
        }
        Ok(Self {
            host: host.to_ascii_lowercase(),
            port: match port {
                "*" => 0,
                port => port.parse().ok().filter(|&p| p > 0).ok_or_else(usage)?,
            },
            address: address.parse().map_err(|_| usage())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_reads_curls_form() {
        let pinned: Resolve = "Dev1.Example.com:443:10.0.0.5".parse().unwrap();
        assert_eq!(pinned.host, "dev1.example.com");
        assert_eq!(pinned.port, 443);
        assert_eq!(pinned.address, "10.0.0.5".parse::<IpAddr>().unwrap());
        let v6: Resolve = "x.test:8443:[::1]".parse().unwrap();
        assert_eq!(v6.address, "::1".parse::<IpAddr>().unwrap());
        for bad in [
            "x.test",
            "x.test:443",
            ":443:1.2.3.4",
            "x.test:http:1.2.3.4",
            "x:1:nope",
        ] {
            assert!(bad.parse::<Resolve>().is_err(), "{bad}");
        }
        let list = [pinned];
        assert!(Resolve::find(&list, "DEV1.example.com", 443).is_some());
        assert!(Resolve::find(&list, "dev1.example.com", 80).is_none());
        let any: Resolve = "x.test:*:127.0.0.1".parse().unwrap();
        assert!(Resolve::find(&[any], "x.test", 41234).is_some());
        assert!("x.test:0:127.0.0.1".parse::<Resolve>().is_err());
    }

    #[test]
    fn the_operating_systems_roots_are_added_when_asked_for() {
        let webpki = roots(&[]).unwrap().len();
        match roots_with_os(&[], true) {
            // A machine with a system trust store (Debian's ca-certificates): its roots are
            // added to webpki's (a store does not merge the ones both have).
            Ok(with_os) => assert!(with_os.len() > webpki, "{} roots", with_os.len()),
            Err(error) => assert!(format!("{error:#}").contains("yielded no root")),
        }
        assert_eq!(roots_with_os(&[], false).unwrap().len(), webpki);
    }

    #[test]
    fn extra_roots_are_added_to_webpkis_and_garbage_is_refused() {
        let webpki = roots(&[]).unwrap().len();
        assert!(webpki > 100);
        let error = roots(&[b"not a certificate".to_vec()]).unwrap_err();
        assert!(format!("{error:#}").contains("extra_roots[0]"), "{error:#}");
    }
}
