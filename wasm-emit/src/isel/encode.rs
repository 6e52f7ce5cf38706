//! The most frequent instructions with immediates, written straight into the code:
//! constants and memory accesses (local operations are in `func`, branches in
//! `cfg::structure`). wasm-encoder's LEB128 writer copies through a buffer for every
//! immediate; these write the same bytes (the tests compare them with its output).

use wasm_encoder::{MemArg, MemArgTarget};

/// The opcodes of `i32.const` and `i64.const`.
pub const I32_CONST: u8 = 0x41;
pub const I64_CONST: u8 = 0x42;

/// Append `i64.const value` (`wide`) or `i32.const value` to `code`.
#[inline]
pub fn write_int_const(code: &mut Vec<u8>, wide: bool, value: i64) {
    if wide {
        code.push(I64_CONST);
        crate::module::write_i64(code, value);
    } else {
        code.push(I32_CONST);
        crate::module::write_i64(code, i64::from(value as i32));
    }
}

// The memory instructions' opcodes.
pub const I32_LOAD: u8 = 0x28;
pub const I64_LOAD: u8 = 0x29;
pub const F32_LOAD: u8 = 0x2a;
pub const F64_LOAD: u8 = 0x2b;
pub const I32_LOAD8_S: u8 = 0x2c;
pub const I32_LOAD8_U: u8 = 0x2d;
pub const I32_LOAD16_S: u8 = 0x2e;
pub const I32_LOAD16_U: u8 = 0x2f;
pub const I64_LOAD8_S: u8 = 0x30;
pub const I64_LOAD8_U: u8 = 0x31;
pub const I64_LOAD16_S: u8 = 0x32;
pub const I64_LOAD16_U: u8 = 0x33;
pub const I64_LOAD32_S: u8 = 0x34;
pub const I64_LOAD32_U: u8 = 0x35;
pub const I32_STORE: u8 = 0x36;
pub const I64_STORE: u8 = 0x37;
pub const F32_STORE: u8 = 0x38;
pub const F64_STORE: u8 = 0x39;
pub const I32_STORE8: u8 = 0x3a;
pub const I32_STORE16: u8 = 0x3b;
pub const I64_STORE8: u8 = 0x3c;
pub const I64_STORE16: u8 = 0x3d;
pub const I64_STORE32: u8 = 0x3e;

/// Append the load or store `opcode` with memory immediate `m` to `code`, encoded as
/// wasm-encoder encodes it. Lowering addresses memory 0 only (`FuncLower::address`).
#[inline]
pub fn write_access(code: &mut Vec<u8>, opcode: u8, m: &MemArg) {
    debug_assert!(matches!(m.target, MemArgTarget::Memory(0)));
    code.push(opcode);
    crate::module::write_u32(code, m.align);
    crate::module::write_u64(code, m.offset);
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::InstructionSink;

    /// Constants written straight into the code are what wasm-encoder writes.
    #[test]
    fn constants_encode_as_wasm_encoder_does() {
        for value in [0, 1, -1, 63, 64, -65, 1 << 31, i64::MIN, i64::MAX] {
            for wide in [false, true] {
                let mut ours = Vec::new();
                write_int_const(&mut ours, wide, value);
                let mut theirs = Vec::new();
                let mut sink = InstructionSink::new(&mut theirs);
                if wide {
                    sink.i64_const(value);
                } else {
                    sink.i32_const(value as i32);
                }
                assert_eq!(ours, theirs, "{value}, wide {wide}");
            }
        }
    }

    /// Every load and store written straight into the code is what wasm-encoder writes.
    #[test]
    fn accesses_encode_as_wasm_encoder_does() {
        type Emit = fn(&mut InstructionSink, MemArg);
        let cases: [(u8, Emit); 23] = [
            (I32_LOAD, |s, m| {
                s.i32_load(m);
            }),
            (I64_LOAD, |s, m| {
                s.i64_load(m);
            }),
            (F32_LOAD, |s, m| {
                s.f32_load(m);
            }),
            (F64_LOAD, |s, m| {
                s.f64_load(m);
            }),
            (I32_LOAD8_S, |s, m| {
                s.i32_load8_s(m);
            }),
            (I32_LOAD8_U, |s, m| {
                s.i32_load8_u(m);
            }),
            (I32_LOAD16_S, |s, m| {
                s.i32_load16_s(m);
            }),
            (I32_LOAD16_U, |s, m| {
                s.i32_load16_u(m);
            }),
            (I64_LOAD8_S, |s, m| {
                s.i64_load8_s(m);
            }),
            (I64_LOAD8_U, |s, m| {
                s.i64_load8_u(m);
            }),
            (I64_LOAD16_S, |s, m| {
                s.i64_load16_s(m);
            }),
            (I64_LOAD16_U, |s, m| {
                s.i64_load16_u(m);
            }),
            (I64_LOAD32_S, |s, m| {
                s.i64_load32_s(m);
            }),
            (I64_LOAD32_U, |s, m| {
                s.i64_load32_u(m);
            }),
            (I32_STORE, |s, m| {
                s.i32_store(m);
            }),
            (I64_STORE, |s, m| {
                s.i64_store(m);
            }),
            (F32_STORE, |s, m| {
                s.f32_store(m);
            }),
            (F64_STORE, |s, m| {
                s.f64_store(m);
            }),
            (I32_STORE8, |s, m| {
                s.i32_store8(m);
            }),
            (I32_STORE16, |s, m| {
                s.i32_store16(m);
            }),
            (I64_STORE8, |s, m| {
                s.i64_store8(m);
            }),
            (I64_STORE16, |s, m| {
                s.i64_store16(m);
            }),
            (I64_STORE32, |s, m| {
                s.i64_store32(m);
            }),
        ];
        for (opcode, emit) in cases {
            for (offset, align) in [(0, 0), (4, 2), (300, 1), (1 << 40, 3)] {
                let m = MemArg {
                    offset,
                    align,
                    target: MemArgTarget::Memory(0),
                    ordering: None,
                };
                let mut ours = Vec::new();
                write_access(&mut ours, opcode, &m);
                let mut theirs = Vec::new();
                emit(&mut InstructionSink::new(&mut theirs), m);
                assert_eq!(ours, theirs, "opcode {opcode:#x}, {offset}, {align}");
            }
        }
    }
}
