//! The module-wide index spaces that function lowering draws from: function types,
//! functions (imports, then definitions, then runtime helpers), tables (the extension's
//! tables, then the function table), globals (the extension's wasm globals, then the
//! backend's own such as `__stack_pointer`), and the wasm features the module needs.

use super::names::NameIndex;
use crate::error::{Error, ErrorKind, Result};
use crate::module::layout::{ModuleLayout, SegmentMode};
use crate::runtime::Helper;
use crate::target::Target;
use crate::types::val_type;
use cranelift_codegen::ir;
use cranelift_entity::{EntityRef, SecondaryMap};
use cranelift_offheap::{GlobalId, ModuleDecls, RefType, SigRefs, TableId, WasmType};
use rustc_hash::FxHashMap;
use std::collections::HashMap;
use wasm_encoder::ValType;

/// The wasm value type of a reference type.
pub fn ref_val_type(r: RefType) -> ValType {
    ValType::Ref(match r {
        RefType::Extern => wasm_encoder::RefType::EXTERNREF,
        RefType::Func => wasm_encoder::RefType::FUNCREF,
    })
}

/// The heap type of a reference type.
pub fn heap_type(r: RefType) -> wasm_encoder::HeapType {
    wasm_encoder::HeapType::Abstract {
        shared: false,
        ty: match r {
            RefType::Extern => wasm_encoder::AbstractHeapType::Extern,
            RefType::Func => wasm_encoder::AbstractHeapType::Func,
        },
    }
}

/// The wasm value type of an extension type.
pub fn wasm_val_type(t: WasmType) -> ValType {
    match t.ref_type() {
        Some(r) => ref_val_type(r),
        None if t == WasmType::V128 => ValType::V128,
        None => val_type(t.clif()),
    }
}

/// A function signature in wasm terms.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct WasmSig {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

impl WasmSig {
    /// The wasm signature of a CLIF signature whose entries `refs` marks as references.
    pub fn of(sig: &ir::Signature, refs: &SigRefs) -> WasmSig {
        let mut wasm = WasmSig {
            params: Vec::new(),
            results: Vec::new(),
        };
        wasm.refill(sig, refs);
        wasm
    }

    /// Make this the wasm signature of `sig` (see [`WasmSig::of`]), in its own storage.
    fn refill(&mut self, sig: &ir::Signature, refs: &SigRefs) {
        let ty =
            |p: &ir::AbiParam, r: Option<RefType>| r.map_or(val_type(p.value_type), ref_val_type);
        self.params.clear();
        self.params.extend(
            sig.params
                .iter()
                .enumerate()
                .map(|(i, p)| ty(p, refs.param(i))),
        );
        self.results.clear();
        self.results.extend(
            sig.returns
                .iter()
                .enumerate()
                .map(|(i, p)| ty(p, refs.ret(i))),
        );
    }

    /// Whether any entry is a reference.
    pub fn has_refs(&self) -> bool {
        self.params
            .iter()
            .chain(&self.results)
            .any(|t| matches!(t, ValType::Ref(_)))
    }
}

/// Marks a `names` entry as a defined function's ordinal (imports may be declared after
/// definitions, and come first in the index space).
const DEFINED: u32 = 1 << 31;

/// A function import.
#[derive(Clone, Debug)]
pub struct FuncImport {
    /// Import module name.
    pub module: String,
    /// Import field name.
    pub name: String,
    /// Type index.
    pub type_index: u32,
}

/// A global the backend defines for itself (`__stack_pointer`, the pinned register).
#[derive(Clone, Debug)]
pub struct GlobalDef {
    /// Name for the name section.
    pub name: String,
    /// Value type.
    pub ty: ValType,
    /// Initial value.
    pub init: i64,
}

/// What a callee name resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Callee {
    /// A wasm function index.
    Func(u32),
    /// A runtime helper (lowered on demand).
    Helper(Helper),
}

