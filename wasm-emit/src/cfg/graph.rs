//! The lowering graph: the CLIF blocks of a function plus the nodes lowering adds.
//!
//! Structuring works on this graph rather than on CLIF's CFG for two reasons. A multi-way
//! branch whose edges carry block arguments needs a place to perform each edge's copies:
//! such edges get an `EdgeCopy` node of their own, so copies run only on their edge. And an
//! irreducible loop is made single-entry by a `Dispatch` node that branches on a label local;
//! edges into such a loop set the label before they branch to the dispatcher.

use crate::scan::{Destination, Scan};
use cranelift_codegen::ir::{self, Opcode};
use cranelift_entity::{entity_impl, EntityRef, PrimaryMap, SecondaryMap};

/// A node of the lowering graph.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Node(u32);
entity_impl!(Node, "node");

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// A CLIF block: its instructions, then its terminator.
    Block(ir::Block),
    /// The block-argument copies of destination `dest` of the branch `branch`.
    EdgeCopy {
        /// The branch instruction.
        branch: ir::Inst,
        /// Index into the branch's destinations (`br_table`: default first).
        dest: u32,
        /// The ordinal (layout position) of the block the branch ends: its destinations
        /// are the scan's for that block.
        from: u32,
    },
    /// Branches on the label local to one of the entries of a formerly irreducible loop.
    Dispatch,
}

/// An edge to `target`; if `label` is set, the edge first stores it in the label local.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    /// The successor.
    pub target: Node,
    /// The dispatcher label to set on the way, for edges into a dispatcher.
    pub label: Option<u32>,
}

/// How a node ends. Edge indices are relative to the node's successor list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Return, trap or tail call: no successor.
    Stop,
    /// Unconditionally to successor 0.
    Jump,
    /// To successor 0 if the selector is non-zero, else to successor 1.
    Brif,
    /// `entries[selector]` if in range, else `default`.
    Table {
        /// Successor index per table entry.
        entries: Box<[u32]>,
        /// Successor index for out-of-range selectors.
        default: u32,
    },
}

/// One node: what it is, how it ends, and where its successors are in [`Graph::edges`].
#[derive(Clone, Debug)]
pub struct NodeData {
    /// What the node stands for.
    pub kind: NodeKind,
    /// How it ends.
    pub exit: Exit,
    /// Range start in [`Graph::edges`].
    pub first_edge: u32,
    /// Number of successors.
    pub num_edges: u32,
}

/// The lowering graph of one function.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// All nodes; the first ones are the CLIF blocks in layout order.
    pub nodes: PrimaryMap<Node, NodeData>,
    /// Successor edges of all nodes, each node's in one contiguous range.
    pub edges: Vec<Edge>,
    /// The node of each CLIF block.
    pub block_node: SecondaryMap<ir::Block, Node>,
    /// The entry node.
    pub entry: Node,
    /// How many dispatch labels exist (0 when the graph needs no label local).
    pub num_dispatchers: u32,
    /// Storage for finding a `br_table`'s equal destinations, kept across functions.
    tables: TableScratch,
}

/// What [`build_into`] knows of the destinations of the `br_table` it is at: for each
/// block, the successor that reaches it without arguments and the successors that pass
/// it arguments. A destination equal to an earlier one (same block, same arguments)
/// shares its successor, found without hashing or allocating.
#[derive(Clone, Debug, Default)]
struct TableScratch {
    /// The table each block's entry belongs to (entries of other tables are stale).
    stamp: Vec<u32>,
    /// The successor reaching the block without arguments (`NONE`: none yet).
    plain: Vec<u32>,
    /// The last successor passing the block arguments (`NONE`: none yet); earlier ones
    /// follow through `next_with_args`.
    with_args: Vec<u32>,
    /// For each successor of the current table, its destination and the previous
    /// successor to the same block with arguments.
    succ_calls: Vec<(Destination, u32)>,
    /// The successor index of each destination of the current table.
    index_of: Vec<u32>,
    /// The current table's stamp.
    current: u32,
}

