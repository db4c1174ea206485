//! How many tenants one process can hold, as Linux sees it: a process may have at most
//! `vm.max_map_count` memory mappings (65,530 by default), and every tenant slot of the
//! pool costs some. The host checks this when it is made, so a host sized for more tenants
//! than the setting allows fails at once, naming the setting and the value it needs,
//! instead of with `Cannot allocate memory` at the ten-thousandth tenant.

use std::fmt;

/// Memory mappings one tenant slot costs at most: 2 when the host is made (its fiber
/// stack's guard page splits the stack pool; a `Store` keeps its stack between calls, so
/// every live tenant holds one) and 4 once an instance lives in it (its memory's stack
/// pages, the data image mapped copy-on-write, the heap, the inaccessible rest). A slot
/// keeps its image mapping when its tenant is dropped, for the next one.
pub const MAPPINGS_PER_TENANT: u64 = 6;

/// Left for the rest of the process: threads, libraries, malloc arenas, the artifact.
pub const MAPPINGS_HEADROOM: u64 = 1024;

/// Linux's default `vm.max_map_count`.
pub const DEFAULT_MAX_MAP_COUNT: u64 = 65_530;

/// Pool slots for `max_tenants` tenants: a tenant being rebuilt briefly holds two.
pub(crate) fn slots(max_tenants: u32) -> u32 {
    let tenants = max_tenants.max(1);
    tenants.saturating_add(tenants / 100 + 16)
}

/// Memory mappings a host sized for `max_tenants` takes once all its tenants live.
pub fn mappings_needed(max_tenants: u32) -> u64 {
    u64::from(slots(max_tenants)) * MAPPINGS_PER_TENANT
}

/// The smallest `vm.max_map_count` for a process that holds one host of `max_tenants`
/// (with the headroom for the rest of the process).
pub fn max_map_count_needed(max_tenants: u32) -> u64 {
    mappings_needed(max_tenants) + MAPPINGS_HEADROOM
}

/// The host's sizing (`max_tenants`) needs more memory mappings than the process may have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapCountTooLow {
    /// `SandboxLimits::max_tenants` of the host that was refused.
    pub max_tenants: u32,
    /// Mappings its tenants would take (see [`mappings_needed`]).
    pub needed: u64,
    /// `/proc/sys/vm/max_map_count`.
    pub max_map_count: u64,
    /// Mappings the process had when the host was made.
    pub in_use: u64,
    /// The most tenants a host could be sized for under the current setting.
    pub tenants_that_fit: u32,
}

impl MapCountTooLow {
    /// The `vm.max_map_count` this process needs for the refused host: what it uses now,
    /// the host's tenants, and the headroom.
    pub fn max_map_count_needed(&self) -> u64 {
        self.in_use.saturating_add(self.needed) + MAPPINGS_HEADROOM
    }
}

impl fmt::Display for MapCountTooLow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let needed = self.max_map_count_needed();
        // A round figure to suggest: the next multiple of 64 Ki.
        let suggested = needed.div_ceil(1 << 16) << 16;
        write!(
            f,
            "a host for max_tenants = {} needs about {} memory mappings ({MAPPINGS_PER_TENANT} \
             per tenant), but this process may have vm.max_map_count = {} and already uses {}: \
             raise vm.max_map_count to at least {needed} (for example `sysctl -w \
             vm.max_map_count={suggested}`, kept in /etc/sysctl.d/), or lower max_tenants to \
             {} at most",
            self.max_tenants, self.needed, self.max_map_count, self.in_use, self.tenants_that_fit
        )
    }
}

impl std::error::Error for MapCountTooLow {}

/// Whether a host of `max_tenants` fits in a process with `max_map_count` of which
/// `in_use` are taken.
pub(crate) fn fits(
    max_tenants: u32,
    max_map_count: u64,
    in_use: u64,
) -> Result<(), MapCountTooLow> {
    let needed = mappings_needed(max_tenants);
    let free = max_map_count.saturating_sub(in_use.saturating_add(MAPPINGS_HEADROOM));
    if needed <= free {
        return Ok(());
    }
    Err(MapCountTooLow {
        max_tenants,
        needed,
        max_map_count,
        in_use,
        tenants_that_fit: tenants_that_fit(free),
    })
}

/// The largest `max_tenants` a host may be sized for in a process with `max_map_count`
/// of which `in_use` are taken.
pub fn max_tenants_for(max_map_count: u64, in_use: u64) -> u32 {
    tenants_that_fit(max_map_count.saturating_sub(in_use.saturating_add(MAPPINGS_HEADROOM)))
}

