//! The module side of the translation: a `ModuleEnvironment` that records what the wasm
//! module declares (types, imports, functions, tables, memory, globals, exports, start,
//! segments) as off-heap declarations and a wasm-emit `ModuleLayout`, and keeps the
//! function bodies for `func_env` to translate.

use crate::RoundTripError;
use cranelift_codegen_112::ir;
use cranelift_codegen_112::packed_option::ReservedValue;
use cranelift_offheap::{ConstValue, GlobalDecl, GlobalId, Import, ModuleDecls, RefType};
use cranelift_offheap::{TableDecl, TableId, WasmType};
use cranelift_wasm::wasmparser::{FuncValidator, FunctionBody, ValidatorResources};
use cranelift_wasm::{
    ConstExpr, ConstOp, DataIndex, ElemIndex, EngineOrModuleTypeIndex, FuncIndex, Global,
    GlobalIndex, Memory, MemoryIndex, ModuleEnvironment, Table, TableIndex, TypeConvert, TypeIndex,
    WasmError, WasmFuncType, WasmHeapType, WasmResult, WasmValType,
};
use wasm_emit::{DataSegment, ElemSegment, MemoryLayout, ModuleLayout, SegmentMode};

/// The CLIF name of wasm function `index` (imports and definitions share one space).
pub fn func_name(index: u32) -> String {
    format!("u0:{index}")
}

fn unsupported(what: impl Into<String>) -> WasmError {
    WasmError::Unsupported(what.into())
}

/// The CLIF type of a wasm value type.
pub fn clif_type(ty: &WasmValType) -> WasmResult<ir::Type> {
    Ok(match ty {
        WasmValType::I32 => ir::types::I32,
        WasmValType::I64 => ir::types::I64,
        WasmValType::F32 => ir::types::F32,
        WasmValType::F64 => ir::types::F64,
        WasmValType::V128 => ir::types::I8X16,
        WasmValType::Ref(_) => return Err(unsupported("reference-typed values")),
    })
}

/// The CLIF signature of a wasm function type (tail calling convention everywhere, so
/// `return_call` is valid between any two functions).
pub fn clif_signature(ty: &WasmFuncType) -> WasmResult<ir::Signature> {
    let mut sig = ir::Signature::new(cranelift_codegen_112::isa::CallConv::Tail);
    for p in ty.params() {
        sig.params.push(ir::AbiParam::new(clif_type(p)?));
    }
    for r in ty.returns() {
        sig.returns.push(ir::AbiParam::new(clif_type(r)?));
    }
    Ok(sig)
}

/// A function body waiting to be translated.
pub struct Body<'data> {
    /// Its validator (cranelift-wasm validates while it translates).
    pub validator: FuncValidator<ValidatorResources>,
    /// The body.
    pub body: FunctionBody<'data>,
}

/// Everything the module declares.
#[derive(Default)]
pub struct ModuleInfo<'data> {
    /// Function types by type index.
    pub types: Vec<WasmFuncType>,
    /// Type index of every function (imports first).
    pub func_types: Vec<TypeIndex>,
    /// Number of imported functions.
    pub num_imports: u32,
    /// Bodies of the defined functions, in order.
    pub bodies: Vec<Body<'data>>,
    /// Off-heap declarations: the module's globals and tables.
    pub decls: ModuleDecls,
    /// Declaration of each wasm global.
    pub globals: Vec<GlobalId>,
    /// Wasm type of each global.
    pub global_types: Vec<ir::Type>,
    /// Declaration of each wasm table.
    pub tables: Vec<TableId>,
    /// The module's layout.
    pub layout: ModuleLayout,
    /// The memory, if any.
    pub memory: Option<Memory>,
    /// Everything unsupported seen so far (reported together).
    pub unsupported: Vec<String>,
}

