//! Structured control flow from the dominator tree, after Norman Ramsey's
//! "Beyond Relooper" (ICFP 2022).
//!
//! Each node is placed by `tree(x)`: a loop header gets a `loop`; the dominator-tree
//! children of `x` that are merge nodes (two or more forward in-edges) each get a `block`
//! that closes right before the child's code, nested so that the child latest in reverse
//! postorder is outermost. Then a branch `x → y` is a `br` to y's `loop` if it goes
//! backward, a `br` to y's `block` if y is a merge node, and otherwise y's own tree placed
//! right there. The graph must be reducible (see `irreducible`).
//!
//! Emission is driven by an explicit task stack, so deep dominator trees cannot overflow the
//! native stack. Straight-line code and branch selectors come from a [`NodeEmitter`].

use super::graph::{Edge, Exit, Graph, Node, NodeKind};
use super::order::Order;
use crate::error::{Error, ErrorKind, Result};
use crate::reuse::{empty_with_room, ClearTo};
use cranelift_entity::SecondaryMap;
use wasm_encoder::{BlockType, InstructionSink};

/// The opcodes of `br` and `br_if`, written straight into the code (`write_branch`): they
/// are a function's most frequent control instructions, and the encoder's LEB128 writer
/// copies through a buffer.
const BR: u8 = 0x0c;
const BR_IF: u8 = 0x0d;

/// Append branch `opcode` (`br` or `br_if`) to the label `depth` levels out to `code`.
#[inline]
fn write_branch(code: &mut Vec<u8>, opcode: u8, depth: u32) {
    code.push(opcode);
    crate::module::write_u32(code, depth);
}

/// What structuring needs from instruction selection.
pub trait NodeEmitter {
    /// Emit the straight-line code of `node`: everything but its branch. For `Exit::Stop`
    /// nodes this includes the return, trap or tail call.
    fn body(&mut self, node: Node) -> Result<()>;
    /// Push the i32 selector of a `Brif` or `Table` exit.
    fn selector(&mut self, node: Node) -> Result<()>;
    /// The local that holds dispatcher labels.
    fn label_local(&mut self) -> u32;
    /// The code buffer structured control is written to.
    fn code(&mut self) -> &mut Vec<u8>;
    /// Whether `node`, an edge node, turned out to need no code at all (its copies all
    /// vanished when locals were shared): a branch to it can go straight to its
    /// successor. Asked of edge nodes only.
    fn is_empty(&self, _node: Node) -> bool {
        false
    }
    /// The `loop` of `header` was opened (its code comes next); `back_edges` branches back
    /// to it will follow.
    fn loop_entered(&mut self, _header: Node, _back_edges: u32) {}
    /// A branch back to the `loop` of `header` (open) was emitted.
    fn branched_back(&mut self, _header: Node) {}
    /// The innermost open `loop` was closed.
    fn loop_left(&mut self) {}
}

/// Where a plain branch goes: its `br` depth, and the loop header if it goes back.
#[derive(Clone, Copy)]
struct Target {
    depth: u32,
    back_to: Option<Node>,
}

impl Target {
    /// Tell `emitter` of the branch just emitted to this target.
    fn emitted(self, emitter: &mut dyn NodeEmitter) {
        if let Some(header) = self.back_to {
            emitter.branched_back(header);
        }
    }
}

#[derive(Clone, Copy)]
enum Frame {
    /// A `block` that ends right before the code of the merge node.
    Block(Node),
    /// The `loop` of a loop header.
    Loop(Node),
    /// An `if`, or a `block` around one `br_table` arm: no node branches to it by name.
    Anonymous,
}

enum Task {
    Tree(Node),
    Branch(Node, Edge),
    Else,
    End,
}

struct Structurer<'a> {
    graph: &'a Graph,
    order: &'a Order,
    frames: Vec<Frame>,
    block_pos: SecondaryMap<Node, u32>,
    loop_pos: SecondaryMap<Node, u32>,
    tasks: Vec<Task>,
    merge_children: Vec<Node>,
}

