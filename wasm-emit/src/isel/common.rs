//! The commonest integer instructions of translated wasm (constants, additions and
//! subtractions, extensions to and reductions from i64: half of a Go program's
//! instructions, most of them trees emitted where they are read), lowered from their
//! scan row: their operands, result and type are read by position, and no family's
//! opcode `match` stands in the way (`isel::Family::Common`).

use super::IntOp;
use crate::func::FuncLower;
use crate::types::width_mask;
use cranelift_codegen::ir::{types, InstructionData, Opcode};

/// `i64.extend_i32_u` and `i32.wrap_i64`.
const I64_EXTEND_I32_U: u8 = 0xad;
const I32_WRAP_I64: u8 = 0xa7;

impl FuncLower<'_> {
    /// Lower the instruction at scan position `k`, of the common family; `false` if its
    /// opcode is not one this lowers (nothing emitted then).
    #[inline(never)]
    pub(crate) fn common_inst(&mut self, k: usize) -> bool {
        let scan = self.scan;
        let (op, ty, _) = scan.opcode_type_family(k);
        let wide = ty == types::I64;
        match op {
            Opcode::Iconst => {
                let InstructionData::UnaryImm { imm, .. } = self.func.dfg.insts[scan.inst(k)]
                else {
                    return false;
                };
                self.int_const(wide, imm.bits() & width_mask(ty));
                self.set(scan.results(k)[0]);
            }
            Opcode::Iadd | Opcode::Isub => {
                let &[a, b] = scan.args(k) else {
                    return false;
                };
                self.get_resolved(a);
                self.get_resolved(b);
                self.int_op(
                    wide,
                    if op == Opcode::Iadd {
                        IntOp::Add
                    } else {
                        IntOp::Sub
                    },
                );
                self.mask(ty);
                self.set(scan.results(k)[0]);
            }
            Opcode::Uextend => {
                // Narrow values are zero-extended i32s already (see `types`).
                let arg = scan.args(k)[0];
                self.get_resolved(arg);
                if wide && self.ty(arg) != types::I64 {
                    self.code.push(I64_EXTEND_I32_U);
                }
                self.set(scan.results(k)[0]);
            }
            Opcode::Ireduce => {
                let arg = scan.args(k)[0];
                self.get_resolved(arg);
                if self.ty(arg) == types::I64 {
                    self.code.push(I32_WRAP_I64);
                }
                self.mask(ty);
                self.set(scan.results(k)[0]);
            }
            _ => return false,
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use wasm_encoder::InstructionSink;

    /// The conversion opcodes written directly are wasm-encoder's.
    #[test]
    fn conversion_opcodes_are_wasm_encoders() {
        let mut theirs = Vec::new();
        InstructionSink::new(&mut theirs)
            .i64_extend_i32_u()
            .i32_wrap_i64();
        assert_eq!(theirs, [super::I64_EXTEND_I32_U, super::I32_WRAP_I64]);
    }
}
