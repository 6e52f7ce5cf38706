//! Lower one workload repeatedly, for a profiler: `perf record` or `valgrind
//! --tool=callgrind` on `cargo run --release -p benches --example profile_lowering NAME [N]
//! [fast|none]`. NAME is a corpus module or a generated shape and size such as
//! `loop-nest-100000`; `fast` lowers without the input verifier and output validation,
//! `none` does too, at opt level none.
//! Prints the time per CLIF instruction: the mean, and the fastest lowering's.
//! `PROFILE_OUTPUT=FILE` writes the module of the last lowering to FILE (to check that a
//! change to the lowering leaves its output alone); `PROFILE_EACH=1` prints every
//! lowering's time. The lowerings share one `wasm_emit::Compiler`, as `compare`'s runs do.
fn main() {
    let (mut w, times) = benches::example_workload("sql.js-sql-wasm");
    let name = w.name.clone();
    // `PROFILE_SAMPLE=K` keeps every K-th function: a shorter profile of a large module
    // (calls to the functions left out become imports; no table, exports or start).
    if let Some(k) = std::env::var("PROFILE_SAMPLE")
        .ok()
        .and_then(|k| k.parse::<usize>().ok())
        .filter(|&k| k > 1)
    {
        let all = std::mem::take(&mut w.functions);
        w.functions = all.into_iter().step_by(k).collect();
        w.layout.elems.clear();
        w.layout.table_funcs.clear();
        w.layout.exports.clear();
        w.layout.start = None;
    }
    let mode = std::env::args().nth(3);
    let fast = matches!(mode.as_deref(), Some("fast" | "none"));
    let opt_level = match mode.as_deref() {
        Some("none") => benches::OptLevel::None,
        _ => benches::OptLevel::Speed,
    };
    let blocks: usize = w.functions.iter().map(|f| f.layout.blocks().count()).sum();
    let values: usize = w.functions.iter().map(|f| f.dfg.num_values()).sum();
    eprintln!(
        "{name}: {} functions, {} blocks, {} instructions, {} values",
        w.functions.len(),
        blocks,
        w.instructions(),
        values
    );
    // `PROFILE_EACH=1` prints the time of every lowering (the first in a process is the
    // slowest: its memory is fresh).
    let each = std::env::var_os("PROFILE_EACH").is_some();
    let start = std::time::Instant::now();
    let mut best = std::time::Duration::MAX;
    let mut module = Vec::new();
    // One compiler for every lowering, as `compare` and a JIT keep theirs.
    let mut compiler = wasm_emit::Compiler::new();
    for _ in 0..times {
        let one = std::time::Instant::now();
        module = std::hint::black_box(benches::lower_in(&mut compiler, &w, fast, opt_level));
        best = best.min(one.elapsed());
        if each {
            eprintln!("  lowering: {:.1} ms", one.elapsed().as_secs_f64() * 1e3);
        }
    }
    if let Ok(path) = std::env::var("PROFILE_OUTPUT") {
        std::fs::write(&path, &module).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    let insts = w.instructions().max(1) as f64;
    let per = start.elapsed().as_nanos() as f64 / (times as f64 * insts);
    let best = best.as_nanos() as f64 / insts;
    eprintln!("{name}: {per:.0} ns/inst over {times} lowerings, the fastest {best:.1}");
}
