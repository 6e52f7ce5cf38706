//! The logic of wasm-emit's fuzz targets, shared by the cargo-fuzz binaries in `fuzz/` and
//! the stable `cargo test` that replays their seed corpora (`fuzz/seeds/<target>/`).
//!
//! - [`differential`]: random CLIF programs, wasm-emit + wasmtime against Cranelift's
//!   interpreter (with a state that models linear memory and globals).
//! - [`parse_lower`]: arbitrary text through the parser and the lowering: never a panic,
//!   never an invalid module.
//! - [`offheap_escape`]: legal off-heap programs and one escaping mutation each: the
//!   verifier accepts every original and rejects every mutant.
//! - [`roundtrip`]: wasm-smith modules through the round trip; both run in wasmtime and
//!   behave the same.
//!
//! Each target panics on a bug, which is what libFuzzer and the replay test look for.

pub mod differential;
pub mod escape;
pub mod gen;
pub mod interp;
pub mod roundtrip;

pub use differential::differential;
pub use escape::offheap_escape;

use wasm_emit::{compile_module, text, OptLevel, Options, Target};

/// Arbitrary text through the CLIF parser (with the off-heap syntax) and the lowering, for
/// both targets (wasm32 at opt level none, wasm64 at speed): every failure must be an
/// `Err`; every module returned is validated.
pub fn parse_lower(data: &[u8]) {
    let source = String::from_utf8_lossy(data);
    let Ok(file) = text::parse_file(&source) else {
        return;
    };
    for (target, opt_level) in [
        (Target::wasm32(), OptLevel::None),
        (Target::wasm64(), OptLevel::Speed),
    ] {
        let options = Options {
            target,
            opt_level,
            ..Options::default()
        };
        let _ = compile_module(&file.functions, &file.decls, &options);
    }
}
