//! The off-heap verifier: rejects every way to make a pointer to an off-heap place, and
//! every way to turn a reference into data or data into a reference.
//!
//! A place address (see `analysis`) may only be the address operand of a plain `load` or
//! `store` of exactly the place's type at offset 0 (or, for a table, the table operand of a
//! table intrinsic). A reference may only be stored into a place of its reference type,
//! passed or returned where the signature says that reference type, passed to a block
//! parameter that only receives references of its type, or selected against another
//! reference of its type. Every other use is an error naming its [`Rule`].

use crate::analysis::{place_of_symbol, Analysis, Place};
use crate::decls::{ModuleDecls, OffHeapSymbol, SigRefs};
use crate::intrinsics::{callee_kind, CalleeKind, Intrinsic};
use crate::rules::Rule;
use crate::slots::{slot_kind, SlotKind};
use crate::types::RefType;
use cranelift_codegen::ir::{self, GlobalValueData, InstructionData, Opcode, Value};
use cranelift_entity::EntityRef;
use std::fmt;

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

/// How an instruction uses an operand, for the generic rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Category {
    Arithmetic,
    Compare,
    Select,
    Bitcast,
    Conversion,
    Atomic,
    Other,
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

fn category(op: Opcode) -> Category {
    use Opcode::*;
    match op {
        Iadd | Isub | Imul | Ineg | Iabs | Udiv | Sdiv | Urem | Srem | Umulhi | Smulhi | Band
        | Bor | Bxor | Bnot | Ishl | Ushr | Sshr | Rotl | Rotr | Clz | Ctz | Cls | Popcnt
        | Bitrev | Bswap | Smin | Smax | Umin | Umax | UaddOverflow | SaddOverflow
        | UsubOverflow | SsubOverflow | UmulOverflow | SmulOverflow | UaddOverflowCin
        | SaddOverflowCin | UsubOverflowBin | SsubOverflowBin | UaddOverflowTrap => {
            Category::Arithmetic
        }
        Icmp | Brif | BrTable | Trapz | Trapnz => Category::Compare,
        Select | SelectSpectreGuard => Category::Select,
        Bitcast => Category::Bitcast,
        Uextend | Sextend | Ireduce | FcvtFromSint | FcvtFromUint | Bmask | Iconcat | Isplit => {
            Category::Conversion
        }
        AtomicRmw | AtomicCas | AtomicLoad | AtomicStore => Category::Atomic,
        _ => Category::Other,
    }
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

    /// Slots, global values and signature side tables.
    fn declarations(&mut self) {
        let func = self.func;
        for (slot, data) in func.sized_stack_slots.iter() {
            match slot_kind(data) {
                SlotKind::Value(ty) if data.size != ty.size() => self.error(
                    None,
                    Rule::ValueSlotSize,
                    format!(
                        "value slot {slot} of type {ty} has size {} (must be {})",
                        data.size,
                        ty.size()
                    ),
                ),
                SlotKind::BadKey(key) => self.error(
                    None,
                    Rule::ValueSlotKey,
                    format!("stack slot {slot} has the value-slot tag but an invalid key {key:#x}"),
                ),
                _ => {}
            }
        }
        for (gv, data) in func.global_values.iter() {
            match data {
                GlobalValueData::Symbol { offset, .. }
                    if self.decls.off_heap(func, gv).is_some() =>
                {
                    if place_of_symbol(func, self.decls, gv).is_none() {
                        let what = match self.decls.off_heap(func, gv) {
                            Some(OffHeapSymbol::Global(id)) => {
                                format!("wasm global #{}", id.as_u32())
                            }
                            Some(OffHeapSymbol::Table(id)) => format!("table #{}", id.as_u32()),
                            None => String::new(),
                        };
                        self.error(
                            None,
                            Rule::UnknownOffHeapSymbol,
                            format!("{gv} names undeclared {what}"),
                        );
                    }
                    if offset.bits() != 0 {
                        self.error(
                            None,
                            Rule::AddressOffset,
                            format!("off-heap symbol {gv} has offset {}", offset.bits()),
                        );
                    }
                }
                GlobalValueData::IAddImm { base, .. } | GlobalValueData::Load { base, .. }
                    if self.decls.off_heap(func, *base).is_some() =>
                {
                    self.error(
                        None,
                        Rule::DerivedGlobalValue,
                        format!("{gv} is derived from off-heap symbol {base}"),
                    );
                }
                _ => {}
            }
        }
        let refs = &self.a.func_refs;
        let mut bad = Vec::new();
        if !fits(&refs.signature, &func.signature) {
            bad.push("the function's own signature".to_string());
        }
        for (sig, sig_refs) in &refs.sigs {
            match func.dfg.signatures.get(*sig) {
                Some(s) if fits(sig_refs, s) => {}
                _ => bad.push(format!("{sig}")),
            }
        }
        for what in bad {
            self.error(
                None,
                Rule::RefSignature,
                format!("the reference types recorded for {what} do not fit it"),
            );
        }
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
                let arg = args[0];
                if let Some(place) = self.a.place_of_unaliased(arg) {
                    self.big_endian(inst, flags, place);
                    self.access(
                        inst,
                        op,
                        place,
                        i32::from(offset),
                        // A load's controlling type is its result's.
                        dfg.value_type(dfg.first_result(inst)),
                        false,
                    );
                } else if self.refty(arg).is_some() {
                    self.error(
                        Some(inst),
                        Rule::RefAsAddress,
                        "a reference is used as a load address".into(),
                    );
                }
            }
            InstructionData::Store { offset, flags, .. } => {
                done.fill(true);
                let (value, addr) = (args[0], args[1]);
                self.store_value(inst, value, addr);
                if let Some(place) = self.a.place_of_unaliased(addr) {
                    self.big_endian(inst, flags, place);
                    self.access(
                        inst,
                        op,
                        place,
                        i32::from(offset),
                        dfg.value_type(value),
                        true,
                    );
                } else if self.refty(addr).is_some() {
                    self.error(
                        Some(inst),
                        Rule::RefAsAddress,
                        "a reference is used as a store address".into(),
                    );
                }
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

    /// A load or store through `place`.
    fn access(
        &mut self,
        inst: ir::Inst,
        op: Opcode,
        place: Place,
        offset: i32,
        ty: ir::Type,
        store: bool,
    ) {
        let Some(place_ty) = place.value_type() else {
            self.error(
                Some(inst),
                Rule::TableAccess,
                format!("{} is loaded or stored directly", self.describe(place)),
            );
            return;
        };
        if matches!(op, Opcode::Load | Opcode::Store) {
            if ty != place_ty.clif() {
                self.error(
                    Some(inst),
                    Rule::AddressAccessType,
                    format!(
                        "{} is accessed as {ty}, not {}",
                        self.describe(place),
                        place_ty.clif()
                    ),
                );
            }
        } else {
            self.error(
                Some(inst),
                Rule::AddressPartialAccess,
                format!(
                    "`{op}` is an extending or narrowing access to {}",
                    self.describe(place)
                ),
            );
        }
        if offset != 0 {
            self.error(
                Some(inst),
                Rule::AddressOffset,
                format!("{} is accessed at offset {offset}", self.describe(place)),
            );
        }
        if let (true, Place::Global { mutable: false, .. }) = (store, place) {
            self.error(
                Some(inst),
                Rule::ImmutableGlobalStore,
                format!("store to immutable {}", self.describe(place)),
            );
        }
    }

    /// A place holds a value, not bytes: a big-endian access would have to swap them.
    fn big_endian(&mut self, inst: ir::Inst, flags: ir::MemFlags, place: Place) {
        if self.func.dfg.mem_flags[flags].explicit_endianness() == Some(ir::Endianness::Big) {
            let what = self.describe(place);
            self.error(
                Some(inst),
                Rule::AddressAccessType,
                format!("big-endian access to {what}"),
            );
        }
    }

    /// The stored value of a store to `addr`.
    fn store_value(&mut self, inst: ir::Inst, value: Value, addr: Value) {
        let target = self.place(addr);
        if self.place(value).is_some() {
            self.error(
                Some(inst),
                Rule::AddressStored,
                "the address of an off-heap place is stored as a value".into(),
            );
            return;
        }
        let want = target
            .and_then(Place::value_type)
            .and_then(|t| t.ref_type());
        match (self.refty(value), target) {
            (Some(r), Some(p)) if want != Some(r) => {
                let what = self.describe(p);
                self.error(
                    Some(inst),
                    Rule::RefIntoNonRefPlace,
                    format!("{} is stored into {what}", show(Some(r))),
                );
            }
            (Some(r), None) => self.error(
                Some(inst),
                Rule::RefStoredToMemory,
                format!("{} is stored to linear memory", show(Some(r))),
            ),
            (None, Some(p)) if want.is_some() => {
                let what = self.describe(p);
                self.error(
                    Some(inst),
                    Rule::ForgedRef,
                    format!("a non-reference value is stored into {what}"),
                );
            }
            _ => {}
        }
    }

    /// A value flowing into a position that expects reference type `want` (or none).
    fn flow(&mut self, inst: ir::Inst, v: Value, want: Option<RefType>, to: Flow) {
        if self.place(v).is_some() {
            let rule = match to {
                Flow::Argument => Rule::AddressCallArgument,
                Flow::Return => Rule::AddressReturned,
            };
            self.error(
                Some(inst),
                rule,
                format!("the address of an off-heap place ({v}) {}", to.verb()),
            );
            return;
        }
        match (self.refty(v), want) {
            (Some(r), w) if w != Some(r) => {
                let rule = match to {
                    Flow::Argument => Rule::RefToNonRefParameter,
                    Flow::Return => Rule::RefReturnedAsNonRef,
                };
                self.error(
                    Some(inst),
                    rule,
                    format!("{v} is {} but {} {}", show(Some(r)), to.expects(), show(w)),
                );
            }
            (None, Some(w)) => {
                self.error(
                    Some(inst),
                    Rule::ForgedRef,
                    format!(
                        "{v} is not a reference but {} {}",
                        to.expects(),
                        show(Some(w))
                    ),
                );
            }
            _ => {}
        }
    }

    fn call_args(
        &mut self,
        inst: ir::Inst,
        args: &[Value],
        first: usize,
        refs: &SigRefs,
        done: &mut [bool],
    ) {
        for (i, &v) in args.iter().enumerate().skip(first) {
            if !done[i] {
                done[i] = true;
                self.flow(inst, v, refs.param(i - first), Flow::Argument);
            }
        }
    }

    /// A tail call returns the callee's results as this function's.
    fn tail_results(&mut self, inst: ir::Inst, callee: &SigRefs) {
        let own = self.a.func_refs.signature.clone();
        for i in 0..self.func.signature.returns.len() {
            match (callee.ret(i), own.ret(i)) {
                (c, o) if c == o => {}
                (None, None) => {}
                (Some(c), _) => self.error(Some(inst), Rule::RefReturnedAsNonRef, format!("the tail call's result {i} is {} but this function's is not", show(Some(c)))),
                (None, Some(o)) => self.error(Some(inst), Rule::ForgedRef, format!("the tail call's result {i} is not a reference but this function returns {}", show(Some(o)))),
            }
        }
    }

    fn intrinsic(
        &mut self,
        inst: ir::Inst,
        i: Intrinsic,
        sig: ir::SigRef,
        refs: &SigRefs,
        args: &[Value],
        done: &mut [bool],
    ) {
        let mut elem = None;
        let mut tables_ok = true;
        for &p in i.table_params() {
            done[p] = true;
            match args.get(p).and_then(|&v| self.place(v)) {
                Some(Place::Table { elem: e, .. }) if elem.is_none_or(|x| x == e) => elem = Some(e),
                Some(Place::Table { .. }) => {
                    tables_ok = false;
                    self.error(
                        Some(inst),
                        Rule::IntrinsicSignature,
                        format!("the tables of %{} have different element types", i.name()),
                    );
                }
                _ => {
                    tables_ok = false;
                    self.error(
                        Some(inst),
                        Rule::TableOperand,
                        format!("argument {p} of %{} must be a table handle", i.name()),
                    );
                }
            }
        }
        for &p in i.segment_params() {
            done[p] = true;
            let is_iconst = args
                .get(p)
                .is_some_and(|&v| match self.func.dfg.value_def(v) {
                    ir::ValueDef::Result(def, _) => {
                        self.func.dfg.insts[def].opcode() == Opcode::Iconst
                    }
                    _ => false,
                });
            if !is_iconst {
                self.error(
                    Some(inst),
                    Rule::SegmentOperand,
                    format!(
                        "argument {p} of %{} must be an iconst segment index",
                        i.name()
                    ),
                );
            }
        }
        if i == Intrinsic::RefFunc {
            done[0] = true;
            let is_func_addr = args
                .first()
                .is_some_and(|&v| match self.func.dfg.value_def(v) {
                    ir::ValueDef::Result(def, _) => {
                        self.func.dfg.insts[def].opcode() == Opcode::FuncAddr
                    }
                    _ => false,
                });
            if !is_func_addr {
                self.error(
                    Some(inst),
                    Rule::RefFuncOperand,
                    "the argument of %__wasm_ref_func is not a func_addr".into(),
                );
            }
        }
        let signature = &self.func.dfg.signatures[sig];
        // The element type is only known when the table operand is valid; then check.
        if tables_ok && !i.matches(signature, refs, elem) {
            let elem_note = elem.map_or(String::new(), |e| {
                format!(" (REF = {e}, the table's element type)")
            });
            self.error(
                Some(inst),
                Rule::IntrinsicSignature,
                format!(
                    "%{} must be declared as {}{elem_note}",
                    i.name(),
                    i.signature_text()
                ),
            );
        }
    }

    fn select(&mut self, inst: ir::Inst, args: &[Value], done: &mut [bool]) {
        done[1] = true;
        done[2] = true;
        let (x, y) = (args[1], args[2]);
        if self.place(x).is_some() || self.place(y).is_some() {
            self.error(
                Some(inst),
                Rule::AddressSelect,
                "select between addresses of off-heap places".into(),
            );
            return;
        }
        let (rx, ry) = (self.refty(x), self.refty(y));
        if (rx.is_some() || ry.is_some()) && rx != ry {
            self.error(
                Some(inst),
                Rule::RefMixedSelect,
                format!("select between {} and {}", show(rx), show(ry)),
            );
        }
    }

    fn block_args(&mut self, inst: ir::Inst) {
        let dfg = &self.func.dfg;
        for call in dfg.insts[inst].branch_destination(&dfg.jump_tables, &dfg.exception_tables) {
            let block = call.block(&dfg.value_lists);
            for (arg, &param) in call.args(&dfg.value_lists).zip(dfg.block_params(block)) {
                let Some(arg) = arg.as_value() else { continue };
                let arg = dfg.resolve_aliases(arg);
                if self.place(arg).is_some() {
                    self.error(
                        Some(inst),
                        Rule::AddressBlockArgument,
                        format!("the address of an off-heap place is passed to {block}"),
                    );
                    continue;
                }
                let (have, want) = (self.refty(arg), self.a.refs[param]);
                if have != want {
                    self.error(
                        Some(inst),
                        Rule::RefMixedBlockParameter,
                        format!(
                            "{param} of {block} receives {} here and {} elsewhere",
                            show(have),
                            show(want)
                        ),
                    );
                }
            }
        }
    }

    /// Uses with no specific role: the category of the instruction decides the rule.
    fn generic(&mut self, inst: ir::Inst, op: Opcode, v: Value) {
        let cat = category(op);
        if self.place(v).is_some() {
            let rule = match cat {
                Category::Arithmetic => Rule::AddressArithmetic,
                Category::Compare => Rule::AddressCompare,
                Category::Select => Rule::AddressSelect,
                Category::Bitcast => Rule::AddressBitcast,
                Category::Conversion => Rule::AddressConversion,
                Category::Atomic => Rule::AddressAtomic,
                Category::Other => Rule::AddressOtherUse,
            };
            self.error(
                Some(inst),
                rule,
                format!("`{op}` uses the address of an off-heap place ({v})"),
            );
        } else if let Some(r) = self.refty(v) {
            let rule = match cat {
                Category::Arithmetic => Rule::RefArithmetic,
                Category::Compare | Category::Select => Rule::RefCompare,
                Category::Bitcast => Rule::RefBitcast,
                Category::Conversion => Rule::RefConversion,
                Category::Atomic => Rule::RefStoredToMemory,
                Category::Other => Rule::RefOtherUse,
            };
            self.error(
                Some(inst),
                rule,
                format!("`{op}` uses {v}, {}", show(Some(r))),
            );
        }
    }
}

#[derive(Clone, Copy)]
enum Flow {
    Argument,
    Return,
}

impl Flow {
    fn verb(self) -> &'static str {
        match self {
            Flow::Argument => "is passed to a call",
            Flow::Return => "is returned",
        }
    }

    fn expects(self) -> &'static str {
        match self {
            Flow::Argument => "the parameter is",
            Flow::Return => "the result is",
        }
    }
}

/// A reference type (or none) with its article: "an externref", "a non-reference".
fn show(r: Option<RefType>) -> &'static str {
    match r {
        None => "a non-reference",
        Some(RefType::Extern) => "an externref",
        Some(RefType::Func) => "a funcref",
    }
}

/// Whether recorded reference types fit a signature: same lengths (or empty), references
/// only on i32 entries.
fn fits(refs: &SigRefs, sig: &ir::Signature) -> bool {
    let check = |refs: &[Option<RefType>], params: &[ir::AbiParam]| {
        refs.is_empty()
            || (refs.len() == params.len()
                && refs
                    .iter()
                    .zip(params)
                    .all(|(r, p)| r.is_none() || p.value_type == ir::types::I32))
    };
    check(&refs.params, &sig.params) && check(&refs.returns, &sig.returns)
}
