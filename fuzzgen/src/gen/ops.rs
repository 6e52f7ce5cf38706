//! Generating one function: its preamble, its blocks and their instructions.

use super::{f32_literal, f64_literal, mask, FuncSig, Ty, HEAP_BASE};
use arbitrary::{Result, Unstructured};
use std::collections::HashMap;
use std::fmt::Write;

/// An addressable explicit slot of the function.
struct Slot {
    addr: u32,
    size: u32,
}

/// Generates the text of function `%f{index}`.
pub struct FuncGen<'a> {
    index: usize,
    sigs: &'a [FuncSig],
    globals: &'a [(Ty, bool)],
    pub out: String,
    next: u32,
    /// Values usable at the current point, by type (entry values first).
    pool: HashMap<Ty, Vec<u32>>,
    entry_len: HashMap<Ty, usize>,
    slots: Vec<Slot>,
    value_slots: Vec<(u32, Ty)>,
    global_addrs: Vec<(u32, Ty, bool)>,
    heap_base: u32,
    ptr: Option<u32>,
    /// Body blocks: their extra parameter types (after fuel).
    blocks: Vec<Vec<Ty>>,
    /// Callees `(fn ref, sig ref, function index)`.
    callees: Vec<(usize, usize, usize)>,
    insts: usize,
}

impl<'a> FuncGen<'a> {
    pub fn new(index: usize, sigs: &'a [FuncSig], globals: &'a [(Ty, bool)]) -> Self {
        FuncGen {
            index,
            sigs,
            globals,
            out: String::new(),
            next: 0,
            pool: HashMap::new(),
            entry_len: HashMap::new(),
            slots: Vec::new(),
            value_slots: Vec::new(),
            global_addrs: Vec::new(),
            heap_base: 0,
            ptr: None,
            blocks: Vec::new(),
            callees: Vec::new(),
            insts: 0,
        }
    }

    fn fresh(&mut self) -> u32 {
        let v = self.next;
        self.next += 1;
        v
    }

    fn def(&mut self, ty: Ty, rhs: &str) -> u32 {
        let v = self.fresh();
        writeln!(self.out, "    v{v} = {rhs}").unwrap();
        self.pool.entry(ty).or_default().push(v);
        v
    }

    /// A value of type `ty`: an existing one, or a new constant.
    fn val(&mut self, u: &mut Unstructured, ty: Ty) -> Result<u32> {
        let have = self.pool.get(&ty).map_or(0, Vec::len);
        if have > 0 && u.ratio(4, 5)? {
            let i = u.choose_index(have)?;
            return Ok(self.pool[&ty][i]);
        }
        self.constant(u, ty)
    }

    fn constant(&mut self, u: &mut Unstructured, ty: Ty) -> Result<u32> {
        let text = match ty {
            Ty::F32 => {
                let bits = *u.choose(&[
                    0u32,
                    0x8000_0000,
                    0x3f80_0000,
                    0x7f80_0000,
                    0x0000_0001,
                    0x4f00_0000,
                ])?;
                let bits = if u.ratio(1, 2)? { u.arbitrary()? } else { bits };
                format!("f32const {}", f32_literal(canon32(bits)))
            }
            Ty::F64 => {
                let bits = *u.choose(&[
                    0u64,
                    1 << 63,
                    0x3ff0_0000_0000_0000,
                    0x7ff0_0000_0000_0000,
                    1,
                    0x43e0_0000_0000_0000,
                ])?;
                let bits = if u.ratio(1, 2)? { u.arbitrary()? } else { bits };
                format!("f64const {}", f64_literal(canon64(bits)))
            }
            t => {
                let interesting = [
                    0i64,
                    1,
                    -1,
                    2,
                    7,
                    i64::MIN,
                    i64::MAX,
                    0x80,
                    0x8000,
                    0x8000_0000,
                ];
                let v = if u.ratio(1, 2)? {
                    *u.choose(&interesting)?
                } else {
                    u.arbitrary()?
                };
                format!("iconst.{} {}", t.name(), v & mask(t))
            }
        };
        Ok(self.def(ty, &text))
    }

