//! Generating one instruction: integer, float and conversion operations, memory and
//! off-heap accesses, calls and traps, each a well-typed CLIF line on values in scope.

use super::ops::FuncGen;
use super::{mask, Ty};
use arbitrary::{Result, Unstructured};
use std::fmt::Write;

impl FuncGen<'_> {
    pub(super) fn instruction(&mut self, u: &mut Unstructured) -> Result<()> {
        match u.int_in_range(0..=39)? {
            0..=15 => self.int_op(u),
            16..=23 => self.float_op(u),
            24..=28 => self.memory(u),
            29..=31 => self.off_heap(u),
            32..=35 => self.conversion(u),
            36..=38 => self.call(u),
            _ => self.trap(u),
        }
    }

    fn int_op(&mut self, u: &mut Unstructured) -> Result<()> {
        let t = *u.choose(&Ty::INTS)?;
        let tn = t.name();
        match u.int_in_range(0..=7)? {
            0 => {
                let op = *u.choose(&[
                    "iadd", "isub", "imul", "band", "bor", "bxor", "smin", "smax", "umin", "umax",
                    "umulhi", "smulhi", "udiv", "sdiv", "urem",
                ])?;
                let (a, mut b) = (self.val(u, t)?, self.val(u, t)?);
                if matches!(op, "udiv" | "sdiv" | "urem") && u.ratio(7, 8)? {
                    // Mostly non-zero divisors, so that runs go on past the division.
                    let one = self.fresh();
                    writeln!(self.out, "    v{one} = iconst.{tn} 1").unwrap();
                    b = self.def(t, &format!("bor v{b}, v{one}"));
                }
                self.def(t, &format!("{op} v{a}, v{b}"));
            }
            1 => {
                // srem by an even divisor: never MIN % -1 (see docs/design.md).
                let (a, b) = (self.val(u, t)?, self.val(u, t)?);
                let m = self.fresh();
                writeln!(self.out, "    v{m} = iconst.{tn} {}", -2i64 & mask(t)).unwrap();
                let mut even = self.def(t, &format!("band v{b}, v{m}"));
                if u.ratio(7, 8)? {
                    let two = self.fresh();
                    writeln!(self.out, "    v{two} = iconst.{tn} 2").unwrap();
                    even = self.def(t, &format!("bor v{even}, v{two}"));
                }
                self.def(t, &format!("srem v{a}, v{even}"));
            }
            2 => {
                let op = *u.choose(&["ishl", "ushr", "sshr", "rotl", "rotr"])?;
                let a = self.val(u, t)?;
                let at = *u.choose(&Ty::INTS)?;
                let b = self.val(u, at)?;
                self.def(t, &format!("{op} v{a}, v{b}"));
            }
            3 => {
                let mut menu = vec![
                    "ineg", "iabs", "bnot", "clz", "ctz", "cls", "popcnt", "bitrev",
                ];
                if t != Ty::I8 {
                    menu.push("bswap");
                }
                let op = *u.choose(&menu)?;
                let a = self.val(u, t)?;
                self.def(t, &format!("{op} v{a}"));
            }
            4 => {
                let cc = *u.choose(&[
                    "eq", "ne", "slt", "sge", "sgt", "sle", "ult", "uge", "ugt", "ule",
                ])?;
                let (a, b) = (self.val(u, t)?, self.val(u, t)?);
                self.def(Ty::I8, &format!("icmp {cc} v{a}, v{b}"));
            }
            5 => {
                let ct = *u.choose(&Ty::INTS)?;
                let vt = *u.choose(&Ty::ALL)?;
                let c = self.val(u, ct)?;
                let (a, b) = (self.val(u, vt)?, self.val(u, vt)?);
                self.def(vt, &format!("select v{c}, v{a}, v{b}"));
            }
            6 => {
                let mut menu = vec![
                    "uadd_overflow",
                    "sadd_overflow",
                    "usub_overflow",
                    "ssub_overflow",
                    "umul_overflow",
                    "smul_overflow",
                    "uadd_overflow_cin",
                    "usub_overflow_bin",
                ];
                if t.bits() >= 32 {
                    menu.push("uadd_overflow_trap");
                }
                let op = *u.choose(&menu)?;
                let (a, b) = (self.val(u, t)?, self.val(u, t)?);
                if op == "uadd_overflow_trap" {
                    self.def(t, &format!("{op} v{a}, v{b}, user1"));
                } else if op.ends_with("cin") || op.ends_with("bin") {
                    let c = self.val(u, Ty::I8)?;
                    let (r, f) = (self.fresh(), self.fresh());
                    writeln!(self.out, "    v{r}, v{f} = {op} v{a}, v{b}, v{c}").unwrap();
                    self.pool.entry(t).or_default().push(r);
                    self.pool.entry(Ty::I8).or_default().push(f);
                } else {
                    let (r, f) = (self.fresh(), self.fresh());
                    writeln!(self.out, "    v{r}, v{f} = {op} v{a}, v{b}").unwrap();
                    self.pool.entry(t).or_default().push(r);
                    self.pool.entry(Ty::I8).or_default().push(f);
                }
            }
            _ => {
                let ct = *u.choose(&Ty::INTS)?;
                let c = self.val(u, ct)?;
                self.def(t, &format!("bmask.{tn} v{c}"));
            }
        }
        Ok(())
    }

    fn float_op(&mut self, u: &mut Unstructured) -> Result<()> {
        let t = *u.choose(&[Ty::F32, Ty::F64])?;
        match u.int_in_range(0..=3)? {
            0 => {
                let op =
                    *u.choose(&["fadd", "fsub", "fmul", "fdiv", "fmin", "fmax", "fcopysign"])?;
                let a = self.val(u, t)?;
                // The sign of a NaN is unspecified: copy signs only from canonical values.
                let b = if op == "fcopysign" {
                    self.canonical(u, t)?
                } else {
                    self.val(u, t)?
                };
                self.def(t, &format!("{op} v{a}, v{b}"));
            }
            1 => {
                let op =
                    *u.choose(&["sqrt", "fabs", "fneg", "ceil", "floor", "trunc", "nearest"])?;
                let a = self.val(u, t)?;
                self.def(t, &format!("{op} v{a}"));
            }
            2 => {
                let (a, b, c) = (self.val(u, t)?, self.val(u, t)?, self.val(u, t)?);
                self.def(t, &format!("fma v{a}, v{b}, v{c}"));
            }
            _ => {
                let cc = *u.choose(&[
                    "ord", "uno", "eq", "ne", "one", "ueq", "lt", "le", "gt", "ge", "ult", "ule",
                    "ugt", "uge",
                ])?;
                let (a, b) = (self.val(u, t)?, self.val(u, t)?);
                self.def(Ty::I8, &format!("fcmp {cc} v{a}, v{b}"));
            }
        }
        Ok(())
    }

    fn conversion(&mut self, u: &mut Unstructured) -> Result<()> {
        match u.int_in_range(0..=5)? {
            0 => {
                let (from, to) = (*u.choose(&Ty::INTS)?, *u.choose(&Ty::INTS)?);
                let a = self.val(u, from)?;
                if to.bits() > from.bits() {
                    let op = *u.choose(&["uextend", "sextend"])?;
                    self.def(to, &format!("{op}.{} v{a}", to.name()));
                } else if to.bits() < from.bits() {
                    self.def(to, &format!("ireduce.{} v{a}", to.name()));
                }
            }
            1 => {
                let (f, i) = (*u.choose(&[Ty::F32, Ty::F64])?, *u.choose(&Ty::INTS)?);
                let op = *u.choose(&[
                    "fcvt_to_sint",
                    "fcvt_to_uint",
                    "fcvt_to_sint_sat",
                    "fcvt_to_uint_sat",
                    "fcvt_to_sint_sat",
                    "fcvt_to_uint_sat",
                ])?;
                let a = self.val(u, f)?;
                self.def(i, &format!("{op}.{} v{a}", i.name()));
            }
            2 => {
                let (f, i) = (*u.choose(&[Ty::F32, Ty::F64])?, *u.choose(&Ty::INTS)?);
                let op = *u.choose(&["fcvt_from_sint", "fcvt_from_uint"])?;
                let a = self.val(u, i)?;
                self.def(f, &format!("{op}.{} v{a}", f.name()));
            }
            3 => {
                if u.ratio(1, 2)? {
                    let a = self.val(u, Ty::F32)?;
                    self.def(Ty::F64, &format!("fpromote.f64 v{a}"));
                } else {
                    let a = self.val(u, Ty::F64)?;
                    self.def(Ty::F32, &format!("fdemote.f32 v{a}"));
                }
            }
            4 => {
                let (f, i) = *u.choose(&[(Ty::F32, Ty::I32), (Ty::F64, Ty::I64)])?;
                if u.ratio(1, 2)? {
                    let a = self.canonical(u, f)?;
                    self.def(i, &format!("bitcast.{} v{a}", i.name()));
                } else {
                    let a = self.val(u, i)?;
                    self.def(f, &format!("bitcast.{} v{a}", f.name()));
                }
            }
            // iconcat/isplit below i128 are not implemented by the interpreter (it
            // panics); the end-to-end tests check them against exact values instead.
            _ => self.int_op(u)?,
        }
        Ok(())
    }

    fn memory(&mut self, u: &mut Unstructured) -> Result<()> {
        let t = *u.choose(&Ty::ALL)?;
        let endian = if u.ratio(1, 5)? { " big" } else { "" };
        if u.ratio(1, 2)? {
            // Store, possibly narrowing.
            let (op, bytes) = if t.is_int() && t.bits() > 8 && u.ratio(1, 3)? {
                let narrow: Vec<(&str, u32)> = [("istore8", 1), ("istore16", 2), ("istore32", 4)]
                    .into_iter()
                    .filter(|&(_, b)| b < t.bytes())
                    .collect();
                *u.choose(&narrow)?
            } else {
                ("store", t.bytes())
            };
            let v = if t.is_int() {
                self.val(u, t)?
            } else {
                self.canonical(u, t)?
            };
            let (base, off) = self.address(u, bytes)?;
            writeln!(self.out, "    {op}{endian} v{v}, v{base}+{off}").unwrap();
        } else {
            let (op, bytes) = if t.is_int() && t.bits() > 8 && u.ratio(1, 3)? {
                let ext: Vec<(&str, u32)> = [
                    ("uload8", 1),
                    ("sload8", 1),
                    ("uload16", 2),
                    ("sload16", 2),
                    ("uload32", 4),
                    ("sload32", 4),
                ]
                .into_iter()
                .filter(|&(_, b)| b < t.bytes())
                .collect();
                *u.choose(&ext)?
            } else {
                ("load", t.bytes())
            };
            let (base, off) = self.address(u, bytes)?;
            self.def(t, &format!("{op}.{}{endian} v{base}+{off}", t.name()));
        }
        Ok(())
    }

    fn off_heap(&mut self, u: &mut Unstructured) -> Result<()> {
        let mut places: Vec<(u32, Ty, bool)> = self
            .value_slots
            .iter()
            .map(|&(a, t)| (a, t, true))
            .collect();
        places.extend(self.global_addrs.iter().copied());
        if places.is_empty() {
            return self.int_op(u);
        }
        let (addr, t, writable) = *u.choose(&places)?;
        if writable && u.ratio(1, 2)? {
            let v = self.val(u, t)?;
            writeln!(self.out, "    store v{v}, v{addr}").unwrap();
        } else {
            self.def(t, &format!("load.{} v{addr}", t.name()));
        }
        Ok(())
    }

    fn call(&mut self, u: &mut Unstructured) -> Result<()> {
        if self.callees.is_empty() {
            return self.int_op(u);
        }
        let (fr, sr, j) = *u.choose(&self.callees.clone())?;
        // Callees get at most the fuel 3, so call trees stay small.
        let f = self.fresh();
        writeln!(self.out, "    v{f} = iconst.i32 3").unwrap();
        let args = self.call_args(u, j, f)?;
        let rets: Vec<u32> = self.sigs[j].returns.iter().map(|_| self.fresh()).collect();
        let lhs: Vec<String> = rets.iter().map(|r| format!("v{r}")).collect();
        if u.ratio(1, 2)? {
            writeln!(self.out, "    {} = call fn{fr}({args})", lhs.join(", ")).unwrap();
        } else {
            let a = self.fresh();
            writeln!(self.out, "    v{a} = func_addr.i64 fn{fr}").unwrap();
            writeln!(
                self.out,
                "    {} = call_indirect sig{sr}, v{a}({args})",
                lhs.join(", ")
            )
            .unwrap();
        }
        for (r, t) in rets.iter().zip(self.sigs[j].returns.clone()) {
            self.pool.entry(t).or_default().push(*r);
        }
        Ok(())
    }

    fn trap(&mut self, u: &mut Unstructured) -> Result<()> {
        let t = *u.choose(&Ty::INTS)?;
        let mut c = self.val(u, t)?;
        if u.ratio(3, 4)? {
            // Mostly conditions that rarely hold, so that runs go on.
            let k = self.constant(u, t)?;
            c = self.def(Ty::I8, &format!("icmp eq v{c}, v{k}"));
        }
        writeln!(self.out, "    trapnz v{c}, user1").unwrap();
        Ok(())
    }
}
