//! The `roundtrip` target: a wasm-smith module goes through the round trip (cranelift-wasm,
//! the bridge, optionally Cranelift's mid-end, wasm-emit), and the input and the output run
//! in wasmtime with the same fuel: every export is called in order, and the results (or
//! traps), the exported memory and the exported globals must match. NaNs compare equal
//! whatever their payload; running out of fuel or stack makes a run inconclusive.

use arbitrary::Unstructured;
use wasmtime::{Config, Engine, Extern, Instance, Module, Store, Trap, Val, ValType};

/// What a round-trip run concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoundTripVerdict {
    /// The input made no module, or one the round trip reports as unsupported.
    Skipped,
    /// Both modules behaved the same.
    Same,
    /// Fuel or stack ran out on one side: no verdict.
    Inconclusive,
}

const FUEL: u64 = 200_000;

fn config(u: &mut Unstructured) -> arbitrary::Result<wasm_smith::Config> {
    let mut c = wasm_smith::Config {
        max_imports: 0,
        max_memories: 1,
        max_tables: 1,
        max_funcs: 12,
        max_instructions: 300,
        max_memory32_bytes: 4 << 16,
        max_table_elements: 64,
        max_data_segments: 4,
        max_element_segments: 4,
        simd_enabled: false,
        relaxed_simd_enabled: false,
        threads_enabled: false,
        shared_everything_threads_enabled: false,
        reference_types_enabled: false,
        gc_enabled: false,
        exceptions_enabled: false,
        memory64_enabled: false,
        custom_page_sizes_enabled: false,
        wide_arithmetic_enabled: false,
        extended_const_enabled: false,
        bulk_memory_enabled: true,
        tail_call_enabled: true,
        multi_value_enabled: true,
        saturating_float_to_int_enabled: true,
        sign_extension_ops_enabled: true,
        canonicalize_nans: true,
        export_everything: true,
        allow_invalid_funcs: false,
        ..wasm_smith::Config::default()
    };
    c.max_nesting_depth = u.int_in_range(2..=12)?;
    Ok(c)
}

/// A value for comparison: floats by bits, every NaN alike.
fn show(v: &Val) -> String {
    match v {
        Val::F32(b) if f32::from_bits(*b).is_nan() => "f32:nan".into(),
        Val::F64(b) if f64::from_bits(*b).is_nan() => "f64:nan".into(),
        Val::F32(b) => format!("f32:{b:#x}"),
        Val::F64(b) => format!("f64:{b:#x}"),
        Val::I32(x) => format!("i32:{x}"),
        Val::I64(x) => format!("i64:{x}"),
        other => format!("{other:?}"),
    }
}

fn arg(u: &mut Unstructured, ty: &ValType) -> Val {
    match ty {
        ValType::I32 => Val::I32(u.arbitrary().unwrap_or(0)),
        ValType::I64 => Val::I64(u.arbitrary().unwrap_or(0)),
        ValType::F32 => Val::F32(u.arbitrary::<f32>().unwrap_or(0.0).to_bits()),
        ValType::F64 => Val::F64(u.arbitrary::<f64>().unwrap_or(0.0).to_bits()),
        _ => Val::I32(0),
    }
}

/// Why a call ended: a value list, a trap, or no verdict.
enum Outcome {
    Done(Vec<String>),
    Inconclusive,
}

/// Instantiate `wasm` and call every export with `args[i]`; the observations in order.
fn run(engine: &Engine, wasm: &[u8], args: &[Vec<Val>]) -> Outcome {
    let module = Module::new(engine, wasm).expect("wasmtime accepts a validated module");
    let mut store = Store::new(engine, ());
    store.set_fuel(FUEL).expect("fuel is enabled");
    let mut seen = Vec::new();
    let stop = |e: &wasmtime::Error| {
        matches!(
            e.downcast_ref::<Trap>(),
            Some(Trap::OutOfFuel | Trap::StackOverflow)
        )
    };
    let instance = match Instance::new(&mut store, &module, &[]) {
        Ok(i) => i,
        Err(e) if stop(&e) => return Outcome::Inconclusive,
        Err(_) => return Outcome::Done(vec!["start trapped".into()]),
    };
    let exports: Vec<(String, Extern)> = instance
        .exports(&mut store)
        .map(|e| (e.name().to_string(), e.into_extern()))
        .collect();
    let mut call = 0;
    for (name, ext) in &exports {
        let Extern::Func(f) = ext else { continue };
        let ty = f.ty(&store);
        let params = &args[call % args.len().max(1)];
        call += 1;
        if params.len() != ty.params().len() {
            continue;
        }
        let mut results = vec![Val::I32(0); ty.results().len()];
        match f.call(&mut store, params, &mut results) {
            Ok(()) => seen.push(format!(
                "{name} = {}",
                results.iter().map(show).collect::<Vec<_>>().join(", ")
            )),
            Err(e) if stop(&e) => return Outcome::Inconclusive,
            Err(_) => seen.push(format!("{name} trapped")),
        }
    }
    for (name, ext) in &exports {
        match ext {
            Extern::Memory(m) => {
                let data = m.data(&store);
                let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
                    (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
                });
                seen.push(format!(
                    "memory {name}: {} bytes, hash {hash:#x}",
                    data.len()
                ));
            }
            Extern::Global(g) => seen.push(format!("global {name} = {}", show(&g.get(&mut store)))),
            _ => {}
        }
    }
    Outcome::Done(seen)
}

/// Generate a module from `data`, round-trip it, run both, compare.
pub fn roundtrip(data: &[u8]) -> RoundTripVerdict {
    let mut u = Unstructured::new(data);
    let Ok(cfg) = config(&mut u) else {
        return RoundTripVerdict::Skipped;
    };
    let optimize = u.arbitrary::<bool>().unwrap_or(false);
    let Ok(module) = wasm_smith::Module::new(cfg, &mut u) else {
        return RoundTripVerdict::Skipped;
    };
    let wasm = module.to_bytes();
    let options = wasm_roundtrip::Options {
        optimize,
        ..Default::default()
    };
    let out = match wasm_roundtrip::roundtrip(&wasm, &options) {
        Ok(out) => out,
        Err(e) if e.is_unsupported() => return RoundTripVerdict::Skipped,
        // cranelift-wasm 0.112's validator predates some features wasm-smith may use.
        Err(wasm_roundtrip::RoundTripError::Invalid(_)) => return RoundTripVerdict::Skipped,
        Err(e) => panic!("the round trip failed: {e}"),
    };
    let engine = {
        let mut c = Config::new();
        c.consume_fuel(true)
            .wasm_tail_call(true)
            .cranelift_opt_level(wasmtime::OptLevel::None);
        Engine::new(&c).expect("wasmtime starts")
    };
    // Arguments for the exports, drawn once and used for both modules.
    let probe = Module::new(&engine, &wasm).expect("wasm-smith makes valid modules");
    let args: Vec<Vec<Val>> = probe
        .exports()
        .filter_map(|e| e.ty().func().cloned())
        .map(|f| f.params().map(|p| arg(&mut u, &p)).collect())
        .collect();
    let args = if args.is_empty() { vec![vec![]] } else { args };
    match (run(&engine, &wasm, &args), run(&engine, &out, &args)) {
        (Outcome::Done(a), Outcome::Done(b)) => {
            assert_eq!(a, b, "the round-tripped module behaves differently");
            RoundTripVerdict::Same
        }
        _ => RoundTripVerdict::Inconclusive,
    }
}