const NONE: u32 = u32::MAX;

/// How many earlier destinations to the same block, each with other arguments, a
/// destination is compared with: past that it gets a successor of its own (correct, if
/// larger), so that a pathological table costs no quadratic time.
const MAX_COMPARED: usize = 16;

impl TableScratch {
    /// Start a table of `destinations` destinations in a function of `blocks` blocks.
    fn begin(&mut self, blocks: usize, destinations: usize) {
        if self.stamp.len() < blocks {
            self.stamp.resize(blocks, 0);
            self.plain.resize(blocks, NONE);
            self.with_args.resize(blocks, NONE);
        }
        self.current = self.current.wrapping_add(1);
        if self.current == 0 {
            // The stamps wrapped: forget them all.
            self.stamp.fill(0);
            self.current = 1;
        }
        self.succ_calls.clear();
        self.index_of.clear();
        // Sized once: a wide table would grow them by doubling, copying as they grow.
        self.succ_calls.reserve(destinations);
        self.index_of.reserve(destinations);
    }

    /// The successor index of `call`, destination `dest` of `branch`, adding it to
    /// `succs` unless an earlier destination equals it (same block, and the same
    /// arguments once aliases are resolved).
    fn successor(
        &mut self,
        (g, scan): (&mut Graph, &Scan),
        succs: &mut Vec<Edge>,
        call: Destination,
        (branch, from, dest): (ir::Inst, u32, u32),
    ) -> u32 {
        let b = call.block.index();
        if self.stamp[b] != self.current {
            self.stamp[b] = self.current;
            self.plain[b] = NONE;
            self.with_args[b] = NONE;
        }
        let plain = call.passes_nothing();
        if plain && self.plain[b] != NONE {
            return self.plain[b];
        }
        if !plain {
            let mut at = self.with_args[b];
            for _ in 0..MAX_COMPARED {
                if at == NONE {
                    break;
                }
                let (earlier, next) = self.succ_calls[at as usize];
                if earlier.values_only()
                    && call.values_only()
                    && scan.destination_args(&earlier) == scan.destination_args(&call)
                {
                    return at;
                }
                at = next;
            }
        }
        let index = succs.len() as u32;
        succs.push(edge_for(g, call, (branch, from), dest));
        if plain {
            self.plain[b] = index;
            self.succ_calls.push((call, NONE));
        } else {
            self.succ_calls.push((call, self.with_args[b]));
            self.with_args[b] = index;
        }
        index
    }
}

impl Graph {
    /// The successor edges of `node`.
    pub fn succs(&self, node: Node) -> &[Edge] {
        let data = &self.nodes[node];
        &self.edges[data.first_edge as usize..(data.first_edge + data.num_edges) as usize]
    }

    /// Mutable successor edges of `node`.
    pub fn succs_mut(&mut self, node: Node) -> &mut [Edge] {
        let data = &self.nodes[node];
        let range = data.first_edge as usize..(data.first_edge + data.num_edges) as usize;
        &mut self.edges[range]
    }

    /// Add a node whose successors are `succs`.
    pub fn push(&mut self, kind: NodeKind, exit: Exit, succs: &[Edge]) -> Node {
        let first_edge = self.edges.len() as u32;
        self.edges.extend_from_slice(succs);
        self.nodes.push(NodeData {
            kind,
            exit,
            first_edge,
            num_edges: succs.len() as u32,
        })
    }
}

/// Build the lowering graph of `func`, which must have passed the CLIF verifier.
pub fn build(func: &ir::Function) -> Graph {
    let mut g = Graph::default();
    // A function that passed the verifier passes the walk too (it checks no features).
    if let Ok(scan) = Scan::compute(func, None) {
        build_into(&mut g, func, &scan);
    }
    g
}

