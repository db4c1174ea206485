//! The tenant's kept connection: the one a request reuses while none is under way (a tenant
//! sends one request at a time, so one is enough), with the request deadline moved forward
//! for each request. A connection nobody waits on sits idle here, and a small task per
//! tenant closes it once it has been idle for the idle timeout.

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use tokio::time::Instant;

use super::conn::Conn;
use crate::deadline::Deadline;

/// A tenant client's kept connection, shared by the client's clones and by the answers
/// under way, which hand their connection back here.
pub(super) struct Pool {
    idle_timeout: Duration,
    kept: Mutex<Kept>,
}

/// What a request takes for its time and hands back when its answer has been read.
#[derive(Default)]
struct Kept {
    /// The kept connection while no request uses it. A tenant sends one request at a time,
    /// so one is enough.
    idle: Option<Idle>,
    /// The first-byte and between-bytes deadline, moved forward for each request.
    deadline: Option<Deadline>,
    /// The task that closes the idle connection runs. It ends once nothing is kept, so an
    /// idle tenant has no task and no timer.
    reaping: bool,
    /// What a hibernating tenant parked here (its client), let go of with the connection.
    parked: Option<Weak<dyn Release>>,
}

/// What the pool lets go of when its idle connection closes: a hibernating tenant's hold on
/// its client (see [`super::ParkedClient`]).
pub(super) trait Release: Send + Sync {
    fn release(&self);
}

struct Idle {
    conn: Conn,
    since: Instant,
}

impl Pool {
    pub(super) fn new(idle_timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            idle_timeout,
            kept: Mutex::default(),
        })
    }

    fn kept(&self) -> MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The kept connection, if it is still open and has not been idle too long, and the
    /// request deadline.
    pub(super) fn take(&self) -> (Option<Conn>, Deadline) {
        let mut kept = self.kept();
        let deadline = kept.deadline.take().unwrap_or_default();
        let conn = kept
            .idle
            .take()
            .filter(|idle| idle.since.elapsed() < self.idle_timeout)
            .filter(|idle| !idle.conn.is_closed())
            .map(|idle| idle.conn);
        (conn, deadline)
    }

    /// Keeps `conn` (when it may carry another request) and `deadline` for the next request.
    /// A connection is kept only where the task that closes it once idle runs: started here
    /// when none does, which needs a runtime to start in.
    pub(super) fn keep(self: &Arc<Self>, conn: Option<Conn>, deadline: Deadline) {
        let mut kept = self.kept();
        kept.deadline = Some(deadline);
        kept.idle = None;
        let Some(conn) = conn else {
            return;
        };
        if !kept.reaping {
            let Ok(runtime) = tokio::runtime::Handle::try_current() else {
                return;
            };
            runtime.spawn(reap(Arc::downgrade(self), self.idle_timeout));
            kept.reaping = true;
        }
        kept.idle = Some(Idle {
            conn,
            since: Instant::now(),
        });
    }
}

impl Pool {
    /// Lets `parked` go when the idle connection closes, if there is one that has not idled
    /// out and a task that closes it: whether it took it.
    pub(super) fn park(&self, parked: Weak<dyn Release>) -> bool {
        let mut kept = self.kept();
        let fresh = kept
            .idle
            .as_ref()
            .is_some_and(|idle| idle.since.elapsed() < self.idle_timeout);
        if fresh && kept.reaping {
            kept.parked = Some(parked);
        }
        fresh && kept.reaping
    }
}

#[cfg(test)]
impl Pool {
    /// Whether a connection is kept idle now.
    pub(super) fn has_idle(&self) -> bool {
        self.kept().idle.is_some()
    }

    /// Whether the task that closes the idle connection runs.
    pub(super) fn is_reaping(&self) -> bool {
        self.kept().reaping
    }
}

/// Closes the tenant's kept connection once it has been idle for `idle_timeout`, letting
/// go of what a hibernating tenant parked with it; ends then,
/// when nothing is kept (a request holds the connection: it keeps it again, or not), or
/// with the tenant's client.
async fn reap(pool: Weak<Pool>, idle_timeout: Duration) {
    let mut next = Instant::now() + idle_timeout;
    loop {
        tokio::time::sleep_until(next).await;
        let Some(pool) = pool.upgrade() else {
            return;
        };
        let mut kept = pool.kept();
        match kept.idle.as_ref().map(|i| i.since + idle_timeout) {
            Some(expiry) if expiry > Instant::now() => next = expiry,
            _ => {
                let closed = kept.idle.take();
                let parked = kept.parked.take();
                kept.reaping = false;
                drop(kept);
                drop(closed);
                if let Some(parked) = parked.and_then(|p| p.upgrade()) {
                    parked.release();
                }
                return;
            }
        }
    }
}
