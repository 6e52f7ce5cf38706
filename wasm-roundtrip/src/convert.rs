//! The bridge from Cranelift 0.112 IR (what cranelift-wasm produces) to 0.135 IR (what
//! wasm-emit takes): a few rewrites in 0.112 IR, then CLIF text, which both versions
//! share, read back with the 0.135 reader.
//!
//! The rewrites: the heap-base placeholder becomes 0 and the additions of it disappear
//! (wasm addresses are linear-memory addresses), the `*_imm` instructions 0.135 dropped
//! take an `iconst`, and trap codes that 0.135 no longer
//! names become user codes (wasm-emit lowers every trap to `unreachable`).

use crate::func_env::HEAP_BASE;
use cranelift_codegen_112::cursor::{Cursor, FuncCursor};
use cranelift_codegen_112::ir::{self, InstBuilder, Opcode};
use std::collections::{HashMap, HashSet};

/// The 0.135 signature of a 0.112 signature.
pub fn signature(
    sig: &ir::Signature,
) -> Result<cranelift_codegen::ir::Signature, cranelift_wasm::WasmError> {
    use cranelift_codegen::ir as new;
    let mut out = new::Signature::new(cranelift_codegen::isa::CallConv::Tail);
    let ty = |t: ir::Type| -> Result<new::Type, cranelift_wasm::WasmError> {
        Ok(match t {
            ir::types::I32 => new::types::I32,
            ir::types::I64 => new::types::I64,
            ir::types::F32 => new::types::F32,
            ir::types::F64 => new::types::F64,
            ir::types::I8X16 => new::types::I8X16,
            other => {
                return Err(cranelift_wasm::WasmError::Unsupported(format!(
                    "values of type {other}"
                )))
            }
        })
    };
    for p in &sig.params {
        out.params.push(new::AbiParam::new(ty(p.value_type)?));
    }
    for r in &sig.returns {
        out.returns.push(new::AbiParam::new(ty(r.value_type)?));
    }
    Ok(out)
}

