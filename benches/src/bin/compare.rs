//! `cargo run --release -p benches --bin compare`: lowering cost per CLIF instruction,
//! wasm-emit against Cranelift's native backend for the host (x86-64 here) at `opt_level`
//! none and speed, on the same functions in the same run, with the encode-only floor
//! (emitting as many wasm instructions with wasm-encoder and nothing else). Prints one table;
//! the last line sums the real-world CLIF (the round-trip corpus).
//!
//! Each figure is the fastest of several runs of at least a second in all (one run for
//! the largest inputs). wasm-emit is measured with its input verifier and output
//! validation (the default) and without them.

use benches::{
    corpus, encode_floor, lower, native_isa, natively_compilable, runtests, straight_line,
    wasm_instructions, Workload,
};
use cranelift_codegen::{isa, Context};
use std::time::{Duration, Instant};

/// The fastest time of `f` over runs totalling about a second (at least one, at most 10).
fn best(mut f: impl FnMut()) -> Duration {
    let mut best = Duration::MAX;
    let start = Instant::now();
    for _ in 0..10 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed());
        if start.elapsed() > Duration::from_secs(1) {
            break;
        }
    }
    best
}

/// Compile every function natively; `None` if Cranelift refuses or panics on one.
fn native(w: &Workload, isa: &dyn isa::TargetIsa) -> Option<()> {
    for f in &w.functions {
        let mut ctx = Context::for_function(f.clone());
        ctx.compile(isa, &mut Default::default()).ok()?;
    }
    Some(())
}

struct Row {
    name: String,
    insts: usize,
    emit: Duration,
    emit_fast: Duration,
    none: Option<Duration>,
    speed: Option<Duration>,
    floor: Duration,
}

fn ns(d: Duration, insts: usize) -> f64 {
    d.as_nanos() as f64 / insts.max(1) as f64
}

fn measure(w: &Workload) -> Row {
    let insts = w.instructions();
    let out = lower(w, false);
    let emit = best(|| {
        lower(w, false);
    });
    let emit_fast = best(|| {
        lower(w, true);
    });
    let (none_isa, speed_isa) = (native_isa("none"), native_isa("speed"));
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let ok = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| native(w, &*none_isa)))
        .ok()
        .flatten()
        .is_some();
    std::panic::set_hook(hook);
    let (none, speed) = if ok {
        (
            Some(best(|| {
                native(w, &*none_isa);
            })),
            Some(best(|| {
                native(w, &*speed_isa);
            })),
        )
    } else {
        (None, None)
    };
    let wasm_insts = wasm_instructions(&out);
    let floor = best(|| {
        encode_floor(w.functions.len(), wasm_insts);
    });
    Row {
        name: w.name.clone(),
        insts,
        emit,
        emit_fast,
        none,
        speed,
        floor,
    }
}

fn main() {
    let mut rows = Vec::new();
    let rt = natively_compilable(runtests());
    if !rt.functions.is_empty() {
        rows.push((false, measure(&rt)));
    }
    for n in [1_000, 100_000] {
        rows.push((false, measure(&straight_line(n))));
    }
    for w in corpus() {
        rows.push((true, measure(&w)));
    }
    println!("| input | CLIF insts | wasm-emit ns/inst | no verify/validate | cranelift-x64 none | speed | ratio (none / wasm-emit) | floor ns/inst |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let opt = |d: Option<Duration>, n| d.map_or("n/a".to_string(), |d| format!("{:.0}", ns(d, n)));
    for (_, r) in &rows {
        let ratio = r.none.map_or("n/a".to_string(), |d| {
            format!("{:.2}", d.as_secs_f64() / r.emit.as_secs_f64())
        });
        println!(
            "| {} | {} | {:.0} | {:.0} | {} | {} | {} | {:.0} |",
            r.name,
            r.insts,
            ns(r.emit, r.insts),
            ns(r.emit_fast, r.insts),
            opt(r.none, r.insts),
            opt(r.speed, r.insts),
            ratio,
            ns(r.floor, r.insts)
        );
    }
    // The headline: the real-world CLIF that Cranelift compiles natively too.
    let real: Vec<&Row> = rows
        .iter()
        .filter(|(real, r)| *real && r.none.is_some())
        .map(|(_, r)| r)
        .collect();
    if real.is_empty() {
        println!("no real-world CLIF: run corpus/fetch.sh");
        return;
    }
    let insts: usize = real.iter().map(|r| r.insts).sum();
    let emit: Duration = real.iter().map(|r| r.emit).sum();
    let none: Duration = real.iter().filter_map(|r| r.none).sum();
    let floor: Duration = real.iter().map(|r| r.floor).sum();
    let (x, y, z) = (ns(emit, insts), ns(none, insts), ns(floor, insts));
    println!(
        "wasm-emit {x:.0} ns/inst, cranelift-x64 {y:.0} ns/inst (opt none), ratio {:.2}, floor {z:.0} ns/inst",
        y / x
    );
}
