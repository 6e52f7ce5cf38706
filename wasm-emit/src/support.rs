//! The feature gate: decides, before any lowering, whether a function only uses what this
//! backend lowers, and names the first feature it does not.
//!
//! Keeping this apart from instruction selection lets callers (the runtest harness, the
//! CLI) classify a function as "unsupported" without lowering it, and lets instruction
//! selection assume every type it sees is one of i8, i16, i32, i64, f32 and f64. Lowering
//! runs the same checks ([`Gate`]) inside its first walk over the function (`scan`), so
//! that compiling walks the function once for both.

use crate::error::{Error, ErrorKind, Feature, Result};
use cranelift_codegen::ir::instructions::InstructionFormat;
use cranelift_codegen::ir::{self, types, InstructionData, Opcode, Type};
use cranelift_offheap::ModuleDecls;
use std::collections::HashMap;

/// The feature that makes `ty` unsupported, if any.
pub fn type_feature(ty: Type) -> Option<Feature> {
    match ty {
        types::I8 | types::I16 | types::I32 | types::I64 | types::F32 | types::F64 => None,
        types::I128 => Some(Feature::I128),
        types::F16 => Some(Feature::F16),
        types::F128 => Some(Feature::F128),
        t if t.is_vector() || t.is_dynamic_vector() => Some(Feature::Vector),
        t if t.is_invalid() => None,
        _ => Some(Feature::Other("this value type")),
    }
}

fn opcode_feature(op: Opcode) -> Option<Feature> {
    use Opcode::*;
    Some(match op {
        AtomicRmw | AtomicCas | AtomicLoad | AtomicStore | Fence => Feature::Atomics,
        TryCall | TryCallIndirect | GetExceptionHandlerAddress => Feature::Exceptions,
        DynamicStackAddr => Feature::DynamicStackSlots,
        Splat | Swizzle | X86Pshufb | Insertlane | Extractlane | AvgRound | UaddSat | SaddSat
        | UsubSat | SsubSat | Uload8x8 | Sload8x8 | Uload16x4 | Sload16x4 | Uload32x2
        | Sload32x2 | Vconst | Shuffle | Bitselect | Blendv | VanyTrue | VallTrue | VhighBits
        | SqmulRoundSat | X86Pmulhrsw | ScalarToVector | Snarrow | Unarrow | Uunarrow
        | SwidenLow | SwidenHigh | UwidenLow | UwidenHigh | IaddPairwise | X86Pmaddubsw
        | Fvdemote | FvpromoteLow | X86Cvtt2dq | ExtractVector => Feature::Vector,
        StackSwitch => Feature::Other("stack_switch"),
        TlsValue => Feature::Other("tls_value"),
        SymbolValue => Feature::Other("symbol_value"),
        GetReturnAddress => Feature::Other("get_return_address"),
        _ => return None,
    })
}

fn unsupported(func: &ir::Function, inst: Option<ir::Inst>, feature: Feature, what: &str) -> Error {
    let kind = ErrorKind::Unsupported(feature);
    let message = format!(
        "{} {} not supported by the wasm backend",
        feature.name(),
        what
    );
    let err = match inst {
        Some(inst) => Error::at_inst(kind, func, inst, message),
        None => Error::new(kind, func.name.to_string(), message),
    };
    err.with_hint(match feature {
        Feature::I128 => "split 128-bit integers into i64 halves before lowering",
        Feature::Vector => "legalize vectors to scalars before lowering",
        Feature::Atomics => "wasm threads are not targeted yet; use plain loads and stores",
        Feature::F16 | Feature::F128 => "convert to f32 or f64 before lowering",
        Feature::Exceptions => "lower exceptions to explicit result checks",
        Feature::DynamicStackSlots => "use explicit_slot",
        Feature::Other(_) => "see the supported-features list in the wasm-emit docs",
    })
}

/// Whether every type of `sig` is one the backend lowers (see [`Gate::check_header`]).
pub fn signature_supported(sig: &ir::Signature) -> bool {
    signature_feature(sig).is_none()
}

