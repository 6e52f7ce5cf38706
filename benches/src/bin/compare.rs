//! `cargo run --release -p benches --bin compare`: lowering cost per CLIF instruction,
//! wasm-emit against Cranelift's native backend for the host (x86-64 here) at `opt_level`
//! none and speed, on the same functions in the same run, with the encode-only floor
//! (emitting as many wasm instructions with wasm-encoder and nothing else) and the peak
//! heap memory per instruction. Prints one table; the last line sums the real-world CLIF
//! (the round-trip corpus).
//!
//! wasm-emit is measured with its defaults (opt level speed, input verifier, output
//! validation, local names), and without the verifier, validation and local names (a JIT
//! that trusts its front end) at opt levels speed and none; Cranelift with its IR verifier
//! (its default) and without it, with its default register allocator (`backtracking`),
//! and in its quickest configuration: opt level none, no verifier, and the single-pass
//! register allocator (`regalloc_algorithm=single_pass`), which is what a JIT's first tier
//! would pick. The headline line (the last) is the issue's: both at `opt_level` none
//! (Cranelift's other flags at their defaults, wasm-emit without local coloring), both
//! without verifiers and without debug names (Cranelift's compile emits none); the line
//! before it compares with the single-pass allocator, about two and a half times quicker
//! than the default one on this corpus.
//! Cranelift compiles as a JIT does: the functions are handed over to one reused
//! `Context` (their clones are made outside the timing). Each backend keeps its context
//! (Cranelift's `Context`, wasm-emit's `Compiler`) across the runs of a figure, as a JIT
//! keeps it for its lifetime: a run's working memory is the previous run's, not fresh
//! pages from the system. Each figure is the fastest of at least three runs, and of more
//! (up to ten) while they total under a second.

use benches::shapes::{generate, SHAPES};
use benches::{
    compile_natively, compile_natively_in, corpus, encode_floor, lower_at, lower_in,
    native_isa_quickest, native_isa_with, natively_compilable, runtests, wasm_instructions,
    OptLevel, Workload,
};
use cranelift_codegen::{isa, Context};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};
use wasm_emit::Compiler;

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let live = LIVE.fetch_add(new_size - layout.size(), Relaxed) + new_size - layout.size();
            PEAK.fetch_max(live, Relaxed);
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Relaxed);
        }
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The heap memory `f` holds at its peak, beyond what was live before it.
fn peak_bytes(f: impl FnOnce()) -> usize {
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    f();
    PEAK.load(Relaxed) - before
}

/// The fewest runs a figure is the fastest of, however long a run takes: the same for
/// both backends, so that neither gets more chances at a quick run (on the largest inputs
/// a Cranelift run takes seconds, and a time budget alone would give it one).
const MIN_RUNS: usize = 3;

/// The fastest time of `f` over at least [`MIN_RUNS`] runs, and more (at most 10) while
/// they total less than a second.
fn best(mut f: impl FnMut()) -> Duration {
    best_of(|| (), |()| f())
}

/// [`best`] of `f` on what `prepare` makes for each run (made outside the timing).
fn best_of<T>(mut prepare: impl FnMut() -> T, mut f: impl FnMut(T)) -> Duration {
    let mut best = Duration::MAX;
    let start = Instant::now();
    for run in 1..=10 {
        let input = prepare();
        let t = Instant::now();
        f(input);
        best = best.min(t.elapsed());
        if run >= MIN_RUNS && start.elapsed() > Duration::from_secs(1) {
            break;
        }
    }
    best
}

/// The fastest time of [`compile_natively_in`] on `w`'s functions (see [`best_of`]), with
/// one `Context` for every run.
fn best_native(w: &Workload, isa: &dyn isa::TargetIsa) -> Duration {
    let mut ctx = Context::new();
    best_of(
        || w.functions.clone(),
        |functions| {
            compile_natively_in(&mut ctx, functions, isa);
        },
    )
}

/// The fastest time of lowering `w` with wasm-emit (see [`lower_in`] and [`best_of`]),
/// with one `Compiler` for every run.
fn best_emit(w: &Workload, fast: bool, opt_level: OptLevel) -> Duration {
    let mut compiler = Compiler::new();
    best(|| {
        lower_in(&mut compiler, w, fast, opt_level);
    })
}

