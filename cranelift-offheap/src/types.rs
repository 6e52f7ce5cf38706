//! Wasm value types as the extension sees them, and how they travel in CLIF.
//!
//! CLIF has no reference types, so `externref` and `funcref` values travel in `i32` CLIF
//! values; what makes such a value a reference is where it comes from (see `analysis`).

use cranelift_codegen::ir::{types, Type};
use std::fmt;
use std::str::FromStr;

/// A reference type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RefType {
    /// `externref`: an opaque host reference (a JavaScript object, say).
    Extern,
    /// `funcref`: a reference to a wasm function.
    Func,
}

impl RefType {
    /// The wasm type of this reference type.
    pub fn wasm(self) -> WasmType {
        match self {
            RefType::Extern => WasmType::ExternRef,
            RefType::Func => WasmType::FuncRef,
        }
    }
}

impl fmt::Display for RefType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.wasm().fmt(f)
    }
}

/// The type of an off-heap place (value slot or wasm global) or of a signature entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WasmType {
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// 32-bit float.
    F32,
    /// 64-bit float.
    F64,
    /// 128-bit vector (carried as CLIF `i8x16`).
    V128,
    /// External reference (carried as CLIF `i32`).
    ExternRef,
    /// Function reference (carried as CLIF `i32`).
    FuncRef,
}

impl WasmType {
    /// Every type, in code order.
    pub const ALL: [WasmType; 7] = [
        WasmType::I32,
        WasmType::I64,
        WasmType::F32,
        WasmType::F64,
        WasmType::V128,
        WasmType::ExternRef,
        WasmType::FuncRef,
    ];

    /// The CLIF type that carries values of this type.
    pub fn clif(self) -> Type {
        match self {
            WasmType::I32 | WasmType::ExternRef | WasmType::FuncRef => types::I32,
            WasmType::I64 => types::I64,
            WasmType::F32 => types::F32,
            WasmType::F64 => types::F64,
            WasmType::V128 => types::I8X16,
        }
    }

    /// The size of a value slot of this type, in bytes (the size of its CLIF carrier).
    pub fn size(self) -> u32 {
        self.clif().bytes()
    }

    /// The reference type, if this is one.
    pub fn ref_type(self) -> Option<RefType> {
        match self {
            WasmType::ExternRef => Some(RefType::Extern),
            WasmType::FuncRef => Some(RefType::Func),
            _ => None,
        }
    }

    /// A small stable code (used in slot keys).
    pub fn code(self) -> u8 {
        WasmType::ALL.iter().position(|&t| t == self).unwrap_or(0) as u8
    }

    /// The type with code `code`.
    pub fn from_code(code: u8) -> Option<WasmType> {
        WasmType::ALL.get(usize::from(code)).copied()
    }

    /// The wasm type of a plain CLIF scalar type, if it has one.
    pub fn of_clif(ty: Type) -> Option<WasmType> {
        match ty {
            types::I32 => Some(WasmType::I32),
            types::I64 => Some(WasmType::I64),
            types::F32 => Some(WasmType::F32),
            types::F64 => Some(WasmType::F64),
            types::I8X16 => Some(WasmType::V128),
            _ => None,
        }
    }
}

impl fmt::Display for WasmType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WasmType::I32 => "i32",
            WasmType::I64 => "i64",
            WasmType::F32 => "f32",
            WasmType::F64 => "f64",
            WasmType::V128 => "v128",
            WasmType::ExternRef => "externref",
            WasmType::FuncRef => "funcref",
        })
    }
}

impl FromStr for WasmType {
    type Err = String;

    fn from_str(s: &str) -> Result<WasmType, String> {
        WasmType::ALL
            .iter()
            .copied()
            .find(|t| t.to_string() == s)
            .ok_or_else(|| format!("unknown wasm type `{s}`"))
    }
}
