//! The off-heap verifier: rejects every way to make a pointer to an off-heap place, and
//! every way to turn a reference into data or data into a reference.
//!
//! A place address (see `analysis`) may only be the address operand of a plain `load` or
//! `store` of exactly the place's type at offset 0 (or, for a table, the table operand of a
//! table intrinsic). A reference may only be stored into a place of its reference type,
//! passed or returned where the signature says that reference type, passed to a block
//! parameter that only receives references of its type, or selected against another
//! reference of its type. Every other use is an error naming its [`Rule`].
//!
//! This file walks the instructions, skips those no rule concerns, and hands each operand
//! to the rules of its role: `memory` (loads and stores), `uses` (calls, returns, selects,
//! block arguments, and operands with no specific role), `intrinsic` (table and reference
//! intrinsics); `declarations` checks slots, symbols and signatures first.

mod declarations;
mod intrinsic;
mod memory;
mod uses;

use crate::analysis::{Analysis, Place};
use crate::decls::ModuleDecls;
use crate::intrinsics::{callee_kind, CalleeKind};
use crate::rules::Rule;
use crate::types::RefType;
use cranelift_codegen::ir::{self, InstructionData, Opcode, Value};
use cranelift_entity::EntityRef;
use std::fmt;
use uses::Flow;

/// One violation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    /// The function, as `%name`.
    pub function: String,
    /// The offending instruction, if the violation is at one.
    pub inst: Option<ir::Inst>,
    /// The offending instruction as CLIF.
    pub inst_text: Option<String>,
    /// The rule broken.
    pub rule: Rule,
    /// What exactly is wrong.
    pub message: String,
}

impl VerifyError {
    /// How to fix it.
    pub fn hint(&self) -> &'static str {
        self.rule.hint()
    }
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "in function {}", self.function)?;
        if let Some(inst) = &self.inst_text {
            write!(f, ", at `{inst}`")?;
        }
        write!(
            f,
            ": {} [{}] (hint: {})",
            self.message,
            self.rule,
            self.hint()
        )
    }
}

impl std::error::Error for VerifyError {}

/// Verify `func` against `decls`; all violations are returned.
pub fn verify(func: &ir::Function, decls: &ModuleDecls) -> Result<(), Vec<VerifyError>> {
    verify_with(func, decls, &Analysis::compute(func, decls))
}

/// [`verify`] with the analysis of `func` already computed.
pub fn verify_with(
    func: &ir::Function,
    decls: &ModuleDecls,
    analysis: &Analysis,
) -> Result<(), Vec<VerifyError>> {
    let mut v = Verifier::new(func, decls, analysis);
    if v.walks() {
        let dfg = &func.dfg;
        let mut operands = Vec::new();
        for block in func.layout.blocks() {
            for inst in func.layout.block_insts(block) {
                operands.clear();
                operands.extend(dfg.inst_args(inst).iter().map(|&a| dfg.resolve_aliases(a)));
                for call in
                    dfg.insts[inst].branch_destination(&dfg.jump_tables, &dfg.exception_tables)
                {
                    operands.extend(
                        call.args(&dfg.value_lists)
                            .filter_map(|a| a.as_value())
                            .map(|a| dfg.resolve_aliases(a)),
                    );
                }
                v.check(inst, dfg.insts[inst].opcode(), &operands);
            }
        }
    }
    v.finish()
}

/// [`verify_with`] over instructions the caller walks already, with their operands
/// resolved: `insts` yields every instruction of `func` in layout order with its opcode
/// and its arguments, then its block-call arguments, aliases resolved. A lowering pass
/// that has them at hand saves the verifier a walk of its own and a resolution per
/// operand. Where `analysis` finds no references (see [`Analysis::has_refs`]), `insts`
/// may yield only the instructions whose opcode [`checked_without_places`] names and those
/// that read a place address (a result of `stack_addr` or `symbol_value` that
/// [`Analysis::place`] names): no rule concerns the others.
pub fn verify_resolved<'v>(
    func: &ir::Function,
    decls: &ModuleDecls,
    analysis: &Analysis,
    insts: impl Iterator<Item = (ir::Inst, Opcode, &'v [Value])>,
) -> Result<(), Vec<VerifyError>> {
    let mut v = Verifier::new(func, decls, analysis);
    if v.walks() {
        for (inst, op, operands) in insts {
            v.check(inst, op, operands);
        }
    }
    v.finish()
}

struct Verifier<'a> {
    func: &'a ir::Function,
    decls: &'a ModuleDecls,
    a: &'a Analysis,
    errors: Vec<VerifyError>,
    /// Buffers for `inst`, kept across instructions so that checking one allocates nothing.
    args: Vec<Value>,
    done: Vec<bool>,
    /// Whether each callee (by `FuncRef` index) is a plain function, not an intrinsic.
    plain_callee: Vec<bool>,
}

