//! Which values are addresses of off-heap places, and which values are references.
//!
//! Both facts are derived from the function and the module declarations every time they
//! are needed, never stored per `Value` (Cranelift's passes rename values):
//!
//! - a *place address* is the result of `stack_addr` of a value slot or of `symbol_value`
//!   of an off-heap global or table;
//! - a *reference* comes from a reference-typed entry-block parameter, call result
//!   (by the signature side table in [`ModuleDecls`]), load from a reference-typed place,
//!   `select` between references, or block parameter that receives a reference.

use crate::decls::{FuncRefs, GlobalId, ModuleDecls, OffHeapSymbol, SigRefs, TableId};
use crate::slots::value_slot_type;
use crate::types::{RefType, WasmType};
use cranelift_codegen::ir::{self, InstructionData, Opcode, StackSlot, Value};
use cranelift_entity::SecondaryMap;

/// An off-heap place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// A value slot (a wasm local).
    Slot {
        /// The slot.
        slot: StackSlot,
        /// Its type.
        ty: WasmType,
    },
    /// A wasm global.
    Global {
        /// The global.
        id: GlobalId,
        /// Its type.
        ty: WasmType,
        /// Whether it may be stored to.
        mutable: bool,
    },
    /// A table (usable only as the table operand of table intrinsics).
    Table {
        /// The table.
        id: TableId,
        /// Its element type.
        elem: RefType,
    },
}

impl Place {
    /// The type of a slot or global (tables hold no single value).
    pub fn value_type(self) -> Option<WasmType> {
        match self {
            Place::Slot { ty, .. } | Place::Global { ty, .. } => Some(ty),
            Place::Table { .. } => None,
        }
    }

    /// What to call it in messages.
    pub fn describe(self, func: &ir::Function, decls: &ModuleDecls) -> String {
        match self {
            Place::Slot { slot, ty } => format!("value slot {slot} ({ty})"),
            Place::Global { id, ty, .. } => {
                format!("wasm global %{} ({ty})", decls.globals[id].name)
            }
            Place::Table { id, .. } => {
                let _ = func;
                format!("table %{}", decls.tables[id].name)
            }
        }
    }
}

/// The facts about one function, as `compute` finds them (the reference map is public to
/// read; `place` and `ref_type` answer from flags set by `compute`, so do not edit it).
#[derive(Default)]
pub struct Analysis {
    /// For each place-address value, one more than the index of its place in
    /// `place_list` (0: none). Four bytes a value rather than a whole `Option<Place>`:
    /// a function that reads a global near its end has the map sized to nearly all of
    /// its values. Kept across functions (see [`Analysis::recompute_among`]).
    place_at: SecondaryMap<Value, u32>,
    /// The places found, in the order their addresses were found.
    place_list: Vec<Place>,
    /// The address of each place in `place_list` (the entries of `place_at` set).
    place_values: Vec<Value>,
    /// The reference type of each reference value.
    pub refs: SecondaryMap<Value, Option<RefType>>,
    /// The function's signature side table (empty if none was declared).
    pub func_refs: FuncRefs,
    /// No value is a place address or a reference (the common case, found without
    /// looking at the instructions).
    trivial: bool,
    /// Some value is a place address.
    any_place: bool,
    /// Some value is a reference.
    any_ref: bool,
}

static PLAIN: std::sync::OnceLock<SigRefs> = std::sync::OnceLock::new();

impl Analysis {
    /// Analyze `func` against `decls`.
    pub fn compute(func: &ir::Function, decls: &ModuleDecls) -> Analysis {
        let insts = func
            .layout
            .blocks()
            .flat_map(|block| func.layout.block_insts(block));
        Analysis::compute_among(func, decls, insts)
    }

    /// [`Analysis::compute`] for a caller that has walked `func` already: `address_insts`
    /// are the instructions of its layout that can take a place's address, every
    /// `stack_addr` and `symbol_value` (others are ignored). Only they are looked at to
    /// find the places, so a backend that gathers them in its own walk saves one.
    pub fn compute_among(
        func: &ir::Function,
        decls: &ModuleDecls,
        address_insts: impl IntoIterator<Item = ir::Inst>,
    ) -> Analysis {
        let mut a = Analysis::default();
        a.recompute_among(func, decls, address_insts);
        a
    }

