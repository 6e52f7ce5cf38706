//! [`WasmProduct`]: the finished module. `finish` decides imports and exports by linkage,
//! gives address-taken functions their table slots, and lays data out; `emit` lowers
//! every function and assembles the wasm bytes.

use super::data;
use super::error::{backend, lowering};
use super::module::{data_key, func_key, max_pages, WasmModule};
use super::MemoryMode;
use crate::module::pages_for;
use crate::{DataSegment, FunctionImport, MemoryLayout, ModuleLayout, Options, SegmentMode};
use cranelift_codegen::ir::{self, ExternalName, InstructionData};
use cranelift_module::{DataId, FuncId, Linkage, ModuleDeclarations, ModuleError, ModuleResult};
use cranelift_offheap::{ConstValue, GlobalDecl, Import, ModuleDecls, WasmType};
use std::collections::{BTreeSet, HashMap, HashSet};

/// A finished [`WasmModule`], ready to [`emit`](WasmProduct::emit).
pub struct WasmProduct {
    functions: Vec<ir::Function>,
    decls: ModuleDecls,
    layout: ModuleLayout,
    options: Options,
    declarations: ModuleDeclarations,
    data_addresses: Vec<Option<u64>>,
    slots: HashMap<FuncId, u32>,
    /// Declared names by CLIF name (`u0:3` → `main`), for errors.
    names: HashMap<String, String>,
    /// The first problem found while finishing, reported by `emit`.
    deferred: Option<ModuleError>,
}

impl WasmProduct {
    pub(super) fn new(module: WasmModule) -> WasmProduct {
        let mut product = WasmProduct {
            functions: Vec::new(),
            options: module.options(),
            decls: module.offheap.clone(),
            layout: ModuleLayout::default(),
            declarations: ModuleDeclarations::default(),
            data_addresses: Vec::new(),
            slots: HashMap::new(),
            names: HashMap::new(),
            deferred: None,
        };
        if let Err(e) = product.link(&module) {
            product.deferred = Some(e);
        }
        product.functions = module.functions.into_iter().flatten().collect();
        product.declarations = module.declarations;
        product
    }

    /// The wasm module. Fails on what `finish` found (an undefined function, data that
    /// does not fit in the memory) and on errors of lowering.
    pub fn emit(self) -> ModuleResult<Vec<u8>> {
        if let Some(err) = self.deferred {
            return Err(err);
        }
        crate::compile_with_layout(&self.functions, &self.decls, &self.layout, &self.options)
            .map_err(|e| lowering(e, &self.names))
    }

    /// The linear-memory address of a defined data object.
    pub fn data_address(&self, id: DataId) -> Option<u64> {
        self.data_addresses
            .get(id.as_u32() as usize)
            .copied()
            .flatten()
    }

    /// The function-table slot of a function whose address is taken (its function pointer).
    pub fn function_slot(&self, id: FuncId) -> Option<u32> {
        self.slots.get(&id).copied()
    }

    /// The module's declarations.
    pub fn declarations(&self) -> &ModuleDeclarations {
        &self.declarations
    }

    fn link(&mut self, module: &WasmModule) -> ModuleResult<()> {
        for (index, func) in module.functions.iter().enumerate() {
            if let Some(func) = func {
                let id = FuncId::from_u32(index as u32);
                let refs = module.func_refs(func, id);
                if refs.has_refs() {
                    self.decls.set_func_refs(&func_key(id), refs);
                }
            }
        }
        self.link_functions(module)?;
        self.assign_slots(module);
        self.place_data(module)?;
        self.export_data(module)?;
        self.check_exports()
    }