const UNBOUND: u32 = u32::MAX;

/// The storage of [`emit`], kept from one function to the next.
pub struct Scratch {
    frames: Vec<Frame>,
    block_pos: SecondaryMap<Node, u32>,
    loop_pos: SecondaryMap<Node, u32>,
    tasks: Vec<Task>,
    merge_children: Vec<Node>,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            frames: Vec::new(),
            block_pos: SecondaryMap::with_default(UNBOUND),
            loop_pos: SecondaryMap::with_default(UNBOUND),
            tasks: Vec::new(),
            merge_children: Vec::new(),
        }
    }
}

/// Emit the whole structured body of the function into `code`, with the storage of
/// `scratch`. Returns whether the code may fall through its end (so the caller must close
/// it with `unreachable`).
pub fn emit(
    graph: &Graph,
    order: &Order,
    emitter: &mut dyn NodeEmitter,
    scratch: &mut Scratch,
) -> Result<bool> {
    let Scratch {
        mut frames,
        mut block_pos,
        mut loop_pos,
        mut tasks,
        mut merge_children,
    } = std::mem::take(scratch);
    // Stacks sized for a deep nest once, rather than grown (and copied) as it deepens.
    let deep = graph.nodes.len();
    empty_with_room(&mut frames, deep);
    block_pos.clear_to(graph.nodes.len());
    loop_pos.clear_to(graph.nodes.len());
    empty_with_room(&mut tasks, deep);
    tasks.push(Task::Tree(graph.entry));
    merge_children.clear();
    let mut s = Structurer {
        graph,
        order,
        frames,
        block_pos,
        loop_pos,
        tasks,
        merge_children,
    };
    let falls_through = s.run(emitter)?;
    *scratch = Scratch {
        frames: s.frames,
        block_pos: s.block_pos,
        loop_pos: s.loop_pos,
        tasks: s.tasks,
        merge_children: s.merge_children,
    };
    Ok(falls_through)
}

