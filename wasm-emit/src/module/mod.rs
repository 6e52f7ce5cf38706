//! Module assembly: index spaces (`env`), and the encoding of all sections of the final
//! module, its name section, and its validation against exactly the features it uses.

mod bodies;
pub mod env;
pub mod layout;
pub mod names;
mod output;

pub use bodies::{write_i64, write_u32, write_u64, Bodies};

use crate::error::{Error, ErrorKind, Result};
use cranelift_codegen::ir;
use cranelift_offheap::{ConstValue, GlobalDecl, RefType as OffHeapRef, TableDecl};
use env::{heap_type, wasm_val_type, ModuleEnv};
use layout::{DataSegment, SegmentMode};
use wasm_encoder::{
    ConstExpr, DataCountSection, ElementSection, Elements, EntityType, ExportKind, ExportSection,
    FunctionSection, GlobalSection, GlobalType, ImportSection, MemorySection, MemoryType, NameMap,
    NameSection, RefType, StartSection, TableSection, TableType, TypeSection, ValType,
};
use wasmparser::WasmFeatures;

/// The id of the local-names subsection of the name section.
const LOCAL_NAMES: u8 = 2;

/// Wasm pages (64 KiB) needed for `bytes` bytes.
pub fn pages_for(bytes: u64) -> u64 {
    bytes.div_ceil(65536)
}

/// What assembly needs of a defined function besides its body (see [`Bodies`]).
pub struct DefinedFunction<'a> {
    /// Name for the name section and exports.
    pub name: FuncName<'a>,
    /// Whether to export it under `name`.
    pub export: bool,
}

/// A defined function's name in the module: its CLIF name (without the `%` of a test-case
/// name), printed only as assembly writes it, since a module may have a hundred thousand;
/// a test-case name copied side by side with the others; or a name of its own.
pub enum FuncName<'a> {
    /// The function's CLIF name.
    Clif(&'a ir::UserFuncName),
    /// A test-case name, at this range of the copied names (see [`FuncName::text`]).
    /// Copied while the definitions are read: assembly writes every name twice (its
    /// export and the name section), and reading it from each function again would miss
    /// the cache once per function of a large module.
    Copied(std::ops::Range<usize>),
    /// A name given by the layout, or a helper's.
    Text(String),
}

impl FuncName<'_> {
    /// The name as text, printed into `buf` if need be; `copied` holds the copied names.
    /// (Compiling rejects test-case names that are not UTF-8; `export_name` may be given
    /// one, and replaces what is not.)
    pub fn text<'b>(&'b self, buf: &'b mut String, copied: &'b str) -> &'b str {
        use std::fmt::Write;
        match self {
            FuncName::Text(text) => text,
            FuncName::Copied(range) => &copied[range.clone()],
            FuncName::Clif(ir::UserFuncName::Testcase(name)) => {
                match std::str::from_utf8(name.raw()) {
                    Ok(text) => text,
                    Err(_) => {
                        buf.clear();
                        buf.push_str(&String::from_utf8_lossy(name.raw()));
                        buf
                    }
                }
            }
            FuncName::Clif(name) => {
                buf.clear();
                write!(buf, "{name}").expect("printing to a String");
                buf
            }
        }
    }
}

/// The wasm features a module built from `env` uses.
pub fn features(env: &ModuleEnv) -> WasmFeatures {
    let mut features = WasmFeatures::LIME1;
    if env.target.memory64 {
        features |= WasmFeatures::MEMORY64;
    }
    if env.uses_tail_calls {
        features |= WasmFeatures::TAIL_CALL;
    }
    if env.uses_reference_types {
        features |= WasmFeatures::REFERENCE_TYPES;
    }
    let layout = &env.layout;
    if !env.ref_funcs.is_empty()
        || env.uses_bulk_memory
        || env.passive_data
        || layout
            .elems
            .iter()
            .any(|e| !matches!(e.mode, SegmentMode::Active { .. }))
    {
        // `ref.func` needs its function in a declarative elem segment, and passive
        // segments, `memory.init` and friends are bulk memory.
        features |= WasmFeatures::BULK_MEMORY;
    }
    if layout
        .elems
        .iter()
        .any(|e| e.funcs.iter().any(Option::is_none))
        || layout.elems.iter().any(|e| {
            matches!(e.mode, SegmentMode::Active { .. })
                && e.table.is_some_and(|t| env.table_index[&t] != 0)
        })
    {
        features |= WasmFeatures::REFERENCE_TYPES;
    }
    if env
        .decls
        .globals
        .values()
        .any(|g| g.ty == cranelift_offheap::WasmType::V128)
    {
        features |= WasmFeatures::SIMD;
    }
    features
}

fn global_type(g: &GlobalDecl) -> GlobalType {
    GlobalType {
        val_type: wasm_val_type(g.ty),
        mutable: g.mutable,
        shared: false,
    }
}

fn table_type(t: &TableDecl) -> TableType {
    TableType {
        element_type: RefType {
            nullable: true,
            heap_type: heap_type(t.elem),
        },
        table64: false,
        minimum: t.min,
        maximum: t.max,
        shared: false,
    }
}