impl ModuleInfo<'_> {
    /// The CLIF signature of function `index`.
    pub fn signature(&self, index: FuncIndex) -> WasmResult<ir::Signature> {
        let ty = self.func_types[index.as_u32() as usize];
        clif_signature(&self.types[ty.as_u32() as usize])
    }

    /// Turn what was collected into the module-level error, if anything is unsupported.
    pub fn check(&self) -> Result<(), RoundTripError> {
        match self.unsupported.first() {
            Some(first) => Err(RoundTripError::Unsupported(first.clone())),
            None => Ok(()),
        }
    }
}

fn wasm_type(ty: &WasmValType) -> Option<WasmType> {
    Some(match ty {
        WasmValType::I32 => WasmType::I32,
        WasmValType::I64 => WasmType::I64,
        WasmValType::F32 => WasmType::F32,
        WasmValType::F64 => WasmType::F64,
        WasmValType::V128 => WasmType::V128,
        WasmValType::Ref(r) => match r.heap_type {
            WasmHeapType::Func => WasmType::FuncRef,
            WasmHeapType::Extern => WasmType::ExternRef,
            _ => return None,
        },
    })
}

fn const_value(init: &ConstExpr) -> Option<ConstValue> {
    match init.ops() {
        [ConstOp::I32Const(v)] => Some(ConstValue::I32(*v)),
        [ConstOp::I64Const(v)] => Some(ConstValue::I64(*v)),
        [ConstOp::F32Const(b)] => Some(ConstValue::F32(*b)),
        [ConstOp::F64Const(b)] => Some(ConstValue::F64(*b)),
        [ConstOp::V128Const(0)] => Some(ConstValue::I32(0)),
        [ConstOp::RefNull] => Some(ConstValue::Null),
        _ => None,
    }
}

impl<'data> ModuleInfo<'data> {
    fn add_global(&mut self, global: Global, init: Option<ConstValue>, import: Option<Import>) {
        let index = self.globals.len();
        let Some(ty) = wasm_type(&global.wasm_ty) else {
            self.unsupported
                .push(format!("global {index} has a GC reference type"));
            return;
        };
        let decl = GlobalDecl {
            name: format!("g{index}"),
            ty,
            mutable: global.mutability,
            init,
            import,
            export: None,
        };
        match self.decls.declare_global(decl) {
            Ok(id) => {
                self.globals.push(id);
                self.global_types.push(match ty {
                    WasmType::I32 => ir::types::I32,
                    WasmType::I64 => ir::types::I64,
                    WasmType::F32 => ir::types::F32,
                    WasmType::F64 => ir::types::F64,
                    _ => ir::types::INVALID,
                });
            }
            Err(e) => self.unsupported.push(e),
        }
    }

    fn add_table(&mut self, table: Table, import: Option<Import>) {
        let index = self.tables.len();
        let elem = match table.wasm_ty.heap_type {
            WasmHeapType::Func => RefType::Func,
            WasmHeapType::Extern => RefType::Extern,
            _ => {
                self.unsupported
                    .push(format!("table {index} has a GC element type"));
                return;
            }
        };
        let decl = TableDecl {
            name: format!("t{index}"),
            elem,
            min: u64::from(table.minimum),
            max: table.maximum.map(u64::from),
            import,
            export: None,
        };
        match self.decls.declare_table(decl) {
            Ok(id) => {
                if index == 0 && elem == RefType::Func {
                    self.layout.function_table = Some(id);
                }
                self.tables.push(id);
            }
            Err(e) => self.unsupported.push(e),
        }
    }

    fn add_memory(&mut self, memory: Memory, import: Option<Import>) {
        if self.memory.is_some() {
            self.unsupported
                .push("several memories (multi-memory)".into());
            return;
        }
        if memory.shared {
            self.unsupported.push("a shared memory (threads)".into());
        }
        if memory.memory64 {
            self.unsupported.push("a 64-bit memory (memory64)".into());
        }
        if memory.page_size_log2 != 16 {
            self.unsupported.push("custom page sizes".into());
        }
        self.layout.memory = Some(MemoryLayout {
            min_pages: memory.minimum,
            max_pages: memory.maximum,
            import,
            exports: Vec::new(),
        });
        self.memory = Some(memory);
    }

