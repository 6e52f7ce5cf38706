//! Intrinsics: calls to reserved external names that stand for wasm instructions on
//! references and tables. This is the one place they are documented.
//!
//! | name | signature | wasm |
//! |---|---|---|
//! | `%__wasm_ref_null_extern` | `() -> externref` | `ref.null extern` |
//! | `%__wasm_ref_null_func` | `() -> funcref` | `ref.null func` |
//! | `%__wasm_ref_is_null_extern` | `(externref) -> i32` | `ref.is_null` |
//! | `%__wasm_ref_is_null_func` | `(funcref) -> i32` | `ref.is_null` |
//! | `%__wasm_ref_func` | `(iN) -> funcref` | `ref.func F` |
//! | `%__wasm_table_get` | `(iN, i32) -> REF` | `table.get T` |
//! | `%__wasm_table_set` | `(iN, i32, REF)` | `table.set T` |
//! | `%__wasm_table_size` | `(iN) -> i32` | `table.size T` |
//! | `%__wasm_table_grow` | `(iN, REF, i32) -> i32` | `table.grow T` |
//! | `%__wasm_table_fill` | `(iN, i32, REF, i32)` | `table.fill T` |
//! | `%__wasm_table_copy` | `(iN, iN, i32, i32, i32)` | `table.copy T1 T2` |
//! | `%__wasm_table_init` | `(iN, i32, i32, i32, i32)` | `table.init T E` |
//! | `%__wasm_elem_drop` | `(i32)` | `elem.drop E` |
//! | `%__wasm_memory_size` | `() -> iP` | `memory.size` |
//! | `%__wasm_memory_grow` | `(iP) -> iP` | `memory.grow` |
//! | `%__wasm_memory_copy` | `(iP, iP, iP)` | `memory.copy` |
//! | `%__wasm_memory_fill` | `(iP, i32, iP)` | `memory.fill` |
//! | `%__wasm_memory_init` | `(i32, iP, i32, i32)` | `memory.init D` |
//! | `%__wasm_data_drop` | `(i32)` | `data.drop D` |
//!
//! `iN` is any integer type. For `%__wasm_ref_func` the argument must be the result of a
//! `func_addr` (the function `F` is known statically; anything else would forge a
//! reference). For the table intrinsics the first argument must be a `symbol_value` of a
//! table (`gvN = wasm_table %name`), and `REF` must be the table's element type (`externref`
//! or `funcref`). Table indices and sizes are `i32`; `table.grow` returns the old size or
//! -1.
//!
//! `iP` is an integer the backend requires to be the target's pointer type (`i32` on
//! wasm32, `i64` on wasm64): memory sizes are in 64 KiB pages, `memory.grow` returns the
//! old size or -1. The segment operands (`E` of `table.init`/`elem.drop`, `D` of
//! `memory.init`/`data.drop`) must be `iconst`s: the segment is known statically. Segments
//! are numbered in the order the module layout lists them (see wasm-emit's `ModuleLayout`).
//! `table.copy` takes the destination table, then the source table; both must have the
//! same element type.

use crate::decls::SigRefs;
use crate::types::{RefType, WasmType};
use cranelift_codegen::ir::{self, ExternalName, FuncRef};

/// The reserved prefix of intrinsic names.
pub const PREFIX: &str = "__wasm_";

/// An intrinsic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Intrinsic {
    /// `ref.null` of a reference type.
    RefNull(RefType),
    /// `ref.is_null` of a reference type.
    RefIsNull(RefType),
    /// `ref.func` of the function whose `func_addr` is the argument.
    RefFunc,
    /// `table.get`.
    TableGet,
    /// `table.set`.
    TableSet,
    /// `table.size`.
    TableSize,
    /// `table.grow`.
    TableGrow,
    /// `table.fill`.
    TableFill,
    /// `table.copy`: destination table, source table.
    TableCopy,
    /// `table.init` from an elem segment.
    TableInit,
    /// `elem.drop`.
    ElemDrop,
    /// `memory.size`.
    MemorySize,
    /// `memory.grow`.
    MemoryGrow,
    /// `memory.copy`.
    MemoryCopy,
    /// `memory.fill`.
    MemoryFill,
    /// `memory.init` from a data segment.
    MemoryInit,
    /// `data.drop`.
    DataDrop,
}

