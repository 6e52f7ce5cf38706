//! The driver of one function's lowering: the first walk, the lowering graph and its
//! order, value placement, and the lowering attempts (again with some values in locals
//! when an expansion did not fit the tree discipline), with the storage all of it keeps
//! from one function to the next (`Workspace`).

use super::sharing::Sharing;
use super::FuncLower;
use crate::cfg::{self, Graph, Order};
use crate::coloring::ColorScratch;
use crate::error::{Error, ErrorKind, Result};
use crate::locals::{Locals, Run};
use crate::module::env::{ref_val_type, ModuleEnv};
use crate::module::Bodies;
use crate::scan::Scan;
use crate::stackify::Placements;
use crate::support::Gate;
use crate::types::val_type;
use crate::OptLevel;
use cranelift_codegen::ir::{self, StackSlot, Value};
use cranelift_entity::SecondaryMap;
use cranelift_offheap::analysis::Analysis;
use wasm_encoder::ValType;

/// The most locals (parameters included) wasm engines accept in one function.
const MAX_LOCALS: usize = 50_000;

/// How a lowering attempt gives values their locals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LocalMode {
    /// Each value kept in a local has one of its own (opt level none).
    Distinct,
    /// Values share locals as they die in emission order (see `sharing`; opt level
    /// none, over the engines' limit: no liveness analysis).
    Shared,
    /// Locals shared as coloring decides (opt level speed, or over the limit still).
    Colored,
}

/// What a local is named after in the name section.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalName {
    /// A CLIF value (`v12`).
    Value(Value),
    /// A CLIF stack slot kept in a local (`ss0`).
    Slot(ir::StackSlot),
}

impl LocalName {
    /// Append the name as CLIF prints it (`v12`, `ss0`) to `out` as a wasm name (its
    /// length, then its bytes), without the formatting machinery: a module has a name for
    /// almost every local.
    pub fn write_bytes(self, out: &mut Vec<u8>) {
        let (prefix, number): (&[u8], u32) = match self {
            LocalName::Value(v) => (b"v", v.as_u32()),
            LocalName::Slot(s) => (b"ss", s.as_u32()),
        };
        let mut digits = [0u8; 10];
        let mut at = digits.len();
        let mut n = number;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        // At most 12 bytes: the length is one LEB128 byte.
        out.push((prefix.len() + digits.len() - at) as u8);
        out.extend_from_slice(prefix);
        out.extend_from_slice(&digits[at..]);
    }
}

impl std::fmt::Display for LocalName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocalName::Value(v) => v.fmt(f),
            LocalName::Slot(s) => s.fmt(f),
        }
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace::new(OptLevel::default())
    }
}

/// Storage the lowering passes keep from one function to the next, so that lowering a
/// module of many functions does not allocate it again for each.
pub struct Workspace {
    opt_level: OptLevel,
    local_names: bool,
    scan: Scan,
    graph: Graph,
    order: Order,
    analysis: Analysis,
    color: ColorScratch,
    structure: cfg::structure::Scratch,
    spare: Spare,
}

impl Workspace {
    /// An empty workspace for lowering at `opt_level`.
    pub fn new(opt_level: OptLevel) -> Workspace {
        Workspace {
            opt_level,
            local_names: true,
            scan: Scan::default(),
            graph: Graph::default(),
            order: Order::default(),
            analysis: Analysis::default(),
            color: ColorScratch::default(),
            structure: Default::default(),
            spare: Spare::default(),
        }
    }

    /// This workspace's storage, for lowering at `opt_level` with or without local names
    /// (see `Options::local_names`; a new workspace names them): the next compilation's
    /// options.
    pub fn with_options(self, opt_level: OptLevel, local_names: bool) -> Workspace {
        Workspace {
            opt_level,
            local_names,
            ..self
        }
    }
}

/// The storage of the last `FuncLower`, for the next one.
struct Spare {
    locals: Option<Locals>,
    code: Vec<u8>,
    slot_locals: SecondaryMap<StackSlot, u32>,
    callees: SecondaryMap<ir::FuncRef, u32>,
    sig_types: SecondaryMap<ir::SigRef, u32>,
    pending_copies: Vec<(Value, Value)>,
    sharing: Sharing,
    /// The name of each local, by index (built after lowering).
    names: Vec<Option<LocalName>>,
}

