//! What one tenant's requests may hold of the host at once: how many are under way, and how
//! many bytes of their bodies the host buffers. A tenant's budget outlives its instances (a
//! rebuilt or woken instance spends the same one), so a guest cannot reset it by trapping.
//!
//! A request takes a [`Slot`] when the guest hands it to the host and gives it back when its
//! answer has been read to the end, or dropped, or the request failed; the bytes of its body
//! are given back as soon as the request is on the wire.
//!
//! The budget also cancels: when the platform suspends the tenant, configures it anew, ends
//! a candidate's test or lets it hibernate, every request under way and every answer not
//! yet read is dropped, with its connection ([`Budget::cancel_all`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::watch;

/// One tenant's requests in flight and request bytes buffered.
#[derive(Debug)]
pub(crate) struct Budget {
    max_in_flight: usize,
    max_buffered: u64,
    in_flight: AtomicUsize,
    buffered: AtomicU64,
    /// Moves on at each [`Budget::cancel_all`]; what was under way before stops.
    generation: watch::Sender<u64>,
}

impl Budget {
    pub(crate) fn new(max_in_flight: usize, max_buffered: u64) -> Arc<Self> {
        Arc::new(Self {
            max_in_flight,
            max_buffered,
            in_flight: AtomicUsize::new(0),
            buffered: AtomicU64::new(0),
            generation: watch::Sender::new(0),
        })
    }

    /// Stops every request under way and drops every answer not yet read: each watches a
    /// [`Budget::cancellation`] taken when it started.
    pub(crate) fn cancel_all(&self) {
        self.generation.send_modify(|generation| *generation += 1);
    }

    /// What a request watches from its start: it changes when the tenant's requests are
    /// cancelled.
    pub(crate) fn cancellation(&self) -> Cancellation {
        Cancellation(self.generation.subscribe())
    }

    /// A slot for one more request; `None` when the tenant has its most under way.
    pub(crate) fn admit(self: &Arc<Self>) -> Option<Slot> {
        let taken = self
            .in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max_in_flight).then_some(n + 1)
            });
        taken.ok().map(|_| Slot {
            budget: self.clone(),
            bytes: 0,
        })
    }

    /// Requests under way.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Request body bytes held.
    pub(crate) fn buffered(&self) -> u64 {
        self.buffered.load(Ordering::Acquire)
    }
}

/// Resolves when the requests started before it was taken are cancelled.
#[derive(Debug)]
pub(crate) struct Cancellation(watch::Receiver<u64>);

impl Cancellation {
    /// Waits for the cancellation; never resolves while the budget lives and none comes.
    pub(crate) async fn cancelled(&mut self) {
        if self.0.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

/// One request's share of its tenant's budget, given back when dropped.
#[derive(Debug)]
pub(crate) struct Slot {
    budget: Arc<Budget>,
    bytes: u64,
}

impl Slot {
    /// Holds `bytes` more of the request's body; false (holding nothing more) when the
    /// tenant's requests together would hold more than its budget allows.
    pub(crate) fn hold(&mut self, bytes: u64) -> bool {
        let budget = &self.budget;
        let held = budget
            .buffered
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                n.checked_add(bytes)
                    .filter(|&total| total <= budget.max_buffered)
            });
        if held.is_ok() {
            self.bytes += bytes;
            crate::observe::buffered(bytes as f64);
        }
        held.is_ok()
    }

    /// The body went out: its bytes are the host's no more.
    pub(crate) fn release_bytes(&mut self) {
        self.budget.buffered.fetch_sub(self.bytes, Ordering::AcqRel);
        if self.bytes > 0 {
            crate::observe::buffered(-(self.bytes as f64));
        }
        self.bytes = 0;
    }
}

#[cfg(test)]
impl Slot {
    /// A request's share of a budget roomy enough for any test.
    pub(crate) fn roomy() -> Slot {
        Budget::new(8, 1 << 30).admit().unwrap()
    }
}

#[cfg(test)]
impl Cancellation {
    /// A cancellation that never comes (its budget is gone).
    pub(crate) fn never() -> Cancellation {
        Budget::new(1, 1).cancellation()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.release_bytes();
        self.budget.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_bytes_are_bounded_and_given_back() {
        let budget = Budget::new(2, 100);
        let mut first = budget.admit().expect("one");
        let second = budget.admit().expect("two");
        assert!(budget.admit().is_none(), "a third waits for none: it fails");
        assert!(first.hold(60));
        assert!(!first.hold(41), "past the bytes of all requests together");
        assert_eq!(budget.buffered(), 60);
        assert!(first.hold(40));
        first.release_bytes();
        assert_eq!(budget.buffered(), 0);
        assert!(first.hold(10));
        drop(first);
        assert_eq!((budget.in_flight(), budget.buffered()), (1, 0));
        assert!(budget.admit().is_some());
        drop(second);
        assert_eq!(budget.in_flight(), 0);
    }

    #[tokio::test]
    async fn a_cancellation_reaches_what_started_before_it_only() {
        let budget = Budget::new(2, 100);
        let mut before = budget.cancellation();
        budget.cancel_all();
        let mut after = budget.cancellation();
        tokio::time::timeout(std::time::Duration::from_secs(1), before.cancelled())
            .await
            .expect("cancelled");
        let waited =
            tokio::time::timeout(std::time::Duration::from_millis(50), after.cancelled()).await;
        assert!(waited.is_err(), "not cancelled: it started after");
    }
}
