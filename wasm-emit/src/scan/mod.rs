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

use crate::error::Result;
use crate::isel::Family;
use crate::reuse::{empty_with_room, refill, ClearTo};
use crate::stackify::{Class, Placement, Schedule};
use crate::support::{check_param_type, check_type, Gate};
use ops::{op_table, TypeSource};

mod branches;
mod ops;
pub use branches::{Branches, Destination};
use cranelift_codegen::ir::{self, types, Block, Inst, InstructionData, Opcode, Type, Value};
use cranelift_entity::packed_option::PackedOption;
use cranelift_entity::{EntityRef, SecondaryMap};

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
    /// Each operand value (by index) with aliases resolved; `None` for the values no
    /// instruction reads (results and parameters, which are never aliases).
    canon: Vec<PackedOption<Value>>,
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

/// The facts of one value, kept together: the walk updates them at every read.
#[derive(Clone, Copy)]
pub struct ValueFacts {
    /// Number of reads (a `brif` whose two edges are the same counts its condition twice,
    /// so that it is never a tree: it is lowered as a jump and the condition is never
    /// pushed).
    pub count: u32,
    /// The last instruction reading it.
    pub user: User,
    /// The ordinal of the block it is defined in (`NO_BLOCK` if none).
    pub def_block: u32,
    /// The position of the instruction defining it (`u32::MAX` for a block parameter, or
    /// a value defined nowhere).
    pub def: u32,
    /// Its type, for a result or block parameter (`INVALID` for a value defined nowhere).
    pub ty: Type,
    /// Where it is placed (see `stackify`).
    pub placement: Placement,
    /// The class of its instruction with the trees it carries, if it may be placed off
    /// locals at all (the only result of an instruction that is no branch).
    pub class: Option<Class>,
    /// Whether its instruction is a constant cheap enough to emit at every read.
    pub cheap_constant: bool,
    /// Whether its first read is in its own block, after its definition.
    pub read_in_block: bool,
    /// Whether no effect, and whether no instruction that is not pure, stands between
    /// its definition and its first read in its block (see `stackify::Schedule`).
    pub no_effect_between: bool,
    /// See `no_effect_between`.
    pub all_pure_between: bool,
}

impl Default for ValueFacts {
    fn default() -> Self {
        ValueFacts {
            count: 0,
            user: User::NONE,
            def_block: NO_BLOCK,
            def: u32::MAX,
            ty: types::INVALID,
            placement: Placement::Local,
            class: None,
            cheap_constant: false,
            read_in_block: false,
            no_effect_between: false,
            all_pure_between: false,
        }
    }
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
    /// Its operands are `operands[op_start..op_end]`: its arguments, then its block-call
    /// arguments (`arg_end` splits them).
    op_start: u32,
    arg_end: u32,
    op_end: u32,
    /// Its results are `results[res_start..res_end]`.
    res_start: u32,
    res_end: u32,
}

/// [`Row::flags`]: the instruction is a branch.
const BRANCH: u8 = 1;
/// [`Row::flags`]: the instruction's only result is not placed in a local, so the
/// instruction is emitted where that result is used (or, if unused, nowhere).
const AT_USE: u8 = 2;
/// [`Row::flags`]: a `brif` whose two destinations are the same block with the same
/// arguments: it is lowered as a jump.
const BRIF_AS_JUMP: u8 = 4;

/// The position of the last instruction reading a value, and whether that read is a
/// block argument of a conditional edge, packed in a `u32` (`User::NONE`: no read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct User(u32);

impl Default for User {
    fn default() -> Self {
        User::NONE
    }
}

impl User {
    /// No instruction reads the value.
    pub const NONE: User = User(u32::MAX);
    const CONDITIONAL: u32 = 1 << 31;

    fn new(position: usize, conditional: bool) -> User {
        User(position as u32 | if conditional { Self::CONDITIONAL } else { 0 })
    }

