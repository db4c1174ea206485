//! Who issued a certificate the host refused: rustls says only "unknown issuer", and an admin
//! needs the CA's name to know which one to give the platform. The certificate verifier is
//! webpki's, wrapped to remember the issuer of a chain it refused for that reason.

use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

/// webpki's verifier, remembering the issuer of the last chain it refused as unknown.
#[derive(Debug)]
pub(crate) struct NamingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    refused_issuer: Mutex<Option<String>>,
}

impl NamingVerifier {
    pub(crate) fn new(inner: Arc<WebPkiServerVerifier>) -> Self {
        Self {
            inner,
            refused_issuer: Mutex::new(None),
        }
    }

    /// The issuer's common name of the last chain refused for an unknown issuer, taken.
    pub(crate) fn take_refused_issuer(&self) -> Option<String> {
        self.refused_issuer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

impl ServerCertVerifier for NamingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        if let Err(Error::InvalidCertificate(CertificateError::UnknownIssuer)) = &verified {
            // The top of the chain sent is the one whose issuer is not trusted.
            let top = intermediates.last().unwrap_or(end_entity);
            *self
                .refused_issuer
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = issuer_name(top);
        }
        verified
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// One DER element: its tag, its content, and what follows it.
fn element(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81..=0x84 => {
            let count = usize::from(first & 0x7f);
            let (bytes, rest) = (rest.get(..count)?, rest.get(count..)?);
            let length = bytes.iter().fold(0usize, |n, b| (n << 8) | usize::from(*b));
            (length, rest)
        }
        _ => return None,
    };
    Some((tag, rest.get(..length)?, rest.get(length..)?))
}

/// The common name (CN) of a certificate's issuer, printable and cut; `None` when the
/// certificate does not read as X.509 or its issuer has no CN.
pub(crate) fn issuer_name(der: &[u8]) -> Option<String> {
    const SEQUENCE: u8 = 0x30;
    const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
    let (_, certificate, _) = element(der).filter(|(tag, ..)| *tag == SEQUENCE)?;
    let (_, tbs, _) = element(certificate).filter(|(tag, ..)| *tag == SEQUENCE)?;
    // [0] version (optional), serial number, signature algorithm, then the issuer.
    let mut rest = tbs;
    let (tag, _, after) = element(rest)?;
    if tag == 0xa0 {
        rest = after;
    }
    let (_, _, rest) = element(rest)?;
    let (_, _, rest) = element(rest)?;
    let (_, mut issuer, _) = element(rest).filter(|(tag, ..)| *tag == SEQUENCE)?;
    while let Some((_, set, next)) = element(issuer) {
        issuer = next;
        let Some((_, attribute, _)) = element(set) else {
            continue;
        };
        let Some((_, oid, value)) = element(attribute) else {
            continue;
        };
        if oid == COMMON_NAME {
            let (_, text, _) = element(value)?;
            let text = String::from_utf8_lossy(text);
            return Some(
                text.chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .take(100)
                    .collect(),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_has_no_issuer_and_no_panic() {
        for bad in [
            &b""[..],
            b"\x30",
            b"\x30\x85\xff\xff\xff\xff\xff",
            b"\x30\x02\x30\x00",
        ] {
            assert_eq!(issuer_name(bad), None);
        }
    }
}
