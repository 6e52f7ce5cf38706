//! [`WasmModule`]: declarations and definitions through `cranelift_module::Module`, plus
//! the off-heap declarations (wasm globals, tables, reference-typed signatures).

use super::builder::WasmBuilder;
use super::data::{DataObject, Known};
use super::error::{backend, lowering};
use super::product::WasmProduct;
use crate::Target;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{self, ExternalName, UserFuncName};
use cranelift_codegen::isa::{OwnedTargetIsa, TargetIsa};
use cranelift_codegen::Context;
use cranelift_module::{
    DataDescription, DataId, FuncId, Linkage, Module, ModuleDeclarations, ModuleError, ModuleReloc,
    ModuleResult,
};
use cranelift_offheap::{FuncRefs, ModuleDecls, SigRefs};
use std::collections::HashMap;

/// A wasm module built through `cranelift_module::Module`. See the [module docs](super).
pub struct WasmModule {
    pub(super) isa: OwnedTargetIsa,
    pub(super) builder: WasmBuilder,
    pub(super) declarations: ModuleDeclarations,
    /// Defined functions, by id, renamed `u0:N`.
    pub(super) functions: Vec<Option<ir::Function>>,
    /// Defined data, by id.
    pub(super) data: Vec<Option<DataObject>>,
    /// Declared data ids (`u1:N`), for the feature gate of `define_function`.
    data_keys: HashMap<String, u64>,
    /// Reference types of declared signatures, by function id.
    pub(super) sig_refs: Vec<Option<SigRefs>>,
    pub(super) offheap: ModuleDecls,
}

/// Bytes in a wasm page.
pub(super) const PAGE: u64 = 1 << 16;

/// The most pages a memory of `target` can have: 4 GiB on wasm32, 2^48 pages on wasm64.
pub(super) fn max_pages(target: &Target) -> u64 {
    if target.memory64 {
        1 << 48
    } else {
        1 << 16
    }
}

/// The CLIF name of function `id` in every function of the module.
pub(super) fn func_key(id: FuncId) -> String {
    format!("u0:{}", id.as_u32())
}

/// The CLIF name of data object `id`.
pub(super) fn data_key(id: DataId) -> String {
    format!("u1:{}", id.as_u32())
}

impl WasmModule {
    /// A module with the options of `builder`.
    pub fn new(builder: WasmBuilder) -> WasmModule {
        WasmModule {
            isa: builder.isa.clone(),
            builder,
            declarations: ModuleDeclarations::default(),
            functions: Vec::new(),
            data: Vec::new(),
            data_keys: HashMap::new(),
            sig_refs: Vec::new(),
            offheap: ModuleDecls::new(),
        }
    }

    /// The wasm target (`isa().triple()` names Pulley; see the module docs).
    pub fn target(&self) -> &Target {
        &self.builder.target
    }

    /// Finish the module: lay out data and the function table. Errors left (an undefined
    /// function, data that does not fit) are reported by [`WasmProduct::emit`].
    pub fn finish(self) -> WasmProduct {
        WasmProduct::new(self)
    }

    pub(super) fn function_decl(
        &self,
        id: FuncId,
    ) -> ModuleResult<&cranelift_module::FunctionDeclaration> {
        // `ModuleDeclarations` panics on ids it does not know: check first.
        if !self.is_func(id.as_u32()) {
            return Err(ModuleError::Undeclared(func_key(id)));
        }
        Ok(self.declarations.get_function_decl(id))
    }

    pub(super) fn is_func(&self, index: u32) -> bool {
        (index as usize) < self.functions.len()
    }

    pub(super) fn is_data(&self, index: u32) -> bool {
        (index as usize) < self.data.len()
    }

    fn sig_refs(&self, index: u32) -> Option<&SigRefs> {
        self.sig_refs.get(index as usize).and_then(Option::as_ref)
    }

    /// The reference types set for function `id`'s signature.
    pub(super) fn signature_refs(&self, id: FuncId) -> Option<&SigRefs> {
        self.sig_refs(id.as_u32())
    }

    /// The reference types of function `id`'s signature and of its callees', from
    /// `set_signature_refs`.
    pub(super) fn func_refs(&self, func: &ir::Function, id: FuncId) -> FuncRefs {
        let mut refs = FuncRefs::default();
        if let Some(own) = self.sig_refs(id.as_u32()) {
            refs.signature = own.clone();
        }
        if self.sig_refs.iter().all(Option::is_none) {
            return refs;
        }
        for (_, ext) in func.dfg.ext_funcs.iter() {
            let ExternalName::User(r) = ext.name else {
                continue;
            };
            let callee = func.params.user_named_funcs().get(r);
            if let Some(sig_refs) = callee
                .filter(|u| u.namespace == 0)
                .and_then(|u| self.sig_refs(u.index))
            {
                refs.sigs.insert(ext.signature, sig_refs.clone());
            }
        }
        refs
    }

