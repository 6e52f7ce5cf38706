//! One walk over a function's layout, shared by the passes that place values
//! (`stackify`, whose facts it gathers on the way, `liveness`, `coloring`) and by
//! instruction selection: the instructions in layout order, every instruction's operands
//! and results, the block each value is defined in, and how often and by what each value
//! is read, all with aliases resolved.
//!
//! Cranelift's layout is a linked list and its operands live in a shared pool, and values
//! may be aliases: reading them costs a call and a few branches each time. The passes
//! after this one read the same facts from flat arrays indexed by an instruction's
//! position in layout order.
//!
//! `walk` is the walk itself, `branches` keeps the branches' destinations and the blocks'
//! parameters it finds (for the lowering graph and the edge copies), `facts` is what it
//! records of each value, and `ops` is what it asks of each opcode.

use crate::error::Result;
use crate::isel::Family;
use crate::stackify::{Class, Placement, Schedule};
use crate::support::Gate;

mod branches;
mod facts;
mod ops;
mod walk;
pub use branches::{Branches, Destination};
use cranelift_codegen::ir::{self, types, Block, Inst, Opcode, Type, Value};
use cranelift_entity::{EntityRef, SecondaryMap};
pub use facts::{User, ValueFacts};

/// No block (a value defined nowhere, such as an unused alias target).
pub const NO_BLOCK: u32 = u32::MAX;

/// The flat facts of one function.
pub struct Scan {
    /// Blocks in layout order.
    pub blocks: Vec<Block>,
    /// The ordinal (position in `blocks`) of each block in the layout.
    pub ordinal: SecondaryMap<Block, u32>,
    /// The instructions of `blocks[b]` are at positions `block_start[b]..block_start[b + 1]`.
    block_start: Vec<u32>,
    /// The instructions in layout order (a position is an index in it).
    rows: Vec<Row>,
    /// Position of each instruction.
    pub index: SecondaryMap<Inst, u32>,
    /// Every instruction's operands (see `Row`), aliases resolved.
    operands: Vec<Value>,
    /// Every instruction's results (see `Row`).
    results: Vec<Value>,
    /// What the walk found of each value (by value index).
    facts: Vec<ValueFacts>,
    /// The number of block parameters of all blocks.
    num_params: usize,
    /// The state of the placement decisions made on the way.
    schedule: Schedule,
    /// The `stack_addr` and `symbol_value` instructions, in layout order.
    address_insts: Vec<Inst>,
    /// The results not placed in locals (their rows are flagged [`AT_USE`]).
    off_locals: Vec<Value>,
    /// The positions of the instructions the off-heap verifier looks at in a function
    /// without place addresses and references (see [`Scan::checked_instructions`]).
    checked: Vec<u32>,
    /// Storage for merging the place readers into `checked`.
    merged: Vec<u32>,
    /// How many values the placement keeps in locals, by numeric pool (see
    /// [`numeric_pool`]): the parameters of blocks after the entry (whose are the wasm
    /// parameters), and the results.
    param_counts: [u32; 4],
    local_counts: [u32; 4],
    /// The number of parameters of the entry block.
    entry_params: u32,
    /// The branches' destinations and the blocks' parameters.
    branches: Branches,
}

/// The pool of the wasm value type a CLIF type is carried in: i32 (0), i64 (1), f32 (2),
/// f64 (3), as `types::val_type` maps it.
#[inline]
pub fn numeric_pool(ty: Type) -> usize {
    match ty {
        types::I64 => 1,
        types::F32 => 2,
        types::F64 => 3,
        _ => 0,
    }
}

