//! What the bench reads of its own process and machine (Linux's /proc): the memory the
//! tenants take, and where the figures come from.

use ticketing_host::capacity;

/// The process's memory at one moment; each reading None where /proc does not give it.
/// RSS, PSS and private memory come from `/proc/self/smaps_rollup` (one read, so they
/// agree with each other); page tables from `VmPTE` in `/proc/self/status`, which none of
/// them counts.
#[derive(Clone, Copy)]
pub(super) struct Usage {
    pub(super) resident_kib: Option<u64>,
    /// Proportional set size: each resident page divided among the processes that map it,
    /// so the artifact's data image, which every tenant's memory maps copy-on-write from
    /// the page cache, counts once for the process, not once per tenant as in RSS.
    pub(super) proportional_kib: Option<u64>,
    pub(super) private_kib: Option<u64>,
    pub(super) page_tables_kib: Option<u64>,
    pub(super) mappings: Option<u64>,
}

impl Usage {
    pub(super) fn now() -> Self {
        let rollup = Rollup::read();
        Self {
            resident_kib: rollup.as_ref().and_then(|r| r.rss),
            proportional_kib: rollup.as_ref().and_then(|r| r.pss),
            private_kib: rollup.as_ref().and_then(|r| r.private),
            mappings: mappings(),
            page_tables_kib: page_tables_kib(),
        }
    }
}

/// The lines of `/proc/self/smaps_rollup` the bench reads (KiB).
struct Rollup {
    rss: Option<u64>,
    pss: Option<u64>,
    private: Option<u64>,
}

impl Rollup {
    fn read() -> Option<Self> {
        let text = std::fs::read_to_string("/proc/self/smaps_rollup").ok()?;
        let field = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        };
        Some(Self {
            rss: field("Rss"),
            pss: field("Pss"),
            // Pages only this process maps: RSS without what it shares with the page
            // cache.
            private: field("Private_Clean")
                .zip(field("Private_Dirty"))
                .map(|(clean, dirty)| clean + dirty),
        })
    }
}

/// Hands the heap's free pages back to the system (glibc's `malloc_trim`), so that memory
/// the earlier figures freed is not reused unseen by the tenants measured next: their
/// growth in RSS is then all theirs.
pub(super) fn release_free_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: glibc's malloc_trim takes no pointer and may be called at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// The CPU time (user and system) this process has used so far, all its threads
/// (`getrusage(RUSAGE_SELF)`); None where it cannot be read.
pub(super) fn cpu_time() -> Option<std::time::Duration> {
    #[cfg(unix)]
    {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: getrusage writes a whole `rusage` into the pointer it is given.
        let usage = unsafe {
            if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
                return None;
            }
            usage.assume_init()
        };
        let time = |t: libc::timeval| {
            let micros = u64::try_from(t.tv_sec).ok()? * 1_000_000;
            Some(std::time::Duration::from_micros(
                micros + u64::try_from(t.tv_usec).ok()?,
            ))
        };
        Some(time(usage.ru_utime)? + time(usage.ru_stime)?)
    }
    #[cfg(not(unix))]
    None
}

/// How many memory mappings the process has (Linux allows `vm.max_map_count`).
pub(super) fn mappings() -> Option<u64> {
    capacity::mappings_in_use()
}

/// The process's page tables (`VmPTE`), which RSS does not count.
fn page_tables_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmPTE:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The machine the figures come from.
pub(super) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|k| k.trim().to_string())
        .unwrap_or_default();
    format!(
        "{cpu}, {cores} cores, Linux {kernel}, {}",
        std::env::consts::ARCH
    )
}
