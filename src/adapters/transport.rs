//! The production side of the HTTP seam: `wasi:http` outgoing requests, straight through the
//! bindings `wit-bindgen` generates for this component (no HTTP client crate).

use crate::primitives::prelude::*;

use crate::adapters::bindings::wasi::http::outgoing_handler;
use crate::adapters::bindings::wasi::http::types::{
    self as wasi_http, ErrorCode, Fields, FutureIncomingResponse, IncomingResponse, OutgoingBody,
    OutgoingRequest, RequestOptions, Scheme,
};
use crate::adapters::bindings::wasi::io::streams::{InputStream, OutputStream, StreamError};
use crate::primitives::http::{
    BETWEEN_BYTES_TIMEOUT, CONNECT_TIMEOUT, FIRST_BYTE_TIMEOUT, MAX_ANSWER_BYTES, Method, Request,
    Response, Transport, TransportError,
};

pub struct WasiHttpTransport;

/// What one blocking read asks for; `wasi:io` may hand back less.
const READ_CHUNK: u64 = 64 * 1024;
/// `blocking-write-and-flush` takes at most 4096 bytes a call.
const WRITE_CHUNK: usize = 4096;

impl Transport for WasiHttpTransport {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let outgoing = outgoing_request(request)?;
        let body = outgoing
            .body()
            .map_err(|()| internal("the request body was already taken"))?;
        let stream = body
            .write()
            .map_err(|()| internal("the request body stream was already taken"))?;
        // A body the stream takes in one write (every body this component sends) goes in
        // before the request is handed over: the host then finds the request whole and sends
        // it at once, instead of waiting for the body on another thread.
        if write_at_once(&stream, &request.body)? {
            drop(stream);
            OutgoingBody::finish(body, None).map_err(|code| classify(&code))?;
            let future = outgoing_handler::handle(outgoing, Some(options()))
                .map_err(|code| classify(&code))?;
            return read_response(wait(&future)?);
        }
        let future =
            outgoing_handler::handle(outgoing, Some(options())).map_err(|code| classify(&code))?;
        // The host reads (and, past its cap, drains) the body before it answers or refuses,
        // so the body is written in full before the answer is awaited. A failed write is
        // explained by the answer's error code when there is one.
        let written = write_body(stream, body, &request.body);
        let incoming = wait(&future)?;
        written?;
        read_response(incoming)
    }
}

fn outgoing_request(request: &Request) -> Result<OutgoingRequest, TransportError> {
    let entries: Vec<(String, Vec<u8>)> = request
        .headers
        .iter()
        .map(|(name, value)| ((*name).to_string(), value.as_bytes().to_vec()))
        .collect();
    let headers = Fields::from_list(&entries).map_err(|_| internal("a header was refused"))?;
    let outgoing = OutgoingRequest::new(headers);
    let method = match request.method {
        Method::Get => wasi_http::Method::Get,
        Method::Post => wasi_http::Method::Post,
        Method::Patch => wasi_http::Method::Patch,
    };
    let (scheme, authority, path_with_query) = request.url_parts();
    let scheme = match scheme {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        other => Scheme::Other(other.to_string()),
    };
    let set = outgoing.set_method(&method).is_ok()
        && outgoing.set_scheme(Some(&scheme)).is_ok()
        && outgoing.set_authority(Some(authority)).is_ok()
        && outgoing.set_path_with_query(Some(path_with_query)).is_ok();
    if !set {
        return Err(internal("the request URL was refused"));
    }
    Ok(outgoing)
}

/// The three `wasi:http` timeouts; the host clamps each to its own limit. A host that does not
/// support one keeps its own, which is why a refusal is not an error.
fn options() -> RequestOptions {
    let options = RequestOptions::new();
    let _ = options.set_connect_timeout(Some(nanos(CONNECT_TIMEOUT)));
    let _ = options.set_first_byte_timeout(Some(nanos(FIRST_BYTE_TIMEOUT)));
    let _ = options.set_between_bytes_timeout(Some(nanos(BETWEEN_BYTES_TIMEOUT)));
    options
}

fn nanos(duration: core::time::Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// Writes `bytes` with one non-blocking write when the stream takes that much now (an empty
/// body needs none); false when it does not, and nothing was written.
fn write_at_once(stream: &OutputStream, bytes: &[u8]) -> Result<bool, TransportError> {
    if bytes.is_empty() {
        return Ok(true);
    }
    let unwritten = |e| {
        stream_error(
            e,
            TransportError::Unreachable("the request could not be written".into()),
        )
    };
    let permit = stream.check_write().map_err(unwritten)?;
    if permit < bytes.len() as u64 {
        return Ok(false);
    }
    stream.write(bytes).map_err(unwritten)?;
    // Starts the flush; the host completes it as it reads the body.
    stream.flush().map_err(unwritten)?;
    Ok(true)
}

fn write_body(
    stream: OutputStream,
    body: OutgoingBody,
    bytes: &[u8],
) -> Result<(), TransportError> {
    let written = write_all(&stream, bytes);
    // The stream is the body's child: it goes first.
    drop(stream);
    written?;
    OutgoingBody::finish(body, None).map_err(|code| classify(&code))
}

fn write_all(stream: &OutputStream, bytes: &[u8]) -> Result<(), TransportError> {
    for chunk in bytes.chunks(WRITE_CHUNK) {
        stream.blocking_write_and_flush(chunk).map_err(|e| {
            stream_error(
                e,
                TransportError::Interrupted("the request broke off while it was sent".into()),
            )
        })?;
    }
    Ok(())
}

/// Waits first and asks after: an answer is never in yet when the request was just handed
/// over, so asking first would cost a call that always answers "not yet".
fn wait(future: &FutureIncomingResponse) -> Result<IncomingResponse, TransportError> {
    loop {
        future.subscribe().block();
        match future.get() {
            Some(Ok(Ok(response))) => return Ok(response),
            Some(Ok(Err(code))) => return Err(classify(&code)),
            Some(Err(())) => return Err(internal("the answer was already taken")),
            None => {}
        }
    }
}

fn read_response(response: IncomingResponse) -> Result<Response, TransportError> {
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(mut name, value)| {
            name.make_ascii_lowercase();
            let value = String::from_utf8(value)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            (name, value)
        })
        .collect::<Vec<_>>();
    // Read to the announced length, not one call further to learn the stream has ended.
    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .and_then(|(_, value)| value.trim().parse::<usize>().ok());
    let incoming = response
        .consume()
        .map_err(|()| internal("the answer's body was already taken"))?;
    let stream = incoming
        .stream()
        .map_err(|()| internal("the answer's body stream was already taken"))?;
    let body = read_all(&stream, length);
    drop(stream);
    drop(incoming);
    Ok(Response {
        status,
        headers,
        body: body?,
    })
}

