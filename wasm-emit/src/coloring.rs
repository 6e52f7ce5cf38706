//! Local coloring: values that need a local share locals when their live ranges do not
//! overlap (LLVM's RegColoring), one pool of locals per wasm type.
//!
//! Liveness comes from `liveness`. Block parameters are written at the end of the
//! predecessor (the parallel copy reads every source before it writes a destination, so a
//! source that dies in the copy may share a destination's local).
//!
//! Coloring walks the blocks in reverse postorder, so every value live into a block has its
//! color already, and takes a free color of the value's type at each definition (greedy in
//! dominance order, which is optimal for SSA's chordal interference graphs). A result is
//! colored before the operands that die at its instruction are released: some lowerings
//! write the result before their last read of an operand. Busy flags are cleared per block
//! only where they were set, and each pool keeps a cursor below which every local is busy,
//! so the walk costs O(1) per definition and per live-in value.
//!
//! At opt level none, `Locals::reset_pooled` replaces all of this: one local per value,
//! numbered by type, with no liveness.

use crate::cfg::{Graph, Order};
use crate::liveness::{BlockGraph, Liveness};
use crate::scan::Scan;
use crate::stackify::{Placement, Placements};
use cranelift_codegen::ir::{self, Value};
use cranelift_entity::SecondaryMap;
use wasm_encoder::ValType;

/// Storage `color` keeps from one function to the next.
#[derive(Default)]
pub struct ColorScratch {
    graph: BlockGraph,
    liveness: Liveness,
    pairs: Vec<(u32, Value)>,
}

/// The assignment of values to locals.
pub struct Coloring {
    /// Local of each colored value, counted from the first non-parameter local.
    pub local: SecondaryMap<Value, u32>,
    /// Types of the colored locals, in index order.
    pub types: Vec<ValType>,
}

/// No local assigned.
pub const NONE: u32 = u32::MAX;

/// The locals of one wasm type, in creation order.
struct Pool {
    ty: ValType,
    locals: Vec<u32>,
    /// Every local in `locals[..cursor]` is busy.
    cursor: usize,
}

/// The greedy assignment in progress.
struct Colorer {
    coloring: Coloring,
    pools: Vec<Pool>,
    /// Pool and index in it of each local.
    home: Vec<(u32, u32)>,
    busy: Vec<bool>,
    /// Locals made busy in the current block, to clear at the next.
    touched: Vec<u32>,
}

impl Colorer {
    fn pool_of(&mut self, ty: ValType) -> usize {
        match self.pools.iter().position(|p| p.ty == ty) {
            Some(i) => i,
            None => {
                self.pools.push(Pool {
                    ty,
                    locals: Vec::with_capacity(32),
                    cursor: 0,
                });
                self.pools.len() - 1
            }
        }
    }

    fn occupy(&mut self, local: u32) {
        self.busy[local as usize] = true;
        self.touched.push(local);
    }

    fn release(&mut self, local: u32) {
        self.busy[local as usize] = false;
        let (pool, index) = self.home[local as usize];
        let pool = &mut self.pools[pool as usize];
        pool.cursor = pool.cursor.min(index as usize);
    }

    /// Give `v` of type `ty` a free local, `preferred` if that one is free.
    fn take(&mut self, v: Value, ty: ValType, preferred: Option<u32>) {
        let pool = self.pool_of(ty);
        let local = match preferred.filter(|&l| !self.busy[l as usize]) {
            Some(l) => l,
            None => {
                let p = &mut self.pools[pool];
                while p.cursor < p.locals.len() && self.busy[p.locals[p.cursor] as usize] {
                    p.cursor += 1;
                }
                match p.locals.get(p.cursor) {
                    Some(&l) => l,
                    None => {
                        let l = self.coloring.types.len() as u32;
                        self.coloring.types.push(ty);
                        self.busy.push(false);
                        self.home.push((pool as u32, p.locals.len() as u32));
                        p.locals.push(l);
                        l
                    }
                }
            }
        };
        self.occupy(local);
        self.coloring.local[v] = local;
    }

    fn start_block(&mut self) {
        for l in self.touched.drain(..) {
            self.busy[l as usize] = false;
        }
        for p in &mut self.pools {
            p.cursor = 0;
        }
    }
}