    /// Imports and exports by linkage.
    fn link_functions(&mut self, module: &WasmModule) -> ModuleResult<()> {
        let referenced = referenced_functions(module);
        for (id, decl) in module.declarations.get_functions() {
            let key = func_key(id);
            let name = decl.linkage_name(id).into_owned();
            self.names.insert(key.clone(), name.clone());
            self.layout.func_names.insert(key.clone(), name.clone());
            let defined = module.functions[id.as_u32() as usize].is_some();
            match (decl.linkage, defined) {
                (Linkage::Import | Linkage::Preemptible, false) => {
                    self.layout.imports.push(FunctionImport {
                        name: key,
                        import: Import {
                            module: self.options.import_module.clone(),
                            name,
                        },
                        signature: decl.signature.clone(),
                        refs: module.signature_refs(id).cloned().unwrap_or_default(),
                    })
                }
                (_, false) if !referenced.contains(&id.as_u32()) => {}
                (_, false) => {
                    return Err(backend(format!(
                        "function `{name}` (linkage {:?}) is used but never defined",
                        decl.linkage
                    )))
                }
                (Linkage::Export | Linkage::Preemptible, true) => {
                    self.layout.exports.push((name, key));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Table slots for every function whose address code or data takes, by id from slot 1.
    fn assign_slots(&mut self, module: &WasmModule) {
        let mut taken = BTreeSet::new();
        for func in module.functions.iter().flatten() {
            for block in func.layout.blocks() {
                for inst in func.layout.block_insts(block) {
                    if let InstructionData::FuncAddr { func_ref, .. } = func.dfg.insts[inst] {
                        if let Some(id) = user_index(func, &func.dfg.ext_funcs[func_ref].name, 0) {
                            taken.insert(id);
                        }
                    }
                }
            }
        }
        for object in module.data.iter().flatten() {
            taken.extend(object.func_relocs.iter().map(|&(_, f)| f.as_u32()));
        }
        for (slot, id) in taken.into_iter().enumerate() {
            self.slots.insert(FuncId::from_u32(id), slot as u32 + 1);
            self.layout.table_funcs.push(format!("u0:{id}"));
        }
    }

    /// Data after the shadow stack, its relocations patched, and the memory around it.
    fn place_data(&mut self, module: &WasmModule) -> ModuleResult<()> {
        let defined = |id: u32| module.data.get(id as usize).is_some_and(Option::is_some);
        let mut used: HashSet<u32> = HashSet::new();
        for object in module.data.iter().flatten() {
            used.extend(object.data_relocs.iter().map(|&(_, d, _)| d.as_u32()));
        }
        for func in module.functions.iter().flatten() {
            for (_, gv) in func.global_values.iter() {
                if let ir::GlobalValueData::Symbol { name, .. } = gv {
                    used.extend(user_index(func, name, 1));
                }
            }
        }
        for (id, decl) in module.declarations.get_data_objects() {
            let index = id.as_u32();
            if !defined(index) && (used.contains(&index) || decl.linkage.requires_definition()) {
                let name = decl.linkage_name(id);
                return Err(backend(match decl.linkage {
                    Linkage::Import | Linkage::Preemptible => format!(
                        "data `{name}` is imported, but a wasm module cannot import data (hint: define it)"
                    ),
                    linkage => format!("data `{name}` (linkage {linkage:?}) is declared but never defined"),
                }));
            }
        }
        let builder = &module.builder;
        let limit = max_pages(&self.options.target);
        let max = builder.max_pages.unwrap_or(limit);
        if builder.min_pages > max || max > limit {
            return Err(backend(format!(
                "memory_pages({}, {:?}): the minimum must not exceed the maximum, nor the maximum the target's limit of {limit} pages",
                builder.min_pages, builder.max_pages
            )));
        }
        let stack = self.options.stack_size;
        let base = stack.max(16).div_ceil(16).saturating_mul(16);
        let mut placement = data::place(&module.data, base);
        let pointer_bytes = u64::from(self.options.target.pointer_type().bytes());
        let slots = &self.slots;
        let slot = |f: FuncId| u64::from(slots.get(&f).copied().unwrap_or(0));
        data::patch(&module.data, &mut placement, &slot, pointer_bytes);
        for (index, addr) in placement.addresses.iter().enumerate() {
            if let Some(addr) = addr {
                let key = data_key(DataId::from_u32(index as u32));
                self.layout.symbols.insert(key, *addr);
            }
        }
        self.data_addresses = placement.addresses;
        let (offset, bytes) = placement.image;
        if !bytes.is_empty() {
            self.layout.data.push(DataSegment {
                mode: SegmentMode::Active { offset },
                bytes,
            });
        }
        let needed = pages_for(placement.end).max(1);
        if needed > max {
            return Err(backend(format!(
                "the shadow stack and data need {needed} pages of 64 KiB, more than the maximum of {max} (hint: raise memory_pages or lower stack_size)"
            )));
        }
        let (import, exports) = match &builder.memory {
            MemoryMode::Export(name) => (None, vec![name.clone()]),
            MemoryMode::Import { module, name } => (
                Some(Import {
                    module: module.clone(),
                    name: name.clone(),
                }),
                Vec::new(),
            ),
        };
        self.layout.memory = Some(MemoryLayout {
            min_pages: builder.min_pages.max(needed),
            max_pages: builder.max_pages,
            import,
            exports,
        });
        Ok(())
    }

    /// An immutable global holding the address of every exported data object, exported
    /// under its name.
    fn export_data(&mut self, module: &WasmModule) -> ModuleResult<()> {
        let wide = self.options.target.memory64;
        for (id, decl) in module.declarations.get_data_objects() {
            let (Linkage::Export | Linkage::Preemptible, Some(addr)) =
                (decl.linkage, self.data_address(id))
            else {
                continue;
            };
            let name = decl.linkage_name(id).into_owned();
            let (ty, init) = if wide {
                (WasmType::I64, ConstValue::I64(addr as i64))
            } else {
                (WasmType::I32, ConstValue::I32(addr as i32))
            };
            self.decls
                .declare_global(GlobalDecl {
                    name: format!("__data_{name}"),
                    ty,
                    mutable: false,
                    init: Some(init),
                    import: None,
                    export: Some(name),
                })
                .map_err(backend)?;
        }
        Ok(())
    }

    /// Every export name is used once.
    fn check_exports(&self) -> ModuleResult<()> {
        let memory = self.layout.memory.iter().flat_map(|m| m.exports.iter());
        let functions = self.layout.exports.iter().map(|(name, _)| name);
        let globals = self
            .decls
            .globals
            .values()
            .filter_map(|g| g.export.as_ref());
        let tables = self.decls.tables.values().filter_map(|t| t.export.as_ref());
        let mut seen = HashSet::new();
        for name in memory.chain(functions).chain(globals).chain(tables) {
            if !seen.insert(name) {
                return Err(backend(format!(
                    "two exports are named `{name}` (functions, exported data, wasm globals and tables, and the memory share one export namespace)"
                )));
            }
        }
        Ok(())
    }
}

/// Ids of the functions that code calls or takes the address of, or that data points to.
fn referenced_functions(module: &WasmModule) -> HashSet<u32> {
    let mut referenced = HashSet::new();
    for func in module.functions.iter().flatten() {
        for (_, ext) in func.dfg.ext_funcs.iter() {
            referenced.extend(user_index(func, &ext.name, 0));
        }
    }
    for object in module.data.iter().flatten() {
        referenced.extend(object.func_relocs.iter().map(|&(_, f)| f.as_u32()));
    }
    referenced
}

/// The index of user name `name` of `func` in `namespace`, if it is one.
fn user_index(func: &ir::Function, name: &ExternalName, namespace: u32) -> Option<u32> {
    let ExternalName::User(r) = name else {
        return None;
    };
    let user = func.params.user_named_funcs().get(*r)?;
    (user.namespace == namespace).then_some(user.index)
}