    /// [`Analysis::compute_among`] into this analysis, reusing its storage (for the next
    /// function): its maps keep their allocations, and only the entries the last
    /// function set are cleared.
    pub fn recompute_among(
        &mut self,
        func: &ir::Function,
        decls: &ModuleDecls,
        address_insts: impl IntoIterator<Item = ir::Inst>,
    ) {
        for &v in &self.place_values {
            self.place_at[v] = 0;
        }
        self.place_values.clear();
        self.place_list.clear();
        self.refs.clear();
        self.func_refs = func_refs_of(func, decls);
        // Places come only from value slots and off-heap symbols, and references only
        // from reference-typed signatures and from places: without them there is
        // nothing to find.
        let has_places = func
            .sized_stack_slots
            .keys()
            .any(|slot| value_slot_type(func, slot).is_some())
            || func
                .global_values
                .keys()
                .any(|gv| decls.off_heap(func, gv).is_some());
        self.trivial = !has_places && !self.func_refs.has_refs();
        // Inference reads places and references as it finds them.
        self.any_place = !self.trivial;
        self.any_ref = !self.trivial;
        if !self.trivial {
            let ref_places = self.find_places(func, decls, address_insts);
            if ref_places || self.func_refs.has_refs() {
                self.infer_refs(func);
            }
            // Lowering asks about every value: answer from a flag when there is nothing.
            self.any_place = !self.place_list.is_empty();
            self.any_ref = self.refs.values().any(Option::is_some);
        }
    }

    /// Whether no value of the function is a place address or a reference.
    pub fn is_trivial(&self) -> bool {
        self.trivial
    }

    /// Whether some value of the function is a place address.
    pub fn has_places(&self) -> bool {
        self.any_place
    }

    /// Whether some value of the function is a reference.
    pub fn has_refs(&self) -> bool {
        self.any_ref
    }

    /// The reference types of signature `sig` of this function.
    pub fn sig_refs(&self, sig: ir::SigRef) -> &SigRefs {
        self.func_refs
            .sig(sig)
            .unwrap_or_else(|| PLAIN.get_or_init(SigRefs::default))
    }

    /// The place `value` (an alias or not) addresses, if any.
    #[inline]
    pub fn place(&self, func: &ir::Function, value: Value) -> Option<Place> {
        if !self.any_place {
            return None;
        }
        self.place_entry(func.dfg.resolve_aliases(value))
    }

    /// The place of `value` (no alias), as `find_places` recorded it.
    #[inline]
    fn place_entry(&self, value: Value) -> Option<Place> {
        match self.place_at.get(value) {
            Some(&at) if at != 0 => self.place_list.get(at as usize - 1).copied(),
            _ => None,
        }
    }

    /// [`Analysis::place`] of a value known to be no alias (a result, a block parameter,
    /// or an operand its caller resolved already): no call to resolve it.
    #[inline]
    pub fn place_of_unaliased(&self, value: Value) -> Option<Place> {
        if !self.any_place {
            return None;
        }
        self.place_entry(value)
    }

    /// The reference type of `value` (an alias or not), if it is a reference.
    #[inline]
    pub fn ref_type(&self, func: &ir::Function, value: Value) -> Option<RefType> {
        if !self.any_ref {
            return None;
        }
        self.refs[func.dfg.resolve_aliases(value)]
    }

    /// [`Analysis::place`] while the facts are being found (before the flags are set).
    fn place_resolved(&self, func: &ir::Function, value: Value) -> Option<Place> {
        self.place_entry(func.dfg.resolve_aliases(value))
    }

    /// [`Analysis::ref_type`] while the facts are being found.
    fn ref_resolved(&self, func: &ir::Function, value: Value) -> Option<RefType> {
        self.refs[func.dfg.resolve_aliases(value)]
    }

