//! Block bodies and edges: the prologue and epilogue, each block's instructions in
//! order (trees left to their uses), the parallel copies into block parameters, and the
//! structurer's view of the function (`NodeEmitter`).

use super::{Frame, FuncLower};
use crate::cfg::{self, structure::NodeEmitter, Node, NodeKind};
use crate::error::{ErrorKind, Result};
use crate::frame::FrameLayout;
use crate::scan::{Destination, Scan};
use crate::types::{is_narrow, val_type};
use cranelift_codegen::ir::{self, Opcode, Value};
use wasm_encoder::ValType;

impl<'a> FuncLower<'a> {
    pub(super) fn prologue(&mut self) -> Result<()> {
        let func = self.func;
        if let Some(entry) = func.layout.entry_block() {
            for &param in func.dfg.block_params(entry) {
                let ty = func.dfg.value_type(param);
                if is_narrow(ty) {
                    // Callers outside the module may pass any upper bits.
                    self.get(param);
                    self.mask(ty);
                    self.set(param);
                }
            }
        }
        if let Some(layout) = FrameLayout::compute(func) {
            let ptr = val_type(self.env.target.pointer_type());
            let sp = self.env.stack_pointer();
            let saved_sp = self.locals.fresh(ptr);
            let base = self.locals.fresh(ptr);
            let (size, align) = (layout.size as i64, layout.align as i64);
            let mut s = self.sink();
            s.global_get(sp).local_tee(saved_sp);
            if ptr == ValType::I64 {
                s.i64_const(size).i64_sub().i64_const(-align).i64_and();
            } else {
                s.i32_const(size as i32)
                    .i32_sub()
                    .i32_const(-align as i32)
                    .i32_and();
            }
            s.local_tee(base).global_set(sp);
            self.frame = Some(Frame {
                layout,
                saved_sp,
                base,
            });
        }
        Ok(())
    }

    /// Restore the caller's stack pointer (before a return or tail call).
    pub fn epilogue(&mut self) {
        if let Some(frame) = &self.frame {
            let saved = frame.saved_sp;
            let sp = self.env.stack_pointer();
            self.sink().local_get(saved).global_set(sp);
        }
    }

    /// The parallel copy of the arguments of `to`, a destination of `branch`, into the
    /// parameters of its block.
    pub fn copies(&mut self, branch: ir::Inst, to: &Destination) -> Result<()> {
        let scan = self.scan;
        if !to.values_only() {
            return Err(self
                .error(
                    branch,
                    ErrorKind::Unsupported(crate::error::Feature::Exceptions),
                    "try_call block arguments are not supported",
                )
                .with_hint("lower exceptions before using the wasm backend"));
        }
        let (args, params) = (scan.destination_args(to), scan.destination_params(to));
        // Push every source first, then pop into the destinations in reverse: the operand
        // stack makes the copy parallel, so swaps and cycles need no temporaries.
        if !self.locals.shared() {
            // Without coloring no two values share a local: the copies are the pairs that
            // differ, told apart again on the way back rather than listed.
            for (&arg, &param) in args.iter().zip(params) {
                if arg != param {
                    self.get_resolved(arg);
                }
            }
            for (&arg, &param) in args.iter().zip(params).rev() {
                if arg != param {
                    self.set(param);
                }
            }
        } else {
            self.shared_copies(args, params);
        }
        if self.sharing.is_on() {
            for &arg in args {
                self.lowered_read(arg);
            }
        }
        Ok(())
    }

    /// The parallel copy of `args` into `params` where coloring lets values share a
    /// local: the pairs already in one local are left out before any is pushed (pushing
    /// can number a local).
    fn shared_copies(&mut self, args: &[Value], params: &[Value]) {
        let mut pending = std::mem::take(&mut self.pending_copies);
        pending.clear();
        for (&arg, &param) in args.iter().zip(params) {
            if arg != param && !self.same_local(arg, param) {
                pending.push((arg, param));
            }
        }
        for &(arg, _) in &pending {
            self.get_resolved(arg);
        }
        for &(_, param) in pending.iter().rev() {
            self.set(param);
        }
        self.pending_copies = pending;
    }

