//! The token carried across hibernation (docs/contract.md, `hibernate` and `resume`): the
//! access token, the refresh token and when to renew them on the wall clock, bound to the
//! settings they were granted under, as bytes the host keeps for the tenant's next instance.
//! What comes back is checked as any input: bytes of another layout, other settings, an
//! expired token or a token that could not go into a header are ignored.

use crate::primitives::prelude::*;

use core::time::Duration;

use super::{AccessToken, MAX_LIFESPAN, RefreshToken, TokenCache};

/// The layout's version: bytes of another are ignored.
const VERSION: u8 = 1;

/// The longest token taken back; ServiceNow's are far shorter.
const MAX_TOKEN: usize = 16 * 1024;

impl TokenCache {
    /// The access token still valid at `now` (the monotonic clock), with the refresh token,
    /// as bytes bound to `binding` that expire on the wall clock (`unix_now`); empty without
    /// one. Layout: version, binding, renewal time (Unix seconds), the access token's length
    /// (each little-endian), the access token, the refresh token.
    pub fn carry(&self, binding: u64, now: Duration, unix_now: Duration) -> Vec<u8> {
        let Some((token, refresh_at)) = self.cached.as_ref().filter(|(_, at)| now < *at) else {
            return Vec::new();
        };
        let Ok(length) = u32::try_from(token.0.len()) else {
            return Vec::new();
        };
        let renew = unix_now
            .saturating_add(refresh_at.saturating_sub(now))
            .as_secs();
        let refresh = self.refresh.as_ref().map_or("", |r| r.0.as_str());
        let mut bytes = Vec::with_capacity(21 + token.0.len() + refresh.len());
        bytes.push(VERSION);
        bytes.extend_from_slice(&binding.to_le_bytes());
        bytes.extend_from_slice(&renew.to_le_bytes());
        bytes.extend_from_slice(&length.to_le_bytes());
        bytes.extend_from_slice(token.0.as_bytes());
        bytes.extend_from_slice(refresh.as_bytes());
        bytes
    }

    /// Takes back what [`TokenCache::carry`] made, if it is bound to `binding` and not due
    /// for renewal at `unix_now`; anything else leaves the cache as it was.
    pub fn resume(&mut self, carried: &[u8], binding: u64, now: Duration, unix_now: Duration) {
        let Some((token, refresh, renew)) = parse(carried, binding) else {
            return;
        };
        // A wall clock set back must not stretch a token past the longest lifespan.
        let left = Duration::from_secs(renew)
            .checked_sub(unix_now)
            .filter(|left| !left.is_zero() && *left <= MAX_LIFESPAN);
        if let Some(left) = left {
            self.cached = Some((AccessToken(token), now.saturating_add(left)));
            self.refresh = refresh.map(RefreshToken);
        }
    }
}

/// The access token, refresh token and renewal time of bytes in [`TokenCache::carry`]'s
/// layout bound to `binding`.
fn parse(bytes: &[u8], binding: u64) -> Option<(String, Option<String>, u64)> {
    let (&version, rest) = bytes.split_first()?;
    let (bound, rest) = rest.split_first_chunk::<8>()?;
    let (renew, rest) = rest.split_first_chunk::<8>()?;
    let (length, rest) = rest.split_first_chunk::<4>()?;
    let length = usize::try_from(u32::from_le_bytes(*length)).ok()?;
    if version != VERSION || u64::from_le_bytes(*bound) != binding {
        return None;
    }
    let (token, refresh) = (rest.get(..length)?, rest.get(length..)?);
    let refresh = match refresh {
        [] => None,
        refresh => Some(header_safe(refresh)?),
    };
    Some((header_safe(token)?, refresh, u64::from_le_bytes(*renew)))
}

/// A token as it may go into a header: visible ASCII, not empty, not absurdly long.
fn header_safe(bytes: &[u8]) -> Option<String> {
    let safe =
        !bytes.is_empty() && bytes.len() <= MAX_TOKEN && bytes.iter().all(u8::is_ascii_graphic);
    safe.then(|| String::from_utf8(bytes.to_vec()).ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::servicenow::oauth::Grant;
    use proptest::prelude::*;

    const BINDING: u64 = 0x5eed;
    const UNIX: Duration = Duration::from_secs(1_790_000_000);

    /// A cache holding a token granted at `now` for 30 minutes, with a refresh token.
    fn cache(now: Duration) -> TokenCache {
        let mut cache = TokenCache::default();
        cache.store(
            Grant {
                token: AccessToken("access-1".into()),
                expires_in: Duration::from_secs(1800),
                refresh: Some(RefreshToken("refresh-1".into())),
            },
            now,
        );
        cache
    }

    #[test]
    fn a_carried_token_is_valid_in_the_next_instance_until_it_was_due() {
        let carried =
            cache(Duration::from_secs(100)).carry(BINDING, Duration::from_secs(700), UNIX);
        // The next instance's monotonic clock starts anew; ten minutes have passed.
        let mut next = TokenCache::default();
        let later = UNIX + Duration::from_secs(600);
        next.resume(&carried, BINDING, Duration::ZERO, later);
        let token = next.valid_at(Duration::ZERO).expect("the carried token");
        assert_eq!(token.expose(), "access-1");
        assert_eq!(
            next.refresh_token(),
            Some(&RefreshToken("refresh-1".into()))
        );
        // Granted at 100 s for 1800 s less the 60 s margin: due at 1840 s, 1140 s after
        // it was carried, 540 s after the next instance took it.
        assert!(next.valid_at(Duration::from_secs(539)).is_some());
        assert!(next.valid_at(Duration::from_secs(540)).is_none());
    }

    #[test]
    fn other_settings_an_expired_token_and_nothing_to_carry_leave_the_cache_empty() {
        let carried = cache(Duration::ZERO).carry(BINDING, Duration::ZERO, UNIX);
        let expired = UNIX + Duration::from_secs(1740);
        for (binding, unix_now) in [(BINDING + 1, UNIX), (BINDING, expired)] {
            let mut next = TokenCache::default();
            next.resume(&carried, binding, Duration::ZERO, unix_now);
            assert!(next.valid_at(Duration::ZERO).is_none());
        }
        let due = cache(Duration::ZERO).carry(BINDING, Duration::from_secs(1740), UNIX);
        assert!(due.is_empty());
        assert!(
            TokenCache::default()
                .carry(BINDING, Duration::ZERO, UNIX)
                .is_empty()
        );
    }

    proptest! {
        #[test]
        fn any_bytes_are_ignored_or_give_a_header_safe_token(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut next = TokenCache::default();
            next.resume(&bytes, BINDING, Duration::ZERO, UNIX);
            if let Some(token) = next.valid_at(Duration::ZERO) {
                prop_assert!(token.expose().bytes().all(|b| b.is_ascii_graphic()));
            }
        }

        #[test]
        fn a_carried_token_cut_or_changed_anywhere_gives_no_panic(at in 0usize..40, byte in any::<u8>()) {
            let mut carried = cache(Duration::ZERO).carry(BINDING, Duration::ZERO, UNIX);
            let at = at % carried.len();
            carried[at] = byte;
            TokenCache::default().resume(&carried, BINDING, Duration::ZERO, UNIX);
            TokenCache::default().resume(&carried[..at], BINDING, Duration::ZERO, UNIX);
        }
    }
}
