//! How much it costs just to read a workload's CLIF: a walk over every instruction's
//! opcode, operands (aliases resolved), results and result types. Prints ns per CLIF
//! instruction for the walk and for the lowering at opt level none, side by side, and
//! the walk again with each function's IR warm in the caches (walked twice in a row, the
//! second walk's share): what the reading costs when no load misses.
//!
//! Between the two, three lowerings stripped to their bones bound what any design
//! reading Cranelift's IR can cost: `naive` (every value in a local, one walk),
//! `two_pass` (a walk counting reads first, so that a value read once stays on the
//! stack) and `lean` (`two_pass` with stackify's effect rule, locals numbered by type, a
//! block per block, opcodes from a table). None is a correct lowering; they write bytes
//! of the right shape and number.
use cranelift_codegen::ir;

#[inline(never)]
fn walk(functions: &[ir::Function]) -> u64 {
    let mut sum = 0u64;
    for f in functions {
        let dfg = &f.dfg;
        for block in f.layout.blocks() {
            for &p in dfg.block_params(block) {
                sum = sum.wrapping_add(u64::from(dfg.value_type(p).bits()));
            }
            for inst in f.layout.block_insts(block) {
                sum = sum.wrapping_add(dfg.insts[inst].opcode() as u64);
                for &a in dfg.inst_args(inst) {
                    sum = sum.wrapping_add(dfg.resolve_aliases(a).as_u32() as u64);
                }
                for &r in dfg.inst_results(inst) {
                    sum = sum.wrapping_add(u64::from(dfg.value_type(r).bits()));
                }
            }
        }
    }
    sum
}

/// The simplest lowering there is, without control flow: every value in a local of its
/// own, each instruction a `local.get` per operand, one opcode byte, a `local.set` per
/// result (LEB128 indices).
#[inline(never)]
fn naive(functions: &[ir::Function], code: &mut Vec<u8>) -> usize {
    code.clear();
    for f in functions {
        let dfg = &f.dfg;
        for block in f.layout.blocks() {
            for inst in f.layout.block_insts(block) {
                for &a in dfg.inst_args(inst) {
                    code.push(0x20);
                    leb(code, dfg.resolve_aliases(a).as_u32());
                }
                code.push(dfg.insts[inst].opcode() as u8);
                for &r in dfg.inst_results(inst) {
                    code.push(0x21 + (dfg.value_type(r).bits() == 64) as u8);
                    leb(code, r.as_u32());
                }
            }
        }
    }
    code.len()
}

/// [`naive`] with use counts first (a walk of its own), as a lowering that keeps
/// single-use values on the stack must: the reads counted per value, then the emission,
/// which leaves a value read once in no local.
#[inline(never)]
fn two_pass(functions: &[ir::Function], code: &mut Vec<u8>, counts: &mut Vec<u32>) -> usize {
    code.clear();
    for f in functions {
        let dfg = &f.dfg;
        counts.clear();
        counts.resize(dfg.num_values(), 0);
        for block in f.layout.blocks() {
            for inst in f.layout.block_insts(block) {
                for &a in dfg.inst_args(inst) {
                    counts[dfg.resolve_aliases(a).as_u32() as usize] += 1;
                }
            }
        }
        for block in f.layout.blocks() {
            for inst in f.layout.block_insts(block) {
                for &a in dfg.inst_args(inst) {
                    let a = dfg.resolve_aliases(a).as_u32();
                    if counts[a as usize] != 1 {
                        code.push(0x20);
                        leb(code, a);
                    }
                }
                code.push(dfg.insts[inst].opcode() as u8);
                for &r in dfg.inst_results(inst) {
                    if counts[r.as_u32() as usize] != 1 {
                        code.push(0x21 + (dfg.value_type(r).bits() == 64) as u8);
                        leb(code, r.as_u32());
                    }
                }
            }
        }
    }
    code.len()
}

