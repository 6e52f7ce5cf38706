//! # cranelift-offheap
//!
//! Off-heap definitions for Cranelift: wasm locals and globals, which live outside linear
//! memory, are named by index, cannot be reached by a forged pointer, and are the only
//! places that can hold reference types (`externref`, `funcref`).
//!
//! This crate will extend Cranelift's stack-slot model with non-addressable *value slots*
//! (wasm locals), add *off-heap globals* (wasm globals, reference-typed ones included), and
//! verify that no address of either escapes. See `../shared/DESIGN.md`, "The off-heap
//! model". The lowering of these definitions lives in `wasm-emit`.