/// Replace the heap base by 0 and drop the additions of it, and give each access the
/// offset of its wasm `memarg` back.
///
/// cranelift-wasm computes the address of `load offset=K (i)` as `(base + i) + K`, which
/// wraps in 32 bits; the wasm access does not (it traps). An access whose address has
/// exactly that shape becomes `load i+K`, with K in the instruction's offset, which
/// wasm-emit lowers to the memarg offset: the original semantics, and the original
/// encoding. An explicit `i32.add` in the wasm program stays an `iadd` (it does wrap).
fn remove_heap_base(func: &mut ir::Function) {
    let base: HashSet<ir::GlobalValue> = func
        .global_values
        .iter()
        .filter(|(_, d)| {
            matches!(d, ir::GlobalValueData::Symbol { name: ir::ExternalName::TestCase(n), .. }
                if n.to_string() == format!("%{HEAP_BASE}"))
        })
        .map(|(gv, _)| gv)
        .collect();
    if base.is_empty() {
        return;
    }
    let mut zeros: HashMap<ir::Value, ir::Inst> = HashMap::new();
    // Results of `base + i` (aliases of `i` once the base is gone).
    let mut from_base: HashSet<ir::Value> = HashSet::new();
    // Results of `(base + i) + K`: (i, K).
    let mut memarg: HashMap<ir::Value, (ir::Value, i32)> = HashMap::new();
    let mut constants: HashMap<ir::Value, i64> = HashMap::new();
    let mut cursor = FuncCursor::new(func);
    while cursor.next_block().is_some() {
        while let Some(inst) = cursor.next_inst() {
            match cursor.func.dfg.insts[inst] {
                ir::InstructionData::UnaryGlobalValue { global_value, .. }
                    if base.contains(&global_value) =>
                {
                    let ty = cursor.func.dfg.ctrl_typevar(inst);
                    cursor.func.dfg.replace(inst).iconst(ty, 0);
                    zeros.insert(cursor.func.dfg.first_result(inst), inst);
                }
                ir::InstructionData::UnaryImm {
                    opcode: Opcode::Iconst,
                    imm,
                } => {
                    constants.insert(cursor.func.dfg.first_result(inst), imm.bits());
                }
                ir::InstructionData::Binary {
                    opcode: Opcode::Iadd,
                    args,
                } => {
                    let result = cursor.func.dfg.first_result(inst);
                    if let Some(&k) = constants.get(&args[1]) {
                        if from_base.contains(&args[0]) && (0..=i64::from(i32::MAX)).contains(&k) {
                            let i = cursor.func.dfg.resolve_aliases(args[0]);
                            memarg.insert(result, (i, k as i32));
                        }
                    }
                    let [a, b] = args.map(|v| cursor.func.dfg.resolve_aliases(v));
                    let other = if zeros.contains_key(&a) {
                        b
                    } else if zeros.contains_key(&b) {
                        a
                    } else {
                        continue;
                    };
                    cursor.func.dfg.clear_results(inst);
                    cursor.func.dfg.change_to_alias(result, other);
                    from_base.insert(result);
                    cursor.remove_inst_and_step_back();
                }
                ir::InstructionData::Load { arg, offset, .. } if i32::from(offset) == 0 => {
                    if let Some(&(i, k)) = memarg.get(&arg) {
                        if let ir::InstructionData::Load { arg, offset, .. } =
                            &mut cursor.func.dfg.insts[inst]
                        {
                            *arg = i;
                            *offset = k.into();
                        }
                    }
                }
                ir::InstructionData::Store { args, offset, .. } if i32::from(offset) == 0 => {
                    if let Some(&(i, k)) = memarg.get(&args[1]) {
                        if let ir::InstructionData::Store { args, offset, .. } =
                            &mut cursor.func.dfg.insts[inst]
                        {
                            args[1] = i;
                            *offset = k.into();
                        }
                    }
                }
                _ => {}
            }
        }
    }
    // Remove the zeros nothing uses any more.
    let mut used = HashSet::new();
    for block in func.layout.blocks() {
        for inst in func.layout.block_insts(block) {
            for &arg in func.dfg.inst_values(inst).collect::<Vec<_>>().iter() {
                used.insert(func.dfg.resolve_aliases(arg));
            }
        }
    }
    for (value, inst) in zeros {
        if !used.contains(&value) {
            func.layout.remove_inst(inst);
        }
    }
}

/// The binary opcode an `*_imm` opcode stands for, and whether the constant comes first.
fn binary_of(op: Opcode) -> Option<(Opcode, bool)> {
    Some(match op {
        Opcode::IaddImm => (Opcode::Iadd, false),
        Opcode::ImulImm => (Opcode::Imul, false),
        Opcode::UdivImm => (Opcode::Udiv, false),
        Opcode::SdivImm => (Opcode::Sdiv, false),
        Opcode::UremImm => (Opcode::Urem, false),
        Opcode::SremImm => (Opcode::Srem, false),
        Opcode::IrsubImm => (Opcode::Isub, true),
        Opcode::BandImm => (Opcode::Band, false),
        Opcode::BorImm => (Opcode::Bor, false),
        Opcode::BxorImm => (Opcode::Bxor, false),
        Opcode::RotlImm => (Opcode::Rotl, false),
        Opcode::RotrImm => (Opcode::Rotr, false),
        Opcode::IshlImm => (Opcode::Ishl, false),
        Opcode::UshrImm => (Opcode::Ushr, false),
        Opcode::SshrImm => (Opcode::Sshr, false),
        _ => return None,
    })
}

/// `imm` as the bits of an `iconst` of type `ty`.
fn masked(ty: ir::Type, imm: i64) -> i64 {
    match ty.bits() {
        64 => imm,
        bits => imm & ((1i64 << bits) - 1),
    }
}

