//! Value placement: which wasm local holds each CLIF value.
//!
//! Every CLIF value that needs a local lives in one of its wasm type, shared with other
//! values as `coloring` decides; parameters of the entry block are the wasm parameters. Scratch locals for multi-step sequences come from a per-type pool and are
//! reused across instructions, so a sequence never grows the local count by more than it
//! needs at once.

use crate::coloring::Coloring;
use crate::reuse::ClearTo;
use crate::stackify::Placement;
use cranelift_codegen::ir::{self, Value};
use cranelift_entity::SecondaryMap;
use wasm_encoder::ValType;

const NO_LOCAL: u32 = u32::MAX;

/// While [`Locals::reset_distinct`] numbers values: the value's local is its index in
/// its type's pool (above [`POOL_BITS`]) and the pool (below), marked with this bit. A
/// function that numbers its values this way has at most 50,000 of them, and at most one
/// pool per wasm value type.
const IN_POOL: u32 = 1 << 31;
const POOL_BITS: u32 = 4;

/// The locals of one function being lowered.
pub struct Locals {
    num_params: u32,
    /// Types of the non-parameter locals, in index order.
    types: Vec<ValType>,
    of_value: SecondaryMap<Value, u32>,
    free: [Vec<u32>; 4],
}

fn pool_index(ty: ValType) -> usize {
    match ty {
        ValType::I32 => 0,
        ValType::I64 => 1,
        ValType::F32 => 2,
        _ => 3,
    }
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
            types: Vec::new(),
            of_value: SecondaryMap::with_default(NO_LOCAL),
            free: Default::default(),
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
        self.types.clear();
        if let Some(c) = coloring {
            self.types.extend_from_slice(&c.types);
            for (value, &local) in c.local.iter() {
                if local != crate::coloring::NONE {
                    self.of_value[value] = self.num_params + local;
                }
            }
        }
        for pool in &mut self.free {
            pool.clear();
        }
    }

    /// Opt level none: [`Locals::reset`] without coloring, then each of `values` that
    /// `placement` keeps in a local gets a local of its own, of type `val_type` (no
    /// liveness: wasm engines allocate registers themselves). The locals are grouped by
    /// type, in the order the types first come, so that their declaration stays one run
    /// per type. One pass numbers each value within its type (kept in `of_value` with the
    /// type's pool, see [`IN_POOL`]); one pass over `of_value` then adds the pool's first
    /// local, so a value's type is asked once.
    pub fn reset_distinct(
        &mut self,
        func: &ir::Function,
        values: impl Iterator<Item = Value>,
        placement: &impl std::ops::Index<Value, Output = Placement>,
        val_type: impl Fn(Value) -> ValType,
    ) {
        self.reset(func, None);
        // (type, count) of each pool in the order the types come; the numeric types find
        // their pool without a search.
        let mut pools: Vec<(ValType, u32)> = Vec::with_capacity(4);
        let mut numeric = [u8::MAX; 4];
        for v in values {
            if placement[v] != Placement::Local {
                continue;
            }
            let ty = val_type(v);
            let numeric_slot = match ty {
                ValType::I32 => Some(0),
                ValType::I64 => Some(1),
                ValType::F32 => Some(2),
                ValType::F64 => Some(3),
                _ => None,
            };
            let known = match numeric_slot {
                Some(slot) => (numeric[slot] != u8::MAX).then_some(numeric[slot] as usize),
                None => pools.iter().position(|&(t, _)| t == ty),
            };
            let pool = known.unwrap_or_else(|| {
                // One pool per wasm value type: far fewer than `POOL_BITS` can number.
                debug_assert!(pools.len() < 1 << POOL_BITS);
                pools.push((ty, 0));
                if let Some(slot) = numeric_slot {
                    numeric[slot] = (pools.len() - 1) as u8;
                }
                pools.len() - 1
            });
            let index = &mut pools[pool].1;
            self.of_value[v] = IN_POOL | *index << POOL_BITS | pool as u32;
            *index += 1;
        }
        // The first local of each pool.
        let mut first = [0u32; 1 << POOL_BITS];
        for (pool, &(ty, n)) in pools.iter().enumerate() {
            first[pool] = self.num_params + self.types.len() as u32;
            self.types.extend(std::iter::repeat_n(ty, n as usize));
        }
        for local in self.of_value.values_mut() {
            if *local != NO_LOCAL && *local & IN_POOL != 0 {
                let pool = (*local & ((1 << POOL_BITS) - 1)) as usize;
                *local = first[pool] + ((*local & !IN_POOL) >> POOL_BITS);
            }
        }
    }

    /// A fresh local of type `ty`.
    pub fn fresh(&mut self, ty: ValType) -> u32 {
        self.types.push(ty);
        self.num_params + self.types.len() as u32 - 1
    }

    /// The local of `value` (already alias-resolved), created with type `ty` on first use.
    pub fn of(&mut self, value: Value, ty: ValType) -> u32 {
        let local = self.of_value[value];
        if local != NO_LOCAL {
            return local;
        }
        let local = self.fresh(ty);
        self.of_value[value] = local;
        local
    }

    /// The local of `value` if it has one.
    pub fn get(&self, value: Value) -> Option<u32> {
        let local = self.of_value[value];
        (local != NO_LOCAL).then_some(local)
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

    /// The non-parameter locals' types, in index order.
    pub fn declared(&self) -> &[ValType] {
        &self.types
    }

    /// How many locals the function has, its parameters included.
    pub fn count(&self) -> usize {
        self.num_params as usize + self.types.len()
    }

    /// How many wasm parameters the function has.
    pub fn num_params(&self) -> u32 {
        self.num_params
    }

    /// Values with a local, for the name section.
    pub fn named(&self) -> impl Iterator<Item = (Value, u32)> + '_ {
        self.of_value
            .iter()
            .filter(|(_, &l)| l != NO_LOCAL)
            .map(|(v, &l)| (v, l))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_first_then_values_and_reused_scratch() {
        let text = "function %f(i32, f64) -> i64 {\nblock0(v0: i32, v1: f64):\n    v2 = iconst.i64 1\n    return v2\n}";
        let func = cranelift_reader::parse_functions(text).unwrap().remove(0);
        let mut locals = Locals::new(&func);
        assert_eq!(locals.num_params(), 2);
        let v = |n| Value::from_u32(n);
        assert_eq!(locals.of(v(1), ValType::F64), 1);
        assert_eq!(locals.of(v(2), ValType::I64), 2);
        assert_eq!(locals.of(v(2), ValType::I64), 2, "stable");
        let t = locals.scratch(ValType::I32);
        locals.release(ValType::I32, t);
        assert_eq!(locals.scratch(ValType::I32), t, "scratch locals are reused");
        assert_ne!(locals.scratch(ValType::I32), t);
        assert_eq!(
            locals.declared(),
            &[ValType::I64, ValType::I32, ValType::I32]
        );
    }

    /// Opt level none: each value kept in a local has its own, grouped by type in the
    /// order the types come; values off locals have none; parameters stay first.
    #[test]
    fn distinct_locals_are_grouped_by_type() {
        let text = "function %f(i32) -> i64 {\nblock0(v0: i32):\n    v1 = iconst.i64 1\n    v2 = f64const 0x1.0\n    v3 = iconst.i64 2\n    v4 = iconst.i32 3\n    v5 = iconst.i64 4\n    return v1\n}";
        let func = cranelift_reader::parse_functions(text).unwrap().remove(0);
        let v = |n| Value::from_u32(n);
        let mut placement = SecondaryMap::new();
        placement[v(4)] = Placement::Tree;
        let ty = |value: Value| match value.as_u32() {
            2 => ValType::F64,
            4 => ValType::I32,
            6 => ValType::EXTERNREF,
            _ => ValType::I64,
        };
        let mut locals = Locals::new(&func);
        // v6 stands for a reference-typed value (a value the function does not have is
        // numbered all the same).
        let values = [v(1), v(2), v(3), v(4), v(5), v(6)];
        locals.reset_distinct(&func, values.into_iter(), &placement, ty);
        assert_eq!(locals.num_params(), 1);
        assert_eq!(locals.get(v(0)), Some(0));
        // i64 (v1, v3, v5), then f64 (v2), then externref (v6); v4 is a tree.
        assert_eq!(
            [v(1), v(3), v(5), v(2), v(6)].map(|x| locals.get(x)),
            [Some(1), Some(2), Some(3), Some(4), Some(5)]
        );
        assert_eq!(locals.get(v(4)), None);
        assert_eq!(
            locals.declared(),
            &[
                ValType::I64,
                ValType::I64,
                ValType::I64,
                ValType::F64,
                ValType::EXTERNREF
            ]
        );
        // Fresh locals come after them.
        assert_eq!(locals.fresh(ValType::I32), 6);
    }
}
