//! Integer instructions. Narrow values (i8, i16) are zero-extended i32s (see `types`):
//! results are masked back to their width, signed operations sign-extend their inputs.
//! Operations wasm lacks (bswap, bitrev, cls) are expanded here; high multiplies and the
//! overflow families are in `wide`.

use super::IntOp::{self, *};
use crate::error::Result;
use crate::func::FuncLower;
use crate::types::{is_narrow, width_mask};
use cranelift_codegen::ir::{self, condcodes::IntCC, types, InstructionData, Opcode, Type};
use wasm_encoder::ValType;

impl FuncLower<'_> {
    pub(super) fn int_inst(&mut self, inst: ir::Inst, op: Opcode, ty: Type) -> Result<bool> {
        let wide = ty == types::I64;
        if ty.is_float() && matches!(op, Opcode::Band | Opcode::Bor | Opcode::Bxor | Opcode::Bnot) {
            self.float_bitwise(inst, ty, op);
            return Ok(true);
        }
        match op {
            Opcode::Imul => self.binary(inst, ty, Mul, true),
            Opcode::Band => self.binary(inst, ty, And, false),
            Opcode::Bor => self.binary(inst, ty, Or, false),
            Opcode::Bxor => self.binary(inst, ty, Xor, false),
            Opcode::Udiv => self.binary(inst, ty, DivU, false),
            Opcode::Urem => self.binary(inst, ty, RemU, false),
            Opcode::Ineg => {
                self.int_const(wide, 0);
                self.get(self.arg(inst, 0));
                self.int_op(wide, Sub);
                self.finish(inst, ty, true);
            }
            Opcode::Bnot => {
                self.get(self.arg(inst, 0));
                self.int_const(wide, width_mask(ty));
                self.int_op(wide, Xor);
                self.set(self.result(inst, 0));
            }
            Opcode::Iabs => {
                let a = self.arg(inst, 0);
                self.int_const(wide, 0);
                self.get_signed(a);
                self.int_op(wide, Sub);
                self.get_signed(a);
                self.get_signed(a);
                self.int_const(wide, 0);
                self.int_op(wide, LtS);
                self.sink().select();
                self.finish(inst, ty, true);
            }
            Opcode::Smin | Opcode::Smax | Opcode::Umin | Opcode::Umax => {
                let (a, b) = (self.arg(inst, 0), self.arg(inst, 1));
                self.get(a);
                self.get(b);
                let (signed, cmp) = match op {
                    Opcode::Smin => (true, LtS),
                    Opcode::Smax => (true, GtS),
                    Opcode::Umin => (false, LtU),
                    _ => (false, GtU),
                };
                self.get_maybe_signed(a, signed);
                self.get_maybe_signed(b, signed);
                self.int_op(wide, cmp);
                self.sink().select();
                self.set(self.result(inst, 0));
            }
            Opcode::Ishl => self.shift(inst, ty, Shl, false),
            Opcode::Ushr => self.shift(inst, ty, ShrU, false),
            Opcode::Sshr => self.shift(inst, ty, ShrS, true),
            Opcode::Rotl | Opcode::Rotr => self.rotate(inst, ty, op == Opcode::Rotl),
            Opcode::Clz => {
                self.get(self.arg(inst, 0));
                self.int_op(wide, Clz);
                if is_narrow(ty) {
                    self.sink().i32_const(32 - ty.bits() as i32).i32_sub();
                }
                self.set(self.result(inst, 0));
            }
            Opcode::Ctz => {
                self.get(self.arg(inst, 0));
                if is_narrow(ty) {
                    self.sink().i32_const(1 << ty.bits()).i32_or();
                }
                self.int_op(wide, Ctz);
                self.set(self.result(inst, 0));
            }
            Opcode::Popcnt => self.unary(inst, ty, Popcnt),
            Opcode::Cls => {
                // Leading bits equal to the sign bit, not counting the sign bit itself.
                let a = self.arg(inst, 0);
                self.get_signed(a);
                self.get_signed(a);
                self.int_const(wide, if wide { 63 } else { 31 });
                self.int_op(wide, ShrS);
                self.int_op(wide, Xor);
                self.int_op(wide, Clz);
                let narrow_extra = if is_narrow(ty) {
                    32 - ty.bits() as i64
                } else {
                    0
                };
                self.int_const(wide, 1 + narrow_extra);
                self.int_op(wide, Sub);
                self.set(self.result(inst, 0));
            }
            Opcode::Bswap | Opcode::Bitrev => self.reverse(inst, ty, op == Opcode::Bitrev),
            Opcode::Icmp => self.icmp(inst),
            Opcode::Select | Opcode::SelectSpectreGuard => {
                self.get(self.arg(inst, 1));
                self.get(self.arg(inst, 2));
                self.get_condition(self.arg(inst, 0));
                let result = self.result(inst, 0);
                match self.val_type_of(result) {
                    // References need the typed form of `select`.
                    ty @ ValType::Ref(_) => self.sink().typed_select(ty),
                    _ => self.sink().select(),
                };
                self.set(result);
            }
            Opcode::Bmask => {
                let x = self.arg(inst, 0);
                self.int_const(wide, 0);
                self.get(x);
                let x_wide = self.ty(x) == types::I64;
                self.int_const(x_wide, 0);
                self.int_op(x_wide, Ne);
                if wide {
                    self.sink().i64_extend_i32_u();
                }
                self.int_op(wide, Sub);
                self.finish(inst, ty, true);
            }
            Opcode::Sextend => {
                self.get_signed(self.arg(inst, 0));
                if wide {
                    self.sink().i64_extend_i32_s();
                }
                self.finish(inst, ty, true);
            }
            Opcode::Iconcat => {
                // The controlling type is the halves' type; the result is twice as wide.
                let wide = self.ty(self.result(inst, 0)) == types::I64;
                let half = self.ty(self.arg(inst, 0)).bits() as i64;
                self.get(self.arg(inst, 0));
                if wide {
                    self.sink().i64_extend_i32_u();
                }
                self.get(self.arg(inst, 1));
                if wide {
                    self.sink().i64_extend_i32_u();
                }
                self.int_const(wide, half);
                self.int_op(wide, Shl);
                self.int_op(wide, Or);
                self.set(self.result(inst, 0));
            }
            Opcode::Isplit => {
                let x = self.arg(inst, 0);
                let x_wide = self.ty(x) == types::I64;
                let half_ty = self.ty(self.result(inst, 0));
                self.get(x);
                if x_wide {
                    self.sink().i32_wrap_i64();
                }
                self.mask(half_ty);
                self.set(self.result(inst, 0));
                self.get(x);
                self.int_const(x_wide, half_ty.bits() as i64);
                self.int_op(x_wide, ShrU);
                if x_wide {
                    self.sink().i32_wrap_i64();
                }
                self.set(self.result(inst, 1));
            }
            Opcode::Sdiv => {
                let (a, b) = (self.arg(inst, 0), self.arg(inst, 1));
                self.get_signed(a);
                self.get_signed(b);
                self.int_op(wide, DivS);
                if is_narrow(ty) {
                    // MIN / -1 overflows the narrow type (wasm only traps at i32 MIN).
                    let t = self.locals.scratch(ValType::I32);
                    self.sink()
                        .local_tee(t)
                        .i32_const(1 << (ty.bits() - 1))
                        .i32_eq()
                        .if_(wasm_encoder::BlockType::Empty)
                        .unreachable()
                        .end()
                        .local_get(t);
                    self.locals.release(ValType::I32, t);
                }
                self.finish(inst, ty, true);
            }
            Opcode::Srem => {
                self.get_signed(self.arg(inst, 0));
                self.get_signed(self.arg(inst, 1));
                self.int_op(wide, RemS);
                self.finish(inst, ty, true);
            }
            Opcode::Umulhi | Opcode::Smulhi => self.mulhi(inst, ty, op == Opcode::Smulhi),
            Opcode::UaddOverflow
            | Opcode::SaddOverflow
            | Opcode::UsubOverflow
            | Opcode::SsubOverflow
            | Opcode::UmulOverflow
            | Opcode::SmulOverflow
            | Opcode::UaddOverflowCin
            | Opcode::SaddOverflowCin
            | Opcode::UsubOverflowBin
            | Opcode::SsubOverflowBin
            | Opcode::UaddOverflowTrap => {
                if wide {
                    self.overflow64(inst, op)
                } else {
                    self.overflow_widened(inst, ty, op)
                }
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Bitwise operations on float bits, through the integer of the same width.
    fn float_bitwise(&mut self, inst: ir::Inst, ty: Type, op: Opcode) {
        let double = ty == types::F64;
        let args = self.func.dfg.inst_args(inst).len();
        for i in 0..args {
            self.get(self.arg(inst, i));
            if double {
                self.sink().i64_reinterpret_f64();
            } else {
                self.sink().i32_reinterpret_f32();
            }
        }
        match op {
            Opcode::Band => self.int_op(double, And),
            Opcode::Bor => self.int_op(double, Or),
            Opcode::Bxor => self.int_op(double, Xor),
            _ => {
                self.int_const(double, -1);
                self.int_op(double, Xor);
            }
        }
        if double {
            self.sink().f64_reinterpret_i64();
        } else {
            self.sink().f32_reinterpret_i32();
        }
        self.set(self.result(inst, 0));
    }

    /// Push `value`, sign-extended if `signed`.
    pub(super) fn get_maybe_signed(&mut self, value: ir::Value, signed: bool) {
        // Every caller passes an operand as the scan recorded it, resolved already.
        self.get_resolved(value);
        if signed {
            self.sext(self.ty(value));
        }
    }

    /// Store the top of stack into result 0, masking first if `wraps` and `ty` is narrow.
    pub(super) fn finish(&mut self, inst: ir::Inst, ty: Type, wraps: bool) {
        if wraps {
            self.mask(ty);
        }
        self.set(self.result(inst, 0));
    }

    fn binary(&mut self, inst: ir::Inst, ty: Type, op: IntOp, wraps: bool) {
        // The scan's operands are resolved already.
        let &[a, b] = self.args_of(inst) else {
            unreachable!("a binary instruction has two arguments")
        };
        self.get_resolved(a);
        self.get_resolved(b);
        self.int_op(ty == types::I64, op);
        self.finish(inst, ty, wraps);
    }

    fn unary(&mut self, inst: ir::Inst, ty: Type, op: IntOp) {
        self.get(self.arg(inst, 0));
        self.int_op(ty == types::I64, op);
        self.set(self.result(inst, 0));
    }

    /// Push the shift amount `amount` for a shift of type `ty`, converted to `ty`'s wasm
    /// type and, for narrow types, masked to the type's width (wasm masks i32/i64 itself).
    fn shift_amount(&mut self, amount: ir::Value, ty: Type) {
        let wide = ty == types::I64;
        let amount_wide = self.ty(amount) == types::I64;
        // An operand as the scan recorded it (every caller's), resolved already.
        self.get_resolved(amount);
        match (amount_wide, wide) {
            (true, false) => {
                self.sink().i32_wrap_i64();
            }
            (false, true) => {
                self.sink().i64_extend_i32_u();
            }
            _ => {}
        }
        if is_narrow(ty) {
            self.sink().i32_const(ty.bits() as i32 - 1).i32_and();
        }
    }

    fn shift(&mut self, inst: ir::Inst, ty: Type, op: IntOp, signed: bool) {
        let (a, amount) = (self.arg(inst, 0), self.arg(inst, 1));
        self.get_maybe_signed(a, signed);
        self.shift_amount(amount, ty);
        self.int_op(ty == types::I64, op);
        self.finish(inst, ty, matches!(op, Shl | ShrS));
    }

    fn rotate(&mut self, inst: ir::Inst, ty: Type, left: bool) {
        let (a, amount) = (self.arg(inst, 0), self.arg(inst, 1));
        let wide = ty == types::I64;
        if !is_narrow(ty) {
            self.get(a);
            self.shift_amount(amount, ty);
            self.int_op(wide, if left { Rotl } else { Rotr });
            self.set(self.result(inst, 0));
            return;
        }
        // (a << k | a >> (bits - k)) for rotl; bits - k == bits shifts a narrow value out.
        let k = self.locals.scratch(ValType::I32);
        self.shift_amount(amount, ty);
        self.sink().local_set(k);
        let (first, second) = if left { (Shl, ShrU) } else { (ShrU, Shl) };
        self.get(a);
        self.sink().local_get(k);
        self.int_op(false, first);
        self.get(a);
        self.sink()
            .i32_const(ty.bits() as i32)
            .local_get(k)
            .i32_sub();
        self.int_op(false, second);
        self.sink().i32_or();
        self.locals.release(ValType::I32, k);
        self.finish(inst, ty, true);
    }

    fn reverse(&mut self, inst: ir::Inst, ty: Type, bits: bool) {
        self.get(self.arg(inst, 0));
        if ty == types::I16 && !bits {
            self.reverse_top(16, false);
        } else {
            let width = if ty == types::I64 { 64 } else { 32 };
            self.reverse_top(width, bits);
            if is_narrow(ty) {
                // Reversed in 32 bits: the narrow result sits in the top bits.
                self.sink().i32_const(32 - ty.bits() as i32).i32_shr_u();
            }
        }
        self.set(self.result(inst, 0));
    }

    /// Reverse the bytes (or, with `bits`, the bits) of the `width`-bit integer on top of
    /// the stack (16, 32 or 64; a 16-bit value must be zero-extended). Shift-and-mask steps
    /// swap ever larger groups, then a rotate swaps the two halves of the word.
    pub(crate) fn reverse_top(&mut self, width: u32, bits: bool) {
        if width == 16 {
            let t = self.locals.scratch(ValType::I32);
            self.sink()
                .local_tee(t)
                .i32_const(0xff)
                .i32_and()
                .i32_const(8)
                .i32_shl()
                .local_get(t)
                .i32_const(8)
                .i32_shr_u()
                .i32_or();
            self.locals.release(ValType::I32, t);
            return;
        }
        let wide = width == 64;
        let steps: &[(i64, i64)] = &[
            (1, 0x5555_5555_5555_5555),
            (2, 0x3333_3333_3333_3333),
            (4, 0x0f0f_0f0f_0f0f_0f0f),
            (8, 0x00ff_00ff_00ff_00ff),
            (16, 0x0000_ffff_0000_ffff),
        ];
        let first = if bits { 0 } else { 3 };
        let last = if wide { 5 } else { 4 };
        let vt = if wide { ValType::I64 } else { ValType::I32 };
        let t = self.locals.scratch(vt);
        self.sink().local_set(t);
        for &(shift, mask) in &steps[first..last] {
            let mask = if wide { mask } else { mask & 0xffff_ffff };
            self.sink().local_get(t);
            self.int_const(wide, shift);
            self.int_op(wide, ShrU);
            self.int_const(wide, mask);
            self.int_op(wide, And);
            self.sink().local_get(t);
            self.int_const(wide, mask);
            self.int_op(wide, And);
            self.int_const(wide, shift);
            self.int_op(wide, Shl);
            self.int_op(wide, Or);
            self.sink().local_set(t);
        }
        self.sink().local_get(t);
        self.int_const(wide, i64::from(width / 2));
        self.int_op(wide, Rotl);
        self.locals.release(vt, t);
    }

    fn icmp(&mut self, inst: ir::Inst) {
        let InstructionData::IntCompare { cond, .. } = self.func.dfg.insts[inst] else {
            unreachable!("icmp has a condition code")
        };
        let &[a, b] = self.args_of(inst) else {
            unreachable!("icmp has two arguments")
        };
        let wide = self.ty(a) == types::I64;
        let (signed, op) = match cond {
            IntCC::Equal => (false, Eq),
            IntCC::NotEqual => (false, Ne),
            IntCC::SignedLessThan => (true, LtS),
            IntCC::SignedGreaterThanOrEqual => (true, GeS),
            IntCC::SignedGreaterThan => (true, GtS),
            IntCC::SignedLessThanOrEqual => (true, LeS),
            IntCC::UnsignedLessThan => (false, LtU),
            IntCC::UnsignedGreaterThanOrEqual => (false, GeU),
            IntCC::UnsignedGreaterThan => (false, GtU),
            IntCC::UnsignedLessThanOrEqual => (false, LeU),
        };
        if matches!(cond, IntCC::Equal | IntCC::NotEqual) && self.const_of(b) == Some(0) {
            // Comparing with zero: `eqz`, without pushing the zero.
            self.get_resolved(a);
            let mut s = self.sink();
            if wide {
                s.i64_eqz();
            } else {
                s.i32_eqz();
            }
            if cond == IntCC::NotEqual {
                s.i32_eqz();
            }
        } else {
            self.get_maybe_signed(a, signed);
            self.get_maybe_signed(b, signed);
            self.int_op(wide, op);
        }
        self.set(self.result(inst, 0));
    }
}
