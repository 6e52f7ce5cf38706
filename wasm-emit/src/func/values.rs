//! Value access: reading and setting values in their locals (numbered at first use),
//! emitting trees and rematerialized constants where they are read, the `local.tee`
//! peephole, and the local instructions written straight into the code.

use super::FuncLower;
use crate::locals::{EMITTED, OFF_LOCALS};
use crate::stackify::Placement;
use cranelift_codegen::ir::{self, InstructionData, StackSlot, Value};
use cranelift_offheap::WasmType;
use wasm_encoder::ValType;

/// The opcodes of the local instructions (`FuncLower::local_op`).
const LOCAL_GET: u8 = 0x20;
const LOCAL_SET: u8 = 0x21;
const LOCAL_TEE: u8 = 0x22;

/// Append local instruction `opcode` of `local` (unsigned LEB128) to `code`: in one
/// append up to three bytes of index (two million locals), since large functions number
/// most of their locals past 127.
#[inline(always)]
fn write_local_op(code: &mut Vec<u8>, opcode: u8, local: u32) {
    let (low, mid, high) = (local as u8 & 0x7f, (local >> 7) as u8 & 0x7f, local >> 14);
    if local < 0x80 {
        code.extend_from_slice(&[opcode, local as u8]);
    } else if local < 0x4000 {
        code.extend_from_slice(&[opcode, low | 0x80, mid]);
    } else if high < 0x80 {
        code.extend_from_slice(&[opcode, low | 0x80, mid | 0x80, high as u8]);
    } else {
        code.push(opcode);
        crate::module::write_u32(code, local);
    }
}

/// [`write_local_op`] of a local with an index of one or two LEB128 bytes (below
/// 16,384): the inline case of reading and setting values.
#[inline(always)]
fn write_short_local_op(code: &mut Vec<u8>, opcode: u8, local: u32) {
    debug_assert!(local < 0x4000);
    if local < 0x80 {
        code.extend_from_slice(&[opcode, local as u8]);
    } else {
        code.extend_from_slice(&[opcode, local as u8 | 0x80, (local >> 7) as u8]);
    }
}

