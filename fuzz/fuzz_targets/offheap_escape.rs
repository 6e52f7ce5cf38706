//! See `fuzzgen::offheap_escape`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzgen::offheap_escape(data);
});
