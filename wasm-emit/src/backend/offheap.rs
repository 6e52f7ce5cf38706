//! The off-heap declarations of a [`WasmModule`], next to the `Module` trait's: wasm
//! globals, tables, and the reference types of declared signatures.

use super::error::backend;
use super::module::WasmModule;
use cranelift_codegen::ir;
use cranelift_module::{FuncId, ModuleResult};
use cranelift_offheap::{GlobalDecl, GlobalId, ModuleDecls, SigRefs, TableDecl, TableId, WasmType};

impl WasmModule {
    /// Declare a wasm global (an off-heap definition: not in linear memory, possibly
    /// reference-typed).
    pub fn declare_wasm_global(&mut self, decl: GlobalDecl) -> ModuleResult<GlobalId> {
        self.offheap.declare_global(decl).map_err(backend)
    }

    /// Declare a wasm table of references.
    pub fn declare_wasm_table(&mut self, decl: TableDecl) -> ModuleResult<TableId> {
        self.offheap.declare_table(decl).map_err(backend)
    }

    /// A global value of `func` that stands for wasm global `id` (use it with
    /// `symbol_value`, then `load`/`store`).
    pub fn declare_wasm_global_in_func(
        &self,
        id: GlobalId,
        func: &mut ir::Function,
    ) -> ir::GlobalValue {
        self.offheap.reference_global(func, id)
    }

    /// A global value of `func` that stands for table `id` (for the table intrinsics).
    pub fn declare_wasm_table_in_func(
        &self,
        id: TableId,
        func: &mut ir::Function,
    ) -> ir::GlobalValue {
        self.offheap.reference_table(func, id)
    }

    /// Mark the entries of function `id`'s declared signature that are references
    /// (`externref`/`funcref`; their CLIF type is `i32`). Applies to its definition and to
    /// every call of it.
    pub fn set_signature_refs(
        &mut self,
        id: FuncId,
        params: &[WasmType],
        returns: &[WasmType],
    ) -> ModuleResult<()> {
        let decl = self.function_decl(id)?;
        let name = decl.linkage_name(id).into_owned();
        let sig = &decl.signature;
        if params.len() != sig.params.len() || returns.len() != sig.returns.len() {
            return Err(backend(format!(
                "function `{name}` has {} parameters and {} results, not {} and {}",
                sig.params.len(),
                sig.returns.len(),
                params.len(),
                returns.len()
            )));
        }
        let entries = sig
            .params
            .iter()
            .zip(params)
            .chain(sig.returns.iter().zip(returns));
        for (param, ty) in entries {
            if ty.ref_type().is_some() && param.value_type != ir::types::I32 {
                return Err(backend(format!(
                    "function `{name}`: a {ty} travels in an i32, not {}",
                    param.value_type
                )));
            }
        }
        let index = id.as_u32() as usize;
        if self.sig_refs.len() <= index {
            self.sig_refs.resize(index + 1, None);
        }
        self.sig_refs[index] = Some(SigRefs::of(params, returns));
        Ok(())
    }

    /// The off-heap declarations so far.
    pub fn offheap_decls(&self) -> &ModuleDecls {
        &self.offheap
    }
}
