//! Reverse postorder, predecessors and dominators of the lowering graph.
//!
//! Dominators use the Cooper–Harvey–Kennedy iteration over reverse postorder. The one
//! dominance question asked here (does a retreating edge's target dominate its source?)
//! climbs the dominator tree from the source, which takes a step or two in the usual
//! loop; pre/post numbers of the tree, which answer any such question in O(1), are made
//! only where the climbing grows long. Everything is iterative, so a function with a
//! million blocks does not exhaust the native stack.
//!
//! The first pass of the iteration sees only forward edges (a retreating edge's source
//! has no dominator yet), so it finds the dominators of the graph without its retreating
//! edges. If each retreating edge's target dominates its source there, the graph is
//! reducible and those are its dominators (a path without repeated nodes then takes no
//! retreating edge: the first one it took would return to a node it passed), so the
//! iteration goes on only for irreducible graphs.

use super::graph::{Graph, Node};
use crate::reuse::{empty_with_room, refill};
use cranelift_entity::EntityRef;

const UNREACHABLE: u32 = u32::MAX;

/// Order facts of a graph. Computing them again (for the next function) reuses the
/// storage.
#[derive(Debug)]
pub struct Order {
    /// Reachable nodes in reverse postorder; `rpo[0]` is the entry.
    pub rpo: Vec<Node>,
    /// Dominator-tree children of each node, in reverse postorder (see
    /// [`NodeOrder::children_start`]).
    children: Vec<Node>,
    /// The facts of each node (by index), and one past the last for the end of the last
    /// node's children.
    nodes: Vec<NodeOrder>,
    /// Whether some edge is retreating (the graph has a cycle).
    cyclic: bool,
    /// Whether every retreating edge goes to a node that dominates its source.
    reducible: bool,
    scratch: Scratch,
}

/// The order facts of one node, together: the structurer asks several of each node.
#[derive(Clone, Copy, Debug)]
struct NodeOrder {
    /// Position in `rpo`, or `UNREACHABLE`.
    rpo_index: u32,
    /// Number of forward in-edges (from earlier nodes in RPO).
    forward_in: u32,
    /// Number of retreating in-edges (from the node itself or later nodes in RPO).
    retreating_in: u32,
    /// Its dominator-tree children are `children[children_start..]` up to the next
    /// node's `children_start`.
    children_start: u32,
}

const NO_ORDER: NodeOrder = NodeOrder {
    rpo_index: UNREACHABLE,
    forward_in: 0,
    retreating_in: 0,
    children_start: 0,
};

/// Working storage of `compute`.
#[derive(Debug, Default)]
struct Scratch {
    visited: Vec<bool>,
    walk: Vec<(Node, u32)>,
    /// The retreating edges (source, target), by RPO index, in the order the first pass
    /// meets them.
    retreating: Vec<(u32, u32)>,
    /// Predecessors by RPO index in a CSR layout (`preds[count[b]..count[b + 1]]`),
    /// built only for an irreducible graph, whose dominators take more than one pass.
    count: Vec<u32>,
    fill: Vec<u32>,
    preds: Vec<u32>,
    /// The immediate dominator of each reachable node, both by RPO index (the entry's
    /// is itself).
    idom: Vec<u32>,
    /// Pre/post numbers of the dominator tree by RPO index, made only where climbing the
    /// tree grows long (see [`Order::retreating_edges_dominated`]).
    pre: Vec<u32>,
    post: Vec<u32>,
    /// `count` and `fill` of the dominator tree's children, apart from the
    /// predecessors' (which an irreducible graph's iteration reads after the tree is
    /// built).
    tree_count: Vec<u32>,
    tree_fill: Vec<u32>,
    tree_walk: Vec<(Node, bool)>,
}

impl Default for Order {
    fn default() -> Self {
        Order {
            rpo: Vec::new(),
            children: Vec::new(),
            nodes: Vec::new(),
            cyclic: false,
            reducible: true,
            scratch: Scratch::default(),
        }
    }
}

impl Order {
    /// Compute the order facts of `g`.
    pub fn compute(g: &Graph) -> Order {
        let mut order = Order::default();
        order.recompute(g);
        order
    }

    /// [`Order::compute`] into this one, reusing its storage.
    pub fn recompute(&mut self, g: &Graph) {
        let n = g.nodes.len();
        refill(&mut self.nodes, n + 1, NO_ORDER);
        self.postorder(g);
        self.dominators(g);
        self.tree(n);
        self.reducible = !self.cyclic || self.retreating_edges_dominated();
        if !self.reducible {
            self.predecessors(g);
            self.iterate_dominators();
            self.tree(n);
        }
    }

