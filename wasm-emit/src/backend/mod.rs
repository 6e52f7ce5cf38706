//! `cranelift_module::Module` for wasm, shaped like cranelift-object:
//! [`WasmBuilder`] → [`WasmModule`] → [`WasmProduct`] → wasm bytes.
//!
//! A toolchain written against `cranelift_module::Module` switches to wasm by building a
//! `WasmModule` instead of an `ObjectModule` or `JITModule`:
//!
//! ```
//! use cranelift_codegen::ir::{types, AbiParam, InstBuilder};
//! use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
//! use cranelift_module::{Linkage, Module};
//! use wasm_emit::{WasmBuilder, WasmModule};
//!
//! let builder = WasmBuilder::new("wasm32-unknown-unknown".parse().unwrap()).unwrap();
//! let mut module = WasmModule::new(builder);
//! let mut sig = module.make_signature();
//! sig.returns.push(AbiParam::new(types::I64));
//! let id = module.declare_function("answer", Linkage::Export, &sig).unwrap();
//! let mut ctx = module.make_context();
//! ctx.func.signature = sig;
//! let mut fctx = FunctionBuilderContext::new();
//! let mut b = FunctionBuilder::new(&mut ctx.func, &mut fctx);
//! let entry = b.create_block();
//! b.switch_to_block(entry);
//! let v = b.ins().iconst(types::I64, 42);
//! b.ins().return_(&[v]);
//! b.seal_all_blocks();
//! b.finalize(module.target_config());
//! module.define_function(id, &mut ctx).unwrap();
//! let wasm = module.finish().emit().unwrap();
//! assert_eq!(&wasm[..4], b"\0asm");
//! ```
//!
//! ## What the module makes of declarations
//!
//! | declaration | in the wasm module |
//! |---|---|
//! | function, `Import` (or `Preemptible` and never defined) | function import from the builder's import module (`"env"`), under its name |
//! | function, `Export` or `Preemptible` | defined and exported under its name |
//! | function, `Local` or `Hidden` | defined, not exported |
//! | data, any definable linkage | bytes in linear memory after the shadow stack |
//! | data, `Export` or `Preemptible` | also an immutable global holding its address, exported under its name (as wasm-ld does) |
//! | data, `Import` | an error when defined or referenced: wasm modules cannot import data |
//!
//! **Function pointers** are slots of one function table. `func_addr` in code and a
//! function address written into data (`write_function_addr`) give the same slot, so they
//! compare equal and `call_indirect` works through either. Slot 0 stays null, so calling a
//! null function pointer traps.
//!
//! **Data** is laid out after the shadow stack, each object at its alignment (default 1,
//! as cranelift-object): read-only objects first, then writable ones, then zero-initialized
//! ones, which take no bytes in the module. Relocations (function and data addresses, with
//! addends) are patched into the bytes when the product is emitted. Read-only data is not
//! write-protected (wasm has no such protection). With an imported memory, zero-initialized
//! data assumes the memory starts zeroed, as wasm-ld does. Thread-local data is rejected.
//!
//! **Off-heap definitions** (wasm globals, tables, reference-typed signatures) are declared
//! through inherent methods of [`WasmModule`], next to the trait's.
//!
//! **`isa()`** returns Cranelift's Pulley ISA of the same pointer width (pulley32 for
//! wasm32, pulley64 for wasm64), because the trait must return a `TargetIsa` and Cranelift
//! allows none outside its own crate. Everything a client derives through the trait from it
//! (`target_config()`, `pointer_type()`, `make_signature()`) has the wasm pointer width and
//! 64 KiB pages. `isa().triple()` names Pulley, though: use [`WasmModule::target`] for the
//! wasm triple. Functions are not compiled for it: `define_function` keeps the IR (so
//! `ctx.compiled_code()` stays empty) and the product lowers everything when emitted.

// The trait fixes the error type, `ModuleError`, and it is large; returning it is the API.
#![allow(clippy::result_large_err)]

mod builder;
mod data;
mod error;
mod isa;
mod module;
mod offheap;
mod product;

pub use builder::{MemoryMode, WasmBuilder};
pub use module::WasmModule;
pub use product::WasmProduct;
