//! `InstanceUrl::parse` on any input: no panic; accepted addresses round-trip and agree with
//! `origin_of`; refusals show no control character and no userinfo.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/invariants.rs"]
#[allow(dead_code)]
mod invariants;

fuzz_target!(|data: &[u8]| {
    let input = String::from_utf8_lossy(data);
    invariants::check_parse(&input);
});