/// Reads to the end, or to the announced `length`, refusing more than [`MAX_ANSWER_BYTES`]
/// even when the host lets more in.
fn read_all(stream: &InputStream, length: Option<usize>) -> Result<Vec<u8>, TransportError> {
    let mut body = Vec::new();
    while length.is_none_or(|length| body.len() < length) {
        match stream.blocking_read(READ_CHUNK) {
            // Most answers come in one piece: that piece is the body.
            Ok(chunk) if body.is_empty() => body = chunk,
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(StreamError::Closed) => return Ok(body),
            Err(error) => {
                return Err(stream_error(
                    error,
                    TransportError::Interrupted("the answer broke off while it was read".into()),
                ));
            }
        }
        if body.len() > MAX_ANSWER_BYTES {
            return Err(TransportError::AnswerTooLarge);
        }
    }
    Ok(body)
}

/// A failed stream: its `wasi:http` error code says why when the host gives one (an answer
/// over the host's cap shows only here when it was not announced); otherwise `broke_off`.
fn stream_error(error: StreamError, broke_off: TransportError) -> TransportError {
    let code = match &error {
        StreamError::LastOperationFailed(e) => wasi_http::http_error_code(e),
        StreamError::Closed => None,
    };
    match code.as_ref().map(classify) {
        Some(
            precise @ (TransportError::Denied
            | TransportError::AnswerTooLarge
            | TransportError::RequestTooLarge),
        ) => precise,
        _ => broke_off,
    }
}

fn internal(what: &str) -> TransportError {
    TransportError::Interrupted(what.to_string())
}

/// Maps a `wasi:http` error code: `Unreachable` when nothing was sent, `Interrupted` when the
/// request may have reached the instance.
fn classify(code: &ErrorCode) -> TransportError {
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
        ErrorCode::TlsProtocolError | ErrorCode::TlsAlertReceived(_) => {
            "the TLS handshake failed (no TLS version in common, for one: TLS 1.2 or 1.3 is \
             needed); the platform's log for this tenant says why"
        }
        ErrorCode::TlsCertificateError => {
            "the TLS certificate is not trusted: it is issued by a CA the platform does not \
             trust (an on-premise instance's private CA must be given to the platform), or it \
             has expired, or it is for another name; the platform's log for this tenant says \
             which"
        }
        ErrorCode::InternalError(Some(message)) => {
            return TransportError::Interrupted(format!(
                "the host's HTTP client failed: {message}"
            ));
        }
        other => return TransportError::Interrupted(rare(other).to_string()),
    };
    TransportError::Unreachable(why.to_string())
}

/// Words for the codes a ServiceNow call rarely meets (the host's own limits, HTTP that is
/// not well formed), written out rather than `Debug` with its machinery for every payload.
fn rare(code: &ErrorCode) -> &'static str {
    match code {
        ErrorCode::DestinationIpProhibited => "the host does not allow that address",
        ErrorCode::ConnectionWriteTimeout => "sending the request timed out",
        ErrorCode::ConnectionLimitReached => "the host's connection limit was reached",
        ErrorCode::HttpResponseIncomplete => "the answer was cut off",
        ErrorCode::HttpUpgradeFailed | ErrorCode::HttpProtocolError => {
            "the answer broke the HTTP protocol"
        }
        ErrorCode::LoopDetected => "the request went round in a loop",
        ErrorCode::HttpRequestLengthRequired
        | ErrorCode::HttpRequestMethodInvalid
        | ErrorCode::HttpRequestUriInvalid
        | ErrorCode::HttpRequestUriTooLong
        | ErrorCode::HttpRequestHeaderSectionSize(_)
        | ErrorCode::HttpRequestHeaderSize(_)
        | ErrorCode::HttpRequestTrailerSectionSize(_)
        | ErrorCode::HttpRequestTrailerSize(_) => "the host's HTTP client refused the request",
        ErrorCode::HttpResponseHeaderSectionSize(_)
        | ErrorCode::HttpResponseHeaderSize(_)
        | ErrorCode::HttpResponseTrailerSectionSize(_)
        | ErrorCode::HttpResponseTrailerSize(_)
        | ErrorCode::HttpResponseTransferCoding(_)
        | ErrorCode::HttpResponseContentCoding(_) => "the answer was not well-formed HTTP",
        _ => "the host's HTTP client failed",
    }
}