/// Index spaces of the module being built.
pub struct ModuleEnv {
    /// The target.
    pub target: Target,
    types: FxHashMap<WasmSig, u32>,
    /// Function types, by type index.
    pub type_list: Vec<WasmSig>,
    /// Function imports (function indices `0..imports.len()`).
    pub imports: Vec<FuncImport>,
    /// Function index by CLIF name (`%name` or `uN:M`).
    /// Function index by CLIF name (see `names`).
    names: NameIndex,
    /// Type index of every defined function, in index order.
    pub defined_types: Vec<u32>,
    /// Runtime helpers, in index order after the defined functions.
    pub helpers: Vec<Helper>,
    helper_index: HashMap<Helper, u32>,
    /// Function indices in the table; slot 0 stays null so a null function pointer traps.
    pub table: Vec<u32>,
    table_slot: HashMap<u32, u32>,
    /// The extension's declarations (globals, tables, reference-typed signatures).
    pub decls: ModuleDecls,
    /// Wasm global index of each declared global (imports first).
    pub global_index: HashMap<GlobalId, u32>,
    /// Wasm table index of each declared table (imports first).
    pub table_index: HashMap<TableId, u32>,
    /// The backend's own globals, in index order after the declared ones.
    pub globals: Vec<GlobalDef>,
    /// Functions referenced by `ref.func` (declared in an elem segment).
    pub ref_funcs: Vec<u32>,
    /// Whether the module uses reference types (refs, several tables, ...).
    pub uses_reference_types: bool,
    stack_pointer: Option<u32>,
    pinned_reg: Option<u32>,
    /// Whether any function touches linear memory.
    pub uses_memory: bool,
    /// Whether any function makes a tail call.
    pub uses_tail_calls: bool,
    /// Whether any function uses the function table.
    pub uses_table: bool,
    /// Whether any function uses bulk-memory instructions beyond `memory.copy`/`fill`.
    pub uses_bulk_memory: bool,
    /// The module's layout (memory, elem segments, imports, exports, start) without its
    /// data segments (see `data_count`; assembly takes them from the caller's layout).
    pub layout: ModuleLayout,
    /// The number of data segments in the layout.
    pub data_count: usize,
    /// Whether any data segment is passive.
    pub passive_data: bool,
    /// With a declared function table: the slot of each function in it.
    given_slots: HashMap<u32, u32>,
    /// Initial stack pointer (top of the shadow stack).
    pub stack_top: u64,
    /// The callees each defined function calls by a defined function's name, found once
    /// while the imports are declared: per `FuncRef` (by index) the callee's defined
    /// ordinal, or `NO_CALLEE`. Lowering then resolves those calls without a table
    /// lookup, which misses the cache in a module of a hundred thousand functions.
    known_callees: Vec<u32>,
    /// Where each defined function's run in `known_callees` starts, and one past the last.
    known_callee_start: Vec<u32>,
    /// Storage for [`ModuleEnv::type_index_of`].
    sig_scratch: WasmSig,
    /// The defined functions' test-case names, side by side (see `FuncName::Copied`).
    pub copied_names: String,
}

/// A `FuncRef` whose callee is not known in advance (see `ModuleEnv::known_callees`).
pub const NO_CALLEE: u32 = u32::MAX;