    /// Check that the names `func` uses are declared, and that what it calls matches the
    /// declared signatures.
    fn check_names(&self, func: &ir::Function, name: &str) -> ModuleResult<()> {
        for (_, ext) in func.dfg.ext_funcs.iter() {
            let ExternalName::User(r) = ext.name else {
                continue;
            };
            let Some(user) = func.params.user_named_funcs().get(r) else {
                return Err(ModuleError::Undeclared(format!("{r} in `{name}`")));
            };
            if user.namespace != 0 || !self.is_func(user.index) {
                return Err(ModuleError::Undeclared(format!(
                    "function {user} called or referenced in `{name}`"
                )));
            }
            let callee = FuncId::from_u32(user.index);
            let decl = self.function_decl(callee)?;
            let used = &func.dfg.signatures[ext.signature];
            if !same_types(used, &decl.signature) {
                return Err(ModuleError::IncompatibleSignature(
                    decl.linkage_name(callee).into_owned(),
                    decl.signature.clone(),
                    used.clone(),
                ));
            }
        }
        for (_, gv) in func.global_values.iter() {
            let ir::GlobalValueData::Symbol {
                name: ExternalName::User(r),
                ..
            } = gv
            else {
                continue;
            };
            let Some(user) = func.params.user_named_funcs().get(*r) else {
                return Err(ModuleError::Undeclared(format!("{r} in `{name}`")));
            };
            match user.namespace {
                1 if self.is_data(user.index) => {}
                0 if self.is_func(user.index) => {
                    return Err(backend(format!(
                        "`{name}` takes the symbol_value of function {user}: a function pointer is a table slot (hint: use func_addr)"
                    )))
                }
                cranelift_offheap::decls::GLOBAL_NAMESPACE
                | cranelift_offheap::decls::TABLE_NAMESPACE => {}
                _ => {
                    return Err(ModuleError::Undeclared(format!(
                        "symbol {user} used in `{name}`"
                    )))
                }
            }
        }
        Ok(())
    }

    fn check_definable(&self, id: FuncId) -> ModuleResult<String> {
        let decl = self.function_decl(id)?;
        let name = decl.linkage_name(id).into_owned();
        if !decl.linkage.is_definable() {
            return Err(ModuleError::InvalidImportDefinition(name));
        }
        if self.functions[id.as_u32() as usize].is_some() {
            return Err(ModuleError::DuplicateDefinition(name));
        }
        Ok(name)
    }

    fn note_function(&mut self, id: FuncId) -> FuncId {
        let index = id.as_u32() as usize;
        if self.functions.len() <= index {
            self.functions.resize(index + 1, None);
        }
        id
    }

    fn note_data(&mut self, id: DataId) -> DataId {
        let index = id.as_u32() as usize;
        if self.data.len() <= index {
            self.data.resize(index + 1, None);
            self.data_keys.insert(data_key(id), 0);
        }
        id
    }

    /// The lowering options the builder asked for.
    pub(super) fn options(&self) -> crate::Options {
        let b = &self.builder;
        crate::Options {
            target: b.target.clone(),
            verify: b.verify,
            validate: b.validate,
            stack_size: b.stack_size,
            export_functions: false,
            import_module: b.import_module.clone(),
            allowed_features: b.features,
            opt_level: b.opt_level,
            local_names: b.local_names,
        }
    }
}

/// Whether two signatures have the same parameter and result types (wasm has no calling
/// conventions, so those may differ).
fn same_types(a: &ir::Signature, b: &ir::Signature) -> bool {
    let types = |s: &[ir::AbiParam]| s.iter().map(|p| p.value_type).collect::<Vec<_>>();
    types(&a.params) == types(&b.params) && types(&a.returns) == types(&b.returns)
}

fn tls_error(name: &str) -> ModuleError {
    backend(format!(
        "thread-local data `{name}`: wasm-emit targets wasm without threads (hint: declare it with tls = false)"
    ))
}

impl Module for WasmModule {
    fn isa(&self) -> &dyn TargetIsa {
        &*self.isa
    }

    fn declarations(&self) -> &ModuleDeclarations {
        &self.declarations
    }

    fn declare_function(
        &mut self,
        name: &str,
        linkage: Linkage,
        signature: &ir::Signature,
    ) -> ModuleResult<FuncId> {
        let (id, _) = self
            .declarations
            .declare_function(name, linkage, signature)?;
        Ok(self.note_function(id))
    }

    fn declare_anonymous_function(&mut self, signature: &ir::Signature) -> ModuleResult<FuncId> {
        let id = self.declarations.declare_anonymous_function(signature)?;
        Ok(self.note_function(id))
    }