    /// A float value whose NaNs are canonical (safe to observe as bits).
    fn canonical(&mut self, u: &mut Unstructured, ty: Ty) -> Result<u32> {
        let v = self.val(u, ty)?;
        let c = self.fresh();
        writeln!(self.out, "    v{c} = fcmp uno v{v}, v{v}").unwrap();
        let nan = self.fresh();
        writeln!(self.out, "    v{nan} = {}const +NaN", ty.name()).unwrap();
        Ok(self.def(ty, &format!("select v{c}, v{nan}, v{v}")))
    }

    /// Generate the whole function.
    pub fn generate(&mut self, u: &mut Unstructured) -> Result<()> {
        let sig = self.sigs[self.index].clone();
        writeln!(self.out, "function %f{}{} {{", self.index, sig.text("tail")).unwrap();
        // Preamble.
        let num_slots = u.int_in_range(0..=2)?;
        let mut slot_sizes = Vec::new();
        for k in 0..num_slots {
            let size = 16 * u.int_in_range(1..=3)?;
            writeln!(self.out, "    ss{k} = explicit_slot {size}, align = 8").unwrap();
            slot_sizes.push(size);
        }
        let num_value_slots = u.int_in_range(0..=2)?;
        let mut value_slot_types = Vec::new();
        for k in 0..num_value_slots {
            let t = *u.choose(&[Ty::I32, Ty::I64, Ty::F32, Ty::F64])?;
            writeln!(
                self.out,
                "    ss{} = value_slot {}",
                num_slots + k,
                t.name()
            )
            .unwrap();
            value_slot_types.push(t);
        }
        for (g, _) in self.globals.iter().enumerate() {
            writeln!(self.out, "    gv{g} = wasm_global %g{g}").unwrap();
        }
        for (k, j) in (self.index + 1..self.sigs.len()).enumerate() {
            writeln!(self.out, "    sig{k} = {}", self.sigs[j].text("tail")).unwrap();
            writeln!(self.out, "    fn{k} = %f{j} sig{k}").unwrap();
            self.callees.push((k, k, j));
        }
        // Entry block.
        let params = sig.clif_params();
        let mut header = Vec::new();
        for (i, p) in params.iter().enumerate() {
            let v = self.fresh();
            header.push(format!("v{v}: {p}"));
            if i == 0 {
                continue;
            }
            if sig.has_ptr && i == params.len() - 1 {
                self.ptr = Some(v);
            } else {
                self.pool.entry(sig.params[i - 1]).or_default().push(v);
            }
        }
        writeln!(self.out, "\nblock0({}):", header.join(", ")).unwrap();
        for (k, &size) in slot_sizes.iter().enumerate() {
            let addr = self.fresh();
            writeln!(self.out, "    v{addr} = stack_addr.i64 ss{k}").unwrap();
            self.slots.push(Slot { addr, size });
            // Slot addresses are plain integers to both sides: let them flow.
            if u.ratio(1, 3)? {
                self.pool.entry(Ty::I64).or_default().push(addr);
            }
        }
        for (k, &t) in value_slot_types.iter().enumerate() {
            let addr = self.fresh();
            writeln!(self.out, "    v{addr} = stack_addr.i64 ss{}", num_slots + k).unwrap();
            self.value_slots.push((addr, t));
        }
        for (g, &(t, m)) in self.globals.iter().enumerate() {
            let addr = self.fresh();
            writeln!(self.out, "    v{addr} = symbol_value.i64 gv{g}").unwrap();
            self.global_addrs.push((addr, t, m));
        }
        self.heap_base = self.fresh();
        writeln!(self.out, "    v{} = iconst.i64 {HEAP_BASE}", self.heap_base).unwrap();
        // Fuel for this function's loops: the fuel parameter (v0), at most 15.
        let fifteen = self.fresh();
        writeln!(self.out, "    v{fifteen} = iconst.i32 15").unwrap();
        let fuel = self.fresh();
        writeln!(self.out, "    v{fuel} = band v0, v{fifteen}").unwrap();
        for t in Ty::ALL {
            self.entry_len
                .insert(t, self.pool.get(&t).map_or(0, Vec::len));
        }
        // Body blocks: 1..=n; their continuations n+1..=2n; the exit 2n+1.
        let n = u.int_in_range(1..=5)?;
        for _ in 0..n {
            let k = u.int_in_range(0..=2)?;
            let params = (0..k).map(|_| ty(u)).collect::<Result<Vec<_>>>()?;
            self.blocks.push(params);
        }
        let args = self.block_args(u, 1)?;
        writeln!(self.out, "    jump block1(v{fuel}{args})").unwrap();
        for b in 1..=n {
            self.body_block(u, b, n)?;
        }
        // Exit.
        let rets: Vec<String> = sig
            .returns
            .iter()
            .map(|t| {
                let v = self.fresh();
                format!("v{v}: {}", t.name())
            })
            .collect();
        let names: Vec<String> = rets
            .iter()
            .map(|r| r.split(':').next().unwrap().to_string())
            .collect();
        writeln!(
            self.out,
            "\nblock{}({}):\n    return {}\n}}",
            2 * n + 1,
            rets.join(", "),
            names.join(", ")
        )
        .unwrap();
        Ok(())
    }