impl Structurer<'_> {
    /// Run the tasks until none is left; whether the code may fall through its end.
    fn run(&mut self, emitter: &mut dyn NodeEmitter) -> Result<bool> {
        let mut falls_through = false;
        while let Some(task) = self.tasks.pop() {
            falls_through = false;
            match task {
                Task::Tree(x) => self.tree(x, emitter)?,
                Task::Branch(from, edge) => self.branch(from, edge, emitter)?,
                Task::Else => {
                    InstructionSink::new(emitter.code()).else_();
                }
                Task::End => {
                    if let Some(Frame::Loop(_)) = self.pop_frame() {
                        emitter.loop_left();
                    }
                    InstructionSink::new(emitter.code()).end();
                    falls_through = true;
                }
            }
        }
        Ok(falls_through)
    }

    fn push_frame(&mut self, frame: Frame) {
        let pos = self.frames.len() as u32;
        match frame {
            Frame::Block(n) => self.block_pos[n] = pos,
            Frame::Loop(n) => self.loop_pos[n] = pos,
            Frame::Anonymous => {}
        }
        self.frames.push(frame);
    }

    fn pop_frame(&mut self) -> Option<Frame> {
        let frame = self.frames.pop();
        match frame {
            Some(Frame::Block(n)) => self.block_pos[n] = UNBOUND,
            Some(Frame::Loop(n)) => self.loop_pos[n] = UNBOUND,
            _ => {}
        }
        frame
    }

    /// The `br` depth of the label at frame position `pos`, the label of `target`;
    /// `Err(target)` if there is none (an internal error, see [`unbound`]). The error is
    /// the node alone, so that the answers of `direct`, asked at every edge, are small
    /// enough to come back in registers.
    #[inline]
    fn depth(&self, pos: u32, target: Node) -> std::result::Result<u32, Node> {
        if pos == UNBOUND {
            return Err(target);
        }
        Ok(self.frames.len() as u32 - 1 - pos)
    }

    fn tree(&mut self, x: Node, emitter: &mut dyn NodeEmitter) -> Result<()> {
        let header = self.order.is_loop_header(x);
        if header {
            InstructionSink::new(emitter.code()).loop_(BlockType::Empty);
            emitter.loop_entered(x, self.order.back_edges(x));
            self.push_frame(Frame::Loop(x));
            self.tasks.push(Task::End);
        }
        let code = emitter.code();
        self.merge_children.clear();
        let order = self.order;
        self.merge_children
            .extend(order.children(x).iter().filter(|&&c| order.is_merge(c)));
        // Outermost block for the latest child; each child's tree follows its block's end.
        for i in (0..self.merge_children.len()).rev() {
            let child = self.merge_children[i];
            InstructionSink::new(code).block(BlockType::Empty);
            self.push_frame(Frame::Block(child));
            self.tasks.push(Task::Tree(child));
            self.tasks.push(Task::End);
        }
        // Tasks run last-in first-out: x's code, then (end, tree) per child, innermost
        // first. The code is the next task: it runs here, without a round through the
        // task stack (whose dispatch the processor predicts badly).
        self.code(x, emitter)
    }

    fn code(&mut self, x: Node, emitter: &mut dyn NodeEmitter) -> Result<()> {
        emitter.body(x)?;
        let graph = self.graph;
        let succs = graph.succs(x);
        match &graph.nodes[x].exit {
            Exit::Stop => {}
            // The last task pushed runs next: here, directly. (A branch only pushes the
            // tree it leads to, so this recursion is bounded.)
            Exit::Jump => self.branch(x, succs[0], emitter)?,
            Exit::Brif => {
                let (then_edge, else_edge) = (succs[0], succs[1]);
                if let Some(target) = self.direct(x, then_edge, emitter).map_err(unbound)? {
                    emitter.selector(x)?;
                    write_branch(emitter.code(), BR_IF, target.depth);
                    target.emitted(emitter);
                    self.branch(x, else_edge, emitter)?;
                } else if let Some(target) = self.direct(x, else_edge, emitter).map_err(unbound)? {
                    emitter.selector(x)?;
                    InstructionSink::new(emitter.code()).i32_eqz();
                    write_branch(emitter.code(), BR_IF, target.depth);
                    target.emitted(emitter);
                    self.branch(x, then_edge, emitter)?;
                } else {
                    emitter.selector(x)?;
                    InstructionSink::new(emitter.code()).if_(BlockType::Empty);
                    self.push_frame(Frame::Anonymous);
                    self.tasks.push(Task::End);
                    self.tasks.push(Task::Branch(x, else_edge));
                    self.tasks.push(Task::Else);
                    self.branch(x, then_edge, emitter)?;
                }
            }
            Exit::Table { entries, default } => {
                // Successors that need code of their own get a block each; the first such
                // successor's block is innermost.
                // `depth_of[i]`: a direct depth, or for arm j (the j-th successor needing
                // code) the depth j of its block, counted from the innermost.
                let mut arms: Vec<usize> = Vec::with_capacity(succs.len());
                let mut depth_of: Vec<u32> = Vec::with_capacity(succs.len());
                let mut direct = Vec::with_capacity(succs.len());
                for (i, &edge) in succs.iter().enumerate() {
                    let d = self.direct(x, edge, emitter).map_err(unbound)?;
                    if d.is_none() {
                        depth_of.push(arms.len() as u32);
                        arms.push(i);
                    } else {
                        depth_of.push(0);
                    }
                    direct.push(d);
                }
                let extra = arms.len() as u32;
                for (depth, d) in depth_of.iter_mut().zip(&direct) {
                    if let Some(d) = d {
                        *depth = d.depth + extra;
                    }
                }
                for _ in &arms {
                    InstructionSink::new(emitter.code()).block(BlockType::Empty);
                    self.push_frame(Frame::Anonymous);
                }
                emitter.selector(x)?;
                InstructionSink::new(emitter.code()).br_table(
                    entries.iter().map(|&k| depth_of[k as usize]),
                    depth_of[*default as usize],
                );
                for target in direct.iter().flatten() {
                    target.emitted(emitter);
                }
                for &arm in arms.iter().rev() {
                    self.tasks.push(Task::Branch(x, succs[arm]));
                    self.tasks.push(Task::End);
                }
            }
        }
        Ok(())
    }

    /// The `br` target for `edge` if it is a plain branch (no label to set, and the
    /// target is a loop header behind us or a merge node, possibly through an empty edge
    /// node), or `None` if it needs code in place.
    fn direct(
        &self,
        from: Node,
        edge: Edge,
        emitter: &dyn NodeEmitter,
    ) -> std::result::Result<Option<Target>, Node> {
        if edge.label.is_some() {
            return Ok(None);
        }
        let to = edge.target;
        // Only an edge node can turn out empty: the emitter is asked of no other (a call
        // through `dyn` for each of the many branches to blocks).
        let edge_node = matches!(self.graph.nodes[to].kind, NodeKind::EdgeCopy { .. });
        if edge_node && emitter.is_empty(to) {
            if let [next] = self.graph.succs(to) {
                if let Ok(Some(target)) = self.plain_depth(to, *next) {
                    return Ok(Some(target));
                }
            }
        }
        self.plain_depth(from, edge)
    }

    /// `direct` without looking through empty nodes.
    fn plain_depth(&self, from: Node, edge: Edge) -> std::result::Result<Option<Target>, Node> {
        if edge.label.is_some() {
            return Ok(None);
        }
        let to = edge.target;
        if self.order.is_backward(from, to) {
            let depth = self.depth(self.loop_pos[to], to)?;
            return Ok(Some(Target {
                depth,
                back_to: Some(to),
            }));
        }
        if self.order.is_merge(to) {
            let depth = self.depth(self.block_pos[to], to)?;
            return Ok(Some(Target {
                depth,
                back_to: None,
            }));
        }
        Ok(None)
    }

    fn branch(&mut self, from: Node, edge: Edge, emitter: &mut dyn NodeEmitter) -> Result<()> {
        if let Some(label) = edge.label {
            let local = emitter.label_local();
            InstructionSink::new(emitter.code())
                .i32_const(label as i32)
                .local_set(local);
        }
        let plain = Edge {
            label: None,
            ..edge
        };
        match self.direct(from, plain, emitter).map_err(unbound)? {
            Some(target) => {
                write_branch(emitter.code(), BR, target.depth);
                target.emitted(emitter);
            }
            None => self.tasks.push(Task::Tree(edge.target)),
        }
        Ok(())
    }
}