    fn declare_data(
        &mut self,
        name: &str,
        linkage: Linkage,
        writable: bool,
        tls: bool,
    ) -> ModuleResult<DataId> {
        if tls {
            return Err(tls_error(name));
        }
        let (id, _) = self
            .declarations
            .declare_data(name, linkage, writable, false)?;
        Ok(self.note_data(id))
    }

    fn declare_anonymous_data(&mut self, writable: bool, tls: bool) -> ModuleResult<DataId> {
        if tls {
            return Err(tls_error("(anonymous)"));
        }
        let id = self.declarations.declare_anonymous_data(writable, false)?;
        Ok(self.note_data(id))
    }

    fn declare_func_in_func(&mut self, func_id: FuncId, func: &mut ir::Function) -> ir::FuncRef {
        // As the provided method, except that an id of another module does not panic:
        // it gets an empty signature, and defining `func` reports it as undeclared.
        let signature = match self.function_decl(func_id) {
            Ok(decl) => decl.signature.clone(),
            Err(_) => ir::Signature::new(self.isa.default_call_conv()),
        };
        let colocated = self
            .function_decl(func_id)
            .is_ok_and(|d| d.linkage.is_final());
        let signature = func.import_signature(signature);
        let name = func.declare_imported_user_function(ir::UserExternalName {
            namespace: 0,
            index: func_id.as_u32(),
        });
        func.import_function(ir::ExtFuncData {
            name: ExternalName::user(name),
            signature,
            colocated,
            patchable: false,
        })
    }

    fn declare_data_in_func(&self, data: DataId, func: &mut ir::Function) -> ir::GlobalValue {
        // As the provided method, without the panic on a foreign id (see above).
        let colocated =
            self.is_data(data.as_u32()) && self.declarations.get_data_decl(data).linkage.is_final();
        let name = func.declare_imported_user_function(ir::UserExternalName {
            namespace: 1,
            index: data.as_u32(),
        });
        func.create_global_value(ir::GlobalValueData::Symbol {
            name: ExternalName::user(name),
            offset: ir::immediates::Imm64::new(0),
            colocated,
            tls: false,
        })
    }

    fn define_function_with_control_plane(
        &mut self,
        func_id: FuncId,
        ctx: &mut Context,
        _ctrl_plane: &mut ControlPlane,
    ) -> ModuleResult<()> {
        let name = self.check_definable(func_id)?;
        let decl = self.function_decl(func_id)?;
        if !same_types(&decl.signature, &ctx.func.signature) {
            return Err(ModuleError::IncompatibleSignature(
                name,
                decl.signature.clone(),
                ctx.func.signature.clone(),
            ));
        }
        let mut func = ctx.func.clone();
        func.name = UserFuncName::user(0, func_id.as_u32());
        self.check_names(&func, &name)?;
        // Check with the reference types known now; `finish` records them again from the
        // final `set_signature_refs`, so a later change or a failed attempt leaves nothing
        // stale.
        let key = func_key(func_id);
        let refs = self.func_refs(&func, func_id);
        let mut decls;
        let offheap = if refs.has_refs() {
            decls = self.offheap.clone();
            decls.set_func_refs(&key, refs);
            &decls
        } else {
            &self.offheap
        };
        let names = HashMap::from([(key, name)]);
        crate::check_placed(&func, offheap, &self.options(), &self.data_keys)
            .map_err(|e| lowering(e, &names))?;
        self.functions[func_id.as_u32() as usize] = Some(func);
        Ok(())
    }

    fn define_function_bytes(
        &mut self,
        func_id: FuncId,
        _alignment: u64,
        _bytes: &[u8],
        _relocs: &[ModuleReloc],
    ) -> ModuleResult<()> {
        let name = self.check_definable(func_id)?;
        Err(backend(format!(
            "define_function_bytes(`{name}`): machine code cannot go into a wasm module (hint: define the function from IR with define_function)"
        )))
    }

    fn define_data(&mut self, data_id: DataId, data: &DataDescription) -> ModuleResult<()> {
        let index = data_id.as_u32() as usize;
        if !self.is_data(data_id.as_u32()) {
            return Err(ModuleError::Undeclared(data_key(data_id)));
        }
        let decl = self.declarations.get_data_decl(data_id);
        let name = decl.linkage_name(data_id).into_owned();
        if !decl.linkage.is_definable() {
            return Err(ModuleError::InvalidImportDefinition(name));
        }
        if self.data[index].is_some() {
            return Err(ModuleError::DuplicateDefinition(name));
        }
        let known = Known {
            func: &|i| self.is_func(i),
            data: &|i| self.is_data(i),
        };
        let target = &self.builder.target;
        let limits = (
            u64::from(target.pointer_type().bytes()),
            max_pages(target).saturating_mul(PAGE),
        );
        let object = DataObject::new(&name, data, decl.writable, limits, &known)?;
        self.data[index] = Some(object);
        Ok(())
    }
}
