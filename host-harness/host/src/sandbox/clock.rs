//! The tenant's monotonic clock, which the host can push forward.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use wasmtime_wasi::HostMonotonicClock;

/// Monotonic time as the tenant sees it: real time plus an offset the host can push forward,
/// so tests can let a token expire without waiting half an hour.
#[derive(Clone)]
pub struct TenantClock {
    start: Instant,
    offset_nanos: Arc<AtomicU64>,
}

impl Default for TenantClock {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            offset_nanos: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl TenantClock {
    /// Moves the tenant's clock forward by `by` (a test lets a token expire).
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.offset_nanos.fetch_add(nanos, Ordering::Relaxed);
    }
}

impl HostMonotonicClock for TenantClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        let real = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        real.saturating_add(self.offset_nanos.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_moves_forward_when_told() {
        let clock = TenantClock::default();
        let before = clock.now();
        clock.advance(Duration::from_secs(1800));
        assert!(clock.now() >= before + 1_800_000_000_000);
    }
}