/// What [`op_kind`] says of an opcode: rules always concern it (it takes an address, or
/// selects); it is a call; a branch; a return (tail calls included).
const ALWAYS: u8 = 1;
const CALL: u8 = 2;
const BRANCH: u8 = 4;
const RETURN: u8 = 8;

/// The [`ALWAYS`], [`CALL`], [`BRANCH`] and [`RETURN`] bits of `op`, from a table built
/// once: Cranelift's opcode predicates are calls into another crate.
#[inline]
fn op_kind(op: Opcode) -> u8 {
    static TABLE: std::sync::OnceLock<[u8; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [0; 256];
        for &op in Opcode::all() {
            let always = matches!(
                op,
                Opcode::Select
                    | Opcode::SelectSpectreGuard
                    | Opcode::StackAddr
                    | Opcode::SymbolValue
                    | Opcode::TlsValue
            );
            let returns =
                op.is_return() || matches!(op, Opcode::ReturnCall | Opcode::ReturnCallIndirect);
            let bit = |on: bool, bit: u8| if on { bit } else { 0 };
            table[op as u8 as usize] = bit(always, ALWAYS)
                | bit(op.is_call(), CALL)
                | bit(op.is_branch(), BRANCH)
                | bit(returns, RETURN);
        }
        table
    })[op as u8 as usize]
}

/// Whether an instruction with opcode `op` can break a rule in a function without
/// references even where it reads no place address: selects, address-taking
/// instructions, calls and returns (see [`verify_resolved`]). In such a function no rule
/// concerns any other instruction that reads no place address.
pub fn checked_without_places(op: Opcode) -> bool {
    op_kind(op) & (ALWAYS | CALL | RETURN) != 0
}

impl<'a> Verifier<'a> {
    fn new(func: &'a ir::Function, decls: &'a ModuleDecls, analysis: &'a Analysis) -> Self {
        let mut v = Verifier {
            func,
            decls,
            a: analysis,
            errors: Vec::new(),
            args: Vec::new(),
            done: Vec::new(),
            plain_callee: func
                .dfg
                .ext_funcs
                .keys()
                .map(|f| callee_kind(func, f) == CalleeKind::Plain)
                .collect(),
        };
        v.declarations();
        v
    }

    /// Whether the instructions need checking at all: without place addresses and
    /// references, only calls of intrinsics (or of names that look like one) have rules
    /// to keep.
    fn walks(&self) -> bool {
        !self.a.is_trivial() || self.plain_callee.iter().any(|&plain| !plain)
    }

    /// Check `inst` with opcode `op`, whose operands (arguments, then block-call
    /// arguments) resolve to `operands`.
    #[inline]
    fn check(&mut self, inst: ir::Inst, op: Opcode, operands: &[Value]) {
        if !self.unconcerned(inst, op, operands) {
            self.inst(inst, operands);
        }
    }

    /// Whether `v` (alias-resolved) is a place address or a reference.
    #[inline]
    fn place_or_ref(&self, v: Value) -> bool {
        self.a.place_of_unaliased(v).is_some()
            || (self.a.has_refs() && self.a.refs.get(v).is_some_and(Option::is_some))
    }

