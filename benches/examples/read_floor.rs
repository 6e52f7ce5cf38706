//! How much it costs just to read a workload's CLIF: a walk over every instruction's
//! opcode, operands (aliases resolved), results and result types. Prints ns per CLIF
//! instruction for the walk and for the lowering at opt level none, side by side, and
//! the walk again with each function's IR warm in the caches (walked twice in a row, the
//! second walk's share): what the reading costs when no load misses.
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
    let start = std::time::Instant::now();
    for _ in 0..times {
        std::hint::black_box(benches::lower_at(&w, true, benches::OptLevel::None));
    }
    let lower_ns = start.elapsed().as_nanos() as f64 / n;
    println!(
        "{name}: read {walk_ns:.1} ns/inst (warm {warm_ns:.1}), naive {naive_ns:.1} ns/inst, lower (opt none) {lower_ns:.1} ns/inst"
    );
}