    fn postorder(&mut self, g: &Graph) {
        let n = g.nodes.len();
        self.rpo.clear();
        if n == 0 {
            return;
        }
        let Scratch { visited, walk, .. } = &mut self.scratch;
        refill(visited, n, false);
        // A stack of at most every node: sized once, never grown (growing copies it,
        // megabytes at a million instructions).
        empty_with_room(walk, n);
        walk.push((g.entry, 0));
        visited[g.entry.index()] = true;
        while let Some(top) = walk.last_mut() {
            let (node, next) = *top;
            let succs = g.succs(node);
            if (next as usize) < succs.len() {
                top.1 += 1;
                let t = succs[next as usize].target;
                if !visited[t.index()] {
                    visited[t.index()] = true;
                    walk.push((t, 0));
                }
            } else {
                self.rpo.push(node);
                walk.pop();
            }
        }
        self.rpo.reverse();
        for (i, &node) in self.rpo.iter().enumerate() {
            self.nodes[node.index()].rpo_index = i as u32;
        }
    }

    /// The first pass of the dominators (see the module doc), over each node's
    /// successors in reverse postorder: a node's forward predecessors all come before
    /// it, so its immediate dominator is final when it is reached, and each forward edge
    /// narrows its target's as it is met (the nearest common ancestor does not depend on
    /// the order). Counts the forward and retreating in-edges and lists the retreating
    /// edges on the way, without a table of predecessors.
    fn dominators(&mut self, g: &Graph) {
        let n = self.rpo.len();
        let Scratch {
            idom, retreating, ..
        } = &mut self.scratch;
        refill(idom, n, UNREACHABLE);
        if n > 0 {
            idom[0] = 0;
        }
        retreating.clear();
        self.cyclic = false;
        for (i, &node) in self.rpo.iter().enumerate() {
            let i = i as u32;
            for e in g.succs(node) {
                let target = &mut self.nodes[e.target.index()];
                let t = target.rpo_index;
                if i < t {
                    target.forward_in += 1;
                    let current = idom[t as usize];
                    idom[t as usize] = if current == UNREACHABLE {
                        i
                    } else {
                        intersect(idom, i, current)
                    };
                } else {
                    target.retreating_in += 1;
                    retreating.push((i, t));
                }
            }
        }
        self.cyclic = !retreating.is_empty();
    }

    /// The predecessors of every reachable node by RPO index (`Scratch::preds`), for the
    /// iteration an irreducible graph needs.
    fn predecessors(&mut self, g: &Graph) {
        let n = self.rpo.len();
        let Scratch {
            count, fill, preds, ..
        } = &mut self.scratch;
        refill(count, n + 1, 0);
        for &node in &self.rpo {
            for e in g.succs(node) {
                count[self.nodes[e.target.index()].rpo_index as usize + 1] += 1;
            }
        }
        for i in 0..n {
            count[i + 1] += count[i];
        }
        fill.clear();
        fill.extend_from_slice(count);
        refill(preds, count[n] as usize, 0);
        for (i, &node) in self.rpo.iter().enumerate() {
            for e in g.succs(node) {
                let t = self.nodes[e.target.index()].rpo_index as usize;
                preds[fill[t] as usize] = i as u32;
                fill[t] += 1;
            }
        }
    }

    /// One pass of the Cooper–Harvey–Kennedy iteration over the nodes in reverse
    /// postorder; whether a dominator changed.
    fn dominator_pass(&mut self) -> bool {
        let n = self.rpo.len();
        let Scratch {
            count, preds, idom, ..
        } = &mut self.scratch;
        let mut changed = false;
        for b in 1..n {
            let mut new_idom = UNREACHABLE;
            for &p in &preds[count[b] as usize..count[b + 1] as usize] {
                if idom[p as usize] == UNREACHABLE {
                    continue;
                }
                new_idom = if new_idom == UNREACHABLE {
                    p
                } else {
                    intersect(idom, p, new_idom)
                };
            }
            if new_idom != idom[b] {
                idom[b] = new_idom;
                changed = true;
            }
        }
        changed
    }

    /// The iteration to its fixed point, after the first pass (an irreducible graph).
    fn iterate_dominators(&mut self) {
        while self.dominator_pass() {}
    }

    /// Whether each retreating edge goes to a node that dominates its source, by the
    /// dominator tree as it stands. Each source climbs the tree towards the target (an
    /// ancestor has a smaller RPO index); if the climbing passes a budget linear in the
    /// graph (a deep tree with many retreating edges), the tree is numbered instead.
    fn retreating_edges_dominated(&mut self) -> bool {
        let n = self.rpo.len();
        let mut budget = 4 * n + 64;
        let Scratch {
            retreating, idom, ..
        } = &self.scratch;
        for &(p, t) in retreating {
            let (mut x, t) = (p as usize, t as usize);
            while x > t && budget > 0 {
                x = idom[x] as usize;
                budget -= 1;
            }
            if budget == 0 {
                return self.retreating_edges_dominated_numbered();
            }
            if x != t {
                return false;
            }
        }
        true
    }

