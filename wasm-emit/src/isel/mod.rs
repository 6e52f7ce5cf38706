//! Instruction selection: one CLIF instruction at a time, into wasm instructions that read
//! operands from and write results to the values' locals.
//!
//! The concerns are split by operand kind: `int` (integer arithmetic, bits, comparisons,
//! overflow families), `float` (arithmetic, comparisons, conversions), `mem` (loads, stores,
//! stack slots), `call` (calls, returns, tail calls, function addresses, traps) and
//! `intrinsic` (the off-heap intrinsics: references, tables, bulk memory).

mod call;
mod encode;
pub use call::{callee_key, declared_callees};
mod float;
mod int;
mod intrinsic;
mod mem;

use crate::error::{ErrorKind, Feature, Result};
use crate::func::FuncLower;
use cranelift_codegen::ir::{self, Opcode};

impl FuncLower<'_> {
    /// Lower the non-branch instruction at scan position `k`.
    pub fn inst_at(&mut self, k: usize) -> Result<()> {
        let inst = self.scan.inst(k);
        // The opcode and controlling type as the scan recorded them: Cranelift computes
        // the type on every call.
        let (op, ty) = self.scan.opcode_and_type(k);
        if self.int_inst(inst, op, ty)?
            || self.float_inst(inst, op, ty)?
            || self.mem_inst(inst, op, ty)?
        {
            return Ok(());
        }
        if self.call_inst(inst, op)? {
            return Ok(());
        }
        match op {
            Opcode::Nop | Opcode::SequencePoint | Opcode::Debugtrap => Ok(()),
            _ => Err(self
                .error(
                    inst,
                    ErrorKind::Unsupported(Feature::Other("this instruction")),
                    format!("`{op}` is not supported by the wasm backend"),
                )
                .with_hint("see the supported-features list in the wasm-emit docs")),
        }
    }

    /// Argument `i` of `inst`, alias-resolved.
    #[inline]
    pub fn arg(&self, inst: ir::Inst, i: usize) -> ir::Value {
        self.scan.args(self.scan.index[inst] as usize)[i]
    }

    /// Result `i` of `inst`.
    #[inline]
    pub fn result(&self, inst: ir::Inst, i: usize) -> ir::Value {
        self.scan.results(self.scan.index[inst] as usize)[i]
    }
}

/// Integer operations that exist for both i32 and i64.
#[derive(Clone, Copy, Debug)]
pub enum IntOp {
    Add,
    Sub,
    Mul,
    And,
    Or,
    Xor,
    Shl,
    ShrU,
    ShrS,
    Rotl,
    Rotr,
    DivU,
    DivS,
    RemU,
    RemS,
    Eq,
    Ne,
    LtU,
    LtS,
    GtU,
    GtS,
    LeU,
    LeS,
    GeU,
    GeS,
    Eqz,
    Clz,
    Ctz,
    Popcnt,
}

impl FuncLower<'_> {
    /// Emit `op` on i64 (`wide`) or i32 operands.
    pub fn int_op(&mut self, wide: bool, op: IntOp) {
        let mut s = self.sink();
        use IntOp::*;
        if wide {
            match op {
                Add => s.i64_add(),
                Sub => s.i64_sub(),
                Mul => s.i64_mul(),
                And => s.i64_and(),
                Or => s.i64_or(),
                Xor => s.i64_xor(),
                Shl => s.i64_shl(),
                ShrU => s.i64_shr_u(),
                ShrS => s.i64_shr_s(),
                Rotl => s.i64_rotl(),
                Rotr => s.i64_rotr(),
                DivU => s.i64_div_u(),
                DivS => s.i64_div_s(),
                RemU => s.i64_rem_u(),
                RemS => s.i64_rem_s(),
                Eq => s.i64_eq(),
                Ne => s.i64_ne(),
                LtU => s.i64_lt_u(),
                LtS => s.i64_lt_s(),
                GtU => s.i64_gt_u(),
                GtS => s.i64_gt_s(),
                LeU => s.i64_le_u(),
                LeS => s.i64_le_s(),
                GeU => s.i64_ge_u(),
                GeS => s.i64_ge_s(),
                Eqz => s.i64_eqz(),
                Clz => s.i64_clz(),
                Ctz => s.i64_ctz(),
                Popcnt => s.i64_popcnt(),
            };
        } else {
            match op {
                Add => s.i32_add(),
                Sub => s.i32_sub(),
                Mul => s.i32_mul(),
                And => s.i32_and(),
                Or => s.i32_or(),
                Xor => s.i32_xor(),
                Shl => s.i32_shl(),
                ShrU => s.i32_shr_u(),
                ShrS => s.i32_shr_s(),
                Rotl => s.i32_rotl(),
                Rotr => s.i32_rotr(),
                DivU => s.i32_div_u(),
                DivS => s.i32_div_s(),
                RemU => s.i32_rem_u(),
                RemS => s.i32_rem_s(),
                Eq => s.i32_eq(),
                Ne => s.i32_ne(),
                LtU => s.i32_lt_u(),
                LtS => s.i32_lt_s(),
                GtU => s.i32_gt_u(),
                GtS => s.i32_gt_s(),
                LeU => s.i32_le_u(),
                LeS => s.i32_le_s(),
                GeU => s.i32_ge_u(),
                GeS => s.i32_ge_s(),
                Eqz => s.i32_eqz(),
                Clz => s.i32_clz(),
                Ctz => s.i32_ctz(),
                Popcnt => s.i32_popcnt(),
            };
        }
    }

    /// Push an integer constant of the wasm type of `wide`.
    pub fn int_const(&mut self, wide: bool, value: i64) {
        // Written straight into the code, as local operations are: the encoder's LEB128
        // writer copies through a buffer.
        encode::write_int_const(&mut self.code, wide, value);
    }
}
