//! Making an irreducible graph reducible with dispatch nodes.
//!
//! For every strongly connected region that can be entered at more than one node, a
//! `Dispatch` node becomes its only entry: each edge into one of the old entries now stores
//! that entry's label in the label local and goes to the dispatcher, which branches on the
//! label. The region minus its (now unique) header is searched again for inner regions, as
//! in LLVM's WebAssemblyFixIrreducibleControlFlow. Every node is visited once per loop that
//! contains it, so the cost is O(nodes × loop depth): never exponential, and no code is
//! duplicated.

use super::graph::{Edge, Exit, Graph, Node, NodeKind};
use super::order::Order;
use cranelift_entity::EntityRef;

/// Insert dispatchers until `g` is reducible. `order` must be the order of `g`.
pub fn make_reducible(g: &mut Graph, order: &Order) {
    let mut preds: Vec<Vec<Node>> = vec![Vec::new(); g.nodes.len()];
    for &node in &order.rpo {
        for e in g.succs(node) {
            preds[e.target.index()].push(node);
        }
    }
    let mut sccs = SccFinder::default();
    // Regions still to search: (nodes, in RPO).
    let mut work: Vec<Vec<Node>> = vec![order.rpo.clone()];
    while let Some(region) = work.pop() {
        for scc in sccs.find(g, &region) {
            let member = |n: Node, sccs: &SccFinder| sccs.scc_of(n) == sccs.scc_of(scc[0]);
            let mut entries: Vec<Node> = scc
                .iter()
                .copied()
                .filter(|&n| n == g.entry || preds[n.index()].iter().any(|&p| !member(p, &sccs)))
                .collect();
            entries.sort_by_key(|&n| order.rpo_index(n));
            let header = if entries.len() > 1 {
                insert_dispatcher(g, &mut preds, &entries)
            } else {
                entries[0]
            };
            let inner: Vec<Node> = scc.iter().copied().filter(|&n| n != header).collect();
            if !inner.is_empty() {
                work.push(inner);
            }
        }
    }
}

fn insert_dispatcher(g: &mut Graph, preds: &mut Vec<Vec<Node>>, entries: &[Node]) -> Node {
    let succs: Vec<Edge> = entries
        .iter()
        .map(|&target| Edge {
            target,
            label: None,
        })
        .collect();
    let k = entries.len() as u32;
    let dispatch = g.push(
        NodeKind::Dispatch,
        Exit::Table {
            entries: (0..k).collect(),
            default: k - 1,
        },
        &succs,
    );
    g.num_dispatchers += 1;
    preds.push(Vec::new());
    for (i, &entry) in entries.iter().enumerate() {
        let old = std::mem::replace(&mut preds[entry.index()], vec![dispatch]);
        for p in old {
            for e in g.succs_mut(p) {
                if e.target == entry {
                    e.target = dispatch;
                    e.label = Some(i as u32);
                }
            }
            if !preds[dispatch.index()].contains(&p) {
                preds[dispatch.index()].push(p);
            }
        }
    }
    dispatch
}

/// Tarjan's strongly connected components over a region of the graph, iteratively.
#[derive(Default)]
struct SccFinder {
    index: Vec<u32>,
    low: Vec<u32>,
    on_stack: Vec<bool>,
    in_region: Vec<u32>,
    scc_id: Vec<u32>,
    stamp: u32,
    next_scc: u32,
}

const NONE: u32 = u32::MAX;

impl SccFinder {
    fn scc_of(&self, n: Node) -> u32 {
        self.scc_id.get(n.index()).copied().unwrap_or(NONE)
    }

