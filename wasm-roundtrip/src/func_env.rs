//! The function side of the translation: a `FuncEnvironment` under which cranelift-wasm
//! produces CLIF that wasm-emit lowers back to the same wasm.
//!
//! - Linear memory is a static heap with a 4 GiB bound and an 8 GiB guard, so no bounds
//!   checks are emitted: the emitted wasm's own accesses trap exactly where the original's
//!   did. Its base is a placeholder symbol that `convert` replaces by 0.
//! - Wasm globals are off-heap globals: `load`/`store` of their `symbol_value`.
//! - `call_indirect` on table 0 is CLIF `call_indirect` of the table index, which wasm-emit
//!   lowers to `call_indirect` on the same table (the layout's function table).
//! - `memory.size`/`grow`/`copy`/`fill`/`init`, `data.drop`, `table.size`/`copy`/`init` and
//!   `elem.drop` are cranelift-offheap intrinsics.
//! - Reference-typed values, threads and typed function references are unsupported.

use crate::module_env::{clif_signature, func_name, ModuleInfo};
use cranelift_codegen_112::cursor::FuncCursor;
use cranelift_codegen_112::entity::PrimaryMap;
use cranelift_codegen_112::ir::{self, immediates::Imm64, InstBuilder, MemFlags};
use cranelift_codegen_112::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend_112::FunctionBuilder;
use cranelift_offheap::decls::{GLOBAL_NAMESPACE, TABLE_NAMESPACE};
use cranelift_wasm::{
    FuncEnvironment, FuncIndex, GlobalIndex, GlobalVariable, Heap, HeapData, HeapStyle,
    MemoryIndex, TableIndex, TargetEnvironment, TypeConvert, TypeIndex, WasmError, WasmHeapType,
    WasmResult,
};
use std::collections::HashMap;

/// The name of the placeholder symbol for the heap base.
pub const HEAP_BASE: &str = "__wasm_heap_base";

fn unsupported(what: &str) -> WasmError {
    WasmError::Unsupported(what.to_string())
}

/// The environment of one function's translation.
pub struct FuncEnv<'a, 'data> {
    module: &'a ModuleInfo<'data>,
    /// The pointer type: `i32` for the round trip (wasm32); `i64` to translate for a
    /// 64-bit target (what Cranelift's native backends take).
    pointer: ir::Type,
    heaps: PrimaryMap<Heap, HeapData>,
    symbols: HashMap<(u32, u32), ir::GlobalValue>,
    intrinsics: HashMap<&'static str, ir::FuncRef>,
}

impl<'a, 'data> FuncEnv<'a, 'data> {
    /// An environment for translating one function of `module`.
    pub fn new(module: &'a ModuleInfo<'data>, pointer: ir::Type) -> Self {
        FuncEnv {
            module,
            pointer,
            heaps: PrimaryMap::new(),
            symbols: HashMap::new(),
            intrinsics: HashMap::new(),
        }
    }

    fn symbol(&mut self, func: &mut ir::Function, namespace: u32, index: u32) -> ir::GlobalValue {
        *self.symbols.entry((namespace, index)).or_insert_with(|| {
            let name =
                func.declare_imported_user_function(ir::UserExternalName::new(namespace, index));
            func.create_global_value(ir::GlobalValueData::Symbol {
                name: ir::ExternalName::User(name),
                offset: Imm64::new(0),
                colocated: true,
                tls: false,
            })
        })
    }

    fn global_address(
        &mut self,
        builder: &mut FunctionBuilder,
        index: GlobalIndex,
    ) -> (ir::Value, ir::Type) {
        let i = index.as_u32() as usize;
        let id = self.module.globals[i];
        let gv = self.symbol(builder.func, GLOBAL_NAMESPACE, id.as_u32());
        (
            builder.ins().symbol_value(self.pointer, gv),
            self.module.global_types[i],
        )
    }

