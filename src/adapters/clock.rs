//! The component's clocks: `wasi:clocks`' monotonic clock and wall clock.

use core::time::Duration;

use crate::adapters::bindings::wasi;
use crate::primitives::clock::Clock;

/// The real clocks: `wasi:clocks`' monotonic clock and wall clock.
pub struct SystemClock {
    /// The monotonic clock's reading at start, in nanoseconds.
    origin: u64,
}

impl Default for SystemClock {
    fn default() -> Self {
        Self {
            origin: wasi::clocks::monotonic_clock::now(),
        }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        let now = wasi::clocks::monotonic_clock::now();
        Duration::from_nanos(now.saturating_sub(self.origin))
    }

    fn unix_now(&self) -> Duration {
        let now = wasi::clocks::wall_clock::now();
        // Saturating: `Duration::new` would panic on a host's out-of-range nanoseconds.
        Duration::from_secs(now.seconds)
            .saturating_add(Duration::from_nanos(u64::from(now.nanoseconds)))
    }

    fn sleep(&self, duration: Duration) {
        // Longer than u64 nanoseconds (584 years) is as good as forever: the host's deadline
        // ends it.
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        wasi::clocks::monotonic_clock::subscribe_duration(nanos).block();
    }
}
