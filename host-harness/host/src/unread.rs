//! Answers a tenant leaves unread. An answer's body holds its connection (a socket) and its
//! request's place in the tenant's budget until the guest reads it to the end or drops it;
//! a guest that does neither would hold both for as long as it lives. So an answer not read
//! from for the between-bytes timeout, counted from when it arrived or from its last read,
//! is dropped by the host: its connection closes, its place is given back, and the guest's
//! next read fails with `connection-read-timeout`. So is every answer not read to its end
//! when the tenant's requests are cancelled (see [`crate::budget::Budget::cancel_all`]).
//! The watch ends as soon as the guest drops the answer, so a tenant's finished requests
//! leave no task or timer behind: at thousands of tickets a second, watches left to sleep out
//! the timeout held a task each (about 1.5 KiB) for every request of the last 30 s.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use http_body::{Body, Frame, SizeHint};
use hyper::body::Bytes;
use tokio::sync::oneshot;
use tokio::time::Instant;
use wasmtime_wasi_http::Error as HttpError;

use crate::budget::Cancellation;

/// A body the host drops when it is left unread for `within`.
pub(crate) struct Watched<B> {
    shared: Arc<Mutex<Reading<B>>>,
    /// Dropped with the body: its watch ends then.
    _ended: oneshot::Sender<()>,
}

struct Reading<B> {
    /// None once the host dropped it.
    body: Option<B>,
    last_read: Instant,
}

impl<B> Watched<B>
where
    B: Body<Data = Bytes, Error = HttpError> + Unpin + Send + 'static,
{
    /// Watches `body` from now on; the watch ends with the body.
    pub(crate) fn new(body: B, within: Duration, cancellation: Cancellation) -> Self {
        let shared = Arc::new(Mutex::new(Reading {
            body: Some(body),
            last_read: Instant::now(),
        }));
        let (ended, dropped) = oneshot::channel();
        let watched = Arc::downgrade(&shared);
        tokio::spawn(watch(watched, within, cancellation, dropped));
        Self {
            shared,
            _ended: ended,
        }
    }
}

fn lock<B>(shared: &Mutex<Reading<B>>) -> MutexGuard<'_, Reading<B>> {
    // A poll that panicked left the body as it was: still a body or none.
    shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Drops the body once it has gone `within` without a read, or when the tenant's requests
/// are cancelled; ends when the body is gone, or as soon as the guest dropped it.
async fn watch<B>(
    shared: Weak<Mutex<Reading<B>>>,
    within: Duration,
    mut cancellation: Cancellation,
    mut dropped: oneshot::Receiver<()>,
) {
    let mut until = Instant::now() + within;
    loop {
        let cancelled = tokio::select! {
            () = tokio::time::sleep_until(until) => false,
            () = cancellation.cancelled() => true,
            _ = &mut dropped => return,
        };
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let mut reading = lock(&shared);
        if reading.body.is_none() {
            return;
        }
        let due = reading.last_read + within;
        if cancelled || due <= Instant::now() {
            // As it drops, its connection closes and its place is given back.
            reading.body = None;
            return;
        }
        until = due;
    }
}

impl<B> Body for Watched<B>
where
    B: Body<Data = Bytes, Error = HttpError> + Unpin,
{
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let mut reading = lock(&self.shared);
        reading.last_read = Instant::now();
        match reading.body.as_mut() {
            Some(body) => Pin::new(body).poll_frame(cx),
            None => Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout))),
        }
    }

    fn is_end_stream(&self) -> bool {
        lock(&self.shared)
            .body
            .as_ref()
            .is_some_and(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        lock(&self.shared)
            .body
            .as_ref()
            .map_or_else(SizeHint::default, Body::size_hint)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use http_body_util::BodyExt;

    use super::*;
    use crate::budget::Budget;

    /// A body that never ends, and says when it is dropped.
    struct Endless(Arc<AtomicBool>);

    impl Body for Endless {
        type Data = Bytes;
        type Error = HttpError;
        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
            Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"x")))))
        }
    }

    impl Drop for Endless {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_left_unread_is_dropped_and_one_being_read_is_not() {
        let within = Duration::from_secs(30);
        let budget = Budget::new(1, 1);
        let dropped = Arc::new(AtomicBool::new(false));
        let mut read = Watched::new(Endless(dropped.clone()), within, budget.cancellation());
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_secs(20)).await;
            assert!(read.frame().await.unwrap().is_ok(), "read every 20 s: kept");
        }
        assert!(!dropped.load(Ordering::Relaxed));

        tokio::time::sleep(Duration::from_secs(31)).await;
        assert!(dropped.load(Ordering::Relaxed), "31 s unread: dropped");
        let error = read.frame().await.unwrap().unwrap_err();
        assert!(
            matches!(error, HttpError::ConnectionReadTimeout),
            "{error:?}"
        );

        // Never read at all, from when it arrived.
        let dropped = Arc::new(AtomicBool::new(false));
        let _unread = Watched::new(Endless(dropped.clone()), within, budget.cancellation());
        tokio::time::sleep(Duration::from_secs(29)).await;
        assert!(!dropped.load(Ordering::Relaxed));
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(dropped.load(Ordering::Relaxed));

        // Cancelled: dropped at once.
        let dropped = Arc::new(AtomicBool::new(false));
        let _unread = Watched::new(Endless(dropped.clone()), within, budget.cancellation());
        tokio::task::yield_now().await;
        budget.cancel_all();
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(dropped.load(Ordering::Relaxed));
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_the_guest_dropped_leaves_no_watch_behind() {
        let metrics = tokio::runtime::Handle::current().metrics();
        let budget = Budget::new(1, 1);
        let dropped = Arc::new(AtomicBool::new(false));
        let watched = Watched::new(
            Endless(dropped.clone()),
            Duration::from_secs(30),
            budget.cancellation(),
        );
        tokio::task::yield_now().await;
        assert_eq!(
            metrics.num_alive_tasks(),
            1,
            "one watch while the answer lives"
        );
        drop(watched);
        assert!(dropped.load(Ordering::Relaxed));
        tokio::task::yield_now().await;
        assert_eq!(
            metrics.num_alive_tasks(),
            0,
            "the watch ends with the answer, not 30 s later"
        );
    }
}
