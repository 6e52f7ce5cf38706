//! Arbitrary text through the CLIF parser and the lowering: never a panic, never an invalid
//! module (every module `compile` returns has been validated).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasm_emit::{compile, text, Options, Target};

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    let Ok(file) = text::parse_file(&source) else {
        return;
    };
    for target in [Target::wasm32(), Target::wasm64()] {
        let options = Options {
            target,
            ..Options::default()
        };
        let _ = compile(&file.functions, &options);
    }
});
