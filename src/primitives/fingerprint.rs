//! A fingerprint of values, to tell whether two were made from the same ones: 64-bit FNV-1a
//! (<http://www.isthe.com/chongo/tech/comp/fnv/>). Not a cryptographic hash: it tells
//! changes apart, it does not stand up to someone who chooses the values.

use core::hash::{Hash, Hasher};

const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(PRIME);
        }
    }
}

/// The fingerprint of `value`.
pub fn fingerprint(value: &impl Hash) -> u64 {
    let mut hasher = Fnv(OFFSET_BASIS);
    value.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_agree_and_a_changed_one_does_not() {
        assert_eq!(fingerprint(&("a", "b")), fingerprint(&("a", "b")));
        assert_ne!(fingerprint(&("a", "b")), fingerprint(&("a", "c")));
        assert_ne!(fingerprint(&("ab", "")), fingerprint(&("a", "b")));
    }
}