/// The error for a branch to `target` with no enclosing label: structuring went wrong.
#[cold]
#[inline(never)]
fn unbound(target: Node) -> Error {
    Error::new(
        ErrorKind::Internal,
        "",
        format!("structuring found no enclosing label for {target}"),
    )
}

#[cfg(test)]
mod tests {
    /// Branches written straight into the code are what wasm-encoder writes.
    #[test]
    fn branches_encode_as_wasm_encoder_does() {
        for depth in [0, 1, 127, 128, 100_000] {
            let (mut br, mut br_if) = (Vec::new(), Vec::new());
            super::write_branch(&mut br, super::BR, depth);
            super::write_branch(&mut br_if, super::BR_IF, depth);
            let (mut theirs_br, mut theirs_br_if) = (Vec::new(), Vec::new());
            wasm_encoder::InstructionSink::new(&mut theirs_br).br(depth);
            wasm_encoder::InstructionSink::new(&mut theirs_br_if).br_if(depth);
            assert_eq!((br, br_if), (theirs_br, theirs_br_if), "{depth}");
        }
    }
    use super::*;
    use crate::cfg::irreducible::make_reducible;

    /// Emits a constant per node body so that the output is a valid function body, and
    /// counts how often each node is emitted.
    struct Mock {
        code: Vec<u8>,
        emitted: Vec<u32>,
        stops: Vec<bool>,
    }

