//! Why a connection was not made, and the wasi-http error the guest gets for it.

use wasmtime_wasi_http::Error as HttpError;

/// Why a connection was not made; `Denied` says nothing about the destination's ports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ConnectFailure {
    Denied,
    InvalidUri,
    Dns(String),
    NotFound,
    Refused,
    Timeout,
    Unreachable,
    TlsCertificate,
    TlsAlert(Option<u8>, String),
    TlsProtocol,
}

impl ConnectFailure {
    pub(super) fn to_http_error(&self) -> HttpError {
        match self {
            ConnectFailure::Denied => HttpError::HttpRequestDenied,
            ConnectFailure::InvalidUri => HttpError::HttpRequestUriInvalid,
            ConnectFailure::Dns(why) => HttpError::DnsError {
                rcode: Some(why.clone()),
                info_code: None,
            },
            ConnectFailure::NotFound => HttpError::DestinationNotFound,
            ConnectFailure::Refused => HttpError::ConnectionRefused,
            ConnectFailure::Timeout => HttpError::ConnectionTimeout,
            ConnectFailure::Unreachable => HttpError::DestinationUnavailable,
            ConnectFailure::TlsCertificate => HttpError::TlsCertificateError,
            ConnectFailure::TlsAlert(id, message) => HttpError::TlsAlertReceived {
                alert_id: *id,
                alert_message: Some(message.clone()),
            },
            ConnectFailure::TlsProtocol => HttpError::TlsProtocolError,
        }
    }
}
