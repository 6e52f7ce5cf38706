//! Lowering of one function: the state instruction selection works on (`FuncLower`: value
//! access through the operand stack or locals, the frame, parallel copies) and the
//! structurer's view of it; `driver` runs the passes and the lowering attempts.

use crate::cfg::{self, structure::NodeEmitter, Graph, Node, NodeKind};
use crate::error::{Error, ErrorKind, Result};
use crate::frame::FrameLayout;
use crate::locals::{Locals, EMITTED, OFF_LOCALS};
use crate::module::env::ref_val_type;
use crate::module::env::ModuleEnv;
use crate::scan::{Destination, Scan};
use crate::stackify::{Placement, Placements};
use crate::types::{is_narrow, val_type};
use cranelift_codegen::ir::{self, InstructionData, Opcode, StackSlot, Value};
use cranelift_entity::SecondaryMap;
use cranelift_offheap::analysis::Analysis;
use cranelift_offheap::WasmType;
use sharing::Sharing;
use wasm_encoder::{InstructionSink, ValType};

mod driver;
mod sharing;
pub use driver::{lower_function_in, LocalName, Workspace};

/// The opcodes of the local instructions (`FuncLower::local_op`).
const LOCAL_GET: u8 = 0x20;
const LOCAL_SET: u8 = 0x21;
const LOCAL_TEE: u8 = 0x22;

/// Append local instruction `opcode` of `local` (unsigned LEB128) to `code`: in one
/// append up to three bytes of index (two million locals), since large functions number
/// most of their locals past 127.
#[inline(always)]
fn write_local_op(code: &mut Vec<u8>, opcode: u8, local: u32) {
    let (low, mid, high) = (local as u8 & 0x7f, (local >> 7) as u8 & 0x7f, local >> 14);
    if local < 0x80 {
        code.extend_from_slice(&[opcode, local as u8]);
    } else if local < 0x4000 {
        code.extend_from_slice(&[opcode, low | 0x80, mid]);
    } else if high < 0x80 {
        code.extend_from_slice(&[opcode, low | 0x80, mid | 0x80, high as u8]);
    } else {
        code.push(opcode);
        crate::module::write_u32(code, local);
    }
}

/// [`write_local_op`] of a local with an index of one or two LEB128 bytes (below
/// 16,384): the inline case of reading and setting values.
#[inline(always)]
fn write_short_local_op(code: &mut Vec<u8>, opcode: u8, local: u32) {
    debug_assert!(local < 0x4000);
    if local < 0x80 {
        code.extend_from_slice(&[opcode, local as u8]);
    } else {
        code.extend_from_slice(&[opcode, local as u8 | 0x80, (local >> 7) as u8]);
    }
}

/// The frame of a function with explicit stack slots.
pub struct Frame {
    /// Slot offsets and frame size.
    pub layout: FrameLayout,
    /// Local holding the incoming stack pointer, restored on exit.
    pub saved_sp: u32,
    /// Local holding the frame base address.
    pub base: u32,
}

/// The state of lowering one function.
pub struct FuncLower<'a> {
    /// The function.
    pub func: &'a ir::Function,
    /// Module index spaces.
    pub env: &'a mut ModuleEnv,
    /// The lowering graph.
    pub graph: &'a Graph,
    /// Value placement.
    pub locals: Locals,
    /// The code being emitted.
    pub code: Vec<u8>,
    /// The shadow-stack frame, if the function has addressable stack slots.
    pub frame: Option<Frame>,
    /// Off-heap places and reference values of the function.
    pub analysis: &'a Analysis,
    /// The local of each value slot that is used (`u32::MAX` until first use).
    slot_locals: SecondaryMap<StackSlot, u32>,
    label_local: Option<u32>,
    /// Where each value lives (see `stackify`). A tree emitted at its use is marked in
    /// its locals word ([`Locals::mark_emitted`]).
    placement: Placements<'a>,
    /// Tree values whose lowering did not fit the tree discipline (read twice, or set
    /// more than once): the function is lowered again with them in locals.
    misplaced: Vec<Value>,
    /// The last `local.set`, for the `local.tee` peephole: its local, and where it
    /// starts and ends in `code` (`last_set_end` is `usize::MAX` when there is none).
    last_set_local: u32,
    last_set_start: usize,
    last_set_end: usize,
    /// The function's instructions and operands as flat arrays, aliases resolved.
    pub scan: &'a Scan,
    /// The wasm function index of each callee resolved so far (`u32::MAX`: not yet).
    pub callees: SecondaryMap<ir::FuncRef, u32>,
    /// The wasm type index of each signature used by a call so far (`u32::MAX`: not yet).
    pub sig_types: SecondaryMap<ir::SigRef, u32>,
    /// A buffer for `copies`, kept so that copying allocates nothing.
    pending_copies: Vec<(Value, Value)>,
    /// Locals shared as values die (opt level none over the engines' limit; off
    /// otherwise).
    sharing: Sharing,
}

