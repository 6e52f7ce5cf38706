//! Locals shared as values die, in the order the code is emitted, without liveness: opt
//! level none's way under the engines' limit of 50,000 locals.
//!
//! A value takes a free local of its type when the lowering first writes it, with a count
//! of its reads (every read the scan counted), and gives the local back once the last of
//! those reads is lowered and no branch can take control back to a read.
//!
//! That is sound because the emitted code is structured: control moves backward only by a
//! branch to an enclosing `loop`, from inside it. A value is live after its last read in
//! emission order only if a branch still to come goes back to a loop that was entered
//! after the value took its local and is open at that read (a later iteration reads it
//! again; a loop entered before the value took its local passes its definition first).
//! So the local waits for every such loop to have emitted all its branches back, which
//! `Order::back_edges` counts in advance, or to close. (A block parameter is first written
//! by the copy on an edge that enters its block from before it; the copies on back edges
//! come inside the loop its block heads, which keeps the local until they are done.)
//!
//! A read the lowering never emits keeps its local taken: that costs a local, never a
//! wrong one. (A `brif` whose two edges are the same is lowered as a jump and never reads
//! its condition; `br_table` entries that share one edge's copies count their arguments
//! once each; an edge whose copies all vanish, each argument being its parameter, is
//! never emitted; nor is an unreachable block.) A branch back that is never emitted only
//! keeps its loop's waiting locals until the loop closes.

use crate::cfg::Node;
use crate::reuse::refill;
use cranelift_codegen::ir::Value;
use cranelift_entity::EntityRef;
use wasm_encoder::ValType;

/// The sharing state of one lowering (off unless [`Sharing::reset`] turns it on).
#[derive(Default)]
pub struct Sharing {
    /// By value index: the reads of a sharing value not lowered yet (0: not counted, or
    /// all lowered).
    reads_left: Vec<u32>,
    /// By value index: how many loops had been entered when the value took its local.
    entered_before: Vec<u32>,
    /// How many loops the emission has entered so far.
    entered: u32,
    /// The open loops, outermost first (entries past `depth` keep their storage).
    open: Vec<OpenLoop>,
    depth: usize,
    /// The depths of the open loops with branches back still to come, in increasing
    /// order: the innermost busy loop below a depth is found by a search here rather
    /// than by walking every open loop (a value dies inside a deep nest most of the time).
    busy: Vec<usize>,
}

/// A `loop` being emitted.
struct OpenLoop {
    /// How many loops had been entered before this one.
    number: u32,
    header: Node,
    /// Branches back to it not emitted yet.
    back_edges_left: u32,
    /// The locals waiting for this loop to be done with its branches back.
    waiting: Vec<Waiting>,
}

/// A local whose value's reads are all lowered, waiting for loops to be done.
#[derive(Clone, Copy)]
struct Waiting {
    ty: ValType,
    local: u32,
    /// The outermost loop (its depth in `open`) the value's last read was in that was
    /// entered after the value took its local: the loops from there inward, as they were
    /// at that read, must all be done.
    outermost: usize,
}

impl Sharing {
    /// Start a lowering of a function with `num_values` values; sharing is on if `on`.
    pub fn reset(&mut self, num_values: usize, on: bool) {
        self.entered = 0;
        self.depth = 0;
        self.busy.clear();
        // A lowering that stopped early (an error) may have left loops open.
        for open in &mut self.open {
            open.waiting.clear();
        }
        if on {
            refill(&mut self.reads_left, num_values, 0);
            refill(&mut self.entered_before, num_values, 0);
        } else {
            self.reads_left.clear();
            self.entered_before.clear();
        }
    }

    /// Whether values share locals.
    #[inline]
    pub fn is_on(&self) -> bool {
        !self.reads_left.is_empty()
    }

    /// `value` took a local at its first write, and will be read `reads` times.
    pub fn took(&mut self, value: Value, reads: u32) {
        self.reads_left[value.index()] = reads;
        self.entered_before[value.index()] = self.entered;
    }

    /// One read of `value` was lowered: whether it was the last (the value's local is to
    /// be given back, see [`Sharing::give_back`]).
    #[inline]
    pub fn read(&mut self, value: Value) -> bool {
        match self.reads_left.get_mut(value.index()) {
            Some(left) if *left > 0 => {
                *left -= 1;
                *left == 0
            }
            _ => false,
        }
    }