    /// Arguments (after fuel) for body block `b`, as ", vA, vB".
    fn block_args(&mut self, u: &mut Unstructured, b: usize) -> Result<String> {
        let mut s = String::new();
        for t in self.blocks[b - 1].clone() {
            let v = self.val(u, t)?;
            write!(s, ", v{v}").unwrap();
        }
        Ok(s)
    }

    fn body_block(&mut self, u: &mut Unstructured, b: usize, n: usize) -> Result<()> {
        // Forget the previous block's values.
        for (t, len) in self.entry_len.clone() {
            if let Some(vs) = self.pool.get_mut(&t) {
                vs.truncate(len);
            }
        }
        let fuel = self.fresh();
        let mut header = vec![format!("v{fuel}: i32")];
        for t in self.blocks[b - 1].clone() {
            let v = self.fresh();
            header.push(format!("v{v}: {}", t.name()));
            self.pool.entry(t).or_default().push(v);
        }
        writeln!(self.out, "\nblock{b}({}):", header.join(", ")).unwrap();
        let count = u.int_in_range(0..=16)?;
        for _ in 0..count {
            if self.insts > 400 {
                break;
            }
            self.insts += 1;
            self.instruction(u)?;
        }
        let one = self.fresh();
        writeln!(self.out, "    v{one} = iconst.i32 1").unwrap();
        let next = self.fresh();
        writeln!(self.out, "    v{next} = isub v{fuel}, v{one}").unwrap();
        let zero = self.fresh();
        writeln!(self.out, "    v{zero} = iconst.i32 0").unwrap();
        let done = self.fresh();
        writeln!(self.out, "    v{done} = icmp sle v{next}, v{zero}").unwrap();
        let rets = self.sigs[self.index].returns.clone();
        let mut exit_args = Vec::new();
        for t in rets {
            exit_args.push(format!("v{}", self.val(u, t)?));
        }
        writeln!(
            self.out,
            "    brif v{done}, block{}({}), block{}",
            2 * n + 1,
            exit_args.join(", "),
            n + b
        )
        .unwrap();
        writeln!(self.out, "\nblock{}:", n + b).unwrap();
        self.terminator(u, n, next)
    }

