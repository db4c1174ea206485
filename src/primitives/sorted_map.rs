//! A small map as a sorted vector.

use crate::primitives::prelude::*;

use core::borrow::Borrow;

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

    /// Keeps the entries whose value passes `keep`.
    pub fn retain_values(&mut self, mut keep: impl FnMut(&V) -> bool) {
        self.0.retain(|(_, value)| keep(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
