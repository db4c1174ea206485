//! Monotonic time for the token cache. In the component it comes from `wasi:clocks`
//! (through std's `Instant`), so the host decides what time it is.

use std::time::{Duration, Instant};

pub trait Clock {
    /// Time elapsed since an arbitrary fixed origin.
    fn now(&self) -> Duration;
}

/// The real monotonic clock.
pub struct SystemClock {
    origin: Instant,
}

impl Default for SystemClock {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.origin.elapsed()
    }
}

/// A clock that moves only when told to, for tests.
#[cfg(test)]
#[derive(Default)]
pub struct ManualClock(std::cell::Cell<Duration>);

#[cfg(test)]
impl ManualClock {
    pub fn advance(&self, by: Duration) {
        self.0.set(self.0.get() + by);
    }
}

#[cfg(test)]
impl Clock for &ManualClock {
    fn now(&self) -> Duration {
        self.0.get()
    }
}