    fn finish(self) -> Result<(), Vec<VerifyError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }

    /// Whether no rule concerns `inst`: it takes no slot's or symbol's address and is no
    /// select, none of its operands is a place address or a reference, and it is no call,
    /// branch or return that a reference could pass through (where the function has
    /// references) or that an intrinsic or a reference-typed signature governs (where it
    /// has none).
    #[inline]
    fn unconcerned(&self, inst: ir::Inst, op: Opcode, operands: &[Value]) -> bool {
        let kind = op_kind(op);
        // Most instructions are of no concerned kind: their operands decide, inline.
        if kind == 0 {
            return operands.iter().all(|&v| !self.place_or_ref(v));
        }
        self.unconcerned_kind(inst, kind, operands)
    }

    /// [`Verifier::unconcerned`] of an instruction whose opcode has kind `kind` (not 0).
    fn unconcerned_kind(&self, inst: ir::Inst, kind: u8, operands: &[Value]) -> bool {
        if kind & ALWAYS != 0 {
            return false;
        }
        // A call, branch or return: a reference could pass through it.
        if self.a.has_refs() {
            return false;
        }
        // No value is a reference: what remains are places, intrinsics, and signatures
        // that declare references (a plain value passed or returned as one).
        if kind & CALL != 0 {
            let dfg = &self.func.dfg;
            let sig = match dfg.insts[inst] {
                InstructionData::Call { func_ref, .. } => {
                    if !self.plain_callee[func_ref.index()] {
                        return false;
                    }
                    Some(dfg.ext_funcs[func_ref].signature)
                }
                InstructionData::CallIndirect { sig_ref, .. } => Some(sig_ref),
                _ => None,
            };
            if sig.is_some_and(|sig| !self.a.sig_refs(sig).is_plain()) {
                return false;
            }
        }
        if kind & RETURN != 0 && !self.a.func_refs.signature.is_plain() {
            return false;
        }
        !self.a.has_places()
            || operands
                .iter()
                .all(|&v| self.a.place_of_unaliased(v).is_none())
    }

    fn error(&mut self, inst: Option<ir::Inst>, rule: Rule, message: String) {
        self.errors.push(VerifyError {
            function: self.func.name.to_string(),
            inst,
            inst_text: inst.map(|i| self.func.dfg.display_inst(i).to_string()),
            rule,
            message,
        });
    }

    fn place(&self, v: Value) -> Option<Place> {
        self.a.place(self.func, v)
    }

    fn refty(&self, v: Value) -> Option<RefType> {
        self.a.ref_type(self.func, v)
    }

    fn describe(&self, p: Place) -> String {
        p.describe(self.func, self.decls)
    }

    /// Check `inst`, whose operands (arguments, then block-call arguments) resolve to
    /// `operands`.
    fn inst(&mut self, inst: ir::Inst, operands: &[Value]) {
        let dfg = &self.func.dfg;
        let data = &dfg.insts[inst];
        let op = data.opcode();
        let branch = op_kind(op) & BRANCH != 0;
        let mut args = std::mem::take(&mut self.args);
        args.clear();
        // Only a branch has block-call arguments after its own.
        let own = if branch {
            dfg.inst_args(inst).len()
        } else {
            operands.len()
        };
        args.extend_from_slice(&operands[..own]);
        // Operands whose role was checked specifically.
        let mut done = std::mem::take(&mut self.done);
        done.clear();
        done.resize(args.len(), false);
        match *data {
            InstructionData::StackAddr {
                stack_slot, offset, ..
            } => {
                let place = self.place(dfg.first_result(inst));
                if place.is_some() && i32::from(offset) != 0 {
                    self.error(
                        Some(inst),
                        Rule::AddressOffset,
                        format!(
                            "stack_addr of value slot {stack_slot} has offset {}",
                            i32::from(offset)
                        ),
                    );
                }
            }
            InstructionData::Load { offset, flags, .. } => {
                done[0] = true;
                self.address(inst, op, args[0], i32::from(offset), flags, false);
            }
            InstructionData::Store { offset, flags, .. } => {
                done.fill(true);
                let (value, addr) = (args[0], args[1]);
                self.store_value(inst, value, addr);
                self.address(inst, op, addr, i32::from(offset), flags, true);
            }
            InstructionData::Call { func_ref, .. } => {
                let sig = dfg.ext_funcs[func_ref].signature;
                let refs = self.a.sig_refs(sig).clone();
                // `new` told the plain callees already; the others are asked again.
                let kind = match self.plain_callee[func_ref.index()] {
                    true => CalleeKind::Plain,
                    false => callee_kind(self.func, func_ref),
                };
                if let CalleeKind::Intrinsic(i) = kind {
                    self.intrinsic(inst, i, sig, &refs, &args, &mut done);
                } else if kind == CalleeKind::Unknown {
                    self.error(
                        Some(inst),
                        Rule::UnknownIntrinsic,
                        format!(
                            "`{}` is not an intrinsic",
                            dfg.ext_funcs[func_ref].name.display(None)
                        ),
                    );
                }
                self.call_args(inst, &args, 0, &refs, &mut done);
                if op == Opcode::ReturnCall {
                    self.tail_results(inst, &refs);
                }
            }
            InstructionData::CallIndirect { sig_ref, .. } => {
                done[0] = true;
                if self.place(args[0]).is_some() {
                    self.error(
                        Some(inst),
                        Rule::AddressCallee,
                        "call_indirect through the address of an off-heap place".into(),
                    );
                } else if self.refty(args[0]).is_some() {
                    self.error(
                        Some(inst),
                        Rule::RefAsAddress,
                        "call_indirect through a reference".into(),
                    );
                }
                let refs = self.a.sig_refs(sig_ref).clone();
                self.call_args(inst, &args, 1, &refs, &mut done);
                if op == Opcode::ReturnCallIndirect {
                    self.tail_results(inst, &refs);
                }
            }
            InstructionData::MultiAry {
                opcode: Opcode::Return,
                ..
            } => {
                let own = self.a.func_refs.signature.clone();
                for (i, &v) in args.iter().enumerate() {
                    done[i] = true;
                    self.flow(inst, v, own.ret(i), Flow::Return);
                }
            }
            _ => {}
        }
        if matches!(op, Opcode::Select | Opcode::SelectSpectreGuard) {
            self.select(inst, &args, &mut done);
        }
        if branch {
            self.block_args(inst);
        }
        for (i, &v) in args.iter().enumerate() {
            if !done[i] {
                self.generic(inst, op, v);
            }
        }
        self.args = args;
        self.done = done;
    }
}
