//! Lowering of one function: builds its lowering graph, structures it, and drives
//! instruction selection block by block into one wasm function body.

use crate::cfg::{self, structure::NodeEmitter, Graph, Node, NodeKind, Order};
use crate::coloring::ColorScratch;
use crate::error::{Error, ErrorKind, Result};
use crate::frame::FrameLayout;
use crate::locals::Locals;
use crate::module::env::ref_val_type;
use crate::module::env::ModuleEnv;
use crate::scan::Scan;
use crate::stackify::{self, Placement};
use crate::support::Gate;
use crate::types::{is_narrow, val_type};
use cranelift_codegen::ir::{self, InstructionData, StackSlot, Value};
use cranelift_entity::SecondaryMap;
use cranelift_offheap::analysis::Analysis;
use cranelift_offheap::WasmType;
use wasm_encoder::{InstructionSink, ValType};

/// The most locals (parameters included) wasm engines accept in one function.
const MAX_LOCALS: usize = 50_000;

/// A lowered function body with what the name section needs.
pub struct LoweredFunction {
    /// The encoded body (locals and code).
    pub body: wasm_encoder::Function,
    /// Local names by local index, in index order.
    pub local_names: Vec<(u32, LocalName)>,
}

/// What a local is named after in the name section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalName {
    /// A CLIF value (`v12`).
    Value(Value),
    /// A CLIF stack slot kept in a local (`ss0`).
    Slot(ir::StackSlot),
}

impl LocalName {
    /// Append the name as CLIF prints it (`v12`, `ss0`) to `out`, without the formatting
    /// machinery: a module has a name for almost every local.
    pub fn write_to(self, out: &mut String) {
        let (prefix, number) = match self {
            LocalName::Value(v) => ("v", v.as_u32()),
            LocalName::Slot(s) => ("ss", s.as_u32()),
        };
        out.push_str(prefix);
        let mut digits = [0u8; 10];
        let mut at = digits.len();
        let mut n = number;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.extend(digits[at..].iter().map(|&d| d as char));
    }
}

impl std::fmt::Display for LocalName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocalName::Value(v) => v.fmt(f),
            LocalName::Slot(s) => s.fmt(f),
        }
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
    /// Where each value lives (see `stackify`).
    placement: SecondaryMap<Value, Placement>,
    /// Tree values already emitted at their use.
    emitted: SecondaryMap<Value, bool>,
    /// Tree values whose lowering did not fit the tree discipline (read twice, or set
    /// more than once): the function is lowered again with them in locals.
    misplaced: Vec<Value>,
    /// The last `local.set`: (local, start, end) in `code`, for the `local.tee` peephole.
    last_set: Option<(u32, usize, usize)>,
    /// The function's instructions and operands as flat arrays, aliases resolved.
    pub scan: &'a Scan,
    /// The wasm function index of each callee resolved so far (`u32::MAX`: not yet).
    pub callees: SecondaryMap<ir::FuncRef, u32>,
    /// A buffer for `copies`, kept so that copying allocates nothing.
    pending_copies: Vec<(Value, Value)>,
}

/// Lower `func` against `env`.
pub fn lower_function(func: &ir::Function, env: &mut ModuleEnv) -> Result<LoweredFunction> {
    let analysis = Analysis::compute(func, &env.decls);
    lower_function_with(func, env, &analysis)
}

/// [`lower_function`] with the off-heap analysis of `func` already computed.
pub fn lower_function_with(
    func: &ir::Function,
    env: &mut ModuleEnv,
    analysis: &Analysis,
) -> Result<LoweredFunction> {
    lower_function_in(func, env, analysis, &mut Workspace::default())
}

/// Storage the lowering passes keep from one function to the next, so that lowering a
/// module of many functions does not allocate it again for each.
#[derive(Default)]
pub struct Workspace {
    scan: Scan,
    graph: Graph,
    order: Order,
    color: ColorScratch,
    placement: stackify::Scratch,
    spare: Spare,
}

