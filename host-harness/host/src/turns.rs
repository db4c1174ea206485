//! Turns: calls that must not overlap, one at a time per key, across every instance a host
//! holds. A platform may run several instances of one tenant; two creates for one event
//! (one correlation id) on two of them would each miss the other's ticket, so they take
//! turns. The component settles the races this cannot see (other hosts, other processes)
//! after the fact; a turn makes them rare.
//!
//! A key is kept only while a call holds or waits for it, so the map is as large as the
//! calls in flight, whatever the number of tenants and events.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

/// What a turn is taken on: the tenant, and what its calls must not overlap on.
type Key = (String, String);

#[derive(Default)]
pub(crate) struct Turns {
    keys: Mutex<HashMap<Key, Arc<AsyncMutex<()>>>>,
}

impl Turns {
    /// Waits until no other call holds the turn for (`tenant`, `what`), then holds it until
    /// the answer is dropped. A wait that is given up (its future dropped) leaves nothing.
    pub(crate) async fn take(self: &Arc<Self>, tenant: &str, what: &str) -> Turn {
        let key = (tenant.to_string(), what.to_string());
        let mutex = self.keys().entry(key.clone()).or_default().clone();
        let mut turn = Turn {
            turns: self.clone(),
            key,
            mutex: Some(mutex.clone()),
            held: None,
        };
        turn.held = Some(mutex.lock_owned().await);
        turn
    }

    /// How many keys are held or waited for.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.keys().len()
    }

    fn keys(&self) -> MutexGuard<'_, HashMap<Key, Arc<AsyncMutex<()>>>> {
        // The map is consistent after any panic (each change is one insert or remove).
        self.keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A turn held (or still awaited); dropping it lets the next call for its key go.
pub(crate) struct Turn {
    turns: Arc<Turns>,
    key: Key,
    mutex: Option<Arc<AsyncMutex<()>>>,
    held: Option<OwnedMutexGuard<()>>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        let mut keys = self.turns.keys();
        self.held = None;
        // The map's handle and this one: nobody else holds or waits for the key.
        if let Some(mutex) = self.mutex.take()
            && Arc::strong_count(&mutex) == 2
        {
            keys.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn calls_for_one_key_take_turns_and_others_do_not_wait() {
        let turns = Arc::new(Turns::default());
        let first = turns.take("t1", "event-1").await;
        // Another tenant, or another event of the same tenant: no wait.
        let other_tenant = turns.take("t2", "event-1").await;
        let other_event = turns.take("t1", "event-2").await;
        let waiting = {
            let turns = turns.clone();
            tokio::spawn(async move {
                let _turn = turns.take("t1", "event-1").await;
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the same key waits its turn");
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("its turn came")
            .unwrap();
        drop((other_tenant, other_event));
        assert_eq!(turns.len(), 0, "no key outlives its calls");
    }

    #[tokio::test]
    async fn a_wait_given_up_leaves_nothing_behind() {
        let turns = Arc::new(Turns::default());
        let held = turns.take("t1", "event-1").await;
        let gave_up =
            tokio::time::timeout(Duration::from_millis(20), turns.take("t1", "event-1")).await;
        assert!(gave_up.is_err());
        assert_eq!(turns.len(), 1);
        drop(held);
        assert_eq!(turns.len(), 0);
        // And the key still works.
        drop(turns.take("t1", "event-1").await);
        assert_eq!(turns.len(), 0);
    }
}
