//! The rules of the off-heap verifier, each with a stable name and a hint.

use std::fmt;

/// One rule of the verifier. The name is what tests and users match on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// Arithmetic or bitwise operations on the address of an off-heap place.
    AddressArithmetic,
    /// Comparing an off-heap address (icmp, or branching or trapping on it).
    AddressCompare,
    /// Selecting between off-heap addresses, or on one.
    AddressSelect,
    /// Bitcasting an off-heap address.
    AddressBitcast,
    /// Extending, reducing or converting an off-heap address.
    AddressConversion,
    /// Passing an off-heap address to a call.
    AddressCallArgument,
    /// Calling through an off-heap address.
    AddressCallee,
    /// Returning an off-heap address.
    AddressReturned,
    /// Storing an off-heap address to memory as a value.
    AddressStored,
    /// Passing an off-heap address as a block or br_table argument.
    AddressBlockArgument,
    /// An atomic operation on an off-heap place.
    AddressAtomic,
    /// An extending or narrowing access (`uload8`, `istore16`, ...) to an off-heap place.
    AddressPartialAccess,
    /// A non-zero offset on `stack_addr`, on the access, or on the symbol.
    AddressOffset,
    /// An access whose type is not exactly the place's type (or that is big-endian).
    AddressAccessType,
    /// A store to an immutable wasm global.
    ImmutableGlobalStore,
    /// Any other use of an off-heap address.
    AddressOtherUse,
    /// A global value derived from an off-heap symbol (`iadd_imm`, `load` on it).
    DerivedGlobalValue,
    /// A load or store through a table handle.
    TableAccess,
    /// Arithmetic or bitwise operations on a reference.
    RefArithmetic,
    /// Comparing a reference (icmp, or branching, selecting or trapping on it).
    RefCompare,
    /// Extending, reducing or converting a reference.
    RefConversion,
    /// Bitcasting a reference.
    RefBitcast,
    /// Using a reference as an address or a callee.
    RefAsAddress,
    /// Storing a reference to linear memory.
    RefStoredToMemory,
    /// Storing a reference into a non-reference slot or global (or one of the other
    /// reference type).
    RefIntoNonRefPlace,
    /// Passing a reference where the signature expects a non-reference (or the other
    /// reference type).
    RefToNonRefParameter,
    /// Returning a reference through a non-reference result (or the other reference type).
    RefReturnedAsNonRef,
    /// A block parameter that merges a reference with a non-reference (or two reference
    /// types).
    RefMixedBlockParameter,
    /// A `select` between a reference and a non-reference.
    RefMixedSelect,
    /// Writing a non-reference where a reference is expected: forging a reference.
    ForgedRef,
    /// Any other use of a reference.
    RefOtherUse,
    /// A value slot whose size does not match its type.
    ValueSlotSize,
    /// A stack slot key with the value-slot tag but no valid type.
    ValueSlotKey,
    /// A symbol in a reserved namespace with no declaration.
    UnknownOffHeapSymbol,
    /// A call to a reserved `%__wasm_` name that is not an intrinsic.
    UnknownIntrinsic,
    /// An intrinsic declared with the wrong signature.
    IntrinsicSignature,
    /// `ref.func` of something that is not a `func_addr`.
    RefFuncOperand,
    /// A table intrinsic whose table operand is not a table handle.
    TableOperand,
    /// A signature side table that does not fit its signature.
    RefSignature,
    /// A segment operand of an intrinsic that is not an `iconst`.
    SegmentOperand,
}

impl Rule {
    /// Every rule.
    pub const ALL: [Rule; 40] = [
        Rule::AddressArithmetic,
        Rule::AddressCompare,
        Rule::AddressSelect,
        Rule::AddressBitcast,
        Rule::AddressConversion,
        Rule::AddressCallArgument,
        Rule::AddressCallee,
        Rule::AddressReturned,
        Rule::AddressStored,
        Rule::AddressBlockArgument,
        Rule::AddressAtomic,
        Rule::AddressPartialAccess,
        Rule::AddressOffset,
        Rule::AddressAccessType,
        Rule::ImmutableGlobalStore,
        Rule::AddressOtherUse,
        Rule::DerivedGlobalValue,
        Rule::TableAccess,
        Rule::RefArithmetic,
        Rule::RefCompare,
        Rule::RefConversion,
        Rule::RefBitcast,
        Rule::RefAsAddress,
        Rule::RefStoredToMemory,
        Rule::RefIntoNonRefPlace,
        Rule::RefToNonRefParameter,
        Rule::RefReturnedAsNonRef,
        Rule::RefMixedBlockParameter,
        Rule::RefMixedSelect,
        Rule::ForgedRef,
        Rule::RefOtherUse,
        Rule::ValueSlotSize,
        Rule::ValueSlotKey,
        Rule::UnknownOffHeapSymbol,
        Rule::UnknownIntrinsic,
        Rule::IntrinsicSignature,
        Rule::RefFuncOperand,
        Rule::TableOperand,
        Rule::RefSignature,
        Rule::SegmentOperand,
    ];

