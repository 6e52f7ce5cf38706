//! Reverse postorder, predecessors and dominators of the lowering graph.
//!
//! Dominators use the Cooper–Harvey–Kennedy iteration over reverse postorder; dominance
//! queries are O(1) through pre/post numbers of the dominator tree. Everything is iterative,
//! so a function with a million blocks does not exhaust the native stack.

use super::graph::{Graph, Node};
use cranelift_entity::{EntityRef, SecondaryMap};

const UNREACHABLE: u32 = u32::MAX;

/// Order facts of a graph.
#[derive(Debug, Default)]
pub struct Order {
    /// Reachable nodes in reverse postorder; `rpo[0]` is the entry.
    pub rpo: Vec<Node>,
    /// Position of each node in `rpo`, or `u32::MAX` if unreachable.
    pub rpo_index: SecondaryMap<Node, u32>,
    /// Immediate dominator of each reachable node (the entry's is itself).
    pub idom: SecondaryMap<Node, Node>,
    /// Dominator-tree children of each node, in reverse postorder.
    children: Vec<Node>,
    children_start: SecondaryMap<Node, u32>,
    pre: SecondaryMap<Node, u32>,
    post: SecondaryMap<Node, u32>,
    /// Number of forward in-edges (from earlier nodes in RPO) per node.
    pub forward_in: SecondaryMap<Node, u32>,
    /// Whether a node is the target of a retreating edge.
    pub retreating_in: SecondaryMap<Node, bool>,
}

impl Order {
    /// Compute the order facts of `g`.
    pub fn compute(g: &Graph) -> Order {
        let n = g.nodes.len();
        let mut order = Order {
            rpo_index: SecondaryMap::with_default(UNREACHABLE),
            ..Default::default()
        };
        order.rpo_index.resize(n);
        order.postorder(g);
        order.dominators(g);
        order.tree(n);
        order
    }

    fn postorder(&mut self, g: &Graph) {
        let n = g.nodes.len();
        let mut post = Vec::with_capacity(n);
        if n == 0 {
            return;
        }
        let mut visited = vec![false; n];
        let mut stack: Vec<(Node, u32)> = vec![(g.entry, 0)];
        visited[g.entry.index()] = true;
        while let Some(top) = stack.last_mut() {
            let (node, next) = *top;
            let succs = g.succs(node);
            if (next as usize) < succs.len() {
                top.1 += 1;
                let t = succs[next as usize].target;
                if !visited[t.index()] {
                    visited[t.index()] = true;
                    stack.push((t, 0));
                }
            } else {
                post.push(node);
                stack.pop();
            }
        }
        post.reverse();
        for (i, &node) in post.iter().enumerate() {
            self.rpo_index[node] = i as u32;
        }
        self.rpo = post;
    }

    fn dominators(&mut self, g: &Graph) {
        let n = self.rpo.len();
        // Predecessors by RPO index, in a flat CSR layout.
        let mut count = vec![0u32; n + 1];
        for &node in &self.rpo {
            for e in g.succs(node) {
                count[self.rpo_index[e.target] as usize + 1] += 1;
            }
        }
        for i in 0..n {
            count[i + 1] += count[i];
        }
        let mut fill = count.clone();
        let mut preds = vec![0u32; count[n] as usize];
        for (i, &node) in self.rpo.iter().enumerate() {
            for e in g.succs(node) {
                let t = self.rpo_index[e.target] as usize;
                preds[fill[t] as usize] = i as u32;
                fill[t] += 1;
                if (i as u32) < t as u32 {
                    self.forward_in[e.target] += 1;
                } else {
                    self.retreating_in[e.target] = true;
                }
            }
        }
        let mut idom = vec![UNREACHABLE; n];
        if n > 0 {
            idom[0] = 0;
        }
        let mut changed = true;
        while changed {
            changed = false;
            for b in 1..n {
                let mut new_idom = UNREACHABLE;
                for &p in &preds[count[b] as usize..count[b + 1] as usize] {
                    if idom[p as usize] == UNREACHABLE {
                        continue;
                    }
                    new_idom = if new_idom == UNREACHABLE {
                        p
                    } else {
                        intersect(&idom, p, new_idom)
                    };
                }
                if new_idom != idom[b] {
                    idom[b] = new_idom;
                    changed = true;
                }
            }
        }
        for (i, &node) in self.rpo.iter().enumerate() {
            self.idom[node] = self.rpo[idom[i] as usize];
        }
    }

