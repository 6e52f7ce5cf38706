//! Replays the committed seed corpus of every fuzz target (`fuzz/seeds/<target>/`) on
//! stable Rust, so a regression fails `cargo test` without libFuzzer. Inputs that once
//! found bugs live there too (named `regression-*`).

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(&manifest_dir())
        .join("../fuzz/seeds")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| run(&data));
        assert!(result.is_ok(), "{target}: {} fails", path.display());
        count += 1;
    }
    assert!(count > 0, "no seeds for {target}");
}

#[test]
fn differential_seeds() {
    replay("differential", |d| {
        fuzzgen::differential(d);
    });
}

#[test]
fn parse_lower_seeds() {
    replay("parse_lower", fuzzgen::parse_lower);
}

#[test]
fn offheap_escape_seeds() {
    replay("offheap_escape", fuzzgen::offheap_escape);
}

#[test]
fn roundtrip_seeds() {
    replay("roundtrip", |d| {
        fuzzgen::roundtrip::roundtrip(d);
    });
}

/// The package's directory: as cargo gives it to the running test, else as it was at
/// build time (a build directory shared between checkouts can hold a test built in
/// another one).
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
