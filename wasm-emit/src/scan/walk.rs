//! The walk itself: one pass over the layout that fills the scan's rows, operands,
//! results, value facts and branch destinations, checking the function against the
//! feature gate on the way. Its loop over every instruction keeps to the common case;
//! branches, aliases and the rare opcodes go out of line.

use super::ops::{op_table, TypeSource};
use super::{numeric_pool, Row, Scan, User, ValueFacts, BRANCH, BRIF_AS_JUMP};
use crate::error::Result;
use crate::reuse::{empty_with_room, refill, ClearTo};
use crate::stackify::Class;
use crate::support::{check_param_type, check_type, Gate};
use cranelift_codegen::ir::{self, types, Inst, InstructionData, Opcode, Value};
use cranelift_entity::packed_option::ReservedValue;
use cranelift_entity::EntityRef;

impl Scan {
    /// The walk of [`Scan::recompute`].
    pub(super) fn walk(&mut self, func: &ir::Function, gate: Option<&Gate>) -> Result<()> {
        let dfg = &func.dfg;
        let n_insts = dfg.num_insts();
        let n_values = dfg.num_values();
        let ops = op_table();
        let s = self;
        s.blocks.clear();
        s.block_start.clear();
        empty_with_room(&mut s.rows, n_insts + 1);
        s.address_insts.clear();
        s.checked.clear();
        s.num_params = 0;
        s.param_counts = [0; 4];
        s.local_counts = [0; 4];
        s.entry_params = func
            .layout
            .entry_block()
            .map_or(0, |entry| dfg.block_params(entry).len() as u32);
        // Most instructions read two values or fewer.
        empty_with_room(&mut s.operands, 2 * n_insts);
        empty_with_room(&mut s.results, n_insts);
        s.index.clear_to(n_insts);
        s.ordinal.clear_to(dfg.num_blocks());
        refill(&mut s.facts, n_values, ValueFacts::default());
        s.schedule.begin_function();
        s.branches.clear(dfg.num_blocks());
        let pool = &dfg.value_lists;
        for block in func.layout.blocks() {
            let ord = s.blocks.len() as u32;
            s.blocks.push(block);
            s.ordinal[block] = ord;
            // Where the block's instructions start: a read of a value defined at or after
            // this position is a read in its own block.
            let first = s.rows.len() as u32;
            s.block_start.push(first);
            let params = dfg.block_params(block);
            s.branches.begin_block(params);
            s.num_params += params.len();
            for &p in params {
                let ty = dfg.value_type(p);
                if gate.is_some() {
                    check_param_type(func, ty)?;
                }
                s.facts[p.index()].ty = ty;
                if ord > 0 {
                    s.param_counts[numeric_pool(ty)] += 1;
                }
            }
            // Cranelift's instruction iterator keeps its state in memory across calls;
            // following the links directly asks for the next one before this one's work.
            let mut next = func.layout.first_inst(block);
            while let Some(inst) = next {
                next = func.layout.next_inst(inst);
                let k = s.rows.len();
                s.index[inst] = k as u32;
                let data = &dfg.insts[inst];
                let opcode = data.opcode();
                let info = ops[opcode as u8 as usize];
                if info.listed() {
                    if info.addresses() {
                        s.address_insts.push(inst);
                    }
                    if info.checked() {
                        s.checked.push(k as u32);
                    }
                }
                if info.gated() {
                    if let Some(gate) = gate {
                        gate.check_opcode(func, inst, data)?;
                    }
                }
                let op_start = s.operands.len() as u32;
                let reader = User::new(k, false);
                for &arg in arguments(data, pool) {
                    let arg = s.resolve_at_read(dfg, arg);
                    s.read(arg, reader, first);
                }
                let arg_end = s.operands.len() as u32;
                let flags = if info.branch() {
                    s.walk_destinations(dfg, data, k, first)
                } else {
                    0
                };
                // The list's slice is read here (inlined), not through a call.
                let results = dfg.inst_results_list(inst).as_slice(pool);
                let res_start = s.results.len() as u32;
                // Most instructions have one result or none: a push, not a copy.
                match *results {
                    [] => {}
                    [r] => s.results.push(r),
                    _ => s.results.extend_from_slice(results),
                }
                // The first result's type: the controlling type of most polymorphic
                // opcodes, and checked by the gate with the others.
                let mut first_result_ty = None;
                for &r in results {
                    let ty = dfg.value_type(r);
                    if gate.is_some() {
                        check_type(func, inst, ty)?;
                    }
                    let f = &mut s.facts[r.index()];
                    f.def = k as u32;
                    f.ty = ty;
                    first_result_ty.get_or_insert(ty);
                }
                let ty = match info.ty() {
                    TypeSource::Invariant => types::INVALID,
                    // An operand defined already has its type in its facts.
                    TypeSource::Operand(i) => s.operands[op_start as usize..arg_end as usize]
                        .get(i as usize)
                        .map_or(types::INVALID, |&v| match s.facts[v.index()].ty {
                            types::INVALID => dfg.value_type(v),
                            ty => ty,
                        }),
                    TypeSource::Result => first_result_ty.unwrap_or(types::INVALID),
                };
                // Operands are results or block parameters checked where they are defined,
                // so the controlling type needs a check only where it is neither.
                if gate.is_some() && results.is_empty() {
                    check_type(func, inst, ty)?;
                }
                s.schedule.define(k as u32, info.class());
                s.rows.push(Row {
                    inst,
                    class: info.class(),
                    opcode,
                    family: info.family(),
                    flags,
                    ty,
                    // Filled in for cheap constants as they are placed.
                    imm: 0,
                    op_start,
                    arg_end,
                    res_start,
                });
            }
        }
        s.block_start.push(s.rows.len() as u32);
        // The sentinel: the last row's operands and results end where the arrays do.
        let ends = s.operands.len() as u32;
        s.rows.push(Row {
            inst: Inst::reserved_value(),
            class: Class::Pure,
            opcode: Opcode::Nop,
            family: crate::isel::Family::Int,
            flags: 0,
            ty: types::INVALID,
            imm: 0,
            op_start: ends,
            arg_end: ends,
            res_start: s.results.len() as u32,
        });
        s.branches.finish();
        Ok(())
    }

