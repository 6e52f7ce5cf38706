//! The verifier's rules for values flowing through calls, returns, selects and block
//! arguments, and for operands with no specific role (decided by the instruction's
//! category).

use super::Verifier;
use crate::decls::SigRefs;
use crate::rules::Rule;
use crate::types::RefType;
use cranelift_codegen::ir::{self, Opcode, Value};

impl Verifier<'_> {
    /// A value flowing into a position that expects reference type `want` (or none).
    pub(super) fn flow(&mut self, inst: ir::Inst, v: Value, want: Option<RefType>, to: Flow) {
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

    pub(super) fn call_args(
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
    pub(super) fn tail_results(&mut self, inst: ir::Inst, callee: &SigRefs) {
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

    pub(super) fn select(&mut self, inst: ir::Inst, args: &[Value], done: &mut [bool]) {
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

    pub(super) fn block_args(&mut self, inst: ir::Inst) {
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
    pub(super) fn generic(&mut self, inst: ir::Inst, op: Opcode, v: Value) {
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

#[derive(Clone, Copy)]
pub(super) enum Flow {
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
pub(super) fn show(r: Option<RefType>) -> &'static str {
    match r {
        None => "a non-reference",
        Some(RefType::Extern) => "an externref",
        Some(RefType::Func) => "a funcref",
    }
}
