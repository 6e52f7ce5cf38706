//! Quick self-check of the generator and the oracle on pseudo-random inputs.

use fuzzgen::differential::Verdict;

/// `n` pseudo-random bytes (xorshift64), advancing `seed`.
fn bytes(seed: &mut u64, n: usize) -> Vec<u8> {
    (0..n)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            (*seed >> 24) as u8
        })
        .collect()
}

/// How often `target` gives each verdict on `runs` inputs of `size` bytes from `seed`.
fn tally<V: std::hash::Hash + Eq + std::fmt::Debug>(
    mut seed: u64,
    runs: usize,
    size: usize,
    target: impl Fn(&[u8]) -> V,
) -> std::collections::HashMap<V, u32> {
    let mut verdicts = std::collections::HashMap::new();
    for _ in 0..runs {
        *verdicts.entry(target(&bytes(&mut seed, size))).or_insert(0) += 1;
    }
    eprintln!("{verdicts:?}");
    verdicts
}

#[test]
fn random_programs_agree() {
    let verdicts = tally(0x1234_5678_9abc_def0, 300, 2048, fuzzgen::differential);
    // The oracle must actually decide most runs, with values as well as traps.
    let values = verdicts.get(&Verdict::SameValues).copied().unwrap_or(0);
    assert!(values >= 100, "{verdicts:?}");
}

#[test]
fn random_escapes_are_caught() {
    // Panics on an escape the verifier misses.
    tally(0xfeed_beef, 2000, 512, fuzzgen::offheap_escape);
}

#[test]
fn random_modules_round_trip() {
    use fuzzgen::roundtrip::RoundTripVerdict;
    let verdicts = tally(0x0dd_ba11, 150, 4096, fuzzgen::roundtrip::roundtrip);
    let same = verdicts.get(&RoundTripVerdict::Same).copied().unwrap_or(0);
    assert!(same >= 50, "{verdicts:?}");
}
