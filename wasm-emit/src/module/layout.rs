//! The module around the functions: its linear memory (size, import or export), data and
//! elem segments, a declared table to use as the function table, import names of callees,
//! extra exports, and the start function. [`crate::compile`] uses the default layout;
//! [`crate::compile_with_layout`] takes one, which is how a whole wasm module is rebuilt
//! (the round trip) and how a module toolchain places its data.

use cranelift_codegen::ir;
use cranelift_offheap::{Import, SigRefs, TableId};
use std::collections::HashMap;

/// The layout of a module. The default is what [`crate::compile`] does: a memory sized for
/// the shadow stack and exported as `"memory"` when any function uses memory, no segments,
/// a function table the backend builds from `func_addr`, callees imported from
/// `Options::import_module`.
#[derive(Clone, Debug, Default)]
pub struct ModuleLayout {
    /// The linear memory; `None` lets the backend size it for the shadow stack.
    pub memory: Option<MemoryLayout>,
    /// Data segments, numbered from 0 in this order (`memory.init`, `data.drop`).
    pub data: Vec<DataSegment>,
    /// A declared `funcref` table to use as the function table: `call_indirect` indexes it
    /// directly, and `func_addr F` is the first slot the active elem segments below give
    /// `F` in it. `None`: the backend builds the table from `func_addr`.
    pub function_table: Option<TableId>,
    /// Elem segments, numbered from 0 in this order (`table.init`, `elem.drop`).
    pub elems: Vec<ElemSegment>,
    /// Functions given the first slots of the backend's own function table (when
    /// `function_table` is `None`), in this order from slot 1, so that data can hold their
    /// addresses before any function is lowered. `func_addr` of other functions takes
    /// slots after these.
    pub table_funcs: Vec<String>,
    /// Function imports, first in the function index space and in this order, whether
    /// called or not. Other callees that are not defined are imported from
    /// `Options::import_module` under their name.
    pub imports: Vec<FunctionImport>,
    /// Function exports as (export name, CLIF name), besides `Options::export_functions`.
    pub exports: Vec<(String, String)>,
    /// The start function, by CLIF name.
    pub start: Option<String>,
    /// Linear-memory addresses of data symbols, by CLIF name (`u1:3`, `%table`):
    /// `symbol_value` of a `GlobalValueData::Symbol` with one of these names (and no TLS)
    /// is that address plus the symbol's offset.
    pub symbols: HashMap<String, u64>,
    /// Names for the name section, by CLIF function name (`u0:3` → `main`).
    pub func_names: HashMap<String, String>,
}

impl ModuleLayout {
    /// A copy of this layout without its data segments' bytes, which only module assembly
    /// reads (from the caller's layout): a large module can have a hundred thousand
    /// segments, and copying them cost a lowering of the whole module about half a
    /// percent.
    pub(crate) fn without_data(&self) -> ModuleLayout {
        ModuleLayout {
            memory: self.memory.clone(),
            data: Vec::new(),
            function_table: self.function_table,
            elems: self.elems.clone(),
            table_funcs: self.table_funcs.clone(),
            imports: self.imports.clone(),
            exports: self.exports.clone(),
            start: self.start.clone(),
            symbols: self.symbols.clone(),
            func_names: self.func_names.clone(),
        }
    }
}

/// A function import.
#[derive(Clone, Debug)]
pub struct FunctionImport {
    /// The CLIF name calls use (`%f`, `u0:3`).
    pub name: String,
    /// Import module and field.
    pub import: Import,
    /// Its signature.
    pub signature: ir::Signature,
    /// Which entries of the signature are references.
    pub refs: SigRefs,
}

/// The linear memory of a module that declares it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryLayout {
    /// Initial size in 64 KiB pages.
    pub min_pages: u64,
    /// Maximum size in pages.
    pub max_pages: Option<u64>,
    /// Import the memory instead of defining it.
    pub import: Option<Import>,
    /// Export names of the memory.
    pub exports: Vec<String>,
}

/// Where a segment goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentMode {
    /// Copied into memory (or the table) at instantiation, at this offset.
    Active {
        /// Byte offset in memory, or slot in the table.
        offset: u64,
    },
    /// Used only by `memory.init` / `table.init`.
    Passive,
    /// Only declares functions for `ref.func` (elem segments only).
    Declared,
}

/// A data segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSegment {
    /// Active or passive.
    pub mode: SegmentMode,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// An elem segment of functions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElemSegment {
    /// Active, passive or declared.
    pub mode: SegmentMode,
    /// The declared `funcref` table an active segment fills (required for active ones).
    pub table: Option<TableId>,
    /// The functions by CLIF name; `None` is a null entry.
    pub funcs: Vec<Option<String>>,
}
