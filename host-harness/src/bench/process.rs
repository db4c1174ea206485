//! What the bench reads of its own process and machine (Linux's /proc): the memory the
//! tenants take, and where the figures come from.

use ticketing_host::capacity;

/// The process's memory at one moment; each reading None where /proc does not give it.
#[derive(Clone, Copy)]
pub(super) struct Usage {
    pub(super) resident_kib: Option<u64>,
    pub(super) private_kib: Option<u64>,
    pub(super) page_tables_kib: Option<u64>,
    pub(super) mappings: Option<u64>,
}

impl Usage {
    pub(super) fn now() -> Self {
        Self {
            resident_kib: resident_kib(),
            mappings: mappings(),
            private_kib: private_kib(),
            page_tables_kib: page_tables_kib(),
        }
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

/// Resident set size from /proc (Linux); None elsewhere.
fn resident_kib() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4)
}

/// Memory only this process holds (private clean + dirty pages, from smaps_rollup): RSS
/// without the pages it shares with the page cache, such as the artifact's data image
/// that every tenant's memory maps copy-on-write.
fn private_kib() -> Option<u64> {
    let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").ok()?;
    let mut total = 0;
    for line in rollup.lines() {
        if line.starts_with("Private_Clean:") || line.starts_with("Private_Dirty:") {
            total += line.split_whitespace().nth(1)?.parse::<u64>().ok()?;
        }
    }
    Some(total)
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
