//! The off-heap intrinsics (`%__wasm_*` calls, see `cranelift_offheap::intrinsics`): each
//! becomes the one wasm instruction it stands for, on references, tables, linear memory
//! and segments.

use crate::error::{ErrorKind, Result};
use crate::func::FuncLower;
use crate::module::env::heap_type;
use cranelift_codegen::ir::{self, InstructionData};
use cranelift_offheap::analysis::Place;
use cranelift_offheap::intrinsics::{Intrinsic, Operand};

use super::call::resolve_callee;

impl FuncLower<'_> {
    /// Lower the call `inst` of `intrinsic`.
    pub(super) fn intrinsic(&mut self, inst: ir::Inst, intrinsic: Intrinsic) -> Result<()> {
        self.check_address_operands(inst, intrinsic)?;
        let args = self.func.dfg.inst_args(inst).len();
        match intrinsic {
            Intrinsic::RefNull(r) => {
                self.env.uses_reference_types = true;
                self.sink().ref_null(heap_type(r));
            }
            Intrinsic::RefIsNull(_) => {
                self.env.uses_reference_types = true;
                self.get(self.arg(inst, 0));
                self.sink().ref_is_null();
            }
            Intrinsic::RefFunc => {
                self.env.uses_reference_types = true;
                let addr = self.arg(inst, 0);
                let ir::ValueDef::Result(def, _) = self.func.dfg.value_def(addr) else {
                    unreachable!("the off-heap verifier checked the operand")
                };
                let InstructionData::FuncAddr { func_ref, .. } = self.func.dfg.insts[def] else {
                    unreachable!("the off-heap verifier checked the operand")
                };
                // The func_addr was lowered (and so resolved) before this use.
                let pointer = self.env.target.pointer_type();
                let callee = resolve_callee(self.func, func_ref, pointer, |k| self.env.lookup(k))
                    .map(|c| self.env.callee(c))
                    .unwrap_or(0);
                self.env.ref_func(callee);
                self.sink().ref_func(callee);
            }
            Intrinsic::TableGet
            | Intrinsic::TableSet
            | Intrinsic::TableSize
            | Intrinsic::TableGrow
            | Intrinsic::TableFill => {
                self.env.uses_reference_types = true;
                let t = self.table_operand(inst, 0);
                for i in 1..args {
                    self.get(self.arg(inst, i));
                }
                let mut s = self.sink();
                match intrinsic {
                    Intrinsic::TableGet => s.table_get(t),
                    Intrinsic::TableSet => s.table_set(t),
                    Intrinsic::TableSize => s.table_size(t),
                    Intrinsic::TableGrow => s.table_grow(t),
                    _ => s.table_fill(t),
                };
            }
            Intrinsic::TableCopy => {
                self.env.uses_bulk_memory = true;
                let (dst, src) = (self.table_operand(inst, 0), self.table_operand(inst, 1));
                if dst != 0 || src != 0 {
                    self.env.uses_reference_types = true;
                }
                for i in 2..args {
                    self.get(self.arg(inst, i));
                }
                self.sink().table_copy(dst, src);
            }
            Intrinsic::TableInit => {
                self.env.uses_bulk_memory = true;
                let table = self.table_operand(inst, 0);
                if table != 0 {
                    self.env.uses_reference_types = true;
                }
                let segment = self.segment_operand(inst, 1, self.env.layout.elems.len())?;
                for i in 2..args {
                    self.get(self.arg(inst, i));
                }
                self.sink().table_init(table, segment);
            }
            Intrinsic::ElemDrop => {
                self.env.uses_bulk_memory = true;
                let segment = self.segment_operand(inst, 0, self.env.layout.elems.len())?;
                self.sink().elem_drop(segment);
            }
            Intrinsic::DataDrop => {
                self.env.uses_bulk_memory = true;
                let segment = self.segment_operand(inst, 0, self.env.data_count)?;
                self.sink().data_drop(segment);
            }
            Intrinsic::MemoryInit => {
                self.env.uses_bulk_memory = true;
                self.env.uses_memory = true;
                let segment = self.segment_operand(inst, 0, self.env.data_count)?;
                for i in 1..args {
                    self.get(self.arg(inst, i));
                }
                self.sink().memory_init(0, segment);
            }
            Intrinsic::MemorySize
            | Intrinsic::MemoryGrow
            | Intrinsic::MemoryCopy
            | Intrinsic::MemoryFill => {
                self.env.uses_memory = true;
                for i in 0..args {
                    self.get(self.arg(inst, i));
                }
                let mut s = self.sink();
                match intrinsic {
                    Intrinsic::MemorySize => s.memory_size(0),
                    Intrinsic::MemoryGrow => s.memory_grow(0),
                    Intrinsic::MemoryCopy => s.memory_copy(0, 0),
                    _ => s.memory_fill(0),
                };
            }
        }
        if let Some(&result) = self.func.dfg.inst_results(inst).first() {
            self.set(result);
        }
        Ok(())
    }

    /// The wasm index of the table handle in argument `i` (checked by the verifier).
    fn table_operand(&self, inst: ir::Inst, i: usize) -> u32 {
        match self.analysis.place_of_unaliased(self.arg(inst, i)) {
            Some(Place::Table { id, .. }) => self.env.table_index[&id],
            _ => unreachable!("the off-heap verifier checked the table operand"),
        }
    }

    /// The segment index in argument `i` (an `iconst`, checked by the verifier), which
    /// must name one of the layout's `count` segments.
    fn segment_operand(&self, inst: ir::Inst, i: usize, count: usize) -> Result<u32> {
        let value = self.arg(inst, i);
        let ir::ValueDef::Result(def, _) = self.func.dfg.value_def(value) else {
            unreachable!("the off-heap verifier checked the segment operand")
        };
        let InstructionData::UnaryImm { imm, .. } = self.func.dfg.insts[def] else {
            unreachable!("the off-heap verifier checked the segment operand")
        };
        let index = imm.bits();
        if index < 0 || index as u64 >= count as u64 {
            return Err(self
                .error(
                    inst,
                    ErrorKind::Invalid,
                    format!("segment {index} does not exist: the module layout has {count}"),
                )
                .with_hint("list the segment in the ModuleLayout passed to compile_with_layout"));
        }
        Ok(index as u32)
    }

    /// Memory sizes and addresses of the intrinsics must have the target's pointer type.
    fn check_address_operands(&self, inst: ir::Inst, intrinsic: Intrinsic) -> Result<()> {
        let pointer = self.env.target.pointer_type();
        let (params, results) = intrinsic.operands();
        let dfg = &self.func.dfg;
        let args = params
            .iter()
            .zip(dfg.inst_args(inst))
            .map(|(p, &v)| (p, dfg.value_type(v)));
        let res = results
            .iter()
            .zip(dfg.inst_results(inst))
            .map(|(p, &v)| (p, dfg.value_type(v)));
        if args
            .chain(res)
            .any(|(p, ty)| *p == Operand::Addr && ty != pointer)
        {
            return Err(self
                .error(
                    inst,
                    ErrorKind::Invalid,
                    format!(
                        "%{} takes addresses and sizes of the target's pointer type, {pointer}",
                        intrinsic.name()
                    ),
                )
                .with_hint("declare the intrinsic with the target's pointer type"));
        }
        Ok(())
    }
}
