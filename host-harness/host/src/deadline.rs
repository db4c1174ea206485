//! A deadline that is moved forward rather than made anew: a tenant keeps one for its calls
//! and one for its requests. A new timer that is due before every other one makes tokio wake
//! the worker thread that sleeps in the I/O driver, so that it re-arms its wait: a timer made
//! per call or per request costs that (a system call, and a thread woken for nothing) each
//! time, while a timer moved later never does.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::{Instant, Sleep};

#[derive(Default)]
pub(crate) struct Deadline {
    /// Made on first use, inside the runtime that drives the tenant.
    timer: Option<Pin<Box<Sleep>>>,
}

impl Deadline {
    /// Sets the deadline `limit` from now.
    pub fn arm(&mut self, limit: Duration) {
        let at = Instant::now() + limit;
        match &mut self.timer {
            Some(timer) => timer.as_mut().reset(at),
            None => self.timer = Some(Box::pin(tokio::time::sleep_until(at))),
        }
    }

    /// Whether the deadline has passed; otherwise `cx` is woken when it does.
    pub fn poll_passed(&mut self, cx: &mut Context<'_>) -> bool {
        self.timer
            .as_mut()
            .is_some_and(|timer| timer.as_mut().poll(cx).is_ready())
    }

    /// `work`'s output, or `None` if `limit` passes first (`work` is then dropped).
    pub async fn within<F: Future>(&mut self, limit: Duration, work: F) -> Option<F::Output> {
        self.arm(limit);
        let mut work = pin!(work);
        poll_fn(|cx| match work.as_mut().poll(cx) {
            Poll::Ready(output) => Poll::Ready(Some(output)),
            Poll::Pending if self.poll_passed(cx) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_that_ends_in_time_is_returned_and_late_work_is_stopped() {
        let mut deadline = Deadline::default();
        let quick = deadline.within(Duration::from_secs(5), async { 7 }).await;
        assert_eq!(quick, Some(7));
        let slow = deadline.within(
            Duration::from_millis(20),
            tokio::time::sleep(Duration::from_secs(30)),
        );
        assert_eq!(slow.await, None);
        // The same deadline serves again after it has passed.
        let again = deadline
            .within(Duration::from_secs(5), async {
                tokio::time::sleep(Duration::from_millis(5)).await;
                8
            })
            .await;
        assert_eq!(again, Some(8));
    }
}
