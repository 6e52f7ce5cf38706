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
/// predicates are calls into another crate) rather than once per instruction. Packed in
/// one word, read with one load: the walk's loop keeps it in a register, where a struct
/// of separate fields was copied field by field and spilled.
#[derive(Clone, Copy)]
pub struct OpInfo(u32);

// The bits of `OpInfo`.
const CLASS_SHIFT: u32 = 0; // 2 bits: `Class` by its number
const TYPE_SHIFT: u32 = 2; // 2 bits: 0 invariant, 1 operand, 2 result
const TYPE_OPERAND_SHIFT: u32 = 4; // 2 bits: the operand's index
const FAMILY_SHIFT: u32 = 6; // 3 bits: `Family` by its number
const BRANCH: u32 = 1 << 9;
const GATED: u32 = 1 << 10;
const ADDRESSES: u32 = 1 << 11;
const CHECKED: u32 = 1 << 12;

const CLASSES: [Class; 4] = [Class::Pure, Class::Read, Class::Trap, Class::Effect];
/// The families by their number, padded to the eight that the number's three bits can
/// hold (the padding is never stored): reading one takes a mask, not a division.
const FAMILIES: [Family; 8] = [
    Family::Common,
    Family::Int,
    Family::Float,
    Family::Mem,
    Family::Call,
    Family::Int,
    Family::Int,
    Family::Int,
];

impl OpInfo {
    fn new(op: Opcode) -> OpInfo {
        let class = CLASSES
            .iter()
            .position(|&c| c == crate::stackify::class(op))
            .unwrap_or(3) as u32;
        let (ty, operand) = match type_source(op) {
            TypeSource::Invariant => (0, 0),
            TypeSource::Operand(i) => (1, u32::from(i)),
            TypeSource::Result => (2, 0),
        };
        let family = FAMILIES
            .iter()
            .position(|&f| f == Family::of(op))
            .unwrap_or(1) as u32;
        let flag = |set: bool, bit: u32| if set { bit } else { 0 };
        OpInfo(
            class << CLASS_SHIFT
                | ty << TYPE_SHIFT
                | operand << TYPE_OPERAND_SHIFT
                | family << FAMILY_SHIFT
                | flag(op.is_branch(), BRANCH)
                | flag(is_gated(op), GATED)
                | flag(
                    matches!(op, Opcode::StackAddr | Opcode::SymbolValue),
                    ADDRESSES,
                )
                | flag(cranelift_offheap::checked_without_places(op), CHECKED),
        )
    }

    /// Its effect class (see `stackify`).
    #[inline]
    pub fn class(self) -> Class {
        CLASSES[(self.0 >> CLASS_SHIFT & 3) as usize]
    }

    /// Where its controlling type comes from.
    #[inline]
    pub fn ty(self) -> TypeSource {
        match self.0 >> TYPE_SHIFT & 3 {
            0 => TypeSource::Invariant,
            1 => TypeSource::Operand((self.0 >> TYPE_OPERAND_SHIFT & 3) as u8),
            _ => TypeSource::Result,
        }
    }

    /// The instruction-selection family that lowers it (`isel::Family`).
    #[inline]
    pub fn family(self) -> Family {
        FAMILIES[(self.0 >> FAMILY_SHIFT & 7) as usize]
    }

    /// Whether it is a branch.
    #[inline]
    pub fn branch(self) -> bool {
        self.0 & BRANCH != 0
    }

    /// Whether the feature gate looks at it (`support::is_gated`).
    #[inline]
    pub fn gated(self) -> bool {
        self.0 & GATED != 0
    }

    /// Whether it can take a place's address (`stack_addr`, `symbol_value`): the
    /// off-heap analysis looks only at these.
    #[inline]
    pub fn addresses(self) -> bool {
        self.0 & ADDRESSES != 0
    }

    /// Whether the off-heap verifier looks at it in a function without place addresses
    /// and references (`cranelift_offheap::checked_without_places`).
    #[inline]
    pub fn checked(self) -> bool {
        self.0 & CHECKED != 0
    }

    /// `addresses || checked`: one test on the walk's path for both rare cases.
    #[inline]
    pub fn listed(self) -> bool {
        self.0 & (ADDRESSES | CHECKED) != 0
    }
}

/// [`OpInfo`] of every opcode, by its number (an unknown number: an effect, gated).
pub fn op_table() -> &'static [OpInfo; 256] {
    static TABLE: std::sync::OnceLock<[OpInfo; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = [OpInfo(3 << CLASS_SHIFT | 1 << FAMILY_SHIFT | GATED); 256];
        for &op in Opcode::all() {
            table[op as u8 as usize] = OpInfo::new(op);
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
