//! Liveness of the values that live in locals, in time linear in the size of their live
//! ranges (the inputs can have a million instructions).
//!
//! A use belongs to the instruction that is actually emitted: an operand of a tree (see
//! `stackify`) is read where the tree's root is emitted. Block arguments are read at the
//! end of the predecessor. Live-in blocks are found per value by walking up from each use
//! to the definition; marks stamped with the value replace per-value sets, so each block
//! a value is live in costs O(1). Reads in the defining block (most reads) only move a
//! per-value last position; only reads in other blocks are grouped and walked from.

use crate::cfg::{Edge, Graph, NodeKind, Order};
use crate::reuse::{empty_with_room, push, refill, ClearTo};
use crate::scan::{Scan, NO_BLOCK};
use crate::stackify::{Placement, Placements};
use cranelift_codegen::ir::{self, Block, Value};
use cranelift_entity::{EntityRef, SecondaryMap};

/// The CLIF control-flow graph as flat arrays: predecessors of each block and a reverse
/// postorder of the reachable blocks (every block after its dominators).
#[derive(Default)]
pub struct BlockGraph {
    preds: Buckets<Block>,
    /// Reachable blocks in reverse postorder.
    pub rpo: Vec<Block>,
    /// (target, source) of every edge, kept for the next function.
    edges: Vec<(u32, Block)>,
}

impl BlockGraph {
    /// The CLIF graph within the lowering graph `graph` (of a function with `num_blocks`
    /// blocks in its block space) and its order facts `order`: edge-copy and dispatch
    /// nodes are looked through to the blocks they lead to. Reuses this graph's storage.
    pub fn rebuild(&mut self, graph: &Graph, order: &Order, num_blocks: usize) {
        let edges = &mut self.edges;
        edges.clear();
        for (node, data) in graph.nodes.iter() {
            let NodeKind::Block(block) = data.kind else {
                continue;
            };
            for &edge in graph.succs(node) {
                push_targets(graph, edge, block, edges);
            }
        }
        bucket_into(num_blocks, edges, &mut self.preds);
        self.rpo.clear();
        self.rpo
            .extend(order.rpo.iter().filter_map(|&n| match graph.nodes[n].kind {
                NodeKind::Block(b) => Some(b),
                _ => None,
            }));
    }

    /// The predecessors of `block` (one per edge).
    pub fn preds(&self, block: Block) -> &[Block] {
        self.preds.get(block.index())
    }
}

/// Items grouped by a key in `0..n`: the items of key `k` are `items[start[k]..start[k + 1]]`.
struct Buckets<T> {
    /// Where each key's items start (`n + 1` entries).
    start: Vec<u32>,
    items: Vec<T>,
    /// Scratch for grouping.
    fill: Vec<u32>,
}

/// Record `(target, from)` for the CLIF block(s) that lowering-graph edge `edge` of block
/// `from` leads to.
fn push_targets(graph: &Graph, mut edge: Edge, from: Block, out: &mut Vec<(u32, Block)>) {
    // Edge copies have one successor; a dispatcher goes to the entry its label names.
    // Each step goes to another node: bound the walk by the node count all the same.
    for _ in 0..=graph.nodes.len() {
        let data = &graph.nodes[edge.target];
        match data.kind {
            NodeKind::Block(target) => {
                out.push((target.as_u32(), from));
                return;
            }
            NodeKind::EdgeCopy { .. } => match graph.succs(edge.target).first() {
                Some(&next) => edge = next,
                None => return,
            },
            NodeKind::Dispatch => {
                let succs = graph.succs(edge.target);
                match edge.label.and_then(|l| succs.get(l as usize)) {
                    Some(&next) => edge = next,
                    None => {
                        // Unlabelled (never built so): every entry, conservatively.
                        for &next in succs {
                            if let NodeKind::Block(t) = graph.nodes[next.target].kind {
                                out.push((t.as_u32(), from));
                            }
                        }
                        return;
                    }
                }
            }
        }
    }
}

impl<T> Buckets<T> {
    fn get(&self, k: usize) -> &[T] {
        &self.items[self.start[k] as usize..self.start[k + 1] as usize]
    }
}

impl<T> Default for Buckets<T> {
    fn default() -> Self {
        Buckets {
            start: Vec::new(),
            items: Vec::new(),
            fill: Vec::new(),
        }
    }
}

/// Group `items` by key in `0..n` into `out` (a counting sort, stable), reusing its
/// storage.
fn bucket_into<T: Copy>(n: usize, items: &[(u32, T)], out: &mut Buckets<T>) {
    let start = &mut out.start;
    refill(start, n + 1, 0);
    for &(k, _) in items {
        start[k as usize + 1] += 1;
    }
    for k in 0..n {
        start[k + 1] += start[k];
    }
    empty_with_room(&mut out.fill, start.len());
    out.fill.extend_from_slice(start);
    // Pre-filled with the first item, then every slot is overwritten in key order.
    empty_with_room(&mut out.items, items.len());
    if let Some(&(_, first)) = items.first() {
        out.items.resize(items.len(), first);
    }
    for &(k, v) in items {
        let slot = &mut out.fill[k as usize];
        out.items[*slot as usize] = v;
        *slot += 1;
    }
}

