//! Time for the token cache and for waits between tries: the seam. In the component it is
//! `wasi:clocks` (the adapters' `SystemClock`), so the host decides what time it is, and a
//! wait is a `subscribe-duration` the host can see and bound, not a busy loop.

use core::time::Duration;

pub trait Clock {
    /// Time elapsed since an arbitrary fixed origin.
    fn now(&self) -> Duration;

    /// The wall clock, as time since the Unix epoch (for `X-RateLimit-Reset`).
    fn unix_now(&self) -> Duration;

    /// Waits. The host's deadline for the call still bounds it.
    fn sleep(&self, duration: Duration);
}

/// A clock that moves only when told to (or when slept on), for tests.
#[cfg(test)]
#[derive(Default)]
pub struct ManualClock {
    now: core::cell::Cell<Duration>,
    slept: core::cell::RefCell<alloc::vec::Vec<Duration>>,
}

#[cfg(test)]
impl ManualClock {
    /// The Unix time at the clock's origin.
    pub const EPOCH: Duration = Duration::from_secs(1_790_000_000);

    pub fn advance(&self, by: Duration) {
        self.now.set(self.now.get() + by);
    }

    /// Every wait so far, in order.
    pub fn slept(&self) -> alloc::vec::Vec<Duration> {
        self.slept.borrow().clone()
    }
}

#[cfg(test)]
impl Clock for &ManualClock {
    fn now(&self) -> Duration {
        self.now.get()
    }

    fn unix_now(&self) -> Duration {
        ManualClock::EPOCH + self.now.get()
    }

    fn sleep(&self, duration: Duration) {
        self.slept.borrow_mut().push(duration);
        self.advance(duration);
    }
}
