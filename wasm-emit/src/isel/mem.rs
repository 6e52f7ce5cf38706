//! Memory instructions: loads and stores of every width and extension into linear memory
//! (little-endian natively, big-endian through a byte swap), stack slot addresses in the
//! shadow-stack frame, and the stack pointer, frame pointer and pinned register.

use super::encode::*;
use crate::error::{ErrorKind, Result};
use crate::func::FuncLower;
use crate::types::val_type;
use cranelift_codegen::ir::{self, types, Endianness, InstructionData, Opcode, Type};
use cranelift_offheap::analysis::Place;
use wasm_encoder::{MemArg, MemArgTarget, ValType};

/// The access a load or store makes: its width in bytes and how it extends.
#[derive(Clone, Copy)]
struct Access {
    bytes: u32,
    signed: bool,
}

impl FuncLower<'_> {
    /// Lower the instruction at scan position `k`, with opcode `op` and controlling type
    /// `ty`, if it is a memory instruction (else `false`).
    #[inline(never)]
    pub(crate) fn mem_inst(&mut self, k: usize, op: Opcode, ty: Type) -> Result<bool> {
        let (func, scan) = (self.func, self.scan);
        let dfg = &func.dfg;
        let inst = scan.inst(k);
        // The scan's operands are resolved, and results are never aliases.
        let (args, results) = (scan.args(k), scan.results(k));
        let is_place = |v| self.analysis.place_of_unaliased(v).is_some();
        match dfg.insts[inst] {
            InstructionData::Load { .. } if is_place(args[0]) => {
                self.place_access(args[0], None, results);
            }
            InstructionData::Store { .. } if is_place(args[1]) => {
                self.place_access(args[1], Some(args[0]), results);
            }
            InstructionData::StackAddr { .. } | InstructionData::UnaryGlobalValue { .. }
                if is_place(results[0]) =>
            {
                // The address of an off-heap place is never materialized: its only uses
                // are the loads and stores above (the off-heap verifier made sure).
            }
            InstructionData::UnaryGlobalValue {
                opcode: Opcode::SymbolValue,
                global_value,
            } => {
                // A data symbol the module layout placed (the gate let nothing else in).
                let Some(addr) =
                    crate::support::placed_symbol(func, global_value, &self.env.layout.symbols)
                else {
                    return Err(self.error(
                        inst,
                        ErrorKind::Invalid,
                        "symbol_value of a symbol the module layout does not place",
                    ));
                };
                self.int_const(ty == types::I64, addr as i64);
                self.set(results[0]);
            }
            InstructionData::Load { flags, offset, .. } => {
                let access = match op {
                    Opcode::Uload8 | Opcode::Sload8 => Access {
                        bytes: 1,
                        signed: op == Opcode::Sload8,
                    },
                    Opcode::Uload16 | Opcode::Sload16 => Access {
                        bytes: 2,
                        signed: op == Opcode::Sload16,
                    },
                    Opcode::Uload32 | Opcode::Sload32 => Access {
                        bytes: 4,
                        signed: op == Opcode::Sload32,
                    },
                    Opcode::Load => Access {
                        bytes: ty.bytes(),
                        signed: false,
                    },
                    _ => return Ok(false),
                };
                // `uload32`/`sload32` are not polymorphic: their type is the result's.
                let ty = self.ty(results[0]);
                let big = dfg.mem_flags[flags].explicit_endianness() == Some(Endianness::Big);
                let memarg = self.address(args[0], offset.into(), access.bytes);
                self.load(ty, access, big, memarg);
                self.set(results[0]);
            }
            InstructionData::Store { flags, offset, .. } => {
                let (value, addr) = (args[0], args[1]);
                let bytes = match op {
                    Opcode::Istore8 => 1,
                    Opcode::Istore16 => 2,
                    Opcode::Istore32 => 4,
                    Opcode::Store => self.ty(value).bytes(),
                    _ => return Ok(false),
                };
                let big = dfg.mem_flags[flags].explicit_endianness() == Some(Endianness::Big);
                let memarg = self.address(addr, offset.into(), bytes);
                self.get_resolved(value);
                self.store(self.ty(value), bytes, big, memarg);
            }
            InstructionData::StackAddr {
                stack_slot, offset, ..
            } => {
                let Some(frame) = &self.frame else {
                    return Err(self.error(inst, ErrorKind::Invalid, "stack slot without a frame"));
                };
                let base = frame.base;
                let disp = frame.layout.offsets[stack_slot] as i64 + i64::from(i32::from(offset));
                let wide = self.env.target.pointer_type() == types::I64;
                self.sink().local_get(base);
                if disp != 0 {
                    self.int_const(wide, disp);
                    self.int_op(wide, super::IntOp::Add);
                }
                self.pointer_to(ty);
                self.set(results[0]);
            }
            _ => match op {
                Opcode::GetStackPointer | Opcode::GetFramePointer => {
                    match (&self.frame, op) {
                        (Some(frame), Opcode::GetFramePointer) => {
                            let base = frame.base;
                            self.sink().local_get(base);
                        }
                        _ => {
                            let sp = self.env.stack_pointer();
                            self.sink().global_get(sp);
                        }
                    }
                    self.pointer_to(ty);
                    self.set(results[0]);
                }
                Opcode::GetPinnedReg => {
                    let global = self.env.pinned_reg(val_type(ty));
                    self.sink().global_get(global);
                    self.set(results[0]);
                }
                Opcode::SetPinnedReg => {
                    let value = args[0];
                    let global = self.env.pinned_reg(val_type(self.ty(value)));
                    self.get_resolved(value);
                    self.sink().global_set(global);
                }
                _ => return Ok(false),
            },
        }
        Ok(true)
    }

    /// A load (`value` is `None`, `results` its result) or store of `value` through the
    /// off-heap place at `addr`: `local.get`/`local.set` of a value slot,
    /// `global.get`/`global.set` of a wasm global.
    fn place_access(&mut self, addr: ir::Value, value: Option<ir::Value>, results: &[ir::Value]) {
        let place = self
            .analysis
            .place_of_unaliased(addr)
            .expect("a place address");
        if let Some(value) = value {
            self.get_resolved(value);
        }
        match place {
            Place::Slot { slot, ty } => {
                let local = self.slot_local(slot, ty);
                match value {
                    Some(_) => self.sink().local_set(local),
                    None => self.sink().local_get(local),
                };
            }
            Place::Global { id, .. } => {
                let global = self.env.global_index[&id];
                match value {
                    Some(_) => self.sink().global_set(global),
                    None => self.sink().global_get(global),
                };
            }
            Place::Table { .. } => unreachable!("the verifier rejects loads and stores of tables"),
        }
        if value.is_none() {
            self.set(results[0]);
        }
    }

    /// Convert the pointer-typed value on top of the stack to integer type `ty`. Stack
    /// addresses are below 4 GiB, so narrowing them to i32 is exact.
    fn pointer_to(&mut self, ty: Type) {
        match (self.env.target.pointer_type(), ty) {
            (types::I64, types::I32) => {
                self.sink().i32_wrap_i64();
            }
            (types::I32, types::I64) => {
                self.sink().i64_extend_i32_u();
            }
            _ => {}
        }
    }

    /// Push `addr` (alias-resolved) as a pointer of the target: a narrower address is
    /// zero-extended; a wider one must fit, or the access traps (it could not be in
    /// bounds).
    fn push_address(&mut self, addr: ir::Value) {
        let ptr = self.env.target.pointer_type();
        self.get_resolved(addr);
        match (self.ty(addr), ptr) {
            (types::I32, types::I64) => {
                self.sink().i64_extend_i32_u();
            }
            (types::I64, types::I32) => {
                self.get_resolved(addr);
                self.sink()
                    .i64_const(32)
                    .i64_shr_u()
                    .i32_wrap_i64()
                    .if_(wasm_encoder::BlockType::Empty)
                    .unreachable()
                    .end()
                    .i32_wrap_i64();
            }
            _ => {}
        }
    }

    /// Push the address of an access of `bytes` bytes at `addr + offset` (`addr` alias-
    /// resolved), and return the memarg to use with it. Negative offsets are added to the
    /// address explicitly, since wasm offsets are unsigned.
    fn address(&mut self, addr: ir::Value, offset: i32, bytes: u32) -> MemArg {
        let offset = i64::from(offset);
        self.env.uses_memory = true;
        self.push_address(addr);
        let wide = self.env.target.pointer_type() == types::I64;
        let memarg_offset = if offset < 0 {
            self.int_const(wide, offset);
            self.int_op(wide, super::IntOp::Add);
            0
        } else {
            offset as u64
        };
        MemArg {
            offset: memarg_offset,
            align: bytes.trailing_zeros(),
            target: MemArgTarget::Memory(0),
            ordering: None,
        }
    }

    /// Load with the address on the stack; leaves the value of type `ty`.
    fn load(&mut self, ty: Type, access: Access, big: bool, m: MemArg) {
        let wide = ty == types::I64;
        if big && access.bytes > 1 {
            // Load the raw bytes unsigned, swap them, then extend and convert.
            let raw_wide = access.bytes == 8;
            let mut s = self.sink();
            match access.bytes {
                2 => s.i32_load16_u(m),
                4 => s.i32_load(m),
                _ => s.i64_load(m),
            };
            self.reverse_top(access.bytes * 8, false);
            if access.signed && access.bytes == 2 {
                self.sink().i32_extend16_s();
            }
            if wide && !raw_wide {
                if access.signed {
                    self.sink().i64_extend_i32_s();
                } else {
                    self.sink().i64_extend_i32_u();
                }
            }
            match ty {
                types::F32 => {
                    self.sink().f32_reinterpret_i32();
                }
                types::F64 => {
                    self.sink().f64_reinterpret_i64();
                }
                _ => self.mask(ty),
            }
            return;
        }
        let opcode = match (ty, access.bytes, access.signed) {
            (types::F32, _, _) => F32_LOAD,
            (types::F64, _, _) => F64_LOAD,
            (types::I64, 8, _) => I64_LOAD,
            (types::I64, 4, false) => I64_LOAD32_U,
            (types::I64, 4, true) => I64_LOAD32_S,
            (types::I64, 2, false) => I64_LOAD16_U,
            (types::I64, 2, true) => I64_LOAD16_S,
            (types::I64, 1, false) => I64_LOAD8_U,
            (types::I64, _, true) => I64_LOAD8_S,
            (_, 4, _) => I32_LOAD,
            (_, 2, false) => I32_LOAD16_U,
            (_, 2, true) => I32_LOAD16_S,
            (_, 1, false) => I32_LOAD8_U,
            (_, _, _) => I32_LOAD8_S,
        };
        write_access(&mut self.code, opcode, &m);
        if access.signed {
            self.mask(ty);
        }
    }

    /// Store the value of type `ty` on top of the stack (address below it) as `bytes` bytes.
    fn store(&mut self, ty: Type, bytes: u32, big: bool, m: MemArg) {
        let wide = ty == types::I64;
        if big && bytes > 1 {
            match ty {
                types::F32 => {
                    self.sink().i32_reinterpret_f32();
                }
                types::F64 => {
                    self.sink().i64_reinterpret_f64();
                }
                _ => {}
            }
            let int_wide = wide || ty == types::F64;
            if int_wide && bytes < 8 {
                self.sink().i32_wrap_i64();
            }
            if bytes == 2 {
                self.sink().i32_const(0xffff).i32_and();
            }
            self.reverse_top(bytes * 8, false);
            let mut s = self.sink();
            match bytes {
                2 => s.i32_store16(m),
                4 => s.i32_store(m),
                _ => s.i64_store(m),
            };
            return;
        }
        let opcode = match (val_type(ty), bytes) {
            (ValType::F32, _) => F32_STORE,
            (ValType::F64, _) => F64_STORE,
            (ValType::I64, 8) => I64_STORE,
            (ValType::I64, 4) => I64_STORE32,
            (ValType::I64, 2) => I64_STORE16,
            (ValType::I64, _) => I64_STORE8,
            (_, 4) => I32_STORE,
            (_, 2) => I32_STORE16,
            (_, _) => I32_STORE8,
        };
        write_access(&mut self.code, opcode, &m);
    }
}
