//! End-to-end lowering tests: CLIF is compiled by wasm-emit, validated, run in wasmtime and
//! compared with Cranelift's interpreter or with known results.

mod harness;
mod int;
