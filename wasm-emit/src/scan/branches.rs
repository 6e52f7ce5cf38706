//! The branches' destinations and the blocks' parameters, as the walk found them: the
//! lowering graph, the structurer and the edge copies read them from here rather than
//! decoding each branch again through Cranelift (a block call's block and arguments are
//! packed in the value-list pool, and reading them costs a call each).

use cranelift_codegen::ir::{Block, Value};

/// One destination of a branch: the block it goes to and the values it passes.
#[derive(Clone, Copy, Debug)]
pub struct Destination {
    /// The block it goes to.
    pub block: Block,
    /// Its arguments are the scan's operands `args_start..args_end` (aliases resolved).
    args_start: u32,
    args_end: u32,
    /// Whether every argument is a value: a `try_call`'s destinations also pass the
    /// call's results and exception payloads, which the backend does not lower.
    values_only: bool,
}

impl Destination {
    /// Whether it passes nothing (no edge copy needed).
    #[inline]
    pub fn passes_nothing(&self) -> bool {
        self.args_start == self.args_end && self.values_only
    }

    /// Whether every argument is a value (see the field).
    #[inline]
    pub fn values_only(&self) -> bool {
        self.values_only
    }

    /// The range of its arguments among the scan's operands.
    #[inline]
    pub(super) fn args(&self) -> std::ops::Range<usize> {
        self.args_start as usize..self.args_end as usize
    }
}

/// The destinations of every block's terminator and the parameters of every block, by
/// block ordinal (position in the layout).
#[derive(Default)]
pub struct Branches {
    destinations: Vec<Destination>,
    /// The destinations of the terminator of block `b` are
    /// `destinations[dest_start[b]..dest_end[b]]`.
    dest_start: Vec<u32>,
    dest_end: Vec<u32>,
    params: Vec<Value>,
    /// The parameters of block `b` are `params[param_start[b]..param_start[b + 1]]`.
    param_start: Vec<u32>,
}

impl Branches {
    /// Empty, for a function of `blocks` blocks.
    pub fn clear(&mut self, blocks: usize) {
        // Most terminators have one or two destinations.
        crate::reuse::empty_with_room(&mut self.destinations, 2 * blocks);
        self.dest_start.clear();
        self.dest_end.clear();
        self.params.clear();
        self.param_start.clear();
        self.dest_start.reserve(blocks);
        self.dest_end.reserve(blocks);
        self.param_start.reserve(blocks + 1);
    }

    /// The next block in layout order, with parameters `params`.
    #[inline]
    pub fn begin_block(&mut self, params: &[Value]) {
        self.param_start.push(self.params.len() as u32);
        self.params.extend_from_slice(params);
        let at = self.destinations.len() as u32;
        self.dest_start.push(at);
        self.dest_end.push(at);
    }

    /// A branch of the current block: its destinations follow. (Only the last branch of a
    /// block, its terminator, keeps them.)
    #[inline]
    pub fn begin_branch(&mut self) {
        let at = self.destinations.len() as u32;
        if let (Some(start), Some(end)) = (self.dest_start.last_mut(), self.dest_end.last_mut()) {
            (*start, *end) = (at, at);
        }
    }

    /// A destination of the current branch: `block`, with the arguments that are the
    /// operands `args_start..args_end`.
    #[inline]
    pub fn push(&mut self, block: Block, (args_start, args_end): (u32, u32), values_only: bool) {
        self.destinations.push(Destination {
            block,
            args_start,
            args_end,
            values_only,
        });
        if let Some(end) = self.dest_end.last_mut() {
            *end = self.destinations.len() as u32;
        }
    }

    /// The destinations of the current branch, pushed so far.
    #[inline]
    pub fn current(&self) -> &[Destination] {
        let start = self.dest_start.last().map_or(0, |&start| start as usize);
        &self.destinations[start..]
    }

    /// The end of the walk.
    pub fn finish(&mut self) {
        self.param_start.push(self.params.len() as u32);
    }

    /// The destinations of the terminator of the block with ordinal `b` (in the order
    /// Cranelift's `branch_destination` gives them; none if it is no branch).
    #[inline]
    pub fn destinations(&self, b: usize) -> &[Destination] {
        match (self.dest_start.get(b), self.dest_end.get(b)) {
            (Some(&start), Some(&end)) => &self.destinations[start as usize..end as usize],
            _ => &[],
        }
    }

    /// The parameters of the block with ordinal `b`.
    #[inline]
    pub fn params(&self, b: usize) -> &[Value] {
        match (self.param_start.get(b), self.param_start.get(b + 1)) {
            (Some(&start), Some(&end)) => &self.params[start as usize..end as usize],
            _ => &[],
        }
    }
}