    fn table_handle(&mut self, pos: &mut FuncCursor, index: TableIndex) -> ir::Value {
        let id = self.module.tables[index.as_u32() as usize];
        let gv = self.symbol(pos.func, TABLE_NAMESPACE, id.as_u32());
        pos.ins().symbol_value(self.pointer, gv)
    }

    /// The callee for intrinsic `name` with `params` and `returns`, declared on first use.
    fn intrinsic(
        &mut self,
        func: &mut ir::Function,
        name: &'static str,
        params: &[ir::Type],
        returns: &[ir::Type],
    ) -> ir::FuncRef {
        *self.intrinsics.entry(name).or_insert_with(|| {
            let mut sig = ir::Signature::new(CallConv::Tail);
            sig.params
                .extend(params.iter().map(|&t| ir::AbiParam::new(t)));
            sig.returns
                .extend(returns.iter().map(|&t| ir::AbiParam::new(t)));
            let signature = func.import_signature(sig);
            func.import_function(ir::ExtFuncData {
                name: ir::ExternalName::testcase(name),
                signature,
                colocated: false,
            })
        })
    }

    fn call(
        &mut self,
        pos: &mut FuncCursor,
        name: &'static str,
        args: &[ir::Value],
        returns: &[ir::Type],
    ) -> Option<ir::Value> {
        let params: Vec<ir::Type> = args.iter().map(|&a| pos.func.dfg.value_type(a)).collect();
        let callee = self.intrinsic(pos.func, name, &params, returns);
        let call = pos.ins().call(callee, args);
        pos.func.dfg.inst_results(call).first().copied()
    }

    /// An i32 address or size as the pointer type (the memory intrinsics take it).
    fn widen(&self, pos: &mut FuncCursor, value: ir::Value) -> ir::Value {
        if self.pointer == ir::types::I64 {
            pos.ins().uextend(ir::types::I64, value)
        } else {
            value
        }
    }

    /// A pointer-typed page count as wasm's i32.
    fn narrow(&self, pos: &mut FuncCursor, value: ir::Value) -> ir::Value {
        if self.pointer == ir::types::I64 {
            pos.ins().ireduce(ir::types::I32, value)
        } else {
            value
        }
    }

    fn segment(pos: &mut FuncCursor, index: u32) -> ir::Value {
        pos.ins().iconst(ir::types::I32, i64::from(index))
    }
}

impl TypeConvert for FuncEnv<'_, '_> {
    fn lookup_heap_type(&self, index: cranelift_wasm::wasmparser::UnpackedIndex) -> WasmHeapType {
        self.module.lookup_heap_type(index)
    }

    fn lookup_type_index(
        &self,
        index: cranelift_wasm::wasmparser::UnpackedIndex,
    ) -> cranelift_wasm::EngineOrModuleTypeIndex {
        self.module.lookup_type_index(index)
    }
}

impl TargetEnvironment for FuncEnv<'_, '_> {
    fn target_config(&self) -> TargetFrontendConfig {
        TargetFrontendConfig {
            default_call_conv: CallConv::Tail,
            pointer_width: if self.pointer == ir::types::I64 {
                target_lexicon_012::PointerWidth::U64
            } else {
                target_lexicon_012::PointerWidth::U32
            },
            page_size_align_log2: 16,
        }
    }

    fn heap_access_spectre_mitigation(&self) -> bool {
        false
    }

    fn proof_carrying_code(&self) -> bool {
        false
    }

    fn reference_type(&self, _ty: WasmHeapType) -> (ir::Type, bool) {
        (ir::types::I32, false)
    }
}

impl FuncEnvironment for FuncEnv<'_, '_> {
    fn param_needs_stack_map(&self, _signature: &ir::Signature, _index: usize) -> bool {
        false
    }

    fn sig_ref_result_needs_stack_map(&self, _sig_ref: ir::SigRef, _index: usize) -> bool {
        false
    }

    fn func_ref_result_needs_stack_map(
        &self,
        _func: &ir::Function,
        _func_ref: ir::FuncRef,
        _index: usize,
    ) -> bool {
        false
    }