impl ModuleEnv {
    /// An environment for `target` with the extension's declarations `decls`.
    pub fn new(
        target: Target,
        stack_top: u64,
        decls: &ModuleDecls,
        layout: &ModuleLayout,
    ) -> ModuleEnv {
        let mut global_index = HashMap::new();
        let imported = decls.globals.iter().filter(|(_, g)| g.import.is_some());
        let defined = decls.globals.iter().filter(|(_, g)| g.import.is_none());
        for (i, (id, _)) in imported.chain(defined).enumerate() {
            global_index.insert(id, i as u32);
        }
        let mut table_index = HashMap::new();
        let imported = decls.tables.iter().filter(|(_, t)| t.import.is_some());
        let defined = decls.tables.iter().filter(|(_, t)| t.import.is_none());
        for (i, (id, _)) in imported.chain(defined).enumerate() {
            table_index.insert(id, i as u32);
        }
        let uses_reference_types =
            !decls.tables.is_empty() || decls.globals.values().any(|g| g.ty.ref_type().is_some());
        ModuleEnv {
            decls: decls.clone(),
            global_index,
            table_index,
            ref_funcs: Vec::new(),
            uses_reference_types,
            target,
            types: FxHashMap::default(),
            type_list: Vec::new(),
            imports: Vec::new(),
            names: NameIndex::default(),
            defined_types: Vec::new(),
            helpers: Vec::new(),
            helper_index: HashMap::new(),
            table: Vec::new(),
            table_slot: HashMap::new(),
            globals: Vec::new(),
            stack_pointer: None,
            pinned_reg: None,
            uses_memory: false,
            uses_tail_calls: false,
            uses_table: false,
            uses_bulk_memory: false,
            layout: layout.without_data(),
            data_count: layout.data.len(),
            passive_data: layout
                .data
                .iter()
                .any(|d| !matches!(d.mode, SegmentMode::Active { .. })),
            given_slots: HashMap::new(),
            stack_top,
            known_callees: Vec::new(),
            known_callee_start: vec![0],
            sig_scratch: WasmSig::default(),
            copied_names: String::new(),
        }
    }

    /// The type index of the wasm signature of `sig` (see [`WasmSig::of`]), interned
    /// without allocating when it is known (a module may have a hundred thousand
    /// functions and a few signatures).
    pub fn type_index_of(&mut self, sig: &ir::Signature, refs: &SigRefs) -> u32 {
        let mut scratch = std::mem::take(&mut self.sig_scratch);
        scratch.refill(sig, refs);
        let index = match self.types.get(&scratch) {
            Some(&index) => index,
            None => self.type_index(scratch.clone()),
        };
        self.sig_scratch = scratch;
        index
    }

    /// The type index of `sig`, interned.
    pub fn type_index(&mut self, sig: WasmSig) -> u32 {
        if let Some(&index) = self.types.get(&sig) {
            return index;
        }
        if sig.has_refs() {
            self.uses_reference_types = true;
        }
        let index = self.type_list.len() as u32;
        self.type_list.push(sig.clone());
        self.types.insert(sig, index);
        index
    }

    /// Declare a function import. Imports come first in the function index space, so
    /// indices are final (and [`ModuleEnv::lookup`] may be used) once all are declared.
    pub fn import(&mut self, key: String, module: &str, name: &str, sig: WasmSig) -> u32 {
        let type_index = self.type_index(sig);
        let index = self.imports.len() as u32;
        self.imports.push(FuncImport {
            module: module.to_string(),
            name: name.to_string(),
            type_index,
        });
        self.names.insert(&key, index);
        index
    }

    /// Declare a defined function of type `type_index` under its CLIF name (not printed:
    /// a module may have a hundred thousand); its index (returned) counts the imports
    /// declared so far.
    pub fn define(&mut self, name: &ir::UserFuncName, type_index: u32) -> Result<u32> {
        let ordinal = self.defined_types.len() as u32;
        let index = self.imports.len() as u32 + ordinal;
        if self.names.insert_func(name, DEFINED | ordinal).is_some() {
            return Err(Error::new(
                ErrorKind::Invalid,
                name.to_string(),
                "a function with this name is already defined in the module",
            )
            .with_hint("give every function a unique name"));
        }
        self.defined_types.push(type_index);
        Ok(index)
    }

    /// The function index of a CLIF name, if it is imported or defined.
    pub fn lookup(&self, key: &str) -> Option<u32> {
        self.names.get(key).map(|entry| self.function_index(entry))
    }