/// A parameter or result slot of an intrinsic's signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operand {
    /// Exactly this type.
    Is(WasmType),
    /// Any integer type (a table handle or a `func_addr`).
    AnyInt,
    /// The element type of the table in parameter 0.
    Elem,
    /// An integer of the target's pointer type (checked by the backend).
    Addr,
    /// A segment index: an `i32` that must be an `iconst`.
    Segment,
}

impl Intrinsic {
    /// Every intrinsic.
    pub const ALL: [Intrinsic; 19] = [
        Intrinsic::RefNull(RefType::Extern),
        Intrinsic::RefNull(RefType::Func),
        Intrinsic::RefIsNull(RefType::Extern),
        Intrinsic::RefIsNull(RefType::Func),
        Intrinsic::RefFunc,
        Intrinsic::TableGet,
        Intrinsic::TableSet,
        Intrinsic::TableSize,
        Intrinsic::TableGrow,
        Intrinsic::TableFill,
        Intrinsic::TableCopy,
        Intrinsic::TableInit,
        Intrinsic::ElemDrop,
        Intrinsic::MemorySize,
        Intrinsic::MemoryGrow,
        Intrinsic::MemoryCopy,
        Intrinsic::MemoryFill,
        Intrinsic::MemoryInit,
        Intrinsic::DataDrop,
    ];