    /// The non-trivial SCCs (a cycle of one or more nodes) of the subgraph on `region`.
    fn find(&mut self, g: &Graph, region: &[Node]) -> Vec<Vec<Node>> {
        // Only the region's nodes are visited, so only they are reset: resetting every
        // node per region would make nested regions quadratic.
        let n = g.nodes.len();
        self.index.resize(n, NONE);
        self.low.resize(n, 0);
        self.on_stack.resize(n, false);
        self.in_region.resize(n, 0);
        self.scc_id.resize(n, NONE);
        self.stamp += 1;
        for &r in region {
            self.in_region[r.index()] = self.stamp;
            self.scc_id[r.index()] = NONE;
            self.index[r.index()] = NONE;
            self.on_stack[r.index()] = false;
        }
        let mut clock = 0u32;
        let mut stack: Vec<Node> = Vec::new();
        let mut calls: Vec<(Node, u32)> = Vec::new();
        let mut out = Vec::new();
        for &root in region {
            if self.index[root.index()] != NONE {
                continue;
            }
            calls.push((root, 0));
            self.visit(root, &mut clock, &mut stack);
            while let Some(&mut (v, ref mut next)) = calls.last_mut() {
                let succs = g.succs(v);
                if (*next as usize) < succs.len() {
                    let w = succs[*next as usize].target;
                    *next += 1;
                    if self.in_region.get(w.index()) != Some(&self.stamp) {
                        continue;
                    }
                    if self.index[w.index()] == NONE {
                        self.visit(w, &mut clock, &mut stack);
                        calls.push((w, 0));
                    } else if self.on_stack[w.index()] {
                        self.low[v.index()] = self.low[v.index()].min(self.index[w.index()]);
                    }
                    continue;
                }
                calls.pop();
                if let Some(&(parent, _)) = calls.last() {
                    self.low[parent.index()] = self.low[parent.index()].min(self.low[v.index()]);
                }
                if self.low[v.index()] == self.index[v.index()] {
                    let mut scc = Vec::new();
                    while let Some(w) = stack.pop() {
                        self.on_stack[w.index()] = false;
                        self.scc_id[w.index()] = self.next_scc;
                        scc.push(w);
                        if w == v {
                            break;
                        }
                    }
                    self.next_scc += 1;
                    let cyclic = scc.len() > 1 || g.succs(v).iter().any(|e| e.target == v);
                    if cyclic {
                        out.push(scc);
                    }
                }
            }
        }
        out
    }

    fn visit(&mut self, v: Node, clock: &mut u32, stack: &mut Vec<Node>) {
        self.index[v.index()] = *clock;
        self.low[v.index()] = *clock;
        *clock += 1;
        stack.push(v);
        self.on_stack[v.index()] = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(succs: &[&[usize]]) -> (Graph, Order) {
        let mut g = Graph::synthetic(succs);
        let o = Order::compute(&g);
        make_reducible(&mut g, &o);
        let o = Order::compute(&g);
        assert!(o.is_reducible(), "still irreducible: {g:?}");
        (g, o)
    }

    #[test]
    fn two_entry_loop_gets_one_dispatcher() {
        let (g, _) = fixed(&[&[1, 2], &[2, 3], &[1, 3], &[]]);
        assert_eq!(g.num_dispatchers, 1);
        assert_eq!(g.nodes.len(), 5);
        // Both entry edges now carry a label and go to the dispatcher.
        let d = Node::from_u32(4);
        assert!(g
            .succs(Node::from_u32(0))
            .iter()
            .all(|e| e.target == d && e.label.is_some()));
    }

    #[test]
    fn reducible_graphs_are_left_alone() {
        let (g, _) = fixed(&[&[1], &[2, 3], &[1], &[]]);
        assert_eq!(g.num_dispatchers, 0);
    }

    #[test]
    fn nested_irreducible_regions() {
        // An outer loop 1..=5 whose body holds a two-entry loop {3, 4}, entered from 2 at
        // both nodes, plus an irreducible pair {6, 7} after it.
        let (g, _) = fixed(&[
            &[1],
            &[2],
            &[3, 4],
            &[4, 5],
            &[3, 5],
            &[1, 6, 7],
            &[7, 8],
            &[6, 8],
            &[],
        ]);
        assert_eq!(g.num_dispatchers, 2);
    }

    #[test]
    fn complete_graph_costs_no_more_than_one_dispatcher_per_region() {
        // Every node branches to every other node: entered everywhere.
        let count = 40;
        let succs: Vec<Vec<usize>> = (0..count)
            .map(|i| (0..count).filter(|&j| j != i && j != 0).collect())
            .collect();
        let refs: Vec<&[usize]> = succs.iter().map(|s| s.as_slice()).collect();
        let (g, _) = fixed(&refs);
        // Nodes are never duplicated: only dispatchers are added, at most one per node.
        assert!(g.nodes.len() <= 2 * count);
    }
}
