//! How CLIF types are represented in wasm.
//!
//! i8 and i16 live in i32 locals, always zero-extended: every instruction that produces a
//! narrow value masks it, so instructions that consume one can rely on the upper bits being
//! zero, and sign-extend explicitly where they need the signed value.

use cranelift_codegen::ir::{types, Type};
use wasm_encoder::ValType;

/// The wasm value type that holds a CLIF value of type `ty` (one of the supported types).
pub fn val_type(ty: Type) -> ValType {
    match ty {
        types::I64 => ValType::I64,
        types::F32 => ValType::F32,
        types::F64 => ValType::F64,
        _ => ValType::I32,
    }
}

/// Whether `ty` is carried in a wider wasm type (i8, i16).
pub fn is_narrow(ty: Type) -> bool {
    ty == types::I8 || ty == types::I16
}

/// The all-ones mask of an integer type's width, as carried in its wasm type.
pub fn width_mask(ty: Type) -> i64 {
    match ty.bits() {
        64 => -1,
        bits => ((1u64 << bits) - 1) as i64,
    }
}