/// The storage of the last `FuncLower`, for the next one.
struct Spare {
    locals: Option<Locals>,
    code: Vec<u8>,
    placement: SecondaryMap<Value, Placement>,
    emitted: SecondaryMap<Value, bool>,
    slot_locals: SecondaryMap<StackSlot, u32>,
    callees: SecondaryMap<ir::FuncRef, u32>,
    pending_copies: Vec<(Value, Value)>,
}

impl Default for Spare {
    fn default() -> Self {
        Spare {
            locals: None,
            code: Vec::new(),
            placement: SecondaryMap::new(),
            emitted: SecondaryMap::new(),
            slot_locals: SecondaryMap::with_default(u32::MAX),
            callees: SecondaryMap::with_default(u32::MAX),
            pending_copies: Vec::new(),
        }
    }
}

impl Spare {
    /// Keep the storage of `lower`.
    fn keep(&mut self, lower: FuncLower) {
        self.locals = Some(lower.locals);
        self.code = lower.code;
        self.placement = lower.placement;
        self.emitted = lower.emitted;
        self.slot_locals = lower.slot_locals;
        self.callees = lower.callees;
        self.pending_copies = lower.pending_copies;
    }
}

/// [`lower_function_with`] reusing the storage of `workspace`.
pub fn lower_function_in(
    func: &ir::Function,
    env: &mut ModuleEnv,
    analysis: &Analysis,
    workspace: &mut Workspace,
) -> Result<LoweredFunction> {
    if func.layout.entry_block().is_none() {
        return Err(Error::new(
            ErrorKind::Invalid,
            func.name.to_string(),
            "the function has no body",
        )
        .with_hint("a function to lower needs at least an entry block"));
    }
    // The first walk over the function checks it against the feature gate too.
    let gate = Gate {
        decls: &env.decls,
        symbols: &env.layout.symbols,
    };
    let Workspace {
        scan,
        graph,
        order,
        color,
        placement: placement_scratch,
        spare,
    } = workspace;
    scan.recompute(func, Some(&gate))?;
    let scan = &*scan;
    cfg::graph::build_into(graph, func);
    order.recompute(graph);
    if !order.is_reducible(graph) {
        cfg::irreducible::make_reducible(graph, order);
        order.recompute(graph);
        if !order.is_reducible(graph) {
            return Err(Error::new(
                ErrorKind::Internal,
                func.name.to_string(),
                "irreducible control flow could not be repaired",
            ));
        }
    }
    // Lower with values on the operand stack where `stackify` allows; a value whose
    // instruction's lowering does not fit that discipline goes back to a local, and the
    // function is lowered again (rare: a few instructions read an operand twice).
    let mut keep_local: Vec<Value> = Vec::new();
    let mut attempts = 0;
    let lower = loop {
        attempts += 1;
        let mut placement = std::mem::take(&mut spare.placement);
        if attempts > 4 {
            placement.clear();
        } else {
            stackify::placements_into(func, scan, &keep_local, &mut placement, placement_scratch);
        }
        let lower = attempt(
            func,
            &mut *env,
            (graph, order),
            analysis,
            scan,
            placement,
            (color, spare),
        )?;
        if lower.misplaced.is_empty() {
            break lower;
        }
        keep_local.extend(lower.misplaced.iter().copied());
        spare.keep(lower);
    };
    let locals = lower.locals.num_params() as usize + lower.locals.declared().len();
    if locals > MAX_LOCALS {
        return Err(Error::new(
            ErrorKind::Unsupported(crate::error::Feature::Other("more than 50,000 locals")),
            func.name.to_string(),
            format!("the function needs {locals} wasm locals; engines accept at most {MAX_LOCALS}"),
        )
        .with_hint("split the function; local coloring will lift this limit"));
    }
    let mut body =
        wasm_encoder::Function::new_with_locals_types(lower.locals.declared().iter().copied());
    body.raw(lower.code.iter().copied());
    // Named by entity, printed only when the name section is written.
    let mut local_names: Vec<(u32, LocalName)> = lower
        .locals
        .named()
        .map(|(value, local)| (local, LocalName::Value(value)))
        .collect();
    local_names.extend(
        lower
            .slot_locals
            .iter()
            .filter(|(_, &l)| l != u32::MAX)
            .map(|(slot, &l)| (l, LocalName::Slot(slot))),
    );
    local_names.sort_unstable_by_key(|&(local, _)| local);
    spare.keep(lower);
    Ok(LoweredFunction { body, local_names })
}

