#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| servicenow_ticketing::fuzzing::write_answers(data));
