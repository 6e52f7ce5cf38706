//! The corpus programs (C built by `corpus/fetch.sh`) round-trip, with and without the
//! mid-end, into modules that print byte-identical output under wasmtime. Skipped with a
//! message when the corpus is not built, unless `REQUIRE_CORPUS` is set (as in CI).

use std::path::PathBuf;
use wasm_roundtrip::{roundtrip, wasi::run_wasi, Options};

#[test]
fn corpus_programs_print_the_same_after_the_round_trip() {
    let root = PathBuf::from(manifest_dir()).join("../corpus");
    let mut sources: Vec<PathBuf> = std::fs::read_dir(root.join("programs"))
        .expect("corpus/programs exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .collect();
    sources.sort();
    assert!(
        sources.len() >= 4,
        "the corpus has {} programs",
        sources.len()
    );
    let engine = wasmtime::Engine::default();
    let mut ran = 0;
    for src in &sources {
        let name = src.file_stem().unwrap().to_string_lossy().to_string();
        let built = root.join(format!("build/programs/{name}.wasm"));
        let Ok(input) = std::fs::read(&built) else {
            if std::env::var_os("REQUIRE_CORPUS").is_some() {
                panic!("{} is missing: run corpus/fetch.sh", built.display());
            }
            eprintln!(
                "skipped {name}: {} not built (run corpus/fetch.sh)",
                built.display()
            );
            continue;
        };
        let expected = std::fs::read(root.join(format!("programs/{name}.expected"))).unwrap();
        let (original, _) = run_wasi(&engine, &input, 1).unwrap();
        assert_eq!(
            original, expected,
            "{name}: the input itself differs from .expected"
        );
        for optimize in [false, true] {
            let options = Options {
                optimize,
                ..Options::default()
            };
            let out = roundtrip(&input, &options)
                .unwrap_or_else(|e| panic!("{name} (opt {optimize}): {e}"));
            let (output, _) = run_wasi(&engine, &out, 1)
                .unwrap_or_else(|e| panic!("{name} (opt {optimize}) after the round trip: {e}"));
            assert!(
                output == expected,
                "{name} (opt {optimize}): the output differs after the round trip"
            );
        }
        ran += 1;
    }
    eprintln!("{ran} programs round-tripped with identical output");
}

/// The package's directory: as cargo gives it to the running test, else as it was at
/// build time (a build directory shared between checkouts can hold a test built in
/// another one).
fn manifest_dir() -> String {
    std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
}
