//! The module's bytes: the sections before the code in a small buffer, then moved in
//! front of the code section's entries in the code's own buffer, sized up front for the
//! sections after it (data and names), each section written straight into it.
//! wasm-encoder's `Module` grows its buffer as sections come, and a section built on its
//! own is copied in again: for a large module that is tens of megabytes copied, and fresh
//! pages faulted in, more than once.

use super::bodies::{leb128_len, write_i64, write_u32, Bodies};
use super::layout::{DataSegment, SegmentMode};
use wasm_encoder::{Module, Section, SectionId};

/// A module being written.
pub struct Output {
    bytes: Vec<u8>,
    /// The bytes the sections after the code take, about.
    after_code: usize,
}

impl Output {
    /// The module header, with room for `head` bytes of sections before the code, and
    /// the segments `data` and `tail` bytes of other sections after it.
    pub fn new(head: usize, data: &[DataSegment], tail: usize) -> Output {
        let mut bytes = Vec::with_capacity(Module::HEADER.len() + head);
        bytes.extend_from_slice(&Module::HEADER);
        Output {
            bytes,
            after_code: data_room(data) + tail,
        }
    }

    /// Append `section` (its id, then its encoding).
    pub fn section(&mut self, section: &impl Section) {
        self.bytes.push(section.id());
        section.encode(&mut self.bytes);
    }

    /// Append the code section, taking the entries of `bodies` with their buffer.
    pub fn code(&mut self, bodies: &mut Bodies) {
        self.bytes = bodies.take_code_section(&self.bytes, self.after_code);
    }

    /// Append the data section of `data` (not empty), with offsets of the memory's index
    /// type (`memory64`). Its entries are written directly (as `bodies` writes the code):
    /// the encoder's `ConstExpr` allocates for every active segment's offset, and a large
    /// module has a hundred thousand segments.
    pub fn data(&mut self, data: &[DataSegment], memory64: bool) {
        let out = &mut self.bytes;
        out.push(SectionId::Data as u8);
        let size = leb128_len(data.len() as u32)
            + data
                .iter()
                .map(|segment| {
                    let mode = match segment.mode {
                        // Memory 0, `i32.const` or `i64.const` of the offset, `end`.
                        SegmentMode::Active { offset } => {
                            3 + sleb128_len(offset_of(offset, memory64))
                        }
                        _ => 1,
                    };
                    let len = segment.bytes.len();
                    mode + leb128_len(len as u32) + len
                })
                .sum::<usize>();
        write_u32(out, size as u32);
        let start = out.len();
        write_u32(out, data.len() as u32);
        for segment in data {
            match segment.mode {
                SegmentMode::Active { offset } => {
                    out.push(0x00);
                    out.push(if memory64 { 0x42 } else { 0x41 }); // i64.const, i32.const
                    write_i64(out, offset_of(offset, memory64));
                    out.push(0x0b); // end
                }
                _ => out.push(0x01), // passive
            }
            write_u32(out, segment.bytes.len() as u32);
            out.extend_from_slice(&segment.bytes);
        }
        debug_assert_eq!(out.len() - start, size);
    }

    /// The module's bytes.
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

/// The bytes the data section of `data` takes, at most.
pub fn data_room(data: &[DataSegment]) -> usize {
    // A segment's mode, offset and length take at most 16 bytes.
    data.iter().map(|d| d.bytes.len() + 16).sum()
}

/// The constant an active segment's `offset` is written as: an i64, or an i32 (as a
/// signed value) on a 32-bit memory.
fn offset_of(offset: u64, memory64: bool) -> i64 {
    if memory64 {
        offset as i64
    } else {
        i64::from(offset as i32)
    }
}

/// How many bytes `value` takes as signed LEB128.
fn sleb128_len(value: i64) -> usize {
    // The bits to write: the value's significant bits and a sign bit.
    let significant = if value < 0 {
        64 - value.leading_ones() as usize
    } else {
        64 - value.leading_zeros() as usize
    };
    (significant + 1).div_ceil(7)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The data section comes out as wasm-encoder writes it (active segments on 32- and
    /// 64-bit memories, offsets of every LEB128 length, passive segments), its size
    /// computed before its entries included: the tests run in release builds, where the
    /// `debug_assert` on the size is off.
    #[test]
    fn data_section_as_wasm_encoder_writes_it() {
        let offsets = [
            0u64,
            63,
            64,
            8191,
            1 << 20,
            0x8000_0000,
            u32::MAX as u64,
            1 << 40,
        ];
        let mut data: Vec<DataSegment> = offsets
            .iter()
            .enumerate()
            .map(|(i, &offset)| DataSegment {
                bytes: vec![i as u8; i * 40],
                mode: SegmentMode::Active { offset },
            })
            .collect();
        data.push(DataSegment {
            bytes: vec![7; 200],
            mode: SegmentMode::Passive,
        });
        for memory64 in [false, true] {
            let mut theirs = wasm_encoder::DataSection::new();
            for segment in &data {
                match segment.mode {
                    SegmentMode::Active { offset } => {
                        let at = if memory64 {
                            wasm_encoder::ConstExpr::i64_const(offset as i64)
                        } else {
                            wasm_encoder::ConstExpr::i32_const(offset as i32)
                        };
                        theirs.active(0, &at, segment.bytes.iter().copied());
                    }
                    _ => {
                        theirs.passive(segment.bytes.iter().copied());
                    }
                }
            }
            let mut module = Module::new();
            module.section(&theirs);
            let mut ours = Output::new(0, &data, 0);
            ours.data(&data, memory64);
            assert_eq!(ours.finish(), module.finish(), "memory64: {memory64}");
        }
    }

    #[test]
    fn sleb128_len_counts_what_write_i64_writes() {
        let mut values = vec![0, 1, -1, 63, 64, -64, -65, i64::MAX, i64::MIN];
        for shift in 0..64 {
            values.extend([1i64 << shift, (1i64 << shift) - 1, -(1i64 << shift)]);
        }
        for v in values {
            let mut bytes = Vec::new();
            write_i64(&mut bytes, v);
            assert_eq!(sleb128_len(v), bytes.len(), "{v}");
        }
    }
}
