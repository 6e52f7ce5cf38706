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

#[test]
fn random_programs_agree() {
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut verdicts = std::collections::HashMap::new();
    for _ in 0..300 {
        let data = bytes(&mut seed, 2048);
        *verdicts.entry(fuzzgen::differential(&data)).or_insert(0) += 1;
    }
    eprintln!("{verdicts:?}");
    // The oracle must actually decide most runs, with values as well as traps.
    let values = verdicts.get(&Verdict::SameValues).copied().unwrap_or(0);
    assert!(values >= 100, "{verdicts:?}");
}

#[test]
fn random_escapes_are_caught() {
    let mut seed = 0xfeed_beef_u64;
    for _ in 0..2000 {
        let data = bytes(&mut seed, 512);
        fuzzgen::offheap_escape(&data);
    }
}

#[test]
fn random_modules_round_trip() {
    use fuzzgen::roundtrip::RoundTripVerdict;
    let mut seed = 0x0dd_ba11_u64;
    let mut verdicts = std::collections::HashMap::new();
    for _ in 0..150 {
        let data = bytes(&mut seed, 4096);
        *verdicts
            .entry(fuzzgen::roundtrip::roundtrip(&data))
            .or_insert(0) += 1;
    }
    eprintln!("{verdicts:?}");
    let same = verdicts.get(&RoundTripVerdict::Same).copied().unwrap_or(0);
    assert!(same >= 50, "{verdicts:?}");
}
