//! One walk over a function's layout, shared by the passes that place values
//! (`stackify`, `liveness`, `coloring`) and by instruction selection: the instructions in
//! layout order, every instruction's operands and results, the block each value is defined
//! in, and how often and by what each value is read, all with aliases resolved.
//!
//! Cranelift's layout is a linked list and its operands live in a shared pool, and values
//! may be aliases: reading them costs a call and a few branches each time. The passes
//! after this one read the same facts from flat arrays indexed by an instruction's
//! position in layout order.

use crate::error::Result;
use crate::reuse::ClearTo;
use crate::stackify::Class;
use crate::support::Gate;
use cranelift_codegen::ir::{self, Block, Inst, InstructionData, Value};
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
    /// The instructions of `blocks[b]` are `insts[block_start[b]..block_start[b + 1]]`.
    block_start: Vec<u32>,
    /// Instructions in layout order.
    pub insts: Vec<Inst>,
    /// Position of each instruction in `insts`.
    pub index: SecondaryMap<Inst, u32>,
    /// The block ordinal (position in `blocks`) of each instruction, by position.
    block_of: Vec<u32>,
    /// The effect class of each instruction, by position.
    pub classes: Vec<Class>,
    /// The operands of the instruction at position `k` are
    /// `operands[op_start[k]..op_start[k + 1]]`: its arguments, then its block-call
    /// arguments (`arg_end[k]` splits them).
    operands: Vec<Value>,
    op_start: Vec<u32>,
    arg_end: Vec<u32>,
    /// The results of the instruction at position `k`: `results[res_start[k]..res_start[k + 1]]`.
    results: Vec<Value>,
    res_start: Vec<u32>,
    /// The block ordinal each value is defined in (`NO_BLOCK` if none).
    pub def_block: SecondaryMap<Value, u32>,
    /// Each operand value (by index) with aliases resolved; `None` for the values no
    /// instruction reads (results and parameters, which are never aliases).
    canon: Vec<PackedOption<Value>>,
    /// Number of reads of each value (a `brif` whose two edges are the same counts its
    /// condition twice, so that it is never a tree: it is lowered as a jump and the
    /// condition is never pushed).
    pub count: SecondaryMap<Value, u32>,
    /// The last instruction reading each value, and whether that read is a block argument
    /// of a conditional edge.
    pub user: SecondaryMap<Value, Option<(Inst, bool)>>,
    /// The number of block parameters of all blocks.
    num_params: usize,
}