    /// [`Order::retreating_edges_dominated`] through pre/post numbers of the dominator
    /// tree (linear however deep the tree is).
    fn retreating_edges_dominated_numbered(&mut self) -> bool {
        self.number_tree();
        let Scratch {
            retreating,
            pre,
            post,
            ..
        } = &self.scratch;
        let dominates = |a: usize, b: usize| pre[a] <= pre[b] && post[b] <= post[a];
        retreating
            .iter()
            .all(|&(p, t)| dominates(t as usize, p as usize))
    }

    fn tree(&mut self, n: usize) {
        let Scratch {
            tree_count: count,
            tree_fill: fill,
            idom,
            ..
        } = &mut self.scratch;
        // Children lists in CSR form; iterating in RPO keeps each list in RPO.
        refill(count, n + 1, 0);
        for &i in idom.iter().skip(1) {
            count[self.rpo[i as usize].index() + 1] += 1;
        }
        for i in 0..n {
            count[i + 1] += count[i];
        }
        fill.clear();
        fill.extend_from_slice(count);
        refill(&mut self.children, count[n] as usize, Node::new(0));
        for (&node, &i) in self.rpo.iter().zip(idom.iter()).skip(1) {
            let p = self.rpo[i as usize].index();
            self.children[fill[p] as usize] = node;
            fill[p] += 1;
        }
        for (facts, &start) in self.nodes.iter_mut().zip(count.iter()) {
            facts.children_start = start;
        }
    }

    /// Pre/post numbers of the dominator tree, by RPO index, iteratively.
    fn number_tree(&mut self) {
        let n = self.rpo.len();
        let Scratch {
            pre,
            post,
            tree_walk,
            ..
        } = &mut self.scratch;
        refill(pre, n, 0);
        refill(post, n, 0);
        let Some(&root) = self.rpo.first() else {
            return;
        };
        let mut clock = 0;
        // Each node is on the stack at most twice (before and after its children).
        empty_with_room(tree_walk, 2 * n);
        tree_walk.push((root, false));
        while let Some((node, done)) = tree_walk.pop() {
            let i = self.nodes[node.index()].rpo_index as usize;
            if done {
                post[i] = clock;
                clock += 1;
                continue;
            }
            pre[i] = clock;
            clock += 1;
            tree_walk.push((node, true));
            let start = self.nodes[node.index()].children_start as usize;
            let end = self.nodes[node.index() + 1].children_start as usize;
            for &c in self.children[start..end].iter().rev() {
                tree_walk.push((c, false));
            }
        }
    }

    /// Dominator-tree children of `node`, in reverse postorder.
    pub fn children(&self, node: Node) -> &[Node] {
        let start = self.nodes[node.index()].children_start as usize;
        let end = self.nodes[node.index() + 1].children_start as usize;
        &self.children[start..end]
    }

    /// Whether `node` is reachable from the entry.
    pub fn is_reachable(&self, node: Node) -> bool {
        self.rpo_index(node) != UNREACHABLE
    }

    /// The position of `node` in `rpo`, or `u32::MAX` if it is unreachable.
    pub fn rpo_index(&self, node: Node) -> u32 {
        self.nodes
            .get(node.index())
            .map_or(UNREACHABLE, |f| f.rpo_index)
    }

    /// The immediate dominator of `node` (reachable; the entry's is itself).
    pub fn idom(&self, node: Node) -> Node {
        self.rpo[self.scratch.idom[self.nodes[node.index()].rpo_index as usize] as usize]
    }

    /// Whether `a` dominates `b` (both reachable), climbing the dominator tree from `b`.
    pub fn dominates(&self, a: Node, b: Node) -> bool {
        let (a, mut b) = (
            self.nodes[a.index()].rpo_index,
            self.nodes[b.index()].rpo_index,
        );
        while b > a {
            b = self.scratch.idom[b as usize];
        }
        a == b
    }

    /// Whether the edge `from → to` goes backward (or to itself) in reverse postorder.
    pub fn is_backward(&self, from: Node, to: Node) -> bool {
        self.nodes[to.index()].rpo_index <= self.nodes[from.index()].rpo_index
    }

    /// Whether `node` has two or more forward in-edges (a merge node, after Ramsey).
    pub fn is_merge(&self, node: Node) -> bool {
        self.nodes[node.index()].forward_in >= 2
    }