    fn terminator(&mut self, u: &mut Unstructured, n: usize, fuel: u32) -> Result<()> {
        let target = |u: &mut Unstructured| u.int_in_range(1..=n);
        match u.int_in_range(0..=9)? {
            0..=3 => {
                let t = target(u)?;
                let args = self.block_args(u, t)?;
                writeln!(self.out, "    jump block{t}(v{fuel}{args})").unwrap();
            }
            4..=6 => {
                let ct = *u.choose(&Ty::INTS)?;
                let c = self.val(u, ct)?;
                let (t1, t2) = (target(u)?, target(u)?);
                let (a1, a2) = (self.block_args(u, t1)?, self.block_args(u, t2)?);
                writeln!(
                    self.out,
                    "    brif v{c}, block{t1}(v{fuel}{a1}), block{t2}(v{fuel}{a2})"
                )
                .unwrap();
            }
            7 | 8 => {
                let i = self.val(u, Ty::I32)?;
                let d = target(u)?;
                let da = self.block_args(u, d)?;
                let k = u.int_in_range(0..=6)?;
                let mut entries = Vec::new();
                for _ in 0..k {
                    let t = target(u)?;
                    let a = self.block_args(u, t)?;
                    entries.push(format!("block{t}(v{fuel}{a})"));
                }
                writeln!(
                    self.out,
                    "    br_table v{i}, block{d}(v{fuel}{da}), [{}]",
                    entries.join(", ")
                )
                .unwrap();
            }
            _ => {
                // A tail call, where a callee returns what this function returns.
                let own = &self.sigs[self.index].returns;
                let candidates: Vec<(usize, usize, usize)> = self
                    .callees
                    .iter()
                    .copied()
                    .filter(|&(_, _, j)| self.sigs[j].returns == *own)
                    .collect();
                if candidates.is_empty() {
                    let t = target(u)?;
                    let args = self.block_args(u, t)?;
                    writeln!(self.out, "    jump block{t}(v{fuel}{args})").unwrap();
                } else {
                    let (fr, sr, j) = *u.choose(&candidates)?;
                    let args = self.call_args(u, j, fuel)?;
                    if u.ratio(1, 2)? {
                        writeln!(self.out, "    return_call fn{fr}({args})").unwrap();
                    } else {
                        let a = self.fresh();
                        writeln!(self.out, "    v{a} = func_addr.i64 fn{fr}").unwrap();
                        writeln!(self.out, "    return_call_indirect sig{sr}, v{a}({args})")
                            .unwrap();
                    }
                }
            }
        }
        Ok(())
    }

    fn call_args(&mut self, u: &mut Unstructured, j: usize, fuel: u32) -> Result<String> {
        let sig = self.sigs[j].clone();
        let mut args = vec![format!("v{fuel}")];
        for t in sig.params {
            args.push(format!("v{}", self.val(u, t)?));
        }
        if sig.has_ptr {
            let (base, _) = self.address(u, 16)?;
            args.push(format!("v{base}"));
        }
        Ok(args.join(", "))
    }

    /// An address with `room` accessible bytes: (base value, offset to add).
    fn address(&mut self, u: &mut Unstructured, room: u32) -> Result<(u32, u32)> {
        let choice = u.int_in_range(0..=2)?;
        if choice == 0 && !self.slots.is_empty() {
            let i = u.choose_index(self.slots.len())?;
            let (addr, size) = (self.slots[i].addr, self.slots[i].size);
            return Ok((addr, u.int_in_range(0..=size - room)?));
        }
        if choice == 1 {
            if let Some(p) = self.ptr {
                return Ok((p, u.int_in_range(0..=16 - room)?));
            }
        }
        let x = self.val(u, Ty::I64)?;
        let m = self.fresh();
        writeln!(self.out, "    v{m} = iconst.i64 0x7ff0").unwrap();
        let masked = self.fresh();
        writeln!(self.out, "    v{masked} = band v{x}, v{m}").unwrap();
        let a = self.fresh();
        writeln!(self.out, "    v{a} = iadd v{masked}, v{}", self.heap_base).unwrap();
        Ok((a, u.int_in_range(0..=16 - room)?))
    }

    fn instruction(&mut self, u: &mut Unstructured) -> Result<()> {
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

fn ty(u: &mut Unstructured) -> Result<Ty> {
    Ok(*u.choose(&Ty::ALL)?)
}

/// NaN constants are emitted canonical, so their bits are the same everywhere.
fn canon32(bits: u32) -> u32 {
    if f32::from_bits(bits).is_nan() {
        0x7fc0_0000
    } else {
        bits
    }
}

fn canon64(bits: u64) -> u64 {
    if f64::from_bits(bits).is_nan() {
        0x7ff8_0000_0000_0000
    } else {
        bits
    }
}