/// 0.135 has no `*_imm` instructions: make the constant an `iconst`.
fn expand_imm(func: &mut ir::Function) {
    let mut cursor = FuncCursor::new(func);
    while cursor.next_block().is_some() {
        while let Some(inst) = cursor.next_inst() {
            match cursor.func.dfg.insts[inst] {
                ir::InstructionData::BinaryImm64 { opcode, arg, imm } => {
                    let Some((binary, swapped)) = binary_of(opcode) else {
                        continue;
                    };
                    let ty = cursor.func.dfg.value_type(arg);
                    let c = cursor.ins().iconst(ty, masked(ty, imm.bits()));
                    let (x, y) = if swapped { (c, arg) } else { (arg, c) };
                    cursor.func.dfg.replace(inst).Binary(binary, ty, x, y);
                }
                ir::InstructionData::IntCompareImm { cond, arg, imm, .. } => {
                    let ty = cursor.func.dfg.value_type(arg);
                    let c = cursor.ins().iconst(ty, masked(ty, imm.bits()));
                    cursor.func.dfg.replace(inst).icmp(cond, arg, c);
                }
                _ => {}
            }
        }
    }
}

/// 0.135 declares alias regions as entities; 0.112's fixed `heap`/`table`/`vmctx` regions
/// only guide alias analysis, so they are dropped.
fn drop_alias_regions(func: &mut ir::Function) {
    let insts: Vec<ir::Inst> = func
        .layout
        .blocks()
        .flat_map(|b| func.layout.block_insts(b))
        .collect();
    for inst in insts {
        match &mut func.dfg.insts[inst] {
            ir::InstructionData::Load { flags, .. }
            | ir::InstructionData::Store { flags, .. }
            | ir::InstructionData::LoadNoOffset { flags, .. }
            | ir::InstructionData::StoreNoOffset { flags, .. }
            | ir::InstructionData::AtomicRmw { flags, .. }
            | ir::InstructionData::AtomicCas { flags, .. } => flags.set_alias_region(None),
            _ => {}
        }
    }
}

/// Trap codes 0.112 names and 0.135 does not.
const OLD_TRAP_CODES: [&str; 10] = [
    "heap_misaligned",
    "table_oob",
    "icall_null",
    "bad_sig",
    "unreachable",
    "interrupt",
    "null_reference",
    "null_i31ref",
    "user0",
    "array_oob",
];

/// Rename trap codes 0.135 does not know (the last word of a trapping instruction).
fn fix_trap_codes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let code = line.split_whitespace().last().unwrap_or("");
        if line.contains("trap") && OLD_TRAP_CODES.contains(&code) {
            out.push_str(&line[..line.len() - code.len()]);
            out.push_str("user1");
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

/// Convert a function cranelift-wasm produced into 0.135 IR.
pub fn function(mut func: ir::Function) -> Result<cranelift_codegen::ir::Function, String> {
    remove_heap_base(&mut func);
    expand_imm(&mut func);
    drop_alias_regions(&mut func);
    let mut text = fix_trap_codes(&func.display().to_string());
    // 0.112 prints the user names of symbols by reference only (`userextname0`).
    let names: Vec<(String, String)> = func
        .params
        .user_named_funcs()
        .iter()
        .map(|(r, n)| {
            (
                format!("userextname{}", r.as_u32()),
                format!("u{}:{}", n.namespace, n.index),
            )
        })
        .collect();
    for (placeholder, name) in names.iter().rev() {
        text = text.replace(placeholder.as_str(), name);
    }
    if std::env::var_os("ROUNDTRIP_DUMP_ALL").is_some() {
        eprintln!("{text}");
    }
    let mut parsed = cranelift_reader::parse_functions(&text).map_err(|e| {
        if std::env::var_os("ROUNDTRIP_DUMP").is_some() {
            eprintln!("{text}");
        }
        format!(
            "the 0.135 reader rejects the translated CLIF of {}: {e}",
            func.name
        )
    })?;
    parsed
        .pop()
        .ok_or_else(|| format!("no function in the translated CLIF of {}", func.name))
}
