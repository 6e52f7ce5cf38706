//! Liveness of the values that live in locals, in time linear in the size of their live
//! ranges (the inputs can have a million instructions).
//!
//! A use belongs to the instruction that is actually emitted: an operand of a tree (see
//! `stackify`) is read where the tree's root is emitted. Block arguments are read at the
//! end of the predecessor. Live-in blocks are found per value by walking up from each use
//! to the definition; marks stamped with the value replace per-value sets, so each block
//! a value is live in costs O(1). Reads in the defining block (most reads) only move a
//! per-value last position; only reads in other blocks are grouped and walked from.

use crate::scan::{Scan, NO_BLOCK};
use crate::stackify::Placement;
use cranelift_codegen::ir::{self, Block, Value};
use cranelift_entity::{EntityRef, SecondaryMap};

/// The CLIF control-flow graph as flat arrays: predecessors of each block and a reverse
/// postorder of the reachable blocks (every block after its dominators).
pub struct BlockGraph {
    preds: Buckets<Block>,
    /// Reachable blocks in reverse postorder.
    pub rpo: Vec<Block>,
}

/// Every block `block`'s terminator may branch to (with repeats).
fn successors(func: &ir::Function, block: Block, out: &mut Vec<Block>) {
    let dfg = &func.dfg;
    if let Some(inst) = func.layout.last_inst(block) {
        for call in dfg.insts[inst].branch_destination(&dfg.jump_tables, &dfg.exception_tables) {
            out.push(call.block(&dfg.value_lists));
        }
    }
}

impl BlockGraph {
    /// The graph of `func` (scanned as `scan`).
    pub fn new(func: &ir::Function, scan: &Scan) -> BlockGraph {
        let n = func.dfg.num_blocks();
        let mut edges: Vec<(u32, Block)> = Vec::with_capacity(2 * scan.blocks.len());
        let mut succ = Vec::new();
        for &block in &scan.blocks {
            succ.clear();
            successors(func, block, &mut succ);
            edges.extend(succ.iter().map(|&s| (s.as_u32(), block)));
        }
        let preds = bucket(n, &edges);
        // Iterative depth-first search for the postorder.
        let mut rpo = Vec::with_capacity(scan.blocks.len());
        if let Some(&entry) = scan.blocks.first() {
            let mut seen = vec![false; n];
            let mut stack: Vec<(Block, usize)> = vec![(entry, 0)];
            seen[entry.index()] = true;
            let mut succs: Vec<Vec<Block>> = Vec::new();
            succs.push(Vec::new());
            successors(func, entry, &mut succs[0]);
            while let Some(&(block, next)) = stack.last() {
                let depth = stack.len() - 1;
                if let Some(&s) = succs[depth].get(next) {
                    stack[depth].1 += 1;
                    if !seen[s.index()] {
                        seen[s.index()] = true;
                        stack.push((s, 0));
                        if succs.len() <= depth + 1 {
                            succs.push(Vec::new());
                        }
                        succs[depth + 1].clear();
                        successors(func, s, &mut succs[depth + 1]);
                    }
                } else {
                    rpo.push(block);
                    stack.pop();
                }
            }
            rpo.reverse();
        }
        BlockGraph { preds, rpo }
    }

    /// The predecessors of `block` (one per edge).
    pub fn preds(&self, block: Block) -> &[Block] {
        self.preds.get(block.index())
    }
}

/// Items grouped by a key in `0..n`: the items of key `k` are `items[start[k]..start[k + 1]]`.
struct Buckets<T> {
    start: Vec<u32>,
    items: Vec<T>,
}

impl<T> Buckets<T> {
    fn get(&self, k: usize) -> &[T] {
        &self.items[self.start[k] as usize..self.start[k + 1] as usize]
    }
}

/// Group `items` by key in `0..n` (a counting sort, stable).
fn bucket<T: Copy>(n: usize, items: &[(u32, T)]) -> Buckets<T> {
    let mut start = vec![0u32; n + 1];
    for &(k, _) in items {
        start[k as usize + 1] += 1;
    }
    for k in 0..n {
        start[k + 1] += start[k];
    }
    let mut fill = start.clone();
    // Pre-filled with the first item, then every slot is overwritten in key order.
    let mut values = Vec::with_capacity(items.len());
    if let Some(&(_, first)) = items.first() {
        values.resize(items.len(), first);
    }
    for &(k, v) in items {
        let slot = &mut fill[k as usize];
        values[*slot as usize] = v;
        *slot += 1;
    }
    Buckets {
        start,
        items: values,
    }
}

/// Where the values in locals are live.
pub struct Liveness {
    live_in: Buckets<Value>,
    dying: Buckets<(u32, Value)>,
    dead_at_def: SecondaryMap<Value, bool>,
}

const NO_MARK: u32 = u32::MAX;

