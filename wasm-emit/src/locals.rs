//! Value placement: which wasm local holds each CLIF value.
//!
//! Every CLIF value that needs a local lives in one of its wasm type: its own (opt level
//! none), one shared with other values as `coloring` decides, or one taken from the
//! scratch pool while it lives (`func::sharing`, opt level none over the engines' limit);
//! parameters of the entry block are the wasm parameters. Scratch locals for multi-step
//! sequences come from a per-type pool and are reused across instructions, so a sequence
//! never grows the local count by more than it needs at once.

use crate::coloring::Coloring;
use crate::reuse::ClearTo;
use cranelift_codegen::ir::{self, Value};
use cranelift_entity::SecondaryMap;
use wasm_encoder::ValType;

/// [`Locals::word`] of a value kept in a local not numbered yet (or of no value of the
/// function).
pub const NO_LOCAL: u32 = u32::MAX;
/// [`Locals::word`] of a value not placed in a local (see
/// [`Locals::mark_off_locals`]); it gets one if its lowering needs it after all.
pub const OFF_LOCALS: u32 = u32::MAX - 1;
/// [`Locals::word`] of a tree emitted already (see [`Locals::mark_emitted`]): the
/// lowest of the words that are no local.
pub const EMITTED: u32 = u32::MAX - 2;

/// The locals of one function being lowered.
pub struct Locals {
    num_params: u32,
    /// Types of the non-parameter locals, in index order, as runs of one type (the
    /// declarations of the code section): opt level none reserves a run per type at once.
    runs: Vec<(ValType, u32)>,
    /// The number of non-parameter locals (the sum of `runs`).
    declared: u32,
    of_value: SecondaryMap<Value, u32>,
    free: [Vec<u32>; 4],
    /// Opt level none: the runs of locals reserved for the values of each type (see
    /// [`Locals::reset_pooled`]): the numeric types' by [`numeric_pool`], then the others.
    numeric_pools: [[Pool; 2]; 4],
    other_pools: Vec<(ValType, Run, Pool)>,
    /// Whether values share locals (as coloring decided); else each value has its own.
    shared: bool,
}

/// Which values of a type a run of locals is for (see [`Locals::reset_pooled`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Run {
    /// Parameters of the blocks after the entry.
    Params = 0,
    /// Results.
    Results = 1,
}

/// A run of locals of one type, handed to values in the order they are first used.
#[derive(Clone, Copy, Default)]
struct Pool {
    next: u32,
    end: u32,
}

impl Pool {
    fn take(&mut self) -> Option<u32> {
        (self.next < self.end).then(|| {
            self.next += 1;
            self.next - 1
        })
    }
}

/// The numeric wasm types by the index of their pool (see [`numeric_pool`]).
const NUMERIC_TYPES: [ValType; 4] = [ValType::I32, ValType::I64, ValType::F32, ValType::F64];

/// The index of a numeric wasm type's pool.
#[inline]
fn numeric_pool(ty: ValType) -> Option<usize> {
    match ty {
        ValType::I32 => Some(0),
        ValType::I64 => Some(1),
        ValType::F32 => Some(2),
        ValType::F64 => Some(3),
        _ => None,
    }
}

/// The scratch pool of `ty` (the numeric types' pools; any other type shares the last).
fn pool_index(ty: ValType) -> usize {
    numeric_pool(ty).unwrap_or(3)
}

impl Locals {
    /// Locals for `func`; its entry block parameters become the wasm parameters.
    pub fn new(func: &ir::Function) -> Locals {
        Locals::with_coloring(func, None)
    }

    /// Locals for `func` with the shared locals of `coloring` declared first.
    pub fn with_coloring(func: &ir::Function, coloring: Option<&Coloring>) -> Locals {
        let mut locals = Locals {
            num_params: 0,
            runs: Vec::new(),
            declared: 0,
            of_value: SecondaryMap::with_default(NO_LOCAL),
            free: Default::default(),
            numeric_pools: Default::default(),
            other_pools: Vec::new(),
            shared: false,
        };
        locals.reset(func, coloring);
        locals
    }

    /// [`Locals::with_coloring`] into these locals, reusing their storage.
    pub fn reset(&mut self, func: &ir::Function, coloring: Option<&Coloring>) {
        self.of_value.clear_to(func.dfg.num_values());
        self.num_params = 0;
        if let Some(entry) = func.layout.entry_block() {
            for (i, &param) in func.dfg.block_params(entry).iter().enumerate() {
                self.of_value[param] = i as u32;
                self.num_params += 1;
            }
        }
        self.runs.clear();
        self.declared = 0;
        self.shared = coloring.is_some();
        if let Some(c) = coloring {
            for &ty in &c.types {
                self.declare(ty, 1);
            }
            for (value, &local) in c.local.iter() {
                if local != crate::coloring::NONE {
                    self.of_value[value] = self.num_params + local;
                }
            }
        }
        for pool in &mut self.free {
            pool.clear();
        }
        self.numeric_pools = Default::default();
        self.other_pools.clear();
    }