/// Cranelift's times: opt none with its verifier, without it, and opt speed without it
/// (with its default register allocator), and its quickest configuration (opt none, no
/// verifier, single-pass register allocator; `None` if that fails on these functions).
struct Native {
    none: Duration,
    none_unverified: Duration,
    speed: Duration,
    quickest: Option<Duration>,
    peak: usize,
}

struct Row {
    name: String,
    insts: usize,
    emit: Duration,
    emit_fast: Duration,
    emit_none: Duration,
    emit_peak: usize,
    native: Option<Native>,
    floor: Duration,
}

fn ns(d: Duration, insts: usize) -> f64 {
    d.as_nanos() as f64 / insts.max(1) as f64
}

/// Measure `w`; Cranelift's native backend too unless `with_native` is false.
fn measure(w: &Workload, with_native: bool) -> Row {
    let insts = w.instructions();
    eprintln!("measuring {} ({insts} CLIF instructions)", w.name);
    let emit = best_emit(w, false, OptLevel::default());
    let emit_fast = best_emit(w, true, OptLevel::default());
    let emit_none = best_emit(w, true, OptLevel::None);
    // The memory a lowering takes, with a compiler of its own.
    let emit_peak = peak_bytes(|| {
        lower_at(w, true, OptLevel::None);
    });
    let none_isa = native_isa_with("none", true);
    let quickest_isa = native_isa_quickest();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let compiles = |isa: &dyn isa::TargetIsa| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            compile_natively(w.functions.clone(), isa)
        }))
        .ok()
        .flatten()
        .is_some()
    };
    let ok = with_native && compiles(&*none_isa);
    let quickest_ok = ok && compiles(&*quickest_isa);
    std::panic::set_hook(hook);
    let native = ok.then(|| {
        let (unverified, speed) = (
            native_isa_with("none", false),
            native_isa_with("speed", false),
        );
        Native {
            none: best_native(w, &*none_isa),
            none_unverified: best_native(w, &*unverified),
            speed: best_native(w, &*speed),
            quickest: quickest_ok.then(|| best_native(w, &*quickest_isa)),
            peak: {
                let functions = w.functions.clone();
                peak_bytes(|| {
                    compile_natively(functions, &*unverified);
                })
            },
        }
    });
    // The floor emits as many wasm instructions as the headline's own output (opt level
    // none, which keeps more values in locals than speed and so emits more instructions).
    let wasm_insts = wasm_instructions(&lower_at(w, true, OptLevel::None));
    let floor = best(|| {
        encode_floor(w.functions.len(), wasm_insts);
    });
    Row {
        name: w.name.clone(),
        insts,
        emit,
        emit_fast,
        emit_none,
        emit_peak,
        native,
        floor,
    }
}