impl<'a> FuncLower<'a> {
    /// An instruction sink on the code buffer.
    pub fn sink(&mut self) -> InstructionSink<'_> {
        InstructionSink::new(&mut self.code)
    }

    /// `value` with aliases resolved.
    #[inline]
    pub fn resolve(&self, value: Value) -> Value {
        self.scan.resolve(value)
    }

    /// The wasm type of `value`: a reference type for references, else by its CLIF type.
    pub fn val_type_of(&self, value: Value) -> ValType {
        match self.analysis.ref_type(self.func, value) {
            Some(r) => ref_val_type(r),
            None => val_type(self.ty(value)),
        }
    }

    /// The local of `value` (alias-resolved).
    pub fn local_of(&mut self, value: Value) -> u32 {
        let value = self.resolve(value);
        self.local_of_resolved(value)
    }

    /// [`FuncLower::local_of`] of a value that is no alias.
    #[inline]
    fn local_of_resolved(&mut self, value: Value) -> u32 {
        // Most values have their local already (from coloring, or from their first use):
        // the type is needed only for a new one.
        match self.locals.get(value) {
            Some(local) => local,
            None => self.new_local(value),
        }
    }

    /// The local `value` gets at its first use.
    #[inline(never)]
    fn new_local(&mut self, value: Value) -> u32 {
        // The common case (no references, no sharing) straight from the scan's facts:
        // the value's numeric pool and whether it is a result.
        if !self.sharing.is_on() && !self.analysis.has_refs() {
            if let Some(f) = self.scan.all_facts().get(value.as_u32() as usize) {
                if f.ty != ir::types::INVALID {
                    let run = if f.def != u32::MAX {
                        crate::locals::Run::Results
                    } else {
                        crate::locals::Run::Params
                    };
                    return self
                        .locals
                        .of_numeric(value, crate::scan::numeric_pool(f.ty), run);
                }
            }
        }
        let ty = self.val_type_of(value);
        if self.sharing.is_on() {
            // A value never read keeps a local of its own: a block parameter is written
            // on every edge to its block, and with no read to count, nothing would hold
            // its local between those writes.
            let reads = self.scan.facts(value).count;
            if reads > 0
                && matches!(
                    ty,
                    ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64
                )
            {
                let local = self.locals.scratch(ty);
                self.locals.assign(value, local);
                self.sharing.took(value, reads);
                return local;
            }
        }
        // Results are defined by an instruction; block parameters are not.
        let run = if self.scan.def_position(value).is_some() {
            crate::locals::Run::Results
        } else {
            crate::locals::Run::Params
        };
        self.locals.of(value, ty, run)
    }

    /// The local of value slot `slot` of type `ty`, created on first use.
    pub fn slot_local(&mut self, slot: StackSlot, ty: WasmType) -> u32 {
        if self.slot_locals[slot] == u32::MAX {
            if ty.ref_type().is_some() {
                self.env.uses_reference_types = true;
            }
            self.slot_locals[slot] = self.locals.fresh(crate::module::env::wasm_val_type(ty));
        }
        self.slot_locals[slot]
    }

    /// Push `value`: from its local, or by emitting its definition here when it is a tree
    /// or a rematerialized constant.
    #[inline]
    pub fn get(&mut self, value: Value) {
        self.get_resolved(self.resolve(value));
    }

    /// [`FuncLower::get`] of a value that is no alias: an operand as the scan recorded it
    /// (resolved already), a result or a block parameter. Skips the alias lookup, a load
    /// that the local's own waits on.
    ///
    /// Inline: most reads are of a value in a local with an index of one or two bytes,
    /// not just set, which takes a load, two compares and a short write; the rest is out
    /// of line (`get_other`).
    #[inline(always)]
    pub fn get_resolved(&mut self, value: Value) {
        debug_assert_eq!(self.resolve(value), value, "{value} is an alias");
        // One load tells most values (in a local already numbered) from the others; the
        // placement is read only for a value not in a local.
        let local = self.locals.word(value);
        if local < 0x4000 && self.last_set_end != self.code.len() {
            write_short_local_op(&mut self.code, LOCAL_GET, local);
            return;
        }
        // A tree or a constant, emitted here.
        if local == OFF_LOCALS && self.emit_at_use(value) {
            return;
        }
        self.get_other(value, local);
    }

    /// [`FuncLower::get_resolved`] of a value whose locals word is `local`, other than a
    /// short local not just set and a value the caller emitted at its use.
    #[inline(never)]
    fn get_other(&mut self, value: Value, mut local: u32) {
        if local >= EMITTED {
            // A value off locals here did not fit its placement (`emit_at_use` noted it).
            if local == EMITTED {
                // A tree read a second time.
                self.misplace(value);
            }
            local = self.new_local(value);
        }
        // `local.set x; local.get x` is `local.tee x`.
        if self.last_set_local == local && self.last_set_end == self.code.len() {
            self.code.truncate(self.last_set_start);
            self.last_set_end = usize::MAX;
            self.local_op(LOCAL_TEE, local);
            return;
        }
        self.local_op(LOCAL_GET, local);
    }

    /// Push `value`, which is not placed in a local, by emitting its definition here;
    /// `false` if that does not fit its placement (it is then read from a local, and the
    /// function lowered again with it in one). Out of line, so that `get` keeps its test
    /// a plain compare.
    #[inline(never)]
    fn emit_at_use(&mut self, value: Value) -> bool {
        let placement = self.placement[value];
        match placement {
            Placement::Remat => {
                // A small `iconst`, at every read: straight from its row.
                if let Some(k) = self.scan.def_position(value) {
                    let (ty, imm) = self.scan.remat_constant(k);
                    self.int_const(ty == ir::types::I64, imm & crate::types::width_mask(ty));
                    return true;
                }
            }
            Placement::Tree => {
                self.locals.mark_emitted(value);
                if let Some(k) = self.scan.def_position(value) {
                    if self.lower_row(k).is_ok() {
                        return true;
                    }
                }
            }
            Placement::Local => return false,
            Placement::Dead => {}
        }
        self.misplace(value);
        false
    }

    /// Pop into `value` (a tree or rematerialized value stays on the stack). `value` is a
    /// result or a block parameter, which Cranelift never makes an alias: no resolving.
    /// Inline for a local with a short index, as in `get_resolved`.
    #[inline(always)]
    pub fn set(&mut self, value: Value) {
        let local = self.locals.word(value);
        if local < 0x4000 {
            let start = self.code.len();
            write_short_local_op(&mut self.code, LOCAL_SET, local);
            self.last_set_local = local;
            self.last_set_start = start;
            self.last_set_end = self.code.len();
            return;
        }
        // A tree set while it is emitted at its use stays on the stack.
        if local == EMITTED {
            return;
        }
        self.set_other(value, local);
    }

    /// [`FuncLower::set`] of a value whose locals word is `local`, other than a short
    /// local and a tree being emitted.
    #[inline(never)]
    fn set_other(&mut self, value: Value, mut local: u32) {
        if local >= EMITTED {
            // A tree set while it is emitted at its use stays on the stack.
            if local == EMITTED || (local == OFF_LOCALS && self.set_off_locals(value)) {
                return;
            }
            local = self.new_local(value);
        }
        let start = self.code.len();
        self.local_op(LOCAL_SET, local);
        self.last_set_local = local;
        self.last_set_start = start;
        self.last_set_end = self.code.len();
    }

    /// [`FuncLower::set`] of a value not placed in a local and not emitted as a tree
    /// yet: a rematerialized value stays on the stack (`true`); a tree set outside its
    /// emission at its use is set twice by the lowering; any other (dead) is set in a
    /// local after all.
    #[inline]
    fn set_off_locals(&mut self, value: Value) -> bool {
        match self.placement[value] {
            // A constant's row is lowered only where the constant is read (`emit_at_use`).
            Placement::Remat => true,
            Placement::Tree => {
                self.misplace(value);
                // Any later read of a tree is a second read.
                self.locals.mark_emitted(value);
                true
            }
            Placement::Local | Placement::Dead => false,
        }
    }

    /// Pop into `value` (a result or block parameter, as for [`FuncLower::set`]), leaving
    /// it on the stack.
    pub fn tee(&mut self, value: Value) {
        if self.placement[value] != Placement::Local {
            self.misplace(value);
        }
        let local = self.local_of_resolved(value);
        self.local_op(LOCAL_TEE, local);
    }

    /// Emit `local.get`, `local.set` or `local.tee` of `local` straight into the code:
    /// these are most of a function's instructions, and the encoder's general LEB128
    /// writer copies through a buffer for each.
    #[inline]
    fn local_op(&mut self, opcode: u8, local: u32) {
        write_local_op(&mut self.code, opcode, local);
    }

    /// The constant `value` is defined as, if it is an `iconst`, sign-extended from its
    /// type's width.
    pub fn const_of(&self, value: Value) -> Option<i64> {
        let value = self.resolve(value);
        let k = self.scan.def_position(value)?;
        if self.scan.opcode_and_type(k).0 != ir::Opcode::Iconst {
            return None;
        }
        let bits = self.ty(value).bits();
        match self.func.dfg.insts[self.scan.inst(k)] {
            InstructionData::UnaryImm { imm, .. } if bits <= 64 => {
                let shift = 64 - bits;
                Some((imm.bits() << shift) >> shift)
            }
            _ => None,
        }
    }

    /// If `value` is a tree not yet emitted, claim it: the caller emits its instruction
    /// in its own way (folding it into a wider pattern) and returns the instruction.
    pub fn claim_tree(&mut self, value: Value) -> Option<ir::Inst> {
        let value = self.resolve(value);
        if self.placement[value] != Placement::Tree || self.locals.word(value) == EMITTED {
            return None;
        }
        let k = self.scan.def_position(value)?;
        self.locals.mark_emitted(value);
        Some(self.scan.inst(k))
    }

    /// Whether `value` has a local shared with `other` (so copying one to the other is a
    /// no-op).
    fn same_local(&self, value: Value, other: Value) -> bool {
        if !self.locals.shared() {
            return false;
        }
        let (a, b) = (self.resolve(value), self.resolve(other));
        self.placement[a] == Placement::Local
            && self.placement[b] == Placement::Local
            && self.locals.get(a).is_some()
            && self.locals.get(a) == self.locals.get(b)
    }

    /// Note that `value` cannot be kept off locals; the function will be lowered again.
    #[cold]
    #[inline(never)]
    fn misplace(&mut self, value: Value) {
        if !self.misplaced.contains(&value) {
            self.misplaced.push(value);
        }
    }

    /// The type of `value`.
    pub fn ty(&self, value: Value) -> ir::Type {
        self.scan.value_type(&self.func.dfg, value)
    }

    /// Error for `inst`.
    pub fn error(&self, inst: ir::Inst, kind: ErrorKind, message: impl Into<String>) -> Error {
        Error::at_inst(kind, self.func, inst, message)
    }

    /// Mask the i32 on top of the stack to the width of narrow type `ty` (no-op otherwise).
    pub fn mask(&mut self, ty: ir::Type) {
        if is_narrow(ty) {
            let m = crate::types::width_mask(ty) as i32;
            self.sink().i32_const(m).i32_and();
        }
    }

    /// Sign-extend the i32 on top of the stack from narrow type `ty` (no-op otherwise).
    pub fn sext(&mut self, ty: ir::Type) {
        match ty.bits() {
            8 => {
                self.sink().i32_extend8_s();
            }
            16 => {
                self.sink().i32_extend16_s();
            }
            _ => {}
        }
    }

    /// Push `value` sign-extended to its wasm type.
    pub fn get_signed(&mut self, value: Value) {
        self.get(value);
        self.sext(self.ty(value));
    }

    fn prologue(&mut self) -> Result<()> {
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
        let mut pending = std::mem::take(&mut self.pending_copies);
        pending.clear();
        for (&arg, &param) in args.iter().zip(params) {
            if arg != param && !self.same_local(arg, param) {
                pending.push((arg, param));
            }
        }
        // Push every source first, then pop into the destinations in reverse: the operand
        // stack makes the copy parallel, so swaps and cycles need no temporaries.
        for &(arg, _) in &pending {
            self.get_resolved(arg);
        }
        for &(_, param) in pending.iter().rev() {
            self.set(param);
        }
        self.pending_copies = pending;
        if self.sharing.is_on() {
            for &arg in args {
                self.lowered_read(arg);
            }
        }
        Ok(())
    }

    /// Destination `dest` of the terminator of the block with ordinal `from`.
    fn destination(&self, from: u32, dest: u32) -> Option<&'a Destination> {
        let scan: &'a Scan = self.scan;
        scan.destinations(from as usize).get(dest as usize)
    }

    fn block_body(&mut self, block: ir::Block, node: Node) -> Result<()> {
        let scan = self.scan;
        let b = scan.ordinal[block] as usize;
        for k in scan.block_range(b) {
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
            if scan.emitted_at_use(k) {
                continue;
            }
            self.lower_row(k)?;
        }
        Ok(())
    }

    /// Lower the instruction at position `k` (no branch), where it stands or where its
    /// result is used, then give back the locals of the values sharing them whose last
    /// read it was.
    #[inline]
    fn lower_row(&mut self, k: usize) -> Result<()> {
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
    fn lowered_reads(&mut self, k: usize) {
        for &v in self.scan.operands(k) {
            self.lowered_read(v);
        }
    }

    /// One read of `value` (alias-resolved) was lowered: when sharing, its local is given
    /// back if that was its last read (see `sharing`).
    fn lowered_read(&mut self, value: Value) {
        if !self.sharing.read(value) {
            return;
        }
        if let Some(local) = self.locals.get(value) {
            let ty = self.val_type_of(value);
            if self.sharing.give_back(value, ty, local) {
                self.locals.release(ty, local);
            }
        }
    }

    /// Push a CLIF integer as an i32 truth value (non-zero is true).
    pub fn get_condition(&mut self, value: Value) {
        // `icmp ne x, 0` as a condition is `x` itself.
        let value = self.resolve(value);
        let compare = self
            .scan
            .def_position(value)
            .filter(|&k| self.scan.opcode_and_type(k).0 == ir::Opcode::Icmp);
        if let Some(k) = compare {
            if let InstructionData::IntCompare {
                cond: ir::condcodes::IntCC::NotEqual,
                args,
                ..
            } = self.func.dfg.insts[self.scan.inst(k)]
            {
                if self.const_of(args[1]) == Some(0) && self.claim_tree(value).is_some() {
                    self.get_condition(args[0]);
                    // The comparison is lowered: its reads count as lowered too.
                    if self.sharing.is_on() {
                        self.lowered_reads(k);
                    }
                    return;
                }
            }
        }
        self.get_resolved(value);
        if self.ty(value) == ir::types::I64 {
            self.sink().i64_eqz().i32_eqz();
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

#[cfg(test)]
mod tests {
    use super::{LOCAL_GET, LOCAL_SET, LOCAL_TEE};
    use wasm_encoder::InstructionSink;

    /// `FuncLower::local_op` writes what wasm-encoder writes, at every LEB128 length.
    #[test]
    fn local_ops_encode_as_wasm_encoder_does() {
        for local in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            2_097_151,
            2_097_152,
            u32::MAX,
        ] {
            for opcode in [LOCAL_GET, LOCAL_SET, LOCAL_TEE] {
                let mut ours = Vec::new();
                super::write_local_op(&mut ours, opcode, local);
                let mut theirs = Vec::new();
                let mut sink = InstructionSink::new(&mut theirs);
                match opcode {
                    LOCAL_GET => sink.local_get(local),
                    LOCAL_SET => sink.local_set(local),
                    _ => sink.local_tee(local),
                };
                assert_eq!(ours, theirs, "opcode {opcode:#x}, local {local}");
            }
        }
    }
}