    fn tree(&mut self, n: usize) {
        // Children lists in CSR form; iterating in RPO keeps each list in RPO.
        let mut count = vec![0u32; n + 1];
        for &node in self.rpo.iter().skip(1) {
            count[self.idom[node].index() + 1] += 1;
        }
        for i in 0..n {
            count[i + 1] += count[i];
        }
        let mut fill = count.clone();
        self.children = vec![Node::new(0); count[n] as usize];
        for &node in self.rpo.iter().skip(1) {
            let p = self.idom[node].index();
            self.children[fill[p] as usize] = node;
            fill[p] += 1;
        }
        for (i, &start) in count.iter().enumerate().take(n) {
            self.children_start[Node::new(i)] = start;
        }
        self.children_start[Node::new(n)] = count[n];
        // Pre/post numbering of the dominator tree, iteratively.
        let Some(&root) = self.rpo.first() else {
            return;
        };
        let mut clock = 0;
        let mut stack = vec![(root, false)];
        while let Some((node, done)) = stack.pop() {
            if done {
                self.post[node] = clock;
                clock += 1;
                continue;
            }
            self.pre[node] = clock;
            clock += 1;
            stack.push((node, true));
            for &c in self.children(node).iter().rev() {
                stack.push((c, false));
            }
        }
    }

    /// Dominator-tree children of `node`, in reverse postorder.
    pub fn children(&self, node: Node) -> &[Node] {
        let start = self.children_start[node] as usize;
        let end = self.children_start[Node::new(node.index() + 1)] as usize;
        &self.children[start..end]
    }

    /// Whether `node` is reachable from the entry.
    pub fn is_reachable(&self, node: Node) -> bool {
        self.rpo_index[node] != UNREACHABLE
    }

    /// Whether `a` dominates `b` (both reachable).
    pub fn dominates(&self, a: Node, b: Node) -> bool {
        self.pre[a] <= self.pre[b] && self.post[b] <= self.post[a]
    }

    /// Whether the edge `from → to` goes backward (or to itself) in reverse postorder.
    pub fn is_backward(&self, from: Node, to: Node) -> bool {
        self.rpo_index[to] <= self.rpo_index[from]
    }

    /// Whether `node` has two or more forward in-edges (a merge node, after Ramsey).
    pub fn is_merge(&self, node: Node) -> bool {
        self.forward_in[node] >= 2
    }

    /// Whether `node` is a loop header (the target of a back edge).
    pub fn is_loop_header(&self, node: Node) -> bool {
        self.retreating_in[node]
    }

    /// Whether every retreating edge goes to a node that dominates its source.
    pub fn is_reducible(&self, g: &Graph) -> bool {
        self.rpo.iter().all(|&from| {
            g.succs(from)
                .iter()
                .all(|e| !self.is_backward(from, e.target) || self.dominates(e.target, from))
        })
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
        assert_eq!(o.idom[n(3)], n(0));
        assert!(o.is_merge(n(3)));
        assert!(!o.is_merge(n(1)));
        assert!(o.dominates(n(0), n(3)) && !o.dominates(n(1), n(3)));
        assert_eq!(o.children(n(0)).len(), 3);
        assert!(o.is_reducible(&g));
    }

    #[test]
    fn natural_loop_is_reducible_with_one_header() {
        // 0 -> 1; 1 -> 2, 3; 2 -> 1.
        let g = Graph::synthetic(&[&[1], &[2, 3], &[1], &[]]);
        let o = Order::compute(&g);
        assert!(o.is_loop_header(n(1)));
        assert!(!o.is_loop_header(n(2)));
        assert!(o.is_reducible(&g));
    }

    #[test]
    fn two_entry_loop_is_irreducible() {
        // 0 -> 1, 2; 1 -> 2; 2 -> 1.
        let g = Graph::synthetic(&[&[1, 2], &[2], &[1]]);
        assert!(!Order::compute(&g).is_reducible(&g));
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
        assert_eq!(o.idom[n(count as u32 - 1)], n(count as u32 - 2));
        assert!(o.is_reducible(&g));
    }
}