    /// Destination `dest` of the terminator of the block with ordinal `from`.
    pub(super) fn destination(&self, from: u32, dest: u32) -> Option<&'a Destination> {
        let scan: &'a Scan = self.scan;
        scan.destinations(from as usize).get(dest as usize)
    }

    pub(super) fn block_body(&mut self, block: ir::Block, node: Node) -> Result<()> {
        let scan = self.scan;
        let b = scan.ordinal[block] as usize;
        for k in scan.block_range(b) {
            // One read of the row's flags tells most rows, lowered where they stand, from
            // the branch and the trees.
            if scan.lowered_in_place(k) {
                self.lower_row(k)?;
                continue;
            }
            if scan.is_branch(k) {
                // Only plain jumps (and brifs collapsed into jumps) copy in the block itself.
                if let cfg::Exit::Jump = self.graph.nodes[node].exit {
                    let copies = matches!(scan.opcode_and_type(k).0, Opcode::Jump | Opcode::Brif);
                    if let (true, Some(to)) = (copies, scan.destinations(b).first()) {
                        self.copies(scan.inst(k), to)?;
                    }
                }
                continue;
            }
            // Otherwise emitted where its result is used (or, unused, nowhere).
        }
        Ok(())
    }

    /// Lower the instruction at position `k` (no branch), where it stands or where its
    /// result is used, then give back the locals of the values sharing them whose last
    /// read it was.
    #[inline]
    pub(super) fn lower_row(&mut self, k: usize) -> Result<()> {
        // The commonest instructions, and loads and stores, go straight to their own
        // functions: the general selector's frame is large, and trees enter it once per
        // level.
        let (op, ty, family) = self.scan.opcode_type_family(k);
        let done = match family {
            crate::isel::Family::Common => self.common_inst(k),
            crate::isel::Family::Mem => self.mem_inst(k, op, ty)?,
            _ => false,
        };
        if !done {
            self.inst_at(k)?;
        }
        if self.sharing.is_on() {
            self.lowered_reads(k);
        }
        Ok(())
    }

    /// See [`FuncLower::lower_row`].
    #[inline(never)]
    pub(super) fn lowered_reads(&mut self, k: usize) {
        for &v in self.scan.operands(k) {
            self.lowered_read(v);
        }
    }

    /// One read of `value` (alias-resolved) was lowered: when sharing, its local is given
    /// back if that was its last read (see `sharing`). Inline: most reads are not a
    /// value's last.
    #[inline]
    pub(super) fn lowered_read(&mut self, value: Value) {
        if self.sharing.read(value) {
            self.last_read(value);
        }
    }

    /// The last read of `value` was lowered: its local is given back.
    #[inline(never)]
    fn last_read(&mut self, value: Value) {
        if let Some(local) = self.locals.get(value) {
            let ty = self.val_type_of(value);
            if self.sharing.give_back(value, ty, local) {
                self.locals.release(ty, local);
            }
        }
    }
}

impl NodeEmitter for FuncLower<'_> {
    fn body(&mut self, node: Node) -> Result<()> {
        match self.graph.nodes[node].kind {
            NodeKind::Block(block) => self.block_body(block, node),
            NodeKind::EdgeCopy { branch, dest, from } => match self.destination(from, dest) {
                Some(to) => self.copies(branch, to),
                // The graph made the node from the scan's destinations.
                None => Err(self.error(
                    branch,
                    ErrorKind::Internal,
                    format!("edge copy of destination {dest}, which the scan did not record"),
                )),
            },
            NodeKind::Dispatch => Ok(()),
        }
    }

    fn selector(&mut self, node: Node) -> Result<()> {
        match self.graph.nodes[node].kind {
            NodeKind::Block(block) => {
                let scan = self.scan;
                let Some(k) = scan.block_range(scan.ordinal[block] as usize).last() else {
                    return Ok(());
                };
                let (op, args) = (scan.opcode_and_type(k).0, scan.args(k));
                let arg = match (op, args) {
                    (Opcode::Brif, &[arg]) => {
                        self.get_condition(arg);
                        arg
                    }
                    // The index of a br_table is an i32; out-of-range goes to the default.
                    (Opcode::BrTable, &[arg]) => {
                        self.get(arg);
                        arg
                    }
                    _ => return Ok(()),
                };
                if self.sharing.is_on() {
                    self.lowered_read(arg);
                }
                Ok(())
            }
            NodeKind::Dispatch => {
                let local = self.label_local();
                self.sink().local_get(local);
                Ok(())
            }
            NodeKind::EdgeCopy { .. } => Ok(()),
        }
    }

    fn label_local(&mut self) -> u32 {
        match self.label_local {
            Some(local) => local,
            None => {
                let local = self.locals.fresh(ValType::I32);
                self.label_local = Some(local);
                local
            }
        }
    }

    fn code(&mut self) -> &mut Vec<u8> {
        &mut self.code
    }

    fn loop_entered(&mut self, header: Node, back_edges: u32) {
        self.sharing.loop_entered(header, back_edges);
    }

    fn branched_back(&mut self, header: Node) {
        let locals = &mut self.locals;
        self.sharing
            .branched_back(header, |ty, local| locals.release(ty, local));
    }

    fn loop_left(&mut self) {
        let locals = &mut self.locals;
        self.sharing
            .loop_left(|ty, local| locals.release(ty, local));
    }

    fn is_empty(&self, node: Node) -> bool {
        let NodeKind::EdgeCopy { dest, from, .. } = self.graph.nodes[node].kind else {
            return false;
        };
        let Some(to) = self.destination(from, dest) else {
            return false;
        };
        let scan = self.scan;
        to.values_only()
            && scan
                .destination_args(to)
                .iter()
                .zip(scan.destination_params(to))
                .all(|(&a, &param)| a == param || self.same_local(a, param))
    }
}
