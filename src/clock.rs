//! Time for the token cache and for waits between tries. In the component it comes from
//! `wasi:clocks`, so the host decides what time it is, and a wait is a `subscribe-duration`
//! the host can see and bound, not a busy loop.

use core::time::Duration;

pub trait Clock {
    /// Time elapsed since an arbitrary fixed origin.
    fn now(&self) -> Duration;

    /// The wall clock, as time since the Unix epoch (for `X-RateLimit-Reset`).
    fn unix_now(&self) -> Duration;

    /// Waits. The host's deadline for the call still bounds it.
    fn sleep(&self, duration: Duration);
}

/// The real clocks: `wasi:clocks`' monotonic clock and wall clock.
#[cfg(target_arch = "wasm32")]
pub struct SystemClock {
    /// The monotonic clock's reading at start, in nanoseconds.
    origin: u64,
}

#[cfg(target_arch = "wasm32")]
impl Default for SystemClock {
    fn default() -> Self {
        Self {
            origin: crate::bindings::wasi::clocks::monotonic_clock::now(),
        }
    }
}

#[cfg(target_arch = "wasm32")]
impl Clock for SystemClock {
    fn now(&self) -> Duration {
        let now = crate::bindings::wasi::clocks::monotonic_clock::now();
        Duration::from_nanos(now.saturating_sub(self.origin))
    }

    fn unix_now(&self) -> Duration {
        let now = crate::bindings::wasi::clocks::wall_clock::now();
        // Saturating: `Duration::new` would panic on a host's out-of-range nanoseconds.
        Duration::from_secs(now.seconds)
            .saturating_add(Duration::from_nanos(u64::from(now.nanoseconds)))
    }

    fn sleep(&self, duration: Duration) {
        // Longer than u64 nanoseconds (584 years) is as good as forever: the host's deadline
        // ends it.
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        crate::bindings::wasi::clocks::monotonic_clock::subscribe_duration(nanos).block();
    }
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
