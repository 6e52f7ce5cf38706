//! The shadow-stack frame of a function.
//!
//! Explicit stack slots live in linear memory, below the mutable `__stack_pointer` global
//! (the LLVM/clang convention). The prologue moves the stack pointer down by the frame size,
//! aligned to the largest slot alignment (at least 16), and keeps the incoming value in a
//! local; every return and tail call restores it. The frame base is kept in a local, so a
//! `stack_addr` is one add.

use cranelift_codegen::ir;
use cranelift_entity::SecondaryMap;
use cranelift_offheap::slots::{slot_kind, SlotKind};

/// Layout of the explicit stack slots of one function.
#[derive(Debug, Default)]
pub struct FrameLayout {
    /// Byte offset of each slot from the frame base.
    pub offsets: SecondaryMap<ir::StackSlot, u64>,
    /// Frame size in bytes, a multiple of `align`.
    pub size: u64,
    /// Frame alignment in bytes, a power of two, at least 16.
    pub align: u64,
}

impl FrameLayout {
    /// Lay out the addressable stack slots of `func` (value slots are wasm locals, not
    /// memory). Returns `None` if the function needs no frame.
    pub fn compute(func: &ir::Function) -> Option<FrameLayout> {
        let addressable = |data: &ir::StackSlotData| slot_kind(data) == SlotKind::Addressable;
        if !func.sized_stack_slots.values().any(addressable) {
            return None;
        }
        let mut layout = FrameLayout {
            align: 16,
            ..Default::default()
        };
        let mut offset = 0u64;
        for (slot, data) in func
            .sized_stack_slots
            .iter()
            .filter(|(_, d)| addressable(d))
        {
            let align = 1u64 << data.align_shift.min(31);
            layout.align = layout.align.max(align);
            offset = offset.next_multiple_of(align);
            layout.offsets[slot] = offset;
            offset += u64::from(data.size);
        }
        layout.size = offset.next_multiple_of(layout.align);
        Some(layout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_of(slots: &str) -> Option<FrameLayout> {
        let text = format!("function %f() {{\n{slots}\nblock0:\n    return\n}}");
        let func = cranelift_reader::parse_functions(&text).unwrap().remove(0);
        FrameLayout::compute(&func)
    }

    #[test]
    fn no_slots_no_frame() {
        assert!(frame_of("").is_none());
        // Value slots are locals: no frame either.
        let key = cranelift_offheap::slots::value_slot_key(cranelift_offheap::WasmType::I64).bits();
        assert!(frame_of(&format!("    ss0 = explicit_slot 8, key = {key}")).is_none());
    }

    #[test]
    fn slots_are_aligned_and_the_frame_rounded() {
        let f = frame_of("    ss0 = explicit_slot 3\n    ss1 = explicit_slot 8, align = 8\n    ss2 = explicit_slot 1\n    ss3 = explicit_slot 32, align = 32").unwrap();
        let off = |i| f.offsets[ir::StackSlot::from_u32(i)];
        assert_eq!((off(0), off(1), off(2), off(3)), (0, 8, 16, 32));
        assert_eq!((f.size, f.align), (64, 32));
    }
}
