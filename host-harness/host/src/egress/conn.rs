//! One HTTP/1.1 connection, driven by whoever waits on it (the request while its answer's
//! head is awaited, then the answer's body while the guest reads it) rather than by a task
//! of its own.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};

use http::{Request, Response};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use wasmtime_wasi_http::Error as HttpError;

use super::stream::Stream;

/// One HTTP/1.1 connection: the handle to send on, and the connection itself, which makes
/// progress only when polled.
pub(super) struct Conn {
    sender: http1::SendRequest<Full<Bytes>>,
    driver: http1::Connection<TokioIo<Stream>, Full<Bytes>>,
    /// The connection has ended (closed, failed): it is not polled again, nor kept.
    ended: bool,
}

impl Conn {
    /// HTTP/1.1 over a new connection.
    pub(super) async fn handshake(stream: Stream) -> Result<Self, HttpError> {
        let (sender, driver) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| hyper_error_code(&e))?;
        Ok(Self {
            sender,
            driver,
            ended: false,
        })
    }

    /// Lets the connection make progress (write the request, read the answer into its body,
    /// notice a close); true once it has ended.
    /// Whether the other side closed it (it may not carry another request).
    pub(super) fn is_closed(&self) -> bool {
        self.sender.is_closed()
    }

    /// Whether it has ended (closed, failed).
    pub(super) fn has_ended(&self) -> bool {
        self.ended
    }

    pub(super) fn drive(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.ended && Pin::new(&mut self.driver).poll(cx).is_ready() {
            self.ended = true;
        }
        self.ended
    }
}

/// A request the connection closed on before sending it.
pub(super) struct Unsent(pub(super) Request<Full<Bytes>>);

/// Sends `request` on `conn` and drives the connection until the answer's head is in.
pub(super) async fn exchange(
    conn: &mut Conn,
    request: Request<Full<Bytes>>,
) -> Result<Result<Response<Incoming>, HttpError>, Unsent> {
    // The connection makes progress only when polled: this lets it take up what the last
    // answer left (its end, a close) and be ready for the next request.
    let ready = poll_fn(|cx| {
        let closed = conn.drive(cx);
        match conn.sender.poll_ready(cx) {
            Poll::Ready(Ok(())) if !closed => Poll::Ready(true),
            Poll::Ready(_) => Poll::Ready(false),
            Poll::Pending if closed => Poll::Ready(false),
            Poll::Pending => Poll::Pending,
        }
    })
    .await;
    if !ready {
        return Err(Unsent(request));
    }
    let mut answer = pin!(conn.sender.try_send_request(request));
    poll_fn(|cx| {
        // Writes the request, reads the answer's head (and what of the body came with it);
        // a connection that ended meanwhile has settled the answer, which says how.
        let ended = conn.drive(cx);
        match answer.as_mut().poll(cx) {
            Poll::Ready(Ok(response)) => Poll::Ready(Ok(Ok(response))),
            Poll::Ready(Err(mut failed)) => match failed.take_message() {
                Some(request) => Poll::Ready(Err(Unsent(request))),
                None => Poll::Ready(Ok(Err(hyper_error_code(failed.error())))),
            },
            Poll::Pending if ended => Poll::Ready(Ok(Err(HttpError::ConnectionTerminated))),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

pub(super) fn hyper_error_code(error: &hyper::Error) -> HttpError {
    if error.is_timeout() {
        HttpError::HttpResponseTimeout
    } else if error.is_parse() || error.is_parse_status() || error.is_user() {
        HttpError::HttpProtocolError
    } else {
        HttpError::ConnectionTerminated
    }
}
