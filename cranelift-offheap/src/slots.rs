//! Value slots: non-addressable stack slots that lower to wasm locals.
//!
//! A value slot is an `ExplicitSlot` whose [`StackSlotKey`] carries a reserved tag and the
//! slot's wasm type. The key survives Cranelift's printer, parser and inliner, so a value
//! slot stays one through every pass. Its only legal uses are direct `load`s and `store`s of
//! exactly its type at offset 0 through a `stack_addr` of it.

use crate::types::WasmType;
use cranelift_codegen::ir::{self, StackSlot, StackSlotData, StackSlotKey, StackSlotKind};

/// The tag in the upper 32 bits of a value slot's key ("WASL").
pub const VALUE_SLOT_TAG: u64 = 0x5741_534c;

/// The key that marks a value slot of type `ty`.
pub fn value_slot_key(ty: WasmType) -> StackSlotKey {
    StackSlotKey::new((VALUE_SLOT_TAG << 32) | u64::from(ty.code()))
}

/// What a stack slot's key says about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotKind {
    /// An ordinary, addressable slot.
    Addressable,
    /// A value slot of this type.
    Value(WasmType),
    /// A key with the value-slot tag but no valid type: malformed.
    BadKey(u64),
}

/// Classify a stack slot by its key.
pub fn slot_kind(data: &StackSlotData) -> SlotKind {
    let Some(key) = data.key else {
        return SlotKind::Addressable;
    };
    let bits = key.bits();
    if bits >> 32 != VALUE_SLOT_TAG || data.kind != StackSlotKind::ExplicitSlot {
        return SlotKind::Addressable;
    }
    match u8::try_from(bits & 0xffff_ffff)
        .ok()
        .and_then(WasmType::from_code)
    {
        Some(ty) => SlotKind::Value(ty),
        None => SlotKind::BadKey(bits),
    }
}

/// The wasm type of `slot` if it is a (well-formed) value slot.
pub fn value_slot_type(func: &ir::Function, slot: StackSlot) -> Option<WasmType> {
    match slot_kind(func.sized_stack_slots.get(slot)?) {
        SlotKind::Value(ty) => Some(ty),
        _ => None,
    }
}

/// The data of a value slot of type `ty`.
pub fn value_slot_data(ty: WasmType) -> StackSlotData {
    StackSlotData::new_with_key(
        StackSlotKind::ExplicitSlot,
        ty.size(),
        0,
        value_slot_key(ty),
    )
}

/// Declare a value slot of type `ty` in `func` (with a `FunctionBuilder`, pass
/// `builder.func`).
pub fn declare_value_slot(func: &mut ir::Function, ty: WasmType) -> StackSlot {
    func.create_sized_stack_slot(value_slot_data(ty))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_every_type() {
        for ty in WasmType::ALL {
            assert_eq!(slot_kind(&value_slot_data(ty)), SlotKind::Value(ty));
            assert_eq!(value_slot_data(ty).size, ty.size());
        }
        let plain = StackSlotData::new(StackSlotKind::ExplicitSlot, 8, 0);
        assert_eq!(slot_kind(&plain), SlotKind::Addressable);
        let bad = StackSlotData::new_with_key(
            StackSlotKind::ExplicitSlot,
            4,
            0,
            StackSlotKey::new((VALUE_SLOT_TAG << 32) | 99),
        );
        assert_eq!(
            slot_kind(&bad),
            SlotKind::BadKey((VALUE_SLOT_TAG << 32) | 99)
        );
    }
}
