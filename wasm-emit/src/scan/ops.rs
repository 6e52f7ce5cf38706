//! What the walk needs to know of each opcode, in one table built once: Cranelift's
//! opcode predicates, `ctrl_typevar` and `InstructionData::typevar_operand` are calls into
//! another crate, asked once per opcode instead of once per instruction.

use crate::isel::Family;
use crate::stackify::Class;
use crate::support::is_gated;
use cranelift_codegen::ir::instructions::InstructionFormat;
use cranelift_codegen::ir::Opcode;

/// Where the controlling type of an opcode's instructions comes from.
#[derive(Clone, Copy)]
pub enum TypeSource {
    /// The opcode is not polymorphic.
    Invariant,
    /// The type of the argument with this index (the format's designated operand).
    Operand(u8),
    /// The type of the first result.
    Result,
}

/// What the walk needs to know of an opcode, asked of Cranelift once per opcode (its
/// predicates are calls into another crate) rather than once per instruction.
#[derive(Clone, Copy)]
pub struct OpInfo {
    /// Its effect class (see `stackify`).
    pub class: Class,
    /// Where its controlling type comes from.
    pub ty: TypeSource,
    /// The instruction-selection family that lowers it (`isel::Family`).
    pub family: Family,
    /// Whether it is a branch.
    pub branch: bool,
    /// Whether the feature gate looks at it (`support::is_gated`).
    pub gated: bool,
    /// Whether it can take a place's address (`stack_addr`, `symbol_value`): the
    /// off-heap analysis looks only at these.
    pub addresses: bool,
    /// Whether the off-heap verifier looks at it in a function without place addresses
    /// and references (`cranelift_offheap::checked_without_places`).
    pub checked: bool,
    /// `addresses || checked`: one test on the walk's path for both rare cases.
    pub listed: bool,
}

/// [`OpInfo`] of every opcode, by its number.
pub fn op_table() -> &'static [OpInfo; 256] {
    static TABLE: std::sync::OnceLock<[OpInfo; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [OpInfo {
            class: Class::Effect,
            ty: TypeSource::Invariant,
            family: Family::Int,
            branch: false,
            gated: true,
            addresses: false,
            checked: false,
            listed: false,
        }; 256];
        for &op in Opcode::all() {
            table[op as u8 as usize] = OpInfo {
                class: crate::stackify::class(op),
                ty: type_source(op),
                family: Family::of(op),
                branch: op.is_branch(),
                gated: is_gated(op),
                addresses: matches!(op, Opcode::StackAddr | Opcode::SymbolValue),
                checked: cranelift_offheap::checked_without_places(op),
                listed: false,
            };
            let info = &mut table[op as u8 as usize];
            info.listed = info.addresses || info.checked;
        }
        table
    })
}

/// [`TypeSource`] of `op`: Cranelift's `ctrl_typevar` asks the opcode's constraints and
/// format on every call.
fn type_source(op: Opcode) -> TypeSource {
    let constraints = op.constraints();
    if !constraints.is_polymorphic() {
        TypeSource::Invariant
    } else if constraints.requires_typevar_operand() {
        // As `InstructionData::typevar_operand` designates it.
        TypeSource::Operand(match op.format() {
            InstructionFormat::Ternary => 1,
            InstructionFormat::AtomicCas => 2,
            _ => 0,
        })
    } else {
        TypeSource::Result
    }
}
