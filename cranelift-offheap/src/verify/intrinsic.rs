//! The verifier's rules for calls of the table and reference intrinsics: table operands
//! that are table handles of one element type, constant segment indices, `func_addr`
//! operands, and the declared signature.

use super::Verifier;
use crate::analysis::Place;
use crate::decls::SigRefs;
use crate::intrinsics::Intrinsic;
use crate::rules::Rule;
use cranelift_codegen::ir::{self, Opcode, Value};

impl Verifier<'_> {
    pub(super) fn intrinsic(
        &mut self,
        inst: ir::Inst,
        i: Intrinsic,
        sig: ir::SigRef,
        refs: &SigRefs,
        args: &[Value],
        done: &mut [bool],
    ) {
        let mut elem = None;
        let mut tables_ok = true;
        for &p in i.table_params() {
            done[p] = true;
            match args.get(p).and_then(|&v| self.place(v)) {
                Some(Place::Table { elem: e, .. }) if elem.is_none_or(|x| x == e) => elem = Some(e),
                Some(Place::Table { .. }) => {
                    tables_ok = false;
                    self.error(
                        Some(inst),
                        Rule::IntrinsicSignature,
                        format!("the tables of %{} have different element types", i.name()),
                    );
                }
                _ => {
                    tables_ok = false;
                    self.error(
                        Some(inst),
                        Rule::TableOperand,
                        format!("argument {p} of %{} must be a table handle", i.name()),
                    );
                }
            }
        }
        for &p in i.segment_params() {
            done[p] = true;
            if !self.defined_by(args.get(p), Opcode::Iconst) {
                self.error(
                    Some(inst),
                    Rule::SegmentOperand,
                    format!(
                        "argument {p} of %{} must be an iconst segment index",
                        i.name()
                    ),
                );
            }
        }
        if i == Intrinsic::RefFunc {
            done[0] = true;
            if !self.defined_by(args.first(), Opcode::FuncAddr) {
                self.error(
                    Some(inst),
                    Rule::RefFuncOperand,
                    "the argument of %__wasm_ref_func is not a func_addr".into(),
                );
            }
        }
        let signature = &self.func.dfg.signatures[sig];
        // The element type is only known when the table operand is valid; then check.
        if tables_ok && !i.matches(signature, refs, elem) {
            let elem_note = elem.map_or(String::new(), |e| {
                format!(" (REF = {e}, the table's element type)")
            });
            self.error(
                Some(inst),
                Rule::IntrinsicSignature,
                format!(
                    "%{} must be declared as {}{elem_note}",
                    i.name(),
                    i.signature_text()
                ),
            );
        }
    }

    /// Whether `v` is given and is the result of an instruction with opcode `op`.
    fn defined_by(&self, v: Option<&Value>, op: Opcode) -> bool {
        v.is_some_and(|&v| match self.func.dfg.value_def(v) {
            ir::ValueDef::Result(def, _) => self.func.dfg.insts[def].opcode() == op,
            _ => false,
        })
    }
}