    fn elem_funcs(elements: &[FuncIndex]) -> Vec<Option<String>> {
        elements
            .iter()
            .map(|f| (!f.is_reserved_value()).then(|| func_name(f.as_u32())))
            .collect()
    }
}

fn import(module: &str, field: &str) -> Option<Import> {
    Some(Import {
        module: module.to_string(),
        name: field.to_string(),
    })
}

impl TypeConvert for ModuleInfo<'_> {
    fn lookup_heap_type(&self, _index: cranelift_wasm::wasmparser::UnpackedIndex) -> WasmHeapType {
        // Only typed function references name a type index; they are unsupported, and
        // reported when a value of such a type is met.
        WasmHeapType::Func
    }

    fn lookup_type_index(
        &self,
        index: cranelift_wasm::wasmparser::UnpackedIndex,
    ) -> EngineOrModuleTypeIndex {
        let i = index.as_module_index().unwrap_or(0);
        EngineOrModuleTypeIndex::Module(cranelift_wasm::ModuleInternedTypeIndex::from_u32(i))
    }
}

impl<'data> ModuleEnvironment<'data> for ModuleInfo<'data> {
    fn declare_type_func(&mut self, ty: WasmFuncType) -> WasmResult<()> {
        self.types.push(ty);
        Ok(())
    }

    fn declare_func_import(
        &mut self,
        index: TypeIndex,
        module: &'data str,
        field: &'data str,
    ) -> WasmResult<()> {
        let func = self.func_types.len() as u32;
        self.func_types.push(index);
        self.num_imports += 1;
        let ty = &self.types[index.as_u32() as usize];
        let signature = clif_signature(ty)?;
        let mut params = Vec::new();
        let mut returns = Vec::new();
        for p in ty.params() {
            params.push(wasm_type(p).ok_or_else(|| unsupported("GC reference types"))?);
        }
        for r in ty.returns() {
            returns.push(wasm_type(r).ok_or_else(|| unsupported("GC reference types"))?);
        }
        let refs = cranelift_offheap::SigRefs::of(&params, &returns);
        let signature = crate::convert::signature(&signature)?;
        self.layout.imports.push(wasm_emit::FunctionImport {
            name: func_name(func),
            import: import(module, field).expect("some"),
            signature,
            refs,
        });
        Ok(())
    }

    fn declare_table_import(
        &mut self,
        table: Table,
        module: &'data str,
        field: &'data str,
    ) -> WasmResult<()> {
        self.add_table(table, import(module, field));
        Ok(())
    }

    fn declare_memory_import(
        &mut self,
        memory: Memory,
        module: &'data str,
        field: &'data str,
    ) -> WasmResult<()> {
        self.add_memory(memory, import(module, field));
        Ok(())
    }

    fn declare_global_import(
        &mut self,
        global: Global,
        module: &'data str,
        field: &'data str,
    ) -> WasmResult<()> {
        self.add_global(global, None, import(module, field));
        Ok(())
    }

    fn declare_func_type(&mut self, index: TypeIndex) -> WasmResult<()> {
        self.func_types.push(index);
        Ok(())
    }

    fn declare_table(&mut self, table: Table) -> WasmResult<()> {
        self.add_table(table, None);
        Ok(())
    }

    fn declare_memory(&mut self, memory: Memory) -> WasmResult<()> {
        self.add_memory(memory, None);
        Ok(())
    }

    fn declare_global(&mut self, global: Global, init: ConstExpr) -> WasmResult<()> {
        let index = self.globals.len();
        let value = const_value(&init);
        if value.is_none() {
            self.unsupported
                .push(format!("global {index} has a non-constant initializer"));
        }
        self.add_global(global, value, None);
        Ok(())
    }

    fn declare_func_export(&mut self, func_index: FuncIndex, name: &'data str) -> WasmResult<()> {
        self.layout
            .exports
            .push((name.to_string(), func_name(func_index.as_u32())));
        Ok(())
    }

    fn declare_table_export(
        &mut self,
        table_index: TableIndex,
        name: &'data str,
    ) -> WasmResult<()> {
        let Some(&id) = self.tables.get(table_index.as_u32() as usize) else {
            return Ok(());
        };
        let export = &mut self.decls.tables[id].export;
        if export.is_some() {
            self.unsupported
                .push("a table exported under two names".into());
        }
        *export = Some(name.to_string());
        Ok(())
    }

    fn declare_memory_export(&mut self, _memory: MemoryIndex, name: &'data str) -> WasmResult<()> {
        if let Some(memory) = &mut self.layout.memory {
            memory.exports.push(name.to_string());
        }
        Ok(())
    }

    fn declare_global_export(
        &mut self,
        global_index: GlobalIndex,
        name: &'data str,
    ) -> WasmResult<()> {
        let Some(&id) = self.globals.get(global_index.as_u32() as usize) else {
            return Ok(());
        };
        let export = &mut self.decls.globals[id].export;
        if export.is_some() {
            self.unsupported
                .push("a global exported under two names".into());
        }
        *export = Some(name.to_string());
        Ok(())
    }

    fn declare_start_func(&mut self, index: FuncIndex) -> WasmResult<()> {
        self.layout.start = Some(func_name(index.as_u32()));
        Ok(())
    }

    fn declare_table_elements(
        &mut self,
        table_index: TableIndex,
        base: Option<GlobalIndex>,
        offset: u32,
        elements: Box<[FuncIndex]>,
    ) -> WasmResult<()> {
        if base.is_some() {
            self.unsupported
                .push("an elem segment placed by a global".into());
        }
        let table = self.tables.get(table_index.as_u32() as usize).copied();
        self.layout.elems.push(ElemSegment {
            mode: SegmentMode::Active {
                offset: u64::from(offset),
            },
            table,
            funcs: Self::elem_funcs(&elements),
        });
        Ok(())
    }

    fn declare_passive_element(
        &mut self,
        _index: ElemIndex,
        elements: Box<[FuncIndex]>,
    ) -> WasmResult<()> {
        self.layout.elems.push(ElemSegment {
            mode: SegmentMode::Passive,
            table: None,
            funcs: Self::elem_funcs(&elements),
        });
        Ok(())
    }

    fn declare_elements(&mut self, elements: Box<[FuncIndex]>) -> WasmResult<()> {
        self.layout.elems.push(ElemSegment {
            mode: SegmentMode::Declared,
            table: None,
            funcs: Self::elem_funcs(&elements),
        });
        Ok(())
    }

    fn declare_passive_data(&mut self, _index: DataIndex, data: &'data [u8]) -> WasmResult<()> {
        self.layout.data.push(DataSegment {
            mode: SegmentMode::Passive,
            bytes: data.to_vec(),
        });
        Ok(())
    }

    fn define_function_body(
        &mut self,
        validator: FuncValidator<ValidatorResources>,
        body: FunctionBody<'data>,
    ) -> WasmResult<()> {
        self.bodies.push(Body { validator, body });
        Ok(())
    }

    fn declare_data_initialization(
        &mut self,
        _memory_index: MemoryIndex,
        base: Option<GlobalIndex>,
        offset: u64,
        data: &'data [u8],
    ) -> WasmResult<()> {
        if base.is_some() {
            self.unsupported
                .push("a data segment placed by a global".into());
        }
        self.layout.data.push(DataSegment {
            mode: SegmentMode::Active { offset },
            bytes: data.to_vec(),
        });
        Ok(())
    }
}