    /// The reader's position and whether the read is on a conditional edge.
    #[inline]
    pub fn get(self) -> Option<(usize, bool)> {
        (self != User::NONE).then_some((
            (self.0 & !Self::CONDITIONAL) as usize,
            self.0 & Self::CONDITIONAL != 0,
        ))
    }
}

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
            canon: Vec::new(),
            num_params: 0,
            schedule: Schedule::default(),
            address_insts: Vec::new(),
            off_locals: Vec::new(),
            checked: Vec::new(),
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
        let s = self;
        s.off_locals.clear();
        // Placed in layout order; the values left in locals are counted by type on the
        // way (block parameters were counted by the walk).
        for row in &mut s.rows {
            if row.res_end == row.res_start + 1 {
                let value = s.results[row.res_start as usize];
                let in_local = crate::stackify::place(
                    row.class,
                    &s.operands[row.op_start as usize..row.arg_end as usize],
                    value,
                    &mut s.facts,
                );
                if in_local {
                    s.local_counts[numeric_pool(s.facts[value.index()].ty)] += 1;
                } else {
                    row.flags |= AT_USE;
                    s.off_locals.push(value);
                }
            } else if row.res_end > row.res_start + 1 {
                for &value in &s.results[row.res_start as usize..row.res_end as usize] {
                    s.local_counts[numeric_pool(s.facts[value.index()].ty)] += 1;
                }
            }
        }
        Ok(())
    }

    /// The walk of [`Scan::recompute`].
    fn walk(&mut self, func: &ir::Function, gate: Option<&Gate>) -> Result<()> {
        let dfg = &func.dfg;
        let n_insts = dfg.num_insts();
        let n_values = dfg.num_values();
        let ops = op_table();
        self.canon.clear();
        let s = self;
        s.blocks.clear();
        s.block_start.clear();
        empty_with_room(&mut s.rows, n_insts);
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
            s.block_start.push(s.rows.len() as u32);
            let params = dfg.block_params(block);
            s.branches.begin_block(params);
            s.num_params += params.len();
            for &p in params {
                let ty = dfg.value_type(p);
                if gate.is_some() {
                    check_param_type(func, ty)?;
                }
                let f = &mut s.facts[p.index()];
                f.def_block = ord;
                f.ty = ty;
                if ord > 0 {
                    s.param_counts[numeric_pool(ty)] += 1;
                }
            }
            for inst in func.layout.block_insts(block) {
                let k = s.rows.len();
                s.index[inst] = k as u32;
                let data = &dfg.insts[inst];
                let opcode = data.opcode();
                let info = ops[opcode as u8 as usize];
                if info.listed {
                    if info.addresses {
                        s.address_insts.push(inst);
                    }
                    if info.checked {
                        s.checked.push(k as u32);
                    }
                }
                if info.gated {
                    if let Some(gate) = gate {
                        gate.check_opcode(func, inst, data)?;
                    }
                }
                let op_start = s.operands.len() as u32;
                let reader = User::new(k, false);
                for &arg in data.arguments(pool) {
                    let arg = s.resolve_at_read(dfg, arg);
                    s.read(arg, reader, ord);
                }
                let arg_end = s.operands.len() as u32;
                let flags = if info.branch {
                    s.walk_destinations(dfg, data, k, ord)
                } else {
                    0
                };
                let results = dfg.inst_results(inst);
                let res_start = s.results.len() as u32;
                // Most instructions have one result or none: a push, not a copy.
                match *results {
                    [] => {}
                    [r] => s.results.push(r),
                    _ => s.results.extend_from_slice(results),
                }
                // The first result's type: the controlling type of most polymorphic
                // opcodes, and checked by the gate with the others.
                for &r in results {
                    let ty = dfg.value_type(r);
                    if gate.is_some() {
                        check_type(func, inst, ty)?;
                    }
                    let f = &mut s.facts[r.index()];
                    f.def_block = ord;
                    f.def = k as u32;
                    f.ty = ty;
                }
                let ty = match info.ty {
                    TypeSource::Invariant => types::INVALID,
                    TypeSource::Operand(i) => s.operands[op_start as usize..arg_end as usize]
                        .get(i as usize)
                        .map_or(types::INVALID, |&v| dfg.value_type(v)),
                    TypeSource::Result => results
                        .first()
                        .map_or(types::INVALID, |r| s.facts[r.index()].ty),
                };
                // Operands are results or block parameters checked where they are defined,
                // so the controlling type needs a check only where it is neither.
                if gate.is_some() && results.is_empty() {
                    check_type(func, inst, ty)?;
                }
                s.schedule.define(
                    k as u32,
                    opcode,
                    data,
                    info.class,
                    info.branch,
                    results,
                    &mut s.facts,
                );
                s.rows.push(Row {
                    inst,
                    class: info.class,
                    opcode,
                    family: info.family,
                    flags,
                    ty,
                    op_start,
                    arg_end,
                    op_end: s.operands.len() as u32,
                    res_start,
                    res_end: s.results.len() as u32,
                });
            }
        }
        s.block_start.push(s.rows.len() as u32);
        s.branches.finish();
        Ok(())
    }

    /// `v` with aliases resolved, at a read during the walk. Aliases are resolved once per
    /// value, at its first read: a function's value space can be several times its
    /// instruction count (detached and alias values). A value defined already (a result
    /// or block parameter) is no alias, so only a value read before its definition in
    /// the layout, or defined nowhere, costs a call into Cranelift.
    #[inline]
    fn resolve_at_read(&mut self, dfg: &ir::DataFlowGraph, v: Value) -> Value {
        if self.facts[v.index()].def_block != NO_BLOCK {
            return v;
        }
        self.resolve_undefined(dfg, v)
    }

    /// [`Scan::resolve_at_read`] of a value not defined yet; `canon` gets its storage at
    /// the first alias.
    #[inline(never)]
    fn resolve_undefined(&mut self, dfg: &ir::DataFlowGraph, v: Value) -> Value {
        if let Some(target) = self.canon.get(v.index()).and_then(|c| c.expand()) {
            return target;
        }
        let target = dfg.resolve_aliases(v);
        if target != v {
            if self.canon.is_empty() {
                self.canon.resize(dfg.num_values(), None.into());
            }
            self.canon[v.index()] = target.into();
        }
        target
    }

    /// The destinations of the branch `data` at position `k`, in the block with ordinal
    /// `block`: their arguments are read (after the branch's own arguments) and kept with
    /// the blocks they go to. Returns the row's flags. Out of line: a branch ends each
    /// block, and the walk's loop over every instruction stays small.
    #[inline(never)]
    fn walk_destinations(
        &mut self,
        dfg: &ir::DataFlowGraph,
        data: &InstructionData,
        k: usize,
        block: u32,
    ) -> u8 {
        let pool = &dfg.value_lists;
        let mut flags = BRANCH;
        let conditional = matches!(
            data,
            InstructionData::Brif { .. } | InstructionData::BranchTable { .. }
        );
        if let InstructionData::Brif { arg, blocks, .. } = *data {
            if blocks[0].block(pool) == blocks[1].block(pool)
                && blocks[0].args(pool).eq(blocks[1].args(pool))
            {
                let arg = self.resolve_at_read(dfg, arg);
                self.facts[arg.index()].count += 1;
                flags |= BRIF_AS_JUMP;
            }
        }
        let reader = User::new(k, conditional);
        self.branches.begin_branch();
        for call in data.branch_destination(&dfg.jump_tables, &dfg.exception_tables) {
            let args_start = self.operands.len() as u32;
            let mut values_only = true;
            for arg in call.args(pool) {
                match arg.as_value() {
                    Some(arg) => {
                        let arg = self.resolve_at_read(dfg, arg);
                        self.read(arg, reader, block);
                    }
                    None => values_only = false,
                }
            }
            let args = (args_start, self.operands.len() as u32);
            self.branches.push(call.block(pool), args, values_only);
        }
        flags
    }

    /// Record operand `value` (aliases resolved) of the instruction `reader`, in the
    /// block with ordinal `block`.
    #[inline]
    fn read(&mut self, value: Value, reader: User, block: u32) {
        self.operands.push(value);
        let f = &mut self.facts[value.index()];
        f.count += 1;
        f.user = reader;
        self.schedule.read(f, block);
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
                    if f.def_block != NO_BLOCK {
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
            if f.def_block == NO_BLOCK {
                continue;
            }
            if f.def != u32::MAX {
                self.local_counts[numeric_pool(f.ty)] += 1;
            } else if f.def_block != 0 {
                self.param_counts[numeric_pool(f.ty)] += 1;
            }
        }
    }

    /// The results not placed in locals (emitted where they are used, or dead), in
    /// layout order.
    pub fn off_locals(&self) -> &[Value] {
        &self.off_locals
    }

    /// `value` with aliases resolved.
    #[inline]
    pub fn resolve(&self, value: Value) -> Value {
        match self.canon.get(value.index()) {
            Some(target) => target.expand().unwrap_or(value),
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
            Some(f) if f.def != u32::MAX => Some(f.def as usize),
            _ => None,
        }
    }

    /// Every instruction in layout order, with its opcode and every value it reads (see
    /// [`Scan::operands`]).
    pub fn instructions(&self) -> impl Iterator<Item = (Inst, Opcode, &[Value])> + '_ {
        self.rows.iter().map(|row| self.operand_view(row))
    }

    /// An instruction with its opcode and every value it reads.
    #[inline]
    fn operand_view(&self, row: &Row) -> (Inst, Opcode, &[Value]) {
        let operands = &self.operands[row.op_start as usize..row.op_end as usize];
        (row.inst, row.opcode, operands)
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
            self.checked.sort_unstable();
            self.checked.dedup();
        }
        true
    }

    /// [`Scan::instructions`] restricted to those the off-heap verifier looks at in a
    /// function without references (calls, returns, selects and address-taking
    /// instructions: `cranelift_offheap::checked_without_places`), and the readers
    /// [`Scan::check_place_readers`] added.
    pub fn checked_instructions(&self) -> impl Iterator<Item = (Inst, Opcode, &[Value])> + '_ {
        let rows = self.checked.iter().map(|&k| &self.rows[k as usize]);
        rows.map(|row| self.operand_view(row))
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
        self.rows.len()
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

    /// The parameters of the block with ordinal `b`.
    #[inline]
    pub fn block_params(&self, b: usize) -> &[Value] {
        self.branches.params(b)
    }

    /// Whether the instruction at position `k` is emitted where its only result is used
    /// rather than where it stands (or nowhere, if the result is unused): the result is
    /// not placed in a local.
    #[inline]
    pub fn emitted_at_use(&self, k: usize) -> bool {
        self.rows[k].flags & AT_USE != 0
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
        let row = &self.rows[k];
        &self.operands[row.op_start as usize..row.op_end as usize]
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
        let row = &self.rows[k];
        &self.results[row.res_start as usize..row.res_end as usize]
    }
}