/// `a` and `b` (each sorted) merged into `out`, sorted.
fn merge_sorted(a: &[u32], b: &[u32], out: &mut Vec<u32>) {
    out.clear();
    out.reserve(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
}

/// One instruction, at its position in layout order: everything the passes read of it,
/// in one place, written in one go.
#[derive(Clone, Copy)]
struct Row {
    inst: Inst,
    class: Class,
    opcode: Opcode,
    /// The instruction-selection family that lowers it.
    family: Family,
    /// [`BRANCH`] and [`AT_USE`], read by the lowering of every instruction.
    flags: u8,
    /// The controlling type (Cranelift's `ctrl_typevar`).
    ty: Type,
    /// The immediate of an `iconst`, truncated (exact for the constants cheap enough
    /// to emit at every read, which are all this is read for).
    imm: i16,
    /// Its operands are `operands[op_start..]` up to the next row's `op_start`: its
    /// arguments, then its block-call arguments (`arg_end` splits them). The rows end
    /// with a sentinel whose starts are the arrays' ends, so every row has a next one.
    op_start: u32,
    arg_end: u32,
    /// Its results are `results[res_start..]` up to the next row's `res_start`.
    res_start: u32,
}

/// [`Row::flags`]: the instruction is a branch.
const BRANCH: u8 = 1;
/// [`Row::flags`]: the instruction's only result is not placed in a local, so the
/// instruction is emitted where that result is used (or, if unused, nowhere).
const AT_USE: u8 = 2;
/// [`Row::flags`]: a `brif` whose two destinations are the same block with the same
/// arguments: it is lowered as a jump.
const BRIF_AS_JUMP: u8 = 4;

impl Default for Scan {
    fn default() -> Self {
        Scan {
            blocks: Vec::new(),
            ordinal: SecondaryMap::with_default(NO_BLOCK),
            block_start: Vec::new(),
            rows: Vec::new(),
            index: SecondaryMap::new(),
            operands: Vec::new(),
            results: Vec::new(),
            facts: Vec::new(),
            num_params: 0,
            schedule: Schedule::default(),
            address_insts: Vec::new(),
            off_locals: Vec::new(),
            checked: Vec::new(),
            merged: Vec::new(),
            param_counts: [0; 4],
            local_counts: [0; 4],
            entry_params: 0,
            branches: Branches::default(),
        }
    }
}

impl Scan {
    /// Walk `func` once, checking it against the feature `gate` on the way if there is
    /// one.
    pub fn compute(func: &ir::Function, gate: Option<&Gate>) -> Result<Scan> {
        let mut scan = Scan::default();
        scan.recompute(func, gate)?;
        Ok(scan)
    }

    /// [`Scan::compute`] into this scan, reusing its storage (for the next function).
    pub fn recompute(&mut self, func: &ir::Function, gate: Option<&Gate>) -> Result<()> {
        if let Some(gate) = gate {
            gate.check_header(func)?;
        }
        self.walk(func, gate)?;
        self.place_all(&func.dfg);
        Ok(())
    }

    /// Place every result, in layout order; the values left in locals are counted by
    /// type on the way (block parameters were counted by the walk). The arrays are taken
    /// apart into slices first, so that the loop keeps them in registers.
    fn place_all(&mut self, dfg: &ir::DataFlowGraph) {
        let Scan {
            rows,
            operands,
            results,
            facts,
            off_locals,
            local_counts,
            ..
        } = self;
        let (operands, results, facts) = (&operands[..], &results[..], &mut facts[..]);
        off_locals.clear();
        let mut counts = *local_counts;
        // Each row with the next one, whose starts end its operands and results (the
        // sentinel closes the last).
        let mut rows = rows.iter_mut();
        let Some(mut row) = rows.next() else {
            return;
        };
        for next in rows {
            let res_end = next.res_start;
            let row = std::mem::replace(&mut row, next);
            if res_end == row.res_start + 1 {
                let value = results[row.res_start as usize];
                // A small constant is emitted at every read, from its row's immediate.
                if row.opcode == Opcode::Iconst {
                    if let Some(imm) = crate::stackify::cheap_constant(&dfg.insts[row.inst]) {
                        row.imm = imm as i16;
                        facts[value.index()].mark_cheap_constant();
                    }
                }
                // (No branch has a result; were one to, it would stay in a local.)
                let in_local = row.flags & BRANCH != 0
                    || crate::stackify::place(
                        row.class,
                        &operands[row.op_start as usize..row.arg_end as usize],
                        value,
                        facts,
                    );
                if in_local {
                    counts[numeric_pool(facts[value.index()].ty)] += 1;
                } else {
                    row.flags |= AT_USE;
                    off_locals.push(value);
                }
            } else if res_end > row.res_start + 1 {
                for &value in &results[row.res_start as usize..res_end as usize] {
                    counts[numeric_pool(facts[value.index()].ty)] += 1;
                }
            }
        }
        *local_counts = counts;
    }

    /// Place `values` in locals, whatever the scan decided: their lowering did not fit
    /// the tree discipline. (The trees that carry them keep their class: stronger than
    /// they now need, which is safe.)
    pub fn keep_in_locals(&mut self, values: &[Value]) {
        self.off_locals.retain(|v| !values.contains(v));
        for &v in values {
            if let Some(f) = self.facts.get_mut(v.index()) {
                if f.placement != Placement::Local {
                    f.placement = Placement::Local;
                    if f.ty != types::INVALID {
                        self.local_counts[numeric_pool(f.ty)] += 1;
                    }
                    if let Some(row) = self.rows.get_mut(f.def as usize) {
                        row.flags &= !AT_USE;
                    }
                }
            }
        }
    }

    /// How many values the placement keeps in locals: block parameters (the entry
    /// block's are the wasm parameters) and results not placed off locals.
    pub fn values_in_locals(&self) -> usize {
        let counts = self.param_counts.iter().chain(&self.local_counts);
        self.entry_params as usize + counts.sum::<u32>() as usize
    }

    /// How many values the placement keeps in locals by the pool of their wasm type (see
    /// [`numeric_pool`]; a reference is counted with its CLIF type's): the parameters of
    /// the blocks after the entry, and the results.
    pub fn locals_by_pool(&self) -> ([u32; 4], [u32; 4]) {
        (self.param_counts, self.local_counts)
    }

    /// Place every value in a local.
    pub fn keep_all_in_locals(&mut self) {
        self.param_counts = [0; 4];
        self.local_counts = [0; 4];
        self.off_locals.clear();
        for row in &mut self.rows {
            row.flags &= !AT_USE;
        }
        for f in &mut self.facts {
            f.placement = Placement::Local;
            if f.ty != types::INVALID && f.def != u32::MAX {
                self.local_counts[numeric_pool(f.ty)] += 1;
            }
        }
        // The parameters of the blocks after the entry (the entry's are the wasm
        // parameters).
        for b in 1..self.blocks.len() {
            for &p in self.branches.params(b) {
                self.param_counts[numeric_pool(self.facts[p.index()].ty)] += 1;
            }
        }
    }

    /// The parameters of the block with ordinal `b`.
    #[inline]
    pub fn block_params(&self, b: usize) -> &[Value] {
        self.branches.params(b)
    }

    /// The results not placed in locals (emitted where they are used, or dead), in
    /// layout order.
    pub fn off_locals(&self) -> &[Value] {
        &self.off_locals
    }

    /// `value` with aliases resolved (an alias the walk read; any other value is itself).
    #[inline]
    pub fn resolve(&self, value: Value) -> Value {
        match self.facts.get(value.index()) {
            Some(f) => f.alias_target().unwrap_or(value),
            None => value,
        }
    }

    /// The positions of the instructions of the block with ordinal `b`.
    #[inline]
    pub fn block_range(&self, b: usize) -> std::ops::Range<usize> {
        self.block_start[b] as usize..self.block_start[b + 1] as usize
    }

    /// The position of the instruction defining `value`, if an instruction does.
    #[inline]
    pub fn def_position(&self, value: Value) -> Option<usize> {
        match self.facts.get(value.index()) {
            Some(f) if f.ty != types::INVALID && f.def != u32::MAX => Some(f.def as usize),
            _ => None,
        }
    }

    /// Every instruction in layout order, with its opcode and every value it reads (see
    /// [`Scan::operands`]).
    pub fn instructions(&self) -> impl Iterator<Item = (Inst, Opcode, &[Value])> + '_ {
        (0..self.num_insts()).map(|k| self.operand_view(k))
    }

    /// The instruction at position `k` with its opcode and every value it reads.
    #[inline]
    fn operand_view(&self, k: usize) -> (Inst, Opcode, &[Value]) {
        let row = &self.rows[k];
        (row.inst, row.opcode, self.operands(k))
    }

    /// Add the instructions reading the results of the address-taking instructions that
    /// `is_place` names to [`Scan::checked_instructions`], if each such result is read at
    /// most once (its reader is then known); else `false`, and nothing is added.
    pub fn check_place_readers(&mut self, is_place: impl Fn(Value) -> bool) -> bool {
        let before = self.checked.len();
        for &inst in &self.address_insts {
            let k = self.index[inst] as usize;
            let Some(&place) = self.results(k).first() else {
                continue;
            };
            if !is_place(place) {
                continue;
            }
            let f = &self.facts[place.index()];
            match (f.count, f.user.get()) {
                (0, _) => {}
                (1, Some((reader, _))) => self.checked.push(reader as u32),
                _ => {
                    self.checked.truncate(before);
                    return false;
                }
            }
        }
        if self.checked.len() > before {
            // Two runs in layout order (the walk's, then the readers sorted): one merge.
            self.checked[before..].sort_unstable();
            let (walked, readers) = self.checked.split_at(before);
            merge_sorted(walked, readers, &mut self.merged);
            std::mem::swap(&mut self.checked, &mut self.merged);
            self.checked.dedup();
        }
        true
    }

    /// [`Scan::instructions`] restricted to those the off-heap verifier looks at in a
    /// function without references (calls, returns, selects and address-taking
    /// instructions: `cranelift_offheap::checked_without_places`), and the readers
    /// [`Scan::check_place_readers`] added.
    pub fn checked_instructions(&self) -> impl Iterator<Item = (Inst, Opcode, &[Value])> + '_ {
        self.checked.iter().map(|&k| self.operand_view(k as usize))
    }

    /// The `stack_addr` and `symbol_value` instructions, in layout order: the only ones
    /// that can take a place's address (see `cranelift_offheap::Analysis::compute_among`).
    #[inline]
    pub fn address_insts(&self) -> &[Inst] {
        &self.address_insts
    }

    /// The type of `value`: as the scan recorded it for results and block parameters,
    /// else (a value defined nowhere in the layout) as Cranelift has it.
    #[inline]
    pub fn value_type(&self, dfg: &ir::DataFlowGraph, value: Value) -> Type {
        match self.facts.get(value.index()) {
            Some(f) if f.ty != types::INVALID => f.ty,
            _ => dfg.value_type(value),
        }
    }

    /// The number of instructions (in the layout).
    #[inline]
    pub fn num_insts(&self) -> usize {
        // Without the sentinel.
        self.rows.len().saturating_sub(1)
    }

    /// The type and value of the constant defined at position `k`, a constant placed to
    /// be emitted at every read (`Placement::Remat`): read from the row, without
    /// decoding the instruction again.
    #[inline]
    pub fn remat_constant(&self, k: usize) -> (Type, i64) {
        let row = &self.rows[k];
        (row.ty, i64::from(row.imm))
    }

    /// The instruction at position `k`.
    #[inline]
    pub fn inst(&self, k: usize) -> Inst {
        self.rows[k].inst
    }

    /// The effect class of the instruction at position `k`.
    #[inline]
    pub fn class(&self, k: usize) -> Class {
        self.rows[k].class
    }

    /// The opcode and the controlling type (as Cranelift's `ctrl_typevar` gives it) of the
    /// instruction at position `k`.
    #[inline]
    pub fn opcode_and_type(&self, k: usize) -> (Opcode, Type) {
        let row = &self.rows[k];
        (row.opcode, row.ty)
    }

    /// The opcode, the controlling type and the instruction-selection family of the
    /// instruction at position `k` (see [`Scan::opcode_and_type`]).
    #[inline]
    pub fn opcode_type_family(&self, k: usize) -> (Opcode, Type, Family) {
        let row = &self.rows[k];
        (row.opcode, row.ty, row.family)
    }

    /// Whether the instruction at position `k` is a branch.
    #[inline]
    pub fn is_branch(&self, k: usize) -> bool {
        self.rows[k].flags & BRANCH != 0
    }

    /// Whether the instruction at position `k` is lowered where it stands in its block:
    /// neither a branch (lowered with the block's exit) nor emitted where its only result
    /// is used, or nowhere if it is unused (a result not placed in a local).
    #[inline]
    pub fn lowered_in_place(&self, k: usize) -> bool {
        self.rows[k].flags & (BRANCH | AT_USE) == 0
    }

    /// Whether the instruction at position `k` is a `brif` whose two destinations are
    /// the same block with the same arguments (lowered as a jump).
    #[inline]
    pub fn is_brif_as_jump(&self, k: usize) -> bool {
        self.rows[k].flags & BRIF_AS_JUMP != 0
    }

    /// The destinations of the terminator of the block with ordinal `b`, as
    /// `branch_destination` orders them (none if the block ends in no branch).
    #[inline]
    pub fn destinations(&self, b: usize) -> &[Destination] {
        self.branches.destinations(b)
    }

    /// The arguments `destination` passes (aliases resolved).
    #[inline]
    pub fn destination_args(&self, destination: &Destination) -> &[Value] {
        &self.operands[destination.args()]
    }

    /// The parameters of the block `destination` goes to: what its arguments are copied
    /// into.
    #[inline]
    pub fn destination_params(&self, destination: &Destination) -> &[Value] {
        self.branches
            .params(self.ordinal[destination.block] as usize)
    }

    /// The arguments of the instruction at position `k` (aliases resolved).
    #[inline]
    pub fn args(&self, k: usize) -> &[Value] {
        let row = &self.rows[k];
        &self.operands[row.op_start as usize..row.arg_end as usize]
    }

    /// Every value the instruction at position `k` reads: its arguments and its
    /// block-call arguments (aliases resolved).
    #[inline]
    pub fn operands(&self, k: usize) -> &[Value] {
        let (row, next) = (&self.rows[k], &self.rows[k + 1]);
        &self.operands[row.op_start as usize..next.op_start as usize]
    }

    /// What the walk found of `value` (a value no alias resolves to has default facts).
    #[inline]
    pub fn facts(&self, value: Value) -> &ValueFacts {
        &self.facts[value.index()]
    }

    /// The facts of every value, by value index.
    #[inline]
    pub fn all_facts(&self) -> &[ValueFacts] {
        &self.facts
    }

    /// The number of block parameters of all blocks.
    #[inline]
    pub fn num_params(&self) -> usize {
        self.num_params
    }

    /// The results of every instruction, in layout order.
    #[inline]
    pub fn all_results(&self) -> &[Value] {
        &self.results
    }

    /// The results of the instruction at position `k`.
    #[inline]
    pub fn results(&self, k: usize) -> &[Value] {
        let (row, next) = (&self.rows[k], &self.rows[k + 1]);
        &self.results[row.res_start as usize..next.res_start as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::merge_sorted;

    /// Merging keeps every element, in order, whatever runs are empty or shared.
    #[test]
    fn merge_sorted_interleaves_and_keeps_duplicates() {
        let mut out = vec![99];
        for (a, b, want) in [
            (&[1, 4, 9][..], &[2, 4, 10][..], &[1, 2, 4, 4, 9, 10][..]),
            (&[], &[3, 5], &[3, 5]),
            (&[3, 5], &[], &[3, 5]),
            (&[7], &[1, 2, 3], &[1, 2, 3, 7]),
        ] {
            merge_sorted(a, b, &mut out);
            assert_eq!(out, want, "{a:?} with {b:?}");
        }
    }
}
