//! An answer's body as the guest reads it: capped, with the between-bytes timeout, driving
//! its connection while it is read and handing it back to the tenant's pool once the answer
//! has been read to its end.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body::{Body, Frame, SizeHint};
use hyper::body::{Bytes, Incoming};
use wasmtime_wasi_http::Error as HttpError;

use super::conn::Conn;
use super::pool::Pool;
use crate::budget::Slot;
use crate::deadline::Deadline;

/// An answer's body, capped and with the between-bytes timeout. It drives its connection
/// while it is read and hands it back to the tenant once the answer has been read to its end;
/// a body dropped before that closes the connection (its unread rest would be the start of
/// the next answer).
pub(super) struct CappedBody {
    inner: Incoming,
    conn: Option<Conn>,
    /// The request's share of its tenant's budget, given back with the answer's end.
    slot: Option<Slot>,
    deadline: Option<Deadline>,
    pool: Arc<Pool>,
    seen: u64,
    cap: u64,
    between: Duration,
    /// The deadline is armed only while waiting for data: data already in costs no timer.
    armed: bool,
    done: bool,
}

impl CappedBody {
    pub(super) fn new(
        inner: Incoming,
        conn: Conn,
        deadline: Deadline,
        pool: Arc<Pool>,
        cap: u64,
        between: Duration,
        slot: Slot,
    ) -> Self {
        Self {
            inner,
            conn: Some(conn),
            slot: Some(slot),
            deadline: Some(deadline),
            cap,
            pool,
            seen: 0,
            between,
            armed: false,
            done: false,
        }
    }

    /// The answer has been read to its end: its connection may carry the next request.
    fn finish(&mut self) {
        self.done = true;
        self.slot = None;
        let conn = self.conn.take().filter(|conn| !conn.has_ended());
        let deadline = self.deadline.take().unwrap_or_default();
        self.pool.keep(conn, deadline);
    }

    fn fail(&mut self, error: HttpError) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        self.done = true;
        self.conn = None;
        self.slot = None;
        Poll::Ready(Some(Err(error)))
    }
}

impl Drop for CappedBody {
    fn drop(&mut self) {
        // Nothing left to read (an empty answer, or one read to its announced length): the
        // connection is at the end of a message and may carry the next request.
        if !self.done && self.inner.is_end_stream() {
            self.finish();
        }
    }
}

impl Body for CappedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        if let Some(conn) = this.conn.as_mut() {
            // Reads what has arrived into the body; an ended connection has said its last.
            conn.drive(cx);
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                this.armed = false;
                if let Some(data) = frame.data_ref() {
                    this.seen = this.seen.saturating_add(data.len() as u64);
                    if this.seen > this.cap {
                        let seen = this.seen;
                        return this.fail(HttpError::HttpResponseBodySize(Some(seen)));
                    }
                }
                if this.inner.is_end_stream() {
                    this.finish();
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                let code = if error.is_timeout() {
                    HttpError::HttpResponseTimeout
                } else {
                    HttpError::from(error)
                };
                this.fail(code)
            }
            Poll::Ready(None) => {
                this.finish();
                Poll::Ready(None)
            }
            Poll::Pending => {
                let deadline = this.deadline.get_or_insert_with(Deadline::default);
                if !this.armed {
                    this.armed = true;
                    deadline.arm(this.between);
                }
                if deadline.poll_passed(cx) {
                    return this.fail(HttpError::ConnectionReadTimeout);
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done || self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