impl Default for Scan {
    fn default() -> Self {
        Scan {
            blocks: Vec::new(),
            ordinal: SecondaryMap::with_default(NO_BLOCK),
            block_start: Vec::new(),
            insts: Vec::new(),
            index: SecondaryMap::new(),
            block_of: Vec::new(),
            classes: Vec::new(),
            operands: Vec::new(),
            op_start: Vec::new(),
            arg_end: Vec::new(),
            results: Vec::new(),
            res_start: Vec::new(),
            def_block: SecondaryMap::with_default(NO_BLOCK),
            canon: Vec::new(),
            count: SecondaryMap::new(),
            user: SecondaryMap::new(),
            num_params: 0,
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
        let dfg = &func.dfg;
        let n_insts = dfg.num_insts();
        let n_values = dfg.num_values();
        // Aliases are resolved once per value read, on its first read: a function's value
        // space can be several times its instruction count (detached and alias values).
        let mut canon = std::mem::take(&mut self.canon);
        canon.clear();
        canon.resize(n_values, None.into());
        let mut resolve = |v: Value| match canon.get(v.index()).and_then(|c| c.expand()) {
            Some(target) => target,
            None => {
                let target = dfg.resolve_aliases(v);
                if let Some(slot) = canon.get_mut(v.index()) {
                    *slot = target.into();
                }
                target
            }
        };
        let s = self;
        s.blocks.clear();
        s.block_start.clear();
        s.insts.clear();
        s.block_of.clear();
        s.num_params = 0;
        s.classes.clear();
        s.operands.clear();
        s.op_start.clear();
        s.arg_end.clear();
        s.results.clear();
        s.res_start.clear();
        s.index.clear_to(n_insts);
        s.ordinal.clear_to(dfg.num_blocks());
        s.def_block.clear_to(n_values);
        s.count.clear_to(n_values);
        s.user.clear_to(n_values);
        let pool = &dfg.value_lists;
        for block in func.layout.blocks() {
            let ord = s.blocks.len() as u32;
            s.blocks.push(block);
            s.ordinal[block] = ord;
            s.block_start.push(s.insts.len() as u32);
            if let Some(gate) = gate {
                gate.check_block_params(func, block)?;
            }
            let params = dfg.block_params(block);
            s.num_params += params.len();
            for &p in params {
                s.def_block[p] = ord;
            }
            for inst in func.layout.block_insts(block) {
                let k = s.insts.len() as u32;
                s.insts.push(inst);
                s.index[inst] = k;
                s.block_of.push(ord);
                let data = &dfg.insts[inst];
                s.classes.push(crate::stackify::class(data.opcode()));
                s.op_start.push(s.operands.len() as u32);
                for &arg in dfg.inst_args(inst) {
                    let v = resolve(arg);
                    s.operands.push(v);
                    s.count[v] += 1;
                    s.user[v] = Some((inst, false));
                }
                s.arg_end.push(s.operands.len() as u32);
                if data.opcode().is_branch() {
                    let conditional = matches!(
                        data,
                        InstructionData::Brif { .. } | InstructionData::BranchTable { .. }
                    );
                    if let InstructionData::Brif { arg, blocks, .. } = *data {
                        if blocks[0].block(pool) == blocks[1].block(pool)
                            && blocks[0].args(pool).eq(blocks[1].args(pool))
                        {
                            s.count[resolve(arg)] += 1;
                        }
                    }
                    for call in data.branch_destination(&dfg.jump_tables, &dfg.exception_tables) {
                        for arg in call.args(pool) {
                            if let Some(arg) = arg.as_value() {
                                let v = resolve(arg);
                                s.operands.push(v);
                                s.count[v] += 1;
                                s.user[v] = Some((inst, conditional));
                            }
                        }
                    }
                }
                s.res_start.push(s.results.len() as u32);
                let results = dfg.inst_results(inst);
                if let Some(gate) = gate {
                    gate.check_inst(func, inst, results)?;
                }
                for &r in results {
                    s.results.push(r);
                    s.def_block[r] = ord;
                }
            }
        }
        s.block_start.push(s.insts.len() as u32);
        s.op_start.push(s.operands.len() as u32);
        s.res_start.push(s.results.len() as u32);
        s.canon = canon;
        Ok(())
    }

    /// `value` with aliases resolved.
    #[inline]
    pub fn resolve(&self, value: Value) -> Value {
        match self.canon.get(value.index()) {
            Some(target) => target.expand().unwrap_or(value),
            None => value,
        }
    }

    /// The positions (in `insts`) of the instructions of the block with ordinal `b`.
    #[inline]
    pub fn block_range(&self, b: usize) -> std::ops::Range<usize> {
        self.block_start[b] as usize..self.block_start[b + 1] as usize
    }

    /// The block ordinal of the instruction at position `k`.
    #[inline]
    pub fn block_of(&self, k: usize) -> u32 {
        self.block_of[k]
    }

    /// The arguments of the instruction at position `k` (aliases resolved).
    #[inline]
    pub fn args(&self, k: usize) -> &[Value] {
        &self.operands[self.op_start[k] as usize..self.arg_end[k] as usize]
    }

    /// Every value the instruction at position `k` reads: its arguments and its
    /// block-call arguments (aliases resolved).
    #[inline]
    pub fn operands(&self, k: usize) -> &[Value] {
        &self.operands[self.op_start[k] as usize..self.op_start[k + 1] as usize]
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
        &self.results[self.res_start[k] as usize..self.res_start[k + 1] as usize]
    }
}