/// [`build`] into `g`, reusing its storage (for the next function), from the blocks and
/// branches `scan` found (Cranelift's layout is a linked list: walking it again costs a
/// call per block, and cache misses).
pub fn build_into(g: &mut Graph, func: &ir::Function, scan: &Scan) {
    let blocks = func.dfg.num_blocks();
    g.nodes.clear();
    g.nodes.reserve(2 * blocks);
    g.edges.clear();
    // About two edges per block (where a jump's edge copy adds a node, it adds one).
    crate::reuse::reserve(&mut g.edges, 2 * blocks);
    g.block_node.clear();
    g.block_node.resize(blocks);
    g.entry = Node::default();
    g.num_dispatchers = 0;
    // One node per block first, so block nodes are numbered in layout order.
    for &block in &scan.blocks {
        let node = g.nodes.push(NodeData {
            kind: NodeKind::Block(block),
            exit: Exit::Stop,
            first_edge: 0,
            num_edges: 0,
        });
        g.block_node[block] = node;
    }
    let mut succs: Vec<Edge> = Vec::with_capacity(8);
    let mut tables = std::mem::take(&mut g.tables);
    for b in 0..scan.blocks.len() {
        let node = Node::new(b);
        // A branch can only end a block.
        let Some(k) = scan.block_range(b).last().filter(|&k| scan.is_branch(k)) else {
            continue;
        };
        let inst = scan.inst(k);
        let dests = scan.destinations(b);
        succs.clear();
        let exit = match (scan.opcode_and_type(k).0, dests) {
            (Opcode::Jump, [to]) => {
                succs.push(plain(g, to.block));
                Exit::Jump
            }
            // Both arms go to the same place with the same arguments: a jump.
            (Opcode::Brif, [to, _]) if scan.is_brif_as_jump(k) => {
                succs.push(plain(g, to.block));
                Exit::Jump
            }
            (Opcode::Brif, [then_to, else_to]) => {
                succs.push(edge_for(g, *then_to, (inst, b as u32), 0));
                succs.push(edge_for(g, *else_to, (inst, b as u32), 1));
                Exit::Brif
            }
            (Opcode::BrTable, [_, ..]) => {
                tables.begin(blocks, dests.len());
                succs.reserve(dests.len());
                for (i, &to) in dests.iter().enumerate() {
                    let at = (inst, b as u32, i as u32);
                    let k = tables.successor((g, scan), &mut succs, to, at);
                    tables.index_of.push(k);
                }
                Exit::Table {
                    default: tables.index_of[0],
                    entries: tables.index_of[1..].into(),
                }
            }
            _ => Exit::Stop,
        };
        let first_edge = g.edges.len() as u32;
        g.edges.extend_from_slice(&succs);
        let data = &mut g.nodes[node];
        data.exit = exit;
        data.first_edge = first_edge;
        data.num_edges = succs.len() as u32;
    }
    g.tables = tables;
}

fn plain(g: &Graph, block: ir::Block) -> Edge {
    Edge {
        target: g.block_node[block],
        label: None,
    }
}

/// The edge for destination `dest` of `branch`: straight to the block when there is nothing
/// to copy, else through a new `EdgeCopy` node.
fn edge_for(g: &mut Graph, to: Destination, (branch, from): (ir::Inst, u32), dest: u32) -> Edge {
    let target = plain(g, to.block);
    if to.passes_nothing() {
        return target;
    }
    let copy = NodeKind::EdgeCopy { branch, dest, from };
    let node = g.push(copy, Exit::Jump, &[target]);
    Edge {
        target: node,
        label: None,
    }
}