    /// Give back the local `local` (of type `ty`) of `value`, whose reads are all lowered:
    /// `true` if it is free now, else it waits for the loops that may still branch back
    /// to a read (see the module doc).
    pub fn give_back(&mut self, value: Value, ty: ValType, local: u32) -> bool {
        let before = self.entered_before[value.index()];
        // Usually every open loop was entered before the value took its local (a value
        // dies in the loop it is defined in): none can branch back to one of its reads.
        if self.depth == 0 || self.open[self.depth - 1].number < before {
            return true;
        }
        let open = &self.open[..self.depth];
        let outermost = open.partition_point(|l| l.number < before);
        match self.busy_loop(self.depth, outermost) {
            Some(d) => {
                self.open[d].waiting.push(Waiting {
                    ty,
                    local,
                    outermost,
                });
                false
            }
            None => true,
        }
    }

    /// The innermost loop below depth `below` and at or past depth `outermost` that still
    /// has branches back to come.
    fn busy_loop(&self, below: usize, outermost: usize) -> Option<usize> {
        let found = match self.busy.last() {
            // The usual question: below every open loop.
            Some(&d) if d < below => Some(d),
            _ => {
                let at = self.busy.partition_point(|&d| d < below);
                at.checked_sub(1).map(|i| self.busy[i])
            }
        };
        debug_assert_eq!(
            found.filter(|&d| d >= outermost),
            (outermost..below)
                .rev()
                .find(|&d| self.open[d].back_edges_left > 0)
        );
        found.filter(|&d| d >= outermost)
    }

    /// The loop of `header` was entered; `back_edges` branches back to it will follow.
    pub fn loop_entered(&mut self, header: Node, back_edges: u32) {
        if !self.is_on() {
            return;
        }
        let entered = OpenLoop {
            number: self.entered,
            header,
            back_edges_left: back_edges,
            waiting: Vec::new(),
        };
        self.entered += 1;
        if back_edges > 0 {
            self.busy.push(self.depth);
        }
        if self.depth == self.open.len() {
            self.open.push(entered);
        } else {
            let waiting = std::mem::take(&mut self.open[self.depth].waiting);
            self.open[self.depth] = OpenLoop { waiting, ..entered };
        }
        self.depth += 1;
    }

    /// A branch back to the loop of `header` was emitted; `free` takes the locals that
    /// no longer wait.
    pub fn branched_back(&mut self, header: Node, free: impl FnMut(ValType, u32)) {
        if !self.is_on() {
            return;
        }
        let Some(d) = (0..self.depth)
            .rev()
            .find(|&d| self.open[d].header == header)
        else {
            debug_assert!(false, "a branch back to {header}, which is not open");
            return;
        };
        let left = &mut self.open[d].back_edges_left;
        // More branches back than `Order::back_edges` counted would make sharing unsound.
        debug_assert!(*left > 0, "an uncounted branch back to {header}");
        let was_busy = *left > 0;
        *left = left.saturating_sub(1);
        if *left == 0 {
            if was_busy {
                // Usually the innermost busy loop; the search is for the rest.
                match self.busy.last() {
                    Some(&last) if last == d => {
                        self.busy.pop();
                    }
                    _ => {
                        if let Ok(i) = self.busy.binary_search(&d) {
                            self.busy.remove(i);
                        }
                    }
                }
            }
            self.done(d, free);
        }
    }

    /// The innermost open loop was closed; `free` takes the locals that no longer wait.
    pub fn loop_left(&mut self, free: impl FnMut(ValType, u32)) {
        if !self.is_on() || self.depth == 0 {
            return;
        }
        self.depth -= 1;
        if self.busy.last() == Some(&self.depth) {
            self.busy.pop();
        }
        self.done(self.depth, free);
    }

    /// The loop at depth `d` is done with its branches back (or closed): each local
    /// waiting for it waits for the next busy loop outward, or is free.
    fn done(&mut self, d: usize, mut free: impl FnMut(ValType, u32)) {
        let mut waiting = std::mem::take(&mut self.open[d].waiting);
        for w in waiting.drain(..) {
            match self.busy_loop(d, w.outermost) {
                Some(outer) => self.open[outer].waiting.push(w),
                None => free(w.ty, w.local),
            }
        }
        self.open[d].waiting = waiting;
    }
}