    /// Opt level none: [`Locals::reset`] without coloring, then `pools` (a type, which of
    /// its values, and how many of them are kept in locals) reserve a run of locals each,
    /// in this order: each value gets a local of its own from its run when it is first
    /// used (no liveness: wasm engines allocate registers themselves); runs of one type
    /// given together make one declaration. Numbering at first use spares a pass over
    /// every value.
    pub fn reset_pooled(
        &mut self,
        func: &ir::Function,
        pools: impl Iterator<Item = (ValType, Run, u32)>,
    ) {
        self.reset(func, None);
        for (ty, run, n) in pools {
            let next = self.num_params + self.declared;
            self.declare(ty, n);
            let pool = Pool {
                next,
                end: next + n,
            };
            match numeric_pool(ty) {
                Some(k) => self.numeric_pools[k][run as usize] = pool,
                None => self.other_pools.push((ty, run, pool)),
            }
        }
    }

    /// A fresh local of type `ty`.
    pub fn fresh(&mut self, ty: ValType) -> u32 {
        self.declare(ty, 1);
        self.num_params + self.declared - 1
    }

    /// The local of `value` (already alias-resolved), created with type `ty` on first use
    /// (from its type's run of `run`, if there is one with room).
    pub fn of(&mut self, value: Value, ty: ValType, run: Run) -> u32 {
        let local = self.of_value[value];
        if local < EMITTED {
            return local;
        }
        // From its type's run if there is one with room (a lowering that sends values
        // back to locals may use more than the placement counted: it is lowered again).
        let pooled = match numeric_pool(ty) {
            Some(k) => self.numeric_pools[k][run as usize].take(),
            None => self
                .other_pools
                .iter_mut()
                .find(|(t, r, _)| *t == ty && *r == run)
                .and_then(|(_, _, p)| p.take()),
        };
        let local = pooled.unwrap_or_else(|| self.fresh(ty));
        self.of_value[value] = local;
        local
    }

    /// [`Locals::of`] of a value of a numeric type, given as its pool (see
    /// `scan::numeric_pool`: i32, i64, f32, f64).
    #[inline]
    pub fn of_numeric(&mut self, value: Value, pool: usize, run: Run) -> u32 {
        let local = self.of_value[value];
        if local < EMITTED {
            return local;
        }
        let local = match self.numeric_pools[pool][run as usize].take() {
            Some(local) => local,
            None => self.fresh(NUMERIC_TYPES[pool]),
        };
        self.of_value[value] = local;
        local
    }

    /// Give `value` (alias-resolved) the local `local`, of its type, taken by the caller
    /// (from [`Locals::scratch`]).
    pub fn assign(&mut self, value: Value, local: u32) {
        self.of_value[value] = local;
    }

    /// Whether two values may share a local because coloring assigned them one (a copy
    /// between them then vanishes). Without coloring this is `false`, even where values
    /// take turns in scratch locals (`func::sharing`): two values that meet in a copy
    /// there hold the same local only by chance, and the copy stays.
    #[inline]
    pub fn shared(&self) -> bool {
        self.shared
    }

    /// The local of `value` if it has one.
    pub fn get(&self, value: Value) -> Option<u32> {
        let local = self.of_value[value];
        (local < EMITTED).then_some(local)
    }

    /// What lowering reads first of `value` (alias-resolved) in one load: its local, or
    /// [`NO_LOCAL`] (kept in a local not numbered yet), [`OFF_LOCALS`], or [`EMITTED`].
    #[inline]
    pub fn word(&self, value: Value) -> u32 {
        self.of_value[value]
    }

    /// Mark `values` as not placed in locals (see [`Locals::word`]), after a reset: the
    /// lowering then tells a value in a local from the others without reading the
    /// placement.
    pub fn mark_off_locals(&mut self, values: &[Value]) {
        for &value in values {
            self.of_value[value] = OFF_LOCALS;
        }
    }

    /// Mark `value`, a tree not placed in a local, as emitted: kept in its word, which
    /// lowering reads anyway, so that a second read or a second write of it is caught
    /// without a map of its own.
    #[inline]
    pub fn mark_emitted(&mut self, value: Value) {
        self.of_value[value] = EMITTED;
    }

    /// Borrow a scratch local of type `ty`; give it back with [`Locals::release`].
    pub fn scratch(&mut self, ty: ValType) -> u32 {
        match self.free[pool_index(ty)].pop() {
            Some(local) => local,
            None => self.fresh(ty),
        }
    }

    /// Return a scratch local to the pool.
    pub fn release(&mut self, ty: ValType, local: u32) {
        self.free[pool_index(ty)].push(local);
    }