/// The first feature the backend lacks that a type of `sig` needs, if any.
fn signature_feature(sig: &ir::Signature) -> Option<Feature> {
    sig.params
        .iter()
        .chain(sig.returns.iter())
        .find_map(|param| type_feature(param.value_type))
}

fn check_signature(func: &ir::Function, sig: &ir::Signature) -> Result<()> {
    match signature_feature(sig) {
        Some(feature) => Err(unsupported(func, None, feature, "in a signature is")),
        None => Ok(()),
    }
}

/// Whether `gv` is a data symbol that `symbols` (the layout's addresses) places.
pub fn is_placed_symbol(
    func: &ir::Function,
    gv: ir::GlobalValue,
    symbols: &HashMap<String, u64>,
) -> bool {
    !symbols.is_empty() && placed_symbol(func, gv, symbols).is_some()
}

/// The address of data symbol `gv` (with its offset) if `symbols` places it; an
/// `iadd_imm` global value of such a symbol is its address plus the immediate.
pub fn placed_symbol(
    func: &ir::Function,
    gv: ir::GlobalValue,
    symbols: &HashMap<String, u64>,
) -> Option<u64> {
    placed_symbol_within(func, gv, symbols, 16)
}

fn placed_symbol_within(
    func: &ir::Function,
    gv: ir::GlobalValue,
    symbols: &HashMap<String, u64>,
    depth: u32,
) -> Option<u64> {
    match func.global_values.get(gv)? {
        ir::GlobalValueData::IAddImm { base, offset, .. } if depth > 0 => {
            let base = placed_symbol_within(func, *base, symbols, depth - 1)?;
            Some(base.wrapping_add(offset.bits() as u64))
        }
        ir::GlobalValueData::Symbol {
            name,
            offset,
            tls: false,
            ..
        } => {
            let key = name.display(Some(&func.params)).to_string();
            let base = symbols.get(&key)?;
            Some(base.wrapping_add(offset.bits() as u64))
        }
        _ => None,
    }
}

/// Check that every type and instruction of `func` is one this backend lowers.
/// `symbol_value` is lowered for the extension's off-heap globals and tables, and for data
/// symbols that `symbols` places in linear memory.
pub fn check_function(
    func: &ir::Function,
    decls: &ModuleDecls,
    symbols: &HashMap<String, u64>,
) -> Result<()> {
    let gate = Gate {
        decls,
        symbols,
        signature_supported: false,
    };
    gate.check_header(func)?;
    for block in func.layout.blocks() {
        gate.check_block_params(func, block)?;
        for inst in func.layout.block_insts(block) {
            gate.check_inst(func, inst, func.dfg.inst_results(inst))?;
        }
    }
    Ok(())
}

/// The feature gate in pieces, for a pass that walks the function anyway (lowering does
/// it in its first walk, `scan`): the header, then per block in layout order its
/// parameters and then its instructions, which finds the same first error as
/// [`check_function`].
pub struct Gate<'a> {
    /// The module's off-heap declarations.
    pub decls: &'a ModuleDecls,
    /// The addresses of the data symbols placed in linear memory.
    pub symbols: &'a HashMap<String, u64>,
    /// Whether the function's own signature is known to be supported already
    /// ([`signature_supported`], asked where the module declares its functions): a
    /// module of many small functions would otherwise read every signature again from
    /// memory, long out of the caches.
    pub signature_supported: bool,
}