    /// Whether `node` is a loop header (the target of a back edge).
    pub fn is_loop_header(&self, node: Node) -> bool {
        self.nodes[node.index()].retreating_in > 0
    }

    /// The number of edges from reachable nodes that go backward to `node` (each a
    /// branch back to its `loop` once structured).
    pub fn back_edges(&self, node: Node) -> u32 {
        self.nodes[node.index()].retreating_in
    }

    /// Whether every retreating edge goes to a node that dominates its source.
    pub fn is_reducible(&self) -> bool {
        self.reducible
    }
}

fn intersect(idom: &[u32], mut a: u32, mut b: u32) -> u32 {
    while a != b {
        while a > b {
            a = idom[a as usize];
        }
        while b > a {
            b = idom[b as usize];
        }
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(i: u32) -> Node {
        Node::from_u32(i)
    }

    #[test]
    fn diamond_dominators_and_merge_nodes() {
        // 0 -> 1, 2; 1 -> 3; 2 -> 3; 4 unreachable.
        let g = Graph::synthetic(&[&[1, 2], &[3], &[3], &[], &[3]]);
        let o = Order::compute(&g);
        assert_eq!(o.rpo.len(), 4);
        assert!(!o.is_reachable(n(4)));
        assert_eq!(o.idom(n(3)), n(0));
        assert!(o.is_merge(n(3)));
        assert!(!o.is_merge(n(1)));
        assert!(o.dominates(n(0), n(3)) && !o.dominates(n(1), n(3)));
        assert_eq!(o.children(n(0)).len(), 3);
        assert!(o.is_reducible());
    }

    #[test]
    fn natural_loop_is_reducible_with_one_header() {
        // 0 -> 1; 1 -> 2, 3; 2 -> 1.
        let g = Graph::synthetic(&[&[1], &[2, 3], &[1], &[]]);
        let o = Order::compute(&g);
        assert!(o.is_loop_header(n(1)));
        assert!(!o.is_loop_header(n(2)));
        assert!(o.is_reducible());
    }

    #[test]
    fn two_entry_loop_is_irreducible() {
        // 0 -> 1, 2; 1 -> 2; 2 -> 1.
        let g = Graph::synthetic(&[&[1, 2], &[2], &[1]]);
        assert!(!Order::compute(&g).is_reducible());
    }

    #[test]
    fn irreducible_dominators_count_the_retreating_edges() {
        // 0 -> 1, 4; 1 -> 2; 2 -> 3; 3 -> 2; 4 -> 3. Without the retreating edge 3 -> 2,
        // 1 dominates 2; with it, 0 -> 4 -> 3 -> 2 passes 1 by.
        let g = Graph::synthetic(&[&[1, 4], &[2], &[3], &[2], &[3]]);
        let o = Order::compute(&g);
        assert!(!o.is_reducible());
        assert_eq!(o.idom(n(2)), n(0));
        assert_eq!(o.idom(n(3)), n(0));
        assert!(!o.dominates(n(1), n(2)));
        assert!(o.dominates(n(0), n(2)));
    }

    /// A chain whose every node branches back to its header: climbing the dominator tree
    /// from each would take quadratic time, so the tree is numbered instead (with a
    /// second entry into the loop halfway down, irreducible).
    #[test]
    fn many_retreating_edges_from_a_deep_tree() {
        let count = 1_000;
        for second_entry in [false, true] {
            let succs: Vec<Vec<usize>> = (0..count)
                .map(|i| match i {
                    0 if second_entry => vec![1, count / 2],
                    0 => vec![1],
                    _ if i + 1 < count => vec![i + 1, 1],
                    _ => vec![1],
                })
                .collect();
            let refs: Vec<&[usize]> = succs.iter().map(|s| s.as_slice()).collect();
            let o = Order::compute(&Graph::synthetic(&refs));
            assert_eq!(o.is_reducible(), !second_entry);
            assert!(o.dominates(n(1), n(count as u32 - 1)) != second_entry);
        }
    }

    #[test]
    fn long_chains_do_not_recurse() {
        // 200k nodes in a chain with a back edge: iterative algorithms only.
        let count = 200_000;
        let succs: Vec<Vec<usize>> = (0..count)
            .map(|i| if i + 1 < count { vec![i + 1] } else { vec![0] })
            .collect();
        let refs: Vec<&[usize]> = succs.iter().map(|s| s.as_slice()).collect();
        let g = Graph::synthetic(&refs);
        let o = Order::compute(&g);
        assert_eq!(o.idom(n(count as u32 - 1)), n(count as u32 - 2));
        assert!(o.is_reducible());
    }
}
