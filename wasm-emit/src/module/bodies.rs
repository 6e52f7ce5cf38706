//! The code section and the local-names subsection, encoded as each function is lowered.
//!
//! A module of many functions then keeps no body of its own per function until assembly
//! (at 166,000 functions those allocations cost cache misses), and the bytes are written
//! directly: a function's code is copied once into the section, and a local's name (`v12`,
//! `ss0`) is written as bytes without going through a `String`.

use crate::func::LocalName;
use wasm_encoder::{Encode, SectionId, ValType};

/// Append `value` as unsigned LEB128 to `out`.
#[inline]
pub fn write_u32(out: &mut Vec<u8>, value: u32) {
    if value < 0x80 {
        out.push(value as u8);
        return;
    }
    let mut rest = value;
    while rest >= 0x80 {
        out.push((rest as u8 & 0x7f) | 0x80);
        rest >>= 7;
    }
    out.push(rest as u8);
}

/// How many bytes `value` takes as unsigned LEB128.
#[inline]
pub fn leb128_len(value: u32) -> usize {
    (32 - (value | 1).leading_zeros() as usize).div_ceil(7)
}

/// Append `value` as signed LEB128 to `out` (as the immediates of `i32.const` and
/// `i64.const` are encoded).
#[inline]
pub fn write_i64(out: &mut Vec<u8>, value: i64) {
    let mut rest = value;
    loop {
        let byte = (rest as u8) & 0x7f;
        rest >>= 7;
        // Done when the rest is all sign bits and the byte's top bit agrees with them.
        if (rest == 0 && byte & 0x40 == 0) || (rest == -1 && byte & 0x40 != 0) {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Append `value` as unsigned LEB128 to `out`.
#[inline]
pub fn write_u64(out: &mut Vec<u8>, value: u64) {
    let mut rest = value;
    while rest >= 0x80 {
        out.push((rest as u8 & 0x7f) | 0x80);
        rest >>= 7;
    }
    out.push(rest as u8);
}

/// The code and local names of the functions lowered so far.
#[derive(Default)]
pub struct Bodies {
    /// The code section's entries (each a size, then its locals and code).
    code: Vec<u8>,
    functions: u32,
    /// The local-names subsection's entries (each a function index and its name map).
    local_names: Vec<u8>,
    named_functions: u32,
    /// A function's locals header, and a function's name map, while they are built.
    header: Vec<u8>,
    names: Vec<u8>,
}

impl Bodies {
    /// Empty bodies with room for about `insts` CLIF instructions' code and `other`
    /// bytes of the module's other sections (which the code's buffer takes at assembly,
    /// see [`Bodies::take_code_section`]): growing the buffer as functions come would copy
    /// it again and again.
    pub fn for_instructions(insts: usize, other: usize) -> Bodies {
        // Most instructions lower to a few bytes, with their local operations. A large
        // buffer is fresh memory, written once: huge pages spare a fault per 4 KiB.
        let mut code = Vec::new();
        crate::reuse::empty_with_room(&mut code, 4 * insts + other);
        Bodies {
            code,
            ..Bodies::default()
        }
    }

    /// Add the function with index `index` (functions come in index order): its declared
    /// locals (`locals`, in index order after the parameters, as runs of one type with a
    /// count each: none empty, no two neighbours of one type), its `code` (ending with
    /// `end`), and the names of its locals by local index (`names`, in index order).
    pub fn push(
        &mut self,
        index: u32,
        locals: &[(ValType, u32)],
        code: &[u8],
        names: impl Iterator<Item = (u32, LocalName)>,
    ) {
        let header = &mut self.header;
        header.clear();
        write_u32(header, locals.len() as u32);
        for &(ty, count) in locals {
            write_u32(header, count);
            ty.encode(header);
        }
        write_u32(&mut self.code, (header.len() + code.len()) as u32);
        self.code.extend_from_slice(header);
        self.code.extend_from_slice(code);
        self.functions += 1;

        let map = &mut self.names;
        map.clear();
        let mut count = 0u32;
        for (local, name) in names {
            write_u32(map, local);
            name.write_bytes(map);
            count += 1;
        }
        if count > 0 {
            write_u32(&mut self.local_names, index);
            write_u32(&mut self.local_names, count);
            self.local_names.extend_from_slice(map);
            self.named_functions += 1;
        }
    }

    /// The module's bytes so far (`head`: its header and the sections before the code),
    /// then the code section, in the code's own buffer, with room for `room` more bytes
    /// (the sections after the code). The code is moved up within its buffer rather than
    /// copied into a new one: for a large module a fresh buffer of tens of megabytes
    /// costs a page fault every 4 KiB. The entries are taken: the bodies keep only the
    /// local names.
    pub fn take_code_section(&mut self, head: &[u8], room: usize) -> Vec<u8> {
        let mut prefix = Vec::with_capacity(head.len() + 11);
        prefix.extend_from_slice(head);
        prefix.push(SectionId::Code as u8);
        write_u32(
            &mut prefix,
            (leb128_len(self.functions) + self.code.len()) as u32,
        );
        write_u32(&mut prefix, self.functions);
        let mut bytes = std::mem::take(&mut self.code);
        let entries = bytes.len();
        bytes.reserve(prefix.len() + room);
        // Grow by the prefix's length (the bytes written here are overwritten), move the
        // entries up, then write the prefix in front of them.
        bytes.extend_from_slice(&prefix);
        bytes.copy_within(0..entries, prefix.len());
        bytes[..prefix.len()].copy_from_slice(&prefix);
        bytes
    }

    /// The local-names subsection's contents, if any function has named locals.
    pub fn local_names(&self) -> Option<Vec<u8>> {
        (self.named_functions > 0).then(|| with_count(self.named_functions, &self.local_names))
    }
}

fn with_count(count: u32, entries: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() + 5);
    write_u32(&mut out, count);
    out.extend_from_slice(entries);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::ir::{StackSlot, Value};
    use cranelift_entity::EntityRef;
    use wasm_encoder::{CodeSection, Function, IndirectNameMap, NameMap};

    #[test]
    fn leb128_as_wasm_encoder_writes_it() {
        for v in [0, 1, 127, 128, 300, 16_383, 16_384, 2_097_152, u32::MAX] {
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            write_u32(&mut ours, v);
            v.encode(&mut theirs);
            assert_eq!(ours, theirs, "{v}");
            assert_eq!(leb128_len(v), ours.len(), "{v}");
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            write_u64(&mut ours, v as u64 * 3_000_000_007);
            (v as u64 * 3_000_000_007).encode(&mut theirs);
            assert_eq!(ours, theirs, "{v} * 3e9");
        }
        for v in [
            0,
            1,
            -1,
            63,
            64,
            -64,
            -65,
            8191,
            -8192,
            1 << 20,
            i32::MAX as i64,
            i32::MIN as i64,
            i64::MAX,
            i64::MIN,
        ] {
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            write_i64(&mut ours, v);
            v.encode(&mut theirs);
            assert_eq!(ours, theirs, "{v}");
            if let Ok(narrow) = i32::try_from(v) {
                let mut theirs = Vec::new();
                narrow.encode(&mut theirs);
                assert_eq!(ours, theirs, "{v} as i32");
            }
        }
    }

    /// Bodies and names come out as wasm-encoder's `CodeSection` and `IndirectNameMap`
    /// encode them.
    #[test]
    fn sections_as_wasm_encoder_writes_them() {
        // (declared locals, code, local names) of each function.
        type Case<'a> = (&'a [ValType], &'a [u8], &'a [(u32, LocalName)]);
        let funcs: [Case; 3] = [
            (
                &[ValType::I32, ValType::I32, ValType::F64, ValType::I32],
                &[0x20, 0x00, 0x1a, 0x0b],
                &[
                    (1, LocalName::Value(Value::new(7))),
                    (300, LocalName::Slot(StackSlot::new(12))),
                ],
            ),
            (&[], &[0x0b], &[]),
            (
                &[ValType::I64; 200],
                &[0x01; 300],
                &[(0, LocalName::Value(Value::new(1234)))],
            ),
        ];
        let mut bodies = Bodies::default();
        let mut code = CodeSection::new();
        let mut local_names = IndirectNameMap::new();
        for (i, (locals, body, names)) in funcs.iter().enumerate() {
            let runs: Vec<(ValType, u32)> = locals
                .chunk_by(|a, b| a == b)
                .map(|run| (run[0], run.len() as u32))
                .collect();
            bodies.push(i as u32 + 5, &runs, body, names.iter().copied());
            let mut f = Function::new_with_locals_types(locals.iter().copied());
            f.raw(body.iter().copied());
            code.function(&f);
            if !names.is_empty() {
                let mut map = NameMap::new();
                for (local, name) in names.iter() {
                    map.append(*local, &name.to_string());
                }
                local_names.append(i as u32 + 5, &map);
            }
        }
        let mut theirs = wasm_encoder::Module::new();
        theirs.section(&code);
        let ours = bodies.take_code_section(&wasm_encoder::Module::HEADER, 0);
        assert_eq!(ours, theirs.finish());
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        local_names.encode(&mut theirs);
        ours.extend(bodies.local_names().unwrap());
        assert_eq!(ours, theirs);
    }
}