fn main() {
    let mut rows: Vec<(bool, Row)> = Vec::new();
    let rt = natively_compilable(runtests());
    if !rt.functions.is_empty() {
        rows.push((false, measure(&rt, true)));
    }
    // Growth at opt level none and speed.
    let mut growth: Vec<(String, f64, f64)> = Vec::new();
    for shape in SHAPES {
        let mut at_1k = None;
        let mut native_per_inst = Vec::new();
        for n in [10, 1_000, 100_000, 1_000_000] {
            // Cranelift's register allocator grows superlinearly on some shapes: at a
            // million instructions it is measured only where it stayed linear so far
            // (within 2x per instruction of its cost at 1,000), else it runs for hours.
            let linear = match native_per_inst[..] {
                [_, at_1k, at_100k] => at_100k <= 2.0 * at_1k,
                _ => true,
            };
            let row = measure(&generate(shape, n), n < 1_000_000 || linear);
            if let Some(c) = &row.native {
                native_per_inst.push(ns(c.none_unverified, row.insts));
            }
            let cost = (ns(row.emit_none, row.insts), ns(row.emit_fast, row.insts));
            if n == 1_000 {
                at_1k = Some(cost);
            }
            if let (1_000_000, Some(base)) = (n, at_1k) {
                growth.push((row.name.clone(), cost.0 / base.0, cost.1 / base.1));
            }
            rows.push((false, row));
        }
    }
    for w in corpus() {
        rows.push((true, measure(&w, true)));
    }
    println!("| input | CLIF insts | wasm-emit ns/inst | no verify/validate/names | opt none, no verify/validate/names | peak B/inst | cranelift-x64 none | none, no verifier | speed, no verifier | none, no verifier, single-pass regalloc | peak B/inst | ratio none/none | ratio none/single-pass | ratio speed/speed | floor ns/inst |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let na = || "n/a".to_string();
    for (_, r) in &rows {
        let n = r.insts;
        let native = |f: &dyn Fn(&Native) -> String| r.native.as_ref().map_or_else(na, f);
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.0} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} |",
            r.name,
            n,
            ns(r.emit, n),
            ns(r.emit_fast, n),
            ns(r.emit_none, n),
            r.emit_peak as f64 / n as f64,
            native(&|c| format!("{:.0}", ns(c.none, n))),
            native(&|c| format!("{:.0}", ns(c.none_unverified, n))),
            native(&|c| format!("{:.0}", ns(c.speed, n))),
            native(&|c| c
                .quickest
                .map_or_else(na, |q| format!("{:.0}", ns(q, n)))),
            native(&|c| format!("{:.0}", c.peak as f64 / n as f64)),
            native(&|c| format!(
                "{:.2}",
                c.none_unverified.as_secs_f64() / r.emit_none.as_secs_f64()
            )),
            native(&|c| c.quickest.map_or_else(na, |q| format!(
                "{:.2}",
                q.as_secs_f64() / r.emit_none.as_secs_f64()
            ))),
            native(&|c| format!("{:.2}", c.speed.as_secs_f64() / r.emit_fast.as_secs_f64())),
            ns(r.floor, n)
        );
    }
    for (name, none, speed) in &growth {
        println!("growth {name}: cost per instruction at 1M {none:.2}x the cost at 1,000 at opt level none ({speed:.2}x at speed)");
    }
    // The headline: the real-world CLIF that Cranelift compiles natively too.
    let real: Vec<&Row> = rows
        .iter()
        .filter(|(real, r)| *real && r.native.is_some())
        .map(|(_, r)| r)
        .collect();
    if real.is_empty() {
        println!("no real-world CLIF: run corpus/fetch.sh");
        return;
    }
    let insts: usize = real.iter().map(|r| r.insts).sum();
    let sum = |f: &dyn Fn(&Row) -> Duration| real.iter().map(|r| f(r)).sum::<Duration>();
    // For the record beside the headline: both backends at opt level speed.
    let (emit_speed, native_speed) = (
        sum(&|r| r.emit_fast),
        sum(&|r| r.native.as_ref().unwrap().speed),
    );
    println!(
        "at opt level speed: wasm-emit {:.0} ns/inst, cranelift-x64 {:.0} ns/inst, ratio {:.2}",
        ns(emit_speed, insts),
        ns(native_speed, insts),
        native_speed.as_secs_f64() / emit_speed.as_secs_f64()
    );
    let emit = sum(&|r| r.emit_none);
    // Beside the headline: Cranelift's quickest configuration, its single-pass register
    // allocator (the headline keeps the default one, as `opt_level` none alone gives).
    if real
        .iter()
        .all(|r| r.native.as_ref().unwrap().quickest.is_some())
    {
        let quickest = sum(&|r| r.native.as_ref().unwrap().quickest.unwrap_or_default());
        println!(
            "against single-pass register allocation: wasm-emit {:.0} ns/inst, cranelift-x64 {:.0} ns/inst (opt none, no verifier, regalloc_algorithm=single_pass), ratio {:.2}",
            ns(emit, insts),
            ns(quickest, insts),
            quickest.as_secs_f64() / emit.as_secs_f64()
        );
    }
    let none = sum(&|r| r.native.as_ref().unwrap().none_unverified);
    let floor = sum(&|r| r.floor);
    let (x, y, z) = (ns(emit, insts), ns(none, insts), ns(floor, insts));
    println!(
        "wasm-emit {x:.0} ns/inst, cranelift-x64 {y:.0} ns/inst (opt none), ratio {:.2}, floor {z:.0} ns/inst",
        y / x
    );
}
