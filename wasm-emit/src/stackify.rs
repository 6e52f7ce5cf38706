//! Operand-stack scheduling: which values never need a local.
//!
//! Lowering normally pops every result into a local and pushes it back at each use. This
//! pass finds the values that can skip the local (LLVM's RegStackify, waffle's treeify):
//!
//! - a **tree** value has one use, in the same block, and its instruction can move down to
//!   that use: its definition is emitted where the use pushes it, so it flows on the stack;
//! - a **rematerialized** value is a small constant, emitted at each use;
//! - a **dead** value is the unused result of an instruction without effects; it is not
//!   emitted at all.
//!
//! Moving an instruction down past others must not reorder effects. Instructions fall into
//! four classes: pure, reads (loads, which may trap), traps (pure but may trap), and
//! effects (stores, calls, anything else observable). A read or trap may not move past an
//! effect; an effect may not move past anything but pure instructions; pure instructions
//! move freely. Checking every instruction between the definition and the use (whether or
//! not it is itself moved) keeps the order of every conflicting pair, because only the
//! later of two conflicting instructions can ever move, and only further down.
//!
//! A tree carries the trees of its operands along, so its class is the strongest among
//! them and its own.
//!
//! A use on a conditional edge (a `brif` or `br_table` argument, copied inside the branch)
//! takes only pure trees, since the definition then runs on that path alone.

use crate::scan::{Scan, ValueFacts};
use cranelift_codegen::ir::{InstructionData, Opcode, Value};
use cranelift_entity::EntityRef;

/// How a value is placed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Placement {
    /// In a local (the default).
    #[default]
    Local,
    /// Emitted at its single use and passed on the operand stack.
    Tree,
    /// A constant emitted at every use.
    Remat,
    /// Unused and without effects: not emitted.
    Dead,
}

/// How an instruction may be reordered with others (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// No effect, cannot trap.
    Pure,
    /// Reads memory or machine state (may trap).
    Read,
    /// No effect but may trap.
    Trap,
    /// Observable effects: stores, calls, control flow.
    Effect,
}

/// The class of an instruction with opcode `op`.
#[inline]
pub fn class(op: Opcode) -> Class {
    // Cranelift's opcode predicates are calls into another crate: ask them once per
    // opcode, not once per instruction.
    static TABLE: std::sync::OnceLock<[Class; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [Class::Effect; 256];
        for &op in Opcode::all() {
            table[op as u8 as usize] = classify(op);
        }
        table
    })[op as u8 as usize]
}

fn classify(op: Opcode) -> Class {
    if op.is_call()
        || op.can_store()
        || op.other_side_effects()
        || op.is_terminator()
        || op.is_branch()
        || matches!(op, Opcode::SetPinnedReg | Opcode::Trapz | Opcode::Trapnz)
    {
        Class::Effect
    } else if op.can_load()
        || matches!(
            op,
            Opcode::GetPinnedReg | Opcode::GetStackPointer | Opcode::GetFramePointer
        )
    {
        Class::Read
    } else if op.can_trap() {
        Class::Trap
    } else {
        Class::Pure
    }
}

/// The immediate of `data`, an `iconst`'s, if the constant is cheap enough to emit at
/// every use (its encoding at most a few bytes longer than a `local.get`). Asked as the
/// constant is placed, not by the walk: the walk's loop is long, and constants are a
/// fraction of its instructions.
#[inline]
pub fn cheap_constant(data: &InstructionData) -> Option<i64> {
    match *data {
        InstructionData::UnaryImm { imm, .. } if (-(1 << 13)..(1 << 13)).contains(&imm.bits()) => {
            Some(imm.bits())
        }
        _ => None,
    }
}

/// Where the values of a scanned function are placed, as the scan decided (see
/// [`Scan::keep_in_locals`] for values sent back to locals). A view of the scan's facts,
/// so that lowering reads a value's placement where it reads its other facts and nothing
/// is copied per function.
#[derive(Clone, Copy)]
pub struct Placements<'a> {
    facts: &'a [ValueFacts],
}

impl<'a> Placements<'a> {
    /// The placements the scan decided.
    pub fn of(scan: &'a Scan) -> Placements<'a> {
        Placements {
            facts: scan.all_facts(),
        }
    }
}

impl std::ops::Index<Value> for Placements<'_> {
    type Output = Placement;

    /// The placement of `value`, a value of the scanned function.
    #[inline]
    fn index(&self, value: Value) -> &Placement {
        &self.facts[value.index()].placement
    }
}

/// The facts the placement decisions need, gathered during the scan's walk
/// (`scan::Scan::recompute` calls these in layout order, on each value's `ValueFacts`)
/// rather than in a walk of their own: for each value that may be placed off locals,
/// whether an effect or an instruction that is not pure stands between its definition
/// and its first read in its block. [`place`] then decides, in layout order, once every read is
/// known.
///
/// It keeps where the latest effect and the latest instruction that is not pure stand:
/// a value read first in its own block has nothing of the kind between its definition
/// and that read if the latest one stands at or before its definition (positions grow in
/// layout order, so one in an earlier block always does).
#[derive(Default)]
pub struct Schedule {
    /// One past the position of the latest effect, and of the latest instruction that
    /// is not pure (0: none yet).
    effects_end: u32,
    impure_end: u32,
}

impl Schedule {
    /// Start a function.
    #[inline]
    pub fn begin_function(&mut self) {
        self.effects_end = 0;
        self.impure_end = 0;
    }