impl Liveness {
    /// Liveness of the values for which `tracked` holds, with `placement` deciding where
    /// tree operands are read (at their single user).
    pub fn compute(
        func: &ir::Function,
        scan: &Scan,
        graph: &BlockGraph,
        placement: &SecondaryMap<Value, Placement>,
        tracked: &dyn Fn(Value) -> bool,
    ) -> Liveness {
        let dfg = &func.dfg;
        let num_blocks = dfg.num_blocks();
        // The position in its block at which each instruction is emitted: a tree is
        // emitted where its user is, later in the block.
        let mut emit_pos = vec![0u32; scan.insts.len()];
        // The last position a tracked value is read at in its own block (most values are
        // read only there), and (value, block, position) of every other read.
        let mut local_last = vec![NO_MARK; dfg.num_values()];
        let mut sites: Vec<(u32, (Block, u32))> = Vec::new();
        for (b, &block) in scan.blocks.iter().enumerate() {
            let range = scan.block_range(b);
            for k in range.clone().rev() {
                let own = (k - range.start) as u32;
                emit_pos[k] = match scan.results(k) {
                    [r] if placement[*r] == Placement::Tree => match scan.user[*r] {
                        Some((u, _)) => emit_pos[scan.index[u] as usize],
                        None => own,
                    },
                    _ => own,
                };
            }
            for k in range {
                let at = emit_pos[k];
                for &v in scan.operands(k) {
                    if !tracked(v) {
                        continue;
                    }
                    if scan.def_block[v] == b as u32 {
                        let last = &mut local_last[v.index()];
                        *last = if *last == NO_MARK { at } else { at.max(*last) };
                    } else {
                        sites.push((v.as_u32(), (block, at)));
                    }
                }
            }
        }
        let use_sites = bucket(dfg.num_values(), &sites);
        drop(sites);

        let mut in_mark = vec![NO_MARK; num_blocks];
        let mut out_mark = vec![NO_MARK; num_blocks];
        let mut last_mark = vec![NO_MARK; num_blocks];
        let mut last_pos = vec![0u32; num_blocks];
        let mut live_in_pairs: Vec<(u32, Value)> = Vec::new();
        let mut dying_pairs: Vec<(u32, (u32, Value))> = Vec::new();
        // Values with no use in their block that are not live out of it.
        let mut dead_at_def = SecondaryMap::with_default(true);
        dead_at_def.resize(dfg.num_values());
        let mut use_blocks: Vec<Block> = Vec::new();
        let mut work: Vec<Block> = Vec::new();
        for index in 0..dfg.num_values() {
            let sites = use_sites.get(index);
            let local = local_last[index];
            if sites.is_empty() && local == NO_MARK {
                continue;
            }
            let v = Value::new(index);
            let mark = v.as_u32();
            let def = match scan.def_block[v] {
                NO_BLOCK => None,
                ord => Some(scan.blocks[ord as usize]),
            };
            use_blocks.clear();
            for &(b, at) in sites {
                let bi = b.index();
                if last_mark[bi] != mark {
                    last_mark[bi] = mark;
                    last_pos[bi] = at;
                    use_blocks.push(b);
                } else {
                    last_pos[bi] = last_pos[bi].max(at);
                }
                if in_mark[bi] == mark {
                    continue;
                }
                in_mark[bi] = mark;
                live_in_pairs.push((b.as_u32(), v));
                work.push(b);
                while let Some(x) = work.pop() {
                    for &p in graph.preds(x) {
                        out_mark[p.index()] = mark;
                        if Some(p) != def && in_mark[p.index()] != mark {
                            in_mark[p.index()] = mark;
                            live_in_pairs.push((p.as_u32(), v));
                            work.push(p);
                        }
                    }
                }
            }
            for &b in &use_blocks {
                if out_mark[b.index()] != mark {
                    dying_pairs.push((b.as_u32(), (last_pos[b.index()], v)));
                }
            }
            if let Some(d) = def {
                let live_out = out_mark[d.index()] == mark;
                if local == NO_MARK {
                    dead_at_def[v] = !live_out;
                } else {
                    dead_at_def[v] = false;
                    if !live_out {
                        dying_pairs.push((d.as_u32(), (local, v)));
                    }
                }
            }
        }
        let live_in = bucket(num_blocks, &live_in_pairs);
        let mut dying = bucket(num_blocks, &dying_pairs);
        for b in 0..num_blocks {
            let range = dying.start[b] as usize..dying.start[b + 1] as usize;
            dying.items[range].sort_unstable();
        }
        Liveness {
            live_in,
            dying,
            dead_at_def,
        }
    }

    /// The tracked values live into `block`.
    pub fn live_in(&self, block: Block) -> &[Value] {
        self.live_in.get(block.index())
    }

    /// The tracked values whose last use is in `block` and that are dead after it, with
    /// the position of that use, by position.
    pub fn dying(&self, block: Block) -> &[(u32, Value)] {
        self.dying.get(block.index())
    }

    /// Whether tracked `value` is dead right after its definition: not used in its block
    /// and not live out of it.
    pub fn unused(&self, value: Value) -> bool {
        self.dead_at_def[value]
    }
}
