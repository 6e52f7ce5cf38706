//! # toy: a small language compiled through `cranelift_module::Module`
//!
//! A real client of the module API, generic over `M: Module`: the same [`compile`] builds
//! a native JIT module (cranelift-jit) and a wasm module (wasm-emit's `WasmModule`). The
//! language has functions, recursion, loops, global data and strings, a writable global
//! counter, a table of function pointers in data, and a data pointer in data; see
//! [`syntax`] for an example.
//!
//! - [`syntax`]: lexer and parser.
//! - [`codegen`]: code generation through the `Module` trait.
//! - [`run`]: running a program with cranelift-jit or in wasmtime.
//!
//! `tests/differential.rs` runs every `# run:` line of `programs/*.toy` both ways, on
//! wasm32 and wasm64, and checks that the results, the printed values and the final
//! globals agree.

pub mod codegen;
pub mod run;
pub mod syntax;

pub use codegen::{compile, Compiled, Symbol};
pub use run::{emit_wasm, run_jit, run_wasm, Outcome};
pub use syntax::{parse, Program};