    /// `v` with aliases resolved, at a read during the walk. Aliases are resolved once per
    /// value, at its first read: a function's value space can be several times its
    /// instruction count (detached and alias values). A value defined already (a result
    /// or block parameter) is no alias, so only a value read before its definition in
    /// the layout, or defined nowhere, costs a call into Cranelift.
    ///
    /// An alias read before keeps its target in its facts, which this load reads anyway:
    /// a frontend's SSA construction leaves many aliases, most read more than once.
    #[inline]
    fn resolve_at_read(&mut self, dfg: &ir::DataFlowGraph, v: Value) -> Value {
        let f = &self.facts[v.index()];
        if f.ty != types::INVALID {
            return v;
        }
        if let Some(target) = f.alias_target() {
            return target;
        }
        self.resolve_undefined(dfg, v)
    }

    /// [`Scan::resolve_at_read`] at the first read of a value not defined yet: an
    /// alias's target is kept in its facts. Most aliases (an SSA builder's removed block
    /// parameters) are of a value defined already, so the alias's destination is read
    /// one step at a time (Cranelift's `resolve_aliases` decodes the target again to
    /// see that it is no alias), and only a chain is followed through Cranelift.
    #[inline(never)]
    fn resolve_undefined(&mut self, dfg: &ir::DataFlowGraph, v: Value) -> Value {
        // (An alias's destination, one step: public for the text format's writer.)
        let Some(next) = dfg.value_alias_dest_for_serialization(v) else {
            return v;
        };
        let f = &self.facts[next.index()];
        let target = if f.ty != types::INVALID {
            next
        } else if let Some(target) = f.alias_target() {
            target
        } else {
            dfg.resolve_aliases(next)
        };
        self.facts[v.index()].set_alias(target);
        target
    }