    /// The reserved name, without `%`.
    pub fn name(self) -> &'static str {
        match self {
            Intrinsic::RefNull(RefType::Extern) => "__wasm_ref_null_extern",
            Intrinsic::RefNull(RefType::Func) => "__wasm_ref_null_func",
            Intrinsic::RefIsNull(RefType::Extern) => "__wasm_ref_is_null_extern",
            Intrinsic::RefIsNull(RefType::Func) => "__wasm_ref_is_null_func",
            Intrinsic::RefFunc => "__wasm_ref_func",
            Intrinsic::TableGet => "__wasm_table_get",
            Intrinsic::TableSet => "__wasm_table_set",
            Intrinsic::TableSize => "__wasm_table_size",
            Intrinsic::TableGrow => "__wasm_table_grow",
            Intrinsic::TableFill => "__wasm_table_fill",
            Intrinsic::TableCopy => "__wasm_table_copy",
            Intrinsic::TableInit => "__wasm_table_init",
            Intrinsic::ElemDrop => "__wasm_elem_drop",
            Intrinsic::MemorySize => "__wasm_memory_size",
            Intrinsic::MemoryGrow => "__wasm_memory_grow",
            Intrinsic::MemoryCopy => "__wasm_memory_copy",
            Intrinsic::MemoryFill => "__wasm_memory_fill",
            Intrinsic::MemoryInit => "__wasm_memory_init",
            Intrinsic::DataDrop => "__wasm_data_drop",
        }
    }

    /// The intrinsic named `name` (without `%`).
    pub fn by_name(name: &str) -> Option<Intrinsic> {
        Intrinsic::ALL.iter().copied().find(|i| i.name() == name)
    }

    /// The signature: (parameters, results).
    pub fn operands(self) -> (Vec<Operand>, Vec<Operand>) {
        use Operand::*;
        use WasmType::I32;
        match self {
            Intrinsic::RefNull(r) => (vec![], vec![Is(r.wasm())]),
            Intrinsic::RefIsNull(r) => (vec![Is(r.wasm())], vec![Is(I32)]),
            Intrinsic::RefFunc => (vec![AnyInt], vec![Is(WasmType::FuncRef)]),
            Intrinsic::TableGet => (vec![AnyInt, Is(I32)], vec![Elem]),
            Intrinsic::TableSet => (vec![AnyInt, Is(I32), Elem], vec![]),
            Intrinsic::TableSize => (vec![AnyInt], vec![Is(I32)]),
            Intrinsic::TableGrow => (vec![AnyInt, Elem, Is(I32)], vec![Is(I32)]),
            Intrinsic::TableFill => (vec![AnyInt, Is(I32), Elem, Is(I32)], vec![]),
            Intrinsic::TableCopy => (vec![AnyInt, AnyInt, Is(I32), Is(I32), Is(I32)], vec![]),
            Intrinsic::TableInit => (vec![AnyInt, Segment, Is(I32), Is(I32), Is(I32)], vec![]),
            Intrinsic::ElemDrop | Intrinsic::DataDrop => (vec![Segment], vec![]),
            Intrinsic::MemorySize => (vec![], vec![Addr]),
            Intrinsic::MemoryGrow => (vec![Addr], vec![Addr]),
            Intrinsic::MemoryCopy => (vec![Addr, Addr, Addr], vec![]),
            Intrinsic::MemoryFill => (vec![Addr, Is(I32), Addr], vec![]),
            Intrinsic::MemoryInit => (vec![Segment, Addr, Is(I32), Is(I32)], vec![]),
        }
    }

    /// Whether parameter 0 is a table handle.
    pub fn takes_table(self) -> bool {
        !self.table_params().is_empty()
    }

    /// The parameters that are table handles.
    pub fn table_params(self) -> &'static [usize] {
        match self {
            Intrinsic::TableGet
            | Intrinsic::TableSet
            | Intrinsic::TableSize
            | Intrinsic::TableGrow
            | Intrinsic::TableFill
            | Intrinsic::TableInit => &[0],
            Intrinsic::TableCopy => &[0, 1],
            _ => &[],
        }
    }

    /// The parameters that are segment indices.
    pub fn segment_params(self) -> &'static [usize] {
        match self {
            Intrinsic::TableInit => &[1],
            Intrinsic::ElemDrop | Intrinsic::DataDrop | Intrinsic::MemoryInit => &[0],
            _ => &[],
        }
    }

    /// Whether `sig` (with reference types `refs`) is this intrinsic's signature, with
    /// `elem` as the element type where the table's is meant.
    pub fn matches(self, sig: &ir::Signature, refs: &SigRefs, elem: Option<RefType>) -> bool {
        let (params, results) = self.operands();
        let fits = |want: &Operand, have: &ir::AbiParam, r: Option<RefType>| match want {
            Operand::Is(t) => have.value_type == t.clif() && r == t.ref_type(),
            Operand::AnyInt | Operand::Addr => have.value_type.is_int() && r.is_none(),
            Operand::Segment => have.value_type == ir::types::I32 && r.is_none(),
            Operand::Elem => {
                elem.is_some_and(|e| r == Some(e) && have.value_type == e.wasm().clif())
            }
        };
        params.len() == sig.params.len()
            && results.len() == sig.returns.len()
            && params
                .iter()
                .zip(&sig.params)
                .enumerate()
                .all(|(i, (w, h))| fits(w, h, refs.param(i)))
            && results
                .iter()
                .zip(&sig.returns)
                .enumerate()
                .all(|(i, (w, h))| fits(w, h, refs.ret(i)))
    }

    /// The signature as text, for error messages (`REF` for the element type).
    pub fn signature_text(self) -> String {
        let (params, results) = self.operands();
        let show = |o: &Operand| match o {
            Operand::Is(t) => t.to_string(),
            Operand::AnyInt => "iN".to_string(),
            Operand::Elem => "REF".to_string(),
            Operand::Addr => "iP".to_string(),
            Operand::Segment => "i32".to_string(),
        };
        let params: Vec<String> = params.iter().map(show).collect();
        let results: Vec<String> = results.iter().map(show).collect();
        if results.is_empty() {
            format!("({})", params.join(", "))
        } else {
            format!("({}) -> {}", params.join(", "), results.join(", "))
        }
    }
}

/// What the callee `func_ref` of `func` is with respect to intrinsics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalleeKind {
    /// An ordinary function.
    Plain,
    /// A known intrinsic.
    Intrinsic(Intrinsic),
    /// A name with the reserved prefix that is no intrinsic.
    Unknown,
}

/// Classify a callee by its name.
pub fn callee_kind(func: &ir::Function, func_ref: FuncRef) -> CalleeKind {
    let Some(ext) = func.dfg.ext_funcs.get(func_ref) else {
        return CalleeKind::Plain;
    };
    let ExternalName::TestCase(name) = &ext.name else {
        return CalleeKind::Plain;
    };
    // Most callees are plain: look at the prefix before validating the whole name.
    if !name.raw().starts_with(PREFIX.as_bytes()) {
        return CalleeKind::Plain;
    }
    let Ok(name) = std::str::from_utf8(name.raw()) else {
        return CalleeKind::Plain;
    };
    if !name.starts_with(PREFIX) {
        return CalleeKind::Plain;
    }
    Intrinsic::by_name(name).map_or(CalleeKind::Unknown, CalleeKind::Intrinsic)
}
