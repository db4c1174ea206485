//! A provider configured over the scripted transport, for the tests that drive it call by call.

use crate::features::provider::Provider;
use crate::primitives::clock::ManualClock;
use crate::settings::validated::RawSettings;
use crate::test_support::transport::ScriptedTransport;

/// A provider over the scripted transport and a manual clock, configured with `raw`.
pub fn provider<'a>(
    transport: &'a ScriptedTransport,
    clock: &'a ManualClock,
    raw: RawSettings,
) -> Provider<&'a ScriptedTransport, &'a ManualClock> {
    let mut provider = Provider::new(transport, clock);
    provider.configure(raw).unwrap();
    provider
}
