//! # cranelift-offheap: off-heap definitions for Cranelift
//!
//! Wasm locals and globals live outside linear memory: they are named by index, no forged
//! pointer reaches them, and they are the only places that hold reference types
//! (`externref`, `funcref`). This crate brings them to Cranelift IR, after the LLVM
//! proposal "Support for off-heap definitions":
//!
//! - **Value slots** ([`declare_value_slot`]): `ExplicitSlot`s tagged through
//!   `StackSlotData::key` with a wasm type; lowered to wasm locals, never memory.
//! - **Wasm globals** ([`ModuleDecls::declare_global`], [`ModuleDecls::reference_global`]):
//!   `GlobalValueData::Symbol`s in a reserved namespace, described by a module-level table.
//! - **Reference types**: references travel in `i32` values; reference-typed signatures are
//!   recorded in a side table ([`builder::set_signature`], [`builder::import_signature`]).
//! - **Intrinsics** ([`intrinsics`]): `ref.null`, `ref.is_null`, `ref.func` and the
//!   `table.*` instructions, as calls to reserved `%__wasm_` names.
//! - **The verifier** ([`verify()`]): rejects every way of taking the address of an
//!   off-heap place, of turning a reference into data, or data into a reference.
//! - **The text syntax** ([`text`]): `value_slot`, `wasm_global`, `wasm_table`, file-level
//!   `global`/`table` declarations, and `externref`/`funcref` as types.
//!
//! The address of a value slot or global comes from `stack_addr.iN ssK` or
//! `symbol_value.iN gvK` and may only be the address of a `load`/`store` of exactly the
//! place's type at offset 0: that is what `FunctionBuilder`'s `stack_load`/`stack_store`
//! emit, and what Cranelift's optimizer keeps.

pub mod analysis;
pub mod builder;
pub mod decls;
pub mod intrinsics;
pub mod rules;
pub mod slots;
pub mod text;
pub mod types;
pub mod verify;

pub use decls::{
    ConstValue, FuncRefs, GlobalDecl, GlobalId, Import, ModuleDecls, SigRefs, TableDecl, TableId,
};
pub use intrinsics::Intrinsic;
pub use rules::Rule;
pub use slots::{declare_value_slot, value_slot_type};
pub use types::{RefType, WasmType};
pub use verify::{checked_without_places, verify, verify_resolved, verify_with, VerifyError};
