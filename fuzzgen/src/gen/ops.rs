//! Generating one function: its preamble, its blocks, their terminators and the values
//! they use (`insts` generates the instructions).

use super::{f32_literal, f64_literal, mask, FuncSig, Ty, HEAP_BASE};
use arbitrary::{Result, Unstructured};
use std::collections::HashMap;
use std::fmt::Write;

/// An addressable explicit slot of the function.
pub(super) struct Slot {
    pub(super) addr: u32,
    pub(super) size: u32,
}

/// Generates the text of function `%f{index}`.
pub struct FuncGen<'a> {
    pub(super) index: usize,
    pub(super) sigs: &'a [FuncSig],
    pub(super) globals: &'a [(Ty, bool)],
    pub out: String,
    pub(super) next: u32,
    /// Values usable at the current point, by type (entry values first).
    pub(super) pool: HashMap<Ty, Vec<u32>>,
    pub(super) entry_len: HashMap<Ty, usize>,
    pub(super) slots: Vec<Slot>,
    pub(super) value_slots: Vec<(u32, Ty)>,
    pub(super) global_addrs: Vec<(u32, Ty, bool)>,
    pub(super) heap_base: u32,
    pub(super) ptr: Option<u32>,
    /// Body blocks: their extra parameter types (after fuel).
    pub(super) blocks: Vec<Vec<Ty>>,
    /// Callees `(fn ref, sig ref, function index)`.
    pub(super) callees: Vec<(usize, usize, usize)>,
    pub(super) insts: usize,
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

    pub(super) fn fresh(&mut self) -> u32 {
        let v = self.next;
        self.next += 1;
        v
    }

    pub(super) fn def(&mut self, ty: Ty, rhs: &str) -> u32 {
        let v = self.fresh();
        writeln!(self.out, "    v{v} = {rhs}").unwrap();
        self.pool.entry(ty).or_default().push(v);
        v
    }

    /// A value of type `ty`: an existing one, or a new constant.
    pub(super) fn val(&mut self, u: &mut Unstructured, ty: Ty) -> Result<u32> {
        let have = self.pool.get(&ty).map_or(0, Vec::len);
        if have > 0 && u.ratio(4, 5)? {
            let i = u.choose_index(have)?;
            return Ok(self.pool[&ty][i]);
        }
        self.constant(u, ty)
    }

    pub(super) fn constant(&mut self, u: &mut Unstructured, ty: Ty) -> Result<u32> {
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
    pub(super) fn canonical(&mut self, u: &mut Unstructured, ty: Ty) -> Result<u32> {
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
    pub(super) fn block_args(&mut self, u: &mut Unstructured, b: usize) -> Result<String> {
        let mut s = String::new();
        for t in self.blocks[b - 1].clone() {
            let v = self.val(u, t)?;
            write!(s, ", v{v}").unwrap();
        }
        Ok(s)
    }

    pub(super) fn body_block(&mut self, u: &mut Unstructured, b: usize, n: usize) -> Result<()> {
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

    pub(super) fn terminator(&mut self, u: &mut Unstructured, n: usize, fuel: u32) -> Result<()> {
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

    pub(super) fn call_args(
        &mut self,
        u: &mut Unstructured,
        j: usize,
        fuel: u32,
    ) -> Result<String> {
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
    pub(super) fn address(&mut self, u: &mut Unstructured, room: u32) -> Result<(u32, u32)> {
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