impl FuncLower<'_> {
    /// The local of `value` (alias-resolved).
    pub fn local_of(&mut self, value: Value) -> u32 {
        let value = self.resolve(value);
        self.local_of_resolved(value)
    }

    /// [`FuncLower::local_of`] of a value that is no alias.
    #[inline]
    pub(super) fn local_of_resolved(&mut self, value: Value) -> u32 {
        // Most values have their local already (from coloring, or from their first use):
        // the type is needed only for a new one.
        match self.locals.get(value) {
            Some(local) => local,
            None => self.new_local(value),
        }
    }

    /// The local `value` gets at its first use.
    #[inline(never)]
    pub(super) fn new_local(&mut self, value: Value) -> u32 {
        // The common case (no references, no sharing) straight from the scan's facts:
        // the value's numeric pool and whether it is a result.
        if !self.sharing.is_on() && !self.analysis.has_refs() {
            if let Some(f) = self.scan.all_facts().get(value.as_u32() as usize) {
                if f.ty != ir::types::INVALID {
                    let run = if f.def != u32::MAX {
                        crate::locals::Run::Results
                    } else {
                        crate::locals::Run::Params
                    };
                    return self
                        .locals
                        .of_numeric(value, crate::scan::numeric_pool(f.ty), run);
                }
            }
        }
        let ty = self.val_type_of(value);
        if self.sharing.is_on() {
            // A value never read keeps a local of its own: a block parameter is written
            // on every edge to its block, and with no read to count, nothing would hold
            // its local between those writes.
            let reads = self.scan.facts(value).count;
            if reads > 0
                && matches!(
                    ty,
                    ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64
                )
            {
                let local = self.locals.scratch(ty);
                self.locals.assign(value, local);
                self.sharing.took(value, reads);
                return local;
            }
        }
        // Results are defined by an instruction; block parameters are not.
        let run = if self.scan.def_position(value).is_some() {
            crate::locals::Run::Results
        } else {
            crate::locals::Run::Params
        };
        self.locals.of(value, ty, run)
    }

    /// The local of value slot `slot` of type `ty`, created on first use.
    pub fn slot_local(&mut self, slot: StackSlot, ty: WasmType) -> u32 {
        if self.slot_locals[slot] == u32::MAX {
            if ty.ref_type().is_some() {
                self.env.uses_reference_types = true;
            }
            self.slot_locals[slot] = self.locals.fresh(crate::module::env::wasm_val_type(ty));
        }
        self.slot_locals[slot]
    }

    /// Push `value`: from its local, or by emitting its definition here when it is a tree
    /// or a rematerialized constant.
    #[inline]
    pub fn get(&mut self, value: Value) {
        self.get_resolved(self.resolve(value));
    }

    /// [`FuncLower::get`] of a value that is no alias: an operand as the scan recorded it
    /// (resolved already), a result or a block parameter. Skips the alias lookup, a load
    /// that the local's own waits on.
    ///
    /// Inline: most reads are of a value in a local with an index of one or two bytes,
    /// not just set, which takes a load, two compares and a short write; the rest is out
    /// of line (`get_other`).
    #[inline(always)]
    pub fn get_resolved(&mut self, value: Value) {
        debug_assert_eq!(self.resolve(value), value, "{value} is an alias");
        // One load tells most values (in a local already numbered) from the others; the
        // placement is read only for a value not in a local.
        let local = self.locals.word(value);
        if local < 0x4000 && self.last_set_end != self.code.len() {
            write_short_local_op(&mut self.code, LOCAL_GET, local);
            return;
        }
        // A tree or a constant, emitted here.
        if local == OFF_LOCALS && self.emit_at_use(value) {
            return;
        }
        self.get_other(value, local);
    }

    /// [`FuncLower::get_resolved`] of a value whose locals word is `local`, other than a
    /// short local not just set and a value the caller emitted at its use.
    #[inline(never)]
    pub(super) fn get_other(&mut self, value: Value, mut local: u32) {
        if local >= EMITTED {
            // A value off locals here did not fit its placement (`emit_at_use` noted it).
            if local == EMITTED {
                // A tree read a second time.
                self.misplace(value);
            }
            local = self.new_local(value);
        }
        // `local.set x; local.get x` is `local.tee x`.
        if self.last_set_local == local && self.last_set_end == self.code.len() {
            self.code.truncate(self.last_set_start);
            self.last_set_end = usize::MAX;
            self.local_op(LOCAL_TEE, local);
            return;
        }
        self.local_op(LOCAL_GET, local);
    }

    /// Push `value`, which is not placed in a local, by emitting its definition here;
    /// `false` if that does not fit its placement (it is then read from a local, and the
    /// function lowered again with it in one). Out of line, so that `get` keeps its test
    /// a plain compare.
    #[inline(never)]
    pub(super) fn emit_at_use(&mut self, value: Value) -> bool {
        let placement = self.placement[value];
        match placement {
            Placement::Remat => {
                // A small `iconst`, at every read: straight from its row.
                if let Some(k) = self.scan.def_position(value) {
                    let (ty, imm) = self.scan.remat_constant(k);
                    self.int_const(ty == ir::types::I64, imm & crate::types::width_mask(ty));
                    return true;
                }
            }
            Placement::Tree => {
                self.locals.mark_emitted(value);
                if let Some(k) = self.scan.def_position(value) {
                    if self.lower_row(k).is_ok() {
                        return true;
                    }
                }
            }
            Placement::Local => return false,
            Placement::Dead => {}
        }
        self.misplace(value);
        false
    }

    /// Pop into `value` (a tree or rematerialized value stays on the stack). `value` is a
    /// result or a block parameter, which Cranelift never makes an alias: no resolving.
    /// Inline for a local with a short index, as in `get_resolved`.
    #[inline(always)]
    pub fn set(&mut self, value: Value) {
        let local = self.locals.word(value);
        if local < 0x4000 {
            let start = self.code.len();
            write_short_local_op(&mut self.code, LOCAL_SET, local);
            self.last_set_local = local;
            self.last_set_start = start;
            self.last_set_end = self.code.len();
            return;
        }
        // A tree set while it is emitted at its use stays on the stack.
        if local == EMITTED {
            return;
        }
        self.set_other(value, local);
    }

    /// [`FuncLower::set`] of a value whose locals word is `local`, other than a short
    /// local and a tree being emitted.
    #[inline(never)]
    pub(super) fn set_other(&mut self, value: Value, mut local: u32) {
        if local >= EMITTED {
            // A tree set while it is emitted at its use stays on the stack.
            if local == EMITTED || (local == OFF_LOCALS && self.set_off_locals(value)) {
                return;
            }
            local = self.new_local(value);
        }
        let start = self.code.len();
        self.local_op(LOCAL_SET, local);
        self.last_set_local = local;
        self.last_set_start = start;
        self.last_set_end = self.code.len();
    }

    /// [`FuncLower::set`] of a value not placed in a local and not emitted as a tree
    /// yet: a rematerialized value stays on the stack (`true`); a tree set outside its
    /// emission at its use is set twice by the lowering; any other (dead) is set in a
    /// local after all.
    #[inline]
    pub(super) fn set_off_locals(&mut self, value: Value) -> bool {
        match self.placement[value] {
            // A constant's row is lowered only where the constant is read (`emit_at_use`).
            Placement::Remat => true,
            Placement::Tree => {
                self.misplace(value);
                // Any later read of a tree is a second read.
                self.locals.mark_emitted(value);
                true
            }
            Placement::Local | Placement::Dead => false,
        }
    }

    /// Pop into `value` (a result or block parameter, as for [`FuncLower::set`]), leaving
    /// it on the stack.
    pub fn tee(&mut self, value: Value) {
        if self.placement[value] != Placement::Local {
            self.misplace(value);
        }
        let local = self.local_of_resolved(value);
        self.local_op(LOCAL_TEE, local);
    }

    /// Emit `local.get`, `local.set` or `local.tee` of `local` straight into the code:
    /// these are most of a function's instructions, and the encoder's general LEB128
    /// writer copies through a buffer for each.
    #[inline]
    pub(super) fn local_op(&mut self, opcode: u8, local: u32) {
        write_local_op(&mut self.code, opcode, local);
    }

    /// The constant `value` is defined as, if it is an `iconst`, sign-extended from its
    /// type's width.
    pub fn const_of(&self, value: Value) -> Option<i64> {
        let value = self.resolve(value);
        let k = self.scan.def_position(value)?;
        if self.scan.opcode_and_type(k).0 != ir::Opcode::Iconst {
            return None;
        }
        let bits = self.ty(value).bits();
        match self.func.dfg.insts[self.scan.inst(k)] {
            InstructionData::UnaryImm { imm, .. } if bits <= 64 => {
                let shift = 64 - bits;
                Some((imm.bits() << shift) >> shift)
            }
            _ => None,
        }
    }

    /// If `value` is a tree not yet emitted, claim it: the caller emits its instruction
    /// in its own way (folding it into a wider pattern) and returns the instruction.
    pub fn claim_tree(&mut self, value: Value) -> Option<ir::Inst> {
        let value = self.resolve(value);
        if self.placement[value] != Placement::Tree || self.locals.word(value) == EMITTED {
            return None;
        }
        let k = self.scan.def_position(value)?;
        self.locals.mark_emitted(value);
        Some(self.scan.inst(k))
    }

    /// Whether `value` has a local shared with `other` (so copying one to the other is a
    /// no-op).
    pub(super) fn same_local(&self, value: Value, other: Value) -> bool {
        if !self.locals.shared() {
            return false;
        }
        let (a, b) = (self.resolve(value), self.resolve(other));
        self.placement[a] == Placement::Local
            && self.placement[b] == Placement::Local
            && self.locals.get(a).is_some()
            && self.locals.get(a) == self.locals.get(b)
    }

    /// Note that `value` cannot be kept off locals; the function will be lowered again.
    #[cold]
    #[inline(never)]
    pub(super) fn misplace(&mut self, value: Value) {
        if !self.misplaced.contains(&value) {
            self.misplaced.push(value);
        }
    }

    /// Push `value` sign-extended to its wasm type.
    pub fn get_signed(&mut self, value: Value) {
        self.get(value);
        self.sext(self.ty(value));
    }

    /// Push a CLIF integer as an i32 truth value (non-zero is true).
    pub fn get_condition(&mut self, value: Value) {
        // `icmp ne x, 0` as a condition is `x` itself.
        let value = self.resolve(value);
        let compare = self
            .scan
            .def_position(value)
            .filter(|&k| self.scan.opcode_and_type(k).0 == ir::Opcode::Icmp);
        if let Some(k) = compare {
            if let InstructionData::IntCompare {
                cond: ir::condcodes::IntCC::NotEqual,
                args,
                ..
            } = self.func.dfg.insts[self.scan.inst(k)]
            {
                if self.const_of(args[1]) == Some(0) && self.claim_tree(value).is_some() {
                    self.get_condition(args[0]);
                    // The comparison is lowered: its reads count as lowered too.
                    if self.sharing.is_on() {
                        self.lowered_reads(k);
                    }
                    return;
                }
            }
        }
        self.get_resolved(value);
        if self.ty(value) == ir::types::I64 {
            self.sink().i64_eqz().i32_eqz();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{LOCAL_GET, LOCAL_SET, LOCAL_TEE};
    use wasm_encoder::InstructionSink;

    /// `FuncLower::local_op` writes what wasm-encoder writes, at every LEB128 length.
    #[test]
    fn local_ops_encode_as_wasm_encoder_does() {
        for local in [
            0,
            1,
            127,
            128,
            300,
            16_383,
            16_384,
            2_097_151,
            2_097_152,
            u32::MAX,
        ] {
            for opcode in [LOCAL_GET, LOCAL_SET, LOCAL_TEE] {
                let mut ours = Vec::new();
                super::write_local_op(&mut ours, opcode, local);
                let mut theirs = Vec::new();
                let mut sink = InstructionSink::new(&mut theirs);
                match opcode {
                    LOCAL_GET => sink.local_get(local),
                    LOCAL_SET => sink.local_set(local),
                    _ => sink.local_tee(local),
                };
                assert_eq!(ours, theirs, "opcode {opcode:#x}, local {local}");
            }
        }
    }
}
