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

use crate::reuse::ClearTo;
use crate::scan::Scan;
use cranelift_codegen::ir::{self, InstructionData, Opcode, Value};
use cranelift_entity::SecondaryMap;

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

/// Whether an instruction of class `moving` may move down past one of class `other`.
fn may_pass(moving: Class, other: Class) -> bool {
    match moving {
        Class::Pure => true,
        Class::Read | Class::Trap => other != Class::Effect,
        Class::Effect => other == Class::Pure,
    }
}

/// Whether `value` (defined by `inst`) is a constant cheap enough to emit at every use:
/// its encoding is at most a few bytes longer than a `local.get`.
fn is_cheap_constant(func: &ir::Function, inst: ir::Inst) -> bool {
    match func.dfg.insts[inst] {
        InstructionData::UnaryImm {
            opcode: Opcode::Iconst,
            imm,
        } => {
            let v = imm.bits();
            (-(1 << 13)..(1 << 13)).contains(&v)
        }
        InstructionData::UnaryIeee32 { .. } => false,
        InstructionData::UnaryIeee64 { .. } => false,
        _ => false,
    }
}

/// The placement of every value of `func` (scanned as `scan`), except values in
/// `keep_local`.
pub fn placements(
    func: &ir::Function,
    scan: &Scan,
    keep_local: &[Value],
) -> SecondaryMap<Value, Placement> {
    let mut placement = SecondaryMap::new();
    placements_into(
        func,
        scan,
        keep_local,
        &mut placement,
        &mut Scratch::default(),
    );
    placement
}

/// Storage `placements_into` keeps from one function to the next.
#[derive(Default)]
pub struct Scratch {
    keep: SecondaryMap<Value, bool>,
    tree_class: SecondaryMap<Value, Option<Class>>,
    effects: Vec<u32>,
    impure: Vec<u32>,
}

/// [`placements`] into `placement`, with working storage `scratch`.
pub fn placements_into(
    func: &ir::Function,
    scan: &Scan,
    keep_local: &[Value],
    placement: &mut SecondaryMap<Value, Placement>,
    scratch: &mut Scratch,
) {
    let dfg = &func.dfg;
    let (user, uses) = (&scan.user, &scan.count);
    let Scratch {
        keep,
        tree_class,
        effects,
        impure,
    } = scratch;
    keep.clear();
    for &v in keep_local {
        keep[v] = true;
    }
    placement.clear_to(dfg.num_values());
    // The class of an instruction together with the trees it pushes: moving it moves
    // them too.
    tree_class.clear_to(dfg.num_values());
    for b in 0..scan.blocks.len() {
        let range = scan.block_range(b);
        let classes = &scan.classes[range.clone()];
        // Prefix counts of effects and of non-pure instructions, for O(1) range queries.
        effects.clear();
        impure.clear();
        effects.push(0u32);
        impure.push(0u32);
        for (i, c) in classes.iter().enumerate() {
            effects.push(effects[i] + u32::from(*c == Class::Effect));
            impure.push(impure[i] + u32::from(*c != Class::Pure));
        }
        for (i, k) in range.clone().enumerate() {
            let &[v] = scan.results(k) else {
                continue;
            };
            let inst = scan.insts[k];
            if keep[v] || classes[i] == Class::Effect && dfg.insts[inst].opcode().is_branch() {
                continue;
            }
            let mut c = classes[i];
            for &arg in scan.args(k) {
                if let Some(sub) = tree_class[arg] {
                    c = c.max(sub);
                }
            }
            if uses[v] == 0 {
                if c == Class::Pure {
                    placement[v] = Placement::Dead;
                }
                continue;
            }
            if c == Class::Pure && is_cheap_constant(func, inst) {
                placement[v] = Placement::Remat;
                continue;
            }
            if uses[v] != 1 {
                continue;
            }
            let Some((use_inst, conditional)) = user[v] else {
                continue;
            };
            let use_k = scan.index[use_inst] as usize;
            if !range.contains(&use_k) {
                continue;
            }
            let j = use_k - range.start;
            if j <= i || (conditional && c != Class::Pure) {
                continue;
            }
            // Instructions strictly between the definition and the use.
            let between_effects = effects[j] - effects[i + 1];
            let between_impure = impure[j] - impure[i + 1];
            let movable = match c {
                Class::Pure => true,
                Class::Read | Class::Trap => between_effects == 0,
                Class::Effect => between_impure == 0,
            };
            debug_assert!(movable == (i + 1..j).all(|k| may_pass(c, classes[k])));
            if movable {
                placement[v] = Placement::Tree;
                tree_class[v] = Some(c);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(text: &str) -> Vec<(String, Placement)> {
        let func = cranelift_reader::parse_functions(text).unwrap().remove(0);
        let scan = Scan::compute(&func, None).unwrap();
        let p = placements(&func, &scan, &[]);
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