impl Default for Spare {
    fn default() -> Self {
        Spare {
            locals: None,
            code: Vec::new(),
            slot_locals: SecondaryMap::with_default(u32::MAX),
            callees: SecondaryMap::with_default(u32::MAX),
            sig_types: SecondaryMap::with_default(u32::MAX),
            pending_copies: Vec::new(),
            sharing: Sharing::default(),
            names: Vec::new(),
        }
    }
}

impl Spare {
    /// Keep the storage of `lower`.
    fn keep(&mut self, lower: FuncLower) {
        self.locals = Some(lower.locals);
        self.code = lower.code;
        self.slot_locals = lower.slot_locals;
        self.callees = lower.callees;
        self.sig_types = lower.sig_types;
        self.pending_copies = lower.pending_copies;
        self.sharing = lower.sharing;
    }
}

/// Lower `func` against `env`, reusing the storage of `workspace`, and add it to
/// `bodies` as the function with index `index`. `signature_supported`: whether the
/// function's own signature is known to be supported already (see
/// `support::Gate::signature_supported`; `false` has it checked here).
pub fn lower_function_in(
    func: &ir::Function,
    env: &mut ModuleEnv,
    workspace: &mut Workspace,
    (bodies, index): (&mut Bodies, u32),
    signature_supported: bool,
) -> Result<()> {
    if func.layout.entry_block().is_none() {
        return Err(Error::new(
            ErrorKind::Invalid,
            func.name.to_string(),
            "the function has no body",
        )
        .with_hint("a function to lower needs at least an entry block"));
    }
    // The first walk over the function checks it against the feature gate too.
    let gate = Gate {
        signature_supported,
        decls: &env.decls,
        symbols: &env.layout.symbols,
    };
    let Workspace {
        opt_level,
        local_names,
        scan,
        graph,
        order,
        analysis,
        color,
        structure,
        spare,
    } = workspace;
    // The off-heap rules are checked over the scan's rows, whose operands are resolved
    // already. They take precedence over the feature gate: a program that takes a
    // place's address is reported as such even where it also uses a feature the backend
    // lacks, and the scan stops at that feature, so the verifier walks on its own then.
    let first_violation = |errors: Vec<cranelift_offheap::VerifyError>| {
        errors.into_iter().next().map(crate::offheap_error)
    };
    if let Err(unsupported) = scan.recompute(func, Some(&gate)) {
        let analysis = Analysis::compute(func, &env.decls);
        let verified = cranelift_offheap::verify_with(func, &env.decls, &analysis);
        return Err(verified
            .err()
            .and_then(first_violation)
            .unwrap_or(unsupported));
    }
    // The places are found among the address-taking instructions the scan gathered.
    analysis.recompute_among(func, &env.decls, scan.address_insts().iter().copied());
    let analysis = &*analysis;
    // Without references only a few kinds of instruction, and the readers of place
    // addresses, can break a rule: the verifier is given just those where the readers
    // are known (each place address read once at most).
    let few = analysis.is_trivial()
        || (!analysis.has_refs()
            && scan.check_place_readers(|v| analysis.place_of_unaliased(v).is_some()));
    let verified = if few {
        cranelift_offheap::verify_resolved(func, &env.decls, analysis, scan.checked_instructions())
    } else {
        cranelift_offheap::verify_resolved(func, &env.decls, analysis, scan.instructions())
    };
    if let Err(errors) = verified {
        if let Some(violation) = first_violation(errors) {
            return Err(violation);
        }
    }
    cfg::graph::build_into(graph, func, scan);
    order.recompute(graph);
    if !order.is_reducible() {
        cfg::irreducible::make_reducible(graph, order);
        order.recompute(graph);
        if !order.is_reducible() {
            return Err(Error::new(
                ErrorKind::Internal,
                func.name.to_string(),
                "irreducible control flow could not be repaired",
            ));
        }
    }
    // Lower with values on the operand stack where `stackify` allows; a value whose
    // instruction's lowering does not fit that discipline goes back to a local, and the
    // function is lowered again (rare: a few instructions read an operand twice).
    //
    // At opt level none every value kept in a local gets one of its own, unless that
    // passes the engines' limit: values then share locals as they die in the order the
    // code is emitted (`sharing`), and if that is not enough, coloring brings the count down
    // (each takes over if the lowering's own locals push a function over after all).
    // (Results and parameters bound the count, and are counted first: the bound is
    // quicker to find.)
    let mut mode = if *opt_level != OptLevel::None {
        LocalMode::Colored
    } else if scan.all_results().len() + scan.num_params() <= MAX_LOCALS
        || scan.values_in_locals() <= MAX_LOCALS
    {
        LocalMode::Distinct
    } else {
        LocalMode::Shared
    };
    spare.callees.clear();
    env.fill_known_callees(index, &mut spare.callees);
    spare.sig_types.clear();
    let mut attempts = 0;
    let lower = loop {
        attempts += 1;
        if attempts > 4 {
            scan.keep_all_in_locals();
        }
        let placement = Placements::of(scan);
        let mut lower = attempt(
            func,
            &mut *env,
            (graph, order),
            analysis,
            scan,
            placement,
            (mode, color, structure, spare),
        )?;
        if lower.misplaced.is_empty() {
            if mode != LocalMode::Colored && lower.locals.count() > MAX_LOCALS {
                spare.keep(lower);
                mode = match mode {
                    LocalMode::Distinct => LocalMode::Shared,
                    _ => LocalMode::Colored,
                };
                continue;
            }
            break lower;
        }
        let misplaced = std::mem::take(&mut lower.misplaced);
        spare.keep(lower);
        scan.keep_in_locals(&misplaced);
    };
    let locals = lower.locals.count();
    if locals > MAX_LOCALS {
        return Err(Error::new(
            ErrorKind::Unsupported(crate::error::Feature::Other("more than 50,000 locals")),
            func.name.to_string(),
            format!("the function needs {locals} wasm locals; engines accept at most {MAX_LOCALS}"),
        )
        .with_hint("split the function; local coloring will lift this limit"));
    }
    // Named by entity. A local shared by several values is named after the first (the
    // name section gives a local one name); the names come out in local order without a
    // sort.
    let by_local = &mut spare.names;
    by_local.clear();
    if *local_names {
        by_local.resize(locals, None);
        for (value, local) in lower.locals.named() {
            by_local[local as usize].get_or_insert(LocalName::Value(value));
        }
        for (slot, &local) in lower.slot_locals.iter() {
            if local != u32::MAX {
                by_local[local as usize].get_or_insert(LocalName::Slot(slot));
            }
        }
    }
    bodies.push(
        index,
        lower.locals.declared(),
        &lower.code,
        by_local
            .iter()
            .enumerate()
            .filter_map(|(local, name)| name.map(|name| (local as u32, name))),
    );
    spare.keep(lower);
    Ok(())
}

