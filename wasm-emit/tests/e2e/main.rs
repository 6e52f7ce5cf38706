//! End-to-end lowering tests: CLIF is compiled by wasm-emit, validated, run in wasmtime and
//! compared with Cranelift's interpreter or with known results.

// Tests build argument lists inline; `&[v.clone()]` reads better here than `from_ref`.
#![allow(clippy::cloned_ref_to_slice_refs)]

#[cfg(feature = "module")]
mod backend;
mod calls;
mod compiler;
mod control;
mod errors;
mod float;
mod harness;
mod int;
mod layout;
mod memory;
mod offheap;
mod opt_level;
