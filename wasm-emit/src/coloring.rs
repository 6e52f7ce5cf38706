//! Local coloring: values that need a local share locals when their live ranges do not
//! overlap (LLVM's RegColoring), one pool of locals per wasm type.
//!
//! Liveness is computed on the CLIF CFG, per value, by walking up from each use to the
//! definition (live-in sets only where a value is live). A use belongs to the instruction
//! that is actually emitted: an operand of a tree (see `stackify`) is read where the tree's
//! root is emitted. Block arguments are read at the end of the predecessor, and block
//! parameters are written there (the parallel copy reads every source before it writes a
//! destination, so a source that dies in the copy may share a destination's local).
//!
//! Coloring walks the blocks in reverse postorder, so every value live into a block has its
//! color already, and takes the lowest free color of the value's type at each definition
//! (greedy in dominance order, which is optimal for SSA's chordal interference graphs).
//! A result is colored before the operands that die at its instruction are released: some
//! lowerings write the result before their last read of an operand.

use crate::stackify::Placement;
use cranelift_codegen::dominator_tree::DominatorTree;
use cranelift_codegen::flowgraph::ControlFlowGraph;
use cranelift_codegen::ir::{self, Block, Value};
use cranelift_entity::SecondaryMap;
use std::collections::{HashMap, HashSet};
use wasm_encoder::ValType;

/// The assignment of values to locals.
pub struct Coloring {
    /// Local of each colored value, counted from the first non-parameter local.
    pub local: SecondaryMap<Value, u32>,
    /// Types of the colored locals, in index order.
    pub types: Vec<ValType>,
}

/// No local assigned.
pub const NONE: u32 = u32::MAX;

