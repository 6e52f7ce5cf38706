//! Calls, returns and traps: direct calls by name, `func_addr` as an index into the one
//! function table, `call_indirect` through it, multi-value returns, `return_call*` as wasm
//! tail calls, and CLIF traps as `unreachable`.

use crate::error::{Error, ErrorKind, Feature, Result};
use crate::func::FuncLower;
use crate::module::env::{Callee, WasmSig};
use crate::runtime::Helper;
use crate::types::is_narrow;
use cranelift_codegen::ir::{self, types, ExternalName, InstructionData, Opcode};
use cranelift_offheap::intrinsics::{callee_kind, CalleeKind};
use wasm_encoder::BlockType;

impl FuncLower<'_> {
    pub(super) fn call_inst(&mut self, inst: ir::Inst, op: Opcode) -> Result<bool> {
        let dfg = &self.func.dfg;
        match (op, &dfg.insts[inst]) {
            (Opcode::Call | Opcode::ReturnCall, InstructionData::Call { func_ref, .. })
                if matches!(callee_kind(self.func, *func_ref), CalleeKind::Intrinsic(_)) =>
            {
                let CalleeKind::Intrinsic(intrinsic) = callee_kind(self.func, *func_ref) else {
                    unreachable!()
                };
                if op == Opcode::ReturnCall {
                    return Err(self
                        .error(
                            inst,
                            ErrorKind::Unsupported(Feature::Other("tail-calling an intrinsic")),
                            "an intrinsic cannot be tail-called",
                        )
                        .with_hint("call it, then return its result"));
                }
                self.intrinsic(inst, intrinsic)?;
            }
            (Opcode::Call, InstructionData::Call { func_ref, .. })
                if self.is_memory_libcall(*func_ref) =>
            {
                // `memcpy`/`memmove`/`memset` (what cranelift-frontend's `call_memcpy` and
                // friends emit) are `memory.copy`/`memory.fill`, which return nothing:
                // the libcall's result, the destination, is its first argument.
                let libcall = memory_libcall(&dfg.ext_funcs[*func_ref].name);
                self.env.uses_memory = true;
                for &arg in self.args_of(inst) {
                    self.get_resolved(arg);
                }
                if libcall == Some(ir::LibCall::Memset) {
                    self.sink().memory_fill(0);
                } else {
                    self.sink().memory_copy(0, 0);
                }
                if !dfg.inst_results(inst).is_empty() {
                    self.get(self.arg(inst, 0));
                    self.pop_results(inst);
                }
            }
            (Opcode::Call | Opcode::ReturnCall, InstructionData::Call { func_ref, .. }) => {
                let func_ref = *func_ref;
                let index = self.callee_index(inst, func_ref)?;
                let sig_ref = dfg.ext_funcs[func_ref].signature;
                // Signatures are interned: equal types, equal indices.
                let type_index = self.sig_type(sig_ref);
                if type_index != self.env.func_type(index) {
                    return Err(self
                        .error(
                            inst,
                            ErrorKind::Invalid,
                            "the call's signature does not match the callee's definition",
                        )
                        .with_hint("declare the callee with the signature it is defined with"));
                }
                for &arg in self.args_of(inst) {
                    self.get_resolved(arg);
                }
                if op == Opcode::ReturnCall {
                    self.check_tail_results(inst, type_index)?;
                    self.epilogue();
                    self.env.uses_tail_calls = true;
                    self.sink().return_call(index);
                } else {
                    self.sink().call(index);
                    self.pop_results(inst);
                }
            }
            (
                Opcode::CallIndirect | Opcode::ReturnCallIndirect,
                InstructionData::CallIndirect { sig_ref, .. },
            ) => {
                let type_index = self.sig_type(*sig_ref);
                let Some((&callee, args)) = self.args_of(inst).split_first() else {
                    return Err(self.error(
                        inst,
                        ErrorKind::Invalid,
                        "call_indirect without a callee operand",
                    ));
                };
                for &arg in args {
                    self.get_resolved(arg);
                }
                self.get_resolved(callee);
                if self.ty(callee) == types::I64 {
                    // Table slots are small; an address that does not fit cannot be valid.
                    self.sink().i32_wrap_i64();
                }
                self.env.uses_table = true;
                let table = self.env.function_table();
                if table != 0 {
                    self.env.uses_reference_types = true;
                }
                if op == Opcode::ReturnCallIndirect {
                    self.check_tail_results(inst, type_index)?;
                    self.epilogue();
                    self.env.uses_tail_calls = true;
                    self.sink().return_call_indirect(table, type_index);
                } else {
                    self.sink().call_indirect(table, type_index);
                    self.pop_results(inst);
                }
            }
            (Opcode::FuncAddr, InstructionData::FuncAddr { func_ref, .. }) => {
                let ty = dfg.ctrl_typevar(inst);
                let index = self.callee_index(inst, *func_ref)?;
                let Some(slot) = self.env.table_slot(index) else {
                    return Err(self
                        .error(
                            inst,
                            ErrorKind::Invalid,
                            "the function is in no active elem segment of the declared function table",
                        )
                        .with_hint("add the function to an elem segment of the layout's function table"));
                };
                self.env.uses_table = true;
                self.int_const(ty == types::I64, i64::from(slot));
                self.set(self.result(inst, 0));
            }
            (Opcode::Return, _) => {
                // Results first: they may read the stack pointer the epilogue restores.
                for &arg in self.args_of(inst) {
                    self.get_resolved(arg);
                }
                self.epilogue();
                self.sink().return_();
            }
            (Opcode::Trap, _) => {
                self.sink().unreachable();
            }
            (Opcode::Trapz | Opcode::Trapnz, _) => {
                self.get_condition(self.arg(inst, 0));
                if op == Opcode::Trapz {
                    self.sink().i32_eqz();
                }
                self.sink().if_(BlockType::Empty).unreachable().end();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Pop a call's results into their locals; narrow results are re-masked, since the
    /// callee may be outside the module.
    fn pop_results(&mut self, inst: ir::Inst) {
        let results = self.results_of(inst);
        for &r in results.iter().rev() {
            self.set(r);
        }
        for &r in results {
            if is_narrow(self.ty(r)) {
                self.get(r);
                self.mask(self.ty(r));
                self.set(r);
            }
        }
    }

    /// Whether `func_ref` is `memcpy`/`memmove`/`memset` with the signature
    /// cranelift-frontend gives it for this target: pointers of the target's width, an
    /// `i32` fill byte, and the destination as the optional result.
    fn is_memory_libcall(&self, func_ref: ir::FuncRef) -> bool {
        let ext = &self.func.dfg.ext_funcs[func_ref];
        let Some(libcall) = memory_libcall(&ext.name) else {
            return false;
        };
        let ptr = self.env.target.pointer_type();
        let sig = &self.func.dfg.signatures[ext.signature];
        let params: Vec<_> = sig.params.iter().map(|p| p.value_type).collect();
        let second = if libcall == ir::LibCall::Memset {
            types::I32
        } else {
            ptr
        };
        params == [ptr, second, ptr]
            && (sig.returns.is_empty()
                || (sig.returns.len() == 1 && sig.returns[0].value_type == ptr))
    }

    /// The wasm type index of signature `sig_ref`, interned at its first call in the
    /// function: building the wasm signature allocates, and a call site per instruction is
    /// common (Go code calls at every other block).
    fn sig_type(&mut self, sig_ref: ir::SigRef) -> u32 {
        if let Some(&index) = self.sig_types.get(sig_ref) {
            if index != u32::MAX {
                return index;
            }
        }
        let sig = &self.func.dfg.signatures[sig_ref];
        // Interned through the environment's scratch signature: no allocation for a
        // type the module has already.
        let index = self.env.type_index_of(sig, self.analysis.sig_refs(sig_ref));
        self.sig_types[sig_ref] = index;
        index
    }

    /// A tail call, to a callee of type `callee`, must return exactly what the caller
    /// returns.
    fn check_tail_results(&self, inst: ir::Inst, callee: u32) -> Result<()> {
        let ours = WasmSig::of(&self.func.signature, &self.analysis.func_refs.signature).results;
        if self.env.type_list[callee as usize].results == ours {
            return Ok(());
        }
        Err(self
            .error(
                inst,
                ErrorKind::Invalid,
                "a tail call's callee must return the same types as the caller",
            )
            .with_hint("use a plain call followed by return"))
    }

    /// The wasm function index a `FuncRef` of this function resolves to.
    pub fn callee_index(&mut self, inst: ir::Inst, func_ref: ir::FuncRef) -> Result<u32> {
        // Resolving prints the callee's name: do it once per `FuncRef`.
        if let Some(&index) = self.callees.get(func_ref) {
            if index != u32::MAX {
                return Ok(index);
            }
        }
        // User and test-case names are looked up without printing them.
        let name = &self.func.dfg.ext_funcs[func_ref].name;
        if let Some(index) = self.env.lookup_external(self.func, name) {
            self.callees[func_ref] = index;
            return Ok(index);
        }
        let pointer = self.env.target.pointer_type();
        let callee = resolve_callee(self.func, func_ref, pointer, |key| self.env.lookup(key))
            .map_err(|message| self.callee_error(inst, message))?;
        let index = self.env.callee(callee);
        self.callees[func_ref] = index;
        Ok(index)
    }

    fn callee_error(&self, inst: ir::Inst, (feature, message): (Option<Feature>, String)) -> Error {
        let kind = match feature {
            Some(f) => ErrorKind::Unsupported(f),
            None => ErrorKind::Invalid,
        };
        self.error(inst, kind, message)
            .with_hint("define the callee in the same module, or let it be imported")
    }
}

/// The callees `func` really declares. The CLIF reader fills gaps in `fnN` numbering with
/// placeholder entries whose signature is invalid; those are skipped.
pub fn declared_callees(
    func: &ir::Function,
) -> impl Iterator<Item = (ir::FuncRef, &ir::ExtFuncData)> + '_ {
    func.dfg
        .ext_funcs
        .iter()
        .filter(|(_, ext)| func.dfg.signatures.is_valid(ext.signature))
}

/// The name under which a callee is looked up: `%name` or `uN:M`.
pub fn callee_key(func: &ir::Function, func_ref: ir::FuncRef) -> String {
    let name = &func.dfg.ext_funcs[func_ref].name;
    if let ExternalName::User(r) = name {
        if !func.params.user_named_funcs().is_valid(*r) {
            return format!("<undeclared user name {r}>");
        }
    }
    name.display(Some(&func.params)).to_string()
}

/// The memory libcall a callee name is, if `memory.copy`/`memory.fill` implement it.
fn memory_libcall(name: &ExternalName) -> Option<ir::LibCall> {
    match name {
        ExternalName::LibCall(
            lc @ (ir::LibCall::Memcpy | ir::LibCall::Memmove | ir::LibCall::Memset),
        ) => Some(*lc),
        _ => None,
    }
}

/// Resolve a callee to a module function (via `lookup`) or a runtime helper.
/// `pointer` is the target's pointer type (for `memcmp`).
pub fn resolve_callee(
    func: &ir::Function,
    func_ref: ir::FuncRef,
    pointer: ir::Type,
    lookup: impl Fn(&str) -> Option<u32>,
) -> Result<Callee, (Option<Feature>, String)> {
    let ext = &func.dfg.ext_funcs[func_ref];
    if ext.name == ExternalName::LibCall(ir::LibCall::Memcmp) {
        let sig = &func.dfg.signatures[ext.signature];
        let params: Vec<_> = sig.params.iter().map(|p| p.value_type).collect();
        let returns: Vec<_> = sig.returns.iter().map(|p| p.value_type).collect();
        if params == [pointer; 3] && returns == [types::I32] {
            return Ok(Callee::Helper(Helper::Memcmp(pointer == types::I64)));
        }
        return Err((
            Some(Feature::Other("libcall")),
            "`Memcmp` is lowered only with pointers of the target's width and an i32 result, as cranelift-frontend's call_memcmp declares it".to_string(),
        ));
    }
    match &ext.name {
        ExternalName::LibCall(libcall) => match Helper::for_libcall(*libcall) {
            Some(helper) => Ok(Callee::Helper(helper)),
            None if memory_libcall(&func.dfg.ext_funcs[func_ref].name).is_some() => Err((
                Some(Feature::Other("libcall")),
                format!(
                    "`{libcall}` becomes memory.copy/memory.fill only when called (not tail-called) with pointers of the target's width, as cranelift-frontend's call_memcpy/call_memset declare it"
                ),
            )),
            None => Err((
                Some(Feature::Other("libcall")),
                format!("libcall `{libcall}` is not provided by the wasm backend"),
            )),
        },
        ExternalName::KnownSymbol(symbol) => Err((
            Some(Feature::Other("known symbol")),
            format!("known symbol `{symbol}` has no meaning in wasm"),
        )),
        _ => {
            let key = callee_key(func, func_ref);
            lookup(&key)
                .map(Callee::Func)
                .ok_or_else(|| (None, format!("callee `{key}` is not defined or imported")))
        }
    }
}