    /// Find the place addresses; whether any place holds references.
    fn find_places(
        &mut self,
        func: &ir::Function,
        decls: &ModuleDecls,
        insts: impl IntoIterator<Item = ir::Inst>,
    ) -> bool {
        let mut ref_places = false;
        for inst in insts {
            let place = match func.dfg.insts[inst] {
                InstructionData::StackAddr { stack_slot, .. } => value_slot_type(func, stack_slot)
                    .map(|ty| Place::Slot {
                        slot: stack_slot,
                        ty,
                    }),
                InstructionData::UnaryGlobalValue {
                    opcode: Opcode::SymbolValue,
                    global_value,
                } => place_of_symbol(func, decls, global_value),
                _ => None,
            };
            if let Some(place) = place {
                ref_places |= place.value_type().and_then(WasmType::ref_type).is_some();
                self.place_values.push(func.dfg.first_result(inst));
                self.place_list.push(place);
            }
        }
        // The map grows (if at all) once, to the last place's entry, rather than at each
        // place found further on (each growth fills the entries in between).
        if let Some(&last) = self.place_values.iter().max() {
            self.place_at[last] = 0;
        }
        for (i, &v) in self.place_values.iter().enumerate() {
            self.place_at[v] = i as u32 + 1;
        }
        ref_places
    }

    fn infer_refs(&mut self, func: &ir::Function) {
        let dfg = &func.dfg;
        if let Some(entry) = func.layout.entry_block() {
            for (i, &param) in dfg.block_params(entry).iter().enumerate() {
                self.refs[param] = self.func_refs.signature.param(i);
            }
        }
        // Sources that do not depend on other values.
        for block in func.layout.blocks() {
            for inst in func.layout.block_insts(block) {
                let results = dfg.inst_results(inst);
                match dfg.insts[inst] {
                    InstructionData::Call { func_ref, .. } => {
                        let sig = dfg.ext_funcs[func_ref].signature;
                        for (i, &r) in results.iter().enumerate() {
                            self.refs[r] = self.sig_refs(sig).ret(i);
                        }
                    }
                    InstructionData::CallIndirect { sig_ref, .. } => {
                        for (i, &r) in results.iter().enumerate() {
                            self.refs[r] = self.sig_refs(sig_ref).ret(i);
                        }
                    }
                    InstructionData::Load {
                        opcode: Opcode::Load,
                        arg,
                        ..
                    } => {
                        let place = self.place_resolved(func, arg);
                        self.refs[results[0]] = place
                            .and_then(Place::value_type)
                            .and_then(WasmType::ref_type);
                    }
                    _ => {}
                }
            }
        }
        // Block parameters and selects, to a fixpoint.
        let mut changed = true;
        while changed {
            changed = false;
            for block in func.layout.blocks() {
                for inst in func.layout.block_insts(block) {
                    let data = &dfg.insts[inst];
                    if matches!(data.opcode(), Opcode::Select | Opcode::SelectSpectreGuard) {
                        let args = dfg.inst_args(inst);
                        let (x, y) = (
                            self.ref_resolved(func, args[1]),
                            self.ref_resolved(func, args[2]),
                        );
                        let r = dfg.first_result(inst);
                        if self.refs[r].is_none() && x.is_some() && x == y {
                            self.refs[r] = x;
                            changed = true;
                        }
                    }
                    for call in data.branch_destination(&dfg.jump_tables, &dfg.exception_tables) {
                        let params = dfg.block_params(call.block(&dfg.value_lists));
                        for (arg, &param) in call.args(&dfg.value_lists).zip(params) {
                            let Some(arg) = arg.as_value() else { continue };
                            if self.refs[param].is_none() {
                                if let Some(r) = self.ref_resolved(func, arg) {
                                    self.refs[param] = Some(r);
                                    changed = true;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The reference types `decls` records for the signatures of `func` (empty if none),
/// found without looking at its instructions.
pub fn func_refs_of(func: &ir::Function, decls: &ModuleDecls) -> FuncRefs {
    if decls.has_func_refs() {
        decls
            .func_refs(&func.name.to_string())
            .cloned()
            .unwrap_or_default()
    } else {
        FuncRefs::default()
    }
}

/// The place a `symbol_value` of `gv` addresses, if `gv` is a declared off-heap symbol.
pub fn place_of_symbol(
    func: &ir::Function,
    decls: &ModuleDecls,
    gv: ir::GlobalValue,
) -> Option<Place> {
    match decls.off_heap(func, gv)? {
        OffHeapSymbol::Global(id) => decls.globals.get(id).map(|g| Place::Global {
            id,
            ty: g.ty,
            mutable: g.mutable,
        }),
        OffHeapSymbol::Table(id) => decls
            .tables
            .get(id)
            .map(|t| Place::Table { id, elem: t.elem }),
    }
}
