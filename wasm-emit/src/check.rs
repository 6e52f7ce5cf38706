//! Checking a function without compiling it: Cranelift's verifier, the off-heap rules
//! and the feature gate, each failure as this crate's [`Error`].

use crate::error::{Error, ErrorKind, Result};
use crate::{support, Options};
use cranelift_codegen::ir::InstBuilder;
use cranelift_codegen::{ir, settings, verify_function};
use cranelift_offheap::analysis::Analysis;
use cranelift_offheap::ModuleDecls;
use std::collections::HashMap;

/// Check that `func` is valid CLIF, keeps the off-heap rules of `decls`, and uses only
/// features this backend lowers.
pub fn check(func: &ir::Function, decls: &ModuleDecls, options: &Options) -> Result<()> {
    let no_symbols = HashMap::new();
    check_with(
        func,
        decls,
        options,
        &Analysis::compute(func, decls),
        &no_symbols,
    )
}

/// [`check`] for a function whose `symbol_value`s of data name the keys of `symbols`
/// (CLIF names such as `u1:3`; the addresses do not matter here), as a module toolchain
/// checks a definition before its data is placed.
pub fn check_placed(
    func: &ir::Function,
    decls: &ModuleDecls,
    options: &Options,
    symbols: &HashMap<String, u64>,
) -> Result<()> {
    check_with(
        func,
        decls,
        options,
        &Analysis::compute(func, decls),
        symbols,
    )
}

/// [`check`] with the off-heap analysis of `func` already computed.
fn check_with(
    func: &ir::Function,
    decls: &ModuleDecls,
    options: &Options,
    analysis: &Analysis,
    symbols: &HashMap<String, u64>,
) -> Result<()> {
    check_input(func, decls, options, analysis)?;
    support::check_function(func, decls, symbols)
}

/// [`check_with`] without the feature gate: Cranelift's verifier (if `options.verify`)
/// and the off-heap rules.
fn check_input(
    func: &ir::Function,
    decls: &ModuleDecls,
    options: &Options,
    analysis: &Analysis,
) -> Result<()> {
    if options.verify {
        verify(func)?;
    }
    match offheap_errors_with(func, decls, analysis)
        .into_iter()
        .next()
    {
        Some(first) => Err(first),
        None => Ok(()),
    }
}

/// Every violation of the off-heap rules in `func` (see `cranelift_offheap::verify`).
pub fn offheap_errors(func: &ir::Function, decls: &ModuleDecls) -> Vec<Error> {
    offheap_errors_with(func, decls, &Analysis::compute(func, decls))
}

fn offheap_errors_with(
    func: &ir::Function,
    decls: &ModuleDecls,
    analysis: &Analysis,
) -> Vec<Error> {
    match cranelift_offheap::verify_with(func, decls, analysis) {
        Ok(()) => Vec::new(),
        Err(errors) => errors.into_iter().map(offheap_error).collect(),
    }
}

/// A violation of the off-heap rules as this crate's error.
pub(crate) fn offheap_error(e: cranelift_offheap::VerifyError) -> Error {
    let mut err = Error::new(
        ErrorKind::Invalid,
        e.function.clone(),
        format!("{} [{}]", e.message, e.rule),
    )
    .with_hint(e.hint());
    err.inst = e.inst;
    err.inst_text = e.inst_text;
    err.rule = Some(e.rule);
    err
}

/// Cranelift's verifier on `func` (on a copy without the instructions it refuses
/// without an ISA), its first error as this crate's.
pub(crate) fn verify(func: &ir::Function) -> Result<()> {
    // Cranelift's verifier indexes the base of a derived global value without checking it
    // exists (the reader accepts `gv1 = iadd_imm gv5, 8` with no gv5): check first.
    for (gv, data) in func.global_values.iter() {
        if let ir::GlobalValueData::Load { base, .. } | ir::GlobalValueData::IAddImm { base, .. } =
            data
        {
            if !func.global_values.is_valid(*base) {
                return Err(Error::new(
                    ErrorKind::Invalid,
                    func.name.to_string(),
                    format!("invalid CLIF: {gv} is derived from {base}, which is not declared"),
                )
                .with_hint("declare every global value a global value is derived from"));
            }
        }
    }
    let flags = settings::Flags::new(settings::builder());
    // The verifier refuses pinned-register and frame-pointer instructions without an ISA,
    // and with a native ISA it would impose that ISA's pointer width. Verify a copy in
    // which those operand-free instructions are replaced by constants of the same type.
    let needs_isa = |op| {
        matches!(
            op,
            ir::Opcode::GetPinnedReg | ir::Opcode::SetPinnedReg | ir::Opcode::GetFramePointer
        )
    };
    let special: Vec<ir::Inst> = func
        .layout
        .blocks()
        .flat_map(|b| func.layout.block_insts(b))
        .filter(|&i| needs_isa(func.dfg.insts[i].opcode()))
        .collect();
    let shadow;
    let mut checked = func;
    if !special.is_empty() {
        let mut copy = func.clone();
        for inst in special {
            if copy.dfg.insts[inst].opcode() == ir::Opcode::SetPinnedReg {
                copy.replace(inst).nop();
            } else {
                let ty = copy.dfg.ctrl_typevar(inst);
                copy.replace(inst).iconst(ty, 0);
            }
        }
        shadow = copy;
        checked = &shadow;
    }
    verify_function(checked, &flags).map_err(|errors| {
        let first = &errors.0[0];
        let mut err = Error::new(
            ErrorKind::Invalid,
            func.name.to_string(),
            format!("invalid CLIF: {}", first.message),
        );
        if let ir::entities::AnyEntity::Inst(inst) = first.location {
            err.inst = Some(inst);
            err.inst_text = Some(func.dfg.display_inst(inst).to_string());
        }
        err.with_hint("the input must pass Cranelift's verifier")
    })
}
