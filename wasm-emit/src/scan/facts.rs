//! What the scan records of each value (`ValueFacts`, sixteen bytes, with its last
//! reader as a `User`), and the flags packed in it.

use crate::stackify::{Class, Placement};
use cranelift_codegen::ir::{types, Type, Value};

/// The facts of one value, kept together: the walk updates them at every read. Sixteen
/// bytes: there is a record for every value of the function, aliases included, filled
/// afresh for each function (the defining block is not kept: a result's follows from its
/// position, and a read in the defining block is told by position too).
#[derive(Clone, Copy)]
pub struct ValueFacts {
    /// Number of reads (a `brif` whose two edges are the same counts its condition twice,
    /// so that it is never a tree: it is lowered as a jump and the condition is never
    /// pushed).
    pub count: u32,
    /// The last instruction reading it.
    pub user: User,
    /// The position of the instruction defining it (`u32::MAX` for a block parameter, or
    /// a value defined nowhere).
    pub def: u32,
    /// Its type, for a result or block parameter (`INVALID` for a value defined nowhere,
    /// so a value is defined, or met as a definition already, iff this is valid).
    pub ty: Type,
    /// Where it is placed (see `stackify`).
    pub placement: Placement,
    /// The class of its instruction with the trees it carries (`CLASS_BITS`: 0 for none,
    /// else one more than the class's number) and the flags below.
    bits: u8,
}

/// [`ValueFacts::bits`]: the class, if it may be placed off locals at all (the only
/// result of an instruction that is no branch).
const CLASS_BITS: u8 = 0b111;

const CLASSES: [Class; 4] = [Class::Pure, Class::Read, Class::Trap, Class::Effect];
/// [`ValueFacts::bits`]: its instruction is a constant cheap enough to emit at every read.
const CHEAP_CONSTANT: u8 = 1 << 3;
/// [`ValueFacts::bits`]: its first read is in its own block, after its definition.
const READ_IN_BLOCK: u8 = 1 << 4;
/// [`ValueFacts::bits`]: no effect stands between its definition and its first read in
/// its block (see `stackify::Schedule`).
const NO_EFFECT_BETWEEN: u8 = 1 << 5;
/// [`ValueFacts::bits`]: only pure instructions stand between its definition and its
/// first read in its block.
const ALL_PURE_BETWEEN: u8 = 1 << 6;
/// [`ValueFacts::bits`]: the value is an alias, read already, whose target is in `def`
/// (an alias is defined nowhere, so its `def` is free).
const ALIAS: u8 = 1 << 7;

impl ValueFacts {
    /// The class of its instruction with the trees it carries, once the value is placed
    /// (only the single result of an instruction that is no branch is placed; others
    /// have none).
    #[inline]
    pub fn class(&self) -> Option<Class> {
        match self.bits & CLASS_BITS {
            0 => None,
            c => Some(CLASSES[(c as usize - 1) & 3]),
        }
    }

    /// Set [`ValueFacts::class`].
    #[inline]
    pub fn set_class(&mut self, class: Class) {
        self.bits = self.bits & !CLASS_BITS | (class as u8 + 1);
    }

    /// Whether its instruction is a constant cheap enough to emit at every read.
    #[inline]
    pub fn cheap_constant(&self) -> bool {
        self.bits & CHEAP_CONSTANT != 0
    }

    /// Mark its instruction as a cheap constant (see [`ValueFacts::cheap_constant`]; facts
    /// start unmarked for each function).
    #[inline]
    pub fn mark_cheap_constant(&mut self) {
        self.bits |= CHEAP_CONSTANT;
    }

    /// Whether its first read is in its own block, after its definition.
    #[inline]
    pub fn read_in_block(&self) -> bool {
        self.bits & READ_IN_BLOCK != 0
    }

    /// Whether no effect stands between its definition and its first read in its block.
    #[inline]
    pub fn no_effect_between(&self) -> bool {
        self.bits & NO_EFFECT_BETWEEN != 0
    }

    /// Whether only pure instructions stand between its definition and its first read
    /// in its block.
    #[inline]
    pub fn all_pure_between(&self) -> bool {
        self.bits & ALL_PURE_BETWEEN != 0
    }

    /// The value this one is an alias of, if it is one that the walk read.
    #[inline]
    pub fn alias_target(&self) -> Option<Value> {
        (self.bits & ALIAS != 0).then(|| Value::from_u32(self.def))
    }

    /// Record that the value is an alias of `target` (a value defined nowhere).
    #[inline]
    pub fn set_alias(&mut self, target: Value) {
        self.def = target.as_u32();
        self.bits |= ALIAS;
    }

    /// Record a first read in its own block, with what stands between (see
    /// `stackify::Schedule`).
    #[inline]
    pub fn set_read_in_block(&mut self, no_effect_between: bool, all_pure_between: bool) {
        let between = if no_effect_between {
            NO_EFFECT_BETWEEN
        } else {
            0
        } | if all_pure_between {
            ALL_PURE_BETWEEN
        } else {
            0
        };
        self.bits = self.bits & !(NO_EFFECT_BETWEEN | ALL_PURE_BETWEEN) | READ_IN_BLOCK | between;
    }
}

impl Default for ValueFacts {
    fn default() -> Self {
        ValueFacts {
            count: 0,
            user: User::NONE,
            def: u32::MAX,
            ty: types::INVALID,
            placement: Placement::Local,
            bits: 0,
        }
    }
}

/// The position of the last instruction reading a value, and whether that read is a
/// block argument of a conditional edge, packed in a `u32` (`User::NONE`: no read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct User(u32);

impl Default for User {
    fn default() -> Self {
        User::NONE
    }
}

impl User {
    /// No instruction reads the value.
    pub const NONE: User = User(u32::MAX);
    const CONDITIONAL: u32 = 1 << 31;

    pub(super) fn new(position: usize, conditional: bool) -> User {
        User(position as u32 | if conditional { Self::CONDITIONAL } else { 0 })
    }

    /// The reader's position and whether the read is on a conditional edge.
    #[inline]
    pub fn get(self) -> Option<(usize, bool)> {
        (self != User::NONE).then_some((
            (self.0 & !Self::CONDITIONAL) as usize,
            self.0 & Self::CONDITIONAL != 0,
        ))
    }
}
