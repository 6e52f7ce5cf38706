//! Inputs that once broke the backend (mostly found by fuzzing), replayed through parse and
//! lower: each must give a module or an `Err`, never a panic.

use std::path::Path;
use wasm_emit::{compile, text, Options, Target};

#[test]
fn fuzz_regressions_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).expect("fuzz/regressions exists") {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let source = String::from_utf8_lossy(&data);
        if let Ok(file) = text::parse_file(&source) {
            for target in [Target::wasm32(), Target::wasm64()] {
                let options = Options {
                    target,
                    ..Options::default()
                };
                let _ = compile(&file.functions, &options);
            }
        }
        count += 1;
    }
    assert!(count > 0);
}
