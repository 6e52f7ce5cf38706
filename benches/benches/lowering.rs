//! Lowering throughput: wasm-emit against Cranelift's native backend for the host and the
//! encode-only floor, on the same functions, in the same run. `cargo bench -p benches`.
//! Each backend keeps its context (wasm-emit's `Compiler`, Cranelift's `Context`) across
//! a benchmark's iterations, as a JIT keeps it for its lifetime.

use benches::shapes::{generate, SHAPES};
use benches::{
    compile_natively_in, corpus, encode_floor, lower_at, lower_in, native_isa, native_isa_quickest,
    natively_compilable, runtests, wasm_instructions, OptLevel, Workload,
};
use cranelift_codegen::Context;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use wasm_emit::Compiler;

fn bench_workload(c: &mut Criterion, w: &Workload) {
    if w.functions.is_empty() {
        return;
    }
    let mut group = c.benchmark_group(&w.name);
    group.throughput(Throughput::Elements(w.instructions() as u64));
    group.sample_size(10);
    let configs = [
        ("wasm-emit", false, OptLevel::default()),
        (
            "wasm-emit (no verify/validate/names)",
            true,
            OptLevel::default(),
        ),
        (
            "wasm-emit (opt none, no verify/validate/names)",
            true,
            OptLevel::None,
        ),
    ];
    for (name, fast, opt_level) in configs {
        let mut compiler = Compiler::new();
        group.bench_function(name, |b| {
            b.iter(|| lower_in(&mut compiler, w, fast, opt_level))
        });
    }
    let isas = [
        ("opt none", native_isa("none")),
        ("opt speed", native_isa("speed")),
        (
            "opt none, no verifier, single-pass regalloc",
            native_isa_quickest(),
        ),
    ];
    for (config, isa) in isas {
        let mut ctx = Context::new();
        group.bench_function(format!("cranelift-native ({config})"), |b| {
            // Cloning the functions is no part of the compile (see `compile_natively`).
            b.iter_batched(
                || w.functions.clone(),
                |functions| {
                    compile_natively_in(&mut ctx, functions, &*isa).expect("compiles natively")
                },
                BatchSize::LargeInput,
            )
        });
    }
    // The encode-only floor: as many wasm instructions as the opt-level-none output holds,
    // emitted with wasm-encoder and nothing else.
    let wasm_insts = wasm_instructions(&lower_at(w, true, OptLevel::None));
    let funcs = w.functions.len();
    group.bench_function("encode floor", |b| {
        b.iter(|| encode_floor(funcs, wasm_insts))
    });
    group.finish();
}

fn lowering(c: &mut Criterion) {
    bench_workload(c, &natively_compilable(runtests()));
    // Larger sizes are in the `compare` binary: Cranelift's register allocator is
    // superlinear on some shapes, which would make a criterion run take hours.
    for shape in SHAPES {
        for n in [10, 1_000] {
            bench_workload(c, &generate(shape, n));
        }
    }
    for w in corpus() {
        bench_workload(c, &natively_compilable(w));
    }
}

criterion_group!(benches, lowering);
criterion_main!(benches);