/// Sort `items` by key in time linear in their number, using `scratch`: a function of a
/// million instructions can have half a million reads outside their values' blocks, and
/// a comparison sort grows faster than they do. A radix sort on the key's bytes (as many
/// as the largest key has), stable; a few items take the standard sort.
fn sort_by_key_linear<T: Copy>(items: &mut Vec<(u32, T)>, scratch: &mut Vec<(u32, T)>) {
    const SMALL: usize = 1024;
    if items.len() < SMALL {
        items.sort_unstable_by_key(|&(k, _)| k);
        return;
    }
    let largest = items.iter().map(|&(k, _)| k).max().unwrap_or(0);
    let mut shift = 0;
    while shift < u32::BITS && largest >> shift != 0 {
        let digit = |k: u32| ((k >> shift) & 0xff) as usize;
        let mut next = [0u32; 256];
        for &(k, _) in items.iter() {
            next[digit(k)] += 1;
        }
        let mut start = 0;
        for slot in next.iter_mut() {
            let count = *slot;
            *slot = start;
            start += count;
        }
        refill(scratch, items.len(), items[0]);
        for &item in items.iter() {
            let slot = &mut next[digit(item.0)];
            scratch[*slot as usize] = item;
            *slot += 1;
        }
        std::mem::swap(items, scratch);
        shift += 8;
    }
}

/// Where the values in locals are live. Computing it again (for the next function)
/// reuses its storage.
#[derive(Default)]
pub struct Liveness {
    live_in: Buckets<Value>,
    /// The values whose last read is at each position (in `Scan::insts`).
    dying: Buckets<Value>,
    dead_at_def: SecondaryMap<Value, bool>,
    // Scratch of `compute`.
    emit_pos: Vec<u32>,
    local_last: Vec<u32>,
    used: Vec<Value>,
    sites: Vec<(u32, (Block, u32))>,
    /// Scratch for sorting `sites`.
    sorted_sites: Vec<(u32, (Block, u32))>,
    in_mark: Vec<u32>,
    out_mark: Vec<u32>,
    last_mark: Vec<u32>,
    last_pos: Vec<u32>,
    live_in_pairs: Vec<(u32, Value)>,
    dying_pairs: Vec<(u32, Value)>,
    use_blocks: Vec<Block>,
    work: Vec<Block>,
    crossing: Vec<bool>,
    /// The ordinal of the block each value is defined in (`NO_BLOCK`: none), by value
    /// index: the scan keeps positions, not blocks.
    def_block: Vec<u32>,
}

const NO_MARK: u32 = u32::MAX;
/// `local_last` of a value not read at all.
const UNSEEN: u32 = u32::MAX;
/// `local_last` of a value read only outside its own block.
const NO_LOCAL_READ: u32 = u32::MAX - 1;