    /// The destinations of the branch `data` at position `k`, in the block whose first
    /// instruction is at position `first`: their arguments are read (after the branch's
    /// own arguments) and kept with the blocks they go to. Returns the row's flags. Out of
    /// line: a branch ends each block, and the walk's loop over every instruction stays
    /// small.
    #[inline(never)]
    fn walk_destinations(
        &mut self,
        dfg: &ir::DataFlowGraph,
        data: &InstructionData,
        k: usize,
        first: u32,
    ) -> u8 {
        let pool = &dfg.value_lists;
        let mut flags = BRANCH;
        let conditional = matches!(
            data,
            InstructionData::Brif { .. } | InstructionData::BranchTable { .. }
        );
        let reader = User::new(k, conditional);
        self.branches.begin_branch();
        // The commonest branches' destinations straight from the instruction data.
        let calls = match data {
            InstructionData::Jump { destination, .. } => std::slice::from_ref(destination),
            InstructionData::Brif { blocks, .. } => &blocks[..],
            _ => data.branch_destination(&dfg.jump_tables, &dfg.exception_tables),
        };
        for call in calls {
            let args_start = self.operands.len() as u32;
            let mut values_only = true;
            for arg in call.args(pool) {
                match arg.as_value() {
                    Some(arg) => {
                        let arg = self.resolve_at_read(dfg, arg);
                        self.read(arg, reader, first);
                    }
                    None => values_only = false,
                }
            }
            let args = (args_start, self.operands.len() as u32);
            self.branches.push(call.block(pool), args, values_only);
        }
        // A `brif` whose two destinations are the same block with the same arguments
        // (aliases resolved) is lowered as a jump: its condition is counted twice, so that
        // it is never a tree (it is never pushed).
        if let InstructionData::Brif { arg, .. } = *data {
            if let [then_to, else_to] = self.branches.current() {
                let same = then_to.block == else_to.block
                    && then_to.values_only()
                    && else_to.values_only()
                    && self.operands[then_to.args()] == self.operands[else_to.args()];
                if same {
                    let arg = self.resolve_at_read(dfg, arg);
                    self.facts[arg.index()].count += 1;
                    flags |= BRIF_AS_JUMP;
                }
            }
        }
        flags
    }

    /// Record operand `value` (aliases resolved) of the instruction `reader`, in the
    /// block whose first instruction is at position `first`.
    #[inline]
    fn read(&mut self, value: Value, reader: User, first: u32) {
        self.operands.push(value);
        let f = &mut self.facts[value.index()];
        f.count += 1;
        f.user = reader;
        self.schedule.read(f, first);
    }
}

/// The value arguments of `data`: the commonest formats read inline, the rest through
/// Cranelift (a call per instruction otherwise).
#[inline]
fn arguments<'d>(data: &'d InstructionData, pool: &'d ir::ValueListPool) -> &'d [Value] {
    match data {
        InstructionData::Binary { args, .. }
        | InstructionData::IntCompare { args, .. }
        | InstructionData::Store { args, .. } => args,
        InstructionData::Unary { arg, .. } | InstructionData::Load { arg, .. } => {
            std::slice::from_ref(arg)
        }
        InstructionData::UnaryImm { .. } | InstructionData::UnaryGlobalValue { .. } => &[],
        _ => data.arguments(pool),
    }
}

#[cfg(test)]
mod tests {
    /// The inline reading of arguments agrees with Cranelift's on every format it reads
    /// (and on the others, which it passes on).
    #[test]
    fn arguments_agree_with_cranelift() {
        let text = "function %f(i64, i32) -> i32 {
    gv0 = symbol %g
    fn0 = %h(i32) -> i32
block0(v0: i64, v1: i32):
    v2 = iconst.i32 5
    v3 = iadd v1, v2
    v4 = icmp slt v3, v1
    v5 = uextend.i32 v4
    v6 = load.i32 v0+8
    store v6, v0
    v7 = symbol_value.i64 gv0
    v8 = bnot v3
    v9 = call fn0(v8)
    v10 = select v4, v9, v5
    brif v10, block1(v10), block1(v3)
block1(v11: i32):
    return v11
}";
        let func = cranelift_reader::parse_functions(text).unwrap().remove(0);
        let pool = &func.dfg.value_lists;
        let mut seen = 0;
        for block in func.layout.blocks() {
            for inst in func.layout.block_insts(block) {
                let data = &func.dfg.insts[inst];
                assert_eq!(super::arguments(data, pool), data.arguments(pool), "{inst}");
                seen += 1;
            }
        }
        assert_eq!(seen, 12);
    }
}