    fn make_global(
        &mut self,
        _func: &mut ir::Function,
        _index: GlobalIndex,
    ) -> WasmResult<GlobalVariable> {
        Ok(GlobalVariable::Custom)
    }

    fn heaps(&self) -> &PrimaryMap<Heap, HeapData> {
        &self.heaps
    }

    fn make_heap(&mut self, func: &mut ir::Function, index: MemoryIndex) -> WasmResult<Heap> {
        let memory = self
            .module
            .memory
            .ok_or_else(|| unsupported("a memory access without a memory"))?;
        if index.as_u32() != 0 {
            return Err(unsupported("several memories (multi-memory)"));
        }
        let base = func.create_global_value(ir::GlobalValueData::Symbol {
            name: ir::ExternalName::testcase(HEAP_BASE),
            offset: Imm64::new(0),
            colocated: false,
            tls: false,
        });
        Ok(self.heaps.push(HeapData {
            base,
            min_size: memory.minimum.saturating_mul(1 << 16),
            max_size: memory.maximum.map(|m| m.saturating_mul(1 << 16)),
            offset_guard_size: 1 << 33,
            style: HeapStyle::Static { bound: 1 << 32 },
            index_type: ir::types::I32,
            memory_type: None,
            page_size_log2: 16,
        }))
    }

    fn make_indirect_sig(
        &mut self,
        func: &mut ir::Function,
        index: TypeIndex,
    ) -> WasmResult<ir::SigRef> {
        let sig = clif_signature(&self.module.types[index.as_u32() as usize])?;
        Ok(func.import_signature(sig))
    }

    fn make_direct_func(
        &mut self,
        func: &mut ir::Function,
        index: FuncIndex,
    ) -> WasmResult<ir::FuncRef> {
        let signature = func.import_signature(self.module.signature(index)?);
        let name =
            func.declare_imported_user_function(ir::UserExternalName::new(0, index.as_u32()));
        debug_assert_eq!(func_name(index.as_u32()), format!("u0:{}", index.as_u32()));
        Ok(func.import_function(ir::ExtFuncData {
            name: ir::ExternalName::User(name),
            signature,
            colocated: true,
        }))
    }

    fn translate_call_indirect(
        &mut self,
        builder: &mut FunctionBuilder,
        table_index: TableIndex,
        _sig_index: TypeIndex,
        sig_ref: ir::SigRef,
        callee: ir::Value,
        call_args: &[ir::Value],
    ) -> WasmResult<Option<ir::Inst>> {
        if table_index.as_u32() != 0 {
            return Err(unsupported(
                "call_indirect through a table other than table 0",
            ));
        }
        Ok(Some({
            let callee = self.widen(&mut builder.cursor(), callee);
            builder.ins().call_indirect(sig_ref, callee, call_args)
        }))
    }

    fn translate_return_call_indirect(
        &mut self,
        builder: &mut FunctionBuilder,
        table_index: TableIndex,
        _sig_index: TypeIndex,
        sig_ref: ir::SigRef,
        callee: ir::Value,
        call_args: &[ir::Value],
    ) -> WasmResult<()> {
        if table_index.as_u32() != 0 {
            return Err(unsupported(
                "return_call_indirect through a table other than table 0",
            ));
        }
        let callee = self.widen(&mut builder.cursor(), callee);
        builder
            .ins()
            .return_call_indirect(sig_ref, callee, call_args);
        Ok(())
    }

    fn translate_return_call_ref(
        &mut self,
        _b: &mut FunctionBuilder,
        _s: ir::SigRef,
        _c: ir::Value,
        _a: &[ir::Value],
    ) -> WasmResult<()> {
        Err(unsupported("typed function references (return_call_ref)"))
    }

    fn translate_call_ref(
        &mut self,
        _b: &mut FunctionBuilder,
        _s: ir::SigRef,
        _c: ir::Value,
        _a: &[ir::Value],
    ) -> WasmResult<ir::Inst> {
        Err(unsupported("typed function references (call_ref)"))
    }

