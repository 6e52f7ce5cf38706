//! Module assembly: index spaces (`env`), and the encoding of all sections of the final
//! module, its name section, and its validation against exactly the features it uses.

pub mod env;

use crate::error::{Error, ErrorKind, Result};
use crate::func::LoweredFunction;
use env::ModuleEnv;
use wasm_encoder::{
    CodeSection, ConstExpr, ElementSection, Elements, EntityType, ExportKind, ExportSection,
    FunctionSection, GlobalSection, GlobalType, ImportSection, IndirectNameMap, MemorySection,
    MemoryType, Module, NameMap, NameSection, RefType, TableSection, TableType, TypeSection,
    ValType,
};
use wasmparser::WasmFeatures;

/// Wasm pages (64 KiB) needed for `bytes` bytes.
pub fn pages_for(bytes: u64) -> u64 {
    bytes.div_ceil(65536)
}

/// Everything about a defined function that assembly needs.
pub struct DefinedFunction {
    /// Name for the name section and exports (without `%`).
    pub name: String,
    /// Whether to export it under `name`.
    pub export: bool,
    /// The lowered body.
    pub lowered: LoweredFunction,
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
    features
}

/// Encode the module. `functions` holds the defined functions and then the helpers, in
/// index order.
pub fn assemble(env: &ModuleEnv, functions: &[DefinedFunction], memory_pages: u64) -> Vec<u8> {
    let mut module = Module::new();

    let mut types = TypeSection::new();
    for sig in &env.type_list {
        types
            .ty()
            .function(sig.params.iter().copied(), sig.results.iter().copied());
    }
    module.section(&types);

    if !env.imports.is_empty() {
        let mut imports = ImportSection::new();
        for import in &env.imports {
            imports.import(
                &import.module,
                &import.name,
                EntityType::Function(import.type_index),
            );
        }
        module.section(&imports);
    }

    let mut funcs = FunctionSection::new();
    let num_imports = env.imports.len() as u32;
    for i in 0..functions.len() as u32 {
        funcs.function(env.func_type(num_imports + i));
    }
    module.section(&funcs);

    if env.uses_table || !env.table.is_empty() {
        let size = env.table.len() as u64 + 1;
        let mut tables = TableSection::new();
        tables.table(TableType {
            element_type: RefType::FUNCREF,
            table64: false,
            minimum: size,
            maximum: Some(size),
            shared: false,
        });
        module.section(&tables);
    }

    if env.uses_memory {
        let mut memories = MemorySection::new();
        memories.memory(MemoryType {
            minimum: memory_pages,
            maximum: None,
            memory64: env.target.memory64,
            shared: false,
            page_size_log2: None,
        });
        module.section(&memories);
    }

    if !env.globals.is_empty() {
        let mut globals = GlobalSection::new();
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
        module.section(&globals);
    }

    let mut exports = ExportSection::new();
    for (i, f) in functions.iter().enumerate() {
        if f.export {
            exports.export(&f.name, ExportKind::Func, num_imports + i as u32);
        }
    }
    if env.uses_memory {
        exports.export("memory", ExportKind::Memory, 0);
    }
    module.section(&exports);

    if !env.table.is_empty() {
        let mut elements = ElementSection::new();
        elements.active(
            None,
            &ConstExpr::i32_const(1),
            Elements::Functions(env.table.as_slice().into()),
        );
        module.section(&elements);
    }

    let mut code = CodeSection::new();
    for f in functions {
        code.function(&f.lowered.body);
    }
    module.section(&code);

    module.section(&names(env, functions));
    module.finish()
}

fn names(env: &ModuleEnv, functions: &[DefinedFunction]) -> NameSection {
    let mut func_names = NameMap::new();
    let mut local_names = IndirectNameMap::new();
    for (i, import) in env.imports.iter().enumerate() {
        func_names.append(i as u32, &import.name);
    }
    let num_imports = env.imports.len() as u32;
    for (i, f) in functions.iter().enumerate() {
        let index = num_imports + i as u32;
        func_names.append(index, &f.name);
        let mut locals = f.lowered.local_names.clone();
        locals.sort_unstable_by_key(|&(local, _)| local);
        let mut map = NameMap::new();
        for (local, name) in &locals {
            map.append(*local, name);
        }
        local_names.append(index, &map);
    }
    let mut global_names = NameMap::new();
    for (i, g) in env.globals.iter().enumerate() {
        global_names.append(i as u32, &g.name);
    }
    let mut section = NameSection::new();
    section.functions(&func_names);
    section.locals(&local_names);
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