    /// The function index of callee `name` of `func`, if it is imported or defined and
    /// is a user or test-case name (found without printing it); `None` also for names
    /// that [`ModuleEnv::lookup`] must resolve by their printed form.
    pub fn lookup_external(&self, func: &ir::Function, name: &ir::ExternalName) -> Option<u32> {
        self.names
            .get_external(func, name)
            .map(|entry| self.function_index(entry))
    }

    /// The defined ordinal of callee `name` of `func`, if it is a defined function found
    /// by its user or test-case name.
    pub fn defined_callee(&self, func: &ir::Function, name: &ir::ExternalName) -> Option<u32> {
        self.names
            .get_external(func, name)
            .filter(|entry| entry & DEFINED != 0)
            .map(|entry| entry & !DEFINED)
    }

    /// Record the next defined function's callees: per `FuncRef` index, the callee's
    /// defined ordinal or `NO_CALLEE` (see `known_callees`).
    pub fn record_known_callees(&mut self, ordinals: &[u32]) {
        self.known_callees.extend_from_slice(ordinals);
        self.known_callee_start
            .push(self.known_callees.len() as u32);
    }

    /// Set the function index of every known callee of function `index` in `callees`
    /// (nothing for a function whose callees were not recorded).
    pub fn fill_known_callees(&self, index: u32, callees: &mut SecondaryMap<ir::FuncRef, u32>) {
        let imports = self.imports.len() as u32;
        let Some(ordinal) = index.checked_sub(imports) else {
            return;
        };
        let (Some(&start), Some(&end)) = (
            self.known_callee_start.get(ordinal as usize),
            self.known_callee_start.get(ordinal as usize + 1),
        ) else {
            return;
        };
        for (i, &callee) in self.known_callees[start as usize..end as usize]
            .iter()
            .enumerate()
        {
            if callee != NO_CALLEE {
                callees[ir::FuncRef::new(i)] = imports + callee;
            }
        }
    }

    /// Whether the CLIF name `key` is a defined function.
    pub fn defines(&self, key: &str) -> bool {
        self.names
            .get(key)
            .is_some_and(|entry| entry & DEFINED != 0)
    }

    /// The function index of a `names` entry: an import's index, or a definition's
    /// ordinal marked `DEFINED` (defined functions follow all imports).
    fn function_index(&self, entry: u32) -> u32 {
        if entry & DEFINED != 0 {
            self.imports.len() as u32 + (entry & !DEFINED)
        } else {
            entry
        }
    }

    /// The type index of function `index`.
    pub fn func_type(&self, index: u32) -> u32 {
        let imports = self.imports.len() as u32;
        if index < imports {
            return self.imports[index as usize].type_index;
        }
        let defined = index - imports;
        match self.defined_types.get(defined as usize) {
            Some(&t) => t,
            None => self.helper_type(self.helpers[(defined as usize) - self.defined_types.len()]),
        }
    }

    fn helper_type(&self, helper: Helper) -> u32 {
        let sig = helper.wasm_sig();
        self.types.get(&sig).copied().unwrap_or(0)
    }

    /// The function index of a runtime helper, added on first request.
    pub fn helper(&mut self, helper: Helper) -> u32 {
        if let Some(&index) = self.helper_index.get(&helper) {
            return index;
        }
        self.type_index(helper.wasm_sig());
        let index =
            self.imports.len() as u32 + self.defined_types.len() as u32 + self.helpers.len() as u32;
        self.helpers.push(helper);
        self.helper_index.insert(helper, index);
        index
    }

    /// The function index a callee resolves to.
    pub fn callee(&mut self, callee: Callee) -> u32 {
        match callee {
            Callee::Func(index) => index,
            Callee::Helper(helper) => self.helper(helper),
        }
    }

    /// The table slot of function `index`: with the backend's own table, added on first
    /// request (slots start at 1); with a declared one, its first slot in the layout's
    /// active segments (`None` if it has none).
    pub fn table_slot(&mut self, index: u32) -> Option<u32> {
        if self.layout.function_table.is_some() {
            return self.given_slots.get(&index).copied();
        }
        if let Some(&slot) = self.table_slot.get(&index) {
            return Some(slot);
        }
        self.table.push(index);
        let slot = self.table.len() as u32;
        self.table_slot.insert(index, slot);
        Some(slot)
    }