    fn translate_memory_grow(
        &mut self,
        mut pos: FuncCursor,
        _index: MemoryIndex,
        _heap: Heap,
        val: ir::Value,
    ) -> WasmResult<ir::Value> {
        let delta = self.widen(&mut pos, val);
        let old = self
            .call(&mut pos, "__wasm_memory_grow", &[delta], &[self.pointer])
            .expect("one result");
        Ok(self.narrow(&mut pos, old))
    }

    fn translate_memory_size(
        &mut self,
        mut pos: FuncCursor,
        _index: MemoryIndex,
        _heap: Heap,
    ) -> WasmResult<ir::Value> {
        let size = self
            .call(&mut pos, "__wasm_memory_size", &[], &[self.pointer])
            .expect("one result");
        Ok(self.narrow(&mut pos, size))
    }

    fn translate_memory_copy(
        &mut self,
        mut pos: FuncCursor,
        _src_index: MemoryIndex,
        _src_heap: Heap,
        _dst_index: MemoryIndex,
        _dst_heap: Heap,
        dst: ir::Value,
        src: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        let [dst, src, len] = [dst, src, len].map(|v| self.widen(&mut pos, v));
        self.call(&mut pos, "__wasm_memory_copy", &[dst, src, len], &[]);
        Ok(())
    }

    fn translate_memory_fill(
        &mut self,
        mut pos: FuncCursor,
        _index: MemoryIndex,
        _heap: Heap,
        dst: ir::Value,
        val: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        let (dst, len) = (self.widen(&mut pos, dst), self.widen(&mut pos, len));
        self.call(&mut pos, "__wasm_memory_fill", &[dst, val, len], &[]);
        Ok(())
    }

    fn translate_memory_init(
        &mut self,
        mut pos: FuncCursor,
        _index: MemoryIndex,
        _heap: Heap,
        seg_index: u32,
        dst: ir::Value,
        src: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        let seg = Self::segment(&mut pos, seg_index);
        let dst = self.widen(&mut pos, dst);
        self.call(&mut pos, "__wasm_memory_init", &[seg, dst, src, len], &[]);
        Ok(())
    }

    fn translate_data_drop(&mut self, mut pos: FuncCursor, seg_index: u32) -> WasmResult<()> {
        let seg = Self::segment(&mut pos, seg_index);
        self.call(&mut pos, "__wasm_data_drop", &[seg], &[]);
        Ok(())
    }

    fn translate_table_size(
        &mut self,
        mut pos: FuncCursor,
        index: TableIndex,
    ) -> WasmResult<ir::Value> {
        let table = self.table_handle(&mut pos, index);
        Ok(self
            .call(&mut pos, "__wasm_table_size", &[table], &[ir::types::I32])
            .expect("one result"))
    }

    fn translate_table_grow(
        &mut self,
        _pos: FuncCursor,
        _t: TableIndex,
        _d: ir::Value,
        _i: ir::Value,
    ) -> WasmResult<ir::Value> {
        Err(unsupported("reference types (table.grow)"))
    }

    fn translate_table_get(
        &mut self,
        _b: &mut FunctionBuilder,
        _t: TableIndex,
        _i: ir::Value,
    ) -> WasmResult<ir::Value> {
        Err(unsupported("reference types (table.get)"))
    }

    fn translate_table_set(
        &mut self,
        _b: &mut FunctionBuilder,
        _t: TableIndex,
        _v: ir::Value,
        _i: ir::Value,
    ) -> WasmResult<()> {
        Err(unsupported("reference types (table.set)"))
    }

    fn translate_table_copy(
        &mut self,
        mut pos: FuncCursor,
        dst_table_index: TableIndex,
        src_table_index: TableIndex,
        dst: ir::Value,
        src: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        let d = self.table_handle(&mut pos, dst_table_index);
        let s = self.table_handle(&mut pos, src_table_index);
        self.call(&mut pos, "__wasm_table_copy", &[d, s, dst, src, len], &[]);
        Ok(())
    }