    impl NodeEmitter for Mock {
        fn body(&mut self, node: Node) -> Result<()> {
            let i = node.as_u32() as usize;
            self.emitted[i] += 1;
            if self.stops[i] {
                InstructionSink::new(&mut self.code).i32_const(0).return_();
            }
            Ok(())
        }
        fn selector(&mut self, _: Node) -> Result<()> {
            InstructionSink::new(&mut self.code).local_get(0);
            Ok(())
        }
        fn label_local(&mut self) -> u32 {
            1
        }
        fn code(&mut self) -> &mut Vec<u8> {
            &mut self.code
        }
    }

    /// Structure `succs` and check that the result validates as a function and that every
    /// reachable node is emitted exactly once.
    fn check(succs: &[&[usize]]) {
        let mut g = Graph::synthetic(succs);
        let o = Order::compute(&g);
        make_reducible(&mut g, &o);
        let o = Order::compute(&g);
        let mut mock = Mock {
            code: Vec::new(),
            emitted: vec![0; g.nodes.len()],
            stops: g.nodes.values().map(|n| n.exit == Exit::Stop).collect(),
        };
        let falls_through = emit(&g, &o, &mut mock, &mut Scratch::default()).unwrap();
        let mut body = wasm_encoder::Function::new([(2, wasm_encoder::ValType::I32)]);
        body.raw(mock.code.iter().copied());
        if falls_through {
            body.instructions().unreachable();
        }
        body.instructions().end();
        let mut module = wasm_encoder::Module::new();
        let mut types = wasm_encoder::TypeSection::new();
        types.ty().function([], [wasm_encoder::ValType::I32]);
        module.section(&types);
        let mut funcs = wasm_encoder::FunctionSection::new();
        funcs.function(0);
        module.section(&funcs);
        let mut code = wasm_encoder::CodeSection::new();
        code.function(&body);
        module.section(&code);
        wasmparser::validate(&module.finish()).expect("structured code validates");
        for &node in &o.rpo {
            assert_eq!(
                mock.emitted[node.as_u32() as usize],
                1,
                "{node} emitted once"
            );
        }
    }

    #[test]
    fn shapes() {
        check(&[&[]]);
        check(&[&[1, 2], &[3], &[3], &[]]);
        check(&[&[1], &[2, 3], &[1], &[]]);
        check(&[&[1, 2], &[2, 3], &[1, 3], &[]]);
        check(&[&[1, 2, 3, 4], &[5], &[5], &[0, 5], &[2], &[]]);
        check(&[&[0]]);
    }

    #[test]
    fn random_graphs() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..500 {
            let count = 2 + (next() % 30) as usize;
            let succs: Vec<Vec<usize>> = (0..count)
                .map(|_| {
                    let k = (next() % 4) as usize;
                    (0..k).map(|_| (next() % count as u64) as usize).collect()
                })
                .collect();
            let refs: Vec<&[usize]> = succs.iter().map(|s| s.as_slice()).collect();
            check(&refs);
        }
    }

    #[test]
    fn deep_dominator_tree() {
        // A chain of 100k diamonds: the structurer's task stack, not recursion.
        let diamonds = 100_000;
        let mut succs: Vec<Vec<usize>> = Vec::new();
        for d in 0..diamonds {
            let base = 3 * d;
            succs.push(vec![base + 1, base + 2]);
            succs.push(vec![base + 3]);
            succs.push(vec![base + 3]);
        }
        succs.push(vec![]);
        let refs: Vec<&[usize]> = succs.iter().map(|s| s.as_slice()).collect();
        check(&refs);
    }
}