/// Color the values of `func` (scanned as `scan`, with lowering graph `lowering` and its
/// order facts `order`) that `placement` keeps in locals
/// (entry-block parameters keep the wasm parameters). `val_type` gives each value's wasm
/// type.
pub fn color(
    func: &ir::Function,
    scan: &Scan,
    lowering: &Graph,
    order: &Order,
    placement: &Placements,
    val_type: &dyn Fn(Value) -> ValType,
    scratch: &mut ColorScratch,
) -> Coloring {
    let dfg = &func.dfg;
    // A map only as long as the highest entry parameter: lookups past it are `false`.
    let mut entry_param: SecondaryMap<Value, bool> = SecondaryMap::new();
    if let Some(&entry) = scan.blocks.first() {
        for &p in dfg.block_params(entry) {
            entry_param[p] = true;
        }
    }
    let colored = |v: Value| -> bool { placement[v] == Placement::Local && !entry_param[v] };
    let ColorScratch {
        graph,
        liveness,
        pairs,
    } = scratch;
    graph.rebuild(lowering, order, dfg.num_blocks());
    liveness.compute(func, scan, graph, placement, &colored);

    // Block arguments and their parameters prefer one local: the copy then vanishes.
    pairs.clear();
    for b in 0..scan.blocks.len() {
        let range = scan.block_range(b);
        if range.is_empty() {
            continue;
        }
        let inst = scan.inst(range.end - 1);
        for call in dfg.insts[inst].branch_destination(&dfg.jump_tables, &dfg.exception_tables) {
            let params = dfg.block_params(call.block(&dfg.value_lists));
            for (arg, &p) in call.args(&dfg.value_lists).zip(params) {
                if let Some(a) = arg.as_value().map(|a| scan.resolve(a)) {
                    if colored(a) && colored(p) && val_type(a) == val_type(p) {
                        pairs.push((a.as_u32(), p));
                        pairs.push((p.as_u32(), a));
                    }
                }
            }
        }
    }
    // Stable: partners stay in layout order, the first colored free one wins (an
    // unstable order costs up to 5% more code on the corpus).
    pairs.sort_by_key(|&(k, _)| k);
    let partners = |v: Value| {
        let start = pairs.partition_point(|&(k, _)| k < v.as_u32());
        pairs[start..]
            .iter()
            .take_while(move |&&(k, _)| k == v.as_u32())
            .map(|&(_, o)| o)
    };

    let mut local = SecondaryMap::with_default(NONE);
    local.resize(dfg.num_values());
    let mut c = Colorer {
        coloring: Coloring {
            local,
            types: Vec::with_capacity(64),
        },
        pools: Vec::with_capacity(4),
        home: Vec::with_capacity(64),
        busy: Vec::with_capacity(64),
        touched: Vec::with_capacity(64),
    };
    let mut unused: Vec<Value> = Vec::with_capacity(16);
    let take = |c: &mut Colorer, v: Value, unused: &mut Vec<Value>| {
        let preferred = partners(v)
            .map(|o| c.coloring.local[o])
            .find(|&l| l != NONE && !c.busy[l as usize]);
        c.take(v, val_type(v), preferred);
        if liveness.unused(v) {
            unused.push(v);
        }
    };
    for &block in &graph.rpo {
        c.start_block();
        for &v in liveness.live_in(block) {
            let local = c.coloring.local[v];
            if local != NONE {
                c.occupy(local);
            }
        }
        for &p in dfg.block_params(block) {
            if colored(p) {
                take(&mut c, p, &mut unused);
            }
        }
        for p in unused.drain(..) {
            c.release(c.coloring.local[p]);
        }
        let range = scan.block_range(scan.ordinal[block] as usize);
        for k in range {
            for &r in scan.results(k) {
                if colored(r) {
                    take(&mut c, r, &mut unused);
                }
            }
            for r in unused.drain(..) {
                c.release(c.coloring.local[r]);
            }
            for &v in liveness.dying_at(k) {
                let local = c.coloring.local[v];
                if local != NONE {
                    c.release(local);
                }
            }
        }
    }
    c.coloring
}
