//! The lowering graph: the CLIF blocks of a function plus the nodes lowering adds.
//!
//! Structuring works on this graph rather than on CLIF's CFG for two reasons. A multi-way
//! branch whose edges carry block arguments needs a place to perform each edge's copies:
//! such edges get an `EdgeCopy` node of their own, so copies run only on their edge. And an
//! irreducible loop is made single-entry by a `Dispatch` node that branches on a label local;
//! edges into such a loop set the label before they branch to the dispatcher.

use cranelift_codegen::ir::{self, InstructionData};
use cranelift_entity::{entity_impl, PrimaryMap, SecondaryMap};
use std::collections::HashMap;

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
    build_into(&mut g, func);
    g
}

/// [`build`] into `g`, reusing its storage (for the next function).
pub fn build_into(g: &mut Graph, func: &ir::Function) {
    let dfg = &func.dfg;
    let blocks = dfg.num_blocks();
    g.nodes.clear();
    g.nodes.reserve(2 * blocks);
    g.edges.clear();
    g.block_node.clear();
    g.block_node.resize(blocks);
    g.entry = Node::default();
    g.num_dispatchers = 0;
    // Reserve one node per block first, so block nodes are numbered in layout order.
    for block in func.layout.blocks() {
        let node = g.nodes.push(NodeData {
            kind: NodeKind::Block(block),
            exit: Exit::Stop,
            first_edge: 0,
            num_edges: 0,
        });
        g.block_node[block] = node;
    }
    if let Some(entry) = func.layout.entry_block() {
        g.entry = g.block_node[entry];
    }
    let mut succs: Vec<Edge> = Vec::with_capacity(8);
    let mut seen: HashMap<(ir::Block, Vec<ir::BlockArg>), u32> = HashMap::new();
    for block in func.layout.blocks() {
        let node = g.block_node[block];
        let Some(inst) = func.layout.last_inst(block) else {
            continue;
        };
        succs.clear();
        let pool = &dfg.value_lists;
        let exit = match &dfg.insts[inst] {
            InstructionData::Jump { destination, .. } => {
                succs.push(plain(g, destination.block(pool)));
                Exit::Jump
            }
            InstructionData::Brif { blocks, .. } => {
                let [then_call, else_call] = blocks;
                let same_block = then_call.block(pool) == else_call.block(pool);
                let same_args = then_call.args(pool).eq(else_call.args(pool));
                if same_block && same_args {
                    // Both arms go to the same place with the same arguments: a jump.
                    succs.push(plain(g, then_call.block(pool)));
                    Exit::Jump
                } else {
                    for (i, call) in blocks.iter().enumerate() {
                        let edge = edge_for(g, *call, pool, inst, i as u32);
                        succs.push(edge);
                    }
                    Exit::Brif
                }
            }
            InstructionData::BranchTable { table, .. } => {
                let all = dfg.jump_tables[*table].all_branches();
                seen.clear();
                let mut index_of = Vec::with_capacity(all.len());
                for (i, call) in all.iter().enumerate() {
                    let key = (call.block(pool), call.args(pool).collect());
                    let k = *seen.entry(key).or_insert_with(|| {
                        let edge = edge_for(g, *call, pool, inst, i as u32);
                        succs.push(edge);
                        succs.len() as u32 - 1
                    });
                    index_of.push(k);
                }
                Exit::Table {
                    default: index_of[0],
                    entries: index_of[1..].into(),
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
}

fn plain(g: &Graph, block: ir::Block) -> Edge {
    Edge {
        target: g.block_node[block],
        label: None,
    }
}

/// The edge for destination `dest` of `branch`: straight to the block when there is nothing
/// to copy, else through a new `EdgeCopy` node.
fn edge_for(
    g: &mut Graph,
    call: ir::BlockCall,
    pool: &ir::ValueListPool,
    branch: ir::Inst,
    dest: u32,
) -> Edge {
    let target = plain(g, call.block(pool));
    if call.len(pool) == 0 {
        return target;
    }
    let node = g.push(NodeKind::EdgeCopy { branch, dest }, Exit::Jump, &[target]);
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