/// [`two_pass`] closer to a real lowering: the first walk also keeps, per value, where it
/// is defined and whether an instruction with effects stands between its definition and
/// its first read in its block (stackify's rule); the second numbers locals by type at
/// their first write (a map from value to local), writes a `block`/`end` pair per block,
/// and looks each opcode up in a table.
#[inline(never)]
fn lean(
    functions: &[ir::Function],
    code: &mut Vec<u8>,
    facts: &mut Vec<(u32, u32, bool)>,
    locals: &mut Vec<u32>,
) -> usize {
    code.clear();
    let mut table = [0u8; 256];
    for (i, t) in table.iter_mut().enumerate() {
        *t = 0x45 + (i % 64) as u8;
    }
    let mut effect = [false; 256];
    for &op in ir::Opcode::all() {
        effect[op as u8 as usize] = op.can_store() || op.is_call() || op.is_branch();
    }
    for f in functions {
        let dfg = &f.dfg;
        facts.clear();
        facts.resize(dfg.num_values(), (0, u32::MAX, false));
        locals.clear();
        locals.resize(dfg.num_values(), u32::MAX);
        let mut pos = 0u32;
        let mut last_effect = 0u32;
        for block in f.layout.blocks() {
            let first = pos;
            for inst in f.layout.block_insts(block) {
                let data = &dfg.insts[inst];
                for &a in data.arguments(&dfg.value_lists) {
                    let a = dfg.resolve_aliases(a).as_u32() as usize;
                    let fa = &mut facts[a];
                    fa.0 += 1;
                    if fa.0 == 1 && fa.1 != u32::MAX && fa.1 >= first {
                        fa.2 = last_effect <= fa.1;
                    }
                }
                for &r in dfg.inst_results(inst) {
                    facts[r.as_u32() as usize].1 = pos;
                }
                if effect[data.opcode() as u8 as usize] {
                    last_effect = pos + 1;
                }
                pos += 1;
            }
        }
        let mut next_local = [0u32; 2];
        for block in f.layout.blocks() {
            code.extend_from_slice(&[0x02, 0x40]);
            for inst in f.layout.block_insts(block) {
                let data = &dfg.insts[inst];
                for &a in data.arguments(&dfg.value_lists) {
                    let a = dfg.resolve_aliases(a).as_u32() as usize;
                    let fa = facts[a];
                    if fa.0 != 1 || !fa.2 {
                        code.push(0x20);
                        leb(code, locals[a]);
                    }
                }
                code.push(table[data.opcode() as u8 as usize]);
                for &r in dfg.inst_results(inst) {
                    let ri = r.as_u32() as usize;
                    let fr = facts[ri];
                    if fr.0 != 1 || !fr.2 {
                        let wide = (dfg.value_type(r).bits() == 64) as usize;
                        let local = next_local[wide];
                        next_local[wide] += 1;
                        locals[ri] = local;
                        code.push(0x21);
                        leb(code, local);
                    }
                }
            }
            code.push(0x0b);
        }
    }
    code.len()
}

fn leb(code: &mut Vec<u8>, mut v: u32) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            code.push(byte);
            return;
        }
        code.push(byte | 0x80);
    }
}

fn main() {
    let (w, times) = benches::example_workload("esbuild-wasm-esbuild");
    let name = &w.name;
    let n = (times * w.instructions()) as f64;
    let start = std::time::Instant::now();
    for _ in 0..times {
        std::hint::black_box(walk(&w.functions));
    }
    let walk_ns = start.elapsed().as_nanos() as f64 / n;
    // Each function walked once, then twice in a row: the difference is a walk over IR
    // that the first walk has just brought into the caches.
    let per_function = |rounds: usize| {
        let start = std::time::Instant::now();
        for _ in 0..times {
            for f in &w.functions {
                for _ in 0..rounds {
                    std::hint::black_box(walk(std::slice::from_ref(f)));
                }
            }
        }
        start.elapsed().as_nanos() as f64 / n
    };
    let warm_ns = per_function(2) - per_function(1);
    let mut code = Vec::new();
    let start = std::time::Instant::now();
    for _ in 0..times {
        std::hint::black_box(naive(&w.functions, &mut code));
    }
    let naive_ns = start.elapsed().as_nanos() as f64 / n;
    let mut counts = Vec::new();
    let start = std::time::Instant::now();
    for _ in 0..times {
        std::hint::black_box(two_pass(&w.functions, &mut code, &mut counts));
    }
    let two_pass_ns = start.elapsed().as_nanos() as f64 / n;
    let (mut facts, mut locals) = (Vec::new(), Vec::new());
    let start = std::time::Instant::now();
    for _ in 0..times {
        std::hint::black_box(lean(&w.functions, &mut code, &mut facts, &mut locals));
    }
    let lean_ns = start.elapsed().as_nanos() as f64 / n;
    let start = std::time::Instant::now();
    for _ in 0..times {
        std::hint::black_box(benches::lower_at(&w, true, benches::OptLevel::None));
    }
    let lower_ns = start.elapsed().as_nanos() as f64 / n;
    println!(
        "{name}: read {walk_ns:.1} ns/inst (warm {warm_ns:.1}), naive {naive_ns:.1} ns/inst, with use counts {two_pass_ns:.1}, lean {lean_ns:.1}, lower (opt none) {lower_ns:.1} ns/inst"
    );
}