    /// The stable name.
    pub fn name(self) -> &'static str {
        match self {
            Rule::AddressArithmetic => "address-arithmetic",
            Rule::AddressCompare => "address-compare",
            Rule::AddressSelect => "address-select",
            Rule::AddressBitcast => "address-bitcast",
            Rule::AddressConversion => "address-conversion",
            Rule::AddressCallArgument => "address-call-argument",
            Rule::AddressCallee => "address-callee",
            Rule::AddressReturned => "address-returned",
            Rule::AddressStored => "address-stored",
            Rule::AddressBlockArgument => "address-block-argument",
            Rule::AddressAtomic => "address-atomic",
            Rule::AddressPartialAccess => "address-partial-access",
            Rule::AddressOffset => "address-offset",
            Rule::AddressAccessType => "address-access-type",
            Rule::ImmutableGlobalStore => "immutable-global-store",
            Rule::AddressOtherUse => "address-other-use",
            Rule::DerivedGlobalValue => "derived-global-value",
            Rule::TableAccess => "table-access",
            Rule::RefArithmetic => "ref-arithmetic",
            Rule::RefCompare => "ref-compare",
            Rule::RefConversion => "ref-conversion",
            Rule::RefBitcast => "ref-bitcast",
            Rule::RefAsAddress => "ref-as-address",
            Rule::RefStoredToMemory => "ref-stored-to-memory",
            Rule::RefIntoNonRefPlace => "ref-into-non-ref-place",
            Rule::RefToNonRefParameter => "ref-to-non-ref-parameter",
            Rule::RefReturnedAsNonRef => "ref-returned-as-non-ref",
            Rule::RefMixedBlockParameter => "ref-mixed-block-parameter",
            Rule::RefMixedSelect => "ref-mixed-select",
            Rule::ForgedRef => "forged-ref",
            Rule::RefOtherUse => "ref-other-use",
            Rule::ValueSlotSize => "value-slot-size",
            Rule::ValueSlotKey => "value-slot-key",
            Rule::UnknownOffHeapSymbol => "unknown-off-heap-symbol",
            Rule::UnknownIntrinsic => "unknown-intrinsic",
            Rule::IntrinsicSignature => "intrinsic-signature",
            Rule::RefFuncOperand => "ref-func-operand",
            Rule::TableOperand => "table-operand",
            Rule::RefSignature => "ref-signature",
            Rule::SegmentOperand => "segment-operand",
        }
    }

    /// How to fix code that breaks the rule.
    pub fn hint(self) -> &'static str {
        use Rule::*;
        match self {
            AddressArithmetic | AddressCompare | AddressSelect | AddressBitcast
            | AddressConversion | AddressCallArgument | AddressCallee | AddressReturned
            | AddressStored | AddressBlockArgument | AddressOtherUse => {
                "an off-heap place has no address: use its `stack_addr`/`symbol_value` only as the address of a plain load or store; use an explicit_slot or linear memory for data whose address escapes"
            }
            AddressAtomic => "off-heap places are not shared memory; use a plain load/store, or put the data in linear memory",
            AddressPartialAccess => "access the whole place with `load`/`store` of its type, then extend or reduce the value",
            AddressOffset => "an off-heap place holds one value: access it at offset 0",
            AddressAccessType => "load and store the place with exactly its declared type",
            ImmutableGlobalStore => "declare the global `mut`, or do not store to it",
            DerivedGlobalValue => "reference the global with `symbol_value` and access it at offset 0",
            TableAccess => "tables are accessed only through the %__wasm_table_* intrinsics",
            RefArithmetic | RefConversion | RefBitcast | RefOtherUse => {
                "references are opaque: keep them in value slots, globals and tables, and pass them to calls that take references"
            }
            RefCompare => "test a reference with %__wasm_ref_is_null_extern / %__wasm_ref_is_null_func",
            RefAsAddress => "a reference is not a pointer; to call a function reference, use a table and call_indirect",
            RefStoredToMemory => "linear memory cannot hold references: store it in a reference-typed value slot, global or table",
            RefIntoNonRefPlace => "store references only into slots or globals of the same reference type",
            RefToNonRefParameter => "declare the parameter with the reference type in the callee's signature",
            RefReturnedAsNonRef => "declare the result with the reference type in the function's signature",
            RefMixedBlockParameter => "pass references of one reference type, and only references, to a block parameter that receives one",
            RefMixedSelect => "select only between two references of the same type",
            ForgedRef => "references only come from reference-typed parameters, results, places and intrinsics; use %__wasm_ref_null_extern for a null reference",
            ValueSlotSize => "declare value slots with `value_slot TYPE` (or `declare_value_slot`), which sets the size",
            ValueSlotKey => "declare value slots with `value_slot TYPE`, not with a hand-made key",
            UnknownOffHeapSymbol => "declare the global (`global %name: ...`) or table (`table %name: ...`) at file level",
            UnknownIntrinsic => "names starting with %__wasm_ are reserved for the intrinsics listed in cranelift-offheap's `intrinsics` module",
            IntrinsicSignature => "declare the intrinsic with exactly its documented signature",
            RefFuncOperand => "pass the result of `func_addr` of the function directly",
            TableOperand => "pass `symbol_value` of a `wasm_table` global value as the first argument",
            SegmentOperand => "pass the segment index as an `iconst.i32`: segments are known statically",
            RefSignature => "record as many entries as the signature has, and references only on i32 entries",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
