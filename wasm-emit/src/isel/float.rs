//! Float instructions: arithmetic, comparisons (every FloatCC), conversions to and from
//! every integer width (trapping and saturating), bit casts, and fma through a correctly
//! rounded runtime helper (wasm has no scalar fma, and `a*b+c` rounds twice).

use crate::error::Result;
use crate::func::FuncLower;
use crate::runtime::Helper;
use crate::types::is_narrow;
use cranelift_codegen::ir::{self, condcodes::FloatCC, types, InstructionData, Opcode, Type};
use wasm_encoder::{BlockType, Ieee32, Ieee64, ValType};

/// Float operations that exist for both f32 and f64.
#[derive(Clone, Copy, Debug)]
enum FloatOp {
    Add,
    Sub,
    Mul,
    Div,
    Sqrt,
    Abs,
    Neg,
    Copysign,
    Min,
    Max,
    Ceil,
    Floor,
    Trunc,
    Nearest,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
}

impl FuncLower<'_> {
    fn float_op(&mut self, double: bool, op: FloatOp) {
        use FloatOp::*;
        let mut s = self.sink();
        if double {
            match op {
                Add => s.f64_add(),
                Sub => s.f64_sub(),
                Mul => s.f64_mul(),
                Div => s.f64_div(),
                Sqrt => s.f64_sqrt(),
                Abs => s.f64_abs(),
                Neg => s.f64_neg(),
                Copysign => s.f64_copysign(),
                Min => s.f64_min(),
                Max => s.f64_max(),
                Ceil => s.f64_ceil(),
                Floor => s.f64_floor(),
                Trunc => s.f64_trunc(),
                Nearest => s.f64_nearest(),
                Eq => s.f64_eq(),
                Ne => s.f64_ne(),
                Lt => s.f64_lt(),
                Gt => s.f64_gt(),
                Le => s.f64_le(),
                Ge => s.f64_ge(),
            };
        } else {
            match op {
                Add => s.f32_add(),
                Sub => s.f32_sub(),
                Mul => s.f32_mul(),
                Div => s.f32_div(),
                Sqrt => s.f32_sqrt(),
                Abs => s.f32_abs(),
                Neg => s.f32_neg(),
                Copysign => s.f32_copysign(),
                Min => s.f32_min(),
                Max => s.f32_max(),
                Ceil => s.f32_ceil(),
                Floor => s.f32_floor(),
                Trunc => s.f32_trunc(),
                Nearest => s.f32_nearest(),
                Eq => s.f32_eq(),
                Ne => s.f32_ne(),
                Lt => s.f32_lt(),
                Gt => s.f32_gt(),
                Le => s.f32_le(),
                Ge => s.f32_ge(),
            };
        }
    }

    pub(super) fn float_inst(&mut self, inst: ir::Inst, op: Opcode, ty: Type) -> Result<bool> {
        let dfg = &self.func.dfg;
        let double = ty == types::F64;
        let simple = match op {
            Opcode::Fadd => Some(FloatOp::Add),
            Opcode::Fsub => Some(FloatOp::Sub),
            Opcode::Fmul => Some(FloatOp::Mul),
            Opcode::Fdiv => Some(FloatOp::Div),
            Opcode::Sqrt => Some(FloatOp::Sqrt),
            Opcode::Fabs => Some(FloatOp::Abs),
            Opcode::Fneg => Some(FloatOp::Neg),
            Opcode::Fcopysign => Some(FloatOp::Copysign),
            Opcode::Fmin => Some(FloatOp::Min),
            Opcode::Fmax => Some(FloatOp::Max),
            Opcode::Ceil => Some(FloatOp::Ceil),
            Opcode::Floor => Some(FloatOp::Floor),
            Opcode::Trunc => Some(FloatOp::Trunc),
            Opcode::Nearest => Some(FloatOp::Nearest),
            _ => None,
        };
        if let Some(fop) = simple {
            for i in 0..dfg.inst_args(inst).len() {
                self.get(self.arg(inst, i));
            }
            self.float_op(double, fop);
            self.set(self.result(inst, 0));
            return Ok(true);
        }
        match op {
            Opcode::F32const => {
                let InstructionData::UnaryIeee32 { imm, .. } = dfg.insts[inst] else {
                    unreachable!("f32const has an immediate")
                };
                self.sink().f32_const(Ieee32::new(imm.bits()));
                self.set(self.result(inst, 0));
            }
            Opcode::F64const => {
                let InstructionData::UnaryIeee64 { imm, .. } = dfg.insts[inst] else {
                    unreachable!("f64const has an immediate")
                };
                self.sink().f64_const(Ieee64::new(imm.bits()));
                self.set(self.result(inst, 0));
            }
            Opcode::Fma => {
                for i in 0..3 {
                    self.get(self.arg(inst, i));
                }
                let helper = if double {
                    Helper::FmaF64
                } else {
                    Helper::FmaF32
                };
                self.call_helper(helper);
                self.set(self.result(inst, 0));
            }
            Opcode::Fcmp => self.fcmp(inst),
            Opcode::Fpromote => {
                self.get(self.arg(inst, 0));
                self.sink().f64_promote_f32();
                self.set(self.result(inst, 0));
            }
            Opcode::Fdemote => {
                self.get(self.arg(inst, 0));
                self.sink().f32_demote_f64();
                self.set(self.result(inst, 0));
            }
            Opcode::FcvtToSint | Opcode::FcvtToUint => {
                self.float_to_int(inst, ty, op == Opcode::FcvtToSint, false)
            }
            Opcode::FcvtToSintSat | Opcode::FcvtToUintSat => {
                self.float_to_int(inst, ty, op == Opcode::FcvtToSintSat, true)
            }
            Opcode::FcvtFromSint | Opcode::FcvtFromUint => {
                self.int_to_float(inst, ty, op == Opcode::FcvtFromSint)
            }
            Opcode::Bitcast => {
                let from = self.ty(self.arg(inst, 0));
                self.get(self.arg(inst, 0));
                let mut s = self.sink();
                match (from, ty) {
                    (types::I32, types::F32) => s.f32_reinterpret_i32(),
                    (types::F32, types::I32) => s.i32_reinterpret_f32(),
                    (types::I64, types::F64) => s.f64_reinterpret_i64(),
                    (types::F64, types::I64) => s.i64_reinterpret_f64(),
                    _ => &mut s,
                };
                self.set(self.result(inst, 0));
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn fcmp(&mut self, inst: ir::Inst) {
        use FloatOp::*;
        let InstructionData::FloatCompare { cond, .. } = self.func.dfg.insts[inst] else {
            unreachable!("fcmp has a condition code")
        };
        let (a, b) = (self.arg(inst, 0), self.arg(inst, 1));
        let double = self.ty(a) == types::F64;
        // `first(a, b)`, or-ed with `second(a, b)` if present, then negated if asked.
        let (first, second, negate) = match cond {
            FloatCC::Equal => (Eq, None, false),
            FloatCC::NotEqual => (Ne, None, false),
            FloatCC::LessThan => (Lt, None, false),
            FloatCC::LessThanOrEqual => (Le, None, false),
            FloatCC::GreaterThan => (Gt, None, false),
            FloatCC::GreaterThanOrEqual => (Ge, None, false),
            FloatCC::UnorderedOrGreaterThanOrEqual => (Lt, None, true),
            FloatCC::UnorderedOrGreaterThan => (Le, None, true),
            FloatCC::UnorderedOrLessThanOrEqual => (Gt, None, true),
            FloatCC::UnorderedOrLessThan => (Ge, None, true),
            FloatCC::OrderedNotEqual => (Lt, Some(Gt), false),
            FloatCC::UnorderedOrEqual => (Lt, Some(Gt), true),
            FloatCC::Ordered | FloatCC::Unordered => {
                // Each operand equals itself unless it is NaN.
                let ordered = cond == FloatCC::Ordered;
                let cmp = if ordered { Eq } else { Ne };
                self.get(a);
                self.get(a);
                self.float_op(double, cmp);
                self.get(b);
                self.get(b);
                self.float_op(double, cmp);
                if ordered {
                    self.sink().i32_and();
                } else {
                    self.sink().i32_or();
                }
                self.set(self.result(inst, 0));
                return;
            }
        };
        self.get(a);
        self.get(b);
        self.float_op(double, first);
        if let Some(second) = second {
            self.get(a);
            self.get(b);
            self.float_op(double, second);
            self.sink().i32_or();
        }
        if negate {
            self.sink().i32_eqz();
        }
        self.set(self.result(inst, 0));
    }

    fn float_to_int(&mut self, inst: ir::Inst, ty: Type, signed: bool, saturating: bool) {
        let x = self.arg(inst, 0);
        let double = self.ty(x) == types::F64;
        self.get(x);
        let to_i64 = ty == types::I64;
        let mut s = self.sink();
        match (to_i64, double, signed, saturating) {
            (false, false, true, false) => s.i32_trunc_f32_s(),
            (false, false, false, false) => s.i32_trunc_f32_u(),
            (false, true, true, false) => s.i32_trunc_f64_s(),
            (false, true, false, false) => s.i32_trunc_f64_u(),
            (true, false, true, false) => s.i64_trunc_f32_s(),
            (true, false, false, false) => s.i64_trunc_f32_u(),
            (true, true, true, false) => s.i64_trunc_f64_s(),
            (true, true, false, false) => s.i64_trunc_f64_u(),
            (false, false, true, true) => s.i32_trunc_sat_f32_s(),
            (false, false, false, true) => s.i32_trunc_sat_f32_u(),
            (false, true, true, true) => s.i32_trunc_sat_f64_s(),
            (false, true, false, true) => s.i32_trunc_sat_f64_u(),
            (true, false, true, true) => s.i64_trunc_sat_f32_s(),
            (true, false, false, true) => s.i64_trunc_sat_f32_u(),
            (true, true, true, true) => s.i64_trunc_sat_f64_s(),
            (true, true, false, true) => s.i64_trunc_sat_f64_u(),
        };
        if is_narrow(ty) {
            // Truncated exactly in i32; now bring it into the narrow range.
            let bits = ty.bits();
            let (min, max) = if signed {
                (-(1i32 << (bits - 1)), (1i32 << (bits - 1)) - 1)
            } else {
                (0, ((1u32 << bits) - 1) as i32)
            };
            let t = self.locals.scratch(ValType::I32);
            let mut s = self.sink();
            if saturating {
                s.local_set(t);
                if signed {
                    s.i32_const(min)
                        .local_get(t)
                        .local_get(t)
                        .i32_const(min)
                        .i32_lt_s()
                        .select()
                        .local_set(t);
                }
                s.i32_const(max).local_get(t).local_get(t).i32_const(max);
                if signed {
                    s.i32_gt_s();
                } else {
                    s.i32_gt_u();
                }
                s.select();
            } else {
                s.local_tee(t);
                if signed {
                    s.i32_const(min)
                        .i32_lt_s()
                        .local_get(t)
                        .i32_const(max)
                        .i32_gt_s()
                        .i32_or();
                } else {
                    s.i32_const(max).i32_gt_u();
                }
                s.if_(BlockType::Empty).unreachable().end().local_get(t);
            }
            self.locals.release(ValType::I32, t);
            self.mask(ty);
        }
        self.set(self.result(inst, 0));
    }

    fn int_to_float(&mut self, inst: ir::Inst, ty: Type, signed: bool) {
        let x = self.arg(inst, 0);
        let from_i64 = self.ty(x) == types::I64;
        if signed {
            self.get_signed(x);
        } else {
            self.get(x);
        }
        let double = ty == types::F64;
        let mut s = self.sink();
        match (double, from_i64, signed) {
            (false, false, true) => s.f32_convert_i32_s(),
            (false, false, false) => s.f32_convert_i32_u(),
            (false, true, true) => s.f32_convert_i64_s(),
            (false, true, false) => s.f32_convert_i64_u(),
            (true, false, true) => s.f64_convert_i32_s(),
            (true, false, false) => s.f64_convert_i32_u(),
            (true, true, true) => s.f64_convert_i64_s(),
            (true, true, false) => s.f64_convert_i64_u(),
        };
        self.set(self.result(inst, 0));
    }
}