/// The values of `func` that `placement` keeps in locals (the entry block's parameters
/// aside), counted by their wasm type `val_type`, in the order the types first come.
fn pools_by_wasm_type(
    func: &ir::Function,
    scan: &Scan,
    placement: &Placements,
    val_type: impl Fn(Value) -> ValType,
) -> std::vec::IntoIter<(ValType, Run, u32)> {
    let later_blocks = scan.blocks.get(1..).unwrap_or_default();
    let params = later_blocks
        .iter()
        .flat_map(|&b| func.dfg.block_params(b).iter().copied());
    let mut pools: Vec<(ValType, Run, u32)> = Vec::new();
    let params = params.map(|p| (p, Run::Params));
    let results = scan.all_results().iter().map(|&r| (r, Run::Results));
    for (value, run) in params.chain(results) {
        if placement[value] != crate::stackify::Placement::Local {
            continue;
        }
        let ty = val_type(value);
        match pools.iter_mut().find(|(t, r, _)| *t == ty && *r == run) {
            Some((_, _, n)) => *n += 1,
            None => pools.push((ty, run, 1)),
        }
    }
    pools.into_iter()
}

/// One lowering of `func` with the value placement `placement`, its values given locals
/// as `mode` says.
fn attempt<'a>(
    func: &'a ir::Function,
    env: &'a mut ModuleEnv,
    (graph, order): (&'a Graph, &Order),
    analysis: &'a Analysis,
    scan: &'a Scan,
    placement: Placements<'a>,
    (mode, color_scratch, structure, spare): (
        LocalMode,
        &mut ColorScratch,
        &mut cfg::structure::Scratch,
        &mut Spare,
    ),
) -> Result<FuncLower<'a>> {
    let val_type_of = |v: Value| match analysis.ref_type(func, v) {
        Some(r) => ref_val_type(r),
        None => val_type(scan.value_type(&func.dfg, v)),
    };
    let mut locals = spare.locals.take().unwrap_or_else(|| Locals::new(func));
    if mode == LocalMode::Shared {
        locals.reset(func, None);
    } else if mode == LocalMode::Distinct {
        if analysis.has_refs() {
            // A reference's wasm type is the analysis's: count by wasm type here.
            locals.reset_pooled(
                func,
                pools_by_wasm_type(func, scan, &placement, val_type_of),
            );
        } else {
            // The most used type first, and in each type the block parameters (often
            // loop variables) first: more of the locals read most get one-byte indices.
            let types = [ValType::I32, ValType::I64, ValType::F32, ValType::F64];
            let (params, results) = scan.locals_by_pool();
            let mut order = [0, 1, 2, 3];
            order.sort_by_key(|&k| std::cmp::Reverse(params[k] + results[k]));
            let pools = order.into_iter().flat_map(|k| {
                [
                    (types[k], Run::Params, params[k]),
                    (types[k], Run::Results, results[k]),
                ]
            });
            locals.reset_pooled(func, pools);
        }
    } else {
        let coloring = crate::coloring::color(
            func,
            scan,
            graph,
            order,
            &placement,
            &val_type_of,
            color_scratch,
        );
        locals.reset(func, Some(&coloring));
    }
    locals.mark_off_locals(scan.off_locals());
    let mut code = std::mem::take(&mut spare.code);
    code.clear();
    code.reserve(64 + 16 * func.dfg.num_insts());
    let mut slot_locals = std::mem::take(&mut spare.slot_locals);
    slot_locals.clear();
    // Cleared, and the known callees filled in, once per function (see
    // `lower_function_in`): every attempt resolves the same callees.
    let callees = std::mem::take(&mut spare.callees);
    let sig_types = std::mem::take(&mut spare.sig_types);
    let mut sharing = std::mem::take(&mut spare.sharing);
    sharing.reset(func.dfg.num_values(), mode == LocalMode::Shared);
    let mut lower = FuncLower {
        func,
        env,
        graph,
        locals,
        code,
        frame: None,
        analysis,
        slot_locals,
        label_local: None,
        placement,
        misplaced: Vec::new(),
        last_set_local: 0,
        last_set_start: 0,
        last_set_end: usize::MAX,
        scan,
        callees,
        sig_types,
        pending_copies: std::mem::take(&mut spare.pending_copies),
        sharing,
    };
    lower.prologue()?;
    let falls_through = cfg::structure::emit(graph, order, &mut lower, structure)?;
    if falls_through {
        lower.sink().unreachable();
    }
    lower.sink().end();
    Ok(lower)
}

#[cfg(test)]
mod tests {
    use super::LocalName;
    use cranelift_codegen::ir::{StackSlot, Value};
    use cranelift_entity::EntityRef;

    #[test]
    fn local_names_print_as_clif_does() {
        for n in [0, 7, 10, 99, 1234, 4_000_000_000] {
            for name in [
                LocalName::Value(Value::from_u32(n)),
                LocalName::Slot(StackSlot::new(n as usize)),
            ] {
                let mut bytes = Vec::new();
                name.write_bytes(&mut bytes);
                let text = name.to_string();
                assert_eq!(bytes[0] as usize, text.len());
                assert_eq!(&bytes[1..], text.as_bytes());
            }
        }
    }
}