#[cfg(test)]
impl Graph {
    /// A graph of `succs.len()` nodes; node `i` branches to `succs[i]` (a jump for one
    /// successor, a brif for two, a br_table for more, a return for none).
    pub fn synthetic(succs: &[&[usize]]) -> Graph {
        let mut g = Graph::default();
        for s in succs {
            let edges: Vec<Edge> = s
                .iter()
                .map(|&t| Edge {
                    target: Node::from_u32(t as u32),
                    label: None,
                })
                .collect();
            let exit = match s.len() {
                0 => Exit::Stop,
                1 => Exit::Jump,
                2 => Exit::Brif,
                n => Exit::Table {
                    entries: (0..n as u32).collect(),
                    default: 0,
                },
            };
            g.push(NodeKind::Dispatch, exit, &edges);
        }
        g.entry = Node::from_u32(0);
        g
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::ir::InstructionData;

    /// The successors of the function's entry block, a `br_table`: for each destination
    /// (the default first), the block it reaches and the arguments it passes, as text.
    fn table_successors(text: &str) -> (usize, Vec<String>) {
        let func = cranelift_reader::parse_functions(text).unwrap().remove(0);
        let g = build(&func);
        let entry = &g.nodes[g.entry];
        let Exit::Table { entries, default } = &entry.exit else {
            panic!("the entry block ends in a br_table");
        };
        let pool = &func.dfg.value_lists;
        let reached = std::iter::once(default)
            .chain(entries.iter())
            .map(|&i| {
                let target = g.succs(g.entry)[i as usize].target;
                match g.nodes[target].kind {
                    NodeKind::Block(b) => format!("{b}"),
                    NodeKind::EdgeCopy { branch, dest, .. } => {
                        let InstructionData::BranchTable { table, .. } = func.dfg.insts[branch]
                        else {
                            panic!("an edge copy of the br_table");
                        };
                        let call = func.dfg.jump_tables[table].all_branches()[dest as usize];
                        let args: Vec<String> = call.args(pool).map(|a| format!("{a}")).collect();
                        format!("{}({})", call.block(pool), args.join(", "))
                    }
                    NodeKind::Dispatch => unreachable!(),
                }
            })
            .collect();
        (entry.num_edges as usize, reached)
    }

    /// Equal destinations (same block, same arguments) share a successor; each reaches
    /// what it names.
    #[test]
    fn equal_table_destinations_share_a_successor() {
        let text = "function %f(i32, i32) -> i32 {
block0(v0: i32, v1: i32):
    br_table v0, block1, [block1, block2(v0), block2(v0), block2(v1), block1, block3, block2(v1)]
block1:
    return v0
block2(v2: i32):
    return v2
block3:
    return v1
}";
        let (successors, reached) = table_successors(text);
        assert_eq!(successors, 4);
        let want = [
            "block1",
            "block1",
            "block2(v0)",
            "block2(v0)",
            "block2(v1)",
            "block1",
            "block3",
            "block2(v1)",
        ];
        assert_eq!(reached, want);
    }

    /// Past `MAX_COMPARED` distinct argument lists to one block, a destination gets a
    /// successor of its own, and still reaches what it names.
    #[test]
    fn many_argument_lists_to_one_block_stay_linear() {
        let n = MAX_COMPARED + 4;
        let mut params = String::new();
        let mut dests = Vec::new();
        for i in 0..n {
            params.push_str(", i32");
            dests.push(format!("block1(v{})", i + 1));
        }
        // Every argument list again, then a plain destination.
        let repeated: Vec<String> = dests.iter().cloned().chain(dests.iter().cloned()).collect();
        let text = format!(
            "function %f(i32{params}) -> i32 {{
block0(v0: i32{}):
    br_table v0, block2, [{}]
block1(v100: i32):
    return v100
block2:
    return v0
}}",
            (1..=n).map(|i| format!(", v{i}: i32")).collect::<String>(),
            repeated.join(", ")
        );
        let (successors, reached) = table_successors(&text);
        let want: Vec<String> = std::iter::once("block2".to_string())
            .chain(repeated.iter().cloned())
            .collect();
        assert_eq!(reached, want);
        // The plain default, one successor per argument list, and a second one for the
        // repeats the bounded comparison does not reach.
        assert!(
            successors > n + 1 && successors <= 2 * n + 1,
            "{successors}"
        );
    }
}