    /// A read of the value with facts `f` (`f.count` counts it already) by the next
    /// instruction, in the block whose first instruction is at position `first`: a
    /// result defined at or after it is read in its own block (block parameters, whose
    /// `def` is `u32::MAX`, are never placed off locals, and are not told apart).
    #[inline]
    pub fn read(&self, f: &mut ValueFacts, first: u32) {
        if f.count == 1 && f.def >= first && f.def != u32::MAX {
            let defined_end = f.def + 1;
            f.set_read_in_block(
                self.effects_end <= defined_end,
                self.impure_end <= defined_end,
            );
        }
    }

    /// The instruction at position `k`, of class `class`. (A result's class and whether
    /// it is a cheap constant are recorded when it is placed, from its row: the walk's
    /// loop is long, and the placing loop reads the row anyway.)
    #[inline]
    pub fn define(&mut self, k: u32, class: Class) {
        if class != Class::Pure {
            self.impure_end = k + 1;
            if class == Class::Effect {
                self.effects_end = k + 1;
            }
        }
    }
}

/// Place `value`, the only result of an instruction (no branch) of class `class` with
/// arguments `args`, once every read is known; the instructions are placed in layout
/// order, so the arguments defined in the same block are placed already (their classes
/// recorded). `facts` by value index. Returns whether the value stays in a local.
#[inline]
pub fn place(class: Class, args: &[Value], value: Value, facts: &mut [ValueFacts]) -> bool {
    // A tree carries the trees of its operands along.
    let mut c = class;
    for &arg in args {
        let a = &facts[arg.index()];
        if a.placement == Placement::Tree {
            if let Some(sub) = a.class() {
                c = c.max(sub);
            }
        }
    }
    let f = &mut facts[value.index()];
    f.set_class(c);
    f.placement = if f.count == 0 {
        if c == Class::Pure {
            Placement::Dead
        } else {
            Placement::Local
        }
    } else if c == Class::Pure && f.cheap_constant() {
        Placement::Remat
    } else if f.count == 1
        && f.read_in_block()
        && !(f.user.get().is_some_and(|(_, conditional)| conditional) && c != Class::Pure)
    {
        // The instructions strictly between the definition and the read: a read or trap
        // may not pass an effect, an effect may pass only pure ones.
        let movable = match c {
            Class::Pure => true,
            Class::Read | Class::Trap => f.no_effect_between(),
            Class::Effect => f.all_pure_between(),
        };
        if movable {
            Placement::Tree
        } else {
            Placement::Local
        }
    } else {
        Placement::Local
    };
    f.placement == Placement::Local
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(text: &str) -> Vec<(String, Placement)> {
        let func = cranelift_reader::parse_functions(text).unwrap().remove(0);
        let scan = Scan::compute(&func, None).unwrap();
        let p = Placements::of(&scan);
        func.dfg
            .values()
            .filter(|&v| p[v] != Placement::Local)
            .map(|v| (v.to_string(), p[v]))
            .collect()
    }

    #[test]
    fn trees_constants_and_dead_values() {
        let text = "function %f(i64, i32) -> i32 {
block0(v0: i64, v1: i32):
    v2 = iconst.i32 5
    v3 = iadd v1, v2
    v4 = load.i32 v0
    store v3, v0
    v5 = iadd v4, v3
    v6 = iconst.i32 100000
    v7 = imul v5, v6
    v8 = isub v1, v1
    return v7
}";
        let got = placed(text);
        let want = [
            ("v2", Placement::Remat),
            // v3 has two uses; v4 (a load) may not pass the store; v5 and v6 are trees.
            ("v5", Placement::Tree),
            ("v6", Placement::Tree),
            ("v7", Placement::Tree),
            ("v8", Placement::Dead),
        ];
        let want: Vec<(String, Placement)> =
            want.iter().map(|(v, p)| (v.to_string(), *p)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn effects_keep_their_order() {
        let text = "function %f(i64) -> i32 {
    fn0 = %g() -> i32
block0(v0: i64):
    v1 = call fn0()
    v2 = call fn0()
    v3 = isub v2, v1
    v4 = udiv v3, v3
    return v3
}";
        // v2 is the later call: it may move to its use; v1 may not pass v2.
        let got = placed(text);
        assert_eq!(got, vec![("v2".to_string(), Placement::Tree)]);
    }

    #[test]
    fn a_pure_tree_carries_its_loads() {
        let text = "function %f(i64) -> i64 {
block0(v0: i64):
    v1 = load.i32 v0
    v2 = uextend.i64 v1
    store v0, v0
    v3 = iadd v2, v0
    return v3
}";
        // v2 is pure but carries the load v1, which may not pass the store.
        let got = placed(text);
        assert_eq!(
            got,
            vec![
                ("v1".to_string(), Placement::Tree),
                ("v3".to_string(), Placement::Tree)
            ]
        );
    }

    #[test]
    fn conditional_edges_take_only_pure_trees() {
        let text = "function %f(i64, i32) -> i32 {
block0(v0: i64, v1: i32):
    v2 = load.i32 v0
    v3 = iadd v1, v1
    brif v1, block1(v2), block1(v3)
block1(v4: i32):
    return v4
}";
        let got = placed(text);
        assert_eq!(got, vec![("v3".to_string(), Placement::Tree)]);
    }
}