    /// The wasm index of the function table: the layout's declared one, or the backend's
    /// own after the declared tables.
    pub fn function_table(&self) -> u32 {
        match self.layout.function_table {
            Some(id) => self.table_index[&id],
            None => self.decls.tables.len() as u32,
        }
    }

    /// Resolve the layout's function names once every function is declared: fills the
    /// slots of a declared function table, and checks that every name exists.
    pub fn resolve_layout(&mut self) -> Result<()> {
        let unknown = |name: &str, what: &str| {
            Error::new(
                ErrorKind::Invalid,
                name,
                format!("the module layout's {what} names a function that is not in the module"),
            )
            .with_hint("define or import the function, or remove it from the layout")
        };
        let mut given = HashMap::new();
        for seg in &self.layout.elems {
            let table = match (seg.mode, seg.table) {
                (SegmentMode::Active { offset }, Some(t)) => Some((offset, t)),
                (SegmentMode::Active { .. }, None) => {
                    return Err(Error::new(
                        ErrorKind::Invalid,
                        "",
                        "an active elem segment of the module layout names no table",
                    )
                    .with_hint("set `table` of every active ElemSegment"))
                }
                _ => None,
            };
            for (i, name) in seg.funcs.iter().enumerate() {
                let Some(name) = name else { continue };
                let index = self
                    .lookup(name)
                    .ok_or_else(|| unknown(name, "elem segment"))?;
                if let Some((offset, t)) = table {
                    if Some(t) == self.layout.function_table {
                        given.entry(index).or_insert((offset + i as u64) as u32);
                    }
                }
            }
        }
        self.given_slots = given;
        if self.layout.function_table.is_none() {
            for name in self.layout.table_funcs.clone() {
                let index = self
                    .lookup(&name)
                    .ok_or_else(|| unknown(&name, "table functions"))?;
                self.table_slot(index);
            }
        }
        for (_, name) in &self.layout.exports {
            self.lookup(name).ok_or_else(|| unknown(name, "exports"))?;
        }
        if let Some(name) = &self.layout.start {
            self.lookup(name)
                .ok_or_else(|| unknown(name, "start function"))?;
        }
        Ok(())
    }

    /// Index of the next backend-owned global.
    fn next_global(&self) -> u32 {
        (self.decls.globals.len() + self.globals.len()) as u32
    }

    /// Declare `index` as a `ref.func` target.
    pub fn ref_func(&mut self, index: u32) {
        self.uses_reference_types = true;
        if !self.ref_funcs.contains(&index) {
            self.ref_funcs.push(index);
        }
    }

    fn pointer_global(&mut self, name: &str) -> u32 {
        let index = self.next_global();
        let ty = val_type(self.target.pointer_type());
        self.globals.push(GlobalDef {
            name: name.to_string(),
            ty,
            init: 0,
        });
        index
    }

    /// The `__stack_pointer` global, created on first request.
    pub fn stack_pointer(&mut self) -> u32 {
        self.uses_memory = true;
        if let Some(index) = self.stack_pointer {
            return index;
        }
        let index = self.pointer_global("__stack_pointer");
        self.globals.last_mut().expect("just pushed").init = self.stack_top as i64;
        self.stack_pointer = Some(index);
        index
    }

    /// The global that stands for Cranelift's pinned register, created on first request.
    pub fn pinned_reg(&mut self, ty: ValType) -> u32 {
        if let Some(index) = self.pinned_reg {
            return index;
        }
        let index = self.next_global();
        self.globals.push(GlobalDef {
            name: "__pinned_reg".to_string(),
            ty,
            init: 0,
        });
        self.pinned_reg = Some(index);
        index
    }
}