/// One lowering of `func` with the value placement `placement`.
fn attempt<'a>(
    func: &'a ir::Function,
    env: &'a mut ModuleEnv,
    (graph, order): (&'a Graph, &Order),
    analysis: &'a Analysis,
    scan: &'a Scan,
    placement: SecondaryMap<Value, Placement>,
    (color_scratch, spare): (&mut ColorScratch, &mut Spare),
) -> Result<FuncLower<'a>> {
    let val_type_of = |v: Value| match analysis.ref_type(func, v) {
        Some(r) => ref_val_type(r),
        None => val_type(func.dfg.value_type(v)),
    };
    let coloring = crate::coloring::color(
        func,
        scan,
        graph,
        order,
        &placement,
        &val_type_of,
        color_scratch,
    );
    let locals = match spare.locals.take() {
        Some(mut locals) => {
            locals.reset(func, Some(&coloring));
            locals
        }
        None => Locals::with_coloring(func, Some(&coloring)),
    };
    let mut code = std::mem::take(&mut spare.code);
    code.clear();
    code.reserve(64 + 8 * func.dfg.num_insts());
    let mut emitted = std::mem::take(&mut spare.emitted);
    emitted.clear();
    emitted.resize(func.dfg.num_values());
    let mut slot_locals = std::mem::take(&mut spare.slot_locals);
    slot_locals.clear();
    let mut callees = std::mem::take(&mut spare.callees);
    callees.clear();
    let mut lower = FuncLower {
        func,
        env,
        graph,
        locals,
        code,
        frame: None,
        analysis,
        slot_locals,
        label_local: None,
        placement,
        emitted,
        misplaced: Vec::new(),
        last_set: None,
        scan,
        callees,
        pending_copies: std::mem::take(&mut spare.pending_copies),
    };
    lower.prologue()?;
    let falls_through = cfg::structure::emit(graph, order, &mut lower)?;
    if falls_through {
        lower.sink().unreachable();
    }
    lower.sink().end();
    Ok(lower)
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
        // Most values have their local from coloring: the type is needed only for a new one.
        if let Some(local) = self.locals.get(value) {
            return local;
        }
        let ty = self.val_type_of(value);
        self.locals.of(value, ty)
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
    pub fn get(&mut self, value: Value) {
        let value = self.resolve(value);
        match self.placement[value] {
            Placement::Local => {}
            Placement::Tree if self.emitted[value] => self.misplace(value),
            Placement::Tree | Placement::Remat => {
                self.emitted[value] = true;
                if let ir::ValueDef::Result(def, _) = self.func.dfg.value_def(value) {
                    if self.inst(def).is_ok() {
                        return;
                    }
                }
                self.misplace(value);
            }
            Placement::Dead => self.misplace(value),
        }
        let local = self.local_of(value);
        // `local.set x; local.get x` is `local.tee x`.
        if let Some((l, start, end)) = self.last_set {
            if l == local && end == self.code.len() {
                self.code.truncate(start);
                self.last_set = None;
                self.sink().local_tee(local);
                return;
            }
        }
        self.sink().local_get(local);
    }

    /// Pop into `value` (a tree or rematerialized value stays on the stack).
    pub fn set(&mut self, value: Value) {
        let value = self.resolve(value);
        if matches!(self.placement[value], Placement::Tree | Placement::Remat) {
            if !self.emitted[value] {
                // Set outside the emission at its use: the lowering sets it twice.
                self.misplace(value);
            }
            self.emitted[value] = false;
            if self.placement[value] == Placement::Tree {
                // Any later read of it is a second read.
                self.emitted[value] = true;
            }
            return;
        }
        let local = self.local_of(value);
        let start = self.code.len();
        self.sink().local_set(local);
        self.last_set = Some((local, start, self.code.len()));
    }

    /// Pop into `value`, leaving it on the stack.
    pub fn tee(&mut self, value: Value) {
        let value = self.resolve(value);
        if self.placement[value] != Placement::Local {
            self.misplace(value);
        }
        let local = self.local_of(value);
        self.sink().local_tee(local);
    }

    /// The constant `value` is defined as, if it is an `iconst`, sign-extended from its
    /// type's width.
    pub fn const_of(&self, value: Value) -> Option<i64> {
        let value = self.resolve(value);
        let bits = self.ty(value).bits();
        match self.func.dfg.value_def(value) {
            ir::ValueDef::Result(def, _) => match self.func.dfg.insts[def] {
                InstructionData::UnaryImm {
                    opcode: ir::Opcode::Iconst,
                    imm,
                } if bits <= 64 => {
                    let shift = 64 - bits;
                    Some((imm.bits() << shift) >> shift)
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// If `value` is a tree not yet emitted, claim it: the caller emits its instruction
    /// in its own way (folding it into a wider pattern) and returns the instruction.
    pub fn claim_tree(&mut self, value: Value) -> Option<ir::Inst> {
        let value = self.resolve(value);
        if self.placement[value] != Placement::Tree || self.emitted[value] {
            return None;
        }
        match self.func.dfg.value_def(value) {
            ir::ValueDef::Result(def, _) => {
                self.emitted[value] = true;
                Some(def)
            }
            _ => None,
        }
    }

    /// Whether `value` has a local shared with `other` (so copying one to the other is a
    /// no-op).
    fn same_local(&self, value: Value, other: Value) -> bool {
        let (a, b) = (self.resolve(value), self.resolve(other));
        self.placement[a] == Placement::Local
            && self.placement[b] == Placement::Local
            && self.locals.get(a).is_some()
            && self.locals.get(a) == self.locals.get(b)
    }

    /// Note that `value` cannot be kept off locals; the function will be lowered again.
    fn misplace(&mut self, value: Value) {
        if !self.misplaced.contains(&value) {
            self.misplaced.push(value);
        }
    }

    /// Whether the instruction at scan position `k` is emitted where its result is used
    /// rather than where it stands.
    fn emitted_at_use(&self, k: usize) -> bool {
        match self.scan.results(k) {
            [v] => self.placement[*v] != Placement::Local,
            _ => false,
        }
    }

    /// The type of `value`.
    pub fn ty(&self, value: Value) -> ir::Type {
        self.func.dfg.value_type(value)
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

    /// The parallel copy of `args` into the parameters of `block`.
    pub fn copies(&mut self, inst: ir::Inst, call: ir::BlockCall) -> Result<()> {
        let dfg = &self.func.dfg;
        let pool = &dfg.value_lists;
        let params = dfg.block_params(call.block(pool));
        let mut pending = std::mem::take(&mut self.pending_copies);
        pending.clear();
        for (arg, &param) in call.args(pool).zip(params) {
            let Some(arg) = arg.as_value() else {
                return Err(self
                    .error(
                        inst,
                        ErrorKind::Unsupported(crate::error::Feature::Exceptions),
                        "try_call block arguments are not supported",
                    )
                    .with_hint("lower exceptions before using the wasm backend"));
            };
            let arg = self.scan.resolve(arg);
            if arg != param && !self.same_local(arg, param) {
                pending.push((arg, param));
            }
        }
        // Push every source first, then pop into the destinations in reverse: the operand
        // stack makes the copy parallel, so swaps and cycles need no temporaries.
        for &(arg, _) in &pending {
            self.get(arg);
        }
        for &(_, param) in pending.iter().rev() {
            self.set(param);
        }
        self.pending_copies = pending;
        Ok(())
    }

    fn block_body(&mut self, block: ir::Block, node: Node) -> Result<()> {
        let func = self.func;
        let scan = self.scan;
        for k in scan.block_range(scan.ordinal[block] as usize) {
            let inst = scan.insts[k];
            let data = &func.dfg.insts[inst];
            if data.opcode().is_branch() {
                // Only plain jumps (and brifs collapsed into jumps) copy in the block itself.
                if let cfg::Exit::Jump = self.graph.nodes[node].exit {
                    let call = match data {
                        InstructionData::Jump { destination, .. } => *destination,
                        InstructionData::Brif { blocks, .. } => blocks[0],
                        _ => continue,
                    };
                    self.copies(inst, call)?;
                }
                continue;
            }
            if self.emitted_at_use(k) {
                continue;
            }
            self.inst(inst)?;
        }
        Ok(())
    }

    /// Push a CLIF integer as an i32 truth value (non-zero is true).
    pub fn get_condition(&mut self, value: Value) {
        // `icmp ne x, 0` as a condition is `x` itself.
        let value = self.resolve(value);
        if let ir::ValueDef::Result(def, _) = self.func.dfg.value_def(value) {
            if let InstructionData::IntCompare {
                cond: ir::condcodes::IntCC::NotEqual,
                args,
                ..
            } = self.func.dfg.insts[def]
            {
                if self.const_of(args[1]) == Some(0) && self.claim_tree(value).is_some() {
                    return self.get_condition(args[0]);
                }
            }
        }
        self.get(value);
        if self.ty(value) == ir::types::I64 {
            self.sink().i64_eqz().i32_eqz();
        }
    }
}

impl NodeEmitter for FuncLower<'_> {
    fn body(&mut self, node: Node) -> Result<()> {
        match self.graph.nodes[node].kind {
            NodeKind::Block(block) => self.block_body(block, node),
            NodeKind::EdgeCopy { branch, dest } => {
                let dfg = &self.func.dfg;
                let call = dfg.insts[branch]
                    .branch_destination(&dfg.jump_tables, &dfg.exception_tables)
                    [dest as usize];
                self.copies(branch, call)
            }
            NodeKind::Dispatch => Ok(()),
        }
    }

    fn selector(&mut self, node: Node) -> Result<()> {
        match self.graph.nodes[node].kind {
            NodeKind::Block(block) => {
                let Some(inst) = self.func.layout.last_inst(block) else {
                    return Ok(());
                };
                match self.func.dfg.insts[inst] {
                    InstructionData::Brif { arg, .. } => self.get_condition(arg),
                    // The index of a br_table is an i32; out-of-range goes to the default.
                    InstructionData::BranchTable { arg, .. } => self.get(arg),
                    _ => {}
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

    fn is_empty(&self, node: Node) -> bool {
        let NodeKind::EdgeCopy { branch, dest } = self.graph.nodes[node].kind else {
            return false;
        };
        let dfg = &self.func.dfg;
        let call = dfg.insts[branch].branch_destination(&dfg.jump_tables, &dfg.exception_tables)
            [dest as usize];
        let params = dfg.block_params(call.block(&dfg.value_lists));
        call.args(&dfg.value_lists)
            .zip(params)
            .all(|(arg, &param)| {
                arg.as_value().is_some_and(|a| {
                    let a = self.scan.resolve(a);
                    a == param || self.same_local(a, param)
                })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::LocalName;
    use cranelift_codegen::ir::{StackSlot, Value};
    use cranelift_entity::EntityRef;

    #[test]
    fn local_names_print_as_clif_does() {
        for n in [0, 7, 10, 99, 1234, 4_000_000_000] {
            for name in [
                LocalName::Value(Value::from_u32(n)),
                LocalName::Slot(StackSlot::new(n as usize)),
            ] {
                let mut text = String::new();
                name.write_to(&mut text);
                assert_eq!(text, name.to_string());
            }
        }
    }
}
