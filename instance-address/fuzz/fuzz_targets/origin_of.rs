//! `origin_of` on any request URL the guest might send: no panic, and every origin it returns
//! is one `InstanceUrl::parse` accepts as itself.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/invariants.rs"]
#[allow(dead_code)]
mod invariants;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    invariants::check_origin_of(&input);
});
