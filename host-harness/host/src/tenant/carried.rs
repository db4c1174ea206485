//! What a tenant's provider hands over when its instance hibernates, for the next instance
//! (the contract's `hibernate` and `resume`, `docs/contract.md`): opaque to the host and held
//! as a secret (it is a ServiceNow access token), only while the tenant hibernates, wiped
//! when dropped, never shown.

use std::fmt;

use zeroize::Zeroize;

/// A hibernating provider's bytes for its next instance. `Debug` shows their length only.
pub(super) struct Carried(Vec<u8>);

impl Carried {
    /// The provider's bytes; none when it has nothing to carry.
    pub(super) fn new(bytes: Vec<u8>) -> Option<Self> {
        let mut bytes = Self(bytes);
        // Exactly as long as it is: the record a hibernating tenant keeps grows by its bytes.
        bytes.0.shrink_to_fit();
        (!bytes.0.is_empty()).then_some(bytes)
    }

    /// The bytes, to hand to the next instance only.
    pub(super) fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Carried {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Carried {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Carried(<{} bytes redacted>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_to_carry_is_none_and_debug_hides_the_bytes() {
        assert!(Carried::new(Vec::new()).is_none());
        let carried = Carried::new(b"token".to_vec()).unwrap();
        assert_eq!(format!("{carried:?}"), "Carried(<5 bytes redacted>)");
        assert_eq!(carried.expose(), b"token");
    }
}