impl Liveness {
    /// Liveness of the values for which `tracked` holds, with `placement` deciding where
    /// tree operands are read (at their single user).
    pub fn compute(
        &mut self,
        func: &ir::Function,
        scan: &Scan,
        graph: &BlockGraph,
        placement: &Placements,
        tracked: &dyn Fn(Value) -> bool,
    ) {
        let dfg = &func.dfg;
        let Liveness {
            live_in,
            dying,
            dead_at_def,
            emit_pos,
            local_last,
            used,
            sites,
            sorted_sites,
            in_mark,
            out_mark,
            last_mark,
            last_pos,
            live_in_pairs,
            dying_pairs,
            use_blocks,
            work,
            crossing,
            def_block,
        } = self;
        let num_blocks = dfg.num_blocks();
        // The position in its block at which each instruction is emitted: a tree is
        // emitted where its user is, later in the block.
        refill(emit_pos, scan.num_insts(), 0);
        // The last position a tracked value is read at in its own block (most values are
        // read only there), and (value, block, position) of every other read. `used`
        // lists the tracked values read at all, so that no loop runs over every value.
        refill(local_last, dfg.num_values(), UNSEEN);
        used.clear();
        sites.clear();
        refill(def_block, dfg.num_values(), NO_BLOCK);
        for b in 0..scan.blocks.len() {
            for &p in scan.block_params(b) {
                def_block[p.index()] = b as u32;
            }
            for k in scan.block_range(b) {
                for &r in scan.results(k) {
                    def_block[r.index()] = b as u32;
                }
            }
        }
        for (b, &block) in scan.blocks.iter().enumerate() {
            let range = scan.block_range(b);
            for k in range.clone().rev() {
                let own = (k - range.start) as u32;
                emit_pos[k] = match scan.results(k) {
                    [r] if placement[*r] == Placement::Tree => match scan.facts(*r).user.get() {
                        Some((u, _)) => emit_pos[u],
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
                    let last = &mut local_last[v.index()];
                    if *last == UNSEEN {
                        push(used, v);
                        *last = NO_LOCAL_READ;
                    }
                    if def_block[v.index()] == b as u32 {
                        *last = if *last == NO_LOCAL_READ {
                            at
                        } else {
                            at.max(*last)
                        };
                    } else {
                        push(sites, (v.as_u32(), (block, at)));
                    }
                }
            }
        }
        // Grouped by value; the order within a group does not matter.
        sort_by_key_linear(sites, sorted_sites);

        refill(in_mark, num_blocks, NO_MARK);
        refill(out_mark, num_blocks, NO_MARK);
        refill(last_mark, num_blocks, NO_MARK);
        refill(last_pos, num_blocks, 0);
        live_in_pairs.clear();
        dying_pairs.clear();
        // A read at `at` within `block`, as a position in `scan.insts`.
        let position = |block: Block, at: u32| {
            scan.block_range(scan.ordinal[block] as usize).start as u32 + at
        };
        // Values with no use in their block that are not live out of it.
        dead_at_def.clear_to(dfg.num_values());
        for v in dead_at_def.values_mut() {
            *v = true;
        }
        // Values read outside their own block (handled by the walk below).
        refill(crossing, dfg.num_values(), false);
        for group in sites.chunk_by(|a, b| a.0 == b.0) {
            let v = Value::from_u32(group[0].0);
            crossing[v.index()] = true;
            let local = match local_last[v.index()] {
                NO_LOCAL_READ => None,
                at => Some(at),
            };
            let mark = v.as_u32();
            let def = match def_block[v.index()] {
                NO_BLOCK => None,
                ord => Some(scan.blocks[ord as usize]),
            };
            use_blocks.clear();
            for &(_, (b, at)) in group {
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
                push(live_in_pairs, (b.as_u32(), v));
                work.push(b);
                while let Some(x) = work.pop() {
                    for &p in graph.preds(x) {
                        out_mark[p.index()] = mark;
                        if Some(p) != def && in_mark[p.index()] != mark {
                            in_mark[p.index()] = mark;
                            push(live_in_pairs, (p.as_u32(), v));
                            work.push(p);
                        }
                    }
                }
            }
            for &b in use_blocks.iter() {
                if out_mark[b.index()] != mark {
                    push(dying_pairs, (position(b, last_pos[b.index()]), v));
                }
            }
            if let Some(d) = def {
                let live_out = out_mark[d.index()] == mark;
                match local {
                    None => dead_at_def[v] = !live_out,
                    Some(at) => {
                        dead_at_def[v] = false;
                        if !live_out {
                            push(dying_pairs, (position(d, at), v));
                        }
                    }
                }
            }
        }
        // Values read only in their own block die at their last read there.
        for &v in used.iter() {
            if crossing[v.index()] {
                continue;
            }
            dead_at_def[v] = false;
            if let Some(d) = scan.blocks.get(def_block[v.index()] as usize) {
                push(dying_pairs, (position(*d, local_last[v.index()]), v));
            }
        }
        bucket_into(num_blocks, live_in_pairs, live_in);
        bucket_into(scan.num_insts(), dying_pairs, dying);
    }

    /// The tracked values live into `block`.
    pub fn live_in(&self, block: Block) -> &[Value] {
        self.live_in.get(block.index())
    }

    /// The tracked values whose last read is by the instruction at position `k` (in
    /// `Scan::insts`) and that are dead after it.
    pub fn dying_at(&self, k: usize) -> &[Value] {
        self.dying.get(k)
    }

    /// Whether tracked `value` is dead right after its definition: not used in its block
    /// and not live out of it.
    pub fn unused(&self, value: Value) -> bool {
        self.dead_at_def[value]
    }
}

#[cfg(test)]
mod tests {
    use super::sort_by_key_linear;

    #[test]
    fn the_linear_sort_sorts_small_and_large_inputs_by_key() {
        let mut scratch = Vec::new();
        for n in [0, 5, 1023, 1024, 70_000] {
            // Keys over three bytes, from a simple generator; each item remembers where
            // it came from, so a lost or duplicated item shows.
            let mut state = 12345u32;
            let mut items: Vec<(u32, usize)> = (0..n)
                .map(|i| {
                    state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    ((state >> 8) % 3_000_000, i)
                })
                .collect();
            let mut expected = items.clone();
            expected.sort();
            sort_by_key_linear(&mut items, &mut scratch);
            assert!(items.windows(2).all(|w| w[0].0 <= w[1].0), "sorted at {n}");
            items.sort();
            assert_eq!(items, expected, "the same items at {n}");
        }
    }
}