fn init_expr(g: &GlobalDecl) -> ConstExpr {
    match g.init.unwrap_or(ConstValue::zero(g.ty)) {
        _ if g.ty == cranelift_offheap::WasmType::V128 => ConstExpr::v128_const(0),
        ConstValue::I32(v) => ConstExpr::i32_const(v),
        ConstValue::I64(v) => ConstExpr::i64_const(v),
        ConstValue::F32(b) => ConstExpr::f32_const(wasm_encoder::Ieee32::new(b)),
        ConstValue::F64(b) => ConstExpr::f64_const(wasm_encoder::Ieee64::new(b)),
        ConstValue::Null => {
            ConstExpr::ref_null(heap_type(g.ty.ref_type().unwrap_or(OffHeapRef::Extern)))
        }
    }
}

/// The bytes the sections of a module of `functions` functions besides the code take,
/// about, the data segments `data` among them.
pub fn room_for_other_sections(functions: usize, data: &[DataSegment]) -> usize {
    2 * room_per_side(functions) + output::data_room(data)
}

/// The bytes the small sections before the code, or after it, take, about: some tens of
/// bytes per function (the names, when kept, more: the buffer grows for them).
fn room_per_side(functions: usize) -> usize {
    256 + 32 * functions
}

/// Encode the module. `functions` holds the defined functions and then the helpers, in
/// index order, and `bodies` their code (taken: `bodies` keeps only the local names);
/// `data` is the layout's data segments.
pub fn assemble(
    env: &ModuleEnv,
    functions: &[DefinedFunction],
    bodies: &mut Bodies,
    data: &[DataSegment],
    memory_pages: u64,
) -> Vec<u8> {
    let room = room_per_side(functions.len());
    let mut module = output::Output::new(room, data, room);

    let mut types = TypeSection::new();
    for sig in &env.type_list {
        types
            .ty()
            .function(sig.params.iter().copied(), sig.results.iter().copied());
    }
    module.section(&types);

    let decls = &env.decls;
    let imported_globals = decls
        .globals
        .values()
        .filter_map(|g| g.import.as_ref().map(|i| (i, g)));
    let imported_tables = decls
        .tables
        .values()
        .filter_map(|t| t.import.as_ref().map(|i| (i, t)));
    let mut imports = ImportSection::new();
    for import in &env.imports {
        imports.import(
            &import.module,
            &import.name,
            EntityType::Function(import.type_index),
        );
    }
    for (i, g) in imported_globals {
        imports.import(&i.module, &i.name, EntityType::Global(global_type(g)));
    }
    for (i, t) in imported_tables {
        imports.import(&i.module, &i.name, EntityType::Table(table_type(t)));
    }
    let memory_type = memory_type(env, memory_pages);
    if let (Some(memory), Some(import)) = (&env.layout.memory, &memory_type) {
        if let Some(i) = &memory.import {
            imports.import(&i.module, &i.name, EntityType::Memory(*import));
        }
    }
    if !imports.is_empty() {
        module.section(&imports);
    }

    let mut funcs = FunctionSection::new();
    let num_imports = env.imports.len() as u32;
    for i in 0..functions.len() as u32 {
        funcs.function(env.func_type(num_imports + i));
    }
    module.section(&funcs);

    let mut tables = TableSection::new();
    for t in decls.tables.values().filter(|t| t.import.is_none()) {
        tables.table(table_type(t));
    }
    if (env.uses_table || !env.table.is_empty()) && env.layout.function_table.is_none() {
        let size = env.table.len() as u64 + 1;
        tables.table(TableType {
            element_type: RefType::FUNCREF,
            table64: false,
            minimum: size,
            maximum: Some(size),
            shared: false,
        });
    }
    if !tables.is_empty() {
        module.section(&tables);
    }

    let memory_imported = env
        .layout
        .memory
        .as_ref()
        .is_some_and(|m| m.import.is_some());
    if let (Some(ty), false) = (memory_type, memory_imported) {
        let mut memories = MemorySection::new();
        memories.memory(ty);
        module.section(&memories);
    }

    let mut globals = GlobalSection::new();
    for g in decls.globals.values().filter(|g| g.import.is_none()) {
        globals.global(global_type(g), &init_expr(g));
    }
    {
        for global in &env.globals {
            let init = match global.ty {
                ValType::I64 => ConstExpr::i64_const(global.init),
                _ => ConstExpr::i32_const(global.init as i32),
            };
            globals.global(
                GlobalType {
                    val_type: global.ty,
                    mutable: true,
                    shared: false,
                },
                &init,
            );
        }
    }
    if !globals.is_empty() {
        module.section(&globals);
    }

    let mut exports = ExportSection::new();
    let mut buf = String::new();
    for (i, f) in functions.iter().enumerate() {
        if f.export {
            exports.export(
                f.name.text(&mut buf, &env.copied_names),
                ExportKind::Func,
                num_imports + i as u32,
            );
        }
    }
    match &env.layout.memory {
        Some(memory) => {
            for name in &memory.exports {
                exports.export(name, ExportKind::Memory, 0);
            }
        }
        None if env.uses_memory => {
            exports.export("memory", ExportKind::Memory, 0);
        }
        None => {}
    }
    for (name, func) in &env.layout.exports {
        exports.export(name, ExportKind::Func, func_index(env, func));
    }
    for (id, g) in decls.globals.iter() {
        if let Some(name) = &g.export {
            exports.export(name, ExportKind::Global, env.global_index[&id]);
        }
    }
    for (id, t) in decls.tables.iter() {
        if let Some(name) = &t.export {
            exports.export(name, ExportKind::Table, env.table_index[&id]);
        }
    }
    module.section(&exports);

    if let Some(start) = &env.layout.start {
        module.section(&StartSection {
            function_index: func_index(env, start),
        });
    }

    let mut elements = ElementSection::new();
    layout_elements(env, &mut elements);
    if !env.table.is_empty() {
        let table = env.function_table();
        elements.active(
            (table != 0).then_some(table),
            &ConstExpr::i32_const(1),
            Elements::Functions(env.table.as_slice().into()),
        );
    }
    if !env.ref_funcs.is_empty() {
        elements.declared(Elements::Functions(env.ref_funcs.as_slice().into()));
    }
    if !elements.is_empty() {
        module.section(&elements);
    }

    if env.uses_bulk_memory && !data.is_empty() {
        module.section(&DataCountSection {
            count: data.len() as u32,
        });
    }

    module.code(bodies);
    if !data.is_empty() {
        module.data(data, env.target.memory64);
    }

    module.section(&names(env, functions, bodies));
    module.finish()
}

