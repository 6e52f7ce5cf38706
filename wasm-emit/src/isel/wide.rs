//! The integer operations that need a wider computation than their type: high
//! multiplies (a runtime helper for 64-bit ones) and the overflow families (with carry or
//! borrow in, trapping or flagging overflow), at narrow widths widened, at 64 bits
//! from the halves' carries.

use super::IntOp::*;
use crate::func::FuncLower;
use crate::runtime::Helper;
use crate::types::width_mask;
use cranelift_codegen::ir::{self, types, Opcode, Type};
use wasm_encoder::ValType;

impl FuncLower<'_> {
    pub(super) fn mulhi(&mut self, inst: ir::Inst, ty: Type, signed: bool) {
        let (a, b) = (self.arg(inst, 0), self.arg(inst, 1));
        match ty {
            types::I64 => {
                self.get(a);
                self.get(b);
                let helper = if signed {
                    Helper::SMulHi64
                } else {
                    Helper::UMulHi64
                };
                self.call_helper(helper);
                self.set(self.result(inst, 0));
            }
            types::I32 => {
                for v in [a, b] {
                    self.get(v);
                    if signed {
                        self.sink().i64_extend_i32_s();
                    } else {
                        self.sink().i64_extend_i32_u();
                    }
                }
                self.sink().i64_mul().i64_const(32);
                self.int_op(true, if signed { ShrS } else { ShrU });
                self.sink().i32_wrap_i64();
                self.set(self.result(inst, 0));
            }
            _ => {
                // The whole product fits in 32 bits.
                self.get_maybe_signed(a, signed);
                self.get_maybe_signed(b, signed);
                self.sink().i32_mul().i32_const(ty.bits() as i32);
                self.int_op(false, if signed { ShrS } else { ShrU });
                self.finish(inst, ty, true);
            }
        }
    }

    /// Push an i8 carry/borrow flag as 0 or 1 in the wasm type of `wide`.
    pub(super) fn get_carry_bit(&mut self, flag: ir::Value, wide: bool) {
        self.get(flag);
        self.sink().i32_const(0).i32_ne();
        if wide {
            self.sink().i64_extend_i32_u();
        }
    }

    /// The overflow families on narrow types and i32: compute exactly in a wider type
    /// (i32 for narrow, i64 for i32), then truncate, and detect overflow from the exact
    /// result.
    pub(super) fn overflow_widened(&mut self, inst: ir::Inst, ty: Type, op: Opcode) {
        use Opcode::*;
        let big = ty == types::I32;
        let (a, b) = (self.arg(inst, 0), self.arg(inst, 1));
        let signed = matches!(
            op,
            SaddOverflow | SsubOverflow | SmulOverflow | SaddOverflowCin | SsubOverflowBin
        );
        for v in [a, b] {
            self.get_maybe_signed(v, signed);
            if big {
                if signed {
                    self.sink().i64_extend_i32_s();
                } else {
                    self.sink().i64_extend_i32_u();
                }
            }
        }
        let arith = match op {
            UaddOverflow | SaddOverflow | UaddOverflowCin | SaddOverflowCin | UaddOverflowTrap => {
                Add
            }
            UmulOverflow | SmulOverflow => Mul,
            _ => Sub,
        };
        self.int_op(big, arith);
        if matches!(
            op,
            UaddOverflowCin | SaddOverflowCin | UsubOverflowBin | SsubOverflowBin
        ) {
            self.get_carry_bit(self.arg(inst, 2), big);
            self.int_op(big, arith);
        }
        let vt = if big { ValType::I64 } else { ValType::I32 };
        let t = self.locals.scratch(vt);
        self.sink().local_tee(t);
        if big {
            self.sink().i32_wrap_i64();
        }
        self.mask(ty);
        self.set(self.result(inst, 0));
        // The overflow flag from the exact result `t`.
        let mask = width_mask(ty);
        match op {
            UsubOverflow | UsubOverflowBin => {
                self.sink().local_get(t);
                self.int_const(big, 0);
                self.int_op(big, LtS);
            }
            UaddOverflow | UmulOverflow | UaddOverflowCin | UaddOverflowTrap => {
                self.sink().local_get(t);
                self.int_const(big, mask);
                self.int_op(big, GtU);
            }
            _ => {
                // Signed: overflow iff sign-extending the truncated result changes it.
                self.sink().local_get(t);
                if big {
                    self.sink().i64_extend32_s();
                } else {
                    self.sext(ty);
                }
                self.sink().local_get(t);
                self.int_op(big, Ne);
            }
        }
        self.locals.release(vt, t);
        self.overflow_out(inst, op);
    }

    /// The overflow families on i64, from the wrapped result and the operands' bits.
    pub(super) fn overflow64(&mut self, inst: ir::Inst, op: Opcode) {
        use Opcode::*;
        let (a, b) = (self.arg(inst, 0), self.arg(inst, 1));
        let r = self.result(inst, 0);
        let with_carry = matches!(
            op,
            UaddOverflowCin | SaddOverflowCin | UsubOverflowBin | SsubOverflowBin
        );
        match op {
            UaddOverflowCin | UsubOverflowBin => {
                // Two steps, each with its own carry out: (a op b) op c.
                let add = op == UaddOverflowCin;
                let arith = if add { Add } else { Sub };
                let s1 = self.locals.scratch(ValType::I64);
                self.get(a);
                self.get(b);
                self.int_op(true, arith);
                self.sink().local_tee(s1);
                self.get_carry_bit(self.arg(inst, 2), true);
                self.int_op(true, arith);
                self.set(r);
                // carry1: s1 <u a (add) / a <u b (sub); carry2: r <u s1 (add) / s1 <u c (sub).
                if add {
                    self.sink().local_get(s1);
                    self.get(a);
                    self.sink().i64_lt_u();
                    self.get(r);
                    self.sink().local_get(s1).i64_lt_u();
                } else {
                    self.get(a);
                    self.get(b);
                    self.sink().i64_lt_u().local_get(s1);
                    self.get_carry_bit(self.arg(inst, 2), true);
                    self.sink().i64_lt_u();
                }
                self.sink().i32_or();
                self.locals.release(ValType::I64, s1);
                self.set(self.result(inst, 1));
                return;
            }
            _ => {}
        }
        let arith = match op {
            UaddOverflow | SaddOverflow | SaddOverflowCin | UaddOverflowTrap => Add,
            UmulOverflow | SmulOverflow => Mul,
            _ => Sub,
        };
        self.get(a);
        self.get(b);
        self.int_op(true, arith);
        if with_carry {
            self.get_carry_bit(self.arg(inst, 2), true);
            self.int_op(true, arith);
        }
        self.set(r);
        match op {
            UaddOverflow | UaddOverflowTrap => {
                self.get(r);
                self.get(a);
                self.sink().i64_lt_u();
            }
            UsubOverflow => {
                self.get(a);
                self.get(b);
                self.sink().i64_lt_u();
            }
            SaddOverflow | SaddOverflowCin => {
                // Both operands' signs differ from the result's.
                self.get(r);
                self.get(a);
                self.sink().i64_xor();
                self.get(r);
                self.get(b);
                self.sink().i64_xor().i64_and().i64_const(0).i64_lt_s();
            }
            SsubOverflow | SsubOverflowBin => {
                // Operand signs differ, and the result's sign differs from a's.
                self.get(a);
                self.get(b);
                self.sink().i64_xor();
                self.get(a);
                self.get(r);
                self.sink().i64_xor().i64_and().i64_const(0).i64_lt_s();
            }
            UmulOverflow => {
                self.get(a);
                self.get(b);
                self.call_helper(Helper::UMulHi64).i64_const(0).i64_ne();
            }
            _ => {
                // SmulOverflow: the high half must be the sign extension of the low half.
                self.get(a);
                self.get(b);
                self.call_helper(Helper::SMulHi64);
                self.get(r);
                self.sink().i64_const(63).i64_shr_s().i64_ne();
            }
        }
        self.overflow_out(inst, op);
    }

    /// The overflow flag on the stack goes out: `uadd_overflow_trap` traps on it, the
    /// others give it as their second result.
    fn overflow_out(&mut self, inst: ir::Inst, op: Opcode) {
        if op == Opcode::UaddOverflowTrap {
            self.sink()
                .if_(wasm_encoder::BlockType::Empty)
                .unreachable()
                .end();
        } else {
            self.set(self.result(inst, 1));
        }
    }
}