    fn translate_table_fill(
        &mut self,
        _pos: FuncCursor,
        _t: TableIndex,
        _d: ir::Value,
        _v: ir::Value,
        _l: ir::Value,
    ) -> WasmResult<()> {
        Err(unsupported("reference types (table.fill)"))
    }

    fn translate_table_init(
        &mut self,
        mut pos: FuncCursor,
        seg_index: u32,
        table_index: TableIndex,
        dst: ir::Value,
        src: ir::Value,
        len: ir::Value,
    ) -> WasmResult<()> {
        let table = self.table_handle(&mut pos, table_index);
        let seg = Self::segment(&mut pos, seg_index);
        self.call(
            &mut pos,
            "__wasm_table_init",
            &[table, seg, dst, src, len],
            &[],
        );
        Ok(())
    }

    fn translate_elem_drop(&mut self, mut pos: FuncCursor, seg_index: u32) -> WasmResult<()> {
        let seg = Self::segment(&mut pos, seg_index);
        self.call(&mut pos, "__wasm_elem_drop", &[seg], &[]);
        Ok(())
    }

    fn translate_ref_null(&mut self, _pos: FuncCursor, _ty: WasmHeapType) -> WasmResult<ir::Value> {
        Err(unsupported("reference types (ref.null)"))
    }

    fn translate_ref_is_null(
        &mut self,
        _pos: FuncCursor,
        _value: ir::Value,
    ) -> WasmResult<ir::Value> {
        Err(unsupported("reference types (ref.is_null)"))
    }

    fn translate_ref_func(
        &mut self,
        _pos: FuncCursor,
        _func_index: FuncIndex,
    ) -> WasmResult<ir::Value> {
        Err(unsupported("reference types (ref.func)"))
    }

    fn translate_custom_global_get(
        &mut self,
        builder: &mut FunctionBuilder,
        index: GlobalIndex,
    ) -> WasmResult<ir::Value> {
        let (addr, ty) = self.global_address(builder, index);
        if ty.is_vector() || ty == ir::types::INVALID {
            return Err(unsupported("a v128 or reference global"));
        }
        Ok(builder.ins().load(ty, MemFlags::trusted(), addr, 0))
    }

    fn translate_custom_global_set(
        &mut self,
        builder: &mut FunctionBuilder,
        index: GlobalIndex,
        val: ir::Value,
    ) -> WasmResult<()> {
        let (addr, ty) = self.global_address(builder, index);
        if ty.is_vector() || ty == ir::types::INVALID {
            return Err(unsupported("a v128 or reference global"));
        }
        builder.ins().store(MemFlags::trusted(), val, addr, 0);
        Ok(())
    }

    fn translate_atomic_wait(
        &mut self,
        _pos: FuncCursor,
        _i: MemoryIndex,
        _h: Heap,
        _a: ir::Value,
        _e: ir::Value,
        _t: ir::Value,
    ) -> WasmResult<ir::Value> {
        Err(unsupported("threads (memory.atomic.wait)"))
    }

    fn translate_atomic_notify(
        &mut self,
        _pos: FuncCursor,
        _i: MemoryIndex,
        _h: Heap,
        _a: ir::Value,
        _c: ir::Value,
    ) -> WasmResult<ir::Value> {
        Err(unsupported("threads (memory.atomic.notify)"))
    }

    fn translate_ref_i31(&mut self, _pos: FuncCursor, _val: ir::Value) -> WasmResult<ir::Value> {
        Err(unsupported("GC (ref.i31)"))
    }

    fn translate_i31_get_s(&mut self, _pos: FuncCursor, _v: ir::Value) -> WasmResult<ir::Value> {
        Err(unsupported("GC (i31.get_s)"))
    }

    fn translate_i31_get_u(&mut self, _pos: FuncCursor, _v: ir::Value) -> WasmResult<ir::Value> {
        Err(unsupported("GC (i31.get_u)"))
    }
}