/// The memory the module defines or imports, if any.
fn memory_type(env: &ModuleEnv, pages: u64) -> Option<MemoryType> {
    let (minimum, maximum) = match &env.layout.memory {
        Some(m) => (m.min_pages, m.max_pages),
        None if env.uses_memory => (pages, None),
        None => return None,
    };
    Some(MemoryType {
        minimum,
        maximum,
        memory64: env.target.memory64,
        shared: false,
        page_size_log2: None,
    })
}

/// The index of a function the layout names (checked by `ModuleEnv::resolve_layout`).
fn func_index(env: &ModuleEnv, name: &str) -> u32 {
    env.lookup(name).expect("layout names were resolved")
}

/// The layout's elem segments, in their order.
fn layout_elements(env: &ModuleEnv, elements: &mut ElementSection) {
    for segment in &env.layout.elems {
        let indices: Vec<u32> = segment
            .funcs
            .iter()
            .map(|f| f.as_deref().map_or(u32::MAX, |name| func_index(env, name)))
            .collect();
        let exprs: Vec<ConstExpr>;
        let items = if indices.contains(&u32::MAX) {
            exprs = indices
                .iter()
                .map(|&i| match i {
                    u32::MAX => ConstExpr::ref_null(heap_type(OffHeapRef::Func)),
                    i => ConstExpr::ref_func(i),
                })
                .collect();
            Elements::Expressions(RefType::FUNCREF, exprs.as_slice().into())
        } else {
            Elements::Functions(indices.as_slice().into())
        };
        match (segment.mode, segment.table) {
            (SegmentMode::Active { offset }, Some(t)) => {
                let table = env.table_index[&t];
                elements.active(
                    (table != 0).then_some(table),
                    &ConstExpr::i32_const(offset as i32),
                    items,
                );
            }
            (SegmentMode::Passive, _) => {
                elements.passive(items);
            }
            _ => {
                elements.declared(items);
            }
        }
    }
}

fn names(env: &ModuleEnv, functions: &[DefinedFunction], bodies: &Bodies) -> NameSection {
    let mut func_names = NameMap::new();
    for (i, import) in env.imports.iter().enumerate() {
        func_names.append(i as u32, &import.name);
    }
    let num_imports = env.imports.len() as u32;
    let mut buf = String::new();
    for (i, f) in functions.iter().enumerate() {
        let index = num_imports + i as u32;
        func_names.append(index, f.name.text(&mut buf, &env.copied_names));
    }
    let mut global_names = NameMap::new();
    let mut declared: Vec<(u32, &str)> = env
        .decls
        .globals
        .iter()
        .map(|(id, g)| (env.global_index[&id], g.name.as_str()))
        .collect();
    declared.sort();
    for (i, name) in declared {
        global_names.append(i, name);
    }
    let first_own = env.decls.globals.len();
    for (i, g) in env.globals.iter().enumerate() {
        global_names.append((first_own + i) as u32, &g.name);
    }
    let mut section = NameSection::new();
    section.functions(&func_names);
    if let Some(local_names) = bodies.local_names() {
        section.raw(LOCAL_NAMES, &local_names);
    }
    section.globals(&global_names);
    section
}

/// Validate `bytes` against exactly `features`.
pub fn validate(bytes: &[u8], features: WasmFeatures) -> Result<()> {
    let mut validator = wasmparser::Validator::new_with_features(features);
    validator.validate_all(bytes).map(|_| ()).map_err(|e| {
        Error::new(
            ErrorKind::Internal,
            "",
            format!("the emitted module does not validate: {e}"),
        )
        .with_hint("this is a bug in wasm-emit; please report it with the input CLIF")
    })
}
