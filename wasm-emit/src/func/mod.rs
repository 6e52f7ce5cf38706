//! Lowering of one function: the state instruction selection works on (`FuncLower`) and
//! its small helpers. `values` reads and sets values (locals, trees emitted at their use,
//! rematerialized constants); `blocks` emits the prologue, block bodies, the parallel
//! copies on edges and the structurer's view (`NodeEmitter`); `driver` runs the passes
//! and the lowering attempts; `sharing` gives locals back as values die.

use crate::cfg::Graph;
use crate::error::{Error, ErrorKind};
use crate::frame::FrameLayout;
use crate::locals::Locals;
use crate::module::env::ref_val_type;
use crate::module::env::ModuleEnv;
use crate::scan::Scan;
use crate::stackify::Placements;
use crate::types::{is_narrow, val_type};
use cranelift_codegen::ir::{self, StackSlot, Value};
use cranelift_entity::SecondaryMap;
use cranelift_offheap::analysis::Analysis;
use sharing::Sharing;
use wasm_encoder::{InstructionSink, ValType};

mod blocks;
mod driver;
mod sharing;
mod values;
pub use driver::{lower_function_in, LocalName, Workspace};

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

    /// Call runtime helper `helper` (added to the module on its first call), its
    /// arguments pushed already.
    pub fn call_helper(&mut self, helper: crate::runtime::Helper) -> InstructionSink<'_> {
        let index = self.env.helper(helper);
        let mut sink = self.sink();
        sink.call(index);
        sink
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
}
