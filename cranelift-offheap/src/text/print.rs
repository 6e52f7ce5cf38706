//! Writing functions and declarations back in the extension's syntax (a `FuncWriter`).

use crate::analysis::Analysis;
use crate::decls::{
    ConstValue, FuncRefs, GlobalDecl, ModuleDecls, OffHeapSymbol, SigRefs, TableDecl,
};
use crate::slots::{slot_kind, SlotKind};
use crate::types::RefType;
use cranelift_codegen::entity::SecondaryMap;
use cranelift_codegen::ir::{
    self, entities::AnyEntity, immediates::Ieee32, immediates::Ieee64, Value,
};
use cranelift_codegen::write::{decorate_function, FuncWriter, PlainWriter};
use std::fmt::{self, Write};

/// The declarations and then every function, in the extension's syntax.
pub fn print(decls: &ModuleDecls, functions: &[ir::Function]) -> String {
    let mut out = String::new();
    for g in decls.globals.values() {
        out.push_str(&global_line(g));
        out.push('\n');
    }
    for t in decls.tables.values() {
        out.push_str(&table_line(t));
        out.push('\n');
    }
    for f in functions {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&print_function(decls, f));
    }
    out
}

/// One function in the extension's syntax.
pub fn print_function(decls: &ModuleDecls, func: &ir::Function) -> String {
    let analysis = Analysis::compute(func, decls);
    let mut writer = OffHeapWriter {
        decls,
        refs: &analysis.refs,
        func_refs: &analysis.func_refs,
    };
    let mut body = String::new();
    decorate_function(&mut writer, &mut body, func).expect("writing to a String");
    // The header line carries the function's own signature, with its references.
    let header = format!(
        "function {}{} {{",
        func.name,
        signature(&func.signature, &analysis.func_refs.signature)
    );
    match body.split_once('\n') {
        Some((_, rest)) => format!("{header}\n{rest}"),
        None => header,
    }
}

struct OffHeapWriter<'a> {
    decls: &'a ModuleDecls,
    refs: &'a SecondaryMap<Value, Option<RefType>>,
    func_refs: &'a FuncRefs,
}

impl FuncWriter for OffHeapWriter<'_> {
    fn write_instruction(
        &mut self,
        w: &mut dyn Write,
        func: &ir::Function,
        aliases: &SecondaryMap<Value, Vec<Value>>,
        inst: ir::Inst,
        indent: usize,
    ) -> fmt::Result {
        PlainWriter.write_instruction(w, func, aliases, inst, indent)
    }

    fn write_block_header(
        &mut self,
        w: &mut dyn Write,
        func: &ir::Function,
        block: ir::Block,
        indent: usize,
    ) -> fmt::Result {
        write!(w, "{:1$}{block}", "", indent - 4)?;
        let params = func.dfg.block_params(block);
        if !params.is_empty() {
            let list: Vec<String> = params
                .iter()
                .map(|&v| match self.refs[v] {
                    Some(r) => format!("{v}: {r}"),
                    None => format!("{v}: {}", func.dfg.value_type(v)),
                })
                .collect();
            write!(w, "({})", list.join(", "))?;
        }
        let cold = if func.layout.is_cold(block) {
            " cold"
        } else {
            ""
        };
        writeln!(w, "{cold}:")
    }

    fn write_entity_definition(
        &mut self,
        w: &mut dyn Write,
        func: &ir::Function,
        entity: AnyEntity,
        value: &dyn fmt::Display,
    ) -> fmt::Result {
        match entity {
            AnyEntity::StackSlot(ss) => {
                if let SlotKind::Value(ty) = slot_kind(&func.sized_stack_slots[ss]) {
                    if func.sized_stack_slots[ss].size == ty.size() {
                        return writeln!(w, "    {ss} = value_slot {ty}");
                    }
                }
            }
            AnyEntity::GlobalValue(gv) => match self.decls.off_heap(func, gv) {
                Some(OffHeapSymbol::Global(id))
                    if self.decls.globals.get(id).is_some() && zero_offset(func, gv) =>
                {
                    return writeln!(w, "    {gv} = wasm_global %{}", self.decls.globals[id].name);
                }
                Some(OffHeapSymbol::Table(id))
                    if self.decls.tables.get(id).is_some() && zero_offset(func, gv) =>
                {
                    return writeln!(w, "    {gv} = wasm_table %{}", self.decls.tables[id].name);
                }
                _ => {}
            },
            AnyEntity::SigRef(sig) => {
                if let Some(refs) = self.func_refs.sig(sig) {
                    return writeln!(
                        w,
                        "    {sig} = {}",
                        signature(&func.dfg.signatures[sig], refs)
                    );
                }
            }
            _ => {}
        }
        writeln!(w, "    {entity} = {value}")
    }
}

fn zero_offset(func: &ir::Function, gv: ir::GlobalValue) -> bool {
    matches!(func.global_values[gv], ir::GlobalValueData::Symbol { offset, .. } if offset.bits() == 0)
}

/// A signature as CLIF prints it, with reference types where `refs` says so.
fn signature(sig: &ir::Signature, refs: &SigRefs) -> String {
    let show = |params: &[ir::AbiParam], r: &dyn Fn(usize) -> Option<RefType>| -> String {
        params
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let text = p.to_string();
                match r(i) {
                    Some(rt) => text.replacen("i32", &rt.to_string(), 1),
                    None => text,
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = format!("({})", show(&sig.params, &|i| refs.param(i)));
    if !sig.returns.is_empty() {
        out.push_str(" -> ");
        out.push_str(&show(&sig.returns, &|i| refs.ret(i)));
    }
    out.push_str(&format!(" {}", sig.call_conv));
    out
}

fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\\\""))
}

fn global_line(g: &GlobalDecl) -> String {
    let mut s = format!("global %{}: {}", g.name, g.ty);
    if g.mutable {
        s.push_str(" mut");
    }
    if let Some(init) = g.init {
        let v = match init {
            ConstValue::I32(v) => v.to_string(),
            ConstValue::I64(v) => v.to_string(),
            ConstValue::F32(b) => Ieee32::with_bits(b).to_string(),
            ConstValue::F64(b) => Ieee64::with_bits(b).to_string(),
            ConstValue::Null => "null".to_string(),
        };
        s.push_str(&format!(" = {v}"));
    }
    if let Some(i) = &g.import {
        s.push_str(&format!(
            " import {} {}",
            quoted(&i.module),
            quoted(&i.name)
        ));
    }
    if let Some(e) = &g.export {
        s.push_str(&format!(" export {}", quoted(e)));
    }
    s
}

fn table_line(t: &TableDecl) -> String {
    let mut s = format!("table %{}: {} min {}", t.name, t.elem, t.min);
    if let Some(max) = t.max {
        s.push_str(&format!(" max {max}"));
    }
    if let Some(i) = &t.import {
        s.push_str(&format!(
            " import {} {}",
            quoted(&i.module),
            quoted(&i.name)
        ));
    }
    if let Some(e) = &t.export {
        s.push_str(&format!(" export {}", quoted(e)));
    }
    s
}
