//! The verifier's checks of a function's declarations: value slots, off-heap symbols and
//! the global values derived from them, and the reference types recorded for signatures.

use super::Verifier;
use crate::analysis::place_of_symbol;
use crate::decls::{OffHeapSymbol, SigRefs};
use crate::rules::Rule;
use crate::slots::{slot_kind, SlotKind};
use crate::types::RefType;
use cranelift_codegen::ir::{self, GlobalValueData};

impl Verifier<'_> {
    /// Slots, global values and signature side tables.
    pub(super) fn declarations(&mut self) {
        let func = self.func;
        for (slot, data) in func.sized_stack_slots.iter() {
            match slot_kind(data) {
                SlotKind::Value(ty) if data.size != ty.size() => self.error(
                    None,
                    Rule::ValueSlotSize,
                    format!(
                        "value slot {slot} of type {ty} has size {} (must be {})",
                        data.size,
                        ty.size()
                    ),
                ),
                SlotKind::BadKey(key) => self.error(
                    None,
                    Rule::ValueSlotKey,
                    format!("stack slot {slot} has the value-slot tag but an invalid key {key:#x}"),
                ),
                _ => {}
            }
        }
        for (gv, data) in func.global_values.iter() {
            match data {
                GlobalValueData::Symbol { offset, .. }
                    if self.decls.off_heap(func, gv).is_some() =>
                {
                    if place_of_symbol(func, self.decls, gv).is_none() {
                        let what = match self.decls.off_heap(func, gv) {
                            Some(OffHeapSymbol::Global(id)) => {
                                format!("wasm global #{}", id.as_u32())
                            }
                            Some(OffHeapSymbol::Table(id)) => format!("table #{}", id.as_u32()),
                            None => String::new(),
                        };
                        self.error(
                            None,
                            Rule::UnknownOffHeapSymbol,
                            format!("{gv} names undeclared {what}"),
                        );
                    }
                    if offset.bits() != 0 {
                        self.error(
                            None,
                            Rule::AddressOffset,
                            format!("off-heap symbol {gv} has offset {}", offset.bits()),
                        );
                    }
                }
                GlobalValueData::IAddImm { base, .. } | GlobalValueData::Load { base, .. }
                    if self.decls.off_heap(func, *base).is_some() =>
                {
                    self.error(
                        None,
                        Rule::DerivedGlobalValue,
                        format!("{gv} is derived from off-heap symbol {base}"),
                    );
                }
                _ => {}
            }
        }
        let refs = &self.a.func_refs;
        let mut bad = Vec::new();
        if !fits(&refs.signature, &func.signature) {
            bad.push("the function's own signature".to_string());
        }
        for (sig, sig_refs) in &refs.sigs {
            match func.dfg.signatures.get(*sig) {
                Some(s) if fits(sig_refs, s) => {}
                _ => bad.push(format!("{sig}")),
            }
        }
        for what in bad {
            self.error(
                None,
                Rule::RefSignature,
                format!("the reference types recorded for {what} do not fit it"),
            );
        }
    }
}

/// Whether recorded reference types fit a signature: same lengths (or empty), references
/// only on i32 entries.
fn fits(refs: &SigRefs, sig: &ir::Signature) -> bool {
    let check = |refs: &[Option<RefType>], params: &[ir::AbiParam]| {
        refs.is_empty()
            || (refs.len() == params.len()
                && refs
                    .iter()
                    .zip(params)
                    .all(|(r, p)| r.is_none() || p.value_type == ir::types::I32))
    };
    check(&refs.params, &sig.params) && check(&refs.returns, &sig.returns)
}
