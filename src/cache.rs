//! What the instance told us and may change behind our back (a group's sys_id, a table's
//! close codes): kept for a while to spare requests, never for good. Every successful
//! configure drops it all, and an entry older than [`INSTANCE_FACTS_TTL`] is asked again.

use crate::prelude::*;

use core::borrow::Borrow;
use core::time::Duration;

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

    pub fn insert(&mut self, key: K, value: V, now: Duration) {
        self.entries.insert(key, (value, now));
    }

    /// Drops every entry whose value fails `keep`.
    pub fn retain_values(&mut self, mut keep: impl FnMut(&V) -> bool) {
        self.entries.0.retain(|(_, (value, _))| keep(value));
    }

    pub fn clear(&mut self) {
        self.entries.0.clear();
    }
}

/// A map as a vector sorted by key: the component's maps hold a handful of entries, and this
/// is a fraction of `BTreeMap`'s code in the component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortedMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for SortedMap<K, V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<K: Ord, V> SortedMap<K, V> {
    fn find<Q>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.0.binary_search_by(|(k, _)| k.borrow().cmp(key))
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).ok().map(|at| &self.0[at].1)
    }

    /// Sets the key's value; `false` when it was there already (and its value is replaced).
    pub fn insert(&mut self, key: K, value: V) -> bool {
        match self.find(&key) {
            Ok(at) => {
                self.0[at].1 = value;
                false
            }
            Err(at) => {
                self.0.insert(at, (key, value));
                true
            }
        }
    }

    /// Takes the key's value out.
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.find(key).ok().map(|at| self.0.remove(at).1)
    }

    /// In key order.
    pub fn iter(&self) -> impl Iterator<Item = &(K, V)> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn entries_expire_and_can_be_dropped() {
        let mut cache: Expiring<String, u32> = Expiring::default();
        let start = Duration::from_secs(100);
        cache.insert("a".into(), 1, start);
        cache.insert("b".into(), 2, start);
        assert_eq!(cache.get("a", start + INSTANCE_FACTS_TTL / 2), Some(&1));
        assert_eq!(cache.get("a", start + INSTANCE_FACTS_TTL), None);
        cache.retain_values(|v| *v != 2);
        assert_eq!(cache.get("b", start), None);
        assert_eq!(cache.get("a", start), Some(&1));
        cache.clear();
        assert_eq!(cache.get("a", start), None);
    }

    #[test]
    fn sorted_maps_keep_one_entry_per_key_in_order() {
        let mut map = SortedMap::default();
        assert!(map.insert("b", 1));
        assert!(map.insert("a", 2));
        assert!(map.insert("c", 3));
        assert!(!map.insert("b", 4));
        assert_eq!(map.get("b"), Some(&4));
        assert_eq!(map.get("d"), None);
        let keys: Vec<&str> = map.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["a", "b", "c"]);
    }
}
