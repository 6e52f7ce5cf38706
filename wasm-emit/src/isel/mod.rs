//! Instruction selection: one CLIF instruction at a time, into wasm instructions that read
//! operands from and write results to the values' locals.
//!
//! The concerns are split by operand kind: `common` (the commonest integer instructions,
//! lowered by position), `int` (integer arithmetic, bits, comparisons), `wide` (high
//! multiplies and the overflow families), `float` (arithmetic, comparisons, conversions),
//! `mem` (loads, stores, stack slots), `call` (calls, returns, tail calls, function
//! addresses, traps) and `intrinsic` (the off-heap intrinsics: references, tables, bulk
//! memory).

mod call;
mod common;
mod encode;
pub use call::{callee_key, declared_callees};
mod float;
mod int;
mod intrinsic;
mod mem;
mod wide;

use crate::error::{ErrorKind, Feature, Result};
use crate::func::FuncLower;
use cranelift_codegen::ir::{self, Opcode};

impl<'a> FuncLower<'a> {
    /// Lower the non-branch instruction at scan position `k`.
    pub fn inst_at(&mut self, k: usize) -> Result<()> {
        let inst = self.scan.inst(k);
        // The opcode and controlling type as the scan recorded them: Cranelift computes
        // the type on every call.
        let (op, ty, family) = self.scan.opcode_type_family(k);
        // The family that lowers the opcode first: each family's `match` that would
        // turn it down is a jump the processor may mispredict. The chain below stays for
        // the opcodes a family turns down (a format it does not lower).
        let done = match family {
            Family::Common => self.common_inst(k),
            Family::Int => false,
            Family::Float => self.float_inst(inst, op, ty)?,
            Family::Mem => self.mem_inst(k, op, ty)?,
            Family::Call => self.call_inst(inst, op)?,
        };
        if done {
            return Ok(());
        }
        if self.int_inst(inst, op, ty)?
            || self.float_inst(inst, op, ty)?
            || self.mem_inst(k, op, ty)?
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

    /// The arguments of `inst`, alias-resolved, as the scan recorded them (not borrowing
    /// the lowering, which pushes them).
    #[inline]
    pub fn args_of(&self, inst: ir::Inst) -> &'a [ir::Value] {
        let scan: &'a crate::scan::Scan = self.scan;
        scan.args(scan.index[inst] as usize)
    }

    /// The results of `inst`, as the scan recorded them.
    #[inline]
    pub fn results_of(&self, inst: ir::Inst) -> &'a [ir::Value] {
        let scan: &'a crate::scan::Scan = self.scan;
        scan.results(scan.index[inst] as usize)
    }
}

/// Which of the instruction-selection concerns lowers an opcode: `inst_at` asks that one
/// first. (Integer operations, the most common, are asked first anyway.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// `common`: constants, additions, subtractions, extensions and reductions.
    Common,
    /// `int`, and anything the others do not claim.
    Int,
    /// `float`.
    Float,
    /// `mem`: loads, stores, stack and symbol addresses, machine registers.
    Mem,
    /// `call`: calls, returns, function addresses, traps.
    Call,
}

impl Family {
    /// The family of `op`. List an opcode only under the concern that lowers it: one
    /// missing here still reaches its concern through `inst_at`'s chain, only slower.
    pub fn of(op: Opcode) -> Family {
        use Opcode::*;
        match op {
            Iconst | Iadd | Isub | Uextend | Ireduce => Family::Common,
            Load | Uload8 | Sload8 | Uload16 | Sload16 | Uload32 | Sload32 | Store | Istore8
            | Istore16 | Istore32 | StackAddr | SymbolValue | GetStackPointer | GetFramePointer
            | GetPinnedReg | SetPinnedReg => Family::Mem,
            Call | CallIndirect | ReturnCall | ReturnCallIndirect | FuncAddr | Return | Trap
            | Trapz | Trapnz => Family::Call,
            Fadd | Fsub | Fmul | Fdiv | Sqrt | Fabs | Fneg | Fcopysign | Fmin | Fmax | Fma
            | Ceil | Floor | Trunc | Nearest | Fcmp | F32const | F64const | FcvtFromSint
            | FcvtFromUint | FcvtToSint | FcvtToSintSat | FcvtToUint | FcvtToUintSat | Fdemote
            | Fpromote | Bitcast => Family::Float,
            _ => Family::Int,
        }
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

impl IntOp {
    /// Every operation, for tests.
    #[cfg(test)]
    const ALL: [IntOp; 29] = {
        use IntOp::*;
        [
            Add, Sub, Mul, And, Or, Xor, Shl, ShrU, ShrS, Rotl, Rotr, DivU, DivS, RemU, RemS, Eq,
            Ne, LtU, LtS, GtU, GtS, LeU, LeS, GeU, GeS, Eqz, Clz, Ctz, Popcnt,
        ]
    };

    /// The one-byte opcode of the operation on i64 (`wide`) or i32 operands: a table
    /// lookup, where a `match` calling the encoder per operation compiles to an indirect
    /// jump the processor predicts badly.
    #[inline]
    pub fn opcode(self, wide: bool) -> u8 {
        use IntOp::*;
        let i32_opcode = match self {
            Eqz => 0x45,
            Eq => 0x46,
            Ne => 0x47,
            LtS => 0x48,
            LtU => 0x49,
            GtS => 0x4a,
            GtU => 0x4b,
            LeS => 0x4c,
            LeU => 0x4d,
            GeS => 0x4e,
            GeU => 0x4f,
            Clz => 0x67,
            Ctz => 0x68,
            Popcnt => 0x69,
            Add => 0x6a,
            Sub => 0x6b,
            Mul => 0x6c,
            DivS => 0x6d,
            DivU => 0x6e,
            RemS => 0x6f,
            RemU => 0x70,
            And => 0x71,
            Or => 0x72,
            Xor => 0x73,
            Shl => 0x74,
            ShrS => 0x75,
            ShrU => 0x76,
            Rotl => 0x77,
            Rotr => 0x78,
        };
        // The i64 forms follow the i32 ones in the same order: the comparisons 11 on,
        // the arithmetic 18 on.
        match (wide, i32_opcode <= 0x4f) {
            (false, _) => i32_opcode,
            (true, true) => i32_opcode + 0x0b,
            (true, false) => i32_opcode + 0x12,
        }
    }
}

impl FuncLower<'_> {
    /// Emit `op` on i64 (`wide`) or i32 operands.
    #[inline]
    pub fn int_op(&mut self, wide: bool, op: IntOp) {
        self.code.push(op.opcode(wide));
    }

    /// Push an integer constant of the wasm type of `wide`.
    pub fn int_const(&mut self, wide: bool, value: i64) {
        // Written straight into the code, as local operations are: the encoder's LEB128
        // writer copies through a buffer.
        encode::write_int_const(&mut self.code, wide, value);
    }
}

#[cfg(test)]
mod tests {
    use super::IntOp;
    use wasm_encoder::InstructionSink;

