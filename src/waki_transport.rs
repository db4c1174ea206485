//! The production side of the HTTP seam: `wasi:http` outgoing requests through waki.

use waki::{Client, ErrorCode};

use crate::http::{CONNECT_TIMEOUT, Method, Request, Response, Transport, TransportError};

pub struct WakiTransport;

impl Transport for WakiTransport {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let client = Client::new();
        let mut builder = match request.method {
            Method::Get => client.get(&request.url),
            Method::Post => client.post(&request.url),
            Method::Patch => client.patch(&request.url),
        };
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.as_str());
        }
        if !request.body.is_empty() {
            builder = builder.body(request.body.clone());
        }
        let response = builder
            .connect_timeout(CONNECT_TIMEOUT)
            .send()
            .map_err(|e| classify(&e))?;
        let status = response.status_code();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                (name.as_str().to_string(), value)
            })
            .collect();
        let body = response.body().map_err(|e| match classify(&e) {
            // The request went out; only its answer was lost. waki does not say why a body
            // stream failed (the host's log does), so its words are not passed on.
            TransportError::Unreachable(_) | TransportError::Interrupted(_) => {
                TransportError::Interrupted("the answer broke off while it was read".into())
            }
            other => other,
        })?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// waki reports `wasi:http` error codes inside an `anyhow::Error`.
fn classify(error: &anyhow::Error) -> TransportError {
    let Some(code) = error.downcast_ref::<ErrorCode>() else {
        return TransportError::Interrupted(error.to_string());
    };
    let why = match code {
        ErrorCode::HttpRequestDenied => return TransportError::Denied,
        ErrorCode::DnsTimeout => "DNS lookup timed out",
        ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound => "the host name does not resolve",
        ErrorCode::ConnectionRefused => "connection refused",
        ErrorCode::ConnectionTimeout => "connection timed out",
        ErrorCode::DestinationUnavailable | ErrorCode::DestinationIpUnroutable => {
            "no route to the host"
        }
        ErrorCode::ConnectionTerminated => {
            return TransportError::Interrupted("the connection was closed early".into());
        }
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
            return TransportError::Interrupted("the instance did not answer in time".into());
        }
        ErrorCode::HttpResponseBodySize(_) => return TransportError::AnswerTooLarge,
        ErrorCode::HttpRequestBodySize(_) => return TransportError::RequestTooLarge,
        ErrorCode::TlsProtocolError | ErrorCode::TlsAlertReceived(_) => "the TLS handshake failed",
        ErrorCode::TlsCertificateError => "the TLS certificate is not trusted",
        other => return TransportError::Interrupted(format!("{other:?}")),
    };
    TransportError::Unreachable(why.to_string())
}
