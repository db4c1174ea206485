//! Identifiers without a rand crate: a splitmix64 stream seeded from a process-wide
//! counter and the time, so two simulators never hand out the same sys_ids or tokens.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub(crate) struct Ids {
    state: u64,
}

impl Ids {
    pub(crate) fn seeded() -> Ids {
        static STREAMS: AtomicU64 = AtomicU64::new(0);
        let stream = STREAMS.fetch_add(1, Ordering::Relaxed);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default();
        Ids {
            state: nanos ^ stream.wrapping_mul(0xA076_1D64_78BD_642F),
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// docs/servicenow/records.md#identifiers: a sys_id is 32 lowercase hex characters.
    pub(crate) fn sys_id(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }

    /// An opaque token of `len` URL-safe characters, like the instance's default
    /// (non-JWT) access tokens (docs/servicenow/auth.md#oauth-client-credentials).
    pub(crate) fn opaque(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        (0..len)
            .map(|_| char::from(ALPHABET[(self.next_u64() % 64) as usize]))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sys_ids_are_32_hex_and_distinct_across_streams() {
        let (mut a, mut b) = (Ids::seeded(), Ids::seeded());
        let (x, y) = (a.sys_id(), b.sys_id());
        assert_eq!(x.len(), 32);
        assert!(
            x.bytes()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
        );
        assert_ne!(x, y);
        assert_ne!(x, a.sys_id());
    }

    #[test]
    fn opaque_tokens_have_the_asked_length() {
        let token = Ids::seeded().opaque(64);
        assert_eq!(token.len(), 64);
        assert!(
            token
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }
}
