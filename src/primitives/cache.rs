//! What the instance told us and may change behind our back (a group's sys_id, a table's
//! close codes): kept for a while to spare requests, never for good. Every successful
//! configure drops it all, and an entry older than [`INSTANCE_FACTS_TTL`] is asked again.

use core::borrow::Borrow;
use core::time::Duration;

use crate::primitives::sorted_map::SortedMap;

/// How long a fact read from the instance is trusted: a group deleted and re-created, or a
/// close code added, is seen within this long.
pub const INSTANCE_FACTS_TTL: Duration = Duration::from_secs(10 * 60);

pub struct Expiring<K, V> {
    entries: SortedMap<K, (V, Duration)>,
}

impl<K, V> Default for Expiring<K, V> {
    fn default() -> Self {
        Self {
            entries: SortedMap::default(),
        }
    }
}

impl<K: Ord, V> Expiring<K, V> {
    /// The value, if it was stored less than the TTL before `now`.
    pub fn get<Q>(&self, key: &Q, now: Duration) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.entries.get(key) {
            Some((value, stored_at)) if now.saturating_sub(*stored_at) < INSTANCE_FACTS_TTL => {
                Some(value)
            }
            _ => None,
        }
    }

    /// Stores `value`, first dropping the entries that have expired: a cache keyed by what
    /// the platform sends (cloud resources) holds only what the TTL lets it, not every key it
    /// ever saw.
    pub fn insert(&mut self, key: K, value: V, now: Duration) {
        self.entries
            .retain_values(|(_, stored_at)| now.saturating_sub(*stored_at) < INSTANCE_FACTS_TTL);
        self.entries.insert(key, (value, now));
    }

    /// How many entries it holds, expired ones included until the next insert.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.iter().count()
    }

    /// Drops every entry whose value fails `keep`.
    pub fn retain_values(&mut self, mut keep: impl FnMut(&V) -> bool) {
        self.entries.retain_values(|(value, _)| keep(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::primitives::prelude::*;

    #[test]
    fn entries_expire_and_can_be_dropped_by_value() {
        let mut cache: Expiring<String, u32> = Expiring::default();
        let start = Duration::from_secs(100);
        cache.insert("a".into(), 1, start);
        cache.insert("b".into(), 2, start);
        assert_eq!(cache.get("a", start + INSTANCE_FACTS_TTL / 2), Some(&1));
        assert_eq!(cache.get("a", start + INSTANCE_FACTS_TTL), None);
        cache.retain_values(|v| *v != 2);
        assert_eq!(cache.get("b", start), None);
        assert_eq!(cache.get("a", start), Some(&1));
    }

    #[test]
    fn an_insert_drops_what_has_expired() {
        let mut cache: Expiring<String, u32> = Expiring::default();
        let start = Duration::from_secs(100);
        for i in 0..50 {
            cache.insert(format!("resource-{i}"), i, start);
        }
        assert_eq!(cache.len(), 50);
        let later = start + INSTANCE_FACTS_TTL;
        cache.insert("fresh".into(), 1, later);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get("fresh", later), Some(&1));
    }
}