/// The largest `max_tenants` whose slots fit in `free` mappings (0 if none does).
fn tenants_that_fit(free: u64) -> u32 {
    let slots_that_fit = free / MAPPINGS_PER_TENANT;
    let fits = |tenants: u32| u64::from(slots(tenants)) <= slots_that_fit;
    // slots(t) = t + t/100 + 16, so t is about (slots - 16) * 100 / 101: start there and
    // step to the largest that fits (a step or two either way).
    let estimate = slots_that_fit.saturating_sub(16) * 100 / 101;
    let mut tenants = u32::try_from(estimate).unwrap_or(u32::MAX);
    while tenants < u32::MAX && fits(tenants + 1) {
        tenants += 1;
    }
    while tenants > 0 && !fits(tenants) {
        tenants -= 1;
    }
    tenants
}

/// Checks this process's mapping budget for a host of `max_tenants` (Linux; elsewhere the
/// limit is not known and nothing is checked).
pub(crate) fn check_this_process(max_tenants: u32) -> Result<(), MapCountTooLow> {
    match (max_map_count(), mappings_in_use()) {
        (Some(max), Some(in_use)) => fits(max_tenants, max, in_use),
        _ => Ok(()),
    }
}

/// `vm.max_map_count`, where the system says.
pub fn max_map_count() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/sys/vm/max_map_count").ok()?;
    text.trim().parse().ok()
}

/// The process's memory mappings now: one line each in /proc/self/maps (read in pieces:
/// a process with many tenants has hundreds of thousands).
pub fn mappings_in_use() -> Option<u64> {
    use std::io::Read;
    let mut maps = std::fs::File::open("/proc/self/maps").ok()?;
    let mut buffer = vec![0u8; 64 << 10];
    let mut lines = 0u64;
    loop {
        match maps.read(&mut buffer) {
            Ok(0) => return Some(lines),
            Ok(n) => lines += buffer[..n].iter().filter(|&&b| b == b'\n').count() as u64,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_that_fits_is_accepted() {
        // The default 1,000 tenants: 1,026 slots, 6,156 mappings.
        assert_eq!(mappings_needed(1000), 6156);
        assert_eq!(fits(1000, DEFAULT_MAX_MAP_COUNT, 400), Ok(()));
        // Exactly at the limit still fits.
        let exact = 400 + mappings_needed(1000) + MAPPINGS_HEADROOM;
        assert_eq!(fits(1000, exact, 400), Ok(()));
        assert!(fits(1000, exact - 1, 400).is_err());
    }

    #[test]
    fn fifty_thousand_tenants_need_the_setting_raised() {
        let refused = fits(50_000, DEFAULT_MAX_MAP_COUNT, 400).unwrap_err();
        assert_eq!(refused.needed, 50_516 * 6);
        assert_eq!(
            refused.max_map_count_needed(),
            400 + 50_516 * 6 + MAPPINGS_HEADROOM
        );
        let message = refused.to_string();
        for part in [
            "max_tenants = 50000",
            "vm.max_map_count = 65530",
            "already uses 400",
            "at least 304520",
            "sysctl -w vm.max_map_count=327680",
        ] {
            assert!(message.contains(part), "{part:?} not in {message:?}");
        }
        // What the message offers instead fits, and one more does not.
        let fit = refused.tenants_that_fit;
        assert!(message.contains(&format!("lower max_tenants to {fit} at most")));
        assert_eq!(fits(fit, DEFAULT_MAX_MAP_COUNT, 400), Ok(()));
        assert_eq!(max_tenants_for(DEFAULT_MAX_MAP_COUNT, 400), fit);
        assert!(fits(fit + 1, DEFAULT_MAX_MAP_COUNT, 400).is_err());
        assert!((10_500..10_800).contains(&fit), "{fit}");
        // With the setting the message names, the same host fits.
        assert_eq!(fits(50_000, 327_680, 400), Ok(()));
    }

    #[test]
    fn a_process_with_no_room_left_fits_no_tenant() {
        let refused = fits(1, 1000, 900).unwrap_err();
        assert_eq!(refused.tenants_that_fit, 0);
        let refused = fits(u32::MAX, DEFAULT_MAX_MAP_COUNT, 0).unwrap_err();
        assert_eq!(refused.needed, u64::from(u32::MAX) * MAPPINGS_PER_TENANT);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_can_be_measured() {
        let max = max_map_count().expect("/proc/sys/vm/max_map_count");
        let in_use = mappings_in_use().expect("/proc/self/maps");
        assert!(in_use > 0 && in_use < max, "{in_use} of {max}");
    }
}
