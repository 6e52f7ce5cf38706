//! The verifier's rules for loads and stores: a place is accessed whole, at offset 0, as
//! its own type and byte order; a reference is stored only into a place of its type.

use super::uses::show;
use super::Verifier;
use crate::analysis::Place;
use crate::rules::Rule;
use cranelift_codegen::ir::{self, Opcode, Value};

impl Verifier<'_> {
    /// The address operand `addr` of a load, or of a store (`store`), at `offset`: a place
    /// is accessed as the rules say (whole, as its own type, at offset 0, in its byte
    /// order), and a reference is no address.
    pub(super) fn address(
        &mut self,
        inst: ir::Inst,
        op: Opcode,
        addr: Value,
        offset: i32,
        flags: ir::MemFlags,
        store: bool,
    ) {
        if let Some(place) = self.a.place_of_unaliased(addr) {
            self.big_endian(inst, flags, place);
            let dfg = &self.func.dfg;
            // A load's controlling type is its result's, a store's its value's.
            let ty = match store {
                true => dfg.value_type(dfg.inst_args(inst)[0]),
                false => dfg.value_type(dfg.first_result(inst)),
            };
            self.access(inst, op, place, offset, ty, store);
        } else if self.refty(addr).is_some() {
            let what = if store { "store" } else { "load" };
            self.error(
                Some(inst),
                Rule::RefAsAddress,
                format!("a reference is used as a {what} address"),
            );
        }
    }

    /// A load or store through `place`.
    fn access(
        &mut self,
        inst: ir::Inst,
        op: Opcode,
        place: Place,
        offset: i32,
        ty: ir::Type,
        store: bool,
    ) {
        let Some(place_ty) = place.value_type() else {
            self.error(
                Some(inst),
                Rule::TableAccess,
                format!("{} is loaded or stored directly", self.describe(place)),
            );
            return;
        };
        if matches!(op, Opcode::Load | Opcode::Store) {
            if ty != place_ty.clif() {
                self.error(
                    Some(inst),
                    Rule::AddressAccessType,
                    format!(
                        "{} is accessed as {ty}, not {}",
                        self.describe(place),
                        place_ty.clif()
                    ),
                );
            }
        } else {
            self.error(
                Some(inst),
                Rule::AddressPartialAccess,
                format!(
                    "`{op}` is an extending or narrowing access to {}",
                    self.describe(place)
                ),
            );
        }
        if offset != 0 {
            self.error(
                Some(inst),
                Rule::AddressOffset,
                format!("{} is accessed at offset {offset}", self.describe(place)),
            );
        }
        if let (true, Place::Global { mutable: false, .. }) = (store, place) {
            self.error(
                Some(inst),
                Rule::ImmutableGlobalStore,
                format!("store to immutable {}", self.describe(place)),
            );
        }
    }

    /// A place holds a value, not bytes: a big-endian access would have to swap them.
    fn big_endian(&mut self, inst: ir::Inst, flags: ir::MemFlags, place: Place) {
        if self.func.dfg.mem_flags[flags].explicit_endianness() == Some(ir::Endianness::Big) {
            let what = self.describe(place);
            self.error(
                Some(inst),
                Rule::AddressAccessType,
                format!("big-endian access to {what}"),
            );
        }
    }

    /// The stored value of a store to `addr`.
    pub(super) fn store_value(&mut self, inst: ir::Inst, value: Value, addr: Value) {
        let target = self.place(addr);
        if self.place(value).is_some() {
            self.error(
                Some(inst),
                Rule::AddressStored,
                "the address of an off-heap place is stored as a value".into(),
            );
            return;
        }
        let want = target
            .and_then(Place::value_type)
            .and_then(|t| t.ref_type());
        match (self.refty(value), target) {
            (Some(r), Some(p)) if want != Some(r) => {
                let what = self.describe(p);
                self.error(
                    Some(inst),
                    Rule::RefIntoNonRefPlace,
                    format!("{} is stored into {what}", show(Some(r))),
                );
            }
            (Some(r), None) => self.error(
                Some(inst),
                Rule::RefStoredToMemory,
                format!("{} is stored to linear memory", show(Some(r))),
            ),
            (None, Some(p)) if want.is_some() => {
                let what = self.describe(p);
                self.error(
                    Some(inst),
                    Rule::ForgedRef,
                    format!("a non-reference value is stored into {what}"),
                );
            }
            _ => {}
        }
    }
}