/// Color the values of `func` that `placement` keeps in locals (entry-block parameters
/// keep the wasm parameters). `val_type` gives each value's wasm type.
pub fn color(
    func: &ir::Function,
    placement: &SecondaryMap<Value, Placement>,
    val_type: &dyn Fn(Value) -> ValType,
) -> Coloring {
    let dfg = &func.dfg;
    let cfg = ControlFlowGraph::with_function(func);
    let domtree = DominatorTree::with_function(func, &cfg);
    let entry = func.layout.entry_block();

    // Where each instruction is emitted: trees at their root. `root_of` follows the single
    // user of a tree result until an instruction emitted in place.
    let mut user: SecondaryMap<Value, Option<ir::Inst>> = SecondaryMap::new();
    for block in func.layout.blocks() {
        for inst in func.layout.block_insts(block) {
            for &arg in dfg.inst_args(inst) {
                user[dfg.resolve_aliases(arg)] = Some(inst);
            }
            for call in dfg.insts[inst].branch_destination(&dfg.jump_tables, &dfg.exception_tables)
            {
                for arg in call.args(&dfg.value_lists).filter_map(|a| a.as_value()) {
                    user[dfg.resolve_aliases(arg)] = Some(inst);
                }
            }
        }
    }
    let root_of = |mut inst: ir::Inst| loop {
        match dfg.inst_results(inst) {
            [r] if matches!(placement[*r], Placement::Tree) => match user[*r] {
                Some(u) => inst = u,
                None => return inst,
            },
            _ => return inst,
        }
    };
    let colored = |v: Value| -> bool {
        placement[v] == Placement::Local
            && !matches!(dfg.value_def(v), ir::ValueDef::Param(b, _) if Some(b) == entry)
    };

    // Uses of colored values: (block, position in the block, value); the terminator's
    // block arguments are at the terminator's position.
    let mut position: SecondaryMap<ir::Inst, u32> = SecondaryMap::new();
    for block in func.layout.blocks() {
        for (i, inst) in func.layout.block_insts(block).enumerate() {
            position[inst] = i as u32;
        }
    }
    let mut last_use: HashMap<(Block, Value), u32> = HashMap::new();
    let mut live_in: HashSet<(Block, Value)> = HashSet::new();
    let mut live_out: HashSet<(Block, Value)> = HashSet::new();
    let def_block = |v: Value| match dfg.value_def(v) {
        ir::ValueDef::Result(inst, _) => func.layout.inst_block(inst),
        ir::ValueDef::Param(b, _) => Some(b),
        _ => None,
    };
    let mut work: Vec<Block> = Vec::new();
    for block in func.layout.blocks() {
        for inst in func.layout.block_insts(block) {
            let mut values: Vec<Value> = dfg.inst_args(inst).to_vec();
            for call in dfg.insts[inst].branch_destination(&dfg.jump_tables, &dfg.exception_tables)
            {
                values.extend(call.args(&dfg.value_lists).filter_map(|a| a.as_value()));
            }
            let at = position[root_of(inst)];
            for v in values {
                let v = dfg.resolve_aliases(v);
                if !colored(v) {
                    continue;
                }
                let e = last_use.entry((block, v)).or_insert(at);
                *e = (*e).max(at);
                // Mark v live on every path from its definition to this use.
                if def_block(v) == Some(block) {
                    continue;
                }
                if live_in.insert((block, v)) {
                    work.push(block);
                }
                while let Some(b) = work.pop() {
                    for pred in cfg.pred_iter(b) {
                        live_out.insert((pred.block, v));
                        if def_block(v) != Some(pred.block) && live_in.insert((pred.block, v)) {
                            work.push(pred.block);
                        }
                    }
                }
            }
        }
    }
    // Block arguments and their parameters prefer one local: the copy then vanishes.
    let mut affinity: HashMap<Value, Vec<Value>> = HashMap::new();
    for block in func.layout.blocks() {
        if let Some(inst) = func.layout.last_inst(block) {
            for call in dfg.insts[inst].branch_destination(&dfg.jump_tables, &dfg.exception_tables)
            {
                let params = dfg.block_params(call.block(&dfg.value_lists));
                for (arg, &p) in call.args(&dfg.value_lists).zip(params) {
                    if let Some(a) = arg.as_value().map(|a| dfg.resolve_aliases(a)) {
                        if colored(a) && colored(p) && val_type(a) == val_type(p) {
                            affinity.entry(a).or_default().push(p);
                            affinity.entry(p).or_default().push(a);
                        }
                    }
                }
            }
        }
    }
    let mut live_in_of: HashMap<Block, Vec<Value>> = HashMap::new();
    for &(b, v) in &live_in {
        live_in_of.entry(b).or_default().push(v);
    }
    let mut last_uses_of: HashMap<Block, Vec<(Value, u32)>> = HashMap::new();
    for (&(b, v), &at) in &last_use {
        last_uses_of.entry(b).or_default().push((v, at));
    }

    let mut coloring = Coloring {
        local: SecondaryMap::with_default(NONE),
        types: Vec::new(),
    };
    // Locals of each type, in the order they were created.
    let mut pools: HashMap<ValType, Vec<u32>> = HashMap::new();
    let mut busy: Vec<bool> = Vec::new();
    let take = |v: Value,
                coloring: &mut Coloring,
                pools: &mut HashMap<ValType, Vec<u32>>,
                busy: &mut Vec<bool>| {
        let ty = val_type(v);
        let preferred = affinity.get(&v).and_then(|others| {
            others
                .iter()
                .map(|&o| coloring.local[o])
                .find(|&l| l != NONE && !busy[l as usize])
        });
        let pool = pools.entry(ty).or_default();
        let local = match preferred.or_else(|| pool.iter().copied().find(|&l| !busy[l as usize])) {
            Some(l) => l,
            None => {
                let l = coloring.types.len() as u32;
                coloring.types.push(ty);
                busy.push(false);
                pool.push(l);
                l
            }
        };
        busy[local as usize] = true;
        coloring.local[v] = local;
    };
    for &block in domtree.cfg_postorder().iter().rev() {
        busy.iter_mut().for_each(|b| *b = false);
        let live_here = live_in_of.get(&block).map(Vec::as_slice).unwrap_or(&[]);
        for &v in live_here {
            if coloring.local[v] != NONE {
                busy[coloring.local[v] as usize] = true;
            }
        }
        let dies_at = |v: Value, at: u32| {
            !live_out.contains(&(block, v)) && last_use.get(&(block, v)) == Some(&at)
        };
        let mut unused: Vec<Value> = Vec::new();
        for &p in dfg.block_params(block) {
            if colored(p) {
                take(p, &mut coloring, &mut pools, &mut busy);
                if !last_use.contains_key(&(block, p)) && !live_out.contains(&(block, p)) {
                    unused.push(p);
                }
            }
        }
        for p in unused.drain(..) {
            busy[coloring.local[p] as usize] = false;
        }
        // Values whose last use in this block is at each position.
        let mut dying: HashMap<u32, Vec<Value>> = HashMap::new();
        for &(v, at) in last_uses_of.get(&block).map(Vec::as_slice).unwrap_or(&[]) {
            if dies_at(v, at) {
                dying.entry(at).or_default().push(v);
            }
        }
        for (i, inst) in func.layout.block_insts(block).enumerate() {
            let i = i as u32;
            for &r in dfg.inst_results(inst) {
                if colored(r) {
                    take(r, &mut coloring, &mut pools, &mut busy);
                    if !last_use.contains_key(&(block, r)) && !live_out.contains(&(block, r)) {
                        unused.push(r);
                    }
                }
            }
            for r in unused.drain(..) {
                busy[coloring.local[r] as usize] = false;
            }
            if let Some(vs) = dying.get(&i) {
                for &v in vs {
                    if coloring.local[v] != NONE {
                        busy[coloring.local[v] as usize] = false;
                    }
                }
            }
        }
    }
    coloring
}