impl Gate<'_> {
    /// The signatures and stack slots of `func`.
    pub fn check_header(&self, func: &ir::Function) -> Result<()> {
        if !self.signature_supported {
            check_signature(func, &func.signature)?;
        }
        if !func.dynamic_stack_slots.is_empty() {
            return Err(unsupported(func, None, Feature::DynamicStackSlots, "are"));
        }
        for (_, sig) in func.dfg.signatures.iter() {
            check_signature(func, sig)?;
        }
        Ok(())
    }

    /// The parameter types of `block`.
    #[inline]
    pub fn check_block_params(&self, func: &ir::Function, block: ir::Block) -> Result<()> {
        let dfg = &func.dfg;
        for &param in dfg.block_params(block) {
            check_param_type(func, dfg.value_type(param))?;
        }
        Ok(())
    }

    /// Instruction `inst` with results `results`.
    #[inline]
    pub fn check_inst(
        &self,
        func: &ir::Function,
        inst: ir::Inst,
        results: &[ir::Value],
    ) -> Result<()> {
        let dfg = &func.dfg;
        let data = &dfg.insts[inst];
        if is_gated(data.opcode()) {
            self.check_opcode(func, inst, data)?;
        }
        // Operands are results or block parameters checked where they are defined, so
        // the controlling type needs a check only where it is neither (no results).
        for &v in results {
            check_type(func, inst, dfg.value_type(v))?;
        }
        if results.is_empty() {
            check_type(func, inst, dfg.ctrl_typevar(inst))?;
        }
        Ok(())
    }

    /// The opcode of `inst` (`data`), where [`is_gated`] says it needs a look: whether the
    /// backend lowers it (`symbol_value` and `global_value` of the symbols it places).
    #[cold]
    pub fn check_opcode(
        &self,
        func: &ir::Function,
        inst: ir::Inst,
        data: &InstructionData,
    ) -> Result<()> {
        let lowered_symbol = match *data {
            InstructionData::UnaryGlobalValue {
                opcode,
                global_value,
            } => {
                self.decls.is_off_heap(func, global_value)
                    || (opcode == Opcode::SymbolValue
                        && is_placed_symbol(func, global_value, self.symbols))
            }
            _ => false,
        };
        match opcode_feature(data.opcode()).filter(|_| !lowered_symbol) {
            Some(feature) => Err(unsupported(func, Some(inst), feature, "is")),
            None => Ok(()),
        }
    }
}

/// Whether instructions with opcode `op` need [`Gate::check_opcode`]: it is one the
/// backend lacks, or lowers only for some global values.
#[inline]
pub fn is_gated(op: Opcode) -> bool {
    op.format() == InstructionFormat::UnaryGlobalValue || opcode_feature(op).is_some()
}

/// A block parameter of type `ty`.
#[inline]
pub fn check_param_type(func: &ir::Function, ty: Type) -> Result<()> {
    if is_scalar(ty) {
        return Ok(());
    }
    match type_feature(ty) {
        Some(feature) => Err(unsupported(func, None, feature, "block parameters are")),
        None => Ok(()),
    }
}

/// A value of type `ty` at `inst` (a result, or the controlling type of an instruction
/// without results).
#[inline]
pub fn check_type(func: &ir::Function, inst: ir::Inst, ty: Type) -> Result<()> {
    if is_scalar(ty) {
        return Ok(());
    }
    match type_feature(ty) {
        Some(feature) => Err(unsupported(func, Some(inst), feature, "is")),
        None => Ok(()),
    }
}

/// The scalar types the backend lowers.
const SCALARS: [Type; 6] = [
    types::I8,
    types::I16,
    types::I32,
    types::I64,
    types::F32,
    types::F64,
];

/// Whether `ty` is one of [`SCALARS`], by a bit test: the walk asks it of every result,
/// and a `match` on types compiles to an indirect jump.
#[inline]
fn is_scalar(ty: Type) -> bool {
    let base = types::I8.index();
    let mask = SCALARS
        .iter()
        .fold(0u64, |m, t| m | 1 << (t.index() - base));
    let i = ty.index().wrapping_sub(base);
    i < 64 && mask >> i & 1 != 0
}

#[cfg(test)]
mod tests {
    use super::{is_scalar, type_feature, SCALARS};
    use cranelift_codegen::ir::types;

    /// The bit test agrees with `type_feature` on every kind of type.
    #[test]
    fn is_scalar_names_exactly_the_lowered_types() {
        let others = [
            types::I128,
            types::F16,
            types::F128,
            types::INVALID,
            types::I8X16,
            types::I32X4,
            types::I64X2,
            types::F32X4,
            types::F64X2,
            types::I8X8,
            types::I128.by(2).unwrap(),
        ];
        for ty in SCALARS {
            assert!(is_scalar(ty) && type_feature(ty).is_none(), "{ty}");
        }
        for ty in others {
            assert!(!is_scalar(ty), "{ty}");
        }
    }
}