    /// Each operation's opcode is what wasm-encoder writes for it, on both widths.
    #[test]
    fn int_op_opcodes_are_wasm_encoders() {
        for op in IntOp::ALL {
            for wide in [false, true] {
                let mut theirs = Vec::new();
                let mut s = InstructionSink::new(&mut theirs);
                use IntOp::*;
                match (wide, op) {
                    (false, Add) => s.i32_add(),
                    (false, Sub) => s.i32_sub(),
                    (false, Mul) => s.i32_mul(),
                    (false, And) => s.i32_and(),
                    (false, Or) => s.i32_or(),
                    (false, Xor) => s.i32_xor(),
                    (false, Shl) => s.i32_shl(),
                    (false, ShrU) => s.i32_shr_u(),
                    (false, ShrS) => s.i32_shr_s(),
                    (false, Rotl) => s.i32_rotl(),
                    (false, Rotr) => s.i32_rotr(),
                    (false, DivU) => s.i32_div_u(),
                    (false, DivS) => s.i32_div_s(),
                    (false, RemU) => s.i32_rem_u(),
                    (false, RemS) => s.i32_rem_s(),
                    (false, Eq) => s.i32_eq(),
                    (false, Ne) => s.i32_ne(),
                    (false, LtU) => s.i32_lt_u(),
                    (false, LtS) => s.i32_lt_s(),
                    (false, GtU) => s.i32_gt_u(),
                    (false, GtS) => s.i32_gt_s(),
                    (false, LeU) => s.i32_le_u(),
                    (false, LeS) => s.i32_le_s(),
                    (false, GeU) => s.i32_ge_u(),
                    (false, GeS) => s.i32_ge_s(),
                    (false, Eqz) => s.i32_eqz(),
                    (false, Clz) => s.i32_clz(),
                    (false, Ctz) => s.i32_ctz(),
                    (false, Popcnt) => s.i32_popcnt(),
                    (true, Add) => s.i64_add(),
                    (true, Sub) => s.i64_sub(),
                    (true, Mul) => s.i64_mul(),
                    (true, And) => s.i64_and(),
                    (true, Or) => s.i64_or(),
                    (true, Xor) => s.i64_xor(),
                    (true, Shl) => s.i64_shl(),
                    (true, ShrU) => s.i64_shr_u(),
                    (true, ShrS) => s.i64_shr_s(),
                    (true, Rotl) => s.i64_rotl(),
                    (true, Rotr) => s.i64_rotr(),
                    (true, DivU) => s.i64_div_u(),
                    (true, DivS) => s.i64_div_s(),
                    (true, RemU) => s.i64_rem_u(),
                    (true, RemS) => s.i64_rem_s(),
                    (true, Eq) => s.i64_eq(),
                    (true, Ne) => s.i64_ne(),
                    (true, LtU) => s.i64_lt_u(),
                    (true, LtS) => s.i64_lt_s(),
                    (true, GtU) => s.i64_gt_u(),
                    (true, GtS) => s.i64_gt_s(),
                    (true, LeU) => s.i64_le_u(),
                    (true, LeS) => s.i64_le_s(),
                    (true, GeU) => s.i64_ge_u(),
                    (true, GeS) => s.i64_ge_s(),
                    (true, Eqz) => s.i64_eqz(),
                    (true, Clz) => s.i64_clz(),
                    (true, Ctz) => s.i64_ctz(),
                    (true, Popcnt) => s.i64_popcnt(),
                };
                assert_eq!(theirs, [op.opcode(wide)], "{op:?}, wide: {wide}");
            }
        }
    }
}
