//! Module-level declarations of the extension: wasm globals, tables of references, and the
//! reference types of signatures (a side table, because `AbiParam` cannot say "externref").
//!
//! Globals and tables are referenced from a function by a `GlobalValueData::Symbol` whose
//! user external name lives in a reserved namespace; the name's index is the declaration's
//! index here. Reference types of signatures are kept per function (by name) and per
//! `SigRef`, never per `Value`: Cranelift's passes rename values but keep `SigRef`s.

use crate::types::{RefType, WasmType};
use cranelift_codegen::ir::{
    self, immediates::Imm64, ExternalName, GlobalValue, GlobalValueData, SigRef, UserExternalName,
};
use cranelift_entity::{entity_impl, PrimaryMap};
use std::collections::{BTreeMap, HashMap};

/// The user-name namespace of off-heap globals ("WAG\0").
pub const GLOBAL_NAMESPACE: u32 = 0x5741_4700;
/// The user-name namespace of tables ("WAT\0").
pub const TABLE_NAMESPACE: u32 = 0x5741_5400;

/// A wasm global declared in a [`ModuleDecls`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GlobalId(u32);
entity_impl!(GlobalId, "global");

/// A table declared in a [`ModuleDecls`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId(u32);
entity_impl!(TableId, "table");

/// A constant initial value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstValue {
    /// i32.
    I32(i32),
    /// i64.
    I64(i64),
    /// f32, as bits.
    F32(u32),
    /// f64, as bits.
    F64(u64),
    /// The null reference of the global's reference type.
    Null,
}

impl ConstValue {
    /// Whether this constant can initialize a global of type `ty`.
    pub fn fits(self, ty: WasmType) -> bool {
        matches!(
            (self, ty),
            (ConstValue::I32(_), WasmType::I32)
                | (ConstValue::I64(_), WasmType::I64)
                | (ConstValue::F32(_), WasmType::F32)
                | (ConstValue::F64(_), WasmType::F64)
                | (ConstValue::Null, WasmType::ExternRef | WasmType::FuncRef)
        )
    }

    /// The zero (or null) of `ty`.
    pub fn zero(ty: WasmType) -> ConstValue {
        match ty {
            WasmType::I64 => ConstValue::I64(0),
            WasmType::F32 => ConstValue::F32(0),
            WasmType::F64 => ConstValue::F64(0),
            WasmType::ExternRef | WasmType::FuncRef => ConstValue::Null,
            WasmType::I32 | WasmType::V128 => ConstValue::I32(0),
        }
    }
}

/// An import: module and field name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// Module name.
    pub module: String,
    /// Field name.
    pub name: String,
}

/// A wasm global.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GlobalDecl {
    /// Its name (without `%`).
    pub name: String,
    /// Its type.
    pub ty: WasmType,
    /// Whether it may be stored to.
    pub mutable: bool,
    /// Initial value of a defined global (`None`: zero or null).
    pub init: Option<ConstValue>,
    /// Set for an imported global (then `init` is `None`).
    pub import: Option<Import>,
    /// Export name, if exported.
    pub export: Option<String>,
}

/// A table of references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableDecl {
    /// Its name (without `%`).
    pub name: String,
    /// Element type.
    pub elem: RefType,
    /// Initial size.
    pub min: u64,
    /// Maximum size.
    pub max: Option<u64>,
    /// Set for an imported table.
    pub import: Option<Import>,
    /// Export name, if exported.
    pub export: Option<String>,
}

/// Reference types of one signature's parameters and results (`None`: not a reference).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SigRefs {
    /// Per parameter.
    pub params: Vec<Option<RefType>>,
    /// Per result.
    pub returns: Vec<Option<RefType>>,
}

impl SigRefs {
    /// The reference types of `params` and `returns`.
    pub fn of(params: &[WasmType], returns: &[WasmType]) -> SigRefs {
        SigRefs {
            params: params.iter().map(|t| t.ref_type()).collect(),
            returns: returns.iter().map(|t| t.ref_type()).collect(),
        }
    }

    /// Whether no entry is a reference.
    pub fn is_plain(&self) -> bool {
        self.params.iter().chain(&self.returns).all(Option::is_none)
    }

    /// Parameter `i`'s reference type.
    pub fn param(&self, i: usize) -> Option<RefType> {
        self.params.get(i).copied().flatten()
    }

    /// Result `i`'s reference type.
    pub fn ret(&self, i: usize) -> Option<RefType> {
        self.returns.get(i).copied().flatten()
    }
}

/// Reference types of one function's own signature and of its `SigRef`s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FuncRefs {
    /// The function's own signature.
    pub signature: SigRefs,
    /// Signatures of callees and `call_indirect`s.
    pub sigs: BTreeMap<SigRef, SigRefs>,
}

impl FuncRefs {
    /// Whether any signature recorded here has a reference type.
    pub fn has_refs(&self) -> bool {
        !self.signature.is_plain() || self.sigs.values().any(|s| !s.is_plain())
    }

    /// The reference types of `sig` (plain if not recorded).
    pub fn sig(&self, sig: SigRef) -> Option<&SigRefs> {
        self.sigs.get(&sig)
    }
}

/// The module-level declarations of the extension.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleDecls {
    /// Wasm globals.
    pub globals: PrimaryMap<GlobalId, GlobalDecl>,
    /// Tables.
    pub tables: PrimaryMap<TableId, TableDecl>,
    funcs: HashMap<String, FuncRefs>,
}