    /// Declare `n` more locals of type `ty`.
    fn declare(&mut self, ty: ValType, n: u32) {
        self.declared += n;
        match self.runs.last_mut() {
            _ if n == 0 => {}
            Some((last, count)) if *last == ty => *count += n,
            _ => self.runs.push((ty, n)),
        }
    }

    /// The non-parameter locals' types, in index order, as runs of one type (none empty,
    /// no two neighbours of one type).
    pub fn declared(&self) -> &[(ValType, u32)] {
        &self.runs
    }

    /// How many locals the function has, its parameters included.
    pub fn count(&self) -> usize {
        self.num_params as usize + self.declared as usize
    }

    /// How many wasm parameters the function has.
    pub fn num_params(&self) -> u32 {
        self.num_params
    }

    /// Values with a local, for the name section.
    pub fn named(&self) -> impl Iterator<Item = (Value, u32)> + '_ {
        self.of_value
            .iter()
            .filter(|(_, &l)| l < EMITTED)
            .map(|(v, &l)| (v, l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `function %f(i32) -> ty`, returning a constant `v1`.
    fn returning_constant(ty: &str) -> ir::Function {
        let text = format!(
            "function %f(i32) -> {ty} {{\nblock0(v0: i32):\n    v1 = iconst.{ty} 1\n    return v1\n}}"
        );
        cranelift_reader::parse_functions(&text).unwrap().remove(0)
    }

    fn v(n: u32) -> Value {
        Value::from_u32(n)
    }

    #[test]
    fn params_first_then_values_and_reused_scratch() {
        let text = "function %f(i32, f64) -> i64 {\nblock0(v0: i32, v1: f64):\n    v2 = iconst.i64 1\n    return v2\n}";
        let func = cranelift_reader::parse_functions(text).unwrap().remove(0);
        let mut locals = Locals::new(&func);
        assert_eq!(locals.num_params(), 2);
        assert_eq!(locals.of(v(1), ValType::F64, Run::Results), 1);
        assert_eq!(locals.of(v(2), ValType::I64, Run::Results), 2);
        assert_eq!(locals.of(v(2), ValType::I64, Run::Results), 2, "stable");
        let t = locals.scratch(ValType::I32);
        locals.release(ValType::I32, t);
        assert_eq!(locals.scratch(ValType::I32), t, "scratch locals are reused");
        assert_ne!(locals.scratch(ValType::I32), t);
        assert_eq!(locals.declared(), &[(ValType::I64, 1), (ValType::I32, 2)]);
    }

    /// A value marked as not placed in a local has none, says so in its word, and gets
    /// one when its lowering needs it after all.
    #[test]
    fn values_off_locals_get_a_local_on_demand() {
        let mut locals = Locals::new(&returning_constant("i32"));
        locals.mark_off_locals(&[v(1)]);
        assert_eq!(locals.word(v(1)), OFF_LOCALS);
        assert_eq!(locals.word(v(2)), NO_LOCAL);
        assert_eq!(locals.word(v(0)), 0);
        assert_eq!(locals.get(v(1)), None);
        assert_eq!(locals.named().count(), 1, "only the parameter is named");
        assert_eq!(locals.of(v(1), ValType::I32, Run::Results), 1);
        assert_eq!(locals.word(v(1)), 1);
    }

    /// Opt level none: each value kept in a local has its own from its type's run, in
    /// the order of first use; parameters stay first; fresh locals come after the runs.
    #[test]
    fn pooled_locals_are_grouped_by_type() {
        let func = returning_constant("i64");
        let mut locals = Locals::new(&func);
        let pools = [
            (ValType::I64, Run::Params, 1),
            (ValType::I64, Run::Results, 2),
            (ValType::F64, Run::Results, 1),
            (ValType::EXTERNREF, Run::Results, 1),
        ];
        locals.reset_pooled(&func, pools.into_iter());
        assert_eq!(locals.num_params(), 1);
        assert_eq!(locals.get(v(0)), Some(0));
        assert_eq!(locals.get(v(3)), None, "numbered at first use");
        assert_eq!(locals.of(v(5), ValType::I64, Run::Results), 2);
        assert_eq!(locals.of(v(2), ValType::F64, Run::Results), 4);
        assert_eq!(locals.of(v(3), ValType::I64, Run::Params), 1);
        assert_eq!(locals.of(v(6), ValType::EXTERNREF, Run::Results), 5);
        assert_eq!(locals.of(v(5), ValType::I64, Run::Results), 2, "stable");
        assert_eq!(locals.of(v(1), ValType::I64, Run::Results), 3);
        // The i64 results' run is used up: another gets a fresh local after the runs.
        assert_eq!(locals.of(v(7), ValType::I64, Run::Results), 6);
        assert_eq!(locals.fresh(ValType::I32), 7);
        assert_eq!(
            locals.declared(),
            &[
                (ValType::I64, 3),
                (ValType::F64, 1),
                (ValType::EXTERNREF, 1),
                (ValType::I64, 1),
                (ValType::I32, 1)
            ]
        );
    }
}