impl ModuleDecls {
    /// No declarations.
    pub fn new() -> ModuleDecls {
        ModuleDecls::default()
    }

    /// Declare a global. Fails on a duplicate name, an import with an initial value, or an
    /// initial value of another type.
    pub fn declare_global(&mut self, decl: GlobalDecl) -> Result<GlobalId, String> {
        if self.global_by_name(&decl.name).is_some() {
            return Err(format!("global %{} is declared twice", decl.name));
        }
        if decl.import.is_some() && decl.init.is_some() {
            return Err(format!(
                "imported global %{} cannot have an initial value",
                decl.name
            ));
        }
        if let Some(init) = decl.init {
            if !init.fits(decl.ty) {
                return Err(format!(
                    "initial value of %{} does not fit its type {}",
                    decl.name, decl.ty
                ));
            }
        }
        if decl.ty == WasmType::V128 && decl.init.is_some() {
            return Err(format!("v128 global %{} can only start at zero", decl.name));
        }
        Ok(self.globals.push(decl))
    }

    /// Declare a table. Fails on a duplicate name or `max < min`.
    pub fn declare_table(&mut self, decl: TableDecl) -> Result<TableId, String> {
        if self.table_by_name(&decl.name).is_some() {
            return Err(format!("table %{} is declared twice", decl.name));
        }
        if decl.max.is_some_and(|max| max < decl.min) {
            return Err(format!(
                "table %{} has a maximum below its minimum",
                decl.name
            ));
        }
        Ok(self.tables.push(decl))
    }

    /// The global named `name` (without `%`).
    pub fn global_by_name(&self, name: &str) -> Option<GlobalId> {
        self.globals
            .iter()
            .find(|(_, g)| g.name == name)
            .map(|(id, _)| id)
    }

    /// The table named `name` (without `%`).
    pub fn table_by_name(&self, name: &str) -> Option<TableId> {
        self.tables
            .iter()
            .find(|(_, t)| t.name == name)
            .map(|(id, _)| id)
    }

    /// A `GlobalValue` in `func` that stands for global `id`.
    pub fn reference_global(&self, func: &mut ir::Function, id: GlobalId) -> GlobalValue {
        symbol(func, GLOBAL_NAMESPACE, id.as_u32())
    }

    /// A `GlobalValue` in `func` that stands for table `id`.
    pub fn reference_table(&self, func: &mut ir::Function, id: TableId) -> GlobalValue {
        symbol(func, TABLE_NAMESPACE, id.as_u32())
    }

    /// The off-heap place `gv` of `func` stands for, if it is one.
    pub fn off_heap(&self, func: &ir::Function, gv: GlobalValue) -> Option<OffHeapSymbol> {
        let ir::GlobalValueData::Symbol {
            name: ExternalName::User(r),
            ..
        } = func.global_values.get(gv)?
        else {
            return None;
        };
        let name = func.params.user_named_funcs().get(*r)?;
        match name.namespace {
            GLOBAL_NAMESPACE => Some(OffHeapSymbol::Global(GlobalId::from_u32(name.index))),
            TABLE_NAMESPACE => Some(OffHeapSymbol::Table(TableId::from_u32(name.index))),
            _ => None,
        }
    }

    /// Whether `gv` of `func` is an off-heap global (or table).
    pub fn is_off_heap(&self, func: &ir::Function, gv: GlobalValue) -> bool {
        self.off_heap(func, gv).is_some()
    }

    /// Record the reference types of the function named `name` (its `UserFuncName` as
    /// printed, e.g. `%f`).
    pub fn set_func_refs(&mut self, name: &str, refs: FuncRefs) {
        self.funcs.insert(name.to_string(), refs);
    }

    /// The reference types of the function named `name`.
    pub fn func_refs(&self, name: &str) -> Option<&FuncRefs> {
        self.funcs.get(name)
    }

    /// Whether any function has reference types recorded.
    pub fn has_func_refs(&self) -> bool {
        !self.funcs.is_empty()
    }

    /// Mutable reference types of the function named `name`, created empty.
    pub fn func_refs_mut(&mut self, name: &str) -> &mut FuncRefs {
        self.funcs.entry(name.to_string()).or_default()
    }

    /// Whether nothing is declared.
    pub fn is_empty(&self) -> bool {
        self.globals.is_empty()
            && self.tables.is_empty()
            && self
                .funcs
                .values()
                .all(|f| f.signature.is_plain() && f.sigs.values().all(SigRefs::is_plain))
    }
}

/// What a reserved-namespace symbol stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OffHeapSymbol {
    /// A wasm global.
    Global(GlobalId),
    /// A table.
    Table(TableId),
}

fn symbol(func: &mut ir::Function, namespace: u32, index: u32) -> GlobalValue {
    let name = UserExternalName::new(namespace, index);
    // Reuse an existing reference to the same place.
    for (gv, data) in func.global_values.iter() {
        if let GlobalValueData::Symbol {
            name: ExternalName::User(r),
            ..
        } = data
        {
            if func.params.user_named_funcs().get(*r) == Some(&name) {
                return gv;
            }
        }
    }
    let r = func.declare_imported_user_function(name);
    func.create_global_value(GlobalValueData::Symbol {
        name: ExternalName::User(r),
        offset: Imm64::new(0),
        colocated: true,
        tls: false,
    })
}
